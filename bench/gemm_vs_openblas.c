/* Benchmark: tiled GEMM through starbak over every StarPU worker against one
 * multithreaded OpenBLAS call (and, with CUDA workers, one cuBLAS call) on the
 * same matrices, side by side as ratios; the best tile is chosen per size.
 * sbk_init sets OpenBLAS to one thread (each worker owns a core): the reference
 * call gets every core back while StarPU is paused. */
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cblas.h>
#include <starpu.h>
#include "../examples/driver.h"
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <cuda_runtime.h>
#endif

void openblas_set_num_threads(int num_threads);

static const char *prog = "gemm_vs_openblas";

enum { MAX_LIST = 16 };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gemm_vs_openblas [options]\n"
            "  Square C = A B: starbak's tiled GEMM vs one OpenBLAS call on all cores (vs cuBLAS with a GPU).\n"
            "  -s, --sizes=LIST      N values (default 2048,4096,8192)\n"
            "  -t, --tiles=LIST      candidate tiles (default 256,512,1024,2048)\n"
            "  -r, --repeat=R        timed runs per case, best kept (default 3)\n"
            "  -p, --precision=s|d   (default d)\n"
            "  -h, --help\n");
}

static int parse_list(const char *opt, const char *text, long *values)
{
    int n = 0;
    char *copy = strdup(text), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (n == MAX_LIST || drv_parse_long(prog, opt, tok, 1, 1L << 17, &values[n++])) {
            free(copy);
            return -1;
        }
    free(copy);
    return n ? n : -1;
}

static void gemm_blas(sbk_precision prec, long n, const void *A, const void *B, void *C)
{
    if (prec == SBK_DOUBLE)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, A, n, B, n, 0.0, C, n);
    else
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
}

/* The scaled residual ||C - Cref||_F / (||A||_F ||B||_F n eps) of C = A B against
 * the reference call's product: the check costs no second product (at N = 16384
 * one more dgemm would take minutes on the single thread OpenBLAS has here). */
static double residual_vs_reference(sbk_precision prec, long n, const void *A, const void *B, const void *C,
                                    const void *Cref)
{
    double diff = 0.0;
    for (size_t i = 0; i < (size_t)n * n; i++) {
        double d = prec == SBK_DOUBLE ? ((const double *)C)[i] - ((const double *)Cref)[i]
                                      : (double)((const float *)C)[i] - ((const float *)Cref)[i];
        diff += d * d;
    }
    double scale = sbk_norm_fro(prec, n, n, A, n) * sbk_norm_fro(prec, n, n, B, n) * n *
                   (prec == SBK_DOUBLE ? DBL_EPSILON : FLT_EPSILON);
    return diff == 0.0 ? 0.0 : sqrt(diff) / scale;
}

/* Best time of one sbk_gemm + sbk_wait, the matrices registered outside. */
static double time_starbak(sbk_precision prec, long n, long tile, void *A, void *B, void *C, const void *Cref,
                           int repeat, double *residual)
{
    sbk_matrix *dA, *dB, *dC;
    if (sbk_matrix_create(&dA, prec, A, n, n, n, tile, tile) || sbk_matrix_create(&dB, prec, B, n, n, n, tile, tile) ||
        sbk_matrix_create(&dC, prec, C, n, n, n, tile, tile))
        return -1;
    double best = 1e300;
    for (int r = 0; r <= repeat; r++) { /* run 0 warms up (and calibrates dmda's models) */
        double t0 = drv_now();
        if (sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1.0, dA, dB, 0.0, dC) || sbk_wait())
            return -1;
        double t = drv_now() - t0;
        if (r > 0 && t < best)
            best = t;
    }
    sbk_matrix_destroy(dA), sbk_matrix_destroy(dB), sbk_matrix_destroy(dC);
    *residual = residual_vs_reference(prec, n, A, B, C, Cref);
    return best;
}

#ifdef STARPU_USE_CUDA
/* One cublas?gemm on device-resident copies: best time without transfers,
 * and once with them (what starbak does, since its data starts on the host). */
static int time_cublas(sbk_precision prec, long n, const void *A, const void *B, int repeat, double *kernel,
                       double *with_transfers)
{
    size_t bytes = (size_t)n * n * prec;
    void *dA = NULL, *dB = NULL, *dC = NULL, *hC = malloc(bytes);
    cublasHandle_t h;
    if (!hC || cudaMalloc(&dA, bytes) || cudaMalloc(&dB, bytes) || cudaMalloc(&dC, bytes) ||
        cublasCreate(&h) != CUBLAS_STATUS_SUCCESS)
        return -1;
    const double one = 1.0, zero = 0.0;
    const float onef = 1.0f, zerof = 0.0f;
    int failed = 0;
    *kernel = 1e300;
    for (int r = 0; r <= repeat + 1 && !failed; r++) {
        double t0 = drv_now();
        int transfers = r == repeat + 1;
        if (transfers || r == 0)
            failed |= cudaMemcpy(dA, A, bytes, cudaMemcpyHostToDevice) != cudaSuccess ||
                      cudaMemcpy(dB, B, bytes, cudaMemcpyHostToDevice) != cudaSuccess;
        double tk = drv_now();
        failed |= (prec == SBK_DOUBLE ? cublasDgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, dA, n, dB, n, &zero, dC, n)
                                      : cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &onef, dA, n, dB, n, &zerof, dC, n)) !=
                  CUBLAS_STATUS_SUCCESS;
        failed |= cudaDeviceSynchronize() != cudaSuccess;
        if (transfers)
            failed |= cudaMemcpy(hC, dC, bytes, cudaMemcpyDeviceToHost) != cudaSuccess;
        double t1 = drv_now();
        if (transfers)
            *with_transfers = t1 - t0;
        else if (r > 0 && t1 - tk < *kernel)
            *kernel = t1 - tk;
    }
    cublasDestroy(h);
    cudaFree(dA), cudaFree(dB), cudaFree(dC), free(hC);
    return failed ? -1 : 0;
}
#endif

int main(int argc, char **argv)
{
    long sizes[MAX_LIST] = {2048, 4096, 8192}, tiles[MAX_LIST] = {256, 512, 1024, 2048}, repeat = 3;
    int nsizes = 3, ntiles = 4, bad = 0;
    sbk_precision prec = SBK_DOUBLE;
    static const struct option options[] = {{"sizes", required_argument, 0, 's'},
                                            {"tiles", required_argument, 0, 't'},
                                            {"repeat", required_argument, 0, 'r'},
                                            {"precision", required_argument, 0, 'p'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "s:t:r:p:h", options, NULL)) != -1;) {
        switch (c) {
        case 's': bad |= (nsizes = parse_list("sizes", optarg, sizes)) < 0; break;
        case 't': bad |= (ntiles = parse_list("tiles", optarg, tiles)) < 0; break;
        case 'r': bad |= drv_parse_long(prog, "repeat", optarg, 1, 1000, &repeat); break;
        case 'p': bad |= drv_parse_precision(prog, optarg, &prec); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (drv_args_rejected(prog, argc, argv, bad))
        return 2;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (drv_start(prog))
        return 1;
    printf("machine: %ld cores; StarPU %d CPU + %d CUDA workers, scheduler %s\n", cores, sbk_ncpu_workers(),
           sbk_ncuda_workers(), getenv("STARPU_SCHED") ? getenv("STARPU_SCHED") : "lws (default)");
    printf("precision: %s, best of %ld runs after one warm-up; OpenBLAS on %ld threads, timed for each N\n"
           "just before starbak (StarPU's workers paused meanwhile), so that both see the same machine\n\n",
           prec == SBK_DOUBLE ? "d" : "s", repeat, cores);
    printf("%7s %6s %14s %16s %8s %10s\n", "N", "tile", "starbak_GF/s", "openblas_GF/s", "ratio", "residual");
    int status = 0;
    for (int s = 0; s < nsizes; s++) {
        long n = sizes[s];
        size_t count = (size_t)n * n;
        void *A = malloc(count * prec), *B = malloc(count * prec), *C = malloc(count * prec);
        void *Cref = malloc(count * prec);
        if (!A || !B || !C || !Cref) {
            fprintf(stderr, "starbak: %s: cannot allocate 4 matrices of %ld×%ld\n", prog, n, n);
            return 1;
        }
        drv_fill_uniform(prec, A, count, 1), drv_fill_uniform(prec, B, count, 2);
        /* The reference: one OpenBLAS call on every core while StarPU's workers sleep. */
        starpu_pause();
        openblas_set_num_threads((int)cores);
        double blas = 1e300;
        for (int r = 0; r <= repeat; r++) {
            double t0 = drv_now();
            gemm_blas(prec, n, A, B, Cref);
            double t = drv_now() - t0;
            if (r > 0 && t < blas)
                blas = t;
        }
        openblas_set_num_threads(1);
        starpu_resume();
        double flops = 2.0 * n * n * n, best = 0, best_time = 0;
        long best_tile = 0;
        for (int t = 0; t < ntiles; t++) {
            if (tiles[t] > n)
                continue;
            double residual, time = time_starbak(prec, n, tiles[t], A, B, C, Cref, (int)repeat, &residual);
            if (time < 0)
                return drv_fail(prog, "gemm", SBK_ERUNTIME);
            printf("%7ld %6ld %14.1f %16.1f %8.2f %10.2e%s\n", n, tiles[t], flops / time / 1e9, flops / blas / 1e9,
                   blas / time, residual, residual < 10 ? "" : "  WRONG");
            status |= !(residual < 10);
            if (blas / time > best)
                best = blas / time, best_time = time, best_tile = tiles[t];
        }
        printf("best: N=%ld tile=%ld ratio=%.2f (starbak / one OpenBLAS call on %ld threads)\n", n, best_tile, best,
               cores);
#ifdef STARPU_USE_CUDA
        double kernel = 0, with_transfers = 0;
        if (sbk_ncuda_workers() > 0 && time_cublas(prec, n, A, B, (int)repeat, &kernel, &with_transfers) == 0)
            printf("cublas: N=%ld %.1f GF/s kernel only, %.1f GF/s with transfers; starbak best / cuBLAS = %.2f "
                   "(kernel only), %.2f (with transfers)\n", n, flops / kernel / 1e9, flops / with_transfers / 1e9,
                   kernel / best_time, with_transfers / best_time);
#endif
        printf("\n");
        free(A), free(B), free(C), free(Cref);
    }
    sbk_shutdown();
    return status;
}
