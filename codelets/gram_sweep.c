/* One SolveBak sweep over all columns on the Gram system (method gram):
 *   for j: d = b_j - G[:, j]^T a;  a_j += d / G_jj   (skipped when G_jj = 0)
 * which are per-column SolveBak's iterates, since X_j^T e = b_j - (X^T X a)_j.
 * Then ||e||^2 = y^T y - 2 a^T b + a^T G a, the residual without touching X.
 * Only G's lower triangle is read (it is all that is formed).
 * CPU only: the sweep is sequential in j and reads G (vars×vars) once. */
#include <stdlib.h>
#include <starbak/codelets.h>

struct sweep_args {
    int vars, nb;
};

static double get(int dbl, const void *x, size_t k)
{
    return dbl ? ((const double *)x)[k] : ((const float *)x)[k];
}

/* G[:, j]^T a from the lower triangle: row j left of the diagonal, column j from it down. */
static double column_dot(int dbl, const void *G, size_t ld, int vars, int j, const double *a)
{
    double sum = 0.0;
    for (int k = 0; k < j; k++)
        sum += get(dbl, G, j + k * ld) * a[k];
    for (int k = j; k < vars; k++)
        sum += get(dbl, G, k + j * ld) * a[k];
    return sum;
}

/* Buffers: G (R, matrix), b (R, matrix vars×1), yy (R, variable double),
 * a tiles 0 .. nt-1 (RW, matrix nb×1), out (W, variable double: ||e||^2). */
static void gram_sweep_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct sweep_args *s = cl_arg;
    void *Gh = buffers[0];
    int dbl = STARPU_MATRIX_GET_ELEMSIZE(Gh) == sizeof(double);
    const void *G = (const void *)STARPU_MATRIX_GET_PTR(Gh), *b = (const void *)STARPU_MATRIX_GET_PTR(buffers[1]);
    size_t ldg = STARPU_MATRIX_GET_LD(Gh);
    double yy = get(dbl, (const void *)STARPU_MATRIX_GET_PTR(buffers[2]), 0);
    int nt = (s->vars + s->nb - 1) / s->nb;
    double *a = malloc(s->vars * sizeof *a);
    if (!a) {
        *(double *)STARPU_VARIABLE_GET_PTR(buffers[3 + nt]) = -1.0;
        return;
    }
    for (int j = 0; j < s->vars; j++)
        a[j] = get(dbl, (const void *)STARPU_MATRIX_GET_PTR(buffers[3 + j / s->nb]), j % s->nb);
    for (int j = 0; j < s->vars; j++) {
        double gjj = get(dbl, G, j + j * ldg);
        if (!(gjj > 0.0))
            continue;
        double d = get(dbl, b, j) - column_dot(dbl, G, ldg, s->vars, j, a);
        double aj = a[j] + d / gjj;
        a[j] = dbl ? aj : (float)aj; /* the same rounding as the per-column method's a */
    }
    double ab = 0.0, aga = 0.0;
    for (int j = 0; j < s->vars; j++) {
        aga += a[j] * column_dot(dbl, G, ldg, s->vars, j, a);
        ab += a[j] * get(dbl, b, j);
    }
    for (int j = 0; j < s->vars; j++) {
        void *tile = (void *)STARPU_MATRIX_GET_PTR(buffers[3 + j / s->nb]);
        if (dbl)
            ((double *)tile)[j % s->nb] = a[j];
        else
            ((float *)tile)[j % s->nb] = (float)a[j];
    }
    double ee = yy - 2.0 * ab + aga;
    *(double *)STARPU_VARIABLE_GET_PTR(buffers[3 + nt]) = ee > 0.0 ? ee : 0.0;
    free(a);
}

static struct starpu_perfmodel gram_sweep_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "sbk_gram_sweep",
};

static struct starpu_codelet cl_gram_sweep = {
    .name = "gram_sweep",
    .cpu_funcs = {gram_sweep_cpu},
    .cpu_funcs_name = {"gram_sweep_cpu"},
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .model = &gram_sweep_model,
};

int sbk_insert_gram_sweep(starpu_data_handle_t G, starpu_data_handle_t b, starpu_data_handle_t yy,
                          starpu_data_handle_t *a_tiles, int vars, int nb, starpu_data_handle_t out)
{
    struct sweep_args *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    *args = (struct sweep_args){vars, nb};
    int nt = (vars + nb - 1) / nb;
    starpu_data_handle_t head[] = {G, b, yy};
    struct starpu_data_descr *descr = malloc((nt + 4) * sizeof *descr);
    if (!descr) {
        free(args);
        return SBK_ENOMEM;
    }
    for (int t = 0; t < 3; t++)
        descr[t] = (struct starpu_data_descr){head[t], STARPU_R};
    for (int t = 0; t < nt; t++)
        descr[3 + t] = (struct starpu_data_descr){a_tiles[t], STARPU_RW};
    descr[3 + nt] = (struct starpu_data_descr){out, STARPU_W};
    int ret = sbk_submit(&cl_gram_sweep, descr, nt + 4, args, sizeof *args, 4.0 * vars * vars, 0);
    free(descr);
    return ret;
}
