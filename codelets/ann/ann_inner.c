/* ANN inner layer, a block of neurons per task: neuron k draws `rows` rows of
 * X at random and solves [X_k | 1] (w_k, b_k) ~ atanh(y_k) in least squares.
 * The draws come from the counter-based generator of the Monte-Carlo kernel,
 * keyed by (seed, neuron, attempt), so the weights do not depend on which
 * worker runs which block. A draw whose triangular factor is (nearly) singular
 * is redrawn, up to SBK_ANN_ATTEMPTS times, then the neuron is dropped.
 * In double whatever X's precision (the systems are small).
 * CPU: LAPACKE_dgels per neuron (kernels/cpu/ann.c). CUDA: cublasDgelsBatched on the whole block,
 * around two small kernels (ann_inner_cuda.cu). Both take their draws, their
 * acceptance test and their W columns from kernels/common/ann_draws.h. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <starpu_cublas_v2.h>
#endif
#include "../kernels/common/ann_draws.h"
#include "../kernels/cpu/ann.h"

struct inner_args {
    int first, count, rows, vars, bias, mt, mb;
    uint64_t seed;
    int partition; /* 1: two more buffers, the members of each neuron's cluster and where each starts */
};

/* Buffers: X row tiles 0 .. mt-1 (R), y row tiles (R), then the W block (W,
 * matrix (vars + 1) × count in X's precision: weights, bias), the outcomes (W,
 * vector of count ints: the draws used, or SBK_ANN_DROPPED), and with a
 * partition its members and starts (R). The tiles as the draws read them,
 * where this worker holds them; NULL when out of memory. */
static struct sbk_ann_tile *tile_table(void *buffers[], const struct inner_args *a, struct sbk_ann_draws *d)
{
    struct sbk_ann_tile *tiles = malloc(a->mt * sizeof *tiles);
    for (int i = 0; tiles && i < a->mt; i++)
        tiles[i] = (struct sbk_ann_tile){(const void *)STARPU_MATRIX_GET_PTR(buffers[i]),
                                         (const void *)STARPU_MATRIX_GET_PTR(buffers[a->mt + i]),
                                         STARPU_MATRIX_GET_LD(buffers[i])};
    uint64_t obs = (uint64_t)(a->mt - 1) * a->mb + STARPU_MATRIX_GET_NX(buffers[a->mt - 1]);
    *d = (struct sbk_ann_draws){tiles, a->seed, obs, a->mb, a->vars, a->bias, a->rows,
                                STARPU_MATRIX_GET_ELEMSIZE(buffers[0]) == sizeof(double), NULL, NULL};
    if (a->partition)
        d->members = (const int64_t *)STARPU_VECTOR_GET_PTR(buffers[2 * a->mt + 2]),
        d->first = (const int64_t *)STARPU_VECTOR_GET_PTR(buffers[2 * a->mt + 3]);
    return tiles;
}

static void ann_inner_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct inner_args *a = cl_arg;
    void *W = buffers[2 * a->mt];
    struct sbk_ann_draws d;
    struct sbk_ann_tile *tiles = tile_table(buffers, a, &d);
    sbk_cpu_ann_inner(&d, a->first, a->count, SBK_ANN_ATTEMPTS, (void *)STARPU_MATRIX_GET_PTR(W),
                      STARPU_MATRIX_GET_LD(W), (int *)STARPU_VECTOR_GET_PTR(buffers[2 * a->mt + 1]));
    free(tiles);
}

#ifdef STARPU_USE_CUDA
/* ann_inner_cuda.cu: the batch's slots 0 .. left-1. */
cudaError_t sbk_ann_inner_gather_cuda(const struct sbk_ann_batch *b, int left, int attempt, cudaStream_t stream);
cudaError_t sbk_ann_inner_accept_cuda(const struct sbk_ann_batch *b, int left, int attempt, int last,
                                      cudaStream_t stream);

/* Every attempt gathers the block's unsolved neurons into one batch, solves it
 * with cublasDgelsBatched and keeps the accepted draws; the host then reads
 * which failed (one cudaStreamSynchronize per attempt: the next batch is made
 * of them, and almost always the first attempt is the only one).
 * The workspace is one starpu_malloc_on_node per task: StarPU suballocates
 * small sizes on a GPU from chunks it keeps (no cudaMalloc per task), counts
 * it against the node's memory, and its size follows the block and the rows
 * without handles to size in src/ann.c. */
static void ann_inner_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct inner_args *a = cl_arg;
    void *W = buffers[2 * a->mt];
    int n = a->vars + a->bias, count = a->count;
    size_t total = 0, per = (size_t)count * a->rows * sizeof(double);
    size_t at_A = sbk_carve(&total, per * n), at_t = sbk_carve(&total, per);
    size_t at_Ap = sbk_carve(&total, count * sizeof(double *)), at_tp = sbk_carve(&total, count * sizeof(double *));
    size_t at_tiles = sbk_carve(&total, a->mt * sizeof(struct sbk_ann_tile));
    size_t at_list = sbk_carve(&total, count * sizeof(int)), at_info = sbk_carve(&total, count * sizeof(int));
    size_t at_accepted = sbk_carve(&total, count * sizeof(int));
    unsigned node = starpu_worker_get_local_memory_node();
    char *base = (char *)starpu_malloc_on_node(node, total);
    struct sbk_ann_draws d;
    struct sbk_ann_tile *tiles = tile_table(buffers, a, &d);
    int *list = malloc(count * sizeof *list), *accepted = malloc(count * sizeof *accepted);
    if (!base || !tiles || !list || !accepted)
        STARPU_CUDA_REPORT_ERROR(cudaErrorMemoryAllocation);
    d.tiles = (const struct sbk_ann_tile *)(base + at_tiles);
    struct sbk_ann_batch b = {d, a->first, n, (const int *)(base + at_list), (double *)(base + at_A),
                              (double *)(base + at_t), (double **)(base + at_Ap), (double **)(base + at_tp),
                              (int *)(base + at_info), (int *)(base + at_accepted), (void *)STARPU_MATRIX_GET_PTR(W),
                              STARPU_MATRIX_GET_LD(W), (int *)STARPU_VECTOR_GET_PTR(buffers[2 * a->mt + 1])};
    cudaStream_t stream = starpu_cuda_get_local_stream();
    cublasHandle_t handle = starpu_cublas_get_local_handle(); /* StarPU binds it to the stream */
    sbk_check_cuda(cudaMemcpyAsync(base + at_tiles, tiles, a->mt * sizeof *tiles, cudaMemcpyHostToDevice, stream));
    int left = count;
    for (int j = 0; j < count; j++)
        list[j] = j;
    int attempts = sbk_ann_attempts(&d, SBK_ANN_ATTEMPTS);
    for (int attempt = 0; attempt < attempts && left > 0; attempt++) {
        int info = 0, failed = 0;
        sbk_check_cuda(cudaMemcpyAsync(base + at_list, list, left * sizeof *list, cudaMemcpyHostToDevice, stream));
        sbk_check_cuda(sbk_ann_inner_gather_cuda(&b, left, attempt, stream));
        cublasStatus_t status = cublasDgelsBatched(handle, CUBLAS_OP_N, a->rows, n, 1, b.A_ptrs, a->rows, b.t_ptrs,
                                                   a->rows, &info, b.info, left);
        sbk_check_cublas(status);
        if (info != 0)
            STARPU_ABORT_MSG("cublasDgelsBatched refused its parameter %d", -info);
        sbk_check_cuda(sbk_ann_inner_accept_cuda(&b, left, attempt, attempt == attempts - 1, stream));
        sbk_check_cuda(cudaMemcpyAsync(accepted, b.accepted, left * sizeof *accepted, cudaMemcpyDeviceToHost, stream));
        sbk_check_cuda(cudaStreamSynchronize(stream));
        for (int j = 0; j < left; j++)
            if (!accepted[j])
                list[failed++] = list[j];
        left = failed;
    }
    starpu_free_on_node(node, (uintptr_t)base, total);
    free(tiles), free(list), free(accepted);
}
#endif

/* Every inner task reads the whole of X and y: a GPU whose memory cannot hold
 * them with room to spare is never offered the task (StarPU would retry its
 * allocations for ever). */
static int ann_inner_can_execute(unsigned worker, struct starpu_task *task, unsigned nimpl)
{
    (void)nimpl;
    if (starpu_worker_get_type(worker) != STARPU_CUDA_WORKER)
        return 1;
    ssize_t total = starpu_memory_get_total(starpu_worker_get_memory_node(worker));
    size_t need = 0;
    for (unsigned i = 0; i < STARPU_TASK_GET_NBUFFERS(task); i++)
        need += starpu_data_get_size(STARPU_TASK_GET_HANDLE(task, i));
    return total < 0 || need < (size_t)total / 4 * 3;
}


SBK_CODELET(cl_ann_inner, "ann_inner", "sbk_ann_inner_gels", NULL, ann_inner_cpu, ann_inner_cuda, 0,
            .can_execute = ann_inner_can_execute,
            .nbuffers = STARPU_VARIABLE_NBUFFERS);

/* One inner task of codelet cl: X's and y's row tiles, then the tail (W and
 * the outcomes first). */
static int insert_inner(struct starpu_codelet *cl, const struct inner_args *a, starpu_data_handle_t *X_tiles,
                        starpu_data_handle_t *y_tiles, const starpu_data_handle_t *tail,
                        const enum starpu_data_access_mode *modes, int ntail)
{
    struct inner_args *args = malloc(sizeof *args);
    starpu_data_handle_t *parts = malloc(2 * a->mt * sizeof *parts);
    if (!args || !parts) {
        free(args), free(parts);
        return SBK_ENOMEM;
    }
    *args = *a;
    for (int i = 0; i < a->mt; i++)
        parts[i] = X_tiles[i], parts[a->mt + i] = y_tiles[i];
    int ret = sbk_insert_gather(cl, args, sizeof *args, parts, 2 * a->mt, tail, modes, ntail, 0);
    free(parts);
    return ret;
}

int sbk_insert_ann_inner(starpu_data_handle_t *X_tiles, starpu_data_handle_t *y_tiles, int mt, int mb, int vars,
                         int bias, int first, int count, int rows, uint64_t seed, starpu_data_handle_t W,
                         starpu_data_handle_t draws_used)
{
    const struct inner_args a = {first, count, rows, vars, bias, mt, mb, seed, 0};
    const starpu_data_handle_t tail[] = {W, draws_used};
    const enum starpu_data_access_mode modes[] = {STARPU_W, STARPU_W};
    return insert_inner(&cl_ann_inner, &a, X_tiles, y_tiles, tail, modes, 2);
}

/* --- the same kernels on a partition (sbk_ann_opts.partition): neuron k fits its cluster's rows --- */

SBK_CODELET(cl_ann_inner_partition, "ann_inner_partition", "sbk_kmeans_ann_inner", NULL, ann_inner_cpu, ann_inner_cuda,
            0, .can_execute = ann_inner_can_execute, .nbuffers = STARPU_VARIABLE_NBUFFERS);

int sbk_insert_ann_inner_partition(starpu_data_handle_t *X_tiles, starpu_data_handle_t *y_tiles, int mt, int mb,
                                   int vars, int bias, int first, int count, int rows, starpu_data_handle_t members,
                                   starpu_data_handle_t starts, starpu_data_handle_t W, starpu_data_handle_t draws_used)
{
    const struct inner_args a = {first, count, rows, vars, bias, mt, mb, 0, 1};
    const starpu_data_handle_t tail[] = {W, draws_used, members, starts};
    const enum starpu_data_access_mode modes[] = {STARPU_W, STARPU_W, STARPU_R, STARPU_R};
    return insert_inner(&cl_ann_inner_partition, &a, X_tiles, y_tiles, tail, modes, 4);
}
