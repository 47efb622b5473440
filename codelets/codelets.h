/* The codelet layer's interface: one wrapper per kernel that inserts its task
 * (codelets/<area>/<kernel>.c). The algorithms in src/ call only these; the
 * codelets call only the runtime (runtime/runtime.h) and their kernels. */
#ifndef STARBAK_INTERNAL_CODELETS_H
#define STARBAK_INTERNAL_CODELETS_H

#include "runtime/runtime.h"
#include "codelets/kernels/common/task_outcomes.h"

/* C = parts[0] + ... + parts[nparts-1], matrix tiles of C's shape, in that
 * order; with lower set, only the lower triangle (rows >= columns) is read and written. */
int sbk_insert_tile_sum(starpu_data_handle_t *parts, int nparts, int lower, starpu_data_handle_t C);

/* Sums whose task reads and writes at least this many bytes may run on a GPU
 * (tile_sum, partial_sum); smaller ones stay on CPU cores. */
#define SBK_GPU_SUM_MIN_BYTES ((size_t)1 << 20)

/* acc (double, the parts' shape: vectors or matrices) = the parts' sum in
 * their order, or acc + that sum with accumulate (the parts then double
 * accumulators too); with lower only the lower triangle, the rest of acc 0.
 * The sum across ranks of sbk_insert_reduce. */
int sbk_insert_partial_sum(starpu_data_handle_t *parts, int n, starpu_data_handle_t acc, int accumulate, int lower,
                           int priority);

/* The partials of a reduction: nparts handles of one shape (vectors or
 * matrices, float or double) in `groups` consecutive groups of nparts / groups
 * (the ANN's H^T H partials, then its H^T y ones), and whether only their lower
 * triangles count. */
struct sbk_partials {
    starpu_data_handle_t *parts;
    int nparts, groups, lower;
};

/* sbk_insert_gather for a reduction whose codelet sums each group of partials
 * in their order, in double: in one process (or one rank) exactly that task.
 * Under StarPU-MPI with several ranks each group is first summed per rank,
 * then over the ranks along a fixed binary tree, into one double partial per
 * group (reduce.c, doc/mpi.md), which the task then reads instead: its codelet
 * must count its partials from the task's buffers and read them in their own
 * precision. */
int sbk_insert_reduce(struct starpu_codelet *cl, void *args, size_t args_size, const struct sbk_partials *p,
                      const starpu_data_handle_t *tail, const enum starpu_data_access_mode *modes, int ntail,
                      int priority);

/* C = alpha op(A) op(B) + beta C on one tile triple. With accumulate set, C is
 * STARPU_RW | STARPU_COMMUTE (the k > 0 updates of one C tile may run in any
 * order); otherwise beta = 0 makes it write-only, so C is never fetched. */
int sbk_insert_gemm(sbk_trans transA, sbk_trans transB, double alpha, starpu_data_handle_t A,
                    starpu_data_handle_t B, double beta, starpu_data_handle_t C, int accumulate);

/* C = alpha A + beta B on one tile (C written only). */
int sbk_insert_add(double alpha, starpu_data_handle_t A, double beta, starpu_data_handle_t B,
                   starpu_data_handle_t C);

/* A = alpha A on one tile. */
int sbk_insert_scale(double alpha, starpu_data_handle_t A);

/* Adds to *inside (a uint64_t variable handle, accessed in STARPU_REDUX) how
 * many of the samples first .. first+count-1 of stream `seed` fall in the circle. */
int sbk_insert_mcpi(uint64_t first, uint64_t count, uint64_t seed, starpu_data_handle_t inside);
/* Declares the reduction of a mcpi counter handle (init to 0, sum). */
void sbk_mcpi_set_reduction(starpu_data_handle_t inside);

/* SolveBak (codelets/solvebak_*.c, gram_sweep.c): see each file's header; the
 * batch solves (enum sbk_batch_solve) in kernels/common/task_outcomes.h. */
int sbk_insert_solvebak_step(starpu_data_handle_t e, starpu_data_handle_t p, starpu_data_handle_t X_prev,
                             int prev_col, int prev_count, starpu_data_handle_t da_prev,
                             starpu_data_handle_t X_cur, int cur_col, int cur_count, int norm);
int sbk_insert_solvebak_reduce_da(starpu_data_handle_t *parts, int nparts, int count, starpu_data_handle_t scale,
                                  enum sbk_batch_solve solve, starpu_data_handle_t da, starpu_data_handle_t a_tile,
                                  int a_offset);
int sbk_insert_solvebak_reduce_norm(starpu_data_handle_t *parts, int nparts, int slot, starpu_data_handle_t out);
/* A task that can fail reports an enum sbk_task_status (kernels/common/task_outcomes.h). */
int sbk_insert_solvebak_gram_partial(starpu_data_handle_t X, int col, int count, int whole, starpu_data_handle_t q);
/* G: the diagonal of G_J, then G_J or its factor unless Jacobi, then the ridge
 * added to G_J's diagonal (0: none); status: an enum sbk_task_status. */
int sbk_insert_solvebak_gram_reduce(starpu_data_handle_t *parts, int nparts, int count, enum sbk_batch_solve solve,
                                    starpu_data_handle_t G, starpu_data_handle_t status);
/* M += [X_i | y_i]^T [X_i | y_i], lower triangle, for row block i given as its ntiles X tiles
 * and y's tile; M ((vars+1)×(vars+1)) is written, not read, unless accumulate; scratch from
 * sbk_gram_form_scratch. */
int sbk_insert_gram_form(starpu_data_handle_t *X_tiles, int ntiles, starpu_data_handle_t y, int accumulate,
                         starpu_data_handle_t M, starpu_data_handle_t scratch);
/* Registers the scratch handle gram_form tasks share, for row blocks of up to
 * rows rows and M of order n; unregister it after the tasks. */
void sbk_gram_form_scratch(starpu_data_handle_t *scratch, int rows, int n, size_t es);
/* M as gram_form leaves it: G, then b^T and y^T y in its last row. */
int sbk_insert_gram_sweep(starpu_data_handle_t M, starpu_data_handle_t *a_tiles, int vars, int nb,
                          starpu_data_handle_t out);

/* ANN (codelets/ann_*.c): see each file's header. */
#define SBK_ANN_ATTEMPTS 4 /* draws per neuron before it is dropped */
/* W: the block's (vars + 1) × count weights and biases; draws_used: count ints,
 * each neuron's draws or SBK_ANN_DROPPED (kernels/common/ann_draws.h). */
int sbk_insert_ann_inner(starpu_data_handle_t *X_tiles, starpu_data_handle_t *y_tiles, int mt, int mb, int vars,
                         int bias, int first, int count, int rows, uint64_t seed, starpu_data_handle_t W,
                         starpu_data_handle_t draws_used);
/* The same on a partition: neuron k fits the rows members[starts[k] .. starts[k + 1]) (int64 vectors
 * over all the neurons), each system padded to `rows` rows, the most of the block's clusters. */
int sbk_insert_ann_inner_partition(starpu_data_handle_t *X_tiles, starpu_data_handle_t *y_tiles, int mt, int mb,
                                   int vars, int bias, int first, int count, int rows, starpu_data_handle_t members,
                                   starpu_data_handle_t starts, starpu_data_handle_t W, starpu_data_handle_t draws_used);
int sbk_insert_ann_normal(starpu_data_handle_t X, starpu_data_handle_t y, starpu_data_handle_t W, int neurons,
                          int bias, starpu_data_handle_t scratch, starpu_data_handle_t P, starpu_data_handle_t q);
int sbk_insert_ann_predict(starpu_data_handle_t X, starpu_data_handle_t W, starpu_data_handle_t v, int neurons,
                           int bias, starpu_data_handle_t scratch, starpu_data_handle_t yhat);
/* v solves (sum P_i + ridge I) v = sum q_i, with the requested ridge or the
 * smallest larger one that factors; ridge_used (double) the ridge, status an
 * enum sbk_task_status (SBK_TASK_SINGULAR: none did, v and ridge_used unwritten). */
int sbk_insert_ann_solve(starpu_data_handle_t *P, starpu_data_handle_t *q, int nparts, int ncol, double ridge,
                         starpu_data_handle_t v, starpu_data_handle_t ridge_used, starpu_data_handle_t status);

/* k-means (codelets/kmeans/, kernels in codelets/kernels/common/kmeans_kernels.h): see each file's header. */
int sbk_insert_kmeans_assign(starpu_data_handle_t X, starpu_data_handle_t C, starpu_data_handle_t cnorm,
                             starpu_data_handle_t labels, starpu_data_handle_t dist, starpu_data_handle_t partial,
                             starpu_data_handle_t scratch);
int sbk_insert_kmeans_pp_potentials(starpu_data_handle_t X, starpu_data_handle_t closest,
                                    starpu_data_handle_t candidates, starpu_data_handle_t potentials);
int sbk_insert_kmeans_pp_update(starpu_data_handle_t X, starpu_data_handle_t centroid, int first,
                                starpu_data_handle_t closest, starpu_data_handle_t total);

#endif
