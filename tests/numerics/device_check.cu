/* device_check.cu — the numerics on a GPU: optim.h's update rules compiled by nvcc as
 * __host__ __device__ and run in a kernel must give torch's bits exactly as the CPU does
 * (tests/reference/fixtures/optim_steps.txt, every optimizer option), and philox.h's
 * philox_u32 / philox_uniform_from_u32 on the device must equal cuRAND's curand() and
 * curand_uniform() after curand_init(seed, stream, n) (and the host's philox_u32).
 * Built as test_numerics_device when CMake finds CUDA (ctest numerics_device, skipped with
 * exit status 77 where no device answers); by hand:
 *   nvcc -O2 -arch=sm_90 -Isrc tests/numerics/device_check.cu src/optim.c -o /tmp/dc &&
 *   /tmp/dc tests/reference/fixtures
 * Exit status 1 on any mismatch. */
#include <cuda_runtime.h>
#include <curand_kernel.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_optim.h"
#include "philox.h"

#define CUDA_CHECK(x)                                                                       \
    do {                                                                                    \
        cudaError_t e_ = (x);                                                               \
        if (e_ != cudaSuccess) {                                                            \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

static __global__ void update_kernel(optim_step st, size_t n, float *p, const float *g,
                                     float *s)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < n) optim_update_element(&st, i, n, p, g, s);
}

static int failures;

static void compare(const char *cs, int k, const char *what, const float *got, const float *want,
                    size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&got[i], &want[i], 4) != 0) {
            failures++;
            printf("FAIL device %-18s step %d %-8s [%zu]: got %.9g want %.9g\n", cs, k, what, i,
                   got[i], want[i]);
            return;
        }
}

static void check_optim(const char *path)
{
    fixture_text t;
    if (fixture_open(&t, path) != 0) {
        failures++;
        return;
    }
    int cases = 0;
    fixture_optim_case c;
    while (fixture_next_optim_case(&t, &c) == 1) {
        const char *name = c.name;
        optim_settings o = c.o;
        size_t n = c.n;
        int steps = c.steps, slots = c.slots;
        size_t ns = (size_t)slots * n + 1;
        float *p = (float *)calloc(n, 4), *g = (float *)calloc(n, 4), *w = (float *)calloc(n, 4);
        float *s = (float *)calloc(ns, 4);
        float *dp, *dg, *ds;
        CUDA_CHECK(cudaMalloc(&dp, n * 4));
        CUDA_CHECK(cudaMalloc(&dg, n * 4));
        CUDA_CHECK(cudaMalloc(&ds, ns * 4));
        fixture_expect(&t, "p0");
        fixture_floats_hex(&t, p, n);
        optim_state_init(&o, s, n);
        CUDA_CHECK(cudaMemcpy(dp, p, n * 4, cudaMemcpyHostToDevice));
        CUDA_CHECK(cudaMemcpy(ds, s, ns * 4, cudaMemcpyHostToDevice));
        for (int k = 1; k <= steps && !t.bad; k++) {
            fixture_expect(&t, "step");
            double lr = fixture_double(&t);
            fixture_expect(&t, "g");
            fixture_floats_hex(&t, g, n);
            CUDA_CHECK(cudaMemcpy(dg, g, n * 4, cudaMemcpyHostToDevice));
            optim_step st;
            optim_prepare_step(&o, lr, k, &st);
            update_kernel<<<(unsigned)((n + 127) / 128), 128>>>(st, n, dp, dg, ds);
            CUDA_CHECK(cudaGetLastError());
            CUDA_CHECK(cudaMemcpy(p, dp, n * 4, cudaMemcpyDeviceToHost));
            CUDA_CHECK(cudaMemcpy(s, ds, ns * 4, cudaMemcpyDeviceToHost));
            fixture_expect(&t, "p");
            fixture_floats_hex(&t, w, n);
            compare(name, k, "param", p, w, n);
            for (int j = 0; j < slots; j++) {
                char tag[16];
                snprintf(tag, sizeof tag, "s%d", j);
                fixture_expect(&t, tag);
                fixture_floats_hex(&t, w, n);
                compare(name, k, tag, s + (size_t)j * n, w, n);
            }
        }
        fixture_expect(&t, "end");
        cudaFree(dp);
        cudaFree(dg);
        cudaFree(ds);
        free(p);
        free(g);
        free(w);
        free(s);
        cases++;
    }
    if (t.bad) failures++;
    fixture_close(&t);
    printf("device optimizer rules: %d torch cases compared bit for bit\n", cases);
    if (cases < 16) failures++;
}

/* out[4 * j + 0..3]: curand(), philox_u32 on the device, curand_uniform bits, our uniform bits */
static __global__ void philox_kernel(const unsigned long long *args, int m, uint32_t *out)
{
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= m) return;
    unsigned long long seed = args[3 * j], stream = args[3 * j + 1], n = args[3 * j + 2];
    curandStatePhilox4_32_10_t s;
    curand_init(seed, stream, n, &s);
    out[4 * j] = curand(&s);
    out[4 * j + 1] = philox_u32(seed, stream, n);
    curand_init(seed, stream, n, &s);
    float a = curand_uniform(&s), b = philox_uniform_from_u32(philox_u32(seed, stream, n));
    memcpy(&out[4 * j + 2], &a, 4);
    memcpy(&out[4 * j + 3], &b, 4);
}

static void check_philox(void)
{
    enum { M = 4096 };
    static unsigned long long args[3 * M];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int j = 0; j < M; j++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift: varied seeds/streams/offsets */
        args[3 * j] = j < 64 ? (unsigned long long)(j % 3) : x;
        args[3 * j + 1] = j < 64 ? (unsigned long long)(j / 16) : (x >> 20) % 100000;
        args[3 * j + 2] = j < 64 ? (unsigned long long)(j % 16) : (x >> 7) % (1ull << 40);
    }
    unsigned long long *dargs;
    uint32_t *dout;
    static uint32_t out[4 * M];
    CUDA_CHECK(cudaMalloc(&dargs, sizeof args));
    CUDA_CHECK(cudaMalloc(&dout, sizeof out));
    CUDA_CHECK(cudaMemcpy(dargs, args, sizeof args, cudaMemcpyHostToDevice));
    philox_kernel<<<M / 128, 128>>>(dargs, M, dout);
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaMemcpy(out, dout, sizeof out, cudaMemcpyDeviceToHost));
    int bad = 0;
    for (int j = 0; j < M; j++) {
        uint32_t host = philox_u32(args[3 * j], args[3 * j + 1], args[3 * j + 2]);
        if (out[4 * j] != out[4 * j + 1] || out[4 * j] != host || out[4 * j + 2] != out[4 * j + 3]) {
            if (bad++ < 5)
                printf("FAIL philox (seed %llu, stream %llu, n %llu): curand %08x, device %08x, "
                       "host %08x, uniform bits %08x vs %08x\n", args[3 * j], args[3 * j + 1],
                       args[3 * j + 2], out[4 * j], out[4 * j + 1], host, out[4 * j + 2],
                       out[4 * j + 3]);
        }
    }
    failures += bad;
    printf("philox vs cuRAND: %d draws, %d mismatches\n", M, bad);
    cudaFree(dargs);
    cudaFree(dout);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        printf("no CUDA device: skipped\n");
        return 77; /* ctest's SKIP_RETURN_CODE */
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/optim_steps.txt", argv[1]);
    check_optim(path);
    check_philox();
    printf("%s\n", failures ? "device numerics: FAILED" : "device numerics: ok");
    return failures ? 1 : 0;
}
