/* Data files: .npy and CSV read back exactly what was written, hand-made
 * files in every accepted form read element by element, every malformed file
 * refused with its own error code and a message naming the problem, and saves
 * that never leave a partial or temporary file behind; tasks.rec records the
 * fuzzer found to break the schedule report. Pure host code: no sbk_init. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <starbak/starbak.h>
#include "internal/report.h"

static char dir[256]; /* the tests' own temporary directory */

struct path {
    char s[512];
};

static struct path at(const char *name)
{
    struct path p;
    snprintf(p.s, sizeof p.s, "%s/%s", dir, name);
    return p;
}

static void write_bytes(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void write_text(const char *path, const char *text) { write_bytes(path, text, strlen(text)); }

/* A .npy file of the given major version around dict, padded as numpy pads
 * it, followed by data_len bytes of data. */
static void write_npy(const char *path, int major, const char *dict, const void *data, size_t data_len)
{
    unsigned char buf[4096];
    size_t len_bytes = major == 1 ? 2 : 4, at = 8 + len_bytes, n = strlen(dict);
    size_t total = (at + n + 1 + 63) / 64 * 64, header_len = total - at;
    assert_true(total + data_len <= sizeof buf);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major, buf[7] = 0;
    for (size_t i = 0; i < len_bytes; i++)
        buf[8 + i] = (unsigned char)(header_len >> (8 * i));
    memcpy(buf + at, dict, n);
    memset(buf + at + n, ' ', total - at - n - 1);
    buf[total - 1] = '\n';
    if (data_len)
        memcpy(buf + total, data, data_len);
    write_bytes(path, buf, total + data_len);
}


static void assert_values(const sbk_array *a, const double *expected, size_t count)
{
    assert_int_equal(a->rows * a->cols, count);
    for (size_t i = 0; i < count; i++)
        if (sbk_elem_get(a->prec, a->data, i) != expected[i]) {
            print_error("element %zu: read %.17g, expected %.17g\n", i, sbk_elem_get(a->prec, a->data, i), expected[i]);
            fail();
        }
}

/* ret is code and err names the file and contains keyword. */
static void assert_refused(int ret, int code, const char *err, const char *path, const char *keyword)
{
    if (ret != code || !strstr(err, keyword) || strncmp(err, path, strlen(path)) != 0) {
        print_error("expected %d with '%s', got %d: %s\n", code, keyword, ret, err);
        fail();
    }
}

static int entries(const char *d)
{
    DIR *dp = opendir(d);
    assert_non_null(dp);
    int n = 0;
    for (struct dirent *e; (e = readdir(dp));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(dp);
    return n;
}

/* --- .npy -------------------------------------------------------------------- */

static void npy_round_trip_keeps_every_element_in_both_precisions(void **state)
{
    (void)state;
    const struct { int64_t rows, cols; int ndim; } shapes[] = {{1, 1, 2}, {7, 1, 1}, {5, 3, 2}, {13, 17, 2},
                                                                 {1, 9, 2}, {100, 1, 2}, {1, 1, 1}};
    const sbk_precision precs[] = {SBK_FLOAT, SBK_DOUBLE};
    struct path p = at("round.npy");
    char err[256];
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int w = 0; w < 2; w++)
            for (int r = 0; r < 2; r++) {
                const size_t count = (size_t)(shapes[s].rows * shapes[s].cols);
                sbk_precision wp = precs[w], rp = precs[r];
                void *data = malloc(count * wp);
                double *expected = malloc(count * sizeof *expected);
                for (size_t i = 0; i < count; i++) {
                    /* not exact in float: the conversion shows */
                    sbk_elem_set(wp, data, i, (double)i / 3.0 - 7.1);
                    double v = sbk_elem_get(wp, data, i);
                    expected[i] = rp == SBK_FLOAT ? (double)(float)v : v;
                }
                assert_int_equal(sbk_npy_save(p.s, wp, data, shapes[s].rows, shapes[s].cols, shapes[s].ndim,
                                              err, sizeof err), 0);
                sbk_array a;
                assert_int_equal(sbk_npy_load(p.s, rp, &a, err, sizeof err), 0);
                assert_int_equal(a.prec, rp);
                assert_int_equal(a.rows, shapes[s].rows);
                assert_int_equal(a.cols, shapes[s].cols);
                assert_int_equal(a.ndim, shapes[s].ndim);
                assert_values(&a, expected, count);
                sbk_array_free(&a);
                assert_null(a.data);
                free(data), free(expected);
            }
}

static void npy_save_pads_the_header_as_numpy_does(void **state)
{
    (void)state;
    struct path p = at("layout.npy");
    const double v[6] = {0};
    assert_int_equal(sbk_npy_save(p.s, SBK_DOUBLE, v, 2, 3, 2, NULL, 0), 0);
    unsigned char buf[256];
    FILE *f = fopen(p.s, "rb");
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t header_len = buf[8] | (size_t)buf[9] << 8;
    assert_memory_equal(buf, "\x93NUMPY\x01\x00", 8);
    assert_int_equal((10 + header_len) % 64, 0);
    assert_int_equal(n, 10 + header_len + sizeof v);
    assert_int_equal(buf[10 + header_len - 1], '\n');
    char *header = strndup((const char *)buf + 10, header_len);
    assert_non_null(strstr(header, "'descr': '<f8'"));
    assert_non_null(strstr(header, "'fortran_order': True"));
    assert_non_null(strstr(header, "'shape': (2, 3)"));
    free(header);
}

static void npy_reads_format_versions_1_2_and_3(void **state)
{
    (void)state;
    const double v[4] = {1.5, -2.25, 3e300, -0.0};
    for (int major = 1; major <= 3; major++) {
        struct path p = at("version.npy");
        write_npy(p.s, major, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", v, sizeof v);
        sbk_array a;
        assert_int_equal(sbk_npy_load(p.s, SBK_DOUBLE, &a, NULL, 0), 0);
        assert_int_equal(a.ndim, 1);
        assert_int_equal(a.cols, 1);
        assert_values(&a, v, 4);
        sbk_array_free(&a);
    }
}

/* The 2×3 matrix [[1, 2, 3], [4, 5, 6]] stored in C order and in Fortran order. */
static void npy_matrices_come_back_column_major_from_either_order(void **state)
{
    (void)state;
    const double c_order[6] = {1, 2, 3, 4, 5, 6}, f_order[6] = {1, 4, 2, 5, 3, 6};
    const float c_order_f[6] = {1, 2, 3, 4, 5, 6};
    struct path p = at("order.npy");
    sbk_array a;
    write_npy(p.s, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", c_order, sizeof c_order);
    assert_int_equal(sbk_npy_load(p.s, SBK_DOUBLE, &a, NULL, 0), 0);
    assert_int_equal(a.rows, 2), assert_int_equal(a.cols, 3), assert_int_equal(a.ndim, 2);
    assert_values(&a, f_order, 6);
    sbk_array_free(&a);
    write_npy(p.s, 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", f_order, sizeof f_order);
    assert_int_equal(sbk_npy_load(p.s, SBK_FLOAT, &a, NULL, 0), 0);
    assert_int_equal(a.prec, SBK_FLOAT);
    assert_values(&a, f_order, 6);
    sbk_array_free(&a);
    write_npy(p.s, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", c_order_f,
              sizeof c_order_f);
    assert_int_equal(sbk_npy_load(p.s, SBK_DOUBLE, &a, NULL, 0), 0);
    assert_values(&a, f_order, 6);
    sbk_array_free(&a);
}

/* Keys in any order, either quote, blanks anywhere, no trailing comma,
 * Python 2's long suffix. */
/* A file whose data would not fit in the memory available is refused before
 * anything is allocated, naming both sizes (sparse files: nothing is written
 * or read but a header). */
static void files_larger_than_memory_are_refused_before_allocating(void **state)
{
    (void)state;
    double avail = sbk_memory_available();
    if (avail < 0)
        skip();
    long long rows = (long long)(2 * avail / 8 / 1000) + 1;
    char dict[128];
    snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': True, 'shape': (%lld, 1000), }", rows);
    struct path p = at("huge.npy");
    write_npy(p.s, 1, dict, NULL, 0);
    struct stat st;
    assert_int_equal(stat(p.s, &st), 0);
    if (truncate(p.s, st.st_size + rows * 1000 * 8) != 0) {
        unlink(p.s);
        skip(); /* no sparse file of that size here */
    }
    sbk_array a;
    char err[512];
    int ret = sbk_npy_load(p.s, SBK_DOUBLE, &a, err, sizeof err);
    unlink(p.s);
    assert_refused(ret, SBK_ENOMEM, err, p.s, "not enough memory");
    assert_non_null(strstr(err, "GB available"));

    /* A CSV file is read whole first: one larger than the memory is refused unread. */
    p = at("huge.csv");
    write_text(p.s, "1,2\n");
    assert_int_equal(truncate(p.s, (off_t)(2 * avail)), 0);
    ret = sbk_csv_load(p.s, SBK_DOUBLE, -1, &a, err, sizeof err);
    unlink(p.s);
    assert_refused(ret, SBK_ENOMEM, err, p.s, "not enough memory to read it");
}

static void npy_header_is_parsed_as_a_python_dict(void **state)
{
    (void)state;
    const float v[6] = {1, 2, 3, 4, 5, 6};
    const double f_order[6] = {1, 2, 3, 4, 5, 6}, transposed[6] = {1, 3, 5, 2, 4, 6};
    struct path p = at("dict.npy");
    sbk_array a;
    write_npy(p.s, 1, "{ \"shape\" : ( 2 , 3 ) ,'fortran_order':True,\t'descr' :\"<f4\"}", v, sizeof v);
    assert_int_equal(sbk_npy_load(p.s, SBK_DOUBLE, &a, NULL, 0), 0);
    assert_int_equal(a.rows, 2), assert_int_equal(a.cols, 3);
    assert_values(&a, f_order, 6);
    sbk_array_free(&a);
    write_npy(p.s, 2, "{'fortran_order': False, 'shape': (3L, 2L), 'descr': '<f4', }", v, sizeof v);
    assert_int_equal(sbk_npy_load(p.s, SBK_DOUBLE, &a, NULL, 0), 0);
    assert_int_equal(a.rows, 3), assert_int_equal(a.cols, 2);
    assert_values(&a, transposed, 6);
    sbk_array_free(&a);
}

/* Each header, with data_elements doubles after it, is refused as
 * SBK_EFORMAT with a message containing keyword. */
static void npy_refuses_unsupported_or_inconsistent_headers(void **state)
{
    (void)state;
    static const struct {
        int major;
        const char *dict;
        size_t data_elements;
        const char *keyword;
    } cases[] = {
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 3,
         "truncated: header says 4 elements, file holds 3"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 3, "extra bytes"},
        {1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 2, "'<i8' holds integers"},
        {1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", 2, "'>f8' is big-endian"},
        {1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 2, "object array"},
        {1, "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", 2, "complex"},
        {1, "{'descr': '<f2', 'fortran_order': False, 'shape': (8,), }", 2, "not a 4- or 8-byte float"},
        {1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }", 2, "structured"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2), }", 2, "3-D array (shape (1, 1, 2))"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 1, "0-D"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }", 0, "empty array"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }", 2, "negative"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", 2, "too large"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", 2, "too large"},
        /* Plausible sizes that the file does not hold: refused before any allocation. */
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 100000), }", 2, "truncated"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 2, "unexpected key 'extra'"},
        {1, "{'descr': '<f8', 'fortran_order': False}", 2, "lacks 'shape'"},
        {1, "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,)}", 2, "malformed header"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x", 2, "malformed header"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,,)}", 2, "malformed header"},
        {4, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 2, "version 4.0"},
    };
    const double zeros[3] = {0};
    struct path p = at("bad.npy");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char err[256] = "";
        sbk_array a = {.data = (void *)zeros}; /* must come back empty */
        write_npy(p.s, cases[c].major, cases[c].dict, zeros, cases[c].data_elements * sizeof(double));
        int ret = sbk_npy_load(p.s, SBK_DOUBLE, &a, err, sizeof err);
        print_message("case %zu: %s\n", c, err);
        assert_refused(ret, SBK_EFORMAT, err, p.s, cases[c].keyword);
        assert_null(a.data);
    }
}

static void npy_refuses_files_that_are_not_npy(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        const char *keyword;
    } cases[] = {
        {"", 0, "empty file"},
        {"1,2,3\n4,5,6\n", 12, "bad magic"},
        {"\x93NUMPZ\x01\x00\x10\x00", 10, "bad magic"},
        {"\x93NUM", 4, "truncated header"},
        {"\x93NUMPY\x01", 7, "truncated header"},
        {"\x93NUMPY\x02\x00\x10\x00", 10, "truncated header"},
        {"\x93NUMPY\x01\x00\x40\x00{'descr': '<f8',", 25, "truncated header"},
    };
    struct path p = at("notnpy.npy");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char err[256] = "";
        sbk_array a;
        write_bytes(p.s, cases[c].bytes, cases[c].len);
        int ret = sbk_npy_load(p.s, SBK_FLOAT, &a, err, sizeof err);
        print_message("case %zu: %s\n", c, err);
        assert_refused(ret, SBK_EFORMAT, err, p.s, cases[c].keyword);
        assert_null(a.data);
    }
}

static void unreadable_paths_are_io_errors(void **state)
{
    (void)state;
    char err[256];
    sbk_array a;
    struct path missing = at("missing.npy"), folder = at("folder.npy"), csv = at("missing.csv");
    assert_refused(sbk_npy_load(missing.s, SBK_DOUBLE, &a, err, sizeof err), SBK_EIO, err, missing.s,
                   "No such file");
    assert_refused(sbk_csv_load(csv.s, SBK_DOUBLE, -1, &a, err, sizeof err), SBK_EIO, err, csv.s,
                   "No such file");
    assert_int_equal(mkdir(folder.s, 0700), 0);
    assert_refused(sbk_npy_load(folder.s, SBK_DOUBLE, &a, err, sizeof err), SBK_EIO, err, folder.s,
                   "not a regular file");
    assert_int_equal(rmdir(folder.s), 0);
    assert_int_equal(sbk_npy_load(missing.s, (sbk_precision)3, &a, NULL, 0), SBK_EINVAL);
    assert_int_equal(sbk_npy_load(missing.s, SBK_DOUBLE, NULL, NULL, 0), SBK_EINVAL);
    assert_int_equal(sbk_npy_load(NULL, SBK_DOUBLE, &a, err, sizeof err), SBK_EINVAL);
}

/* --- CSV --------------------------------------------------------------------- */

static void csv_reads_numbers_with_or_without_header(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int skip_header;
    } cases[] = {
        {"x,y,z\n1,2,3\n4,5,6\n", -1},              /* header detected */
        {"1,2,3\n4,5,6\n", -1},                     /* none detected */
        {"1, 2 ,3\r\n 4,5,\t6\r\n", -1},            /* CRLF, blanks around fields */
        {"1,2,3\n\n4,5,6", 0},                      /* blank line, no final newline */
        {"\xEF\xBB\xBF" "a,b,c\n1,2,3\n4,5,6\n\n", -1}, /* byte-order mark, trailing blank line */
        {"7,8,9\n1,2,3\n4,5,6\n", 1},               /* a numeric header, skipped on request */
        {"1e0,0.2e1,+3\n4.,5.000,0x6\n", 0},        /* strtod's forms */
    };
    const double expected[6] = {1, 4, 2, 5, 3, 6};
    struct path p = at("good.csv");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char err[256] = "";
        sbk_array a;
        write_text(p.s, cases[c].text);
        int ret = sbk_csv_load(p.s, SBK_FLOAT, cases[c].skip_header, &a, err, sizeof err);
        if (ret != 0)
            print_error("case %zu: %s\n", c, err);
        assert_int_equal(ret, 0);
        assert_int_equal(a.rows, 2), assert_int_equal(a.cols, 3), assert_int_equal(a.ndim, 2);
        assert_values(&a, expected, 6);
        sbk_array_free(&a);
    }
}

static void csv_refuses_malformed_files_naming_the_place(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int skip_header;
        const char *keyword;
    } cases[] = {
        {"a,b,c\n1,2,3\n4,abc,6\n", -1, "line 3, column 2: 'abc' is not a number"},
        {"1,2,3\n4,5,1.5x\n", -1, "line 2, column 3: '1.5x' is not a number"},
        {"1,2x,3\n4,5,6\n", -1, "line 1, column 2: '2x' is not a number"}, /* a typo, not a header */
        {"x,y\n1,2\n", 0, "line 1, column 1: 'x' is not a number"},
        {"1,,3\n", -1, "line 1, column 2: empty field"},
        {"1,2,3\n4,5\n", -1, "line 2 has 2 fields, expected 3 as on line 1"},
        {"a,b\n1,2\n\n3,4,5\n", -1, "line 4 has 3 fields, expected 2 as on line 1"},
        {"1;2;3\n4;5;6\n", 0, "separated by commas"},
        {"", -1, "empty file"},
        {"\n  \r\n", -1, "empty file"},
        {"x,y,z\n", -1, "only a header"},
        {"1,2,3\n", 1, "only a header"},
    };
    struct path p = at("bad.csv");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char err[256] = "";
        sbk_array a;
        write_text(p.s, cases[c].text);
        int ret = sbk_csv_load(p.s, SBK_DOUBLE, cases[c].skip_header, &a, err, sizeof err);
        print_message("case %zu: %s\n", c, err);
        assert_refused(ret, SBK_EFORMAT, err, p.s, cases[c].keyword);
        assert_null(a.data);
    }
    char err[256];
    sbk_array a;
    write_bytes(p.s, "1,2\n\x93NUMPY\x01\x00\x46\x00{'descr'", 20);
    assert_refused(sbk_csv_load(p.s, SBK_DOUBLE, -1, &a, err, sizeof err), SBK_EFORMAT, err, p.s, "binary file");
    assert_int_equal(sbk_csv_load(p.s, SBK_DOUBLE, 2, &a, NULL, 0), SBK_EINVAL);
}

/* --- tasks.rec (the schedule report) ----------------------------------------- */

/* Found by tests/fuzz (corpus/tasks_rec/regression-*): worker ids outside the
 * report's per-worker arrays (a negative one overflowed them) and ids that are
 * not whole numbers of their type must be refused, naming the line. */
static void trace_report_refuses_worker_and_job_ids_out_of_range(void **state)
{
    (void)state;
    static const struct {
        const char *record, *keyword;
    } cases[] = {
        {"Name: a\nWorkerId: -5\nStartTime: 1\nEndTime: 2\n\n", "line 2: WorkerId '-5' is not a worker (0 to 4095)"},
        {"Name: a\nWorkerId: 4096\nStartTime: 1\nEndTime: 2\n\n", "line 2: WorkerId '4096' is not a worker"},
        {"Name: a\nWorkerId: 2147483647\nStartTime: 1\nEndTime: 2\n\n", "WorkerId '2147483647' is not a worker"},
        {"Name: a\nWorkerId: 1e10\nStartTime: 1\nEndTime: 2\n\n", "WorkerId '1e10' is not a worker"},
        {"Name: a\nWorkerId: 1.5\nStartTime: 1\nEndTime: 2\n\n", "WorkerId '1.5' is not a worker"},
        {"Name: a\nJobId: 1e300\nWorkerId: 0\nStartTime: 1\nEndTime: 2\n\n", "line 2: JobId '1e300' is not a whole number"},
    };
    struct path rec = at("tasks.rec"), html = at("report.html");
    const char *paths[] = {rec.s};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char err[256] = "";
        write_text(rec.s, cases[c].record);
        int ret = sbk_trace_report(paths, NULL, 1, html.s, err, sizeof err);
        print_message("case %zu: %s\n", c, err);
        assert_refused(ret, SBK_EFORMAT, err, rec.s, cases[c].keyword);
        assert_int_equal(access(html.s, F_OK), -1);
    }
    /* the largest worker id and a job id beyond int still make a report */
    write_text(rec.s, "Name: a\nJobId: 4000000000\nWorkerId: 4095\nStartTime: 1\nEndTime: 2\n\n");
    char err[256] = "";
    assert_int_equal(sbk_trace_report(paths, NULL, 1, html.s, err, sizeof err), SBK_SUCCESS);
    assert_int_equal(access(html.s, F_OK), 0);
    assert_int_equal(unlink(html.s), 0);
}

static void array_load_chooses_the_reader_by_extension(void **state)
{
    (void)state;
    const double v[2] = {3, 4}, expected[2] = {3, 4};
    const char *names[] = {"ext.npy", "ext.csv", "ext.txt", "EXT.CSV"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct path p = at(names[i]);
        if (i == 0)
            assert_int_equal(sbk_npy_save(p.s, SBK_DOUBLE, v, 2, 1, 1, NULL, 0), 0);
        else
            write_text(p.s, "y\n3\n4\n");
        sbk_array a;
        assert_int_equal(sbk_array_load(p.s, SBK_DOUBLE, &a, NULL, 0), 0);
        assert_values(&a, expected, 2);
        sbk_array_free(&a);
    }
    char err[256];
    struct path dat = at("ext.dat");
    sbk_array a;
    assert_refused(sbk_array_load(dat.s, SBK_DOUBLE, &a, err, sizeof err), SBK_EINVAL, err, dat.s, "'.dat'");
    sbk_array_free(NULL); /* harmless */
}

/* --- atomic saves ------------------------------------------------------------ */

static void npy_save_replaces_a_file_and_leaves_no_temporary(void **state)
{
    (void)state;
    struct path sub = at("atomic"), p = at("atomic/x.npy");
    assert_int_equal(mkdir(sub.s, 0700), 0);
    const double first[3] = {1, 2, 3}, second[4] = {9, 8, 7, 6};
    assert_int_equal(sbk_npy_save(p.s, SBK_DOUBLE, first, 3, 1, 1, NULL, 0), 0);
    assert_int_equal(sbk_npy_save(p.s, SBK_DOUBLE, second, 2, 2, 2, NULL, 0), 0);
    assert_int_equal(entries(sub.s), 1);
    sbk_array a;
    assert_int_equal(sbk_npy_load(p.s, SBK_DOUBLE, &a, NULL, 0), 0);
    assert_int_equal(a.rows, 2), assert_int_equal(a.cols, 2);
    assert_values(&a, second, 4);
    sbk_array_free(&a);
    /* Created with the usual 0666 & ~umask, not mkstemp's 0600. */
    struct stat st;
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(stat(p.s, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
}

static void npy_save_failures_leave_nothing_behind(void **state)
{
    (void)state;
    struct path sub = at("failing"), nowhere = at("failing/no/such/dir/x.npy");
    struct path folder = at("failing/taken.npy");
    assert_int_equal(mkdir(sub.s, 0700), 0);
    const double v[2] = {1, 2};
    char err[512];
    assert_refused(sbk_npy_save(nowhere.s, SBK_DOUBLE, v, 2, 1, 1, err, sizeof err), SBK_EIO, err, nowhere.s,
                   "No such file or directory");
    assert_int_equal(entries(sub.s), 0);
    /* The temporary file is written, then the rename onto a directory fails. */
    assert_int_equal(mkdir(folder.s, 0700), 0);
    assert_refused(sbk_npy_save(folder.s, SBK_DOUBLE, v, 2, 1, 1, err, sizeof err), SBK_EIO, err, folder.s,
                   "rename");
    assert_int_equal(entries(sub.s), 1);
    assert_int_equal(entries(folder.s), 0);
}

static void npy_save_rejects_bad_arguments(void **state)
{
    (void)state;
    const double v[4] = {0};
    struct path p = at("args.npy");
    assert_int_equal(sbk_npy_save(NULL, SBK_DOUBLE, v, 2, 2, 2, NULL, 0), SBK_EINVAL);
    assert_int_equal(sbk_npy_save(p.s, SBK_DOUBLE, NULL, 2, 2, 2, NULL, 0), SBK_EINVAL);
    assert_int_equal(sbk_npy_save(p.s, (sbk_precision)2, v, 2, 2, 2, NULL, 0), SBK_EINVAL);
    assert_int_equal(sbk_npy_save(p.s, SBK_DOUBLE, v, 2, 2, 3, NULL, 0), SBK_EINVAL);
    assert_int_equal(sbk_npy_save(p.s, SBK_DOUBLE, v, 2, 2, 1, NULL, 0), SBK_EINVAL); /* 1-D with 2 columns */
    assert_int_equal(sbk_npy_save(p.s, SBK_DOUBLE, v, 0, 2, 2, NULL, 0), SBK_EINVAL);
    assert_int_equal(sbk_npy_save(p.s, SBK_DOUBLE, v, INT64_MAX, 2, 2, NULL, 0), SBK_EINVAL);
    assert_int_equal(access(p.s, F_OK), -1);
}

/* --- values ------------------------------------------------------------------ */

static void find_nonfinite_names_the_first_row_and_column(void **state)
{
    (void)state;
    struct path p = at("nan.csv");
    write_text(p.s, "a,b,c\n1,2,3\n4,5,6\n7,nan,inf\n");
    sbk_array a;
    int64_t row = -1, col = -1;
    assert_int_equal(sbk_csv_load(p.s, SBK_FLOAT, -1, &a, NULL, 0), 0);
    assert_int_equal(sbk_array_find_nonfinite(&a, &row, &col), 1);
    assert_int_equal(row, 2), assert_int_equal(col, 1);
    sbk_array_free(&a);
    double v[6] = {1, 2, 3, 4, 5, 6};
    sbk_array b = {.prec = SBK_DOUBLE, .rows = 3, .cols = 2, .ndim = 2, .data = v};
    assert_int_equal(sbk_array_find_nonfinite(&b, &row, &col), 0);
    v[5] = -INFINITY;
    assert_int_equal(sbk_array_find_nonfinite(&b, NULL, &col), 1);
    assert_int_equal(col, 1);
    assert_int_equal(sbk_array_find_nonfinite(NULL, NULL, NULL), 0);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int make_dir(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/starbak-io.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(npy_round_trip_keeps_every_element_in_both_precisions),
        cmocka_unit_test(npy_save_pads_the_header_as_numpy_does),
        cmocka_unit_test(npy_reads_format_versions_1_2_and_3),
        cmocka_unit_test(npy_matrices_come_back_column_major_from_either_order),
        cmocka_unit_test(npy_header_is_parsed_as_a_python_dict),
        cmocka_unit_test(files_larger_than_memory_are_refused_before_allocating),
        cmocka_unit_test(npy_refuses_unsupported_or_inconsistent_headers),
        cmocka_unit_test(npy_refuses_files_that_are_not_npy),
        cmocka_unit_test(unreadable_paths_are_io_errors),
        cmocka_unit_test(csv_reads_numbers_with_or_without_header),
        cmocka_unit_test(csv_refuses_malformed_files_naming_the_place),
        cmocka_unit_test(trace_report_refuses_worker_and_job_ids_out_of_range),
        cmocka_unit_test(array_load_chooses_the_reader_by_extension),
        cmocka_unit_test(npy_save_replaces_a_file_and_leaves_no_temporary),
        cmocka_unit_test(npy_save_failures_leave_nothing_behind),
        cmocka_unit_test(npy_save_rejects_bad_arguments),
        cmocka_unit_test(find_nonfinite_names_the_first_row_and_column),
    };
    return cmocka_run_group_tests_name("io", tests, make_dir, remove_dir) ? 1 : 0;
}
