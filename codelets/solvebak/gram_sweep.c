/* One SolveBak sweep over all columns on the Gram system (method gram):
 *   for j: d = b_j - G[:, j]^T a;  a_j += d / G_jj   (skipped when G_jj = 0)
 * which are per-column SolveBak's iterates, since X_j^T e = b_j - (X^T X a)_j.
 * Then ||e||^2 = y^T y - 2 a^T b + a^T G a, the residual without touching X.
 * G, b and y^T y come in one (vars+1)×(vars+1) matrix M = [X | y]^T [X | y]
 * (gram_form.c): G its leading block, b^T its last row, y^T y its corner.
 * Only M's lower triangle is read (it is all that is formed).
 * CPU only: the sweep is sequential in j; in double it is a triangular
 * multiply and solve (BLAS), else element by element. */
#include <cblas.h>
#include <stdlib.h>
#include "codelets/codelet_def.h"

struct sweep_args {
    int vars, nb;
};


/* G[:, j]^T a from the lower triangle: row j left of the diagonal, column j from it down. */
static double column_dot(sbk_precision prec, const void *G, size_t ld, int vars, int j, const double *a)
{
    double sum = 0.0;
    for (int k = 0; k < j; k++)
        sum += sbk_elem_get(prec, G, j + k * ld) * a[k];
    for (int k = j; k < vars; k++)
        sum += sbk_elem_get(prec, G, k + j * ld) * a[k];
    return sum;
}

/* One sweep element by element, G's lower triangle read by column_dot: any
 * precision (sums in double), and G_jj = 0 (a zero column: a_j stays). */
static void sweep_elementwise(sbk_precision prec, const void *G, size_t ld, int vars, double *a)
{
    for (int j = 0; j < vars; j++) {
        double gjj = sbk_elem_get(prec, G, j + j * ld);
        if (!(gjj > 0.0))
            continue;
        double d = sbk_elem_get(prec, G, vars + j * ld) - column_dot(prec, G, ld, vars, j, a);
        double aj = a[j] + d / gjj;
        a[j] = prec == SBK_DOUBLE ? aj : (float)aj; /* the same rounding as the per-column method's a */
    }
}

/* The same sweep in double with G = L + D + L^T as two BLAS-2 passes over the
 * lower triangle, contiguous and vectorised: Gauss-Seidel is
 * (D + L) a_new = b - L^T a_old, and b - L^T a = b - (D + L^T) a + D a. */
static void sweep_blas(const double *G, int ld, int vars, double *a, double *s)
{
    for (int j = 0; j < vars; j++)
        s[j] = a[j];
    cblas_dtrmv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, vars, G, ld, s, 1);
    for (int j = 0; j < vars; j++) /* b_j is M's last row */
        s[j] = G[vars + (size_t)j * ld] - s[j] + G[j + (size_t)j * ld] * a[j];
    cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, vars, G, ld, s, 1);
    for (int j = 0; j < vars; j++)
        a[j] = s[j];
}

/* Buffers: M (R, matrix (vars+1)×(vars+1)), a tiles 0 .. nt-1 (RW, matrix
 * nb×1), out (W, variable double: ||e||^2), scratch (2 vars doubles). */
static void gram_sweep_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct sweep_args *sw = cl_arg;
    void *Mh = buffers[0];
    sbk_precision prec = (sbk_precision)STARPU_MATRIX_GET_ELEMSIZE(Mh);
    int dbl = prec == SBK_DOUBLE, vars = sw->vars;
    size_t ldg = STARPU_MATRIX_GET_LD(Mh);
    const void *G = (const void *)STARPU_MATRIX_GET_PTR(Mh);
    double yy = sbk_elem_get(prec, G, vars + vars * ldg);
    int nt = (vars + sw->nb - 1) / sw->nb, zero_column = 0;
    double *a = (double *)STARPU_VARIABLE_GET_PTR(buffers[2 + nt]), *s = a + vars;
    for (int j = 0; j < vars; j++) {
        a[j] = sbk_elem_get(prec, (const void *)STARPU_MATRIX_GET_PTR(buffers[1 + j / sw->nb]), j % sw->nb);
        zero_column |= !(sbk_elem_get(prec, G, j + j * ldg) > 0.0);
    }
    double ab = 0.0, aga = 0.0;
    if (dbl && !zero_column) {
        sweep_blas(G, (int)ldg, vars, a, s);
        cblas_dsymv(CblasColMajor, CblasLower, vars, 1.0, G, (int)ldg, a, 1, 0.0, s, 1); /* s = G a */
        aga = cblas_ddot(vars, a, 1, s, 1);
        ab = cblas_ddot(vars, a, 1, (const double *)G + vars, (int)ldg);
    } else {
        sweep_elementwise(prec, G, ldg, vars, a);
        for (int j = 0; j < vars; j++) {
            aga += a[j] * column_dot(prec, G, ldg, vars, j, a);
            ab += a[j] * sbk_elem_get(prec, G, vars + j * ldg);
        }
    }
    for (int j = 0; j < vars; j++) {
        void *tile = (void *)STARPU_MATRIX_GET_PTR(buffers[1 + j / sw->nb]);
        if (dbl)
            ((double *)tile)[j % sw->nb] = a[j];
        else
            ((float *)tile)[j % sw->nb] = (float)a[j];
    }
    double ee = yy - 2.0 * ab + aga;
    *(double *)STARPU_VARIABLE_GET_PTR(buffers[1 + nt]) = ee > 0.0 ? ee : 0.0;
}

/* The scratch (last) follows M's size. */
static uint32_t sweep_footprint(struct starpu_task *task)
{
    return sbk_footprint_of_first(task, STARPU_TASK_GET_NBUFFERS(task) - 1);
}

SBK_CPU_CODELET(cl_gram_sweep, "gram_sweep", "sbk_gram_sweep", sweep_footprint, gram_sweep_cpu,
                .nbuffers = STARPU_VARIABLE_NBUFFERS);

int sbk_insert_gram_sweep(starpu_data_handle_t M, starpu_data_handle_t *a_tiles, int vars, int nb,
                          starpu_data_handle_t out)
{
    struct sweep_args *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    *args = (struct sweep_args){vars, nb};
    int nt = (vars + nb - 1) / nb;
    struct starpu_data_descr *descr = malloc((nt + 3) * sizeof *descr);
    if (!descr) {
        free(args);
        return SBK_ENOMEM;
    }
    /* The iterate's workspace, allocated by StarPU where the task runs (so the
     * task itself cannot fail); its size follows M's, which the footprint has. */
    starpu_data_handle_t scratch;
    starpu_variable_data_register(&scratch, -1, 0, 2 * (size_t)vars * sizeof(double));
    descr[0] = (struct starpu_data_descr){M, STARPU_R};
    for (int t = 0; t < nt; t++)
        descr[1 + t] = (struct starpu_data_descr){a_tiles[t], STARPU_RW};
    descr[1 + nt] = (struct starpu_data_descr){out, STARPU_W};
    descr[2 + nt] = (struct starpu_data_descr){scratch, STARPU_SCRATCH};
    int ret = sbk_submit(&cl_gram_sweep, descr, nt + 3, args, sizeof *args, 4.0 * vars * vars, 0);
    starpu_data_unregister_submit(scratch);
    free(descr);
    return ret;
}
