/* Every invalid-argument path of the public API returns its error code (and
 * never aborts), before and after sbk_init. */
#include "check.h"

static double buf[64 * 64];
static float fbuf[64 * 64];

static void calls_before_init_report_enoinit(void **state)
{
    (void)state;
    sbk_matrix *A = (sbk_matrix *)&buf; /* never dereferenced: init is checked first */
    uint64_t inside;
    assert_int_equal(sbk_matrix_create(&A, SBK_DOUBLE, buf, 4, 4, 4, 2, 2), SBK_ENOINIT);
    assert_null(A);
    assert_int_equal(sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1, NULL, NULL, 0, NULL), SBK_ENOINIT);
    assert_int_equal(sbk_add(1, NULL, 1, NULL, NULL), SBK_ENOINIT);
    assert_int_equal(sbk_scale(1, NULL), SBK_ENOINIT);
    assert_int_equal(sbk_mcpi(10, 1, 0, &inside), SBK_ENOINIT);
    assert_int_equal(sbk_wait(), SBK_ENOINIT);
    assert_int_equal(sbk_matrix_create_dist(&A, SBK_DOUBLE, NULL, 4, 4, 4, 2, 2, SBK_DIST_ROWS), SBK_ENOINIT);
    assert_int_equal(sbk_matrix_copy(NULL, NULL), SBK_ENOINIT);
    assert_int_equal(sbk_ncpu_workers(), 0);
    assert_null(sbk_alloc(16));
    sbk_pause(), sbk_resume(); /* harmless */
    sbk_shutdown();            /* harmless */
}

static void matrix_create_rejects_bad_arguments(void **state)
{
    (void)state;
    sbk_matrix *A;
    assert_int_equal(sbk_matrix_create(NULL, SBK_DOUBLE, buf, 4, 4, 4, 2, 2), SBK_EINVAL);
    assert_int_equal(sbk_matrix_create(&A, SBK_DOUBLE, NULL, 4, 4, 4, 2, 2), SBK_EINVAL);
    assert_null(A);
    assert_int_equal(sbk_matrix_create(&A, SBK_DOUBLE, buf, 0, 4, 4, 2, 2), SBK_EINVAL);
    assert_int_equal(sbk_matrix_create(&A, SBK_DOUBLE, buf, 4, -1, 4, 2, 2), SBK_EINVAL);
    assert_int_equal(sbk_matrix_create(&A, SBK_DOUBLE, buf, 4, 4, 3, 2, 2), SBK_EINVAL);  /* ld < m */
    assert_int_equal(sbk_matrix_create(&A, SBK_DOUBLE, buf, 4, 4, 4, 0, 2), SBK_EINVAL);
    assert_int_equal(sbk_matrix_create(&A, SBK_DOUBLE, buf, 4, 4, 4, 2, -3), SBK_EINVAL);
    assert_int_equal(sbk_matrix_create(&A, (sbk_precision)3, buf, 4, 4, 4, 2, 2), SBK_EINVAL);
    assert_null(A);
}

/* Without mpirun there is one rank owning every tile, whatever the
 * distribution; copies between matrices (the MPI scatter and gather) work and
 * check their operands. */
static void distributed_matrices_in_one_process(void **state)
{
    (void)state;
    sbk_matrix *A, *W, *B, *F;
    int P = 0, Q = 0;
    assert_int_equal(sbk_rank(), 0);
    assert_int_equal(sbk_nranks(), 1);
    sbk_mpi_grid(&P, &Q);
    assert_int_equal(P * 10 + Q, 11);
    assert_int_equal(sbk_all_succeeded(1), 1);
    assert_int_equal(sbk_all_succeeded(0), 0);
    assert_int_equal(sbk_broadcast(buf, 8), SBK_SUCCESS);
    assert_int_equal(sbk_matrix_create_dist(&A, SBK_DOUBLE, buf, 4, 4, 4, 2, 2, (sbk_distribution)7), SBK_EINVAL);
    assert_null(A);
    static double src[37 * 25], dst[37 * 25];
    for (int i = 0; i < 37 * 25; i++)
        src[i] = i * 0.25 - 3, dst[i] = 0;
    assert_int_equal(sbk_matrix_create_dist(&A, SBK_DOUBLE, src, 37, 25, 37, 16, 7, SBK_DIST_ROOT), 0);
    assert_int_equal(sbk_matrix_create_dist(&W, SBK_DOUBLE, NULL, 37, 25, 37, 16, 7, SBK_DIST_2D), 0);
    assert_int_equal(sbk_matrix_create_dist(&B, SBK_DOUBLE, dst, 37, 25, 37, 16, 7, SBK_DIST_ROWS), 0);
    assert_int_equal(sbk_matrix_create_dist(&F, SBK_FLOAT, fbuf, 37, 25, 37, 16, 7, SBK_DIST_ROWS), 0);
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 3; i++)
            assert_int_equal(sbk_matrix_tile_owner(W, i, j), 0);
    assert_int_equal(sbk_matrix_tile_owner(W, 3, 0), -1);
    assert_int_equal(sbk_matrix_tile_owner(NULL, 0, 0), -1);
    assert_int_equal(sbk_matrix_copy(A, F), SBK_EPREC);
    assert_int_equal(sbk_matrix_copy(A, NULL), SBK_EINVAL);
    sbk_matrix *S;
    assert_int_equal(sbk_matrix_create_dist(&S, SBK_DOUBLE, dst, 37, 25, 37, 16, 8, SBK_DIST_ROWS), 0);
    assert_int_equal(sbk_matrix_copy(A, S), SBK_ESHAPE); /* other tiling */
    sbk_matrix_destroy(S);
    assert_int_equal(sbk_matrix_copy(A, W), 0); /* into StarPU's memory and out again */
    assert_int_equal(sbk_matrix_copy(W, B), 0);
    sbk_matrix_destroy(A), sbk_matrix_destroy(W), sbk_matrix_destroy(B), sbk_matrix_destroy(F);
    assert_memory_equal(src, dst, sizeof src);
}

static void matrix_accessors_describe_the_tiling(void **state)
{
    (void)state;
    sbk_matrix *A;
    assert_int_equal(sbk_matrix_create(&A, SBK_FLOAT, fbuf, 37, 25, 40, 16, 17), 0);
    assert_int_equal(sbk_matrix_rows(A), 37);
    assert_int_equal(sbk_matrix_cols(A), 25);
    assert_int_equal(sbk_matrix_tile_rows(A), 16);
    assert_int_equal(sbk_matrix_tile_cols(A), 17);
    assert_int_equal(sbk_matrix_row_tiles(A), 3);
    assert_int_equal(sbk_matrix_col_tiles(A), 2);
    assert_int_equal(sbk_matrix_precision(A), SBK_FLOAT);
    assert_non_null(sbk_matrix_tile(A, 2, 1));
    assert_null(sbk_matrix_tile(A, 3, 0));
    assert_null(sbk_matrix_tile(A, 0, 2));
    assert_null(sbk_matrix_tile(A, -1, 0));
    assert_null(sbk_matrix_tile(NULL, 0, 0));
    sbk_matrix_destroy(A);
    sbk_matrix_destroy(NULL);
}

static void gemm_rejects_nonconforming_operands(void **state)
{
    (void)state;
    static double a[16 * 16], b[16 * 16], c[16 * 16];
    sbk_matrix *A, *B, *C, *Cf, *Bbad, *Btile;
    assert_int_equal(sbk_matrix_create(&A, SBK_DOUBLE, a, 8, 6, 8, 4, 3), 0);    /* 8×6 */
    assert_int_equal(sbk_matrix_create(&B, SBK_DOUBLE, b, 6, 5, 6, 3, 2), 0);    /* 6×5 */
    assert_int_equal(sbk_matrix_create(&C, SBK_DOUBLE, c, 8, 5, 8, 4, 2), 0);    /* 8×5 */
    assert_int_equal(sbk_matrix_create(&Cf, SBK_FLOAT, fbuf, 8, 5, 8, 4, 2), 0);
    assert_int_equal(sbk_matrix_create(&Bbad, SBK_DOUBLE, b, 7, 5, 7, 3, 2), 0); /* k mismatch */
    assert_int_equal(sbk_matrix_create(&Btile, SBK_DOUBLE, b, 6, 5, 6, 2, 2), 0); /* kb mismatch */
    assert_int_equal(sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1, NULL, B, 0, C), SBK_EINVAL);
    assert_int_equal(sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1, A, B, 0, NULL), SBK_EINVAL);
    assert_int_equal(sbk_gemm((sbk_trans)7, SBK_NOTRANS, 1, A, B, 0, C), SBK_EINVAL);
    assert_int_equal(sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1, A, B, 0, Cf), SBK_EPREC);
    assert_int_equal(sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1, A, Bbad, 0, C), SBK_ESHAPE);
    assert_int_equal(sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1, A, Btile, 0, C), SBK_ESHAPE);
    assert_int_equal(sbk_gemm(SBK_TRANS, SBK_NOTRANS, 1, A, B, 0, C), SBK_ESHAPE);
    assert_int_equal(sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1, A, B, 0, C), 0); /* the good call works */
    sbk_matrix_destroy(A), sbk_matrix_destroy(B), sbk_matrix_destroy(C);
    sbk_matrix_destroy(Cf), sbk_matrix_destroy(Bbad), sbk_matrix_destroy(Btile);
}

static void elementwise_rejects_bad_operands(void **state)
{
    (void)state;
    static double a[100], b[100], c[100], c2[100];
    sbk_matrix *A, *B, *C, *Cf, *Cshape;
    assert_int_equal(sbk_matrix_create(&A, SBK_DOUBLE, a, 10, 1, 10, 4, 1), 0);
    assert_int_equal(sbk_matrix_create(&B, SBK_DOUBLE, b, 10, 1, 10, 4, 1), 0);
    assert_int_equal(sbk_matrix_create(&C, SBK_DOUBLE, c, 10, 1, 10, 4, 1), 0);
    assert_int_equal(sbk_matrix_create(&Cf, SBK_FLOAT, fbuf, 10, 1, 10, 4, 1), 0);
    assert_int_equal(sbk_matrix_create(&Cshape, SBK_DOUBLE, c2, 10, 1, 10, 5, 1), 0);
    assert_int_equal(sbk_add(1, A, 1, B, A), SBK_EINVAL);
    assert_int_equal(sbk_add(1, A, 1, NULL, C), SBK_EINVAL);
    assert_int_equal(sbk_add(1, A, 1, B, Cf), SBK_EPREC);
    assert_int_equal(sbk_add(1, A, 1, B, Cshape), SBK_ESHAPE);
    assert_int_equal(sbk_scale(2, NULL), SBK_EINVAL);
    sbk_matrix_destroy(A), sbk_matrix_destroy(B), sbk_matrix_destroy(C);
    sbk_matrix_destroy(Cf), sbk_matrix_destroy(Cshape);
}

static void mcpi_rejects_bad_arguments(void **state)
{
    (void)state;
    uint64_t inside;
    assert_int_equal(sbk_mcpi(0, 1, 0, &inside), SBK_EINVAL);
    assert_int_equal(sbk_mcpi(10, 1, -1, &inside), SBK_EINVAL);
    assert_int_equal(sbk_mcpi(10, 1, 0, NULL), SBK_EINVAL);
}

static void every_error_has_its_own_message(void **state)
{
    (void)state;
    const int codes[] = {SBK_SUCCESS, SBK_EINVAL, SBK_ESHAPE, SBK_EPREC, SBK_ENOMEM,
                         SBK_ERUNTIME, SBK_ENOINIT, SBK_ENODEV, SBK_EIO, SBK_EFORMAT};
    const int n = sizeof codes / sizeof codes[0];
    for (int i = 0; i < n; i++) {
        assert_non_null(sbk_strerror(codes[i]));
        assert_string_not_equal(sbk_strerror(codes[i]), sbk_strerror(-1000));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(sbk_strerror(codes[i]), sbk_strerror(codes[j]));
    }
}

static void init_twice_is_harmless(void **state)
{
    (void)state;
    assert_int_equal(sbk_init(), 0);
    assert_true(sbk_is_initialized());
    assert_true(sbk_ncpu_workers() + sbk_ncuda_workers() > 0);
}

/* Paused workers run nothing until sbk_resume; pausing twice is harmless. */
static void pause_and_resume(void **state)
{
    (void)state;
    uint64_t before, after;
    assert_int_equal(sbk_mcpi(100000, 3, 4, &before), SBK_SUCCESS);
    sbk_pause(), sbk_pause();
    sbk_resume(), sbk_resume();
    assert_int_equal(sbk_mcpi(100000, 3, 4, &after), SBK_SUCCESS);
    assert_true(before == after);
    sbk_pause(); /* sbk_shutdown resumes first (stop_starbak) */
}

/* OpenBLAS's process-wide count: sbk_init leaves 1; set returns the previous one. */
static void blas_threads_and_version(void **state)
{
    (void)state;
    assert_int_equal(sbk_blas_threads(), 1);
    assert_int_equal(sbk_blas_threads_set(2), 1);
    assert_int_equal(sbk_blas_threads(), 2);
    assert_int_equal(sbk_blas_threads_set(0), 2); /* below 1: unchanged */
    assert_int_equal(sbk_blas_threads_set(1), 2);
    assert_int_equal(strncmp(sbk_runtime_version(), "StarPU 1.4.", 11), 0);
}

int main(void)
{
    const struct CMUnitTest before[] = {
        cmocka_unit_test(calls_before_init_report_enoinit),
        cmocka_unit_test(every_error_has_its_own_message),
    };
    const struct CMUnitTest after[] = {
        cmocka_unit_test(init_twice_is_harmless),
        cmocka_unit_test(matrix_create_rejects_bad_arguments),
        cmocka_unit_test(matrix_accessors_describe_the_tiling),
        cmocka_unit_test(distributed_matrices_in_one_process),
        cmocka_unit_test(gemm_rejects_nonconforming_operands),
        cmocka_unit_test(elementwise_rejects_bad_operands),
        cmocka_unit_test(mcpi_rejects_bad_arguments),
        cmocka_unit_test(blas_threads_and_version),
        cmocka_unit_test(pause_and_resume),
    };
    int failed = cmocka_run_group_tests_name("before_init", before, NULL, NULL);
    failed += cmocka_run_group_tests_name("after_init", after, start_starbak, stop_starbak);
    return failed ? 1 : 0;
}
