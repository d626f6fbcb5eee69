"""SentencePiece itself as an oracle for Anvil's unigram tokenizer (optional: needs Debian's
python3-sentencepiece). Trains a small unigram model with SentencePiece's real nmt_nfkc
normalization rules, writes it as a vocabulary-only GGUF the way llama.cpp's converter writes
XLM-RoBERTa (tokenizer "t5", fairseq ids: <s> <pad> </s> <unk> first, then SentencePiece's pieces
shifted by one), and gives SentencePiece's own ids for texts, mapped to the GGUF's ids.

    /usr/bin/python3 spm_oracle.py --out vocab.gguf --texts-file hex.txt --ids-out ids.txt

Texts file: one text per line as the hex of its UTF-8 bytes; ids file: one comma-separated line
per text (no special tokens).
"""

from __future__ import annotations

import argparse
import io
import sys

import numpy as np

import gguf_io as g

_CORPUS = [
    "How do I replace the mechanical seal of a centrifugal pump?",
    "Bearing noise increased after 1,200 operating hours; check the shaft and the oil.",
    "The pump leaks water at high pressure, the motor runs hot.",
    "泵的密封泄漏了。你好，中文分词和轴承的检查。",
    "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ and ﬁne ﬂow… café naïve",
    "the cat sat on the mat. what is the seal made of?",
    "Emoji 😀 👍 🔧 in maintenance notes.",
]


def _varint(b: bytes, i: int) -> tuple:
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def _fields(b: bytes) -> list:
    """(field number, wire type, value) of a protobuf message; enough for ModelProto."""
    out, i = [], 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        else:
            raise ValueError(f"protobuf wire type {wt}")
        out.append((num, wt, v))
    return out


def normalizer_spec(model: bytes) -> dict:
    """NormalizerSpec (ModelProto field 3): the charsmap (2) and the flags (3, 4; default true)."""
    spec = {"charsmap": b"", "add_dummy_prefix": True, "remove_extra_whitespaces": True}
    for num, _, v in _fields(model):
        if num == 3:
            for n, _, x in _fields(v):
                if n == 2:
                    spec["charsmap"] = x
                elif n == 3:
                    spec["add_dummy_prefix"] = bool(x)
                elif n == 4:
                    spec["remove_extra_whitespaces"] = bool(x)
    return spec


def train() -> bytes:
    import sentencepiece as spm  # noqa: PLC0415

    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_CORPUS * 40), model_writer=out, vocab_size=160, model_type="unigram",
        normalization_rule_name="nmt_nfkc", character_coverage=1.0, hard_vocab_limit=False,
        num_threads=1, seed_sentencepiece_size=10000, minloglevel=2)
    return out.getvalue()


def gguf_id(spm_id: int) -> int:
    # SentencePiece: 0 <unk>, 1 <s>, 2 </s>; fairseq/XLM-R: 0 <s>, 1 <pad>, 2 </s>, 3 <unk>, then +1.
    return {0: 3, 1: 0, 2: 2}.get(spm_id, spm_id + 1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--texts-file", required=True)
    ap.add_argument("--ids-out", required=True)
    a = ap.parse_args(argv)
    import sentencepiece as spm  # noqa: PLC0415

    model = train()
    sp = spm.SentencePieceProcessor(model_proto=model)
    spec = normalizer_spec(model)
    n = sp.get_piece_size()
    tokens = ["<s>", "<pad>", "</s>", "<unk>"] + [sp.id_to_piece(i) for i in range(3, n)] + ["<mask>"]
    scores = [0.0] * 4 + [sp.get_score(i) for i in range(3, n)] + [0.0]
    types = [3, 3, 3, 2] + [1] * (n - 3) + [3]
    w = g.GGUFWriter()
    w.add("general.architecture", g.string("bert"))
    w.add("general.name", g.string("anvil-test sentencepiece unigram"))
    w.add("tokenizer.ggml.model", g.string("t5"))
    w.add("tokenizer.ggml.pre", g.string("default"))
    w.add("tokenizer.ggml.tokens", g.array(g.STRING, tokens))
    w.add("tokenizer.ggml.scores", g.array(g.FLOAT32, scores))
    w.add("tokenizer.ggml.token_type", g.array(g.INT32, types))
    w.add("tokenizer.ggml.add_space_prefix", g.boolean(spec["add_dummy_prefix"]))
    w.add("tokenizer.ggml.remove_extra_whitespaces", g.boolean(spec["remove_extra_whitespaces"]))
    w.add("tokenizer.ggml.precompiled_charsmap",
          g.array(g.UINT8, np.frombuffer(spec["charsmap"], dtype=np.uint8)))
    for key, v in (("bos", 0), ("eos", 2), ("unknown", 3), ("seperator", 2), ("padding", 1),
                   ("cls", 0), ("mask", len(tokens) - 1)):
        w.add(f"tokenizer.ggml.{key}_token_id", g.u32(v))
    w.add("tokenizer.ggml.add_bos_token", g.boolean(True))
    w.add("tokenizer.ggml.add_eos_token", g.boolean(True))
    w.write(a.out)
    with open(a.texts_file) as f, open(a.ids_out, "w") as out:
        for line in f.read().splitlines():
            text = bytes.fromhex(line).decode("utf-8", "surrogateescape")
            out.write(",".join(str(gguf_id(i)) for i in sp.encode(text)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
