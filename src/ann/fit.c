/* Neural network by least squares (doc/guide.md, "ANN by least squares"): the fit.
 *   inner: one task per block of neurons (codelets/ann/ann_inner.c)
 *   outer: one task per row block forms its share of H^T H and H^T y without
 *          storing H (codelets/ann/ann_hidden.c), one task solves (ann_solve.c).
 * Inputs are checked on the host, through StarPU's acquire: y is small and its
 * range decides whether atanh is defined. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal/ann.h"
#include "internal/ann_partition.h"
#include "codelets/kernels/common/ann_draws.h" /* SBK_ANN_DROPPED */


void sbk_ann_opts_default(sbk_ann_opts *opts)
{
    *opts = (sbk_ann_opts){.neurons = 1000, .bias = 1, .seed = 1, .partition = SBK_ANN_PARTITION_RANDOM};
}

void sbk_ann_report_free(sbk_ann_report *report)
{
    if (!report)
        return;
    free(report->dropped_list), free(report->merged_list);
    memset(report, 0, sizeof *report);
}


/* Copies the obs×1 matrix y into buf (y's precision) on every rank, reading
 * it through StarPU (a column tile is contiguous whatever its ld). */
static void copy_vector(const sbk_matrix *y, void *buf)
{
    for (int i = 0; i < y->mt; i++)
        sbk_data_read(sbk_tile(y, i, 0), (char *)buf + (size_t)i * y->mb * y->prec,
                      (size_t)sbk_tile_rows(y, i) * y->prec);
}

/* Registers n handles of rows×cols (allocated by StarPU where used: no home),
 * handle i with X's row block i. */
static starpu_data_handle_t *register_partials(const sbk_matrix *X, int n, int rows, int cols, size_t es)
{
    starpu_data_handle_t *h = malloc(n * sizeof *h);
    for (int i = 0; h && i < n; i++) {
        starpu_matrix_data_register(&h[i], -1, 0, rows, rows, cols, es);
        sbk_data_distribute(h[i], sbk_matrix_tile_owner(X, i, 0));
    }
    return h;
}

static void unregister_all(starpu_data_handle_t *h, int n)
{
    for (int i = 0; h && i < n; i++)
        starpu_data_unregister(h[i]);
    free(h);
}

static int check_operands(const sbk_matrix *X, const sbk_matrix *y, sbk_ann_report *r)
{
    if (X->prec != y->prec)
        return SBK_REFUSE(r, SBK_EPREC, "X and y must have the same precision");
    if (X->nt != 1)
        return SBK_REFUSE(r, SBK_ESHAPE, "X's tiles must hold whole rows (tile width %d < %d columns)", X->nb, X->n);
    if (y->m != X->m || y->n != 1 || y->mb != X->mb)
        return SBK_REFUSE(r, SBK_ESHAPE, "y must be %d×1 in %d-row tiles like X (got %d×%d in %d-row tiles)", X->m,
                      X->mb, y->m, y->n, y->mb);
    long row, col;
    if (sbk_matrix_find_nonfinite(X, &row, &col))
        return SBK_REFUSE(r, SBK_EINVAL, "X holds a NaN or Inf at row %ld, column %ld", row, col);
    if (sbk_matrix_find_nonfinite(y, &row, &col))
        return SBK_REFUSE(r, SBK_EINVAL, "y holds a NaN or Inf at row %ld", row);
    return SBK_SUCCESS;
}

/* y as the inner layer needs it: inside (-1, 1), scaled there on request. */
static int prepare_targets(const sbk_matrix *y, int scale_y, void *yw, sbk_ann_model *m, sbk_ann_report *r)
{
    copy_vector(y, yw);
    double lo = INFINITY, hi = -INFINITY;
    long outside = 0, first = -1;
    for (long i = 0; i < y->m; i++) {
        double v = sbk_elem_get(y->prec, yw, i);
        lo = fmin(lo, v), hi = fmax(hi, v);
        if (fabs(v) >= 1 && outside++ == 0)
            first = i;
    }
    m->y_center = 0.0, m->y_scale = 1.0;
    if (!scale_y && outside)
        return SBK_REFUSE(r, SBK_EINVAL, "%ld values of y have |y| >= 1, the first at row %ld (%g): atanh is undefined "
                      "there; scale y into (-1, 1) first or ask for it (--scale-y)",
                      outside, first, sbk_elem_get(y->prec, yw, first));
    if (scale_y) { /* [lo, hi] -> [-0.9, 0.9]: atanh stays well away from its poles */
        m->y_center = (hi + lo) / 2;
        m->y_scale = hi > lo ? (hi - lo) / 2 / 0.9 : 1.0;
        for (long i = 0; i < y->m; i++)
            sbk_elem_set(y->prec, yw, i, (sbk_elem_get(y->prec, yw, i) - m->y_center) / m->y_scale);
    }
    return SBK_SUCCESS;
}

/* The inner layer: W (vars + 1 rows: weights, bias) and each neuron's draws
 * used (draws, ints) in tiles of neurons_per_task columns, one task each;
 * progress as tiles complete. Each task draws rows across all of X: under MPI
 * they run on rank 0, which StarPU-MPI sends X once (the inner layer is ~1% of
 * the fit); every rank then reads the draws. */
static int fit_inner(const sbk_matrix *X, const sbk_matrix *yw, const sbk_ann_opts *o, int rows, void *Wbuf,
                     int *draws, const struct sbk_ann_parts *parts)
{
    int neurons = o->neurons, per_task = o->neurons_per_task;
    if (per_task <= 0) { /* at least SBK_TASKS_PER_WORKER tasks per worker, at most 64 neurons each */
        per_task = neurons / (SBK_TASKS_PER_WORKER * (int)starpu_worker_get_count());
        per_task = per_task < 1 ? 1 : per_task > 64 ? 64 : per_task;
    }
    sbk_matrix *W;
    int ret = sbk_matrix_create_dist(&W, X->prec, Wbuf, X->n + 1, neurons, X->n + 1, X->n + 1, per_task,
                                     SBK_DIST_ROOT);
    if (ret != SBK_SUCCESS)
        return ret;
    starpu_data_handle_t *dh = calloc(W->nt, sizeof *dh);
    ret = dh ? SBK_SUCCESS : SBK_ENOMEM;
    for (int t = 0; t < W->nt && ret == SBK_SUCCESS; t++) {
        starpu_vector_data_register(&dh[t], STARPU_MAIN_RAM, (uintptr_t)(draws + t * per_task), sbk_tile_cols(W, t),
                                    sizeof *draws);
        sbk_data_distribute(dh[t], 0);
        ret = parts ? sbk_ann_partition_insert(parts, X, yw, o->bias, t * per_task, sbk_tile_cols(W, t),
                                               sbk_tile(W, 0, t), dh[t])
                    : sbk_insert_ann_inner(X->tiles, yw->tiles, X->mt, X->mb, X->n, o->bias, t * per_task,
                                           sbk_tile_cols(W, t), rows, o->seed, sbk_tile(W, 0, t), dh[t]);
    }
    /* Rank 0 ran every tile's task and reports each as it completes; the
     * other ranks then receive all the draws in one broadcast (W reaches them
     * through fit_outer). Reading each tile on every rank instead made rank 0
     * send two messages per tile and rank, one after the other: 12 600 for
     * 1000 neurons on 64 simulated nodes, 27 ms of a 36 ms fit. */
    int home = sbk_rank() == 0, submitted = ret == SBK_SUCCESS;
    for (int t = 0; home && submitted && t < W->nt && ret == SBK_SUCCESS; t++) {
        if (starpu_data_acquire(dh[t], STARPU_R) != 0) /* its task wrote W's tile too */
            ret = SBK_ERUNTIME;
        else
            starpu_data_release(dh[t]);
        if (ret == SBK_SUCCESS && o->progress)
            o->progress(t * per_task + sbk_tile_cols(W, t), neurons, o->user);
    }
    if (submitted) { /* every rank takes part, whatever rank 0 met */
        int sent = sbk_broadcast(draws, (size_t)neurons * sizeof *draws);
        ret = ret != SBK_SUCCESS ? ret : sent != SBK_SUCCESS ? sent : sbk_cancelled() ? SBK_ECANCELED : SBK_SUCCESS;
    }
    for (int t = 0; t < W->nt && !home && ret == SBK_SUCCESS && o->progress; t++)
        o->progress(t * per_task + sbk_tile_cols(W, t), neurons, o->user);
    for (int t = 0; dh && t < W->nt && dh[t]; t++)
        starpu_data_unregister(dh[t]);
    free(dh);
    sbk_matrix_destroy(W);
    return ret;
}

/* The outer layer: per row block, P_i = H_i^T H_i and q_i = H_i^T y_i (on X's
 * ranks); then one task sums them in order and solves, on rank 0, to which
 * StarPU-MPI sends the partials; W and v end up on every rank. */
static int fit_outer(const sbk_matrix *X, const sbk_matrix *yw, const sbk_ann_opts *o, void *Wbuf, void *vbuf,
                     double *ridge_used, int *solve_status)
{
    int ncol = o->neurons + o->bias, mt = X->mt;
    size_t es = X->prec;
    starpu_data_handle_t W, v, ridge, status, scratch;
    starpu_matrix_data_register(&W, STARPU_MAIN_RAM, (uintptr_t)Wbuf, X->n + 1, X->n + 1, o->neurons, es);
    starpu_matrix_data_register(&v, STARPU_MAIN_RAM, (uintptr_t)vbuf, ncol, ncol, 1, es);
    starpu_variable_data_register(&ridge, STARPU_MAIN_RAM, (uintptr_t)ridge_used, sizeof *ridge_used);
    starpu_variable_data_register(&status, STARPU_MAIN_RAM, (uintptr_t)solve_status, sizeof *solve_status);
    sbk_data_distribute(W, 0), sbk_data_distribute(v, 0), sbk_data_distribute(ridge, 0);
    sbk_data_distribute(status, 0);
    starpu_matrix_data_register(&scratch, -1, 0, SBK_ANN_CHUNK, SBK_ANN_CHUNK, ncol, es);
    starpu_data_handle_t *P = register_partials(X, mt, ncol, ncol, es), *q = register_partials(X, mt, ncol, 1, es);
    int ret = P && q ? SBK_SUCCESS : SBK_ENOMEM;
    for (int i = 0; i < mt && ret == SBK_SUCCESS; i++)
        ret = sbk_insert_ann_normal(sbk_tile(X, i, 0), sbk_tile(yw, i, 0), W, o->neurons, o->bias, scratch, P[i],
                                    q[i]);
    if (ret == SBK_SUCCESS)
        ret = sbk_insert_ann_solve(P, q, mt, ncol, o->ridge, v, ridge, status);
    /* Every rank returns the model. */
    if (ret == SBK_SUCCESS && (ret = sbk_data_read(W, NULL, 0)) == SBK_SUCCESS &&
        (ret = sbk_data_read(v, NULL, 0)) == SBK_SUCCESS && (ret = sbk_data_read(ridge, NULL, 0)) == SBK_SUCCESS)
        ret = sbk_data_read(status, NULL, 0);
    unregister_all(P, mt), unregister_all(q, mt);
    starpu_data_unregister(scratch), starpu_data_unregister(ridge), starpu_data_unregister(status);
    starpu_data_unregister(v);
    starpu_data_unregister(W);
    return ret;
}

/* Copies the fitted weights into the model and the neurons' outcomes into the report. */
static int take_weights(sbk_ann_model *m, const void *Wbuf, const int *draws, const void *vbuf, sbk_ann_report *r)
{
    int ldw = m->vars + 1, ncol = m->neurons + m->bias;
    m->W = malloc((size_t)ldw * m->neurons * sizeof *m->W);
    m->v = calloc(m->neurons + 1, sizeof *m->v);
    if (!m->W || !m->v)
        return SBK_ENOMEM;
    for (size_t k = 0; k < (size_t)ldw * m->neurons; k++)
        m->W[k] = sbk_elem_get(m->prec, Wbuf, k);
    for (int k = 0; r && k < m->neurons; k++) {
        if (draws[k] == SBK_ANN_DROPPED) {
            int *grown = realloc(r->dropped_list, (r->dropped + 1) * sizeof *grown);
            if (!grown)
                return SBK_ENOMEM;
            r->dropped_list = grown, r->dropped_list[r->dropped++] = k;
        } else
            r->redrawn += draws[k] - 1;
    }
    for (int k = 0; k < ncol; k++) /* without bias, v_0 (index neurons) stays 0 */
        m->v[k] = sbk_elem_get(m->prec, vbuf, k);
    return SBK_SUCCESS;
}

/* The options against X: the rows each neuron draws (*rows), or a refusal naming the problem. */
static int check_options(const sbk_matrix *X, const sbk_ann_opts *opts, int *rows_out, sbk_ann_report *report)
{
    int bias = opts->bias ? 1 : 0;
    int rows = opts->rows_per_neuron > 0 ? opts->rows_per_neuron : opts->neurons > 0 ? X->m / opts->neurons : 0;
    if (opts->neurons < 1)
        return SBK_REFUSE(report, SBK_EINVAL, "neurons must be at least 1 (got %d)", opts->neurons);
    int partitioned = opts->partition == SBK_ANN_PARTITION_KMEANS;
    if (!partitioned && opts->partition != SBK_ANN_PARTITION_RANDOM)
        return SBK_REFUSE(report, SBK_EINVAL, "unknown partition %d", (int)opts->partition);
    if (partitioned && opts->neurons > X->m)
        return SBK_REFUSE(report, SBK_EINVAL, "the kmeans partition: %d neurons exceed the %d rows", opts->neurons, X->m);
    if (partitioned && opts->kmeans_iterations < 0)
        return SBK_REFUSE(report, SBK_EINVAL, "the kmeans partition: iterations %d below 0", opts->kmeans_iterations);
    if (partitioned) /* the clusters choose the rows */
        rows = X->n + bias;
    if (opts->rows_per_neuron <= 0 && rows < X->n + bias) /* the default, obs / neurons, is too small */
        return SBK_REFUSE(report, SBK_EINVAL,
                      "%ld rows for %d neurons leave each %d rows to draw, fewer than the %d (vars%s) a neuron's "
                      "fit needs: use at most %ld neurons, or set the rows per neuron",
                      (long)X->m, opts->neurons, rows, X->n + bias, bias ? " + 1 for the bias" : "",
                      (long)(X->m / (X->n + bias)));
    if (rows < X->n + bias || rows > X->m)
        return SBK_REFUSE(report, SBK_EINVAL, "rows per neuron %d must be between %d (vars%s) and obs %d", rows,
                      X->n + bias, bias ? " + 1 for the bias" : "", X->m);
    if (!(opts->ridge >= 0))
        return SBK_REFUSE(report, SBK_EINVAL, "the ridge must be >= 0 (got %g)", opts->ridge);
    *rows_out = rows;
    return SBK_SUCCESS;
}

int sbk_ann_fit(const sbk_matrix *X, const sbk_matrix *y, int scale_y, const sbk_ann_opts *opts,
                sbk_ann_model *model, sbk_ann_report *report)
{
    const sbk_matrix *mats[] = {X, y};
    if (report)
        memset(report, 0, sizeof *report);
    int ret = sbk_check_matrices(2, mats), rows = 0, bias = opts && opts->bias ? 1 : 0;
    if (ret != SBK_SUCCESS)
        return ret;
    if (!opts || !model)
        return SBK_REFUSE(report, SBK_EINVAL, "no options or no model");
    memset(model, 0, sizeof *model);
    if ((ret = check_options(X, opts, &rows, report)) != SBK_SUCCESS ||
        (ret = check_operands(X, y, report)) != SBK_SUCCESS)
        return ret;
    *model = (sbk_ann_model){.prec = X->prec, .vars = X->n, .neurons = opts->neurons, .bias = bias,
                             .partition = opts->partition};
    sbk_ann_opts o = *opts;
    o.bias = bias;
    int partitioned = o.partition == SBK_ANN_PARTITION_KMEANS;
    size_t es = X->prec;
    void *yw = malloc((size_t)X->m * es), *Wbuf = malloc((size_t)(X->n + 1) * o.neurons * es);
    int *draws = malloc(o.neurons * sizeof *draws);
    void *vbuf = malloc((size_t)(o.neurons + 1) * es);
    sbk_matrix *dyw = NULL;
    double t0 = starpu_timing_now() * 1e-6, t1 = t0, ridge_used = o.ridge;
    int solve_status = SBK_TASK_OK; /* as a simulated run, whose tasks compute nothing, leaves it */
    if (!yw || !Wbuf || !vbuf || !draws)
        ret = SBK_ENOMEM;
    for (int k = 0; draws && k < o.neurons; k++) /* as a simulated run, whose tasks compute nothing, leaves them */
        draws[k] = 1;
    if (ret == SBK_SUCCESS)
        ret = prepare_targets(y, scale_y, yw, model, report);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_create_dist(&dyw, X->prec, yw, X->m, 1, X->m, X->mb, 1, X->dist);
    struct sbk_ann_parts parts = {0};
    if (ret == SBK_SUCCESS && partitioned) /* a cluster must hold more rows than a neuron's unknowns */
        ret = sbk_ann_make_partition(X, &o, X->n + bias + 1, &parts, report);
    if (ret == SBK_SUCCESS)
        ret = fit_inner(X, dyw, &o, rows, Wbuf, draws, partitioned ? &parts : NULL);
    sbk_ann_partition_free(&parts);
    t1 = starpu_timing_now() * 1e-6;
    if (ret == SBK_SUCCESS)
        ret = fit_outer(X, dyw, &o, Wbuf, vbuf, &ridge_used, &solve_status);
    if (ret == SBK_SUCCESS && solve_status == SBK_TASK_SINGULAR)
        ret = SBK_REFUSE(report, SBK_ERUNTIME, "the outer normal equations stayed singular whatever the ridge");
    if (ret == SBK_SUCCESS)
        ret = take_weights(model, Wbuf, draws, vbuf, report);
    if (report) {
        report->ridge_used = ridge_used;
        if (ret == SBK_SUCCESS && ridge_used > o.ridge)
            snprintf(report->message, sizeof report->message,
                     "H^T H is not positive definite: solved with ridge %g instead of %g", ridge_used, o.ridge);
        report->seconds_inner = t1 - t0;
        report->seconds_outer = starpu_timing_now() * 1e-6 - t1;
        report->seconds_total = report->seconds_inner + report->seconds_outer;
    }
    sbk_matrix_destroy(dyw);
    free(yw), free(Wbuf), free(vbuf), free(draws);
    if (ret != SBK_SUCCESS)
        sbk_ann_model_free(model);
    return ret;
}
