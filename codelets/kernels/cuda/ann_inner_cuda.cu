/* CUDA kernels of the ANN inner layer, around cublasDgelsBatched (the host
 * side is ann_inner_cuda in ann_inner.c); the math is ann_draws.h's, the CPU's.
 *   gather: one block per unsolved neuron writes its draw into its A and t and
 *           its slot of the pointer arrays gelsBatched reads;
 *   accept: one thread per neuron judges its solved draw and writes its column
 *           of W and its outcome when it is kept or when it was the last draw
 *           allowed. */
#include <cuda_runtime.h>
#include "../common/ann_draws.h"

__global__ static void ann_inner_gather(struct sbk_ann_batch b, int attempt)
{
    int j = blockIdx.x;
    double *A = b.A + (size_t)j * b.draws.rows * b.n, *t = b.t + (size_t)j * b.draws.rows;
    if (threadIdx.x == 0)
        b.A_ptrs[j] = A, b.t_ptrs[j] = t;
    for (int i = threadIdx.x; i < b.draws.rows; i += blockDim.x)
        sbk_ann_gather_row(&b.draws, b.first + b.list[j], attempt, i, A, b.draws.rows, t);
}

__global__ static void ann_inner_accept(struct sbk_ann_batch b, int left, int attempt, int last)
{
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= left)
        return;
    const double *A = b.A + (size_t)j * b.draws.rows * b.n, *t = b.t + (size_t)j * b.draws.rows;
    int ok = b.info[j] == 0 && sbk_ann_draw_accepted(A, b.draws.rows, t, b.n);
    b.accepted[j] = ok;
    if (ok || last) {
        sbk_ann_write_column(b.W, b.ldw, b.draws.dbl, b.list[j], b.draws.vars, b.n, ok, t);
        b.draws_used[b.list[j]] = ok ? attempt + 1 : SBK_ANN_DROPPED;
    }
}

extern "C" cudaError_t sbk_ann_inner_gather_cuda(const struct sbk_ann_batch *b, int left, int attempt,
                                                 cudaStream_t stream)
{
    if (left == 0)
        return cudaSuccess;
    ann_inner_gather<<<left, 128, 0, stream>>>(*b, attempt);
    return cudaGetLastError();
}

extern "C" cudaError_t sbk_ann_inner_accept_cuda(const struct sbk_ann_batch *b, int left, int attempt, int last,
                                                 cudaStream_t stream)
{
    if (left == 0)
        return cudaSuccess;
    ann_inner_accept<<<(left + 127) / 128, 128, 0, stream>>>(*b, left, attempt, last);
    return cudaGetLastError();
}
