/* Element-wise tile kernel: A = alpha A. CPU: cblas_?scal per column (the tile
 * may have ld > rows). CUDA: cublas?geam in place on the worker's stream.
 * alpha = 0 writes zeros, even over NaN or uninitialised values. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include "internal/codelets.h"
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <starpu_cublas_v2.h>
#endif

static void scale_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const double *alpha = cl_arg;
    void *A = buffers[0];
    int m = STARPU_MATRIX_GET_NX(A), n = STARPU_MATRIX_GET_NY(A);
    size_t lda = STARPU_MATRIX_GET_LD(A);
    size_t es = STARPU_MATRIX_GET_ELEMSIZE(A);
    for (int j = 0; j < n; j++) {
        if (*alpha == 0.0)
            memset((char *)STARPU_MATRIX_GET_PTR(A) + j * lda * es, 0, m * es);
        else if (es == sizeof(double))
            cblas_dscal(m, *alpha, (double *)STARPU_MATRIX_GET_PTR(A) + j * lda, 1);
        else
            cblas_sscal(m, (float)*alpha, (float *)STARPU_MATRIX_GET_PTR(A) + j * lda, 1);
    }
}

#ifdef STARPU_USE_CUDA
/* geam allows C = A in place when ldc = lda and A is not transposed; beta = 0
 * means B is not read. */
static void scale_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const double *alpha = cl_arg;
    void *A = buffers[0];
    int m = STARPU_MATRIX_GET_NX(A), n = STARPU_MATRIX_GET_NY(A), lda = STARPU_MATRIX_GET_LD(A);
    size_t es = STARPU_MATRIX_GET_ELEMSIZE(A);
    if (*alpha == 0.0) {
        cudaError_t err = cudaMemset2DAsync((void *)STARPU_MATRIX_GET_PTR(A), lda * es, 0, m * es, n,
                                            starpu_cuda_get_local_stream());
        if (err != cudaSuccess)
            STARPU_CUDA_REPORT_ERROR(err);
        return;
    }
    cublasHandle_t handle = starpu_cublas_get_local_handle();
    cublasStatus_t status;
    if (es == sizeof(double)) {
        double *a = (double *)STARPU_MATRIX_GET_PTR(A), zero = 0.0;
        status = cublasDgeam(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, alpha, a, lda, &zero, a, lda, a, lda);
    } else {
        float *a = (float *)STARPU_MATRIX_GET_PTR(A), falpha = (float)*alpha, zero = 0.0f;
        status = cublasSgeam(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, &falpha, a, lda, &zero, a, lda, a, lda);
    }
    if (status != CUBLAS_STATUS_SUCCESS)
        STARPU_CUBLAS_REPORT_ERROR(status);
}
#endif

static struct starpu_perfmodel scale_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "sbk_scale",
};

static struct starpu_codelet cl_scale = {
    .name = "scale",
    .cpu_funcs = {scale_cpu},
    .cpu_funcs_name = {"scale_cpu"},
#ifdef STARPU_USE_CUDA
    .cuda_funcs = {scale_cuda},
    .cuda_flags = {STARPU_CUDA_ASYNC},
#elif defined(STARPU_SIMGRID) /* never called: makes the simulated CUDA workers eligible */
    .cuda_funcs = {(void *)1},
#endif
    .nbuffers = 1,
    .modes = {STARPU_RW},
    .model = &scale_model,
};

int sbk_insert_scale(double alpha, starpu_data_handle_t A)
{
    double *arg = malloc(sizeof *arg);
    if (!arg)
        return SBK_ENOMEM;
    *arg = alpha;
    double elements = (double)starpu_matrix_get_nx(A) * starpu_matrix_get_ny(A);
    const struct starpu_data_descr descr[] = {{A, STARPU_RW}};
    return sbk_submit(&cl_scale, descr, 1, arg, sizeof *arg, elements, 0);
}
