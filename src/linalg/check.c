/* Accuracy checks against one (C)BLAS call (the CPU kernel's), on host buffers. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "codelets/kernels/cpu/linalg.h"
#include "runtime/runtime.h"


double sbk_norm_fro(sbk_precision prec, int m, int n, const void *A, int lda)
{
    double sum = 0.0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            double x = sbk_elem_get(prec, A, i + (size_t)j * lda);
            sum += x * x;
        }
    return sqrt(sum);
}

double sbk_gemm_residual(sbk_precision prec, sbk_trans transA, sbk_trans transB, int m, int n, int k,
                         double alpha, const void *A, int lda, const void *B, int ldb, double beta,
                         const void *C0, const void *C, int ldc)
{
    size_t bytes = (size_t)ldc * n * prec;
    void *ref = malloc(bytes);
    if (!ref)
        return INFINITY;
    memcpy(ref, C0, bytes);
    sbk_cpu_gemm(prec, transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, ref, ldc);
    double diff = 0.0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            double d = sbk_elem_get(prec, C, i + (size_t)j * ldc) - sbk_elem_get(prec, ref, i + (size_t)j * ldc);
            diff += d * d;
        }
    free(ref);
    /* A is stored m×k or k×m, B k×n or n×k: the norms do not care which. */
    double norm_a = transA == SBK_TRANS ? sbk_norm_fro(prec, k, m, A, lda) : sbk_norm_fro(prec, m, k, A, lda);
    double norm_b = transB == SBK_TRANS ? sbk_norm_fro(prec, n, k, B, ldb) : sbk_norm_fro(prec, k, n, B, ldb);
    double scale = fabs(alpha) * norm_a * norm_b +
                   fabs(beta) * sbk_norm_fro(prec, m, n, C0, ldc);
    double eps = prec == SBK_DOUBLE ? DBL_EPSILON : FLT_EPSILON;
    diff = sqrt(diff);
    if (diff == 0.0)
        return 0.0;
    return scale > 0.0 ? diff / (scale * k * eps) : INFINITY;
}
