/* Element-wise tile kernel: C = alpha A + beta B (NumPy's alpha*A + beta*B).
 * CPU: sbk_cpu_add, one pass over the tile. CUDA: cublas?geam on the worker's stream. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/linalg.h"
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <starpu_cublas_v2.h>
#endif

struct add_args {
    double alpha, beta;
};

static void add_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct add_args *a = cl_arg;
    void *A = buffers[0], *B = buffers[1], *C = buffers[2];
    sbk_cpu_add((sbk_precision)STARPU_MATRIX_GET_ELEMSIZE(C), STARPU_MATRIX_GET_NX(C), STARPU_MATRIX_GET_NY(C),
                a->alpha, (const void *)STARPU_MATRIX_GET_PTR(A), STARPU_MATRIX_GET_LD(A), a->beta,
                (const void *)STARPU_MATRIX_GET_PTR(B), STARPU_MATRIX_GET_LD(B), (void *)STARPU_MATRIX_GET_PTR(C),
                STARPU_MATRIX_GET_LD(C));
}

#ifdef STARPU_USE_CUDA
static void add_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct add_args *a = cl_arg;
    void *A = buffers[0], *B = buffers[1], *C = buffers[2];
    int m = STARPU_MATRIX_GET_NX(C), n = STARPU_MATRIX_GET_NY(C);
    int lda = STARPU_MATRIX_GET_LD(A), ldb = STARPU_MATRIX_GET_LD(B), ldc = STARPU_MATRIX_GET_LD(C);
    cublasHandle_t handle = starpu_cublas_get_local_handle();
    cublasStatus_t status;
    if (STARPU_MATRIX_GET_ELEMSIZE(C) == sizeof(double)) {
        status = cublasDgeam(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, &a->alpha,
                             (const double *)STARPU_MATRIX_GET_PTR(A), lda, &a->beta,
                             (const double *)STARPU_MATRIX_GET_PTR(B), ldb, (double *)STARPU_MATRIX_GET_PTR(C), ldc);
    } else {
        float alpha = (float)a->alpha, beta = (float)a->beta;
        status = cublasSgeam(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, &alpha,
                             (const float *)STARPU_MATRIX_GET_PTR(A), lda, &beta,
                             (const float *)STARPU_MATRIX_GET_PTR(B), ldb, (float *)STARPU_MATRIX_GET_PTR(C), ldc);
    }
    sbk_check_cublas(status);
}
#endif


SBK_CODELET(cl_add, "add", "sbk_add", NULL, add_cpu, add_cuda, STARPU_CUDA_ASYNC,
            .nbuffers = 3,
            .modes = {STARPU_R, STARPU_R, STARPU_W});

int sbk_insert_add(double alpha, starpu_data_handle_t A, double beta, starpu_data_handle_t B,
                   starpu_data_handle_t C)
{
    struct add_args *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    *args = (struct add_args){alpha, beta};
    double elements = (double)starpu_matrix_get_nx(C) * starpu_matrix_get_ny(C);
    const struct starpu_data_descr descr[] = {{A, STARPU_R}, {B, STARPU_R}, {C, STARPU_W}};
    return sbk_submit(&cl_add, descr, 3, args, sizeof *args, 3.0 * elements, 0);
}
