/* ANN by least squares: inner weights equal a per-neuron LAPACKE reference on
 * the same row draws (ann_reference.h), redraws and dropped neurons included,
 * the outer v solves the same normal equations (scaled
 * residual against a dense solve), the outer solve alone matches LAPACKE and
 * its ridge fallback (ann_solve_reference.h), the notebook's problem at reduced size reaches
 * r >= 0.99, save/load/predict is exact, and every bad input is refused. */
#include <unistd.h>
#include "ann_reference.h"
#include "ann_solve_reference.h"

static void inner_weights_match_lapacke_per_neuron(void **state)
{
    (void)state;
    struct ann_data d = ann_notebook_problem(2003, 7, 1);
    for (int bias = 0; bias < 2; bias++) {
        struct ann_run r = ann_describe(&d, SBK_DOUBLE, 300);
        sbk_ann_opts o;
        sbk_ann_opts_default(&o);
        o.neurons = 37, o.bias = bias, o.seed = 99, o.neurons_per_task = 5;
        sbk_ann_model m;
        sbk_ann_report rep;
        assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), 0);
        assert_int_equal(rep.dropped, 0);
        double w[8], worst = 0;
        for (int k = 0; k < o.neurons; k++) {
            assert_int_equal(ann_reference_column(&d, k, d.obs / o.neurons, bias, o.seed, w), 1);
            for (int c = 0; c <= d.vars; c++)
                worst = fmax(worst, fabs(m.W[c + (size_t)k * (d.vars + 1)] - w[c]) / (1 + fabs(w[c])));
        }
        if (!(worst < 1e-12))
            print_error("bias %d: inner weights differ from LAPACKE by %.3e\n", bias, worst);
        assert_true(worst < 1e-12);
        sbk_ann_model_free(&m), sbk_ann_report_free(&rep);
        ann_release(&r);
    }
    free(d.X), free(d.y);
}

/* A tiny X (8 rows in ragged tiles) and square draws (rows = vars + 1): a draw
 * that repeats a row is rank-deficient, so neurons are redrawn and some
 * dropped. W, the dropped list and the redraw count equal the reference's. */
static void rank_deficient_draws_are_redrawn_then_dropped(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) {
        sbk_precision prec = p ? SBK_FLOAT : SBK_DOUBLE;
        struct ann_data d = ann_notebook_problem(8, 3, 7);
        if (p)
            ann_round_to_float(&d);
        struct ann_run r = ann_describe(&d, prec, 3);
        sbk_ann_opts o;
        sbk_ann_opts_default(&o);
        o.neurons = 60, o.rows_per_neuron = 4, o.seed = 5, o.ridge = 1e-3, o.neurons_per_task = 7;
        sbk_ann_model m;
        sbk_ann_report rep;
        assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), 0);
        int dropped = 0, redrawn = 0;
        double w[4], worst = 0;
        for (int k = 0; k < o.neurons; k++) {
            int used = ann_reference_column(&d, k, o.rows_per_neuron, 1, o.seed, w);
            if (used < 0) {
                assert_true(dropped < rep.dropped);
                assert_int_equal(rep.dropped_list[dropped++], k);
            } else
                redrawn += used - 1;
            for (int c = 0; c <= d.vars; c++) {
                double v = m.W[c + (size_t)k * (d.vars + 1)];
                assert_true(used > 0 ? isfinite(v) : v == 0.0);
                worst = fmax(worst, fabs(v - w[c]) / (1 + fabs(w[c])));
            }
        }
        assert_int_equal(rep.dropped, dropped);
        assert_int_equal(rep.redrawn, redrawn);
        assert_true(dropped > 0 && redrawn > 0);
        /* LAPACK's QR on the CPU: only a float W's rounding; a block run on a GPU
         * rounds its QR otherwise (test_gpu_ann): at most 1e-10 here. */
        assert_true(worst < (p ? 1e-6 : 1e-10));
        sbk_ann_model_free(&m), sbk_ann_report_free(&rep);
        ann_release(&r);
        free(d.X), free(d.y);
    }
}

/* v against a dense solve of H^T H v = H^T y, H formed here from the model's W. */
static void outer_weights_solve_the_normal_equations(void **state)
{
    (void)state;
    struct ann_data d = ann_notebook_problem(1500, 4, 2);
    for (int p = 0; p < 2; p++) {
        sbk_precision prec = p ? SBK_FLOAT : SBK_DOUBLE;
        struct ann_run r = ann_describe(&d, prec, 256);
        sbk_ann_opts o;
        sbk_ann_opts_default(&o);
        o.neurons = 23, o.ridge = 1e-9;
        sbk_ann_model m;
        assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, NULL), 0);
        int n = o.neurons + 1;
        double *H = malloc((size_t)d.obs * n * sizeof *H), *G = calloc((size_t)n * n, sizeof *G),
               *b = calloc(n, sizeof *b);
        for (int i = 0; i < d.obs; i++)
            for (int k = 0; k < n; k++) {
                double z = k < o.neurons ? m.W[d.vars + (size_t)k * (d.vars + 1)] : 0;
                for (int c = 0; c < d.vars && k < o.neurons; c++)
                    z += d.X[i + (size_t)c * d.obs] * m.W[c + (size_t)k * (d.vars + 1)];
                H[i + (size_t)k * d.obs] = k < o.neurons ? tanh(z) : 1.0;
            }
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                for (int i = 0; i < d.obs; i++)
                    G[j + (size_t)k * n] += H[i + (size_t)j * d.obs] * H[i + (size_t)k * d.obs];
        for (int k = 0; k < n; k++) {
            G[k + (size_t)k * n] += o.ridge;
            for (int i = 0; i < d.obs; i++)
                b[k] += H[i + (size_t)k * d.obs] * d.y[i];
        }
        /* Scaled residual of the library's v in the same system. */
        double res = 0, gn = 0, vn = 0, bn = 0;
        for (int j = 0; j < n; j++) {
            double s = -b[j];
            for (int k = 0; k < n; k++)
                s += G[j + (size_t)k * n] * m.v[k], gn = fmax(gn, fabs(G[j + (size_t)k * n]));
            res = fmax(res, fabs(s)), vn = fmax(vn, fabs(m.v[j])), bn = fmax(bn, fabs(b[j]));
        }
        double eps = p ? 0x1p-23 : 0x1p-52, scaled = res / ((gn * vn + bn) * n * eps);
        /* A float H^T H carries float rounding into the system itself: compare at float's scale. */
        if (!(scaled < (p ? 1e4 : 1e4)))
            print_error("%s: scaled residual of the outer solve %.3e\n", p ? "float" : "double", scaled);
        assert_true(scaled < 1e4);
        free(H), free(G), free(b);
        sbk_ann_model_free(&m);
        ann_release(&r);
    }
    free(d.X), free(d.y);
}

/* The outer solve's task alone, on the workers there are (ann_solve_reference.h):
 * LAPACKE's solution and ridge, the ridge fallback and its failure included. */
static void outer_solve_matches_lapacke_and_its_ridge_rule(void **state)
{
    (void)state;
    ann_solve_cases_match_reference();
}

static void seed_problem_reaches_r_099_on_train_and_test(void **state)
{
    (void)state;
    struct ann_data train = ann_notebook_problem(20000, 10, 3), test = ann_notebook_problem(5000, 10, 4);
    for (int p = 0; p < 2; p++) {
        sbk_precision prec = p ? SBK_FLOAT : SBK_DOUBLE;
        struct ann_run r = ann_describe(&train, prec, 2500), t = ann_describe(&test, prec, 1000);
        sbk_ann_opts o;
        sbk_ann_opts_default(&o);
        o.neurons = 200;
        sbk_ann_model m;
        sbk_ann_report rep;
        assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), 0);
        double r_train = ann_predicted_r(&m, &r, prec, train.obs);
        double r_test = ann_predicted_r(&m, &t, prec, test.obs);
        if (!(r_train >= 0.99 && r_test >= 0.99))
            print_error("%s: r train %.5f test %.5f\n", p ? "float" : "double", r_train, r_test);
        assert_true(r_train >= 0.99 && r_test >= 0.99);
        sbk_ann_model_free(&m), sbk_ann_report_free(&rep);
        ann_release(&r), ann_release(&t);
    }
    free(train.X), free(train.y), free(test.X), free(test.y);
}

static void saved_model_predicts_identically(void **state)
{
    (void)state;
    struct ann_data d = ann_notebook_problem(3000, 5, 5);
    for (int i = 0; i < d.obs; i++)
        d.y[i] = 3 * d.y[i] + 7; /* outside (-1, 1): needs scale_y */
    struct ann_run r = ann_describe(&d, SBK_DOUBLE, 500);
    sbk_ann_opts o;
    sbk_ann_opts_default(&o);
    o.neurons = 40;
    sbk_ann_model m, loaded;
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 1, &o, &m, NULL), 0);
    char dir[] = "/tmp/starbak-ann.XXXXXX", path[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/model.sbk", dir);
    assert_int_equal(sbk_ann_save(&m, path, err, sizeof err), 0);
    assert_int_equal(sbk_ann_load(&loaded, path, err, sizeof err), 0);
    double r1 = ann_predicted_r(&m, &r, SBK_DOUBLE, d.obs);
    double *first = malloc(d.obs * sizeof *first);
    memcpy(first, r.yhat, d.obs * sizeof *first);
    double r2 = ann_predicted_r(&loaded, &r, SBK_DOUBLE, d.obs);
    /* The same bits on CPU workers; with GPUs a row block may run on either
     * device in each prediction (cuBLAS and CUDA's tanh round differently). */
    double tol = sbk_ncuda_workers() > 0 ? 1e-12 : 0.0, worst = 0;
    for (int i = 0; i < d.obs; i++)
        worst = fmax(worst, fabs(first[i] - ((double *)r.yhat)[i]) / fmax(fabs(first[i]), 1.0));
    assert_true(worst <= tol);
    assert_true(fabs(r1 - r2) <= tol && r1 > 0.99);
    /* The prediction is back on y's scale. */
    double mean = 0;
    for (int i = 0; i < d.obs; i++)
        mean += first[i] / d.obs;
    assert_true(fabs(mean - 7) < 0.5);
    /* A damaged file is refused with a reason (load clears its output: free the model first). */
    sbk_ann_model_free(&loaded);
    FILE *f = fopen(path, "r+b");
    fseek(f, 7, SEEK_SET), fputc(9, f), fclose(f);
    assert_int_equal(sbk_ann_load(&loaded, path, err, sizeof err), SBK_EFORMAT);
    assert_non_null(strstr(err, "version 9"));
    assert_int_equal(truncate(path, 30), 0);
    assert_int_equal(sbk_ann_load(&loaded, path, err, sizeof err), SBK_EFORMAT);
    unlink(path), rmdir(dir);
    sbk_ann_model_free(&m), sbk_ann_model_free(&loaded);
    free(first);
    ann_release(&r);
    free(d.X), free(d.y);
}

static void bad_inputs_are_refused(void **state)
{
    (void)state;
    struct ann_data d = ann_notebook_problem(400, 3, 6);
    d.y[17] = 1.0, d.y[30] = -2.0;
    struct ann_run r = ann_describe(&d, SBK_DOUBLE, 100);
    sbk_ann_opts o;
    sbk_ann_opts_default(&o);
    o.neurons = 10;
    sbk_ann_model m;
    sbk_ann_report rep;
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), SBK_EINVAL);
    assert_non_null(strstr(rep.message, "2 values of y have |y| >= 1, the first at row 17"));
    o.neurons = 0;
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 1, &o, &m, &rep), SBK_EINVAL);
    o.neurons = 10, o.rows_per_neuron = 3; /* < vars + 1 */
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 1, &o, &m, &rep), SBK_EINVAL);
    assert_non_null(strstr(rep.message, "rows per neuron 3"));
    o.rows_per_neuron = 0, o.ridge = -1;
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 1, &o, &m, &rep), SBK_EINVAL);
    o.ridge = 0;
    ann_release(&r);
    d.X[5 + 2 * d.obs] = NAN;
    r = ann_describe(&d, SBK_DOUBLE, 100);
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 1, &o, &m, &rep), SBK_EINVAL);
    assert_non_null(strstr(rep.message, "row 5, column 2"));
    /* X's tiles must hold whole rows; y must match X. */
    sbk_matrix *narrow, *short_y;
    assert_int_equal(sbk_matrix_create(&narrow, SBK_DOUBLE, r.X, d.obs, 3, d.obs, 100, 2), 0);
    assert_int_equal(sbk_ann_fit(narrow, r.dy, 1, &o, &m, &rep), SBK_ESHAPE);
    assert_int_equal(sbk_matrix_create(&short_y, SBK_DOUBLE, r.y, 399, 1, 399, 100, 1), 0);
    assert_int_equal(sbk_ann_fit(r.dX, short_y, 1, &o, &m, &rep), SBK_ESHAPE);
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 1, NULL, &m, &rep), SBK_EINVAL);
    sbk_matrix_destroy(narrow), sbk_matrix_destroy(short_y);
    /* A model of other width cannot predict on this X. */
    double W[5 * 2] = {0}, v[3] = {0};
    sbk_ann_model wrong = {SBK_DOUBLE, 4, 2, 1, W, v, 0, 1, SBK_ANN_PARTITION_RANDOM};
    assert_int_equal(sbk_ann_predict(&wrong, r.dX, r.dyhat), SBK_ESHAPE);
    ann_release(&r);
    free(d.X), free(d.y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inner_weights_match_lapacke_per_neuron),
        cmocka_unit_test(rank_deficient_draws_are_redrawn_then_dropped),
        cmocka_unit_test(outer_weights_solve_the_normal_equations),
        cmocka_unit_test(outer_solve_matches_lapacke_and_its_ridge_rule),
        cmocka_unit_test(seed_problem_reaches_r_099_on_train_and_test),
        cmocka_unit_test(saved_model_predicts_identically),
        cmocka_unit_test(bad_inputs_are_refused),
    };
    return cmocka_run_group_tests(tests, start_starbak, stop_starbak);
}
