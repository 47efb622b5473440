/* How every codelet of codelets/ is defined: one macro gives a kernel its
 * history-based perf model, its codelet and, on the SimGrid build, the
 * CUDA entry that marks simulated CUDA workers as able to run it. Included by the codelet files only. */
#ifndef STARBAK_INTERNAL_CODELET_DEF_H
#define STARBAK_INTERNAL_CODELET_DEF_H

#include "codelets/codelets.h"

/* The CUDA implementation's fields: the function and its flags
 * (STARPU_CUDA_ASYNC, or 0 for a function that waits for its stream) on a
 * CUDA build. The SimGrid build never calls a codelet, but StarPU sends a task
 * only to workers of a type that has a function: a non-NULL entry keeps the
 * simulated CUDA workers eligible. Nothing without CUDA. */
#if defined(STARPU_USE_CUDA)
#define SBK_CUDA_IMPL(func, flags) .cuda_funcs = {func}, .cuda_flags = {flags},
#elif defined(STARPU_SIMGRID)
#define SBK_CUDA_IMPL(func, flags) .cuda_funcs = {(void *)1},
#else
#define SBK_CUDA_IMPL(func, flags)
#endif

/* A codelet cl, StarPU name name_, with a CPU function and a CUDA one (see
 * SBK_CUDA_IMPL), and its perf model cl##_model keyed by symbol_: the name of
 * the calibration files in $STARPU_HOME and of the machines in share/machines/,
 * so a symbol is never renamed. footprint_ is the model's footprint function
 * (NULL: StarPU's, from the buffers' sizes). The rest: .nbuffers, .modes, ... */
#define SBK_CODELET(cl, name_, symbol_, footprint_, cpu, cuda, cuda_flags_, ...)                                 \
    static struct starpu_perfmodel cl##_model = {                                                                \
        .type = STARPU_HISTORY_BASED, .symbol = symbol_, .footprint = footprint_};                               \
    static struct starpu_codelet cl = {.name = name_, .cpu_funcs = {cpu}, .cpu_funcs_name = {#cpu},              \
                                       SBK_CUDA_IMPL(cuda, cuda_flags_) .model = &cl##_model, __VA_ARGS__}

/* The same for a kernel with a CPU implementation only. */
#define SBK_CPU_CODELET(cl, name_, symbol_, footprint_, cpu, ...)                                                \
    static struct starpu_perfmodel cl##_model = {                                                                \
        .type = STARPU_HISTORY_BASED, .symbol = symbol_, .footprint = footprint_};                               \
    static struct starpu_codelet cl = {                                                                          \
        .name = name_, .cpu_funcs = {cpu}, .cpu_funcs_name = {#cpu}, .model = &cl##_model, __VA_ARGS__}

/* StarPU's own footprint (starpu_task_data_footprint) over a task's first n
 * buffers only: the footprint of a task whose last buffers (its status, a
 * scratch sized by the others) do not change its cost. */
static inline uint32_t sbk_footprint_of_first(struct starpu_task *task, unsigned n)
{
    uint32_t footprint = 0;
    for (unsigned i = 0; i < n; i++) {
        starpu_data_handle_t h = STARPU_TASK_GET_HANDLE(task, i);
        uint32_t id = (uint32_t)starpu_data_get_interface_id(h);
        uint32_t own = starpu_hash_crc32c_be(starpu_data_get_interface_ops(h)->footprint(h),
                                             id < STARPU_MAX_INTERFACE_ID ? id : 0);
        footprint = starpu_hash_crc32c_be(own, footprint);
    }
    return footprint;
}

/* Offset of the next piece of a workspace carved out of one allocation, each
 * piece 256-byte aligned as cuBLAS and cuSOLVER want. */
static inline size_t sbk_carve(size_t *total, size_t bytes)
{
    size_t at = *total;
    *total += (bytes + 255) & ~(size_t)255;
    return at;
}

#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <cusolverDn.h>
#include <starpu_cublas_v2.h>
#include <starpu_cusolver.h>

/* A CUDA, cuBLAS or cuSOLVER call's status: StarPU's report and abort unless
 * it succeeded (a failed library call on a worker leaves nothing to recover). */
static inline void sbk_check_cuda(cudaError_t status)
{
    if (status != cudaSuccess)
        STARPU_CUDA_REPORT_ERROR(status);
}
static inline void sbk_check_cublas(cublasStatus_t status)
{
    if (status != CUBLAS_STATUS_SUCCESS)
        STARPU_CUBLAS_REPORT_ERROR(status);
}
static inline void sbk_check_cusolver(cusolverStatus_t status)
{
    if (status != CUSOLVER_STATUS_SUCCESS)
        STARPU_CUSOLVER_REPORT_ERROR(status);
}
#endif


#endif
