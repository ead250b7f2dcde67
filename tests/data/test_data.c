/* test_data.c — data_load against real files: tiny IDX files written here into a temp dir
 * (good raw and gzipped, and one per kind of damage, each error checked for the file name and
 * the reason), then the committed MNIST slice (counts, known first labels, pixel sums) and
 * the splits (sizes, ascending order, disjointness, determinism).
 * Usage: test_data SLICE_DIR.  Exits non-zero on any mismatch. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data.h"
#include "idx.h"
#include "philox.h"
#include "test_util.h"


/* ---- writing IDX files ------------------------------------------------------------------- */

/* Image i of a generated set: pixel 0 and 1 hold i (so a split's order can be read back),
 * the rest a pattern.  Label i is i % 10. */
static uint8_t gen_pixel(int i, int j)
{
    if (j == 0) return (uint8_t)(i & 0xff);
    if (j == 1) return (uint8_t)(i >> 8);
    return (uint8_t)((i * 7 + j) & 0xff);
}
static int gen_index(const uint8_t *row) { return row[0] | row[1] << 8; }

typedef struct {
    uint8_t *bytes;
    size_t len;
} blob;

static void put_be32(blob *b, uint32_t v)
{
    b->bytes[b->len++] = (uint8_t)(v >> 24);
    b->bytes[b->len++] = (uint8_t)(v >> 16);
    b->bytes[b->len++] = (uint8_t)(v >> 8);
    b->bytes[b->len++] = (uint8_t)v;
}

/* An images file: magic, n, rows, cols, pixels (n_write images written, header says n). */
static blob make_images(uint32_t magic, int n, int rows, int cols)
{
    blob b = { malloc(16 + (size_t)n * rows * cols + 64), 0 };
    put_be32(&b, magic);
    put_be32(&b, (uint32_t)n);
    put_be32(&b, (uint32_t)rows);
    put_be32(&b, (uint32_t)cols);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < rows * cols; j++) b.bytes[b.len++] = gen_pixel(i, j);
    return b;
}

static blob make_labels(int n)
{
    blob b = { malloc(8 + (size_t)n + 64), 0 };
    put_be32(&b, IDX_MAGIC_LABELS);
    put_be32(&b, (uint32_t)n);
    for (int i = 0; i < n; i++) b.bytes[b.len++] = (uint8_t)(i % 10);
    return b;
}

static char tmp_root[256];
static int case_no = 0;

/* A fresh directory for one case. */
static void new_case_dir(char *dir, size_t n)
{
    snprintf(dir, n, "%s/case%02d", tmp_root, ++case_no);
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        exit(1);
    }
}

static void write_file(const char *dir, const char *name, const blob *b, int gz)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
    if (gz) {
        gzFile f = gzopen(path, "wb");
        if (!f || gzwrite(f, b->bytes, (unsigned)b->len) != (int)b->len || gzclose(f) != Z_OK) {
            fprintf(stderr, "cannot write %s\n", path);
            exit(1);
        }
    } else if (test_write_file(path, b->bytes, b->len) < 0) {
        exit(1);
    }
}

enum { N_TRAIN = 20, N_TEST = 10 };

/* A good set of four files in `dir`: N_TRAIN training and N_TEST test images. */
static void write_good_set(const char *dir, int gz)
{
    blob a = make_images(IDX_MAGIC_IMAGES, N_TRAIN, 28, 28), b = make_labels(N_TRAIN);
    blob c = make_images(IDX_MAGIC_IMAGES, N_TEST, 28, 28), e = make_labels(N_TEST);
    write_file(dir, "train-images-idx3-ubyte", &a, gz);
    write_file(dir, "train-labels-idx1-ubyte", &b, gz);
    write_file(dir, "t10k-images-idx3-ubyte", &c, gz);
    write_file(dir, "t10k-labels-idx1-ubyte", &e, gz);
    free(a.bytes), free(b.bytes), free(c.bytes), free(e.bytes);
}

static void remove_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (unlink(path) != 0) {
        perror(path);
        exit(1);
    }
}

/* Overwrites `len` bytes at `at` (negative: from the end) of dir/name with `byte`. */
static void damage_file(const char *dir, const char *name, long at, int len, int byte)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r+b");
    if (!f || fseek(f, at, at < 0 ? SEEK_END : SEEK_SET) != 0) {
        perror(path);
        exit(1);
    }
    for (int i = 0; i < len; i++) fputc(byte, f);
    fclose(f);
}

static void truncate_file(const char *dir, const char *name, long keep)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (truncate(path, keep) != 0) {
        perror(path);
        exit(1);
    }
}

static data_settings settings_for(const char *dir)
{
    data_settings s;
    memset(&s, 0, sizeof s);
    s.dataset = DATASET_MNIST;
    snprintf(s.dir, sizeof s.dir, "%s", dir);
    return s;
}

/* data_load must fail with an error that contains every one of the given pieces. */
static void expect_error(const char *what, const data_settings *s, ...)
{
    dataset d;
    char err[1024] = "";
    int rc = data_load(&d, s, err, sizeof err);
    EXPECT(rc == -1, "%s: data_load returned %d, expected -1", what, rc);
    EXPECT(d.storage == NULL && d.train.n == 0 && d.test.n == 0,
           "%s: dataset not zeroed after an error", what);
    va_list ap;
    va_start(ap, s);
    for (const char *piece; (piece = va_arg(ap, const char *)) != NULL;)
        EXPECT(strstr(err, piece) != NULL, "%s: error \"%s\" lacks \"%s\"", what, err, piece);
    va_end(ap);
    printf("  %-28s -> %s\n", what, err);
    data_free(&d);
}

static void expect_error_exact(const char *what, const data_settings *s, const char *want)
{
    dataset d;
    char err[1024] = "";
    int rc = data_load(&d, s, err, sizeof err);
    EXPECT(rc == -1 && strcmp(err, want) == 0, "%s: got rc %d, \"%s\", expected \"%s\"", what, rc,
           err, want);
    printf("  %-28s -> %s\n", what, err);
    data_free(&d);
}

/* ---- the cases -------------------------------------------------------------------------- */

/* Checks a generated split: n rows, each row's index ascending, labels match the index. */
static void check_generated_split(const char *what, const data_split *sp, int n)
{
    EXPECT(sp->n == n && sp->dim == 784, "%s: n %d dim %d, expected %d, 784", what, sp->n,
           sp->dim, n);
    for (int r = 0; r < sp->n && r < n; r++) {
        const uint8_t *row = sp->pixels + (size_t)r * 784;
        int i = gen_index(row);
        int ok = sp->labels[r] == i % 10;
        for (int j = 0; j < 784 && ok; j++) ok = row[j] == gen_pixel(i, j);
        EXPECT(ok, "%s: row %d (image %d) holds wrong pixels or label", what, r, i);
        if (r > 0)
            EXPECT(gen_index(row - 784) < i, "%s: row %d not in ascending index order", what, r);
    }
}

static void test_good_files(void)
{
    puts("good files");
    for (int gz = 0; gz <= 1; gz++) {
        char dir[300];
        new_case_dir(dir, sizeof dir);
        write_good_set(dir, gz);
        data_settings s = settings_for(dir);
        dataset d;
        char err[1024] = "";
        int rc = data_load(&d, &s, err, sizeof err);
        EXPECT(rc == 0, "good %s: %s", gz ? "gz" : "raw", err);
        if (rc != 0) continue;
        check_generated_split(gz ? "good gz train" : "good raw train", &d.train, N_TRAIN);
        check_generated_split(gz ? "good gz test" : "good raw test", &d.test, N_TEST);
        EXPECT(d.val.n == 0, "no validation asked, got %d", d.val.n);
        data_free(&d);
    }
    /* raw and .gz side by side: the raw file is read (the .gz here is garbage) */
    char dir[300];
    new_case_dir(dir, sizeof dir);
    write_good_set(dir, 0);
    blob junk = { (uint8_t *)"not gzip, not IDX", 17 };
    write_file(dir, "train-images-idx3-ubyte.gz", &junk, 0);
    data_settings s = settings_for(dir);
    dataset d;
    char err[1024] = "";
    EXPECT(data_load(&d, &s, err, sizeof err) == 0, "raw beside a bad .gz: %s", err);
    data_free(&d);
}

static void test_bad_files(void)
{
    puts("bad files (each error must name the file and the reason)");
    char dir[300], path[400], want[1024];
    data_settings s;

    new_case_dir(dir, sizeof dir); /* truncated raw images: 5 bytes short */
    write_good_set(dir, 0);
    truncate_file(dir, "train-images-idx3-ubyte", 16 + N_TRAIN * 784 - 5);
    s = settings_for(dir);
    snprintf(want, sizeof want, "%s/train-images-idx3-ubyte: truncated: header says 20 images "
             "of 28x28 (15696 bytes) but the file holds 15691 bytes", dir);
    expect_error_exact("truncated raw", &s, want);

    new_case_dir(dir, sizeof dir); /* a valid gzip stream of a truncated IDX file */
    write_good_set(dir, 1);
    blob t = make_images(IDX_MAGIC_IMAGES, N_TEST, 28, 28);
    t.len -= 784;
    write_file(dir, "t10k-images-idx3-ubyte", &t, 1);
    free(t.bytes);
    s = settings_for(dir);
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", dir);
    expect_error("truncated gz content", &s, path,
                 ": truncated: header says 10 images of 28x28 (7856 bytes) but the file holds "
                 "7072 bytes once decompressed", NULL);

    new_case_dir(dir, sizeof dir); /* header cut inside the dimensions */
    write_good_set(dir, 0);
    truncate_file(dir, "t10k-images-idx3-ubyte", 10);
    s = settings_for(dir);
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte:", dir);
    expect_error("truncated header", &s, path, "truncated", "shorter than the 16-byte header",
                 NULL);

    new_case_dir(dir, sizeof dir); /* 3 trailing bytes after the labels */
    write_good_set(dir, 0);
    blob l = make_labels(N_TRAIN);
    memcpy(l.bytes + l.len, "xyz", 3);
    l.len += 3;
    write_file(dir, "train-labels-idx1-ubyte", &l, 0);
    free(l.bytes);
    s = settings_for(dir);
    snprintf(want, sizeof want, "%s/train-labels-idx1-ubyte: trailing bytes: header says 20 "
             "labels (28 bytes) but the file holds 31 bytes", dir);
    expect_error_exact("trailing bytes", &s, want);

    new_case_dir(dir, sizeof dir); /* a label file where the images should be */
    write_good_set(dir, 0);
    l = make_labels(N_TRAIN);
    write_file(dir, "train-images-idx3-ubyte", &l, 0);
    free(l.bytes);
    s = settings_for(dir);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte:", dir);
    expect_error("bad magic", &s, path, "bad magic 0x00000801 (an IDX label file): expected "
                 "0x00000803", NULL);

    new_case_dir(dir, sizeof dir); /* HTML where a gz should be (a failed download) */
    write_good_set(dir, 1);
    blob html = { (uint8_t *)"<html><body>404</body></html>\n", 30 };
    remove_file(dir, "t10k-labels-idx1-ubyte.gz");
    write_file(dir, "t10k-labels-idx1-ubyte.gz", &html, 0);
    s = settings_for(dir);
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz:", dir);
    expect_error("not an IDX file", &s, path, "bad magic 0x3c68746d (not an IDX file of bytes)",
                 NULL);

    new_case_dir(dir, sizeof dir); /* 28x32 images */
    write_good_set(dir, 0);
    blob w = make_images(IDX_MAGIC_IMAGES, N_TRAIN, 28, 32);
    write_file(dir, "train-images-idx3-ubyte", &w, 0);
    free(w.bytes);
    s = settings_for(dir);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte:", dir);
    expect_error("wrong dims", &s, path, "wrong dimensions: images are 28x32, expected 28x28",
                 NULL);

    new_case_dir(dir, sizeof dir); /* a well-formed test set of no images */
    write_good_set(dir, 0);
    w = make_images(IDX_MAGIC_IMAGES, 0, 28, 28);
    l = make_labels(0);
    write_file(dir, "t10k-images-idx3-ubyte", &w, 0);
    write_file(dir, "t10k-labels-idx1-ubyte", &l, 0);
    free(w.bytes), free(l.bytes);
    s = settings_for(dir);
    snprintf(want, sizeof want, "%s/t10k-images-idx3-ubyte: holds no images (the header's "
             "count is 0)", dir);
    expect_error_exact("no images", &s, want);

    new_case_dir(dir, sizeof dir); /* 19 labels for 20 images */
    write_good_set(dir, 0);
    l = make_labels(N_TRAIN - 1);
    write_file(dir, "train-labels-idx1-ubyte", &l, 0);
    free(l.bytes);
    s = settings_for(dir);
    snprintf(want, sizeof want, "%s/train-labels-idx1-ubyte: count mismatch: holds 19 labels "
             "but %s/train-images-idx3-ubyte holds 20 images", dir, dir);
    expect_error_exact("count mismatch", &s, want);

    new_case_dir(dir, sizeof dir); /* label 10 at index 3 */
    write_good_set(dir, 0);
    l = make_labels(N_TEST);
    l.bytes[8 + 3] = 10;
    write_file(dir, "t10k-labels-idx1-ubyte", &l, 0);
    free(l.bytes);
    s = settings_for(dir);
    snprintf(want, sizeof want, "%s/t10k-labels-idx1-ubyte: label 10 at index 3 is outside "
             "0..9", dir);
    expect_error_exact("label 10", &s, want);

    new_case_dir(dir, sizeof dir); /* gzip whose CRC-32 trailer is wrong */
    write_good_set(dir, 1);
    damage_file(dir, "train-labels-idx1-ubyte.gz", -8, 4, 0x55);
    s = settings_for(dir);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz:", dir);
    expect_error("corrupt gzip (crc)", &s, path, "corrupt gzip data", "incorrect data check",
                 NULL);

    new_case_dir(dir, sizeof dir); /* gzip with garbage in the deflate stream */
    write_good_set(dir, 1);
    damage_file(dir, "train-images-idx3-ubyte.gz", 20, 40, 0xff);
    s = settings_for(dir);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz:", dir);
    expect_error("corrupt gzip (deflate)", &s, path, "corrupt gzip data", NULL);

    new_case_dir(dir, sizeof dir); /* a .gz cut in half (an interrupted download) */
    write_good_set(dir, 1);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    struct stat st;
    stat(path, &st);
    truncate_file(dir, "train-images-idx3-ubyte.gz", (long)st.st_size / 2);
    s = settings_for(dir);
    expect_error("cut gzip", &s, path, "corrupt gzip data: the compressed stream ends early",
                 NULL);

    new_case_dir(dir, sizeof dir); /* one of four missing, in a non-default dir */
    write_good_set(dir, 0);
    remove_file(dir, "t10k-labels-idx1-ubyte");
    s = settings_for(dir);
    snprintf(want, sizeof want, "%s/t10k-labels-idx1-ubyte(.gz): missing (run `optsweep fetch "
             "mnist --dir %s` or ./run_sweep.sh)", dir, dir);
    expect_error_exact("missing file", &s, want);

    new_case_dir(dir, sizeof dir); /* empty file */
    write_good_set(dir, 0);
    truncate_file(dir, "train-labels-idx1-ubyte", 0);
    s = settings_for(dir);
    snprintf(want, sizeof want, "%s/train-labels-idx1-ubyte: empty file (0 bytes)", dir);
    expect_error_exact("empty file", &s, want);

    new_case_dir(dir, sizeof dir); /* a directory where a file should be */
    write_good_set(dir, 0);
    remove_file(dir, "t10k-images-idx3-ubyte");
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte", dir);
    mkdir(path, 0700);
    s = settings_for(dir);
    expect_error("directory as file", &s, path, "not a regular file", NULL);

    new_case_dir(dir, sizeof dir); /* a FIFO would block open() forever (issue #11) */
    write_good_set(dir, 0);
    remove_file(dir, "train-labels-idx1-ubyte");
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", dir);
    EXPECT(mkfifo(path, 0600) == 0, "mkfifo %s", path);
    s = settings_for(dir);
    expect_error("FIFO as file", &s, path, "not a regular file", NULL);

    /* default folder and Fashion-MNIST's fetch hint: run from an empty cwd */
    char cwd[512];
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = '\0';
    new_case_dir(dir, sizeof dir);
    if (chdir(dir) == 0) {
        s = settings_for("");
        s.dataset = DATASET_FASHION_MNIST;
        expect_error_exact("fashion default dir", &s,
                           "data/fashion-mnist/train-images-idx3-ubyte(.gz): missing (run "
                           "`optsweep fetch fashion_mnist` or ./run_sweep.sh)");
        s.dataset = DATASET_MNIST;
        expect_error_exact("mnist default dir", &s,
                           "data/mnist/train-images-idx3-ubyte(.gz): missing (run "
                           "`optsweep fetch mnist` or ./run_sweep.sh)");
        EXPECT(chdir(cwd) == 0, "cannot go back to %s", cwd);
    }
}

static void test_bad_split_settings(void)
{
    puts("split settings the data cannot satisfy");
    char dir[300], path[400];
    new_case_dir(dir, sizeof dir);
    write_good_set(dir, 0);
    data_settings s = settings_for(dir);
    s.train_limit = N_TRAIN + 1;
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte:", dir);
    expect_error("train_limit too big", &s, path, "data.train_limit 21 asks for more images "
                 "than the 20 the file holds", NULL);
    s = settings_for(dir);
    s.val_from_train = 5;
    s.val_from_test = 0.5;
    expect_error("both val settings", &s, "exclusive", NULL);
    s = settings_for(dir);
    s.train_limit = 8;
    s.val_from_train = 8;
    expect_error("val_from_train all", &s, "data.val_from_train 8 leaves no training image "
                 "(the training set has 8)", NULL);
    s = settings_for(dir);
    s.val_from_test = 0.04; /* 0.4 of an image of 10 */
    expect_error("val_from_test rounds to 0", &s, "is no image", NULL);
    s.val_from_test = 0.96; /* 9.6 -> 10 of 10 */
    expect_error("val_from_test takes all", &s, "leaves no test image", NULL);
    s.val_from_test = 1.5;
    expect_error("val_from_test out of range", &s, "in [0, 1)", NULL);
}

/* Every index 0..n-1 in exactly one of the two splits, each ascending, contents intact, and
 * validation exactly the n_val indices with the smallest Philox keys (data.h's contract). */
static void check_partition(const char *what, const data_split *keep, const data_split *val,
                            int n, int n_val, uint64_t seed)
{
    check_generated_split(what, keep, n - n_val);
    check_generated_split(what, val, n_val);
    int32_t *perm = malloc(sizeof(int32_t) * (size_t)n);
    uint8_t *is_val = calloc((size_t)n, 1), *seen = calloc((size_t)n, 1);
    philox_permutation(seed, PHILOX_STREAM_SPLIT, n, perm);
    for (int i = 0; i < n_val; i++) is_val[perm[i]] = 1;
    for (int r = 0; r < keep->n; r++) {
        int i = gen_index(keep->pixels + (size_t)r * 784);
        EXPECT(i < n && !is_val[i] && !seen[i], "%s: index %d misplaced in the kept part", what, i);
        if (i < n) seen[i] = 1;
    }
    for (int r = 0; r < val->n; r++) {
        int i = gen_index(val->pixels + (size_t)r * 784);
        EXPECT(i < n && is_val[i] && !seen[i], "%s: index %d misplaced in validation", what, i);
        if (i < n) seen[i] = 1;
    }
    for (int i = 0; i < n; i++) EXPECT(seen[i], "%s: index %d in neither part", what, i);
    free(perm), free(is_val), free(seen);
}

static int same_split(const data_split *a, const data_split *b)
{
    return a->n == b->n && memcmp(a->pixels, b->pixels, (size_t)a->n * 784) == 0 &&
           memcmp(a->labels, b->labels, (size_t)a->n) == 0;
}

static void test_splits(void)
{
    puts("splits on generated data (1200 train, 1000 test images)");
    char dir[300];
    new_case_dir(dir, sizeof dir);
    blob a = make_images(IDX_MAGIC_IMAGES, 1200, 28, 28), b = make_labels(1200);
    blob c = make_images(IDX_MAGIC_IMAGES, 1000, 28, 28), e = make_labels(1000);
    write_file(dir, "train-images-idx3-ubyte", &a, 0);
    write_file(dir, "train-labels-idx1-ubyte", &b, 0);
    write_file(dir, "t10k-images-idx3-ubyte", &c, 1);
    write_file(dir, "t10k-labels-idx1-ubyte", &e, 1);
    free(a.bytes), free(b.bytes), free(c.bytes), free(e.bytes);
    char err[1024] = "";
    dataset d1, d2, d3;

    data_settings s = settings_for(dir);
    s.train_limit = 700;
    EXPECT(data_load(&d1, &s, err, sizeof err) == 0, "train_limit: %s", err);
    check_generated_split("train_limit 700", &d1.train, 700);
    check_generated_split("train_limit test", &d1.test, 1000);
    EXPECT(d1.val.n == 0, "train_limit: val.n %d", d1.val.n);
    data_free(&d1);

    /* val_from_test 0.25 -> round(250.0) = 250; 0.1235 -> round(123.5) = 124 (half away) */
    double fracs[2] = { 0.25, 0.1235 };
    int n_vals[2] = { 250, 124 };
    for (int k = 0; k < 2; k++) {
        s = settings_for(dir);
        s.val_from_test = fracs[k];
        s.split_seed = 42;
        EXPECT(data_load(&d1, &s, err, sizeof err) == 0, "val_from_test: %s", err);
        EXPECT(d1.val.n == n_vals[k] && d1.test.n == 1000 - n_vals[k] && d1.train.n == 1200,
               "val_from_test %g: sizes %d/%d/%d", fracs[k], d1.train.n, d1.val.n, d1.test.n);
        check_partition("val_from_test", &d1.test, &d1.val, 1000, n_vals[k], 42);
        check_generated_split("val_from_test train", &d1.train, 1200);
        EXPECT(data_load(&d2, &s, err, sizeof err) == 0, "val_from_test again: %s", err);
        EXPECT(same_split(&d1.val, &d2.val) && same_split(&d1.test, &d2.test),
               "val_from_test: two loads with the same seed differ");
        s.split_seed = 43;
        EXPECT(data_load(&d3, &s, err, sizeof err) == 0, "val_from_test seed 43: %s", err);
        EXPECT(!same_split(&d1.val, &d3.val), "val_from_test: seeds 42 and 43 give one split");
        data_free(&d1), data_free(&d2), data_free(&d3);
    }

    s = settings_for(dir);
    s.train_limit = 1000;
    s.val_from_train = 300;
    s.split_seed = 7;
    EXPECT(data_load(&d1, &s, err, sizeof err) == 0, "val_from_train: %s", err);
    EXPECT(d1.train.n == 700 && d1.val.n == 300 && d1.test.n == 1000,
           "val_from_train: sizes %d/%d/%d", d1.train.n, d1.val.n, d1.test.n);
    check_partition("val_from_train", &d1.train, &d1.val, 1000, 300, 7);
    check_generated_split("val_from_train test", &d1.test, 1000);
    EXPECT(data_load(&d2, &s, err, sizeof err) == 0, "val_from_train again: %s", err);
    EXPECT(same_split(&d1.train, &d2.train) && same_split(&d1.val, &d2.val),
           "val_from_train: two loads with the same seed differ");
    data_free(&d1), data_free(&d2);
}

/* The committed slice: the first 2000 / 1000 images of MNIST.  Expected values computed
 * with numpy from the full MNIST files (labels are MNIST's well-known first ten). */
static void test_slice(const char *slice_dir)
{
    puts("committed MNIST slice");
    static const uint8_t first_train[10] = { 5, 0, 4, 1, 9, 2, 1, 3, 1, 4 };
    static const uint8_t first_test[10] = { 7, 2, 1, 0, 4, 1, 4, 9, 5, 9 };
    data_settings s = settings_for(slice_dir);
    dataset d;
    char err[1024] = "";
    if (data_load(&d, &s, err, sizeof err) != 0) {
        EXPECT(0, "slice: %s", err);
        return;
    }
    EXPECT(d.train.n == 2000 && d.test.n == 1000 && d.val.n == 0 && d.train.dim == 784,
           "slice sizes %d/%d/%d", d.train.n, d.val.n, d.test.n);
    EXPECT(memcmp(d.train.labels, first_train, 10) == 0, "slice: first training labels differ");
    EXPECT(memcmp(d.test.labels, first_test, 10) == 0, "slice: first test labels differ");
    long long sum_train0 = 0, sum_train = 0, sum_test = 0;
    for (int j = 0; j < 784; j++) sum_train0 += d.train.pixels[j];
    for (size_t j = 0; j < (size_t)d.train.n * 784; j++) sum_train += d.train.pixels[j];
    for (size_t j = 0; j < (size_t)d.test.n * 784; j++) sum_test += d.test.pixels[j];
    EXPECT(sum_train0 == 27525 && sum_train == 52050445 && sum_test == 24443134,
           "slice pixel sums %lld %lld %lld, expected 27525 52050445 24443134", sum_train0,
           sum_train, sum_test);
    int counts[10] = { 0 };
    for (int i = 0; i < d.train.n; i++) counts[d.train.labels[i]]++;
    EXPECT(counts[0] == 191 && counts[7] == 224 && counts[8] == 172, "slice label counts differ");
    data_free(&d);

    s.val_from_test = 0.5;
    s.split_seed = 1;
    dataset d2;
    EXPECT(data_load(&d, &s, err, sizeof err) == 0 && data_load(&d2, &s, err, sizeof err) == 0,
           "slice val_from_test: %s", err);
    EXPECT(d.val.n == 500 && d.test.n == 500, "slice split %d/%d", d.val.n, d.test.n);
    EXPECT(same_split(&d.val, &d2.val) && same_split(&d.test, &d2.test),
           "slice split not deterministic");
    data_free(&d), data_free(&d2);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_data SLICE_DIR\n");
        return 2;
    }
    if (test_temp_dir(tmp_root, sizeof tmp_root, "test-data") < 0) return 1;
    test_good_files();
    test_bad_files();
    test_bad_split_settings();
    test_splits();
    test_slice(argv[1]);
    test_remove_tree(tmp_root);
    return test_finish("test_data");
}
