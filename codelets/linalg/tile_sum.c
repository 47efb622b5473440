/* C = A_0 + A_1 + ... + A_{n-1} on tiles of one shape, summed in that order
 * in double (or only their lower triangles, for symmetric partials whose upper
 * part was never written): the partials of X^T X (src/solvebak.c) come
 * together the same way every run, on one rank under MPI. One pass over n
 * tiles. CUDA: the ANN outer solve's partial-sum kernel (ann_solve_cuda.cu),
 * the same per-element sum (partial_sum.h), so both devices give the same bits
 * and partials formed on a GPU need not travel to the host. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/common/partial_sum.h"
#include "../kernels/cpu/linalg.h"

struct tile_sum_args {
    int lower;
};

/* Buffers: A_0 .. A_{n-1} (R; under MPI with several ranks one combined
 * double partial, sbk_insert_reduce), C (W). */
static int nparts_of(void) { return STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - 1; }

static void tile_sum_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct tile_sum_args *a = cl_arg;
    int nparts = nparts_of();
    void *C = buffers[nparts];
    const void **parts = malloc(nparts * sizeof *parts);
    int *ld = malloc(nparts * sizeof *ld);
    if (!parts || !ld)
        STARPU_ABORT_MSG("tile_sum: out of memory for %d partials' pointers", nparts);
    for (int p = 0; p < nparts; p++)
        parts[p] = (const void *)STARPU_MATRIX_GET_PTR(buffers[p]), ld[p] = STARPU_MATRIX_GET_LD(buffers[p]);
    sbk_cpu_tile_sum((sbk_precision)STARPU_MATRIX_GET_ELEMSIZE(buffers[0]), (sbk_precision)STARPU_MATRIX_GET_ELEMSIZE(C),
                     STARPU_MATRIX_GET_NX(C), STARPU_MATRIX_GET_NY(C), a->lower, parts, ld, nparts,
                     (void *)STARPU_MATRIX_GET_PTR(C), STARPU_MATRIX_GET_LD(C));
    free(parts), free(ld);
}

#ifdef STARPU_USE_CUDA
cudaError_t sbk_ann_solve_sum_cuda(const struct sbk_ann_sum *s, cudaStream_t stream);

/* The kernel reads the parts through a table of their device pointers, which
 * lives in stream-ordered device memory (cudaMallocAsync) for the launch. */
static void tile_sum_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct tile_sum_args *a = cl_arg;
    int nparts = nparts_of();
    void *C = buffers[nparts];
    size_t ld = STARPU_MATRIX_GET_LD(buffers[0]), bytes = nparts * sizeof(void *);
    const void **table = malloc(bytes);
    if (!table)
        STARPU_CUDA_REPORT_ERROR(cudaErrorMemoryAllocation);
    for (int p = 0; p < nparts; p++) {
        table[p] = (const void *)STARPU_MATRIX_GET_PTR(buffers[p]);
        if (STARPU_MATRIX_GET_LD(buffers[p]) != ld)
            STARPU_ABORT_MSG("tile_sum: partials of different layouts on the GPU");
    }
    cudaStream_t stream = starpu_cuda_get_local_stream();
    const void **table_dev;
    sbk_check_cuda(cudaMallocAsync((void **)&table_dev, bytes, stream));
    /* From pageable memory the call returns once the table is staged: it can go. */
    sbk_check_cuda(cudaMemcpyAsync(table_dev, table, bytes, cudaMemcpyHostToDevice, stream));
    free(table);
    int dbl = STARPU_MATRIX_GET_ELEMSIZE(C) == sizeof(double);
    int parts_dbl = STARPU_MATRIX_GET_ELEMSIZE(buffers[0]) == sizeof(double);
    size_t c_bytes = STARPU_MATRIX_GET_LD(C) * STARPU_MATRIX_GET_NY(C) * STARPU_MATRIX_GET_ELEMSIZE(C);
    if (a->lower) /* upper part zero, as the CPU leaves M's zeroed home buffer: the same M on both devices */
        sbk_check_cuda(cudaMemsetAsync((void *)STARPU_MATRIX_GET_PTR(C), 0, c_bytes, stream));
    struct sbk_ann_sum sum = {table_dev, nparts, parts_dbl, ld, (int)STARPU_MATRIX_GET_NX(C),
                              (int)STARPU_MATRIX_GET_NY(C), a->lower, 0.0, (void *)STARPU_MATRIX_GET_PTR(C), dbl,
                              STARPU_MATRIX_GET_LD(C)};
    sbk_check_cuda(sbk_ann_solve_sum_cuda(&sum, stream));
    sbk_check_cuda(cudaFreeAsync((void *)table_dev, stream));
}
#endif


SBK_CODELET(cl_tile_sum, "tile_sum", "sbk_tile_sum", NULL, tile_sum_cpu, tile_sum_cuda, STARPU_CUDA_ASYNC,
            .nbuffers = STARPU_VARIABLE_NBUFFERS);

int sbk_insert_tile_sum(starpu_data_handle_t *parts, int nparts, int lower, starpu_data_handle_t C)
{
    struct tile_sum_args *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    *args = (struct tile_sum_args){lower};
    const enum starpu_data_access_mode mode = STARPU_W;
    const struct sbk_partials p = {parts, nparts, 1, lower};
    return sbk_insert_reduce(&cl_tile_sum, args, sizeof *args, &p, &C, &mode, 1, 0);
}
