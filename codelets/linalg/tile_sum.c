/* C = A_0 + A_1 + ... + A_{n-1} on tiles of one shape, summed in that order
 * in double (or only their lower triangles, for symmetric partials whose upper
 * part was never written): the partials of X^T X (src/solvebak.c) come
 * together the same way every run, on one rank under MPI. One pass over n
 * tiles. CUDA: the ANN outer solve's partial-sum kernel (ann_solve_cuda.cu),
 * the same per-element sum (partial_sum.h), so both devices give the same bits
 * and partials formed on a GPU need not travel to the host.
 *
 * partial_sum is the same sum for the reductions across MPI ranks (reduce.c):
 * vectors or matrices, into a double accumulator, optionally added to it.
 * Both codelets share their CPU and CUDA functions (sum_cpu, sum_cuda) and
 * one model, priced per device instead of measured: their shapes follow the
 * rank count and the caller (a reduced product's c × c tile, the chains of a
 * Gram matrix), and a history-based model would need each shape calibrated
 * before a simulation could run it. */
#include <stdlib.h>
#include <string.h>
#include "codelets/codelet_def.h"
#include "../kernels/common/partial_sum.h"
#include "../kernels/cpu/linalg.h"

/* Both codelets' arguments. Buffers: A_0 .. A_{n-1} (R; for tile_sum under
 * MPI with several ranks one combined double partial, sbk_insert_reduce), then
 * C (W, or RW when accumulating). */
struct sum_args {
    int accumulate; /* 1: C's value is the first term (RW; the parts then of C's precision) */
    int matrix;     /* matrix interface (else vector: one column) */
    int lower;      /* only the lower triangle (symmetric partials); the rest of C is 0 */
};

static int nparts_of(void) { return STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - 1; }

/* One buffer as a column-major array of rows x cols elements of es bytes. */
struct layout {
    void *ptr;
    int rows, cols;
    size_t ld, es;
};

static struct layout layout_of(void *buffer, int matrix)
{
    if (!matrix) {
        int n = (int)STARPU_VECTOR_GET_NX(buffer);
        return (struct layout){(void *)STARPU_VECTOR_GET_PTR(buffer), n, 1, (size_t)n,
                               STARPU_VECTOR_GET_ELEMSIZE(buffer)};
    }
    return (struct layout){(void *)STARPU_MATRIX_GET_PTR(buffer), (int)STARPU_MATRIX_GET_NX(buffer),
                           (int)STARPU_MATRIX_GET_NY(buffer), STARPU_MATRIX_GET_LD(buffer),
                           STARPU_MATRIX_GET_ELEMSIZE(buffer)};
}

/* The terms of a sum task, in order (C first when accumulating): their
 * pointers and leading dimensions, and C's layout. */
struct terms {
    const void **ptr;
    int *ld;
    int n, dbl; /* how many; double (else float) */
    struct layout out;
};

/* Fills *t (arrays malloc'd: free_terms); aborts the task when out of memory. */
static void gather_terms(void *buffers[], const struct sum_args *a, struct terms *t)
{
    int nparts = nparts_of();
    t->ptr = malloc((nparts + 1) * sizeof *t->ptr), t->ld = malloc((nparts + 1) * sizeof *t->ld), t->n = 0;
    if (!t->ptr || !t->ld)
        STARPU_ABORT_MSG("sum: out of memory for %d partials' pointers", nparts);
    t->out = layout_of(buffers[nparts], a->matrix);
    t->dbl = layout_of(buffers[0], a->matrix).es == sizeof(double);
    if (a->accumulate)
        t->ptr[t->n] = t->out.ptr, t->ld[t->n++] = (int)t->out.ld;
    for (int i = 0; i < nparts; i++) {
        struct layout p = layout_of(buffers[i], a->matrix);
        if (a->accumulate && p.es != t->out.es)
            STARPU_ABORT_MSG("sum: accumulating parts of another precision than the accumulator");
        t->ptr[t->n] = p.ptr, t->ld[t->n++] = (int)p.ld;
    }
}

static void free_terms(struct terms *t) { free(t->ptr), free(t->ld); }

static void sum_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct sum_args *a = cl_arg;
    struct terms t;
    gather_terms(buffers, a, &t);
    if (!a->accumulate && a->lower) /* the upper part is never summed */
        memset(t.out.ptr, 0, t.out.ld * t.out.cols * t.out.es);
    sbk_cpu_tile_sum(t.dbl ? SBK_DOUBLE : SBK_FLOAT, (sbk_precision)t.out.es, t.out.rows, t.out.cols, a->lower, t.ptr,
                     t.ld, t.n, t.out.ptr, (int)t.out.ld);
    free_terms(&t);
}

#ifdef STARPU_USE_CUDA
cudaError_t sbk_ann_solve_sum_cuda(const struct sbk_ann_sum *s, cudaStream_t stream);

/* The kernel reads the parts through a copy of their device pointers' table
 * in stream-ordered device memory (cudaMallocAsync); from pageable memory the
 * copy returns once the table is staged, so the host table can go. */
static void sum_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct sum_args *a = cl_arg;
    struct terms t;
    gather_terms(buffers, a, &t);
    for (int i = 1; i < t.n; i++)
        if (t.ld[i] != t.ld[0])
            STARPU_ABORT_MSG("sum: partials of different layouts on the GPU");
    cudaStream_t stream = starpu_cuda_get_local_stream();
    if (!a->accumulate && a->lower) /* upper part zero, as on the CPU: the same C on both devices */
        sbk_check_cuda(cudaMemsetAsync(t.out.ptr, 0, t.out.ld * t.out.cols * t.out.es, stream));
    size_t bytes = t.n * sizeof(void *);
    const void **table_dev;
    sbk_check_cuda(cudaMallocAsync((void **)&table_dev, bytes, stream));
    sbk_check_cuda(cudaMemcpyAsync(table_dev, t.ptr, bytes, cudaMemcpyHostToDevice, stream));
    struct sbk_ann_sum sum = {table_dev, t.n, t.dbl, (size_t)t.ld[0], t.out.rows, t.out.cols, a->lower, 0.0,
                              t.out.ptr, t.out.es == sizeof(double), t.out.ld};
    sbk_check_cuda(sbk_ann_solve_sum_cuda(&sum, stream));
    sbk_check_cuda(cudaFreeAsync((void *)table_dev, stream));
    free_terms(&t);
}
#endif

static struct sum_args *new_args(struct sum_args args)
{
    struct sum_args *a = malloc(sizeof *a);
    if (a)
        *a = args;
    return a;
}

/* Bytes of all the task's buffers. */
static size_t task_bytes(struct starpu_task *task)
{
    size_t bytes = 0;
    for (unsigned i = 0; i < STARPU_TASK_GET_NBUFFERS(task); i++)
        bytes += starpu_data_get_size(STARPU_TASK_GET_HANDLE(task, i));
    return bytes;
}

/* Priced, in microseconds, from the elements it reads and writes (counted in
 * floats): on a CPU core a streaming add at about 1 ns each, plus 1 us; on a
 * GPU the memory traffic at 2 TB/s (an H100's HBM, below its 3.35 peak), plus
 * 10 us for the pointer table's copy and the launch. */
static double sum_cost(struct starpu_task *task, struct starpu_perfmodel_arch *arch, unsigned nimpl)
{
    (void)nimpl;
    double bytes = (double)task_bytes(task);
    if (arch->devices[0].type == STARPU_CUDA_WORKER)
        return 10.0 + bytes / 2e6;
    return 1.0 + 1e-3 * bytes / sizeof(float);
}

/* A GPU sums only partials of 1 MiB or more (the Gram and ANN accumulators):
 * below, the pointer table's copy and the launch cost more than a core's add,
 * and a GPU busy with the row blocks' tasks would hold up each batch's step. */
static int sum_can_execute(unsigned workerid, struct starpu_task *task, unsigned nimpl)
{
    (void)nimpl;
    return starpu_worker_get_type((int)workerid) != STARPU_CUDA_WORKER || task_bytes(task) >= SBK_GPU_SUM_MIN_BYTES;
}

static struct starpu_perfmodel sum_model = {
    .type = STARPU_PER_ARCH, .arch_cost_function = sum_cost, .symbol = "sbk_partial_sum"};
#define SUM_CODELET(cl, name_)                                                                                     \
    static struct starpu_codelet cl = {.name = name_,                                                              \
                                       .cpu_funcs = {sum_cpu},                                                     \
                                       .cpu_funcs_name = {"sum_cpu"},                                              \
                                       SBK_CUDA_IMPL(sum_cuda, STARPU_CUDA_ASYNC).can_execute = sum_can_execute,   \
                                       .nbuffers = STARPU_VARIABLE_NBUFFERS,                                       \
                                       .model = &sum_model}
SUM_CODELET(cl_tile_sum, "tile_sum");
SUM_CODELET(cl_partial_sum, "partial_sum");

/* --- tile_sum: C = p_0 + p_1 + ... (in C's precision; across ranks through sbk_insert_reduce) --- */

int sbk_insert_tile_sum(starpu_data_handle_t *parts, int nparts, int lower, starpu_data_handle_t C)
{
    struct sum_args *a = new_args((struct sum_args){0, 1, lower});
    if (!a)
        return SBK_ENOMEM;
    const enum starpu_data_access_mode mode = STARPU_W;
    const struct sbk_partials p = {parts, nparts, 1, lower};
    return sbk_insert_reduce(&cl_tile_sum, a, sizeof *a, &p, &C, &mode, 1, 0);
}

/* --- partial_sum: acc = (acc or 0) + p_0 + p_1 + ... in double, whatever the parts' precision --- */

int sbk_insert_partial_sum(starpu_data_handle_t *parts, int n, starpu_data_handle_t acc, int accumulate, int lower,
                           int priority)
{
    int matrix = starpu_data_get_interface_id(acc) == STARPU_MATRIX_INTERFACE_ID;
    struct sum_args *a = new_args((struct sum_args){accumulate, matrix, lower});
    if (!a)
        return SBK_ENOMEM;
    const enum starpu_data_access_mode mode = accumulate ? STARPU_RW : STARPU_W;
    return sbk_insert_gather(&cl_partial_sum, a, sizeof *a, parts, n, &acc, &mode, 1, priority);
}
