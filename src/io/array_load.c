/* sbk_array_load: picks the reader by the file's extension. It sits above the
 * readers (npy.c, csv.c), which share only common.c's helpers. */
#include <string.h>
#include <strings.h>
#include "internal/io.h"

/* The extension of the file name (after the last '/'), without the dot, or "". */
static const char *extension(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base : path, '.');
    return dot ? dot + 1 : "";
}

int sbk_array_load(const char *path, sbk_precision prec, sbk_array *out, char *err, size_t errlen)
{
    int ret = sbk_io_check_load(path, prec, out, err, errlen);
    if (ret != SBK_SUCCESS)
        return ret;
    const char *ext = extension(path);
    if (strcasecmp(ext, "npy") == 0)
        return sbk_npy_load(path, prec, out, err, errlen);
    if (strcasecmp(ext, "csv") == 0 || strcasecmp(ext, "txt") == 0)
        return sbk_csv_load(path, prec, -1, out, err, errlen);
    return sbk_io_fail(err, errlen, SBK_EINVAL, path, "unknown file type '%s%s': expected .npy, .csv or .txt",
                       *ext ? "." : "", ext);
}
