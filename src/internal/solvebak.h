/* SolveBak's phases (src/solvebak/): the entry point and its checks
 * (solvebak.c) call the per-column, batched and block-exact methods
 * (batches.c) or the Gram method (gram.c), which share solver.c's helpers. */
#ifndef STARBAK_INTERNAL_SOLVEBAK_H
#define STARBAK_INTERNAL_SOLVEBAK_H

#include "codelets/codelets.h"

/* One solve, as every method sees it. */
struct solver {
    const sbk_matrix *X, *y;
    sbk_matrix *a;          /* the caller's a, or its copy on rank 0 under MPI */
    sbk_solvebak_opts o;
    sbk_solvebak_report *r; /* may be NULL */
    int obs, vars;
    sbk_matrix *e;          /* the residual y - X a, in X's row blocks (sbk_solver_create_e) */
};

/* The per-column, batched or block-exact solve, B columns per batch (per-column: per reduction). */
int sbk_solvebak_batches(struct solver *s, int B, double t0);
/* The Gram method. */
int sbk_solvebak_gram(struct solver *s, double t0);

/* Writes the report's message (when there is a report). */
void sbk_solver_say(struct solver *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Registers e, in X's row blocks on X's ranks; StarPU allocates it (the first task writes it whole). */
int sbk_solver_create_e(struct solver *s);
/* A double a task wrote into a registered variable, read on every rank (they all decide alike from it). */
double sbk_solver_fetch(starpu_data_handle_t h);
/* Rejects NaN/Inf in X or y, naming where, once the set-up sums show one (x_bad, a non-finite ||y||^2). */
int sbk_solver_reject_nonfinite(struct solver *s, int x_bad, double yy);
/* Adds a zero column to the report's list of skipped ones. */
void sbk_solver_add_skipped(struct solver *s, int column);
/* After the set-up's checks: a = 0 unless an initial guess is given (refused input leaves the caller's a
 * as it was), and the set-up's time into the report; *t1 is the iterations' start. */
int sbk_solver_start(struct solver *s, double t0, double *t1);
/* Iteration t's relative residual from ee = ||e||^2 and yy = ||y||^2; calls the progress callback;
 * 1 to stop (converged, or cancelled: then the next submission says so). */
int sbk_solver_record(struct solver *s, int t, double ee, double yy, double t0);
/* Submits e = y - X a. */
int sbk_solver_residual(struct solver *s);

#endif
