/* Shared by the GPU-only tests: STARPU_NCPU=0 leaves only CUDA workers, so
 * every task runs on a GPU. On a machine without one sbk_init fails, each test
 * skips and the program exits 77 (automake's "skipped"). */
#ifndef STARBAK_TESTS_GPU_ONLY_H
#define STARBAK_TESTS_GPU_ONLY_H

#include <stdlib.h>
#include "check.h"

static int have_gpu;

static int start_gpu_only(void **state)
{
    (void)state;
    setenv("STARPU_NCPU", "0", 1);
    /* Fails with SBK_ENODEV without a GPU: each test then skips. */
    have_gpu = sbk_init() == SBK_SUCCESS && sbk_ncuda_workers() > 0;
    return 0;
}

static void require_gpu(void)
{
    if (!have_gpu)
        skip();
}

/* main's exit status from cmocka_run_group_tests' count of failures. */
static int gpu_only_exit(int failed)
{
    return failed ? 1 : have_gpu ? 0 : 77;
}

#endif
