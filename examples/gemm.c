/* Tiled GEMM driver: C = alpha op(A) op(B) + beta C on random matrices, over
 * every StarPU worker; prints time, GFLOP/s, where the tasks ran and, with
 * --check, the scaled residual against one cblas call. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver.h"

static const char *prog = "gemm";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gemm [options]\n"
            "  C = alpha op(A) op(B) + beta C, tiled, one StarPU task per tile triple.\n"
            "  -m, --m=M            rows of C (default 2048)\n"
            "  -n, --n=N            columns of C (default 2048)\n"
            "  -k, --k=K            inner dimension (default 2048)\n"
            "  -t, --tile=B         tile size, B×B (default 512)\n"
            "  -p, --precision=s|d  float or double (default d)\n"
            "      --transa=N|T     op(A) (default N)\n"
            "      --transb=N|T     op(B) (default N)\n"
            "      --alpha=X        (default 1)\n"
            "      --beta=X         (default 0)\n"
            "  -i, --iterations=I   timed runs, best one reported (default 3)\n"
            "  -c, --check          scaled residual against one cblas call (passes below 10)\n"
            DRV_TRACE_USAGE
            "  -h, --help           this text\n"
            "Environment: STARPU_SCHED (e.g. dmda), STARPU_NCPU, STARPU_NCUDA, STARPU_HOME.\n");
}

int main(int argc, char **argv)
{
    long m = 2048, n = 2048, k = 2048, tile = 512, iterations = 3;
    sbk_precision prec = SBK_DOUBLE;
    sbk_trans ta = SBK_NOTRANS, tb = SBK_NOTRANS;
    double alpha = 1.0, beta = 0.0;
    int check = 0, bad = 0;
    static const struct option options[] = {
        {"m", required_argument, 0, 'm'},          {"n", required_argument, 0, 'n'},
        {"k", required_argument, 0, 'k'},          {"tile", required_argument, 0, 't'},
        {"precision", required_argument, 0, 'p'},  {"transa", required_argument, 0, 'A'},
        {"transb", required_argument, 0, 'B'},     {"alpha", required_argument, 0, 'a'},
        {"beta", required_argument, 0, 'b'},       {"iterations", required_argument, 0, 'i'},
        {"check", no_argument, 0, 'c'},            {"help", no_argument, 0, 'h'},
        {"trace", required_argument, 0, 'Z'},
        {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "m:n:k:t:p:i:ch", options, NULL)) != -1;) {
        switch (c) {
        case 'm': bad |= drv_parse_long(prog, "m", optarg, 1, 1L << 20, &m); break;
        case 'n': bad |= drv_parse_long(prog, "n", optarg, 1, 1L << 20, &n); break;
        case 'k': bad |= drv_parse_long(prog, "k", optarg, 1, 1L << 20, &k); break;
        case 't': bad |= drv_parse_long(prog, "tile", optarg, 1, 1L << 16, &tile); break;
        case 'p': bad |= drv_parse_precision(prog, optarg, &prec); break;
        case 'A': bad |= drv_parse_trans(prog, "transa", optarg, &ta); break;
        case 'B': bad |= drv_parse_trans(prog, "transb", optarg, &tb); break;
        case 'a': bad |= drv_parse_double(prog, "alpha", optarg, &alpha); break;
        case 'b': bad |= drv_parse_double(prog, "beta", optarg, &beta); break;
        case 'i': bad |= drv_parse_long(prog, "iterations", optarg, 1, 1000000, &iterations); break;
        case 'c': check = 1; break;
        case 'Z': bad |= drv_trace_option(prog, optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (drv_args_rejected(prog, argc, argv, bad))
        return 2;

    /* Stored shapes: A is m×k or k×m, B k×n or n×k. */
    long arows = ta == SBK_TRANS ? k : m, acols = ta == SBK_TRANS ? m : k;
    long brows = tb == SBK_TRANS ? n : k, bcols = tb == SBK_TRANS ? k : n;
    size_t es = prec;
    if (drv_start(prog))
        return 1;
    /* Under MPI, rank 0 makes the operands and StarPU-MPI scatters their tiles
     * block-cyclically over the ranks, then gathers C back. */
    void *A = NULL, *B = NULL, *C = NULL, *C0 = NULL;
    int root = sbk_rank() == 0, ok = 1;
    if (root && drv_memory_refused(prog, "the matrices", (arows * acols + brows * bcols + 2.0 * m * n) * es))
        ok = 0;
    else if (root) {
        /* Simulated: address space only (a simulated cluster's matrices need not fit here). */
        A = drv_alloc_input(arows * acols * es), B = drv_alloc_input(brows * bcols * es);
        C = drv_alloc_input(m * n * es), C0 = drv_alloc_input(m * n * es);
        if (!(ok = A && B && C && C0))
            fprintf(stderr, "starbak: %s: cannot allocate %.1f GB for the matrices\n", prog,
                    (arows * acols + brows * bcols + 2.0 * m * n) * es / 1e9);
        else {
            drv_fill_uniform(prec, A, arows * acols, 1);
            drv_fill_uniform(prec, B, brows * bcols, 2);
            drv_fill_uniform(prec, C0, m * n, 3);
        }
    }
    if (drv_share(prog, ok, NULL, 0)) {
        sbk_shutdown();
        return 1;
    }

    printf("precision: %s\nm: %ld\nn: %ld\nk: %ld\ntile: %ld\ntransa: %c\ntransb: %c\n",
           prec == SBK_DOUBLE ? "d" : "s", m, n, k, tile, ta ? 'T' : 'N', tb ? 'T' : 'N');
    double best = 1e300;
    int ret = SBK_SUCCESS;
    for (long it = 0; it < iterations && ret == SBK_SUCCESS; it++) {
        if (root && !sbk_simulated())
            memcpy(C, C0, m * n * es); /* every run computes the same product */
        sbk_matrix *dA, *dB, *dC, *rA, *rB, *rC;
        ret = drv_distribute(&dA, &rA, prec, A, arows, acols, tile, tile, SBK_DIST_2D);
        if (ret == SBK_SUCCESS)
            ret = drv_distribute(&dB, &rB, prec, B, brows, bcols, tile, tile, SBK_DIST_2D);
        if (ret == SBK_SUCCESS)
            ret = drv_distribute(&dC, &rC, prec, C, m, n, tile, tile, SBK_DIST_2D);
        if (ret == SBK_SUCCESS)
            ret = sbk_wait(); /* the scatter is neither timed nor counted */
        if (ret != SBK_SUCCESS)
            return drv_fail(prog, "describing the matrices", ret);
        sbk_stats_reset();
        double t0 = drv_now();
        ret = sbk_gemm(ta, tb, alpha, dA, dB, beta, dC);
        if (ret == SBK_SUCCESS)
            ret = sbk_wait();
        double t = drv_now() - t0;
        best = t < best ? t : best;
        if (it == iterations - 1) /* the tasks (and bytes sent) of one product */
            sbk_print_workers(stdout);
        int back = drv_collect(dC, rC);
        ret = ret != SBK_SUCCESS ? ret : back;
        sbk_matrix_destroy(dA), sbk_matrix_destroy(dB), sbk_matrix_destroy(rA), sbk_matrix_destroy(rB);
    }
    if (ret != SBK_SUCCESS)
        return drv_fail(prog, "gemm", ret);

    printf("iterations: %ld\ntime_s: %.6f\ngflops: %.2f\n", iterations, best, 2.0 * m * n * k / best / 1e9);
    int status = 0;
    if (check && root && !sbk_simulated()) {
        double r = sbk_gemm_residual(prec, ta, tb, m, n, k, alpha, A, arows, B, brows, beta, C0, C, m);
        printf("residual: %.3e\ncheck: %s\n", r, r < 10.0 ? "passed" : "FAILED");
        status = r < 10.0 ? 0 : 1;
    }
    sbk_shutdown();
    status |= drv_trace_finish(prog);
    drv_free_input(A, arows * acols * es), drv_free_input(B, brows * bcols * es);
    drv_free_input(C, m * n * es), drv_free_input(C0, m * n * es);
    return status;
}
