/* starbak: tiled linear algebra, element-wise kernels and Monte-Carlo on the
 * StarPU task-based runtime, over every CPU core and GPU of a machine. */
#ifndef STARBAK_H
#define STARBAK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The same typedef as in <starpu.h> (C11 allows repeating it), so that this
 * header does not pull StarPU and CUDA headers into every user's build. */
struct _starpu_data_state;
typedef struct _starpu_data_state *starpu_data_handle_t;

/* Error codes: every function returns 0 or one of these (negative). */
enum {
    SBK_SUCCESS = 0,
    SBK_EINVAL = -1,   /* an argument is out of range (size, pointer, option) */
    SBK_ESHAPE = -2,   /* operands' shapes or tilings do not conform */
    SBK_EPREC = -3,    /* operands of different precisions */
    SBK_ENOMEM = -4,   /* an allocation failed */
    SBK_ERUNTIME = -5, /* StarPU refused to start or to run a task */
    SBK_ENOINIT = -6,  /* sbk_init() has not been called */
    SBK_ENODEV = -7,   /* no worker can run the requested kernel */
    SBK_EIO = -8,      /* a file cannot be opened, read or written */
    SBK_EFORMAT = -9,  /* a file's content is malformed or of an unsupported kind */
    SBK_ECANCELED = -10, /* the run was cancelled by sbk_cancel (an interrupt) */
};
const char *sbk_strerror(int code);

/* Element type, chosen at run time; the value is the element size. */
typedef enum { SBK_FLOAT = 4, SBK_DOUBLE = 8 } sbk_precision;

typedef enum { SBK_NOTRANS = 0, SBK_TRANS = 1 } sbk_trans;

/* Element i of a buffer of prec elements, read as a double / written from one
 * (rounded to float in single precision): for host code that serves both. */
static inline double sbk_elem_get(sbk_precision prec, const void *buf, size_t i)
{
    return prec == SBK_DOUBLE ? ((const double *)buf)[i] : ((const float *)buf)[i];
}
static inline void sbk_elem_set(sbk_precision prec, void *buf, size_t i, double value)
{
    if (prec == SBK_DOUBLE)
        ((double *)buf)[i] = value;
    else
        ((float *)buf)[i] = (float)value;
}

/* Starts StarPU (its environment variables apply: STARPU_SCHED, STARPU_NCPU,
 * STARPU_NCUDA, ...) and cuBLAS on every CUDA worker. Each CPU worker's BLAS
 * runs on one thread: StarPU already gives each worker its own core. */
int sbk_init(void);
void sbk_shutdown(void);
int sbk_is_initialized(void);

/* OpenBLAS's thread count, which OpenBLAS keeps for the whole process: the
 * caller's own BLAS calls (NumPy's, in the same process) use it too, so a
 * caller that wants them multithreaded between starbak runs saves the count
 * before sbk_init and sets it back once its tasks have ended (sbk_init or a
 * run would otherwise leave it at 1). sbk_blas_threads_set returns the count
 * before the call. */
int sbk_blas_threads(void);
int sbk_blas_threads_set(int nthreads);

/* Idle StarPU workers keep polling for tasks, which takes CPU time from a
 * caller that computes on the same cores between runs (NumPy's BLAS in the
 * same process). sbk_pause puts them to sleep until sbk_resume; submit tasks
 * only after sbk_resume (a paused StarPU runs none). sbk_shutdown resumes
 * first. Both do nothing when there is nothing to change. */
void sbk_pause(void);
void sbk_resume(void);

/* "StarPU 1.4.10": the version of the StarPU this libstarbak runs on. */
const char *sbk_runtime_version(void);

/* Cancels the run in progress: async-signal-safe, for a SIGINT handler. Tasks
 * not yet started return at once without computing, nothing more is submitted,
 * and the functions running or called later return SBK_ECANCELED, so the
 * caller reaches sbk_shutdown in moments; results are then meaningless. The
 * next sbk_init clears it. sbk_cancelled says whether it was called. */
void sbk_cancel(void);
int sbk_cancelled(void);

/* 1 when this libstarbak runs on the SimGrid build of StarPU (scripts/simulate,
 * doc/simulation.md): workers and their task times are simulated, codelets are
 * never run, so no tile ever holds a computed value. 0 otherwise. */
int sbk_simulated(void);

/* Worker counts of the running StarPU instance. */
/* The default split of a computation into tasks (Monte-Carlo samples, ANN
 * neurons, the drivers' row blocks): about this many tasks per worker, enough
 * for a scheduler to balance uneven workers without drowning in task overhead. */
#define SBK_TASKS_PER_WORKER 4
int sbk_ncpu_workers(void);
int sbk_ncuda_workers(void);

/* Prints the scheduler, the workers and how many tasks each kind of worker ran
 * since sbk_init or the last sbk_print_workers / sbk_stats_reset, as
 * "key: value" lines; in simulation also each worker's tasks and idle share. Under MPI it is
 * collective: rank 0 prints the totals and a line per rank (with the bytes each sent when
 * STARPU_MPI_STATS=1). */
void sbk_print_workers(FILE *out);
void sbk_stats_reset(void);

/* Several processes (doc/mpi.md): under mpirun/srun (or with SBK_MPI=1;
 * SBK_MPI=0 opts out) sbk_init starts StarPU-MPI, every rank runs the same
 * calls and StarPU-MPI moves the tiles between them. Without MPI there is one
 * rank, 0. */
int sbk_rank(void);
int sbk_nranks(void);
/* The P×Q process grid of block-cyclic matrices (P >= Q, as square as the rank
 * count allows, or SBK_MPI_GRID=PxQ). */
void sbk_mpi_grid(int *P, int *Q);
/* Collective: 1 when every rank passes a non-zero ok, else 0 on every rank, so
 * that a failure on one rank (a bad file, an allocation) stops them all. */
int sbk_all_succeeded(int ok);
/* Collective: copies rank 0's bytes at buf to every rank's buf. */
int sbk_broadcast(void *buf, size_t bytes);
/* Ends the whole job (MPI_Abort across ranks) or the process, with status. */
void sbk_abort(int status);
/* Bytes this rank has sent to others through StarPU-MPI (STARPU_MPI_STATS=1,
 * else 0). */
void sbk_mpi_comm_bytes(size_t *sent);

/* Pinned host memory (faster GPU transfers); sbk_free releases it. */
void *sbk_alloc(size_t bytes);
void sbk_free(void *ptr, size_t bytes);

/* A column-major m×n matrix in the user's buffer (leading dimension ld ≥ m),
 * cut into mb×nb tiles, the last row and column of tiles possibly smaller.
 * The buffer stays the user's: sbk_matrix_destroy waits for the tasks that use
 * it and leaves the up-to-date values in it. */
typedef struct sbk_matrix sbk_matrix;

int sbk_matrix_create(sbk_matrix **out, sbk_precision prec, void *buf, int m, int n, int ld,
                      int mb, int nb);
/* Which rank owns each tile (all rank 0 without MPI). */
typedef enum {
    SBK_DIST_2D,   /* block-cyclic over the P×Q grid: tile (i, j) on (i % P) * Q + j % Q (GEMM) */
    SBK_DIST_ROWS, /* contiguous row blocks: tile row i on rank i * nranks / mt (SolveBak, ANN) */
    SBK_DIST_ROOT, /* every tile on rank 0 (inputs read and outputs written there) */
} sbk_distribution;

/* As sbk_matrix_create, with the tiles owned as dist says (sbk_matrix_create
 * is SBK_DIST_2D). Every rank calls it with the same sizes; on each, buf holds
 * the values of the tiles that rank owns (at their place in the m×n layout)
 * and receives them back on destroy. buf may be NULL: StarPU then allocates
 * the tiles, which must be written (e.g. by sbk_matrix_copy) before being read. */
int sbk_matrix_create_dist(sbk_matrix **out, sbk_precision prec, void *buf, int m, int n, int ld, int mb, int nb,
                           sbk_distribution dist);
void sbk_matrix_destroy(sbk_matrix *A);
/* dst = src tile by tile (same shape and tiling, any distributions): from an
 * SBK_DIST_ROOT matrix a scatter, into one a gather. Submits tasks. */
int sbk_matrix_copy(const sbk_matrix *src, sbk_matrix *dst);
/* The rank owning tile (i, j), or -1 when out of range. */
int sbk_matrix_tile_owner(const sbk_matrix *A, int i, int j);

int sbk_matrix_rows(const sbk_matrix *A);
int sbk_matrix_cols(const sbk_matrix *A);
int sbk_matrix_tile_rows(const sbk_matrix *A);  /* mb */
int sbk_matrix_tile_cols(const sbk_matrix *A);  /* nb */
int sbk_matrix_row_tiles(const sbk_matrix *A);  /* mt = ceil(m / mb) */
int sbk_matrix_col_tiles(const sbk_matrix *A);  /* nt = ceil(n / nb) */
sbk_precision sbk_matrix_precision(const sbk_matrix *A);
/* The StarPU handle of tile (i, j), or NULL when out of range. */
starpu_data_handle_t sbk_matrix_tile(const sbk_matrix *A, int i, int j);

/* Blocks until every task submitted so far has run. */
int sbk_wait(void);

/* C = alpha op(A) op(B) + beta C. Submits the tile tasks and returns; call
 * sbk_wait (or destroy the matrices) before reading C. The tilings must
 * conform: op(A) is m×k in mb×kb tiles, op(B) k×n in kb×nb, C m×n in mb×nb. */
int sbk_gemm(sbk_trans transA, sbk_trans transB, double alpha, const sbk_matrix *A,
             const sbk_matrix *B, double beta, sbk_matrix *C);

/* C = alpha A + beta B, element-wise (NumPy's alpha*A + beta*B); all three
 * with the same shape and tiling. C may not be A or B. */
int sbk_add(double alpha, const sbk_matrix *A, double beta, const sbk_matrix *B, sbk_matrix *C);
/* A = alpha A, element-wise. */
int sbk_scale(double alpha, sbk_matrix *A);

/* Monte-Carlo estimate of pi from `samples` points of the unit square, drawn by a
 * counter-based generator: the count for a given seed is the same whatever the
 * scheduler, the number of tasks, workers or ranks, or the device. Splits the
 * samples into `tasks` tasks (0 chooses; under MPI, per rank, each rank taking
 * its share of the samples). Waits for the result, which every rank gets. */
int sbk_mcpi(uint64_t samples, uint64_t seed, int tasks, uint64_t *inside);

/* SolveBak (arXiv 2104.12570): solves X a ~ y for a tall X (obs >> vars) by
 * coordinate descent on the residual e = y - X a. */
typedef enum {
    SBK_SOLVEBAK_PER_COLUMN,  /* one column at a time: da = <X_j, e> / <X_j, X_j> */
    SBK_SOLVEBAK_BATCHED,     /* B columns at once, Jacobi-style (HPSCDP) */
    SBK_SOLVEBAK_BLOCK_EXACT, /* B columns at once, solving the B×B system of the batch */
    SBK_SOLVEBAK_GRAM,        /* per-column sweeps on G = X^T X, b = X^T y formed once */
} sbk_solvebak_method;

typedef struct {
    sbk_solvebak_method method;
    int batch;             /* columns per batch (batched, block-exact: X's tile width must be a multiple;
                              per-column works this many columns per reduction, same iterates) */
    int max_iterations;    /* sweeps over all columns, at most 1e7 */
    double tolerance;      /* stop once ||e|| / ||y|| <= tolerance (0: run max_iterations) */
    int use_initial_guess; /* start from a's values instead of 0 */
    /* Called after each iteration with the relative residual; may be NULL. */
    void (*progress)(int iteration, double rel_residual, double seconds, void *user);
    void *user;
} sbk_solvebak_opts;

/* method batched, batch 100, 10 iterations, no tolerance, a = 0 at start. */
void sbk_solvebak_opts_default(sbk_solvebak_opts *opts);

typedef struct {
    int iterations;          /* iterations done */
    double *rel_residual;    /* ||e|| / ||y|| after each iteration [iterations] */
    double final_rel_residual; /* recomputed from y - X a at the end (exact for every method) */
    int nskipped;            /* zero columns: skipped, their coefficient left as it was (0 unless an initial guess) */
    int *skipped;            /* their indices [nskipped] */
    int nregularized;        /* block-exact batches whose X_J^T X_J was singular */
    double seconds_setup, seconds_iterations, seconds_total;
    char message[256];       /* why sbk_solvebak refused its input, or notes (regularized batches) */
} sbk_solvebak_report;

/* X is obs×vars in mb×nb tiles; y is obs×1 in mb-row tiles; a is vars×1 in
 * nb-row tiles, overwritten with the solution. Waits for the result. Returns
 * SBK_EINVAL for NaN/Inf in X or y (report->message names the row and
 * column), a bad option, or obs < vars for the Gram method. report may be NULL. */
int sbk_solvebak(const sbk_matrix *X, const sbk_matrix *y, sbk_matrix *a, const sbk_solvebak_opts *opts,
                 sbk_solvebak_report *report);
void sbk_solvebak_report_free(sbk_solvebak_report *report);

/* Neural network fitted by least squares:
 *   y ~ sum_k v_k tanh(x . w_k + b_k) + v_0
 * Inner layer: neuron k solves [X_k | 1] (w_k, b_k) ~ atanh(y_k) on rows drawn
 * at random, or on cluster k of a k-means partition of the standardised X
 * (local approximation: Bakas et al., arXiv 1909.13563); outer layer:
 * (H^T H + ridge I) v = H^T y with H = [tanh(X W^T + b) | 1]. */
typedef enum {
    SBK_ANN_PARTITION_RANDOM = 0, /* rows_per_neuron rows drawn at random per neuron (default) */
    SBK_ANN_PARTITION_KMEANS = 1, /* one k-means cluster per neuron (k = neurons) of X with its columns
                                     standardised; a cluster of fewer than vars + bias + 1 rows joins the
                                     nearest one and its neuron is dropped (listed) */
} sbk_ann_partition;

typedef struct {
    int neurons;           /* hidden neurons (default 1000) */
    int rows_per_neuron;   /* rows drawn per neuron (0: obs / neurons) */
    int bias;              /* 1: the formula's bias b_k and v_0 (default); 0: no bias, as a plain tanh(X W^T) v model */
    double ridge;          /* lambda of the outer solve (default 0: plain least squares) */
    uint64_t seed;         /* of the row draws: the same model whatever the scheduler */
    int neurons_per_task;  /* inner-layer batching (0: chooses) */
    /* Called as inner-layer tasks finish, with the neurons done so far; may be NULL. */
    void (*progress)(int done, int total, void *user);
    void *user;
    sbk_ann_partition partition; /* which rows each neuron fits (default random) */
    int kmeans_iterations;       /* k-means iterations at most with the kmeans partition (0: 30) */
} sbk_ann_opts;

void sbk_ann_opts_default(sbk_ann_opts *opts);

/* A fitted model: plain host arrays, owned by the model. */
typedef struct {
    sbk_precision prec;
    int vars, neurons, bias;
    double *W;        /* (vars + 1) × neurons column-major: neuron k's weights, then its bias (0 without) */
    double *v;        /* neurons + 1 outer weights, the last one v_0 (0 without bias) */
    double y_center, y_scale; /* predictions are y_center + y_scale * model output (1, 0 unless y was scaled) */
    sbk_ann_partition partition; /* how the inner layer's rows were chosen (recorded in the model file) */
} sbk_ann_model;

typedef struct {
    int dropped;          /* neurons whose draws stayed rank-deficient: weights 0, listed below */
    int *dropped_list;
    int redrawn;          /* neuron draws repeated because the first was rank-deficient */
    double ridge_used;    /* the ridge of the outer solve (the requested one, or more if H^T H was singular) */
    double seconds_inner, seconds_outer, seconds_total;
    char message[256];    /* why the input was refused, or notes (ridge raised) */
    /* The kmeans partition: rows per cluster once small ones are merged (min over the kept
     * clusters), the clusters merged into their nearest (their neurons are among the dropped),
     * and the time of the clustering (part of seconds_inner). */
    int cluster_rows_min, cluster_rows_median, cluster_rows_max;
    int merged;
    int *merged_list;
    double seconds_clustering;
} sbk_ann_report;

/* Fits the model on X (obs×vars, row tiles mb×vars or narrower) and y (obs×1,
 * same row tiles). y must lie in (-1, 1) unless scale_y is set, which maps
 * [min y, max y] into (-1, 1) and back on prediction. Waits for the result. */
int sbk_ann_fit(const sbk_matrix *X, const sbk_matrix *y, int scale_y, const sbk_ann_opts *opts,
                sbk_ann_model *model, sbk_ann_report *report);
/* yhat = model(X), yhat obs×1 in X's row tiles. Submits tasks and returns. */
int sbk_ann_predict(const sbk_ann_model *model, const sbk_matrix *X, sbk_matrix *yhat);
/* One documented, versioned binary file (doc/guide.md); load validates it. */
int sbk_ann_save(const sbk_ann_model *model, const char *path, char *err, size_t errlen);
int sbk_ann_load(sbk_ann_model *model, const char *path, char *err, size_t errlen);
void sbk_ann_model_free(sbk_ann_model *model);
void sbk_ann_report_free(sbk_ann_report *report);
/* Pearson correlation of two vectors (r, the fit's quality on a test set). */
double sbk_correlation(sbk_precision prec, const void *x, const void *y, size_t n);

/* k-means clustering by Lloyd's iterations, as scikit-learn's KMeans(algorithm="lloyd",
 * n_init=1): each iteration assigns every row of X to its nearest centroid (one GEMM per row
 * tile: ||x||^2 - 2 x.c + ||c||^2, then an argmin), then moves each centroid to the mean of its
 * rows. A centroid left without rows is re-seeded from the row farthest from its own centroid
 * (as scikit-learn does) and reported. The tiles' partial sums are added in tile order: on CPU
 * workers the result has the same bits whatever the scheduler or the number of workers. */
typedef enum {
    SBK_KMEANS_PLUSPLUS, /* k-means++ (greedy, 2 + log k candidates per centroid, as scikit-learn) */
    SBK_KMEANS_RANDOM,   /* k distinct rows of X drawn at random */
    SBK_KMEANS_GIVEN,    /* the centroids passed in */
} sbk_kmeans_init;

typedef struct {
    int k;              /* clusters, 1 <= k <= obs (default 8) */
    int max_iterations; /* 0 to 1e7 (default 300); 0 only assigns the rows to the initial centroids */
    double tolerance;   /* stop once sum_j ||c_j - c_j'||^2 over an iteration <= tolerance × the mean of
                           X's column variances (scikit-learn's tol, default 1e-4); also stops when no
                           label changes */
    sbk_kmeans_init init;
    uint64_t seed;      /* of k-means++ and random initial centroids */
    /* Called after each iteration with the inertia (sum of squared distances to the centroids
     * the rows were assigned to), the centroid shift and how many labels changed; may be NULL. */
    void (*progress)(int iteration, double inertia, double shift, long changed, double seconds, void *user);
    void *user;
} sbk_kmeans_opts;

/* k 8, 300 iterations, tolerance 1e-4, k-means++, seed 1. */
void sbk_kmeans_opts_default(sbk_kmeans_opts *opts);

typedef struct {
    int iterations;           /* iterations done */
    double *inertia;          /* before each iteration's update [iterations] */
    double final_inertia;     /* of the returned centroids and labels */
    int converged;            /* 1 when the labels stopped changing or the shift fell below the tolerance */
    int nreseeded;            /* empty clusters re-seeded, with the iteration of each */
    int *reseeded_cluster, *reseeded_iteration;
    double seconds_init, seconds_iterations, seconds_total;
    char message[256];        /* why sbk_kmeans refused its input */
} sbk_kmeans_report;

/* X is obs×vars in row tiles holding whole rows (mb×vars); centroids is a
 * k×vars column-major host array (leading dimension k) in X's precision, read
 * with SBK_KMEANS_GIVEN and overwritten with the result; labels (obs ints, may
 * be NULL) receives each row's cluster. Under StarPU-MPI every rank calls it
 * (collective) with X distributed in row tiles as it likes (SBK_DIST_ROWS) and
 * the same given centroids; each rank gets the result and all the labels, the
 * same bits as one process for the same row tiles. Waits for the result. SBK_EINVAL for k < 1, k > obs, a
 * NaN/Inf in X or in the given centroids (report->message says where), or a
 * bad option. report may be NULL. */
int sbk_kmeans(const sbk_matrix *X, const sbk_kmeans_opts *opts, void *centroids, int *labels,
               sbk_kmeans_report *report);
void sbk_kmeans_report_free(sbk_kmeans_report *report);

/* Checks on host buffers, for tests and drivers (one BLAS call, not tasks). */

/* Scaled residual of a GEMM result C against one cblas call from C0:
 * ||C - Cref||_F / ((|alpha| ||A||_F ||B||_F + |beta| ||C0||_F) k eps).
 * Below 10 means C is as accurate as the BLAS reference. */
double sbk_gemm_residual(sbk_precision prec, sbk_trans transA, sbk_trans transB, int m, int n, int k,
                         double alpha, const void *A, int lda, const void *B, int ldb, double beta,
                         const void *C0, const void *C, int ldc);

/* Frobenius norm of an m×n column-major matrix, accumulated in double. */
double sbk_norm_fro(sbk_precision prec, int m, int n, const void *A, int lda);

/* Data files: NumPy .npy and numeric CSV. Pure host code: no sbk_init needed.
 * Every function returns 0 or a negative SBK_E* code; on failure it writes a
 * message naming the file and the problem into err (errlen bytes, may be
 * NULL/0), e.g. "y.npy: truncated: header says 1000 elements, file holds 997". */

/* A dense 1-D or 2-D array read from a file: rows × cols elements of prec,
 * column-major (ready for sbk_matrix_create with ld = rows), in malloc'd
 * memory that sbk_array_free releases. A 1-D array of n elements is n × 1.
 * ndim is 1 or 2 as stored in a .npy file, always 2 for CSV. */
typedef struct {
    sbk_precision prec;
    int64_t rows, cols;
    int ndim;
    void *data;
} sbk_array;

/* Reads path by its extension: .npy, or .csv / .txt (header auto-detected).
 * The values are converted to prec; on failure *out is left empty (zeroed). */
int sbk_array_load(const char *path, sbk_precision prec, sbk_array *out, char *err, size_t errlen);

/* .npy versions 1.0, 2.0 and 3.0 holding a 1-D or 2-D little-endian float32
 * ('<f4') or float64 ('<f8') array, in C or Fortran order. Refuses anything
 * else (other dtypes, 0-D or 3-D+ shapes, truncated or trailing data). */
int sbk_npy_load(const char *path, sbk_precision prec, sbk_array *out, char *err, size_t errlen);

/* Numbers separated by commas (blanks around them allowed), one row per line,
 * every row with the same number of fields; blank lines are skipped, CRLF and
 * a UTF-8 byte-order mark are accepted. skip_header: 1 = the first line is a
 * header, 0 = there is none, -1 = a header when none of the first line's
 * fields is a number (a line mixing names and numbers is read as data, so a
 * typo in the first row is reported rather than taken for a header).
 * NaN and Inf are read as such (see sbk_array_find_nonfinite). */
int sbk_csv_load(const char *path, sbk_precision prec, int skip_header, sbk_array *out, char *err,
                 size_t errlen);

/* Writes a rows × cols column-major array (ndim 2), or a vector of rows
 * elements (ndim 1, cols = 1), as a version 1.0 .npy file ('<f4' or '<f8',
 * fortran_order True). The file is written under a temporary name in the same
 * directory and renamed over path once complete and synced: path holds either
 * its old content or the whole new array, never part of it. */
int sbk_npy_save(const char *path, sbk_precision prec, const void *data, int64_t rows, int64_t cols, int ndim,
                 char *err, size_t errlen);

/* Writes a rows × cols column-major array as CSV (one row per line, shortest
 * text that reads back the same value), atomically as sbk_npy_save does. */
int sbk_csv_save(const char *path, sbk_precision prec, const void *data, int64_t rows, int64_t cols, char *err,
                 size_t errlen);

/* Writes len bytes to path atomically (temporary file in the same directory,
 * synced, renamed over path): for reports and plots as well as arrays. */
int sbk_file_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* Removes the temporary file of an output being written, if any. Async-signal-safe:
 * for a SIGINT/SIGTERM handler, so an interrupted run leaves neither a half file
 * nor a stray temporary beside the user's files. */
void sbk_discard_pending_output(void);

/* Bytes of memory available now without swapping (MemAvailable of
 * /proc/meminfo), or -1 where the system does not say. The .npy reader refuses
 * a file whose data would not fit, before allocating. */
double sbk_memory_available(void);

/* Releases the data and empties the array (harmless on an empty one or NULL). */
void sbk_array_free(sbk_array *a);

/* 1 when the array holds a NaN or an infinity, with the 0-based row and column
 * of the first one (column by column) in *row, *col (either may be NULL);
 * 0 otherwise. */
int sbk_array_find_nonfinite(const sbk_array *a, int64_t *row, int64_t *col);

#ifdef __cplusplus
}
#endif
#endif
