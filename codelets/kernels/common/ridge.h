/* The ridges a Cholesky of a Gram matrix (a batch's X_J^T X_J in SolveBak,
 * H^T H in the ANN's outer solve) falls back on when the matrix is singular in
 * floating point (dependent columns, or neurons): the first is SBK_RIDGE_FIRST
 * times the mean diagonal trace / n (1 when the diagonal is empty or zero),
 * small enough to leave a well-posed solution as it was to rounding, and each
 * next one a fixed factor larger. Host code shared by the CPU and CUDA paths,
 * which must try the same ridges to factor the same bits. */
#ifndef STARBAK_KERNELS_RIDGE_H
#define STARBAK_KERNELS_RIDGE_H

#define SBK_RIDGE_FIRST 1e-12

static inline double sbk_ridge_first(double trace, int n) { return SBK_RIDGE_FIRST * (trace > 0 ? trace / n : 1.0); }

/* The ridge to try after `ridge` failed: the first one after none (0), else growth times more. */
static inline double sbk_ridge_next(double ridge, double growth, double trace, int n)
{
    return ridge > 0 ? ridge * growth : sbk_ridge_first(trace, n);
}

#endif
