/* SolveBak on the task graph (doc/guide.md, "SolveBak methods"): the entry
 * point and the checks of its operands and options.
 *
 * Per-column, batched and block-exact (batches.c) walk the columns in batches
 * of step and reduce tasks; the Gram method (gram.c) forms G = X^T X and
 * b = X^T y once and sweeps on them. */
#include <stdlib.h>
#include <string.h>
#include "internal/solvebak.h"

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

/* Checks the operands and options; fills s and the columns per batch *B (the batched methods). */
static int validate(struct solver *s, int *B)
{
    const sbk_matrix *X = s->X, *y = s->y, *a = s->a;
    const sbk_solvebak_opts *o = &s->o;
    if (y->prec != X->prec || a->prec != X->prec) {
        sbk_solver_say(s, "X, y and a must have the same precision");
        return SBK_EPREC;
    }
    if (y->m != X->m || y->n != 1 || y->mb != X->mb || a->m != X->n || a->n != 1 || a->mb != X->nb ||
        a->nb != y->nb) {
        sbk_solver_say(s, "y must be %d×1 in %d-row tiles and a %d×1 in %d-row tiles (got y %d×%d, a %d×%d)", X->m, X->mb,
            X->n, X->nb, y->m, y->n, a->m, a->n);
        return SBK_ESHAPE;
    }
    /* One residual handle per allowed iteration is registered up front: bounded. */
    if (o->method < SBK_SOLVEBAK_PER_COLUMN || o->method > SBK_SOLVEBAK_GRAM || o->max_iterations < 0 ||
        o->max_iterations > 10000000 || !(o->tolerance >= 0)) {
        sbk_solver_say(s, "unknown method, iteration count outside [0, 1e7] or negative tolerance");
        return SBK_EINVAL;
    }
    int batched = o->method == SBK_SOLVEBAK_BATCHED || o->method == SBK_SOLVEBAK_BLOCK_EXACT;
    *B = batched ? o->batch : per_column_block(X->nb, o->batch < X->n ? o->batch : X->n);
    if (batched && (o->batch < 1 || o->batch > X->n)) {
        sbk_solver_say(s, "batch %d must be between 1 and the number of columns %d", o->batch, X->n);
        return SBK_EINVAL;
    }
    if (batched && X->nb % o->batch != 0) {
        sbk_solver_say(s, "X's tile width %d must be a multiple of the batch %d", X->nb, o->batch);
        return SBK_ESHAPE;
    }
    if (o->method == SBK_SOLVEBAK_GRAM && X->m < X->n) {
        sbk_solver_say(s, "the Gram method needs obs >= vars (X is %d×%d)", X->m, X->n);
        return SBK_EINVAL;
    }
    s->obs = X->m, s->vars = X->n;
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
    int B = 0;
    if ((ret = validate(&s, &B)) != SBK_SUCCESS)
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
        ret = opts->method == SBK_SOLVEBAK_GRAM ? sbk_solvebak_gram(&s, t0) : sbk_solvebak_batches(&s, B, t0);
    if (a_work) {
        int back = sbk_matrix_copy(a_work, a);
        ret = ret != SBK_SUCCESS ? ret : back;
        sbk_matrix_destroy(a_work);
    }
    starpu_task_wait_for_all();
    sbk_matrix_destroy(s.e);
    if (report)
        report->seconds_total = starpu_timing_now() * 1e-6 - t0;
    return ret == SBK_SUCCESS && sbk_cancelled() ? SBK_ECANCELED : ret;
}
