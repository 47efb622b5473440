/* Shared by the example drivers and benchmarks: argument parsing with errors
 * that name the option, timing, data generation, start-up. */
#ifndef STARBAK_DRIVER_H
#define STARBAK_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <starbak/starbak.h>

/* The largest size an option takes: StarPU's handles and starbak's matrices count rows, columns and
 * tiles in int. */
#define DRV_MAX_SIZE 0x7fffffffL

/* Each parser prints "starbak: <prog>: --<opt>: ..." and returns -1 on bad input. */
int drv_parse_long(const char *prog, const char *opt, const char *text, long min, long max, long *out);
int drv_parse_u64(const char *prog, const char *opt, const char *text, uint64_t min, uint64_t *out);
int drv_parse_double(const char *prog, const char *opt, const char *text, double *out);
int drv_parse_precision(const char *prog, const char *text, sbk_precision *out);
int drv_parse_trans(const char *prog, const char *opt, const char *text, sbk_trans *out);

/* After the getopt loop: 1 (print why) when an argument is left over or an
 * option was bad, so that main returns 2; 0 otherwise. */
int drv_args_rejected(const char *prog, int argc, char **argv, int bad);

/* Loads X (obs×vars) and, when ypath is given, y (obs values) from .npy or
 * CSV files in the given precision, refusing NaN/Inf (named by row and column)
 * and a y of the wrong length; prints why and returns -1 on failure. The
 * arrays are malloc'd (free them). */
int drv_load_xy(const char *prog, const char *xpath, const char *ypath, sbk_precision prec, void **X, long *obs,
                long *vars, void **y);

/* Writes n values to path, .csv/.txt as CSV, anything else as .npy (atomically). */
int drv_save_vector(const char *prog, const char *path, sbk_precision prec, const void *v, long n);

/* Rows per tile giving about SBK_TASKS_PER_WORKER row blocks per StarPU worker (of all ranks). */
long drv_default_tile_rows(long obs);

/* Seconds on a monotonic clock (SimGrid's simulated one in simulation, once started). */
double drv_now(void);

/* 0 when bytes fit in the memory the machine has available now; otherwise
 * says how much `what` asks and how much there is, and returns 1 (checked
 * before allocating: Linux would promise the memory and kill the run later).
 * Always 0 in simulation, where nothing is allocated for real. */
int drv_memory_refused(const char *prog, const char *what, double bytes);

/* A zeroed buffer of bytes for a generated input, freed by drv_free_input. In
 * simulation no task reads it: it is address space only (pages never written
 * take no memory), so that a simulated cluster's input, all on rank 0 before
 * the scatter, need not fit in this machine. */
void *drv_alloc_input(size_t bytes);
void drv_free_input(void *buf, size_t bytes);

/* Uniform values in [-0.5, 0.5) from a fixed seed, in the given precision.
 * In simulation it does nothing: no task reads the values (allocate with
 * calloc or drv_alloc_input, so that host-side input checks see zeros). */
void drv_fill_uniform(sbk_precision prec, void *buf, size_t count, uint64_t seed);

/* --trace DIR (call while parsing options): FxT traces this run into DIR.
 * Returns 0, or -1 with a message when DIR cannot be made. */
int drv_trace_option(const char *prog, const char *dir);
/* After sbk_shutdown: turns the FxT file into StarPU's outputs (paje.trace,
 * tasks.rec, dag.dot, ...) and DIR/report.html. 0, or 1 with a message. No-op
 * without --trace. */
int drv_trace_finish(const char *prog);
/* The usage line of --trace, shared by the drivers. */
#define DRV_TRACE_USAGE "      --trace=DIR          FxT trace of this run and DIR/report.html (doc/traces.md)\n"

/* sbk_init with a message naming the cause on failure (and, with --trace, the
 * worker list beside the trace; in simulation a "simulation:" line saying what
 * the run skips); returns 0 or -1. */
int drv_start(const char *prog);

/* Prints "starbak: <prog>: <what>: <sbk_strerror(code)>" and returns 1 (exit
 * status); under MPI with several ranks, ends them all (MPI_Abort). */
int drv_fail(const char *prog, const char *what, int code);

/* Under MPI rank 0 reads the files (or generates the data) and scatters it;
 * outputs are gathered back to rank 0, which writes them. */
/* After rank 0's loading (ok: it worked on this rank): 0 on every rank when
 * all succeeded, with rank 0's count values broadcast into values; otherwise
 * -1 on every rank, the ones that did not fail saying why they stop. */
int drv_share(const char *prog, int ok, long *values, int count);
/* The m×n matrix (ld = m) that rank 0 holds in buf, in mb×nb tiles owned as
 * dist says: in one process over buf itself (*root = NULL), else scattered
 * from a root descriptor over rank 0's buf (kept in *root for drv_collect);
 * in a simulated cluster started with --local-inputs, every rank's own tiles
 * are already there (*root = NULL: nothing scattered or gathered). */
int drv_distribute(sbk_matrix **out, sbk_matrix **root, sbk_precision prec, void *buf, long m, long n, long mb,
                   long nb, sbk_distribution dist);
/* Brings A's values into rank 0's buffer and destroys A and root. */
int drv_collect(sbk_matrix *A, sbk_matrix *root);

#endif
