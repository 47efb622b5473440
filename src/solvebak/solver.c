/* What SolveBak's two method families share (batches.c, gram.c): messages,
 * the residual, the input checks on the set-up's sums, the report and the
 * progress callback. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "internal/solvebak.h"

void sbk_solver_say(struct solver *s, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    if (s->r)
        vsnprintf(s->r->message, sizeof s->r->message, fmt, args);
    va_end(args);
}

int sbk_solver_create_e(struct solver *s)
{
    return sbk_matrix_create_dist(&s->e, s->X->prec, NULL, s->obs, 1, s->obs, s->X->mb, s->y->nb, s->X->dist);
}

double sbk_solver_fetch(starpu_data_handle_t h)
{
    double v = NAN;
    sbk_data_read(h, &v, sizeof v);
    return v;
}

int sbk_solver_reject_nonfinite(struct solver *s, int x_bad, double yy)
{
    long row = 0, col = 0;
    if (sbk_cancelled()) /* the set-up's tasks skipped their work */
        return SBK_ECANCELED;
    if (x_bad && sbk_matrix_find_nonfinite(s->X, &row, &col)) {
        sbk_solver_say(s, "X holds a NaN or Inf at row %ld, column %ld", row, col);
        return SBK_EINVAL;
    }
    if (!isfinite(yy) && sbk_matrix_find_nonfinite(s->y, &row, &col)) {
        sbk_solver_say(s, "y holds a NaN or Inf at row %ld", row);
        return SBK_EINVAL;
    }
    if (x_bad || !isfinite(yy)) {
        sbk_solver_say(s, "%s holds values so large that their squares overflow", x_bad ? "X" : "y");
        return SBK_EINVAL;
    }
    return SBK_SUCCESS;
}

void sbk_solver_add_skipped(struct solver *s, int column)
{
    if (!s->r)
        return;
    int *grown = realloc(s->r->skipped, (s->r->nskipped + 1) * sizeof *grown);
    if (grown)
        s->r->skipped = grown, s->r->skipped[s->r->nskipped++] = column;
}

int sbk_solver_start(struct solver *s, double t0, double *t1)
{
    int ret = s->o.use_initial_guess ? SBK_SUCCESS : sbk_scale(0.0, s->a);
    *t1 = starpu_timing_now() * 1e-6;
    if (s->r)
        s->r->seconds_setup = *t1 - t0;
    return ret;
}

int sbk_solver_record(struct solver *s, int t, double ee, double yy, double t0)
{
    if (sbk_cancelled())
        return 1;
    double rel = yy > 0 ? sqrt(ee / yy) : 0.0;
    if (s->r) {
        s->r->rel_residual[t] = rel;
        s->r->iterations = t + 1;
    }
    if (s->o.progress)
        s->o.progress(t + 1, rel, starpu_timing_now() * 1e-6 - t0, s->o.user);
    return s->o.tolerance > 0 && rel <= s->o.tolerance;
}

int sbk_solver_residual(struct solver *s)
{
    int ret = sbk_add(1.0, s->y, 0.0, s->y, s->e);
    if (ret == SBK_SUCCESS)
        ret = sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, -1.0, s->X, s->a, 1.0, s->e);
    return ret;
}
