#!/usr/bin/env bash
# Issue 4's figure c (docs/BENCHMARKS.md, "Server and gateway"): 2,000 SSE streams held open at
# once through `anvil serve`, each completed with "data: [DONE]", and Anvil's memory per idle
# keep-alive connection.
#   1. Memory: Anvil's resident set after one request (baseline), then with --idle idle
#      keep-alive connections that have each been answered once (bench/idle_connections.py);
#      the difference divided by their number is the memory per idle connection.
#   2. Streams: http_load_bench --stream, --connections connections in a closed loop against
#      the fake upstream pacing its events (--chunk-ms), so that every connection always has a
#      stream open (20 events at 50 ms: about a second each); any stream that fails or ends
#      without [DONE] is an error. Anvil's high-water mark of resident memory is reported.
# CPU layout as gateway_bench.sh: Anvil on --proxy-cpus, load generator + fake on --client-cpus.
#
#   bench/sse_bench.sh [--build build] [--runs 3] [--connections 2000] [--idle 2000]
#       [--duration 10] [--warmup 3] [--chunk-ms 50] [--threads 1] [--proxy-cpus 1]
#       [--client-cpus 0] [--sched fifo|nice|none]
set -euo pipefail
source "$(dirname "$0")/bench_lib.sh"

build=build runs=3 connections=2000 idle=2000 duration=10 warmup=3 chunk_ms=50 threads=1
proxy_cpus=1 client_cpus=0
BENCH_SCHED=none
[ "$(id -u)" = 0 ] && BENCH_SCHED=fifo
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --chunk-ms) chunk_ms=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --proxy-cpus) proxy_cpus=$2; shift 2 ;;
    --client-cpus) client_cpus=$2; shift 2 ;;
    --sched) BENCH_SCHED=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) bench_die "unknown argument '$1' (see --help)" ;;
  esac
done
bench_find_binaries "$build"
# Each stream holds a client and an upstream socket in Anvil, and the load generator and the
# fake hold one each.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((2 * connections + 100)) ] || bench_die "need $((2 * connections + 100)) descriptors, the limit is $(ulimit -n)"

echo "# $(date -u '+%F %T') UTC, $(nproc) CPUs; anvil on CPU $proxy_cpus ($threads I/O threads)," \
  "load generator + fake upstream on CPU $client_cpus; scheduling $BENCH_SCHED"
echo "# streams: $connections connections, ${duration} s measured after ${warmup} s warm-up," \
  "events every $chunk_ms ms; idle connections: $idle"

bench_start_fake "$client_cpus" --threads 1 --chunk-ms "$chunk_ms"
# server.max_in_flight (default 1024) bounds the API requests running at once; beyond it they
# wait in the admission queue, so for --connections streams at once it must be at least that.
in_flight=$((connections > 1024 ? connections : 1024))
bench_write_config "$BENCH_TMP/anvil.toml" "$threads" "$FAKE_PORT" "max_in_flight = $in_flight"
bench_create_key
url_base=""
declare -a per_idle streams errors hwm
for run in $(seq 1 "$runs"); do
  bench_start_anvil "$proxy_cpus" "$threads" "$BENCH_TMP/anvil.toml"
  url_base="http://127.0.0.1:$ANVIL_PORT"
  load=$(bench_load)
  curl -s -o /dev/null -H 'Content-Type: application/json' -H "Authorization: Bearer $BENCH_KEY" \
    -d '{"model":"fake-model","messages":[{"role":"user","content":"warm up"}],"max_tokens":4}' \
    "$url_base/v1/chat/completions"
  base=$(bench_rss_kib "$ANVIL_PID")
  idle_out=$(python3 "$BENCH_DIR/idle_connections.py" --port "$ANVIL_PORT" --connections "$idle" \
    --rss-of "$ANVIL_PID" --api-key "$BENCH_KEY")
  idle_rss=$(echo "$idle_out" | sed -n 's/^rss_kib \([0-9]*\)$/\1/p')
  answered=$(echo "$idle_out" | sed -n 's/^answered \([0-9]*\)$/\1/p')
  [ "$answered" = "$idle" ] || bench_die "only $answered of $idle idle connections were answered: $idle_out"
  per_idle[$run]=$(awk -v a="$idle_rss" -v b="$base" -v n="$idle" 'BEGIN { printf "%.1f", (a - b) / n }')

  cpu0=$(bench_cpu_s "$ANVIL_PID")
  bench_load_gen "$client_cpus" --url "$url_base/v1/chat/completions" --stream \
    --header "Authorization: Bearer $BENCH_KEY" \
    --connections "$connections" --duration "$duration" --warmup "$warmup" --timeout-ms 60000
  cpu1=$(bench_cpu_s "$ANVIL_PID")
  busy=$(awk -v c0="$cpu0" -v c1="$cpu1" -v d="$duration" -v w="$warmup" 'BEGIN { printf "%.0f", 100 * (c1 - c0) / (d + w) }')
  streams[$run]=$LG_RATE
  errors[$run]=$LG_ERRORS
  hwm[$run]=$(bench_rss_kib "$ANVIL_PID" VmHWM)
  echo "run $run | load $load | rss after 1 request $base KiB, with $idle idle connections $idle_rss KiB:" \
    "${per_idle[$run]} KiB per idle connection | $connections concurrent streams: $LG_OK completed" \
    "($LG_RATE/s), $LG_ERRORS errors$(echo "$LG_OUT" | sed -n 's/^requests [0-9]* ok, [0-9]* errors//p')," \
    "stream time p50 $LG_P50 ms p99 $LG_P99 ms max $LG_MAX ms, anvil CPU ${busy}% of a core |" \
    "anvil high-water mark ${hwm[$run]} KiB"
  bench_stop "$ANVIL_PID"
done
echo
echo "median of $runs runs: $(bench_median "${per_idle[@]}") KiB per idle connection;" \
  "$(bench_median "${streams[@]}") streams/s completed with $connections open at once," \
  "errors per run: ${errors[*]}; high-water mark $(bench_median "${hwm[@]}") KiB"
