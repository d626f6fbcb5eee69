"""PyTorch reference for Anvil's models: the forward passes of docs/MODELS.md, written plainly (one
readable path, shapes in comments, float64 by default), reading the GGUF with gguf_io.py. It is the
oracle of the C++ parity tests, so it shares no code with the engine.

    /usr/bin/python3 reference.py logits   --model m.gguf --tokens 1,2,3 --out x.f32
    /usr/bin/python3 reference.py generate --model m.gguf --tokens 1,2,3 -n 32 --out x.txt
    /usr/bin/python3 reference.py embed    --model e.gguf --tokens "101,7,102;101,8,9,102" --out x.f32
    /usr/bin/python3 reference.py rerank   --model r.gguf --pairs "7,8|9,10;7|11" --out x.f32
    /usr/bin/python3 reference.py hidden   --model m.gguf --tokens 1,2,3 --layers 1 --out x.f32
    /usr/bin/python3 reference.py tokenize --model x.gguf --texts-file hex.txt --out ids.txt
    /usr/bin/python3 reference.py selftest

Outputs are raw little-endian float32, row-major, no header (layouts in docs/MODELS.md).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch

import gguf_io as g

torch.set_num_threads(1)  # tests run beside other work; the tiny models need no more


# -- model loading ------------------------------------------------------------------------------
@dataclass
class Model:
    arch: str
    hp: dict                       # hyperparameters (names as in docs/MODELS.md)
    w: dict = field(default_factory=dict)   # tensor name -> torch tensor, PyTorch layout
    meta: Optional[g.GGUFReader] = None

    def t(self, name: str) -> torch.Tensor:
        if name not in self.w:
            raise SystemExit(f"{self.arch} model: tensor {name!r} is missing")
        return self.w[name]

    def opt(self, name: str) -> Optional[torch.Tensor]:
        return self.w.get(name)


def load(path: str, dtype: torch.dtype = torch.float64) -> Model:
    r = g.GGUFReader(path)
    arch = r.get("general.architecture")
    if arch not in ("llama", "qwen2", "bert"):
        raise SystemExit(f"{path}: architecture {arch!r} is not one of llama, qwen2, bert")

    def key(k: str, default=None):
        v = r.get(f"{arch}.{k}", default)
        if v is None:
            raise SystemExit(f"{path}: metadata {arch}.{k} is missing")
        return v

    hp = dict(n_ctx=int(key("context_length")), n_embd=int(key("embedding_length")),
              n_layer=int(key("block_count")), n_ff=int(key("feed_forward_length")),
              n_head=int(key("attention.head_count")))
    if arch == "bert":
        hp["eps"] = float(key("attention.layer_norm_epsilon"))
        hp["pooling"] = int(key("pooling_type", 0))
        hp["head_dim"] = hp["n_embd"] // hp["n_head"]
    else:
        hp["n_head_kv"] = int(key("attention.head_count_kv", hp["n_head"]))
        hp["eps"] = float(key("attention.layer_norm_rms_epsilon"))
        hp["head_dim"] = int(key("attention.key_length", hp["n_embd"] // hp["n_head"]))
        hp["n_rot"] = int(key("rope.dimension_count", hp["head_dim"]))
        hp["freq_base"] = float(key("rope.freq_base", 10000.0))
        scaling = key("rope.scaling.type", "none")
        if scaling not in ("none", "linear"):
            raise SystemExit(f"{path}: rope scaling {scaling!r} is not supported (none, linear)")
        hp["rope_factor"] = float(key("rope.scaling.factor", 1.0)) if scaling == "linear" else 1.0
        hp["neox"] = arch == "qwen2"
    m = Model(arch, hp, meta=r)
    for t in r.tensors:
        m.w[t.name] = torch.from_numpy(r.tensor(t.name, np.float64 if dtype == torch.float64
                                                 else np.float32).copy()).to(dtype)
    return m


# -- building blocks ----------------------------------------------------------------------------
def linear(x: torch.Tensor, w: torch.Tensor, b: Optional[torch.Tensor] = None) -> torch.Tensor:
    # x: [n, n_in], w: [n_out, n_in] (ggml ne {n_in, n_out}) -> [n, n_out]
    y = x @ w.T
    return y + b if b is not None else y


def rmsnorm(x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
    # x: [n, d]; v / sqrt(mean(v^2) + eps) * w
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def layernorm(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, eps: float) -> torch.Tensor:
    # x: [n, d]; biased variance
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def gelu_erf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def rope(x: torch.Tensor, pos: torch.Tensor, hp: dict) -> torch.Tensor:
    # x: [n, n_heads, head_dim]; rotates the first n_rot dims of every head by position.
    n_rot = hp["n_rot"]
    half = n_rot // 2
    p = pos.to(x.dtype) / hp["rope_factor"]                                  # [n]
    i = torch.arange(half, dtype=x.dtype)
    theta = p[:, None] * hp["freq_base"] ** (-2.0 * i / n_rot)               # [n, n_rot/2]
    cos, sin = torch.cos(theta)[:, None, :], torch.sin(theta)[:, None, :]    # [n, 1, n_rot/2]
    out = x.clone()
    if hp["neox"]:
        a, b = x[..., :half], x[..., half:n_rot]                            # pairs (i, i + n_rot/2)
        out[..., :half] = a * cos - b * sin
        out[..., half:n_rot] = a * sin + b * cos
    else:
        a, b = x[..., 0:n_rot:2], x[..., 1:n_rot:2]                          # pairs (2i, 2i+1)
        out[..., 0:n_rot:2] = a * cos - b * sin
        out[..., 1:n_rot:2] = a * sin + b * cos
    return out


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    # q: [n, n_head, hd], k/v: [n, n_head_kv, hd] -> [n, n_head*hd]
    n, n_head, hd = q.shape
    group = n_head // k.shape[1]
    k = k.repeat_interleave(group, dim=1)                                  # query head h -> KV head h/group
    v = v.repeat_interleave(group, dim=1)
    s = torch.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd)                 # [n_head, n, n]
    if causal:
        mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)  # key after query
        s = s.masked_fill(mask, float("-inf"))
    p = torch.softmax(s, dim=-1)
    return torch.einsum("hqk,khd->qhd", p, v).reshape(n, n_head * hd)


# -- decoders -----------------------------------------------------------------------------------
def decoder_layer(m: Model, i: int, x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    # x: [n, n_embd] -> [n, n_embd]
    hp, p = m.hp, f"blk.{i}"
    n, hd = x.shape[0], hp["head_dim"]
    h = rmsnorm(x, m.t(f"{p}.attn_norm.weight"), hp["eps"])
    q = linear(h, m.t(f"{p}.attn_q.weight"), m.opt(f"{p}.attn_q.bias")).view(n, hp["n_head"], hd)
    k = linear(h, m.t(f"{p}.attn_k.weight"), m.opt(f"{p}.attn_k.bias")).view(n, hp["n_head_kv"], hd)
    v = linear(h, m.t(f"{p}.attn_v.weight"), m.opt(f"{p}.attn_v.bias")).view(n, hp["n_head_kv"], hd)
    q, k = rope(q, pos, hp), rope(k, pos, hp)
    x = x + linear(attention(q, k, v, causal=True), m.t(f"{p}.attn_output.weight"))
    h = rmsnorm(x, m.t(f"{p}.ffn_norm.weight"), hp["eps"])
    gate = linear(h, m.t(f"{p}.ffn_gate.weight"))                          # [n, n_ff]
    up = linear(h, m.t(f"{p}.ffn_up.weight"))
    return x + linear(torch.nn.functional.silu(gate) * up, m.t(f"{p}.ffn_down.weight"))


def decoder_hidden(m: Model, ids: list, n_layers: Optional[int] = None) -> torch.Tensor:
    """The residual stream after `n_layers` layers (all by default): [n, n_embd]."""
    _check_ids(m, ids)
    if len(ids) > m.hp["n_ctx"]:
        raise SystemExit(f"{len(ids)} tokens exceed the context length {m.hp['n_ctx']}")
    x = m.t("token_embd.weight")[torch.tensor(ids)]                          # [n, n_embd]
    pos = torch.arange(len(ids))
    for i in range(m.hp["n_layer"] if n_layers is None else n_layers):
        x = decoder_layer(m, i, x, pos)
    return x


def decoder_logits(m: Model, ids: list) -> torch.Tensor:
    x = decoder_hidden(m, ids)
    h = rmsnorm(x, m.t("output_norm.weight"), m.hp["eps"])
    w_out = m.opt("output.weight")
    return linear(h, w_out if w_out is not None else m.t("token_embd.weight"))   # [n, n_vocab]


def greedy(m: Model, ids: list, n: int) -> list:
    """n greedy steps, recomputing the whole sequence each time: [(id, top1 - top2 logit)]."""
    ids, out = list(ids), []
    for _ in range(n):
        last = decoder_logits(m, ids)[-1]
        top = torch.topk(last, 2)
        best = int(torch.argmax(last))                   # lowest id among exact ties
        out.append((best, float(top.values[0] - top.values[1])))
        ids.append(best)
    return out


# -- encoders -----------------------------------------------------------------------------------
def bert_hidden(m: Model, ids: list, segments: list, n_layers: Optional[int] = None) -> torch.Tensor:
    """Token states of one sequence after `n_layers` layers (all by default): [n, n_embd]."""
    _check_ids(m, ids)
    hp, n = m.hp, len(ids)
    if n > hp["n_ctx"]:
        raise SystemExit(f"{n} tokens exceed the context length {hp['n_ctx']}")
    types = m.t("token_types.weight")
    if max(segments, default=0) >= types.shape[0]:
        raise SystemExit(f"segment id {max(segments)} but token_types has {types.shape[0]} rows")
    x = (m.t("token_embd.weight")[torch.tensor(ids)] + types[torch.tensor(segments)]
         + m.t("position_embd.weight")[:n])                                  # [n, n_embd]
    x = layernorm(x, m.t("token_embd_norm.weight"), m.t("token_embd_norm.bias"), hp["eps"])
    nh, hd = hp["n_head"], hp["head_dim"]
    for i in range(hp["n_layer"] if n_layers is None else n_layers):
        p = f"blk.{i}"
        q = linear(x, m.t(f"{p}.attn_q.weight"), m.t(f"{p}.attn_q.bias")).view(n, nh, hd)
        k = linear(x, m.t(f"{p}.attn_k.weight"), m.t(f"{p}.attn_k.bias")).view(n, nh, hd)
        v = linear(x, m.t(f"{p}.attn_v.weight"), m.t(f"{p}.attn_v.bias")).view(n, nh, hd)
        a = linear(attention(q, k, v, causal=False), m.t(f"{p}.attn_output.weight"),
                   m.t(f"{p}.attn_output.bias"))
        x = layernorm(x + a, m.t(f"{p}.attn_output_norm.weight"), m.t(f"{p}.attn_output_norm.bias"),
                      hp["eps"])
        f = linear(gelu_erf(linear(x, m.t(f"{p}.ffn_up.weight"), m.t(f"{p}.ffn_up.bias"))),
                   m.t(f"{p}.ffn_down.weight"), m.t(f"{p}.ffn_down.bias"))  # [n, n_ff] -> [n, n_embd]
        x = layernorm(x + f, m.t(f"{p}.layer_output_norm.weight"),
                      m.t(f"{p}.layer_output_norm.bias"), hp["eps"])
    return x


def l2_normalize(e: torch.Tensor) -> torch.Tensor:
    return e / torch.clamp(torch.linalg.vector_norm(e, dim=-1, keepdim=True), min=1e-12)


def embed(m: Model, ids: list, pooling: Optional[int] = None) -> torch.Tensor:
    """Pooled, L2-normalized embedding [n_embd]; pooling 0 (none): the token states [n, n_embd]."""
    pooling = m.hp["pooling"] if pooling is None else pooling
    x = bert_hidden(m, ids, [0] * len(ids))
    if pooling == 0:
        return x
    if pooling == 1:
        return l2_normalize(x.mean(0))
    if pooling == 2:
        return l2_normalize(x[0])
    if pooling == 3:
        return l2_normalize(x[-1])
    raise SystemExit(f"pooling type {pooling} gives no embedding (4 = rank: use `rerank`)")


def special_id(m: Model, role: str, fallback: str) -> int:
    v = m.meta.get(f"tokenizer.ggml.{role}_token_id")
    if v is None:
        v = m.meta.get(f"tokenizer.ggml.{fallback}_token_id")
    if v is None:
        raise SystemExit(f"the vocabulary has neither {role}_token_id nor {fallback}_token_id")
    return int(v)


def pair_sequence(m: Model, query: list, doc: list) -> list:
    if m.meta.get("tokenizer.ggml.model") == "t5":
        # llama.cpp's rerank framing, BOS q EOS SEP d EOS: for XLM-R <s> q </s></s> d </s>.
        bos, eos = special_id(m, "bos", "cls"), special_id(m, "eos", "seperator")
        sep = special_id(m, "seperator", "eos")
        return [bos] + list(query) + [eos, sep] + list(doc) + [eos]
    cls, sep = special_id(m, "cls", "bos"), special_id(m, "seperator", "eos")
    return [cls] + list(query) + [sep] + list(doc) + [sep]


def segments_for(m: Model, ids: list) -> list:
    """0 up to and including the first [SEP], 1 after it (0 everywhere with one token type)."""
    if m.t("token_types.weight").shape[0] < 2:
        return [0] * len(ids)
    sep = special_id(m, "seperator", "eos")
    first = ids.index(sep) if sep in ids else len(ids)
    return [0 if j <= first else 1 for j in range(len(ids))]


def rank_score(m: Model, ids: list) -> float:
    x = bert_hidden(m, ids, segments_for(m, ids))
    c = torch.tanh(linear(x[0:1], m.t("cls.weight"), m.t("cls.bias")))       # [1, n_embd]
    return float(linear(c, m.t("cls.output.weight"), m.t("cls.output.bias"))[0, 0])


def _check_ids(m: Model, ids: list) -> None:
    n_vocab = m.t("token_embd.weight").shape[0]
    bad = [t for t in ids if not 0 <= t < n_vocab]
    if not ids or bad:
        raise SystemExit(f"token ids must be in [0, {n_vocab}): got {bad or 'no tokens'}")


# -- command line -------------------------------------------------------------------------------
def parse_ids(s: str) -> list:
    return [int(t) for t in s.split(",") if t.strip() != ""]


def write_f32(path: str, x) -> None:
    np.asarray(x, dtype="<f4").tofile(path)


def cmd_logits(m: Model, a) -> None:
    write_f32(a.out, decoder_logits(m, parse_ids(a.tokens)).numpy())


def cmd_generate(m: Model, a) -> None:
    steps = greedy(m, parse_ids(a.tokens), a.n)
    with open(a.out, "w") as f:
        for tok, margin in steps:
            f.write(f"{tok} {margin:.9g}\n")


def cmd_hidden(m: Model, a) -> None:
    ids = parse_ids(a.tokens)
    if m.arch == "bert":
        x = bert_hidden(m, ids, segments_for(m, ids) if a.pair_segments else [0] * len(ids), a.layers)
    else:
        x = decoder_hidden(m, ids, a.layers)
    write_f32(a.out, x.numpy())


def cmd_embed(m: Model, a) -> None:
    rows = [embed(m, parse_ids(s), a.pooling).numpy() for s in a.tokens.split(";")]
    write_f32(a.out, np.concatenate([r.reshape(-1, m.hp["n_embd"]) for r in rows]))


def cmd_rerank(m: Model, a) -> None:
    if (a.pairs is None) == (a.tokens is None):
        raise SystemExit("rerank: give exactly one of --pairs and --tokens")
    if a.pairs is not None:
        seqs = []
        for pair in a.pairs.split(";"):
            if pair.count("|") != 1:
                raise SystemExit(f"rerank: pair {pair!r} is not QUERY_IDS|DOC_IDS")
            q, d = pair.split("|")
            seqs.append(pair_sequence(m, parse_ids(q), parse_ids(d)))
    else:
        seqs = [parse_ids(s) for s in a.tokens.split(";")]
    write_f32(a.out, [rank_score(m, s) for s in seqs])


def cmd_tokenize(path: str, a) -> None:
    """One line of comma-separated ids (no special tokens) per line of the texts file, whose lines
    are the texts' UTF-8 bytes in hex (so any byte, newlines and invalid UTF-8 included, passes)."""
    import ugm  # noqa: PLC0415

    tok = ugm.Unigram.from_gguf(g.GGUFReader(path))
    with open(a.texts_file) as f, open(a.out, "w") as out:
        for line in f.read().splitlines():
            text = bytes.fromhex(line).decode("utf-8", "surrogateescape")
            out.write(",".join(str(t) for t in tok.encode(text)) + "\n")


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", required=True)
    common.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    common.add_argument("--out", required=True)
    p = sub.add_parser("logits", parents=[common])
    p.add_argument("--tokens", required=True)
    p = sub.add_parser("generate", parents=[common])
    p.add_argument("--tokens", required=True)
    p.add_argument("-n", type=int, default=32)
    p = sub.add_parser("embed", parents=[common])
    p.add_argument("--tokens", required=True, help="sequences separated by ';', ids by ','")
    p.add_argument("--pooling", type=int, choices=[0, 1, 2, 3])
    p = sub.add_parser("rerank", parents=[common])
    p.add_argument("--pairs", help="QUERY_IDS|DOC_IDS;... without special tokens")
    p.add_argument("--tokens", help="full sequences [CLS] q [SEP] d [SEP];...")
    p = sub.add_parser("hidden", parents=[common],
                       help="the residual stream after --layers layers (0: the embeddings)")
    p.add_argument("--tokens", required=True)
    p.add_argument("--layers", type=int, help="default: all")
    p.add_argument("--pair-segments", action="store_true", help="bert: segment ids of a pair")
    p = sub.add_parser("tokenize", help="t5 (unigram) vocabularies: text -> ids (ugm.py)")
    p.add_argument("--model", required=True)
    p.add_argument("--texts-file", required=True)
    p.add_argument("--out", required=True)
    sub.add_parser("selftest")
    a = ap.parse_args(argv)
    if a.cmd == "selftest":
        import reference_selftest  # noqa: PLC0415
        return reference_selftest.run()
    if a.cmd == "tokenize":
        cmd_tokenize(a.model, a)
        return 0
    m = load(a.model, torch.float64 if a.dtype == "float64" else torch.float32)
    want = {"logits": ("llama", "qwen2"), "generate": ("llama", "qwen2"), "embed": ("bert",),
            "rerank": ("bert",), "hidden": ("llama", "qwen2", "bert")}[a.cmd]
    if m.arch not in want:
        raise SystemExit(f"{a.cmd}: needs a {' or '.join(want)} model, {a.model} is {m.arch}")
    with torch.no_grad():
        {"logits": cmd_logits, "generate": cmd_generate, "embed": cmd_embed,
         "rerank": cmd_rerank, "hidden": cmd_hidden}[a.cmd](m, a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
