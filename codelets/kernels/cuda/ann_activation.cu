/* CUDA kernel of the ANN hidden layer: H[:, k] = tanh(H[:, k] + bias_k) for
 * k < neurons, then a column of ones when the model has a bias (v_0). */
#include <cuda_runtime.h>
#include "../common/ann_activation.h"

template <typename T> __device__ static T activate(T z, T b);
template <> __device__ double activate<double>(double z, double b) { return sbk_ann_activation(z, b); }
template <> __device__ float activate<float>(float z, float b) { return sbk_ann_activation_f(z, b); }

template <typename T>
__global__ static void ann_activate(T *H, int ld, int rows, int neurons, int ones, const T *bias, int bias_stride)
{
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows)
        return;
    for (int k = blockIdx.y; k < neurons + ones; k += gridDim.y) /* gridDim.y is at most 65535 */
        if (k < neurons)
            H[r + (size_t)k * ld] = activate<T>(H[r + (size_t)k * ld], bias[(size_t)k * bias_stride]);
        else
            H[r + (size_t)k * ld] = T(1);
}

/* bias[k * bias_stride] is neuron k's bias (0 without one). */
extern "C" cudaError_t sbk_ann_activate_cuda(void *H, int ld, int rows, int neurons, int ones, const void *bias,
                                             int bias_stride, int dbl, cudaStream_t stream)
{
    dim3 grid((rows + 255) / 256, neurons + ones < 65535 ? neurons + ones : 65535);
    if (rows == 0 || neurons + ones == 0)
        return cudaSuccess;
    if (dbl)
        ann_activate<double><<<grid, 256, 0, stream>>>((double *)H, ld, rows, neurons, ones, (const double *)bias,
                                                       bias_stride);
    else
        ann_activate<float><<<grid, 256, 0, stream>>>((float *)H, ld, rows, neurons, ones, (const float *)bias,
                                                      bias_stride);
    return cudaGetLastError();
}
