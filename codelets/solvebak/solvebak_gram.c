/* SolveBak set-up: the Gram block G_J = X_J^T X_J of each batch J, whole
 * (per-column's Gauss-Seidel; block-exact, which factors it by Cholesky) or
 * its diagonal only (batched: the squared column norms).
 *   partial: q_i = X_i[:, J]^T X_i[:, J] on one row block (CPU: syrk or dots, kernels/cpu/solvebak.c;
 *            CUDA: cublas syrk or one dot per column)
 *   reduce:  G_J = sum_i q_i in a fixed order, in double; Cholesky for block-exact.
 * A non-finite value of X shows up as a non-finite diagonal, which the host
 * checks before iterating. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/solvebak.h"
#include "../kernels/common/ridge.h"
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

static double part(void *p, size_t k)
{
    return STARPU_VECTOR_GET_ELEMSIZE(p) == sizeof(double) ? ((const double *)STARPU_VECTOR_GET_PTR(p))[k]
                                                           : ((const float *)STARPU_VECTOR_GET_PTR(p))[k];
}

/* The batch ridges: SBK_RIDGE_FIRST times the mean diagonal, then 100 times more, up to 1e2 times it. */
enum { BATCH_RIDGE_TRIES = 8 };
#define BATCH_RIDGE_GROWTH 100.0

/* Cholesky of the n×n G (lower, in place) whose diagonal is d + add, refused
 * when a pivot^2 falls below 1e-13 of its column's diagonal: a duplicated
 * column gives a zero pivot in exact arithmetic, but partials rounded
 * differently (a GPU's SYRK beside a CPU's) give a tiny positive one just as
 * well, and a solve through it is noise. Relative to each column, so a column
 * of small values but independent of the others is not taken for a duplicate. */
static int factor(double *G, int n, const double *d, double add)
{
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, G, n) != 0)
        return 0;
    for (int k = 0; k < n; k++)
        if (G[k + (size_t)k * n] * G[k + (size_t)k * n] < 1e-13 * (d[k] + add))
            return 0;
    return 1;
}

/* Buffers: q_0 .. q_{nparts-1} (R), out (W, double): the diagonal of G_J
 * (count), then when whole G_J or its Cholesky factor L (count×count, lower),
 * then the ridge added to G_J's diagonal; status (W, int: enum
 * sbk_task_status); scratch (G_J's copy while ridges are tried). */
static void gram_reduce_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct gram_args *g = cl_arg;
    int nparts = STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - 3, n = g->count;
    double *diag = (double *)STARPU_VECTOR_GET_PTR(buffers[nparts]), *L = diag + n;
    double *ridge_used = L + (g->whole ? (size_t)n * n : 0);
    int *status = (int *)STARPU_VARIABLE_GET_PTR(buffers[nparts + 1]);
    double *copy = (double *)STARPU_VARIABLE_GET_PTR(buffers[nparts + 2]);
    size_t len = g->whole ? (size_t)n * n : (size_t)n;
    double *G = g->whole ? L : diag;
    for (size_t k = 0; k < len; k++) {
        G[k] = 0.0;
        for (int i = 0; i < nparts; i++)
            G[k] += part(buffers[i], k);
    }
    *status = SBK_TASK_OK, *ridge_used = 0.0;
    for (int k = 0; k < n; k++) {
        if (g->whole)
            diag[k] = G[k + (size_t)k * n];
        if (!isfinite(diag[k]))
            *status = SBK_TASK_NONFINITE;
    }
    if (g->solve != SBK_BATCH_CHOLESKY || *status != SBK_TASK_OK)
        return;
    double trace = 0.0;
    memcpy(copy, G, len * sizeof *copy);
    for (int k = 0; k < n; k++)
        trace += diag[k];
    /* Duplicated or dependent columns make G_J singular: a ridge keeps the
     * batch solvable (reported). It only preconditions the batch's step, which
     * the next sweeps correct, so it may grow fast and far. */
    double ridge = 0.0;
    int ok = factor(G, n, diag, 0.0);
    for (int attempt = 0; !ok && attempt < BATCH_RIDGE_TRIES; attempt++) {
        ridge = sbk_ridge_next(ridge, BATCH_RIDGE_GROWTH, trace, n);
        memcpy(G, copy, len * sizeof *copy);
        for (int k = 0; k < n; k++)
            G[k + (size_t)k * n] += ridge;
        *status = SBK_TASK_REGULARIZED, *ridge_used = ridge;
        ok = factor(G, n, diag, ridge);
    }
    if (!ok)
        *status = SBK_TASK_SINGULAR;
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
