/* Element-wise driver, the NumPy/CuPy `C = alpha*A + beta*B` example: vectors
 * cut into tiles, one task per tile; prints time, GB/s and the exactness check. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "driver.h"

static const char *prog = "vecadd";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vecadd [options]\n"
            "  C = alpha A + beta B element-wise on vectors of random values.\n"
            "  -n, --n=N            vector length (default 10000000)\n"
            "  -t, --tile=T         elements per tile (default 1000000)\n"
            "  -p, --precision=s|d  float or double (default d)\n"
            "      --alpha=X        (default 1)\n"
            "      --beta=X         (default 1)\n"
            "  -i, --iterations=I   timed runs, best one reported (default 3)\n"
            DRV_TRACE_USAGE
            "  -h, --help           this text\n"
            "Environment: STARPU_SCHED, STARPU_NCPU, STARPU_NCUDA, STARPU_HOME.\n");
}


int main(int argc, char **argv)
{
    long n = 10000000, tile = 1000000, iterations = 3;
    sbk_precision prec = SBK_DOUBLE;
    double alpha = 1.0, beta = 1.0;
    int bad = 0;
    static const struct option options[] = {
        {"n", required_argument, 0, 'n'},         {"tile", required_argument, 0, 't'},
        {"precision", required_argument, 0, 'p'}, {"alpha", required_argument, 0, 'a'},
        {"beta", required_argument, 0, 'b'},      {"iterations", required_argument, 0, 'i'},
        {"help", no_argument, 0, 'h'},            {"trace", required_argument, 0, 'Z'},
        {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "n:t:p:i:h", options, NULL)) != -1;) {
        switch (c) {
        case 'n': bad |= drv_parse_long(prog, "n", optarg, 1, 1L << 40, &n); break;
        case 't': bad |= drv_parse_long(prog, "tile", optarg, 1, 1L << 40, &tile); break;
        case 'p': bad |= drv_parse_precision(prog, optarg, &prec); break;
        case 'a': bad |= drv_parse_double(prog, "alpha", optarg, &alpha); break;
        case 'b': bad |= drv_parse_double(prog, "beta", optarg, &beta); break;
        case 'i': bad |= drv_parse_long(prog, "iterations", optarg, 1, 1000000, &iterations); break;
        case 'Z': bad |= drv_trace_option(prog, optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (drv_args_rejected(prog, argc, argv, bad))
        return 2;
    if (n > DRV_MAX_SIZE || tile > DRV_MAX_SIZE) {
        fprintf(stderr, "starbak: %s: --n and --tile must fit in 32 bits (got %ld, %ld)\n", prog, n, tile);
        return 2;
    }
    if (drv_start(prog))
        return 1;
    /* Under MPI rank 0 makes the vectors; their tiles are spread over the ranks. */
    int root = sbk_rank() == 0, made = 1;
    void *A = NULL, *B = NULL, *C = NULL;
    if (root && drv_memory_refused(prog, "the vectors", 3.0 * n * prec))
        made = 0;
    else if (root) {
        A = malloc(n * prec), B = malloc(n * prec), C = malloc(n * prec);
        if (!(made = A && B && C))
            fprintf(stderr, "starbak: %s: cannot allocate %.1f GB for the vectors\n", prog, 3.0 * n * prec / 1e9);
        else
            drv_fill_uniform(prec, A, n, 1), drv_fill_uniform(prec, B, n, 2);
    }
    if (drv_share(prog, made, NULL, 0)) {
        sbk_shutdown();
        return 1;
    }
    sbk_matrix *dA, *dB, *dC, *rA, *rB, *rC;
    int ret = drv_distribute(&dA, &rA, prec, A, n, 1, tile, 1, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = drv_distribute(&dB, &rB, prec, B, n, 1, tile, 1, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = drv_distribute(&dC, &rC, prec, C, n, 1, tile, 1, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = sbk_wait(); /* the scatter is not timed */
    if (ret != SBK_SUCCESS)
        return drv_fail(prog, "describing the vectors", ret);
    double best = 1e300;
    for (long it = 0; it < iterations && ret == SBK_SUCCESS; it++) {
        double t0 = drv_now();
        ret = sbk_add(alpha, dA, beta, dB, dC);
        if (ret == SBK_SUCCESS)
            ret = sbk_wait();
        double t = drv_now() - t0;
        best = t < best ? t : best;
    }
    int back = drv_collect(dC, rC);
    drv_collect(dA, rA), drv_collect(dB, rB);
    if (ret != SBK_SUCCESS || back != SBK_SUCCESS)
        return drv_fail(prog, "add", ret != SBK_SUCCESS ? ret : back);

    /* With alpha = beta = 1 every device computes a + b with one rounding, so
     * the result must match exactly; otherwise a fused multiply-add may differ
     * by one rounding, bounded by 2 eps |alpha a| + |beta b|. */
    double eps = prec == SBK_DOUBLE ? 0x1.0p-52 : 0x1.0p-23, worst = 0.0;
    for (long i = 0; i < n && root && !sbk_simulated(); i++) {
        double a = sbk_elem_get(prec, A, i), b = sbk_elem_get(prec, B, i);
        double ref = prec == SBK_DOUBLE ? alpha * a + beta * b
                                        : (double)((float)alpha * (float)a + (float)beta * (float)b);
        double scale = fabs(alpha * a) + fabs(beta * b);
        double err = fabs(sbk_elem_get(prec, C, i) - ref) / (scale > 0 ? scale * eps : 1.0);
        worst = err > worst || isnan(err) ? err : worst;
    }
    int exact_case = alpha == 1.0 && beta == 1.0, ok = exact_case ? worst == 0.0 : worst <= 2.0;
    printf("precision: %s\nn: %ld\ntile: %ld\n", prec == SBK_DOUBLE ? "d" : "s", n, tile);
    sbk_print_workers(stdout);
    printf("iterations: %ld\ntime_s: %.6f\ngbytes_per_s: %.2f\n", iterations, best, 3.0 * n * prec / best / 1e9);
    if (!sbk_simulated())
        printf("max_error_eps: %.3g\ncheck: %s\n", worst, ok ? "passed" : "FAILED");
    sbk_shutdown();
    free(A), free(B), free(C);
    return drv_trace_finish(prog) || !ok;
}
