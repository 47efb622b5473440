/* SolveBak's Gram method: M = [X | y]^T [X | y] (G = X^T X, b = X^T y and
 * y^T y, submit_gram), then one sweep task per iteration on M, on rank 0. The
 * sweep's residual y^T y - 2 a^T b + a^T G a cancels: its relative error grows
 * as eps / rel^2, so below rel^2 = 4.5e5 eps (rel 1e-5 in double, 0.23 in
 * single precision, where it would stall above any small tolerance) the
 * residuals come from X instead (the estimate is then off by 2e-6 of itself at
 * most): the iterates are kept and up to PENDING of them cost one pass over X
 * (pending_residuals; the sweeps on G are cheap). Reaching the tolerance among
 * them brings a back to that iterate. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include "internal/solvebak.h"

/* M = [X | y]^T [X | y] (lower triangle, on M's rank): G = X^T X, b = X^T y
 * and y^T y at once. Each row block adds its part to an accumulator with one
 * gram_form task; at most GRAM_CHAINS accumulators, each fed consecutive row
 * blocks in order (STARPU_RW chains them), are then summed in chain order by
 * one tile_sum task. So the sums and their order depend on the problem only,
 * not on the scheduler or the worker count, and the accumulators' memory is
 * bounded whatever the number of row blocks. Under MPI (SBK_DIST_ROWS) each
 * rank's consecutive row blocks make GRAM_CHAINS chains of their own, so X
 * never moves and a rank's chains stay as long when ranks are added with
 * their rows (weak scaling); only the accumulators travel, summed per rank
 * and then along the ranks' tree (sbk_insert_reduce). */
enum { GRAM_CHAINS = 8 };

/* How many row blocks from row block l on share its rank (SBK_DIST_ROWS
 * gives each rank consecutive ones). */
static int run_of_rank(const sbk_matrix *X, int l)
{
    int owner = sbk_matrix_tile_owner(X, l, 0), last = l;
    while (last + 1 < X->mt && sbk_matrix_tile_owner(X, last + 1, 0) == owner)
        last++;
    return last - l + 1;
}

static int submit_gram(const sbk_matrix *X, const sbk_matrix *y, starpu_data_handle_t M)
{
    int n = X->n + 1, nacc = 0, first = 0, per_chain = (X->mt + GRAM_CHAINS - 1) / GRAM_CHAINS;
    starpu_data_handle_t *acc = malloc(X->mt * sizeof *acc), *tiles = malloc(X->nt * sizeof *tiles), scratch;
    if (!acc || !tiles) {
        free(acc), free(tiles);
        return SBK_ENOMEM;
    }
    sbk_gram_form_scratch(&scratch, X->mb, n, X->prec);
    int ret = SBK_SUCCESS;
    for (int l = 0; l < X->mt && ret == SBK_SUCCESS; l++) {
        int owner = sbk_matrix_tile_owner(X, l, 0);
        if (X->dist == SBK_DIST_ROWS && (l == 0 || owner != sbk_matrix_tile_owner(X, l - 1, 0)))
            first = l, per_chain = (run_of_rank(X, l) + GRAM_CHAINS - 1) / GRAM_CHAINS;
        int start = (l - first) % per_chain == 0;
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
    int ret = sbk_solver_residual(s);
    if (ret == SBK_SUCCESS)
        ret = sbk_gemm(SBK_TRANS, SBK_NOTRANS, 1.0, s->e, s->e, 0.0, dee);
    if (ret == SBK_SUCCESS)
        ret = sbk_data_read(sbk_tile(dee, 0, 0), eev, s->X->prec);
    if (ret == SBK_SUCCESS)
        *ee = s->X->prec == SBK_DOUBLE ? *(const double *)eev : *(const float *)eev;
    return ret;
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
        ret = sbk_matrix_copy(kept, s->a);
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
        ee[k] = sbk_elem_get((sbk_precision)es, S, k + (size_t)k * c);
    sbk_matrix_destroy(dA), sbk_matrix_destroy(d1), sbk_matrix_destroy(dE), sbk_matrix_destroy(dS);
    free(ones), free(S);
    return ret;
}


/* One Gram solve's data: M (n × n, n = vars + 1) and its handle, the sweeps'
 * residual estimates ee[t] with their handles, the kept iterates A
 * (vars × PENDING), and dee / eev for one exact residual. */
struct gram {
    struct solver *s;
    int n;
    void *M, *eev;
    char *A;
    double *ee, yy;
    sbk_matrix *dee;
    starpu_data_handle_t hM, *hee;
    int nee;
};

/* Where the iterations stand: the last residual e2 (exact: a's residual from
 * X), npend iterates kept from iteration first on, and whether to stop. */
struct sweeps {
    double e2;
    int npend, first, stop, exact;
};

static void gram_free(struct gram *g)
{
    if (g->hM)
        starpu_data_unregister(g->hM);
    for (int t = 0; t < g->nee; t++)
        starpu_data_unregister(g->hee[t]);
    sbk_matrix_destroy(g->dee);
    free(g->M), free(g->eev), free(g->A), free(g->ee), free(g->hee);
}

/* Buffers and handles, then M's tasks. */
static int gram_setup(struct gram *g)
{
    struct solver *s = g->s;
    size_t es = s->X->prec;
    int n = g->n, iters = s->o.max_iterations;
    /* M lives on rank 0 alone (its sweeps run there; gram_check sends the
     * other ranks its diagonal). Zeroed: the upper triangle is never formed. */
    int home = sbk_rank() == 0;
    g->M = home ? calloc((size_t)n * n, es) : NULL, g->eev = malloc(es);
    g->A = malloc((size_t)s->vars * PENDING * es);
    g->ee = calloc(iters + 1, sizeof *g->ee);
    g->hee = malloc((iters + 1) * sizeof *g->hee);
    if ((home && !g->M) || !g->eev || !g->A || !g->ee || !g->hee)
        return SBK_ENOMEM;
    starpu_matrix_data_register(&g->hM, home ? STARPU_MAIN_RAM : -1, (uintptr_t)g->M, n, n, n, es);
    sbk_data_distribute(g->hM, 0);
    int ret = sbk_matrix_create_dist(&g->dee, s->X->prec, g->eev, 1, 1, 1, s->y->nb, s->y->nb, SBK_DIST_ROOT);
    if (ret == SBK_SUCCESS)
        ret = sbk_solver_create_e(s);
    return ret == SBK_SUCCESS ? submit_gram(s->X, s->y, g->hM) : ret;
}

/* Once M is formed, on every rank (they must decide alike): y^T y, NaN/Inf
 * (a non-finite diagonal) and zero columns. Only M's diagonal decides, so
 * only it leaves M's rank (n values, where M is n^2). */
static int gram_check(struct gram *g)
{
    struct solver *s = g->s;
    int vars = s->vars, n = g->n, x_bad = 0;
    double *diag = calloc(n, sizeof *diag);
    if (!diag)
        return SBK_ENOMEM;
    if (sbk_data_owned(g->hM)) {
        starpu_data_acquire(g->hM, STARPU_R);
        for (int j = 0; j < n; j++)
            diag[j] = sbk_elem_get(s->X->prec, g->M, j + (size_t)j * n);
        starpu_data_release(g->hM);
    }
    int ret = sbk_broadcast(diag, n * sizeof *diag);
    g->yy = diag[vars];
    for (int j = 0; j < vars && !sbk_cancelled() && ret == SBK_SUCCESS; j++) { /* cancelled: M was never formed */
        x_bad |= !isfinite(diag[j]);
        if (diag[j] == 0.0)
            sbk_solver_add_skipped(s, j);
    }
    free(diag);
    return ret == SBK_SUCCESS ? sbk_solver_reject_nonfinite(s, x_bad, g->yy) : ret;
}

/* The kept iterates' exact residuals, recorded in order until one stops the
 * solve; a then goes back to that iterate. */
static int flush_pending(struct gram *g, struct sweeps *w, double t0)
{
    double pend_ee[PENDING];
    int ret = pending_residuals(g->s, g->A, w->npend, pend_ee);
    for (int k = 0; k < w->npend && !w->stop && ret == SBK_SUCCESS; k++)
        if ((w->stop = sbk_solver_record(g->s, w->first + k, w->e2 = pend_ee[k], g->yy, t0)) && k < w->npend - 1)
            ret = restore_iterate(g->s, g->A, k);
    w->npend = 0, w->exact = 1;
    return ret;
}

/* Iteration t: one sweep, then its residual, from the estimate while it
 * holds, else kept until PENDING iterates (or the last) are measured on X. */
static int sweep(struct gram *g, struct sweeps *w, int t, double t0)
{
    struct solver *s = g->s;
    double trusted = 4.5e5 * (s->X->prec == SBK_FLOAT ? FLT_EPSILON : DBL_EPSILON);
    int ret = sbk_insert_gram_sweep(g->hM, s->a->tiles, s->vars, s->a->mb, g->hee[t]);
    if (ret != SBK_SUCCESS)
        return ret;
    w->e2 = sbk_solver_fetch(g->hee[t]);
    if (sbk_cancelled()) /* the sweep was skipped */
        return SBK_ECANCELED;
    if (w->npend == 0 && w->e2 >= trusted * g->yy) { /* the estimate holds */
        w->stop = sbk_solver_record(s, t, w->e2, g->yy, t0), w->exact = 0;
        return SBK_SUCCESS;
    }
    if ((ret = keep_iterate(s, g->A, w->npend)) != SBK_SUCCESS)
        return ret;
    w->first = w->npend++ ? w->first : t;
    if (w->npend < PENDING && t < s->o.max_iterations - 1)
        return SBK_SUCCESS;
    return flush_pending(g, w, t0);
}

static int iterate(struct gram *g, double t0)
{
    struct solver *s = g->s;
    double t1;
    int ret = sbk_solver_start(s, t0, &t1);
    if (ret != SBK_SUCCESS)
        return ret;
    for (g->nee = 0; g->nee <= s->o.max_iterations; g->nee++) {
        starpu_variable_data_register(&g->hee[g->nee], STARPU_MAIN_RAM, (uintptr_t)&g->ee[g->nee], sizeof(double));
        sbk_data_distribute(g->hee[g->nee], sbk_matrix_tile_owner(s->a, 0, 0));
    }
    struct sweeps w = {0};
    for (int t = 0; t < s->o.max_iterations && !w.stop && ret == SBK_SUCCESS; t++)
        ret = sweep(g, &w, t, t0);
    if (ret != SBK_SUCCESS)
        return ret;
    if (s->r)
        s->r->seconds_iterations = starpu_timing_now() * 1e-6 - t1;
    /* The exact residual from X, as for the other methods. */
    if ((w.exact || (ret = exact_ee(s, g->dee, g->eev, &w.e2)) == SBK_SUCCESS) && s->r)
        s->r->final_rel_residual = g->yy > 0 ? sqrt(w.e2 / g->yy) : 0.0;
    return ret;
}

int sbk_solvebak_gram(struct solver *s, double t0)
{
    struct gram g = {.s = s, .n = s->vars + 1};
    int ret = gram_setup(&g);
    if (ret == SBK_SUCCESS)
        ret = gram_check(&g);
    if (ret == SBK_SUCCESS)
        ret = iterate(&g, t0);
    gram_free(&g);
    return ret;
}
