/* The enums that the CPU kernels take or return and the codelets' interface
 * (codelets.h) exposes, here without StarPU so that the kernels and their
 * tests need none. */
#ifndef STARBAK_KERNELS_TASK_OUTCOMES_H
#define STARBAK_KERNELS_TASK_OUTCOMES_H

/* How a SolveBak batch J turns d_J = X_J^T e into its step da_J, with G_J = X_J^T X_J: */
enum sbk_batch_solve {
    SBK_BATCH_JACOBI,       /* da = d ./ diag(G_J): batched (HPSCDP) */
    SBK_BATCH_GAUSS_SEIDEL, /* (D + L) da = d: per-column's own iterates, one batch at a time */
    SBK_BATCH_CHOLESKY,     /* G_J da = d: block-exact */
};

/* What a task that can fail found: an int variable handle of its own, which
 * the task's perf-model footprint leaves out (sbk_footprint_of_first), read
 * by the host once the task ran. Never a value coded into floating-point data. */
enum sbk_task_status {
    SBK_TASK_OK,          /* done as asked */
    SBK_TASK_REGULARIZED, /* factored with a ridge: dependent columns */
    SBK_TASK_NONFINITE,   /* a non-finite diagonal: X holds NaN/Inf or overflows */
    SBK_TASK_SINGULAR,    /* no ridge made the matrix factorable */
};

#endif
