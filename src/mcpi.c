/* Monte-Carlo pi: the samples are cut into contiguous ranges, one task each,
 * all adding into one counter through a StarPU reduction. */
#include "internal.h"

int sbk_mcpi(uint64_t samples, uint64_t seed, int tasks, uint64_t *inside)
{
    if (!sbk_is_initialized())
        return SBK_ENOINIT;
    if (samples == 0 || tasks < 0 || !inside)
        return SBK_EINVAL;
    if (tasks == 0) /* enough tasks to balance every worker, a few per worker */
        tasks = 4 * (int)starpu_worker_get_count();
    if ((uint64_t)tasks > samples)
        tasks = (int)samples;
    *inside = 0;
    starpu_data_handle_t counter;
    starpu_variable_data_register(&counter, STARPU_MAIN_RAM, (uintptr_t)inside, sizeof *inside);
    sbk_mcpi_set_reduction(counter);
    int ret = SBK_SUCCESS;
    uint64_t base = samples / (uint64_t)tasks, extra = samples % (uint64_t)tasks;
    for (uint64_t t = 0; t < (uint64_t)tasks && ret == SBK_SUCCESS; t++) {
        uint64_t first = base * t + (t < extra ? t : extra);
        ret = sbk_insert_mcpi(first, base + (t < extra), seed, counter);
    }
    starpu_data_unregister(counter);
    return ret == SBK_SUCCESS && sbk_cancelled() ? SBK_ECANCELED : ret;
}
