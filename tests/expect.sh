# Sourced by the shell tests: expect STATUS PATTERN COMMAND... runs COMMAND and
# counts a failure (printing its last lines) unless it exits with STATUS and
# its output matches the extended regular expression PATTERN.
failures=0 checks=0
expect() {
  local status=$1 pattern=$2 out rc; shift 2
  out=$("$@" 2>&1); rc=$?
  checks=$((checks + 1))
  if [ "$rc" -ne "$status" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    failures=$((failures + 1))
    echo "FAILED: $* (exit $rc, wanted $status and /$pattern/)"; echo "$out" | tail -n 8
  fi
}
