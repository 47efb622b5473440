/* Internal: the kmeans partition of the ANN inner layer (src/ann_partition.c). */
#ifndef STARBAK_ANN_PARTITION_H
#define STARBAK_ANN_PARTITION_H

#include "codelets/codelets.h"

/* Each neuron's rows: members[starts[k] .. starts[k + 1]) for neuron k (none
 * for a merged cluster's), registered for the inner-layer tasks to read. */
struct sbk_ann_parts {
    int neurons, min_rows;
    int64_t *members, *starts;
    starpu_data_handle_t members_h, starts_h;
};

/* Clusters X's standardised rows into o->neurons clusters by sbk_kmeans and
 * merges those of fewer than min_rows rows into their nearest; fills the
 * report's cluster sizes, merged list and clustering time. */
int sbk_ann_make_partition(const sbk_matrix *X, const sbk_ann_opts *o, int min_rows, struct sbk_ann_parts *p,
                      sbk_ann_report *r);
/* Inserts the inner-layer task of neurons first .. first + count - 1 into W. */
int sbk_ann_partition_insert(const struct sbk_ann_parts *p, const sbk_matrix *X, const sbk_matrix *yw, int bias,
                             int first, int count, starpu_data_handle_t W, starpu_data_handle_t draws_used);
void sbk_ann_partition_free(struct sbk_ann_parts *p);

#endif
