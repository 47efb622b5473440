/* Run by tests/test_mpi.sh under `mpirun -np 1, 2, 4` (and once without MPI):
 * the distributed computations give the single-process results.
 *   mpi_check gemm                 ragged GEMM, both precisions, every transpose,
 *                                  scattered from rank 0 and gathered back
 *   mpi_check solvebak FILE [write] each SolveBak method after 1 and 3 iterations:
 *                                  with `write` (one process) saves the coefficients
 *                                  and residuals to FILE, else compares with FILE
 *                                  (1e-10 relative)
 *   mpi_check ann FILE [write]     the ANN fit's weights and predictions (each
 *                                  partition), likewise
 *   mpi_check kmeans FILE [write]  k-means (each init, both precisions): the
 *                                  same centroids and labels as one process, on
 *                                  every rank; a NaN on the last rank refused
 *   mpi_check one-rank-fails BAD GOOD  the last rank reads the malformed file BAD:
 *                                  all ranks exit 1, none hangs
 * Plain C checks, not CMocka's: every rank must take the same path through the
 * collective calls, so checks run on rank 0 and their verdict is shared.
 * Exit 0 when every check passes on every rank, 1 otherwise. */
#include <math.h>
#include "check.h" /* fill_uniform, the ragged GEMM cases (its CMocka asserts unused here) */

static int failures;

static void report_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report_failure(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "FAILED (rank %d of %d): ", sbk_rank(), sbk_nranks());
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    failures++;
}

/* A matrix whose values rank 0 holds (buf, NULL elsewhere), distributed as
 * dist: the root descriptor and the distributed one, filled by a scatter. */
struct scattered {
    sbk_matrix *root, *dist;
};

static int scatter(struct scattered *s, sbk_precision prec, void *buf, int m, int n, int ld, int mb, int nb,
                   sbk_distribution dist)
{
    int ret = sbk_matrix_create_dist(&s->root, prec, sbk_rank() == 0 ? buf : NULL, m, n, ld, mb, nb,
                                     SBK_DIST_ROOT);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_create_dist(&s->dist, prec, NULL, m, n, m, mb, nb, dist);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_copy(s->root, s->dist);
    return ret;
}

/* Copies the distributed values back into rank 0's buffer and drops both. */
static int gather_and_free(struct scattered *s)
{
    int ret = sbk_matrix_copy(s->dist, s->root);
    sbk_matrix_destroy(s->dist), sbk_matrix_destroy(s->root);
    return ret;
}

static void check_gemm(sbk_precision prec)
{
    for (size_t c = 0; c < sizeof gemm_cases / sizeof *gemm_cases; c++)
        for (int t = 0; t < 4; t++) {
            const struct gemm_case g = gemm_cases[c];
            sbk_trans ta = t & 1 ? SBK_TRANS : SBK_NOTRANS, tb = t & 2 ? SBK_TRANS : SBK_NOTRANS;
            int arows = ta ? g.k : g.m, acols = ta ? g.m : g.k, brows = tb ? g.n : g.k, bcols = tb ? g.k : g.n;
            void *A = malloc((size_t)arows * acols * prec), *B = malloc((size_t)brows * bcols * prec);
            void *C = malloc((size_t)g.m * g.n * prec), *C0 = malloc((size_t)g.m * g.n * prec);
            if (!A || !B || !C || !C0) {
                report_failure("out of memory");
                return;
            }
            fill_uniform(prec, A, (size_t)arows * acols, 11 + c);
            fill_uniform(prec, B, (size_t)brows * bcols, 23 + c);
            fill_uniform(prec, C0, (size_t)g.m * g.n, 37 + c);
            memcpy(C, C0, (size_t)g.m * g.n * prec);
            struct scattered dA = {0}, dB = {0}, dC = {0};
            int ret = scatter(&dA, prec, A, arows, acols, arows, ta ? g.kb : g.mb, ta ? g.mb : g.kb, SBK_DIST_2D);
            if (ret == SBK_SUCCESS)
                ret = scatter(&dB, prec, B, brows, bcols, brows, tb ? g.nb : g.kb, tb ? g.kb : g.nb, SBK_DIST_2D);
            if (ret == SBK_SUCCESS)
                ret = scatter(&dC, prec, C, g.m, g.n, g.m, g.mb, g.nb, SBK_DIST_2D);
            if (ret == SBK_SUCCESS)
                ret = sbk_gemm(ta, tb, g.alpha, dA.dist, dB.dist, g.beta, dC.dist);
            int back = gather_and_free(&dC);
            sbk_matrix_destroy(dA.dist), sbk_matrix_destroy(dA.root);
            sbk_matrix_destroy(dB.dist), sbk_matrix_destroy(dB.root);
            if (sbk_rank() == 0) {
                double r = sbk_gemm_residual(prec, ta, tb, g.m, g.n, g.k, g.alpha, A, arows, B, brows, g.beta, C0, C,
                                             g.m);
                if (ret != 0 || back != 0 || !(r < 10.0))
                    report_failure("gemm %c%c%c m=%d n=%d k=%d tiles %dx%dx%d: ret=%d/%d residual=%.3e",
                         prec == SBK_DOUBLE ? 'd' : 's', ta ? 'T' : 'N', tb ? 'T' : 'N', g.m, g.n, g.k, g.mb, g.nb,
                         g.kb, ret, back, r);
            }
            free(A), free(B), free(C), free(C0);
        }
}

/* Across rank counts (relative to the largest reference value): SolveBak's a
 * and residuals (double), and the ANN's predictions. */
#define SOLVEBAK_TOLERANCE 1e-10
#define ANN_TOLERANCE 1e-4
#define KMEANS_TOLERANCE 1e-12 /* centroids and inertia; the labels are the same */

/* Reference values: written by the single-process run, compared by the others. */
struct reference {
    FILE *file;
    int writing;
};

/* Writes n values, or reads as many and compares: max |v - ref| <= tol max |ref|.
 * Under several ranks the reductions add their partials per rank first, then
 * over the ranks (doc/mpi.md): the same bits for one rank count, a rounding
 * apart across rank counts. */
static void reference_check(struct reference *ref, const char *what, const double *v, int n, double tol)
{
    if (ref->writing) {
        if (fwrite(v, sizeof *v, n, ref->file) != (size_t)n)
            report_failure("%s: cannot write the reference", what);
        return;
    }
    double *expected = malloc(n * sizeof *expected), diff = 0, scale = 0;
    if (!expected || fread(expected, sizeof *expected, n, ref->file) != (size_t)n) {
        report_failure("%s: the reference file is short (run the single-process check first)", what);
        free(expected);
        return;
    }
    for (int i = 0; i < n; i++)
        diff = fmax(diff, fabs(v[i] - expected[i])), scale = fmax(scale, fabs(expected[i]));
    if (!(diff <= tol * scale))
        report_failure("%s: differs from the single-process result by %.3e (scale %.3e, tolerance %.0e)", what, diff,
                       scale, tol);
    free(expected);
}

/* X a = y on a ragged problem (row blocks of mb over 203 rows, 37 columns in
 * tiles of 10): each method (or the Gram method only) after 1 and 3
 * iterations, X and y read on rank 0 and scattered over the ranks in row
 * blocks, a gathered back. Row blocks of 10 make 21, more than Gram's 8
 * accumulators: chains of 3 that rank boundaries split on 2 and 4 ranks. */
static void check_solvebak(struct reference *ref, int mb, int gram_only)
{
    enum { OBS = 203, VARS = 37, NB = 10, BATCH = 5 };
    static const sbk_solvebak_method methods[] = {SBK_SOLVEBAK_PER_COLUMN, SBK_SOLVEBAK_BATCHED,
                                                  SBK_SOLVEBAK_BLOCK_EXACT, SBK_SOLVEBAK_GRAM};
    static const char *const names[] = {"per-column", "batched", "block-exact", "gram"};
    double *X = malloc(OBS * VARS * sizeof *X), *y = malloc(OBS * sizeof *y), *a = malloc(VARS * sizeof *a);
    if (!X || !y || !a) {
        report_failure("out of memory");
        return;
    }
    fill_uniform(SBK_DOUBLE, X, OBS * VARS, 5);
    fill_uniform(SBK_DOUBLE, y, OBS, 6);
    for (int j = 0; j < VARS; j++) /* correlated columns, as in real data */
        for (int i = 0; i < OBS; i++)
            X[i + j * OBS] += 0.3 * X[i] + (i % 7 == j % 7 ? 0.1 : 0.0);
    struct scattered dX = {0}, dy = {0};
    int ret = scatter(&dX, SBK_DOUBLE, X, OBS, VARS, OBS, mb, NB, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = scatter(&dy, SBK_DOUBLE, y, OBS, 1, OBS, mb, 1, SBK_DIST_ROWS);
    for (int m = gram_only ? 3 : 0; m < 4 && ret == SBK_SUCCESS; m++) {
        static const int iterations[] = {1, 3};
        for (int t = 0; t < 2 && ret == SBK_SUCCESS; t++) {
            sbk_solvebak_opts o;
            sbk_solvebak_report r;
            sbk_solvebak_opts_default(&o);
            o.method = methods[m], o.batch = BATCH, o.max_iterations = iterations[t];
            memset(a, 0, VARS * sizeof *a);
            /* a on rank 0, or (after 3 iterations) spread block-cyclically over the ranks. */
            struct scattered da = {0};
            ret = scatter(&da, SBK_DOUBLE, a, VARS, 1, VARS, NB, 1, t ? SBK_DIST_2D : SBK_DIST_ROOT);
            if (ret != SBK_SUCCESS)
                break;
            ret = sbk_solvebak(dX.dist, dy.dist, da.dist, &o, &r);
            int back = gather_and_free(&da);
            ret = ret != SBK_SUCCESS ? ret : back;
            char what[64];
            snprintf(what, sizeof what, "solvebak %s after %d iterations, row blocks of %d", names[m],
                     iterations[t], mb);
            if (ret != SBK_SUCCESS || r.iterations != iterations[t])
                report_failure("%s: %s, %d iterations (%s)", what, sbk_strerror(ret), r.iterations, r.message);
            if (sbk_rank() == 0) {
                reference_check(ref, what, a, VARS, SOLVEBAK_TOLERANCE);
                reference_check(ref, what, r.rel_residual, r.iterations, SOLVEBAK_TOLERANCE);
            }
            sbk_solvebak_report_free(&r);
        }
    }
    if (ret != SBK_SUCCESS)
        report_failure("solvebak: %s", sbk_strerror(ret));
    sbk_matrix_destroy(dX.dist), sbk_matrix_destroy(dX.root), sbk_matrix_destroy(dy.dist), sbk_matrix_destroy(dy.root);
    free(X), free(y), free(a);
}

/* The ANN fitted on X and y read on rank 0 and scattered in row blocks
 * (ragged: 7 blocks of up to 64 rows): its weights and its predictions on X,
 * gathered back, against the single-process fit; and the fit is good. */
static void check_ann(struct reference *ref, sbk_precision prec, sbk_ann_partition partition)
{
    enum { OBS = 400, VARS = 3, MB = 64, NEURONS = 20 };
    size_t es = prec;
    void *X = malloc(OBS * VARS * es), *y = malloc(OBS * es), *yhat = malloc(OBS * es);
    double *v = malloc(OBS * sizeof *v);
    if (!X || !y || !yhat || !v) {
        report_failure("out of memory");
        return;
    }
    fill_uniform(prec, X, OBS * VARS, 9);
    for (int i = 0; i < OBS; i++) { /* a smooth target inside (-1, 1) */
        double x0 = prec == SBK_DOUBLE ? ((double *)X)[i] : ((float *)X)[i];
        double x1 = prec == SBK_DOUBLE ? ((double *)X)[i + OBS] : ((float *)X)[i + OBS];
        double t = 0.6 * tanh(2 * x0 - x1) + 0.2 * x1;
        if (prec == SBK_DOUBLE)
            ((double *)y)[i] = t;
        else
            ((float *)y)[i] = (float)t;
    }
    struct scattered dX = {0}, dy = {0}, dyhat = {0};
    sbk_ann_opts o;
    sbk_ann_opts_default(&o);
    o.neurons = NEURONS, o.seed = 3, o.partition = partition;
    sbk_ann_model model = {0};
    sbk_ann_report r = {0};
    int ret = scatter(&dX, prec, X, OBS, VARS, OBS, MB, VARS, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = scatter(&dy, prec, y, OBS, 1, OBS, MB, 1, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = sbk_ann_fit(dX.dist, dy.dist, 0, &o, &model, &r);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_create_dist(&dyhat.root, prec, sbk_rank() == 0 ? yhat : NULL, OBS, 1, OBS, MB, 1,
                                     SBK_DIST_ROOT);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_create_dist(&dyhat.dist, prec, NULL, OBS, 1, OBS, MB, 1, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = sbk_ann_predict(&model, dX.dist, dyhat.dist);
    if (dyhat.dist) {
        int back = gather_and_free(&dyhat);
        ret = ret ? ret : back;
    }
    sbk_matrix_destroy(dX.dist), sbk_matrix_destroy(dX.root), sbk_matrix_destroy(dy.dist), sbk_matrix_destroy(dy.root);
    char what[64];
    snprintf(what, sizeof what, "ann (%s, %s partition)", prec == SBK_DOUBLE ? "double" : "float",
             partition == SBK_ANN_PARTITION_KMEANS ? "kmeans" : "random");
    if (ret != SBK_SUCCESS)
        report_failure("%s: %s (%s)", what, sbk_strerror(ret), r.message);
    else {
        /* Every rank holds rank 0's model. */
        double mine[NEURONS + 1], root[NEURONS + 1];
        memcpy(mine, model.v, sizeof mine), memcpy(root, model.v, sizeof root);
        if (sbk_broadcast(root, sizeof root) != SBK_SUCCESS || memcmp(mine, root, sizeof root))
            report_failure("%s: the model's outer weights differ from rank 0's", what);
        if (sbk_rank() == 0) {
            /* The inner layer runs on rank 0 from the same draws: the same W.
             * The outer weights solve an ill-conditioned system (tanh
             * neurons), which turns a rounding apart in H^T H into up to
             * 2e-3 of v; the predictions H v, what the model is for, stay
             * within 4e-6 (measured on 4 ranks). */
            reference_check(ref, what, model.W, (VARS + 1) * NEURONS, 0.0);
            reference_check(ref, what, model.v, NEURONS + 1, INFINITY);
            for (int i = 0; i < OBS; i++)
                v[i] = prec == SBK_DOUBLE ? ((double *)yhat)[i] : ((float *)yhat)[i];
            reference_check(ref, what, v, OBS, ANN_TOLERANCE);
            double corr = sbk_correlation(prec, y, yhat, OBS);
            if (!(corr > 0.99))
                report_failure("%s: correlation %.4f of the predictions with y (wanted > 0.99)", what, corr);
        }
    }
    sbk_ann_model_free(&model), sbk_ann_report_free(&r);
    free(X), free(y), free(yhat), free(v);
}

/* The same values on every rank as on rank 0 (collective). */
static int same_as_root(const void *v, size_t bytes)
{
    void *root = malloc(bytes);
    int same = root != NULL;
    if (root)
        memcpy(root, v, bytes);
    if (!root || sbk_broadcast(root, bytes) != SBK_SUCCESS || memcmp(root, v, bytes))
        same = 0;
    free(root);
    return sbk_all_succeeded(same);
}

/* k-means on X scattered in ragged row blocks (13 of 40 rows, the last 23):
 * on every rank rank 0's centroids and labels; against one process, the same
 * labels and the centroids and inertia a rounding apart (the tile sums add
 * per rank first, then over the ranks: doc/mpi.md). */
static void check_kmeans(struct reference *ref, sbk_precision prec, sbk_kmeans_init init)
{
    enum { OBS = 503, VARS = 6, MB = 40, K = 7 };
    size_t es = prec;
    void *X = malloc(OBS * VARS * es), *C = malloc(K * VARS * es);
    int *labels = malloc(OBS * sizeof *labels);
    double *v = malloc(OBS * sizeof *v);
    if (!X || !C || !labels || !v) {
        report_failure("out of memory");
        return;
    }
    fill_uniform(prec, X, OBS * VARS, 13);
    for (int i = 0; i < K * VARS; i++) /* the given start: rows 3, 10, 17, ... of X */
        sbk_elem_set(prec, C, i, sbk_elem_get(prec, X, 3 + 7 * (i % K) + (size_t)(i / K) * OBS));
    struct scattered dX = {0};
    sbk_kmeans_opts o;
    sbk_kmeans_opts_default(&o);
    o.k = K, o.init = init, o.seed = 4, o.tolerance = 0, o.max_iterations = 15;
    sbk_kmeans_report r = {0};
    int ret = scatter(&dX, prec, X, OBS, VARS, OBS, MB, VARS, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = sbk_kmeans(dX.dist, &o, C, labels, &r);
    sbk_matrix_destroy(dX.dist), sbk_matrix_destroy(dX.root);
    char what[64];
    snprintf(what, sizeof what, "kmeans (%s, init %d)", prec == SBK_DOUBLE ? "double" : "float", (int)init);
    if (ret != SBK_SUCCESS)
        report_failure("%s: %s (%s)", what, sbk_strerror(ret), r.message);
    else if (!same_as_root(C, K * VARS * es) || !same_as_root(labels, OBS * sizeof *labels))
        report_failure("%s: the centroids or labels differ from rank 0's", what);
    else if (sbk_rank() == 0) {
        for (int i = 0; i < K * VARS; i++)
            v[i] = sbk_elem_get(prec, C, i);
        reference_check(ref, what, v, K * VARS, KMEANS_TOLERANCE);
        for (int i = 0; i < OBS; i++)
            v[i] = labels[i];
        reference_check(ref, what, v, OBS, 0.0);
        reference_check(ref, what, &r.final_inertia, 1, KMEANS_TOLERANCE);
    }
    sbk_kmeans_report_free(&r);
    free(X), free(C), free(labels), free(v);
}

/* A NaN in the last row tile (the last rank's): every rank refuses, naming it. */
static void check_kmeans_refuses_nan(void)
{
    enum { OBS = 90, VARS = 2, MB = 20 };
    double X[OBS * VARS], C[3 * VARS];
    int labels[OBS];
    fill_uniform(SBK_DOUBLE, X, OBS * VARS, 2);
    X[85 + OBS] = NAN;
    struct scattered dX = {0};
    sbk_kmeans_opts o;
    sbk_kmeans_opts_default(&o);
    o.k = 3;
    sbk_kmeans_report r = {0};
    int ret = scatter(&dX, SBK_DOUBLE, X, OBS, VARS, OBS, MB, VARS, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = sbk_kmeans(dX.dist, &o, C, labels, &r);
    sbk_matrix_destroy(dX.dist), sbk_matrix_destroy(dX.root);
    if (ret != SBK_EINVAL || !strstr(r.message, "row 85, column 1"))
        report_failure("kmeans with a NaN at row 85, column 1: %s (%s)", sbk_strerror(ret), r.message);
    sbk_kmeans_report_free(&r);
}

/* The last rank reads `bad`, the others `good`: every rank must learn of the
 * failure and stop, the failing one naming the problem. */
static void check_one_rank_fails(const char *bad, const char *good)
{
    sbk_array a;
    char err[512];
    int last = sbk_rank() == sbk_nranks() - 1;
    int ok = sbk_array_load(last ? bad : good, SBK_DOUBLE, &a, err, sizeof err) == SBK_SUCCESS;
    if (!ok)
        fprintf(stderr, "mpi_check: rank %d: %s\n", sbk_rank(), err);
    else
        sbk_array_free(&a);
    if (!sbk_all_succeeded(ok)) {
        fprintf(stderr, "mpi_check: rank %d stops: a rank could not read its input\n", sbk_rank());
        failures++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mpi_check gemm | solvebak FILE | ann FILE | kmeans FILE\n");
        return 2;
    }
    int ret = sbk_init();
    if (ret != SBK_SUCCESS) {
        fprintf(stderr, "mpi_check: sbk_init: %s\n", sbk_strerror(ret));
        return ret == SBK_ENODEV ? 77 : 1;
    }
    struct reference ref = {0};
    if (argc >= 3 && sbk_rank() == 0 && strcmp(argv[1], "one-rank-fails")) {
        ref.writing = sbk_nranks() == 1 && argc >= 4 && !strcmp(argv[3], "write");
        if (!(ref.file = fopen(argv[2], ref.writing ? "wb" : "rb")))
            report_failure("%s: cannot open the reference file", argv[2]);
    }
    if (!strcmp(argv[1], "gemm")) {
        check_gemm(SBK_DOUBLE);
        check_gemm(SBK_FLOAT);
    } else if (!strcmp(argv[1], "solvebak") && argc >= 3) {
        check_solvebak(&ref, 50, 0), check_solvebak(&ref, 10, 1);
    } else if (!strcmp(argv[1], "one-rank-fails") && argc >= 4) {
        check_one_rank_fails(argv[2], argv[3]);
    } else if (!strcmp(argv[1], "ann") && argc >= 3) {
        check_ann(&ref, SBK_DOUBLE, SBK_ANN_PARTITION_RANDOM);
        check_ann(&ref, SBK_FLOAT, SBK_ANN_PARTITION_RANDOM);
        check_ann(&ref, SBK_DOUBLE, SBK_ANN_PARTITION_KMEANS);
        check_ann(&ref, SBK_FLOAT, SBK_ANN_PARTITION_KMEANS);
    } else if (!strcmp(argv[1], "kmeans") && argc >= 3) {
        for (int init = SBK_KMEANS_PLUSPLUS; init <= SBK_KMEANS_GIVEN; init++)
            check_kmeans(&ref, SBK_DOUBLE, init), check_kmeans(&ref, SBK_FLOAT, init);
        check_kmeans_refuses_nan();
    } else {
        report_failure("unknown check '%s'", argv[1]);
    }
    if (ref.file)
        fclose(ref.file);
    int ok = sbk_all_succeeded(failures == 0);
    if (sbk_rank() == 0)
        printf("mpi_check %s on %d rank(s): %s\n", argv[1], sbk_nranks(), ok ? "passed" : "FAILED");
    sbk_shutdown();
    return ok ? 0 : 1;
}
