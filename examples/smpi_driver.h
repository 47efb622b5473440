/* The drivers in a simulated cluster (smpi/, doc/simulation.md). SMPI runs
 * every rank in one process: each rank has its own copy of the program's
 * globals, but the C library's are shared. Forced into each driver file of
 * that build, this header keeps the two the drivers rely on per rank:
 * - stdout: the freopen that silences ranks other than 0 under mpirun would
 *   silence rank 0 too; their standard output goes through drv_stdout()
 *   instead (rank 0's is stdout, the others' /dev/null);
 * - getopt's optind: each rank's main (drv_rank_main, started by driver.c's
 *   starpu_main) parses its arguments from the first again. */
#ifndef SBK_SMPI_DRIVER_H
#define SBK_SMPI_DRIVER_H
#include <stdio.h>
static inline FILE *drv_process_stdout(void) { return stdout; }
FILE *drv_stdout(void);
#undef stdout
#define stdout drv_stdout()
#define printf(...) fprintf(stdout, __VA_ARGS__)
#undef main
#define main drv_rank_main
int drv_rank_main(int argc, char **argv);
#endif
