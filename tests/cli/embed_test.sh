#!/usr/bin/env bash
# `anvil embed` and `anvil rerank` on synthetic bge-shaped models (make_test_model.py): plain and
# JSON output, texts from stdin, ranking order, and clear errors (wrong kind of model, missing
# file, a text longer than the context, nothing to embed).
source "$(dirname "$0")/lib.sh"
SRC=${ANVIL_SOURCE_DIR:-$(pwd)}
PY=${ANVIL_PYTHON:-/usr/bin/python3}

if ! "$PY" -c 'import numpy' 2>/dev/null; then
  echo "skipped: $PY with numpy is needed to make the test models"
  exit 0
fi
"$PY" "$SRC/tests/engine/reference/make_test_model.py" --preset tiny-bert --out "$WORK/embed.gguf" >/dev/null
"$PY" "$SRC/tests/engine/reference/make_test_model.py" --preset tiny-reranker --out "$WORK/rerank.gguf" >/dev/null

# Plain output: one line per text, "embedding I:" and the 64 components.
out=$(anvil embed --model "$WORK/embed.gguf" -t 1 "hello world" "the cat sat on the mat")
expect_eq "$(printf '%s\n' "$out" | wc -l)" "2" "one line per text"
expect_contains "$out" "embedding 1:" "second vector"
expect_eq "$(printf '%s\n' "$out" | head -1 | wc -w)" "66" "64 components after 'embedding 0:'"

# JSON: model, dim, data[index, embedding] with unit vectors.
json=$(anvil embed --model "$WORK/embed.gguf" --json "hello world" "the cat sat on the mat")
check=$(printf '%s' "$json" | python3 -c '
import json, math, sys
d = json.load(sys.stdin)
assert d["model"] == "embed", d["model"]
assert d["dim"] == 64
assert [e["index"] for e in d["data"]] == [0, 1]
for e in d["data"]:
    assert len(e["embedding"]) == 64
    assert abs(math.sqrt(sum(x * x for x in e["embedding"])) - 1) < 1e-5
assert d["data"][0]["embedding"] != d["data"][1]["embedding"]
print("ok")')
expect_eq "$check" "ok" "embed --json"

# "-" reads one text per line from stdin; the vectors equal those of the same texts as arguments.
json_stdin=$(printf 'hello world\nthe cat sat on the mat\n' | anvil embed --model "$WORK/embed.gguf" --json -)
expect_eq "$json_stdin" "$json" "texts from stdin"

# Rerank: documents ranked by score, highest first; JSON carries index, score and document.
out=$(anvil rerank --model "$WORK/rerank.gguf" --query "pump seal leak" "replace the seal" "cats sleep" "fix the leak")
expect_eq "$(printf '%s\n' "$out" | wc -l)" "3" "one line per document"
expect_contains "$out" " 1. " "ranked list"
json=$(anvil rerank --model "$WORK/rerank.gguf" --json -q "pump seal leak" "replace the seal" "cats sleep" "fix the leak")
check=$(printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["query"] == "pump seal leak"
r = d["results"]
assert sorted(x["index"] for x in r) == [0, 1, 2]
assert all(r[i]["score"] >= r[i + 1]["score"] for i in range(len(r) - 1))
docs = ["replace the seal", "cats sleep", "fix the leak"]
assert all(x["document"] == docs[x["index"]] for x in r)
print("ok")')
expect_eq "$check" "ok" "rerank --json"
first=$(printf '%s' "$json" | python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; print(r["index"])')
expect_contains "$(printf '%s\n' "$out" | head -1)" "[$first]" "plain and JSON agree on the top document"

# Errors: message and exit status 1.
err=$(expect_failure anvil embed --model "$WORK/rerank.gguf" "hello")
expect_contains "$err" "this is a reranker, not an embedding model" "embed with a reranker"
err=$(expect_failure anvil rerank --model "$WORK/embed.gguf" -q "q" "doc")
expect_contains "$err" "expected 4 (rank): this is not a reranker" "rerank with an embedding model"
err=$(expect_failure anvil embed --model "$WORK/missing.gguf" "hello")
expect_contains "$err" "missing.gguf" "missing model file"
long=$(python3 -c 'print(" ".join(["word"] * 200))')
err=$(expect_failure anvil embed --model "$WORK/embed.gguf" "short" "$long")
expect_contains "$err" "texts[1] has 202 tokens ([CLS] and [SEP] included), the model's context holds 128" "text longer than the context"
err=$(expect_failure anvil embed --model "$WORK/embed.gguf")
expect_contains "$err" "no texts given" "nothing to embed"
err=$(printf 'a\n' | expect_failure anvil embed --model "$WORK/embed.gguf" - -)
expect_contains "$err" "'-' (read texts from standard input) may be given once" "stdin twice"
anvil embed --model "$WORK/embed.gguf" "x" >/dev/null 2>&1 && PASSED=$((PASSED + 1))
anvil embed --model "$WORK/missing.gguf" "x" >/dev/null 2>&1 || [ $? -eq 1 ] || fail "exit status 1 expected"
PASSED=$((PASSED + 1))

done_testing
