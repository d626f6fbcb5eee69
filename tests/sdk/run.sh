#!/usr/bin/env bash
# Drives `anvil serve` with the official openai npm SDK: starts fake upstreams
# (anvil-fake-upstream, one per behaviour under test), an Anvil server on port 0 routing to them,
# then runs tests/sdk/*.test.mjs with node's test runner against it.
#   usage: tests/sdk/run.sh ANVIL_BIN FAKE_UPSTREAM_BIN
# Exit 77 (skipped) when node/npm are missing; every child is stopped on every exit path.
set -euo pipefail

ANVIL_BIN=$(realpath "${1:?usage: run.sh ANVIL_BIN FAKE_UPSTREAM_BIN}")
FAKE_BIN=$(realpath "${2:?usage: run.sh ANVIL_BIN FAKE_UPSTREAM_BIN}")
SDK_DIR=$(cd "$(dirname "$0")" && pwd)

status=0
"$SDK_DIR/install.sh" || status=$?
[ "$status" -eq 0 ] || exit "$status"
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "sdk tests: node >= 18 is needed, found $(node --version)" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/anvil-sdk.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "sdk tests: $*" >&2
  exit 1
}

# Waits (at most ~20 s, polling) until FILE has a line matching PATTERN; fails if PID died first.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 what=$4
  for _ in $(seq 1 400); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "$what exited early: $(cat "$file.err" 2>/dev/null)"
    sleep 0.05
  done
  fail "$what printed no '$pattern' within 20 s"
}

# start_upstream NAME FLAGS...: a fake upstream on a free port; sets upstream_url[NAME].
declare -A upstream_url
start_upstream() {
  local name=$1
  shift
  "$FAKE_BIN" --port 0 --models fake-model --embedding-dim 16 "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.out.err" &
  local pid=$!
  pids+=("$pid")
  wait_for_line "$WORK/$name.out" '^[0-9]' "$pid" "fake upstream '$name'"
  upstream_url[$name]="http://127.0.0.1:$(head -n 1 "$WORK/$name.out")"
}

start_upstream main                                        # healthy
start_upstream flaky                                       # faults scripted by the tests
start_upstream down500 --fail-rate 1 --faults 500          # always 500
start_upstream down429 --fail-rate 1 --faults 429 --retry-after 0
start_upstream cut --cut-stream-after 3                    # every stream cut after 3 events
start_upstream slow --chunk-ms 20                          # streams paced, for client aborts

deployment() {  # deployment NAME UPSTREAM [WEIGHT]
  cat <<TOML
[[gateway.deployments]]
name = "$1"
provider = "openai"
model = "fake-model"
base_url = "${upstream_url[$2]}/v1"
weight = ${3:-1}

TOML
}

model() {  # model NAME DEPLOYMENTS [FALLBACKS], the lists in TOML
  printf '[[gateway.models]]\nname = "%s"\ndeployments = %s\n' "$1" "$2"
  [ -z "${3:-}" ] || printf 'fallbacks = %s\n' "$3"
  echo
}

# Retries are quick (1-2 ms backoff) and the breakers never open (no consecutive-failure rule, a
# window minimum no test reaches), so each test sees the gateway's retry and fallback, not the
# breaker state left by another test.
{
  cat <<'TOML'
[server]
threads = 2

[gateway.retry]
max_attempts = 2
base_delay_ms = 1
max_delay_ms = 2

[gateway.breaker]
consecutive_failures = 0
min_requests = 100000

TOML
  deployment main main
  deployment flaky-primary flaky
  deployment flaky-standby main 0
  deployment flaky-only flaky
  deployment down-500 down500
  deployment down-429 down429
  deployment cut cut
  deployment slow slow
  model chat '["main"]'
  model embed '["main"]'
  model flaky '["flaky-primary", "flaky-standby"]'
  model flaky-chain '["flaky-only"]' '["chat"]'
  model down-500 '["down-500"]'
  model down-429 '["down-429"]'
  model cut '["cut"]'
  model slow '["slow"]'
} >"$WORK/anvil.toml"

export ANVIL_ADMIN_KEY="sdk-admin-$RANDOM$RANDOM$RANDOM"
"$ANVIL_BIN" --config "$WORK/anvil.toml" --data-dir "$WORK/data" serve --port 0 \
  >"$WORK/anvil.out" 2>"$WORK/anvil.out.err" &
anvil_pid=$!
pids+=("$anvil_pid")
wait_for_line "$WORK/anvil.out" 'listening on' "$anvil_pid" "anvil serve"
ANVIL_URL=$(sed -n 's/^anvil: listening on \(http:[^ ]*\)$/\1/p' "$WORK/anvil.out")
[ -n "$ANVIL_URL" ] || fail "anvil serve printed no address: $(cat "$WORK/anvil.out")"

export ANVIL_URL ANVIL_BIN ANVIL_SDK_WORK="$WORK" ANVIL_SDK_CONFIG="$WORK/anvil.toml"
export ANVIL_SDK_DATA_DIR="$WORK/data"
for name in "${!upstream_url[@]}"; do
  export "ANVIL_SDK_UPSTREAM_${name^^}=${upstream_url[$name]}"
done

cd "$SDK_DIR"
tests=(*.test.mjs)
status=0
# Each test has its own timeout; this bounds the whole run should the runner itself stall. In
# the background so that a signal to this script is handled at once (cleanup stops it too).
timeout --kill-after=5 120 node --test "${tests[@]}" &
pids+=("$!")
wait "$!" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- anvil serve stderr (last 40 lines)" >&2
  tail -n 40 "$WORK/anvil.out.err" >&2
  exit "$status"
fi

# The server drains and exits 0 on SIGTERM after all of the above.
kill -TERM "$anvil_pid"
for _ in $(seq 1 400); do
  kill -0 "$anvil_pid" 2>/dev/null || break
  sleep 0.05
done
kill -0 "$anvil_pid" 2>/dev/null && fail "anvil serve still running 20 s after SIGTERM"
wait "$anvil_pid" || status=$?
[ "$status" -eq 0 ] || fail "anvil serve exited with $status after SIGTERM"
echo "sdk tests: anvil serve drained and exited 0"
