# Shared by the gateway benchmark scripts (gateway_bench.sh, sse_bench.sh, faults_bench.sh):
# finding the binaries, starting the fake upstream, Anvil and nginx on loopback ports pinned to
# CPUs, reading CPU time and memory from /proc, parsing http_load_bench's output, cleaning up.
# Sourced, not run. Every process started here is killed by bench_cleanup (an EXIT trap).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_PIDS=()
BENCH_TMP=$(mktemp -d /tmp/anvil-bench.XXXXXX)

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  BENCH_PIDS=()
  [ -n "${BENCH_KEEP_TMP:-}" ] || rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_die() { echo "$(basename "$0"): $*" >&2; exit 2; }

# Binaries: from the build folder given with --build (default ./build), each overridable by
# ANVIL_BIN, FAKE_BIN, LOADGEN_BIN.
bench_find_binaries() {
  local build=$1
  ANVIL_BIN=${ANVIL_BIN:-$build/src/anvil}
  FAKE_BIN=${FAKE_BIN:-$build/tools/fake_upstream/anvil-fake-upstream}
  LOADGEN_BIN=${LOADGEN_BIN:-$build/bench/http_load_bench}
  local b
  for b in "$ANVIL_BIN" "$FAKE_BIN" "$LOADGEN_BIN"; do
    [ -x "$b" ] || bench_die "missing $b: ninja -C $build anvil anvil-fake-upstream http_load_bench"
  done
}

# Replaces the calling (sub)shell with "$@" pinned to the CPUs $1, scheduled by $BENCH_SCHED:
#   fifo  SCHED_FIFO priority 50 (chrt -f 50; needs root): a benchmark process runs as soon as it
#         is woken instead of waiting for a compiler's time slice to end on a shared machine;
#         the kernel still leaves 5% of each CPU to other work (sched_rt_runtime_us), which can
#         pause a saturated process for up to 50 ms a second;
#   nice  nice -n -15;
#   none  the default scheduling.
# `bench_pinned ... &` leaves the program's own pid in $!: call it only in the background or in
# $(...).
bench_pinned() {
  local cpus=$1
  shift
  case ${BENCH_SCHED:-none} in
    fifo) exec taskset -c "$cpus" chrt -f 50 "$@" ;;
    nice) exec taskset -c "$cpus" nice -n -15 "$@" ;;
    none) exec taskset -c "$cpus" "$@" ;;
    *) bench_die "unknown scheduling '$BENCH_SCHED' (fifo, nice or none)" ;;
  esac
}

# Waits until file $1 has a line matching $2 (the process $3 must stay alive); prints the line.
bench_wait_line() {
  local file=$1 pattern=$2 pid=$3 i
  for i in $(seq 1 600); do
    if grep -q "$pattern" "$file" 2>/dev/null; then
      grep -m1 "$pattern" "$file"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || bench_die "process $pid exited early: $(tail -5 "$file" "$file.err" 2>/dev/null)"
    sleep 0.05
  done
  bench_die "timed out waiting for '$pattern' in $file"
}

# Starts the fake upstream on CPUs $1 with the flags that follow; sets FAKE_PID and FAKE_PORT.
bench_start_fake() {
  local cpus=$1
  shift
  local out=$BENCH_TMP/fake.$RANDOM
  bench_pinned "$cpus" "$FAKE_BIN" --port 0 "$@" >"$out" 2>"$out.err" &
  FAKE_PID=$!
  BENCH_PIDS+=("$FAKE_PID")
  FAKE_PORT=$(bench_wait_line "$out" '^[0-9][0-9]*$' "$FAKE_PID")
}

# Starts `anvil serve` on CPUs $1 with $2 I/O threads and the configuration file $3 (its
# [gateway] tables); sets ANVIL_PID and ANVIL_PORT.
bench_start_anvil() {
  local cpus=$1 threads=$2 config=$3
  local out=$BENCH_TMP/anvil.$RANDOM
  mkdir -p "$BENCH_TMP/data"
  bench_pinned "$cpus" "$ANVIL_BIN" --config "$config" --data-dir "$BENCH_TMP/data" serve \
    --port 0 --threads "$threads" >"$out" 2>"$out.err" &
  ANVIL_PID=$!
  BENCH_PIDS+=("$ANVIL_PID")
  local line
  line=$(bench_wait_line "$out" '^anvil: listening on' "$ANVIL_PID")
  ANVIL_PORT=${line##*:}
}

# Creates an API key in the data folder Anvil will use (`anvil keys create`); sets BENCH_KEY.
# The benchmarks call with it, so that authentication, rate limiting and the usage ledger are
# on the measured path as in production.
bench_create_key() {
  mkdir -p "$BENCH_TMP/data"
  BENCH_KEY=$("$ANVIL_BIN" --data-dir "$BENCH_TMP/data" keys create --name bench --tenant bench \
    2>"$BENCH_TMP/keys.err") || bench_die "anvil keys create failed: $(cat "$BENCH_TMP/keys.err")"
}

# Writes to $1 an anvil.toml with $2 I/O threads and one logical model, "fake-model", served by
# one deployment: the fake upstream on port $3. $4: more lines for the [server] table.
bench_write_config() {
  cat >"$1" <<TOML
[server]
threads = $2
${4:-}

[[gateway.deployments]]
name = "fake"
provider = "openai"
model = "fake-model"
base_url = "http://127.0.0.1:$3/v1"

[[gateway.models]]
name = "fake-model"
deployments = ["fake"]
TOML
}

# Stops a process started above (and forgets it).
bench_stop() {
  local pid=$1 kept=() p
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  BENCH_PIDS=("${kept[@]}")
}

bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts nginx (bench/nginx_proxy.conf.in) on CPUs $1 with $2 workers in front of the upstream
# port $3; sets NGINX_PID (the master) and NGINX_PORT.
bench_start_nginx() {
  local cpus=$1 workers=$2 upstream=$3
  local nginx_bin=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
  [ -x "$nginx_bin" ] || bench_die "nginx is not installed (Debian: apt-get install nginx-light); or --no-nginx"
  local prefix=$BENCH_TMP/nginx.$RANDOM
  mkdir -p "$prefix"
  chmod 755 "$BENCH_TMP" "$prefix"
  NGINX_PORT=$(bench_free_port)
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$NGINX_PORT|g" -e "s|@UPSTREAM_PORT@|$upstream|g" \
    -e "s|@WORKERS@|$workers|g" "$BENCH_DIR/nginx_proxy.conf.in" >"$prefix/nginx.conf"
  bench_pinned "$cpus" "$nginx_bin" -p "$prefix" -c "$prefix/nginx.conf" \
    >"$prefix/out" 2>"$prefix/out.err" &
  NGINX_PID=$!
  BENCH_PIDS+=("$NGINX_PID")
  local i
  for i in $(seq 1 200); do
    curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/v1/models" && return 0
    kill -0 "$NGINX_PID" 2>/dev/null || bench_die "nginx exited: $(cat "$prefix/out.err" "$prefix/error.log" 2>/dev/null)"
    sleep 0.05
  done
  bench_die "nginx did not answer on port $NGINX_PORT"
}

# CPU seconds (user + system) used so far by process $1 and its children processes (nginx's
# workers), from /proc/PID/stat.
bench_cpu_s() {
  local pids="$1 $(pgrep -P "$1" | tr '\n' ' ')" ticks=0 p f
  for p in $pids; do
    [ -r "/proc/$p/stat" ] || continue
    # Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    f=$(sed 's/^.*) //' "/proc/$p/stat")
    ticks=$((ticks + $(echo "$f" | awk '{print $12 + $13}')))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# Resident memory of process $1 in KiB (VmRSS; with $2 = VmHWM, the high-water mark).
bench_rss_kib() {
  awk -v k="${2:-VmRSS}:" '$1 == k { print $2 }' "/proc/$1/status"
}

bench_load() { awk '{ print $1 }' /proc/loadavg; }

# Runs http_load_bench pinned to CPUs $1 with the flags that follow; sets LG_OK, LG_ERRORS,
# LG_RATE, LG_P50, LG_P99, LG_P999, LG_MAX (ms) and LG_OUT (its whole output).
bench_load_gen() {
  local cpus=$1
  shift
  LG_OUT=$(bench_pinned "$cpus" "$LOADGEN_BIN" "$@" 2>&1) || true
  LG_OK=$(echo "$LG_OUT" | sed -n 's/^requests \([0-9]*\) ok.*/\1/p')
  [ -n "$LG_OK" ] || bench_die "http_load_bench failed: $LG_OUT"
  LG_ERRORS=$(echo "$LG_OUT" | sed -n 's/^requests [0-9]* ok, \([0-9]*\) errors.*/\1/p')
  LG_RATE=$(echo "$LG_OUT" | sed -n 's/^throughput \([0-9]*\) ok\/s/\1/p')
  local lat
  lat=$(echo "$LG_OUT" | grep '^latency ms:' || true)
  LG_P50=$(echo "$lat" | awk '{ print $4 }')
  LG_P99=$(echo "$lat" | awk '{ print $8 }')
  LG_P999=$(echo "$lat" | awk '{ print $10 }')
  LG_MAX=$(echo "$lat" | awk '{ print $12 }')
}

# The median of the numbers given as arguments.
bench_median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
