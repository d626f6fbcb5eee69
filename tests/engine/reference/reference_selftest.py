"""Checks that the reference itself is sane, on tiny models with a small made-up vocabulary (no
shared data needed): the GGUF round trip of gguf_io.py, one decoder and one encoder layer against an
independent NumPy computation (explicit loops over heads, RoPE as a complex rotation), causality,
grouped-query head mapping, pooling and the rank head. Run: /usr/bin/python3 reference.py selftest
"""

from __future__ import annotations

import dataclasses
import math
import os
import struct
import tempfile

import numpy as np
import torch

import gguf_io as g
import make_test_model as mt
import reference as ref

_failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        _failures.append(what)


def close(a, b, tol: float) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and float(np.max(np.abs(a - b), initial=0.0)) <= tol


# -- a small vocabulary file ----------------------------------------------------------------------
def write_vocab(path: str, kind: str) -> None:
    w = g.GGUFWriter()
    if kind == "bert":
        toks = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        toks += [f"w{i}" for i in range(300 - len(toks))]
        w.add("tokenizer.ggml.model", g.string("bert"))
        w.add("tokenizer.ggml.tokens", g.array(g.STRING, toks))
        w.add("tokenizer.ggml.token_type", g.array(g.INT32, [3 if t.startswith("[") else 1 for t in toks]))
        for role, i in (("unknown", 100), ("cls", 101), ("seperator", 102), ("padding", 0), ("mask", 103)):
            w.add(f"tokenizer.ggml.{role}_token_id", g.u32(i))
    else:
        toks = ["<unk>", "<s>", "</s>"] + [f"t{i}" for i in range(297)]
        w.add("tokenizer.ggml.model", g.string("llama"))
        w.add("tokenizer.ggml.tokens", g.array(g.STRING, toks))
        w.add("tokenizer.ggml.scores", g.array(g.FLOAT32, -np.arange(len(toks), dtype=np.float32)))
        w.add("tokenizer.ggml.token_type", g.array(g.INT32, [2, 3, 3] + [1] * (len(toks) - 3)))
        w.add("tokenizer.ggml.bos_token_id", g.u32(1))
        w.add("tokenizer.ggml.eos_token_id", g.u32(2))
    w.write(path)


def make_model(d: str, preset: str, wtype: int = g.F32, **over) -> str:
    spec = dataclasses.replace(mt.PRESETS[preset], **over)
    vocab = os.path.join(d, f"vocab-{spec.arch == 'bert'}.gguf")
    if not os.path.exists(vocab):
        write_vocab(vocab, "bert" if spec.arch == "bert" else "llama")
    spec.vocab_file = vocab
    spec.chatml = False
    spec.vocab_size = None
    path = os.path.join(d, f"{preset}-{g.ggml_type_name(wtype)}-{len(over)}.gguf")
    mt.build(spec, wtype, 5, preset).write(path)
    return path


# -- GGUF round trip ------------------------------------------------------------------------------
def test_gguf_roundtrip(d: str) -> None:
    w = g.GGUFWriter(alignment=64)
    vals = {
        "u8": g.Value(g.UINT8, 200), "i8": g.Value(g.INT8, -100), "u16": g.Value(g.UINT16, 60000),
        "i16": g.Value(g.INT16, -30000), "u32": g.u32(4_000_000_000), "i32": g.i32(-2_000_000_000),
        "f32": g.f32(0.25), "bool": g.boolean(True), "str": g.string("héllo\n"),
        "u64": g.u64(2**63 + 5), "i64": g.Value(g.INT64, -(2**62)), "f64": g.Value(g.FLOAT64, 1e-300),
        "arr.f32": g.array(g.FLOAT32, [1.5, -2.0]), "arr.str": g.array(g.STRING, ["a", "", "ü"]),
        "arr.nested": g.array(g.ARRAY, [g.array(g.INT32, [1, 2]), g.array(g.STRING, ["x"])]),
        "bad.utf8": g.string(b"\xff\xfeok".decode("utf-8", "surrogateescape")),
    }
    for k, v in vals.items():
        w.add(k, v)
    x = np.linspace(-3, 3, 96, dtype=np.float32).reshape(3, 32)
    w.add_array("t.f32", x, g.F32)
    w.add_array("t.f16", x, g.F16)
    w.add_array("t.bf16", x, g.BF16)
    raw = bytes(range(34)) * 2                         # two q8_0 blocks: 64 elements
    w.add_tensor("t.q8_0", (64,), 8, raw)
    path = os.path.join(d, "rt.gguf")
    w.write(path)
    r = g.GGUFReader(path)
    def same(a: g.Value, b: g.Value) -> bool:
        if (a.type, a.elem_type) != (b.type, b.elem_type):
            return False
        if a.type != g.ARRAY or a.elem_type == g.STRING:
            return a.value == b.value
        if a.elem_type == g.ARRAY:
            return len(a.value) == len(b.value) and all(same(x, y) for x, y in zip(a.value, b.value))
        return a.value.dtype == b.value.dtype and np.array_equal(a.value, b.value)

    same = all(same(r.kv[k], v) for k, v in vals.items())
    check(same, "gguf_io: every metadata type reads back as written")
    check(r.alignment == 64 and all(t.offset % 64 == 0 for t in r.tensors), "gguf_io: alignment 64")
    check(np.array_equal(r.tensor("t.f32"), x), "gguf_io: f32 tensor exact")
    check(np.array_equal(r.tensor("t.f16"), x.astype(np.float16).astype(np.float32)), "gguf_io: f16")
    bf = g.bf16_to_f32(g.f32_to_bf16(x))
    check(np.array_equal(r.tensor("t.bf16"), bf) and float(np.max(np.abs(bf - x))) < 0.02,
          "gguf_io: bf16 (round to nearest even)")
    check(bytes(r.tensor_bytes("t.q8_0")) == raw and r.tensor_info("t.q8_0").ne == (64,),
          "gguf_io: raw quantized bytes")
    check(os.path.getsize(path) % 64 == 0, "gguf_io: file padded to the alignment")

    data = open(path, "rb").read()
    for name, bad, want in (
        ("magic", b"GGUX" + data[4:], "bad magic: expected 'GGUF', found b'GGUX'"),
        ("version", data[:4] + struct.pack("<I", 4) + data[8:], "unsupported GGUF version 4 (expected 2 or 3)"),
        ("truncated", data[:100], "truncated file"),
        ("tensor past end", data[:-64], "is past the end of the file"),
    ):
        p = os.path.join(d, f"bad-{name.replace(' ', '_')}.gguf")
        open(p, "wb").write(bad)
        try:
            g.GGUFReader(p)
            check(False, f"gguf_io: rejects {name}")
        except g.GGUFError as e:
            check(want in str(e), f"gguf_io: rejects {name} ({e})")


# -- independent NumPy decoder layer ------------------------------------------------------------
def numpy_decoder_layer(m: ref.Model, x: np.ndarray) -> np.ndarray:
    hp = m.hp
    W = {k: v.numpy() for k, v in m.w.items()}
    n, hd, nh, nkv = x.shape[0], hp["head_dim"], hp["n_head"], hp["n_head_kv"]

    def rms(v, w):
        out = np.empty_like(v)
        for t in range(v.shape[0]):
            out[t] = v[t] / math.sqrt(sum(float(a) * float(a) for a in v[t]) / v.shape[1] + hp["eps"]) * w
        return out

    def lin(v, name):
        y = np.einsum("oi,ti->to", W[f"{name}.weight"], v)
        return y + W[f"{name}.bias"] if f"{name}.bias" in W else y

    def rot(vec, p):  # one head's vector at position p, RoPE as complex multiplication
        vec = vec.copy()
        r, half = hp["n_rot"], hp["n_rot"] // 2
        for i in range(half):
            theta = (p / hp["rope_factor"]) / hp["freq_base"] ** (2 * i / r)
            a, b = (i, i + half) if hp["neox"] else (2 * i, 2 * i + 1)
            z = complex(vec[a], vec[b]) * complex(math.cos(theta), math.sin(theta))
            vec[a], vec[b] = z.real, z.imag
        return vec

    h = rms(x, W["blk.0.attn_norm.weight"])
    q, k, v = lin(h, "blk.0.attn_q"), lin(h, "blk.0.attn_k"), lin(h, "blk.0.attn_v")
    o = np.zeros((n, nh * hd))
    for head in range(nh):
        g_ = head * nkv // nh                     # the KV head this query head reads
        for t in range(n):
            qt = rot(q[t, head * hd:(head + 1) * hd], t)
            scores = [float(qt @ rot(k[s, g_ * hd:(g_ + 1) * hd], s)) / math.sqrt(hd) for s in range(t + 1)]
            mx = max(scores)
            e = [math.exp(s - mx) for s in scores]
            for s in range(t + 1):
                o[t, head * hd:(head + 1) * hd] += e[s] / sum(e) * v[s, g_ * hd:(g_ + 1) * hd]
    x = x + lin(o, "blk.0.attn_output")
    h = rms(x, W["blk.0.ffn_norm.weight"])
    gt = lin(h, "blk.0.ffn_gate")
    return x + lin(gt / (1 + np.exp(-gt)) * lin(h, "blk.0.ffn_up"), "blk.0.ffn_down")


def test_decoders(d: str) -> None:
    ids = [5, 17, 250, 3, 99, 42, 7]
    for preset, over in (("tiny-llama", {}), ("tiny-qwen2", {}), ("tiny-mistral", {"embd": 64}),
                         ("tiny-llama", {"rope_scaling": "linear", "rope_factor": 4.0})):
        label = f"{preset}{'' if not over else ' ' + str(over)}"
        m = ref.load(make_model(d, preset, **over))
        with torch.no_grad():
            x0 = ref.decoder_hidden(m, ids, n_layers=0).numpy()
            x1 = ref.decoder_hidden(m, ids, n_layers=1).numpy()
            check(close(x1, numpy_decoder_layer(m, x0), 1e-9),
                  f"{label}: layer 0 equals the NumPy loops (RoPE {'neox' if m.hp['neox'] else 'normal'}, "
                  f"{m.hp['n_head']}/{m.hp['n_head_kv']} heads)")
            full = ref.decoder_logits(m, ids)
            check(close(ref.decoder_logits(m, ids[:3]), full[:3], 1e-9), f"{label}: causal (prefix logits unchanged)")
            shuffled = ref.decoder_logits(m, [ids[1], ids[0]] + ids[2:])
            check(not close(shuffled[-1], full[-1], 1e-3), f"{label}: order matters (RoPE and mask are live)")
            check(float(full.std()) > 1.0, f"{label}: logits spread (std {float(full.std()):.2f})")
    # f16 files: the reference reads exactly the rounded weights.
    m32, m16 = ref.load(make_model(d, "tiny-llama")), ref.load(make_model(d, "tiny-llama", g.F16))
    w32, w16 = m32.w["blk.0.attn_q.weight"].numpy(), m16.w["blk.0.attn_q.weight"].numpy()
    check(np.array_equal(w16, w32.astype(np.float16).astype(np.float64)), "f16 file: weights are the f32 ones rounded")
    import quants  # noqa: PLC0415
    for tname, tid in (("q8_0", 8), ("q4_0", 2)):
        mq = ref.load(make_model(d, "tiny-llama", tid))
        wq = mq.w["blk.0.ffn_down.weight"].numpy()
        w32d = m32.w["blk.0.ffn_down.weight"].numpy().astype(np.float32)
        want = quants.dequantize(quants.quantize(w32d, tid), tid, w32d.size).reshape(w32d.shape)
        check(np.array_equal(wq, want.astype(np.float64)) and not np.array_equal(wq, w32d),
              f"{tname} file: weights are quants.py's encoding of the f32 ones, dequantized")
    m32f = ref.load(make_model(d, "tiny-llama"), torch.float32)
    with torch.no_grad():
        diff = float((ref.decoder_logits(m32f, ids).double() - ref.decoder_logits(m32, ids)).abs().max())
    check(diff < 1e-3, f"--dtype float32 agrees with float64 (max diff {diff:.2e})")


# -- independent NumPy encoder ------------------------------------------------------------------
def numpy_bert(m: ref.Model, ids: list, seg: list) -> np.ndarray:
    W = {k: v.numpy() for k, v in m.w.items()}
    hp, n = m.hp, len(ids)
    nh, hd = hp["n_head"], hp["head_dim"]

    def ln(v, name):
        out = np.empty_like(v)
        for t in range(v.shape[0]):
            mu = sum(v[t]) / len(v[t])
            var = sum((a - mu) ** 2 for a in v[t]) / len(v[t])
            out[t] = (v[t] - mu) / math.sqrt(var + hp["eps"]) * W[f"{name}.weight"] + W[f"{name}.bias"]
        return out

    def lin(v, name):
        return v @ W[f"{name}.weight"].T + W[f"{name}.bias"]

    x = np.stack([W["token_embd.weight"][t] + W["token_types.weight"][s] + W["position_embd.weight"][p]
                  for p, (t, s) in enumerate(zip(ids, seg))])
    x = ln(x, "token_embd_norm")
    for i in range(hp["n_layer"]):
        p = f"blk.{i}"
        q, k, v = lin(x, f"{p}.attn_q"), lin(x, f"{p}.attn_k"), lin(x, f"{p}.attn_v")
        o = np.zeros_like(x)
        for h in range(nh):
            sl = slice(h * hd, (h + 1) * hd)
            for t in range(n):
                s = np.array([q[t, sl] @ k[u, sl] for u in range(n)]) / math.sqrt(hd)
                e = np.exp(s - s.max())
                o[t, sl] = (e / e.sum()) @ v[:, sl]
        x = ln(x + lin(o, f"{p}.attn_output"), f"{p}.attn_output_norm")
        u = lin(x, f"{p}.ffn_up")
        f = lin(np.array([[0.5 * a * (1 + math.erf(a / math.sqrt(2))) for a in row] for row in u]), f"{p}.ffn_down")
        x = ln(x + f, f"{p}.layer_output_norm")
    return x


def test_encoders(d: str) -> None:
    m = ref.load(make_model(d, "tiny-bert"))
    ids = [101, 150, 151, 152, 102]
    with torch.no_grad():
        check(close(ref.bert_hidden(m, ids, [0] * 5), numpy_bert(m, ids, [0] * 5), 1e-9),
              "tiny-bert: encoder equals the NumPy loops")
        e = ref.embed(m, ids)
        x = ref.bert_hidden(m, ids, [0] * 5)
        check(close(e, x.mean(0) / x.mean(0).norm(), 1e-12) and abs(float(e.norm()) - 1) < 1e-12,
              "tiny-bert: mean pooling, L2-normalized")
        check(close(ref.embed(m, ids, 2), x[0] / x[0].norm(), 1e-12), "tiny-bert: cls pooling")
        rev = ref.bert_hidden(m, list(reversed(ids)), [0] * 5)
        check(not close(rev[0], x[-1], 1e-3), "tiny-bert: positions are live")

    r = ref.load(make_model(d, "tiny-reranker"))
    seq = ref.pair_sequence(r, [150, 151], [160, 161, 162])
    seg = ref.segments_for(r, seq)
    check(seq == [101, 150, 151, 102, 160, 161, 162, 102] and seg == [0, 0, 0, 0, 1, 1, 1, 1],
          "tiny-reranker: [CLS] q [SEP] d [SEP] with segments 0 through the first [SEP]")
    W = {k: v.numpy() for k, v in r.w.items()}
    with torch.no_grad():
        c = np.tanh(W["cls.weight"] @ numpy_bert(r, seq, seg)[0] + W["cls.bias"])
        want = float(W["cls.output.weight"] @ c + W["cls.output.bias"])
        got = ref.rank_score(r, seq)
        check(abs(got - want) < 1e-9, f"tiny-reranker: rank head equals NumPy ({got:.6f})")
        swapped = ref.rank_score(r, ref.pair_sequence(r, [160, 161, 162], [150, 151]))
        check(abs(swapped - got) > 1e-6, "tiny-reranker: segment ids and order matter")


def test_unigram(d: str) -> None:
    """XLM-R's unigram vocabulary through the GGUF writer and reader: the charsmap rules apply and
    the segmentations are the ones worked out by hand; pairs are framed <s> q </s></s> d </s>."""
    import ugm  # noqa: PLC0415

    check(ugm.selftest() == 0, "ugm.py: its own hand-made cases")
    path = make_model(d, "tiny-xlmr-reranker")
    r = ref.load(path)
    tok = ugm.Unigram.from_gguf(g.GGUFReader(path))
    ids = {t.decode(): i for i, t in enumerate(tok.tokens)}
    sp = "\u2581"
    check(tok.encode("pump seal") == [ids[sp + "pump"], ids[sp + "seal"]], "xlmr: whole words win")
    check(tok.encode("\uff50\uff55\uff4d\uff50\u3000\u3000seal\n") == tok.encode("pump seal"),
          "xlmr: fullwidth letters, U+3000 and a newline are normalized, spaces merged")
    check(tok.encode("\u6cf5\u7684\u5bc6\u5c01") == [ids[sp], ids["泵"], ids["的"], ids["密封"]],
          "xlmr: CJK words from the vocabulary")
    check(tok.encode("\u0416\u0416 a") == [ids[sp], 3, ids[sp + "a"]], "xlmr: an unknown run is one <unk>")
    check(ref.pair_sequence(r, [10, 11], [12]) == [0, 10, 11, 2, 2, 12, 2] and
          ref.segments_for(r, [0, 10, 2, 2, 12, 2]) == [0] * 6,
          "xlmr: <s> q </s></s> d </s>, one segment")


def run() -> int:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="anvil-ref-selftest-") as d:
        test_gguf_roundtrip(d)
        test_decoders(d)
        test_encoders(d)
        test_unigram(d)
    print(f"{len(_failures)} failure(s)" if _failures else "all reference self-checks passed")
    return 1 if _failures else 0
