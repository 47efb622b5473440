/* One SolveBak sweep over all columns on the Gram system (method gram):
 *   for j: d = b_j - G[:, j]^T a;  a_j += d / G_jj   (skipped when G_jj = 0)
 * which are per-column SolveBak's iterates, since X_j^T e = b_j - (X^T X a)_j.
 * Then ||e||^2 = y^T y - 2 a^T b + a^T G a, the residual without touching X.
 * G, b and y^T y come in one (vars+1)×(vars+1) matrix M = [X | y]^T [X | y]
 * (gram_form.c): G its leading block, b^T its last row, y^T y its corner.
 * Only M's lower triangle is read (it is all that is formed).
 * CPU only (kernels/cpu/solvebak.c): the sweep is sequential in j; in double
 * it is a triangular multiply and solve (BLAS), else element by element. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/solvebak.h"

struct sweep_args {
    int vars, nb;
};


/* Buffers: M (R, matrix (vars+1)×(vars+1)), a tiles 0 .. nt-1 (RW, matrix
 * nb×1), out (W, variable double: ||e||^2), scratch (2 vars doubles). */
static void gram_sweep_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct sweep_args *sw = cl_arg;
    void *Mh = buffers[0];
    sbk_precision prec = (sbk_precision)STARPU_MATRIX_GET_ELEMSIZE(Mh);
    int vars = sw->vars;
    int nt = (vars + sw->nb - 1) / sw->nb;
    double *a = (double *)STARPU_VARIABLE_GET_PTR(buffers[2 + nt]), *s = a + vars;
    for (int j = 0; j < vars; j++)
        a[j] = sbk_elem_get(prec, (const void *)STARPU_MATRIX_GET_PTR(buffers[1 + j / sw->nb]), j % sw->nb);
    double ee = sbk_cpu_gram_sweep(prec, vars, (const void *)STARPU_MATRIX_GET_PTR(Mh), STARPU_MATRIX_GET_LD(Mh), a, s);
    for (int j = 0; j < vars; j++)
        sbk_elem_set(prec, (void *)STARPU_MATRIX_GET_PTR(buffers[1 + j / sw->nb]), j % sw->nb, a[j]);
    *(double *)STARPU_VARIABLE_GET_PTR(buffers[1 + nt]) = ee;
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
