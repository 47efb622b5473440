/* CUDA side of Monte-Carlo pi's reduction: adds one replicate of the counter
 * into another where both live, so a GPU-only StarPU (STARPU_NCPU=0) can
 * reduce too. One thread: StarPU calls it once per pair of replicates. */
#include <cuda_runtime.h>
#include <stdint.h>

__global__ static void mcpi_add(unsigned long long *into, const unsigned long long *from)
{
    *into += *from;
}

extern "C" cudaError_t sbk_mcpi_sum_cuda_launch(uint64_t *into, const uint64_t *from, cudaStream_t stream)
{
    mcpi_add<<<1, 1, 0, stream>>>((unsigned long long *)into, (const unsigned long long *)from);
    return cudaGetLastError();
}
