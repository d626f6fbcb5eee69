"""GGUF reader and writer in Python + NumPy, independent of Anvil's C++ reader.

Used by the test-model generator and the PyTorch reference. Reads GGUF v2 and v3 (little-endian)
as llama.cpp writes them; writes v3 exactly as llama.cpp does (metadata, tensor table, data section
aligned to `general.alignment`, every tensor padded with zeros to the alignment). Format notes:
docs/GGUF.md.
"""

from __future__ import annotations

import dataclasses
import mmap
import os
import struct
from typing import Any, BinaryIO, Callable, Iterable, Optional, Union

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
DEFAULT_ALIGNMENT = 32

# Metadata value types (on-disk ids).
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)

_SCALAR_FMT = {
    UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i",
    FLOAT32: "<f", BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d",
}
_SCALAR_NP = {
    UINT8: np.uint8, INT8: np.int8, UINT16: np.uint16, INT16: np.int16, UINT32: np.uint32,
    INT32: np.int32, FLOAT32: np.float32, BOOL: np.bool_, UINT64: np.uint64, INT64: np.int64,
    FLOAT64: np.float64,
}
VALUE_TYPE_NAMES = {
    UINT8: "uint8", INT8: "int8", UINT16: "uint16", INT16: "int16", UINT32: "uint32",
    INT32: "int32", FLOAT32: "float32", BOOL: "bool", STRING: "string", ARRAY: "array",
    UINT64: "uint64", INT64: "int64", FLOAT64: "float64",
}

# ggml tensor types: id -> (name, elements per block, bytes per block), as ggml-common.h.
GGML_TYPES = {
    0: ("f32", 1, 4), 1: ("f16", 1, 2), 2: ("q4_0", 32, 18), 3: ("q4_1", 32, 20),
    6: ("q5_0", 32, 22), 7: ("q5_1", 32, 24), 8: ("q8_0", 32, 34), 9: ("q8_1", 32, 36),
    10: ("q2_K", 256, 84), 11: ("q3_K", 256, 110), 12: ("q4_K", 256, 144),
    13: ("q5_K", 256, 176), 14: ("q6_K", 256, 210), 15: ("q8_K", 256, 292),
    16: ("iq2_xxs", 256, 66), 17: ("iq2_xs", 256, 74), 18: ("iq3_xxs", 256, 98),
    19: ("iq1_s", 256, 50), 20: ("iq4_nl", 32, 18), 21: ("iq3_s", 256, 110),
    22: ("iq2_s", 256, 82), 23: ("iq4_xs", 256, 136), 24: ("i8", 1, 1), 25: ("i16", 1, 2),
    26: ("i32", 1, 4), 27: ("i64", 1, 8), 28: ("f64", 1, 8), 29: ("iq1_m", 256, 56),
    30: ("bf16", 1, 2), 34: ("tq1_0", 256, 54), 35: ("tq2_0", 256, 66),
}
F32, F16, BF16 = 0, 1, 30
GGML_TYPE_IDS = {name.lower(): tid for tid, (name, _, _) in GGML_TYPES.items()}

# Plain numeric tensor types that NumPy reads directly.
_PLAIN_NP = {0: np.float32, 1: np.float16, 24: np.int8, 25: np.int16, 26: np.int32,
             27: np.int64, 28: np.float64}


class GGUFError(ValueError):
    """A malformed or unsupported GGUF file."""


def ggml_type_name(tid: int) -> str:
    return GGML_TYPES[tid][0] if tid in GGML_TYPES else f"type#{tid}"


def ggml_nbytes(tid: int, ne: Iterable[int]) -> int:
    """Bytes of a tensor of type `tid` with dimensions `ne` (ne[0] innermost)."""
    _, block, size = GGML_TYPES[tid]
    ne = list(ne)
    if ne and ne[0] % block != 0:
        raise GGUFError(f"ne[0] = {ne[0]} is not a multiple of the {ggml_type_name(tid)} block size {block}")
    n = 1
    for d in ne:
        n *= d
    return n // block * size


def pad_to(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


@dataclasses.dataclass
class Value:
    """A metadata value with its on-disk type.

    Scalars: `value` is a Python int/float/bool. Strings: a str (decoded with surrogateescape so that
    invalid UTF-8 round-trips byte for byte). Arrays: `elem_type` is the element type and `value` is
    a NumPy array (numeric elements), a list of str (strings) or a list of Value (nested arrays).
    """

    type: int
    value: Any
    elem_type: Optional[int] = None

    def py(self) -> Any:
        """The plain Python/NumPy payload (nested arrays become lists of payloads)."""
        if self.type == ARRAY and self.elem_type == ARRAY:
            return [v.py() for v in self.value]
        return self.value

    def __len__(self) -> int:
        return len(self.value)


def u32(v: int) -> Value: return Value(UINT32, int(v))
def i32(v: int) -> Value: return Value(INT32, int(v))
def u64(v: int) -> Value: return Value(UINT64, int(v))
def f32(v: float) -> Value: return Value(FLOAT32, float(v))
def boolean(v: bool) -> Value: return Value(BOOL, bool(v))
def string(v: str) -> Value: return Value(STRING, str(v))


def array(elem_type: int, values: Any) -> Value:
    if elem_type == STRING:
        return Value(ARRAY, [str(s) for s in values], STRING)
    if elem_type == ARRAY:
        return Value(ARRAY, list(values), ARRAY)
    return Value(ARRAY, np.asarray(values, dtype=_SCALAR_NP[elem_type]), elem_type)


@dataclasses.dataclass
class TensorInfo:
    name: str
    ne: tuple          # ggml order: ne[0] innermost
    type: int          # ggml type id
    offset: int        # absolute file offset of the data
    nbytes: int

    @property
    def shape(self) -> tuple:
        """NumPy (row-major) shape: reversed ne."""
        return tuple(reversed(self.ne))

    @property
    def n_elements(self) -> int:
        n = 1
        for d in self.ne:
            n *= d
        return n


class GGUFReader:
    """Parses a GGUF file (memory-mapped). `kv` keeps the file's key order."""

    def __init__(self, path: Union[str, os.PathLike]):
        self.path = os.fspath(path)
        with open(self.path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self._buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self._size = size
        self._pos = 0
        self.kv: dict[str, Value] = {}
        self.tensors: list[TensorInfo] = []
        self._by_name: dict[str, TensorInfo] = {}
        self._parse()

    # -- low-level cursor -------------------------------------------------------------------
    def _need(self, n: int, what: str) -> None:
        if self._pos + n > self._size:
            raise GGUFError(f"truncated file: {what} needs {n} bytes at offset {self._pos}, "
                            f"file has {self._size}")

    def _scalar(self, vtype: int, what: str):
        fmt = _SCALAR_FMT[vtype]
        n = struct.calcsize(fmt)
        self._need(n, what)
        (v,) = struct.unpack_from(fmt, self._buf, self._pos)
        self._pos += n
        return v

    def _string(self, what: str) -> str:
        n = self._scalar(UINT64, what + " length")
        self._need(n, what)
        s = bytes(self._buf[self._pos:self._pos + n]).decode("utf-8", errors="surrogateescape")
        self._pos += n
        return s

    def _value(self, vtype: int, what: str, depth: int = 0) -> Value:
        if vtype == STRING:
            return Value(STRING, self._string(what))
        if vtype == ARRAY:
            if depth > 8:
                raise GGUFError(f"{what}: arrays nested deeper than 8 levels")
            etype = self._scalar(UINT32, what + " element type")
            count = self._scalar(UINT64, what + " element count")
            if etype in _SCALAR_FMT:
                dt = np.dtype(_SCALAR_NP[etype]).newbyteorder("<")
                self._need(count * dt.itemsize, what)
                arr = np.frombuffer(self._buf, dtype=dt, count=count, offset=self._pos).copy()
                self._pos += count * dt.itemsize
                return Value(ARRAY, arr.astype(arr.dtype.newbyteorder("=")), etype)
            if etype == STRING:
                return Value(ARRAY, [self._string(f"{what}[{i}]") for i in range(count)], STRING)
            if etype == ARRAY:
                return Value(ARRAY, [self._value(ARRAY, f"{what}[{i}]", depth + 1)
                                     for i in range(count)], ARRAY)
            raise GGUFError(f"{what}: unknown array element type {etype}")
        if vtype in _SCALAR_FMT:
            v = self._scalar(vtype, what)
            return Value(vtype, bool(v) if vtype == BOOL else v)
        raise GGUFError(f"{what}: unknown value type {vtype}")

    # -- parsing ----------------------------------------------------------------------------
    def _parse(self) -> None:
        self._need(4, "magic")
        magic = bytes(self._buf[0:4])
        if magic != GGUF_MAGIC:
            raise GGUFError(f"bad magic: expected 'GGUF', found {magic!r}")
        self._pos = 4
        self.version = self._scalar(UINT32, "version")
        if self.version not in (2, 3):
            raise GGUFError(f"unsupported GGUF version {self.version} (expected 2 or 3)")
        n_tensors = self._scalar(UINT64, "tensor count")
        n_kv = self._scalar(UINT64, "metadata count")
        for i in range(n_kv):
            key = self._string(f"metadata key #{i}")
            vtype = self._scalar(UINT32, f"type of {key}")
            if key in self.kv:
                raise GGUFError(f"duplicate metadata key {key!r}")
            self.kv[key] = self._value(vtype, key)
        align = self.kv.get("general.alignment")
        self.alignment = int(align.value) if align is not None else DEFAULT_ALIGNMENT
        if self.alignment <= 0 or self.alignment & (self.alignment - 1):
            raise GGUFError(f"general.alignment must be a power of two, found {self.alignment}")
        infos = []
        for i in range(n_tensors):
            name = self._string(f"tensor name #{i}")
            n_dims = self._scalar(UINT32, f"{name} n_dims")
            if n_dims > 4:
                raise GGUFError(f"tensor {name!r}: {n_dims} dimensions (at most 4)")
            ne = tuple(self._scalar(UINT64, f"{name} ne") for _ in range(n_dims))
            tid = self._scalar(UINT32, f"{name} type")
            off = self._scalar(UINT64, f"{name} offset")
            if tid not in GGML_TYPES:
                raise GGUFError(f"tensor {name!r}: unknown tensor type {tid}")
            if off % self.alignment:
                raise GGUFError(f"tensor {name!r}: offset {off} is not a multiple of the "
                                f"alignment {self.alignment}")
            infos.append((name, ne, tid, off))
        self.data_offset = pad_to(self._pos, self.alignment)
        for name, ne, tid, off in infos:
            nbytes = ggml_nbytes(tid, ne)
            start = self.data_offset + off
            if start + nbytes > self._size:
                raise GGUFError(f"tensor {name!r}: data [{start}, {start + nbytes}) is past the end "
                                f"of the file ({self._size} bytes)")
            if name in self._by_name:
                raise GGUFError(f"duplicate tensor name {name!r}")
            t = TensorInfo(name, ne, tid, start, nbytes)
            self.tensors.append(t)
            self._by_name[name] = t

    # -- access -----------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        v = self.kv.get(key)
        return default if v is None else v.py()

    def has_tensor(self, name: str) -> bool:
        return name in self._by_name

    def tensor_info(self, name: str) -> TensorInfo:
        if name not in self._by_name:
            raise KeyError(f"tensor {name!r} not in {self.path}")
        return self._by_name[name]

    def tensor_bytes(self, name: str) -> np.ndarray:
        """The raw bytes of a tensor as a read-only uint8 array (no copy)."""
        t = self.tensor_info(name)
        return np.frombuffer(self._buf, dtype=np.uint8, count=t.nbytes, offset=t.offset)

    def tensor(self, name: str, dtype=np.float32) -> np.ndarray:
        """The tensor as a NumPy array of shape reversed(ne), converted to `dtype`.

        F32/F16/BF16 and the integer/f64 types are read directly; quantized types are dequantized by
        quants.py (imported on first use).
        """
        t = self.tensor_info(name)
        raw = self.tensor_bytes(name)
        if t.type in _PLAIN_NP:
            arr = raw.view(np.dtype(_PLAIN_NP[t.type]).newbyteorder("<"))
        elif t.type == BF16:
            arr = bf16_to_f32(raw.view("<u2"))
        else:
            import quants  # noqa: PLC0415 (lazy: only quantized files need it)
            arr = quants.dequantize(raw, t.type, t.n_elements)
        return np.asarray(arr, dtype=dtype).reshape(t.shape)


# -- bf16 ---------------------------------------------------------------------------------------
def bf16_to_f32(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(x: np.ndarray) -> np.ndarray:
    """Round-to-nearest-even to bf16 bits (uint16), NaN kept quiet, as ggml_fp32_to_bf16."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    nan = (u & 0x7FFFFFFF) > 0x7F800000
    rounded = ((u.astype(np.uint64) + (0x7FFF + ((u >> 16) & 1))) >> 16).astype(np.uint16)
    return np.where(nan, ((u >> 16) | 64).astype(np.uint16), rounded)


def encode_tensor(x: np.ndarray, tid: int) -> bytes:
    """Float data -> bytes of ggml type F32, F16 or BF16."""
    if tid == F32:
        return np.ascontiguousarray(x, dtype="<f4").tobytes()
    if tid == F16:
        return np.ascontiguousarray(x, dtype="<f2").tobytes()
    if tid == BF16:
        return f32_to_bf16(x).astype("<u2").tobytes()
    raise GGUFError(f"encode_tensor: cannot encode {ggml_type_name(tid)} (write raw bytes instead)")


# -- writer -------------------------------------------------------------------------------------
TensorData = Union[np.ndarray, bytes, Callable[[], Union[np.ndarray, bytes, Iterable]]]


class GGUFWriter:
    """Collects metadata and tensors, then writes a GGUF v3 file in one pass.

    Tensor data may be a float array (encoded to the tensor's type F32/F16/BF16), raw bytes (any
    type, e.g. quantized blocks), or a callable returning either or an iterable of chunks (arrays or
    bytes, in order): callables run only while writing, one tensor at a time, so a multi-GB model
    never needs to sit in memory.
    """

    def __init__(self, alignment: int = DEFAULT_ALIGNMENT):
        self.kv: dict[str, Value] = {}
        self._tensors: list[tuple[str, tuple, int, TensorData]] = []
        self.alignment = alignment
        if alignment != DEFAULT_ALIGNMENT:
            self.kv["general.alignment"] = u32(alignment)

    def add(self, key: str, value: Value) -> None:
        if not isinstance(value, Value):
            raise TypeError(f"{key}: expected a gguf_io.Value, found {type(value).__name__}")
        self.kv[key] = value

    def add_tensor(self, name: str, ne: Iterable[int], tid: int, data: TensorData) -> None:
        """`ne` in ggml order (ne[0] innermost, i.e. reversed NumPy shape)."""
        if any(t[0] == name for t in self._tensors):
            raise GGUFError(f"duplicate tensor name {name!r}")
        self._tensors.append((name, tuple(int(d) for d in ne), tid, data))

    def add_array(self, name: str, x: np.ndarray, tid: int = F32) -> None:
        """A float array in NumPy shape; ne is its reversed shape."""
        self.add_tensor(name, tuple(reversed(x.shape)), tid, x)

    @staticmethod
    def _w_string(out: BinaryIO, s: str) -> None:
        b = s.encode("utf-8", errors="surrogateescape")
        out.write(struct.pack("<Q", len(b)))
        out.write(b)

    def _w_value(self, out: BinaryIO, v: Value, with_type: bool = True) -> None:
        if with_type:
            out.write(struct.pack("<I", v.type))
        if v.type == STRING:
            self._w_string(out, v.value)
        elif v.type == ARRAY:
            out.write(struct.pack("<IQ", v.elem_type, len(v.value)))
            if v.elem_type == STRING:
                for s in v.value:
                    self._w_string(out, s)
            elif v.elem_type == ARRAY:
                for e in v.value:
                    self._w_value(out, e, with_type=False)
            else:
                dt = np.dtype(_SCALAR_NP[v.elem_type]).newbyteorder("<")
                out.write(np.asarray(v.value).astype(dt).tobytes())
        else:
            out.write(struct.pack(_SCALAR_FMT[v.type], v.value))

    def write(self, path: Union[str, os.PathLike]) -> None:
        """Writes to a temporary file beside `path`, then renames it over `path`."""
        tmp = os.fspath(path) + ".tmp"
        with open(tmp, "wb") as out:
            self.write_to(out)
        os.replace(tmp, path)

    def write_to(self, out: BinaryIO) -> None:
        out.write(GGUF_MAGIC)
        out.write(struct.pack("<IQQ", GGUF_VERSION, len(self._tensors), len(self.kv)))
        for key, v in self.kv.items():
            self._w_string(out, key)
            self._w_value(out, v)
        offset = 0
        sizes = []
        for name, ne, tid, _ in self._tensors:
            nbytes = ggml_nbytes(tid, ne)
            self._w_string(out, name)
            out.write(struct.pack("<I", len(ne)))
            out.write(struct.pack(f"<{len(ne)}Q", *ne))
            out.write(struct.pack("<IQ", tid, offset))
            sizes.append(nbytes)
            offset += pad_to(nbytes, self.alignment)
        if not self._tensors:
            return  # vocabulary-only files (gguf-py, --vocab-only) end right after the metadata
        out.write(b"\0" * (pad_to(out.tell(), self.alignment) - out.tell()))
        for (name, ne, tid, data), nbytes in zip(self._tensors, sizes):
            if callable(data):
                data = data()
            written = 0
            chunks = [data] if isinstance(data, (bytes, bytearray, memoryview, np.ndarray)) else data
            for chunk in chunks:
                b = chunk if isinstance(chunk, (bytes, bytearray, memoryview)) else encode_tensor(chunk, tid)
                out.write(b)
                written += len(b)
            if written != nbytes:
                raise GGUFError(f"tensor {name!r}: {written} bytes of data, expected {nbytes} "
                                f"for {ggml_type_name(tid)} {list(ne)}")
            out.write(b"\0" * (pad_to(nbytes, self.alignment) - nbytes))
