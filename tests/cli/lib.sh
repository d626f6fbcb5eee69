# Helpers for the end-to-end tests of the `anvil` command (sourced; $1 of the test is the binary).
set -euo pipefail
ANVIL_BIN=$(realpath "$1")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
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

done_testing() { echo "$PASSED passed, 0 failed"; }
