/* Inserts a task reading many partial results followed by a few other
 * buffers: the shape every starbak reduce task has. A reduction's partials are
 * summed in a fixed order so that every scheduler gives the same bits; under
 * StarPU-MPI with several ranks they are first combined per rank and then
 * over the ranks along a binary tree of fixed shape (doc/mpi.md), so that a
 * reduction costs one message per rank instead of one per partial. */
#include <stdlib.h>
#include "runtime/runtime.h"
#ifdef SBK_HAVE_MPI
#include <starpu_mpi.h>
#endif

int sbk_insert_gather(struct starpu_codelet *cl, void *args, size_t args_size, starpu_data_handle_t *parts,
                      int nparts, const starpu_data_handle_t *tail, const enum starpu_data_access_mode *modes,
                      int ntail, int priority)
{
    struct starpu_data_descr *descr = malloc((nparts + ntail) * sizeof *descr);
    if (!descr) {
        free(args);
        return SBK_ENOMEM;
    }
    for (int i = 0; i < nparts; i++)
        descr[i] = (struct starpu_data_descr){parts[i], STARPU_R};
    for (int t = 0; t < ntail; t++)
        descr[nparts + t] = (struct starpu_data_descr){tail[t], modes[t]};
    int ret = sbk_submit(cl, descr, nparts + ntail, args, args_size, 0.0, priority);
    free(descr);
    return ret;
}

#ifdef SBK_HAVE_MPI
/* --- partial_sum: acc = (acc or 0) + p_0 + p_1 + ... element by element, in
 * double whatever the parts' precision (as the reduce codelets read them) --- */

struct sum_args {
    int accumulate; /* 1: acc's value is the first term (RW), else 0.0 (W) */
    int matrix;     /* matrix interface (else vector: one column) */
    int lower;      /* only the lower triangle (symmetric partials); the rest of acc is 0 */
};

/* One buffer as a column-major array of rows × cols elements of es bytes. */
struct layout {
    const char *ptr;
    size_t rows, cols, ld, es;
};

static struct layout layout_of(void *buffer, int matrix)
{
    if (!matrix) {
        size_t n = STARPU_VECTOR_GET_NX(buffer);
        return (struct layout){(const char *)STARPU_VECTOR_GET_PTR(buffer), n, 1, n,
                               STARPU_VECTOR_GET_ELEMSIZE(buffer)};
    }
    return (struct layout){(const char *)STARPU_MATRIX_GET_PTR(buffer), STARPU_MATRIX_GET_NX(buffer),
                           STARPU_MATRIX_GET_NY(buffer), STARPU_MATRIX_GET_LD(buffer),
                           STARPU_MATRIX_GET_ELEMSIZE(buffer)};
}

static double element(const struct layout *p, size_t r, size_t c)
{
    size_t k = r + c * p->ld;
    return p->es == sizeof(double) ? ((const double *)p->ptr)[k] : ((const float *)p->ptr)[k];
}

/* Buffers: p_0 .. p_{n-1} (R), acc (W or RW, double, the parts' shape). Part
 * by part, so each element adds its terms in the parts' order. */
static void partial_sum_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct sum_args *a = cl_arg;
    int nparts = STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - 1;
    struct layout out = layout_of(buffers[nparts], a->matrix);
    double *acc = (double *)out.ptr;
    for (size_t c = 0; c < out.cols; c++)
        for (size_t r = 0; r < out.rows; r++)
            if (!a->accumulate || (a->lower && r < c))
                acc[r + c * out.ld] = 0.0;
    for (int i = 0; i < nparts; i++) {
        struct layout p = layout_of(buffers[i], a->matrix);
        for (size_t c = 0; c < out.cols; c++)
            for (size_t r = a->lower ? c : 0; r < out.rows; r++)
                acc[r + c * out.ld] += element(&p, r, c);
    }
}

/* Priced rather than measured: about 1 ns per element read (a streaming add in
 * double on one core) plus 1 µs. Its shapes change with the rank count and the
 * row blocks per rank, which a history-based model would need calibrated one
 * by one before a simulated cluster could run them. */
static double partial_sum_cost(struct starpu_task *task, unsigned nimpl)
{
    (void)nimpl;
    double elements = 0;
    for (unsigned i = 0; i < STARPU_TASK_GET_NBUFFERS(task); i++)
        elements += starpu_data_get_size(STARPU_TASK_GET_HANDLE(task, i)) / sizeof(float);
    return 1.0 + 1e-3 * elements;
}

static struct starpu_perfmodel partial_sum_model = {
    .type = STARPU_COMMON, .cost_function = partial_sum_cost, .symbol = "sbk_partial_sum"};
static struct starpu_codelet cl_partial_sum = {.name = "partial_sum",
                                               .cpu_funcs = {partial_sum_cpu},
                                               .cpu_funcs_name = {"partial_sum_cpu"},
                                               .nbuffers = STARPU_VARIABLE_NBUFFERS,
                                               .model = &partial_sum_model};

static int insert_partial_sum(starpu_data_handle_t *parts, int n, starpu_data_handle_t acc, int accumulate,
                              int lower, int priority)
{
    struct sum_args *a = malloc(sizeof *a);
    if (!a)
        return SBK_ENOMEM;
    *a = (struct sum_args){accumulate, starpu_data_get_interface_id(acc) == STARPU_MATRIX_INTERFACE_ID, lower};
    const enum starpu_data_access_mode mode = accumulate ? STARPU_RW : STARPU_W;
    return sbk_insert_gather(&cl_partial_sum, a, sizeof *a, parts, n, &acc, &mode, 1, priority);
}

/* A double accumulator of part's shape (vector or matrix), owned by owner. */
static int register_accumulator(starpu_data_handle_t *acc, starpu_data_handle_t part, int owner)
{
    enum starpu_data_interface_id id = starpu_data_get_interface_id(part);
    if (id == STARPU_MATRIX_INTERFACE_ID) {
        uint32_t nx = starpu_matrix_get_nx(part);
        starpu_matrix_data_register(acc, -1, 0, nx, nx, starpu_matrix_get_ny(part), sizeof(double));
    } else if (id == STARPU_VECTOR_INTERFACE_ID)
        starpu_vector_data_register(acc, -1, 0, starpu_vector_get_nx(part), sizeof(double));
    else
        return SBK_ERUNTIME;
    sbk_data_distribute(*acc, owner);
    return SBK_SUCCESS;
}

/* The accumulators of one reduction, unregistered once their tasks ran. */
struct accumulators {
    starpu_data_handle_t *made;
    int n;
};

/* sorted[first[r] .. first[r+1]) = rank r's parts, in the parts' order;
 * first has nranks + 1 entries. SBK_ENOMEM or 0. */
static int group_by_owner(starpu_data_handle_t *parts, int n, int nranks, starpu_data_handle_t *sorted, int *first)
{
    int *fill = calloc(nranks, sizeof *fill);
    if (!fill)
        return SBK_ENOMEM;
    for (int i = 0; i < n; i++)
        first[starpu_mpi_data_get_rank(parts[i]) + 1]++;
    for (int r = 0; r < nranks; r++)
        first[r + 1] += first[r];
    for (int i = 0; i < n; i++) {
        int r = starpu_mpi_data_get_rank(parts[i]);
        sorted[first[r] + fill[r]++] = parts[i];
    }
    free(fill);
    return SBK_SUCCESS;
}

/* parts[0..n) summed into one double handle *total: each rank adds its own
 * parts in their order, then at level l of the tree rank r (r % 2^(l+1) == 0)
 * adds rank r + 2^l's sum to its own (one message). A rank without parts
 * passes its partner's sum up unchanged, so *total ends on the lowest rank
 * holding parts. */
static int combine_over_ranks(starpu_data_handle_t *parts, int n, int lower, int priority, struct accumulators *accs,
                              starpu_data_handle_t *total)
{
    int nranks = sbk_nranks();
    int *first = calloc(nranks + 1, sizeof *first);
    starpu_data_handle_t *sorted = malloc(n * sizeof *sorted), *acc = calloc(nranks, sizeof *acc);
    int ret = first && sorted && acc ? group_by_owner(parts, n, nranks, sorted, first) : SBK_ENOMEM;
    for (int r = 0; r < nranks && ret == SBK_SUCCESS; r++) {
        if (first[r + 1] == first[r])
            continue;
        ret = register_accumulator(&acc[r], parts[0], r);
        if (ret == SBK_SUCCESS)
            accs->made[accs->n++] = acc[r];
        if (ret == SBK_SUCCESS)
            ret = insert_partial_sum(sorted + first[r], first[r + 1] - first[r], acc[r], 0, lower, priority);
    }
    for (int step = 1; step < nranks && ret == SBK_SUCCESS; step *= 2)
        for (int r = 0; r + step < nranks && ret == SBK_SUCCESS; r += 2 * step) {
            if (!acc[r + step])
                continue;
            if (acc[r])
                ret = insert_partial_sum(&acc[r + step], 1, acc[r], 1, lower, priority);
            else
                acc[r] = acc[r + step];
            acc[r + step] = NULL;
        }
    *total = acc ? acc[0] : NULL;
    free(first), free(sorted), free(acc);
    return ret;
}
#endif

int sbk_insert_reduce(struct starpu_codelet *cl, void *args, size_t args_size, const struct sbk_partials *p,
                      const starpu_data_handle_t *tail, const enum starpu_data_access_mode *modes, int ntail,
                      int priority)
{
#ifdef SBK_HAVE_MPI
    if (sbk_mpi_active() && sbk_nranks() > 1 && p->nparts > 0) {
        int per_group = p->nparts / p->groups, ret = SBK_SUCCESS;
        starpu_data_handle_t *totals = malloc(p->groups * sizeof *totals);
        struct accumulators accs = {malloc(p->groups * sbk_nranks() * sizeof *accs.made), 0};
        if (!totals || !accs.made)
            ret = SBK_ENOMEM;
        for (int g = 0; g < p->groups && ret == SBK_SUCCESS; g++)
            ret = combine_over_ranks(p->parts + (size_t)g * per_group, per_group, p->lower, priority, &accs,
                                     &totals[g]);
        if (ret == SBK_SUCCESS)
            ret = sbk_insert_gather(cl, args, args_size, totals, p->groups, tail, modes, ntail, priority);
        else
            free(args);
        for (int k = 0; k < accs.n; k++)
            starpu_data_unregister_submit(accs.made[k]);
        free(totals), free(accs.made);
        return ret;
    }
#endif
    return sbk_insert_gather(cl, args, args_size, p->parts, p->nparts, tail, modes, ntail, priority);
}
