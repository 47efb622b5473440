/* Per-element math of the ANN hidden layer, shared by the CPU functions, the
 * CUDA kernel and the tests: h = tanh(z + b). */
#ifndef STARBAK_ANN_ACTIVATION_H
#define STARBAK_ANN_ACTIVATION_H

#include <math.h>

#ifdef __CUDACC__
#define SBK_ANN_HOST_DEVICE __host__ __device__
#else
#define SBK_ANN_HOST_DEVICE
#endif

SBK_ANN_HOST_DEVICE static inline double sbk_ann_activation(double z, double b)
{
    return tanh(z + b);
}

SBK_ANN_HOST_DEVICE static inline float sbk_ann_activation_f(float z, float b)
{
    return tanhf(z + b);
}

#endif
