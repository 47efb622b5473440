/* The schedule report library (src/report/, libsbk_report): what the
 * starbak-report tool and the drivers' --trace call. It is its own library so
 * that only they link GLPK (the area bound's linear program). */
#ifndef STARBAK_INTERNAL_REPORT_H
#define STARBAK_INTERNAL_REPORT_H

#include <stddef.h>

/* Writes a self-contained HTML schedule report (Gantt per worker, busy/idle,
 * codelet times and GFLOP/s, perf-model accuracy, makespan against the area
 * bound and the critical path, outliers) from StarPU tasks.rec files; several
 * traces are compared. labels may be NULL. Written atomically; a malformed
 * file gives SBK_EFORMAT and "file: line N: ..." in err. A workers.txt beside
 * a tasks.rec ("id<TAB>name" lines) names the lanes. */
int sbk_trace_report(const char *const *tasks_rec, const char *const *labels, int ntraces, const char *out_html,
                     char *err, size_t errlen);

#endif
