#!/usr/bin/python3
"""Independent NumPy implementation of ggml's tensor types: the oracle for Anvil's C++
dequantization and quantization (tests/engine/quants_test.cpp), and the reader the PyTorch model
reference uses for quantized GGUF tensors.

    dequantize(raw_bytes, ggml_type, n_elements) -> float32 array of n_elements
    quantize(x_f32, ggml_type) -> uint8 array (f32, f16, bf16, q8_0, q4_0, q4_K, q6_K)

Written from the block layouts in docs/QUANTIZATION.md with vectorised NumPy (whole arrays of
blocks at once), not transcribed from the C++: dequantization builds each block's values by
reshaping its bit planes; quantization follows ggml's reference rounding, with sums accumulated in
float32 in the same order as ggml so that the bytes match exactly.

Command line (used by the C++ tests): quants.py dequantize TYPE N IN OUT writes N float32;
quants.py quantize TYPE N IN OUT reads N float32 and writes the encoded bytes. TYPE is the ggml
type id (e.g. 8 for q8_0) or name.
"""
import sys

import numpy as np

F32 = np.float32

# name: (ggml id, elements per block, bytes per block)
TYPES = {
    "f32": (0, 1, 4),
    "f16": (1, 1, 2),
    "q4_0": (2, 32, 18),
    "q4_1": (3, 32, 20),
    "q5_0": (6, 32, 22),
    "q5_1": (7, 32, 24),
    "q8_0": (8, 32, 34),
    "q2_K": (10, 256, 84),
    "q3_K": (11, 256, 110),
    "q4_K": (12, 256, 144),
    "q5_K": (13, 256, 176),
    "q6_K": (14, 256, 210),
    "bf16": (30, 1, 2),
}
NAME_OF_ID = {v[0]: k for k, v in TYPES.items()}


def type_name(ggml_type):
    """Accepts an id (int or numeric string) or a name; returns the canonical name."""
    if isinstance(ggml_type, str) and not ggml_type.isdigit():
        for name in TYPES:
            if name.lower() == ggml_type.lower():
                return name
        raise ValueError(f"unknown ggml type name {ggml_type!r}")
    tid = int(ggml_type)
    if tid not in NAME_OF_ID:
        raise ValueError(f"unsupported ggml type id {tid}")
    return NAME_OF_ID[tid]


def row_size(ggml_type, n_elements):
    _, bs, ts = TYPES[type_name(ggml_type)]
    assert n_elements % bs == 0, f"{n_elements} is not a multiple of the block size {bs}"
    return n_elements // bs * ts


# ---------------------------------------------------------------- helpers


def _f16(blocks, offset):
    """The little-endian f16 at byte `offset` of each block, as float32: shape [nb, 1]."""
    return blocks[:, offset:offset + 2].copy().view(np.float16).astype(F32)


def _u32(blocks, offset):
    return blocks[:, offset:offset + 4].copy().view("<u4")[:, 0]


def _nibbles(qs):
    """[nb, m] bytes -> (low, high) nibbles as int32 arrays."""
    q = qs.astype(np.int32)
    return q & 0xF, q >> 4


def _crumbs(qs):
    """q2_K/q3_K 2-bit planes: [nb, 64] bytes -> [nb, 256] codes. Each 32-byte half covers 128
    elements; bit pair k of byte l is element 32*k + l of that half."""
    nb = qs.shape[0]
    q = qs.reshape(nb, 2, 1, 32).astype(np.int32)
    shifts = np.array([0, 2, 4, 6], dtype=np.int32).reshape(1, 1, 4, 1)
    return ((q >> shifts) & 3).reshape(nb, 256)


def _f16_bits(v):
    """float32 array -> uint8 pairs of the f16 (round to nearest even, as numpy casts)."""
    return np.asarray(v, dtype=F32).astype(np.float16).view(np.uint8).reshape(-1, 2)


def _scale_min_k4(sc):
    """q4_K/q5_K 12 scale bytes [nb, 12] -> (scales, mins) [nb, 8] int32, 6 bits each."""
    s = sc.astype(np.int32)
    scales = np.empty((s.shape[0], 8), dtype=np.int32)
    mins = np.empty_like(scales)
    scales[:, :4] = s[:, 0:4] & 63
    mins[:, :4] = s[:, 4:8] & 63
    scales[:, 4:] = (s[:, 8:12] & 0xF) | ((s[:, 0:4] >> 6) << 4)
    mins[:, 4:] = (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)
    return scales, mins


# ---------------------------------------------------------------- dequantization


def _deq_q4_0(b):
    d = _f16(b, 0)
    lo, hi = _nibbles(b[:, 2:18])
    return np.concatenate([lo - 8, hi - 8], axis=1).astype(F32) * d


def _deq_q4_1(b):
    d, m = _f16(b, 0), _f16(b, 2)
    lo, hi = _nibbles(b[:, 4:20])
    return np.concatenate([lo, hi], axis=1).astype(F32) * d + m


def _fifth_bits(b, offset):
    qh = _u32(b, offset)[:, None]
    return ((qh >> np.arange(32, dtype=np.uint32)) & 1).astype(np.int32) << 4


def _deq_q5_0(b):
    d = _f16(b, 0)
    lo, hi = _nibbles(b[:, 6:22])
    q = np.concatenate([lo, hi], axis=1) | _fifth_bits(b, 2)
    return (q - 16).astype(F32) * d


def _deq_q5_1(b):
    d, m = _f16(b, 0), _f16(b, 2)
    lo, hi = _nibbles(b[:, 8:24])
    q = np.concatenate([lo, hi], axis=1) | _fifth_bits(b, 4)
    return q.astype(F32) * d + m


def _deq_q8_0(b):
    return b[:, 2:34].view(np.int8).astype(F32) * _f16(b, 0)


def _deq_q2_K(b):
    nb = b.shape[0]
    sc = b[:, 0:16].astype(np.int32)
    q = _crumbs(b[:, 16:80]).reshape(nb, 16, 16).astype(F32)
    d, dmin = _f16(b, 80), _f16(b, 82)
    dl = (d * (sc & 0xF).astype(F32))[:, :, None]
    ml = (dmin * (sc >> 4).astype(F32))[:, :, None]
    return (dl * q - ml).reshape(nb, 256)


def _deq_q3_K(b):
    nb = b.shape[0]
    hmask = b[:, 0:32].astype(np.int32)
    low = _crumbs(b[:, 32:96])
    raw = b[:, 96:108].astype(np.int32)
    d = _f16(b, 108)
    # 16 six-bit scales: low nibbles from bytes 0..7 (low then high nibble), top bits from 8..11.
    lo4 = np.concatenate([raw[:, 0:8] & 0xF, raw[:, 0:8] >> 4], axis=1)
    top = np.stack([(raw[:, 8:12] >> s) & 3 for s in (0, 2, 4, 6)], axis=1).reshape(nb, 16)
    scales = (lo4 | (top << 4)) - 32
    # Element e's high bit is bit e // 32 of hmask[e % 32].
    high = ((hmask[:, None, :] >> np.arange(8).reshape(1, 8, 1)) & 1).reshape(nb, 256)
    q = (low - 4 * (1 - high)).reshape(nb, 16, 16).astype(F32)
    dl = (d * scales.astype(F32))[:, :, None]
    return (dl * q).reshape(nb, 256)


def _deq_q4_K(b):
    nb = b.shape[0]
    d, dmin = _f16(b, 0), _f16(b, 2)
    scales, mins = _scale_min_k4(b[:, 4:16])
    lo, hi = _nibbles(b[:, 16:144].reshape(nb, 4, 32))
    q = np.stack([lo, hi], axis=2).reshape(nb, 8, 32).astype(F32)  # sub-block 2c: lo, 2c+1: hi
    dl = (d * scales.astype(F32))[:, :, None]
    ml = (dmin * mins.astype(F32))[:, :, None]
    return (dl * q - ml).reshape(nb, 256)


def _deq_q5_K(b):
    nb = b.shape[0]
    d, dmin = _f16(b, 0), _f16(b, 2)
    scales, mins = _scale_min_k4(b[:, 4:16])
    qh = b[:, 16:48].astype(np.int32)
    lo, hi = _nibbles(b[:, 48:176].reshape(nb, 4, 32))
    q = np.stack([lo, hi], axis=2).reshape(nb, 8, 32)
    q = q | (((qh[:, None, :] >> np.arange(8).reshape(1, 8, 1)) & 1) << 4)
    dl = (d * scales.astype(F32))[:, :, None]
    ml = (dmin * mins.astype(F32))[:, :, None]
    return (dl * q.astype(F32) - ml).reshape(nb, 256)


def _deq_q6_K(b):
    nb = b.shape[0]
    ql = b[:, 0:128].reshape(nb, 2, 2, 32).astype(np.int32)   # [half, low/high 32 bytes, l]
    qh = b[:, 128:192].reshape(nb, 2, 1, 32).astype(np.int32)
    sc = b[:, 192:208].view(np.int8).astype(F32)
    d = _f16(b, 208)
    # Quarters of a half: 0 = low nibbles of bytes 0..31, 1 = low of 32..63, 2/3 = high nibbles.
    low = np.concatenate([ql & 0xF, ql >> 4], axis=2)          # [nb, 2, 4, 32]
    top = (qh >> np.array([0, 2, 4, 6]).reshape(1, 1, 4, 1)) & 3
    q = ((low | (top << 4)) - 32).reshape(nb, 16, 16).astype(F32)
    return ((d * sc)[:, :, None] * q).reshape(nb, 256)


_DEQUANT = {
    "q4_0": _deq_q4_0, "q4_1": _deq_q4_1, "q5_0": _deq_q5_0, "q5_1": _deq_q5_1,
    "q8_0": _deq_q8_0, "q2_K": _deq_q2_K, "q3_K": _deq_q3_K, "q4_K": _deq_q4_K,
    "q5_K": _deq_q5_K, "q6_K": _deq_q6_K,
}


def dequantize(raw_bytes, ggml_type, n_elements):
    """raw_bytes: uint8 array (or bytes) holding n_elements of ggml_type -> float32 [n_elements]."""
    name = type_name(ggml_type)
    raw = np.frombuffer(bytes(raw_bytes), dtype=np.uint8) if not isinstance(raw_bytes, np.ndarray) \
        else raw_bytes.astype(np.uint8, copy=False).reshape(-1)
    need = row_size(name, n_elements)
    if raw.size < need:
        raise ValueError(f"{name}: {n_elements} elements need {need} bytes, found {raw.size}")
    raw = raw[:need]
    if name == "f32":
        return raw.copy().view("<f4").astype(F32)
    if name == "f16":
        return raw.copy().view("<f2").astype(F32)
    if name == "bf16":
        return (raw.copy().view("<u2").astype(np.uint32) << 16).view(F32)
    _, bs, ts = TYPES[name]
    with np.errstate(all="ignore"):
        return _DEQUANT[name](raw.reshape(-1, ts)).reshape(-1).astype(F32)


# ---------------------------------------------------------------- quantization

def _rint(v):
    """Round half to even, as ggml's nearest_int (valid below 2^22)."""
    return np.rint(v).astype(np.int64)


def _roundf(v):
    """C roundf: halves away from zero, computed exactly."""
    t = np.trunc(v)
    frac = v - t
    return (t + np.where(np.abs(frac) >= F32(0.5), np.sign(v), F32(0))).astype(np.int64)


def _signed_absmax(x):
    """Per row, the first value of largest magnitude (keeping its sign)."""
    idx = np.argmax(np.abs(x), axis=1)
    return x[np.arange(x.shape[0]), idx]


def _quant_q8_0(x):
    nb = x.size // 32
    x = x.reshape(nb, 32)
    amax = np.abs(x).max(axis=1)
    d = amax / F32(127)
    idv = np.where(d != 0, F32(1) / np.where(d != 0, d, F32(1)), F32(0)).astype(F32)
    q = _roundf(x * idv[:, None]).astype(np.int8)
    return np.concatenate([_f16_bits(d), q.view(np.uint8)], axis=1)


def _quant_q4_0(x):
    nb = x.size // 32
    x = x.reshape(nb, 32)
    d = _signed_absmax(x) / F32(-8)
    idv = np.where(d != 0, F32(1) / np.where(d != 0, d, F32(1)), F32(0)).astype(F32)
    q = np.minimum(15, np.trunc(x * idv[:, None] + F32(8.5)).astype(np.int64))
    qs = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
    return np.concatenate([_f16_bits(d), qs], axis=1)


def _seq_sum(terms):
    """Sum over the last axis left to right in float32 (ggml's loop order, unlike np.sum)."""
    acc = np.zeros(terms.shape[:-1], dtype=F32)
    for i in range(terms.shape[-1]):
        acc = acc + terms[..., i]
    return acc


def _make_qkx2_quants(x, w, nmax, rmin, rdelta, nstep, use_mad):
    """Rows of x (with weights w) -> (scale, the_min, L): x ~ scale * L - the_min, L in [0, nmax].
    Starts from the min/max fit, then tries iscale = (rmin + rdelta*is + nmax) / (max - min) for
    is = 0..nstep, each with its weighted least-squares (scale, min), keeping the lowest error."""
    n = x.shape[1]
    mn = x[:, 0].copy()
    mx = x[:, 0].copy()
    sum_w = w[:, 0].copy()
    sum_x = sum_w * x[:, 0]
    for i in range(1, n):
        mn = np.where(x[:, i] < mn, x[:, i], mn)
        mx = np.where(x[:, i] > mx, x[:, i], mx)
        sum_w = sum_w + w[:, i]
        sum_x = sum_x + w[:, i] * x[:, i]
    mn = np.where(mn > 0, F32(0), mn)
    flat = mx == mn
    span = np.where(flat, F32(1), mx - mn)
    iscale = F32(nmax) / span
    scale = F32(1) / iscale
    L = np.clip(_rint(iscale[:, None] * (x - mn[:, None])), 0, nmax)

    def error(sc, m, codes):
        diff = sc[:, None] * codes.astype(F32) + m[:, None] - x
        diff = np.abs(diff) if use_mad else diff * diff
        return _seq_sum(w * diff)

    best = error(scale, mn, L)
    for step in range(nstep + 1):
        # ggml keeps searching from the best min found so far, so the span moves with it.
        span = np.where(flat, F32(1), mx - mn)
        iscale = (F32(rmin) + F32(rdelta) * F32(step) + F32(nmax)) / span
        La = np.clip(_rint(iscale[:, None] * (x - mn[:, None])), 0, nmax)
        fl = La.astype(F32)
        sum_l = _seq_sum(w * fl)
        sum_l2 = _seq_sum(w * fl * fl)
        sum_xl = _seq_sum(w * fl * x)
        D = sum_w * sum_l2 - sum_l * sum_l
        ok = D > 0
        Ds = np.where(ok, D, F32(1))
        this_scale = (sum_w * sum_xl - sum_x * sum_l) / Ds
        this_min = (sum_l2 * sum_x - sum_l * sum_xl) / Ds
        pos = this_min > 0
        this_min = np.where(pos, F32(0), this_min)
        this_scale = np.where(pos, sum_xl / np.where(sum_l2 != 0, sum_l2, F32(1)), this_scale)
        cur = error(this_scale, this_min, La)
        take = ok & (cur < best) & ~flat
        L = np.where(take[:, None], La, L)
        best = np.where(take, cur, best)
        scale = np.where(take, this_scale, scale)
        mn = np.where(take, this_min, mn)
    L = np.where(flat[:, None], 0, L)
    scale = np.where(flat, F32(0), scale).astype(F32)
    return scale, (-mn).astype(F32), L


def _quant_q4_K(x):
    nb = x.size // 256
    xs = x.reshape(nb * 8, 32)
    av_x = np.sqrt(_seq_sum(xs * xs) / F32(32))
    w = av_x[:, None] + np.abs(xs)
    scales, mins, L = _make_qkx2_quants(xs, w, 15, -1.0, 0.1, 20, False)
    scales, mins, L = scales.reshape(nb, 8), mins.reshape(nb, 8), L.reshape(nb, 8, 32)
    # ggml: "if (v > best) best = v" from +0, so a -0.0 min never replaces the +0 start.
    max_scale = np.zeros(nb, dtype=F32)
    max_min = np.zeros(nb, dtype=F32)
    for j in range(8):
        max_scale = np.where(scales[:, j] > max_scale, scales[:, j], max_scale)
        max_min = np.where(mins[:, j] > max_min, mins[:, j], max_min)
    inv_s = np.where(max_scale > 0, F32(63) / np.where(max_scale > 0, max_scale, F32(1)), F32(0))
    inv_m = np.where(max_min > 0, F32(63) / np.where(max_min > 0, max_min, F32(1)), F32(0))
    ls = np.minimum(63, _rint(inv_s[:, None] * scales) & 0xFF)
    lm = np.minimum(63, _rint(inv_m[:, None] * mins) & 0xFF)
    packed = np.zeros((nb, 12), dtype=np.int64)
    packed[:, 0:4] = ls[:, :4] | ((ls[:, 4:] >> 4) << 6)
    packed[:, 4:8] = lm[:, :4] | ((lm[:, 4:] >> 4) << 6)
    packed[:, 8:12] = (ls[:, 4:] & 0xF) | ((lm[:, 4:] & 0xF) << 4)
    d_bits = _f16_bits(max_scale / F32(63))
    dmin_bits = _f16_bits(max_min / F32(63))
    d = d_bits.copy().view(np.float16).astype(F32)
    dmin = dmin_bits.copy().view(np.float16).astype(F32)
    dl = d * ls.astype(F32)              # [nb, 8]
    ml = dmin * lm.astype(F32)
    x3 = x.reshape(nb, 8, 32)
    with np.errstate(all="ignore"):
        requant = np.clip(_rint((x3 + ml[:, :, None]) / np.where(dl != 0, dl, F32(1))[:, :, None]), 0, 15)
    L = np.where((dl != 0)[:, :, None], requant, L)
    # Bytes c*32 + l: sub-block 2c in the low nibble, 2c+1 in the high nibble.
    qs = (L[:, 0::2, :] | (L[:, 1::2, :] << 4)).reshape(nb, 128)
    return np.concatenate([d_bits, dmin_bits, packed.astype(np.uint8), qs.astype(np.uint8)], axis=1)


def _make_qx_quants_rmse1(x, nmax):
    """Rows of 16 -> (scale, L in [0, 2*nmax)): signed codes with weights x^2, trying 19 scales
    -(nmax + 0.1*is) / max and keeping the best weighted least-squares fit."""
    mx = _signed_absmax(x)
    zero = np.abs(mx) < F32(1e-15)
    mxs = np.where(zero, F32(1), mx)
    w = x * x

    def codes(iscale):
        return np.clip(_rint(iscale[:, None] * x), -nmax, nmax - 1)

    def fit(lv):
        fl = lv.astype(F32)
        return _seq_sum(w * x * fl), _seq_sum(w * fl * fl)

    iscale = F32(-nmax) / mxs
    l0 = codes(iscale)
    sumlx, suml2 = fit(l0)
    L = l0 + nmax
    scale = np.where(suml2 != 0, sumlx / np.where(suml2 != 0, suml2, F32(1)), F32(0))
    best = scale * sumlx
    for step in range(-9, 10):
        if step == 0:
            continue
        iscale = -(F32(nmax) + F32(0.1) * F32(step)) / mxs
        lv = codes(iscale)
        sumlx, suml2 = fit(lv)
        take = (suml2 > 0) & (sumlx * sumlx > best * suml2)
        L = np.where(take[:, None], lv + nmax, L)
        scale = np.where(take, sumlx / np.where(suml2 > 0, suml2, F32(1)), scale)
        best = np.where(take, scale * sumlx, best)
    L = np.where(zero[:, None], 0, L)
    scale = np.where(zero, F32(0), scale)
    return scale.astype(F32), L


def _quant_q6_K(x):
    nb = x.size // 256
    scales, L = _make_qx_quants_rmse1(x.reshape(nb * 16, 16), 32)
    scales, L = scales.reshape(nb, 16), L.reshape(nb, 16, 16)
    max_scale = _signed_absmax(scales)
    empty = np.abs(max_scale) < F32(1e-15)
    iscale = F32(-128) / np.where(empty, F32(1), max_scale)
    d_bits = _f16_bits(F32(1) / iscale)
    sc = np.minimum(127, _rint(iscale[:, None] * scales)).astype(np.int8)
    d = d_bits.copy().view(np.float16).astype(F32)
    dl = d * sc.astype(F32)
    x3 = x.reshape(nb, 16, 16)
    with np.errstate(all="ignore"):
        requant = np.clip(_rint(x3 / np.where(dl != 0, dl, F32(1))[:, :, None]), -32, 31) + 32
    L = np.where((dl != 0)[:, :, None], requant, L).reshape(nb, 2, 4, 32)  # [half, quarter, l]
    low, top = L & 0xF, L >> 4
    ql = np.concatenate([low[:, :, 0] | (low[:, :, 2] << 4), low[:, :, 1] | (low[:, :, 3] << 4)], axis=2)
    qh = top[:, :, 0] | (top[:, :, 1] << 2) | (top[:, :, 2] << 4) | (top[:, :, 3] << 6)
    out = np.concatenate([ql.reshape(nb, 128).astype(np.uint8), qh.reshape(nb, 64).astype(np.uint8),
                          sc.view(np.uint8), d_bits], axis=1)
    out[empty] = 0
    return out


def _quant_bf16(x):
    u = x.view(np.uint32).astype(np.uint64)
    nan = (u & 0x7FFFFFFF) > 0x7F800000
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return np.where(nan, (u >> 16) | 64, rounded).astype("<u2").view(np.uint8)


_QUANT = {
    "f32": lambda x: x.astype("<f4").view(np.uint8),
    "f16": lambda x: x.astype("<f2").view(np.uint8),
    "bf16": _quant_bf16,
    "q8_0": _quant_q8_0,
    "q4_0": _quant_q4_0,
    "q4_K": _quant_q4_K,
    "q6_K": _quant_q6_K,
}


def quantize(x, ggml_type):
    """float32 values (a multiple of the block size) -> the bytes of ggml_type, as ggml's
    reference quantizers write them. Supports f32, f16, bf16, q8_0, q4_0, q4_K, q6_K."""
    name = type_name(ggml_type)
    if name not in _QUANT:
        raise ValueError(f"quantize: {name} is not implemented by the reference")
    x = np.ascontiguousarray(x, dtype=F32).reshape(-1)
    row_size(name, x.size)
    with np.errstate(all="ignore"):
        return np.ascontiguousarray(_QUANT[name](x)).reshape(-1).astype(np.uint8)


def main(argv):
    if len(argv) != 6 or argv[1] not in ("dequantize", "quantize"):
        print(__doc__, file=sys.stderr)
        return 2
    _, cmd, tname, n, src, dst = argv
    n = int(n)
    data = np.fromfile(src, dtype=np.uint8)
    if cmd == "dequantize":
        dequantize(data, tname, n).astype("<f4").tofile(dst)
    else:
        quantize(data.view("<f4")[:n], tname).tofile(dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
