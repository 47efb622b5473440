/* SolveBak row-block step, on one row block i of X and e:
 *   1. e_i -= X_i[:, prev] da_prev          (finish the previous batch)
 *   2. p[0..count) = X_i[:, cur]^T e_i      (partial dots of the next batch)
 *   3. p[count] = e_i^T e_i                 (partial squared residual, optional)
 * Fusing 1 and 2 reads e_i once per batch instead of twice. CPU: cblas gemv
 * and dot; CUDA: cublas gemv and dot on the worker's stream. */
#include <cblas.h>
#include <stdlib.h>
#include <starbak/codelets.h>
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <starpu_cublas_v2.h>
#endif

struct step_args {
    int prev_col, prev_count; /* columns of the X tile in buffer 2 (count 0: no update) */
    int cur_col, cur_count;   /* columns of the X tile in the last buffer (count 0: no dots) */
    int norm;                 /* write e_i^T e_i after the dots */
};

/* Buffers: e_i (RW, matrix rows×1), p (W, vector), [X prev tile (R), da_prev (R)], [X cur tile (R)]. */
static void step_cpu(void *buffers[], void *cl_arg)
{
    const struct step_args *a = cl_arg;
    void *e = buffers[0], *p = buffers[1];
    int rows = STARPU_MATRIX_GET_NX(e), b = 2;
    int dbl = STARPU_MATRIX_GET_ELEMSIZE(e) == sizeof(double);
    void *ev = (void *)STARPU_MATRIX_GET_PTR(e), *pv = (void *)STARPU_VECTOR_GET_PTR(p);
    if (a->prev_count) {
        void *X = buffers[b], *da = (void *)STARPU_VECTOR_GET_PTR(buffers[b + 1]);
        size_t ld = STARPU_MATRIX_GET_LD(X), off = (size_t)a->prev_col * ld;
        if (dbl)
            cblas_dgemv(CblasColMajor, CblasNoTrans, rows, a->prev_count, -1.0,
                        (const double *)STARPU_MATRIX_GET_PTR(X) + off, ld, da, 1, 1.0, ev, 1);
        else
            cblas_sgemv(CblasColMajor, CblasNoTrans, rows, a->prev_count, -1.0f,
                        (const float *)STARPU_MATRIX_GET_PTR(X) + off, ld, da, 1, 1.0f, ev, 1);
        b += 2;
    }
    if (a->cur_count) {
        void *X = buffers[b];
        size_t ld = STARPU_MATRIX_GET_LD(X), off = (size_t)a->cur_col * ld;
        if (dbl)
            cblas_dgemv(CblasColMajor, CblasTrans, rows, a->cur_count, 1.0,
                        (const double *)STARPU_MATRIX_GET_PTR(X) + off, ld, ev, 1, 0.0, pv, 1);
        else
            cblas_sgemv(CblasColMajor, CblasTrans, rows, a->cur_count, 1.0f,
                        (const float *)STARPU_MATRIX_GET_PTR(X) + off, ld, ev, 1, 0.0f, pv, 1);
    }
    if (a->norm) {
        if (dbl)
            ((double *)pv)[a->cur_count] = cblas_ddot(rows, ev, 1, ev, 1);
        else
            ((float *)pv)[a->cur_count] = cblas_sdot(rows, ev, 1, ev, 1);
    }
}

#ifdef STARPU_USE_CUDA
static void check_cublas(cublasStatus_t status)
{
    if (status != CUBLAS_STATUS_SUCCESS)
        STARPU_CUBLAS_REPORT_ERROR(status);
}

static void step_cuda(void *buffers[], void *cl_arg)
{
    const struct step_args *a = cl_arg;
    void *e = buffers[0], *p = buffers[1];
    int rows = STARPU_MATRIX_GET_NX(e), b = 2;
    int dbl = STARPU_MATRIX_GET_ELEMSIZE(e) == sizeof(double);
    void *ev = (void *)STARPU_MATRIX_GET_PTR(e), *pv = (void *)STARPU_VECTOR_GET_PTR(p);
    cublasHandle_t handle = starpu_cublas_get_local_handle();
    const double one = 1.0, minus_one = -1.0, zero = 0.0;
    const float one_f = 1.0f, minus_one_f = -1.0f, zero_f = 0.0f;
    if (a->prev_count) {
        void *X = buffers[b], *da = (void *)STARPU_VECTOR_GET_PTR(buffers[b + 1]);
        int ld = STARPU_MATRIX_GET_LD(X);
        size_t off = (size_t)a->prev_col * ld;
        check_cublas(dbl ? cublasDgemv(handle, CUBLAS_OP_N, rows, a->prev_count, &minus_one,
                                       (const double *)STARPU_MATRIX_GET_PTR(X) + off, ld, da, 1, &one, ev, 1)
                         : cublasSgemv(handle, CUBLAS_OP_N, rows, a->prev_count, &minus_one_f,
                                       (const float *)STARPU_MATRIX_GET_PTR(X) + off, ld, da, 1, &one_f, ev, 1));
        b += 2;
    }
    if (a->cur_count) {
        void *X = buffers[b];
        int ld = STARPU_MATRIX_GET_LD(X);
        size_t off = (size_t)a->cur_col * ld;
        check_cublas(dbl ? cublasDgemv(handle, CUBLAS_OP_T, rows, a->cur_count, &one,
                                       (const double *)STARPU_MATRIX_GET_PTR(X) + off, ld, ev, 1, &zero, pv, 1)
                         : cublasSgemv(handle, CUBLAS_OP_T, rows, a->cur_count, &one_f,
                                       (const float *)STARPU_MATRIX_GET_PTR(X) + off, ld, ev, 1, &zero_f, pv, 1));
    }
    if (a->norm) {
        /* The dot lands in device memory: switch the shared handle's pointer mode
         * for this call only, so the call stays asynchronous. */
        check_cublas(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_DEVICE));
        cublasStatus_t status = dbl ? cublasDdot(handle, rows, ev, 1, ev, 1, (double *)pv + a->cur_count)
                                    : cublasSdot(handle, rows, ev, 1, ev, 1, (float *)pv + a->cur_count);
        check_cublas(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST));
        check_cublas(status);
    }
}
#endif

/* The cost depends on the column counts, which the buffer sizes do not all show. */
static uint32_t step_footprint(struct starpu_task *task)
{
    const struct step_args *a = task->cl_arg;
    uint32_t rows = starpu_matrix_get_nx(STARPU_TASK_GET_HANDLE(task, 0));
    uint32_t key[4] = {rows, (uint32_t)a->prev_count, (uint32_t)a->cur_count, (uint32_t)a->norm};
    return starpu_hash_crc32c_be_n(key, sizeof key, 0);
}

static struct starpu_perfmodel step_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "sbk_solvebak_step_blas",
    .footprint = step_footprint,
};

static struct starpu_codelet cl_solvebak_step = {
    .name = "solvebak_step",
    .cpu_funcs = {step_cpu},
    .cpu_funcs_name = {"step_cpu"},
#ifdef STARPU_USE_CUDA
    .cuda_funcs = {step_cuda},
    .cuda_flags = {STARPU_CUDA_ASYNC},
#endif
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .model = &step_model,
};

int sbk_insert_solvebak_step(starpu_data_handle_t e, starpu_data_handle_t p, starpu_data_handle_t X_prev,
                             int prev_col, int prev_count, starpu_data_handle_t da_prev,
                             starpu_data_handle_t X_cur, int cur_col, int cur_count, int norm)
{
    struct step_args *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    *args = (struct step_args){prev_col, prev_count, cur_col, cur_count, norm};
    struct starpu_data_descr descr[5];
    int n = 0;
    descr[n++] = (struct starpu_data_descr){e, STARPU_RW};
    descr[n++] = (struct starpu_data_descr){p, STARPU_W};
    if (prev_count) {
        descr[n++] = (struct starpu_data_descr){X_prev, STARPU_R};
        descr[n++] = (struct starpu_data_descr){da_prev, STARPU_R};
    }
    if (cur_count)
        descr[n++] = (struct starpu_data_descr){X_cur, STARPU_R};
    double rows = starpu_matrix_get_nx(e);
    return sbk_insert_status(starpu_task_insert(&cl_solvebak_step, STARPU_DATA_MODE_ARRAY, descr, n,
                                                STARPU_CL_ARGS, args, sizeof *args,
                                                STARPU_FLOPS, 2.0 * rows * (prev_count + cur_count + norm), 0));
}
