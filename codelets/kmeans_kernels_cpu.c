/* k-means CPU kernels over plain pointers (kmeans_kernels.h): the assignment
 * step as one BLAS GEMM per chunk of rows and an argmin, and the two passes of
 * k-means++ seeding. Every sum runs over the rows in their order, so a tile
 * gives the same bits on whichever core runs it. */
#include <cblas.h>
#include <string.h>
#include "kmeans_kernels.h"

/* dots (k × n, leading dimension k) = C X[0:n, :]^T: the dot products of n
 * points with the k centroids, one point per column. */
static void chunk_dots(int dbl, int n, int vars, int k, const void *X, size_t ldx, const void *C, size_t ldc,
                       void *dots)
{
    if (dbl)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, k, n, vars, 1.0, (const double *)C, (int)ldc,
                    (const double *)X, (int)ldx, 0.0, (double *)dots, k);
    else
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasTrans, k, n, vars, 1.0f, (const float *)C, (int)ldc,
                    (const float *)X, (int)ldx, 0.0f, (float *)dots, k);
}

/* norms[i] = ||x_i||^2 for the n rows at X, accumulated column by column. */
static void row_norms(int dbl, int n, int vars, const void *X, size_t ldx, double *norms)
{
    for (int i = 0; i < n; i++)
        norms[i] = 0.0;
    for (int c = 0; c < vars; c++)
        for (int i = 0; i < n; i++) {
            double v = sbk_kmeans_at(X, dbl, i + c * ldx);
            norms[i] += v * v;
        }
}

/* Labels, distances, counts and inertia of n points from their dots; the
 * float and double calls are separate so that each inlines its own loop. */
static void chunk_nearest(int dbl, int n, int k, const void *dots, const double *cnorm, const double *xnorm,
                          int *labels, double *dist, double *partial, int vars)
{
    size_t ldp = vars + 1, es = dbl ? sizeof(double) : sizeof(float);
    double changed = 0.0, inertia = 0.0;
    for (int i = 0; i < n; i++) {
        const char *col = (const char *)dots + (size_t)i * k * es;
        int label = dbl ? sbk_kmeans_nearest(col, 1, 1, k, cnorm, xnorm[i], &dist[i])
                        : sbk_kmeans_nearest(col, 1, 0, k, cnorm, xnorm[i], &dist[i]);
        changed += labels[i] != label;
        labels[i] = label;
        inertia += dist[i];
        partial[vars + label * ldp] += 1.0;
    }
    partial[sbk_kmeans_inertia_at(vars, k)] += inertia;
    partial[sbk_kmeans_changed_at(vars, k)] += changed;
}

void sbk_kmeans_assign_cpu(int dbl, int rows, int vars, int k, const void *X, size_t ldx, const void *C, size_t ldc,
                           const double *cnorm, int *labels, double *dist, double *partial, void *scratch)
{
    size_t ldp = vars + 1, es = dbl ? sizeof(double) : sizeof(float);
    memset(partial, 0, ldp * (k + 1) * sizeof *partial);
    double *xnorm = scratch;
    void *dots = xnorm + SBK_KMEANS_CHUNK;
    for (int r0 = 0; r0 < rows; r0 += SBK_KMEANS_CHUNK) {
        int n = rows - r0 < SBK_KMEANS_CHUNK ? rows - r0 : SBK_KMEANS_CHUNK;
        const char *Xc = (const char *)X + r0 * es;
        chunk_dots(dbl, n, vars, k, Xc, ldx, C, ldc, dots);
        row_norms(dbl, n, vars, Xc, ldx, xnorm);
        chunk_nearest(dbl, n, k, dots, cnorm, xnorm, labels + r0, dist + r0, partial, vars);
        for (int c = 0; c < vars; c++)
            for (int i = 0; i < n; i++)
                partial[c + labels[r0 + i] * ldp] += sbk_kmeans_at(Xc, dbl, i + c * ldx);
    }
}

/* acc[i] = ||x_i - c||^2 for n rows, c given by vars values at stride ldc. */
static void chunk_distances(int dbl, int n, int vars, const void *X, size_t ldx, const double *c, size_t ldc,
                            double *acc)
{
    for (int i = 0; i < n; i++)
        acc[i] = 0.0;
    for (int v = 0; v < vars; v++)
        for (int i = 0; i < n; i++) {
            double d = sbk_kmeans_at(X, dbl, i + v * ldx) - c[v * ldc];
            acc[i] += d * d;
        }
}

void sbk_kmeans_pp_potentials_cpu(int dbl, int rows, int vars, const void *X, size_t ldx, const double *closest,
                                  int ncand, const double *cand, size_t ldcand, double *potentials)
{
    size_t es = dbl ? sizeof(double) : sizeof(float);
    double acc[SBK_KMEANS_CHUNK];
    for (int t = 0; t < ncand; t++)
        potentials[t] = 0.0;
    for (int r0 = 0; r0 < rows; r0 += SBK_KMEANS_CHUNK) {
        int n = rows - r0 < SBK_KMEANS_CHUNK ? rows - r0 : SBK_KMEANS_CHUNK;
        for (int t = 0; t < ncand; t++) {
            chunk_distances(dbl, n, vars, (const char *)X + r0 * es, ldx, cand + t, ldcand, acc);
            for (int i = 0; i < n; i++)
                potentials[t] += acc[i] < closest[r0 + i] ? acc[i] : closest[r0 + i];
        }
    }
}

void sbk_kmeans_pp_update_cpu(int dbl, int rows, int vars, const void *X, size_t ldx, const double *c, int first,
                              double *closest, double *total)
{
    size_t es = dbl ? sizeof(double) : sizeof(float);
    double acc[SBK_KMEANS_CHUNK];
    *total = 0.0;
    for (int r0 = 0; r0 < rows; r0 += SBK_KMEANS_CHUNK) {
        int n = rows - r0 < SBK_KMEANS_CHUNK ? rows - r0 : SBK_KMEANS_CHUNK;
        chunk_distances(dbl, n, vars, (const char *)X + r0 * es, ldx, c, 1, acc);
        for (int i = 0; i < n; i++) {
            if (first || acc[i] < closest[r0 + i])
                closest[r0 + i] = acc[i];
            *total += closest[r0 + i];
        }
    }
}
