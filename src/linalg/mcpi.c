/* Monte-Carlo pi: the samples are cut into contiguous ranges, one task each,
 * all adding into one counter through a StarPU reduction. Under MPI each rank
 * counts its own share of the samples and the counts are summed: sample i's
 * draw depends on i and the seed only, so the count is the same on any number
 * of ranks, tasks or workers. */
#include "codelets/codelets.h"

/* Part k of [0, total) cut into `parts` contiguous ranges, the first ones one longer. */
static void split(uint64_t total, uint64_t parts, uint64_t k, uint64_t *first, uint64_t *count)
{
    uint64_t base = total / parts, extra = total % parts;
    *first = base * k + (k < extra ? k : extra);
    *count = base + (k < extra);
}

int sbk_mcpi(uint64_t samples, uint64_t seed, int tasks, uint64_t *inside)
{
    if (!sbk_is_initialized())
        return SBK_ENOINIT;
    if (samples == 0 || tasks < 0 || !inside)
        return SBK_EINVAL;
    uint64_t lo, mine; /* this rank's samples */
    split(samples, (uint64_t)sbk_nranks(), (uint64_t)sbk_rank(), &lo, &mine);
    if (tasks == 0) /* enough tasks to balance every worker */
        tasks = SBK_TASKS_PER_WORKER * (int)starpu_worker_get_count();
    if ((uint64_t)tasks > mine)
        tasks = (int)mine;
    *inside = 0;
    starpu_data_handle_t counter;
    starpu_variable_data_register(&counter, STARPU_MAIN_RAM, (uintptr_t)inside, sizeof *inside);
    sbk_mcpi_set_reduction(counter);
    int ret = SBK_SUCCESS;
    for (uint64_t t = 0; t < (uint64_t)tasks && ret == SBK_SUCCESS; t++) {
        uint64_t first, count;
        split(mine, (uint64_t)tasks, t, &first, &count);
        ret = sbk_insert_mcpi(lo + first, count, seed, counter);
    }
    starpu_data_unregister(counter);
    if (ret == SBK_SUCCESS && sbk_cancelled())
        ret = SBK_ECANCELED;
    /* Every rank reaches the sum, even after a failed submission: none waits forever. */
    *inside = sbk_mpi_sum_u64(*inside);
    return ret;
}
