/* CUDA kernel of the Monte-Carlo pi codelet: each thread counts a strided share
 * of the samples, a block reduces in shared memory, one atomic per block. */
#include <cuda_runtime.h>
#include "../common/mcpi_sample.h"

#define MCPI_THREADS 256

__global__ static void mcpi_count(uint64_t first, uint64_t count, uint64_t seed, unsigned long long *inside)
{
    __shared__ unsigned long long partial[MCPI_THREADS];
    unsigned long long mine = 0;
    uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride)
        mine += sbk_mcpi_inside(seed, first + i);
    partial[threadIdx.x] = mine;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half)
            partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        atomicAdd(inside, partial[0]);
}

extern "C" cudaError_t sbk_mcpi_cuda_launch(uint64_t first, uint64_t count, uint64_t seed, uint64_t *inside,
                                            cudaStream_t stream)
{
    uint64_t blocks = (count + MCPI_THREADS - 1) / MCPI_THREADS;
    if (blocks > 1024)
        blocks = 1024;
    if (blocks == 0)
        return cudaSuccess;
    mcpi_count<<<(unsigned)blocks, MCPI_THREADS, 0, stream>>>(first, count, seed, (unsigned long long *)inside);
    return cudaGetLastError();
}
