/* Monte-Carlo pi: the samples are cut into contiguous ranges, one task each,
 * all adding into one counter through a StarPU reduction. Under MPI each rank
 * counts its own share of the samples and the counts are summed: sample i's
 * draw depends on i and the seed only, so the count is the same on any number
 * of ranks, tasks or workers. */
#include "internal.h"

int sbk_mcpi(uint64_t samples, uint64_t seed, int tasks, uint64_t *inside)
{
    if (!sbk_is_initialized())
        return SBK_ENOINIT;
    if (samples == 0 || tasks < 0 || !inside)
        return SBK_EINVAL;
    uint64_t ranks = (uint64_t)sbk_nranks(), r = (uint64_t)sbk_rank(), extra_r = samples % ranks;
    uint64_t lo = samples / ranks * r + (r < extra_r ? r : extra_r), mine = samples / ranks + (r < extra_r);
    if (tasks == 0) /* enough tasks to balance every worker, a few per worker */
        tasks = 4 * (int)starpu_worker_get_count();
    if ((uint64_t)tasks > mine)
        tasks = (int)mine;
    *inside = 0;
    starpu_data_handle_t counter;
    starpu_variable_data_register(&counter, STARPU_MAIN_RAM, (uintptr_t)inside, sizeof *inside);
    sbk_mcpi_set_reduction(counter);
    int ret = SBK_SUCCESS;
    uint64_t base = tasks ? mine / (uint64_t)tasks : 0, extra = tasks ? mine % (uint64_t)tasks : 0;
    for (uint64_t t = 0; t < (uint64_t)tasks && ret == SBK_SUCCESS; t++) {
        uint64_t first = lo + base * t + (t < extra ? t : extra);
        ret = sbk_insert_mcpi(first, base + (t < extra), seed, counter);
    }
    starpu_data_unregister(counter);
    if (ret == SBK_SUCCESS && sbk_cancelled())
        ret = SBK_ECANCELED;
    /* Every rank reaches the sum, even after a failed submission: none waits forever. */
    *inside = sbk_mpi_sum_u64(*inside);
    return ret;
}
