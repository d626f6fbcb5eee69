#!/usr/bin/env bash
# `anvil serve` with local encoder deployments (synthetic bge-shaped GGUFs from make_test_model.py):
# /v1/embeddings answers the same vectors as `anvil embed` in OpenAI's shape (floats and base64),
# /v1/rerank the sigmoid of `anvil rerank`'s scores sorted best first, and the client errors
# (dimensions, an input over the context, a model asked for what it does not serve) are 400s
# that say what was expected.
source "$(dirname "$0")/lib.sh"
SRC=${ANVIL_SOURCE_DIR:-$(pwd)}
PY=${ANVIL_PYTHON:-/usr/bin/python3}

if ! "$PY" -c 'import numpy' 2>/dev/null; then
  echo "skipped: $PY with numpy is needed to make the test models"
  exit 0
fi
"$PY" "$SRC/tests/engine/reference/make_test_model.py" --preset tiny-bert --out "$WORK/embed.gguf" >/dev/null
"$PY" "$SRC/tests/engine/reference/make_test_model.py" --preset tiny-reranker --out "$WORK/rerank.gguf" >/dev/null
"$PY" "$SRC/tests/engine/reference/make_test_model.py" --preset tiny-llama --out "$WORK/chat.gguf" >/dev/null

cat >"$WORK/anvil.toml" <<TOML
[server]
threads = 2

[[gateway.deployments]]
name = "bge-local"
provider = "local"
model = "$WORK/embed.gguf"

[[gateway.deployments]]
name = "reranker-local"
provider = "local"
model = "$WORK/rerank.gguf"

[[gateway.deployments]]
name = "llama-local"
provider = "local"
model = "$WORK/chat.gguf"

[[gateway.models]]
name = "embed"
deployments = ["bge-local"]

[[gateway.models]]
name = "rerank"
deployments = ["reranker-local"]

[[gateway.models]]
name = "chat"
deployments = ["llama-local"]
TOML

"$ANVIL_BIN" --config "$WORK/anvil.toml" --data-dir "$WORK/data" serve --port 0 >"$WORK/out" 2>"$WORK/err" &
pid=$!
CHILDREN+=("$pid")  # lib.sh's cleanup stops it if the test fails before it does
for _ in $(seq 1 400); do
  grep -q "listening on" "$WORK/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || fail "anvil serve exited early: $(cat "$WORK/err")"
  sleep 0.05
done
url=$(sed -n 's/^anvil: listening on \(http:[^ ]*\)$/\1/p' "$WORK/out")
[ -n "$url" ] || fail "no address printed: $(cat "$WORK/out") $(cat "$WORK/err")"

post() {  # post ROUTE BODY: prints the body, then the status on a line of its own
  curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' -d "$2" "$url$1"
}

# Embeddings: OpenAI's shape, the deployment as model, the vectors of `anvil embed`.
post /v1/embeddings '{"model":"embed","input":["hello world","the cat sat on the mat"]}' >"$WORK/emb"
expect_eq "$(tail -1 "$WORK/emb")" "200" "embeddings status"
anvil embed --model "$WORK/embed.gguf" --json "hello world" "the cat sat on the mat" >"$WORK/cli_emb"
post /v1/embeddings '{"model":"embed","input":["hello world","the cat sat on the mat"],"encoding_format":"base64"}' >"$WORK/emb64"
check=$("$PY" - "$WORK/emb" "$WORK/cli_emb" "$WORK/emb64" <<'PY'
import base64, json, math, struct, sys
d = json.loads(open(sys.argv[1]).read().rsplit("\n", 1)[0])
cli = json.load(open(sys.argv[2]))
b64 = json.loads(open(sys.argv[3]).read().rsplit("\n", 1)[0])
assert d["object"] == "list" and d["model"] == "bge-local", d
assert [e["index"] for e in d["data"]] == [0, 1]
assert all(e["object"] == "embedding" and len(e["embedding"]) == 64 for e in d["data"])
for got, want in zip(d["data"], cli["data"]):
    assert max(abs(a - b) for a, b in zip(got["embedding"], want["embedding"])) < 1e-5
    assert abs(math.sqrt(sum(x * x for x in got["embedding"])) - 1) < 1e-5
u = d["usage"]
assert u["prompt_tokens"] == u["total_tokens"] and u["prompt_tokens"] > 0, u
for f, e in zip(d["data"], b64["data"]):
    floats = struct.unpack("<64f", base64.b64decode(e["embedding"]))
    assert list(floats) == [struct.unpack("<f", struct.pack("<f", x))[0] for x in f["embedding"]]
print("ok")
PY
)
expect_eq "$check" "ok" "embeddings: shape, parity with anvil embed, base64"

body=$(post /v1/embeddings '{"model":"embed","input":"hello","dimensions":32}')
expect_contains "$body" "this model makes 64-dimensional embeddings and does not shorten them; expected 64 or no 'dimensions', found 32" "dimensions"
expect_eq "$(printf '%s' "$body" | tail -1)" "400" "dimensions status"

long=$("$PY" -c 'print(" ".join(["hello world"] * 100))')
body=$(post /v1/embeddings "{\"model\":\"embed\",\"input\":[\"hello\",\"$long\"]}")
expect_contains "$body" "input[1] has 202 tokens (the 2 special tokens that frame it included), the model's context holds 128; inputs are never truncated" "input over the context"
expect_eq "$(printf '%s' "$body" | tail -1)" "400" "over the context status"

# A model asked for what it does not serve: 400 naming the deployment and what it serves.
body=$(post /v1/chat/completions '{"model":"embed","messages":[{"role":"user","content":"hi"}]}')
expect_contains "$body" "deployment 'bge-local' is an embedding model (64 dimensions, mean pooling): it serves /v1/embeddings, not /v1/chat/completions" "chat on an embedding model"
expect_eq "$(printf '%s' "$body" | tail -1)" "400" "chat on an embedding model status"
body=$(post /v1/embeddings '{"model":"chat","input":"hi"}')
expect_contains "$body" "deployment 'llama-local' is a text generation model: it serves /v1/chat/completions and /v1/completions, not /v1/embeddings" "embeddings on a chat model"
expect_eq "$(printf '%s' "$body" | tail -1)" "400" "embeddings on a chat model status"
body=$(post /v1/rerank '{"model":"embed","query":"q","documents":["d"]}')
expect_contains "$body" "it serves /v1/embeddings, not /v1/rerank" "rerank on an embedding model"

# Rerank: sorted best first, relevance_score = sigmoid of anvil rerank's logit, top_n, documents.
post /v1/rerank '{"model":"rerank","query":"pump seal leak","documents":["replace the seal",{"text":"cats sleep"},"fix the leak"],"top_n":2,"return_documents":true}' >"$WORK/rr"
expect_eq "$(tail -1 "$WORK/rr")" "200" "rerank status"
anvil rerank --model "$WORK/rerank.gguf" --json -q "pump seal leak" "replace the seal" "cats sleep" "fix the leak" >"$WORK/cli_rr"
check=$("$PY" - "$WORK/rr" "$WORK/cli_rr" <<'PY'
import json, math, sys
d = json.loads(open(sys.argv[1]).read().rsplit("\n", 1)[0])
cli = json.load(open(sys.argv[2]))
assert d["model"] == "reranker-local", d
r = d["results"]
assert len(r) == 2
assert [x["index"] for x in r] == [x["index"] for x in cli["results"][:2]], (r, cli)
logit = {x["index"]: x["score"] for x in cli["results"]}
docs = ["replace the seal", "cats sleep", "fix the leak"]
for x in r:
    assert abs(x["relevance_score"] - 1 / (1 + math.exp(-logit[x["index"]]))) < 1e-5, x
    assert x["document"] == {"text": docs[x["index"]]}
assert d["usage"]["prompt_tokens"] > 0
print("ok")
PY
)
expect_eq "$check" "ok" "rerank: order, sigmoid scores, top_n, documents"

expect_contains "$(curl -s "$url/v1/models")" '"id":"rerank"' "models listed"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
expect_eq "$status" "0" "exit status after SIGTERM"
done_testing
