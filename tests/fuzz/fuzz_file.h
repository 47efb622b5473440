/* Shared by the libFuzzer harnesses: starbak's readers take a path, so each
 * input is written to a file in a directory of this process's own, removed at
 * exit. */
#ifndef SBK_FUZZ_FILE_H
#define SBK_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[4096];

static void fuzz_remove_dir(void)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

/* Writes data to <the process's directory>/name and returns that path; a
 * failure to write is the machine's fault, not the reader's: abort. */
static const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[4200];
    if (!fuzz_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/sbk-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(fuzz_dir))
            perror("fuzz: mkdtemp"), abort();
        atexit(fuzz_remove_dir);
    }
    snprintf(path, sizeof path, "%s/%s", fuzz_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        perror("fuzz: writing the input"), abort();
    return path;
}

#endif
