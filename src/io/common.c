/* Data files, the parts shared by the .npy and CSV code: messages, sizes,
 * layout and precision conversion, atomic writes, and the sbk_array helpers. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal/io.h"

int sbk_io_fail(char *err, size_t errlen, int code, const char *path, const char *fmt, ...)
{
    if (err && errlen > 0) {
        int n = snprintf(err, errlen, "%s: ", path ? path : "(null)");
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - n, fmt, ap);
            va_end(ap);
        }
    }
    return code;
}

int sbk_io_check_load(const char *path, sbk_precision prec, sbk_array *out, char *err, size_t errlen)
{
    if (out)
        *out = (sbk_array){0};
    if (!path || !out)
        return sbk_io_fail(err, errlen, SBK_EINVAL, path, "no file name or no output array");
    if (prec != SBK_FLOAT && prec != SBK_DOUBLE)
        return sbk_io_fail(err, errlen, SBK_EINVAL, path, "precision %d is neither SBK_FLOAT nor SBK_DOUBLE",
                           (int)prec);
    return SBK_SUCCESS;
}

int sbk_io_open(const char *path, FILE **f, char *err, size_t errlen)
{
    *f = fopen(path, "rb");
    return *f ? SBK_SUCCESS : sbk_io_fail(err, errlen, SBK_EIO, path, "cannot open: %s", strerror(errno));
}

int sbk_io_bytes(int64_t rows, int64_t cols, size_t elsize, size_t *bytes)
{
    size_t count;
    if (rows <= 0 || cols <= 0 || (uint64_t)rows > SIZE_MAX || (uint64_t)cols > SIZE_MAX)
        return 0;
    return !__builtin_mul_overflow((size_t)rows, (size_t)cols, &count) &&
           !__builtin_mul_overflow(count, elsize, bytes);
}


void sbk_io_to_colmajor(void *dst, sbk_precision dst_prec, const void *src, size_t src_size, int src_row_major,
                        int64_t rows, int64_t cols)
{
    size_t m = (size_t)rows, n = (size_t)cols;
    if (!src_row_major && src_size == (size_t)dst_prec) {
        memcpy(dst, src, m * n * src_size);
        return;
    }
    /* Blocks of rows: a row-major source block stays in cache while each of
     * its columns is written, instead of every column pass sweeping the source. */
    const size_t block = 64;
    for (size_t i0 = 0; i0 < m; i0 += block) {
        const size_t i1 = m - i0 < block ? m : i0 + block;
        for (size_t j = 0; j < n; j++)
            for (size_t i = i0; i < i1; i++)
                sbk_elem_set(dst_prec, dst, i + j * m,
                             sbk_elem_get((sbk_precision)src_size, src, src_row_major ? i * n + j : i + j * m));
    }
}

/* write(2) may write less than asked (large buffers, signals). */
static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w, len -= (size_t)w;
    }
    return 0;
}

/* A new file beside path, opened with O_EXCL. mkstemp is not used because it
 * creates mode 0600: the result should get the usual 0666 & ~umask. */
static int create_temp(const char *path, char *tmp, size_t tmplen)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp, tmplen, "%s.tmp.%ld.%d", path, (long)getpid(), attempt);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

double sbk_memory_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    double kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

int sbk_io_fits(double bytes)
{
    double avail = sbk_memory_available();
    return avail < 0 || bytes <= avail;
}

/* The temporary file being written, for sbk_discard_pending_output (a signal
 * handler): published once it exists, withdrawn once renamed or removed. */
static char pending[4096];
static volatile sig_atomic_t have_pending;

void sbk_discard_pending_output(void)
{
    if (have_pending)
        unlink(pending);
}

int sbk_io_write_atomic(const char *path, const void *const *parts, const size_t *lens, int nparts, char *err,
                        size_t errlen)
{
    size_t tmplen = strlen(path) + 64;
    char *tmp = malloc(tmplen);
    if (!tmp)
        return sbk_io_fail(err, errlen, SBK_ENOMEM, path, "out of memory");
    int fd = create_temp(path, tmp, tmplen);
    if (fd < 0) {
        int ret = sbk_io_fail(err, errlen, SBK_EIO, path, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return ret;
    }
    if (strlen(tmp) < sizeof pending) {
        memcpy(pending, tmp, strlen(tmp) + 1);
        have_pending = 1;
    }
    const char *step = "write";
    int ok = 1;
    for (int i = 0; ok && i < nparts; i++)
        ok = write_all(fd, parts[i], lens[i]) == 0;
    /* Without fsync, a crash after the rename could leave path empty or partial. */
    if (ok && fsync(fd) != 0)
        ok = 0, step = "sync";
    int saved = errno;
    if (close(fd) != 0 && ok)
        ok = 0, step = "close", saved = errno;
    int cancelled = ok && sbk_cancelled(); /* an interrupted run writes nothing */
    if (ok && !cancelled && rename(tmp, path) != 0)
        ok = 0, step = "rename temporary file over", saved = errno;
    int ret = SBK_SUCCESS;
    if (ok && !cancelled)
        have_pending = 0;
    else {
        unlink(tmp);
        have_pending = 0;
        ret = cancelled ? sbk_io_fail(err, errlen, SBK_ECANCELED, path, "not written: the run was interrupted")
                        : sbk_io_fail(err, errlen, SBK_EIO, path, "cannot %s: %s", step, strerror(saved));
    }
    free(tmp);
    return ret;
}

void sbk_array_free(sbk_array *a)
{
    if (!a)
        return;
    free(a->data);
    *a = (sbk_array){0};
}

int sbk_array_find_nonfinite(const sbk_array *a, int64_t *row, int64_t *col)
{
    if (!a || !a->data)
        return 0;
    for (int64_t j = 0; j < a->cols; j++)
        for (int64_t i = 0; i < a->rows; i++)
            if (!isfinite(sbk_elem_get(a->prec, a->data, (size_t)(i + j * a->rows)))) {
                if (row)
                    *row = i;
                if (col)
                    *col = j;
                return 1;
            }
    return 0;
}

int sbk_file_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    if (!path || (!data && len))
        return sbk_io_fail(err, errlen, SBK_EINVAL, path, "no file name or no data");
    const void *parts[1] = {data};
    return sbk_io_write_atomic(path, parts, &len, 1, err, errlen);
}
