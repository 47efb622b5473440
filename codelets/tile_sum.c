/* C = A_0 + A_1 + ... + A_{n-1} on tiles of one shape, summed in that order
 * (or only their lower triangles, for symmetric partials whose upper part was
 * never written): the partials of X^T X (src/solvebak.c) come together the
 * same way every run, on one rank under MPI. CPU only: it is one pass over
 * n tiles, after StarPU-MPI brought them to the rank. */
#include <stdlib.h>
#include <starbak/codelets.h>

struct tile_sum_args {
    int nparts, lower;
};

static void tile_sum_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct tile_sum_args *a = cl_arg;
    void *C = buffers[a->nparts];
    int rows = STARPU_MATRIX_GET_NX(C), cols = STARPU_MATRIX_GET_NY(C), ldc = STARPU_MATRIX_GET_LD(C);
    int dbl = STARPU_MATRIX_GET_ELEMSIZE(C) == sizeof(double);
    for (int c = 0; c < cols; c++)
        for (int r = a->lower ? c : 0; r < rows; r++) {
            double sum = 0.0;
            for (int p = 0; p < a->nparts; p++) {
                void *A = buffers[p];
                size_t k = r + (size_t)c * STARPU_MATRIX_GET_LD(A);
                sum += dbl ? ((const double *)STARPU_MATRIX_GET_PTR(A))[k] : ((const float *)STARPU_MATRIX_GET_PTR(A))[k];
            }
            size_t k = r + (size_t)c * ldc;
            if (dbl)
                ((double *)STARPU_MATRIX_GET_PTR(C))[k] = sum;
            else
                ((float *)STARPU_MATRIX_GET_PTR(C))[k] = (float)sum;
        }
}

static struct starpu_perfmodel tile_sum_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "sbk_tile_sum",
};

static struct starpu_codelet cl_tile_sum = {
    .name = "tile_sum",
    .cpu_funcs = {tile_sum_cpu},
    .cpu_funcs_name = {"tile_sum_cpu"},
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .model = &tile_sum_model,
};

int sbk_insert_tile_sum(starpu_data_handle_t *parts, int nparts, int lower, starpu_data_handle_t C)
{
    struct tile_sum_args *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    *args = (struct tile_sum_args){nparts, lower};
    const enum starpu_data_access_mode mode = STARPU_W;
    return sbk_insert_gather(&cl_tile_sum, args, sizeof *args, parts, nparts, &C, &mode, 1, 0);
}
