#!/usr/bin/env bash
# `anvil serve`: starts with embedded defaults on a free port, answers the operational and
# OpenAI routes, and exits 0 after draining on SIGTERM; bad settings are refused up front.
source "$(dirname "$0")/lib.sh"

err=$(expect_failure anvil serve --port 70000)
expect_contains "$err" "expected an integer between 0 and 65535 for 'server.port', found 70000" "port range"
err=$(expect_failure anvil serve --port 0 --host not-an-ip)
expect_contains "$err" "expected an IP address for server.host, found 'not-an-ip'" "host"

(cd "$WORK" && exec "$ANVIL_BIN" --data-dir "$WORK/data" serve --port 0 --threads 2 >"$WORK/out" 2>"$WORK/err") &
pid=$!
# Readiness: the server prints its address once every acceptor listens.
for _ in $(seq 1 400); do
  grep -q "listening on" "$WORK/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || fail "anvil serve exited early: $(cat "$WORK/err")"
  sleep 0.05
done
url=$(sed -n 's/^anvil: listening on \(http:[^ ]*\)$/\1/p' "$WORK/out")
[ -n "$url" ] || fail "no address printed: $(cat "$WORK/out")"

expect_eq "$(curl -s "$url/health")" '{"status":"ok"}' "health"
expect_eq "$(curl -s "$url/ready")" '{"status":"ready"}' "ready"
expect_eq "$(curl -s "$url/v1/models")" '{"object":"list","data":[]}' "models"
body=$(curl -s -w ' %{http_code}' -H 'Content-Type: application/json' \
  -d '{"model":"nope","messages":[{"role":"user","content":"hi"}]}' "$url/v1/chat/completions")
expect_contains "$body" '"code":"model_not_found"}} 404' "unknown model"
body=$(curl -s -w ' %{http_code}' -d '{"model":"m","messages":[],"stream":true}' "$url/v1/chat/completions")
expect_contains "$body" "invalid 'messages': expected a non-empty array of messages, found an empty array" "validation"
expect_contains "$body" ' 400' "validation status"
expect_contains "$(curl -s "$url/metrics")" 'anvil_http_requests_total{route="/health",method="GET",status="200"} 1' "metrics"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
expect_eq "$status" "0" "exit status after SIGTERM"

# With a configuration: the [gateway] tables give the models; a deployment nobody listens on is
# a 502 naming the model after the configured single attempt.
cat >"$WORK/anvil.toml" <<'TOML'
[server]
threads = 1

[gateway.retry]
max_attempts = 1

[[gateway.deployments]]
name = "nowhere"
provider = "openai"
model = "m"
base_url = "http://127.0.0.1:9/v1"

[[gateway.models]]
name = "chat"
deployments = ["nowhere"]
TOML
: >"$WORK/out"
"$ANVIL_BIN" --config "$WORK/anvil.toml" --data-dir "$WORK/data" serve --port 0 >"$WORK/out" 2>"$WORK/err" &
pid=$!
for _ in $(seq 1 400); do
  grep -q "listening on" "$WORK/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || fail "anvil serve exited early: $(cat "$WORK/err")"
  sleep 0.05
done
url=$(sed -n 's/^anvil: listening on \(http:[^ ]*\)$/\1/p' "$WORK/out")
expect_contains "$(curl -s "$url/v1/models")" '"id":"chat"' "configured model listed"
body=$(curl -s -w ' %{http_code}' -d '{"model":"chat","messages":[{"role":"user","content":"hi"}]}' "$url/v1/chat/completions")
expect_contains "$body" '"code":"upstream_error"}} 502' "unreachable deployment"
kill -INT "$pid"
status=0
wait "$pid" || status=$?
expect_eq "$status" "0" "exit status after SIGINT"
done_testing
