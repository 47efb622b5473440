/* Numeric CSV: one row per line, fields separated by commas. No quoting: the
 * files starbak reads hold numbers only, except perhaps a header line. */
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "internal/io.h"

/* The whole file, NUL-terminated and refused if it holds a NUL. Read as a stream rather than by its size
 * so that pipes work too. */
static int read_text(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    FILE *f;
    int ret = sbk_io_open(path, &f, err, errlen);
    if (ret != SBK_SUCCESS)
        return ret;
    struct stat st; /* a pipe's size is only known once read */
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && !sbk_io_fits((size_t)st.st_size + 1)) {
        fclose(f);
        return sbk_io_fail(err, errlen, SBK_ENOMEM, path, "not enough memory to read it: %.2f GB, %.2f GB available",
                           st.st_size / 1e9, sbk_memory_available() / 1e9);
    }
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap), *bigger;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0)
        if ((n += got) == cap - 1) {
            bigger = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    if (!buf)
        ret = sbk_io_fail(err, errlen, SBK_ENOMEM, path, "out of memory after %zu bytes", n);
    else if (ferror(f))
        ret = sbk_io_fail(err, errlen, SBK_EIO, path, "read error: %s", strerror(errno));
    /* The parser works on C strings: a NUL would silently end a line early. */
    else if (memchr(buf, '\0', n))
        ret = sbk_io_fail(err, errlen, SBK_EFORMAT, path, "holds NUL bytes: a binary file, not CSV text");
    if (ret != SBK_SUCCESS) {
        free(buf);
    } else {
        buf[n] = '\0';
        *text = buf, *len = n;
    }
    fclose(f);
    return ret;
}

/* Cuts the next line off *cursor in place (its "\n" or "\r\n" replaced by
 * NUL); NULL at the end of the text. */
static char *next_line(char **cursor, char *end)
{
    char *line = *cursor;
    if (line >= end)
        return NULL;
    char *nl = memchr(line, '\n', (size_t)(end - line));
    char *stop = nl ? nl : end;
    *cursor = nl ? nl + 1 : end;
    if (stop > line && stop[-1] == '\r')
        stop--;
    *stop = '\0';
    return line;
}

static int is_blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

static int64_t count_fields(const char *line)
{
    int64_t n = 1;
    for (; (line = strchr(line, ',')); line++)
        n++;
    return n;
}

/* Parses the field at *p, up to the next comma or the end of the line, as one
 * whole number (strtod alone would take "1.5x" as 1.5), and moves *p past its
 * comma. On failure returns 0 with the field's text, blanks trimmed, in *text
 * and *len. */
static int next_field(const char **p, double *value, const char **text, int *len)
{
    const char *start = *p, *end = strchr(start, ',');
    if (!end)
        end = start + strlen(start);
    char *parsed;
    *value = strtod(start, &parsed);
    const char *rest = parsed;
    while (rest < end && isspace((unsigned char)*rest))
        rest++;
    *p = *end ? end + 1 : end;
    if (parsed != start && rest == end)
        return 1;
    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    *text = start, *len = (int)(end - start);
    return 0;
}

/* Parses the cols fields of line into values. Returns 0, or the 1-based
 * column of the first field that is not a number. */
static int64_t parse_row(const char *line, int64_t cols, double *values, const char **text, int *len)
{
    double v;
    for (int64_t j = 0; j < cols; j++) {
        if (!next_field(&line, &v, text, len))
            return j + 1;
        values[j] = v;
    }
    return 0;
}

/* How many of the cols fields of line are numbers. */
static int64_t numeric_fields(const char *line, int64_t cols)
{
    int64_t count = 0;
    const char *text;
    int len;
    double v;
    for (int64_t j = 0; j < cols; j++)
        count += next_field(&line, &v, &text, &len);
    return count;
}

static int not_a_number(const char *path, long line, int64_t col, const char *text, int len, char *err,
                        size_t errlen)
{
    if (len == 0)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "line %ld, column %lld: empty field", line,
                           (long long)col);
    /* A file separated by ';' or tabs shows up as one long field. */
    const char *hint = memchr(text, ';', (size_t)len) || memchr(text, '\t', (size_t)len)
                           ? " (fields must be separated by commas)" : "";
    return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "line %ld, column %lld: '%.*s%s' is not a number%s",
                       line, (long long)col, len > 40 ? 40 : len, text, len > 40 ? "..." : "", hint);
}

/* Room for one more row of cols doubles in the row-major *values: twice the
 * rows, or an eighth more when twice would not fit; 0 when neither does. */
static int grow(double **values, int64_t *cap_rows, int64_t rows, int64_t cols, size_t *asked)
{
    if (rows < *cap_rows)
        return 1;
    double held = (double)*cap_rows * cols * sizeof(double);
    int64_t want = *cap_rows ? *cap_rows * 2 : 64;
    if (!sbk_io_bytes(want, cols, sizeof(double), asked) || !sbk_io_fits(*asked - held))
        want = *cap_rows + *cap_rows / 8 + 1;
    if (!sbk_io_bytes(want, cols, sizeof(double), asked) || !sbk_io_fits(*asked - held))
        return 0;
    double *bigger = realloc(*values, *asked);
    if (!bigger)
        return 0;
    *values = bigger, *cap_rows = want;
    return 1;
}

/* The rows of text as row-major doubles; the first non-blank line sets the
 * number of fields every other line must have, header or not. */
static int parse_text(char *text, size_t len, int skip_header, const char *path, double **values, int64_t *rows,
                      int64_t *cols, char *err, size_t errlen)
{
    char *cursor = text, *end = text + len, *line;
    long number = 0, first = 0;
    int64_t cap = 0;
    const char *bad;
    int bad_len;
    *rows = 0, *cols = 0;
    while ((line = next_line(&cursor, end))) {
        number++;
        if (is_blank(line))
            continue;
        int64_t fields = count_fields(line), col;
        if (!first) {
            first = number, *cols = fields;
            /* A line mixing names and numbers is more likely data with a typo
             * than a header: it is parsed as data, so the typo is reported. */
            if (skip_header == 1 || (skip_header == -1 && numeric_fields(line, fields) == 0))
                continue;
        } else if (fields != *cols) {
            return sbk_io_fail(err, errlen, SBK_EFORMAT, path,
                               "line %ld has %lld fields, expected %lld as on line %ld", number,
                               (long long)fields, (long long)*cols, first);
        }
        size_t asked = 0;
        if (!grow(values, &cap, *rows, *cols, &asked))
            return sbk_io_fail(err, errlen, SBK_ENOMEM, path,
                               "not enough memory at line %ld: %.2f GB asked for the values, %.2f GB available",
                               number, asked / 1e9, sbk_memory_available() / 1e9);
        if ((col = parse_row(line, *cols, *values + *rows * *cols, &bad, &bad_len)) != 0)
            return not_a_number(path, number, col, bad, bad_len, err, errlen);
        ++*rows;
    }
    if (!first)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "empty file: no data lines");
    if (*rows == 0)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "only a header line, no data lines");
    return SBK_SUCCESS;
}

int sbk_csv_load(const char *path, sbk_precision prec, int skip_header, sbk_array *out, char *err,
                 size_t errlen)
{
    int ret = sbk_io_check_load(path, prec, out, err, errlen);
    if (ret == SBK_SUCCESS && (skip_header < -1 || skip_header > 1))
        ret = sbk_io_fail(err, errlen, SBK_EINVAL, path, "skip_header is %d, not -1, 0 or 1", skip_header);
    char *text = NULL;
    size_t len = 0;
    if (ret != SBK_SUCCESS || (ret = read_text(path, &text, &len, err, errlen)) != SBK_SUCCESS)
        return ret;
    /* Spreadsheets often start UTF-8 files with a byte-order mark. */
    size_t bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    /* strtod obeys LC_NUMERIC: in a program that called setlocale() for a
     * decimal comma, "1.5" would not parse. Use the C locale, on this thread only. */
    locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t previous = c_locale ? uselocale(c_locale) : (locale_t)0;
    double *values = NULL;
    sbk_array a = {.prec = prec, .ndim = 2};
    ret = parse_text(text + bom, len - bom, skip_header, path, &values, &a.rows, &a.cols, err, errlen);
    if (c_locale) {
        uselocale(previous);
        freelocale(c_locale);
    }
    free(text);
    if (ret == SBK_SUCCESS) {
        size_t bytes = (size_t)(a.rows * a.cols) * (size_t)prec; /* rows × cols doubles fitted */
        a.data = sbk_io_fits(bytes) ? malloc(bytes) : NULL;
        if (a.data)
            sbk_io_to_colmajor(a.data, prec, values, sizeof(double), 1, a.rows, a.cols);
        else
            ret = sbk_io_fail(err, errlen, SBK_ENOMEM, path, "out of memory for %lld x %lld values",
                              (long long)a.rows, (long long)a.cols);
    }
    free(values);
    if (ret == SBK_SUCCESS)
        *out = a;
    return ret;
}

int sbk_csv_save(const char *path, sbk_precision prec, const void *data, int64_t rows, int64_t cols, char *err,
                 size_t errlen)
{
    size_t bytes;
    if (!path || (prec != SBK_FLOAT && prec != SBK_DOUBLE) || !data || !sbk_io_bytes(rows, cols, prec, &bytes))
        return sbk_io_fail(err, errlen, SBK_EINVAL, path, "invalid array (precision %d, %lld x %lld)", (int)prec,
                           (long long)rows, (long long)cols);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return sbk_io_fail(err, errlen, SBK_ENOMEM, path, "out of memory");
    /* 17 and 9 significant digits read back to the same double and float. */
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            size_t k = (size_t)i + (size_t)j * rows;
            double v = sbk_elem_get(prec, data, k);
            fprintf(f, prec == SBK_DOUBLE ? "%.17g%c" : "%.9g%c", v, j + 1 < cols ? ',' : '\n');
        }
    int ret = fclose(f) == 0 ? sbk_file_write_atomic(path, text, len, err, errlen)
                             : sbk_io_fail(err, errlen, SBK_ENOMEM, path, "out of memory");
    free(text);
    return ret;
}
