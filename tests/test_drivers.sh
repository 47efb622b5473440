#!/usr/bin/env bash
# The drivers end to end on small problems: each run's check passes, bad
# arguments and bad files give exit status 2 or 1 and a message naming the
# problem, and a failed run leaves the user's files as they were.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${abs_top_builddir:-$top} # the built programs (elsewhere than the sources in a VPATH build)
bin=$build/examples
work=$(mktemp -d "${TMPDIR:-/tmp}/starbak-drivers.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$top/tests/expect.sh"

expect 0 'check: passed' "$bin/gemm" -m 77 -n 45 -k 63 -t 16 --transa T --beta 0.5 --check --iterations 1
expect 0 'check: passed' "$bin/gemm" -m 40 -n 33 -k 50 -t 16 -p s --transb T --check --iterations 1
expect 0 'check: passed' "$bin/vecadd" -n 100003 -t 4096 -p s
expect 0 'check: passed' "$bin/vecadd" -n 1000 -t 64 --alpha 0.3 --beta -2
expect 0 'error_sigmas' "$bin/mcpi" -s 1e6 --seed 3
# Tiles at the edges: one tile larger than the whole matrix, one-element tiles.
expect 0 'check: passed' "$bin/gemm" -m 30 -n 20 -k 10 -t 5000 --check --iterations 1
expect 0 'check: passed' "$bin/gemm" -m 9 -n 7 -k 5 -t 1 -p s --check --iterations 1
for rows in 100000 1; do
  for method in per-column batched block-exact gram; do
    expect 0 'mean_abs_error: [0-9.]+e-(09|1[0-9])' "$bin/solvebak" --obs 300 --vars 6 --batch 3 \
      --tile-rows $rows --iters 60 --method $method
  done
done
expect 0 'usage: gemm' "$bin/gemm" --help
expect 2 'gemm: --m: .x. is not an integer' "$bin/gemm" -m x
expect 2 'gemm: --tile: .0. is not an integer' "$bin/gemm" --tile 0
expect 2 'precision: .q. is neither' "$bin/gemm" -p q
expect 2 'transa: .X. is neither N nor T' "$bin/gemm" --transa X
expect 2 'unexpected argument .extra.' "$bin/vecadd" extra
expect 2 'samples: .-5. is not an integer' "$bin/mcpi" --samples -5
expect 2 'samples: .1.5e3x.' "$bin/mcpi" --samples 1.5e3x

# SolveBak: generated problem, all methods, files in and out, plot.
expect 0 'mean_abs_error' "$bin/solvebak" --obs 3000 --vars 60 --batch 20 --iters 3 \
  --method per-column,batched,block-exact,gram --plot "$work/conv.svg" --out "$work/a.npy"
grep -q '<polyline' "$work/conv.svg" || { failures=$((failures + 1)); echo "FAILED: no curve in conv.svg"; }
checks=$((checks + 1))
# CSV in and out: X 200×5 of pseudo-random values, y 200×1.
random_csv() { awk -v rows="$1" -v cols="$2" -v seed="$3" 'BEGIN { srand(seed)
  for (i = 0; i < rows; i++) { line = ""; for (j = 0; j < cols; j++) line = line (j ? "," : "") rand() - 0.5; print line } }'; }
random_csv 200 5 1 > "$work/X.csv"
random_csv 200 1 2 > "$work/y.csv"
expect 0 'rel_residual' "$bin/solvebak" --X "$work/X.csv" --y "$work/y.csv" --batch 5 --iters 2 --out "$work/a.csv"
[ "$(wc -l < "$work/a.csv")" -eq 5 ] || { failures=$((failures + 1)); echo "FAILED: a.csv does not hold 5 values"; }
checks=$((checks + 1))
expect 1 'y.csv has shape 200.*1 but .*a.npy has 60 rows' "$bin/solvebak" --X "$work/a.npy" --y "$work/y.csv"
printf 'x1,x2\n1,2\n3,oops\n' > "$work/bad.csv"
expect 1 'bad.csv: line 3, column 2' "$bin/solvebak" --X "$work/bad.csv" --y "$work/y.csv"
printf '1,2\nnan,3\n' > "$work/nan.csv"
expect 1 'nan.csv: NaN or Inf at row 1, column 0 \(counting from 0\)' "$bin/solvebak" --X "$work/nan.csv" --y "$work/y.csv"
expect 1 'missing.npy' "$bin/solvebak" --X "$work/missing.npy" --y "$work/y.csv"
expect 2 '--X and --y go together' "$bin/solvebak" --X "$work/X.csv"
expect 2 "method: 'fast' is not one of" "$bin/solvebak" --method fast
expect 2 'tol: -1 is below 0' "$bin/solvebak" --tol=-1
expect 2 'method: more than 16 runs' "$bin/solvebak" --method "$(printf 'gram,%.0s' $(seq 16))gram"
expect 2 'batch 100 exceeds the 5 columns' "$bin/solvebak" --X "$work/X.csv" --y "$work/y.csv" --batch 100
expect 0 'batch: 5' "$bin/solvebak" --X "$work/X.csv" --y "$work/y.csv" --iters 1 # the default: all 5 columns
# A run that fails must leave an existing output untouched.
echo "precious" > "$work/keep.npy"
expect 1 'nan.csv' "$bin/solvebak" --X "$work/nan.csv" --y "$work/y.csv" --out "$work/keep.npy"
[ "$(cat "$work/keep.npy")" = precious ] || { failures=$((failures + 1)); echo "FAILED: keep.npy was overwritten"; }
checks=$((checks + 1))
expect 1 'cannot create' "$bin/solvebak" --obs 100 --vars 4 --batch 2 --iters 1 --out "$work/no/such/dir/a.npy"

# ANN: the notebook's problem at small size, save, predict with the saved model, plot.
expect 0 'r_test: 0\.99' "$bin/ann" fit --obs 4000 --neurons 80 --model "$work/m.sbk" --plot "$work/fit.svg"
grep -q '<circle' "$work/fit.svg" || { failures=$((failures + 1)); echo "FAILED: no points in fit.svg"; }
checks=$((checks + 1))
expect 1 'fitted on 10 columns, .*X.csv has 5' "$bin/ann" predict --model "$work/m.sbk" --X "$work/X.csv" --out "$work/yhat.npy"
random_csv 200 10 3 > "$work/X10.csv"
expect 0 'time_s' "$bin/ann" predict --model "$work/m.sbk" --X "$work/X10.csv" --out "$work/yhat.csv"
[ "$(wc -l < "$work/yhat.csv")" -eq 200 ] || { failures=$((failures + 1)); echo "FAILED: yhat.csv does not hold 200 values"; }
checks=$((checks + 1))
awk 'BEGIN { for (i = 0; i < 200; i++) print (i == 42 ? 1.5 : 0.1) }' > "$work/ybig.csv"
expect 1 'values of y have \|y\| >= 1, the first at row 42' "$bin/ann" fit --X "$work/X10.csv" --y "$work/ybig.csv" --neurons 5
expect 0 'r_train' "$bin/ann" fit --X "$work/X10.csv" --y "$work/ybig.csv" --neurons 5 --scale-y
expect 1 'rows for 100 neurons leave each 2 rows to draw, fewer than the 11 .*use at most 18 neurons' \
  "$bin/ann" fit --X "$work/X10.csv" --y "$work/ybig.csv" --neurons 100 --scale-y
expect 1 'rows per neuron 2 must be between 11' "$bin/ann" fit --X "$work/X10.csv" --y "$work/ybig.csv" --neurons 5 \
  --rows-per-neuron 2 --scale-y
expect 1 'not a starbak ANN model' "$bin/ann" predict --model "$work/X.csv" --X "$work/X10.csv" --out "$work/p.npy"
expect 2 'first argument is fit or predict' "$bin/ann" train
expect 2 'predict needs --model, --X and --out' "$bin/ann" predict --X "$work/X10.csv"

# A problem larger than the memory available is refused before any allocation.
expect 1 'not enough memory for the matrices: 32000.00 GB asked, [0-9.]+ GB available' "$bin/gemm" -m 1000000 -n 1000000 -k 1000000
expect 1 'not enough memory for the generated X and y: 80000.80 GB asked' "$bin/solvebak" --obs 100000000 --vars 100000
expect 1 'not enough memory for the generated data: 8008.00 GB asked' "$bin/ann" fit --obs 1000000000 --vars 1000

# StarPU held to 8 MB of memory of its own (scratch buffers, copies): the same results.
expect 0 'check: passed' env STARPU_LIMIT_CPU_MEM=8 "$bin/gemm" -m 700 -n 600 -k 500 --tile 128 --check -i 1
free_err=$("$bin/solvebak" --obs 20000 --vars 200 --iters 5 | grep '^mean_abs_error')
expect 0 "^$free_err\$" env STARPU_LIMIT_CPU_MEM=8 "$bin/solvebak" --obs 20000 --vars 200 --iters 5
expect 0 'r_test: 0\.99' env STARPU_LIMIT_CPU_MEM=8 "$bin/ann" fit --obs 4000 --neurons 80

# ANN on a k-means partition: one cluster per neuron, sizes and clustering time reported.
expect 0 'cluster_rows_median: [0-9]+' "$bin/ann" fit --obs 4000 --neurons 40 --partition kmeans --model "$work/mk.sbk"
expect 0 'time_s' "$bin/ann" predict --model "$work/mk.sbk" --X "$work/X10.csv" --out "$work/yhat-k.npy"
expect 2 "ann: --partition: 'lloyd' is neither random nor kmeans" "$bin/ann" fit --partition lloyd
expect 1 'kmeans partition: 201 neurons exceed the 200 rows' "$bin/ann" fit --X "$work/X10.csv" --y "$work/ybig.csv" \
  --scale-y --neurons 201 --rows-per-neuron 11 --partition kmeans

# k-means: generated groups, files in and out, plot; every bad argument and file.
expect 0 'converged: yes' "$bin/kmeans" --obs 3001 --vars 4 --k 6 --tile-rows 700 --plot "$work/inertia.svg" \
  --out "$work/centroids.npy" --labels "$work/labels.csv"
grep -q '<polyline' "$work/inertia.svg" || { failures=$((failures + 1)); echo "FAILED: no curve in inertia.svg"; }
[ "$(wc -l < "$work/labels.csv")" -eq 3001 ] ||
  { failures=$((failures + 1)); echo "FAILED: labels.csv does not hold 3001 values"; }
checks=$((checks + 2))
expect 0 'iteration: 1 inertia: ' "$bin/kmeans" --X "$work/X.csv" --k 3 --init random -p s --iters 5
expect 0 'k: 6' "$bin/kmeans" --obs 3001 --vars 4 --init "$work/centroids.npy" --iters 1
expect 2 'kmeans: --k: .0. is not an integer' "$bin/kmeans" --k 0
expect 2 'kmeans: --k: 200 exceeds the 100 rows \(--obs\)' "$bin/kmeans" --obs 100 --k 200
expect 2 'kmeans: --k: 201 exceeds the 200 rows of .*X.csv' "$bin/kmeans" --X "$work/X.csv" --k 201
expect 2 'kmeans: --tol: -1 is below 0' "$bin/kmeans" --tol=-1
expect 2 'kmeans: --iters: .-1. is not an integer' "$bin/kmeans" --iters -1
expect 2 'kmeans: --k: 5, but .*centroids.npy holds 6 centroids' "$bin/kmeans" --obs 3001 --vars 4 --k 5 \
  --init "$work/centroids.npy"
expect 1 'kmeans: --init: .*centroids.npy holds 6.4 centroids, but X has 5 columns' "$bin/kmeans" --X "$work/X.csv" \
  --init "$work/centroids.npy"
expect 1 'kmeans: .*missing.npy' "$bin/kmeans" --X "$work/X.csv" --init "$work/missing.npy"
expect 1 'nan.csv: NaN or Inf at row 1, column 0' "$bin/kmeans" --X "$work/nan.csv" --k 1
printf '1,2,3,4\nnan,0,0,0\n' > "$work/nan-init.csv"
expect 1 'nan-init.csv: NaN or Inf at row 1, column 0' "$bin/kmeans" --obs 100 --vars 4 --init "$work/nan-init.csv"
echo "precious" > "$work/keep-c.npy"
expect 1 'nan.csv' "$bin/kmeans" --X "$work/nan.csv" --k 1 --out "$work/keep-c.npy"
[ "$(cat "$work/keep-c.npy")" = precious ] || { failures=$((failures + 1)); echo "FAILED: keep-c.npy was overwritten"; }
checks=$((checks + 1))

# Interrupted runs (SIGINT, SIGTERM) cancel the tasks, shut StarPU down and end
# by the signal with a message, leaving the user's output as it was and no
# temporary file beside it.
# Each signal has its own output files: the progress line of an earlier run
# must not be taken for this one's, or the signal reaches the forked shell
# before it has become the driver (and runs this script's EXIT trap there).
for sig in INT TERM; do
  echo "precious" > "$work/keep-$sig.npy"
  out=$work/sig-$sig.out err=$work/sig-$sig.err
  "$bin/solvebak" --obs 200000 --vars 400 --iters 1000 --tol 0 --out "$work/keep-$sig.npy" \
    > "$out" 2> "$err" &
  pid=$!
  for _ in $(seq 600); do grep -q 'iteration: ' "$out" 2>/dev/null && break; sleep 0.1; done
  kill -s "$sig" "$pid"; wait "$pid"; rc=$?
  checks=$((checks + 1))
  if [ "$rc" -ne $((128 + $(kill -l "$sig"))) ] || ! grep -q 'interrupted: StarPU shut down' "$err" ||
     [ "$(cat "$work/keep-$sig.npy")" != precious ] ||
     ls "$work" | grep -q '\.tmp\.'; then
    failures=$((failures + 1))
    echo "FAILED: SIG$sig: exit $rc, stderr '$(tail -n 2 "$err")', output '$(head -c 20 "$work/keep-$sig.npy")'"
  fi
done

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
