#!/usr/bin/env bash
# StarPU-MPI on this machine: GEMM, SolveBak (each method), the ANN and Monte-Carlo under
# `mpirun -np 1, 2, 4` give the single-process results (tests/mpi_check.c), k-means and
# the ANN's kmeans partition the same output files as one process, the
# drivers run unchanged under mpirun, and a rank that fails stops every rank
# with a message instead of a hang. Skipped (77) without mpirun or StarPU-MPI.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${abs_top_builddir:-$top} # the built programs (elsewhere than the sources in a VPATH build)
check=$build/tests/mpi_check bin=$build/examples
command -v mpirun >/dev/null || { echo "mpirun not found: skipped"; exit 77; }
grep -q -- '-DSBK_HAVE_MPI=1' "$build/Makefile" 2>/dev/null || { echo "built without StarPU-MPI: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/starbak-mpi.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Several ranks share this machine's cores; root (CI containers) needs Open MPI's consent;
# containers often forbid the cross-process memory copies of Open MPI's shared-memory transport.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
limit=${SBK_MPI_TEST_TIMEOUT:-300}
. "$top/tests/expect.sh"
# mpirun's own timeout ends every rank, so a hang shows as a failure.
run() { local n=$1; shift; mpirun --oversubscribe --bind-to none --timeout "$limit" -np "$n" "$@"; }
same() { # same FILE COPY: byte for byte, else a failure naming COPY
  checks=$((checks + 1))
  cmp -s "$1" "$2" || { failures=$((failures + 1)); echo "FAILED: $(basename "$2") differs from one process's"; }
}

# The single-process results (no mpirun, SBK_MPI=0) every rank count must reproduce.
expect 0 'solvebak on 1 rank.*passed' env SBK_MPI=0 "$check" solvebak "$work/solvebak.ref" write
expect 0 'ann on 1 rank.*passed' env SBK_MPI=0 "$check" ann "$work/ann.ref" write
expect 0 'kmeans on 1 rank.*passed' env SBK_MPI=0 "$check" kmeans "$work/kmeans.ref" write
for n in 1 2 4; do
  expect 0 "gemm on $n rank.*passed" run "$n" "$check" gemm
  expect 0 "solvebak on $n rank.*passed" run "$n" "$check" solvebak "$work/solvebak.ref"
  expect 0 "ann on $n rank.*passed" run "$n" "$check" ann "$work/ann.ref"
  expect 0 "kmeans on $n rank.*passed" run "$n" "$check" kmeans "$work/kmeans.ref"
done

# The drivers, unchanged: rank 0 reads and writes the files, the results do not
# depend on the rank count (fixed row blocks: the same sums in the same order).
"$bin/solvebak" --obs 900 --vars 30 --batch 10 --iters 3 --tile-rows 100 --method batched,block-exact \
  --out "$work/a0.npy" >/dev/null 2>&1
"$bin/ann" fit --obs 1500 --vars 3 --neurons 30 --tile-rows 200 --model "$work/m0.sbk" >/dev/null 2>&1
# Monte-Carlo: each rank counts its share of the samples; the same count as one process.
inside=$("$bin/mcpi" -s 3000017 --seed 5 | grep '^inside:')
for n in 1 2 4; do
  mcpi_tasks='tasks on CPU: [1-9]'; [ "$n" -gt 1 ] && mcpi_tasks="rank $((n - 1)): .*tasks on CPU: [1-9]"
  expect 0 "$inside" run "$n" "$bin/mcpi" -s 3000017 --seed 5
  expect 0 "$mcpi_tasks" run "$n" "$bin/mcpi" -s 3000017 --seed 5
done
for n in 1 2 4; do
  expect 0 'check: passed' run "$n" "$bin/vecadd" -n 100003 -t 4096 -p s
  expect 0 'check: passed' run "$n" "$bin/gemm" -m 77 -n 45 -k 63 -t 16 --transa T --beta 0.5 --check --iterations 1
  workers='^workers: [0-9]+ CPU'; [ "$n" -gt 1 ] && workers="rank $((n - 1)): [0-9]+ CPU"
  expect 0 "$workers" run "$n" "$bin/solvebak" --obs 900 --vars 30 --batch 10 --iters 3 \
    --tile-rows 100 --method batched,block-exact --out "$work/a$n.npy"
  expect 0 'r_test: 0\.99' run "$n" "$bin/ann" fit --obs 1500 --vars 3 --neurons 30 --tile-rows 200 \
    --model "$work/m$n.sbk"
  same "$work/a0.npy" "$work/a$n.npy"
  same "$work/m0.sbk" "$work/m$n.sbk"
done

# k-means and the ANN's kmeans partition, row-distributed: the same centroids and
# labels (each init) and the same model as one process, under every scheduler.
km="--obs 3001 --vars 7 --k 9 --tile-rows 170 --iters 20 --tol 0"
for init in k-means++ random; do
  "$bin/kmeans" $km -p s --init $init --out "$work/c0$init.npy" --labels "$work/l0$init.npy" >/dev/null 2>&1
done
"$bin/kmeans" $km --init "$work/c0random.npy" -p s --out "$work/c0given.npy" --labels "$work/l0given.npy" \
  >/dev/null 2>&1
"$bin/ann" fit --obs 1500 --vars 3 --neurons 30 --tile-rows 200 --partition kmeans --model "$work/k0.sbk" >/dev/null 2>&1
for n in 1 2 4; do
  for init in k-means++ random given; do
    from=$init; [ $init = given ] && from=$work/c0random.npy
    expect 0 '^converged: ' run "$n" "$bin/kmeans" $km -p s --init "$from" --out "$work/c$n$init.npy" \
      --labels "$work/l$n$init.npy"
    same "$work/c0$init.npy" "$work/c$n$init.npy"
    same "$work/l0$init.npy" "$work/l$n$init.npy"
  done
  expect 0 'r_test: 0\.99' run "$n" "$bin/ann" fit --obs 1500 --vars 3 --neurons 30 --tile-rows 200 \
    --partition kmeans --model "$work/k$n.sbk"
  same "$work/k0.sbk" "$work/k$n.sbk"
done
for sched in eager lws dmda; do
  expect 0 '^converged: ' run 2 env STARPU_SCHED=$sched "$bin/kmeans" $km -p s --out "$work/c$sched.npy" \
    --labels "$work/l$sched.npy"
  same "$work/c0k-means++.npy" "$work/c$sched.npy"
  same "$work/l0k-means++.npy" "$work/l$sched.npy"
done

# A rank that fails stops every rank, with a message, never a hang: a
# malformed file on the last rank only, and a missing file on rank 0 (the reader).
printf '\223NUMPY\001\000truncated' > "$work/bad.npy"
printf '1,2\n3,4\n' > "$work/good.csv"
expect 1 'rank 3: .*bad.npy: truncated header' run 4 "$check" one-rank-fails "$work/bad.npy" "$work/good.csv"
expect 1 'rank 0 stops' run 4 "$check" one-rank-fails "$work/bad.npy" "$work/good.csv"
expect 1 'missing.npy: cannot open.*' run 2 "$bin/solvebak" --X "$work/missing.npy" --y "$work/good.csv"
expect 1 'rank 1 stops because another rank failed' run 2 "$bin/solvebak" --X "$work/missing.npy" --y "$work/good.csv"
echo keep > "$work/keep.npy"
expect 1 'bad.npy: truncated header' run 2 "$bin/kmeans" --X "$work/bad.npy" --out "$work/keep.npy" --labels "$work/keep.npy"
expect 1 'rank 1 stops because another rank failed' run 2 "$bin/kmeans" --X "$work/missing.npy" --out "$work/keep.npy"
expect 1 'bad.npy: truncated header' run 2 "$bin/kmeans" --X "$work/good.csv" --init "$work/bad.npy" --out "$work/keep.npy"
expect 2 'exceeds the 2 rows' run 2 "$bin/kmeans" --X "$work/good.csv" --k 3 --out "$work/keep.npy"
checks=$((checks + 1))
[ "$(cat "$work/keep.npy")" = keep ] || { failures=$((failures + 1)); echo "FAILED: a failed k-means run overwrote its output"; }

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
