/* The schedule's statistics: outliers per codelet, the critical path through
 * the dependencies, and the task classes behind the area bound (trace_bound.c
 * solves its linear program). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal/trace.h"

int sbk_trace_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const struct task *const *)a)->name, (*(const struct task *const *)b)->name);
}

/* One sort by name, then one per codelet: 1e5 tasks take milliseconds. */
void sbk_trace_mark_outliers(struct trace *t)
{
    struct task **by_name = malloc(t->ntasks * sizeof *by_name);
    double *d = malloc(t->ntasks * sizeof *d);
    for (int i = 0; by_name && d && i < t->ntasks; i++)
        by_name[i] = &t->tasks[i];
    if (by_name && d)
        qsort(by_name, t->ntasks, sizeof *by_name, cmp_name);
    for (int lo = 0, hi; by_name && d && lo < t->ntasks; lo = hi) {
        for (hi = lo; hi < t->ntasks && !strcmp(by_name[hi]->name, by_name[lo]->name); hi++)
            d[hi - lo] = by_name[hi]->end - by_name[hi]->start;
        int n = hi - lo;
        if (n < 8)
            continue;
        qsort(d, n, sizeof *d, sbk_trace_cmp_double);
        double q1 = d[n / 4], q3 = d[3 * n / 4];
        for (int i = lo; i < hi; i++)
            by_name[i]->outlier = by_name[i]->end - by_name[i]->start > q3 + 1.5 * (q3 - q1);
    }
    free(by_name), free(d);
}

static int cmp_job(const void *a, const void *b)
{
    long x = (*(const struct task *const *)a)->job, y = (*(const struct task *const *)b)->job;
    return (x > y) - (x < y);
}

/* Where job `job` stands in by_job (sorted by JobId), or -1. */
static int find_job(struct task *const *by_job, int n, long job)
{
    for (int lo = 0, hi = n - 1; lo <= hi;) {
        int mid = lo + (hi - lo) / 2;
        if (by_job[mid]->job == job)
            return mid;
        if (by_job[mid]->job < job)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Longest chain of durations through DependsOn (JobIds grow with submission,
 * so dependencies point to earlier jobs: one pass in JobId order). Memory
 * follows the task count, not the JobIds, which may be as large as they like. */
double sbk_trace_critical_path(const struct trace *t)
{
    struct task **by_job = malloc(t->ntasks * sizeof *by_job);
    double *finish = calloc(t->ntasks, sizeof *finish), best = 0;
    if (!by_job || !finish) {
        free(by_job), free(finish);
        return 0;
    }
    for (int i = 0; i < t->ntasks; i++)
        by_job[i] = &t->tasks[i];
    qsort(by_job, t->ntasks, sizeof *by_job, cmp_job);
    for (int k = 0; k < t->ntasks; k++) {
        const struct task *x = by_job[k];
        double ready = 0;
        for (int d = 0; d < x->ndeps; d++) {
            int at = find_job(by_job, t->ntasks, x->deps[d]);
            if (at >= 0 && at < k)
                ready = fmax(ready, finish[at]);
        }
        finish[k] = ready + (x->end - x->start);
        best = fmax(best, finish[k]);
    }
    free(by_job), free(finish);
    return best;
}

void sbk_trace_free_classes(struct sbk_trace_classes *k)
{
    free(k->count), free(k->ran), free(k->time), free(k->share), free(k->name), free(k->modelled);
}

static int class_of(const struct trace *t, const int *first, int n, const struct task *x)
{
    for (int c = 0; c < n; c++)
        if (!strcmp(t->tasks[first[c]].name, x->name) && !strcmp(t->tasks[first[c]].footprint, x->footprint))
            return c;
    return -1;
}

double sbk_trace_area_bound(const struct trace *t, struct sbk_trace_classes *k)
{
    int A = t->ntypes, *first = malloc(t->ntasks * sizeof *first), *of = malloc(t->ntasks * sizeof *of);
    *k = (struct sbk_trace_classes){0};
    if (!first || !of)
        goto fail;
    for (int i = 0; i < t->ntasks; i++) {
        int c = class_of(t, first, k->n, &t->tasks[i]);
        if (c < 0)
            first[c = k->n++] = i;
        of[i] = c;
    }
    k->count = calloc(k->n, sizeof *k->count), k->ran = calloc(k->n * A, sizeof *k->ran);
    k->time = calloc(k->n * A, sizeof *k->time), k->share = calloc(k->n * A, sizeof *k->share);
    k->name = calloc(k->n, sizeof *k->name), k->modelled = calloc(k->n * A, sizeof *k->modelled);
    double *predicted = calloc(k->n * A, sizeof *predicted);
    int *npredicted = calloc(k->n * A, sizeof *npredicted);
    if (!k->count || !k->ran || !k->time || !k->share || !k->name || !k->modelled || !predicted || !npredicted) {
        free(predicted), free(npredicted);
        goto fail;
    }
    for (int i = 0; i < t->ntasks; i++) {
        const struct task *x = &t->tasks[i];
        int c = of[i], ca = c * A + t->worker_type[x->worker];
        snprintf(k->name[c], sizeof k->name[c], "%s %s", x->name, x->footprint);
        k->count[c]++, k->ran[ca]++, k->time[ca] += x->end - x->start;
        for (int a = 0; a < A; a++) /* a prediction for type a: the first worker of that type */
            for (int w = 0; w < t->nworkers && w < x->nestimates; w++)
                if (t->worker_type[w] == a) {
                    if (isfinite(x->estimates[w]) && x->estimates[w] > 0)
                        predicted[c * A + a] += x->estimates[w] / 1000, npredicted[c * A + a]++;
                    break;
                }
    }
    for (int ca = 0; ca < k->n * A; ca++) {
        k->modelled[ca] = !k->ran[ca] && npredicted[ca];
        k->time[ca] = k->ran[ca] ? k->time[ca] / k->ran[ca] : npredicted[ca] ? predicted[ca] / npredicted[ca] : NAN;
    }
    free(predicted), free(npredicted), free(first), free(of);
    return sbk_area_bound(k->count, k->time, k->n, t->type_workers, A, k->share);
fail:
    free(first), free(of);
    sbk_trace_free_classes(k);
    *k = (struct sbk_trace_classes){0};
    return -1;
}
