/* k-means assignment step on one row tile (the codelet around the kernels of
 * kmeans_kernels.h): each point's nearest centroid and squared distance, and
 * the tile's partial sums, counts and inertia, which src/kmeans.c sums over
 * the tiles in their order (tile_sum). CPU: one OpenBLAS GEMM per chunk of
 * rows and the shared argmin. CUDA: one cuBLAS GEMM per chunk and a kernel
 * (kmeans_assign_cuda.cu) with the same argmin; its sums use atomics, so a
 * GPU's partials are not bit-reproducible (the CPU's are). */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <starpu_cublas_v2.h>
#endif
#include "../kernels/common/kmeans_kernels.h"

/* Buffers: X tile (R), centroids k × vars (R), their squared norms (R, k
 * doubles), labels (RW, ints), squared distances (W, doubles), partial (W,
 * (vars + 1) × (k + 1) doubles), scratch (SCRATCH, CPU only). */
static void kmeans_assign_cpu(void *buffers[], void *cl_arg)
{
    (void)cl_arg;
    if (sbk_kernel_skipped())
        return;
    void *X = buffers[0], *C = buffers[1];
    int dbl = STARPU_MATRIX_GET_ELEMSIZE(X) == sizeof(double);
    sbk_kmeans_assign_cpu(dbl, STARPU_MATRIX_GET_NX(X), STARPU_MATRIX_GET_NY(X), STARPU_MATRIX_GET_NX(C),
                          (const void *)STARPU_MATRIX_GET_PTR(X), STARPU_MATRIX_GET_LD(X),
                          (const void *)STARPU_MATRIX_GET_PTR(C), STARPU_MATRIX_GET_LD(C),
                          (const double *)STARPU_VECTOR_GET_PTR(buffers[2]), (int *)STARPU_VECTOR_GET_PTR(buffers[3]),
                          (double *)STARPU_VECTOR_GET_PTR(buffers[4]), (double *)STARPU_MATRIX_GET_PTR(buffers[5]),
                          (void *)STARPU_VECTOR_GET_PTR(buffers[6]));
}

#ifdef STARPU_USE_CUDA
cudaError_t sbk_kmeans_assign_cuda_chunk(int dbl, int n, int vars, int k, const void *X, size_t ldx,
                                         const void *dots, const double *cnorm, int *labels, double *dist,
                                         double *partial, cudaStream_t stream);

/* dots (n × k, leading dimension n) = X[0:n, :] C^T on the worker's handle:
 * one point per row, so that the kernel's threads read them coalesced. */
static void chunk_dots_cuda(int dbl, int n, int vars, int k, const void *X, int ldx, const void *C, int ldc,
                            void *dots)
{
    cublasHandle_t handle = starpu_cublas_get_local_handle();
    cublasStatus_t status;
    if (dbl) {
        const double one = 1.0, zero = 0.0;
        status = cublasDgemm(handle, CUBLAS_OP_N, CUBLAS_OP_T, n, k, vars, &one, (const double *)X, ldx,
                             (const double *)C, ldc, &zero, (double *)dots, n);
    } else {
        const float one = 1.0f, zero = 0.0f;
        status = cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_T, n, k, vars, &one, (const float *)X, ldx,
                             (const float *)C, ldc, &zero, (float *)dots, n);
    }
    if (status != CUBLAS_STATUS_SUCCESS)
        STARPU_CUBLAS_REPORT_ERROR(status);
}

/* Chunks of up to 64 MB of dot products; the workspace comes from StarPU's
 * allocator on the GPU and goes back once the stream has finished with it. */
static void kmeans_assign_cuda(void *buffers[], void *cl_arg)
{
    (void)cl_arg;
    if (sbk_kernel_skipped())
        return;
    void *X = buffers[0], *C = buffers[1], *P = buffers[5];
    int rows = STARPU_MATRIX_GET_NX(X), vars = STARPU_MATRIX_GET_NY(X), k = STARPU_MATRIX_GET_NX(C);
    size_t es = STARPU_MATRIX_GET_ELEMSIZE(X), ldx = STARPU_MATRIX_GET_LD(X);
    int dbl = es == sizeof(double);
    size_t chunk = ((size_t)64 << 20) / ((size_t)k * es);
    chunk = chunk < 1 ? 1 : chunk > (size_t)rows ? (size_t)rows : chunk;
    unsigned node = starpu_worker_get_local_memory_node();
    size_t bytes = chunk * k * es;
    void *dots = (void *)starpu_malloc_on_node(node, bytes);
    if (!dots)
        STARPU_CUDA_REPORT_ERROR(cudaErrorMemoryAllocation);
    cudaStream_t stream = starpu_cuda_get_local_stream();
    sbk_check_cuda(cudaMemsetAsync((void *)STARPU_MATRIX_GET_PTR(P), 0,
                                   STARPU_MATRIX_GET_LD(P) * STARPU_MATRIX_GET_NY(P) * sizeof(double), stream));
    for (int r0 = 0; r0 < rows; r0 += (int)chunk) {
        int n = rows - r0 < (int)chunk ? rows - r0 : (int)chunk;
        const char *Xc = (const char *)STARPU_MATRIX_GET_PTR(X) + r0 * es;
        chunk_dots_cuda(dbl, n, vars, k, Xc, (int)ldx, (const void *)STARPU_MATRIX_GET_PTR(C),
                        (int)STARPU_MATRIX_GET_LD(C), dots);
        sbk_check_cuda(sbk_kmeans_assign_cuda_chunk(
            dbl, n, vars, k, Xc, ldx, dots, (const double *)STARPU_VECTOR_GET_PTR(buffers[2]),
            (int *)STARPU_VECTOR_GET_PTR(buffers[3]) + r0, (double *)STARPU_VECTOR_GET_PTR(buffers[4]) + r0,
            (double *)STARPU_MATRIX_GET_PTR(P), stream));
    }
    sbk_check_cuda(cudaStreamSynchronize(stream));
    starpu_free_on_node(node, (uintptr_t)dots, bytes);
}
#endif

/* CUDA flags 0: the function waits for its stream before freeing its workspace. */
SBK_CODELET(cl_kmeans_assign, "kmeans_assign", "sbk_kmeans_assign", NULL, kmeans_assign_cpu, kmeans_assign_cuda, 0,
            .nbuffers = 7,
            .modes = {STARPU_R, STARPU_R, STARPU_R, STARPU_RW, STARPU_W, STARPU_W, STARPU_SCRATCH});

int sbk_insert_kmeans_assign(starpu_data_handle_t X, starpu_data_handle_t C, starpu_data_handle_t cnorm,
                             starpu_data_handle_t labels, starpu_data_handle_t dist, starpu_data_handle_t partial,
                             starpu_data_handle_t scratch)
{
    double rows = starpu_matrix_get_nx(X), vars = starpu_matrix_get_ny(X), k = starpu_matrix_get_nx(C);
    const struct starpu_data_descr descr[] = {{X, STARPU_R},      {C, STARPU_R},    {cnorm, STARPU_R},
                                              {labels, STARPU_RW}, {dist, STARPU_W}, {partial, STARPU_W},
                                              {scratch, STARPU_SCRATCH}};
    return sbk_submit(&cl_kmeans_assign, descr, 7, NULL, 0, 2.0 * rows * vars * k, 0);
}
