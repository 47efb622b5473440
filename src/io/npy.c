/* NumPy .npy files, format versions 1.0, 2.0 and 3.0 (numpy.lib.format):
 * "\x93NUMPY", major and minor version bytes, the header length (2 bytes
 * little-endian in 1.0, 4 in 2.0 and 3.0), then a Python dict literal such as
 * {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), } padded with
 * spaces and ending in '\n', then the raw elements. Version 3.0 only allows
 * utf-8 in the header, which matters for structured dtypes' field names:
 * those are refused anyway, so all three versions parse alike. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "internal/io.h"

static const char npy_magic[6] = "\x93NUMPY";
#define PREAMBLE_BYTES 8 /* magic + major + minor, before the header length */

struct npy_header {
    size_t elsize;      /* 4 or 8 */
    int fortran_order;
    int ndim;
    int64_t dims[2];    /* the first two sizes; later ones are only counted */
    int bad_size;       /* a size is negative or does not fit in int64_t */
    const char *shape;  /* the shape's text, for messages */
    int shape_len;
};

/* --- the header dict, a small subset of Python literal syntax ------------- */

struct cursor {
    const char *p, *end;
};

static void skip_blanks(struct cursor *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

/* Consumes ch after blanks, or returns 0 and consumes nothing but the blanks. */
static int take(struct cursor *c, char ch)
{
    skip_blanks(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

static int take_word(struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    skip_blanks(c);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0 ||
        (c->p + n < c->end && isalnum((unsigned char)c->p[n])))
        return 0;
    c->p += n;
    return 1;
}

/* A string in single or double quotes; numpy's own headers never need escapes. */
static int take_string(struct cursor *c, const char **text, size_t *len)
{
    skip_blanks(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    const char quote = *c->p, *start = c->p + 1, *close = memchr(start, quote, c->end - start);
    if (!close)
        return 0;
    *text = start, *len = (size_t)(close - start);
    c->p = close + 1;
    return 1;
}

/* An integer, optionally negative and, as Python 2's numpy wrote longs, with
 * an 'L' suffix. Sizes that are negative or overflow set h->bad_size. */
static int take_size(struct cursor *c, struct npy_header *h, int64_t *size)
{
    int negative = take(c, '-');
    if (c->p >= c->end || !isdigit((unsigned char)*c->p))
        return 0;
    int64_t v = 0;
    for (; c->p < c->end && isdigit((unsigned char)*c->p); c->p++)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *c->p - '0', &v))
            h->bad_size = 1;
    if (c->p < c->end && *c->p == 'L')
        c->p++;
    h->bad_size |= negative && v != 0;
    *size = v;
    return 1;
}

/* A tuple of sizes: "()", "(n,)", "(m, n)", ... */
static int take_shape(struct cursor *c, struct npy_header *h)
{
    h->ndim = 0, h->bad_size = 0;
    if (!take(c, '('))
        return 0;
    h->shape = c->p - 1;
    while (!take(c, ')')) {
        int64_t size;
        if (!take_size(c, h, &size))
            return 0;
        if (h->ndim < 2)
            h->dims[h->ndim] = size;
        h->ndim++;
        if (take(c, ')'))
            break;
        if (!take(c, ','))
            return 0;
    }
    h->shape_len = (int)(c->p - h->shape);
    return 1;
}

static int malformed(const struct cursor *c, const char *path, char *err, size_t errlen)
{
    int left = (int)(c->end - c->p);
    return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "malformed header near '%.*s'", left < 24 ? left : 24,
                       c->p);
}

/* Why a dtype other than '<f4' / '<f8' is refused, in words. */
static const char *dtype_problem(const char *descr, size_t len)
{
    char order = len > 0 && strchr("<>|=", descr[0]) ? descr[0] : 0;
    char kind = len > (order != 0) ? descr[order != 0] : 0;
    switch (kind) {
    case 'f': return order == '>' ? "is big-endian" : "is not a 4- or 8-byte float";
    case 'i': case 'u': return "holds integers";
    case 'c': return "holds complex numbers";
    case 'b': case '?': return "holds booleans";
    case 'O': return "is an object array (pickled Python objects)";
    case 'S': case 'U': case 'a': return "holds strings";
    case 'M': case 'm': return "holds dates or times";
    default: return "is not a float type";
    }
}

/* Checks descr, giving h->elsize. '=' (native order) is refused: numpy
 * always writes an explicit '<' or '>' for multi-byte types. */
static int check_descr(const char *descr, size_t len, struct npy_header *h, const char *path, char *err,
                       size_t errlen)
{
    if (len == 3 && descr[0] == '<' && descr[1] == 'f' && (descr[2] == '4' || descr[2] == '8')) {
        h->elsize = (size_t)(descr[2] - '0');
        return SBK_SUCCESS;
    }
    return sbk_io_fail(err, errlen, SBK_EFORMAT, path,
                       "dtype '%.*s' %s; only little-endian '<f4' and '<f8' are supported", (int)len, descr,
                       dtype_problem(descr, len));
}

/* Parses the dict: its three keys in any order, blanks anywhere, an optional
 * trailing comma, nothing but blanks after it. */
static int parse_header(const char *text, size_t len, struct npy_header *h, const char *path, char *err,
                        size_t errlen)
{
    /* Without the padding, error messages quote the header's own text. */
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    struct cursor c = {text, text + len};
    const char *descr = NULL;
    size_t descr_len = 0;
    int have_order = 0, have_shape = 0;
    if (!take(&c, '{'))
        return malformed(&c, path, err, errlen);
    while (!take(&c, '}')) {
        const char *key;
        size_t key_len;
        if (!take_string(&c, &key, &key_len) || !take(&c, ':'))
            return malformed(&c, path, err, errlen);
        if (key_len == 5 && memcmp(key, "descr", 5) == 0) {
            if (!take_string(&c, &descr, &descr_len))
                return take(&c, '[') ? sbk_io_fail(err, errlen, SBK_EFORMAT, path,
                                                   "dtype is a structured (record) type; only '<f4' and '<f8' "
                                                   "are supported")
                                     : malformed(&c, path, err, errlen);
        } else if (key_len == 13 && memcmp(key, "fortran_order", 13) == 0) {
            if (take_word(&c, "True"))
                h->fortran_order = 1;
            else if (take_word(&c, "False"))
                h->fortran_order = 0;
            else
                return malformed(&c, path, err, errlen);
            have_order = 1;
        } else if (key_len == 5 && memcmp(key, "shape", 5) == 0) {
            if (!take_shape(&c, h))
                return malformed(&c, path, err, errlen);
            have_shape = 1;
        } else {
            return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "unexpected key '%.*s' in the header",
                               (int)key_len, key);
        }
        if (!take(&c, ',')) {
            if (!take(&c, '}'))
                return malformed(&c, path, err, errlen);
            break;
        }
    }
    if (c.p != c.end)
        return malformed(&c, path, err, errlen);
    if (!descr || !have_order || !have_shape)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "header lacks '%s'",
                           !descr ? "descr" : !have_order ? "fortran_order" : "shape");
    return check_descr(descr, descr_len, h, path, err, errlen);
}

/* --- reading ---------------------------------------------------------------- */

/* A short read after the size checks: an I/O error, or a file that changed. */
static int read_failed(FILE *f, const char *path, char *err, size_t errlen)
{
    return sbk_io_fail(err, errlen, SBK_EIO, path, "read error: %s",
                       ferror(f) ? strerror(errno) : "the file shrank while being read");
}

/* Reads magic, version and header length; every size is checked against the
 * file's so that a bad header never sizes an allocation. */
static int read_preamble(FILE *f, size_t file_size, size_t *header_len, size_t *header_at, const char *path,
                         char *err, size_t errlen)
{
    unsigned char b[PREAMBLE_BYTES + 4];
    if (file_size == 0)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "empty file, not a .npy file");
    size_t got = fread(b, 1, file_size < PREAMBLE_BYTES ? file_size : PREAMBLE_BYTES, f);
    if (memcmp(b, npy_magic, got < 6 ? got : 6) != 0)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "not a .npy file (bad magic: it does not start "
                                                           "with \\x93NUMPY)");
    if (got < PREAMBLE_BYTES)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "truncated header: the file holds %zu bytes", got);
    int major = b[6], minor = b[7];
    if ((major < 1 || major > 3) || minor != 0)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path,
                           ".npy format version %d.%d is not supported (only 1.0, 2.0 and 3.0)", major, minor);
    size_t len_bytes = major == 1 ? 2 : 4;
    if (file_size < PREAMBLE_BYTES + len_bytes)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "truncated header: the file holds %zu bytes",
                           file_size);
    if (fread(b + PREAMBLE_BYTES, 1, len_bytes, f) != len_bytes)
        return read_failed(f, path, err, errlen);
    *header_len = 0;
    for (size_t i = len_bytes; i-- > 0;)
        *header_len = *header_len << 8 | b[PREAMBLE_BYTES + i];
    *header_at = PREAMBLE_BYTES + len_bytes;
    if (*header_len > file_size - *header_at)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path,
                           "truncated header: it should be %zu bytes, the file holds %zu after the preamble",
                           *header_len, file_size - *header_at);
    return SBK_SUCCESS;
}

/* Reads and parses the header of an open file; *data_at is where the
 * elements start. */
static int read_header(FILE *f, size_t file_size, struct npy_header *h, size_t *data_at, const char *path,
                       char *err, size_t errlen)
{
    size_t len = 0, at = 0;
    int ret = read_preamble(f, file_size, &len, &at, path, err, errlen);
    if (ret != SBK_SUCCESS)
        return ret;
    char *text = malloc(len ? len : 1);
    if (!text)
        return sbk_io_fail(err, errlen, SBK_ENOMEM, path, "out of memory for a %zu-byte header", len);
    if (fread(text, 1, len, f) != len)
        ret = read_failed(f, path, err, errlen);
    else
        ret = parse_header(text, len, h, path, err, errlen);
    free(text);
    *data_at = at + len;
    return ret;
}

/* Only vectors and matrices, non-empty, whose elements exactly fill the rest
 * of the file: fewer bytes is a truncated file, more means the header does
 * not describe it (e.g. several arrays saved one after the other). */
static int check_shape(const struct npy_header *h, size_t data_bytes_in_file, int64_t *rows, int64_t *cols,
                       size_t *bytes, const char *path, char *err, size_t errlen)
{
    const int len = h->shape_len;
    if (h->ndim == 0)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path,
                           "0-D array (shape ()): a single number, not a vector or a matrix");
    if (h->ndim > 2)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "%d-D array (shape %.*s); only 1-D and 2-D arrays "
                           "are supported", h->ndim, len, h->shape);
    if (h->bad_size)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "shape %.*s has a negative or too large size", len,
                           h->shape);
    *rows = h->dims[0], *cols = h->ndim == 2 ? h->dims[1] : 1;
    if (*rows == 0 || *cols == 0)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "empty array (shape %.*s)", len, h->shape);
    if (!sbk_io_bytes(*rows, *cols, h->elsize, bytes))
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path, "shape %.*s is too large to address", len, h->shape);
    if (*bytes > data_bytes_in_file)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path,
                           "truncated: header says %zu elements, file holds %zu", *bytes / h->elsize,
                           data_bytes_in_file / h->elsize);
    if (*bytes < data_bytes_in_file)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, path,
                           "%zu extra bytes after the %zu elements of shape %.*s", data_bytes_in_file - *bytes,
                           *bytes / h->elsize, len, h->shape);
    return SBK_SUCCESS;
}

/* A C-order matrix (a vector is laid out alike in both orders). */
static int row_major(const struct npy_header *h, int64_t rows, int64_t cols)
{
    return !h->fortran_order && rows > 1 && cols > 1;
}

/* Whether reading needs a second buffer: to transpose or to convert. */
static int converted(const struct npy_header *h, sbk_precision prec, int64_t rows, int64_t cols)
{
    return row_major(h, rows, cols) || h->elsize != (size_t)prec;
}

/* Reads the elements into out->data, column-major in out->prec. */
static int read_elements(FILE *f, const struct npy_header *h, size_t bytes, sbk_array *out, const char *path,
                         char *err, size_t errlen)
{
    const int transpose = row_major(h, out->rows, out->cols), direct = !converted(h, out->prec, out->rows, out->cols);
    void *raw = direct ? out->data : malloc(bytes);
    if (!raw)
        return sbk_io_fail(err, errlen, SBK_ENOMEM, path, "out of memory for %zu bytes", bytes);
    int ret = SBK_SUCCESS;
    if (fread(raw, 1, bytes, f) != bytes)
        ret = read_failed(f, path, err, errlen);
    else if (!direct)
        sbk_io_to_colmajor(out->data, out->prec, raw, h->elsize, transpose, out->rows, out->cols);
    if (!direct)
        free(raw);
    return ret;
}

/* Opens path as a regular file, so that its size is known before reading. */
static int open_regular(const char *path, FILE **f, size_t *size, char *err, size_t errlen)
{
    struct stat st;
    int ret = sbk_io_open(path, f, err, errlen);
    if (ret != SBK_SUCCESS)
        return ret;
    if (fstat(fileno(*f), &st) != 0 || !S_ISREG(st.st_mode)) {
        ret = sbk_io_fail(err, errlen, SBK_EIO, path, "not a regular file");
        fclose(*f);
        return ret;
    }
    *size = (size_t)st.st_size;
    return SBK_SUCCESS;
}

int sbk_npy_load(const char *path, sbk_precision prec, sbk_array *out, char *err, size_t errlen)
{
    FILE *f = NULL;
    size_t file_size = 0, data_at = 0, bytes = 0;
    int ret = sbk_io_check_load(path, prec, out, err, errlen);
    if (ret != SBK_SUCCESS || (ret = open_regular(path, &f, &file_size, err, errlen)) != SBK_SUCCESS)
        return ret;
    struct npy_header h = {0};
    sbk_array a = {.prec = prec};
    ret = read_header(f, file_size, &h, &data_at, path, err, errlen);
    if (ret == SBK_SUCCESS)
        ret = check_shape(&h, file_size - data_at, &a.rows, &a.cols, &bytes, path, err, errlen);
    if (ret == SBK_SUCCESS) {
        a.ndim = h.ndim;
        size_t out_bytes = 0;
        int sized = sbk_io_bytes(a.rows, a.cols, (size_t)prec, &out_bytes);
        double needed = (double)out_bytes + (converted(&h, prec, a.rows, a.cols) ? (double)bytes : 0.0);
        if (sized && !sbk_io_fits(needed)) {
            fclose(f);
            return sbk_io_fail(err, errlen, SBK_ENOMEM, path,
                               "not enough memory for its %lld x %lld elements: %.2f GB asked, %.2f GB available",
                               (long long)a.rows, (long long)a.cols, needed / 1e9, sbk_memory_available() / 1e9);
        }
        a.data = sized ? malloc(out_bytes) : NULL;
        ret = a.data ? read_elements(f, &h, bytes, &a, path, err, errlen)
                     : sbk_io_fail(err, errlen, SBK_ENOMEM, path, "out of memory for %lld x %lld elements",
                                   (long long)a.rows, (long long)a.cols);
    }
    fclose(f);
    if (ret == SBK_SUCCESS)
        *out = a;
    else
        free(a.data);
    return ret;
}

/* --- writing ---------------------------------------------------------------- */

/* Magic, version 1.0, header length, and the dict padded with spaces to a
 * multiple of 64 bytes ending in '\n', as numpy writes it (the elements then
 * start aligned). Two int64 sizes keep the header under 128 bytes, far below
 * version 1.0's 65535-byte limit. */
static size_t format_header(char buf[128], sbk_precision prec, int64_t rows, int64_t cols, int ndim)
{
    char shape[48];
    if (ndim == 1)
        snprintf(shape, sizeof shape, "(%lld,)", (long long)rows);
    else
        snprintf(shape, sizeof shape, "(%lld, %lld)", (long long)rows, (long long)cols);
    const size_t at = PREAMBLE_BYTES + 2;
    int n = snprintf(buf + at, 128 - at, "{'descr': '<f%d', 'fortran_order': True, 'shape': %s, }", (int)prec,
                     shape);
    size_t total = (at + (size_t)n + 1 + 63) / 64 * 64, header_len = total - at;
    memset(buf + at + n, ' ', total - at - (size_t)n - 1);
    buf[total - 1] = '\n';
    memcpy(buf, npy_magic, sizeof npy_magic);
    buf[6] = 1, buf[7] = 0;
    buf[8] = (char)(header_len & 0xff), buf[9] = (char)(header_len >> 8);
    return total;
}

int sbk_npy_save(const char *path, sbk_precision prec, const void *data, int64_t rows, int64_t cols, int ndim,
                 char *err, size_t errlen)
{
    size_t bytes;
    if (!path)
        return sbk_io_fail(err, errlen, SBK_EINVAL, path, "no file name");
    if ((prec != SBK_FLOAT && prec != SBK_DOUBLE) || !data || (ndim != 1 && ndim != 2) ||
        (ndim == 1 && cols != 1))
        return sbk_io_fail(err, errlen, SBK_EINVAL, path,
                           "invalid array (precision %d, %s data, %d-D, %lld x %lld)", (int)prec,
                           data ? "with" : "no", ndim, (long long)rows, (long long)cols);
    if (!sbk_io_bytes(rows, cols, (size_t)prec, &bytes))
        return sbk_io_fail(err, errlen, SBK_EINVAL, path, "invalid size %lld x %lld", (long long)rows,
                           (long long)cols);
    char header[128];
    const void *parts[2] = {header, data};
    const size_t lens[2] = {format_header(header, prec, rows, cols, ndim), bytes};
    return sbk_io_write_atomic(path, parts, lens, 2, err, errlen);
}
