/* SolveBak's kernels on a CPU core: OpenBLAS gemv, dot and syrk. */
#include <cblas.h>
#include <string.h>
#include "solvebak.h"

/* y = alpha op(A) x + beta y and x^T x in prec: one call site for both precisions. */
static void gemv(sbk_precision prec, enum CBLAS_TRANSPOSE t, int m, int n, double alpha, const void *A, int lda,
                 const void *x, double beta, void *y)
{
    if (prec == SBK_DOUBLE)
        cblas_dgemv(CblasColMajor, t, m, n, alpha, A, lda, x, 1, beta, y, 1);
    else
        cblas_sgemv(CblasColMajor, t, m, n, (float)alpha, A, lda, x, 1, (float)beta, y, 1);
}

static double dot(sbk_precision prec, int n, const void *x)
{
    return prec == SBK_DOUBLE ? cblas_ddot(n, x, 1, x, 1) : cblas_sdot(n, x, 1, x, 1);
}

void sbk_cpu_solvebak_step(sbk_precision prec, int rows, void *e, const void *X_prev, int ld_prev, int prev_count,
                           const void *da, const void *X_cur, int ld_cur, int cur_count, void *p, int norm)
{
    if (prev_count)
        gemv(prec, CblasNoTrans, rows, prev_count, -1.0, X_prev, ld_prev, da, 1.0, e);
    if (cur_count)
        gemv(prec, CblasTrans, rows, cur_count, 1.0, X_cur, ld_cur, e, 0.0, p);
    if (norm)
        sbk_elem_set(prec, p, cur_count, dot(prec, rows, e));
}

void sbk_cpu_gram_partial(sbk_precision prec, int rows, int count, int whole, const void *X, int ld, void *q)
{
    if (whole && prec == SBK_DOUBLE)
        cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, count, rows, 1.0, X, ld, 0.0, q, count);
    else if (whole)
        cblas_ssyrk(CblasColMajor, CblasLower, CblasTrans, count, rows, 1.0f, X, ld, 0.0f, q, count);
    for (int k = 0; !whole && k < count; k++) {
        sbk_elem_set(prec, q, k, dot(prec, rows, (const char *)X + (size_t)k * ld * prec));
    }
}

void sbk_cpu_gram_form(sbk_precision prec, int rows, int nblocks, const void *const *blocks, const int *cols,
                       const int *ld, int accumulate, int chunk, void *W, void *M, int ldm)
{
    int n = 0;
    for (int t = 0; t < nblocks; t++)
        n += cols[t];
    for (int r0 = 0; r0 < rows; r0 += chunk) {
        int k = rows - r0 < chunk ? rows - r0 : chunk, col = 0;
        for (int t = 0; t < nblocks; t++)
            for (int c = 0; c < cols[t]; c++, col++)
                memcpy((char *)W + (size_t)col * k * prec,
                       (const char *)blocks[t] + (r0 + (size_t)c * ld[t]) * prec, (size_t)k * prec);
        int first = !accumulate && r0 == 0;
        if (prec == SBK_DOUBLE)
            cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, n, k, 1.0, W, k, first ? 0.0 : 1.0, M, ldm);
        else
            cblas_ssyrk(CblasColMajor, CblasLower, CblasTrans, n, k, 1.0f, W, k, first ? 0.0f : 1.0f, M, ldm);
    }
}
