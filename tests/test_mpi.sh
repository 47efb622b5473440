#!/usr/bin/env bash
# StarPU-MPI on this machine: GEMM, SolveBak (each method), the ANN and Monte-Carlo under
# `mpirun -np 1, 2, 4` give the single-process results within the tolerances of
# doc/mpi.md (tests/mpi_check.c), and so do k-means and the ANN's kmeans
# partition row-distributed; the drivers run unchanged under mpirun and give
# the same bits under every scheduler for a rank count, a SolveBak batch sends
# one message per rank, a rank that fails stops every rank with a message
# instead of a hang, and so does a rank killed mid-run. Skipped (77) without mpirun or StarPU-MPI.
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
run_sched() { local sched=$1; shift; STARPU_SCHED=$sched mpirun --oversubscribe --bind-to none --timeout "$limit" -np "$@"; }

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

# The drivers, unchanged: rank 0 reads and writes the files. One rank gives one
# process's bits; on 2 and 4 ranks the reductions add each rank's partials first,
# then the ranks' sums along a fixed tree (doc/mpi.md): the same bits under every
# scheduler and run for a rank count, and within 1e-10 of one process's a
# (relative to its largest element) across rank counts.
methods="per-column batched block-exact gram"
base=${STARPU_SCHED:-lws} other=eager; [ "$base" = eager ] && other=lws
solvebak_args=(--obs 900 --vars 30 --batch 10 --iters 3 --tile-rows 100)
ann_args=(fit --obs 1500 --vars 3 --neurons 30 --tile-rows 200)
for m in $methods; do
  "$bin/solvebak" "${solvebak_args[@]}" --method "$m" --out "$work/a0-$m.csv" >/dev/null 2>&1
done
"$bin/ann" "${ann_args[@]}" --model "$work/m0.sbk" >/dev/null 2>&1
# Monte-Carlo: each rank counts its share of the samples; the same count as one process.
inside=$("$bin/mcpi" -s 3000017 --seed 5 | grep '^inside:')
for n in 1 2 4; do
  mcpi_tasks='tasks on CPU: [1-9]'; [ "$n" -gt 1 ] && mcpi_tasks="rank $((n - 1)): .*tasks on CPU: [1-9]"
  expect 0 "$inside" run "$n" "$bin/mcpi" -s 3000017 --seed 5
  expect 0 "$mcpi_tasks" run "$n" "$bin/mcpi" -s 3000017 --seed 5
done
# same FILE REFERENCE: byte for byte; close FILE REFERENCE: max |a - ref| <= 1e-10 max |ref| (CSV, %.17g).
same() {
  checks=$((checks + 1))
  cmp -s "$1" "$2" || { failures=$((failures + 1)); echo "FAILED: $1 differs from $2"; }
}
close() { # FILE REF [TOLERANCE, relative to REF's largest value; 1e-10]
  local tol=${3:-1e-10}
  checks=$((checks + 1))
  paste -d, "$1" "$2" | awk -F, -v file="$(basename "$1")" -v tol="$tol" '{ d = $1 - $2; d = d < 0 ? -d : d; r = $2 < 0 ? -$2 : $2
      if (d > diff) diff = d; if (r > scale) scale = r }
    END { printf "%s: %.3e apart, largest %.3e\n", file, diff, scale; exit !(NR > 0 && diff <= tol * scale) }' ||
    { failures=$((failures + 1)); echo "FAILED: $1 is not within $tol of $2"; }
}
for n in 1 2 4; do
  expect 0 'check: passed' run "$n" "$bin/vecadd" -n 100003 -t 4096 -p s
  expect 0 'check: passed' run "$n" "$bin/gemm" -m 77 -n 45 -k 63 -t 16 --transa T --beta 0.5 --check --iterations 1
  workers='^workers: [0-9]+ CPU'; [ "$n" -gt 1 ] && workers="rank $((n - 1)): [0-9]+ CPU"
  # The scheduler the test runs under (tests/sched-loader runs it under each) against one other.
  scheds=$base; [ "$n" -gt 1 ] && scheds="$base $other"
  for sched in $scheds; do
    for m in $methods; do
      expect 0 "$workers" run_sched "$sched" "$n" "$bin/solvebak" "${solvebak_args[@]}" --method "$m" \
        --out "$work/a$n-$sched-$m.csv"
    done
    expect 0 'r_test: 0\.99' run_sched "$sched" "$n" "$bin/ann" "${ann_args[@]}" --model "$work/m$n-$sched.sbk"
  done
  for m in $methods; do
    ref=$work/a$n-$base-$m.csv
    if [ "$n" -eq 1 ]; then same "$ref" "$work/a0-$m.csv"; else close "$ref" "$work/a0-$m.csv"; fi
    [ "$n" -gt 1 ] && same "$work/a$n-$other-$m.csv" "$ref"
  done
  if [ "$n" -eq 1 ]; then same "$work/m1-$base.sbk" "$work/m0.sbk"; else same "$work/m$n-$other.sbk" "$work/m$n-$base.sbk"; fi
done
# Gram on M larger than 1 MiB (401 x 401 doubles): each rank's own sum gets its host
# buffer as the reduction is submitted (codelets/linalg/reduce.c); the same checks,
# in both precisions (single: within 1e-5 across rank counts).
for p in d s; do
  gram_args=(--obs 1200 --vars 400 --iters 3 --tile-rows 300 --method gram -p $p)
  "$bin/solvebak" "${gram_args[@]}" --out "$work/g0$p.csv" >/dev/null 2>&1
  tol=1e-10; [ $p = s ] && tol=1e-5
  for n in 2 4; do
    for sched in $base $other; do
      expect 0 "rank $((n - 1)): [0-9]+ CPU" run_sched "$sched" "$n" "$bin/solvebak" "${gram_args[@]}" --out "$work/g$n-$sched$p.csv"
    done
    close "$work/g$n-$base$p.csv" "$work/g0$p.csv" $tol
    same "$work/g$n-$other$p.csv" "$work/g$n-$base$p.csv"
  done
done

# Messages per SolveBak batch (StarPU-MPI's count, STARPU_MPI_STATS=1): every
# reduction sends one partial from each rank but 0 and the step (or the
# residual norm) from rank 0 to each other rank, whatever the row blocks per
# rank (64 row blocks here: one message per row block would send 32 or 16 per
# rank and reduction). Iterations 2 and 3 make the difference between a 3- and
# a 1-iteration run: 2 x (4 batches + the norm) reductions.
sends() { # the messages each rank sent, in rank order
  env STARPU_MPI_STATS=1 mpirun --oversubscribe --bind-to none --timeout "$limit" -np "$1" "$bin/solvebak" \
    --obs 6400 --vars 40 --batch 10 --iters "$2" --tol 0 --tile-rows 100 --method batched 2>&1 |
    sed -n 's/^\[starpu_comm_stats\]\[\([0-9]*\)\] nb_sends: \([0-9]*\)$/\1 \2/p' | sort -n | cut -d' ' -f2
}
for n in 2 4; do
  one=($(sends "$n" 1)) three=($(sends "$n" 3))
  checks=$((checks + 1))
  if [ "${#one[@]}" -ne "$n" ] || [ "${#three[@]}" -ne "$n" ]; then
    failures=$((failures + 1)); echo "FAILED: no nb_sends line per rank from STARPU_MPI_STATS=1 on $n ranks"; continue
  fi
  for ((r = 0; r < n; r++)); do
    per=$((three[r] - one[r])) want=$(( r == 0 ? 10 * (n - 1) : 10 ))
    echo "$n ranks, rank $r: $per messages in 10 reductions (at most $want)"
    [ "$per" -le "$want" ] || { failures=$((failures + 1)); echo "FAILED: rank $r of $n sent $per messages in 10 reductions, more than $want"; }
  done
done

# k-means and the ANN's kmeans partition, row-distributed: one rank gives one
# process's files; on 2 and 4 ranks the same labels, and centroids within 1e-10
# of one process's (the tile sums add per rank, then along the tree), the same
# bits under every scheduler for a rank count; the ANN's kmeans model the same
# bits under two schedulers for a rank count.
km="--obs 3001 --vars 7 --k 9 --tile-rows 170 --iters 20 --tol 0"
close_matrix() { tr , '\n' <"$1" >"$1.col"; tr , '\n' <"$2" >"$2.col"; close "$1.col" "$2.col"; }
for init in k-means++ random; do
  "$bin/kmeans" $km --init $init --out "$work/c0$init.csv" --labels "$work/l0$init.npy" >/dev/null 2>&1
done
"$bin/kmeans" $km --init "$work/c0random.csv" --out "$work/c0given.csv" --labels "$work/l0given.npy" >/dev/null 2>&1
"$bin/ann" "${ann_args[@]}" --partition kmeans --model "$work/k0.sbk" >/dev/null 2>&1
for n in 1 2 4; do
  for init in k-means++ random given; do
    from=$init; [ $init = given ] && from=$work/c0random.csv
    expect 0 '^converged: ' run "$n" "$bin/kmeans" $km --init "$from" --out "$work/c$n$init.csv" \
      --labels "$work/l$n$init.npy"
    if [ "$n" -eq 1 ]; then same "$work/c0$init.csv" "$work/c$n$init.csv"; else close_matrix "$work/c$n$init.csv" "$work/c0$init.csv"; fi
    same "$work/l0$init.npy" "$work/l$n$init.npy"
  done
  scheds=$base; [ "$n" -gt 1 ] && scheds="$base $other"
  for sched in $scheds; do
    expect 0 'r_test: 0\.99' run_sched "$sched" "$n" "$bin/ann" "${ann_args[@]}" --partition kmeans \
      --model "$work/k$n-$sched.sbk"
  done
  if [ "$n" -eq 1 ]; then same "$work/k1-$base.sbk" "$work/k0.sbk"; else same "$work/k$n-$other.sbk" "$work/k$n-$base.sbk"; fi
done
for sched in eager lws dmda; do
  expect 0 '^converged: ' run_sched $sched 2 "$bin/kmeans" $km --out "$work/c2$sched.csv" --labels "$work/l2$sched.npy"
  same "$work/c2k-means++.csv" "$work/c2$sched.csv"
  same "$work/l0k-means++.npy" "$work/l2$sched.npy"
done

# GEMM's received tiles leave StarPU-MPI's cache step by step (STARPU_MPI_CACHE_STATS=1:
# a "+" line per tile entering a rank's cache, "-" lines at a flush): between two
# flushes a rank takes in at most one k step's tiles, a block column of A and a block
# row of B: (512/32)/2 + (512/32)/2 tiles of 32x32 doubles on the 2x2 grid, 128 KiB,
# of the 1 MiB each rank receives in all (which a cache never flushed would hold at once).
cache_peaks=$(env STARPU_MPI_CACHE_STATS=1 SBK_MPI_GRID=2x2 mpirun --oversubscribe --bind-to none \
  --timeout "$limit" -np 4 "$bin/gemm" -m 512 -n 512 -k 512 -t 32 --iterations 1 --check 2>&1 |
  awk '/check: passed/ { passed = 1 }
    /\[communication cache\] [+-]/ { r = substr($1, 2, index($1, "]") - 2)
      if ($4 == "+") { run[r] += $5; total[r] += $5; if (run[r] > peak[r]) peak[r] = run[r] } else run[r] = 0 }
    END { for (r in total) print r, peak[r], total[r], passed + 0 }' | sort -n)
echo "$cache_peaks" | awk '{ printf "gemm, rank %d: at most %d bytes taken into the cache between flushes, %d in all\n", $1, $2, $3 }'
checks=$((checks + 1))
awk -v bound=$((16 * 32 * 32 * 8)) 'NF == 4 && $4 == 1 && $2 > 0 && $2 <= bound && $3 > bound { ok++ }
  END { exit ok != 4 }' <<<"$cache_peaks" ||
  { failures=$((failures + 1)); echo "FAILED: gemm on 4 ranks: a rank's cache took in more than one step's tiles (or no check / cache statistics)"; }

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


# A rank killed mid-run (SIGKILL: the out-of-memory killer, a lost node): Open MPI
# ends the job with a message naming the rank, long before mpirun's timeout, and
# the output file keeps what it held (the drivers write through a temporary file).
echo keep > "$work/killed.csv"
STARPU_SCHED=${STARPU_SCHED:-lws} mpirun --oversubscribe --bind-to none --timeout "$limit" -np 2 \
  "$bin/solvebak" --obs 20000 --vars 40 --iters 100000 --tol 0 --out "$work/killed.csv" >"$work/killed.log" 2>&1 &
job=$! victim=
for _ in $(seq 1 120); do # until both ranks iterate, then rank 1's process
  grep -q '^batched iteration: 2 ' "$work/killed.log" && for p in $(pgrep -P "$job"); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && victim=$p
  done
  [ -n "$victim" ] && break
  sleep 0.5
done
killed_at=$SECONDS
[ -n "$victim" ] && kill -KILL "$victim"
wait "$job"
status=$? checks=$((checks + 1))
if [ -z "$victim" ] || [ "$status" -eq 0 ] || [ $((SECONDS - killed_at)) -gt 60 ] ||
   ! grep -q 'rank 1 .*exited on signal 9' "$work/killed.log" || [ "$(cat "$work/killed.csv")" != keep ]; then
  failures=$((failures + 1))
  echo "FAILED: a killed rank (pid ${victim:-not found}): exit $status after $((SECONDS - killed_at)) s, output '$(head -c 20 "$work/killed.csv")'"
  tail -n 5 "$work/killed.log"
else
  echo "ok: rank 1 killed: the job ended (exit $status) $((SECONDS - killed_at)) s later: $(grep -o 'rank 1 .*exited on signal 9' "$work/killed.log")"
fi

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
