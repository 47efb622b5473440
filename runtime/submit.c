/* The one place starbak submits tasks: starpu_task_insert in one process,
 * starpu_mpi_task_insert under MPI (the task runs on the rank owning the data
 * it writes; StarPU-MPI sends it what it reads, every rank making the call). */
#include <stdlib.h>
#include "runtime/runtime.h"
#ifdef SBK_HAVE_MPI
#include <starpu_mpi.h>

/* The rank that runs the task: the owner of its written data, which starbak
 * keeps on one rank per task (StarPU-MPI would otherwise pick one and move the
 * rest back, and nobody could tell which rank must free the arguments). */
static int executing_rank(const struct starpu_data_descr *descr, int n)
{
    int rank = -1;
    for (int i = 0; i < n; i++) {
        if (!(descr[i].mode & (STARPU_W | STARPU_REDUX)))
            continue;
        int owner = starpu_mpi_data_get_rank(descr[i].handle);
        if (rank >= 0 && owner != rank)
            return -2;
        rank = owner;
    }
    return rank;
}
#endif

int sbk_submit(struct starpu_codelet *cl, const struct starpu_data_descr *descr, int n, void *args,
               size_t args_size, double flops, int priority)
{
    struct starpu_data_descr *d = (struct starpu_data_descr *)descr;
    if (sbk_cancelled()) {
        free(args);
        return SBK_ECANCELED;
    }
#ifdef SBK_HAVE_MPI
    if (sbk_mpi_active()) {
        int runs_on = executing_rank(descr, n);
        if (runs_on == -2) {
            fprintf(stderr, "starbak: internal error: task %s writes data owned by different ranks\n", cl->name);
            free(args);
            return SBK_ERUNTIME;
        }
        int ret = starpu_mpi_task_insert(MPI_COMM_WORLD, cl, STARPU_DATA_MODE_ARRAY, d, n, STARPU_CL_ARGS, args,
                                         args_size, STARPU_FLOPS, flops, STARPU_PRIORITY, priority, 0);
        /* StarPU-MPI builds no task on the other ranks, so nothing frees the arguments there. */
        if (runs_on != sbk_rank())
            free(args);
        return sbk_insert_status(ret);
    }
#endif
    return sbk_insert_status(starpu_task_insert(cl, STARPU_DATA_MODE_ARRAY, d, n, STARPU_CL_ARGS, args, args_size,
                                                STARPU_FLOPS, flops, STARPU_PRIORITY, priority, 0));
}

int sbk_insert_copy(starpu_data_handle_t src, starpu_data_handle_t dst)
{
    if (sbk_cancelled())
        return SBK_ECANCELED;
#ifdef SBK_HAVE_MPI
    if (sbk_mpi_active()) {
        /* A send/receive pair between the two owners (StarPU-MPI's copy, which
         * also makes the other ranks drop any copy of dst they kept); on one
         * owner, StarPU's copy task there and nothing elsewhere. */
        int owner = starpu_mpi_data_get_rank(src);
        if (owner != starpu_mpi_data_get_rank(dst))
            return sbk_insert_status(starpu_mpi_data_cpy(dst, src, MPI_COMM_WORLD, 1, NULL, NULL));
        int ret = owner == sbk_rank() ? starpu_data_cpy(dst, src, 1, NULL, NULL) : 0;
        starpu_mpi_cache_flush(MPI_COMM_WORLD, dst);
        return sbk_insert_status(ret);
    }
#endif
    return sbk_insert_status(starpu_data_cpy(dst, src, 1, NULL, NULL));
}
