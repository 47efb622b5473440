/* The data-file layer's shared helpers (src/io/): pure host code, so it does
 * not include StarPU. */
#ifndef STARBAK_INTERNAL_IO_H
#define STARBAK_INTERNAL_IO_H

#include <starbak/starbak.h>

/* The readers reinterpret '<f4' / '<f8' bytes as float / double in place. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "starbak's .npy code assumes a little-endian host"
#endif

/* Writes "path: <message>" into err (when err and errlen allow) and returns code. */
int sbk_io_fail(char *err, size_t errlen, int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The loaders' common argument check; empties *out first so that a failed
 * load always leaves it safe to sbk_array_free. */
int sbk_io_check_load(const char *path, sbk_precision prec, sbk_array *out, char *err, size_t errlen);

/* fopen(path, "rb"), or SBK_EIO with the system's reason. */
int sbk_io_open(const char *path, FILE **f, char *err, size_t errlen);

/* rows * cols * elsize in *bytes; 0 when a size is not positive or the product
 * overflows size_t, so that no allocation or read is sized by a wrapped value. */
int sbk_io_bytes(int64_t rows, int64_t cols, size_t elsize, size_t *bytes);
/* 1 when bytes more fit in the memory available now (or the system does not
 * say): checked before allocating, as Linux would promise the memory and kill
 * the run later. */
int sbk_io_fits(double bytes);

/* Copies a rows × cols array of floats (src_size 4) or doubles (8), stored
 * row-major when src_row_major and column-major otherwise, into dst
 * column-major in dst_prec. */
void sbk_io_to_colmajor(void *dst, sbk_precision dst_prec, const void *src, size_t src_size, int src_row_major,
                        int64_t rows, int64_t cols);

/* Writes the concatenation of nparts buffers to path atomically: a temporary
 * file in the same directory, synced, then renamed over path. */
int sbk_io_write_atomic(const char *path, const void *const *parts, const size_t *lens, int nparts, char *err,
                        size_t errlen);

#endif
