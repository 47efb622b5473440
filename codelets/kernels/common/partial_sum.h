/* The fixed-order sum of row-block partials (the ANN outer solve's H^T H and
 * H^T y, SolveBak's Gram accumulators in tile_sum), shared by the CPU code, the
 * CUDA kernel (ann_solve_cuda.cu) and the tests: added in their order, from 0,
 * in double whatever their precision, so that both devices give the same bits. */
#ifndef STARBAK_KERNELS_PARTIAL_SUM_H
#define STARBAK_KERNELS_PARTIAL_SUM_H

#include <stddef.h>
#include "mcpi_sample.h"

/* acc + element k of a partial held in double (dbl) or float. */
SBK_HOST_DEVICE static inline double sbk_ann_add_partial(double acc, const void *part, int dbl, size_t k)
{
    return acc + (dbl ? ((const double *)part)[k] : (double)((const float *)part)[k]);
}

/* One sum the CUDA kernel forms, on the device: out(r, c) = sum over i of
 * parts[i][r + c ld], plus `diagonal` where r == c, for r < rows and c < cols
 * (only r >= c when lower); out in double (out_dbl) or float. All parts share
 * one layout: StarPU allocates the partials alike (src/ann.c registers them so). */
struct sbk_ann_sum {
    const void *const *parts;
    int nparts, dbl;
    size_t ld;
    int rows, cols, lower;
    double diagonal;
    void *out;
    int out_dbl;
    size_t ldo;
};

#endif
