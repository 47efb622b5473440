/* Tiled GEMM: one task per (i, j, l) tile triple; StarPU picks the worker. */
#include "codelets/codelets.h"

/* Rows and columns of op(X), and the tile sizes along them. */
struct op_shape {
    int rows, cols, row_tile, col_tile;
};

static struct op_shape op_shape(sbk_trans trans, const sbk_matrix *X)
{
    if (trans == SBK_TRANS)
        return (struct op_shape){X->n, X->m, X->nb, X->mb};
    return (struct op_shape){X->m, X->n, X->mb, X->nb};
}

/* Tile (i, l) of op(X). */
static starpu_data_handle_t op_tile(sbk_trans trans, const sbk_matrix *X, int i, int l)
{
    return trans == SBK_TRANS ? sbk_tile(X, l, i) : sbk_tile(X, i, l);
}

int sbk_gemm(sbk_trans transA, sbk_trans transB, double alpha, const sbk_matrix *A,
             const sbk_matrix *B, double beta, sbk_matrix *C)
{
    const sbk_matrix *mats[] = {A, B, C};
    int ret = sbk_check_matrices(3, mats);
    if (ret != SBK_SUCCESS)
        return ret;
    if ((transA != SBK_NOTRANS && transA != SBK_TRANS) || (transB != SBK_NOTRANS && transB != SBK_TRANS))
        return SBK_EINVAL;
    if (A->prec != C->prec || B->prec != C->prec)
        return SBK_EPREC;
    struct op_shape a = op_shape(transA, A), b = op_shape(transB, B);
    if (a.rows != C->m || b.cols != C->n || a.cols != b.rows)
        return SBK_ESHAPE;
    if (a.row_tile != C->mb || b.col_tile != C->nb || a.col_tile != b.row_tile)
        return SBK_ESHAPE;
    int kt = (a.cols + a.col_tile - 1) / a.col_tile;
    for (int j = 0; j < C->nt; j++)
        for (int i = 0; i < C->mt; i++)
            for (int l = 0; l < kt; l++) {
                ret = sbk_insert_gemm(transA, transB, alpha, op_tile(transA, A, i, l), op_tile(transB, B, l, j),
                                      l == 0 ? beta : 1.0, sbk_tile(C, i, j), l > 0);
                if (ret != SBK_SUCCESS)
                    return ret;
            }
    return SBK_SUCCESS;
}
