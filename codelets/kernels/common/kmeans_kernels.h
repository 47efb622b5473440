/* k-means kernels over plain pointers (no StarPU here): the per-element math
 * that the CPU kernels, the CUDA kernel (kmeans_assign_cuda.cu) and the tests
 * share, and the CPU kernels the codelets (kmeans_assign.c, kmeans_init.c)
 * call. Matrices are column-major with explicit leading dimensions; `dbl`
 * says whether X's precision is double (else float). */
#ifndef STARBAK_KMEANS_KERNELS_H
#define STARBAK_KMEANS_KERNELS_H

#include <stddef.h>
#include "mcpi_sample.h" /* SBK_HOST_DEVICE */

/* Rows of a tile whose centroid distances are formed at once by one GEMM
 * (CPU): k × 256 scores stay in cache between the GEMM and the argmin. */
enum { SBK_KMEANS_CHUNK = 256 };

/* Element k of a float or double array, as a double. */
SBK_HOST_DEVICE static inline double sbk_kmeans_at(const void *a, int dbl, size_t k)
{
    return dbl ? ((const double *)a)[k] : (double)((const float *)a)[k];
}

/* The part of ||x - c_j||^2 that depends on j: ||c_j||^2 - 2 x . c_j. */
SBK_HOST_DEVICE static inline double sbk_kmeans_score(double cnorm, double dot)
{
    return cnorm - 2.0 * dot;
}

/* The label of a point: the first j whose score (scores[j * stride], X's
 * precision) equals the least one, low. */
SBK_HOST_DEVICE static inline int sbk_kmeans_first_least(const void *scores, size_t stride, int dbl, int k, double low)
{
    for (int j = 0; j < k; j++)
        if (sbk_kmeans_at(scores, dbl, (size_t)j * stride) == low)
            return j;
    return 0;
}

/* The squared distance of a point of squared norm xnorm to its centroid, from
 * the least score: never below 0 (the formula's rounding can go there for a
 * point on its centroid). */
SBK_HOST_DEVICE static inline double sbk_kmeans_distance(double xnorm, double low)
{
    double d = xnorm + low;
    return d > 0.0 ? d : 0.0;
}

/* The nearest of k centroids to a point from its dot products with them
 * (dots[j * stride], X's precision), their squared norms and its own: the
 * first j of least score (ties to the lower index), *dist its squared
 * distance. The CUDA kernel's whole step; the CPU takes its scores from the
 * GEMM and the least one by SIMD (sbk_kmeans_least_cpu), then the same
 * sbk_kmeans_first_least and sbk_kmeans_distance. */
SBK_HOST_DEVICE static inline int sbk_kmeans_nearest(const void *dots, size_t stride, int dbl, int k,
                                                     const double *cnorm, double xnorm, double *dist)
{
    int best = 0;
    double low = sbk_kmeans_score(cnorm[0], sbk_kmeans_at(dots, dbl, 0));
    for (int j = 1; j < k; j++) {
        double s = sbk_kmeans_score(cnorm[j], sbk_kmeans_at(dots, dbl, (size_t)j * stride));
        if (s < low)
            low = s, best = j;
    }
    *dist = sbk_kmeans_distance(xnorm, low);
    return best;
}

/* Layout of a tile's partial result, a (vars + 1) × (k + 1) double matrix of
 * leading dimension ldp = vars + 1: column j < k holds the sum of the rows
 * assigned to centroid j, then their count; column k holds the inertia (sum of
 * squared distances), then how many labels changed. */
SBK_HOST_DEVICE static inline size_t sbk_kmeans_inertia_at(int vars, int k) { return (size_t)k * (vars + 1); }
SBK_HOST_DEVICE static inline size_t sbk_kmeans_changed_at(int vars, int k) { return (size_t)k * (vars + 1) + 1; }

/* One row tile's assignment step: rows × vars points X (ldx), k centroids C
 * (k × vars, ldc, X's precision) of squared norms cnorm; writes each point's
 * label (read first: a change is counted) and squared distance, and the
 * partial (zeroed here). scratch: sbk_kmeans_scratch_bytes(k, dbl) bytes.
 * Sums run over the rows in order: the same bits on any core. */
static inline size_t sbk_kmeans_scratch_bytes(int k, int dbl)
{
    return SBK_KMEANS_CHUNK * sizeof(double) + (SBK_KMEANS_CHUNK + (size_t)1) * k * (dbl ? sizeof(double) : sizeof(float)) +
           (size_t)k * sizeof(double);
}
void sbk_kmeans_assign_cpu(int dbl, int rows, int vars, int k, const void *X, size_t ldx, const void *C, size_t ldc,
                           const double *cnorm, int *labels, double *dist, double *partial, void *scratch);

/* The CPU's SIMD forms of the argmin (the same results as the scalar
 * functions above): the least of k contiguous scores in X's precision, and
 * the first index holding it. */
double sbk_kmeans_least_cpu(const void *scores, int dbl, int k);
int sbk_kmeans_first_least_cpu(const void *scores, int dbl, int k, double low);

/* k-means++ seeding on one row tile, in double: closest[r] is row r's squared
 * distance to the nearest centroid chosen so far. potentials[t] = sum over the
 * rows of min(closest[r], ||x_r - cand_t||^2) for the ncand candidates (ncand
 * × vars, ldcand). */
void sbk_kmeans_pp_potentials_cpu(int dbl, int rows, int vars, const void *X, size_t ldx, const double *closest,
                                  int ncand, const double *cand, size_t ldcand, double *potentials);
/* closest[r] = min(closest[r], ||x_r - c||^2) (first: = ||x_r - c||^2) for
 * the new centroid c (vars values); *total = their sum over the rows. */
void sbk_kmeans_pp_update_cpu(int dbl, int rows, int vars, const void *X, size_t ldx, const double *c, int first,
                              double *closest, double *total);

#endif
