/* Shared by the ANN tests (CPU and GPU): the notebook's problem and the inner
 * layer's reference, a neuron's column of W by LAPACKE_dgels on the rows the
 * library draws (codelets/kernels/common/ann_draws.h). Header-only: each test is one program. */
#ifndef STARBAK_TESTS_ANN_REFERENCE_H
#define STARBAK_TESTS_ANN_REFERENCE_H

#include <lapacke.h>
#include <math.h>
#include "codelets/codelets.h"
#include "check.h"
#include "../codelets/kernels/common/ann_draws.h"

struct ann_data {
    int obs, vars;
    double *X, *y;
};

/* The notebook's problem: x uniform in [-1/2, 1/2), y = sin(sum x) / 2. */
static inline struct ann_data ann_notebook_problem(int obs, int vars, uint64_t seed)
{
    struct ann_data d = {obs, vars, malloc((size_t)obs * vars * sizeof(double)), malloc(obs * sizeof(double))};
    fill_uniform(SBK_DOUBLE, d.X, (size_t)obs * vars, seed);
    for (int i = 0; i < obs; i++) {
        double s = 0;
        for (int j = 0; j < vars; j++)
            s += d.X[i + (size_t)j * obs];
        d.y[i] = sin(s) / 2;
    }
    return d;
}

/* Rounds the data to float, so that the reference reads what a float run does. */
static inline void ann_round_to_float(struct ann_data *d)
{
    for (size_t k = 0; k < (size_t)d->obs * d->vars; k++)
        d->X[k] = (float)d->X[k];
    for (int i = 0; i < d->obs; i++)
        d->y[i] = (float)d->y[i];
}

/* d as the library takes it: X, y and a yhat in the given precision, in tiles of mb rows. */
struct ann_run {
    void *X, *y, *yhat;
    sbk_matrix *dX, *dy, *dyhat;
};

static inline struct ann_run ann_describe(const struct ann_data *d, sbk_precision prec, int mb)
{
    struct ann_run r = {.X = malloc((size_t)d->obs * d->vars * prec), .y = malloc(d->obs * prec), .yhat = calloc(d->obs, prec)};
    for (size_t k = 0; k < (size_t)d->obs * d->vars; k++)
        prec == SBK_DOUBLE ? (((double *)r.X)[k] = d->X[k]) : (((float *)r.X)[k] = (float)d->X[k]);
    for (int i = 0; i < d->obs; i++)
        prec == SBK_DOUBLE ? (((double *)r.y)[i] = d->y[i]) : (((float *)r.y)[i] = (float)d->y[i]);
    assert_int_equal(sbk_matrix_create(&r.dX, prec, r.X, d->obs, d->vars, d->obs, mb, d->vars), 0);
    assert_int_equal(sbk_matrix_create(&r.dy, prec, r.y, d->obs, 1, d->obs, mb, 1), 0);
    assert_int_equal(sbk_matrix_create(&r.dyhat, prec, r.yhat, d->obs, 1, d->obs, mb, 1), 0);
    return r;
}

/* r between the prediction (read through StarPU) and y. */
static inline double ann_predicted_r(const sbk_ann_model *m, struct ann_run *r, sbk_precision prec, int obs)
{
    assert_int_equal(sbk_ann_predict(m, r->dX, r->dyhat), 0);
    assert_int_equal(sbk_wait(), 0);
    sbk_matrix_destroy(r->dyhat); /* brings yhat home */
    double c = sbk_correlation(prec, r->yhat, r->y, obs);
    assert_int_equal(sbk_matrix_create(&r->dyhat, prec, r->yhat, obs, 1, obs, sbk_matrix_tile_rows(r->dX), 1), 0);
    return c;
}

static inline void ann_release(struct ann_run *r)
{
    sbk_matrix_destroy(r->dX), sbk_matrix_destroy(r->dy), sbk_matrix_destroy(r->dyhat);
    free(r->X), free(r->y), free(r->yhat);
}

/* Neuron k's weights and bias into w (vars + 1 values, the bias 0 without one);
 * returns the draws used, or -1 when the neuron is dropped (w all 0). With X's
 * rows in general position, a draw is rank-deficient exactly when it holds
 * fewer than vars + bias distinct rows: the reference counts them, it does not
 * use the library's acceptance test. */
static inline int ann_reference_column(const struct ann_data *d, int k, int rows, int bias, uint64_t seed,
                                       double *w)
{
    int n = d->vars + bias, used = -1;
    double *A = malloc((size_t)rows * n * sizeof *A), *t = malloc(rows * sizeof *t);
    uint64_t *drawn = malloc(rows * sizeof *drawn);
    for (int c = 0; c <= d->vars; c++)
        w[c] = 0.0;
    for (int attempt = 0; attempt < SBK_ANN_ATTEMPTS && used < 0; attempt++) {
        int distinct = 0;
        for (int i = 0; i < rows; i++) {
            uint64_t r = drawn[i] = sbk_ann_drawn_row(seed, k, attempt, i, (uint64_t)d->obs);
            int seen = 0;
            for (int p = 0; p < i; p++)
                seen |= drawn[p] == r;
            distinct += !seen;
            for (int c = 0; c < d->vars; c++)
                A[i + (size_t)c * rows] = d->X[r + (size_t)c * d->obs];
            if (bias)
                A[i + (size_t)d->vars * rows] = 1.0;
            t[i] = atanh(d->y[r]);
        }
        if (distinct < n)
            continue;
        assert_int_equal(LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', rows, n, 1, A, rows, t, rows), 0);
        for (int c = 0; c < n; c++)
            w[c] = t[c];
        used = attempt + 1;
    }
    free(A), free(t), free(drawn);
    return used;
}

#endif
