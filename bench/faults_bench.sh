#!/usr/bin/env bash
# Issue 4's figure d (docs/BENCHMARKS.md, "Server and gateway"): a primary deployment failing
# half of its requests at random (429 with Retry-After, 500, connection resets) with a healthy
# fallback model behind it.
#   0. Retry-After: the primary is scripted to answer one 429 with `Retry-After: 1`, then ok;
#      one request must come back from the primary after waiting at least that second.
#   1. --requests requests (10,000) over --connections connections: every one must be answered
#      200 (by the primary or by the fallback); the primary's breaker opens, and while the
#      primary keeps failing, its half-open probes re-open it.
#   2. Recovery: the primary is scripted healthy; the breaker must close within its cooldown
#      (plus one request's time), and traffic must go back to the primary.
#   3. Ledger: after Anvil drained and exited, anvil.db must hold exactly one usage record per
#      request sent, each request id once.
# Breaker settings are the defaults (error rate over 5% of at least 20 calls in 60 s, or 5
# consecutive failures) except cooldown_s = --cooldown-s; retries: 3 attempts per deployment.
# CPU layout as gateway_bench.sh.
#
#   bench/faults_bench.sh [--build build] [--requests 10000] [--connections 64]
#       [--fail-rate 0.5] [--retry-after 1] [--cooldown-s 2] [--proxy-cpus 1] [--client-cpus 0]
#       [--sched fifo|nice|none]
set -euo pipefail
source "$(dirname "$0")/bench_lib.sh"

build=build requests=10000 connections=64 fail_rate=0.5 retry_after=1 cooldown_s=2
proxy_cpus=1 client_cpus=0
BENCH_SCHED=none
[ "$(id -u)" = 0 ] && BENCH_SCHED=fifo
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --fail-rate) fail_rate=$2; shift 2 ;;
    --retry-after) retry_after=$2; shift 2 ;;
    --cooldown-s) cooldown_s=$2; shift 2 ;;
    --proxy-cpus) proxy_cpus=$2; shift 2 ;;
    --client-cpus) client_cpus=$2; shift 2 ;;
    --sched) BENCH_SCHED=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) bench_die "unknown argument '$1' (see --help)" ;;
  esac
done
bench_find_binaries "$build"
failures=0
check() {  # check CONDITION-TEXT RESULT(0 = ok)
  if [ "$2" = 0 ]; then echo "ok    $1"; else echo "FAIL  $1"; failures=$((failures + 1)); fi
}

bench_start_fake "$client_cpus" --threads 1 --fail-rate "$fail_rate" --faults 429,500,reset \
  --retry-after "$retry_after" --seed 7
primary_port=$FAKE_PORT
bench_start_fake "$client_cpus" --threads 1
backup_port=$FAKE_PORT
cat >"$BENCH_TMP/anvil.toml" <<TOML
[server]
threads = 1

[gateway.retry]
max_attempts = 3

[gateway.breaker]
cooldown_s = $cooldown_s

[[gateway.deployments]]
name = "primary"
provider = "openai"
model = "fake-model"
base_url = "http://127.0.0.1:$primary_port/v1"

[[gateway.deployments]]
name = "backup"
provider = "openai"
model = "fake-model"
base_url = "http://127.0.0.1:$backup_port/v1"

[[gateway.models]]
name = "chat"
deployments = ["primary"]
fallbacks = ["chat-backup"]

[[gateway.models]]
name = "chat-backup"
deployments = ["backup"]
TOML
bench_create_key
bench_start_anvil "$proxy_cpus" 1 "$BENCH_TMP/anvil.toml"
anvil=http://127.0.0.1:$ANVIL_PORT
body='{"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"Say hello to the benchmark"}]}'
printf '%s' "$body" >"$BENCH_TMP/body.json"
sent=0

echo "# $(date -u '+%F %T') UTC, load $(bench_load); primary fails $fail_rate of requests" \
  "(429 with Retry-After: $retry_after, 500, reset); breaker cooldown $cooldown_s s; scheduling $BENCH_SCHED"

metric() {  # metric NAME-AND-LABELS: the value in /metrics, 0 when absent
  curl -s "$anvil/metrics" | awk -v m="$1" 'index($0, m " ") == 1 { v = $2 } END { print v + 0 }'
}
fake_total() {
  curl -s "http://127.0.0.1:$1/fake/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])'
}

# 0. Retry-After is honoured.
curl -s -o /dev/null -X POST -d '["429;retry-after=1","ok"]' "http://127.0.0.1:$primary_port/fake/script"
out=$(curl -s -o /dev/null -D "$BENCH_TMP/head" -w '%{http_code} %{time_total}' \
  -H 'Content-Type: application/json' -H "Authorization: Bearer $BENCH_KEY" -d "$body" \
  "$anvil/v1/chat/completions")
sent=$((sent + 1))
deployment=$(sed -n 's/^[Xx]-[Aa]nvil-[Dd]eployment: *\([^[:space:]]*\).*/\1/p' "$BENCH_TMP/head")
echo "retry-after probe: status ${out% *}, ${out#* } s, answered by '$deployment'"
check "a 429 with Retry-After: 1 is retried on the primary after >= 1 s" \
  "$(awk -v o="$out" -v d="$deployment" 'BEGIN { split(o, f, " "); print (f[1] == 200 && f[2] >= 1.0 && d == "primary") ? 0 : 1 }')"
curl -s -o /dev/null -X POST "http://127.0.0.1:$primary_port/fake/reset"

# 1. Half of the primary's answers fail.
bench_load_gen "$client_cpus" --url "$anvil/v1/chat/completions" --body-file "$BENCH_TMP/body.json" \
  --header "Authorization: Bearer $BENCH_KEY" --connections "$connections" --requests "$requests" --timeout-ms 60000
sent=$((sent + requests))
echo "$LG_OUT" | sed -n 's/^\(requests\|throughput\|latency\)/faults: \1/p'
stats=$(curl -s "http://127.0.0.1:$primary_port/fake/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["total"], " ".join(f"{k}={v}" for k, v in sorted(s["faults"].items())))')
backup_served=$(fake_total "$backup_port")
opened=$(metric 'anvil_gateway_breaker_transitions_total{deployment="primary",to="open"}')
echo "primary saw ${stats%% *} attempts (${stats#* }); backup answered $backup_served;" \
  "retries on the primary $(metric 'anvil_gateway_retries_total{deployment="primary"}');" \
  "breaker opened $opened times, half-open $(metric 'anvil_gateway_breaker_transitions_total{deployment="primary",to="half_open"}')," \
  "closed $(metric 'anvil_gateway_breaker_transitions_total{deployment="primary",to="closed"}')"
check "all $requests requests answered 200 ($LG_OK ok, $LG_ERRORS errors)" \
  "$([ "$LG_OK" = "$requests" ] && [ "$LG_ERRORS" = 0 ] && echo 0 || echo 1)"
check "the primary's breaker opened" "$([ "$opened" -ge 1 ] && echo 0 || echo 1)"

# 2. The primary heals; the breaker closes after its cooldown.
python3 -c "import json; print(json.dumps(['ok'] * 100000))" >"$BENCH_TMP/heal.json"
curl -s -o /dev/null -X POST --data-binary @"$BENCH_TMP/heal.json" "http://127.0.0.1:$primary_port/fake/script"
healed_at=$(date +%s.%N)
closed_after=""
primary_before=$(fake_total "$primary_port")
for _ in $(seq 1 $((cooldown_s * 20 + 100))); do
  curl -s -o /dev/null -H 'Content-Type: application/json' -H "Authorization: Bearer $BENCH_KEY" \
    -d "$body" "$anvil/v1/chat/completions"
  sent=$((sent + 1))
  if [ "$(metric 'anvil_gateway_breaker_state{deployment="primary"}')" = 0 ]; then
    closed_after=$(awk -v a="$healed_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    break
  fi
  sleep 0.05
done
bench_load_gen "$client_cpus" --url "$anvil/v1/chat/completions" --body-file "$BENCH_TMP/body.json" \
  --header "Authorization: Bearer $BENCH_KEY" --connections "$connections" --requests 1000 --timeout-ms 60000
sent=$((sent + 1000))
primary_after=$(fake_total "$primary_port")
echo "after healing: breaker closed after ${closed_after:-never} s; the primary then answered" \
  "$((primary_after - primary_before)) attempts; 1000 more requests: $LG_OK ok, $LG_ERRORS errors"
check "the breaker closed within cooldown + 1 s of healing" \
  "$(awk -v c="${closed_after:-999}" -v d="$cooldown_s" 'BEGIN { print (c <= d + 1) ? 0 : 1 }')"
check "traffic went back to the primary" "$([ $((primary_after - primary_before)) -ge 1000 ] && echo 0 || echo 1)"

# 3. The ledger, once Anvil has drained and flushed it.
bench_stop "$ANVIL_PID"
db=$(find "$BENCH_TMP/data" -name anvil.db | head -1)
[ -n "$db" ] || bench_die "no anvil.db under $BENCH_TMP/data"
read -r rows distinct <<<"$(sqlite3 -separator ' ' "$db" 'SELECT count(*), count(DISTINCT request_id) FROM usage_records')"
echo "ledger: $rows records, $distinct request ids, $sent requests sent; by outcome and deployment:"
sqlite3 -separator ' ' "$db" "SELECT '  ', outcome, deployment, count(*), sum(attempts), sum(fallbacks) FROM usage_records GROUP BY outcome, deployment"
check "every request in the ledger exactly once ($rows rows, $distinct ids, $sent sent)" \
  "$([ "$rows" = "$sent" ] && [ "$distinct" = "$sent" ] && echo 0 || echo 1)"
echo
[ "$failures" = 0 ] && echo "all checks passed" || { echo "$failures checks failed"; exit 1; }
