/* ANN outer layer: sums the row-block partials of the normal equations in a
 * fixed order (in double, kernels/common/partial_sum.h), adds the ridge, and solves
 * (H^T H + ridge I) v = H^T y by Cholesky. When H^T H is not positive definite
 * the ridge is raised until it is; the ridge used is returned for the report.
 * CPU: LAPACKE dpotrf/dpotrs (kernels/cpu/ann.c, cholesky.c). CUDA: the sums by a small kernel
 * (ann_solve_cuda.cu), cusolverDnDpotrf/Dpotrs. Both devices add the same
 * partials in the same order and pick the same ridges, so they factor the same
 * system; only the factorizations' rounding differs. Both read only the
 * partials' lower triangles, in double whatever their precision. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#ifdef STARPU_USE_CUDA
#include <starpu_cusolver.h>
#endif
#include "../kernels/common/partial_sum.h"
#include "../kernels/common/ridge.h"
#include "../kernels/cpu/ann.h"

/* The outer solve's ridges: the requested one, then ten times more each time
 * (from SBK_RIDGE_FIRST times the mean diagonal of H^T H when none was
 * requested, up to 1e-2 times it): a ridge changes the fitted model, so it
 * grows gently and is reported. */
enum { RIDGE_ATTEMPTS = 12 };
#define RIDGE_GROWTH 10.0

struct solve_args {
    int ncol, lwork; /* lwork: cusolverDnDpotrf's workspace, in doubles */
    double ridge;
};

/* The pairs of partials a task reads (under MPI with several ranks one
 * combined double pair, sbk_insert_reduce), before its three other buffers. */
static int nparts_of(void) { return (STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - 4) / 2; }

/* The task's STARPU_SCRATCH buffer, carved for whichever device runs it. CPU:
 * A and b, then the sum G that every attempt starts from. CUDA: A and b, then
 * G's diagonal, the partials' device pointers (and b's), devInfo and potrf's
 * workspace. */
struct workspace {
    size_t A, b, G, diag, table, info, work, cpu_bytes, cuda_bytes;
};

static struct workspace workspace_of(int n, int nparts, int lwork)
{
    struct workspace w;
    size_t matrix = (size_t)n * n * sizeof(double), vector = (size_t)n * sizeof(double), total = 0;
    w.A = sbk_carve(&total, matrix), w.b = sbk_carve(&total, vector);
    size_t shared = total;
    w.G = sbk_carve(&total, matrix);
    w.cpu_bytes = total, total = shared;
    w.diag = sbk_carve(&total, vector), w.table = sbk_carve(&total, (2 * (size_t)nparts + 1) * sizeof(void *));
    w.info = sbk_carve(&total, sizeof(int)), w.work = sbk_carve(&total, (size_t)lwork * sizeof(double));
    w.cuda_bytes = total;
    return w;
}

/* Buffers: P_0 .. P_{n-1} (R, ncol × ncol, lower triangles), q_0 .. q_{n-1}
 * (R, ncol × 1), v (W, ncol × 1), ridge_used (W, variable double), scratch
 * (SCRATCH), status (W, variable int: SBK_TASK_OK, or SBK_TASK_SINGULAR when
 * no ridge makes the system solvable). */
static void ann_solve_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct solve_args *s = cl_arg;
    int np = nparts_of();
    void *vh = buffers[2 * np];
    char *scratch = (char *)STARPU_VARIABLE_GET_PTR(buffers[2 * np + 2]);
    const void *parts[2 * np];
    for (int i = 0; i < 2 * np; i++)
        parts[i] = (const void *)STARPU_MATRIX_GET_PTR(buffers[i]);
    const struct sbk_ann_partials p = {(sbk_precision)STARPU_MATRIX_GET_ELEMSIZE(buffers[0]), s->ncol, np, parts,
                                       parts + np, STARPU_MATRIX_GET_LD(buffers[0])};
    const struct sbk_ridge_policy policy = {s->ridge, RIDGE_GROWTH, RIDGE_ATTEMPTS, 0.0};
    struct workspace w = workspace_of(s->ncol, np, s->lwork);
    int solved = sbk_cpu_ann_solve(&p, &policy, (double *)(scratch + w.G), (double *)(scratch + w.A),
                                   (double *)(scratch + w.b), (sbk_precision)STARPU_MATRIX_GET_ELEMSIZE(vh),
                                   (void *)STARPU_MATRIX_GET_PTR(vh),
                                   (double *)STARPU_VARIABLE_GET_PTR(buffers[2 * np + 1]));
    *(int *)STARPU_VARIABLE_GET_PTR(buffers[2 * np + 3]) = solved ? SBK_TASK_OK : SBK_TASK_SINGULAR;
}

#ifdef STARPU_USE_CUDA
/* ann_solve_cuda.cu */
cudaError_t sbk_ann_solve_sum_cuda(const struct sbk_ann_sum *s, cudaStream_t stream);

/* The ridge after a failed Cholesky: the CPU's policy (sbk_cpu_ridge_cholesky). */
static double next_ridge(double ridge, double trace, int n) { return sbk_ridge_next(ridge, RIDGE_GROWTH, trace, n); }

/* Copies devInfo to the host after everything queued so far. */
static int device_info(const int *info_dev, cudaStream_t stream)
{
    int info = 0;
    sbk_check_cuda(cudaMemcpyAsync(&info, info_dev, sizeof info, cudaMemcpyDeviceToHost, stream));
    sbk_check_cuda(cudaStreamSynchronize(stream));
    return info;
}

/* Factors A = the partials' sum + ridge I (A_sum, from its requested ridge on)
 * with the CPU's ridges until potrf succeeds; returns 1 and the ridge in
 * *ridge, or 0 when none did. The
 * trace comes from G's diagonal, on the host once the first attempt has synced. */
static int factor_with_ridge(struct sbk_ann_sum *A_sum, const double *diag, double *work, int lwork, int *info,
                             cusolverDnHandle_t handle, cudaStream_t stream, double *ridge)
{
    int n = A_sum->rows;
    double trace = 0.0;
    for (int attempt = 0; attempt < RIDGE_ATTEMPTS; attempt++) {
        sbk_check_cuda(sbk_ann_solve_sum_cuda(A_sum, stream));
        sbk_check_cusolver(cusolverDnDpotrf(handle, CUBLAS_FILL_MODE_LOWER, n, A_sum->out, n, work, lwork, info));
        int failed = device_info(info, stream);
        if (failed < 0)
            STARPU_ABORT_MSG("cusolverDnDpotrf refused its parameter %d", -failed);
        if (failed == 0) {
            *ridge = A_sum->diagonal;
            return 1;
        }
        for (int j = 0; attempt == 0 && j < n; j++)
            trace += diag[j];
        A_sum->diagonal = next_ridge(A_sum->diagonal, trace, n);
    }
    return 0;
}

/* The CPU's steps on the worker's stream. The kernel forms b = sum of q_i once,
 * G's diagonal once (copied to the host, where the trace is added in the CPU's
 * order so that both devices pick the same ridges), and A = sum of P_i +
 * ridge I for each attempt (re-adding the partials costs nparts n²/2 reads
 * beside potrf's n³/3 flops, and attempts beyond the first are rare). Whether
 * to retry depends on potrf's devInfo, so each attempt ends with a
 * cudaStreamSynchronize inside the task: one round trip per fit when H^T H is
 * positive definite, as this task runs once per fit. */
static void ann_solve_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct solve_args *s = cl_arg;
    int n = s->ncol, np = nparts_of(), dbl = STARPU_MATRIX_GET_ELEMSIZE(buffers[0]) == sizeof(double), lwork = 0;
    void *vh = buffers[2 * np];
    double *ridge_dev = (double *)STARPU_VARIABLE_GET_PTR(buffers[2 * np + 1]);
    char *scratch = (char *)STARPU_VARIABLE_GET_PTR(buffers[2 * np + 2]);
    int *status_dev = (int *)STARPU_VARIABLE_GET_PTR(buffers[2 * np + 3]);
    struct workspace w = workspace_of(n, np, s->lwork);
    double *A = (double *)(scratch + w.A), *b = (double *)(scratch + w.b), *work = (double *)(scratch + w.work);
    int *info = (int *)(scratch + w.info);
    const void **table = (const void **)(scratch + w.table);
    cudaStream_t stream = starpu_cuda_get_local_stream();
    cusolverDnHandle_t handle = starpu_cusolverDn_get_local_handle(); /* StarPU binds it to the stream */
    /* The scratch was sized by the submitting thread's handle (on the first GPU). */
    sbk_check_cusolver(cusolverDnDpotrf_bufferSize(handle, CUBLAS_FILL_MODE_LOWER, n, A, n, &lwork));
    if (lwork > s->lwork)
        STARPU_ABORT_MSG("cusolverDnDpotrf needs %d doubles of workspace on this GPU, %d were sized", lwork, s->lwork);
    const void **host_table = malloc((2 * (size_t)np + 1) * sizeof *host_table);
    double *diag = malloc(n * sizeof *diag);
    if (!host_table || !diag)
        STARPU_CUDA_REPORT_ERROR(cudaErrorMemoryAllocation);
    for (int i = 0; i < 2 * np; i++)
        host_table[i] = (const void *)STARPU_MATRIX_GET_PTR(buffers[i]);
    host_table[2 * np] = b;
    sbk_check_cuda(cudaMemcpyAsync(table, host_table, (2 * (size_t)np + 1) * sizeof *table, cudaMemcpyHostToDevice,
                                   stream));
    size_t ldp = STARPU_MATRIX_GET_LD(buffers[0]);
    struct sbk_ann_sum diag_sum = {table, np, dbl, ldp + 1, 1, n, 0, 0.0, scratch + w.diag, 1, 1};
    struct sbk_ann_sum b_sum = {table + np, np, dbl, n, n, 1, 0, 0.0, b, 1, n};
    sbk_check_cuda(sbk_ann_solve_sum_cuda(&diag_sum, stream));
    sbk_check_cuda(cudaMemcpyAsync(diag, scratch + w.diag, n * sizeof *diag, cudaMemcpyDeviceToHost, stream));
    sbk_check_cuda(sbk_ann_solve_sum_cuda(&b_sum, stream));
    struct sbk_ann_sum A_sum = {table, np, dbl, ldp, n, n, 1, s->ridge, A, 1, n};
    double ridge_used = 0.0;
    int solved = factor_with_ridge(&A_sum, diag, work, s->lwork, info, handle, stream, &ridge_used);
    int status = solved ? SBK_TASK_OK : SBK_TASK_SINGULAR;
    if (solved) {
        /* v = b in v's precision: the kernel over the one part b. */
        struct sbk_ann_sum v_out = {table + 2 * np, 1, 1, n, n, 1, 0, 0.0, (void *)STARPU_MATRIX_GET_PTR(vh),
                                    STARPU_MATRIX_GET_ELEMSIZE(vh) == sizeof(double), n};
        sbk_check_cusolver(cusolverDnDpotrs(handle, CUBLAS_FILL_MODE_LOWER, n, 1, A, n, b, n, info));
        sbk_check_cuda(sbk_ann_solve_sum_cuda(&v_out, stream));
    }
    sbk_check_cuda(cudaMemcpyAsync(ridge_dev, &ridge_used, sizeof ridge_used, cudaMemcpyHostToDevice, stream));
    sbk_check_cuda(cudaMemcpyAsync(status_dev, &status, sizeof status, cudaMemcpyHostToDevice, stream));
    int refused = device_info(info, stream); /* also waits for v, the ridge and the status before the host buffers go */
    if (solved && refused != 0) /* else info is the last potrf's */
        STARPU_ABORT_MSG("cusolverDnDpotrs refused its parameter %d", -refused);
    free(host_table), free(diag);
}
#endif


/* The status (last) does not change the cost. */
static uint32_t ann_solve_footprint(struct starpu_task *task)
{
    return sbk_footprint_of_first(task, STARPU_TASK_GET_NBUFFERS(task) - 1);
}

SBK_CODELET(cl_ann_solve, "ann_solve", "sbk_ann_solve_potrf", ann_solve_footprint, ann_solve_cpu, ann_solve_cuda, 0,
            .nbuffers = STARPU_VARIABLE_NBUFFERS);

/* cusolverDnDpotrf's workspace for order n, asked of the submitting thread's
 * handle (StarPU's on the first GPU), as StarPU's Cholesky example does; 0
 * without GPUs. */
static int potrf_workspace(int n, int *lwork)
{
    *lwork = 0;
#ifdef STARPU_USE_CUDA
    if (starpu_cuda_worker_get_count() > 0 &&
        cusolverDnDpotrf_bufferSize(starpu_cusolverDn_get_local_handle(), CUBLAS_FILL_MODE_LOWER, n, NULL, n,
                                    lwork) != CUSOLVER_STATUS_SUCCESS)
        return SBK_ERUNTIME;
#else
    (void)n;
#endif
    return SBK_SUCCESS;
}

int sbk_insert_ann_solve(starpu_data_handle_t *P, starpu_data_handle_t *q, int nparts, int ncol, double ridge,
                         starpu_data_handle_t v, starpu_data_handle_t ridge_used, starpu_data_handle_t status)
{
    int lwork, ret = potrf_workspace(ncol, &lwork);
    if (ret != SBK_SUCCESS)
        return ret;
    struct workspace w = workspace_of(ncol, nparts, lwork);
    struct solve_args *args = malloc(sizeof *args);
    starpu_data_handle_t *parts = malloc(2 * nparts * sizeof *parts);
    if (!args || !parts) {
        free(args), free(parts);
        return SBK_ENOMEM;
    }
    *args = (struct solve_args){ncol, lwork, ridge};
    for (int i = 0; i < nparts; i++)
        parts[i] = P[i], parts[nparts + i] = q[i];
    /* A STARPU_SCRATCH handle: StarPU allocates it where the task runs (and
     * evicts cached tiles for it when a GPU is full); freed after the task. */
    starpu_data_handle_t scratch;
    starpu_variable_data_register(&scratch, -1, 0, w.cpu_bytes > w.cuda_bytes ? w.cpu_bytes : w.cuda_bytes);
    starpu_data_handle_t tail[] = {v, ridge_used, scratch, status};
    const enum starpu_data_access_mode modes[] = {STARPU_W, STARPU_W, STARPU_SCRATCH, STARPU_W};
    /* Two groups, H^T H's partials then H^T y's; both read as lower triangles. */
    const struct sbk_partials p = {parts, 2 * nparts, 2, 1};
    ret = sbk_insert_reduce(&cl_ann_solve, args, sizeof *args, &p, tail, modes, 4, 0);
    starpu_data_unregister_submit(scratch);
    free(parts);
    return ret;
}
