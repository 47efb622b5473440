/* Tiled matrix descriptor over a user's column-major buffer: one StarPU matrix
 * handle per tile, registered in place (no copy). */
#include <math.h>
#include <stdlib.h>
#include "internal.h"

/* Bytes from the first element to the last one, as pinning needs them. */
static size_t span_bytes(const sbk_matrix *A)
{
    return ((size_t)A->ld * (A->n - 1) + A->m) * A->prec;
}

int sbk_matrix_create(sbk_matrix **out, sbk_precision prec, void *buf, int m, int n, int ld, int mb,
                      int nb)
{
    if (!out)
        return SBK_EINVAL;
    *out = NULL;
    if (!sbk_is_initialized())
        return SBK_ENOINIT;
    if ((prec != SBK_FLOAT && prec != SBK_DOUBLE) || !buf || m <= 0 || n <= 0 || ld < m || mb <= 0 || nb <= 0)
        return SBK_EINVAL;
    sbk_matrix *A = calloc(1, sizeof *A);
    if (!A)
        return SBK_ENOMEM;
    *A = (sbk_matrix){.prec = prec, .buf = buf, .m = m, .n = n, .ld = ld, .mb = mb, .nb = nb,
                      .mt = (m + mb - 1) / mb, .nt = (n + nb - 1) / nb};
    A->tiles = malloc((size_t)A->mt * A->nt * sizeof *A->tiles);
    if (!A->tiles) {
        free(A);
        return SBK_ENOMEM;
    }
    /* GPU transfers from pageable memory are slow and go through a bounce buffer. */
    A->pinned = starpu_cuda_worker_get_count() > 0 && starpu_memory_pin(buf, span_bytes(A)) == 0;
    for (int j = 0; j < A->nt; j++)
        for (int i = 0; i < A->mt; i++) {
            char *tile = (char *)buf + ((size_t)i * mb + (size_t)j * nb * ld) * prec;
            starpu_matrix_data_register(&A->tiles[i + (size_t)j * A->mt], STARPU_MAIN_RAM, (uintptr_t)tile, ld,
                                        sbk_tile_rows(A, i), sbk_tile_cols(A, j), prec);
        }
    *out = A;
    return SBK_SUCCESS;
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

/* Finds the first NaN/Inf of a tiled matrix, reading tiles through StarPU
 * (for error paths and input checks). Returns 1 and its position when there is one. */
int sbk_matrix_find_nonfinite(const sbk_matrix *A, long *row, long *col)
{
    for (int j = 0; j < A->nt; j++)
        for (int i = 0; i < A->mt; i++) {
            starpu_data_handle_t h = sbk_tile(A, i, j);
            starpu_data_acquire(h, STARPU_R);
            const char *t = (const char *)starpu_matrix_get_local_ptr(h);
            int rows = sbk_tile_rows(A, i), cols = sbk_tile_cols(A, j), found = 0;
            size_t ld = starpu_matrix_get_local_ld(h);
            for (int c = 0; c < cols && !found; c++)
                for (int r = 0; r < rows && !found; r++) {
                    size_t k = r + c * ld;
                    double v = A->prec == SBK_DOUBLE ? ((const double *)t)[k] : ((const float *)t)[k];
                    if (!isfinite(v))
                        *row = (long)i * A->mb + r, *col = (long)j * A->nb + c, found = 1;
                }
            starpu_data_release(h);
            if (found)
                return 1;
        }
    return 0;
}
