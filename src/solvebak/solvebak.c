/* SolveBak on the task graph (doc/guide.md, "SolveBak methods").
 *
 * Per-column, batched and block-exact share one structure: batch k covers
 * columns [kB, kB + B), and each batch is
 *   mt step tasks   e_i -= X_i[:, k-1] da_{k-1};  p_i = X_i[:, k]^T e_i
 *   1 reduce task   da_k from d = sum_i p_i;  a_k += da_k
 * where da_k = d ./ diag(G_k) (batched), solves G_k da_k = d (block-exact), or
 * solves (D + L) da_k = d with G_k's lower triangle (per-column): the column-
 * by-column iterates, since X_j^T e after the batch's earlier columns moved e
 * is d_j - sum_{i<j} G_ji da_i. So per-column needs one reduction per batch,
 * not per column.
 * with one more step pass per iteration that finishes the last batch and
 * yields ||e||^2. The host waits once per iteration, for that norm.
 * Gram forms G = X^T X and b = X^T y with one SYRK task per row block
 * (gram_form), then sweeps on G. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal/codelets.h"

struct batch {
    int tile, col, count; /* tile column of X, first column inside it, width */
};

struct solver {
    const sbk_matrix *X, *y;
    sbk_matrix *a;
    sbk_solvebak_opts o;
    sbk_solvebak_report *r;
    int obs, vars, mt, nbatch, B;
    enum sbk_batch_solve solve;
    struct batch *batches;
    /* internal data, each with its handles */
    void *pbuf, *dabuf, *qbuf;
    double *scalebuf, *res;
    sbk_matrix *e;
    starpu_data_handle_t *p, *da, *scale, *q, *resh;
    size_t *scale_off;
    int nres;
};

static void say(struct solver *s, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    if (s->r)
        vsnprintf(s->r->message, sizeof s->r->message, fmt, args);
    va_end(args);
}

static size_t scale_len(const struct solver *s, int count)
{
    return count + (s->solve != SBK_BATCH_JACOBI ? (size_t)count * count : 0) + 1;
}

/* Under MPI, each internal handle lives where the task writing it runs
 * without moving X: row-block partials with X's row block, batch results with
 * a's tile of the batch, the residual norms on rank 0. */
static int q_owner(const struct solver *s, int k)
{
    return sbk_matrix_tile_owner(s->X, k % s->mt, s->batches[k / s->mt].tile);
}
static int row_owner(const struct solver *s, int i) { return sbk_matrix_tile_owner(s->X, i, 0); }
static int batch_owner(const struct solver *s, int k) { return sbk_matrix_tile_owner(s->a, s->batches[k].tile, 0); }

/* Registers n vector handles of len[k] elements of size es over consecutive
 * parts of buf, handle k owned by owner(s, k). */
static starpu_data_handle_t *register_vectors(const struct solver *s, void *buf, int n, const size_t *offset,
                                              const size_t *len, size_t es, int (*owner)(const struct solver *, int))
{
    starpu_data_handle_t *h = malloc(n * sizeof *h);
    for (int k = 0; h && k < n; k++) {
        starpu_vector_data_register(&h[k], STARPU_MAIN_RAM, (uintptr_t)((char *)buf + offset[k] * es), len[k], es);
        sbk_data_distribute(h[k], owner(s, k));
    }
    return h;
}

static void unregister_vectors(starpu_data_handle_t *h, int n)
{
    for (int k = 0; h && k < n && h[k]; k++) /* NULL: not registered (set-up stopped short) */
        starpu_data_unregister(h[k]);
    free(h);
}

static void solver_free(struct solver *s)
{
    unregister_vectors(s->p, s->mt);
    unregister_vectors(s->da, s->nbatch);
    unregister_vectors(s->scale, s->nbatch);
    unregister_vectors(s->q, s->mt * s->nbatch);
    unregister_vectors(s->resh, s->nres);
    sbk_matrix_destroy(s->e);
    free(s->pbuf), free(s->dabuf), free(s->qbuf), free(s->scalebuf), free(s->res);
    free(s->batches), free(s->scale_off);
}

/* The residual e, in X's row blocks on X's ranks; StarPU allocates it (the
 * first task writes it whole). */
static int create_e(struct solver *s)
{
    return sbk_matrix_create_dist(&s->e, s->X->prec, NULL, s->obs, 1, s->obs, s->X->mb, s->y->nb, s->X->dist);
}

/* Host buffers and handles of the per-column / batched / block-exact solver. */
static int solver_alloc(struct solver *s)
{
    size_t es = s->X->prec;
    int B = s->B, mt = s->mt, nb = s->nbatch;
    s->batches = malloc(nb * sizeof *s->batches);
    s->scale_off = malloc((nb + 1) * sizeof *s->scale_off);
    size_t *off = malloc((size_t)mt * nb * sizeof *off), *len = malloc((size_t)mt * nb * sizeof *len);
    s->pbuf = malloc((size_t)mt * (B + 1) * es);
    s->dabuf = malloc((size_t)s->vars * es);
    s->nres = s->o.max_iterations + 2;
    s->res = calloc(s->nres, sizeof *s->res);
    int ret = SBK_ENOMEM;
    if (!s->batches || !s->scale_off || !off || !len || !s->pbuf || !s->dabuf || !s->res)
        goto out;
    s->scale_off[0] = 0;
    for (int k = 0; k < nb; k++) {
        int first = k * B, count = first + B <= s->vars ? B : s->vars - first;
        s->batches[k] = (struct batch){first / s->X->nb, first % s->X->nb, count};
        s->scale_off[k + 1] = s->scale_off[k] + scale_len(s, count);
    }
    s->scalebuf = malloc(s->scale_off[nb] * sizeof *s->scalebuf);
    /* Gram-block partials: one per (row block, batch), so the set-up runs in parallel. */
    size_t qtotal = 0;
    for (int k = 0; k < nb; k++)
        for (int i = 0; i < mt; i++) {
            int c = s->batches[k].count;
            off[k * mt + i] = qtotal;
            len[k * mt + i] = s->solve != SBK_BATCH_JACOBI ? (size_t)c * c : (size_t)c;
            qtotal += len[k * mt + i];
        }
    s->qbuf = malloc(qtotal * es);
    if (!s->scalebuf || !s->qbuf)
        goto out;
    s->q = register_vectors(s, s->qbuf, mt * nb, off, len, es, q_owner);
    for (int i = 0; i < mt; i++)
        off[i] = (size_t)i * (B + 1), len[i] = B + 1;
    s->p = register_vectors(s, s->pbuf, mt, off, len, es, row_owner);
    for (int k = 0; k < nb; k++)
        off[k] = (size_t)k * B, len[k] = s->batches[k].count;
    s->da = register_vectors(s, s->dabuf, nb, off, len, es, batch_owner);
    for (int k = 0; k < nb; k++)
        off[k] = s->scale_off[k], len[k] = s->scale_off[k + 1] - s->scale_off[k];
    s->scale = register_vectors(s, s->scalebuf, nb, off, len, sizeof(double), batch_owner);
    s->resh = calloc(s->nres, sizeof *s->resh);
    if (!s->q || !s->p || !s->da || !s->scale || !s->resh)
        goto out;
    for (int t = 0; t < s->nres; t++) {
        starpu_variable_data_register(&s->resh[t], STARPU_MAIN_RAM, (uintptr_t)&s->res[t], sizeof(double));
        sbk_data_distribute(s->resh[t], 0);
    }
    ret = create_e(s);
out:
    free(off), free(len);
    return ret;
}

/* Reads a value a task wrote into a registered double, on every rank (they
 * all take the same decisions from it). */
static double fetch(starpu_data_handle_t h)
{
    double v = NAN;
    sbk_data_read(h, &v, sizeof v);
    return v;
}

/* One pass of step tasks over the row blocks, then the reduction that
 * consumes it: batch k's dots (cur >= 0) after batch prev's update (prev >= 0). */
static int submit_pass(struct solver *s, int prev, int cur, starpu_data_handle_t norm_out)
{
    int ret = SBK_SUCCESS;
    const struct batch *bp = prev >= 0 ? &s->batches[prev] : NULL, *bc = cur >= 0 ? &s->batches[cur] : NULL;
    for (int i = 0; i < s->mt && ret == SBK_SUCCESS; i++)
        ret = sbk_insert_solvebak_step(sbk_tile(s->e, i, 0), s->p[i], bp ? sbk_tile(s->X, i, bp->tile) : NULL,
                                       bp ? bp->col : 0, bp ? bp->count : 0, bp ? s->da[prev] : NULL,
                                       bc ? sbk_tile(s->X, i, bc->tile) : NULL, bc ? bc->col : 0,
                                       bc ? bc->count : 0, norm_out != NULL);
    if (ret != SBK_SUCCESS)
        return ret;
    if (norm_out)
        return sbk_insert_solvebak_reduce_norm(s->p, s->mt, bc ? bc->count : 0, norm_out);
    return sbk_insert_solvebak_reduce_da(s->p, s->mt, bc->count, s->scale[cur], s->solve, s->da[cur],
                                         sbk_tile(s->a, bc->tile, 0), bc->col);
}

/* Rejects NaN/Inf in X or y, naming where, once the set-up sums show one. */
static int reject_nonfinite(struct solver *s, int x_bad, double yy)
{
    long row = 0, col = 0;
    if (sbk_cancelled()) /* the set-up's tasks skipped their work */
        return SBK_ECANCELED;
    if (x_bad && sbk_matrix_find_nonfinite(s->X, &row, &col)) {
        say(s, "X holds a NaN or Inf at row %ld, column %ld", row, col);
        return SBK_EINVAL;
    }
    if (!isfinite(yy) && sbk_matrix_find_nonfinite(s->y, &row, &col)) {
        say(s, "y holds a NaN or Inf at row %ld", row);
        return SBK_EINVAL;
    }
    if (x_bad || !isfinite(yy)) {
        say(s, "%s holds values so large that their squares overflow", x_bad ? "X" : "y");
        return SBK_EINVAL;
    }
    return SBK_SUCCESS;
}

static void add_skipped(struct solver *s, int column)
{
    if (!s->r)
        return;
    int *grown = realloc(s->r->skipped, (s->r->nskipped + 1) * sizeof *grown);
    if (grown)
        s->r->skipped = grown, s->r->skipped[s->r->nskipped++] = column;
}

/* ||e||^2 of the current residual e into res[slot]. */
static int submit_norm(struct solver *s, int slot)
{
    return submit_pass(s, -1, -1, s->resh[slot]);
}

/* Iteration t's relative residual; calls the progress callback; 1 to stop
 * (converged, or cancelled: then the next submission says so). */
static int record(struct solver *s, int t, double ee, double yy, double t0)
{
    if (sbk_cancelled())
        return 1;
    double rel = yy > 0 ? sqrt(ee / yy) : 0.0;
    if (s->r) {
        s->r->rel_residual[t] = rel;
        s->r->iterations = t + 1;
    }
    if (s->o.progress)
        s->o.progress(t + 1, rel, starpu_timing_now() * 1e-6 - t0, s->o.user);
    return s->o.tolerance > 0 && rel <= s->o.tolerance;
}

/* e = y - X a (a = 0 unless an initial guess is given). */
static int submit_residual(struct solver *s)
{
    int ret = sbk_add(1.0, s->y, 0.0, s->y, s->e);
    if (ret == SBK_SUCCESS)
        ret = sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, -1.0, s->X, s->a, 1.0, s->e);
    return ret;
}

static int solve_batches(struct solver *s, double t0)
{
    int ret = solver_alloc(s);
    if (ret != SBK_SUCCESS)
        return ret;
    /* Set-up: ||y||^2, the Gram blocks (or norms), e = y - X a0. */
    ret = sbk_add(1.0, s->y, 0.0, s->y, s->e);
    if (ret == SBK_SUCCESS)
        ret = submit_norm(s, s->nres - 1);
    for (int k = 0; k < s->nbatch && ret == SBK_SUCCESS; k++) {
        const struct batch *b = &s->batches[k];
        for (int i = 0; i < s->mt && ret == SBK_SUCCESS; i++)
            ret = sbk_insert_solvebak_gram_partial(sbk_tile(s->X, i, b->tile), b->col, b->count,
                                                   s->solve != SBK_BATCH_JACOBI, s->q[k * s->mt + i]);
        if (ret == SBK_SUCCESS)
            ret = sbk_insert_solvebak_gram_reduce(&s->q[k * s->mt], s->mt, b->count, s->solve, s->scale[k]);
    }
    if (ret == SBK_SUCCESS && s->o.use_initial_guess) /* e = y - X a; else e = y, a is zeroed below */
        ret = sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, -1.0, s->X, s->a, 1.0, s->e);
    if (ret != SBK_SUCCESS)
        return ret;
    double yy = fetch(s->resh[s->nres - 1]);
    int x_bad = 0, no_memory = 0, unfactorable = 0;
    for (int k = 0; k < s->nbatch && !sbk_cancelled(); k++) { /* cancelled: the tasks wrote nothing */
        sbk_data_read(s->scale[k], NULL, 0);
        const double *sc = s->scalebuf + s->scale_off[k];
        double status = sc[scale_len(s, s->batches[k].count) - 1];
        x_bad |= status == 2.0;
        no_memory |= status == 3.0;
        unfactorable |= status == 4.0;
        if (status == 1.0 && s->r)
            s->r->nregularized++;
        for (int c = 0; c < s->batches[k].count; c++)
            if (sc[c] == 0.0)
                add_skipped(s, k * s->B + c);
    }
    if ((ret = reject_nonfinite(s, x_bad, yy)) != SBK_SUCCESS)
        return ret;
    if (no_memory)
        return SBK_ENOMEM;
    if (unfactorable) {
        say(s, "no ridge made a batch's X_J^T X_J positive definite");
        return SBK_ERUNTIME;
    }
    if (s->r && s->r->nregularized)
        say(s, "%d batch%s of dependent columns solved with a ridge (block-exact)", s->r->nregularized,
            s->r->nregularized > 1 ? "es" : "");
    /* Only now: input that is refused leaves the caller's a as it was. */
    if (!s->o.use_initial_guess && (ret = sbk_scale(0.0, s->a)) != SBK_SUCCESS)
        return ret;
    double t1 = starpu_timing_now() * 1e-6;
    if (s->r)
        s->r->seconds_setup = t1 - t0;

    for (int t = 0; t < s->o.max_iterations; t++) {
        for (int k = 0; k < s->nbatch && ret == SBK_SUCCESS; k++)
            ret = submit_pass(s, k - 1, k, NULL);
        if (ret == SBK_SUCCESS)
            ret = submit_pass(s, s->nbatch - 1, -1, s->resh[t]);
        if (ret != SBK_SUCCESS)
            return ret;
        if (record(s, t, fetch(s->resh[t]), yy, t0))
            break;
    }
    if (s->r)
        s->r->seconds_iterations = starpu_timing_now() * 1e-6 - t1;
    /* The exact residual of the final a, recomputed from X (no drift). */
    ret = submit_residual(s);
    if (ret == SBK_SUCCESS)
        ret = submit_norm(s, s->nres - 2);
    if (ret == SBK_SUCCESS && s->r)
        s->r->final_rel_residual = yy > 0 ? sqrt(fetch(s->resh[s->nres - 2]) / yy) : 0.0;
    return ret;
}

/* M = [X | y]^T [X | y] (lower triangle, on M's rank): G = X^T X, b = X^T y
 * and y^T y at once. Each row block adds its part to an accumulator with one
 * gram_form task; at most GRAM_CHAINS accumulators, each fed consecutive row
 * blocks in order (STARPU_RW chains them), are then summed in chain order by
 * one tile_sum task. So the sums and their order depend on the problem only,
 * not on the scheduler or the worker count, and the accumulators' memory is
 * bounded whatever the number of row blocks. Under MPI a chain also starts
 * where the rank owning X's rows changes (SBK_DIST_ROWS), so X never moves;
 * only the accumulators travel to M's rank. */
enum { GRAM_CHAINS = 8 };

static int submit_gram(const sbk_matrix *X, const sbk_matrix *y, starpu_data_handle_t M)
{
    int n = X->n + 1, per_chain = (X->mt + GRAM_CHAINS - 1) / GRAM_CHAINS, nacc = 0;
    starpu_data_handle_t *acc = malloc(X->mt * sizeof *acc), *tiles = malloc(X->nt * sizeof *tiles), scratch;
    if (!acc || !tiles) {
        free(acc), free(tiles);
        return SBK_ENOMEM;
    }
    sbk_gram_form_scratch(&scratch, X->mb, n, X->prec);
    int ret = SBK_SUCCESS;
    for (int l = 0; l < X->mt && ret == SBK_SUCCESS; l++) {
        int owner = sbk_matrix_tile_owner(X, l, 0);
        int start = l % per_chain == 0 || (X->dist == SBK_DIST_ROWS && owner != sbk_matrix_tile_owner(X, l - 1, 0));
        if (start) {
            starpu_matrix_data_register(&acc[nacc], -1, 0, n, n, n, X->prec);
            sbk_data_distribute(acc[nacc++], owner);
        }
        for (int j = 0; j < X->nt; j++)
            tiles[j] = sbk_tile(X, l, j);
        ret = sbk_insert_gram_form(tiles, X->nt, sbk_tile(y, l, 0), !start, acc[nacc - 1], scratch);
    }
    if (ret == SBK_SUCCESS)
        ret = sbk_insert_tile_sum(acc, nacc, 1, M);
    for (int k = 0; k < nacc; k++)
        starpu_data_unregister(acc[k]);
    starpu_data_unregister(scratch);
    free(acc), free(tiles);
    return ret;
}

/* ||y - X a||^2 by one pass over X (e = y - X a, then e^T e by GEMM into the
 * 1×1 matrix dee over the host value at eev). */
static int exact_ee(struct solver *s, sbk_matrix *dee, void *eev, double *ee)
{
    int ret = submit_residual(s);
    if (ret == SBK_SUCCESS)
        ret = sbk_gemm(SBK_TRANS, SBK_NOTRANS, 1.0, s->e, s->e, 0.0, dee);
    if (ret == SBK_SUCCESS)
        ret = sbk_data_read(sbk_tile(dee, 0, 0), eev, s->X->prec);
    if (ret == SBK_SUCCESS)
        *ee = s->X->prec == SBK_DOUBLE ? *(const double *)eev : *(const float *)eev;
    return ret;
}

/* Element k of a float or double buffer, in double. */
static double element(const void *buf, size_t es, size_t k)
{
    return es == sizeof(double) ? ((const double *)buf)[k] : ((const float *)buf)[k];
}

enum { PENDING = 16 }; /* Gram iterates whose residuals one pass over X gives */

/* Copies a's current value into column k of A (vars×PENDING) on every rank. */
static int keep_iterate(struct solver *s, char *A, int k)
{
    size_t es = s->X->prec;
    int ret = SBK_SUCCESS;
    for (int i = 0; i < s->a->mt && ret == SBK_SUCCESS; i++)
        ret = sbk_data_read(sbk_tile(s->a, i, 0), A + ((size_t)k * s->vars + (size_t)i * s->a->mb) * es,
                            (size_t)sbk_tile_rows(s->a, i) * es);
    return ret;
}

/* a = column k of A. */
static int restore_iterate(struct solver *s, char *A, int k)
{
    sbk_matrix *kept;
    int ret = sbk_matrix_create_dist(&kept, s->X->prec, A + (size_t)k * s->vars * s->X->prec, s->vars, 1, s->vars,
                                     s->a->mb, s->a->nb, SBK_DIST_ROOT);
    if (ret == SBK_SUCCESS)
        ret = sbk_add(1.0, kept, 0.0, kept, s->a);
    sbk_matrix_destroy(kept);
    return ret;
}

/* ||y - X a_k||^2 for the c iterates in the columns of A by one pass over X:
 * E = y 1^T - X A in X's row blocks, then the diagonal of E^T E. */
static int pending_residuals(struct solver *s, char *A, int c, double *ee)
{
    sbk_precision prec = s->X->prec;
    size_t es = prec;
    char *ones = malloc(c * es), *S = malloc((size_t)c * c * es);
    sbk_matrix *dA = NULL, *d1 = NULL, *dE = NULL, *dS = NULL;
    int ret = ones && S ? SBK_SUCCESS : SBK_ENOMEM;
    for (int k = 0; ret == SBK_SUCCESS && k < c; k++)
        prec == SBK_DOUBLE ? (((double *)ones)[k] = 1.0) : (((float *)ones)[k] = 1.0f);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_create_dist(&dA, prec, A, s->vars, c, s->vars, s->X->nb, c, SBK_DIST_ROOT);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_create_dist(&d1, prec, ones, 1, c, 1, s->y->nb, c, SBK_DIST_ROOT);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_create_dist(&dE, prec, NULL, s->obs, c, s->obs, s->X->mb, c, s->X->dist);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_create_dist(&dS, prec, S, c, c, c, c, c, SBK_DIST_ROOT);
    if (ret == SBK_SUCCESS)
        ret = sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1.0, s->y, d1, 0.0, dE);
    if (ret == SBK_SUCCESS)
        ret = sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, -1.0, s->X, dA, 1.0, dE);
    if (ret == SBK_SUCCESS)
        ret = sbk_gemm(SBK_TRANS, SBK_NOTRANS, 1.0, dE, dE, 0.0, dS);
    if (ret == SBK_SUCCESS)
        ret = sbk_data_read(sbk_tile(dS, 0, 0), S, (size_t)c * c * es);
    for (int k = 0; ret == SBK_SUCCESS && k < c; k++)
        ee[k] = element(S, es, k + (size_t)k * c);
    sbk_matrix_destroy(dA), sbk_matrix_destroy(d1), sbk_matrix_destroy(dE), sbk_matrix_destroy(dS);
    free(ones), free(S);
    return ret;
}

/* Gram method: M = [X | y]^T [X | y] (G, b = X^T y, y^T y; submit_gram),
 * then one sweep task per iteration on M, on rank 0. The sweep's residual
 * y^T y - 2 a^T b + a^T G a cancels: its relative error grows as eps / rel^2,
 * so below rel^2 = 4.5e5 eps (rel 1e-5 in double, 0.23 in single precision,
 * where it would stall above any small tolerance) the residuals come from X
 * instead (the estimate is then off by 2e-6 of itself at most): the iterates are kept
 * and up to PENDING of them cost one pass over X (pending_residuals; the
 * sweeps on G are cheap). Reaching the tolerance among them brings a back to
 * that iterate. */
static int solve_gram(struct solver *s, double t0)
{
    size_t es = s->X->prec;
    int ret = SBK_ENOMEM, vars = s->vars, n = vars + 1;
    /* Zeroed: the upper triangle is never formed, but the whole of M travels. */
    void *M = calloc((size_t)n * n, es), *eev = malloc(es);
    char *A = malloc((size_t)vars * PENDING * es); /* kept iterates */
    double *ee = calloc(s->o.max_iterations + 1, sizeof *ee);
    sbk_matrix *dee = NULL;
    starpu_data_handle_t hM = NULL, *hee = malloc((s->o.max_iterations + 1) * sizeof *hee);
    int nee = 0;
    if (!M || !eev || !A || !ee || !hee)
        goto out;
    starpu_matrix_data_register(&hM, STARPU_MAIN_RAM, (uintptr_t)M, n, n, n, es);
    sbk_data_distribute(hM, 0);
    if ((ret = sbk_matrix_create_dist(&dee, s->X->prec, eev, 1, 1, 1, s->y->nb, s->y->nb, SBK_DIST_ROOT)) ||
        (ret = create_e(s)) || (ret = submit_gram(s->X, s->y, hM)) != SBK_SUCCESS)
        goto out;
    /* Every rank reads G's diagonal and y^T y below and must decide alike. */
    if ((ret = sbk_data_read(hM, NULL, 0)) != SBK_SUCCESS)
        goto out;
    double yy = element(M, es, vars + (size_t)vars * n);
    int x_bad = 0;
    for (int j = 0; j < vars && !sbk_cancelled(); j++) { /* cancelled: M was never formed */
        double gjj = element(M, es, j + (size_t)j * n);
        x_bad |= !isfinite(gjj);
        if (gjj == 0.0)
            add_skipped(s, j);
    }
    if ((ret = reject_nonfinite(s, x_bad, yy)) != SBK_SUCCESS)
        goto out;
    /* Only now: input that is refused leaves the caller's a as it was. */
    if (!s->o.use_initial_guess && (ret = sbk_scale(0.0, s->a)) != SBK_SUCCESS)
        goto out;
    double t1 = starpu_timing_now() * 1e-6;
    if (s->r)
        s->r->seconds_setup = t1 - t0;
    for (nee = 0; nee <= s->o.max_iterations; nee++) {
        starpu_variable_data_register(&hee[nee], STARPU_MAIN_RAM, (uintptr_t)&ee[nee], sizeof(double));
        sbk_data_distribute(hee[nee], sbk_matrix_tile_owner(s->a, 0, 0));
    }
    double e2 = 0, pend_ee[PENDING], trusted = 4.5e5 * (es == sizeof(float) ? FLT_EPSILON : DBL_EPSILON);
    int npend = 0, first = 0, stop = 0, exact = 0; /* exact: e2 is a's residual from X */
    for (int t = 0; t < s->o.max_iterations && !stop; t++) {
        if ((ret = sbk_insert_gram_sweep(hM, s->a->tiles, vars, s->a->mb, hee[t])) != SBK_SUCCESS)
            goto out;
        e2 = fetch(hee[t]);
        if (e2 < 0) { /* the sweep found no memory and did nothing */
            ret = sbk_cancelled() ? SBK_ECANCELED : SBK_ENOMEM;
            goto out;
        }
        if (npend == 0 && e2 >= trusted * yy) { /* the estimate holds */
            stop = record(s, t, e2, yy, t0), exact = 0;
            continue;
        }
        if ((ret = keep_iterate(s, A, npend)) != SBK_SUCCESS)
            goto out;
        first = npend++ ? first : t;
        if (npend < PENDING && t < s->o.max_iterations - 1)
            continue;
        if ((ret = pending_residuals(s, A, npend, pend_ee)) != SBK_SUCCESS)
            goto out;
        for (int k = 0; k < npend && !stop; k++)
            if ((stop = record(s, first + k, e2 = pend_ee[k], yy, t0)) && k < npend - 1 &&
                (ret = restore_iterate(s, A, k)) != SBK_SUCCESS)
                goto out;
        npend = 0, exact = 1;
    }
    if (s->r)
        s->r->seconds_iterations = starpu_timing_now() * 1e-6 - t1;
    /* The exact residual from X, as for the other methods. */
    if ((exact || (ret = exact_ee(s, dee, eev, &e2)) == SBK_SUCCESS) && s->r)
        s->r->final_rel_residual = yy > 0 ? sqrt(e2 / yy) : 0.0;
out:
    if (hM)
        starpu_data_unregister(hM);
    for (int t = 0; t < nee; t++)
        starpu_data_unregister(hee[t]);
    sbk_matrix_destroy(dee);
    sbk_matrix_destroy(s->e);
    s->e = NULL;
    free(M), free(eev), free(A), free(ee), free(hee);
    return ret;
}

void sbk_solvebak_opts_default(sbk_solvebak_opts *opts)
{
    *opts = (sbk_solvebak_opts){.method = SBK_SOLVEBAK_BATCHED, .batch = 100, .max_iterations = 10};
}

void sbk_solvebak_report_free(sbk_solvebak_report *report)
{
    if (!report)
        return;
    free(report->rel_residual);
    free(report->skipped);
    memset(report, 0, sizeof *report);
}

static int on_one_rank(const sbk_matrix *A)
{
    for (int i = 0; i < A->mt; i++)
        for (int j = 0; j < A->nt; j++)
            if (sbk_matrix_tile_owner(A, i, j) != sbk_matrix_tile_owner(A, 0, 0))
                return 0;
    return 1;
}

/* Per-column works a block of columns at a time (same iterates, one reduction
 * per block): the largest block up to the batch that does not straddle tiles,
 * and on CPUs alone up to 20 columns. There the set-up's Gram blocks, obs·B
 * flops per column, outweigh the extra reductions beyond that (2 cores, the 100000×1000
 * problem: 0.60 s at B = 100, 0.52 s at 20, 0.51 s at 10); on GPUs they cost
 * little and each block a round trip, so the batch stays (on every rank
 * when they all have GPUs). */
static int per_column_block(int nb, int batch)
{
    int cpus_only = sbk_mpi_min_long(sbk_ncuda_workers()) == 0; /* every rank must choose alike */
    int limit = cpus_only && batch > 20 ? 20 : batch;
    int B = limit > 1 ? limit : 1;
    while (nb % B)
        B--;
    return B;
}

/* Checks the operands and options; fills s. */
static int validate(struct solver *s)
{
    const sbk_matrix *X = s->X, *y = s->y, *a = s->a;
    const sbk_solvebak_opts *o = &s->o;
    if (y->prec != X->prec || a->prec != X->prec) {
        say(s, "X, y and a must have the same precision");
        return SBK_EPREC;
    }
    if (y->m != X->m || y->n != 1 || y->mb != X->mb || a->m != X->n || a->n != 1 || a->mb != X->nb ||
        a->nb != y->nb) {
        say(s, "y must be %d×1 in %d-row tiles and a %d×1 in %d-row tiles (got y %d×%d, a %d×%d)", X->m, X->mb,
            X->n, X->nb, y->m, y->n, a->m, a->n);
        return SBK_ESHAPE;
    }
    /* One residual handle per allowed iteration is registered up front: bounded. */
    if (o->method < SBK_SOLVEBAK_PER_COLUMN || o->method > SBK_SOLVEBAK_GRAM || o->max_iterations < 0 ||
        o->max_iterations > 10000000 || !(o->tolerance >= 0)) {
        say(s, "unknown method, iteration count outside [0, 1e7] or negative tolerance");
        return SBK_EINVAL;
    }
    int batched = o->method == SBK_SOLVEBAK_BATCHED || o->method == SBK_SOLVEBAK_BLOCK_EXACT;
    s->B = batched ? o->batch : per_column_block(X->nb, o->batch < X->n ? o->batch : X->n);
    if (batched && (o->batch < 1 || o->batch > X->n)) {
        say(s, "batch %d must be between 1 and the number of columns %d", o->batch, X->n);
        return SBK_EINVAL;
    }
    if (batched && X->nb % o->batch != 0) {
        say(s, "X's tile width %d must be a multiple of the batch %d", X->nb, o->batch);
        return SBK_ESHAPE;
    }
    if (o->method == SBK_SOLVEBAK_GRAM && X->m < X->n) {
        say(s, "the Gram method needs obs >= vars (X is %d×%d)", X->m, X->n);
        return SBK_EINVAL;
    }
    s->obs = X->m, s->vars = X->n, s->mt = X->mt;
    s->nbatch = (s->vars + s->B - 1) / s->B;
    s->solve = o->method == SBK_SOLVEBAK_BLOCK_EXACT ? SBK_BATCH_CHOLESKY
               : o->method == SBK_SOLVEBAK_PER_COLUMN ? SBK_BATCH_GAUSS_SEIDEL
                                                      : SBK_BATCH_JACOBI;
    return SBK_SUCCESS;
}

int sbk_solvebak(const sbk_matrix *X, const sbk_matrix *y, sbk_matrix *a, const sbk_solvebak_opts *opts,
                 sbk_solvebak_report *report)
{
    const sbk_matrix *mats[] = {X, y, a};
    int ret = sbk_check_matrices(3, mats);
    if (report)
        memset(report, 0, sizeof *report);
    if (ret != SBK_SUCCESS)
        return ret;
    if (!opts)
        return SBK_EINVAL;
    struct solver s = {.X = X, .y = y, .a = a, .o = *opts, .r = report};
    if ((ret = validate(&s)) != SBK_SUCCESS)
        return ret;
    if (report && !(report->rel_residual = calloc(opts->max_iterations + 1, sizeof(double))))
        return SBK_ENOMEM;
    double t0 = starpu_timing_now() * 1e-6;
    /* The reduce and sweep tasks update a tile of a with data on a's rank:
     * a spread over ranks is worked on in a copy on rank 0. */
    sbk_matrix *a_work = NULL;
    if (!on_one_rank(a)) {
        ret = sbk_matrix_create_dist(&a_work, a->prec, NULL, a->m, 1, a->m, a->mb, a->nb, SBK_DIST_ROOT);
        if (ret == SBK_SUCCESS)
            ret = sbk_matrix_copy(a, a_work);
        s.a = a_work;
    }
    if (ret == SBK_SUCCESS)
        ret = opts->method == SBK_SOLVEBAK_GRAM ? solve_gram(&s, t0) : solve_batches(&s, t0);
    if (a_work) {
        int back = sbk_matrix_copy(a_work, a);
        ret = ret != SBK_SUCCESS ? ret : back;
        sbk_matrix_destroy(a_work);
    }
    starpu_task_wait_for_all();
    solver_free(&s);
    if (report)
        report->seconds_total = starpu_timing_now() * 1e-6 - t0;
    return ret == SBK_SUCCESS && sbk_cancelled() ? SBK_ECANCELED : ret;
}
