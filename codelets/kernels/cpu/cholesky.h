/* Plain-pointer CPU kernels of the Gram-matrix solves (the ANN's outer solve,
 * SolveBak's block-exact batches): a Cholesky factor that falls back on the
 * ridges of kernels/common/ridge.h, and solves through it. Column-major n × n
 * doubles, leading dimension n, lower triangles only. No StarPU:
 * tests/test_kernels.c checks them alone. */
#ifndef STARBAK_KERNELS_CPU_CHOLESKY_H
#define STARBAK_KERNELS_CPU_CHOLESKY_H

/* Which ridges to try: `first` (0: none), then each sbk_ridge_next(ridge,
 * growth, ...) after it, `attempts` in all; a factor is refused when a pivot²
 * falls below min_pivot times its column's diagonal (0: only when dpotrf fails). */
struct sbk_ridge_policy {
    double first, growth;
    int attempts;
    double min_pivot;
};

/* L = the Cholesky factor of G + ridge I for the first ridge of the policy
 * that gives one (G is not written). Returns the attempts it took, 0 when
 * none did; *ridge is the last ridge tried. */
int sbk_cpu_ridge_cholesky(int n, const double *G, double *L, const struct sbk_ridge_policy *policy, double *ridge);

/* b = (L L^T)^{-1} b, L from sbk_cpu_ridge_cholesky. */
void sbk_cpu_cholesky_solve(int n, const double *L, double *b);

#endif
