/* k-means: the same iterates as a plain C Lloyd loop from the same centroids
 * (after 1, 2 and 10 iterations, and with one or three empty clusters re-seeded), inertia
 * never increasing, k-means++ and random starts, the same bits under another
 * scheduler and one CPU worker, the shared argmin, and every bad input. Both
 * precisions; obs not a multiple of the tile rows. */
#include <math.h>
#include "check.h"
#include "../codelets/kernels/common/kmeans_kernels.h"

enum { OBS = 1003, VARS = 7, MB = 128, K = 9 };

/* Nearest centroid by the plain formula sum (x - c)^2, ties to the lower index. */
static int nearest(const double *X, int obs, int vars, long i, const double *C, int k, double *dist)
{
    int best = 0;
    double low = INFINITY;
    for (int j = 0; j < k; j++) {
        double d = 0.0;
        for (int v = 0; v < vars; v++)
            d += (X[i + (size_t)v * obs] - C[j + (size_t)v * k]) * (X[i + (size_t)v * obs] - C[j + (size_t)v * k]);
        if (d < low)
            low = d, best = j;
    }
    *dist = low;
    return best;
}

/* Lloyd's iterations in double, with scikit-learn's re-seeding of one empty
 * cluster at a time from the farthest row; C (k × vars, ld k) in place. */
static void reference(const double *X, int obs, int vars, int k, int iterations, double *C, int *labels)
{
    double *sum = malloc((size_t)k * (vars + 1) * sizeof *sum), *dist = malloc(obs * sizeof *dist);
    for (int t = 0; t < iterations; t++) {
        memset(sum, 0, (size_t)k * (vars + 1) * sizeof *sum);
        for (long i = 0; i < obs; i++) {
            labels[i] = nearest(X, obs, vars, i, C, k, &dist[i]);
            for (int v = 0; v < vars; v++)
                sum[labels[i] + (size_t)v * k] += X[i + (size_t)v * obs];
            sum[labels[i] + (size_t)vars * k] += 1;
        }
        for (int j = 0; j < k; j++) {
            if (sum[j + (size_t)vars * k] > 0)
                continue;
            long far = 0;
            for (long i = 1; i < obs; i++)
                far = dist[i] > dist[far] ? i : far;
            for (int v = 0; v < vars; v++) {
                double x = X[far + (size_t)v * obs];
                sum[labels[far] + (size_t)v * k] -= x, sum[j + (size_t)v * k] = x;
            }
            sum[labels[far] + (size_t)vars * k] -= 1, sum[j + (size_t)vars * k] = 1;
            dist[far] = -1; /* taken */
        }
        for (int j = 0; j < k; j++)
            for (int v = 0; v < vars && sum[j + (size_t)vars * k] > 0; v++)
                C[j + (size_t)v * k] = sum[j + (size_t)v * k] / sum[j + (size_t)vars * k];
    }
    for (long i = 0; i < obs; i++)
        labels[i] = nearest(X, obs, vars, i, C, k, &dist[i]);
    free(sum), free(dist);
}

static double at(sbk_precision prec, const void *a, size_t i)
{
    return prec == SBK_DOUBLE ? ((const double *)a)[i] : ((const float *)a)[i];
}

/* X in prec and its double copy: uniform in [-1/2, 1/2), plus a shift per
 * group of rows so that the clusters are not all alike. */
static void make_data(sbk_precision prec, int obs, int vars, void *X, double *Xd)
{
    fill_uniform(prec, X, (size_t)obs * vars, 7);
    for (size_t i = 0; i < (size_t)obs * vars; i++) {
        double v = at(prec, X, i) + (double)((i % obs) % 3);
        prec == SBK_DOUBLE ? (((double *)X)[i] = v) : (((float *)X)[i] = (float)v);
        Xd[i] = at(prec, X, i);
    }
}

/* sbk_kmeans from the given centroids C0 (k × vars, X's precision). */
static int run(sbk_precision prec, void *X, int obs, int vars, int mb, int k, int iterations, const void *C0,
               void *C, int *labels, sbk_kmeans_report *r)
{
    sbk_matrix *dX;
    assert_int_equal(sbk_matrix_create(&dX, prec, X, obs, vars, obs, mb, vars), 0);
    sbk_kmeans_opts o;
    sbk_kmeans_opts_default(&o);
    o.k = k, o.max_iterations = iterations, o.tolerance = 0, o.init = SBK_KMEANS_GIVEN;
    memcpy(C, C0, (size_t)k * vars * prec);
    int ret = sbk_kmeans(dX, &o, C, labels, r);
    sbk_matrix_destroy(dX);
    return ret;
}

/* The first k rows as initial centroids (distinct, spread over the groups). */
static void first_rows(sbk_precision prec, const void *X, int obs, int vars, int k, void *C)
{
    for (int j = 0; j < k; j++)
        for (int v = 0; v < vars; v++) {
            double x = at(prec, X, j + (size_t)v * obs);
            prec == SBK_DOUBLE ? (((double *)C)[j + v * k] = x) : (((float *)C)[j + v * k] = (float)x);
        }
}

/* Compares run() with the reference: labels equal, centroids to rounding. */
static void check_against_reference(sbk_precision prec, void *X, const double *Xd, const void *C0, int iterations,
                                    int expect_reseeded)
{
    double *Cref = malloc(K * VARS * sizeof *Cref), tol = prec == SBK_DOUBLE ? 1e-12 : 2e-5;
    void *C = malloc(K * VARS * prec);
    int *labels = malloc(OBS * sizeof *labels), *lref = malloc(OBS * sizeof *lref);
    for (int a = 0; a < K * VARS; a++)
        Cref[a] = at(prec, C0, a);
    reference(Xd, OBS, VARS, K, iterations, Cref, lref);
    sbk_kmeans_report r;
    assert_int_equal(run(prec, X, OBS, VARS, MB, K, iterations, C0, C, labels, &r), 0);
    double err = 0.0;
    for (int a = 0; a < K * VARS; a++)
        err = fmax(err, fabs(at(prec, C, a) - Cref[a]) / (1.0 + fabs(Cref[a])));
    long differ = 0;
    for (int i = 0; i < OBS; i++)
        differ += labels[i] != lref[i];
    if (!(err < tol) || differ || (expect_reseeded && r.nreseeded == 0))
        print_error("%c, %d iterations: centroid error %.3e, %ld labels differ, %d re-seeded\n",
                    prec == SBK_DOUBLE ? 'd' : 's', iterations, err, differ, r.nreseeded);
    assert_true(err < tol);
    assert_int_equal(differ, 0);
    assert_true(r.iterations >= 1 && r.iterations <= iterations);
    if (expect_reseeded) /* the last expect_reseeded centroids, first of them first */
        assert_true(r.nreseeded >= expect_reseeded && r.reseeded_iteration[0] == 1 &&
                    r.reseeded_cluster[0] == K - expect_reseeded);
    sbk_kmeans_report_free(&r);
    free(Cref), free(C), free(labels), free(lref);
}

static void matches_the_plain_lloyd_loop(void **state)
{
    (void)state;
    for (sbk_precision prec = SBK_FLOAT; prec <= SBK_DOUBLE; prec += 4) {
        void *X = malloc((size_t)OBS * VARS * prec), *C0 = malloc(K * VARS * prec);
        double *Xd = malloc((size_t)OBS * VARS * sizeof *Xd);
        make_data(prec, OBS, VARS, X, Xd);
        first_rows(prec, X, OBS, VARS, K, C0);
        int counts[] = {1, 2, 10};
        for (int c = 0; c < 3; c++)
            check_against_reference(prec, X, Xd, C0, counts[c], 0);
        /* Centroids far from every row: empty at once, re-seeded from the
         * farthest rows, one, then three at a time. */
        for (int empty = 1; empty <= 3; empty += 2) {
            for (int j = K - empty; j < K; j++)
                for (int v = 0; v < VARS; v++)
                    prec == SBK_DOUBLE ? (((double *)C0)[j + v * K] = 50.0 + j) : (((float *)C0)[j + v * K] = 50.0f + j);
            check_against_reference(prec, X, Xd, C0, 10, empty);
        }
        free(X), free(C0), free(Xd);
    }
}

/* k-means++ and random starts: the iterations' inertia never increases, the
 * final one is at most the last; k-means++ puts one centroid in each of k
 * well-separated groups; random starts are k distinct rows. */
static void inertia_never_increases(void **state)
{
    (void)state;
    for (sbk_precision prec = SBK_FLOAT; prec <= SBK_DOUBLE; prec += 4)
        for (int init = SBK_KMEANS_PLUSPLUS; init <= SBK_KMEANS_RANDOM; init++) {
            void *X = malloc((size_t)OBS * VARS * prec), *C = malloc(20 * VARS * prec);
            double *Xd = malloc((size_t)OBS * VARS * sizeof *Xd);
            make_data(prec, OBS, VARS, X, Xd);
            sbk_matrix *dX;
            assert_int_equal(sbk_matrix_create(&dX, prec, X, OBS, VARS, OBS, MB, VARS), 0);
            sbk_kmeans_opts o;
            sbk_kmeans_opts_default(&o);
            o.k = 20, o.max_iterations = 30, o.tolerance = 0, o.init = init, o.seed = 3;
            sbk_kmeans_report r;
            assert_int_equal(sbk_kmeans(dX, &o, C, NULL, &r), 0);
            double slack = prec == SBK_DOUBLE ? 1e-12 : 1e-5;
            for (int t = 1; t < r.iterations; t++)
                assert_true(r.inertia[t] <= r.inertia[t - 1] * (1 + slack));
            assert_true(r.final_inertia <= r.inertia[r.iterations - 1] * (1 + slack));
            assert_true(r.final_inertia > 0);
            sbk_kmeans_report_free(&r);
            sbk_matrix_destroy(dX);
            free(X), free(C), free(Xd);
        }
}

/* Rows at k well-separated corners of a cube (plus small noise): k-means++'s
 * distance-weighted draws put one centroid near each, and max_iterations 0
 * leaves them as drawn, on rows of X. */
static void plusplus_spreads_and_random_takes_distinct_rows(void **state)
{
    (void)state;
    enum { N = 600, D = 3, G = 6 };
    double *X = malloc(N * D * sizeof *X), C[G * D];
    fill_uniform(SBK_DOUBLE, X, N * D, 9);
    for (int i = 0; i < N; i++)
        for (int v = 0; v < D; v++)
            X[i + v * N] = X[i + v * N] * 0.01 + 10.0 * ((i % G) >> v & 1); /* distinct corners */
    for (int init = SBK_KMEANS_PLUSPLUS; init <= SBK_KMEANS_RANDOM; init++) {
        sbk_matrix *dX;
        assert_int_equal(sbk_matrix_create(&dX, SBK_DOUBLE, X, N, D, N, 77, D), 0);
        sbk_kmeans_opts o;
        sbk_kmeans_opts_default(&o);
        o.k = G, o.max_iterations = 0, o.init = init, o.seed = 11;
        int labels[N];
        assert_int_equal(sbk_kmeans(dX, &o, C, labels, NULL), 0);
        sbk_matrix_destroy(dX);
        int rows[G], groups = 0;
        for (int j = 0; j < G; j++) {
            rows[j] = -1;
            for (int i = 0; i < N && rows[j] < 0; i++) {
                int same = 1;
                for (int v = 0; v < D; v++)
                    same &= X[i + v * N] == C[j + v * G];
                rows[j] = same ? i : -1;
            }
            assert_true(rows[j] >= 0); /* a row of X */
            for (int l = 0; l < j; l++)
                assert_true(rows[l] != rows[j]);
            groups |= 1 << (rows[j] % G);
        }
        if (init == SBK_KMEANS_PLUSPLUS)
            assert_int_equal(groups, (1 << G) - 1);
    }
    free(X);
}

/* sbk_kmeans on CPU workers under the scheduler in the environment, then
 * under eager on one CPU worker: the same bits (centroids, labels, inertia). */
static void same_bits_under_another_scheduler_and_one_worker(void **state)
{
    (void)state;
    for (sbk_precision prec = SBK_FLOAT; prec <= SBK_DOUBLE; prec += 4) {
        void *X = malloc((size_t)OBS * VARS * prec), *C[2];
        double *Xd = malloc((size_t)OBS * VARS * sizeof *Xd), inertia[2];
        int *labels[2];
        make_data(prec, OBS, VARS, X, Xd);
        const char *sched = getenv("STARPU_SCHED"), *ncpu = getenv("STARPU_NCPU");
        char *saved_sched = sched ? strdup(sched) : NULL, *saved_ncpu = ncpu ? strdup(ncpu) : NULL;
        for (int run = 0; run < 2; run++) {
            sbk_shutdown();
            setenv("STARPU_NCUDA", "0", 1); /* a GPU's atomic sums are not in a fixed order */
            if (run == 1)
                setenv("STARPU_SCHED", "eager", 1), setenv("STARPU_NCPU", "1", 1);
            assert_int_equal(sbk_init(), 0);
            sbk_matrix *dX;
            assert_int_equal(sbk_matrix_create(&dX, prec, X, OBS, VARS, OBS, MB, VARS), 0);
            sbk_kmeans_opts o;
            sbk_kmeans_opts_default(&o);
            o.k = K, o.max_iterations = 15, o.seed = 5;
            sbk_kmeans_report r;
            C[run] = malloc(K * VARS * prec), labels[run] = malloc(OBS * sizeof(int));
            assert_int_equal(sbk_kmeans(dX, &o, C[run], labels[run], &r), 0);
            inertia[run] = r.final_inertia;
            sbk_kmeans_report_free(&r);
            sbk_matrix_destroy(dX);
        }
        assert_memory_equal(C[0], C[1], K * VARS * prec);
        assert_memory_equal(labels[0], labels[1], OBS * sizeof(int));
        assert_memory_equal(&inertia[0], &inertia[1], sizeof(double));
        sbk_shutdown();
        saved_sched ? setenv("STARPU_SCHED", saved_sched, 1) : unsetenv("STARPU_SCHED");
        saved_ncpu ? setenv("STARPU_NCPU", saved_ncpu, 1) : unsetenv("STARPU_NCPU");
        unsetenv("STARPU_NCUDA");
        assert_int_equal(sbk_init(), 0);
        free(saved_sched), free(saved_ncpu), free(X), free(Xd);
        free(C[0]), free(C[1]), free(labels[0]), free(labels[1]);
    }
}

/* The argmin both devices use: the first least score, a distance never below 0. */
static void shared_argmin_takes_the_first_nearest(void **state)
{
    (void)state;
    double cnorm[] = {2.0, 1.0, 1.0, 5.0}, dots[] = {1.0, 0.0, 0.0, 2.0}, dist;
    /* scores 0, 1, 1, 1: centroid 0; x at it exactly, xnorm 0 -> distance 0 */
    assert_int_equal(sbk_kmeans_nearest(dots, 1, 1, 4, cnorm, 0.0, &dist), 0);
    assert_true(dist == 0.0);
    float fdots[] = {0.0f, 9.0f, 0.5f, 0.5f, 3.0f, 9.0f, 0.5f, 0.5f}; /* stride 2: 0, 0.5, 3, 0.5 */
    double cn[] = {1.0, 1.0, 7.0, 1.0};
    assert_int_equal(sbk_kmeans_nearest(fdots, 2, 0, 4, cn, 0.5, &dist), 1);
    assert_true(fabs(dist - 0.5) < 1e-15);
    double neg[] = {1.0}, nd[] = {0.5 + 1e-9};
    sbk_kmeans_nearest(nd, 1, 1, 1, neg, 0.0, &dist); /* 0 + 1 - 2(0.5 + 1e-9) < 0 */
    assert_true(dist == 0.0);
}

static int refused(sbk_matrix *X, sbk_kmeans_opts o, void *C, const char *expect, int code)
{
    sbk_kmeans_report r;
    int ret = sbk_kmeans(X, &o, C, NULL, &r);
    if (ret != code || !strstr(r.message, expect))
        print_error("expected %d '%s', got %d '%s'\n", code, expect, ret, r.message);
    return ret == code && strstr(r.message, expect);
}

static void bad_input_is_refused_with_its_cause(void **state)
{
    (void)state;
    for (sbk_precision prec = SBK_FLOAT; prec <= SBK_DOUBLE; prec += 4) {
        enum { N = 50, D = 4 };
        void *X = malloc(N * D * prec), *C = malloc(N * D * prec);
        fill_uniform(prec, X, N * D, 1);
        fill_uniform(prec, C, N * D, 2);
        sbk_matrix *dX, *narrow;
        assert_int_equal(sbk_matrix_create(&dX, prec, X, N, D, N, 16, D), 0);
        assert_int_equal(sbk_matrix_create(&narrow, prec, X, N, D, N, 16, 2), 0);
        sbk_kmeans_opts o, bad;
        sbk_kmeans_opts_default(&o);
        o.k = 3;
        bad = o, bad.k = 0;
        assert_true(refused(dX, bad, C, "k must be at least 1 (got 0)", SBK_EINVAL));
        bad = o, bad.k = N + 1;
        assert_true(refused(dX, bad, C, "k = 51 exceeds the 50 rows of X", SBK_EINVAL));
        bad = o, bad.tolerance = -1;
        assert_true(refused(dX, bad, C, "tolerance must be finite and >= 0 (got -1)", SBK_EINVAL));
        bad = o, bad.tolerance = NAN;
        assert_true(refused(dX, bad, C, "tolerance must be finite", SBK_EINVAL));
        bad = o, bad.max_iterations = -1;
        assert_true(refused(dX, bad, C, "iterations must be between 0 and 1e7 (got -1)", SBK_EINVAL));
        bad = o, bad.init = (sbk_kmeans_init)7;
        assert_true(refused(dX, bad, C, "unknown initialisation 7", SBK_EINVAL));
        assert_true(refused(narrow, o, C, "tiles must hold whole rows", SBK_ESHAPE));
        assert_true(refused(dX, o, NULL, "no options or no centroid array", SBK_EINVAL));
        assert_int_equal(sbk_kmeans(dX, NULL, C, NULL, NULL), SBK_EINVAL);
        assert_int_equal(sbk_kmeans(NULL, &o, C, NULL, NULL), SBK_EINVAL);
        bad = o, bad.init = SBK_KMEANS_GIVEN;
        prec == SBK_DOUBLE ? (((double *)C)[2 + 1 * 3] = INFINITY) : (((float *)C)[2 + 1 * 3] = INFINITY);
        assert_true(refused(dX, bad, C, "initial centroids hold a NaN or Inf at centroid 2, column 1", SBK_EINVAL));
        sbk_matrix_destroy(dX);
        prec == SBK_DOUBLE ? (((double *)X)[37 + 2 * N] = NAN) : (((float *)X)[37 + 2 * N] = NAN);
        assert_int_equal(sbk_matrix_create(&dX, prec, X, N, D, N, 16, D), 0);
        assert_true(refused(dX, o, C, "X holds a NaN or Inf at row 37, column 2", SBK_EINVAL));
        sbk_matrix_destroy(dX), sbk_matrix_destroy(narrow);
        free(X), free(C);
    }
}

/* The CPU's SIMD argmin against the shared scalar one: every length up to 40
 * (the vector loops' tails), ties planted before and after the vector blocks. */
static void simd_argmin_matches_the_shared_one(void **state)
{
    (void)state;
    double d[40], dots[40], zero[40] = {0}, dist;
    float f[40];
    for (int k = 1; k <= 40; k++)
        for (int tie = 0; tie < 3; tie++) {
            fill_uniform(SBK_DOUBLE, d, k, 100 + k * 3 + tie);
            for (int j = 0; j < k; j++)
                d[j] = floor(d[j] * 8) / 8; /* coarse: ties */
            if (tie == 1)
                d[k - 1] = d[k / 2] = -1.0;
            for (int j = 0; j < k; j++)
                f[j] = (float)d[j], dots[j] = -d[j] / 2; /* score 0 - 2 dot = d */
            int want = sbk_kmeans_nearest(dots, 1, 1, k, zero, 0.0, &dist);
            double low = sbk_kmeans_least_cpu(d, 1, k);
            assert_true(dist == fmax(low, 0.0));
            assert_int_equal(sbk_kmeans_first_least_cpu(d, 1, k, low), want);
            assert_int_equal(sbk_kmeans_first_least_cpu(f, 0, k, sbk_kmeans_least_cpu(f, 0, k)), want);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_argmin_takes_the_first_nearest),
        cmocka_unit_test(simd_argmin_matches_the_shared_one),
        cmocka_unit_test(matches_the_plain_lloyd_loop),
        cmocka_unit_test(inertia_never_increases),
        cmocka_unit_test(plusplus_spreads_and_random_takes_distinct_rows),
        cmocka_unit_test(same_bits_under_another_scheduler_and_one_worker),
        cmocka_unit_test(bad_input_is_refused_with_its_cause),
    };
    return cmocka_run_group_tests(tests, start_starbak, stop_starbak);
}
