#!/usr/bin/env bash
# `anvil model info` and `anvil quantize` as a user runs them: on a small llama-shaped f32 model
# written by an independent Python GGUF writer (below), on the quantized results, on the shared
# llama.cpp vocab files, and on bad input.
source "$(dirname "$0")/lib.sh"
SRC=${ANVIL_SOURCE_DIR:-$(pwd)}
SHARED=${ANVIL_SHARED_DIR:-$SRC/../shared}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# A GGUF v3 writer in plain Python (struct + array), not sharing code with Anvil's writer: 4
# layers, d=256, tied embeddings, a tokenizer and a chat template.
"$PY" - "$WORK/tiny.gguf" <<'PYEOF'
import struct, sys, random
random.seed(7)
out = sys.argv[1]
def s(x):
    b = x.encode()
    return struct.pack('<Q', len(b)) + b
kv = []
def add(key, typ, payload):
    kv.append(s(key) + struct.pack('<I', typ) + payload)
add('general.architecture', 8, s('llama'))
add('general.name', 8, s('tiny-test'))
add('general.file_type', 4, struct.pack('<I', 0))
add('llama.context_length', 4, struct.pack('<I', 2048))
add('llama.embedding_length', 4, struct.pack('<I', 256))
add('llama.block_count', 4, struct.pack('<I', 4))
add('llama.feed_forward_length', 4, struct.pack('<I', 512))
add('llama.attention.head_count', 4, struct.pack('<I', 4))
add('llama.attention.head_count_kv', 4, struct.pack('<I', 2))
add('llama.rope.freq_base', 6, struct.pack('<f', 10000.0))
add('llama.attention.layer_norm_rms_epsilon', 6, struct.pack('<f', 1e-5))
tokens = ['<unk>', '<s>', '</s>'] + ['tok%d' % i for i in range(61)]
add('tokenizer.ggml.model', 8, s('llama'))
add('tokenizer.ggml.tokens', 9, struct.pack('<IQ', 8, len(tokens)) + b''.join(s(t) for t in tokens))
add('tokenizer.ggml.scores', 9, struct.pack('<IQ', 6, len(tokens)) + struct.pack('<%df' % len(tokens), *[-float(i) for i in range(len(tokens))]))
add('tokenizer.ggml.bos_token_id', 4, struct.pack('<I', 1))
add('tokenizer.ggml.eos_token_id', 4, struct.pack('<I', 2))
add('tokenizer.ggml.add_bos_token', 7, struct.pack('<B', 1))
add('tokenizer.chat_template', 8, s("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}{% endfor %}"))
tensors = [('token_embd.weight', [256, 64]), ('output_norm.weight', [256])]
for i in range(4):
    p = 'blk.%d.' % i
    tensors += [(p + 'attn_norm.weight', [256]), (p + 'attn_q.weight', [256, 256]), (p + 'attn_k.weight', [256, 128]),
                (p + 'attn_v.weight', [256, 128]), (p + 'attn_output.weight', [256, 256]), (p + 'ffn_norm.weight', [256]),
                (p + 'ffn_gate.weight', [256, 512]), (p + 'ffn_up.weight', [256, 512]), (p + 'ffn_down.weight', [512, 256])]
def pad(n): return (n + 31) // 32 * 32
info, data, off = b'', b'', 0
for name, ne in tensors:
    n = 1
    for x in ne: n *= x
    info += s(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<q', x) for x in ne) + struct.pack('<IQ', 0, off)
    blob = struct.pack('<%df' % n, *[random.gauss(0, 0.02) for _ in range(n)])
    data += blob + b'\0' * (pad(len(blob)) - len(blob))
    off = len(data)
head = b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(kv)) + b''.join(kv) + info
head += b'\0' * (pad(len(head)) - len(head))
open(out, 'wb').write(head + data)
PYEOF

# ---- model info ----
out=$(anvil model info "$WORK/tiny.gguf")
expect_contains "$out" "format:        GGUF v3" "format line"
expect_contains "$out" "architecture:  llama" "architecture"
expect_contains "$out" "name:          tiny-test" "name"
expect_contains "$out" "file type:     ALL_F32 (0)" "file type"
expect_contains "$out" "parameters:    2.38 M (2377984)" "parameter count"
expect_contains "$out" "f32          38 tensors" "tensor types"
expect_contains "$out" "KV heads               2" "hyperparameters"
expect_contains "$out" "rope base              10000" "rope base"
expect_contains "$out" "vocabulary             64 tokens" "vocab size"
expect_contains "$out" 'bos token              1 "<s>"' "bos token text"
expect_contains "$out" "add BOS                true" "add_bos"
expect_contains "$out" 'chat template: 73 bytes, first line "{% for m in messages %}<|{{ m['"'"'role'"'"'] }}|>"' "chat template"

out=$(anvil model info "$WORK/tiny.gguf" --tensors)
expect_contains "$out" "blk.3.ffn_down.weight" "tensor list"
expect_contains "$out" "[512, 256]" "tensor shape"
out=$(anvil model info "$WORK/tiny.gguf" --metadata)
expect_contains "$out" "llama.context_length = 2048" "metadata listing"
expect_contains "$out" "{{ m['content'] }}{% endfor %}" "full chat template"

json=$(anvil model info "$WORK/tiny.gguf" --json --tensors)
got=$(printf '%s' "$json" | "$PY" -c '
import json, sys
j = json.load(sys.stdin)
print(j["gguf_version"], j["architecture"], j["parameters"], j["hyperparameters"]["llama.block_count"],
      j["tokenizer"]["vocab_size"], j["tokenizer"]["special_tokens"][1]["text"], len(j["tensors"]),
      j["tensor_types"][0]["type"], j["chat_template"]["length"])')
expect_eq "$got" "3 llama 2377984 4 64 </s> 38 f32 73" "model info --json"

# ---- quantize ----
out=$(anvil quantize "$WORK/tiny.gguf" "$WORK/q8.gguf" --type q8_0 --threads 2 2>"$WORK/q8.err")
expect_contains "$out" "quantized $WORK/tiny.gguf -> $WORK/q8.gguf (q8_0)" "quantize summary"
expect_contains "$out" "29 tensors converted, 9 copied, 0 fallbacks" "quantize counts"
expect_contains "$(cat "$WORK/q8.err")" "[  38/38] blk.3.ffn_down.weight" "progress on stderr"
got=$(anvil model info "$WORK/q8.gguf" --json | "$PY" -c '
import json, sys
j = json.load(sys.stdin)
print(j["file_type"]["name"], {t["type"]: t["tensors"] for t in j["tensor_types"]}, j["tokenizer"]["vocab_size"])')
expect_eq "$got" "MOSTLY_Q8_0 {'f32': 9, 'q8_0': 29} 64" "q8_0 file"

anvil quantize "$WORK/tiny.gguf" "$WORK/q4km.gguf" --type Q4_K_M >/dev/null 2>&1
got=$(anvil model info "$WORK/q4km.gguf" --json --tensors | "$PY" -c '
import json, sys
j = json.load(sys.stdin)
t = {x["name"]: x["type"] for x in j["tensors"]}
print(j["file_type"]["id"], t["token_embd.weight"], t["blk.0.attn_v.weight"], t["blk.1.attn_v.weight"],
      t["blk.2.attn_v.weight"], t["blk.3.ffn_down.weight"], t["blk.2.attn_q.weight"], t["output_norm.weight"])')
# Tied embeddings take the output type (q6_K); use_more_bits(i, 4) holds for layers 2 and 3 only
# (4/8 = 0 layers at the start; i >= 3 at the end; (i - 0) % 3 == 2).
expect_eq "$got" "15 q6_K q4_K q4_K q6_K q6_K q4_K f32" "q4_k_m types"

out=$(anvil quantize "$WORK/tiny.gguf" "$WORK/unused.gguf" --type q4_0 --dry-run)
expect_contains "$out" "token_embd.weight                        f32   -> q6_K   token_embd used as output (tied)" "dry run"
[ ! -e "$WORK/unused.gguf" ] || fail "--dry-run wrote a file"

# ---- errors ----
err=$(expect_failure anvil model info "$WORK/missing.gguf")
expect_eq "$err" "anvil: error: $WORK/missing.gguf: cannot open: No such file or directory" "missing file"
printf 'PK\003\004 not a model' > "$WORK/zip.gguf"
err=$(expect_failure anvil model info "$WORK/zip.gguf")
expect_eq "$err" "anvil: error: $WORK/zip.gguf: bad magic: expected 'GGUF', found 'PK\\x03\\x04'" "bad magic"
head -c 100 "$WORK/tiny.gguf" > "$WORK/cut.gguf"
err=$(expect_failure anvil model info "$WORK/cut.gguf")
expect_contains "$err" "$WORK/cut.gguf: truncated: expected" "truncated file"
err=$(expect_failure anvil quantize "$WORK/tiny.gguf" "$WORK/x.gguf" --type q3_k)
expect_eq "$err" "anvil: error: unknown quantization type 'q3_k': expected q8_0, q4_0 or q4_k_m" "bad type"
err=$(expect_failure anvil quantize "$WORK/q8.gguf" "$WORK/x.gguf" --type q4_0)
expect_contains "$err" "$WORK/q8.gguf: tensor 'token_embd.weight' has type q8_0: only f32, f16 and bf16 models can be quantized" "already quantized"
[ ! -e "$WORK/x.gguf" ] || fail "a failed quantize left a file"

# ---- llama.cpp's vocab-only files ----
# The copies in ../shared passed through a lossy UTF-8 conversion (U+FFFD where bytes did not
# decode); the reader must say so. An intact copy must show its tokenizer.
checked=0
for f in "$SHARED"/data/tokenizer/ggml-vocab-*.gguf; do
  [ -e "$f" ] || continue
  if out=$(anvil model info "$f" 2>&1); then
    expect_contains "$out" "tokenizer:" "vocab file $f"
    expect_contains "$out" "tokens" "vocab size of $f"
  else
    expect_contains "$out" "damaged by a text conversion" "damaged vocab file $f"
  fi
  checked=$((checked + 1))
done
echo "vocab files checked: $checked"

done_testing
