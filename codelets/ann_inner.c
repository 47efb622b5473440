/* ANN inner layer, a block of neurons per task: neuron k draws `rows` rows of
 * X at random and solves [X_k | 1] (w_k, b_k) ~ atanh(y_k) by LAPACKE_dgels.
 * The draws come from the counter-based generator of the Monte-Carlo kernel,
 * keyed by (seed, neuron, attempt), so the weights do not depend on which
 * worker runs which block. A draw whose triangular factor is (nearly) singular
 * is redrawn, up to SBK_ANN_ATTEMPTS times, then the neuron is dropped.
 * CPU only, in double whatever X's precision (the systems are small). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <starbak/codelets.h>
#include "mcpi_sample.h"

struct inner_args {
    int first, count, rows, vars, bias, mt, mb;
    uint64_t seed;
};

static double element(void *tile, int r, int c)
{
    size_t k = r + (size_t)c * STARPU_MATRIX_GET_LD(tile);
    return STARPU_MATRIX_GET_ELEMSIZE(tile) == sizeof(double) ? ((const double *)STARPU_MATRIX_GET_PTR(tile))[k]
                                                               : ((const float *)STARPU_MATRIX_GET_PTR(tile))[k];
}

/* Row i of neuron k's draw number `attempt`, uniform over the obs rows. */
static uint64_t drawn_row(const struct inner_args *a, int k, int attempt, int i, uint64_t obs)
{
    uint64_t stream = sbk_splitmix64(a->seed, ((uint64_t)k << 8) | (uint64_t)attempt);
    return sbk_splitmix64(stream, (uint64_t)i) % obs;
}

/* Solves one draw; 1 when its factor is well-conditioned enough to trust. */
static int solve_draw(const struct inner_args *a, void *buffers[], uint64_t obs, int k, int attempt, double *A,
                      double *t)
{
    int n = a->vars + a->bias;
    for (int i = 0; i < a->rows; i++) {
        uint64_t r = drawn_row(a, k, attempt, i, obs);
        void *xt = buffers[r / a->mb], *yt = buffers[a->mt + r / a->mb];
        int local = (int)(r % a->mb);
        for (int c = 0; c < a->vars; c++)
            A[i + (size_t)c * a->rows] = element(xt, local, c);
        if (a->bias)
            A[i + (size_t)a->vars * a->rows] = 1.0;
        t[i] = atanh(element(yt, local, 0));
    }
    if (LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', a->rows, n, 1, A, a->rows, t, a->rows) != 0)
        return 0;
    /* gels only fails on an exactly zero pivot: also refuse a near-singular R,
     * whose weights would be huge and meaningless. */
    double rmax = 0.0, rmin = INFINITY;
    for (int c = 0; c < n; c++) {
        double d = fabs(A[c + (size_t)c * a->rows]);
        rmax = fmax(rmax, d), rmin = fmin(rmin, d);
    }
    if (!(rmin > 1e-10 * rmax))
        return 0;
    for (int c = 0; c < n; c++)
        if (!isfinite(t[c]))
            return 0;
    return 1;
}

/* Buffers: X row tiles 0 .. mt-1 (R), y row tiles (R), then W block (W,
 * matrix (vars + 2) × count in X's precision: weights, bias, then the attempts
 * used, or -1 for a dropped neuron). */
static void ann_inner_cpu(void *buffers[], void *cl_arg)
{
    const struct inner_args *a = cl_arg;
    void *W = buffers[2 * a->mt];
    size_t ldw = STARPU_MATRIX_GET_LD(W);
    int dbl = STARPU_MATRIX_GET_ELEMSIZE(W) == sizeof(double);
    uint64_t obs = (uint64_t)(a->mt - 1) * a->mb + STARPU_MATRIX_GET_NX(buffers[a->mt - 1]);
    int n = a->vars + a->bias;
    double *A = malloc((size_t)a->rows * n * sizeof *A), *t = malloc((size_t)a->rows * sizeof *t);
    for (int j = 0; j < a->count; j++) {
        int ok = 0, attempt = 0;
        while (A && t && !ok && attempt < SBK_ANN_ATTEMPTS)
            ok = solve_draw(a, buffers, obs, a->first + j, attempt++, A, t);
        for (int c = 0; c < a->vars + 2; c++) { /* without bias, row vars stays 0 */
            double v = c == a->vars + 1 ? (ok ? attempt : -1) : ok && c < n ? t[c] : 0.0;
            size_t k = c + (size_t)j * ldw;
            if (dbl)
                ((double *)STARPU_MATRIX_GET_PTR(W))[k] = v;
            else
                ((float *)STARPU_MATRIX_GET_PTR(W))[k] = (float)v;
        }
    }
    free(A), free(t);
}

static struct starpu_perfmodel ann_inner_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "sbk_ann_inner_lapacke",
};

static struct starpu_codelet cl_ann_inner = {
    .name = "ann_inner",
    .cpu_funcs = {ann_inner_cpu},
    .cpu_funcs_name = {"ann_inner_cpu"},
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .model = &ann_inner_model,
};

int sbk_insert_ann_inner(starpu_data_handle_t *X_tiles, starpu_data_handle_t *y_tiles, int mt, int mb, int vars,
                         int bias, int first, int count, int rows, uint64_t seed, starpu_data_handle_t W)
{
    struct inner_args *args = malloc(sizeof *args);
    starpu_data_handle_t *parts = malloc(2 * mt * sizeof *parts);
    if (!args || !parts) {
        free(args), free(parts);
        return SBK_ENOMEM;
    }
    *args = (struct inner_args){first, count, rows, vars, bias, mt, mb, seed};
    for (int i = 0; i < mt; i++)
        parts[i] = X_tiles[i], parts[mt + i] = y_tiles[i];
    const enum starpu_data_access_mode mode = STARPU_W;
    int ret = sbk_insert_gather(&cl_ann_inner, args, sizeof *args, parts, 2 * mt, &W, &mode, 1, 0);
    free(parts);
    return ret;
}
