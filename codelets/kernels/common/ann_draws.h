/* Per-element math of the ANN inner layer, shared by the CPU function, the
 * CUDA kernels (ann_inner_cuda.cu) and the tests, so that both devices draw the
 * same rows and judge a solved draw alike. */
#ifndef STARBAK_KERNELS_ANN_DRAWS_H
#define STARBAK_KERNELS_ANN_DRAWS_H

#include <math.h>
#include <stddef.h>
#include "mcpi_sample.h"

/* The row of X (of obs) that row i of neuron k's draw number `attempt` takes:
 * counter-based, keyed by (seed, neuron, attempt), uniform over the rows. */
SBK_HOST_DEVICE static inline uint64_t sbk_ann_drawn_row(uint64_t seed, int k, int attempt, int i, uint64_t obs)
{
    uint64_t stream = sbk_splitmix64(seed, ((uint64_t)k << 8) | (uint64_t)attempt);
    return sbk_splitmix64(stream, (uint64_t)i) % obs;
}

/* Element (r, c) of a column-major tile in X's precision, as a double. */
SBK_HOST_DEVICE static inline double sbk_ann_element(const void *tile, size_t ld, int dbl, int r, int c)
{
    size_t k = (size_t)r + (size_t)c * ld;
    return dbl ? ((const double *)tile)[k] : (double)((const float *)tile)[k];
}

/* The least-squares target of an observation: the tanh layer inverted. */
SBK_HOST_DEVICE static inline double sbk_ann_target(double y)
{
    return atanh(y);
}

/* One row tile of X (mb × vars, leading dimension ldx) and the same rows of y,
 * where the task's worker holds them. */
struct sbk_ann_tile {
    const void *x, *y;
    size_t ldx;
};

/* What every draw of a task reads: tiles[r / mb] holds row r of the obs rows.
 * With a partition (members, NULL otherwise), neuron k's rows are
 * members[first[k] .. first[k + 1]); the GPU's batched solve pads each to
 * `rows` rows with zeros (which leave the least-squares solution as it is),
 * so that a block's neurons of unequal clusters share one shape, while a CPU
 * core solves each on its own rows: a neuron's bits then do not depend on the
 * block it falls in, which the worker count decides. */
struct sbk_ann_draws {
    const struct sbk_ann_tile *tiles;
    uint64_t seed, obs;
    int mb, vars, bias, rows, dbl;
    const int64_t *members, *first;
};

/* Neuron k's rows before any padding: its cluster's, or every draw's. */
SBK_HOST_DEVICE static inline int sbk_ann_own_rows(const struct sbk_ann_draws *d, int k)
{
    return d->members ? (int)(d->first[k + 1] - d->first[k]) : d->rows;
}

/* Row i of neuron k's draw `attempt` into A (column-major, leading dimension
 * ld, vars + bias columns, the bias column all ones) and its target into t[i]. */
SBK_HOST_DEVICE static inline void sbk_ann_gather_row(const struct sbk_ann_draws *d, int k, int attempt, int i,
                                                      double *A, size_t ld, double *t)
{
    if (i >= sbk_ann_own_rows(d, k)) { /* padding */
        for (int c = 0; c < d->vars + d->bias; c++)
            A[i + (size_t)c * ld] = 0.0;
        t[i] = 0.0;
        return;
    }
    uint64_t r = d->members ? (uint64_t)d->members[d->first[k] + i] : sbk_ann_drawn_row(d->seed, k, attempt, i, d->obs);
    const struct sbk_ann_tile *tile = &d->tiles[r / (uint64_t)d->mb];
    int local = (int)(r % (uint64_t)d->mb);
    for (int c = 0; c < d->vars; c++)
        A[i + (size_t)c * ld] = sbk_ann_element(tile->x, tile->ldx, d->dbl, local, c);
    if (d->bias)
        A[i + (size_t)d->vars * ld] = 1.0;
    t[i] = sbk_ann_target(sbk_ann_element(tile->y, 0, d->dbl, local, 0));
}

/* Draws per neuron before it is dropped: a cluster's rows are the same each time. */
SBK_HOST_DEVICE static inline int sbk_ann_attempts(const struct sbk_ann_draws *d, int random_attempts)
{
    return d->members ? 1 : random_attempts;
}

/* 1 when a solved draw can be trusted: its n×n triangular factor R (the upper
 * triangle of the factored rows×n matrix, leading dimension ld) is not nearly
 * singular, whose weights would be huge and meaningless, and the solution w
 * (n values) is finite. gels itself only fails on an exactly zero pivot. */
SBK_HOST_DEVICE static inline int sbk_ann_draw_accepted(const double *R, size_t ld, const double *w, int n)
{
    double rmax = fabs(R[0]), rmin = rmax;
    for (int c = 1; c < n; c++) {
        double d = fabs(R[c + c * ld]);
        rmax = fmax(rmax, d), rmin = fmin(rmin, d);
    }
    if (!(rmin > 1e-10 * rmax))
        return 0;
    for (int c = 0; c < n; c++)
        if (!isfinite(w[c]))
            return 0;
    return 1;
}

/* Column j of a W block ((vars + 1) × count in X's precision, leading
 * dimension ldw): the n = vars + bias solved values of w when the neuron's
 * draw was kept, else zeros (never NaN). Without a bias, row vars stays 0. */
SBK_HOST_DEVICE static inline void sbk_ann_write_column(void *W, size_t ldw, int dbl, int j, int vars, int n, int kept,
                                                        const double *w)
{
    for (int c = 0; c < vars + 1; c++) {
        double v = kept && c < n ? w[c] : 0.0;
        size_t k = c + (size_t)j * ldw;
        if (dbl)
            ((double *)W)[k] = v;
        else
            ((float *)W)[k] = (float)v;
    }
}

/* A neuron's outcome, in the inner layer's int vector beside W: the draws it
 * used (1 .. attempts), or SBK_ANN_DROPPED when none was kept. */
enum { SBK_ANN_DROPPED = 0 };

/* The CUDA path's batch (ann_inner_cuda.cu), all in device memory: slot j of
 * a batch solves neuron first + list[j] in A + j·rows·n and t + j·rows. */
struct sbk_ann_batch {
    struct sbk_ann_draws draws;
    int first, n;
    const int *list;
    double *A, *t, **A_ptrs, **t_ptrs; /* the pointer arrays cublasDgelsBatched takes */
    int *info, *accepted;              /* gels's per-problem info; 1 for a draw kept */
    void *W;
    size_t ldw;
    int *draws_used; /* the block's outcomes (SBK_ANN_DROPPED or the draws used) */
};

#endif
