/* Monte-Carlo pi tile kernel: counts the samples first .. first+count-1 that
 * fall in the quarter disc and adds the count to a STARPU_REDUX counter. Integer
 * counts make the reduction exact, so its order does not change the result.
 * CPU: kernels/cpu/linalg.c. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/linalg.h"

struct mcpi_args {
    uint64_t first, count, seed;
};

static void mcpi_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct mcpi_args *a = cl_arg;
    *(uint64_t *)STARPU_VARIABLE_GET_PTR(buffers[0]) += sbk_cpu_mcpi_count(a->seed, a->first, a->count);
}

static void mcpi_zero_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    (void)cl_arg;
    *(uint64_t *)STARPU_VARIABLE_GET_PTR(buffers[0]) = 0;
}

static void mcpi_sum_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    (void)cl_arg;
    *(uint64_t *)STARPU_VARIABLE_GET_PTR(buffers[0]) += *(const uint64_t *)STARPU_VARIABLE_GET_PTR(buffers[1]);
}

#ifdef STARPU_USE_CUDA
cudaError_t sbk_mcpi_cuda_launch(uint64_t first, uint64_t count, uint64_t seed, uint64_t *inside,
                                 cudaStream_t stream);

static void mcpi_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct mcpi_args *a = cl_arg;
    cudaError_t status = sbk_mcpi_cuda_launch(a->first, a->count, a->seed,
                                              (uint64_t *)STARPU_VARIABLE_GET_PTR(buffers[0]),
                                              starpu_cuda_get_local_stream());
    if (status != cudaSuccess)
        STARPU_CUDA_REPORT_ERROR(status);
}

cudaError_t sbk_mcpi_sum_cuda_launch(uint64_t *into, const uint64_t *from, cudaStream_t stream);

static void mcpi_sum_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    (void)cl_arg;
    cudaError_t status = sbk_mcpi_sum_cuda_launch((uint64_t *)STARPU_VARIABLE_GET_PTR(buffers[0]),
                                                  (const uint64_t *)STARPU_VARIABLE_GET_PTR(buffers[1]),
                                                  starpu_cuda_get_local_stream());
    if (status != cudaSuccess)
        STARPU_CUDA_REPORT_ERROR(status);
}

static void mcpi_zero_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    (void)cl_arg;
    cudaError_t status = cudaMemsetAsync((void *)STARPU_VARIABLE_GET_PTR(buffers[0]), 0, sizeof(uint64_t),
                                         starpu_cuda_get_local_stream());
    if (status != cudaSuccess)
        STARPU_CUDA_REPORT_ERROR(status);
}
#endif

/* The cost depends on the sample count, an argument, not on the buffer size. */
static uint32_t mcpi_footprint(struct starpu_task *task)
{
    const struct mcpi_args *a = task->cl_arg;
    return starpu_hash_crc32c_be_n(&a->count, sizeof a->count, 0);
}


SBK_CODELET(cl_mcpi, "mcpi", "sbk_mcpi_splitmix64", mcpi_footprint, mcpi_cpu, mcpi_cuda, STARPU_CUDA_ASYNC,
            .nbuffers = 1,
            .modes = {STARPU_REDUX});

static struct starpu_codelet cl_mcpi_zero = {
    .name = "mcpi_zero",
    .cpu_funcs = {mcpi_zero_cpu},
    SBK_CUDA_IMPL(mcpi_zero_cuda, STARPU_CUDA_ASYNC)
    .nbuffers = 1,
    .modes = {STARPU_W},
};

static struct starpu_codelet cl_mcpi_sum = {
    .name = "mcpi_sum",
    .cpu_funcs = {mcpi_sum_cpu},
#ifdef STARPU_USE_CUDA
    .cuda_funcs = {mcpi_sum_cuda},
    .cuda_flags = {STARPU_CUDA_ASYNC},
#endif
    .nbuffers = 2,
    .modes = {STARPU_RW | STARPU_COMMUTE, STARPU_R},
};

void sbk_mcpi_set_reduction(starpu_data_handle_t inside)
{
    starpu_data_set_reduction_methods(inside, &cl_mcpi_sum, &cl_mcpi_zero);
}

int sbk_insert_mcpi(uint64_t first, uint64_t count, uint64_t seed, starpu_data_handle_t inside)
{
    if (sbk_cancelled())
        return SBK_ECANCELED;
    struct mcpi_args *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    *args = (struct mcpi_args){first, count, seed};
    return sbk_insert_status(starpu_task_insert(&cl_mcpi, STARPU_REDUX, inside,
                                                STARPU_CL_ARGS, args, sizeof *args, 0));
}
