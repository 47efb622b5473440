/* Inserts a task reading many partial results followed by a few other
 * buffers: the shape every starbak reduce task has (the reductions across
 * MPI ranks build on it: codelets/linalg/reduce.c). */
#include <stdlib.h>
#include "runtime/runtime.h"

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

