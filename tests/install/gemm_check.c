/* A user's program against the installed starbak, built with nothing but
 * `pkg-config --cflags --libs starbak`: a small double GEMM on tiles, checked
 * against a triple loop. Exit 0 when it agrees to a scaled 1e-12. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <starbak/starbak.h>

int main(void)
{
    enum { M = 70, N = 45, K = 33, TILE = 16 };
    double *a = malloc(sizeof(double) * M * K), *b = malloc(sizeof(double) * K * N);
    double *c = calloc(M * N, sizeof(double));
    for (int i = 0; i < M * K; i++)
        a[i] = (double)(i % 7) - 3.0;
    for (int i = 0; i < K * N; i++)
        b[i] = (double)(i % 5) / 4.0;
    int ret = sbk_init();
    if (ret != SBK_SUCCESS) {
        fprintf(stderr, "sbk_init: %s\n", sbk_strerror(ret));
        return 1;
    }
    sbk_matrix *A, *B, *C;
    sbk_matrix_create(&A, SBK_DOUBLE, a, M, K, M, TILE, TILE);
    sbk_matrix_create(&B, SBK_DOUBLE, b, K, N, K, TILE, TILE);
    sbk_matrix_create(&C, SBK_DOUBLE, c, M, N, M, TILE, TILE);
    ret = sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1.0, A, B, 0.0, C);
    sbk_matrix_destroy(A);
    sbk_matrix_destroy(B);
    sbk_matrix_destroy(C);
    sbk_shutdown();
    double err = 0, scale = 0;
    for (int j = 0; j < N; j++)
        for (int i = 0; i < M; i++) {
            double ref = 0;
            for (int l = 0; l < K; l++)
                ref += a[i + l * M] * b[l + j * K];
            err = fmax(err, fabs(c[i + j * M] - ref));
            scale = fmax(scale, fabs(ref));
        }
    printf("gemm: %s, max error %.3g of %.3g\n", sbk_strerror(ret), err, scale);
    free(a), free(b), free(c);
    return ret == SBK_SUCCESS && err <= 1e-12 * K * scale ? 0 : 1;
}
