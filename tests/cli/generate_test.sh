#!/usr/bin/env bash
# `anvil generate`, `chat` and `bench` on tiny synthetic models (tests/engine/reference/
# make_test_model.py): streaming, determinism, stop strings, context limits, chat over piped
# stdin with the KV cache reused between turns, the bench table, and errors.
source "$(dirname "$0")/lib.sh"
SRC=${ANVIL_SOURCE_DIR:-$(pwd)}
PY=${ANVIL_PYTHON:-/usr/bin/python3}
if ! "$PY" -c 'import numpy' 2>/dev/null; then
  echo "SKIP: $PY cannot import numpy (needed by make_test_model.py)"
  exit 0
fi
make_model() { "$PY" "$SRC/tests/engine/reference/make_test_model.py" --preset "$1" --out "$2" >/dev/null; }
make_model tiny-llama "$WORK/llama.gguf"
make_model tiny-qwen2 "$WORK/qwen2.gguf"
LLAMA="$WORK/llama.gguf"
QWEN="$WORK/qwen2.gguf"

# Greedy generation streams text and is deterministic; timings go to stderr.
out1=$(anvil generate -m "$LLAMA" -p "Once upon a time" -n 16 --temp 0 --ignore-eos 2>"$WORK/err1")
out2=$(anvil generate -m "$LLAMA" -p "Once upon a time" -n 16 --temp 0 --ignore-eos -t 1 2>/dev/null)
[ -n "$out1" ] || fail "greedy generation printed nothing"
expect_eq "$out2" "$out1" "greedy generation is deterministic (2 threads vs 1)"
err1=$(cat "$WORK/err1")
expect_contains "$err1" "generation: 16 tokens" "timings on stderr"
expect_contains "$err1" "finish: length" "finish reason"

# Sampling with a seed repeats; another seed (almost surely) differs.
a=$(anvil generate -m "$QWEN" -p "Hello" -n 16 --temp 1.0 -s 7 --ignore-eos 2>/dev/null)
b=$(anvil generate -m "$QWEN" -p "Hello" -n 16 --temp 1.0 -s 7 --ignore-eos 2>/dev/null)
c=$(anvil generate -m "$QWEN" -p "Hello" -n 16 --temp 1.0 -s 8 --ignore-eos 2>/dev/null)
expect_eq "$b" "$a" "same seed, same text"
[ "$c" != "$a" ] || fail "seeds 7 and 8 gave the same text: $a"

# A stop string from the middle of the greedy text ends it there and is not printed.
stop=$(OUT="$out1" "$PY" -c 'import os; s = os.environ["OUT"]; print(s[len(s) // 2: len(s) // 2 + 3], end="")')
expected=$(OUT="$out1" STOP="$stop" "$PY" -c 'import os; s = os.environ["OUT"]; print(s[:s.find(os.environ["STOP"])], end="")')
out=$(anvil generate -m "$LLAMA" -p "Once upon a time" -n 16 --temp 0 --ignore-eos --stop "$stop" 2>"$WORK/err")
expect_eq "$out" "$expected" "text before the stop string '$stop'"
expect_contains "$(cat "$WORK/err")" "finish: stop" "stop reason"

# Context: a prompt longer than the context is refused, never truncated; generation ends at the
# context end with its own reason.
long=$(printf 'word %.0s' $(seq 1 200))
err=$(expect_failure anvil generate -m "$LLAMA" -p "$long" -c 64)
expect_contains "$err" "anvil: error: prompt has 202 tokens, the context holds 64" "prompt too long"
long=$(printf 'word %.0s' $(seq 1 300))
err=$(expect_failure anvil generate -m "$LLAMA" -p "$long")
expect_contains "$err" "prompt has 302 tokens, the context holds 256" "default context: the model's 256 (< 4096)"
anvil generate -m "$LLAMA" -p "Hello" -c 16 -n 100 --temp 0 --ignore-eos >/dev/null 2>"$WORK/err"
expect_contains "$(cat "$WORK/err")" "finish: context" "generation stops at the context end"

# Chat over piped stdin with the model's ChatML template; the second turn reuses the cache.
out=$(printf 'Hi there\n\nWhat is two plus two?\n' | anvil chat -m "$QWEN" -n 8 --temp 0 --system "Be brief." --timings 2>"$WORK/chat_err")
[ -n "$out" ] || fail "chat printed nothing"
turns=$(grep -c "finish:" "$WORK/chat_err")
expect_eq "$turns" "2" "one reply per non-empty line"
second=$(grep "finish:" "$WORK/chat_err" | tail -1)
case "$second" in
  *", 0 cached)"*) fail "the second turn evaluated the whole conversation again: $second" ;;
  *cached*) PASSED=$((PASSED + 1)) ;;
  *) fail "no cache figure in: $second" ;;
esac
err=$(echo hi | expect_failure anvil chat -m "$LLAMA" -n 4)
expect_contains "$err" "the model has no chat template (tokenizer.chat_template); give one with --chat-template" "no template"
out=$(echo hi | anvil chat -m "$LLAMA" -n 4 --temp 0 --chat-template '{% for m in messages %}{{ m.role }}: {{ m.content }}
{% endfor %}assistant:')
[ -n "$out" ] || fail "chat with --chat-template printed nothing"

# Bench prints a llama-bench table.
out=$(anvil bench -m "$LLAMA" -p 32 -n 8 -r 2 -t 1)
expect_contains "$out" "| model" "bench header"
expect_contains "$out" "llama 4M F32" "bench model label"
expect_contains "$out" "pp32" "bench pp row"
expect_contains "$out" "tg8" "bench tg row"
expect_contains "$out" "memory: model file" "bench memory: file and KV cache"
expect_contains "$out" "memory: peak resident (VmHWM)" "bench memory: peak against file + KV cache"

# Errors name the file and the problem.
err=$(expect_failure anvil generate -m "$WORK/missing.gguf" -p x)
expect_contains "$err" "missing.gguf: cannot open" "missing model"
make_model tiny-bert "$WORK/bert.gguf"
err=$(expect_failure anvil generate -m "$WORK/bert.gguf" -p x)
expect_contains "$err" "architecture 'bert' is not a Llama-family decoder (expected llama or qwen2)" "encoder model"
err=$(expect_failure anvil generate -m "$LLAMA")
expect_contains "$err" "generate needs a prompt: -p TEXT or -f FILE" "no prompt"

done_testing
