/* Plain-pointer CPU kernels of the linear-algebra codelets: column-major tiles
 * given by a pointer and a leading dimension, float or double by prec. No
 * StarPU: the codelets (codelets/linalg/) call them on a task's buffers, and
 * tests/test_kernels.c checks them against reference loops alone. */
#ifndef STARBAK_KERNELS_CPU_LINALG_H
#define STARBAK_KERNELS_CPU_LINALG_H

#include <stdint.h>
#include <starbak/starbak.h>

/* C = alpha op(A) op(B) + beta C, C m×n, op(A) m×k (cblas_?gemm, beta = 0
 * does not read C). */
void sbk_cpu_gemm(sbk_precision prec, sbk_trans transA, sbk_trans transB, int m, int n, int k, double alpha,
                  const void *A, int lda, const void *B, int ldb, double beta, void *C, int ldc);

/* C = alpha A + beta B, all m×n (C may not overlap A or B). */
void sbk_cpu_add(sbk_precision prec, int m, int n, double alpha, const void *A, int lda, double beta, const void *B,
                 int ldb, void *C, int ldc);

/* A = alpha A, m×n; alpha = 0 writes zeros, even over NaN. */
void sbk_cpu_scale(sbk_precision prec, int m, int n, double alpha, void *A, int lda);

/* C = parts[0] + ... + parts[nparts-1] (part p with leading dimension ld[p]),
 * each element summed in that order in double; with lower set only rows >= columns.
 * The parts in parts_prec, C in prec (the parts combined over MPI ranks are double). */
void sbk_cpu_tile_sum(sbk_precision parts_prec, sbk_precision prec, int m, int n, int lower, const void *const *parts,
                      const int *ld, int nparts, void *C, int ldc);

/* How many of the Monte-Carlo samples first .. first + count - 1 of stream
 * seed fall in the quarter disc (kernels/common/mcpi_sample.h). */
uint64_t sbk_cpu_mcpi_count(uint64_t seed, uint64_t first, uint64_t count);

#endif
