/* Plain-pointer CPU kernels of the ANN's hidden layer (codelets/ann/ann_hidden.c):
 * column-major blocks given by a pointer and a leading dimension, float or
 * double by prec. No StarPU: tests/test_kernels.c checks them alone.
 * W is (vars + 1) × neurons (weights, then the bias row; its leading dimension
 * may be larger); H has neurons + bias columns, the last one the column of
 * ones when bias is set. */
#ifndef STARBAK_KERNELS_CPU_ANN_H
#define STARBAK_KERNELS_CPU_ANN_H

#include <stddef.h>
#include <starbak/starbak.h>

/* H = [tanh(X W^T + b) | 1] on rows × vars X (ann_activation_cpu.c vectorises the tanh). */
void sbk_cpu_ann_hidden(sbk_precision prec, int rows, int vars, int neurons, int bias, const void *X, int ldx,
                        const void *W, int ldw, void *H, int ldh);

/* The outer layer's normal equations on a row block, chunk rows of H at a
 * time (H: chunk × (neurons + bias) scratch): P = H^T H (lower), q = H^T y. */
void sbk_cpu_ann_normal(sbk_precision prec, int rows, int vars, int neurons, int bias, int chunk, const void *X,
                        int ldx, const void *y, const void *W, int ldw, void *H, int ldh, void *P, int ldp, void *q);

/* yhat = H v on a row block, chunk rows of H at a time. */
void sbk_cpu_ann_predict(sbk_precision prec, int rows, int vars, int neurons, int bias, int chunk, const void *X,
                         int ldx, const void *W, int ldw, const void *v, void *H, int ldh, void *yhat);

/* H[:, k] = tanh(H[:, k] + bias[k * bias_stride]) for k < neurons, then a
 * column of ones when `ones` is set (ann_activation_cpu.c). */
void sbk_ann_activate_cpu_d(double *H, size_t ld, int rows, int neurons, int ones, const double *bias,
                            size_t bias_stride);
void sbk_ann_activate_cpu_f(float *H, size_t ld, int rows, int neurons, int ones, const float *bias,
                            size_t bias_stride);

#endif
