/* The drivers' plots, as self-contained SVG files. */
#ifndef STARBAK_PLOT_H
#define STARBAK_PLOT_H

#include <stddef.h>
#include <starbak/starbak.h>

struct plot_series {
    const char *name;
    const double *y; /* y[0 .. n-1] plotted at x = 1 .. n */
    int n;
};

/* Each writes its plot to path atomically (sbk_file_write_atomic): 0 or an
 * SBK_E* code with the reason in err. */

/* Convergence: one line per series, log-scale y. */
int plot_convergence_svg(const char *path, const char *title, const char *ylabel, const struct plot_series *s,
                         int nseries, char *err, size_t errlen);
/* y against x (n values of prec each) on one scale, with the diagonal y = x. */
int plot_scatter_svg(const char *path, const char *title, sbk_precision prec, const void *x, const void *y, long n,
                     char *err, size_t errlen);

#endif
