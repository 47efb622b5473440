/* Per-sample math of the Monte-Carlo pi kernel, shared by the CPU function, the
 * CUDA kernel and the tests. Counter-based: sample i of stream `seed` is the
 * i-th SplitMix64 output, so any task can draw any range of samples and the
 * count is the same whatever the split, the worker or the device. */
#ifndef STARBAK_MCPI_SAMPLE_H
#define STARBAK_MCPI_SAMPLE_H

#include <stdint.h>

#ifdef __CUDACC__
#define SBK_HOST_DEVICE __host__ __device__
#else
#define SBK_HOST_DEVICE
#endif

SBK_HOST_DEVICE static inline uint64_t sbk_splitmix64(uint64_t seed, uint64_t i)
{
    uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* 1 when sample i lies in the quarter disc. The two 31-bit coordinates keep
 * x² + y² < 2^63 exact in integers: no rounding that CPU and GPU could disagree on. */
SBK_HOST_DEVICE static inline unsigned sbk_mcpi_inside(uint64_t seed, uint64_t i)
{
    uint64_t r = sbk_splitmix64(seed, i);
    uint64_t x = r >> 33, y = (r >> 2) & 0x7FFFFFFFull;
    return x * x + y * y < (1ull << 62);
}

#endif
