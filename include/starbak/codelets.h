/* Internal: starbak's codelets and the wrappers that insert their tasks.
 * One file per kernel in codelets/; src/ algorithms only call sbk_insert_*. */
#ifndef STARBAK_CODELETS_H
#define STARBAK_CODELETS_H

#include <starpu.h>
#include <starbak/starbak.h>

/* starpu_task_insert's return as an SBK_ code. StarPU frees the STARPU_CL_ARGS
 * buffer itself when a submission fails, so callers must not. */
static inline int sbk_insert_status(int ret)
{
    return ret == 0 ? SBK_SUCCESS : ret == -ENODEV ? SBK_ENODEV : SBK_ERUNTIME;
}

/* Every kernel's first call: 1 after sbk_cancel, when the kernel must return
 * without computing; it also keeps that meaningless duration out of the
 * codelet's performance model. */
int sbk_kernel_skipped(void);

/* StarPU-MPI (src/mpi.c), internal: every rank registers the same handles and
 * submits the same tasks; each handle has an owner rank and a tag. Without an
 * MPI launch these are no-ops and one process owns everything. */
int sbk_mpi_wanted(void);      /* launched by mpirun/srun, or SBK_MPI=1 */
int sbk_mpi_start(void);       /* starpu_mpi_init_conf and the grid; an SBK_ code */
void sbk_mpi_stop(void);
int sbk_mpi_active(void);
int sbk_mpi_wait(void);        /* tasks and communications of every rank (collective) */
/* Declares h's owner (and its tag) to StarPU-MPI; call right after registering. */
void sbk_data_distribute(starpu_data_handle_t h, int owner);
/* Declares that every rank holds h's same value (no transfers for reading it). */
void sbk_data_replicate(starpu_data_handle_t h);
int sbk_data_owned(starpu_data_handle_t h); /* 1 on the owner rank (always without MPI) */
/* Sends h's current value from its owner to every rank (collective). */
void sbk_data_broadcast(starpu_data_handle_t h);
/* Brings h's current value into its home buffer on every rank and copies
 * bytes of it to out unless out is NULL (collective). */
int sbk_data_read(starpu_data_handle_t h, void *out, size_t bytes);
long sbk_mpi_min_long(long value); /* the smallest over the ranks (collective) */
uint64_t sbk_mpi_sum_u64(uint64_t value); /* the sum over the ranks (collective) */
int sbk_mpi_gather_longs(const long *mine, int count, long *all); /* onto rank 0 */

/* The one place tasks are submitted: cl over descr[0..n), args (malloc'd, or
 * NULL) as STARPU_CL_ARGS, freed whatever happens. Under MPI the task runs on
 * the rank owning its written data, StarPU-MPI moving what it reads; every
 * rank must make the same calls. */
int sbk_submit(struct starpu_codelet *cl, const struct starpu_data_descr *descr, int n, void *args,
               size_t args_size, double flops, int priority);

/* C = parts[0] + ... + parts[nparts-1], matrix tiles of C's shape, in that
 * order; with lower set, only the lower triangle (rows >= columns) is read and written. */
int sbk_insert_tile_sum(starpu_data_handle_t *parts, int nparts, int lower, starpu_data_handle_t C);

/* dst = src (same interface and size), wherever each lives. */
int sbk_insert_copy(starpu_data_handle_t src, starpu_data_handle_t dst);

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

/* Offset of the next piece of a workspace carved out of one allocation, each
 * piece 256-byte aligned as cuBLAS and cuSOLVER want. */
static inline size_t sbk_carve(size_t *total, size_t bytes)
{
    size_t at = *total;
    *total += (bytes + 255) & ~(size_t)255;
    return at;
}

#ifdef STARPU_USE_CUDA
/* A CUDA call's status: StarPU's report and abort unless it succeeded. */
static inline void sbk_check_cuda(cudaError_t status)
{
    if (status != cudaSuccess)
        STARPU_CUDA_REPORT_ERROR(status);
}
/* k-means (codelets/kmeans_*.c, kernels in kmeans_kernels.h): see each file's header. */
int sbk_insert_kmeans_assign(starpu_data_handle_t X, starpu_data_handle_t C, starpu_data_handle_t cnorm,
                             starpu_data_handle_t labels, starpu_data_handle_t dist, starpu_data_handle_t partial,
                             starpu_data_handle_t scratch);
int sbk_insert_kmeans_pp_potentials(starpu_data_handle_t X, starpu_data_handle_t closest,
                                    starpu_data_handle_t candidates, starpu_data_handle_t potentials);
int sbk_insert_kmeans_pp_update(starpu_data_handle_t X, starpu_data_handle_t centroid, int first,
                                starpu_data_handle_t closest, starpu_data_handle_t total);

#endif

/* Inserts cl over parts[0..nparts) (R) followed by tail buffers in the given
 * modes; args (malloc'd) become the task's STARPU_CL_ARGS. */
int sbk_insert_gather(struct starpu_codelet *cl, void *args, size_t args_size, starpu_data_handle_t *parts,
                      int nparts, const starpu_data_handle_t *tail, const enum starpu_data_access_mode *modes,
                      int ntail, int priority);

/* SolveBak (codelets/solvebak_*.c, gram_sweep.c): see each file's header.
 * How a batch J turns d_J = X_J^T e into its step da_J, with G_J = X_J^T X_J: */
enum sbk_batch_solve {
    SBK_BATCH_JACOBI,       /* da = d ./ diag(G_J): batched (HPSCDP) */
    SBK_BATCH_GAUSS_SEIDEL, /* (D + L) da = d: per-column's own iterates, one batch at a time */
    SBK_BATCH_CHOLESKY,     /* G_J da = d: block-exact */
};
int sbk_insert_solvebak_step(starpu_data_handle_t e, starpu_data_handle_t p, starpu_data_handle_t X_prev,
                             int prev_col, int prev_count, starpu_data_handle_t da_prev,
                             starpu_data_handle_t X_cur, int cur_col, int cur_count, int norm);
int sbk_insert_solvebak_reduce_da(starpu_data_handle_t *parts, int nparts, int count, starpu_data_handle_t scale,
                                  enum sbk_batch_solve solve, starpu_data_handle_t da, starpu_data_handle_t a_tile,
                                  int a_offset);
int sbk_insert_solvebak_reduce_norm(starpu_data_handle_t *parts, int nparts, int slot, starpu_data_handle_t out);
int sbk_insert_solvebak_gram_partial(starpu_data_handle_t X, int col, int count, int whole, starpu_data_handle_t q);
int sbk_insert_solvebak_gram_reduce(starpu_data_handle_t *parts, int nparts, int count, enum sbk_batch_solve solve,
                                    starpu_data_handle_t out);
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
int sbk_insert_ann_inner(starpu_data_handle_t *X_tiles, starpu_data_handle_t *y_tiles, int mt, int mb, int vars,
                         int bias, int first, int count, int rows, uint64_t seed, starpu_data_handle_t W);
/* The same on a partition: neuron k fits the rows members[starts[k] .. starts[k + 1]) (int64 vectors
 * over all the neurons), each system padded to `rows` rows, the most of the block's clusters. */
int sbk_insert_ann_inner_partition(starpu_data_handle_t *X_tiles, starpu_data_handle_t *y_tiles, int mt, int mb,
                                   int vars, int bias, int first, int count, int rows, starpu_data_handle_t members,
                                   starpu_data_handle_t starts, starpu_data_handle_t W);
int sbk_insert_ann_normal(starpu_data_handle_t X, starpu_data_handle_t y, starpu_data_handle_t W, int neurons,
                          int bias, starpu_data_handle_t scratch, starpu_data_handle_t P, starpu_data_handle_t q);
int sbk_insert_ann_predict(starpu_data_handle_t X, starpu_data_handle_t W, starpu_data_handle_t v, int neurons,
                           int bias, starpu_data_handle_t scratch, starpu_data_handle_t yhat);
int sbk_insert_ann_solve(starpu_data_handle_t *P, starpu_data_handle_t *q, int nparts, int ncol, double ridge,
                         starpu_data_handle_t v, starpu_data_handle_t ridge_used);

/* k-means (codelets/kmeans_*.c, kernels in kmeans_kernels.h): see each file's header. */
int sbk_insert_kmeans_assign(starpu_data_handle_t X, starpu_data_handle_t C, starpu_data_handle_t cnorm,
                             starpu_data_handle_t labels, starpu_data_handle_t dist, starpu_data_handle_t partial,
                             starpu_data_handle_t scratch);
int sbk_insert_kmeans_pp_potentials(starpu_data_handle_t X, starpu_data_handle_t closest,
                                    starpu_data_handle_t candidates, starpu_data_handle_t potentials);
int sbk_insert_kmeans_pp_update(starpu_data_handle_t X, starpu_data_handle_t centroid, int first,
                                starpu_data_handle_t closest, starpu_data_handle_t total);

#endif
