"""HyperLogLog values in Redis 7.0's representation (Redis: hyperloglog.c), written anew in Python.

An HLL is an ordinary string value (a ``bytearray`` once we modify it), so GET, DUMP / RESTORE, RDB,
AOF and replication carry it byte for byte as redis-server does::

    "HYLL" | encoding (0 dense, 1 sparse) | 3 zero bytes | cached cardinality (8 bytes, little endian;
    its top bit set = stale) | registers

* dense: 16384 registers of 6 bits, packed from the least significant bit of each byte on
  (12288 bytes);
* sparse: run-length opcodes -- ``00xxxxxx`` ZERO (1..64 zero registers), ``01xxxxxx yyyyyyyy``
  XZERO (1..16384 zero registers), ``1vvvvvxx`` VAL (1..4 registers of value 1..32).

Elements are hashed with MurmurHash64A (seed 0xadc83b19); the low 14 bits pick the register, the
position of the first set bit of the rest is the count.  The estimate is Ertl's improved estimator
(``hllTau`` / ``hllSigma``) computed with the same double arithmetic as Redis, so PFCOUNT answers
the very same number.
"""

from __future__ import annotations

import math
from bisect import bisect_right
import struct

HLL_P = 14
HLL_Q = 64 - HLL_P
HLL_REGISTERS = 1 << HLL_P
HLL_P_MASK = HLL_REGISTERS - 1
HLL_BITS = 6
HLL_REGISTER_MAX = (1 << HLL_BITS) - 1
HLL_HDR_SIZE = 16
HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) // 8
HLL_DENSE = 0
HLL_SPARSE = 1
HLL_MAX_ENCODING = 1
SPARSE_VAL_MAX_VALUE = 32
SPARSE_VAL_MAX_LEN = 4
SPARSE_ZERO_MAX_LEN = 64
SPARSE_XZERO_MAX_LEN = 16384
HLL_ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2)

INVALID_HLL_ERR = "INVALIDOBJ Corrupted HLL object detected"
NOT_HLL_ERR = "WRONGTYPE Key is not a valid HyperLogLog string value."

_M64 = 0xFFFFFFFFFFFFFFFF
_MUL = 0xC6A4A7935BD1E995
_SEED = 0xADC83B19


class Corrupted(Exception):
    """The sparse representation does not describe exactly 16384 registers."""


def murmur64a(data: bytes, seed: int = _SEED) -> int:
    """MurmurHash64A, little-endian words (Redis's endian-neutral variant)."""
    n = len(data)
    h = (seed ^ (n * _MUL)) & _M64
    nblocks = n >> 3
    if nblocks:
        for k in struct.unpack_from("<%dQ" % nblocks, data):
            k = (k * _MUL) & _M64
            k ^= k >> 47
            k = (k * _MUL) & _M64
            h ^= k
            h = (h * _MUL) & _M64
    rest = n & 7
    if rest:
        tail = data[nblocks * 8:]
        h ^= int.from_bytes(tail, "little")
        h = (h * _MUL) & _M64
    h ^= h >> 47
    h = (h * _MUL) & _M64
    h ^= h >> 47
    return h


def pat_len(element: bytes):
    """hllPatLen: (register index, count) for an element."""
    h = murmur64a(element)
    index = h & HLL_P_MASK
    h = (h >> HLL_P) | (1 << HLL_Q)
    return index, ((h & -h).bit_length())  # 1 + the number of trailing zero bits


# -- creation and validation ----------------------------------------------------------------------

def new_sparse() -> bytearray:
    """createHLLObject: a sparse HLL of 16384 zero registers (one XZERO opcode)."""
    s = bytearray(b"HYLL") + bytearray(12)
    s[4] = HLL_SPARSE
    aux = HLL_REGISTERS
    while aux:
        n = min(aux, SPARSE_XZERO_MAX_LEN)
        s.append(((n - 1) >> 8) | 0x40)
        s.append((n - 1) & 0xFF)
        aux -= n
    return s


def is_hll(v) -> bool:
    """The checks of isHLLObjectOrReply after the type check."""
    if len(v) < HLL_HDR_SIZE or v[:4] != b"HYLL":
        return False
    enc = v[4]
    if enc > HLL_MAX_ENCODING:
        return False
    if enc == HLL_DENSE and len(v) != HLL_DENSE_SIZE:
        return False
    return True


def invalidate_cache(v: bytearray) -> None:
    v[15] |= 0x80


def cache_valid(v) -> bool:
    return not v[15] & 0x80


# -- dense registers --------------------------------------------------------------------------------

def dense_get(v, base: int, reg: int) -> int:
    bit = reg * HLL_BITS
    b = base + (bit >> 3)
    fb = bit & 7
    b1 = v[b + 1] if b + 1 < len(v) else 0  # (the sds terminator in Redis)
    return ((v[b] >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX


def dense_set(v, base: int, reg: int, val: int) -> None:
    bit = reg * HLL_BITS
    b = base + (bit >> 3)
    fb = bit & 7
    v[b] = (v[b] & ~(HLL_REGISTER_MAX << fb) & 0xFF) | ((val << fb) & 0xFF)
    if b + 1 < len(v):
        fb8 = 8 - fb
        v[b + 1] = (v[b + 1] & ~(HLL_REGISTER_MAX >> fb8) & 0xFF) | (val >> fb8)


_LOW6 = bytes(b & 63 for b in range(256))
_HIGH2 = bytes(b >> 6 for b in range(256))
_LOW4_SHL2 = bytes((b & 15) << 2 for b in range(256))
_HIGH4 = bytes(b >> 4 for b in range(256))
_LOW2_SHL4 = bytes((b & 3) << 4 for b in range(256))
_HIGH6 = bytes(b >> 2 for b in range(256))


def _or(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(len(a), "little")


def dense_registers(v, base: int = HLL_HDR_SIZE) -> bytes:
    """All 16384 register values of a dense HLL, one byte each (4 registers in every 3 bytes)."""
    data = bytes(v[base:base + HLL_REGISTERS * HLL_BITS // 8])
    b0, b1, b2 = data[0::3], data[1::3], data[2::3]
    out = bytearray(HLL_REGISTERS)
    out[0::4] = b0.translate(_LOW6)
    out[1::4] = _or(b0.translate(_HIGH2), b1.translate(_LOW4_SHL2))
    out[2::4] = _or(b1.translate(_HIGH4), b2.translate(_LOW2_SHL4))
    out[3::4] = b2.translate(_HIGH6)
    return bytes(out)


_H80 = int.from_bytes(b"\x80" * HLL_REGISTERS, "little")
_HFF = int.from_bytes(b"\xff" * HLL_REGISTERS, "little")


def max_registers(a: bytes, b: bytes) -> bytes:
    """Register-wise maximum of two 16384-byte register arrays (values below 128), computed on
    whole big integers: a lane's bit 7 of (a | 0x80) - b says a >= b."""
    x = int.from_bytes(a, "little")
    y = int.from_bytes(b, "little")
    ge = (((x | _H80) - y) & _H80) >> 7
    sel = (ge << 8) - ge
    return ((x & sel) | (y & ~sel & _HFF)).to_bytes(HLL_REGISTERS, "little")


def dense_set_if_greater(v, reg: int, count: int) -> int:
    """hllDenseSet: 1 if the register grew."""
    if count > dense_get(v, HLL_HDR_SIZE, reg):
        dense_set(v, HLL_HDR_SIZE, reg, count)
        return 1
    return 0


# -- sparse representation -------------------------------------------------------------------------

def sparse_runs(v):
    """Yield (runlen, value) for each opcode of a sparse HLL."""
    p, end = HLL_HDR_SIZE, len(v)
    while p < end:
        op = v[p]
        if op & 0x80:
            yield (op & 3) + 1, ((op >> 2) & 0x1F) + 1
            p += 1
        elif op & 0x40:
            yield (((op & 0x3F) << 8) | (v[p + 1] if p + 1 < end else 0)) + 1, 0
            p += 2
        else:
            yield (op & 0x3F) + 1, 0
            p += 1


def sparse_to_dense(v: bytearray) -> None:
    """hllSparseToDense, in place (no-op on a dense HLL); Corrupted if the runs do not cover 16384
    registers."""
    if v[4] == HLL_DENSE:
        return
    regs = bytearray(HLL_DENSE_SIZE - HLL_HDR_SIZE)
    idx = 0
    for runlen, val in sparse_runs(v):
        if val:
            if runlen + idx > HLL_REGISTERS:
                break
            for _ in range(runlen):
                dense_set(regs, 0, idx, val)
                idx += 1
        else:
            idx += runlen
    if idx != HLL_REGISTERS:
        raise Corrupted()
    hdr = bytearray(v[:HLL_HDR_SIZE])
    hdr[4] = HLL_DENSE  # (magic, reserved bytes and cached cardinality are kept)
    v[:] = hdr + regs


def _val(val: int, length: int) -> int:
    return ((val - 1) << 2 | (length - 1)) | 0x80


def _zeros(length: int) -> bytes:
    if length > SPARSE_ZERO_MAX_LEN:
        return bytes((((length - 1) >> 8) | 0x40, (length - 1) & 0xFF))
    return bytes((length - 1,))


def sparse_set(v: bytearray, index: int, count: int, max_bytes: int) -> int:
    """hllSparseSet: 1 if the register changed, 0 if not; promotes to dense when the value does not
    fit a VAL opcode or the string would outgrow ``max_bytes`` (hll-sparse-max-bytes).  Raises
    Corrupted."""
    if count > SPARSE_VAL_MAX_VALUE:
        return _promote(v, index, count)
    end = len(v)
    p = HLL_HDR_SIZE
    first = 0
    prev = -1
    span = 0
    while p < end:
        op = v[p]
        oplen = 1
        if op & 0xC0 == 0:
            span = (op & 0x3F) + 1
        elif op & 0x80:
            span = (op & 3) + 1
        else:
            span = (((op & 0x3F) << 8) | (v[p + 1] if p + 1 < end else 0)) + 1
            oplen = 2
        if index <= first + span - 1:
            break
        prev = p
        p += oplen
        first += span
    if span == 0 or p >= end:
        raise Corrupted()
    op = v[p]
    is_xzero = op & 0xC0 == 0x40
    is_val = bool(op & 0x80)
    is_zero = not is_val and not is_xzero
    if is_zero:
        runlen = (op & 0x3F) + 1
    elif is_xzero:
        runlen = (((op & 0x3F) << 8) | (v[p + 1] if p + 1 < end else 0)) + 1
    else:
        runlen = (op & 3) + 1

    done = False
    if is_val:
        old = ((op >> 2) & 0x1F) + 1
        if old >= count:
            return 0
        if runlen == 1:
            v[p] = _val(count, 1)
            done = True
    if not done and is_zero and runlen == 1:
        v[p] = _val(count, 1)
        done = True
    if not done:
        last = first + span - 1
        seq = bytearray()
        if is_val:
            cur = ((op >> 2) & 0x1F) + 1
            if index != first:
                seq.append(_val(cur, index - first))
            seq.append(_val(count, 1))
            if index != last:
                seq.append(_val(cur, last - index))
        else:
            if index != first:
                seq += _zeros(index - first)
            seq.append(_val(count, 1))
            if index != last:
                seq += _zeros(last - index)
        oldlen = 2 if is_xzero else 1
        delta = len(seq) - oldlen
        if delta > 0 and len(v) + delta > max_bytes:
            return _promote(v, index, count)
        v[p:p + oldlen] = seq
    # merge adjacent VAL opcodes of the same value, scanning up to 5 opcodes from the previous one
    p = prev if prev >= 0 else HLL_HDR_SIZE
    end = len(v)
    scan = 5
    while p < end and scan:
        scan -= 1
        op = v[p]
        if op & 0xC0 == 0x40:
            p += 2
            continue
        if op & 0xC0 == 0:
            p += 1
            continue
        if p + 1 < end and v[p + 1] & 0x80:
            op2 = v[p + 1]
            v1 = ((op >> 2) & 0x1F) + 1
            if v1 == ((op2 >> 2) & 0x1F) + 1:
                length = (op & 3) + (op2 & 3) + 2
                if length <= SPARSE_VAL_MAX_LEN:
                    del v[p]
                    v[p] = _val(v1, length)
                    end -= 1
                    continue
        p += 1
    invalidate_cache(v)
    return 1


def _promote(v: bytearray, index: int, count: int) -> int:
    sparse_to_dense(v)
    dense_set_if_greater(v, index, count)
    return 1


def add(v: bytearray, element: bytes, max_bytes: int) -> int:
    """hllAdd: 1 if a register changed."""
    index, count = pat_len(element)
    enc = v[4]
    if enc == HLL_DENSE:
        return dense_set_if_greater(v, index, count)
    if enc == HLL_SPARSE:
        return sparse_set(v, index, count, max_bytes)
    raise Corrupted()


# -- merging and counting --------------------------------------------------------------------------

def registers(v) -> bytes:
    """The 16384 register values of a dense or sparse HLL, one byte each (Corrupted if sparse runs
    do not cover them exactly)."""
    if v[4] == HLL_DENSE:
        return dense_registers(v)
    out = bytearray()
    for runlen, val in sparse_runs(v):
        if val and runlen + len(out) > HLL_REGISTERS:
            break
        out += bytes((val,)) * runlen
    if len(out) != HLL_REGISTERS:
        raise Corrupted()
    return bytes(out)


def merge_into(maxregs: bytes, v) -> bytes:
    """hllMerge: the register-wise maximum of ``maxregs`` and the registers of ``v``."""
    return max_registers(maxregs, registers(v))


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        zp = z
        z += x * y
        y += y
        if zp == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        zp = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if zp == z:
            return z / 3


def count_histogram(histo: list) -> int:
    """hllCount from the histogram of register values."""
    m = float(HLL_REGISTERS)
    z = m * _tau((m - histo[HLL_Q + 1]) / m)
    for j in range(HLL_Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    e = HLL_ALPHA_INF * m * m / z
    if e == math.inf:
        return 0  # (not reachable with 16384 registers)
    f = math.floor(e)
    return int(f + 1 if e - f >= 0.5 else f)  # llroundl


def histogram(regs) -> list:
    """How many registers hold each value 0..63."""
    b = bytes(regs)
    return [b.count(i) for i in range(64)]


def count(v) -> int:
    """The estimate of a dense or sparse HLL (Corrupted for a sparse one whose runs are wrong)."""
    if v[4] == HLL_DENSE:
        return count_histogram(histogram(dense_registers(v)))
    h = [0] * 64
    idx = 0
    for runlen, val in sparse_runs(v):
        idx += runlen
        h[val] += runlen
    if idx != HLL_REGISTERS:
        raise Corrupted()
    return count_histogram(h)


def set_cache(v: bytearray, card: int) -> None:
    v[8:16] = card.to_bytes(8, "little")


def get_cache(v) -> int:
    return int.from_bytes(bytes(v[8:16]), "little")


def decode_sparse(v) -> bytes:
    """PFDEBUG DECODE: "z:<n>", "Z:<n>", "v:<value>,<n>" per opcode."""
    parts = []
    p, end = HLL_HDR_SIZE, len(v)
    while p < end:
        op = v[p]
        if op & 0x80:
            parts.append(b"v:%d,%d" % (((op >> 2) & 0x1F) + 1, (op & 3) + 1))
            p += 1
        elif op & 0x40:
            parts.append(b"Z:%d" % ((((op & 0x3F) << 8) | (v[p + 1] if p + 1 < end else 0)) + 1))
            p += 2
        else:
            parts.append(b"z:%d" % ((op & 0x3F) + 1))
            p += 1
    return b" ".join(parts)


# -- many updates of a sparse HLL at once ---------------------------------------------------------

_ZERO, _XZERO, _VAL = 0, 1, 2


class SparseEditor:
    """The opcodes of a well-formed sparse HLL as lists (kind, value, run length, first register),
    for applying many updates (a PFADD of many elements, PFMERGE into a sparse HLL) without
    rescanning the string each time: the register an opcode starts at never changes when opcodes
    are split or merged, so the opcode covering a register is found by bisection.  Each update
    gives exactly the bytes :func:`sparse_set` gives (same splits, same merges, same promotion)."""

    def __init__(self, v):
        kinds, vals, runs, starts = [], [], [], []
        p, end = HLL_HDR_SIZE, len(v)
        first = 0
        size = HLL_HDR_SIZE
        while p < end:
            op = v[p]
            if op & 0x80:
                k, val, run = _VAL, ((op >> 2) & 0x1F) + 1, (op & 3) + 1
                p += 1
                size += 1
            elif op & 0x40:
                if p + 1 >= end:
                    raise ValueError("truncated")
                k, val, run = _XZERO, 0, (((op & 0x3F) << 8) | v[p + 1]) + 1
                p += 2
                size += 2
            else:
                k, val, run = _ZERO, 0, (op & 0x3F) + 1
                p += 1
                size += 1
            kinds.append(k)
            vals.append(val)
            runs.append(run)
            starts.append(first)
            first += run
        if first != HLL_REGISTERS:
            raise ValueError("not 16384 registers")
        self.kinds, self.vals, self.runs, self.starts = kinds, vals, runs, starts
        self.size = size
        self.changed = False

    def _zeros(self, length: int):
        return (_XZERO if length > SPARSE_ZERO_MAX_LEN else _ZERO, 0, length)

    def set(self, index: int, count: int, max_bytes: int):
        """sparse_set on the opcodes: 1 if changed, 0 if not, None if the HLL must be promoted."""
        if count > SPARSE_VAL_MAX_VALUE:
            return None
        kinds, vals, runs, starts = self.kinds, self.vals, self.runs, self.starts
        i = bisect_right(starts, index) - 1
        k, run, first = kinds[i], runs[i], starts[i]
        if k == _VAL:
            cur = vals[i]
            if cur >= count:
                return 0
        if (k == _VAL or k == _ZERO) and run == 1:
            kinds[i], vals[i] = _VAL, count
        else:
            last = first + run - 1
            seq = []
            if k == _VAL:
                if index != first:
                    seq.append((_VAL, cur, index - first))
                seq.append((_VAL, count, 1))
                if index != last:
                    seq.append((_VAL, cur, last - index))
            else:
                if index != first:
                    seq.append(self._zeros(index - first))
                seq.append((_VAL, count, 1))
                if index != last:
                    seq.append(self._zeros(last - index))
            seqlen = sum(2 if s[0] == _XZERO else 1 for s in seq)
            delta = seqlen - (2 if k == _XZERO else 1)
            if delta > 0 and self.size + delta > max_bytes:
                return None
            self.size += delta
            new_starts = []
            at = first
            for s in seq:
                new_starts.append(at)
                at += s[2]
            kinds[i:i + 1] = [s[0] for s in seq]
            vals[i:i + 1] = [s[1] for s in seq]
            runs[i:i + 1] = [s[2] for s in seq]
            starts[i:i + 1] = new_starts
        # merge adjacent VALs of the same value, up to 5 opcodes from the previous one
        j = i - 1 if i > 0 else 0
        n = len(kinds)
        scan = 5
        while j < n and scan:
            scan -= 1
            if kinds[j] != _VAL:
                j += 1
                continue
            if j + 1 < n and kinds[j + 1] == _VAL and vals[j] == vals[j + 1]:
                length = runs[j] + runs[j + 1]
                if length <= SPARSE_VAL_MAX_LEN:
                    runs[j + 1] = length
                    starts[j + 1] = starts[j]
                    del kinds[j], vals[j], runs[j], starts[j]
                    self.size -= 1
                    n -= 1
                    continue
            j += 1
        self.changed = True
        return 1

    def opcodes(self) -> bytes:
        out = bytearray()
        for k, val, run in zip(self.kinds, self.vals, self.runs):
            if k == _VAL:
                out.append(((val - 1) << 2 | (run - 1)) | 0x80)
            elif k == _XZERO:
                out.append(((run - 1) >> 8) | 0x40)
                out.append((run - 1) & 0xFF)
            else:
                out.append(run - 1)
        return bytes(out)

    def write_back(self, v: bytearray) -> None:
        v[HLL_HDR_SIZE:] = self.opcodes()


def set_many(v: bytearray, pairs, max_bytes: int, bulk: bool = True) -> int:
    """hllSparseSet / hllDenseSet of each (register, count) in turn, as the HLL's encoding is at that
    moment: the number of updates that changed a register.  Raises Corrupted as sparse_set does."""
    changed = 0
    it = iter(pairs)
    if bulk and v[4] == HLL_SPARSE:
        try:
            ed = SparseEditor(v)
        except ValueError:
            ed = None  # a malformed sparse HLL: the byte-level path reports it as Redis does
        if ed is not None:
            for index, count in it:
                r = ed.set(index, count, max_bytes)
                if r is None:  # promote: write back what we have, then go on densely
                    ed.write_back(v)
                    if ed.changed:
                        invalidate_cache(v)
                    changed += _promote(v, index, count)
                    break
                changed += r
            else:
                if ed.changed:
                    ed.write_back(v)
                    invalidate_cache(v)
                return changed
    for index, count in it:
        enc = v[4]
        if enc == HLL_DENSE:
            changed += dense_set_if_greater(v, index, count)
        elif enc == HLL_SPARSE:
            changed += sparse_set(v, index, count, max_bytes)
        else:
            raise Corrupted()
    return changed


def add_many(v: bytearray, elements, max_bytes: int) -> int:
    """hllAdd of each element in turn: the number of elements that changed a register."""
    return set_many(v, [pat_len(e) for e in elements], max_bytes, bulk=len(elements) > 8)
