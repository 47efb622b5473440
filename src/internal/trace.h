/* The schedule report's pieces (src/report/): reading a trace (tasks_rec.c),
 * its statistics and bounds (trace_stats.c, trace_bound.c, trace_states.c),
 * the HTML page (trace_report.c). */
#ifndef STARBAK_TRACE_H
#define STARBAK_TRACE_H

#include <stddef.h>

/* Worker ids index the report's per-worker arrays: they must lie in [0, SBK_TRACE_MAX_WORKERS). */
#define SBK_TRACE_MAX_WORKERS 4096

struct task {
    char name[64], footprint[24];
    int worker;
    long job;
    double start, end, gflop, estimated; /* times in ms as StarPU writes them; estimated < 0: none */
    long *deps;
    double *estimates; /* µs, one per worker (starpu_tasks_rec_complete), when there */
    int ndeps, nestimates, outlier;
};

struct trace {
    const char *path, *label;
    struct task *tasks;
    int ntasks, nworkers;
    char (*worker_names)[64]; /* from workers.txt beside tasks.rec, when there */
    double t0, makespan;
    int ntypes, *worker_type; /* worker types ("CPU", "CUDA": a name's first word) */
    char (*type_names)[16];
    int *type_workers;
};

/* Reads t->path (tasks.rec) and the workers.txt beside it: the tasks, the
 * workers and their types, the time span; marks the outliers. 0 or an SBK_E*
 * code with "file: line N: ..." in err. */
int sbk_trace_load(struct trace *t, char *err, size_t errlen);
void sbk_trace_free(struct trace *t);
/* A file beside tasks.rec (workers.txt, trace.rec) in path, or NULL if the path is too long. */
char *sbk_trace_beside(const struct trace *t, const char *name, char *path, size_t len);

/* Marks tasks slower than Q3 + 1.5 IQR of their codelet. */
void sbk_trace_mark_outliers(struct trace *t);
/* The longest chain of task durations through the dependencies (ms). */
double sbk_trace_critical_path(const struct trace *t);
int sbk_trace_cmp_double(const void *a, const void *b); /* qsort's, ascending */

/* Task classes (codelet and footprint) for the area bound: how many, and the
 * time of one on each worker type: measured (mean) where some ran, else the
 * perf model's prediction, else none (the codelet cannot run there). */
struct sbk_trace_classes {
    int n, *count, *ran;        /* ran[c * ntypes + a]: tasks of c that ran on type a */
    double *time, *share;       /* ms, and the bound's split, per class and type */
    char (*name)[96];
    int *modelled;              /* time[c * ntypes + a] came from the model */
};
/* The heterogeneous area bound (ms; -1 when it cannot be computed) and the classes behind it. */
double sbk_trace_area_bound(const struct trace *t, struct sbk_trace_classes *k);
void sbk_trace_free_classes(struct sbk_trace_classes *k);

/* The area bound (ms) of nclasses task classes, count[c] tasks each, taking
 * time[c * ntypes + a] ms on a worker of type a (not finite or <= 0: cannot run
 * there), over workers[a] workers of each type. share (nclasses × ntypes, may
 * be NULL) receives how many tasks of each class the bound puts on each type.
 * Returns -1 when the linear program has no solution. */
double sbk_area_bound(const int *count, const double *time, int nclasses, const int *workers, int ntypes,
                      double *share);

/* Worker time by state category, as starpu_trace_state_stats.py groups it. */
enum { SBK_STATE_TASK, SBK_STATE_SCHEDULING, SBK_STATE_RUNTIME, SBK_STATE_IDLE, SBK_STATE_NONE, SBK_STATE_COUNT };

/* Sums, over workers 0 .. nworkers-1, the time (ms) each spent in each state
 * category within [t0, t1], from a trace.rec. */
int sbk_trace_states(const char *path, int nworkers, double t0, double t1, double times[SBK_STATE_COUNT],
                     char *err, size_t errlen);

#endif
