#!/usr/bin/env bash
# Issue 4's gateway figures a and b (docs/BENCHMARKS.md, "Server and gateway"):
#   a. throughput, closed loop, 256 keep-alive connections, non-streamed chat completions:
#      straight to the fake upstream, through nginx proxy_pass, through `anvil serve`;
#   b. latency at a fixed 2,000 requests/s over 256 connections, open loop (latency counted
#      from each request's scheduled time): the same three paths; "added" = through - direct.
# Requests carry an API key made for the run (`anvil keys create`), so authentication and the
# usage ledger are on Anvil's path; nginx and the fake ignore the header.
# Everything runs on loopback, started and stopped by this script. CPU layout (taskset), kept
# identical for nginx and Anvil: the proxy on --proxy-cpus (default CPU 1) with --threads I/O
# threads / nginx workers (default 1); the load generator and the fake upstream (one thread
# each) on --client-cpus (default CPU 0). Each of --runs rounds measures all paths side by side;
# the last table row is the median over the rounds.
#
#   bench/gateway_bench.sh [--build build] [--runs 3] [--duration 10] [--warmup 2]
#       [--connections 256] [--rate 2000] [--threads 1] [--proxy-cpus 1] [--client-cpus 0]
#       [--sched fifo|nice|none] [--no-nginx] [--only throughput|latency]
#
# nginx is not a build dependency: install it to compare (Debian: apt-get install nginx-light),
# or pass --no-nginx. --sched (bench_lib.sh): how the benchmark processes are scheduled against
# other work on a shared machine; fifo (real-time, the default as root) keeps compilers from
# delaying each wake-up. Needs: anvil, anvil-fake-upstream, http_load_bench built in --build.
set -euo pipefail
source "$(dirname "$0")/bench_lib.sh"

build=build runs=3 duration=10 warmup=2 connections=256 rate=2000 threads=1
proxy_cpus=1 client_cpus=0 use_nginx=1 only=""
BENCH_SCHED=none
[ "$(id -u)" = 0 ] && BENCH_SCHED=fifo
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --proxy-cpus) proxy_cpus=$2; shift 2 ;;
    --client-cpus) client_cpus=$2; shift 2 ;;
    --sched) BENCH_SCHED=$2; shift 2 ;;
    --no-nginx) use_nginx=0; shift ;;
    --only) only=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) bench_die "unknown argument '$1' (see --help)" ;;
  esac
done
bench_find_binaries "$build"

bench_start_fake "$client_cpus" --threads 1
bench_write_config "$BENCH_TMP/anvil.toml" "$threads" "$FAKE_PORT"
bench_create_key
bench_start_anvil "$proxy_cpus" "$threads" "$BENCH_TMP/anvil.toml"
[ "$use_nginx" = 1 ] && bench_start_nginx "$proxy_cpus" "$threads" "$FAKE_PORT"

path_url() {
  case $1 in
    direct) echo "http://127.0.0.1:$FAKE_PORT/v1/chat/completions" ;;
    nginx) echo "http://127.0.0.1:$NGINX_PORT/v1/chat/completions" ;;
    anvil) echo "http://127.0.0.1:$ANVIL_PORT/v1/chat/completions" ;;
  esac
}
path_pid() {
  case $1 in
    direct) echo "$FAKE_PID" ;;
    nginx) echo "$NGINX_PID" ;;
    anvil) echo "$ANVIL_PID" ;;
  esac
}
paths="direct anvil"
[ "$use_nginx" = 1 ] && paths="direct nginx anvil"

echo "# $(date -u '+%F %T') UTC, $(nproc) CPUs; proxy on CPU $proxy_cpus ($threads threads/workers)," \
  "load generator + fake upstream on CPU $client_cpus; scheduling $BENCH_SCHED"
echo "# $connections connections, ${duration} s measured after ${warmup} s warm-up; open loop at $rate req/s"

# One measurement: sets R_<field> for path $1 in mode $2 (closed|open).
measure() {
  local path=$1 mode=$2 pid cpu0 cpu1 extra=()
  pid=$(path_pid "$path")
  [ "$mode" = open ] && extra=(--rate "$rate")
  cpu0=$(bench_cpu_s "$pid")
  bench_load_gen "$client_cpus" --url "$(path_url "$path")" --connections "$connections" \
    --duration "$duration" --warmup "$warmup" --header "Authorization: Bearer $BENCH_KEY" "${extra[@]}"
  cpu1=$(bench_cpu_s "$pid")
  # CPU of the server process per request, warm-up included (about as many requests per second).
  R_CPU_US=$(awk -v c0="$cpu0" -v c1="$cpu1" -v ok="$LG_OK" -v d="$duration" -v w="$warmup" \
    'BEGIN { n = ok * (d + w) / d; if (n > 0) printf "%.1f", (c1 - c0) * 1e6 / n; else print "-" }')
  [ "$LG_ERRORS" = 0 ] || echo "# $path $mode: $LG_ERRORS errors: $(echo "$LG_OUT" | grep '^requests')" >&2
}

declare -A tput p50 p99 cpu
for run in $(seq 1 "$runs"); do
  load=$(bench_load)
  if [ "$only" != latency ]; then
    row="closed | run $run | load $load"
    for path in $paths; do
      measure "$path" closed
      tput[$path,$run]=$LG_RATE
      cpu[$path,closed,$run]=$R_CPU_US
      row+=" | $path $LG_RATE req/s (p50 $LG_P50 ms, p99 $LG_P99 ms, errors $LG_ERRORS, ${R_CPU_US} us CPU/req)"
    done
    if [ "$use_nginx" = 1 ]; then
      row+=" | anvil/nginx $(awk -v a="${tput[anvil,$run]}" -v n="${tput[nginx,$run]}" 'BEGIN { printf "%.2f", a / n }')"
    fi
    echo "$row"
  fi
  if [ "$only" != throughput ]; then
    load=$(bench_load)
    row="open   | run $run | load $load"
    for path in $paths; do
      measure "$path" open
      p50[$path,$run]=$LG_P50
      p99[$path,$run]=$LG_P99
      cpu[$path,open,$run]=$R_CPU_US
      row+=" | $path p50 $LG_P50 p99 $LG_P99 p99.9 $LG_P999 ms (errors $LG_ERRORS, ${R_CPU_US} us CPU/req)"
    done
    for path in $paths; do
      [ "$path" = direct ] && continue
      row+=" | $path added p50 $(awk -v a="${p50[$path,$run]}" -v d="${p50[direct,$run]}" 'BEGIN { printf "%.3f", a - d }')"
      row+=" p99 $(awk -v a="${p99[$path,$run]}" -v d="${p99[direct,$run]}" 'BEGIN { printf "%.3f", a - d }') ms"
    done
    echo "$row"
  fi
done

column() {  # the values of array $1 for key prefix $2 over the runs
  local -n arr=$1
  local r
  for r in $(seq 1 "$runs"); do echo "${arr[$2,$r]}"; done
}
echo
echo "median of $runs runs"
if [ "$only" != latency ]; then
  for path in $paths; do
    echo "closed loop  $path: $(bench_median $(column tput "$path")) req/s, $(bench_median $(column cpu "$path,closed")) us CPU per request"
  done
  if [ "$use_nginx" = 1 ]; then
    ratios=()
    for r in $(seq 1 "$runs"); do
      ratios+=("$(awk -v a="${tput[anvil,$r]}" -v n="${tput[nginx,$r]}" 'BEGIN { printf "%.3f", a / n }')")
    done
    echo "closed loop  anvil/nginx (per run, side by side): ${ratios[*]}; median $(bench_median "${ratios[@]}")"
  fi
fi
if [ "$only" != throughput ]; then
  for path in $paths; do
    echo "open loop    $path: p50 $(bench_median $(column p50 "$path")) ms, p99 $(bench_median $(column p99 "$path")) ms, $(bench_median $(column cpu "$path,open")) us CPU per request"
  done
  for path in $paths; do
    [ "$path" = direct ] && continue
    a50=() a99=()
    for r in $(seq 1 "$runs"); do
      a50+=("$(awk -v a="${p50[$path,$r]}" -v d="${p50[direct,$r]}" 'BEGIN { printf "%.3f", a - d }')")
      a99+=("$(awk -v a="${p99[$path,$r]}" -v d="${p99[direct,$r]}" 'BEGIN { printf "%.3f", a - d }')")
    done
    echo "open loop    $path added (per run): p50 ${a50[*]} ms, p99 ${a99[*]} ms; median p50 $(bench_median "${a50[@]}") ms, p99 $(bench_median "${a99[@]}") ms"
  done
fi
echo "anvil resident memory: $(bench_rss_kib "$ANVIL_PID") KiB (high-water mark $(bench_rss_kib "$ANVIL_PID" VmHWM) KiB)"
