# Helpers for the end-to-end tests of the `anvil` command (sourced; $1 of the test is the binary).
set -euo pipefail
ANVIL_BIN=$(realpath "$1")
WORK=$(mktemp -d)
CHILDREN=()  # background processes of the test (servers): stopped and reaped on exit
cleanup() {
  local pid
  for pid in "${CHILDREN[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${CHILDREN[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
PASSED=0

anvil() { "$ANVIL_BIN" --data-dir "$WORK/data" "$@"; }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_contains "haystack" "needle" "what"
expect_contains() {
  case "$1" in
    *"$2"*) PASSED=$((PASSED + 1)) ;;
    *) fail "$3: expected output to contain '$2', got:
$1" ;;
  esac
}

expect_eq() {
  [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
  PASSED=$((PASSED + 1))
}

# Runs a command that must fail; prints its stderr.
expect_failure() {
  local err
  if err=$("$@" 2>&1 >/dev/null); then fail "expected failure: $*"; fi
  printf '%s' "$err"
}

# wait_for_line FILE PATTERN PID WHAT: polls (at most ~20 s) until FILE has a line matching
# PATTERN, failing early when process PID exits first.
wait_for_line() {
  for _ in $(seq 1 400); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || fail "$4 exited early: $(cat "$1.err" 2>/dev/null)"
    sleep 0.05
  done
  fail "$4 printed no '$2' within 20 s"
}

done_testing() { echo "$PASSED passed, 0 failed"; }
