/* CUDA kernel of the ANN outer solve: the partials' fixed-order sum in double
 * (partial_sum.h), with a ridge on the diagonal and the result in double or
 * float. cuBLAS has no float-to-double accumulation, and the CPU sums float
 * partials in double: one thread per element adds the partials in their order,
 * so both devices get the same bits. */
#include <cuda_runtime.h>
#include "../common/partial_sum.h"

template <typename T> __global__ static void ann_solve_sum(struct sbk_ann_sum s)
{
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= s.rows)
        return;
    for (int c = blockIdx.y; c < s.cols; c += gridDim.y) {
        if (s.lower && r < c)
            continue;
        double acc = 0.0;
        for (int i = 0; i < s.nparts; i++)
            acc = sbk_ann_add_partial(acc, s.parts[i], s.dbl, (size_t)r + (size_t)c * s.ld);
        if (r == c)
            acc += s.diagonal;
        ((T *)s.out)[(size_t)r + (size_t)c * s.ldo] = (T)acc;
    }
}

extern "C" cudaError_t sbk_ann_solve_sum_cuda(const struct sbk_ann_sum *s, cudaStream_t stream)
{
    if (s->rows == 0 || s->cols == 0)
        return cudaSuccess;
    dim3 grid((s->rows + 255) / 256, s->cols < 65535 ? s->cols : 65535);
    if (s->out_dbl)
        ann_solve_sum<double><<<grid, 256, 0, stream>>>(*s);
    else
        ann_solve_sum<float><<<grid, 256, 0, stream>>>(*s);
    return cudaGetLastError();
}
