/* Plain-pointer CPU kernels of the ANN (codelets/ann/): the hidden layer, the
 * inner layer's least squares and the outer solve, on column-major blocks
 * given by a pointer and a leading dimension, float or double by prec. No
 * StarPU: tests/test_kernels.c checks them alone.
 * W is (vars + 1) × neurons (weights, then the bias row; its leading dimension
 * may be larger); H has neurons + bias columns, the last one the column of
 * ones when bias is set. */
#ifndef STARBAK_KERNELS_CPU_ANN_H
#define STARBAK_KERNELS_CPU_ANN_H

#include <stddef.h>
#include <starbak/starbak.h>
#include "cholesky.h"

struct sbk_ann_draws; /* kernels/common/ann_draws.h */

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

/* The inner layer on a block of neurons first .. first + count - 1: each one's
 * draws (ann_draws.h; random_attempts of them unless it fits a cluster) are
 * solved in least squares in double until one is accepted; column j of W
 * ((vars + 1) × count in X's precision) gets its weights and bias, or zeros,
 * and draws_used[j] the draws it took, or SBK_ANN_DROPPED (every neuron is
 * dropped when its workspace or d's tile table could not be allocated). */
void sbk_cpu_ann_inner(const struct sbk_ann_draws *d, int first, int count, int random_attempts, void *W, int ldw,
                       int *draws_used);

/* The outer layer's row-block partials, all in prec and laid out alike: P[i]
 * (n × n lower triangles, leading dimension ldp) and q[i] (n values). */
struct sbk_ann_partials {
    sbk_precision prec;
    int n, nparts;
    const void *const *P, *const *q;
    size_t ldp;
};

/* v (n values in v_prec) = (sum P_i + ridge I)^{-1} sum q_i, the ridge the
 * first of the policy that factors; G, L (n × n) and b (n) are workspace.
 * Returns 1 and the ridge in *ridge_used, or 0 (v and *ridge_used unwritten)
 * when none does. */
int sbk_cpu_ann_solve(const struct sbk_ann_partials *p, const struct sbk_ridge_policy *policy, double *G, double *L,
                      double *b, sbk_precision v_prec, void *v, double *ridge_used);

#endif
