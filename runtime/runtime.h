/* The runtime layer's interface, under both the algorithms (src/) and the
 * codelets: the matrix descriptor, task submission, cancellation and StarPU-MPI.
 * It includes no other layer's header. */
#ifndef STARBAK_INTERNAL_RUNTIME_H
#define STARBAK_INTERNAL_RUNTIME_H

#include <starpu.h>
#include <starbak/starbak.h>
#include "runtime/cancel.h"

struct sbk_matrix {
    sbk_precision prec;
    void *buf;
    int m, n, ld, mb, nb, mt, nt;
    int pinned;                    /* buf was pinned by sbk_matrix_create */
    sbk_distribution dist;         /* which rank owns each tile (sbk_matrix_tile_owner) */
    starpu_data_handle_t *tiles;   /* mt × nt, column-major */
};

/* Rows of tile row i and columns of tile column j: the last ones may be short. */
static inline int sbk_tile_rows(const sbk_matrix *A, int i) { return i == A->mt - 1 ? A->m - i * A->mb : A->mb; }
static inline int sbk_tile_cols(const sbk_matrix *A, int j) { return j == A->nt - 1 ? A->n - j * A->nb : A->nb; }
static inline starpu_data_handle_t sbk_tile(const sbk_matrix *A, int i, int j) { return A->tiles[i + (size_t)j * A->mt]; }

/* The first NaN/Inf of A, read through StarPU (acquire), for input checks:
 * 1 and its 0-based position, or 0. */
int sbk_matrix_find_nonfinite(const sbk_matrix *A, long *row, long *col);
/* Each column's mean and variance (over its m values, A finite) on every rank,
 * the same bits for any rank count (collective; an SBK_ code). */
int sbk_matrix_column_moments(const sbk_matrix *A, double *mean, double *var);

/* How an algorithm refuses its input or reports a failure: the message goes
 * into the report's message buffer (report may be NULL), the code is returned. */
int sbk_refusal(char *message, size_t size, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define SBK_REFUSE(report, code, ...) \
    sbk_refusal((report) ? (report)->message : NULL, sizeof(report)->message, code, __VA_ARGS__)

/* SBK_ENOINIT before sbk_init, SBK_EINVAL on a NULL matrix, 0 otherwise. */
int sbk_check_matrices(int count, const sbk_matrix *const *mats);

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

/* StarPU-MPI (runtime/mpi.c): every rank registers the same handles and
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
/* Lets StarPU-MPI forget h's copies on the ranks that received it once the
 * tasks submitted so far have read them (starpu_mpi_cache_flush; collective):
 * a later reader receives it again. */
void sbk_data_flush(starpu_data_handle_t h);
/* starpu_data_unregister_submit, except for another rank's handle that this
 * rank never received (no task here used it): unregistered at once. The
 * asynchronous form submits an acquire and its release, two internal tasks,
 * on every rank that registered h: a reduction over R ranks' B blocks each
 * would cost every rank 2 R B of them (about 1 us each), ranks^2 in all. */
void sbk_data_unregister_submit(starpu_data_handle_t h);
/* Sends h's current value from its owner to every rank (collective). */
void sbk_data_broadcast(starpu_data_handle_t h);
/* Brings h's current value into its home buffer on every rank and copies
 * bytes of it to out unless out is NULL (collective). */
int sbk_data_read(starpu_data_handle_t h, void *out, size_t bytes);
long sbk_mpi_min_long(long value); /* the smallest over the ranks (collective) */
uint64_t sbk_mpi_sum_u64(uint64_t value); /* the sum over the ranks (collective) */
int sbk_mpi_sum_doubles(double *values, size_t count); /* element-wise sums over the ranks, in place (collective) */
int sbk_mpi_gather_longs(const long *mine, int count, long *all); /* onto rank 0 */

/* The one place tasks are submitted: cl over descr[0..n), args (malloc'd, or
 * NULL) as STARPU_CL_ARGS, freed whatever happens. Under MPI the task runs on
 * the rank owning its written data, StarPU-MPI moving what it reads; every
 * rank must make the same calls. */
int sbk_submit(struct starpu_codelet *cl, const struct starpu_data_descr *descr, int n, void *args,
               size_t args_size, double flops, int priority);

/* dst = src (same interface and size), wherever each lives. */
int sbk_insert_copy(starpu_data_handle_t src, starpu_data_handle_t dst);

/* Inserts cl over parts[0..nparts) (R) followed by tail buffers in the given
 * modes; args (malloc'd) become the task's STARPU_CL_ARGS. */
int sbk_insert_gather(struct starpu_codelet *cl, void *args, size_t args_size, starpu_data_handle_t *parts,
                      int nparts, const starpu_data_handle_t *tail, const enum starpu_data_access_mode *modes,
                      int ntail, int priority);

#endif
