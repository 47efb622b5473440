/* The reductions across StarPU-MPI ranks (doc/mpi.md, "Reductions across
 * ranks"): a reduction's partials are summed in a fixed order so that every
 * scheduler gives the same bits; with several ranks each rank first sums its
 * own (partial_sum, tile_sum.c) and the ranks' sums then meet along a binary
 * tree of fixed shape, so that a reduction costs one message per rank instead
 * of one per partial. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#ifdef SBK_HAVE_MPI
#include <starpu_mpi.h>

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

/* Allocates a rank's own sum in main memory now, while its partials' tasks
 * run: summed on a GPU, it leaves through a host buffer, and one first
 * allocated then (pinned memory on a machine with GPUs: milliseconds for
 * megabytes, cudaHostAlloc) would hold up the reduction. Only for sums a GPU
 * may run: a CPU core's sum is in main memory already, and a small buffer
 * costs little (StarPU cuts it from a pinned chunk it holds). The sums a rank
 * receives are left to StarPU-MPI: allocating them all ahead as well made the
 * ranks that receive several slower, not faster. */
static void release_in_ram(void *h)
{
    starpu_data_release_on_node(h, STARPU_MAIN_RAM);
}

static void allocate_in_ram(starpu_data_handle_t h)
{
    if (starpu_data_get_size(h) >= SBK_GPU_SUM_MIN_BYTES)
        starpu_data_acquire_on_node_cb(h, STARPU_MAIN_RAM, STARPU_W, release_in_ram, h);
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
        if (ret == SBK_SUCCESS && r == sbk_rank())
            allocate_in_ram(acc[r]);
        if (ret == SBK_SUCCESS)
            ret = sbk_insert_partial_sum(sorted + first[r], first[r + 1] - first[r], acc[r], 0, lower, priority);
    }
    for (int step = 1; step < nranks && ret == SBK_SUCCESS; step *= 2)
        for (int r = 0; r + step < nranks && ret == SBK_SUCCESS; r += 2 * step) {
            if (!acc[r + step])
                continue;
            if (acc[r])
                ret = sbk_insert_partial_sum(&acc[r + step], 1, acc[r], 1, lower, priority);
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
