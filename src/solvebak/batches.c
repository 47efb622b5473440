/* SolveBak's per-column, batched and block-exact methods. Batch k covers
 * columns [kB, kB + B), and each batch is
 *   mt step tasks   e_i -= X_i[:, k-1] da_{k-1};  p_i = X_i[:, k]^T e_i
 *   1 reduce task   da_k from d = sum_i p_i;  a_k += da_k
 * where da_k = d ./ diag(G_k) (batched), solves G_k da_k = d (block-exact), or
 * solves (D + L) da_k = d with G_k's lower triangle (per-column): the column-
 * by-column iterates, since X_j^T e after the batch's earlier columns moved e
 * is d_j - sum_{i<j} G_ji da_i. So per-column needs one reduction per batch,
 * not per column. One more step pass per iteration finishes the last batch
 * and yields ||e||^2: the host waits once per iteration, for that norm, with
 * the next iteration already submitted. */
#include <math.h>
#include <stdlib.h>
#include "internal/solvebak.h"

struct batch {
    int tile, col, count; /* tile column of X, first column inside it, width */
};

/* The batches of one solve, and the data their tasks share, each with its handles. */
struct batches {
    struct solver *s;
    int mt, nbatch, B;
    enum sbk_batch_solve solve;
    struct batch *batch;
    void *pbuf, *dabuf, *qbuf;
    double *scalebuf, *res;
    int *statusbuf; /* each batch's Gram enum sbk_task_status */
    int *row_order; /* the row blocks in the order a pass submits them (interleave_ranks) */
    starpu_data_handle_t *p, *da, *scale, *status, *q, *resh;
    size_t *scale_off;
    int nres;
};

/* Batch k's reduced Gram data (sbk_insert_solvebak_gram_reduce): the
 * diagonal, the whole block or its Cholesky factor unless Jacobi, the ridge. */
static size_t scale_len(const struct batches *b, int count)
{
    return count + (b->solve != SBK_BATCH_JACOBI ? (size_t)count * count : 0) + 1;
}

/* Under MPI, each internal handle lives where the task writing it runs
 * without moving X: row-block partials with X's row block, batch results with
 * a's tile of the batch, the residual norms on rank 0. */
static int q_owner(const struct batches *b, int k)
{
    return sbk_matrix_tile_owner(b->s->X, k % b->mt, b->batch[k / b->mt].tile);
}
static int row_owner(const struct batches *b, int i) { return sbk_matrix_tile_owner(b->s->X, i, 0); }
static int batch_owner(const struct batches *b, int k) { return sbk_matrix_tile_owner(b->s->a, b->batch[k].tile, 0); }

/* Registers n vector handles of len[k] elements of size es over consecutive
 * parts of buf, handle k owned by owner(b, k). */
static starpu_data_handle_t *register_vectors(const struct batches *b, void *buf, int n, const size_t *offset,
                                              const size_t *len, size_t es,
                                              int (*owner)(const struct batches *, int))
{
    starpu_data_handle_t *h = malloc(n * sizeof *h);
    for (int k = 0; h && k < n; k++) {
        starpu_vector_data_register(&h[k], STARPU_MAIN_RAM, (uintptr_t)((char *)buf + offset[k] * es), len[k], es);
        sbk_data_distribute(h[k], owner(b, k));
    }
    return h;
}

static void unregister_vectors(starpu_data_handle_t *h, int n)
{
    for (int k = 0; h && k < n && h[k]; k++) /* NULL: not registered (set-up stopped short) */
        starpu_data_unregister(h[k]);
    free(h);
}

static void batches_free(struct batches *b)
{
    unregister_vectors(b->p, b->mt);
    unregister_vectors(b->da, b->nbatch);
    unregister_vectors(b->scale, b->nbatch);
    unregister_vectors(b->status, b->nbatch);
    unregister_vectors(b->q, b->mt * b->nbatch);
    unregister_vectors(b->resh, b->nres);
    free(b->pbuf), free(b->dabuf), free(b->qbuf), free(b->scalebuf), free(b->statusbuf), free(b->res);
    free(b->batch), free(b->scale_off), free(b->row_order);
}

/* Row block i's place among its rank's, then its rank: the order a pass submits its steps in. */
struct row_key {
    int nth, owner, i;
};

static int by_nth_then_owner(const void *pa, const void *pb)
{
    const struct row_key *a = pa, *b = pb;
    return a->nth != b->nth ? a->nth - b->nth : a->owner - b->owner; /* small non-negative ints */
}

/* The row blocks taken one per rank in turn (in one process: in order). The
 * rank owning a batch's step sends it to a rank as it submits that rank's
 * first step reading it, and the worker that computes the step makes the
 * readers ready in submission order, StarPU's time per task pushed each: in
 * row order a rank's 32 own steps went before the sends to the others, which
 * then all started 32 pushes late, every batch. */
static int interleave_ranks(struct batches *b)
{
    struct row_key *keys = malloc(b->mt * sizeof *keys);
    int *seen = calloc(sbk_nranks(), sizeof *seen);
    b->row_order = malloc(b->mt * sizeof *b->row_order);
    int ok = keys && seen && b->row_order;
    for (int i = 0; ok && i < b->mt; i++) {
        int owner = row_owner(b, i);
        keys[i] = (struct row_key){seen[owner]++, owner, i};
    }
    if (ok)
        qsort(keys, b->mt, sizeof *keys, by_nth_then_owner);
    for (int i = 0; ok && i < b->mt; i++)
        b->row_order[i] = keys[i].i;
    free(keys), free(seen);
    return ok ? SBK_SUCCESS : SBK_ENOMEM;
}

/* The batches' columns and the offsets of their Gram data; 0 or SBK_ENOMEM. */
static int plan_batches(struct batches *b)
{
    int nb = b->nbatch, vars = b->s->vars;
    b->batch = malloc(nb * sizeof *b->batch);
    b->scale_off = malloc((nb + 1) * sizeof *b->scale_off);
    if (!b->batch || !b->scale_off)
        return SBK_ENOMEM;
    b->scale_off[0] = 0;
    for (int k = 0; k < nb; k++) {
        int first = k * b->B, count = first + b->B <= vars ? b->B : vars - first;
        b->batch[k] = (struct batch){first / b->s->X->nb, first % b->s->X->nb, count};
        b->scale_off[k + 1] = b->scale_off[k] + scale_len(b, count);
    }
    b->scalebuf = malloc(b->scale_off[nb] * sizeof *b->scalebuf);
    b->statusbuf = calloc(nb, sizeof *b->statusbuf);
    return b->scalebuf && b->statusbuf ? SBK_SUCCESS : SBK_ENOMEM;
}

/* The Gram-block partials: one per (row block, batch), so that the set-up runs in parallel. */
static int register_partials(struct batches *b, size_t *off, size_t *len, size_t es)
{
    size_t qtotal = 0;
    for (int k = 0; k < b->nbatch; k++)
        for (int i = 0; i < b->mt; i++) {
            int c = b->batch[k].count;
            off[k * b->mt + i] = qtotal;
            len[k * b->mt + i] = b->solve != SBK_BATCH_JACOBI ? (size_t)c * c : (size_t)c;
            qtotal += len[k * b->mt + i];
        }
    b->qbuf = malloc(qtotal * es);
    if (!b->qbuf)
        return SBK_ENOMEM;
    b->q = register_vectors(b, b->qbuf, b->mt * b->nbatch, off, len, es, q_owner);
    return b->q ? SBK_SUCCESS : SBK_ENOMEM;
}

/* Host buffers and handles of the batches, and e. */
static int batches_alloc(struct batches *b)
{
    size_t es = b->s->X->prec;
    int B = b->B, mt = b->mt, nb = b->nbatch;
    size_t *off = malloc((size_t)mt * nb * sizeof *off), *len = malloc((size_t)mt * nb * sizeof *len);
    b->pbuf = malloc((size_t)mt * (B + 1) * es);
    b->dabuf = malloc((size_t)b->s->vars * es);
    b->nres = b->s->o.max_iterations + 2;
    b->res = calloc(b->nres, sizeof *b->res);
    int ret = SBK_ENOMEM;
    if (!off || !len || !b->pbuf || !b->dabuf || !b->res || plan_batches(b) != SBK_SUCCESS ||
        interleave_ranks(b) != SBK_SUCCESS || register_partials(b, off, len, es) != SBK_SUCCESS)
        goto out;
    for (int i = 0; i < mt; i++)
        off[i] = (size_t)i * (B + 1), len[i] = B + 1;
    b->p = register_vectors(b, b->pbuf, mt, off, len, es, row_owner);
    for (int k = 0; k < nb; k++)
        off[k] = (size_t)k * B, len[k] = b->batch[k].count;
    b->da = register_vectors(b, b->dabuf, nb, off, len, es, batch_owner);
    for (int k = 0; k < nb; k++)
        off[k] = b->scale_off[k], len[k] = b->scale_off[k + 1] - b->scale_off[k];
    b->scale = register_vectors(b, b->scalebuf, nb, off, len, sizeof(double), batch_owner);
    b->status = calloc(nb, sizeof *b->status);
    for (int k = 0; b->status && k < nb; k++) {
        starpu_variable_data_register(&b->status[k], STARPU_MAIN_RAM, (uintptr_t)&b->statusbuf[k], sizeof(int));
        sbk_data_distribute(b->status[k], batch_owner(b, k));
    }
    b->resh = calloc(b->nres, sizeof *b->resh);
    if (!b->p || !b->da || !b->scale || !b->status || !b->resh)
        goto out;
    for (int t = 0; t < b->nres; t++) {
        starpu_variable_data_register(&b->resh[t], STARPU_MAIN_RAM, (uintptr_t)&b->res[t], sizeof(double));
        sbk_data_distribute(b->resh[t], 0);
    }
    ret = sbk_solver_create_e(b->s);
out:
    free(off), free(len);
    return ret;
}

/* One pass of step tasks over the row blocks, then the reduction that
 * consumes it: batch cur's dots (cur >= 0) after batch prev's update (prev >=
 * 0); with norm_out, ||e||^2 instead of a batch's step. */
static int submit_pass(struct batches *b, int prev, int cur, starpu_data_handle_t norm_out)
{
    const struct solver *s = b->s;
    int ret = SBK_SUCCESS;
    const struct batch *bp = prev >= 0 ? &b->batch[prev] : NULL, *bc = cur >= 0 ? &b->batch[cur] : NULL;
    for (int n = 0; n < b->mt && ret == SBK_SUCCESS; n++) {
        int i = b->row_order[n];
        ret = sbk_insert_solvebak_step(sbk_tile(s->e, i, 0), b->p[i], bp ? sbk_tile(s->X, i, bp->tile) : NULL,
                                       bp ? bp->col : 0, bp ? bp->count : 0, bp ? b->da[prev] : NULL,
                                       bc ? sbk_tile(s->X, i, bc->tile) : NULL, bc ? bc->col : 0,
                                       bc ? bc->count : 0, norm_out != NULL);
    }
    if (ret != SBK_SUCCESS)
        return ret;
    if (norm_out)
        return sbk_insert_solvebak_reduce_norm(b->p, b->mt, bc ? bc->count : 0, norm_out);
    return sbk_insert_solvebak_reduce_da(b->p, b->mt, bc->count, b->scale[cur], b->solve, b->da[cur],
                                         sbk_tile(s->a, bc->tile, 0), bc->col);
}

/* ||e||^2 of the current residual e into res[slot]. */
static int submit_norm(struct batches *b, int slot)
{
    return submit_pass(b, -1, -1, b->resh[slot]);
}

/* Set-up tasks: ||y||^2 (e = y first), each batch's Gram block (or norms), then e = y - X a0. */
static int submit_setup(struct batches *b)
{
    struct solver *s = b->s;
    int ret = sbk_add(1.0, s->y, 0.0, s->y, s->e);
    if (ret == SBK_SUCCESS)
        ret = submit_norm(b, b->nres - 1);
    for (int k = 0; k < b->nbatch && ret == SBK_SUCCESS; k++) {
        const struct batch *c = &b->batch[k];
        for (int i = 0; i < b->mt && ret == SBK_SUCCESS; i++)
            ret = sbk_insert_solvebak_gram_partial(sbk_tile(s->X, i, c->tile), c->col, c->count,
                                                   b->solve != SBK_BATCH_JACOBI, b->q[k * b->mt + i]);
        if (ret == SBK_SUCCESS)
            ret = sbk_insert_solvebak_gram_reduce(&b->q[k * b->mt], b->mt, c->count, b->solve, b->scale[k],
                                                  b->status[k]);
    }
    if (ret == SBK_SUCCESS && s->o.use_initial_guess) /* e = y - X a; else e = y, a is zeroed later */
        ret = sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, -1.0, s->X, s->a, 1.0, s->e);
    return ret;
}

/* Reads each batch's Gram status (and zero columns) once the set-up ran: the
 * input's refusal, a failure, or notes for the report. */
static int check_setup(struct batches *b, double yy)
{
    struct solver *s = b->s;
    int x_bad = 0, unfactorable = 0, ret;
    for (int k = 0; k < b->nbatch && !sbk_cancelled(); k++) { /* cancelled: the tasks wrote nothing */
        sbk_data_read(b->scale[k], NULL, 0);
        sbk_data_read(b->status[k], NULL, 0);
        const double *sc = b->scalebuf + b->scale_off[k];
        enum sbk_task_status status = b->statusbuf[k];
        x_bad |= status == SBK_TASK_NONFINITE;
        unfactorable |= status == SBK_TASK_SINGULAR;
        if (status == SBK_TASK_REGULARIZED && s->r)
            s->r->nregularized++;
        for (int c = 0; c < b->batch[k].count; c++)
            if (sc[c] == 0.0)
                sbk_solver_add_skipped(s, k * b->B + c);
    }
    if ((ret = sbk_solver_reject_nonfinite(s, x_bad, yy)) != SBK_SUCCESS)
        return ret;
    if (unfactorable) {
        sbk_solver_say(s, "no ridge made a batch's X_J^T X_J positive definite");
        return SBK_ERUNTIME;
    }
    if (s->r && s->r->nregularized)
        sbk_solver_say(s, "%d batch%s of dependent columns solved with a ridge (block-exact)", s->r->nregularized,
                       s->r->nregularized > 1 ? "es" : "");
    return SBK_SUCCESS;
}

/* Iteration t's passes: every batch, then the pass that finishes the last one and sums ||e||^2 into res[t]. */
static int submit_iteration(struct batches *b, int t)
{
    int ret = SBK_SUCCESS;
    for (int k = 0; k < b->nbatch && ret == SBK_SUCCESS; k++)
        ret = submit_pass(b, k - 1, k, NULL);
    return ret == SBK_SUCCESS ? submit_pass(b, b->nbatch - 1, -1, b->resh[t]) : ret;
}

/* The iterations, each submitted before the host waits for the one before's
 * norm: the workers and the ranks never run dry between two iterations. When a
 * tolerance may stop them, a copy of a after each iteration (kept) brings a
 * back to the iterate that met it, undoing the one submitted ahead. */
static int run_iterations(struct batches *b, double yy, double t0)
{
    struct solver *s = b->s;
    const sbk_matrix *a = s->a;
    sbk_matrix *kept = NULL;
    int ret = s->o.tolerance > 0 ? sbk_matrix_create_dist(&kept, a->prec, NULL, a->m, 1, a->m, a->mb, a->nb, a->dist)
                                 : SBK_SUCCESS;
    int t = 0, stop = 0;
    while (ret == SBK_SUCCESS && !stop && t < s->o.max_iterations) {
        ret = submit_iteration(b, t);
        if (ret == SBK_SUCCESS && t > 0)
            stop = sbk_solver_record(s, t - 1, sbk_solver_fetch(b->resh[t - 1]), yy, t0);
        if (ret == SBK_SUCCESS && stop && kept)
            ret = sbk_matrix_copy(kept, s->a);
        else if (ret == SBK_SUCCESS && kept)
            ret = sbk_matrix_copy(s->a, kept);
        t++;
    }
    if (ret == SBK_SUCCESS && !stop && t > 0)
        sbk_solver_record(s, t - 1, sbk_solver_fetch(b->resh[t - 1]), yy, t0);
    sbk_matrix_destroy(kept);
    return ret;
}

/* The iterations, then the exact residual of the final a, recomputed from X (no drift). */
static int iterate(struct batches *b, double yy, double t0, double t1)
{
    struct solver *s = b->s;
    int ret = run_iterations(b, yy, t0);
    if (ret != SBK_SUCCESS)
        return ret;
    if (s->r)
        s->r->seconds_iterations = starpu_timing_now() * 1e-6 - t1;
    ret = sbk_solver_residual(s);
    if (ret == SBK_SUCCESS)
        ret = submit_norm(b, b->nres - 2);
    if (ret == SBK_SUCCESS && s->r)
        s->r->final_rel_residual = yy > 0 ? sqrt(sbk_solver_fetch(b->resh[b->nres - 2]) / yy) : 0.0;
    return ret;
}

int sbk_solvebak_batches(struct solver *s, int B, double t0)
{
    sbk_solvebak_method m = s->o.method;
    struct batches b = {.s = s, .mt = s->X->mt, .B = B, .nbatch = (s->vars + B - 1) / B,
                        .solve = m == SBK_SOLVEBAK_BLOCK_EXACT ? SBK_BATCH_CHOLESKY
                                 : m == SBK_SOLVEBAK_PER_COLUMN ? SBK_BATCH_GAUSS_SEIDEL
                                                                : SBK_BATCH_JACOBI};
    double t1 = t0, yy = 0;
    int ret = batches_alloc(&b);
    if (ret == SBK_SUCCESS)
        ret = submit_setup(&b);
    if (ret == SBK_SUCCESS)
        yy = sbk_solver_fetch(b.resh[b.nres - 1]), ret = check_setup(&b, yy);
    if (ret == SBK_SUCCESS)
        ret = sbk_solver_start(s, t0, &t1);
    if (ret == SBK_SUCCESS)
        ret = iterate(&b, yy, t0, t1);
    starpu_task_wait_for_all(); /* the handles go: their tasks first */
    batches_free(&b);
    return ret;
}
