#!/usr/bin/env bash
# `anvil usage`: totals, cost per request and errors from the usage ledger, grouped by each
# dimension and limited to a time range; clear errors for bad times and groupings. The ledger rows
# are written here the way the server's ledger writes them (docs/USAGE_LEDGER.md).
source "$(dirname "$0")/lib.sh"
row() { printf "%-28s %9s %12s %12s %12s %14s %7s %14s" "$@"; }

out=$(anvil usage)
expect_contains "$out" "$(row TOTAL 0 0 0 0 0.000000 0 0.000000)" "empty ledger"

anvil keys create --name ci --tenant acme >/dev/null 2>&1
python3 - "$WORK/data/anvil.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
mar1 = 1709251200 * 1000000  # 2024-03-01T00:00:00Z in microseconds
day = 86400 * 1000000
rows = [  # id, time, key, tenant, model, prompt, completion, cached, cost, outcome, tags
    ("r1", mar1 + 1, "1", "acme", "gpt", 100, 10, 20, 0.5, "ok", ["team=search"]),
    ("r2", mar1 + 2, "1", "acme", "gpt", 200, 20, 0, 0.25, "error:timeout", ["team=search", "env=prod"]),
    ("r3", mar1 + day, "", "", "llama", 50, 5, 0, 1.0, "cache_hit", []),
    ("r4", mar1 + 2 * day, "1", "acme", "llama", 10, 1, 0, 2.0, "ok", ["env=prod"]),
]
for rid, t, key, tenant, model, p, c, cached, cost, outcome, tags in rows:
    cur = db.execute(
        "INSERT INTO usage_records(request_id, time_us, key_id, tenant, model, deployment, operation,"
        " prompt_tokens, completion_tokens, cached_tokens, cost_usd, latency_ms, upstream_latency_ms,"
        " http_status, outcome, attempts, fallbacks, stream) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (rid, t, key, tenant, model, model + "-a", "chat", p, c, cached, cost, 1.0, 0.5, 200, outcome, 1, 0, 0))
    for tag in tags:
        db.execute("INSERT INTO usage_tags(tag, usage_id) VALUES (?, ?)", (tag, cur.lastrowid))
db.commit()
PY

out=$(anvil usage --group-by model)
expect_contains "$out" "MODEL" "header names the grouping"
expect_contains "$out" "$(row gpt 2 300 30 20 0.750000 1 0.375000)" "gpt row"
expect_contains "$out" "$(row llama 2 60 6 0 3.000000 0 1.500000)" "llama row"
expect_contains "$out" "$(row TOTAL 4 360 36 20 3.750000 1 0.937500)" "total row"

out=$(anvil usage --group-by key)
expect_contains "$out" "1 ci" "key rows carry the key's name"
expect_contains "$out" "(admin / no key)" "requests without a key"

check() {  # check ARGS... -- PYTHON: runs `anvil usage --json ARGS`, then asserts on `r`
  local args=() py
  while [ "$1" != "--" ]; do args+=("$1"); shift; done
  py=$2
  python3 -c "import json, sys; r = json.loads(sys.argv[1]); $py" "$(anvil usage --json "${args[@]}")" ||
    fail "usage ${args[*]}: $py"
  PASSED=$((PASSED + 1))
}
check --group-by tag -- '
g = {x["group"]: (x["requests"], x["cost_usd"], x["errors"]) for x in r["data"]}
assert g == {"": (1, 1.0, 0), "env=prod": (2, 2.25, 1), "team=search": (2, 0.75, 1)}, g
assert r["total"]["requests"] == 4 and r["total"]["cost_usd"] == 3.75, r["total"]'
check --group-by day -- '
assert [(x["group"], x["requests"]) for x in r["data"]] == [("2024-03-01", 2), ("2024-03-02", 1), ("2024-03-03", 1)], r'
check --group-by tenant -- '
assert [(x["group"], x["prompt_tokens"]) for x in r["data"]] == [("", 50), ("acme", 310)], r'
check --group-by key -- '
assert [(x["group"], x["key_name"], x["completion_tokens"]) for x in r["data"]] == [("", None, 5), ("1", "ci", 31)], r'
check --from 2024-03-02 --to 2024-03-03T00:00:00Z --group-by deployment -- '
assert r["from"] == "2024-03-02T00:00:00Z" and r["to"] == "2024-03-03T00:00:00Z", r
assert [(x["group"], x["requests"], x["cost_per_request"]) for x in r["data"]] == [("llama-a", 1, 1.0)], r'
check --from 2024-03-02T08:00:00+08:00 -- '
assert r["group_by"] is None and r["data"] == [] and r["total"]["requests"] == 2, r'

err=$(expect_failure anvil usage --group-by user)
expect_eq "$err" "anvil: error: group_by: expected key, tenant, model, deployment, tag, day or none, found 'user'" "bad grouping"
err=$(expect_failure anvil usage --from yesterday)
expect_contains "$err" "anvil: error: from: invalid timestamp" "bad --from"
expect_contains "$err" "yesterday" "bad --from quotes the value"
err=$(expect_failure anvil usage --from 2024-03-02 --to 2024-03-01)
expect_eq "$err" "anvil: error: expected 'from' before 'to', found from 2024-03-02 and to 2024-03-01" "reversed range"

done_testing
