"""Writes synthetic GGUF models: random (seeded) weights of real architectures' shapes, with the real
vocabularies of ../shared/data/tokenizer/ (or, for XLM-RoBERTa, a small SentencePiece unigram
vocabulary built here), so that Anvil's engine and the PyTorch reference can be compared on files
laid out exactly as llama.cpp's converter lays them out. Contract: docs/MODELS.md.

    /usr/bin/python3 make_test_model.py --preset tiny-llama --out m.gguf [--type f16] [--seed 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import zlib
from typing import Iterator, Optional

import numpy as np

import gguf_io as g

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))

# llama.cpp's LLAMA_FTYPE for general.file_type.
_FILE_TYPE = {g.F32: 0, g.F16: 1, g.BF16: 32, 8: 7, 2: 2, 12: 14, 14: 18}  # llama_ftype
# Quantized types are encoded by quants.py (ggml's reference quantizers, byte for byte).
_TYPE_BY_NAME = {"f32": g.F32, "f16": g.F16, "bf16": g.BF16, "q8_0": 8, "q4_0": 2, "q4_k": 12,
                 "q6_k": 14}
_POOLING = {"none": 0, "mean": 1, "cls": 2, "last": 3, "rank": 4}
# Token types (llama.cpp's llama_token_type).
_CONTROL, _UNUSED = 3, 5

# Qwen 2.5's ChatML template, without the tool-calling branches.
CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if loop.first and messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
    "<|im_end|>\\n' }}"
    "{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


@dataclasses.dataclass
class Spec:
    arch: str                      # llama | qwen2 | bert
    layers: int
    embd: int
    heads: int
    ffn: int
    ctx: int
    vocab_file: str                # file name in the shared tokenizer folder, or a path
    kv_heads: Optional[int] = None
    tied: bool = False
    rope_base: float = 10000.0
    rope_scaling: Optional[str] = None   # None (key absent) | "none" | "linear"
    rope_factor: float = 1.0
    eps: Optional[float] = None
    pooling: str = "mean"          # bert only
    chatml: bool = False           # add <|im_start|>/<|im_end|> and Qwen's template
    vocab_size: Optional[int] = None  # pad the token list to this many entries
    out_scale: float = 3.0         # untied output projection: std = out_scale / sqrt(n_embd)
    xlmr: bool = False             # bert with XLM-R's unigram ("t5") vocabulary and one token type


PRESETS = {
    "tiny-llama": Spec("llama", 2, 64, 4, 192, 256, "ggml-vocab-llama-spm.gguf", kv_heads=4),
    "tiny-mistral": Spec("llama", 2, 128, 8, 256, 256, "ggml-vocab-llama-spm.gguf", kv_heads=2,
                         rope_base=1e6),
    "tiny-qwen2": Spec("qwen2", 2, 64, 4, 160, 256, "ggml-vocab-gpt-2.gguf", kv_heads=2, tied=True,
                       rope_base=1e6, eps=1e-6, chatml=True),
    "tiny-bert": Spec("bert", 2, 64, 4, 128, 128, "ggml-vocab-bert-bge.gguf", pooling="mean"),
    "tiny-reranker": Spec("bert", 2, 64, 4, 128, 128, "ggml-vocab-bert-bge.gguf", pooling="rank"),
    "qwen2.5-0.5b": Spec("qwen2", 24, 896, 14, 4864, 32768, "ggml-vocab-gpt-2.gguf", kv_heads=2,
                         tied=True, rope_base=1e6, eps=1e-6, chatml=True, vocab_size=151936),
    "bge-small": Spec("bert", 12, 384, 12, 1536, 512, "ggml-vocab-bert-bge.gguf", pooling="mean"),
    # bge-m3 (CLS pooling) and bge-reranker-v2-m3 shapes in small: XLM-RoBERTa as llama.cpp's
    # converter writes it (arch bert, tokenizer t5, position rows already past padding_idx + 1).
    "tiny-xlmr": Spec("bert", 2, 64, 4, 128, 128, "", pooling="cls", eps=1e-5, xlmr=True),
    "tiny-xlmr-reranker": Spec("bert", 2, 64, 4, 128, 128, "", pooling="rank", eps=1e-5, xlmr=True),
}


def shared_tokenizer_dir() -> str:
    shared = os.environ.get("ANVIL_SHARED_DIR") or os.path.join(REPO, "..", "shared")
    return os.path.join(shared, "data", "tokenizer")


def _resolve_vocab(name: str) -> str:
    if os.path.sep in name or os.path.exists(name):
        return name
    return os.path.join(shared_tokenizer_dir(), name)


# -- vocabulary ---------------------------------------------------------------------------------
# XLM-R's four special tokens lead, as the converter realigns them; then the pieces. Words carry
# the "▁" of a preceding space; scores are seeded log probabilities (continuous, so no two
# segmentations tie).
_XLMR_WORDS = ("the of and to in is for a how do I what replace mechanical seal seals centrifugal "
               "pump pumps bearing bearings noise increased after operating hours hello world "
               "cat sat on mat leak leaks motor shaft oil water pressure high low check".split())
_XLMR_SUFFIXES = ["s", "ing", "ed", "er", "al", "ly", "tion"]
_XLMR_CJK = ["中", "文", "中文", "你", "好", "你好", "泵", "密", "封", "密封", "轴", "承", "轴承", "的"]
_XLMR_EMOJI = ["😀", "👍", "🔧"]
# Normalization rules (a few of nmt_nfkc's kinds): control whitespace and U+3000 to a space,
# fullwidth ASCII to ASCII, ligatures and the ellipsis spelled out, a decomposed é composed, the
# zero-width space deleted.
_XLMR_RULES = {
    **{c.encode(): b" " for c in "\t\n\r\u3000\u00a0"},
    **{chr(0xFF01 + i).encode(): chr(0x21 + i).encode() for i in range(0x5E)},
    "\ufb01".encode(): b"fi", "\ufb02".encode(): b"fl", "\u2026".encode(): b"...",
    "e\u0301".encode(): "\u00e9".encode(), "\u200b".encode(): b"",
}


def xlmr_vocab_kv(seed: int = 7) -> dict:
    import ugm  # noqa: PLC0415

    sp = "\u2581"
    pieces = [sp]
    pieces += [chr(c) for c in range(0x21, 0x7F)]                       # every printable ASCII
    pieces += [sp + chr(c) for c in range(ord("a"), ord("z") + 1)]
    pieces += ["é", sp + "é"]
    pieces += [sp + w for w in _XLMR_WORDS] + [w for w in _XLMR_WORDS if len(w) > 2]
    pieces += _XLMR_SUFFIXES + _XLMR_CJK + [sp + "中", sp + "你"] + _XLMR_EMOJI
    seen, unique = set(), []
    for p in pieces:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    rng = np.random.default_rng(seed)
    # Longer pieces are likelier (a word beats its letters); the jitter keeps every score distinct.
    scores = [float(np.float32(-2.0 - 6.0 / len(p) - rng.random())) for p in unique]
    tokens = ["<s>", "<pad>", "</s>", "<unk>"] + unique
    scores = [0.0, 0.0, 0.0, 0.0] + scores
    types = [_CONTROL, _CONTROL, _CONTROL, 2] + [1] * len(unique)
    # The converter pads to the model's vocab_size with "[PAD<id>]" UNUSED tokens of score -10000.
    tokens.append(f"[PAD{len(tokens)}]")
    scores.append(-10000.0)
    types.append(_UNUSED)
    return {
        "tokenizer.ggml.model": g.string("t5"),
        "tokenizer.ggml.pre": g.string("default"),
        "tokenizer.ggml.tokens": g.array(g.STRING, tokens),
        "tokenizer.ggml.scores": g.array(g.FLOAT32, scores),
        "tokenizer.ggml.token_type": g.array(g.INT32, types),
        "tokenizer.ggml.add_space_prefix": g.boolean(True),
        "tokenizer.ggml.token_type_count": g.u32(1),
        "tokenizer.ggml.remove_extra_whitespaces": g.boolean(True),
        "tokenizer.ggml.precompiled_charsmap": g.array(g.UINT8, np.frombuffer(
            ugm.build_charsmap(_XLMR_RULES), dtype=np.uint8)),
        "tokenizer.ggml.bos_token_id": g.u32(0),
        "tokenizer.ggml.eos_token_id": g.u32(2),
        "tokenizer.ggml.unknown_token_id": g.u32(3),
        "tokenizer.ggml.seperator_token_id": g.u32(2),
        "tokenizer.ggml.padding_token_id": g.u32(1),
        "tokenizer.ggml.cls_token_id": g.u32(0),
        "tokenizer.ggml.add_bos_token": g.boolean(True),
        "tokenizer.ggml.add_eos_token": g.boolean(True),
    }


def load_vocab_kv(spec: Spec) -> dict:
    """The tokenizer.* metadata for the model: copied from the vocab file (repaired first when the
    file is the damaged shared copy, see vocab_repair.py), then extended as the spec asks."""
    if spec.xlmr:
        return xlmr_vocab_kv()
    import vocab_repair  # noqa: PLC0415

    reader = vocab_repair.open_vocab(_resolve_vocab(spec.vocab_file),
                                     os.environ.get("ANVIL_VOCAB_CACHE"))
    kv = {k: v for k, v in reader.kv.items() if k.startswith("tokenizer.")}
    tokens = list(kv["tokenizer.ggml.tokens"].value)
    n0 = len(tokens)
    extra_types: list[int] = []
    if spec.chatml:
        for t in ("<|im_start|>", "<|im_end|>"):
            if t not in tokens:
                tokens.append(t)
                extra_types.append(_CONTROL)
        kv["tokenizer.ggml.eos_token_id"] = g.u32(tokens.index("<|im_end|>"))
        if "<|endoftext|>" in tokens:
            eot = tokens.index("<|endoftext|>")
            kv["tokenizer.ggml.bos_token_id"] = g.u32(eot)
            kv["tokenizer.ggml.padding_token_id"] = g.u32(eot)
        kv["tokenizer.ggml.add_bos_token"] = g.boolean(False)
        kv["tokenizer.chat_template"] = g.string(CHATML_TEMPLATE)
    if spec.vocab_size is not None:
        if spec.vocab_size < len(tokens):
            raise SystemExit(f"--vocab-size {spec.vocab_size} is smaller than the vocabulary "
                             f"({len(tokens)} tokens)")
        # As llama.cpp's converter fills embedding rows that have no token: "[PAD<id>]", UNUSED.
        for i in range(len(tokens), spec.vocab_size):
            tokens.append(f"[PAD{i}]")
            extra_types.append(_UNUSED)
    if len(tokens) != n0:
        kv["tokenizer.ggml.tokens"] = g.array(g.STRING, tokens)
        if "tokenizer.ggml.token_type" in kv:
            old = kv["tokenizer.ggml.token_type"]
            kv["tokenizer.ggml.token_type"] = g.Value(
                g.ARRAY, np.concatenate([old.value, np.array(extra_types, dtype=old.value.dtype)]),
                old.elem_type)
        if "tokenizer.ggml.scores" in kv:
            old = kv["tokenizer.ggml.scores"]
            kv["tokenizer.ggml.scores"] = g.Value(
                g.ARRAY, np.concatenate([old.value, np.zeros(len(tokens) - n0, old.value.dtype)]),
                old.elem_type)
    return kv


# -- weights ------------------------------------------------------------------------------------
_CHUNK_ROWS = 16384
_EMBD_STD = 0.1  # decoders' token_embd


def _rng(seed: int, name: str, chunk: int = 0) -> np.random.Generator:
    # One stream per (seed, tensor, chunk): a tensor's values do not depend on what else is written.
    return np.random.default_rng([seed, zlib.crc32(name.encode()), chunk])


def _normal(seed: int, name: str, shape: tuple, std: float, mean: float = 0.0) -> Iterator[np.ndarray]:
    """Chunks (by rows of the NumPy shape) of N(mean, std^2) float32 values."""
    rows = shape[0] if len(shape) > 1 else 1
    cols = int(np.prod(shape)) // rows
    for c, r0 in enumerate(range(0, rows, _CHUNK_ROWS)):
        n = min(_CHUNK_ROWS, rows - r0)
        x = _rng(seed, name, c).standard_normal((n, cols), dtype=np.float32)
        x *= np.float32(std)
        if mean:
            x += np.float32(mean)
        yield x


class ModelWriter:
    def __init__(self, spec: Spec, wtype: int, seed: int):
        self.spec, self.wtype, self.seed = spec, wtype, seed
        self.w = g.GGUFWriter()

    def _add(self, name: str, shape: tuple, std: float, mean: float = 0.0, f32: bool = False) -> None:
        """A tensor of NumPy shape `shape` ([n_out, n_in] for linear weights)."""
        tid = g.F32 if (f32 or len(shape) == 1) else self.wtype
        seed = self.seed
        if tid in (g.F32, g.F16, g.BF16):
            self.w.add_tensor(name, tuple(reversed(shape)), tid,
                              lambda: _normal(seed, name, shape, std, mean))
            return
        block = g.GGML_TYPES[tid][1]
        if shape[-1] % block:
            raise SystemExit(f"{name}: rows of {shape[-1]} values cannot be {g.ggml_type_name(tid)} "
                             f"(blocks of {block}); pick other sizes or another --type")
        import quants  # noqa: PLC0415

        self.w.add_tensor(name, tuple(reversed(shape)), tid,
                          lambda: (quants.quantize(c, tid).tobytes()
                                   for c in _normal(seed, name, shape, std, mean)))

    def linear(self, name: str, n_out: int, n_in: int, bias: bool = False) -> None:
        # Fan-in scaling: every layer moves the residual stream by O(1), so a wrong RoPE, mask or
        # head mapping changes the logits visibly (with std 0.02 at d=64 a block would add ~0.4%).
        self._add(f"{name}.weight", (n_out, n_in), 1.0 / np.sqrt(n_in))
        if bias:
            self._add(f"{name}.bias", (n_out,), 0.1)

    def norm(self, name: str, bias: bool = False, mean: float = 1.0) -> None:
        self._add(f"{name}.weight", (self.spec.embd,), 0.1 * mean, mean=mean)
        if bias:
            self._add(f"{name}.bias", (self.spec.embd,), 0.1)


def build(spec: Spec, wtype: int, seed: int, name: str) -> g.GGUFWriter:
    s = spec
    if s.embd % s.heads:
        raise SystemExit(f"--embd {s.embd} is not a multiple of --heads {s.heads}")
    kv_heads = s.kv_heads or s.heads
    if s.heads % kv_heads:
        raise SystemExit(f"--heads {s.heads} is not a multiple of --kv-heads {kv_heads}")
    head_dim = s.embd // s.heads
    vocab = load_vocab_kv(s)
    n_vocab = len(vocab["tokenizer.ggml.tokens"].value)

    m = ModelWriter(s, wtype, seed)
    w = m.w
    a = s.arch
    w.add("general.architecture", g.string(a))
    w.add("general.name", g.string(f"anvil-test {name}"))
    w.add("general.file_type", g.u32(_FILE_TYPE[wtype]))
    w.add(f"{a}.context_length", g.u32(s.ctx))
    w.add(f"{a}.embedding_length", g.u32(s.embd))
    w.add(f"{a}.block_count", g.u32(s.layers))
    w.add(f"{a}.feed_forward_length", g.u32(s.ffn))
    w.add(f"{a}.attention.head_count", g.u32(s.heads))
    if a == "bert":
        w.add("bert.attention.layer_norm_epsilon", g.f32(s.eps or 1e-12))
        w.add("bert.attention.causal", g.boolean(False))
        w.add("bert.pooling_type", g.u32(_POOLING[s.pooling]))
    else:
        w.add(f"{a}.attention.head_count_kv", g.u32(kv_heads))
        w.add(f"{a}.attention.layer_norm_rms_epsilon", g.f32(s.eps or 1e-5))
        w.add(f"{a}.rope.freq_base", g.f32(s.rope_base))
        w.add(f"{a}.rope.dimension_count", g.u32(head_dim))
        if s.rope_scaling is not None:
            w.add(f"{a}.rope.scaling.type", g.string(s.rope_scaling))
            w.add(f"{a}.rope.scaling.factor", g.f32(s.rope_factor))
        w.add(f"{a}.vocab_size", g.u32(n_vocab))
    for k, v in vocab.items():
        w.add(k, v)

    d, f = s.embd, s.ffn
    if a == "bert":
        n_types = 1 if s.xlmr else 2   # XLM-R: type_vocab_size 1
        m._add("token_embd.weight", (n_vocab, d), 1.0)
        # llama.cpp keeps position and token-type embeddings in F32 whatever the file type. XLM-R's
        # rows start at padding_idx + 1 = 2 in PyTorch; the converter drops the first two, so
        # row p here is position p, as for BERT.
        m._add("token_types.weight", (n_types, d), 1.0, f32=True)
        m._add("position_embd.weight", (s.ctx, d), 1.0, f32=True)
        m.norm("token_embd_norm", bias=True)
        for i in range(s.layers):
            p = f"blk.{i}"
            for t in ("attn_q", "attn_k", "attn_v", "attn_output"):
                m.linear(f"{p}.{t}", d, d, bias=True)
            m.norm(f"{p}.attn_output_norm", bias=True)
            m.linear(f"{p}.ffn_up", f, d, bias=True)
            m.linear(f"{p}.ffn_down", d, f, bias=True)
            m.norm(f"{p}.layer_output_norm", bias=True)
        if s.pooling == "rank":
            m.linear("cls", d, d, bias=True)
            m.linear("cls.output", 1, d, bias=True)
        return w

    qkv_bias = a == "qwen2"
    # A small input embedding (std 0.1, as trained models have) leaves the residual stream to the
    # blocks; with a large one a tied model mostly predicts the token it just read.
    m._add("token_embd.weight", (n_vocab, d), _EMBD_STD)
    for i in range(s.layers):
        p = f"blk.{i}"
        m.norm(f"{p}.attn_norm")
        m.linear(f"{p}.attn_q", s.heads * head_dim, d, bias=qkv_bias)
        m.linear(f"{p}.attn_k", kv_heads * head_dim, d, bias=qkv_bias)
        m.linear(f"{p}.attn_v", kv_heads * head_dim, d, bias=qkv_bias)
        m.linear(f"{p}.attn_output", d, s.heads * head_dim)
        m.norm(f"{p}.ffn_norm")
        m.linear(f"{p}.ffn_gate", f, d)
        m.linear(f"{p}.ffn_up", f, d)
        m.linear(f"{p}.ffn_down", d, f)
    # Logits of std ~out_scale (top-1/top-2 gaps well above float noise for greedy decoding): a
    # tied model gets there through the final norm's gain, as trained tied models do.
    m.norm("output_norm", mean=s.out_scale / (_EMBD_STD * np.sqrt(d)) if s.tied else 1.0)
    if not s.tied:
        # Logits of std ~out_scale: top-1/top-2 gaps well above float noise for greedy decoding.
        m._add("output.weight", (n_vocab, d), s.out_scale / np.sqrt(d))
    return w


def spec_from_args(a: argparse.Namespace) -> Spec:
    if a.preset not in PRESETS:
        raise SystemExit(f"unknown preset {a.preset!r}; expected one of {', '.join(PRESETS)}")
    s = dataclasses.replace(PRESETS[a.preset])
    for field, arg in (("layers", "layers"), ("embd", "embd"), ("heads", "heads"),
                       ("kv_heads", "kv_heads"), ("ffn", "ffn"), ("ctx", "ctx"),
                       ("vocab_file", "vocab_file"), ("vocab_size", "vocab_size"),
                       ("rope_base", "rope_base"), ("rope_scaling", "rope_scaling"),
                       ("rope_factor", "rope_factor"), ("eps", "eps"), ("pooling", "pooling")):
        v = getattr(a, arg)
        if v is not None:
            setattr(s, field, v)
    if a.tied is not None:
        s.tied = a.tied
    if s.arch == "bert" and a.kv_heads is not None:
        raise SystemExit("--kv-heads: bert models have no grouped-query attention")
    return s


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", required=True, help=", ".join(PRESETS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--type", default="f32", choices=sorted(_TYPE_BY_NAME))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--layers", type=int)
    ap.add_argument("--embd", type=int)
    ap.add_argument("--heads", type=int)
    ap.add_argument("--kv-heads", type=int)
    ap.add_argument("--ffn", type=int)
    ap.add_argument("--ctx", type=int)
    ap.add_argument("--vocab-file", help="vocab GGUF (a name in ../shared/data/tokenizer or a path)")
    ap.add_argument("--vocab-size", type=int, help="pad the token list with [PAD<id>] tokens")
    ap.add_argument("--rope-base", type=float)
    ap.add_argument("--rope-scaling", choices=["none", "linear"])
    ap.add_argument("--rope-factor", type=float)
    ap.add_argument("--eps", type=float)
    ap.add_argument("--pooling", choices=sorted(_POOLING, key=_POOLING.get))
    tied = ap.add_mutually_exclusive_group()
    tied.add_argument("--tied", dest="tied", action="store_true", default=None)
    tied.add_argument("--no-tied", dest="tied", action="store_false")
    ap.add_argument("--describe", action="store_true", help="print the spec as JSON on stdout")
    a = ap.parse_args(argv)
    spec = spec_from_args(a)
    w = build(spec, _TYPE_BY_NAME[a.type], a.seed, a.preset)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    w.write(a.out)
    if a.describe:
        print(json.dumps({"preset": a.preset, "type": a.type, "seed": a.seed,
                          **dataclasses.asdict(spec)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
