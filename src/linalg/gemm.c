/* Tiled GEMM: one task per (i, j, l) tile triple; StarPU picks the worker.
 * In one process the tasks go C tile by C tile (each tile's k-sum together);
 * under StarPU-MPI with several ranks k step by k step instead, so that the
 * tiles a rank received for step l can leave StarPU-MPI's cache once step l is
 * submitted (doc/mpi.md): a rank then holds its own tiles and the block column
 * of A and block row of B of the steps in flight (steps_ahead() + 1).
 * Two shapes are not 2D products and go otherwise under MPI: one column of C
 * tiles (X a: all its tasks at once, op(B)'s few tiles kept by the ranks until
 * the end) and one C tile summed over k tiles spread across the ranks (e^T e:
 * a reduction, gemm_as_reduction). */
#include <stdlib.h>
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

/* Steps a rank submits beyond the one it computes, their receives posted
 * ahead. On GPU nodes a block row of B that comes from another rank every
 * other step takes longer to arrive than one step's products, so one step
 * ahead left the network idle half the time (simulated 8 nodes of 4 H100, n =
 * 16384, tiles of 1024: 89 ms with 1, 66 with 2, 52 with 4). On CPU nodes a
 * step's products outlast its transfers, and steps in flight only share the
 * link with the one needed next (8 nodes of 31 cores: 1.35 s with 1, 1.47 with
 * 2, 1.53 with 4). */
static unsigned steps_ahead(void)
{
    return starpu_cuda_worker_get_count() > 0 ? 4 : 1;
}

/* Step l: every C tile += op(A)(:, l) op(B)(l, :), in the same (j, i) order
 * as the single-process loop; then StarPU-MPI may forget the received tiles of
 * step l (no later task of the product reads them), and the next step's
 * receives wait until this rank has steps_ahead() steps' tasks left. */
static int gemm_by_steps(sbk_trans transA, sbk_trans transB, double alpha, const sbk_matrix *A, const sbk_matrix *B,
                         double beta, sbk_matrix *C, int kt)
{
    unsigned mine = 0, ahead = steps_ahead(); /* mine: C tiles this rank owns, its tasks per step */
    for (int j = 0; j < C->nt; j++)
        for (int i = 0; i < C->mt; i++)
            mine += sbk_data_owned(sbk_tile(C, i, j));
    for (int l = 0; l < kt; l++) {
        for (int j = 0; j < C->nt; j++)
            for (int i = 0; i < C->mt; i++) {
                int ret = sbk_insert_gemm(transA, transB, alpha, op_tile(transA, A, i, l), op_tile(transB, B, l, j),
                                          l == 0 ? beta : 1.0, sbk_tile(C, i, j), l > 0);
                if (ret != SBK_SUCCESS)
                    return ret;
            }
        for (int i = 0; i < C->mt; i++)
            sbk_data_flush(op_tile(transA, A, i, l));
        for (int j = 0; j < C->nt; j++)
            sbk_data_flush(op_tile(transB, B, l, j));
        starpu_task_wait_for_n_submitted(mine * ahead);
    }
    return SBK_SUCCESS;
}

/* C (one tile, beta = 0) = sum over l of alpha op(A)(0, l) op(B)(l, 0), with the
 * k tiles spread over the ranks (a residual's e^T e over X's row blocks): a
 * reduction, not a product. Each term goes into a partial on the rank of its
 * op(A) tile, and the partials are summed in k order on each rank, then along
 * the ranks' tree (sbk_insert_tile_sum), instead of every k step's tiles
 * travelling to C's rank and running there one after the other. */
static int gemm_as_reduction(sbk_trans transA, sbk_trans transB, double alpha, const sbk_matrix *A,
                             const sbk_matrix *B, sbk_matrix *C, int kt)
{
    starpu_data_handle_t *parts = calloc(kt, sizeof *parts);
    if (!parts)
        return SBK_ENOMEM;
    int ret = SBK_SUCCESS, made = 0;
    for (; made < kt && ret == SBK_SUCCESS; made++) {
        int owner = transA == SBK_TRANS ? sbk_matrix_tile_owner(A, made, 0) : sbk_matrix_tile_owner(A, 0, made);
        starpu_matrix_data_register(&parts[made], -1, 0, C->m, C->m, C->n, C->prec);
        sbk_data_distribute(parts[made], owner);
        ret = sbk_insert_gemm(transA, transB, alpha, op_tile(transA, A, 0, made), op_tile(transB, B, made, 0), 0.0,
                              parts[made], 0);
    }
    if (ret == SBK_SUCCESS)
        ret = sbk_insert_tile_sum(parts, kt, 0, sbk_tile(C, 0, 0));
    for (int l = 0; l < made; l++) /* once their tasks ran: the product stays asynchronous */
        sbk_data_unregister_submit(parts[l]);
    free(parts);
    return ret;
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
    int distributed = sbk_mpi_active() && sbk_nranks() > 1;
    if (distributed && C->mt == 1 && C->nt == 1 && beta == 0.0 && kt > 1)
        return gemm_as_reduction(transA, transB, alpha, A, B, C, kt);
    if (distributed && C->nt > 1)
        return gemm_by_steps(transA, transB, alpha, A, B, beta, C, kt);
    for (int j = 0; j < C->nt; j++)
        for (int i = 0; i < C->mt; i++)
            for (int l = 0; l < kt; l++) {
                ret = sbk_insert_gemm(transA, transB, alpha, op_tile(transA, A, i, l), op_tile(transB, B, l, j),
                                      l == 0 ? beta : 1.0, sbk_tile(C, i, j), l > 0);
                if (ret != SBK_SUCCESS)
                    return ret;
            }
    /* Under MPI, one column of C tiles (X a, the residuals' X A): each rank
     * received op(B)'s few tiles once for all its rows; it may forget them. */
    for (int l = 0; distributed && l < kt; l++)
        sbk_data_flush(op_tile(transB, B, l, 0));
    return SBK_SUCCESS;
}
