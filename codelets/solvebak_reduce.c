/* SolveBak reductions over the row-block partials p_0 .. p_{mt-1} (CPU only:
 * a few hundred numbers, summed in a fixed order so every scheduler gives the
 * same bits):
 *   da:   d = sum_i p_i[0..count); da = d ./ diag, or L L^T da = d (block-exact);
 *         a[off..off+count) += da
 *   norm: out = sum_i p_i[slot]                                              */
#include <lapacke.h>
#include <stdlib.h>
#include <starbak/codelets.h>

struct reduce_args {
    int nparts, count, a_offset, slot;
    int exact; /* scale holds a Cholesky factor (count×count) instead of a diagonal */
};

static double part(void *p, int k)
{
    return STARPU_VECTOR_GET_ELEMSIZE(p) == sizeof(double) ? ((const double *)STARPU_VECTOR_GET_PTR(p))[k]
                                                           : ((const float *)STARPU_VECTOR_GET_PTR(p))[k];
}

/* Buffers: p_0 .. p_{nparts-1} (R), scale (R, double), da (W), a tile (RW). */
static void reduce_da_cpu(void *buffers[], void *cl_arg)
{
    const struct reduce_args *r = cl_arg;
    const double *scale = (const double *)STARPU_VECTOR_GET_PTR(buffers[r->nparts]);
    void *da = buffers[r->nparts + 1], *a = buffers[r->nparts + 2];
    double d[r->count];
    for (int k = 0; k < r->count; k++) {
        d[k] = 0.0;
        for (int i = 0; i < r->nparts; i++)
            d[k] += part(buffers[i], k);
    }
    if (r->exact) /* scale = diagonal, then the Cholesky factor of the batch's Gram block */
        LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', r->count, 1, scale + r->count, r->count, d, r->count);
    else /* a zero column has a zero diagonal: it is skipped, da = 0 */
        for (int k = 0; k < r->count; k++)
            d[k] = scale[k] > 0.0 ? d[k] / scale[k] : 0.0;
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
    const struct reduce_args *r = cl_arg;
    double sum = 0.0;
    for (int i = 0; i < r->nparts; i++)
        sum += part(buffers[i], r->slot);
    *(double *)STARPU_VARIABLE_GET_PTR(buffers[r->nparts]) = sum;
}

static struct starpu_codelet cl_solvebak_reduce_da = {
    .name = "solvebak_reduce_da",
    .cpu_funcs = {reduce_da_cpu},
    .cpu_funcs_name = {"reduce_da_cpu"},
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
};

static struct starpu_codelet cl_solvebak_reduce_norm = {
    .name = "solvebak_reduce_norm",
    .cpu_funcs = {reduce_norm_cpu},
    .cpu_funcs_name = {"reduce_norm_cpu"},
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
};

int sbk_insert_solvebak_reduce_da(starpu_data_handle_t *parts, int nparts, int count, starpu_data_handle_t scale,
                                  int exact, starpu_data_handle_t da, starpu_data_handle_t a_tile, int a_offset)
{
    struct reduce_args *r = malloc(sizeof *r);
    if (!r)
        return SBK_ENOMEM;
    *r = (struct reduce_args){nparts, count, a_offset, 0, exact};
    starpu_data_handle_t tail[] = {scale, da, a_tile};
    const enum starpu_data_access_mode modes[] = {STARPU_R, STARPU_W, STARPU_RW};
    /* On the critical path of every batch: run it first. */
    return sbk_insert_gather(&cl_solvebak_reduce_da, r, sizeof *r, parts, nparts, tail, modes, 3, STARPU_MAX_PRIO);
}

int sbk_insert_solvebak_reduce_norm(starpu_data_handle_t *parts, int nparts, int slot, starpu_data_handle_t out)
{
    struct reduce_args *r = malloc(sizeof *r);
    if (!r)
        return SBK_ENOMEM;
    *r = (struct reduce_args){nparts, 0, 0, slot, 0};
    starpu_data_handle_t tail[] = {out};
    const enum starpu_data_access_mode modes[] = {STARPU_W};
    return sbk_insert_gather(&cl_solvebak_reduce_norm, r, sizeof *r, parts, nparts, tail, modes, 1, STARPU_MAX_PRIO);
}
