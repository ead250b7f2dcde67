/* test_schedule.c — schedule_lr (src/schedule.c) against torch 1.13's lr_scheduler: the lr
 * recorded after 0..45 scheduler.step() calls for every schedule kind (step, multistep with
 * repeated milestones, exponential, cosine well past T_max, linear up and down, and
 * SequentialLR warm-up chains into each kind, CyclicLR and OneCycleLR with the momentum or
 * beta1 they cycle: a `momentum` record after `lr`), from tests/reference/fixtures/schedules.txt.
 *
 * Tolerance: 1e-12 relative.  Both sides compute in double with the same formulas in the same
 * order, so on the machine that wrote the fixture they agree to the last bit; what may differ
 * elsewhere is libm's cos/pow (glibc's are within 1 ulp, not guaranteed correctly rounded) and
 * that error is carried through at most ~45 recursive multiplications: 45 * 2^-52 ~ 1e-14.
 * 1e-12 leaves room for that and still fails on any formula difference (the smallest real
 * change, e.g. an off-by-one step in a cosine, moves the lr by > 1e-4 relative).
 * Usage: test_schedule FIXTURE_DIR.  Exit status 1 on any mismatch. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fixture_text.h"
#include "schedule.h"

enum { SCHEDULE_FIXTURE_MAX_STEPS = 1000 };

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR (tests/reference/fixtures)\n", argv[0]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/schedules.txt", argv[1]);
    fixture_text t;
    if (fixture_open(&t, path) != 0) return 1;

    const double rel_tol = 1e-12;
    int cases = 0, failures = 0;
    unsigned char seen[SCHEDULE_KIND_COUNT] = {0};
    long compared = 0;
    double worst = 0.0;
    const char *rec;
    while ((rec = fixture_next_record(&t)) != NULL && !t.bad) {
        if (strcmp(rec, "sched") != 0) {
            fixture_error(&t, "expected `sched`");
            break;
        }
        char name[64];
        snprintf(name, sizeof name, "%s", fixture_word(&t));
        double base = fixture_double(&t);
        run_settings rs;
        settings_set_defaults(&rs);
        if (fixture_settings_words(&t, &rs) < 1) break;
        const schedule_settings s = rs.schedule;
        seen[s.kind] = 1;
        /* ReduceLROnPlateau cases give the metric of each step first */
        static double metrics[SCHEDULE_FIXTURE_MAX_STEPS];
        int n_metrics = -1;
        const char *next = fixture_next_record(&t);
        if (next && strcmp(next, "metrics") == 0) {
            n_metrics = (int)fixture_int(&t);
            if (n_metrics < 0 || n_metrics > SCHEDULE_FIXTURE_MAX_STEPS) {
                fixture_error(&t, "bad metrics count");
                break;
            }
            for (int j = 0; j < n_metrics; j++) metrics[j] = fixture_double(&t);
            next = fixture_next_record(&t);
        }
        if (!next || strcmp(next, "lr") != 0) {
            fixture_error(&t, "expected an `lr` record");
            break;
        }
        long n = (long)fixture_int(&t);
        if (n < 0 || n >= SCHEDULE_FIXTURE_MAX_STEPS) {
            fixture_error(&t, "bad lr count");
            break;
        }
        static double want_lr[SCHEDULE_FIXTURE_MAX_STEPS];
        for (long k = 0; k <= n && !t.bad; k++) want_lr[k] = fixture_double(&t);
        /* CyclicLR / OneCycleLR with cycle_momentum: the group's momentum after each step */
        static double want_m[SCHEDULE_FIXTURE_MAX_STEPS];
        long n_m = -1;
        if (schedule_cycles_momentum(&s)) {
            next = fixture_next_record(&t);
            if (!next || strcmp(next, "momentum") != 0) {
                fixture_error(&t, "expected a `momentum` record");
                break;
            }
            n_m = (long)fixture_int(&t);
            for (long k = 0; k <= n_m && k <= n && !t.bad; k++) want_m[k] = fixture_double(&t);
        }
        int bad_here = 0;
        for (long k = 0; k <= n && !t.bad; k++) {
            double want = want_lr[k];
            if (n_metrics >= 0 && k > n_metrics) fixture_error(&t, "fewer metrics than steps");
            double m = NAN;
            double got = n_metrics >= 0 ? schedule_plateau_lr(&s, base, metrics, (int)k)
                                        : schedule_value(&s, base, k, &m);
            /* the per-batch tables train.c hands the backends: the same values */
            double tab_lr, tab_m;
            if (n_metrics < 0) {
                schedule_fill_steps(&s, base, k, 1, &tab_lr, &tab_m);
                if (!(tab_lr == got) || (n_m >= 0 && !(tab_m == m))) {
                    printf("FAIL %-20s after %2ld steps: schedule_fill_steps differs\n", name, k);
                    failures++;
                }
            }
            if (n_m >= 0 && k <= n_m) {
                double mrel = fabs(m - want_m[k]) / fabs(want_m[k]);
                if (mrel > worst) worst = mrel;
                compared++;
                if (!(mrel <= rel_tol)) {
                    if (bad_here++ < 3)
                        printf("FAIL %-20s after %2ld steps: momentum %.17g, torch %.17g\n",
                               name, k, m, want_m[k]);
                    failures++;
                }
            }
            double rel = fabs(got - want) / fabs(want);
            if (want == 0.0) rel = fabs(got);
            if (rel > worst) worst = rel;
            compared++;
            if (!(rel <= rel_tol)) {
                if (bad_here++ < 3)
                    printf("FAIL %-20s after %2ld steps: lr %.17g, torch %.17g (rel %.2e)\n",
                           name, k, got, want, rel);
                failures++;
            }
        }
        cases++;
    }
    if (t.bad) failures++;
    fixture_close(&t);
    /* every schedule.name the registry has must be in the fixture */
    const char *const *names = settings_key_enum_names(settings_find_key("schedule.name"));
    for (int k = 0; names[k]; k++)
        if (!seen[k]) {
            printf("FAIL schedule %s has no case in the fixture\n", names[k]);
            failures++;
        }
    printf("%d schedules, %ld lr values compared, worst relative difference %.2e "
           "(tolerance %.0e), %d failures\n",
           cases, compared, worst, rel_tol, failures);
    return failures ? 1 : 0;
}
