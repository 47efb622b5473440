/* The drivers' plots as self-contained SVG, written without any plotting library. */
#include "plot.h"
#include <math.h>
#include <starbak/starbak.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

enum { W = 640, H = 400, LEFT = 70, RIGHT = 150, TOP = 40, BOTTOM = 50 };

/* Every plot is one SVG document of width × height on white, with its title
 * at (x, y), built in memory and written atomically once complete. */
struct svg {
    FILE *f;
    char *text;
    size_t len;
};

static int svg_begin(struct svg *g, int width, int height, int x, int y, const char *title)
{
    *g = (struct svg){NULL, NULL, 0};
    g->f = open_memstream(&g->text, &g->len);
    if (!g->f)
        return SBK_ENOMEM;
    fprintf(g->f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' "
                  "font-size='12'>\n<rect width='100%%' height='100%%' fill='white'/>\n", width, height);
    fprintf(g->f, "<text x='%d' y='%d' font-size='15'>%s</text>\n", x, y, title);
    return SBK_SUCCESS;
}

static int svg_end(struct svg *g, const char *path, char *err, size_t errlen)
{
    fprintf(g->f, "</svg>\n");
    int ret = fclose(g->f) == 0 ? sbk_file_write_atomic(path, g->text, g->len, err, errlen) : SBK_ENOMEM;
    free(g->text);
    return ret;
}

static void draw(FILE *f, const struct plot_series *s, int nseries, const char *ylabel)
{
    int nmax = 1;
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < nseries; k++) {
        nmax = s[k].n > nmax ? s[k].n : nmax;
        for (int i = 0; i < s[k].n; i++)
            if (s[k].y[i] > 0 && isfinite(s[k].y[i]))
                lo = fmin(lo, log10(s[k].y[i])), hi = fmax(hi, log10(s[k].y[i]));
    }
    if (!(lo <= hi))
        lo = -1, hi = 0;
    lo = floor(lo), hi = ceil(hi) > floor(lo) ? ceil(hi) : floor(lo) + 1;
    double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
#define PX(x) (LEFT + (nmax > 1 ? ((x) - 1) / (double)(nmax - 1) : 0.5) * pw)
#define PY(v) (TOP + (hi - (v)) / (hi - lo) * ph)
    for (int d = (int)lo; d <= (int)hi; d++)
        fprintf(f, "<line x1='%d' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#ddd'/>"
                   "<text x='%d' y='%.1f' text-anchor='end'>1e%d</text>\n",
                LEFT, LEFT + pw, PY(d), PY(d), LEFT - 6, PY(d) + 4, d);
    int step = nmax > 10 ? (nmax + 9) / 10 : 1;
    for (int x = 1; x <= nmax; x += step)
        fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle'>%d</text>\n", PX(x), TOP + ph + 18, x);
    fprintf(f, "<rect x='%d' y='%d' width='%.0f' height='%.0f' fill='none' stroke='black'/>\n", LEFT, TOP, pw, ph);
    fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>iteration</text>\n", LEFT + pw / 2, H - 10);
    fprintf(f, "<text transform='translate(16 %.1f) rotate(-90)' text-anchor='middle'>%s</text>\n",
            TOP + ph / 2, ylabel);
    for (int k = 0; k < nseries; k++) {
        /* Dashes too: series that coincide (gram and per-column do) stay visible. */
        static const char *const dashes[] = {"none", "8 4", "2 3", "10 3 2 3"};
        const char *c = colours[k % (sizeof colours / sizeof colours[0])], *d = dashes[k % 4];
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' stroke-dasharray='%s' points='", c, d);
        for (int i = 0; i < s[k].n; i++)
            if (s[k].y[i] > 0 && isfinite(s[k].y[i]))
                fprintf(f, "%.1f,%.1f ", PX(i + 1), PY(log10(s[k].y[i])));
        fprintf(f, "'/>\n<line x1='%.0f' x2='%.0f' y1='%d' y2='%d' stroke='%s' stroke-width='2' "
                   "stroke-dasharray='%s'/><text x='%.0f' y='%d'>%s</text>\n",
                LEFT + pw + 12, LEFT + pw + 34, TOP + 12 + 20 * k, TOP + 12 + 20 * k, c, d, LEFT + pw + 40,
                TOP + 16 + 20 * k, s[k].name);
    }
#undef PX
#undef PY
}

int plot_convergence_svg(const char *path, const char *title, const char *ylabel, const struct plot_series *s,
                         int nseries, char *err, size_t errlen)
{
    struct svg g;
    int ret = svg_begin(&g, W, H, LEFT, 22, title);
    if (ret != SBK_SUCCESS)
        return ret;
    draw(g.f, s, nseries, ylabel);
    return svg_end(&g, path, err, errlen);
}

int plot_scatter_svg(const char *path, const char *title, sbk_precision prec, const void *x, const void *y, long n,
                     char *err, size_t errlen)
{
    double lo = INFINITY, hi = -INFINITY;
    for (long i = 0; i < n; i++) {
        double a = sbk_elem_get(prec, x, i), b = sbk_elem_get(prec, y, i);
        lo = fmin(lo, fmin(a, b)), hi = fmax(hi, fmax(a, b));
    }
    if (!(hi > lo))
        hi = lo + 1;
    const int size = 480, margin = 50;
    double span = size - 2.0 * margin;
    struct svg g;
    int ret = svg_begin(&g, size, size, margin, 25, title);
    if (ret != SBK_SUCCESS)
        return ret;
    fprintf(g.f, "<rect x='%d' y='%d' width='%.0f' height='%.0f' fill='none' stroke='black'/>\n"
                 "<line x1='%d' y1='%.0f' x2='%.0f' y2='%d' stroke='#aaa'/>\n"
                 "<text x='%.0f' y='%d' text-anchor='middle'>predicted</text>\n"
                 "<text transform='translate(15 %.0f) rotate(-90)' text-anchor='middle'>true</text>\n"
                 "<text x='%d' y='%d'>%.3g</text><text x='%.0f' y='%d' text-anchor='end'>%.3g</text>\n",
            margin, margin, span, span, margin, margin + span, margin + span, margin, margin + span / 2, size - 10,
            margin + span / 2, margin, size - margin + 15, lo, margin + span, size - margin + 15, hi);
    long step = n > 5000 ? n / 5000 : 1; /* a few thousand points show the cloud */
    for (long i = 0; i < n; i += step) {
        double a = sbk_elem_get(prec, x, i), b = sbk_elem_get(prec, y, i);
        fprintf(g.f, "<circle cx='%.1f' cy='%.1f' r='1.5' fill='#1f77b4' fill-opacity='0.5'/>\n",
                margin + (a - lo) / (hi - lo) * span, margin + (hi - b) / (hi - lo) * span);
    }
    return svg_end(&g, path, err, errlen);
}
