/* The ANN's CUDA implementations alone, on a GPU-only StarPU (gpu_only.h).
 * Inner layer: every block of neurons is solved by cublasDgelsBatched; its W
 * must equal the per-neuron LAPACKE reference on the same draws
 * (ann_reference.h), as the CPU's does in test_ann: the weights to rounding,
 * the draws used exactly, dropped neurons at 0, never a NaN. Outer solve:
 * cuSOLVER's Cholesky must give LAPACKE's v and ridge on the same partials
 * (ann_solve_reference.h), as the CPU's does in test_ann, the ridge fallback
 * included. Both precisions, ragged sizes; skipped on a machine without a GPU. */
#include "ann_reference.h"
#include "ann_solve_reference.h"
#include "gpu_only.h"

struct inner_case {
    int mb, neurons, per_task, rows, bias;
    uint64_t seed;
};

/* Inserts the inner layer's tasks as src/ann/fit.c's fit_inner does and returns
 * W ((vars + 1) × neurons) as doubles, each neuron's draws used in draws. */
static double *inner_weights(const struct ann_data *d, sbk_precision prec, const struct inner_case *c, int *draws)
{
    int ldw = d->vars + 1;
    void *W = malloc((size_t)ldw * c->neurons * prec);
    double *Wd = malloc((size_t)ldw * c->neurons * sizeof *Wd);
    struct ann_run r = ann_describe(d, prec, c->mb);
    sbk_matrix *dW;
    assert_int_equal(sbk_matrix_create(&dW, prec, W, ldw, c->neurons, ldw, ldw, c->per_task), 0);
    int mt = sbk_matrix_row_tiles(r.dX);
    starpu_data_handle_t *xt = malloc(mt * sizeof *xt), *yt = malloc(mt * sizeof *yt);
    for (int i = 0; i < mt; i++)
        xt[i] = sbk_matrix_tile(r.dX, i, 0), yt[i] = sbk_matrix_tile(r.dy, i, 0);
    for (int t = 0; t < sbk_matrix_col_tiles(dW); t++) {
        int first = t * c->per_task, count = c->neurons - first < c->per_task ? c->neurons - first : c->per_task;
        starpu_data_handle_t dh;
        starpu_vector_data_register(&dh, STARPU_MAIN_RAM, (uintptr_t)(draws + first), count, sizeof *draws);
        assert_int_equal(sbk_insert_ann_inner(xt, yt, mt, c->mb, d->vars, c->bias, first, count, c->rows, c->seed,
                                              sbk_matrix_tile(dW, 0, t), dh),
                         0);
        starpu_data_unregister_submit(dh);
    }
    assert_int_equal(sbk_wait(), 0);
    sbk_matrix_destroy(dW); /* brings W home */
    for (size_t k = 0; k < (size_t)ldw * c->neurons; k++)
        Wd[k] = prec == SBK_DOUBLE ? ((double *)W)[k] : ((float *)W)[k];
    ann_release(&r);
    free(W), free(xt), free(yt);
    return Wd;
}

/* The largest scaled difference of W from the reference; counts the reference's
 * redrawn and dropped neurons, and fails on any other outcome or a NaN. */
static double worst_difference(const struct ann_data *d, const struct inner_case *c, const double *W,
                               const int *draws, int *redrawn, int *dropped)
{
    int ldw = d->vars + 1;
    double w[16], worst = 0;
    assert_true(d->vars + 1 <= 16);
    for (int k = 0; k < c->neurons; k++) {
        int used = ann_reference_column(d, k, c->rows, c->bias, c->seed, w);
        const double *col = W + (size_t)k * ldw;
        int got = draws[k] == SBK_ANN_DROPPED ? -1 : draws[k]; /* the reference's -1: dropped */
        if (got != used)
            print_error("neuron %d: %d draws used on the GPU, %d in the reference\n", k, got, used);
        assert_true(got == used);
        *redrawn += used > 1 ? used - 1 : 0, *dropped += used < 0;
        for (int v = 0; v <= d->vars; v++) {
            assert_true(isfinite(col[v]));
            worst = fmax(worst, fabs(col[v] - w[v]) / (1 + fabs(w[v])));
        }
    }
    return worst;
}

static void cuda_inner_weights_match_lapacke(void **state)
{
    (void)state;
    require_gpu();
    /* The notebook's problem, ragged tiles and blocks; then a tiny X with square
     * draws, where a repeated row makes a draw rank-deficient: redraws and drops. */
    const struct {
        int obs, vars;
        struct inner_case c;
    } cases[] = {
        {2003, 7, {300, 37, 5, 54, 1, 99}},
        {2003, 7, {300, 37, 5, 54, 0, 99}},
        {8, 3, {3, 60, 7, 4, 1, 5}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int p = 0; p < 2; p++) {
            struct ann_data d = ann_notebook_problem(cases[i].obs, cases[i].vars, 1 + i);
            if (p)
                ann_round_to_float(&d);
            int *draws = malloc(cases[i].c.neurons * sizeof *draws);
            double *W = inner_weights(&d, p ? SBK_FLOAT : SBK_DOUBLE, &cases[i].c, draws);
            int redrawn = 0, dropped = 0;
            double worst = worst_difference(&d, &cases[i].c, W, draws, &redrawn, &dropped);
            /* cuBLAS's and LAPACK's QR round differently, scaled by the draws'
             * condition numbers (below 700 here: LAPACK's SVD solver agrees with
             * its QR one to 3e-14); a float W adds its own rounding. */
            double tolerance = p ? 1e-6 : 1e-10;
            if (!(worst < tolerance))
                print_error("case %zu, %s: W differs from LAPACKE by %.3e\n", i, p ? "float" : "double", worst);
            assert_true(worst < tolerance);
            if (cases[i].obs == 8)
                assert_true(redrawn > 0 && dropped > 0);
            free(W), free(draws), free(d.X), free(d.y);
        }
}

static void cuda_outer_solve_matches_lapacke_and_its_ridge_rule(void **state)
{
    (void)state;
    require_gpu();
    ann_solve_cases_match_reference();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cuda_inner_weights_match_lapacke),
        cmocka_unit_test(cuda_outer_solve_matches_lapacke_and_its_ridge_rule),
    };
    return gpu_only_exit(cmocka_run_group_tests(tests, start_gpu_only, stop_starbak));
}
