/* The linear-algebra tile kernels on a CPU core: OpenBLAS calls, or one pass
 * over the tile where BLAS has no routine; the Monte-Carlo count. */
#include <cblas.h>
#include <string.h>
#include "linalg.h"
#include "../common/partial_sum.h"

void sbk_cpu_gemm(sbk_precision prec, sbk_trans transA, sbk_trans transB, int m, int n, int k, double alpha,
                  const void *A, int lda, const void *B, int ldb, double beta, void *C, int ldc)
{
    enum CBLAS_TRANSPOSE ta = transA == SBK_TRANS ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = transB == SBK_TRANS ? CblasTrans : CblasNoTrans;
    if (prec == SBK_DOUBLE)
        cblas_dgemm(CblasColMajor, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        cblas_sgemm(CblasColMajor, ta, tb, m, n, k, (float)alpha, A, lda, B, ldb, (float)beta, C, ldc);
}

void sbk_cpu_add(sbk_precision prec, int m, int n, double alpha, const void *A, int lda, double beta, const void *B,
                 int ldb, void *C, int ldc)
{
    if (prec == SBK_DOUBLE) {
        const double *x = A, *y = B;
        double *z = C;
        for (size_t j = 0; j < (size_t)n; j++)
            for (size_t i = 0; i < (size_t)m; i++)
                z[i + j * ldc] = alpha * x[i + j * lda] + beta * y[i + j * ldb];
    } else {
        const float *x = A, *y = B;
        float *z = C, a = (float)alpha, b = (float)beta;
        for (size_t j = 0; j < (size_t)n; j++)
            for (size_t i = 0; i < (size_t)m; i++)
                z[i + j * ldc] = a * x[i + j * lda] + b * y[i + j * ldb];
    }
}

/* cblas_?scal per column: the tile may have lda > m. */
void sbk_cpu_scale(sbk_precision prec, int m, int n, double alpha, void *A, int lda)
{
    for (size_t j = 0; j < (size_t)n; j++) {
        char *column = (char *)A + j * lda * (size_t)prec;
        if (alpha == 0.0)
            memset(column, 0, (size_t)m * prec);
        else if (prec == SBK_DOUBLE)
            cblas_dscal(m, alpha, (double *)column, 1);
        else
            cblas_sscal(m, (float)alpha, (float *)column, 1);
    }
}

/* The per-element sum is the CUDA kernel's too (partial_sum.h), so both devices give the same bits. */
void sbk_cpu_tile_sum(sbk_precision parts_prec, sbk_precision prec, int m, int n, int lower, const void *const *parts,
                      const int *ld, int nparts, void *C, int ldc)
{
    int dbl = parts_prec == SBK_DOUBLE;
    for (int c = 0; c < n; c++)
        for (int r = lower ? c : 0; r < m; r++) {
            double sum = 0.0;
            for (int p = 0; p < nparts; p++)
                sum = sbk_ann_add_partial(sum, parts[p], dbl, r + (size_t)c * ld[p]);
            sbk_elem_set(prec, C, r + (size_t)c * ldc, sum);
        }
}

uint64_t sbk_cpu_mcpi_count(uint64_t seed, uint64_t first, uint64_t count)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < count; i++)
        n += sbk_mcpi_inside(seed, first + i);
    return n;
}
