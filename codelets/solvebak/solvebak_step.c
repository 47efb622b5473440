/* SolveBak row-block step, on one row block i of X and e:
 *   1. e_i -= X_i[:, prev] da_prev          (finish the previous batch)
 *   2. p[0..count) = X_i[:, cur]^T e_i      (partial dots of the next batch)
 *   3. p[count] = e_i^T e_i                 (partial squared residual, optional)
 * Fusing 1 and 2 reads e_i once per batch instead of twice. CPU: cblas gemv
 * and dot (kernels/cpu/solvebak.c); CUDA: cublas gemv and dot on the worker's stream. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/solvebak.h"
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <starpu_cublas_v2.h>
#endif

struct step_args {
    int prev_col, prev_count; /* columns of the X tile in buffer 2 (count 0: no update) */
    int cur_col, cur_count;   /* columns of the X tile in the last buffer (count 0: no dots) */
    int norm;                 /* write e_i^T e_i after the dots */
};

/* The operands of one step, unpacked once for both implementations. Buffers:
 * e_i (RW, matrix rows×1), p (W, vector), [X prev tile (R), da_prev (R)],
 * [X cur tile (R)]; X pointers start at the batch's first column. */
struct step_operands {
    int rows, dbl, ld_prev, ld_cur;
    void *e, *p;
    const void *X_prev, *da, *X_cur;
};

static struct step_operands unpack(void *buffers[], const struct step_args *a)
{
    struct step_operands o = {.rows = STARPU_MATRIX_GET_NX(buffers[0]),
                              .dbl = STARPU_MATRIX_GET_ELEMSIZE(buffers[0]) == sizeof(double),
                              .e = (void *)STARPU_MATRIX_GET_PTR(buffers[0]),
                              .p = (void *)STARPU_VECTOR_GET_PTR(buffers[1])};
    size_t es = STARPU_MATRIX_GET_ELEMSIZE(buffers[0]);
    int b = 2;
    if (a->prev_count) {
        o.ld_prev = STARPU_MATRIX_GET_LD(buffers[b]);
        o.X_prev = (const char *)STARPU_MATRIX_GET_PTR(buffers[b]) + (size_t)a->prev_col * o.ld_prev * es;
        o.da = (const void *)STARPU_VECTOR_GET_PTR(buffers[b + 1]);
        b += 2;
    }
    if (a->cur_count) {
        o.ld_cur = STARPU_MATRIX_GET_LD(buffers[b]);
        o.X_cur = (const char *)STARPU_MATRIX_GET_PTR(buffers[b]) + (size_t)a->cur_col * o.ld_cur * es;
    }
    return o;
}

static void step_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct step_args *a = cl_arg;
    struct step_operands o = unpack(buffers, a);
    sbk_cpu_solvebak_step(o.dbl ? SBK_DOUBLE : SBK_FLOAT, o.rows, o.e, o.X_prev, o.ld_prev, a->prev_count, o.da,
                          o.X_cur, o.ld_cur, a->cur_count, o.p, a->norm);
}

#ifdef STARPU_USE_CUDA
static void step_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct step_args *a = cl_arg;
    struct step_operands o = unpack(buffers, a);
    cublasHandle_t handle = starpu_cublas_get_local_handle();
    const double one = 1.0, minus_one = -1.0, zero = 0.0;
    const float one_f = 1.0f, minus_one_f = -1.0f, zero_f = 0.0f;
    if (a->prev_count)
        sbk_check_cublas(o.dbl ? cublasDgemv(handle, CUBLAS_OP_N, o.rows, a->prev_count, &minus_one, o.X_prev,
                                             o.ld_prev, o.da, 1, &one, o.e, 1)
                               : cublasSgemv(handle, CUBLAS_OP_N, o.rows, a->prev_count, &minus_one_f, o.X_prev,
                                             o.ld_prev, o.da, 1, &one_f, o.e, 1));
    if (a->cur_count)
        sbk_check_cublas(o.dbl ? cublasDgemv(handle, CUBLAS_OP_T, o.rows, a->cur_count, &one, o.X_cur, o.ld_cur,
                                             o.e, 1, &zero, o.p, 1)
                               : cublasSgemv(handle, CUBLAS_OP_T, o.rows, a->cur_count, &one_f, o.X_cur, o.ld_cur,
                                             o.e, 1, &zero_f, o.p, 1));
    if (a->norm) {
        /* The dot lands in device memory: switch the shared handle's pointer mode
         * for this call only, so the call stays asynchronous. */
        sbk_check_cublas(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_DEVICE));
        cublasStatus_t status = o.dbl ? cublasDdot(handle, o.rows, o.e, 1, o.e, 1, (double *)o.p + a->cur_count)
                                      : cublasSdot(handle, o.rows, o.e, 1, o.e, 1, (float *)o.p + a->cur_count);
        sbk_check_cublas(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST));
        sbk_check_cublas(status);
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


SBK_CODELET(cl_solvebak_step, "solvebak_step", "sbk_solvebak_step_blas", step_footprint,
            step_cpu, step_cuda, STARPU_CUDA_ASYNC,
            .nbuffers = STARPU_VARIABLE_NBUFFERS);

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
    return sbk_submit(&cl_solvebak_step, descr, n, args, sizeof *args, 2.0 * rows * (prev_count + cur_count + norm),
                      0);
}
