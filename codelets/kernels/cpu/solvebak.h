/* Plain-pointer CPU kernels of SolveBak's codelets (codelets/solvebak/):
 * column-major blocks given by a pointer and a leading dimension, float or
 * double by prec. No StarPU: tests/test_kernels.c checks them alone. */
#ifndef STARBAK_KERNELS_CPU_SOLVEBAK_H
#define STARBAK_KERNELS_CPU_SOLVEBAK_H

#include <stddef.h>
#include <starbak/starbak.h>
#include "../common/task_outcomes.h"

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

/* out[k] = parts[0][first + k] + parts[1][first + k] + ..., k < len, added
 * in that order from 0 in double (partial_sum.h): every scheduler, and the
 * CUDA path's sums, give the same bits. The parts all in parts_prec. */
void sbk_cpu_partials_sum(sbk_precision parts_prec, int nparts, const void *const *parts, size_t first, size_t len,
                          double *out);

/* A batch's step from its row-block partials d_i of X_J^T e: d = sum d_i,
 * then da by the batch's solve, with scale as sbk_cpu_gram_reduce leaves it
 * (the diagonal, then G_J for Gauss-Seidel or its Cholesky factor); da and
 * the batch's count values of a (both prec) get da = that step, a += da. */
void sbk_cpu_solvebak_update(sbk_precision parts_prec, int nparts, const void *const *parts, int count,
                             enum sbk_batch_solve solve, const double *scale, sbk_precision prec, void *da, void *a);

/* A batch's Gram block G_J (n × n) from its row-block partials (n² values
 * each, or n squared norms for Jacobi): out = diag(G_J), then unless Jacobi
 * G_J (Gauss-Seidel) or its Cholesky factor L (lower), then the ridge added to
 * G_J's diagonal (0: none); copy (n² doubles) is workspace. Returns an enum
 * sbk_task_status: NONFINITE for a non-finite diagonal; REGULARIZED or
 * SINGULAR when G_J needs a ridge to factor, or none made it factor. */
int sbk_cpu_gram_reduce(sbk_precision parts_prec, int nparts, const void *const *parts, int n,
                        enum sbk_batch_solve solve, double *out, double *copy);

/* One Gauss-Seidel sweep over all columns on the Gram system M = [X | y]^T
 * [X | y] ((vars + 1) × (vars + 1), lower triangle read; G its leading block,
 * b^T its last row, y^T y its corner): for j, a_j += (b_j - G[:, j]^T a) / G_jj,
 * skipped when G_jj = 0; a (vars doubles, held in prec's rounding) is updated,
 * s (vars doubles) is workspace. Returns ||y - X a||^2 = y^T y - 2 a^T b +
 * a^T G a (0 where rounding makes it negative). */
double sbk_cpu_gram_sweep(sbk_precision prec, int vars, const void *M, int ldm, double *a, double *s);

#endif
