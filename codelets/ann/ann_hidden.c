/* ANN hidden layer on one row block of X, a chunk of rows at a time so that H
 * is never stored whole (an obs × neurons H is 800 MB for 100000 rows and 1000 neurons):
 *   H = [tanh(X_chunk W^T + b) | 1]              (scratch, chunk × ncol)
 *   normal:  P += H^T H (lower), q += H^T y      the outer layer's normal equations
 *   predict: yhat_chunk = H v
 * CPU: cblas gemm/syrk/gemv (kernels/cpu/ann.c); CUDA: cublas ones on the worker's stream plus the
 * activation kernel (ann_activation.cu). W is (vars + 1) × neurons: weights,
 * then bias (ann_inner.c). */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/ann.h"
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <starpu_cublas_v2.h>
#endif

struct hidden_args {
    int neurons, bias, predict;
};

/* One task's buffers. normal: X_b (R), y_b (R), W (R), H scratch, P (W, ncol × ncol),
 * q (W, ncol × 1); predict: X_b (R), W (R), v (R, ncol × 1), H scratch, yhat_b (W). */
struct block {
    int rows, vars, ldx, ldw, ldh, chunk, ncol, ldp;
    const char *X, *W, *y, *v; /* y: normal only, v: predict only */
    char *H, *P, *q, *yhat;    /* P, q: normal only, yhat: predict only */
    sbk_precision es;
};

static struct block block_of(void *buffers[], const struct hidden_args *a)
{
    void *X = buffers[0], *W = buffers[a->predict ? 1 : 2], *H = buffers[3], *out = buffers[4];
    struct block b = {STARPU_MATRIX_GET_NX(X), STARPU_MATRIX_GET_NY(X), STARPU_MATRIX_GET_LD(X),
                      STARPU_MATRIX_GET_LD(W), STARPU_MATRIX_GET_LD(H), STARPU_MATRIX_GET_NX(H),
                      a->neurons + a->bias, STARPU_MATRIX_GET_LD(out)};
    b.X = (const char *)STARPU_MATRIX_GET_PTR(X), b.W = (const char *)STARPU_MATRIX_GET_PTR(W);
    b.H = (char *)STARPU_MATRIX_GET_PTR(H), b.es = STARPU_MATRIX_GET_ELEMSIZE(X);
    if (a->predict) {
        b.v = (const char *)STARPU_MATRIX_GET_PTR(buffers[2]), b.yhat = (char *)STARPU_MATRIX_GET_PTR(out);
    } else {
        b.y = (const char *)STARPU_MATRIX_GET_PTR(buffers[1]), b.P = (char *)STARPU_MATRIX_GET_PTR(out);
        b.q = (char *)STARPU_MATRIX_GET_PTR(buffers[5]);
    }
    return b;
}

static void normal_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct hidden_args *a = cl_arg;
    struct block b = block_of(buffers, a);
    sbk_cpu_ann_normal(b.es, b.rows, b.vars, a->neurons, a->bias, b.chunk, b.X, b.ldx, b.y, b.W, b.ldw, b.H, b.ldh,
                       b.P, b.ldp, b.q);
}

static void predict_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct hidden_args *a = cl_arg;
    struct block b = block_of(buffers, a);
    sbk_cpu_ann_predict(b.es, b.rows, b.vars, a->neurons, a->bias, b.chunk, b.X, b.ldx, b.W, b.ldw, b.v, b.H, b.ldh,
                        b.yhat);
}

#ifdef STARPU_USE_CUDA
cudaError_t sbk_ann_activate_cuda(void *H, int ld, int rows, int neurons, int ones, const void *bias,
                                  int bias_stride, int dbl, cudaStream_t stream);

static void hidden_cuda(const struct block *b, const struct hidden_args *a, int r0, int h, cublasHandle_t handle)
{
    int dbl = b->es == sizeof(double);
    const double one = 1.0, zero = 0.0;
    const float one_f = 1.0f, zero_f = 0.0f;
    const void *x = b->X + r0 * b->es;
    sbk_check_cublas(dbl ? cublasDgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, h, a->neurons, b->vars, &one, x, b->ldx,
                                       (const double *)b->W, b->ldw, &zero, (double *)b->H, b->ldh)
                         : cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, h, a->neurons, b->vars, &one_f, x, b->ldx,
                                       (const float *)b->W, b->ldw, &zero_f, (float *)b->H, b->ldh));
    cudaError_t status = sbk_ann_activate_cuda(b->H, b->ldh, h, a->neurons, a->bias, b->W + b->vars * b->es, b->ldw,
                                               dbl, starpu_cuda_get_local_stream());
    if (status != cudaSuccess)
        STARPU_CUDA_REPORT_ERROR(status);
}

static void normal_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct hidden_args *a = cl_arg;
    struct block b = block_of(buffers, a);
    int dbl = b.es == sizeof(double);
    cublasHandle_t handle = starpu_cublas_get_local_handle();
    for (int r0 = 0; r0 < b.rows; r0 += b.chunk) {
        int h = b.rows - r0 < b.chunk ? b.rows - r0 : b.chunk;
        const double one = 1.0, beta = r0 == 0 ? 0.0 : 1.0;
        const float one_f = 1.0f, beta_f = (float)beta;
        hidden_cuda(&b, a, r0, h, handle);
        sbk_check_cublas(dbl ? cublasDsyrk(handle, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T, b.ncol, h, &one,
                                           (const double *)b.H, b.ldh, &beta, (double *)b.P, b.ldp)
                             : cublasSsyrk(handle, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T, b.ncol, h, &one_f,
                                           (const float *)b.H, b.ldh, &beta_f, (float *)b.P, b.ldp));
        sbk_check_cublas(dbl ? cublasDgemv(handle, CUBLAS_OP_T, h, b.ncol, &one, (const double *)b.H, b.ldh,
                                           (const double *)b.y + r0, 1, &beta, (double *)b.q, 1)
                             : cublasSgemv(handle, CUBLAS_OP_T, h, b.ncol, &one_f, (const float *)b.H, b.ldh,
                                           (const float *)b.y + r0, 1, &beta_f, (float *)b.q, 1));
    }
}

static void predict_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct hidden_args *a = cl_arg;
    struct block b = block_of(buffers, a);
    int dbl = b.es == sizeof(double);
    cublasHandle_t handle = starpu_cublas_get_local_handle();
    const double one = 1.0, zero = 0.0;
    const float one_f = 1.0f, zero_f = 0.0f;
    for (int r0 = 0; r0 < b.rows; r0 += b.chunk) {
        int h = b.rows - r0 < b.chunk ? b.rows - r0 : b.chunk;
        hidden_cuda(&b, a, r0, h, handle);
        sbk_check_cublas(dbl ? cublasDgemv(handle, CUBLAS_OP_N, h, b.ncol, &one, (const double *)b.H, b.ldh,
                                           (const double *)b.v, 1, &zero, (double *)b.yhat + r0, 1)
                             : cublasSgemv(handle, CUBLAS_OP_N, h, b.ncol, &one_f, (const float *)b.H, b.ldh,
                                           (const float *)b.v, 1, &zero_f, (float *)b.yhat + r0, 1));
    }
}
#endif

SBK_CODELET(cl_ann_normal, "ann_normal", "sbk_ann_normal_blas", NULL, normal_cpu, normal_cuda, STARPU_CUDA_ASYNC,
            .nbuffers = 6,
            .modes = {STARPU_R, STARPU_R, STARPU_R, STARPU_SCRATCH, STARPU_W, STARPU_W});

SBK_CODELET(cl_ann_predict, "ann_predict", "sbk_ann_predict_blas", NULL,
            predict_cpu, predict_cuda, STARPU_CUDA_ASYNC,
            .nbuffers = 5,
            .modes = {STARPU_R, STARPU_R, STARPU_R, STARPU_SCRATCH, STARPU_W});

static struct hidden_args *hidden_args(int neurons, int bias, int predict)
{
    struct hidden_args *args = malloc(sizeof *args);
    if (args)
        *args = (struct hidden_args){neurons, bias, predict};
    return args;
}

int sbk_insert_ann_normal(starpu_data_handle_t X, starpu_data_handle_t y, starpu_data_handle_t W, int neurons,
                          int bias, starpu_data_handle_t scratch, starpu_data_handle_t P, starpu_data_handle_t q)
{
    struct hidden_args *args = hidden_args(neurons, bias, 0);
    if (!args)
        return SBK_ENOMEM;
    double rows = starpu_matrix_get_nx(X), vars = starpu_matrix_get_ny(X), ncol = neurons + bias;
    const struct starpu_data_descr descr[] = {
        {X, STARPU_R}, {y, STARPU_R}, {W, STARPU_R}, {scratch, STARPU_SCRATCH}, {P, STARPU_W}, {q, STARPU_W}};
    return sbk_submit(&cl_ann_normal, descr, 6, args, sizeof *args, rows * (2 * vars * neurons + ncol * (ncol + 3)),
                      0);
}

int sbk_insert_ann_predict(starpu_data_handle_t X, starpu_data_handle_t W, starpu_data_handle_t v, int neurons,
                           int bias, starpu_data_handle_t scratch, starpu_data_handle_t yhat)
{
    struct hidden_args *args = hidden_args(neurons, bias, 1);
    if (!args)
        return SBK_ENOMEM;
    double rows = starpu_matrix_get_nx(X), vars = starpu_matrix_get_ny(X);
    const struct starpu_data_descr descr[] = {
        {X, STARPU_R}, {W, STARPU_R}, {v, STARPU_R}, {scratch, STARPU_SCRATCH}, {yhat, STARPU_W}};
    return sbk_submit(&cl_ann_predict, descr, 5, args, sizeof *args, rows * (2 * vars * neurons + 2 * (neurons + bias)),
                      0);
}
