/* SolveBak: each method against a plain sequential reference written here
 * (the same iterates after 1, 2 and 10 iterations), against LAPACKE_dgels at
 * convergence, Gram = per-column, and every bad input. Ragged sizes: obs and
 * vars not multiples of the tiles, batches not dividing vars. */
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include "check.h"

enum { OBS = 203, VARS = 37, MB = 50, NB = 10, BATCH = 5 };

/* The notebook's loops, in double, on a column-major X. */
static void reference(sbk_solvebak_method method, int obs, int vars, const double *X, const double *y, int batch,
                      int iterations, double *a)
{
    double *e = malloc(obs * sizeof *e), *d = malloc(vars * sizeof *d), *n2 = malloc(vars * sizeof *n2);
    double *G = malloc((size_t)batch * batch * sizeof *G);
    memcpy(e, y, obs * sizeof *e);
    for (int j = 0; j < vars; j++) {
        a[j] = n2[j] = 0.0;
        for (int i = 0; i < obs; i++)
            n2[j] += X[i + (size_t)j * obs] * X[i + (size_t)j * obs];
    }
    int B = method == SBK_SOLVEBAK_PER_COLUMN || method == SBK_SOLVEBAK_GRAM ? 1 : batch;
    for (int t = 0; t < iterations; t++)
        for (int first = 0; first < vars; first += B) {
            int count = first + B <= vars ? B : vars - first;
            for (int j = first; j < first + count; j++) {
                d[j] = 0.0;
                for (int i = 0; i < obs; i++)
                    d[j] += X[i + (size_t)j * obs] * e[i];
            }
            if (method == SBK_SOLVEBAK_BLOCK_EXACT) {
                for (int k = 0; k < count; k++)
                    for (int l = 0; l < count; l++) {
                        double g = 0.0;
                        for (int i = 0; i < obs; i++)
                            g += X[i + (size_t)(first + k) * obs] * X[i + (size_t)(first + l) * obs];
                        G[k + l * count] = g;
                    }
                assert_int_equal(LAPACKE_dposv(LAPACK_COL_MAJOR, 'L', count, 1, G, count, d + first, count), 0);
            } else
                for (int j = first; j < first + count; j++)
                    d[j] = n2[j] > 0 ? d[j] / n2[j] : 0.0;
            for (int j = first; j < first + count; j++) {
                for (int i = 0; i < obs; i++)
                    e[i] -= d[j] * X[i + (size_t)j * obs];
                a[j] += d[j];
            }
        }
    free(e), free(d), free(n2), free(G);
}

struct problem {
    int obs, vars, mb, nb;
    double *X, *y, *a_true;
};

/* y = X a_true + noise uniform in [-noise/2, noise/2). */
static void make_y(struct problem *p, double noise)
{
    fill_uniform(SBK_DOUBLE, p->y, p->obs, 5);
    for (int i = 0; i < p->obs; i++) {
        p->y[i] *= noise;
        for (int j = 0; j < p->vars; j++)
            p->y[i] += p->X[i + (size_t)j * p->obs] * p->a_true[j];
    }
}

/* X uniform in [-1/2, 1/2) as in the original NumPy notebook, y = X a_true + a little noise so
 * that the residual does not vanish. */
static struct problem make_problem(int obs, int vars, int mb, int nb, double noise)
{
    struct problem p = {obs, vars, mb, nb, malloc((size_t)obs * vars * sizeof(double)),
                        malloc(obs * sizeof(double)), malloc(vars * sizeof(double))};
    fill_uniform(SBK_DOUBLE, p.X, (size_t)obs * vars, 3);
    fill_uniform(SBK_DOUBLE, p.a_true, vars, 4);
    make_y(&p, noise);
    return p;
}

static void free_problem(struct problem *p)
{
    free(p->X), free(p->y), free(p->a_true);
}

/* Runs sbk_solvebak on p in the given precision; a receives the result in double. */
static int run_from(const struct problem *p, sbk_precision prec, const sbk_solvebak_opts *o, const double *a0,
                    double *a, sbk_solvebak_report *r)
{
    size_t n = (size_t)p->obs * p->vars, es = prec;
    void *X = malloc(n * es), *y = malloc(p->obs * es), *av = calloc(p->vars, es);
    for (int j = 0; a0 && j < p->vars; j++) /* a's value before the call (0 without a0) */
        prec == SBK_DOUBLE ? (((double *)av)[j] = a0[j]) : (((float *)av)[j] = (float)a0[j]);
    for (size_t k = 0; k < n; k++)
        prec == SBK_DOUBLE ? (((double *)X)[k] = p->X[k]) : (((float *)X)[k] = (float)p->X[k]);
    for (int i = 0; i < p->obs; i++)
        prec == SBK_DOUBLE ? (((double *)y)[i] = p->y[i]) : (((float *)y)[i] = (float)p->y[i]);
    sbk_matrix *dX, *dy, *da;
    assert_int_equal(sbk_matrix_create(&dX, prec, X, p->obs, p->vars, p->obs, p->mb, p->nb), 0);
    assert_int_equal(sbk_matrix_create(&dy, prec, y, p->obs, 1, p->obs, p->mb, 1), 0);
    assert_int_equal(sbk_matrix_create(&da, prec, av, p->vars, 1, p->vars, p->nb, 1), 0);
    int ret = sbk_solvebak(dX, dy, da, o, r);
    sbk_matrix_destroy(dX), sbk_matrix_destroy(dy), sbk_matrix_destroy(da);
    for (int j = 0; j < p->vars; j++)
        a[j] = prec == SBK_DOUBLE ? ((double *)av)[j] : ((float *)av)[j];
    free(X), free(y), free(av);
    return ret;
}

static int run(const struct problem *p, sbk_precision prec, const sbk_solvebak_opts *o, double *a,
               sbk_solvebak_report *r)
{
    return run_from(p, prec, o, NULL, a, r);
}

/* SolveBak's defaults with this method, the tests' batch and an iteration count. */
static sbk_solvebak_opts opts_for(int method, int iterations)
{
    sbk_solvebak_opts o;
    sbk_solvebak_opts_default(&o);
    o.method = method, o.batch = BATCH, o.max_iterations = iterations;
    return o;
}

static double rel_diff(const double *x, const double *ref, int n)
{
    double num = 0.0, den = 0.0;
    for (int k = 0; k < n; k++)
        num += (x[k] - ref[k]) * (x[k] - ref[k]), den += ref[k] * ref[k];
    return sqrt(num / den);
}

static const char *method_name[] = {"per-column", "batched", "block-exact", "gram"};

static void methods_match_the_sequential_reference(void **state)
{
    (void)state;
    struct problem p = make_problem(OBS, VARS, MB, NB, 0.01);
    double a[VARS], ref[VARS];
    const int iterations[] = {1, 2, 10};
    for (int m = SBK_SOLVEBAK_PER_COLUMN; m <= SBK_SOLVEBAK_GRAM; m++)
        for (int k = 0; k < 3; k++)
            for (int prec = 0; prec < 2; prec++) {
                sbk_solvebak_opts o = opts_for(m, iterations[k]);
                sbk_solvebak_report r;
                assert_int_equal(run(&p, prec ? SBK_FLOAT : SBK_DOUBLE, &o, a, &r), 0);
                reference(m, p.obs, p.vars, p.X, p.y, BATCH, iterations[k], ref);
                double diff = rel_diff(a, ref, VARS), bound = prec ? 1e-4 : 1e-10;
                if (!(diff <= bound))
                    print_error("%s %s after %d iterations: relative difference %.3e\n", method_name[m],
                                prec ? "float" : "double", iterations[k], diff);
                assert_true(diff <= bound);
                assert_int_equal(r.iterations, iterations[k]);
                /* The reported residual is the residual of the a returned; Gram's comes from
                 * y'y - 2a'b + a'Ga, whose cancellation costs eps / rel^2 relatively. */
                double last = r.rel_residual[r.iterations - 1], eps = prec ? 0x1p-23 : 0x1p-52;
                double tol = m == SBK_SOLVEBAK_GRAM ? 10 * eps / (last * last) : prec ? 1e-3 : 1e-6;
                if (!(fabs(last - r.final_rel_residual) <= tol * r.final_rel_residual))
                    print_error("%s %s: last iteration's residual %.6e, recomputed %.6e\n", method_name[m],
                                prec ? "float" : "double", last, r.final_rel_residual);
                assert_true(fabs(last - r.final_rel_residual) <= tol * r.final_rel_residual);
                sbk_solvebak_report_free(&r);
            }
    free_problem(&p);
}

/* Gram's set-up chains row blocks into a bounded number of accumulators and
 * copies each row block to a scratch buffer in chunks of rows: more row blocks
 * than accumulators (23 blocks of 9 rows, the last of 5: chains of 3, the last
 * of 2) and row blocks taller than a chunk (1100 rows: chunks of 512, 512 and
 * 76), tile widths not dividing vars. The iterates are per-column's. */
static void gram_matches_the_reference_on_many_and_tall_row_blocks(void **state)
{
    (void)state;
    static const int shapes[][4] = {{203, 37, 9, 10}, {1300, 12, 1100, 5}}; /* obs, vars, mb, nb */
    const int iterations[] = {1, 2, 10};
    for (int sh = 0; sh < 2; sh++) {
        struct problem p = make_problem(shapes[sh][0], shapes[sh][1], shapes[sh][2], shapes[sh][3], 0.01);
        double *a = malloc(p.vars * sizeof *a), *ref = malloc(p.vars * sizeof *ref);
        for (int k = 0; k < 3; k++)
            for (int prec = 0; prec < 2; prec++) {
                sbk_solvebak_opts o;
                sbk_solvebak_opts_default(&o);
                o.method = SBK_SOLVEBAK_GRAM, o.max_iterations = iterations[k];
                assert_int_equal(run(&p, prec ? SBK_FLOAT : SBK_DOUBLE, &o, a, NULL), 0);
                reference(SBK_SOLVEBAK_GRAM, p.obs, p.vars, p.X, p.y, 1, iterations[k], ref);
                double diff = rel_diff(a, ref, p.vars), bound = prec ? 1e-4 : 1e-10;
                if (!(diff <= bound))
                    print_error("gram %s, obs %d in blocks of %d, after %d iterations: relative difference %.3e\n",
                                prec ? "float" : "double", p.obs, p.mb, iterations[k], diff);
                assert_true(diff <= bound);
            }
        free(a), free(ref);
        free_problem(&p);
    }
}

static void methods_converge_to_the_least_squares_solution(void **state)
{
    (void)state;
    struct problem p = make_problem(OBS, VARS, MB, NB, 0.1);
    double gels[OBS], a[VARS];
    double *Xc = malloc(sizeof(double) * OBS * VARS);
    memcpy(Xc, p.X, sizeof(double) * OBS * VARS);
    memcpy(gels, p.y, sizeof gels);
    assert_int_equal(LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', OBS, VARS, 1, Xc, OBS, gels, OBS), 0);
    for (int m = SBK_SOLVEBAK_PER_COLUMN; m <= SBK_SOLVEBAK_GRAM; m++) {
        sbk_solvebak_opts o = opts_for(m, 300);
        assert_int_equal(run(&p, SBK_DOUBLE, &o, a, NULL), 0);
        double diff = rel_diff(a, gels, VARS);
        if (!(diff <= 1e-9))
            print_error("%s: |a - a_gels| / |a_gels| = %.3e\n", method_name[m], diff);
        assert_true(diff <= 1e-9);
    }
    free(Xc);
    free_problem(&p);
}

/* Every method, both precisions: the run stops at the first iteration whose
 * residual meets the tolerance, and the exact residual of the a it returns
 * (from X) meets it too: Gram's estimate, which cancels, must not stop early
 * in single precision. */
static void tolerance_stops_early(void **state)
{
    (void)state;
    struct problem p = make_problem(OBS, VARS, MB, NB, 0.0);
    const double tolerances[] = {1e-2, 1e-3, 1e-4, 1e-6};
    for (int m = 0; m < 4; m++)
        for (int prec = 0; prec < 2; prec++)
            for (int k = 0; k < 4; k++) {
                double a[VARS], tol = tolerances[k];
                sbk_solvebak_opts o = opts_for(m, 500);
                o.tolerance = tol;
                sbk_solvebak_report r;
                assert_int_equal(run(&p, prec ? SBK_DOUBLE : SBK_FLOAT, &o, a, &r), 0);
                int n = r.iterations;
                if (!(n < 500 && r.rel_residual[n - 1] <= tol && r.final_rel_residual <= tol * (1 + 1e-3)))
                    print_error("method %d, %s, tolerance %g: %d iterations, last residual %.6e, exact %.6e\n", m,
                                prec ? "double" : "float", tol, n, r.rel_residual[n - 1], r.final_rel_residual);
                assert_true(n < 500);
                assert_true(r.rel_residual[n - 1] <= tol);
                assert_true(r.final_rel_residual <= tol * (1 + 1e-3));
                assert_true(n == 1 || r.rel_residual[n - 2] > tol);
                sbk_solvebak_report_free(&r);
            }
    free_problem(&p);
}

/* Every method, both precisions: the a a tolerance stops at is the iterate
 * that met it, bit for bit the a of a run of as many iterations without one
 * (the batched methods submit the next iteration before they read a
 * residual, and undo it when they stop). */
static void tolerance_returns_the_iterate_that_met_it(void **state)
{
    (void)state;
    struct problem p = make_problem(OBS, VARS, MB, NB, 0.0);
    for (int m = 0; m < 4; m++)
        for (int prec = 0; prec < 2; prec++) {
            double a[2][VARS];
            sbk_solvebak_report r[2];
            sbk_solvebak_opts o = opts_for(m, 500);
            o.tolerance = 1e-3;
            assert_int_equal(run(&p, prec ? SBK_DOUBLE : SBK_FLOAT, &o, a[0], &r[0]), 0);
            assert_true(r[0].iterations > 1 && r[0].iterations < 500);
            o = opts_for(m, r[0].iterations);
            assert_int_equal(run(&p, prec ? SBK_DOUBLE : SBK_FLOAT, &o, a[1], &r[1]), 0);
            /* The final residual is summed from X again: within rounding (the dots' kernels
             * may take another path on buffers aligned otherwise). */
            double eps = prec ? DBL_EPSILON : FLT_EPSILON, final = r[0].final_rel_residual;
            if (r[1].iterations != r[0].iterations || memcmp(a[0], a[1], sizeof a[0]) ||
                !(fabs(r[1].final_rel_residual - final) <= 64 * eps * final))
                print_error("method %d, %s: %d iterations (%d), final residual %.17g against %.17g\n", m,
                            prec ? "double" : "float", r[0].iterations, r[1].iterations, final,
                            r[1].final_rel_residual);
            assert_int_equal(r[1].iterations, r[0].iterations);
            assert_memory_equal(a[0], a[1], sizeof a[0]);
            assert_true(fabs(r[1].final_rel_residual - final) <= 64 * eps * final);
            sbk_solvebak_report_free(&r[0]), sbk_solvebak_report_free(&r[1]);
        }
    free_problem(&p);
}

/* On an exact fit the residual soon drops below what Gram's estimate resolves
 * (1e-5): those iterations' residuals come from X, PENDING iterates at a time,
 * and a tolerance met among them brings a back to that iterate. Both must
 * agree with per-column, whose iterates Gram's equal. */
static void gram_matches_per_column_below_the_estimate(void **state)
{
    (void)state;
    struct problem p = make_problem(OBS, VARS, MB, NB, 0.0);
    const double tolerances[] = {0, 1e-9};
    for (int k = 0; k < 2; k++) {
        double a[2][VARS];
        sbk_solvebak_report r[2];
        for (int g = 0; g < 2; g++) {
            sbk_solvebak_opts o = opts_for(g ? SBK_SOLVEBAK_GRAM : SBK_SOLVEBAK_PER_COLUMN, 40);
            o.tolerance = tolerances[k];
            assert_int_equal(run(&p, SBK_DOUBLE, &o, a[g], &r[g]), 0);
        }
        assert_int_equal(r[1].iterations, r[0].iterations);
        assert_true(k == 0 || r[0].iterations < 40);
        double diff = rel_diff(a[1], a[0], VARS);
        if (!(diff <= 1e-10))
            print_error("tolerance %g: gram and per-column iterates differ by %.3e\n", tolerances[k], diff);
        assert_true(diff <= 1e-10);
        /* Rounding moves a residual of ||y|| rel by about eps ||y||; Gram's
         * estimate would be off by eps / rel, 1e-5 at rel 1e-11. */
        for (int t = 0; t < r[0].iterations; t++) {
            double pc = r[0].rel_residual[t], gr = r[1].rel_residual[t];
            if (!(fabs(gr - pc) <= 1e-6 * pc + 1e-13))
                print_error("tolerance %g, iteration %d: residual %.6e (gram) against %.6e\n", tolerances[k],
                            t + 1, gr, pc);
            assert_true(fabs(gr - pc) <= 1e-6 * pc + 1e-13);
        }
        double last = r[1].rel_residual[r[1].iterations - 1];
        assert_true(fabs(last - r[1].final_rel_residual) <= 1e-6 * r[1].final_rel_residual + 1e-13);
        sbk_solvebak_report_free(&r[0]), sbk_solvebak_report_free(&r[1]);
    }
    free_problem(&p);
}

static void cancel_after(int iteration, double rel, double seconds, void *user)
{
    (void)rel, (void)seconds;
    if (iteration == *(const int *)user)
        sbk_cancel();
}

/* sbk_cancel from the progress callback (as a SIGINT handler would, between
 * two tasks): every method stops within an iteration and says SBK_ECANCELED,
 * and the next sbk_init solves normally. */
static void cancelled_solve_says_so_and_next_start_solves(void **state)
{
    (void)state;
    struct problem p = make_problem(OBS, VARS, MB, NB, 0.0);
    double a[VARS], ref[VARS];
    int at = 2;
    for (int m = SBK_SOLVEBAK_PER_COLUMN; m <= SBK_SOLVEBAK_GRAM; m++) {
        sbk_solvebak_opts o = opts_for(m, 40);
        o.progress = cancel_after, o.user = &at;
        sbk_solvebak_report r;
        assert_int_equal(run(&p, SBK_DOUBLE, &o, a, &r), SBK_ECANCELED);
        assert_true(r.iterations <= at);
        sbk_solvebak_report_free(&r);
        sbk_shutdown();
        assert_int_equal(sbk_init(), 0);
        o.progress = NULL, o.max_iterations = 3;
        assert_int_equal(run(&p, SBK_DOUBLE, &o, a, NULL), 0);
        reference(m, p.obs, p.vars, p.X, p.y, BATCH, 3, ref);
        assert_true(rel_diff(a, ref, VARS) <= 1e-10);
    }
    free_problem(&p);
}

static void zero_column_is_skipped_and_reported(void **state)
{
    (void)state;
    struct problem p = make_problem(OBS, VARS, MB, NB, 0.01);
    for (int i = 0; i < OBS; i++)
        p.X[i + 13 * OBS] = 0.0;
    double a[VARS];
    for (int m = SBK_SOLVEBAK_PER_COLUMN; m <= SBK_SOLVEBAK_GRAM; m++) {
        sbk_solvebak_opts o = opts_for(m, 5);
        sbk_solvebak_report r;
        assert_int_equal(run(&p, SBK_DOUBLE, &o, a, &r), 0);
        assert_int_equal(r.nskipped, 1);
        assert_int_equal(r.skipped[0], 13);
        assert_true(a[13] == 0.0);
        for (int j = 0; j < VARS; j++)
            assert_true(isfinite(a[j]));
        sbk_solvebak_report_free(&r);
    }
    free_problem(&p);
}

/* Columns 11 and 12 equal (same batch 10..14), exactly or but for the last
 * bits, as a GPU's differently rounded partials would make them look: either
 * way block-exact regularises that batch, once, and says so. */
static void duplicated_columns_still_solve(void **state)
{
    (void)state;
    for (int exact = 1; exact >= 0; exact--) {
        struct problem p = make_problem(OBS, VARS, MB, NB, 0.01);
        for (int i = 0; i < OBS; i++)
            p.X[i + 11 * OBS] = p.X[i + 12 * OBS] * (1 + (exact ? 0 : 1e-7 * (i % 3 - 1)));
        make_y(&p, 0.01);
        double a[VARS];
        for (int m = SBK_SOLVEBAK_PER_COLUMN; m <= SBK_SOLVEBAK_BLOCK_EXACT; m++) {
            sbk_solvebak_opts o = opts_for(m, 20);
            sbk_solvebak_report r;
            assert_int_equal(run(&p, SBK_DOUBLE, &o, a, &r), 0);
            for (int j = 0; j < VARS; j++)
                assert_true(isfinite(a[j]));
            if (m == SBK_SOLVEBAK_BLOCK_EXACT && r.nregularized != 1)
                print_error("%s duplicate: %d batches regularised\n", exact ? "exact" : "rounded", r.nregularized);
            if (m == SBK_SOLVEBAK_BLOCK_EXACT)
                assert_int_equal(r.nregularized, 1);
            /* Jacobi batches may stall on equal columns. */
            if (m != SBK_SOLVEBAK_BATCHED && !(r.final_rel_residual < 0.1))
                print_error("%s: residual %.3e with duplicated columns\n", method_name[m], r.final_rel_residual);
            assert_true(m == SBK_SOLVEBAK_BATCHED || r.final_rel_residual < 0.1);
            sbk_solvebak_report_free(&r);
        }
        free_problem(&p);
    }
}

/* A column of small values (3e-7 of the others) but independent of them is no
 * duplicate: block-exact solves its batch without a ridge and converges with
 * per-column. */
static void small_column_is_not_taken_for_a_duplicate(void **state)
{
    (void)state;
    struct problem p = make_problem(OBS, VARS, MB, NB, 0.0);
    for (int i = 0; i < OBS; i++)
        p.X[i + 3 * OBS] *= 3e-7;
    make_y(&p, 0.0);
    double a[2][VARS];
    sbk_solvebak_report r[2];
    for (int g = 0; g < 2; g++) {
        sbk_solvebak_opts o = opts_for(g ? SBK_SOLVEBAK_BLOCK_EXACT : SBK_SOLVEBAK_PER_COLUMN, 32);
        assert_int_equal(run(&p, SBK_DOUBLE, &o, a[g], &r[g]), 0);
    }
    if (!(r[1].nregularized == 0 && r[1].final_rel_residual <= 10 * r[0].final_rel_residual + 1e-12))
        print_error("block-exact: %d batches regularised, residual %.3e (per-column %.3e)\n", r[1].nregularized,
                    r[1].final_rel_residual, r[0].final_rel_residual);
    assert_int_equal(r[1].nregularized, 0);
    assert_true(r[1].final_rel_residual <= 10 * r[0].final_rel_residual + 1e-12);
    sbk_solvebak_report_free(&r[0]), sbk_solvebak_report_free(&r[1]);
    free_problem(&p);
}

static void nonfinite_input_is_rejected_with_its_position(void **state)
{
    (void)state;
    double a[VARS];
    for (int m = SBK_SOLVEBAK_PER_COLUMN; m <= SBK_SOLVEBAK_GRAM; m++) {
        struct problem p = make_problem(OBS, VARS, MB, NB, 0.01);
        p.X[77 + 21 * OBS] = NAN;
        sbk_solvebak_opts o;
        sbk_solvebak_opts_default(&o);
        o.method = m, o.batch = BATCH;
        sbk_solvebak_report r;
        double seven[VARS];
        for (int j = 0; j < VARS; j++)
            seven[j] = 7.0;
        assert_int_equal(run_from(&p, SBK_DOUBLE, &o, seven, a, &r), SBK_EINVAL);
        assert_non_null(strstr(r.message, "row 77, column 21"));
        for (int j = 0; j < VARS; j++) /* refused input: the caller's a as it was */
            assert_true(a[j] == 7.0);
        sbk_solvebak_report_free(&r);
        p.X[77 + 21 * OBS] = 0.5;
        p.y[150] = INFINITY;
        assert_int_equal(run(&p, SBK_DOUBLE, &o, a, &r), SBK_EINVAL);
        assert_non_null(strstr(r.message, "y holds a NaN or Inf at row 150"));
        sbk_solvebak_report_free(&r);
        free_problem(&p);
    }
}

static void bad_shapes_and_options_are_refused(void **state)
{
    (void)state;
    static double X[60 * 8], y[60], a[8], y2[59];
    sbk_matrix *dX, *dy, *da, *dy2, *dafloat;
    static float af[8];
    assert_int_equal(sbk_matrix_create(&dX, SBK_DOUBLE, X, 60, 8, 60, 16, 4), 0);
    assert_int_equal(sbk_matrix_create(&dy, SBK_DOUBLE, y, 60, 1, 60, 16, 1), 0);
    assert_int_equal(sbk_matrix_create(&da, SBK_DOUBLE, a, 8, 1, 8, 4, 1), 0);
    assert_int_equal(sbk_matrix_create(&dy2, SBK_DOUBLE, y2, 59, 1, 59, 16, 1), 0);
    assert_int_equal(sbk_matrix_create(&dafloat, SBK_FLOAT, af, 8, 1, 8, 4, 1), 0);
    sbk_solvebak_opts o;
    sbk_solvebak_report r;
    sbk_solvebak_opts_default(&o);
    o.batch = 2;
    assert_int_equal(sbk_solvebak(dX, dy2, da, &o, &r), SBK_ESHAPE);
    assert_non_null(strstr(r.message, "y must be 60×1"));
    assert_int_equal(sbk_solvebak(dX, dy, dafloat, &o, &r), SBK_EPREC);
    assert_int_equal(sbk_solvebak(dX, dy, da, NULL, &r), SBK_EINVAL);
    assert_int_equal(sbk_solvebak(NULL, dy, da, &o, &r), SBK_EINVAL);
    o.batch = 0;
    assert_int_equal(sbk_solvebak(dX, dy, da, &o, &r), SBK_EINVAL);
    o.batch = 9;
    assert_int_equal(sbk_solvebak(dX, dy, da, &o, &r), SBK_EINVAL);
    assert_non_null(strstr(r.message, "batch 9"));
    o.batch = 3; /* does not divide the tile width 4 */
    assert_int_equal(sbk_solvebak(dX, dy, da, &o, &r), SBK_ESHAPE);
    o.batch = 2, o.max_iterations = -1;
    assert_int_equal(sbk_solvebak(dX, dy, da, &o, &r), SBK_EINVAL);
    o.max_iterations = INT_MAX; /* one handle per iteration is registered up front */
    assert_int_equal(sbk_solvebak(dX, dy, da, &o, &r), SBK_EINVAL);
    assert_non_null(strstr(r.message, "outside [0, 1e7]"));
    o.max_iterations = 3, o.tolerance = NAN;
    assert_int_equal(sbk_solvebak(dX, dy, da, &o, &r), SBK_EINVAL);
    o.tolerance = 0, o.method = (sbk_solvebak_method)9;
    assert_int_equal(sbk_solvebak(dX, dy, da, &o, &r), SBK_EINVAL);
    sbk_matrix_destroy(dX), sbk_matrix_destroy(dy), sbk_matrix_destroy(da), sbk_matrix_destroy(dy2);
    sbk_matrix_destroy(dafloat);
}

static void gram_refuses_wide_matrices(void **state)
{
    (void)state;
    static double X[3 * 5], y[3], a[5];
    sbk_matrix *dX, *dy, *da;
    assert_int_equal(sbk_matrix_create(&dX, SBK_DOUBLE, X, 3, 5, 3, 2, 5), 0);
    assert_int_equal(sbk_matrix_create(&dy, SBK_DOUBLE, y, 3, 1, 3, 2, 1), 0);
    assert_int_equal(sbk_matrix_create(&da, SBK_DOUBLE, a, 5, 1, 5, 5, 1), 0);
    sbk_solvebak_opts o;
    sbk_solvebak_report r;
    sbk_solvebak_opts_default(&o);
    o.method = SBK_SOLVEBAK_GRAM;
    assert_int_equal(sbk_solvebak(dX, dy, da, &o, &r), SBK_EINVAL);
    assert_non_null(strstr(r.message, "obs >= vars"));
    sbk_matrix_destroy(dX), sbk_matrix_destroy(dy), sbk_matrix_destroy(da);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(methods_match_the_sequential_reference),
        cmocka_unit_test(methods_converge_to_the_least_squares_solution),
        cmocka_unit_test(tolerance_stops_early),
        cmocka_unit_test(tolerance_returns_the_iterate_that_met_it),
        cmocka_unit_test(gram_matches_per_column_below_the_estimate),
        cmocka_unit_test(cancelled_solve_says_so_and_next_start_solves),
        cmocka_unit_test(zero_column_is_skipped_and_reported),
        cmocka_unit_test(duplicated_columns_still_solve),
        cmocka_unit_test(small_column_is_not_taken_for_a_duplicate),
        cmocka_unit_test(nonfinite_input_is_rejected_with_its_position),
        cmocka_unit_test(bad_shapes_and_options_are_refused),
        cmocka_unit_test(gram_refuses_wide_matrices),
        cmocka_unit_test(gram_matches_the_reference_on_many_and_tall_row_blocks),
    };
    return cmocka_run_group_tests(tests, start_starbak, stop_starbak);
}
