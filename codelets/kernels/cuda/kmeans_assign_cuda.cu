/* CUDA kernel of the k-means assignment step (the host side is
 * kmeans_assign_cuda in kmeans_assign.c): one thread per point takes its
 * nearest centroid with kmeans_kernels.h's argmin, the CPU's, from a row of
 * the chunk's dot products, and adds itself to its cluster's sum and count;
 * inertia and label changes are summed per warp first. */
#include <cuda_runtime.h>
#include "../common/kmeans_kernels.h"

struct assign_chunk {
    int dbl, n, vars, k;
    const void *X, *dots;
    size_t ldx;
    const double *cnorm;
    int *labels;
    double *dist, *partial;
};

__device__ static double warp_sum(double v)
{
    for (int offset = 16; offset > 0; offset /= 2)
        v += __shfl_down_sync(0xffffffffu, v, offset);
    return v;
}

__global__ static void kmeans_assign(struct assign_chunk a)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    double d = 0.0, changed = 0.0;
    if (i < a.n) {
        double xnorm = 0.0;
        for (int c = 0; c < a.vars; c++) {
            double v = sbk_kmeans_at(a.X, a.dbl, i + c * a.ldx);
            xnorm += v * v;
        }
        size_t es = a.dbl ? sizeof(double) : sizeof(float);
        int label = sbk_kmeans_nearest((const char *)a.dots + i * es, a.n, a.dbl, a.k, a.cnorm, xnorm, &d);
        changed = a.labels[i] != label;
        a.labels[i] = label, a.dist[i] = d;
        size_t ldp = a.vars + 1;
        atomicAdd(&a.partial[a.vars + label * ldp], 1.0);
        for (int c = 0; c < a.vars; c++)
            atomicAdd(&a.partial[c + label * ldp], sbk_kmeans_at(a.X, a.dbl, i + c * a.ldx));
    }
    d = warp_sum(d), changed = warp_sum(changed);
    if (threadIdx.x % 32 == 0) {
        atomicAdd(&a.partial[sbk_kmeans_inertia_at(a.vars, a.k)], d);
        atomicAdd(&a.partial[sbk_kmeans_changed_at(a.vars, a.k)], changed);
    }
}

extern "C" cudaError_t sbk_kmeans_assign_cuda_chunk(int dbl, int n, int vars, int k, const void *X, size_t ldx,
                                                    const void *dots, const double *cnorm, int *labels, double *dist,
                                                    double *partial, cudaStream_t stream)
{
    struct assign_chunk a = {dbl, n, vars, k, X, dots, ldx, cnorm, labels, dist, partial};
    kmeans_assign<<<(n + 255) / 256, 256, 0, stream>>>(a);
    return cudaGetLastError();
}
