#!/usr/bin/env bash
# `anvil status`: a server in front of two fake upstreams, one always answering 500; after three
# failed calls the failing deployment's breaker is open and `anvil status` (table and --json)
# shows it while the healthy one stays closed. An unreachable server is exit 1 with the reason.
source "$(dirname "$0")/lib.sh"
FAKE_BIN=${ANVIL_FAKE_UPSTREAM:?ANVIL_FAKE_UPSTREAM must name the anvil-fake-upstream binary}

# Nobody listens on port 9 (discard): exit 1, the URL and the way out named.
err=$(expect_failure anvil status --url http://127.0.0.1:9)
expect_contains "$err" "anvil: error: cannot get the status from the Anvil server at http://127.0.0.1:9: " "unreachable"
expect_contains "$err" "is \`anvil serve\` running there?" "unreachable hint"
# Port 0 in the settings: no address to guess.
err=$(ANVIL_SERVER_PORT=0 expect_failure anvil status)
expect_contains "$err" "server.port is 0 (any free port), so the server's address is unknown" "port 0"

# upstream NAME FLAGS...: a fake upstream on a free port; its port is the first line of NAME.out.
upstream() {
  local name=$1
  shift
  "$FAKE_BIN" --port 0 --models fake-model "$@" >"$WORK/$name.out" 2>"$WORK/$name.out.err" &
  CHILDREN+=($!)
  wait_for_line "$WORK/$name.out" '^[0-9]' "$!" "fake upstream '$name'"
  printf '[[gateway.deployments]]\nname = "%s"\nprovider = "openai"\nmodel = "fake-model"\nbase_url = "http://127.0.0.1:%s/v1"\n\n' \
    "$name" "$(head -n 1 "$WORK/$name.out")" >>"$WORK/anvil.toml"
}

cat >"$WORK/anvil.toml" <<'TOML'
[server]
threads = 1

[gateway.retry]
max_attempts = 1

[gateway.breaker]
consecutive_failures = 3
cooldown_s = 3600

[[gateway.models]]
name = "chat"
deployments = ["flaky"]
fallbacks = ["backup"]

[[gateway.models]]
name = "backup"
deployments = ["steady"]

TOML
upstream flaky --fail-rate 1 --faults 500  # every call a 500
upstream steady
"$ANVIL_BIN" --config "$WORK/anvil.toml" --data-dir "$WORK/data" serve --port 0 >"$WORK/serve.out" 2>"$WORK/serve.out.err" &
serve_pid=$!
CHILDREN+=("$serve_pid")
wait_for_line "$WORK/serve.out" "listening on" "$serve_pid" "anvil serve"
url=$(sed -n 's/^anvil: listening on \(http:[^ ]*\)$/\1/p' "$WORK/serve.out")

# Before any call: both closed, nothing in the window.
table=$(anvil --config "$WORK/anvil.toml" status --url "$url")
expect_contains "$table" "at $url: serving, up " "summary line"
expect_contains "$table" "breakers: open over 5.0% errors among at least 20 requests in 1m 00s, or after 3 failures in a row; half-open after 1h 00m 00s" "breaker settings"
expect_contains "$(tr -s ' ' <<<"$table")" "flaky openai chat closed 0/0 (0.0%) 0 -" "flaky closed at first"

# Three calls: each fails on 'flaky' (500) and falls back to 'steady'; the third opens the breaker.
for i in 1 2 3; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -d '{"model":"chat","messages":[{"role":"user","content":"hi"}]}' "$url/v1/chat/completions")
  expect_eq "$code" "200" "call $i answered by the fallback"
done

table=$(anvil --config "$WORK/anvil.toml" status --url "$url")
# Columns squeezed to single spaces: name, provider, models, breaker, errors, in a row, half-open in.
flaky=$(grep '^flaky ' <<<"$table" | tr -s ' ')
steady=$(grep '^steady ' <<<"$table" | tr -s ' ')
expect_contains "$table" "DEPLOYMENT  PROVIDER  MODELS  BREAKER  ERRORS (WINDOW)  FAILS IN A ROW  HALF-OPEN IN" "header"
expect_contains "$flaky" "flaky openai chat open 3/3 (100.0%) 3 59m " "flaky's breaker is open"
expect_contains "$steady" "steady openai backup closed 0/3 (0.0%) 0 -" "steady's breaker is closed"

json=$(anvil --config "$WORK/anvil.toml" status --url "$url/" --json)
expect_contains "$json" '"name":"flaky","provider":"openai","upstream_model":"fake-model","models":["chat"],"breaker":{"state":"open","window_requests":3,"window_failures":3,' "json: flaky"
expect_contains "$json" '"name":"steady","provider":"openai","upstream_model":"fake-model","models":["backup"],"breaker":{"state":"closed","window_requests":3,"window_failures":0,' "json: steady"
expect_contains "$json" '"draining":false' "json: server"
# The same state in /metrics: 2 = open.
expect_contains "$(curl -s "$url/metrics")" 'anvil_gateway_breaker_state{deployment="flaky"} 2' "metrics"

kill -TERM "$serve_pid"
wait "$serve_pid"
done_testing
