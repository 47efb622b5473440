/* The area bound of a heterogeneous run, as StarPU's own bound (src/profiling/
 * bound.c) and StarVZ's ABE define it: tasks are grouped into classes (codelet
 * and footprint), each class may run on any worker type that has a time for
 * it, and a linear program spreads the classes over the types so that the
 * busiest type finishes first:
 *     minimise T  subject to  sum_a n[c][a] = N[c]            for every class c
 *                             sum_c n[c][a] t[c][a] <= W[a] T for every type a
 * with n >= 0 continuous. Dependencies are ignored (the critical path covers
 * those), so no schedule can beat T. Solved by GLPK's simplex. */
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include "internal/trace.h"

static int runs_on(double t)
{
    return isfinite(t) && t > 0;
}

double sbk_area_bound(const int *count, const double *time, int nclasses, const int *workers, int ntypes,
                      double *share)
{
    glp_prob *lp = glp_create_prob();
    int ncols = 1, nonzeros = 0;
    for (int k = 0; k < nclasses * ntypes; k++)
        ncols += runs_on(time[k]) && workers[k % ntypes] > 0;
    int cap = 2 * ncols + ntypes + 1; /* each n[c][a] sits in two rows, T in every type row */
    int *ia = malloc(cap * sizeof *ia), *ja = malloc(cap * sizeof *ja), *col = malloc(nclasses * ntypes * sizeof *col);
    double *ar = malloc(cap * sizeof *ar), bound = -1;
    if (!ia || !ja || !ar || !col)
        goto out;
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_rows(lp, nclasses + ntypes);
    glp_add_cols(lp, ncols);
    const int T = ncols; /* the last column */
    glp_set_col_bnds(lp, T, GLP_LO, 0, 0);
    glp_set_obj_coef(lp, T, 1);
    for (int a = 0; a < ntypes; a++) {
        glp_set_row_bnds(lp, nclasses + a + 1, GLP_UP, 0, 0);
        nonzeros++, ia[nonzeros] = nclasses + a + 1, ja[nonzeros] = T, ar[nonzeros] = -workers[a];
    }
    for (int c = 0, j = 0; c < nclasses; c++) {
        glp_set_row_bnds(lp, c + 1, GLP_FX, count[c], count[c]);
        for (int a = 0; a < ntypes; a++) {
            double t = time[c * ntypes + a];
            col[c * ntypes + a] = 0;
            if (!runs_on(t) || workers[a] <= 0)
                continue;
            col[c * ntypes + a] = ++j;
            glp_set_col_bnds(lp, j, GLP_LO, 0, 0);
            nonzeros++, ia[nonzeros] = c + 1, ja[nonzeros] = j, ar[nonzeros] = 1;
            nonzeros++, ia[nonzeros] = nclasses + a + 1, ja[nonzeros] = j, ar[nonzeros] = t;
        }
    }
    glp_load_matrix(lp, nonzeros, ia, ja, ar);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_ON;
    if (glp_simplex(lp, &parm) != 0 || glp_get_status(lp) != GLP_OPT)
        goto out;
    bound = glp_get_obj_val(lp);
    for (int k = 0; share && k < nclasses * ntypes; k++)
        share[k] = col[k] ? glp_get_col_prim(lp, col[k]) : 0;
out:
    glp_delete_prob(lp);
    free(ia), free(ja), free(ar), free(col);
    return bound;
}
