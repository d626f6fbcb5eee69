"""Recovers GGUF files that went through a UTF-8 "decode with replacement" round trip.

The vocabulary files in ../shared/data/tokenizer/ reached this machine damaged: somewhere on the
way each byte sequence that is not valid UTF-8 was replaced by U+FFFD (the bytes EF BF BD), as
Python's `data.decode("utf-8", errors="replace").encode()` does. Text (keys, token strings, merges)
survives; binary numbers with a byte >= 0x80 do not (counts, lengths >= 128, token ids >= 128,
floats such as scores and epsilons), so a strict reader rejects the files.

This module rebuilds the original bytes. It parses the damaged file field by field, proposing for
each damaged number the values whose damaged form matches the bytes present (feeding candidates
through the same incremental UTF-8 decoder, so every accepted byte is checked against the file),
and choosing among several by the GGUF structure (what must follow) or, where the structure
cannot tell, by a documented rule (special-token ids point at special tokens; scores follow their
neighbours' arithmetic progression; floats take the shortest decimal form). Every guess that the
structure did not force is reported. The last step re-damages the rebuilt file and requires it to
equal the damaged input byte for byte.

    /usr/bin/python3 vocab_repair.py --out-dir DIR FILE.gguf...   # writes DIR/FILE.gguf, prints guesses
"""

from __future__ import annotations

import argparse
import codecs
import os
import re
import struct
import sys
from typing import Callable, Iterable, Optional

import numpy as np

import gguf_io as g

_FFFD = b"\xef\xbf\xbd"
_KEY_RE = re.compile(rb"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")  # GGUF keys: dotted snake_case
# Token types (llama.cpp's llama_token_type).
_NORMAL, _UNKNOWN, _CONTROL, _USER_DEFINED, _UNUSED, _BYTE = 1, 2, 3, 4, 5, 6


class RepairError(g.GGUFError):
    pass


def damage(data: bytes) -> bytes:
    """What the damaging round trip does to `data`."""
    return data.decode("utf-8", errors="replace").encode("utf-8")


class _Cursor:
    """Position in the damaged data plus the UTF-8 decoder state of the original bytes fed so far."""

    def __init__(self, damaged: bytes):
        self.d = damaged
        self.pos = 0
        self.dec = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def save(self):
        return self.pos, self.dec.getstate()

    def restore(self, s) -> None:
        self.pos = s[0]
        self.dec.setstate(s[1])

    def feed(self, orig: bytes) -> bool:
        """Accepts `orig` as the next original bytes if their damaged form is what the file holds."""
        s = self.save()
        out = self.dec.decode(orig).encode("utf-8")
        if self.d[self.pos:self.pos + len(out)] == out:
            self.pos += len(out)
            return True
        self.restore(s)
        return False

    def finish(self) -> bool:
        out = self.dec.decode(b"", final=True).encode("utf-8")
        ok = self.d[self.pos:] == out
        if ok:
            self.pos += len(out)
        return ok

    def pending_replacements(self) -> bytes:
        """The U+FFFD bytes the decoder's held-back incomplete sequence turns into when the next
        byte is ASCII (what follows a damaged number is almost always a small byte)."""
        if not self.dec.getstate()[0]:
            return b""
        tmp = codecs.getincrementaldecoder("utf-8")(errors="replace")
        tmp.setstate(self.dec.getstate())
        return tmp.decode(b"", final=True).encode("utf-8")

    def next_pos(self) -> int:
        """Where the next field's damaged bytes start, past the held-back bytes' U+FFFD."""
        pend = self.pending_replacements()
        return self.pos + len(pend) if pend and self.d.startswith(pend, self.pos) else self.pos

    def pattern(self, n: int, at: Optional[int] = None) -> list:
        """The next damaged tokens covering at least n original bytes: ints for intact bytes, None
        for a U+FFFD (one to three original bytes)."""
        return _pattern(self.d, self.next_pos() if at is None else at, n)


def _pattern(d: bytes, p: int, n: int) -> list:
    if 0xEF not in d[p:p + n]:
        return list(d[p:p + n])  # fast path: nothing damaged here
    out = []
    while len(out) < n and p < len(d):
        if d[p:p + 3] == _FFFD:
            out.append(None)
            p += 3
        else:
            out.append(d[p])
            p += 1
    return out


def _fffd_expansions(width: int) -> list:
    """Original byte strings of `width` bytes that one U+FFFD may stand for: a lone invalid byte, or
    the maximal valid prefix of a multi-byte sequence cut short (Unicode's replacement practice)."""
    if width == 1:
        return [bytes([b]) for b in range(0x80, 0x100)]
    cont = range(0x80, 0xC0)
    if width == 2:
        return [bytes([a, b]) for a in range(0xE0, 0xF5) for b in cont]
    return [bytes([a, b, c]) for a in range(0xF0, 0xF5) for b in cont for c in cont]


def _candidates(pattern: list, fmt: str, limit_unknown: int = 2) -> list:
    """Values of struct format `fmt` whose damaged form may be `pattern` (see _fffd_expansions).
    Over-generates: the cursor's feed() checks each exactly."""
    size = struct.calcsize(fmt)
    n_unknown = sum(1 for b in pattern[:size] if b is None)
    if n_unknown == 0:
        return [struct.unpack(fmt, bytes(pattern[:size]))[0]] if len(pattern) >= size else []
    if n_unknown > limit_unknown:
        raise RepairError(f"{n_unknown} damaged bytes in one {fmt} field: too many to enumerate")
    out: set = set()

    def expand(i: int, acc: bytes) -> None:
        if len(acc) >= size:
            if len(acc) == size:
                out.add(struct.unpack(fmt, acc)[0])
            return
        if i >= len(pattern):
            return
        if pattern[i] is not None:
            expand(i + 1, acc + bytes([pattern[i]]))
            return
        for width in (1, 2, 3) if n_unknown == 1 else (1,):
            if len(acc) + width <= size:
                for e in _fffd_expansions(width):
                    expand(i + 1, acc + e)

    expand(0, b"")
    return sorted(out)


def _trailing_zero_bits(v: int) -> int:
    return 64 if v == 0 else (v & -v).bit_length() - 1


class Repairer:
    def __init__(self, damaged: bytes, name: str = "file"):
        self.c = _Cursor(damaged)
        self.name = name
        self.guesses: list[str] = []   # choices the structure did not force
        self.kv: dict[str, g.Value] = {}
        self._deferred: list = []  # (key, type, allowed values) of damaged integer scalars

    # -- helpers ----------------------------------------------------------------------------
    def _fail(self, what: str) -> RepairError:
        return RepairError(f"{self.name}: cannot recover {what} at damaged offset {self.c.pos}: "
                           f"next bytes {self.c.d[self.c.pos:self.c.pos + 24]!r}")

    def _int(self, fmt: str, what: str, choose: Optional[Callable[[list], list]] = None,
             accept: Optional[Callable[[int], bool]] = None) -> int:
        """An integer field. `choose` orders the candidates (or filters them); `accept` is a lookahead
        check run after the bytes were fed (the first candidate passing it wins)."""
        cands = _candidates(self.c.pattern(struct.calcsize(fmt)), fmt)
        if len(cands) > 1 and choose is not None:
            cands = choose(cands)
        for v in cands:
            s = self.c.save()
            if self.c.feed(struct.pack(fmt, v)) and (accept is None or accept(v)):
                return v
            self.c.restore(s)
        raise self._fail(what)

    def _looks_like_key_at(self) -> bool:
        """Whether a metadata key (u64 length, ASCII name, u32 value type <= 12) starts here."""
        at = self.c.next_pos()
        p = self.c.pattern(8, at)
        if len(p) < 8 or None in p:
            return False
        n = struct.unpack("<Q", bytes(p))[0]
        if not 1 <= n < 128:
            return False
        name = self.c.d[at + 8:at + 8 + n]
        t = self.c.d[at + 8 + n:at + 12 + n]
        return bool(_KEY_RE.match(name)) and len(t) == 4 and struct.unpack("<I", t)[0] <= 12

    def _at_end(self) -> bool:
        return self.c.next_pos() >= len(self.c.d)

    def _strings_follow(self, pos: int, depth: int) -> bool:
        """Whether `depth` more array strings plausibly start at damaged offset `pos` (or the array
        may end there): each a u64 length below 2^16 (six zero bytes) and valid UTF-8 text."""
        d = self.c.d
        seen = []
        for _ in range(depth):
            if pos >= len(d):
                return True
            seen.append(pos)
            p = _pattern(d, pos, 8)
            if len(p) < 8 or p[2:] != [0] * 6:
                break
            if None in p[:2]:
                return True  # a damaged length: accept rather than enumerate
            n = p[0] | p[1] << 8
            raw = d[pos + 8:pos + 8 + n]
            if len(raw) != n or 0 in raw:  # NUL: the zero bytes of lengths (a literal U+FFFD is
                break                      # a real token in some vocabularies: allowed)
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                break
            pos += 8 + n
        else:
            return True
        # Not `depth` strings: the array may have ended at one of the positions passed (a key's
        # name looks like a string too).
        return any(self._key_at(q) for q in seen)

    def _key_at(self, pos: int) -> bool:
        s = self.c.save()
        self.c.pos = pos
        self.c.dec.reset()
        try:
            return self._looks_like_key_at()
        finally:
            self.c.restore(s)

    def _string(self, what: str, followed_by: Callable[[bool], bool], max_len: int = 1 << 24) -> str:
        """A u64 length then UTF-8 bytes (text is never damaged). Several lengths can match a damaged
        length field: the one after which `followed_by` holds wins (the smallest if several).
        Damaged lengths never take text holding NUL (it would be the zero bytes of lengths)."""
        start = self.c.save()
        pat = self.c.pattern(8)
        cands = _candidates(pat, "<Q")
        for n in sorted(cands):
            if n > min(max_len, len(self.c.d)):
                break
            self.c.restore(start)
            if not self.c.feed(struct.pack("<Q", n)):
                continue
            raw = self.c.d[self.c.pos:self.c.pos + n]
            if len(cands) > 1 and 0 in raw:
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(cands) > 1 and "\ufffd" in text:
                continue
            if self.c.feed(raw) and followed_by(len(cands) > 1):
                return raw.decode("utf-8", errors="surrogateescape")
        self.c.restore(start)
        raise self._fail(what)

    # -- values -----------------------------------------------------------------------------
    def _scalar(self, key: str, vtype: int) -> g.Value:
        if vtype == g.BOOL:
            return g.Value(vtype, bool(self._int("<B", key)))
        if vtype in (g.FLOAT32, g.FLOAT64):
            fmt = g._SCALAR_FMT[vtype]
            pat = self.c.pattern(struct.calcsize(fmt))
            cands = _candidates(pat, fmt)
            # The damaged float the writer most plausibly meant: the shortest decimal form.
            cands.sort(key=lambda v: (_significant_digits(v, vtype), v))
            for v in cands:
                st = self.c.save()
                if self.c.feed(struct.pack(fmt, v)) and (self._looks_like_key_at() or self._at_end()):
                    if None in pat[:struct.calcsize(fmt)]:
                        self.guesses.append(f"{key} = {v!r} (damaged float: shortest decimal form)")
                    return g.Value(vtype, float(v))
                self.c.restore(st)
            raise self._fail(key)
        fmt = g._SCALAR_FMT[vtype]
        if None not in self.c.pattern(struct.calcsize(fmt)):
            return g.Value(vtype, self._int(fmt, key))
        # Every candidate the structure allows (same damaged bytes, a key follows). The choice among
        # them may need the token list, which comes later in the file: it is made in run().
        start = self.c.save()
        allowed, after = [], None
        for v in _candidates(self.c.pattern(struct.calcsize(fmt)), fmt):
            if self.c.feed(struct.pack(fmt, v)) and (self._looks_like_key_at() or self._at_end()):
                allowed.append(v)
                after = self.c.save()
            self.c.restore(start)
        if not allowed:
            raise self._fail(key)
        self.c.restore(after)
        self._deferred.append((key, vtype, allowed))
        return g.Value(vtype, allowed[0])

    def _resolve_deferred(self) -> None:
        for key, vtype, allowed in self._deferred:
            v = self._order_int(key, allowed)[0] if len(allowed) > 1 else allowed[0]
            self.kv[key] = g.Value(vtype, v)
            self.guesses.append(f"{key} = {v} ({self._int_rule(key)})")

    def _int_rule(self, key: str) -> str:
        if key.endswith("_token_id"):
            return "damaged id: the special token whose text names its role"
        if key.endswith(".vocab_size"):
            return "damaged: the token count"
        return "damaged number: candidate with the most trailing zero bits (best effort)"

    _ROLE_HINTS = {
        "bos": ("begin", "bos", "<s>", "start"),
        "eos": ("end_of_sentence", "end\u2581of\u2581sentence", "eos", "</s>", "endoftext", "end"),
        "unknown": ("unk",), "seperator": ("sep",), "cls": ("cls",), "mask": ("mask",),
        "padding": ("pad", "end_of_sentence", "end\u2581of\u2581sentence", "eos", "</s>", "endoftext", "end"),
    }

    def _order_int(self, key: str, cands: list) -> list:
        tokens = self.kv.get("tokenizer.ggml.tokens")
        types = self.kv.get("tokenizer.ggml.token_type")
        if key.endswith("_token_id") and tokens is not None:
            n = len(tokens.value)
            special = [v for v in cands if 0 <= v < n and (
                (types is not None and int(types.value[v]) in (_CONTROL, _USER_DEFINED, _UNKNOWN))
                or re.fullmatch(r"<[^<>]+>|\[[A-Z]+\]|<\|[^|]+\|>", tokens.value[v] or ""))]
            role = key.split(".")[-1][:-len("_token_id")]
            hints = self._ROLE_HINTS.get(role, ())

            def rank(v: int):
                text = tokens.value[v].lower()
                if re.fullmatch(r"\[pad\d+\]", text):
                    return (len(hints) + 1, v)  # the converter's filler for unused rows
                for h, hint in enumerate(hints):
                    if hint in text:
                        return (h, v)
                return (len(hints), v)

            special.sort(key=rank)
            if len(special) > 1 and rank(special[0])[0] == len(hints):
                self.guesses.append(f"{key}: several special-token candidates {special[:8]}")
            return special + [v for v in cands if v not in special]
        if key.endswith(".vocab_size") and tokens is not None:
            n = len(tokens.value)
            return sorted(cands, key=lambda v: (v != n, v))
        return sorted(cands, key=lambda v: (-_trailing_zero_bits(v), v))

    def _count(self, what: str, parse_one: Callable[[int], None], expected: Optional[int]) -> int:
        """An array count, then its elements (parse_one(i)). A damaged count is resolved in one pass:
        the first candidate count after which the next key (or the end of the file) follows."""
        pat = self.c.pattern(8)
        cands = _candidates(pat, "<Q")
        if len(cands) == 1:
            if not self.c.feed(struct.pack("<Q", cands[0])):
                raise self._fail(what + " count")
            for i in range(cands[0]):
                parse_one(i)
            return cands[0]
        start = self.c.save()
        if expected is not None and expected in cands:
            # The count every per-token array shares: try it first.
            if self.c.feed(struct.pack("<Q", expected)):
                try:
                    for i in range(expected):
                        parse_one(i)
                    if self._looks_like_key_at() or self._at_end():
                        return expected
                except RepairError:
                    pass
            self.c.restore(start)
        # Candidates with the same damaged form consume the same bytes; try each distinct form.
        forms: dict = {}
        for v in cands:
            if self.c.feed(struct.pack("<Q", v)):
                forms.setdefault(self.c.save(), set()).add(v)
                self.c.restore(start)
        for state, wanted in forms.items():
            self.c.restore(state)
            limit = max(wanted)
            n = 0
            try:
                while n < limit:
                    parse_one(n)
                    n += 1
                    if n in wanted and (self._looks_like_key_at() or self._at_end()):
                        return n
            except RepairError:
                pass
        self.c.restore(start)
        raise self._fail(what + " count")

    def _numeric_array(self, key: str, etype: int) -> g.Value:
        fmt = g._SCALAR_FMT[etype]
        size = struct.calcsize(fmt)
        tokens = self.kv.get("tokenizer.ggml.tokens")
        expected = len(tokens.value) if tokens is not None else None
        vals: list = []
        n_guessed = [0]

        def one(i: int) -> None:
            if len(vals) > i:
                del vals[i:]
            pat = self.c.pattern(size)
            if None not in pat[:size] and len(pat) >= size:
                v = struct.unpack(fmt, bytes(pat[:size]))[0]
                if self.c.feed(struct.pack(fmt, v)):
                    vals.append(v)
                    return
            for v in self._element_candidates(etype, vals, pat, fmt):
                if self.c.feed(struct.pack(fmt, v)):
                    vals.append(v)
                    n_guessed[0] += 1
                    return
            raise self._fail(f"{key}[{i}]")

        n = self._count(key, one, expected)
        if n_guessed[0]:
            rule = ("scores continue their neighbours' progression (step -1), else 0 / -1e9 / -1000"
                    if etype in (g.FLOAT32, g.FLOAT64) else "smallest matching value")
            self.guesses.append(f"{key}: {n_guessed[0]} of {n} damaged elements rebuilt ({rule})")
        return g.Value(g.ARRAY, np.array(vals[:n], dtype=g._SCALAR_NP[etype]), etype)

    @staticmethod
    def _element_candidates(etype: int, prev: list, pat: list, fmt: str) -> Iterable:
        if etype in (g.FLOAT32, g.FLOAT64):
            # SentencePiece scores: an arithmetic progression (-1 per token) broken by special values.
            special = (0.0, -1e9, -1000.0)
            regular = [v for v in prev[-64:] if v not in special]
            cands = []
            if regular:
                cands.append(float(np.float32(regular[-1] - (len(prev) - _last_index(prev, regular[-1])))))
            else:
                # The progression (-1, -2, ...) starts after the last leading 0 (control and byte
                # tokens score 0 and come first).
                cands.append(float(-(len(prev) - (_last_index(prev, 0.0) + 1))))
            cands += [0.0, -1e9, -1000.0]
            if prev:
                cands.append(float(prev[-1]))
            yield from cands
            # Any other integer-valued score whose bytes agree with the intact ones.
            yield from _integer_floats(pat)
        else:
            yield from sorted(_candidates(pat, fmt), key=abs)

    def _value(self, key: str, vtype: int) -> g.Value:
        if vtype == g.STRING:
            return g.Value(g.STRING, self._string(key, lambda _: self._looks_like_key_at() or self._at_end()))
        if vtype != g.ARRAY:
            return self._scalar(key, vtype)
        etype = self._int("<I", key + " element type")
        if etype == g.STRING:
            out: list[str] = []

            def next_ok(damaged: bool) -> bool:
                # A damaged length must be followed by many well-formed strings: a wrong guess
                # that lands on text can pass a short check by chance.
                return self._strings_follow(self.c.next_pos(), 64 if damaged else 2)

            def one(i: int) -> None:
                if len(out) > i:
                    del out[i:]
                out.append(self._string(f"{key}[{i}]", next_ok, max_len=0xFFFF))

            expected = None
            if key in ("tokenizer.ggml.scores", "tokenizer.ggml.token_type"):
                expected = len(self.kv["tokenizer.ggml.tokens"].value)
            n = self._count(key, one, expected)
            return g.Value(g.ARRAY, out[:n], g.STRING)
        if etype in g._SCALAR_FMT:
            return self._numeric_array(key, etype)
        raise self._fail(f"{key}: array of type {etype}")

    # -- file -------------------------------------------------------------------------------
    def run(self) -> "g.GGUFWriter":
        c = self.c
        if not c.feed(b"GGUF"):
            raise self._fail("magic")
        version = self._int("<I", "version")
        if version != 3:
            raise RepairError(f"{self.name}: version {version}, only v3 files are repaired")
        n_tensors = self._int("<Q", "tensor count")
        n_kv = self._int("<Q", "metadata count")
        if n_tensors:
            raise RepairError(f"{self.name}: {n_tensors} tensors; only vocabulary files are repaired")
        for i in range(n_kv):
            key = self._string(f"key #{i}", lambda _: True)
            vtype = self._int("<I", f"{key} type")
            self.kv[key] = self._value(key, vtype)
        if not c.finish() or c.pos != len(c.d):
            raise self._fail("end of file")
        self._resolve_deferred()
        w = g.GGUFWriter()
        w.kv = dict(self.kv)
        return w


def _significant_digits(v: float, vtype: int) -> int:
    """Digits of the shortest decimal that reads back as `v` (1e-05 -> 1, 999992.0 -> 6)."""
    x = np.float32(v) if vtype == g.FLOAT32 else np.float64(v)
    if not np.isfinite(x):
        return 99
    mant = np.format_float_scientific(x, unique=True).split("e")[0]
    return len(mant.replace("-", "").replace(".", "").rstrip("0")) or 1


_INT_FLOATS = None


def _integer_floats(pat: list) -> list:
    """Integer-valued f32 in [-2^20, 2^20] whose bytes agree with the intact bytes of `pat` (read
    one byte per U+FFFD), smallest magnitude first."""
    global _INT_FLOATS
    if _INT_FLOATS is None:
        v = np.arange(-(1 << 20), (1 << 20) + 1, dtype=np.float32)
        v = v[np.argsort(np.abs(v), kind="stable")]
        _INT_FLOATS = (v, v.view(np.uint8).reshape(-1, 4))
    vals, b = _INT_FLOATS
    keep = np.ones(len(vals), dtype=bool)
    for k, x in enumerate(pat[:4]):
        keep &= (b[:, k] >= 0x80) if x is None else (b[:, k] == x)
    return [float(x) for x in vals[keep][:256]]


def _last_index(seq: list, v) -> int:
    for i in range(len(seq) - 1, -1, -1):
        if seq[i] == v:
            return i
    return -1


def repair_bytes(damaged: bytes, name: str = "file") -> tuple[bytes, list[str]]:
    """The original bytes of a damaged vocabulary GGUF and the list of unforced guesses."""
    r = Repairer(damaged, name)
    w = r.run()
    import io
    buf = io.BytesIO()
    w.write_to(buf)
    out = buf.getvalue()
    if damage(out) != damaged:
        raise RepairError(f"{name}: the rebuilt file does not damage back into the input")
    return out, r.guesses


def is_damaged(path: str) -> bool:
    try:
        g.GGUFReader(path)
        return False
    except g.GGUFError:
        data = open(path, "rb").read()
        return _FFFD in data


def open_vocab(path: str, cache_dir: Optional[str] = None) -> g.GGUFReader:
    """A reader for a vocabulary file, repaired first (into cache_dir, default /tmp) if damaged."""
    try:
        return g.GGUFReader(path)
    except g.GGUFError:
        if not is_damaged(path):
            raise
    cache_dir = cache_dir or os.path.join(os.environ.get("TMPDIR", "/tmp"), "anvil-vocab-repaired")
    os.makedirs(cache_dir, exist_ok=True)
    st = os.stat(path)
    out = os.path.join(cache_dir, f"{os.path.basename(path)}.{st.st_size}.{int(st.st_mtime)}.gguf")
    if not os.path.exists(out):
        data, _ = repair_bytes(open(path, "rb").read(), os.path.basename(path))
        tmp = f"{out}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, out)
    return g.GGUFReader(out)


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args(argv)
    os.makedirs(a.out_dir, exist_ok=True)
    rc = 0
    for path in a.files:
        name = os.path.basename(path)
        data = open(path, "rb").read()
        try:
            g.GGUFReader(path)
            print(f"{name}: intact, copied")
            out = data
        except g.GGUFError:
            try:
                out, guesses = repair_bytes(data, name)
            except RepairError as e:
                print(f"{name}: NOT REPAIRED: {e}")
                rc = 1
                continue
            print(f"{name}: repaired ({data.count(_FFFD)} U+FFFD in the input)")
            for line in guesses:
                print(f"  guess: {line}")
        with open(os.path.join(a.out_dir, name), "wb") as f:
            f.write(out)
    return rc


if __name__ == "__main__":
    sys.exit(main())
