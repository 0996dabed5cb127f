"""Integrity checks of the encoded blobs an RDB value or a DUMP payload carries, ported from Redis 7.0:
``lpValidateIntegrity`` / ``lpValidateNext`` (listpack.c), ``ziplistValidateIntegrity`` /
``zipEntrySafe`` (ziplist.c), ``zipmapValidateIntegrity`` (zipmap.c), ``intsetValidateIntegrity``
(intset.c) and ``streamValidateListpackIntegrity`` (t_stream.c).

Each returns True or False as its C counterpart does.  ``deep=False`` checks the header only (what
``sanitize-dump-payload no`` buys in Redis); ``deep=True`` walks every entry, so that the decoders of
rdb.py never read past a blob.  ``entries`` of a listpack or ziplist yields the offset of each entry of a
blob that passed the deep check.
"""

from __future__ import annotations

LP_HDR_SIZE = 6
LP_EOF = 0xFF
LP_HDR_NUMELE_UNKNOWN = 0xFFFF
ZIPLIST_HEADER_SIZE = 10
ZIP_END = 0xFF
ZIP_BIG_PREVLEN = 254
ZIPMAP_BIGLEN = 254
ZIPMAP_END = 255
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


# -- listpack --------------------------------------------------------------------------------------------


class Tally:
    """A count its owner reads (the node: INFO stats dump_payload_sanitizations).  The loaders add one
    per object they validate deeply (each listpack, intset, quicklist node, stream node: Redis's
    ``stat_dump_payload_sanitizations++`` next to each deep check) without knowing whose count it is."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


def lp_encoded_size_bytes(b: int) -> int:
    """lpCurrentEncodedSizeBytes: bytes of the encoding and length of an entry (0: invalid encoding)."""
    if b < 0xF0:
        return 2 if b & 0xF0 == 0xE0 else 1  # 7-bit uint, 6-bit str, 13-bit int / 12-bit str
    if b == 0xF0:
        return 5
    if b <= 0xF4 or b == LP_EOF:
        return 1
    return 0


def lp_encoded_size(lp, p: int) -> int:
    """lpCurrentEncodedSizeUnsafe: encoding + length + data bytes of the entry at ``p``."""
    b = lp[p]
    if b < 0x80:
        return 1
    if b < 0xC0:
        return 1 + (b & 0x3F)
    if b < 0xE0:
        return 2
    if b < 0xF0:
        return 2 + (((b & 0x0F) << 8) | lp[p + 1])
    if b == 0xF0:
        return 5 + int.from_bytes(lp[p + 1:p + 5], "little")
    return (0, 3, 4, 5, 9)[b - 0xF0] if b <= 0xF4 else 1 if b == LP_EOF else 0


def lp_backlen_size(n: int) -> int:
    """lpEncodeBacklen(NULL, n)."""
    return 1 if n <= 127 else 2 if n < 16383 else 3 if n < 2097151 else 4 if n < 268435455 else 5


def lp_decode_backlen(lp, p: int) -> int:
    """lpDecodeBacklen: the back length whose last byte is at ``p`` (-1 if longer than 5 bytes)."""
    val = shift = 0
    while True:
        b = lp[p]
        val |= (b & 127) << shift
        if not b & 128:
            return val
        shift += 7
        p -= 1
        if shift > 28 or p < 0:
            return -1


def lp_validate_next(lp, p, size: int):
    """lpValidateNext: (ok, offset of the next entry or None after the last)."""
    if p is None or p < LP_HDR_SIZE or p > size - 1:
        return False, p
    if lp[p] == LP_EOF:
        return True, None
    lenbytes = lp_encoded_size_bytes(lp[p])
    if not lenbytes or p + lenbytes > size - 1:
        return False, p
    entrylen = lp_encoded_size(lp, p)
    backlen = lp_backlen_size(entrylen)
    entrylen += backlen
    if p + entrylen > size - 1:
        return False, p
    p += entrylen
    if lp_decode_backlen(lp, p - 1) + backlen != entrylen:
        return False, p
    return True, p


def lp_validate(lp, deep: bool) -> bool:
    """lpValidateIntegrity (without an entry callback)."""
    size = len(lp)
    if size < LP_HDR_SIZE + 1:
        return False
    if int.from_bytes(lp[0:4], "little") != size:
        return False
    if lp[size - 1] != LP_EOF:
        return False
    if not deep:
        return True
    count = 0
    numele = lp[4] | (lp[5] << 8)
    p = LP_HDR_SIZE
    while p is not None and lp[p] != LP_EOF:
        ok, p = lp_validate_next(lp, p, size)
        if not ok:
            return False
        count += 1
    if p != size - 1:
        return False
    return numele == LP_HDR_NUMELE_UNKNOWN or numele == count


def lp_entries(lp):
    """Offsets of the entries of a listpack that passed ``lp_validate(lp, True)``."""
    p = LP_HDR_SIZE
    while lp[p] != LP_EOF:
        yield p
        n = lp_encoded_size(lp, p)
        p += n + lp_backlen_size(n)


def string2ll(s: bytes):
    """string2ll (util.c): the int64 a string spells exactly, or None."""
    n = len(s)
    if n == 0 or n > 20:
        return None
    if n == 1 and s == b"0":
        return 0
    neg = s[0] == 0x2D
    digits = s[1:] if neg else s
    if not digits or not digits.isdigit() or not digits.isascii() or digits[0] == 0x30:
        return None
    v = -int(digits) if neg else int(digits)
    return v if INT64_MIN <= v <= INT64_MAX else None


def lp_get(lp, p: int):
    """lpGet on a validated entry: an int, or the bytes of a string."""
    b = lp[p]
    if b < 0x80:
        return b
    if b < 0xC0:
        return bytes(lp[p + 1:p + 1 + (b & 0x3F)])
    if b < 0xE0:
        u = ((b & 0x1F) << 8) | lp[p + 1]
        return u - 8192 if u >= 4096 else u
    if b < 0xF0:
        ln = ((b & 0x0F) << 8) | lp[p + 1]
        return bytes(lp[p + 2:p + 2 + ln])
    if b == 0xF0:
        ln = int.from_bytes(lp[p + 1:p + 5], "little")
        return bytes(lp[p + 5:p + 5 + ln])
    width = (0, 2, 3, 4, 8)[b - 0xF0]
    return int.from_bytes(lp[p + 1:p + 1 + width], "little", signed=True)


def lp_get_int_if_valid(lp, p: int):
    """lpGetIntegerIfValid: the integer of an entry, or None."""
    v = lp_get(lp, p)
    return string2ll(v) if type(v) is bytes else v


def stream_lp_validate(lp, deep: bool) -> bool:
    """streamValidateListpackIntegrity: the header of a stream node's listpack, and with ``deep`` every
    entry: master entry, then for each entry flags, id, fields, values and a matching lp-count."""
    if not lp_validate(lp, False):
        return False
    if not deep:
        return True
    size = len(lp)
    p = nxt = LP_HDR_SIZE
    ok, nxt = lp_validate_next(lp, nxt, size)
    if not ok or p is None:
        return False

    def read():
        return lp_get_int_if_valid(lp, p)

    def step():
        nonlocal p, nxt
        p = nxt
        ok, nxt = lp_validate_next(lp, nxt, size)
        return ok

    if lp[p] == LP_EOF:
        return False
    entry_count = read()
    if entry_count is None or not step() or p is None:
        return False
    deleted = read()
    if deleted is None or not step() or p is None:
        return False
    master_fields = read()
    if master_fields is None or not step():
        return False
    for _ in range(max(master_fields, 0)):
        if not step():
            return False
    if p is None:
        return False
    zero = read()
    if zero != 0 or not step():
        return False
    entry_count += deleted
    while entry_count > 0:
        entry_count -= 1
        if p is None:
            return False
        fields, extra = master_fields, 3
        flags = read()
        if flags is None or not step() or p is None:
            return False
        if read() is None or not step() or p is None:  # entry id: ms delta
            return False
        if read() is None or not step():  # seq delta
            return False
        if not flags & 2:  # STREAM_ITEM_FLAG_SAMEFIELDS
            if p is None:
                return False
            fields = read()
            if fields is None or not step():
                return False
            for _ in range(max(fields, 0)):
                if not step():
                    return False
            extra += fields + 1
        for _ in range(max(fields, 0)):
            if not step():
                return False
        if p is None:
            return False
        lp_count = read()
        if lp_count is None or lp_count != fields + extra or not step():
            return False
    return nxt is None


# -- ziplist ---------------------------------------------------------------------------------------------


def _zip_entry(zl, size: int, p: int, validate_prevlen: bool):
    """zipEntrySafe: (prevrawlen, headersize, len) of the entry at ``p``, or None."""
    first, last = ZIPLIST_HEADER_SIZE, size - 1
    if p < first or p > last:
        return None
    prevlensize = 1 if zl[p] < ZIP_BIG_PREVLEN else 5
    if p + prevlensize > last:
        return None
    q = p + prevlensize
    enc = zl[q]
    if enc < 0xC0:
        enc &= 0xC0
        lensize = (1, 2, 5)[enc >> 6]
    elif enc in (0xC0, 0xD0, 0xE0, 0xF0, 0xFE) or 0xF1 <= enc <= 0xFD:
        lensize = 1
    else:
        return None
    if q + lensize > last:
        return None
    prevrawlen = zl[p] if prevlensize == 1 else int.from_bytes(zl[p + 1:p + 5], "little")
    if enc == 0x00:
        ln = zl[q] & 0x3F
    elif enc == 0x40:
        ln = ((zl[q] & 0x3F) << 8) | zl[q + 1]
    elif enc == 0x80:
        ln = int.from_bytes(zl[q + 1:q + 5], "big")
    else:
        ln = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}.get(enc, 0)
    headersize = prevlensize + lensize
    if p + headersize + ln > last:
        return None
    if validate_prevlen and p - prevrawlen < first:
        return None
    return prevrawlen, headersize, ln


def ziplist_validate(zl, deep: bool) -> bool:
    """ziplistValidateIntegrity (without an entry callback)."""
    size = len(zl)
    if size < ZIPLIST_HEADER_SIZE + 1:
        return False
    if int.from_bytes(zl[0:4], "little") != size:
        return False
    if zl[size - 1] != ZIP_END:
        return False
    tail = int.from_bytes(zl[4:8], "little")
    if tail > size - 1:
        return False
    if not deep:
        return True
    count = 0
    header_count = zl[8] | (zl[9] << 8)
    p = ZIPLIST_HEADER_SIZE
    prev = None
    prev_raw = 0
    while zl[p] != ZIP_END:
        e = _zip_entry(zl, size, p, True)
        if e is None or e[0] != prev_raw:
            return False
        prev_raw = e[1] + e[2]
        prev = p
        p += prev_raw
        count += 1
    if p != size - 1:
        return False
    if prev is not None and prev != tail:
        return False
    return header_count == 0xFFFF or count == header_count


# -- zipmap, intset --------------------------------------------------------------------------------------


def zipmap_validate(zm, deep: bool) -> bool:
    """zipmapValidateIntegrity."""
    size = len(zm)
    if size < 2 or zm[size - 1] != ZIPMAP_END:
        return False
    if not deep:
        return True

    def out(q):
        return q < 2 or q > size - 1

    count = 0
    p = 1
    while zm[p] != ZIPMAP_END:
        s = 1 if zm[p] < ZIPMAP_BIGLEN else 5
        if out(p + s):
            return False
        ln = zm[p] if s == 1 else int.from_bytes(zm[p + 1:p + 5], "little")
        p += s + ln
        if out(p):
            return False
        s = 1 if zm[p] < ZIPMAP_BIGLEN else 5
        if out(p + s):
            return False
        ln = zm[p] if s == 1 else int.from_bytes(zm[p + 1:p + 5], "little")
        p += s
        free = zm[p]
        p += 1 + ln + free
        count += 1
        if out(p):
            return False
    if count == 0:
        return False
    return zm[0] == ZIPMAP_BIGLEN or zm[0] == count


def intset_validate(blob, deep: bool) -> bool:
    """intsetValidateIntegrity: encoding 2, 4 or 8, size matching the count, not empty; with ``deep``
    members strictly ascending."""
    if len(blob) < 8:
        return False
    enc = int.from_bytes(blob[0:4], "little")
    if enc not in (2, 4, 8):
        return False
    count = int.from_bytes(blob[4:8], "little")
    if 8 + count * enc != len(blob) or count == 0:
        return False
    if not deep:
        return True
    prev = None
    for i in range(count):
        cur = int.from_bytes(blob[8 + i * enc:8 + (i + 1) * enc], "little", signed=True)
        if prev is not None and cur <= prev:
            return False
        prev = cur
    return True
