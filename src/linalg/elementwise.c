/* Element-wise operations, one task per tile. */
#include "codelets/codelets.h"

static int same_layout(const sbk_matrix *X, const sbk_matrix *Y)
{
    return X->m == Y->m && X->n == Y->n && X->mb == Y->mb && X->nb == Y->nb;
}

int sbk_add(double alpha, const sbk_matrix *A, double beta, const sbk_matrix *B, sbk_matrix *C)
{
    const sbk_matrix *mats[] = {A, B, C};
    int ret = sbk_check_matrices(3, mats);
    if (ret != SBK_SUCCESS)
        return ret;
    if (C == A || C == B)
        return SBK_EINVAL;
    if (A->prec != C->prec || B->prec != C->prec)
        return SBK_EPREC;
    if (!same_layout(A, C) || !same_layout(B, C))
        return SBK_ESHAPE;
    for (int j = 0; j < C->nt && ret == SBK_SUCCESS; j++)
        for (int i = 0; i < C->mt && ret == SBK_SUCCESS; i++)
            ret = sbk_insert_add(alpha, sbk_tile(A, i, j), beta, sbk_tile(B, i, j), sbk_tile(C, i, j));
    return ret;
}

int sbk_scale(double alpha, sbk_matrix *A)
{
    const sbk_matrix *mats[] = {A};
    int ret = sbk_check_matrices(1, mats);
    for (int j = 0; ret == SBK_SUCCESS && j < A->nt; j++)
        for (int i = 0; i < A->mt && ret == SBK_SUCCESS; i++)
            ret = sbk_insert_scale(alpha, sbk_tile(A, i, j));
    return ret;
}
