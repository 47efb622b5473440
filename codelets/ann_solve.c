/* ANN outer layer: sums the row-block partials of the normal equations in a
 * fixed order (in double), adds the ridge, and solves (H^T H + ridge I) v = H^T y
 * by Cholesky (LAPACKE potrf/potrs). When H^T H is not positive definite the
 * ridge is raised until it is; the ridge used is returned for the report.
 * CPU only: ncol³/3 flops once, tiny beside forming H^T H. */
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>
#include <starbak/codelets.h>

struct solve_args {
    int nparts, ncol;
    double ridge;
};

static double get(void *h, size_t k)
{
    return STARPU_MATRIX_GET_ELEMSIZE(h) == sizeof(double) ? ((const double *)STARPU_MATRIX_GET_PTR(h))[k]
                                                           : ((const float *)STARPU_MATRIX_GET_PTR(h))[k];
}

/* Buffers: P_0 .. P_{n-1} (R), q_0 .. q_{n-1} (R), v (W, ncol × 1), ridge_used (W, variable double). */
static void ann_solve_cpu(void *buffers[], void *cl_arg)
{
    const struct solve_args *s = cl_arg;
    int n = s->ncol;
    size_t nn = (size_t)n * n;
    void *vh = buffers[2 * s->nparts];
    double *ridge_used = (double *)STARPU_VARIABLE_GET_PTR(buffers[2 * s->nparts + 1]);
    double *G = malloc(nn * sizeof *G), *A = malloc(nn * sizeof *A), *b = malloc(n * sizeof *b);
    *ridge_used = -1.0; /* stays negative if no ridge makes the system solvable */
    if (!G || !A || !b)
        goto out;
    size_t ldp = STARPU_MATRIX_GET_LD(buffers[0]);
    memset(G, 0, nn * sizeof *G);
    for (int j = 0; j < n; j++) {
        b[j] = 0.0;
        for (int i = 0; i < s->nparts; i++)
            b[j] += get(buffers[s->nparts + i], j);
    }
    /* Partial by partial, column by column: contiguous reads of the lower triangles. */
    for (int i = 0; i < s->nparts; i++) {
        int dbl = STARPU_MATRIX_GET_ELEMSIZE(buffers[i]) == sizeof(double);
        const void *P = (const void *)STARPU_MATRIX_GET_PTR(buffers[i]);
        for (int j = 0; j < n; j++) {
            double *g = G + (size_t)j * n;
            if (dbl)
                for (int r = j; r < n; r++)
                    g[r] += ((const double *)P)[r + j * ldp];
            else
                for (int r = j; r < n; r++)
                    g[r] += ((const float *)P)[r + j * ldp];
        }
    }
    double trace = 0.0;
    for (int j = 0; j < n; j++)
        trace += G[j + (size_t)j * n];
    double ridge = s->ridge;
    for (int attempt = 0; attempt < 12; attempt++) {
        memcpy(A, G, nn * sizeof *A);
        for (int j = 0; j < n; j++)
            A[j + (size_t)j * n] += ridge;
        if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, A, n) == 0) {
            LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', n, 1, A, n, b, n);
            for (int j = 0; j < n; j++) {
                if (STARPU_MATRIX_GET_ELEMSIZE(vh) == sizeof(double))
                    ((double *)STARPU_MATRIX_GET_PTR(vh))[j] = b[j];
                else
                    ((float *)STARPU_MATRIX_GET_PTR(vh))[j] = (float)b[j];
            }
            *ridge_used = ridge;
            break;
        }
        /* Not positive definite: start from a tiny multiple of the mean diagonal. */
        ridge = ridge > 0 ? ridge * 10 : 1e-12 * (trace > 0 ? trace / n : 1.0);
    }
out:
    free(G), free(A), free(b);
}

static struct starpu_perfmodel ann_solve_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "sbk_ann_solve_lapacke",
};

static struct starpu_codelet cl_ann_solve = {
    .name = "ann_solve",
    .cpu_funcs = {ann_solve_cpu},
    .cpu_funcs_name = {"ann_solve_cpu"},
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .model = &ann_solve_model,
};

int sbk_insert_ann_solve(starpu_data_handle_t *P, starpu_data_handle_t *q, int nparts, int ncol, double ridge,
                         starpu_data_handle_t v, starpu_data_handle_t ridge_used)
{
    struct solve_args *args = malloc(sizeof *args);
    starpu_data_handle_t *parts = malloc(2 * nparts * sizeof *parts);
    if (!args || !parts) {
        free(args), free(parts);
        return SBK_ENOMEM;
    }
    *args = (struct solve_args){nparts, ncol, ridge};
    for (int i = 0; i < nparts; i++)
        parts[i] = P[i], parts[nparts + i] = q[i];
    starpu_data_handle_t tail[] = {v, ridge_used};
    const enum starpu_data_access_mode modes[] = {STARPU_W, STARPU_W};
    int ret = sbk_insert_gather(&cl_ann_solve, args, sizeof *args, parts, 2 * nparts, tail, modes, 2, 0);
    free(parts);
    return ret;
}
