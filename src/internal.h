/* Internal to libstarbak: the matrix descriptor and argument checks. */
#ifndef STARBAK_INTERNAL_H
#define STARBAK_INTERNAL_H

#include <starbak/codelets.h>

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

/* SBK_ENOINIT before sbk_init, SBK_EINVAL on a NULL matrix, 0 otherwise. */
int sbk_check_matrices(int count, const sbk_matrix *const *mats);

#endif
