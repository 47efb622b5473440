/* GEMM tile kernel: C = alpha op(A) op(B) + beta C, float or double by the
 * tiles' element size. CPU: sbk_cpu_gemm (cblas_?gemm) on the worker's core. CUDA: cublas?gemm
 * on the worker's handle and stream, asynchronous. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/linalg.h"
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <starpu_cublas_v2.h>
#endif

struct gemm_args {
    sbk_trans transA, transB;
    double alpha, beta;
};

/* op(A) is m×k; A's stored shape tells k once the transposition is known. */
static int gemm_k(const struct gemm_args *a, void *A)
{
    return a->transA == SBK_TRANS ? (int)STARPU_MATRIX_GET_NX(A) : (int)STARPU_MATRIX_GET_NY(A);
}

static void gemm_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct gemm_args *a = cl_arg;
    void *A = buffers[0], *B = buffers[1], *C = buffers[2];
    sbk_cpu_gemm((sbk_precision)STARPU_MATRIX_GET_ELEMSIZE(C), a->transA, a->transB, STARPU_MATRIX_GET_NX(C),
                 STARPU_MATRIX_GET_NY(C), gemm_k(a, A), a->alpha, (const void *)STARPU_MATRIX_GET_PTR(A),
                 STARPU_MATRIX_GET_LD(A), (const void *)STARPU_MATRIX_GET_PTR(B), STARPU_MATRIX_GET_LD(B), a->beta,
                 (void *)STARPU_MATRIX_GET_PTR(C), STARPU_MATRIX_GET_LD(C));
}

#ifdef STARPU_USE_CUDA
static void gemm_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct gemm_args *a = cl_arg;
    void *A = buffers[0], *B = buffers[1], *C = buffers[2];
    int m = STARPU_MATRIX_GET_NX(C), n = STARPU_MATRIX_GET_NY(C), k = gemm_k(a, A);
    cublasOperation_t ta = a->transA == SBK_TRANS ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t tb = a->transB == SBK_TRANS ? CUBLAS_OP_T : CUBLAS_OP_N;
    int lda = STARPU_MATRIX_GET_LD(A), ldb = STARPU_MATRIX_GET_LD(B), ldc = STARPU_MATRIX_GET_LD(C);
    cublasHandle_t handle = starpu_cublas_get_local_handle();
    cublasStatus_t status;
    if (STARPU_MATRIX_GET_ELEMSIZE(C) == sizeof(double)) {
        status = cublasDgemm(handle, ta, tb, m, n, k, &a->alpha, (const double *)STARPU_MATRIX_GET_PTR(A), lda,
                             (const double *)STARPU_MATRIX_GET_PTR(B), ldb, &a->beta,
                             (double *)STARPU_MATRIX_GET_PTR(C), ldc);
    } else {
        float alpha = (float)a->alpha, beta = (float)a->beta;
        status = cublasSgemm(handle, ta, tb, m, n, k, &alpha, (const float *)STARPU_MATRIX_GET_PTR(A), lda,
                             (const float *)STARPU_MATRIX_GET_PTR(B), ldb, &beta,
                             (float *)STARPU_MATRIX_GET_PTR(C), ldc);
    }
    sbk_check_cublas(status);
}
#endif


SBK_CODELET(cl_gemm, "gemm", "sbk_gemm_openblas_cublas", NULL, gemm_cpu, gemm_cuda, STARPU_CUDA_ASYNC,
            /* Variable, so each task can give C its own mode (W, or RW | COMMUTE). */
            .nbuffers = STARPU_VARIABLE_NBUFFERS);

int sbk_insert_gemm(sbk_trans transA, sbk_trans transB, double alpha, starpu_data_handle_t A,
                    starpu_data_handle_t B, double beta, starpu_data_handle_t C, int accumulate)
{
    struct gemm_args *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    *args = (struct gemm_args){transA, transB, alpha, beta};
    double m = starpu_matrix_get_nx(C), n = starpu_matrix_get_ny(C);
    double k = transA == SBK_TRANS ? starpu_matrix_get_nx(A) : starpu_matrix_get_ny(A);
    int c_mode = accumulate ? STARPU_RW | STARPU_COMMUTE : beta == 0.0 ? STARPU_W : STARPU_RW;
    const struct starpu_data_descr descr[] = {{A, STARPU_R}, {B, STARPU_R}, {C, c_mode}};
    return sbk_submit(&cl_gemm, descr, 3, args, sizeof *args, 2.0 * m * n * k, 0);
}
