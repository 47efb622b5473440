/* The Gram solves' Cholesky on a CPU core: LAPACKE dpotrf and dpotrs. */
#include <lapacke.h>
#include <string.h>
#include "cholesky.h"
#include "../common/ridge.h"

/* 1 when L = chol(G + ridge I) exists and no pivot is below the policy's floor. */
static int factor(int n, const double *G, double *L, double ridge, double min_pivot)
{
    memcpy(L, G, (size_t)n * n * sizeof *L);
    for (int k = 0; k < n; k++)
        L[k + (size_t)k * n] += ridge;
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, L, n) != 0)
        return 0;
    for (int k = 0; k < n; k++)
        if (L[k + (size_t)k * n] * L[k + (size_t)k * n] < min_pivot * (G[k + (size_t)k * n] + ridge))
            return 0;
    return 1;
}

int sbk_cpu_ridge_cholesky(int n, const double *G, double *L, const struct sbk_ridge_policy *policy, double *ridge)
{
    double trace = 0.0;
    for (int k = 0; k < n; k++)
        trace += G[k + (size_t)k * n];
    *ridge = policy->first;
    for (int attempt = 1; attempt <= policy->attempts; attempt++) {
        if (factor(n, G, L, *ridge, policy->min_pivot))
            return attempt;
        if (attempt < policy->attempts)
            *ridge = sbk_ridge_next(*ridge, policy->growth, trace, n);
    }
    return 0;
}

void sbk_cpu_cholesky_solve(int n, const double *L, double *b)
{
    LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', n, 1, L, n, b, n);
}
