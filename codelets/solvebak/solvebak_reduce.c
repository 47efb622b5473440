/* SolveBak reductions over the row-block partials p_0 .. p_{mt-1} (CPU only:
 * a few hundred numbers, summed in a fixed order so every scheduler gives the
 * same bits; under MPI one partial per rank count, combined by
 * sbk_insert_reduce):
 *   da:   d = sum_i p_i[0..count); then by the batch's solve (codelets.h):
 *         Jacobi da = d ./ diag, Gauss-Seidel (D + L) da = d, Cholesky L L^T da = d;
 *         a[off..off+count) += da
 *   norm: out = sum_i p_i[slot]
 * CPU: kernels/cpu/solvebak.c (LAPACKE dpotrs for Cholesky, cholesky.c). */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/solvebak.h"

struct reduce_args {
    int count, a_offset, slot;
    enum sbk_batch_solve solve; /* scale: diagonal, then G_J (Gauss-Seidel) or its factor L (Cholesky) */
};

/* The partials a task reads: its buffers but the last `tail` (under MPI with
 * several ranks one combined double partial, sbk_insert_reduce). */
static int nparts_of(int tail) { return STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - tail; }

/* The partials' pointers into parts; returns their precision (all alike). */
static sbk_precision partial_pointers(void *buffers[], int nparts, const void **parts)
{
    for (int i = 0; i < nparts; i++)
        parts[i] = (const void *)STARPU_VECTOR_GET_PTR(buffers[i]);
    return (sbk_precision)STARPU_VECTOR_GET_ELEMSIZE(buffers[0]);
}

/* Buffers: p_0 .. p_{nparts-1} (R), scale (R, double), da (W), a tile (RW). */
static void reduce_da_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct reduce_args *r = cl_arg;
    int nparts = nparts_of(3);
    const void *parts[nparts];
    sbk_precision parts_prec = partial_pointers(buffers, nparts, parts);
    void *da = buffers[nparts + 1], *a = buffers[nparts + 2];
    sbk_precision prec = (sbk_precision)STARPU_VECTOR_GET_ELEMSIZE(da);
    sbk_cpu_solvebak_update(parts_prec, nparts, parts, r->count, r->solve,
                            (const double *)STARPU_VECTOR_GET_PTR(buffers[nparts]), prec,
                            (void *)STARPU_VECTOR_GET_PTR(da),
                            (char *)STARPU_MATRIX_GET_PTR(a) + (size_t)r->a_offset * prec);
}

/* Buffers: p_0 .. p_{nparts-1} (R), out (W, one double). */
static void reduce_norm_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct reduce_args *r = cl_arg;
    int nparts = nparts_of(1);
    const void *parts[nparts];
    sbk_precision parts_prec = partial_pointers(buffers, nparts, parts);
    sbk_cpu_partials_sum(parts_prec, nparts, parts, r->slot, 1, (double *)STARPU_VARIABLE_GET_PTR(buffers[nparts]));
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
