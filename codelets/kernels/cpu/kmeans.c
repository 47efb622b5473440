/* k-means CPU kernels over plain pointers (kmeans_kernels.h): the assignment
 * step as one BLAS GEMM per chunk of rows and an argmin, and the two passes of
 * k-means++ seeding. Every sum runs over the rows in their order, so a tile
 * gives the same bits on whichever core runs it. */
#include <cblas.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "../common/kmeans_kernels.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* scores (k × n, leading dimension k) = ||c_j||^2 - 2 C X[0:n, :]^T: the
 * centroids' norms (cnorm, in X's precision) copied into each column, then
 * one GEMM with beta = 1. */
ALWAYS_INLINE void chunk_scores(const int dbl, int n, int vars, int k, const void *X, size_t ldx, const void *C,
                                size_t ldc, const void *cnorm, void *scores)
{
    size_t bytes = (size_t)k * (dbl ? sizeof(double) : sizeof(float));
    for (int i = 0; i < n; i++)
        memcpy((char *)scores + i * bytes, cnorm, bytes);
    if (dbl)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, k, n, vars, -2.0, (const double *)C, (int)ldc,
                    (const double *)X, (int)ldx, 1.0, (double *)scores, k);
    else
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasTrans, k, n, vars, -2.0f, (const float *)C, (int)ldc,
                    (const float *)X, (int)ldx, 1.0f, (float *)scores, k);
}

/* norms[i] += x_i^2 for one column of n values at x, two rows at a time
 * where there is SSE2 (each row's sum in the same order: the same bits). */
ALWAYS_INLINE void add_squares(const int dbl, int n, const void *x, double *norms)
{
    int i = 0;
#ifdef __SSE2__
    for (; i + 2 <= n; i += 2) {
        __m128d v = dbl ? _mm_loadu_pd((const double *)x + i)
                        : _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i_u *)((const float *)x + i))));
        _mm_storeu_pd(norms + i, _mm_add_pd(_mm_loadu_pd(norms + i), _mm_mul_pd(v, v)));
    }
#endif
    for (; i < n; i++) {
        double v = sbk_kmeans_at(x, dbl, i);
        norms[i] += v * v;
    }
}

/* norms[i] += x_i^2 + y_i^2 + z_i^2 + w_i^2, added in that order, for four
 * columns at x, ldx apart: one load and store of norms per four columns. */
ALWAYS_INLINE void add_squares4(const int dbl, int n, const void *x, size_t ldx, double *norms)
{
    size_t es = dbl ? sizeof(double) : sizeof(float);
    const char *c0 = x, *c1 = c0 + ldx * es, *c2 = c1 + ldx * es, *c3 = c2 + ldx * es;
    int i = 0;
#ifdef __SSE2__
    for (; dbl && i + 2 <= n; i += 2) {
        __m128d v0 = _mm_loadu_pd((const double *)c0 + i), v1 = _mm_loadu_pd((const double *)c1 + i);
        __m128d v2 = _mm_loadu_pd((const double *)c2 + i), v3 = _mm_loadu_pd((const double *)c3 + i);
        __m128d sum = _mm_add_pd(_mm_loadu_pd(norms + i), _mm_mul_pd(v0, v0));
        sum = _mm_add_pd(_mm_add_pd(_mm_add_pd(sum, _mm_mul_pd(v1, v1)), _mm_mul_pd(v2, v2)), _mm_mul_pd(v3, v3));
        _mm_storeu_pd(norms + i, sum);
    }
#endif
    for (; i < n; i++) {
        double v0 = sbk_kmeans_at(c0, dbl, i), v1 = sbk_kmeans_at(c1, dbl, i);
        double v2 = sbk_kmeans_at(c2, dbl, i), v3 = sbk_kmeans_at(c3, dbl, i);
        norms[i] = norms[i] + v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3;
    }
}

/* norms[i] = ||x_i||^2 for the n rows at X, accumulated column by column. */
ALWAYS_INLINE void row_norms(const int dbl, int n, int vars, const void *X, size_t ldx, double *norms)
{
    size_t es = dbl ? sizeof(double) : sizeof(float);
    for (int i = 0; i < n; i++)
        norms[i] = 0.0;
    int c = 0;
    for (; c + 4 <= vars; c += 4)
        add_squares4(dbl, n, (const char *)X + c * ldx * es, ldx, norms);
    for (; c < vars; c++)
        add_squares(dbl, n, (const char *)X + c * ldx * es, norms);
}

#ifdef __SSE2__
/* Eight (double) or sixteen (float) running minima at a time; min is exact,
 * so the order does not change the result. */
static double least_double(const double *s, int k)
{
    double low = s[0];
    int j = 0;
    if (k >= 8) {
        __m128d m0 = _mm_loadu_pd(s), m1 = _mm_loadu_pd(s + 2), m2 = _mm_loadu_pd(s + 4), m3 = _mm_loadu_pd(s + 6);
        for (j = 8; j + 8 <= k; j += 8) {
            m0 = _mm_min_pd(_mm_loadu_pd(s + j), m0), m1 = _mm_min_pd(_mm_loadu_pd(s + j + 2), m1);
            m2 = _mm_min_pd(_mm_loadu_pd(s + j + 4), m2), m3 = _mm_min_pd(_mm_loadu_pd(s + j + 6), m3);
        }
        double lanes[2];
        _mm_storeu_pd(lanes, _mm_min_pd(_mm_min_pd(m0, m1), _mm_min_pd(m2, m3)));
        low = lanes[0] < lanes[1] ? lanes[0] : lanes[1];
    }
    for (; j < k; j++)
        low = s[j] < low ? s[j] : low;
    return low;
}

static double least_float(const float *s, int k)
{
    float low = s[0];
    int j = 0;
    if (k >= 16) {
        __m128 m0 = _mm_loadu_ps(s), m1 = _mm_loadu_ps(s + 4), m2 = _mm_loadu_ps(s + 8), m3 = _mm_loadu_ps(s + 12);
        for (j = 16; j + 16 <= k; j += 16) {
            m0 = _mm_min_ps(_mm_loadu_ps(s + j), m0), m1 = _mm_min_ps(_mm_loadu_ps(s + j + 4), m1);
            m2 = _mm_min_ps(_mm_loadu_ps(s + j + 8), m2), m3 = _mm_min_ps(_mm_loadu_ps(s + j + 12), m3);
        }
        float lanes[4];
        _mm_storeu_ps(lanes, _mm_min_ps(_mm_min_ps(m0, m1), _mm_min_ps(m2, m3)));
        for (int l = 0; l < 4; l++)
            low = lanes[l] < low ? lanes[l] : low;
    }
    for (; j < k; j++)
        low = s[j] < low ? s[j] : low;
    return low;
}
#else
static double least_double(const double *s, int k)
{
    double low = s[0];
    for (int j = 1; j < k; j++)
        low = s[j] < low ? s[j] : low;
    return low;
}

static double least_float(const float *s, int k)
{
    float low = s[0];
    for (int j = 1; j < k; j++)
        low = s[j] < low ? s[j] : low;
    return low;
}
#endif

double sbk_kmeans_least_cpu(const void *scores, int dbl, int k)
{
    return dbl ? least_double(scores, k) : least_float(scores, k);
}

/* sbk_kmeans_first_least on contiguous scores, compared a vector at a time. */
static int first_least(const void *scores, int dbl, int k, double low)
{
    int j = 0;
#ifdef __SSE2__
    if (dbl) {
        const double *s = scores;
        __m128d l = _mm_set1_pd(low);
        for (; j + 4 <= k; j += 4) {
            int mask = _mm_movemask_pd(_mm_cmpeq_pd(_mm_loadu_pd(s + j), l)) |
                       _mm_movemask_pd(_mm_cmpeq_pd(_mm_loadu_pd(s + j + 2), l)) << 2;
            if (mask)
                return j + __builtin_ctz(mask);
        }
    } else {
        const float *s = scores;
        __m128 l = _mm_set1_ps((float)low);
        for (; j + 8 <= k; j += 8) {
            int mask = _mm_movemask_ps(_mm_cmpeq_ps(_mm_loadu_ps(s + j), l)) |
                       _mm_movemask_ps(_mm_cmpeq_ps(_mm_loadu_ps(s + j + 4), l)) << 4;
            if (mask)
                return j + __builtin_ctz(mask);
        }
    }
#endif
    size_t es = dbl ? sizeof(double) : sizeof(float);
    return j + sbk_kmeans_first_least((const char *)scores + j * es, 1, dbl, k - j, low);
}

int sbk_kmeans_first_least_cpu(const void *scores, int dbl, int k, double low)
{
    return first_least(scores, dbl, k, low);
}

/* Labels, distances, counts and inertia of n points from their scores. */
ALWAYS_INLINE void chunk_nearest(const int dbl, int n, int k, const void *scores, const double *xnorm, int *labels,
                                 double *dist, double *partial, int vars)
{
    size_t ldp = vars + 1, es = dbl ? sizeof(double) : sizeof(float);
    double changed = 0.0, inertia = 0.0;
    for (int i = 0; i < n; i++) {
        const char *col = (const char *)scores + (size_t)i * k * es;
        double low = dbl ? least_double((const double *)col, k) : least_float((const float *)col, k);
        int label = first_least(col, dbl, k, low);
        dist[i] = sbk_kmeans_distance(xnorm[i], low);
        changed += labels[i] != label;
        labels[i] = label;
        inertia += dist[i];
        partial[vars + label * ldp] += 1.0;
    }
    partial[sbk_kmeans_inertia_at(vars, k)] += inertia;
    partial[sbk_kmeans_changed_at(vars, k)] += changed;
}

/* sums[c + labels[i] * ldp] += x_ic for four columns c at x (ldx apart) and
 * the n rows in order: one load and store of a cluster's four sums per row. */
ALWAYS_INLINE void add_to_sums4(const int dbl, int n, const void *x, size_t ldx, const int *labels, double *sums,
                                size_t ldp)
{
    size_t es = dbl ? sizeof(double) : sizeof(float);
    const char *c0 = x, *c1 = c0 + ldx * es, *c2 = c1 + ldx * es, *c3 = c2 + ldx * es;
    for (int i = 0; i < n; i++) {
        double *sum = sums + labels[i] * ldp;
#ifdef __SSE2__
        __m128d lo = _mm_set_pd(sbk_kmeans_at(c1, dbl, i), sbk_kmeans_at(c0, dbl, i));
        __m128d hi = _mm_set_pd(sbk_kmeans_at(c3, dbl, i), sbk_kmeans_at(c2, dbl, i));
        _mm_storeu_pd(sum, _mm_add_pd(_mm_loadu_pd(sum), lo));
        _mm_storeu_pd(sum + 2, _mm_add_pd(_mm_loadu_pd(sum + 2), hi));
#else
        sum[0] += sbk_kmeans_at(c0, dbl, i), sum[1] += sbk_kmeans_at(c1, dbl, i);
        sum[2] += sbk_kmeans_at(c2, dbl, i), sum[3] += sbk_kmeans_at(c3, dbl, i);
#endif
    }
}

ALWAYS_INLINE void assign_chunk(const int dbl, int n, int vars, int k, const void *Xc, size_t ldx, const void *C,
                                size_t ldc, const void *cnorm, int *labels, double *dist, double *partial,
                                double *xnorm, void *scores)
{
    size_t ldp = vars + 1, es = dbl ? sizeof(double) : sizeof(float);
    chunk_scores(dbl, n, vars, k, Xc, ldx, C, ldc, cnorm, scores);
    row_norms(dbl, n, vars, Xc, ldx, xnorm);
    chunk_nearest(dbl, n, k, scores, xnorm, labels, dist, partial, vars);
    int c = 0;
    for (; c + 4 <= vars; c += 4)
        add_to_sums4(dbl, n, (const char *)Xc + c * ldx * es, ldx, labels, partial + c, ldp);
    for (; c < vars; c++)
        for (int i = 0; i < n; i++)
            partial[c + labels[i] * ldp] += sbk_kmeans_at(Xc, dbl, i + c * ldx);
}

void sbk_kmeans_assign_cpu(int dbl, int rows, int vars, int k, const void *X, size_t ldx, const void *C, size_t ldc,
                           const double *cnorm, int *labels, double *dist, double *partial, void *scratch)
{
    size_t es = dbl ? sizeof(double) : sizeof(float);
    memset(partial, 0, (size_t)(vars + 1) * (k + 1) * sizeof *partial);
    double *xnorm = scratch;
    void *cn = xnorm + SBK_KMEANS_CHUNK, *scores = (char *)cn + (size_t)k * sizeof(double);
    for (int j = 0; j < k; j++) /* the norms as the scores hold them */
        if (dbl)
            ((double *)cn)[j] = cnorm[j];
        else
            ((float *)cn)[j] = (float)cnorm[j];
    for (int r0 = 0; r0 < rows; r0 += SBK_KMEANS_CHUNK) {
        int n = rows - r0 < SBK_KMEANS_CHUNK ? rows - r0 : SBK_KMEANS_CHUNK;
        const char *Xc = (const char *)X + r0 * es;
        if (dbl)
            assign_chunk(1, n, vars, k, Xc, ldx, C, ldc, cn, labels + r0, dist + r0, partial, xnorm, scores);
        else
            assign_chunk(0, n, vars, k, Xc, ldx, C, ldc, cn, labels + r0, dist + r0, partial, xnorm, scores);
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
