/* SolveBak set-up: the Gram block G_J = X_J^T X_J of each batch J, whole
 * (per-column's Gauss-Seidel; block-exact, which factors it by Cholesky) or
 * its diagonal only (batched: the squared column norms).
 *   partial: q_i = X_i[:, J]^T X_i[:, J] on one row block (CPU: syrk or dots, kernels/cpu/solvebak.c;
 *            CUDA: cublas syrk or one dot per column)
 *   reduce:  G_J = sum_i q_i in a fixed order, in double; Cholesky for block-exact
 *            (CPU only: kernels/cpu/solvebak.c, cholesky.c).
 * A non-finite value of X shows up as a non-finite diagonal, which the host
 * checks before iterating. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/solvebak.h"
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <starpu_cublas_v2.h>
#endif

struct gram_args {
    int col, count, whole;
    enum sbk_batch_solve solve;
};

/* The batch's columns of one X tile and the partial to fill, unpacked once for
 * both implementations. Buffers: X tile (R), q (W: count×count when whole,
 * else count). */
struct gram_operands {
    int rows, ld, dbl;
    size_t es;
    const char *X; /* the batch's first column */
    void *q;
};

static struct gram_operands unpack(void *buffers[], const struct gram_args *g)
{
    void *X = buffers[0];
    struct gram_operands o = {STARPU_MATRIX_GET_NX(X), STARPU_MATRIX_GET_LD(X),
                              STARPU_MATRIX_GET_ELEMSIZE(X) == sizeof(double), STARPU_MATRIX_GET_ELEMSIZE(X), NULL,
                              (void *)STARPU_VECTOR_GET_PTR(buffers[1])};
    o.X = (const char *)STARPU_MATRIX_GET_PTR(X) + (size_t)g->col * o.ld * o.es;
    return o;
}

static void gram_partial_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct gram_args *g = cl_arg;
    struct gram_operands o = unpack(buffers, g);
    sbk_cpu_gram_partial(o.dbl ? SBK_DOUBLE : SBK_FLOAT, o.rows, g->count, g->whole, o.X, o.ld, o.q);
}

#ifdef STARPU_USE_CUDA
static void gram_partial_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct gram_args *g = cl_arg;
    struct gram_operands o = unpack(buffers, g);
    cublasHandle_t handle = starpu_cublas_get_local_handle();
    if (g->whole) {
        const double one = 1.0, zero = 0.0;
        const float one_f = 1.0f, zero_f = 0.0f;
        sbk_check_cublas(o.dbl ? cublasDsyrk(handle, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T, g->count, o.rows, &one,
                                             (const double *)o.X, o.ld, &zero, o.q, g->count)
                               : cublasSsyrk(handle, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T, g->count, o.rows, &one_f,
                                             (const float *)o.X, o.ld, &zero_f, o.q, g->count));
        return;
    }
    /* Results go to device memory: device pointer mode for these calls only. */
    sbk_check_cublas(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_DEVICE));
    cublasStatus_t status = CUBLAS_STATUS_SUCCESS;
    for (int k = 0; k < g->count && status == CUBLAS_STATUS_SUCCESS; k++) {
        const void *x = o.X + (size_t)k * o.ld * o.es;
        status = o.dbl ? cublasDdot(handle, o.rows, x, 1, x, 1, (double *)o.q + k)
                       : cublasSdot(handle, o.rows, x, 1, x, 1, (float *)o.q + k);
    }
    sbk_check_cublas(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST));
    sbk_check_cublas(status);
}
#endif

/* Buffers: q_0 .. q_{nparts-1} (R), out (W, double): the diagonal of G_J
 * (count), then when whole G_J or its Cholesky factor L (count×count, lower),
 * then the ridge added to G_J's diagonal; status (W, int: enum
 * sbk_task_status); scratch (G_J's copy while ridges are tried). */
static void gram_reduce_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct gram_args *g = cl_arg;
    int nparts = STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - 3;
    const void *parts[nparts];
    for (int i = 0; i < nparts; i++)
        parts[i] = (const void *)STARPU_VECTOR_GET_PTR(buffers[i]);
    *(int *)STARPU_VARIABLE_GET_PTR(buffers[nparts + 1]) =
        sbk_cpu_gram_reduce((sbk_precision)STARPU_VECTOR_GET_ELEMSIZE(buffers[0]), nparts, parts, g->count, g->solve,
                            (double *)STARPU_VECTOR_GET_PTR(buffers[nparts]),
                            (double *)STARPU_VARIABLE_GET_PTR(buffers[nparts + 2]));
}

/* The status and the scratch (the last two) do not change the cost. */
static uint32_t gram_reduce_footprint(struct starpu_task *task)
{
    return sbk_footprint_of_first(task, STARPU_TASK_GET_NBUFFERS(task) - 2);
}

SBK_CODELET(cl_solvebak_gram_partial, "solvebak_gram_partial", "sbk_solvebak_gram_partial_blas", NULL,
            gram_partial_cpu, gram_partial_cuda, STARPU_CUDA_ASYNC,
            .nbuffers = 2,
            .modes = {STARPU_R, STARPU_W});


SBK_CPU_CODELET(cl_solvebak_gram_reduce, "solvebak_gram_reduce", "sbk_solvebak_gram_reduce", gram_reduce_footprint,
                gram_reduce_cpu,
                .nbuffers = STARPU_VARIABLE_NBUFFERS);

int sbk_insert_solvebak_gram_partial(starpu_data_handle_t X, int col, int count, int whole, starpu_data_handle_t q)
{
    struct gram_args *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    *args = (struct gram_args){col, count, whole, whole ? SBK_BATCH_CHOLESKY : SBK_BATCH_JACOBI};
    double rows = starpu_matrix_get_nx(X);
    const struct starpu_data_descr descr[] = {{X, STARPU_R}, {q, STARPU_W}};
    return sbk_submit(&cl_solvebak_gram_partial, descr, 2, args, sizeof *args, rows * count * (whole ? count + 1 : 2),
                      0);
}

int sbk_insert_solvebak_gram_reduce(starpu_data_handle_t *parts, int nparts, int count, enum sbk_batch_solve solve,
                                    starpu_data_handle_t G, starpu_data_handle_t status)
{
    struct gram_args *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    int whole = solve != SBK_BATCH_JACOBI;
    *args = (struct gram_args){0, count, whole, solve};
    /* Allocated by StarPU where the task runs, so the task cannot fail for memory. */
    starpu_data_handle_t scratch;
    starpu_variable_data_register(&scratch, -1, 0, (whole ? (size_t)count * count : (size_t)count) * sizeof(double));
    starpu_data_handle_t tail[] = {G, status, scratch};
    const enum starpu_data_access_mode modes[] = {STARPU_W, STARPU_W, STARPU_SCRATCH};
    const struct sbk_partials p = {parts, nparts, 1, 0}; /* q_i's upper part unwritten: summed, never read */
    int ret = sbk_insert_reduce(&cl_solvebak_gram_reduce, args, sizeof *args, &p, tail, modes, 3, 0);
    starpu_data_unregister_submit(scratch);
    return ret;
}
