/* Internal pieces of the schedule report (trace_report.c). */
#ifndef STARBAK_TRACE_H
#define STARBAK_TRACE_H

#include <stddef.h>

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
