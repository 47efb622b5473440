/* The fitted network on new rows: one ann_predict task per row block of X
 * (codelets/ann/ann_hidden.c), and the correlation that measures a fit. */
#include <math.h>
#include <stdlib.h>
#include "internal/ann.h"

/* Registers a host matrix that every rank holds alike (model weights). */
static starpu_data_handle_t register_everywhere(void *buf, int rows, int cols, size_t es)
{
    starpu_data_handle_t h;
    starpu_matrix_data_register(&h, STARPU_MAIN_RAM, (uintptr_t)buf, rows, rows, cols, es);
    sbk_data_replicate(h);
    return h;
}

int sbk_ann_predict(const sbk_ann_model *m, const sbk_matrix *X, sbk_matrix *yhat)
{
    const sbk_matrix *mats[] = {X, yhat};
    int ret = sbk_check_matrices(2, mats);
    if (ret != SBK_SUCCESS)
        return ret;
    if (!m || !m->W || !m->v)
        return SBK_EINVAL;
    if (X->prec != yhat->prec)
        return SBK_EPREC;
    if (X->n != m->vars || X->nt != 1 || yhat->m != X->m || yhat->n != 1 || yhat->mb != X->mb)
        return SBK_ESHAPE;
    int ncol = m->neurons + m->bias, ldw = m->vars + 1;
    size_t es = X->prec;
    void *Wbuf = malloc((size_t)ldw * m->neurons * es), *vbuf = malloc((size_t)ncol * es);
    if (!Wbuf || !vbuf) {
        free(Wbuf), free(vbuf);
        return SBK_ENOMEM;
    }
    for (int k = 0; k < m->neurons; k++)
        for (int c = 0; c <= m->vars; c++)
            sbk_elem_set(X->prec, Wbuf, c + (size_t)k * ldw, m->W[c + (size_t)k * (m->vars + 1)]);
    /* Undo the scaling of y inside v: y = c + s (H v) = H (s v) + c, where the
     * column of ones carries c; without a bias the shift is added afterwards. */
    for (int k = 0; k < ncol; k++)
        sbk_elem_set(X->prec, vbuf, k, m->y_scale * m->v[k] + (m->bias && k == m->neurons ? m->y_center : 0.0));
    starpu_data_handle_t W = register_everywhere(Wbuf, ldw, m->neurons, es), v = register_everywhere(vbuf, ncol, 1, es);
    starpu_data_handle_t scratch;
    starpu_matrix_data_register(&scratch, -1, 0, SBK_ANN_CHUNK, SBK_ANN_CHUNK, ncol, es);
    for (int i = 0; i < X->mt && ret == SBK_SUCCESS; i++)
        ret = sbk_insert_ann_predict(sbk_tile(X, i, 0), W, v, m->neurons, m->bias, scratch, sbk_tile(yhat, i, 0));
    starpu_data_unregister(scratch), starpu_data_unregister(v), starpu_data_unregister(W);
    free(Wbuf), free(vbuf);
    if (ret == SBK_SUCCESS && sbk_cancelled())
        return SBK_ECANCELED;
    for (int i = 0; i < yhat->mt && ret == SBK_SUCCESS && !m->bias && m->y_center != 0.0; i++) {
        starpu_data_handle_t h = sbk_tile(yhat, i, 0);
        if (!sbk_data_owned(h))
            continue;
        starpu_data_acquire(h, STARPU_RW);
        void *p = (void *)starpu_matrix_get_local_ptr(h);
        for (int r = 0; r < sbk_tile_rows(yhat, i); r++)
            sbk_elem_set(X->prec, p, r, sbk_elem_get(X->prec, p, r) + m->y_center);
        starpu_data_release(h);
    }
    return ret;
}

double sbk_correlation(sbk_precision prec, const void *x, const void *y, size_t n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++)
        mx += sbk_elem_get(prec, x, i), my += sbk_elem_get(prec, y, i);
    mx /= n, my /= n;
    for (size_t i = 0; i < n; i++) {
        double dx = sbk_elem_get(prec, x, i) - mx, dy = sbk_elem_get(prec, y, i) - my;
        sxy += dx * dy, sxx += dx * dx, syy += dy * dy;
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0.0;
}
