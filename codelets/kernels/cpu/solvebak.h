/* Plain-pointer CPU kernels of SolveBak's codelets (codelets/solvebak/):
 * column-major blocks given by a pointer and a leading dimension, float or
 * double by prec. No StarPU: tests/test_kernels.c checks them alone. */
#ifndef STARBAK_KERNELS_CPU_SOLVEBAK_H
#define STARBAK_KERNELS_CPU_SOLVEBAK_H

#include <starbak/starbak.h>

/* One row block's step (rows rows):
 *   e -= X_prev da          (prev_count columns; none when 0)
 *   p[0..cur_count) = X_cur^T e
 *   p[cur_count] = e^T e    (with norm) */
void sbk_cpu_solvebak_step(sbk_precision prec, int rows, void *e, const void *X_prev, int ld_prev, int prev_count,
                           const void *da, const void *X_cur, int ld_cur, int cur_count, void *p, int norm);

/* A batch's Gram partial on one row block: q = X^T X (count × count, lower
 * triangle, ld count) when whole, else q[k] = ||X[:, k]||^2. */
void sbk_cpu_gram_partial(sbk_precision prec, int rows, int count, int whole, const void *X, int ld, void *q);

/* M = (or += with accumulate) [B_0 | B_1 | ... ]^T [B_0 | B_1 | ...], lower
 * triangle, M n × n with n the blocks' total columns: block t is rows ×
 * cols[t] at blocks[t] (leading dimension ld[t]). Chunks of at most `chunk`
 * rows are copied side by side into W (capacity >= chunk × n elements), where
 * one SYRK per chunk reuses them from cache. */
void sbk_cpu_gram_form(sbk_precision prec, int rows, int nblocks, const void *const *blocks, const int *cols,
                       const int *ld, int accumulate, int chunk, void *W, void *M, int ldm);

#endif
