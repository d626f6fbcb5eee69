"""SentencePiece unigram (UGM) tokenization for the reference, written independently of Anvil's C++
(src/anvil/text/ugm_tokenizer.cpp): the precompiled charsmap (a darts-clone double array plus
NUL-terminated replacements; a builder for test vocabularies and a reader), the normalization
llama.cpp applies to tokenizer.ggml.model "t5" vocabularies, and the Viterbi search for the
highest-scoring segmentation. Semantics: docs/TOKENIZERS.md ("UGM").

    /usr/bin/python3 ugm.py selftest
"""

from __future__ import annotations

import struct
import sys
from typing import Optional

SPACE = "\u2581".encode()          # SentencePiece's visible space
REPLACEMENT = "\ufffd".encode()    # one ill-formed input byte becomes U+FFFD
UNKNOWN_PENALTY = 10.0             # an uncovered code point scores (lowest normal score - 10)

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


# -- precompiled charsmap -----------------------------------------------------------------------
def build_charsmap(rules: dict) -> bytes:
    """rules: non-empty key bytes -> replacement bytes. Returns the blob SentencePiece stores:
    u32 LE trie size, the trie units (u32 LE), then the NUL-terminated replacements."""
    strings = bytearray()
    trie = [{}]                     # node -> {byte: child node}
    value = {}                      # node -> offset of its replacement
    for key in sorted(rules):
        if not key:
            raise ValueError("charsmap keys must be non-empty")
        node = 0
        for c in key:
            if c not in trie[node]:
                trie.append({})
                trie[node][c] = len(trie) - 1
            node = trie[node][c]
        value[node] = len(strings)
        strings += rules[key] + b"\0"

    units = [0]
    taken = {0}                     # unit indices in use (the root is unit 0)
    bases = set()                   # each node its own base, or two nodes would share children
    order = [(0, 0)]                # (trie node, unit index), breadth first
    for node, at in order:
        labels = ([0] if node in value else []) + sorted(trie[node])
        if not labels:
            continue
        base = 1
        while base in bases or any((base ^ l) in taken for l in labels):
            base += 1
        bases.add(base)
        top = max(base ^ l for l in labels)
        units.extend([0] * (top + 1 - len(units)))
        units[at] |= (at ^ base) << 10                       # offset, bits 10-30
        if node in value:
            units[at] |= 1 << 8                              # has a leaf (label 0)
            units[base] = (1 << 31) | value[node]            # value unit
            taken.add(base)
        for c, child in sorted(trie[node].items()):
            units[base ^ c] |= c                             # label, bits 0-7
            taken.add(base ^ c)
            order.append((child, base ^ c))
    return struct.pack("<I", 4 * len(units)) + struct.pack(f"<{len(units)}I", *units) + bytes(strings)


class Charsmap:
    """Reads a blob; longest(text, pos) finds the longest rule at text[pos:]."""

    def __init__(self, blob: bytes):
        self.units: list = []
        self.strings = b""
        if not blob:
            return
        if len(blob) < 4:
            raise ValueError("charsmap shorter than its size field")
        (size,) = struct.unpack_from("<I", blob, 0)
        if size == 0 or size % 4 or 4 + size > len(blob):
            raise ValueError(f"charsmap trie size {size} does not fit a blob of {len(blob)} bytes")
        self.units = list(struct.unpack_from(f"<{size // 4}I", blob, 4))
        self.strings = blob[4 + size:]

    @staticmethod
    def _offset(u: int) -> int:
        return (u >> 10) << ((u & (1 << 9)) >> 6)

    def longest(self, text: bytes, pos: int) -> tuple:
        """(replacement bytes, bytes consumed); consumed 0 when no rule matches."""
        if not self.units:
            return b"", 0
        best = (b"", 0)
        node_base = self._offset(self.units[0])
        i = pos
        while i < len(text) and text[i] != 0:
            child = node_base ^ text[i]
            if child >= len(self.units) or (self.units[child] & ((1 << 31) | 0xFF)) != text[i]:
                break
            node_base = child ^ self._offset(self.units[child])
            if (self.units[child] >> 8) & 1:
                start = self.units[node_base] & ((1 << 31) - 1)
                end = self.strings.index(b"\0", start)
                best = (self.strings[start:end], i + 1 - pos)
            i += 1
        return best


# -- tokenizer ----------------------------------------------------------------------------------
def _utf8_well_formed_len(b: bytes, i: int) -> int:
    """Length of the sequence at b[i] when its bit patterns are those of UTF-8, else 0."""
    lead = b[i]
    if lead < 0x80:
        return 1
    n = 2 if lead >> 5 == 0b110 else 3 if lead >> 4 == 0b1110 else 4 if lead >> 3 == 0b11110 else 0
    if n == 0 or i + n > len(b) or any(c >> 6 != 0b10 for c in b[i + 1:i + n]):
        return 0
    return n


def _step(lead: int) -> int:
    """Code point step of the Viterbi: by the lead byte's high nibble (stray bytes step 1)."""
    return 4 if lead >= 0xF0 else 3 if lead >= 0xE0 else 2 if lead >= 0xC0 else 1


class Unigram:
    def __init__(self, tokens: list, scores: list, types: list, unk: int, add_space_prefix: bool,
                 remove_extra_whitespaces: bool, charsmap: bytes):
        self.tokens = [t.encode("utf-8", "surrogateescape") for t in tokens]
        self.scores, self.types, self.unk = list(scores), list(types), unk
        self.prefix, self.merge = add_space_prefix, remove_extra_whitespaces
        self.charsmap = Charsmap(charsmap)
        self.pieces = {}
        for i, (t, ty) in enumerate(zip(self.tokens, self.types)):
            if t and ty in (NORMAL, USER_DEFINED, UNUSED) and t not in self.pieces:
                self.pieces[t] = i
        self.max_len = max((len(t) for t in self.pieces), default=0)
        normal = [s for s, ty in zip(self.scores, self.types) if ty == NORMAL]
        self.unknown_score = (min(normal) if normal else float("inf")) - UNKNOWN_PENALTY

    @classmethod
    def from_gguf(cls, reader) -> "Unigram":
        kv = reader.get
        if kv("tokenizer.ggml.model") != "t5":
            raise SystemExit(f"tokenize: the vocabulary is {kv('tokenizer.ggml.model')!r}, not t5")
        charsmap = kv("tokenizer.ggml.precompiled_charsmap")
        return cls(list(kv("tokenizer.ggml.tokens")), [float(s) for s in kv("tokenizer.ggml.scores")],
                   [int(t) for t in kv("tokenizer.ggml.token_type")],
                   int(kv("tokenizer.ggml.unknown_token_id", 2)),
                   bool(kv("tokenizer.ggml.add_space_prefix", False)),
                   bool(kv("tokenizer.ggml.remove_extra_whitespaces", False)),
                   bytes(charsmap.astype("uint8")) if charsmap is not None else b"")

    def normalize(self, text: str) -> bytes:
        raw = text.encode("utf-8", "surrogateescape")
        out = bytearray()
        i = 0
        while i < len(raw):
            rep, n = self.charsmap.longest(raw, i)
            if n == 0:
                n = _utf8_well_formed_len(raw, i)
                rep, n = (raw[i:i + n], n) if n else (REPLACEMENT, 1)
            out += rep
            i += n
        words = bytes(out)
        # Whitespace, as llama.cpp: merging keeps the words, each behind one "▁"; otherwise every
        # space is a "▁" and the first word gets one more before it when add_space_prefix.
        if self.merge:
            return b"".join(SPACE + w for w in words.split(b" ") if w)
        first = next((k for k, c in enumerate(words) if c != 0x20), None)
        if self.prefix and first is not None:
            words = words[:first] + SPACE + words[first:]
        return words.replace(b" ", SPACE)

    def encode(self, text: str) -> list:
        s = self.normalize(text)
        if not s:
            return []
        # best[e] = (score, start, id) of the best segmentation of s[:e]. Sums are rounded to
        # float32 when stored (llama.cpp keeps them in a float), which decides exact ties.
        f32 = lambda x: float(struct.unpack("<f", struct.pack("<f", x))[0])  # noqa: E731
        best: list = [None] * (len(s) + 1)
        best[0] = (0.0, 0, self.unk)
        i = 0
        while i < len(s):
            step = min(_step(s[i]), len(s) - i)
            here = best[i][0]
            whole_char = False
            for n in range(1, min(self.max_len, len(s) - i) + 1):
                tid = self.pieces.get(s[i:i + n])
                if tid is None:
                    continue
                whole_char = whole_char or n == step
                score = here + (0.0 if self.types[tid] == USER_DEFINED else self.scores[tid])
                if best[i + n] is None or score > best[i + n][0]:
                    best[i + n] = (f32(score), i, tid)
            if not whole_char:
                score = here + self.unknown_score
                if best[i + step] is None or score > best[i + step][0]:
                    best[i + step] = (f32(score), i, self.unk)
            i += step
        ids = []
        e = len(s)
        while e > 0:
            _, start, tid = best[e]
            if not (ids and tid == self.unk and ids[-1] == self.unk):
                ids.append(tid)
            e = start
        return ids[::-1]


# -- self test ----------------------------------------------------------------------------------
def selftest() -> int:
    rules = {b"ab": b"X", b"a": b"Y", b"abc": b"", b"\xef\xbc\xa1": b"a"}
    cm = Charsmap(build_charsmap(rules))
    assert cm.longest(b"abd", 0) == (b"X", 2)
    assert cm.longest(b"abc", 0) == (b"", 3)
    assert cm.longest(b"za", 1) == (b"Y", 1)
    assert cm.longest(b"b", 0) == (b"", 0)
    assert cm.longest("\uff21".encode(), 0) == (b"a", 3)
    sp = "\u2581"
    toks = ["<s>", "<pad>", "</s>", "<unk>", sp, sp + "the", sp + "cat", "s", sp + "cats", "c", "a", "t"]
    scores = [0, 0, 0, 0, -2, -3, -4, -3, -9, -4, -4, -3.5]
    types = [CONTROL, CONTROL, CONTROL, UNKNOWN] + [NORMAL] * 8
    u = Unigram(toks, scores, types, 3, True, True, build_charsmap({b"\n": b" "}))
    assert u.encode("the cats") == [5, 6, 7], u.encode("the cats")
    assert u.encode("  the\ncat ") == [5, 6]
    assert u.encode("xyz") == [4, 3]
    assert u.encode("") == []
    v = Unigram(toks, scores, types, 3, True, False, b"")
    assert v.normalize("the  cat ") == (sp + "the" + sp + sp + "cat" + sp).encode()
    assert v.encode("cat") == [6]
    print("ugm selftest: ok")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["selftest"]:
        sys.exit(selftest())
    sys.exit(__doc__)
