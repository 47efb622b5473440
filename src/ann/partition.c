/* The kmeans partition of the ANN inner layer (local approximation, Bakas et
 * al., arXiv 1909.13563): X's columns standardised (so that no column's units
 * decide the clusters), sbk_kmeans with one cluster per neuron, clusters too
 * small for a neuron's fit merged into their nearest; neuron k then solves
 * [X_k | 1] w_k ~ atanh(y_k) on cluster k's rows (codelets/ann_inner.c).
 * Under StarPU-MPI the standardised X stays in X's row tiles on their ranks;
 * sbk_kmeans leaves the labels on every rank, which all group the rows alike. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal/ann_partition.h"

/* Z = X with each column at mean 0 and standard deviation 1 (a constant
 * column: 0), each tile written on the rank that owns it (collective). */
static int standardise(const sbk_matrix *X, const sbk_matrix *Z)
{
    double *mean = malloc(X->n * sizeof *mean), *scale = malloc(X->n * sizeof *scale);
    int ret = mean && scale ? sbk_matrix_column_moments(X, mean, scale) : SBK_ENOMEM;
    for (int c = 0; c < X->n && ret == SBK_SUCCESS; c++)
        scale[c] = scale[c] > 0 ? 1.0 / sqrt(scale[c]) : 0.0;
    for (int i = 0; i < X->mt && ret == SBK_SUCCESS; i++) {
        starpu_data_handle_t x = sbk_tile(X, i, 0), z = sbk_tile(Z, i, 0);
        if (!sbk_data_owned(x))
            continue;
        starpu_data_acquire(x, STARPU_R), starpu_data_acquire(z, STARPU_W);
        const void *xt = (const void *)starpu_matrix_get_local_ptr(x);
        void *zt = (void *)starpu_matrix_get_local_ptr(z);
        size_t ldx = starpu_matrix_get_local_ld(x), ldz = starpu_matrix_get_local_ld(z);
        for (int c = 0; c < X->n; c++)
            for (int r = 0; r < sbk_tile_rows(X, i); r++)
                sbk_elem_set(X->prec, zt, r + c * ldz, (sbk_elem_get(X->prec, xt, r + c * ldx) - mean[c]) * scale[c]);
        starpu_data_release(z), starpu_data_release(x);
    }
    free(mean), free(scale);
    return ret;
}

/* The kept cluster whose centroid (C: k × vars, X's precision) is nearest to cluster j's. */
static int nearest_kept(const void *C, sbk_precision prec, int k, int vars, const long *count, int min_rows, int j)
{
    int best = -1;
    double least = INFINITY;
    for (int l = 0; l < k; l++) {
        if (count[l] < min_rows)
            continue;
        double d = 0.0;
        for (int v = 0; v < vars; v++)
            d += (sbk_elem_get(prec, C, j + (size_t)v * k) - sbk_elem_get(prec, C, l + (size_t)v * k)) *
                 (sbk_elem_get(prec, C, j + (size_t)v * k) - sbk_elem_get(prec, C, l + (size_t)v * k));
        if (d < least)
            least = d, best = l;
    }
    return best;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Rows per kept cluster: min, median, max into the report. */
static void note_sizes(const long *count, int k, sbk_ann_report *r)
{
    long *kept = malloc(k * sizeof *kept);
    int n = 0;
    for (int j = 0; kept && j < k; j++)
        if (count[j] > 0)
            kept[n++] = count[j];
    if (r && kept && n > 0) {
        qsort(kept, n, sizeof *kept, cmp_long);
        r->cluster_rows_min = (int)kept[0], r->cluster_rows_median = (int)kept[n / 2];
        r->cluster_rows_max = (int)kept[n - 1];
    }
    free(kept);
}

/* Clusters of fewer than min_rows rows give theirs to the nearest kept one
 * (listed in the report); then each neuron's rows in order, counting sort. */
static int group_rows(struct sbk_ann_parts *p, const void *C, sbk_precision prec, int vars, int *labels, long obs,
                      sbk_ann_report *r)
{
    int k = p->neurons, ret = SBK_SUCCESS;
    long *count = calloc(k, sizeof *count);
    int *target = malloc(k * sizeof *target);
    p->members = malloc(obs * sizeof *p->members), p->starts = calloc(k + 1, sizeof *p->starts);
    if (!count || !target || !p->members || !p->starts)
        ret = SBK_ENOMEM;
    for (long i = 0; ret == SBK_SUCCESS && i < obs; i++)
        count[labels[i]]++;
    for (int j = 0; ret == SBK_SUCCESS && j < k; j++) {
        target[j] = count[j] >= p->min_rows ? j : nearest_kept(C, prec, k, vars, count, p->min_rows, j);
        if (target[j] < 0)
            ret = SBK_REFUSE(r, SBK_EINVAL, "no k-means cluster of the %d neurons holds the %d rows a neuron's fit "
                         "needs: use fewer neurons", k, p->min_rows);
        else if (target[j] != j && r) {
            int *grown = realloc(r->merged_list, (r->merged + 1) * sizeof *grown);
            ret = grown ? SBK_SUCCESS : SBK_ENOMEM;
            if (grown)
                r->merged_list = grown, r->merged_list[r->merged++] = j;
        }
    }
    if (ret == SBK_SUCCESS) {
        memset(count, 0, k * sizeof *count);
        for (long i = 0; i < obs; i++)
            count[labels[i] = target[labels[i]]]++;
        for (int j = 0; j < k; j++)
            p->starts[j + 1] = p->starts[j] + count[j];
        memset(count, 0, k * sizeof *count);
        for (long i = 0; i < obs; i++)
            p->members[p->starts[labels[i]] + count[labels[i]]++] = i;
        note_sizes(count, k, r);
    }
    free(count), free(target);
    return ret;
}

/* sbk_kmeans on X standardised, tiled and owned as X: one cluster per
 * neuron, k-means++ from the fit's seed. */
static int cluster(const sbk_matrix *X, const sbk_ann_opts *o, void *C, int *labels, sbk_ann_report *r)
{
    sbk_matrix *dZ;
    int ret = sbk_matrix_create_dist(&dZ, X->prec, NULL, X->m, X->n, X->m, X->mb, X->n, X->dist);
    if (ret != SBK_SUCCESS)
        return ret;
    if ((ret = standardise(X, dZ)) != SBK_SUCCESS) {
        sbk_matrix_destroy(dZ);
        return SBK_REFUSE(r, ret, "the kmeans partition: standardising X");
    }
    sbk_kmeans_opts ko;
    sbk_kmeans_opts_default(&ko);
    ko.k = o->neurons, ko.seed = o->seed;
    ko.max_iterations = o->kmeans_iterations > 0 ? o->kmeans_iterations : 30;
    sbk_kmeans_report kr;
    ret = sbk_kmeans(dZ, &ko, C, labels, &kr);
    if (ret != SBK_SUCCESS)
        SBK_REFUSE(r, ret, "the kmeans partition: %s", kr.message);
    sbk_kmeans_report_free(&kr);
    sbk_matrix_destroy(dZ);
    for (long i = 0; sbk_simulated() && i < X->m; i++) /* no label is computed in simulation */
        labels[i] = (int)(i % o->neurons);
    return ret;
}

int sbk_ann_make_partition(const sbk_matrix *X, const sbk_ann_opts *o, int min_rows, struct sbk_ann_parts *p,
                      sbk_ann_report *r)
{
    double t0 = starpu_timing_now() * 1e-6;
    memset(p, 0, sizeof *p);
    p->neurons = o->neurons, p->min_rows = min_rows;
    size_t es = X->prec;
    void *C = malloc((size_t)o->neurons * X->n * es);
    int *labels = malloc((size_t)X->m * sizeof *labels);
    int ret = C && labels ? SBK_SUCCESS : SBK_ENOMEM;
    if (ret == SBK_SUCCESS)
        ret = cluster(X, o, C, labels, r);
    if (ret == SBK_SUCCESS)
        ret = group_rows(p, C, X->prec, X->n, labels, X->m, r);
    if (ret == SBK_SUCCESS) {
        starpu_vector_data_register(&p->members_h, STARPU_MAIN_RAM, (uintptr_t)p->members, X->m, sizeof(int64_t));
        starpu_vector_data_register(&p->starts_h, STARPU_MAIN_RAM, (uintptr_t)p->starts, o->neurons + 1,
                                    sizeof(int64_t));
        sbk_data_replicate(p->members_h), sbk_data_replicate(p->starts_h);
    }
    free(C), free(labels);
    if (r)
        r->seconds_clustering = starpu_timing_now() * 1e-6 - t0;
    return ret;
}

int sbk_ann_partition_insert(const struct sbk_ann_parts *p, const sbk_matrix *X, const sbk_matrix *yw, int bias,
                             int first, int count, starpu_data_handle_t W, starpu_data_handle_t draws_used)
{
    int rows = p->min_rows; /* a block of merged neurons only: all padding, each dropped */
    for (int k = first; k < first + count; k++)
        if (p->starts[k + 1] - p->starts[k] > rows)
            rows = (int)(p->starts[k + 1] - p->starts[k]);
    return sbk_insert_ann_inner_partition(X->tiles, yw->tiles, X->mt, X->mb, X->n, bias, first, count, rows,
                                          p->members_h, p->starts_h, W, draws_used);
}

void sbk_ann_partition_free(struct sbk_ann_parts *p)
{
    if (p->members_h)
        starpu_data_unregister(p->members_h), starpu_data_unregister(p->starts_h);
    free(p->members), free(p->starts);
    memset(p, 0, sizeof *p);
}
