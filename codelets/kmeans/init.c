/* k-means++ seeding on one row tile (the codelets around kmeans_kernels.h's
 * seeding kernels), CPU only: a pass over X per centroid chosen, which is
 * light next to the iterations' GEMMs.
 *   potentials: the inertia each candidate centroid would leave on the tile;
 *   update:     the rows' distances to the nearest chosen centroid, and their sum. */
#include <stdlib.h>
#include "codelets/codelet_def.h"
#include "../kernels/common/kmeans_kernels.h"

/* Buffers: X tile (R), closest (R, rows doubles), candidates (R, ncand × vars
 * doubles), potentials (W, ncand doubles). */
static void kmeans_pp_potentials_cpu(void *buffers[], void *cl_arg)
{
    (void)cl_arg;
    if (sbk_kernel_skipped())
        return;
    void *X = buffers[0], *cand = buffers[2];
    sbk_kmeans_pp_potentials_cpu(STARPU_MATRIX_GET_ELEMSIZE(X) == sizeof(double), STARPU_MATRIX_GET_NX(X),
                                 STARPU_MATRIX_GET_NY(X), (const void *)STARPU_MATRIX_GET_PTR(X),
                                 STARPU_MATRIX_GET_LD(X), (const double *)STARPU_VECTOR_GET_PTR(buffers[1]),
                                 STARPU_MATRIX_GET_NX(cand), (const double *)STARPU_MATRIX_GET_PTR(cand),
                                 STARPU_MATRIX_GET_LD(cand), (double *)STARPU_VECTOR_GET_PTR(buffers[3]));
}

/* Buffers: X tile (R), the new centroid (R, vars doubles), closest (W for the
 * first centroid, else RW), total (W, one double). cl_arg: int first. */
static void kmeans_pp_update_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    void *X = buffers[0];
    sbk_kmeans_pp_update_cpu(STARPU_MATRIX_GET_ELEMSIZE(X) == sizeof(double), STARPU_MATRIX_GET_NX(X),
                             STARPU_MATRIX_GET_NY(X), (const void *)STARPU_MATRIX_GET_PTR(X), STARPU_MATRIX_GET_LD(X),
                             (const double *)STARPU_VECTOR_GET_PTR(buffers[1]), *(const int *)cl_arg,
                             (double *)STARPU_VECTOR_GET_PTR(buffers[2]),
                             (double *)STARPU_VARIABLE_GET_PTR(buffers[3]));
}

SBK_CPU_CODELET(cl_kmeans_pp_potentials, "kmeans_pp_potentials", "sbk_kmeans_pp_potentials", NULL,
                kmeans_pp_potentials_cpu, .nbuffers = 4, .modes = {STARPU_R, STARPU_R, STARPU_R, STARPU_W});
SBK_CPU_CODELET(cl_kmeans_pp_update, "kmeans_pp_update", "sbk_kmeans_pp_update", NULL, kmeans_pp_update_cpu,
                .nbuffers = STARPU_VARIABLE_NBUFFERS); /* closest is W or RW */

int sbk_insert_kmeans_pp_potentials(starpu_data_handle_t X, starpu_data_handle_t closest,
                                    starpu_data_handle_t candidates, starpu_data_handle_t potentials)
{
    const struct starpu_data_descr descr[] = {
        {X, STARPU_R}, {closest, STARPU_R}, {candidates, STARPU_R}, {potentials, STARPU_W}};
    double flops = 3.0 * starpu_matrix_get_nx(X) * starpu_matrix_get_ny(X) * starpu_matrix_get_nx(candidates);
    return sbk_submit(&cl_kmeans_pp_potentials, descr, 4, NULL, 0, flops, 0);
}

int sbk_insert_kmeans_pp_update(starpu_data_handle_t X, starpu_data_handle_t centroid, int first,
                                starpu_data_handle_t closest, starpu_data_handle_t total)
{
    int *args = malloc(sizeof *args);
    if (!args)
        return SBK_ENOMEM;
    *args = first;
    const struct starpu_data_descr descr[] = {
        {X, STARPU_R}, {centroid, STARPU_R}, {closest, first ? STARPU_W : STARPU_RW}, {total, STARPU_W}};
    double flops = 3.0 * starpu_matrix_get_nx(X) * starpu_matrix_get_ny(X);
    return sbk_submit(&cl_kmeans_pp_update, descr, 4, args, sizeof *args, flops, 0);
}
