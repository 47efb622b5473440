/* StarPU-MPI glue (doc/mpi.md): whether this process is one rank of an MPI
 * launch, the P×Q grid, tags and owners of registered data, and the few
 * collectives the drivers need around the task graph (agreeing on failure,
 * broadcasting sizes). Tiles themselves only ever move through StarPU-MPI. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "runtime/runtime.h"
#ifdef SBK_HAVE_MPI
#include <starpu_mpi.h>
#endif

static int active, rank, nranks = 1, grid_p = 1, grid_q = 1;
#if defined(SBK_HAVE_MPI) && defined(STARPU_SIMGRID)
#define SIM_COLLECTIVES 1 /* a simulated cluster: see sim_gather */
#endif
#ifdef SBK_HAVE_MPI
static int64_t next_tag;
#endif

/* Environment variables the common launchers set in every rank they start
 * (Open MPI, PMIx, MPICH/Hydra and Slurm's PMI). */
static int launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

int sbk_mpi_wanted(void)
{
    const char *force = getenv("SBK_MPI");
    if (force && *force)
        return strcmp(force, "0") != 0;
    return launched_by_mpi();
}

#ifdef SBK_HAVE_MPI /* without StarPU-MPI there is one rank and nothing to share */
/* P×Q with P >= Q, as square as the rank count allows, unless SBK_MPI_GRID=PxQ. */
static int choose_grid(int n)
{
    const char *text = getenv("SBK_MPI_GRID");
    if (text && *text) {
        int p, q;
        char tail;
        if (sscanf(text, "%dx%d%c", &p, &q, &tail) != 2 || p < 1 || q < 1 || p * q != n)
            return SBK_EINVAL;
        grid_p = p, grid_q = q;
        return SBK_SUCCESS;
    }
    grid_q = 1;
    for (int q = 1; q * q <= n; q++)
        if (n % q == 0)
            grid_q = q;
    grid_p = n / grid_q;
    return SBK_SUCCESS;
}

/* Several ranks on one node: each gets its share of the cores (a rank per
 * node is the intended layout, where StarPU takes every core by itself). The
 * launcher's one-core binding would leave StarPU no worker beside its MPI
 * thread, hence STARPU_WORKERS_GETBIND=0. Explicit settings win. Read before
 * MPI_Init, which starpu_mpi_init_conf calls. */
static void share_node(void)
{
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    if (!local)
        local = getenv("MPI_LOCALNRANKS");
    int per_node = local ? atoi(local) : 1;
    if (per_node <= 1)
        return;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char ncpu[32];
    snprintf(ncpu, sizeof ncpu, "%ld", cores / per_node > 1 ? cores / per_node : 1);
    setenv("STARPU_NCPU", ncpu, 0);
    setenv("STARPU_WORKERS_GETBIND", "0", 0);
    setenv("STARPU_MPI_NOBIND", "1", 0);
    /* Open MPI busy-polls by default: with more threads than cores, each
     * message then waits for time slices (SolveBak's small reductions ran 5x slower). */
    setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
}
#endif

#ifdef SBK_HAVE_MPI
/* What this rank's collectives sent through StarPU-MPI, per destination. */
static size_t *collective_bytes;
static long *collective_messages;

static void collective_sent(int dst, size_t bytes)
{
    if (!collective_bytes) {
        collective_bytes = calloc(nranks, sizeof *collective_bytes);
        collective_messages = calloc(nranks, sizeof *collective_messages);
        if (!collective_bytes || !collective_messages)
            sbk_abort(1);
    }
    collective_bytes[dst] += bytes, collective_messages[dst]++;
}

/* With STARPU_MPI_STATS=1, this rank's bytes to each rank over the whole run,
 * exactly (StarPU-MPI prints its own totals as floats), the collectives' left
 * out, and its collectives' messages, to take off StarPU-MPI's nb_sends
 * (scripts/comm-stats reads both). */
static void comm_stats_print(void)
{
    const char *stats = getenv("STARPU_MPI_STATS");
    size_t *sent = calloc(nranks, sizeof *sent);
    if (stats && atoi(stats) > 0 && sent) {
        long collective = 0;
        starpu_mpi_comm_stats_retrieve(sent);
        for (int dst = 0; dst < nranks; dst++) {
            size_t own = sent[dst] - (collective_bytes ? collective_bytes[dst] : 0);
            collective += collective_messages ? collective_messages[dst] : 0;
            if (own)
                fprintf(stderr, "[starbak_comm_stats][%d:%d] %zu B\n", rank, dst, own);
        }
        fprintf(stderr, "[starbak_comm_stats][%d] collective_messages: %ld\n", rank, collective);
    }
    free(sent), free(collective_bytes), free(collective_messages);
    collective_bytes = NULL, collective_messages = NULL;
}
#endif

int sbk_mpi_start(void)
{
#ifdef SBK_HAVE_MPI
    share_node();
    int ret = starpu_mpi_init_conf(NULL, NULL, 1, MPI_COMM_WORLD, NULL);
    if (ret == -ENODEV)
        return SBK_ENODEV;
    if (ret != 0)
        return SBK_ERUNTIME;
    starpu_mpi_comm_rank(MPI_COMM_WORLD, &rank);
    starpu_mpi_comm_size(MPI_COMM_WORLD, &nranks);
    if (choose_grid(nranks) != SBK_SUCCESS) {
        if (rank == 0)
            fprintf(stderr, "starbak: SBK_MPI_GRID=%s is not PxQ with P*Q = %d ranks\n", getenv("SBK_MPI_GRID"),
                    nranks);
        starpu_mpi_shutdown();
        return SBK_EINVAL;
    }
    active = 1, next_tag = 0;
    return SBK_SUCCESS;
#else
    fprintf(stderr, "starbak: launched under MPI, but this build has no StarPU-MPI: running as one process\n");
    return SBK_ENODEV;
#endif
}

void sbk_mpi_stop(void)
{
#ifdef SBK_HAVE_MPI
    if (!active)
        return;
    starpu_mpi_wait_for_all(MPI_COMM_WORLD);
    comm_stats_print();
    starpu_mpi_shutdown();
#endif
    active = 0, rank = 0, nranks = 1, grid_p = grid_q = 1;
}

int sbk_mpi_active(void) { return active; }
int sbk_rank(void) { return rank; }
int sbk_nranks(void) { return nranks; }

void sbk_mpi_grid(int *P, int *Q)
{
    if (P)
        *P = grid_p;
    if (Q)
        *Q = grid_q;
}

void sbk_data_distribute(starpu_data_handle_t h, int owner)
{
#ifdef SBK_HAVE_MPI
    /* Every rank registers the same handles in the same order, so a counter
     * gives each the same tag everywhere. */
    if (active)
        starpu_mpi_data_register(h, next_tag++, owner);
#else
    (void)h, (void)owner;
#endif
}

void sbk_data_replicate(starpu_data_handle_t h)
{
#ifdef SBK_HAVE_MPI
    if (active)
        starpu_mpi_data_register(h, next_tag++, STARPU_MPI_PER_NODE);
#else
    (void)h;
#endif
}

int sbk_data_owned(starpu_data_handle_t h)
{
#ifdef SBK_HAVE_MPI
    return !active || starpu_mpi_data_get_rank(h) == rank;
#else
    (void)h;
    return 1;
#endif
}

void sbk_data_flush(starpu_data_handle_t h)
{
#ifdef SBK_HAVE_MPI
    /* A replicated handle has no owner: flushing would invalidate every copy. */
    if (active && starpu_mpi_data_get_rank(h) >= 0)
        starpu_mpi_cache_flush(MPI_COMM_WORLD, h);
#else
    (void)h;
#endif
}

void sbk_data_unregister_submit(starpu_data_handle_t h)
{
#ifdef SBK_HAVE_MPI
    int owner = active ? starpu_mpi_data_get_rank(h) : -1;
    if (owner >= 0 && owner != rank && !starpu_mpi_cached_receive(h)) {
        starpu_data_unregister(h);
        return;
    }
#endif
    starpu_data_unregister_submit(h);
}

void sbk_data_broadcast(starpu_data_handle_t h)
{
#ifdef SBK_HAVE_MPI
    if (active)
        starpu_mpi_get_data_on_all_nodes_detached(MPI_COMM_WORLD, h);
#else
    (void)h;
#endif
}

int sbk_data_read(starpu_data_handle_t h, void *out, size_t bytes)
{
    sbk_data_broadcast(h);
    if (starpu_data_acquire(h, STARPU_R) != 0)
        return SBK_ERUNTIME;
    const void *local = starpu_data_get_local_ptr(h);
    if (out && out != local) /* out may be h's own home buffer */
        memcpy(out, local, bytes);
    starpu_data_release(h);
    /* After sbk_cancel the tasks that made h skipped their work. */
    return sbk_cancelled() ? SBK_ECANCELED : SBK_SUCCESS;
}

#if defined(SBK_HAVE_MPI) && defined(STARPU_SIMGRID)
/* In a simulated cluster (SMPI) the program's main thread is not its rank's
 * MPI process and may call StarPU-MPI only, not MPI itself: the collectives
 * below then move their few bytes as StarPU-MPI data. StarPU-MPI's statistics
 * count them, where a real run's MPI collectives are not counted: each rank
 * tallies what its collectives sent (collective_sent), and comm_stats_print
 * leaves it out. */
/* bytes at buf, owned by rank owner, registered the same everywhere. Every
 * rank gives its own buffer: StarPU-MPI receives into it, not into StarPU's
 * folded simulated memory (sbk_init), whose bytes every copy shares; and a
 * blocking receive into a handle without a home node can hang a simulated
 * cluster whose nodes have GPUs (doc/simulation.md). */
static starpu_data_handle_t register_bytes(void *buf, size_t bytes, int owner)
{
    starpu_data_handle_t h;
    starpu_vector_data_register(&h, STARPU_MAIN_RAM, (uintptr_t)buf, bytes, 1);
    starpu_mpi_data_register(h, next_tag++, owner);
    return h;
}

/* Rank 0's all receives each rank's bytes of mine, in rank order. */
static void sim_gather(const void *mine, size_t bytes, void *all)
{
    char *scratch = malloc(bytes); /* the slot of a rank that neither sends nor receives */
    if (!scratch)
        sbk_abort(1);
    if (rank == 0)
        memcpy(all, mine, bytes);
    for (int r = 1; r < nranks; r++) {
        void *slot = rank == r ? (void *)mine : rank == 0 ? (char *)all + r * bytes : scratch;
        starpu_data_handle_t h = register_bytes(slot, bytes, r);
        starpu_mpi_get_data_on_node(MPI_COMM_WORLD, h, 0);
        if (rank == r)
            collective_sent(0, bytes);
        starpu_data_unregister(h); /* brings the received bytes home, into slot */
    }
    free(scratch);
}

/* Every rank's buf receives rank 0's. */
static void sim_broadcast(void *buf, size_t bytes)
{
    starpu_data_handle_t h = register_bytes(buf, bytes, 0);
    starpu_mpi_get_data_on_all_nodes_detached(MPI_COMM_WORLD, h);
    for (int r = 1; rank == 0 && r < nranks; r++)
        collective_sent(r, bytes);
    starpu_data_unregister(h);
}

/* value combined over the ranks by combine (its first argument is updated). */
static void sim_allreduce(void *value, size_t bytes, void (*combine)(void *, const void *))
{
    char *all = malloc(bytes * nranks);
    if (!all)
        sbk_abort(1);
    sim_gather(value, bytes, all);
    for (int r = 1; rank == 0 && r < nranks; r++)
        combine(value, all + r * bytes);
    free(all);
    sim_broadcast(value, bytes);
}
static void min_int(void *a, const void *b) { *(int *)a = *(int *)a < *(const int *)b ? *(int *)a : *(const int *)b; }
static void min_long(void *a, const void *b) { *(long *)a = *(long *)a < *(const long *)b ? *(long *)a : *(const long *)b; }
static void sum_u64(void *a, const void *b) { *(uint64_t *)a += *(const uint64_t *)b; }
#endif

int sbk_all_succeeded(int ok)
{
#ifdef SBK_HAVE_MPI
    if (active) {
        int mine = ok ? 1 : 0, all = 0;
#ifdef SIM_COLLECTIVES
        sim_allreduce(&mine, sizeof mine, min_int);
        all = mine;
#else
        MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
#endif
        return all;
    }
#endif
    return ok ? 1 : 0;
}

int sbk_broadcast(void *buf, size_t bytes)
{
#ifdef SBK_HAVE_MPI
#ifdef SIM_COLLECTIVES
    if (active && bytes > 0) {
        sim_broadcast(buf, bytes);
        return SBK_SUCCESS;
    }
#endif
    if (active && bytes > 0)
        return MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD) == MPI_SUCCESS ? SBK_SUCCESS : SBK_ERUNTIME;
#else
    (void)buf, (void)bytes;
#endif
    return SBK_SUCCESS;
}

void sbk_abort(int status)
{
#ifdef SBK_HAVE_MPI
#ifndef SIM_COLLECTIVES /* simulated ranks are one process: exit ends them all */
    if (active && nranks > 1) {
        fflush(NULL);
        MPI_Abort(MPI_COMM_WORLD, status ? status : 1);
    }
#endif
#endif
    exit(status);
}

/* value combined over the ranks, in place (collective); one process keeps it. */
#ifdef SIM_COLLECTIVES
#define ALLREDUCE(value, type, op, combine) (active ? sim_allreduce(&(value), sizeof(value), combine) : (void)0)
#elif defined(SBK_HAVE_MPI)
#define ALLREDUCE(value, type, op, combine) \
    (active ? (void)MPI_Allreduce(MPI_IN_PLACE, &(value), 1, type, op, MPI_COMM_WORLD) : (void)0)
#else
#define ALLREDUCE(value, type, op, combine) ((void)0)
#endif

long sbk_mpi_min_long(long value)
{
    ALLREDUCE(value, MPI_LONG, MPI_MIN, min_long);
    return value;
}

uint64_t sbk_mpi_sum_u64(uint64_t value)
{
    ALLREDUCE(value, MPI_UINT64_T, MPI_SUM, sum_u64);
    return value;
}

int sbk_mpi_sum_doubles(double *values, size_t count)
{
#ifdef SBK_HAVE_MPI
    if (active && count > 0)
        return MPI_Allreduce(MPI_IN_PLACE, values, (int)count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS
                   ? SBK_SUCCESS
                   : SBK_ERUNTIME;
#else
    (void)values, (void)count;
#endif
    return SBK_SUCCESS;
}

int sbk_mpi_gather_longs(const long *mine, int count, long *all)
{
#ifdef SIM_COLLECTIVES
    if (active) {
        sim_gather(mine, count * sizeof *mine, all);
        return SBK_SUCCESS;
    }
#elif defined(SBK_HAVE_MPI)
    if (active)
        return MPI_Gather(mine, count, MPI_LONG, all, count, MPI_LONG, 0, MPI_COMM_WORLD) == MPI_SUCCESS
                   ? SBK_SUCCESS
                   : SBK_ERUNTIME;
#endif
    memcpy(all, mine, count * sizeof *mine);
    return SBK_SUCCESS;
}

void sbk_mpi_comm_bytes(size_t *sent)
{
    *sent = 0;
#ifdef SBK_HAVE_MPI
    if (!active)
        return;
    size_t *per_rank = calloc(nranks, sizeof *per_rank);
    if (!per_rank)
        return;
    starpu_mpi_comm_stats_retrieve(per_rank);
    for (int r = 0; r < nranks; r++)
        *sent += per_rank[r];
    free(per_rank);
#endif
}

int sbk_mpi_wait(void)
{
#ifdef SBK_HAVE_MPI
    if (active)
        return starpu_mpi_wait_for_all(MPI_COMM_WORLD);
#endif
    return starpu_task_wait_for_all();
}
