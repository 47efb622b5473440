/* Tiled matrix descriptor over a user's column-major buffer: one StarPU matrix
 * handle per tile, registered in place (no copy). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include "runtime/runtime.h"

/* Bytes from the first element to the last one, as pinning needs them. */
static size_t span_bytes(const sbk_matrix *A)
{
    return ((size_t)A->ld * (A->n - 1) + A->m) * A->prec;
}

int sbk_matrix_create(sbk_matrix **out, sbk_precision prec, void *buf, int m, int n, int ld, int mb,
                      int nb)
{
    if (!buf) {
        if (out)
            *out = NULL;
        return SBK_EINVAL;
    }
    return sbk_matrix_create_dist(out, prec, buf, m, n, ld, mb, nb, SBK_DIST_2D);
}

int sbk_matrix_tile_owner(const sbk_matrix *A, int i, int j)
{
    if (!A || i < 0 || j < 0 || i >= A->mt || j >= A->nt)
        return -1;
    int P, Q;
    sbk_mpi_grid(&P, &Q);
    switch (A->dist) {
    case SBK_DIST_ROWS: return (int)((long)i * sbk_nranks() / A->mt);
    case SBK_DIST_ROOT: return 0;
    default: return (i % P) * Q + j % Q;
    }
}

int sbk_matrix_create_dist(sbk_matrix **out, sbk_precision prec, void *buf, int m, int n, int ld, int mb, int nb,
                           sbk_distribution dist)
{
    if (!out)
        return SBK_EINVAL;
    *out = NULL;
    if (!sbk_is_initialized())
        return SBK_ENOINIT;
    if ((prec != SBK_FLOAT && prec != SBK_DOUBLE) || m <= 0 || n <= 0 || ld < m || mb <= 0 || nb <= 0 ||
        (dist != SBK_DIST_2D && dist != SBK_DIST_ROWS && dist != SBK_DIST_ROOT))
        return SBK_EINVAL;
    sbk_matrix *A = calloc(1, sizeof *A);
    if (!A)
        return SBK_ENOMEM;
    *A = (sbk_matrix){.prec = prec, .buf = buf, .m = m, .n = n, .ld = ld, .mb = mb, .nb = nb,
                      .mt = (m + mb - 1) / mb, .nt = (n + nb - 1) / nb, .dist = dist};
    A->tiles = malloc((size_t)A->mt * A->nt * sizeof *A->tiles);
    if (!A->tiles) {
        free(A);
        return SBK_ENOMEM;
    }
    /* GPU transfers from pageable memory are slow and go through a bounce buffer. */
    A->pinned = buf && starpu_cuda_worker_get_count() > 0 && starpu_memory_pin(buf, span_bytes(A)) == 0;
    for (int j = 0; j < A->nt; j++)
        for (int i = 0; i < A->mt; i++) {
            /* Other ranks' tiles have no home here: StarPU-MPI receives them
             * into memory of its own when a task needs them. */
            int owner = sbk_matrix_tile_owner(A, i, j), home = buf && owner == sbk_rank() ? STARPU_MAIN_RAM : -1;
            char *tile = home == -1 ? NULL : (char *)buf + ((size_t)i * mb + (size_t)j * nb * ld) * prec;
            starpu_data_handle_t *h = &A->tiles[i + (size_t)j * A->mt];
            starpu_matrix_data_register(h, home, (uintptr_t)tile, home == -1 ? (unsigned)sbk_tile_rows(A, i) : (unsigned)ld,
                                        sbk_tile_rows(A, i), sbk_tile_cols(A, j), prec);
            sbk_data_distribute(*h, owner);
        }
    *out = A;
    return SBK_SUCCESS;
}

/* Each owned tile's column means and squared deviations from them (two
 * passes) into stats (2 doubles per tile row and column); 0 elsewhere. */
static void owned_tile_moments(const sbk_matrix *A, double *stats)
{
    for (int j = 0; j < A->nt; j++)
        for (int i = 0; i < A->mt; i++) {
            starpu_data_handle_t h = sbk_tile(A, i, j);
            if (!sbk_data_owned(h))
                continue;
            starpu_data_acquire(h, STARPU_R);
            const void *t = (const void *)starpu_matrix_get_local_ptr(h);
            size_t ld = starpu_matrix_get_local_ld(h);
            int rows = sbk_tile_rows(A, i);
            for (int c = 0; c < sbk_tile_cols(A, j); c++) {
                double s = 0.0, q = 0.0;
                for (int r = 0; r < rows; r++)
                    s += sbk_elem_get(A->prec, t, r + c * ld);
                double mean = s / rows;
                for (int r = 0; r < rows; r++)
                    q += (sbk_elem_get(A->prec, t, r + c * ld) - mean) * (sbk_elem_get(A->prec, t, r + c * ld) - mean);
                double *at = stats + 2 * ((size_t)i * A->n + (size_t)j * A->nb + c);
                at[0] = mean, at[1] = q;
            }
            starpu_data_release(h);
        }
}

/* The tiles' moments, each formed on its owner, reach every rank by one sum
 * (one rank holds each tile's, the others add zeros) and are combined in tile
 * order (Chan et al.), so the bits do not depend on the rank count. */
int sbk_matrix_column_moments(const sbk_matrix *A, double *mean, double *var)
{
    size_t count = 2 * (size_t)A->mt * A->n;
    double *stats = calloc(count, sizeof *stats);
    if (!stats)
        return SBK_ENOMEM;
    owned_tile_moments(A, stats);
    int ret = sbk_mpi_sum_doubles(stats, count);
    for (int c = 0; c < A->n && ret == SBK_SUCCESS; c++) {
        double mu = 0.0, m2 = 0.0;
        long seen = 0;
        for (int i = 0; i < A->mt; i++) {
            const double *at = stats + 2 * ((size_t)i * A->n + c);
            double rows = sbk_tile_rows(A, i), delta = at[0] - mu, n = (double)seen + rows;
            mu += delta * rows / n, m2 += at[1] + delta * delta * seen * rows / n;
            seen += (long)rows;
        }
        mean[c] = mu, var[c] = m2 / seen;
    }
    free(stats);
    return ret;
}

int sbk_matrix_copy(const sbk_matrix *src, sbk_matrix *dst)
{
    const sbk_matrix *mats[] = {src, dst};
    int ret = sbk_check_matrices(2, mats);
    if (ret != SBK_SUCCESS)
        return ret;
    if (src->prec != dst->prec)
        return SBK_EPREC;
    if (src->m != dst->m || src->n != dst->n || src->mb != dst->mb || src->nb != dst->nb)
        return SBK_ESHAPE;
    for (int j = 0; j < src->nt && ret == SBK_SUCCESS; j++)
        for (int i = 0; i < src->mt && ret == SBK_SUCCESS; i++)
            ret = sbk_insert_copy(sbk_tile(src, i, j), sbk_tile(dst, i, j));
    return ret;
}

void sbk_matrix_destroy(sbk_matrix *A)
{
    if (!A)
        return;
    /* Unregistering waits for the tile's tasks and brings its value home. */
    for (size_t t = 0; t < (size_t)A->mt * A->nt; t++)
        starpu_data_unregister(A->tiles[t]);
    if (A->pinned)
        starpu_memory_unpin(A->buf, span_bytes(A));
    free(A->tiles);
    free(A);
}

int sbk_matrix_rows(const sbk_matrix *A) { return A ? A->m : 0; }
int sbk_matrix_cols(const sbk_matrix *A) { return A ? A->n : 0; }
int sbk_matrix_tile_rows(const sbk_matrix *A) { return A ? A->mb : 0; }
int sbk_matrix_tile_cols(const sbk_matrix *A) { return A ? A->nb : 0; }
int sbk_matrix_row_tiles(const sbk_matrix *A) { return A ? A->mt : 0; }
int sbk_matrix_col_tiles(const sbk_matrix *A) { return A ? A->nt : 0; }
sbk_precision sbk_matrix_precision(const sbk_matrix *A) { return A ? A->prec : 0; }

starpu_data_handle_t sbk_matrix_tile(const sbk_matrix *A, int i, int j)
{
    if (!A || i < 0 || j < 0 || i >= A->mt || j >= A->nt)
        return NULL;
    return sbk_tile(A, i, j);
}

/* Finds the first NaN/Inf of a tiled matrix (tile by tile, column by column
 * inside a tile), reading tiles through StarPU: each rank its own, then the
 * first over all ranks (for error paths and input checks; collective). */
int sbk_matrix_find_nonfinite(const sbk_matrix *A, long *row, long *col)
{
    long first = LONG_MAX; /* ((j mt + i) nb + c) mb + r of the first one */
    for (int j = 0; j < A->nt && first == LONG_MAX; j++)
        for (int i = 0; i < A->mt && first == LONG_MAX; i++) {
            starpu_data_handle_t h = sbk_tile(A, i, j);
            if (!sbk_data_owned(h))
                continue;
            starpu_data_acquire(h, STARPU_R);
            const char *t = (const char *)starpu_matrix_get_local_ptr(h);
            int rows = sbk_tile_rows(A, i), cols = sbk_tile_cols(A, j);
            size_t ld = starpu_matrix_get_local_ld(h);
            /* Simulated data is never generated: its bytes (folded copies among
             * them, see sbk_init) mean nothing. */
            for (int c = 0; c < cols && first == LONG_MAX && !sbk_simulated(); c++)
                for (int r = 0; r < rows && first == LONG_MAX; r++) {
                    size_t k = r + c * ld;
                    double v = sbk_elem_get(A->prec, t, k);
                    if (!isfinite(v))
                        first = (((long)j * A->mt + i) * A->nb + c) * A->mb + r;
                }
            starpu_data_release(h);
        }
    first = sbk_mpi_min_long(first);
    if (first == LONG_MAX)
        return 0;
    long r = first % A->mb, c = first / A->mb % A->nb, tile = first / A->mb / A->nb;
    *row = tile % A->mt * A->mb + r, *col = tile / A->mt * A->nb + c;
    return 1;
}
