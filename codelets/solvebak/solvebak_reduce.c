/* SolveBak reductions over the row-block partials p_0 .. p_{mt-1} (CPU only:
 * a few hundred numbers, summed in a fixed order so every scheduler gives the
 * same bits; under MPI one partial per rank count, combined by
 * sbk_insert_reduce):
 *   da:   d = sum_i p_i[0..count); then by the batch's solve (codelets.h):
 *         Jacobi da = d ./ diag, Gauss-Seidel (D + L) da = d, Cholesky L L^T da = d;
 *         a[off..off+count) += da
 *   norm: out = sum_i p_i[slot]                                              */
#include <lapacke.h>
#include <stdlib.h>
#include "codelets/codelet_def.h"

struct reduce_args {
    int count, a_offset, slot;
    enum sbk_batch_solve solve; /* scale: diagonal, then G_J (Gauss-Seidel) or its factor L (Cholesky) */
};

static double part(void *p, int k)
{
    return STARPU_VECTOR_GET_ELEMSIZE(p) == sizeof(double) ? ((const double *)STARPU_VECTOR_GET_PTR(p))[k]
                                                           : ((const float *)STARPU_VECTOR_GET_PTR(p))[k];
}

/* The partials a task reads: its buffers but the last `tail` (under MPI with
 * several ranks one combined double partial, sbk_insert_reduce). */
static int nparts_of(int tail) { return STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - tail; }

/* Buffers: p_0 .. p_{nparts-1} (R), scale (R, double), da (W), a tile (RW). */
static void reduce_da_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct reduce_args *r = cl_arg;
    int nparts = nparts_of(3);
    const double *scale = (const double *)STARPU_VECTOR_GET_PTR(buffers[nparts]);
    void *da = buffers[nparts + 1], *a = buffers[nparts + 2];
    double d[r->count];
    for (int k = 0; k < r->count; k++) {
        d[k] = 0.0;
        for (int i = 0; i < nparts; i++)
            d[k] += part(buffers[i], k);
    }
    const double *G = scale + r->count; /* after the diagonal */
    if (r->solve == SBK_BATCH_CHOLESKY)
        LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', r->count, 1, G, r->count, d, r->count);
    else /* a zero column has a zero diagonal: it is skipped, da = 0 */
        for (int k = 0; k < r->count; k++) {
            /* Gauss-Seidel: X_k^T e after the batch's earlier columns moved e. */
            for (int j = 0; r->solve == SBK_BATCH_GAUSS_SEIDEL && j < k; j++)
                d[k] -= G[k + (size_t)j * r->count] * d[j];
            d[k] = scale[k] > 0.0 ? d[k] / scale[k] : 0.0;
        }
    int dbl = STARPU_VECTOR_GET_ELEMSIZE(da) == sizeof(double);
    for (int k = 0; k < r->count; k++) {
        if (dbl) {
            ((double *)STARPU_VECTOR_GET_PTR(da))[k] = d[k];
            ((double *)STARPU_MATRIX_GET_PTR(a))[r->a_offset + k] += d[k];
        } else {
            ((float *)STARPU_VECTOR_GET_PTR(da))[k] = (float)d[k];
            ((float *)STARPU_MATRIX_GET_PTR(a))[r->a_offset + k] += (float)d[k];
        }
    }
}

/* Buffers: p_0 .. p_{nparts-1} (R), out (W, one double). */
static void reduce_norm_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct reduce_args *r = cl_arg;
    int nparts = nparts_of(1);
    double sum = 0.0;
    for (int i = 0; i < nparts; i++)
        sum += part(buffers[i], r->slot);
    *(double *)STARPU_VARIABLE_GET_PTR(buffers[nparts]) = sum;
}


SBK_CPU_CODELET(cl_solvebak_reduce_da, "solvebak_reduce_da", "sbk_solvebak_reduce_da", NULL, reduce_da_cpu,
                .nbuffers = STARPU_VARIABLE_NBUFFERS);


SBK_CPU_CODELET(cl_solvebak_reduce_norm, "solvebak_reduce_norm", "sbk_solvebak_reduce_norm", NULL, reduce_norm_cpu,
                .nbuffers = STARPU_VARIABLE_NBUFFERS);

int sbk_insert_solvebak_reduce_da(starpu_data_handle_t *parts, int nparts, int count, starpu_data_handle_t scale,
                                  enum sbk_batch_solve solve, starpu_data_handle_t da, starpu_data_handle_t a_tile,
                                  int a_offset)
{
    struct reduce_args *r = malloc(sizeof *r);
    if (!r)
        return SBK_ENOMEM;
    *r = (struct reduce_args){count, a_offset, 0, solve};
    starpu_data_handle_t tail[] = {scale, da, a_tile};
    const enum starpu_data_access_mode modes[] = {STARPU_R, STARPU_W, STARPU_RW};
    const struct sbk_partials p = {parts, nparts, 1, 0};
    /* On the critical path of every batch: run it first. */
    return sbk_insert_reduce(&cl_solvebak_reduce_da, r, sizeof *r, &p, tail, modes, 3, STARPU_MAX_PRIO);
}

int sbk_insert_solvebak_reduce_norm(starpu_data_handle_t *parts, int nparts, int slot, starpu_data_handle_t out)
{
    struct reduce_args *r = malloc(sizeof *r);
    if (!r)
        return SBK_ENOMEM;
    *r = (struct reduce_args){0, 0, slot, SBK_BATCH_JACOBI};
    starpu_data_handle_t tail[] = {out};
    const enum starpu_data_access_mode modes[] = {STARPU_W};
    const struct sbk_partials p = {parts, nparts, 1, 0};
    return sbk_insert_reduce(&cl_solvebak_reduce_norm, r, sizeof *r, &p, tail, modes, 1, STARPU_MAX_PRIO);
}
