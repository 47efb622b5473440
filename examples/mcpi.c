/* Monte-Carlo pi driver (a classic Numba example, on StarPU tasks):
 * prints the estimate, its error in standard deviations and samples/s. The
 * count for a seed is the same whatever the scheduler, workers or devices. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include "driver.h"

static const char *prog = "mcpi";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mcpi [options]\n"
            "  Estimates pi from random points of the unit square (counter-based generator).\n"
            "  -s, --samples=N   number of points (default 100000000; 1e9 works)\n"
            "      --seed=S      stream of random numbers (default 42)\n"
            "  -t, --tasks=T     tasks to split the samples into (default 0: 4 per worker; per rank under MPI)\n"
            DRV_TRACE_USAGE
            "  -h, --help        this text\n"
            "Environment: STARPU_SCHED, STARPU_NCPU, STARPU_NCUDA, STARPU_HOME.\n");
}

int main(int argc, char **argv)
{
    uint64_t samples = 100000000, seed = 42;
    long tasks = 0;
    int bad = 0;
    static const struct option options[] = {{"samples", required_argument, 0, 's'},
                                            {"seed", required_argument, 0, 'S'},
                                            {"tasks", required_argument, 0, 't'},
                                            {"help", no_argument, 0, 'h'},
                                            {"trace", required_argument, 0, 'Z'},
                                            {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "s:t:h", options, NULL)) != -1;) {
        switch (c) {
        case 's': bad |= drv_parse_u64(prog, "samples", optarg, 1, &samples); break;
        case 'S': bad |= drv_parse_u64(prog, "seed", optarg, 0, &seed); break;
        case 't': bad |= drv_parse_long(prog, "tasks", optarg, 0, 1L << 24, &tasks); break;
        case 'Z': bad |= drv_trace_option(prog, optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (drv_args_rejected(prog, argc, argv, bad))
        return 2;
    if (drv_start(prog))
        return 1;
    uint64_t inside;
    double t0 = drv_now();
    int ret = sbk_mcpi(samples, seed, (int)tasks, &inside);
    double t = drv_now() - t0;
    if (ret != SBK_SUCCESS)
        return drv_fail(prog, "mcpi", ret);
    double p = (double)inside / samples, pi = 4.0 * p;
    double sigma = 4.0 * sqrt(M_PI / 4 * (1 - M_PI / 4) / samples);
    printf("samples: %llu\nseed: %llu\ninside: %llu\n", (unsigned long long)samples, (unsigned long long)seed,
           (unsigned long long)inside);
    sbk_print_workers(stdout);
    if (!sbk_simulated())
        printf("pi: %.10f\nerror: %.3e\nerror_sigmas: %.2f\n", pi, pi - M_PI, fabs(pi - M_PI) / sigma);
    printf("time_s: %.6f\nsamples_per_s: %.3e\n", t, samples / t);
    sbk_shutdown();
    return drv_trace_finish(prog);
}
