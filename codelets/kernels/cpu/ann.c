/* The ANN hidden layer's kernels on a CPU core: OpenBLAS gemm, syrk and gemv
 * around the vectorised activation. */
#include <cblas.h>
#include "ann.h"

void sbk_cpu_ann_hidden(sbk_precision prec, int rows, int vars, int neurons, int bias, const void *X, int ldx,
                        const void *W, int ldw, void *H, int ldh)
{
    if (prec == SBK_DOUBLE) {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, rows, neurons, vars, 1.0, X, ldx, W, ldw, 0.0, H, ldh);
        sbk_ann_activate_cpu_d(H, ldh, rows, neurons, bias, (const double *)W + vars, ldw);
    } else {
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, rows, neurons, vars, 1.0f, X, ldx, W, ldw, 0.0f, H,
                    ldh);
        sbk_ann_activate_cpu_f(H, ldh, rows, neurons, bias, (const float *)W + vars, ldw);
    }
}

void sbk_cpu_ann_normal(sbk_precision prec, int rows, int vars, int neurons, int bias, int chunk, const void *X,
                        int ldx, const void *y, const void *W, int ldw, void *H, int ldh, void *P, int ldp, void *q)
{
    int ncol = neurons + bias;
    for (int r0 = 0; r0 < rows; r0 += chunk) {
        int h = rows - r0 < chunk ? rows - r0 : chunk;
        double beta = r0 == 0 ? 0.0 : 1.0;
        sbk_cpu_ann_hidden(prec, h, vars, neurons, bias, (const char *)X + (size_t)r0 * prec, ldx, W, ldw, H, ldh);
        if (prec == SBK_DOUBLE) {
            cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, ncol, h, 1.0, H, ldh, beta, P, ldp);
            cblas_dgemv(CblasColMajor, CblasTrans, h, ncol, 1.0, H, ldh, (const double *)y + r0, 1, beta, q, 1);
        } else {
            cblas_ssyrk(CblasColMajor, CblasLower, CblasTrans, ncol, h, 1.0f, H, ldh, (float)beta, P, ldp);
            cblas_sgemv(CblasColMajor, CblasTrans, h, ncol, 1.0f, H, ldh, (const float *)y + r0, 1, (float)beta, q,
                        1);
        }
    }
}

void sbk_cpu_ann_predict(sbk_precision prec, int rows, int vars, int neurons, int bias, int chunk, const void *X,
                         int ldx, const void *W, int ldw, const void *v, void *H, int ldh, void *yhat)
{
    int ncol = neurons + bias;
    for (int r0 = 0; r0 < rows; r0 += chunk) {
        int h = rows - r0 < chunk ? rows - r0 : chunk;
        sbk_cpu_ann_hidden(prec, h, vars, neurons, bias, (const char *)X + (size_t)r0 * prec, ldx, W, ldw, H, ldh);
        if (prec == SBK_DOUBLE)
            cblas_dgemv(CblasColMajor, CblasNoTrans, h, ncol, 1.0, H, ldh, v, 1, 0.0, (double *)yhat + r0, 1);
        else
            cblas_sgemv(CblasColMajor, CblasNoTrans, h, ncol, 1.0f, H, ldh, v, 1, 0.0f, (float *)yhat + r0, 1);
    }
}
