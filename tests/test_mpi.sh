#!/usr/bin/env bash
# StarPU-MPI on this machine: GEMM, SolveBak (each method) and the ANN under
# `mpirun -np 1, 2, 4` give the single-process results (tests/mpi_check.c), the
# drivers run unchanged under mpirun, and a rank that fails stops every rank
# with a message instead of a hang. Skipped (77) without mpirun or StarPU-MPI.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
check=$top/tests/mpi_check bin=$top/examples
command -v mpirun >/dev/null || { echo "mpirun not found: skipped"; exit 77; }
grep -q -- '-DSBK_HAVE_MPI=1' "$top/Makefile" 2>/dev/null || { echo "built without StarPU-MPI: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/starbak-mpi.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Several ranks share this machine's cores; root (CI containers) needs Open MPI's consent.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
limit=${SBK_MPI_TEST_TIMEOUT:-300}
failures=0 checks=0

# expect STATUS PATTERN COMMAND...: the exit status is STATUS and the output matches PATTERN.
expect() {
  local status=$1 pattern=$2 out rc; shift 2
  out=$("$@" 2>&1); rc=$?
  checks=$((checks + 1))
  if [ "$rc" -ne "$status" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    failures=$((failures + 1))
    echo "FAILED: $* (exit $rc, wanted $status and /$pattern/)"; echo "$out" | tail -n 8
  fi
}
# mpirun's own timeout ends every rank, so a hang shows as a failure.
run() { local n=$1; shift; mpirun --oversubscribe --bind-to none --timeout "$limit" -np "$n" "$@"; }

# The single-process results (no mpirun, SBK_MPI=0) every rank count must reproduce.
expect 0 'solvebak on 1 rank.*passed' env SBK_MPI=0 "$check" solvebak "$work/solvebak.ref" write
expect 0 'ann on 1 rank.*passed' env SBK_MPI=0 "$check" ann "$work/ann.ref" write
for n in 1 2 4; do
  expect 0 "gemm on $n rank.*passed" run "$n" "$check" gemm
  expect 0 "solvebak on $n rank.*passed" run "$n" "$check" solvebak "$work/solvebak.ref"
  expect 0 "ann on $n rank.*passed" run "$n" "$check" ann "$work/ann.ref"
done

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
