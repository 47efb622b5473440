/* Element-wise tile kernel: A = alpha A. CPU: sbk_cpu_scale (cblas_?scal per
 * column). CUDA: cublas?geam in place on the worker's stream.
 * alpha = 0 writes zeros, even over NaN or uninitialised values. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/linalg.h"
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
    sbk_cpu_scale((sbk_precision)STARPU_MATRIX_GET_ELEMSIZE(A), STARPU_MATRIX_GET_NX(A), STARPU_MATRIX_GET_NY(A),
                  *alpha, (void *)STARPU_MATRIX_GET_PTR(A), STARPU_MATRIX_GET_LD(A));
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
    sbk_check_cublas(status);
}
#endif


SBK_CODELET(cl_scale, "scale", "sbk_scale", NULL, scale_cpu, scale_cuda, STARPU_CUDA_ASYNC,
            .nbuffers = 1,
            .modes = {STARPU_RW});

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
