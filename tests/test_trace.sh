#!/usr/bin/env bash
# Traces end to end: a driver's --trace gives StarPU's outputs and a report
# whose per-worker totals agree with tasks.rec; two traces compare side by
# side; malformed, truncated or empty traces and missing folders are refused
# with the file and line, and leave no report behind.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${abs_top_builddir:-$top} # the built programs (elsewhere than the sources in a VPATH build)
work=$(mktemp -d "${TMPDIR:-/tmp}/starbak-trace.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0 checks=0
fail() { failures=$((failures + 1)); echo "FAILED: $*"; }
check() { checks=$((checks + 1)); "$@" || fail "$*"; }

check "$build/examples/gemm" -m 300 -n 200 -k 250 -t 64 --iterations 2 --trace "$work/gemm" > "$work/gemm.out"
for f in tasks.rec paje.trace dag.dot workers.txt report.html; do
  check test -s "$work/gemm/$f"
done
# Busy time per worker, from tasks.rec (ms), against the report's Workers table.
awk '/^WorkerId:/ { w = $2 } /^StartTime:/ { s = $2 } /^EndTime:/ { busy[w] += $2 - s; n[w]++ }
     END { for (w in busy) printf "%d %d %.3f\n", w, n[w], busy[w] }' "$work/gemm/tasks.rec" | sort > "$work/expected"
grep -o "<tr><td>[^<]*</td><td>[0-9]*</td><td>[0-9.]* ms</td>" "$work/gemm/report.html" |
  sed 's/<tr><td>\([^<]*\)<\/td><td>\([0-9]*\)<\/td><td>\([0-9.]*\) ms<\/td>/\1 \2 \3/' > "$work/reported"
while read -r w n busy; do
  name=$(awk -F'\t' -v w="$w" '$1 == w { print $2 }' "$work/gemm/workers.txt")
  checks=$((checks + 1))
  grep -q "^$name $n $busy\$" "$work/reported" || fail "worker $w ($name): tasks.rec says $n tasks, $busy ms; report: $(grep "^$name " "$work/reported")"
done < "$work/expected"
check grep -q "tasks on CPU" "$work/gemm.out"

# Under a scheduler that does not learn (lws), the models keep only what earlier runs
# (here one under dmda) saved: StarPU estimates footprints they lack as 'inf', which the report takes as
# "no prediction".
check env STARPU_SCHED=dmda "$build/examples/gemm" -m 128 -n 128 -k 128 -t 64 > /dev/null
check env STARPU_SCHED=lws "$build/examples/gemm" -m 300 -n 200 -k 250 -t 40 --trace "$work/unknown" > /dev/null
checks=$((checks + 1))
grep -q '^EstimatedTime: inf' "$work/unknown/tasks_estimated.rec" ||
  fail "the lws run's tasks should have footprints the model lacks (EstimatedTime inf)"
check test -s "$work/unknown/report.html"

# The efficiency breakdown (trace.rec) sees the same task time as tasks.rec, and
# its four parts fill workers × makespan.
row=$(grep -A1 '<th>task</th><th>scheduling</th>' "$work/gemm/report.html" | tail -n 1 | sed 's/<[^>]*>/ /g; s/ ms//g')
span=$(grep -o '<tr><td>[0-9.]* ms</td><td>[0-9.]* ms</td>' "$work/gemm/report.html" | head -n 1 | sed 's/<[^>]*>/ /g; s/ ms//g')
nworkers=$(wc -l < "$work/gemm/workers.txt")
total=$(awk '/^StartTime:/ { s = $2 } /^EndTime:/ { t += $2 - s } END { printf "%.3f", t }' "$work/gemm/tasks.rec")
checks=$((checks + 1))
awk -v r="$row" -v m="$span" -v n="$nworkers" -v t="$total" 'BEGIN { split(r, x, " "); split(m, y, " ");
  parts = x[1] + x[2] + x[3] + x[4]; exit !(x[1] > 0 && (x[1] - t) / t < 0.01 && (t - x[1]) / t < 0.01 &&
  (parts - n * y[1]) / (n * y[1]) < 0.01 && (n * y[1] - parts) / (n * y[1]) < 0.01) }' ||
  fail "efficiency breakdown '$row' against task time $total ms and $nworkers × makespan '$span'"

# The area bound on a hand-made heterogeneous run: 6 gemm tasks take 10 ms on a
# CPU and 1 ms on the GPU, 4 axpy tasks 1 ms on a CPU and 2 ms on the GPU (the
# model's prediction: none ran there). With 2 CPUs and 1 GPU the linear program
# puts the axpys on the CPUs and 16/3 gemms on the GPU: T = 16/3 ms.
mkdir -p "$work/hetero"
printf '0\tCPU 0\n1\tCPU 1\n2\tCUDA 0\n' > "$work/hetero/workers.txt"
task() { printf 'Name: %s\nFootprint: %s\nJobId: %d\nWorkerId: %d\nStartTime: %s\nEndTime: %s\nEstimatedTime: %s\n\n' "$@"; }
{ task gemm aa 1 0 0 10 '10000 10000 1000'; task gemm aa 2 1 0 10 '10000 10000 1000'
  task gemm aa 3 0 10 20 '10000 10000 1000'; task gemm aa 4 1 10 20 '10000 10000 1000'
  task gemm aa 5 2 0 1 '10000 10000 1000'; task gemm aa 6 2 1 2 '10000 10000 1000'
  for j in 7 8 9 10; do task axpy bb $j 0 $((j + 13)) $((j + 14)) '1000 1000 2000'; done; } > "$work/hetero/tasks.rec"
check "$build/starbak-report" -o "$work/hetero.html" "$work/hetero"
checks=$((checks + 1))
grep -q '<td>[0-9.]* ms</td><td>5.333 ms</td>' "$work/hetero.html" ||
  fail "area bound of the hand-made heterogeneous run: want 5.333 ms, got $(grep -o '<td>[0-9.]* ms</td><td>[0-9.]* ms</td>' "$work/hetero.html" | head -n 1)"
checks=$((checks + 1))
grep -q '2.000 ms <i>modelled</i>' "$work/hetero.html" || fail "the axpy's GPU time should be the model's 2 ms"

# Two traces side by side.
check "$build/examples/vecadd" -n 100000 -t 10000 --trace "$work/vecadd" > /dev/null
check "$build/starbak-report" -o "$work/both.html" --label gemm --label vecadd "$work/gemm" "$work/vecadd"
check grep -q "Side by side" "$work/both.html"

# expect_refusal PATTERN TRACE...: exit 1, the message matches, no report written.
expect_refusal() {
  local pattern=$1 out rc; shift
  rm -f "$work/bad.html"
  out=$("$build/starbak-report" -o "$work/bad.html" "$@" 2>&1); rc=$?
  checks=$((checks + 1))
  if [ $rc -eq 0 ] || ! grep -qE -- "$pattern" <<<"$out" || [ -e "$work/bad.html" ]; then
    fail "starbak-report $* should fail with /$pattern/ and write nothing (got: $out)"
  fi
}
printf 'Name: gemm\nWorkerId: 0\nStartTime: 1.0\nEndTime: oops\n\n' > "$work/nan.rec"
expect_refusal 'nan.rec: line 4: EndTime .oops. is not a number' "$work/nan.rec"
printf 'Name: gemm\nWorkerId: 0\nStartTime: 1.0\nEndTime: inf\n\n' > "$work/inf.rec"
expect_refusal 'inf.rec: line 4: EndTime .inf. is not a number' "$work/inf.rec"
printf 'Name: gemm\nWorkerId: 0\nStartTime: 1.0\nEndTime: 2.0\nEstimatedTime: 5 oops\n\n' > "$work/estimate.rec"
expect_refusal 'estimate.rec: line 5: EstimatedTime .5 oops. is not a list of numbers' "$work/estimate.rec"
printf 'Name: gemm\nthis is not a field\n' > "$work/garbage.rec"
expect_refusal "garbage.rec: line 2: expected 'Key: value'" "$work/garbage.rec"
head -c 300 "$work/gemm/tasks.rec" | head -n 12 > "$work/cut.rec"
expect_refusal 'cut.rec: line [0-9]+: the last record is cut short' "$work/cut.rec"
: > "$work/empty.rec"
expect_refusal 'empty.rec: no executed task' "$work/empty.rec"
expect_refusal 'missing/tasks.rec: cannot open' "$work/missing/tasks.rec"
echo "precious" > "$work/keep.html"
out=$("$build/starbak-report" -o "$work/keep.html" "$work/empty.rec" 2>&1)
checks=$((checks + 1))
[ "$(cat "$work/keep.html")" = precious ] || fail "a failed report overwrote keep.html"

# The report in a real browser: it loads without console errors and draws one
# lane per worker (headless Chromium from Debian's package; skipped without it).
if command -v chromium >/dev/null 2>&1; then
  profile=$(mktemp -d "$work/chromium.XXXXXX")
  flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
         --disable-sync --no-first-run --user-data-dir="$profile" --enable-logging=stderr --v=0)
  timeout 60 chromium "${flags[@]}" --dump-dom "file://$work/gemm/report.html" > "$work/dom.html" 2> "$work/chromium.log"
  lanes=$(grep -o '<text x="4"' "$work/dom.html" | wc -l)
  workers=$(wc -l < "$work/gemm/workers.txt")
  checks=$((checks + 1))
  [ "$lanes" -eq "$workers" ] || fail "the rendered report has $lanes lanes for $workers workers"
  checks=$((checks + 1))
  ! grep -q 'CONSOLE' "$work/chromium.log" || fail "console messages: $(grep CONSOLE "$work/chromium.log" | head -3)"
  # A screenshot of the rendered page, kept as the run's artifact when asked for.
  if [ -n "${SBK_TEST_ARTIFACTS:-}" ]; then
    mkdir -p "$SBK_TEST_ARTIFACTS"
    timeout 60 chromium "${flags[@]}" --window-size=1200,900 --screenshot="$SBK_TEST_ARTIFACTS/report.png" \
      "file://$work/gemm/report.html" > /dev/null 2>&1
  fi
else
  echo "skipping the browser check: chromium is not installed (scripts/packages installs it)"
fi

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
