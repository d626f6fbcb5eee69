#!/usr/bin/env bash
# `anvil keys create|list|revoke` as an operator uses them: the key printed once, only its hash on
# disk, limits stored, revocation, and clear errors.
source "$(dirname "$0")/lib.sh"

key=$(anvil keys create --name ci --tenant acme --rpm 60 --budget 5 2>"$WORK/create.err")
[[ "$key" =~ ^ak-[A-Za-z0-9_-]{43}$ ]] || fail "key format: got '$key'"
PASSED=$((PASSED + 1))
expect_contains "$(cat "$WORK/create.err")" "created API key 1 'ci' for tenant 'acme' (rpm 60, tpm -, budget \$5.00)" "create notes"

# Only the SHA-256 is stored: neither the key nor its secret part appears in the database files.
hash=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)
secret_part=${key:9}
cat "$WORK/data/anvil.db"* >"$WORK/db.bytes"
grep -qa "$hash" "$WORK/db.bytes" || fail "the key's SHA-256 should be stored"
PASSED=$((PASSED + 1))
if grep -qaF "$secret_part" "$WORK/db.bytes"; then fail "the plaintext key reached the database"; fi
PASSED=$((PASSED + 1))

json=$(anvil keys create --name batch-job --tenant globex --tpm 10000 --json)
python3 - "$json" <<'PY' || fail "create --json"
import json, sys
k = json.loads(sys.argv[1])
assert k["id"] == 2 and k["name"] == "batch-job" and k["tenant"] == "globex", k
assert k["tpm"] == 10000 and k["rpm"] is None and k["budget_usd"] is None, k
assert k["key"].startswith(k["prefix"]) and len(k["key"]) == 46, k
PY
PASSED=$((PASSED + 1))

out=$(anvil keys list)
expect_contains "$out" "ci" "list shows the name"
expect_contains "$out" "${key:0:9}" "list shows the prefix"
expect_contains "$out" "\$5.00" "list shows the budget"
expect_contains "$out" "active" "list shows the status"
if [[ "$out" == *"$secret_part"* ]]; then fail "list printed the key"; fi

python3 - "$(anvil keys list --json)" <<'PY' || fail "list --json"
import json, sys
keys = json.loads(sys.argv[1])
assert [k["name"] for k in keys] == ["ci", "batch-job"], keys
assert keys[0]["rpm"] == 60 and keys[0]["budget_usd"] == 5.0 and keys[0]["revoked_at"] is None, keys[0]
assert keys[0]["spent_usd"] == 0 and keys[0]["requests"] == 0, keys[0]
assert "key" not in keys[0]
PY
PASSED=$((PASSED + 1))

err=$(expect_failure anvil keys create --name ci --tenant other)
expect_eq "$err" "anvil: error: an API key named 'ci' already exists" "duplicate name"
err=$(expect_failure anvil keys create --name 9lives --tenant acme)
expect_eq "$err" "anvil: error: name: expected 1-64 characters of A-Z a-z 0-9 _ . - starting with a letter, found '9lives'" "bad name"
err=$(expect_failure anvil keys create --name x --tenant acme --rpm 0)
expect_eq "$err" "anvil: error: rpm: expected a positive number, found 0" "zero limit"
expect_failure anvil keys create --name x >/dev/null  # --tenant is required

out=$(anvil keys revoke ci)
expect_contains "$out" "revoked API key 1 'ci' (tenant 'acme', ${key:0:9}...) at " "revoke by name"
expect_contains "$(anvil keys list)" "revoked 20" "list shows the revocation"
err=$(expect_failure anvil keys revoke ci)
expect_contains "$err" "anvil: error: API key 1 'ci' was already revoked at 20" "revoke twice"
out=$(anvil keys revoke 2)
expect_contains "$out" "revoked API key 2 'batch-job'" "revoke by id"
err=$(expect_failure anvil keys revoke 99)
expect_eq "$err" "anvil: error: no API key with id 99 (existing: 1 ci, 2 batch-job)" "unknown id"

done_testing
