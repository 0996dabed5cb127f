"""The RDB format of Redis 7.0 (RDB version 10): whole snapshots (full syncs, dump.rdb) and single
values (DUMP / RESTORE payloads).  Redis: rdb.c, listpack.c, intset.c, ziplist.c, lzf_d.c, crc64.c.

Writing uses the plain encodings every Redis 7.0 loads (string, list as a quicklist of plain nodes,
set, hash, zset as 8-byte doubles); reading accepts every encoding redis-server 7.0 writes and the
older ones it still loads (listpack, quicklist 2, intset, ziplist, zipmap, LZF-compressed strings,
integer-encoded strings), so a dump.rdb or a full sync from a real Redis loads here.

    data = dump_value(value)            # the RDB encoding of one value, with its type byte
    payload = dump_payload(value)       # DUMP: value + RDB version + CRC64
    value = load_payload(payload)       # RESTORE (raises RDBError)
    blob = dump_rdb(dbs, aux)           # a whole RDB file
    for db, key, value, expire_ms in iter_rdb(blob): ...
"""

from __future__ import annotations

import random
import re
import struct
import time

import crcmod

from .containers import is_ll
from .integrity import intset_validate, lp_get, lp_validate, lp_validate_next, ziplist_validate, zipmap_validate
from .stream import StreamValue, dump_stream, load_stream
from .types import HashValue, ListValue, SetValue, ZSetValue
from .zset import listpack_score_text

RDB_VERSION = 10

# object types
TYPE_STRING, TYPE_LIST, TYPE_SET, TYPE_ZSET, TYPE_HASH, TYPE_ZSET_2 = 0, 1, 2, 3, 4, 5
TYPE_MODULE, TYPE_MODULE_2 = 6, 7
TYPE_HASH_ZIPMAP, TYPE_LIST_ZIPLIST, TYPE_SET_INTSET, TYPE_ZSET_ZIPLIST, TYPE_HASH_ZIPLIST = 9, 10, 11, 12, 13
TYPE_LIST_QUICKLIST, TYPE_STREAM_LISTPACKS, TYPE_HASH_LISTPACK, TYPE_ZSET_LISTPACK = 14, 15, 16, 17
TYPE_LIST_QUICKLIST_2, TYPE_STREAM_LISTPACKS_2 = 18, 19

# opcodes
OP_FUNCTION2, OP_FUNCTION, OP_MODULE_AUX, OP_IDLE, OP_FREQ, OP_AUX = 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA
OP_RESIZEDB, OP_EXPIRETIME_MS, OP_EXPIRETIME, OP_SELECTDB, OP_EOF = 0xFB, 0xFC, 0xFD, 0xFE, 0xFF

crc64 = crcmod.mkCrcFun(0x1AD93D23594C935A9, initCrc=0, rev=True, xorOut=0)


class RDBError(ValueError):
    pass


# =========================================================================================================
# Writing
# =========================================================================================================


def _len(n: int) -> bytes:
    if n < 1 << 6:
        return bytes((n,))
    if n < 1 << 14:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n < 1 << 32:
        return b"\x80" + struct.pack(">I", n)
    return b"\x81" + struct.pack(">Q", n)


def _string(s: bytes, compress: bool = False) -> bytes:
    """rdbSaveRawString: small integers in their integer encoding; with ``compress`` (rdbcompression)
    strings over 20 bytes LZF-compressed when that saves at least 4 bytes; otherwise plain."""
    n = len(s)
    if compress and 20 < n <= LZF_EXACT_LIMIT:
        c = lzf_compress(s, n - 4)
        if c is not None:
            return b"\xc3" + _len(len(c)) + _len(n) + c  # RDB_ENC_LZF, compressed and original lengths
    if 0 < n <= 11:
        try:
            v = int(s)
        except ValueError:
            v = None
        if v is not None and str(v).encode() == s:
            if -(1 << 7) <= v < 1 << 7:
                return b"\xc0" + struct.pack("<b", v)
            if -(1 << 15) <= v < 1 << 15:
                return b"\xc1" + struct.pack("<h", v)
            if -(1 << 31) <= v < 1 << 31:
                return b"\xc2" + struct.pack("<i", v)
    return _len(len(s)) + bytes(s)


# -- Redis's own encodings, so that DUMP payloads are redis-server's bytes ------------------------------

# Exact LZF runs in Python at about 1 s a MiB of incompressible data, while the event loop waits:
# bigger strings are written uncompressed (a valid payload, only not byte-identical to Redis's).
LZF_EXACT_LIMIT = 512 * 1024

_LZF_HSIZE = 1 << 16  # HLOG 16
_LZF_MAX_LIT = 1 << 5
_LZF_MAX_OFF = 1 << 13
_LZF_MAX_REF = (1 << 8) + (1 << 3)


def lzf_compress(data: bytes, out_len: int):
    """lzf_compress of liblzf 3.6 as Redis builds it (HLOG 16, VERY_FAST, hash slots holding offsets):
    the compressed bytes, or None when they would not fit in ``out_len`` bytes.  The same bytes as
    Redis's, except that Redis does not clear its hash table between calls (INIT_HTAB 0): a stale slot
    can, rarely, make it find a match this clean table does not; both outputs decode the same."""
    in_len = len(data)
    if not in_len or not out_len:
        return None
    htab = [0] * _LZF_HSIZE
    out = bytearray(out_len + 8)
    op = 1  # start run
    lit = 0
    ip = 0
    in_end = in_len
    d = data
    ip_end = in_end - 2
    while ip < ip_end:
        h = (d[ip] << 16) | (d[ip + 1] << 8) | d[ip + 2]
        slot = ((h >> 8) - h * 5) & 0xFFFF
        ref = htab[slot]
        htab[slot] = ip
        if (ref > 0 and ip - ref <= _LZF_MAX_OFF and d[ref] == d[ip] and d[ref + 1] == d[ip + 1]
                and d[ref + 2] == d[ip + 2]):
            off = ip - ref - 1
            if op + 3 + 1 >= out_len:
                if op - (not lit) + 3 + 1 >= out_len:
                    return None
            out[op - lit - 1] = (lit - 1) & 0xFF  # stop run
            op -= not lit  # undo run if length is zero
            ln = 2
            maxlen = in_end - ip - ln
            if maxlen > _LZF_MAX_REF:
                maxlen = _LZF_MAX_REF
            while True:  # (the C loop, unrolled 16 times when maxlen > 16, as written)
                if maxlen > 16:
                    broke = False
                    for _ in range(16):
                        ln += 1
                        if d[ref + ln] != d[ip + ln]:
                            broke = True
                            break
                    if broke:
                        break
                ln += 1
                while ln < maxlen and d[ref + ln] == d[ip + ln]:
                    ln += 1
                break
            ln -= 2  # the stored length: octets - 2
            ip += 1
            if ln < 7:
                out[op] = (off >> 8) + (ln << 5)
                op += 1
            else:
                out[op] = (off >> 8) + (7 << 5)
                out[op + 1] = ln - 7
                op += 2
            out[op] = off & 0xFF
            op += 2  # and start a run
            lit = 0
            ip += ln + 1
            if ip >= ip_end:
                break
            ip -= 2  # VERY_FAST: hash the last two positions of the match
            h = (d[ip] << 16) | (d[ip + 1] << 8) | d[ip + 2]
            htab[((h >> 8) - h * 5) & 0xFFFF] = ip
            ip += 1
            h = (d[ip] << 16) | (d[ip + 1] << 8) | d[ip + 2]
            htab[((h >> 8) - h * 5) & 0xFFFF] = ip
            ip += 1
        else:
            if op >= out_len:
                return None
            out[op] = d[ip]
            op += 1
            ip += 1
            lit += 1
            if lit == _LZF_MAX_LIT:
                out[op - 33] = 31
                lit = 0
                op += 1
    if op + 3 > out_len:
        return None
    while ip < in_end:
        lit += 1
        out[op] = d[ip]
        op += 1
        ip += 1
        if lit == _LZF_MAX_LIT:
            out[op - lit - 1] = lit - 1
            lit = 0
            op += 1
    out[op - lit - 1] = (lit - 1) & 0xFF  # end run
    op -= not lit
    return bytes(out[:op])


def _lp_int(s: bytes):
    """lpStringToInt64 (string2ll's rules): the integer ``s`` spells, or None."""
    return int(s) if is_ll(s) else None


def _lp_backlen(n: int) -> bytes:
    """lpEncodeBacklen."""
    if n <= 127:
        return bytes((n,))
    if n < 16383:
        return bytes((n >> 7, (n & 127) | 128))
    if n < 2097151:
        return bytes((n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128))
    if n < 268435455:
        return bytes((n >> 21, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128, (n & 127) | 128))
    return bytes((n >> 28, ((n >> 21) & 127) | 128, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128,
                  (n & 127) | 128))


def lp_entry(e: bytes) -> bytes:
    """One listpack entry (lpInsert of a string: lpEncodeGetType, lpEncodeString, backlen)."""
    v = _lp_int(e)
    if v is not None:
        if 0 <= v <= 127:
            enc = bytes((v,))
        elif -4096 <= v <= 4095:
            v &= 0x1FFF
            enc = bytes(((v >> 8) | 0xC0, v & 0xFF))
        elif -32768 <= v <= 32767:
            enc = b"\xf1" + struct.pack("<h", v)
        elif -8388608 <= v <= 8388607:
            enc = b"\xf2" + (v & 0xFFFFFF).to_bytes(3, "little")
        elif -2147483648 <= v <= 2147483647:
            enc = b"\xf3" + struct.pack("<i", v)
        else:
            enc = b"\xf4" + struct.pack("<q", v)
    else:
        n = len(e)
        if n < 64:
            enc = bytes((0x80 | n,)) + e
        elif n < 4096:
            enc = bytes((0xE0 | (n >> 8), n & 0xFF)) + e
        else:
            enc = b"\xf0" + struct.pack("<I", n) + e
    return enc + _lp_backlen(len(enc))


def listpack(entries) -> bytes:
    """A whole listpack of already encoded entries: total bytes, element count, entries, 0xFF."""
    body = b"".join(entries)
    count = len(entries)
    return struct.pack("<IH", len(body) + 7, count if count < 65535 else 65535) + body + b"\xff"


def intset(members) -> bytes:
    """An intset blob of integer members (intsetAdd: sorted, the narrowest width that holds them)."""
    values = sorted(int(m) for m in members)
    lo, hi = (values[0], values[-1]) if values else (0, 0)
    if -32768 <= lo and hi <= 32767:
        width, fmt = 2, "<%dh"
    elif -2147483648 <= lo and hi <= 2147483647:
        width, fmt = 4, "<%di"
    else:
        width, fmt = 8, "<%dq"
    return struct.pack("<II", width, len(values)) + struct.pack(fmt % len(values), *values)


_SIZE_SAFETY_LIMIT = 8192
_OPTIMIZATION_LEVEL = (4096, 8192, 16384, 32768, 65536)
_PACKED_THRESHOLD = 1 << 30


def quicklist_nodes(elements, fill: int = -2) -> list:
    """How RPUSHes lay a list out in quicklist nodes (_quicklistNodeAllowInsert): a list of
    ``(container, blob)`` -- 2 (PACKED) with a listpack, or 1 (PLAIN) with one huge element."""
    fill = max(-5, min(fill, 32767))  # quicklistSetFill
    nodes = []
    cur = None  # entries of the open packed node
    cur_sz = 0  # its lpBytes
    for e in elements:
        sz = len(e)
        allow = False
        if cur is not None and sz < _PACKED_THRESHOLD:
            new_sz = cur_sz + sz + 8  # SIZE_ESTIMATE_OVERHEAD
            if fill < 0 and -fill - 1 < len(_OPTIMIZATION_LEVEL) and new_sz <= _OPTIMIZATION_LEVEL[-fill - 1]:
                allow = True
            elif new_sz > _SIZE_SAFETY_LIMIT:
                allow = False
            else:
                allow = len(cur) < fill
        if allow:
            ent = lp_entry(e)
            cur.append(ent)
            cur_sz += len(ent)
            continue
        if cur is not None:
            nodes.append((2, listpack(cur)))
            cur = None
        if sz >= _PACKED_THRESHOLD:
            nodes.append((1, bytes(e)))
            continue
        ent = lp_entry(e)
        cur = [ent]
        cur_sz = 7 + len(ent)
    if cur is not None:
        nodes.append((2, listpack(cur)))
    return nodes


# The encoding thresholds when no Config is given (redis.conf defaults).
_DEFAULT_LIMITS = {"hash-max-listpack-entries": 512, "hash-max-listpack-value": 64, "set-max-intset-entries": 512,
                   "list-max-listpack-size": -2}


def _hash_is_listpack(h, config) -> bool:
    big = getattr(h, "big", None)  # tracked by commands/hashes.py once the hash was changed
    if big is None:
        limit = config["hash-max-listpack-value"]
        big = len(h) > config["hash-max-listpack-entries"] or any(
            len(f) > limit or len(v) > limit for f, v in h.items())
    return not big


def _set_is_intset(s, config) -> bool:
    big = getattr(s, "big", None)  # tracked by commands/sets.py
    if big is None:
        big = len(s) > config["set-max-intset-entries"] or not all(map(is_ll, s))
    return not big


def value_type(value, config=None) -> int:
    """rdbSaveObjectType: the RDB type of the encoding Redis holds the value in."""
    t = type(value)
    if t is bytes or t is bytearray:
        return TYPE_STRING
    config = config or _DEFAULT_LIMITS
    if isinstance(value, ListValue):
        return TYPE_LIST_QUICKLIST_2
    if isinstance(value, SetValue):
        return TYPE_SET_INTSET if _set_is_intset(value, config) else TYPE_SET
    if isinstance(value, HashValue):
        return TYPE_HASH_LISTPACK if _hash_is_listpack(value, config) else TYPE_HASH
    if isinstance(value, ZSetValue):
        return TYPE_ZSET_LISTPACK if value.listpack else TYPE_ZSET_2
    if isinstance(value, StreamValue):
        return TYPE_STREAM_LISTPACKS_2
    raise RDBError("cannot serialize a value of type %r" % t)


def _zset_items(value):
    """(member, score) pairs of a sorted set, highest score first (as Redis writes ZSET_2)."""
    return [(m, s) for s, m in value.items(reverse=True)]


def dump_value(value, config=None, compress: bool = False) -> bytes:
    """<type byte><value> in RDB encoding (rdbSaveObjectType + rdbSaveObject), in the encoding Redis
    would hold the value in: lists as quicklists of listpacks filled as RPUSH fills them, small hashes
    and sorted sets as listpacks, integer sets as intsets.  ``config`` gives the encoding thresholds
    (redis.conf defaults without it); ``compress`` LZF-compresses strings as rdbcompression does."""
    t = value_type(value, config)
    out = [bytes((t,))]
    if t == TYPE_STRING:
        out.append(_string(bytes(value), compress))
    elif t == TYPE_LIST_QUICKLIST_2:
        fill = (config or _DEFAULT_LIMITS)["list-max-listpack-size"]
        nodes = quicklist_nodes([bytes(e) for e in value], fill)
        out.append(_len(len(nodes)))
        for container, blob in nodes:
            out.append(_len(container))
            out.append(_string(blob, compress))
    elif t == TYPE_SET_INTSET:
        out.append(_string(intset(value), compress))
    elif t == TYPE_SET:
        out.append(_len(len(value)))
        out.extend(_string(bytes(m), compress) for m in value)
    elif t == TYPE_HASH_LISTPACK:
        entries = []
        for f, v in value.items():
            entries.append(lp_entry(bytes(f)))
            entries.append(lp_entry(bytes(v)))
        out.append(_string(listpack(entries), compress))
    elif t == TYPE_HASH:
        out.append(_len(len(value)))
        for f, v in value.items():
            out.append(_string(bytes(f), compress))
            out.append(_string(bytes(v), compress))
    elif t == TYPE_ZSET_LISTPACK:
        entries = []
        for score, m in value.items():
            entries.append(lp_entry(bytes(m)))
            entries.append(lp_entry(listpack_score_text(score)))
        out.append(_string(listpack(entries), compress))
    elif t == TYPE_ZSET_2:
        out.append(_len(len(value)))
        for m, score in _zset_items(value):
            out.append(_string(bytes(m), compress))
            out.append(struct.pack("<d", score))
    elif t == TYPE_STREAM_LISTPACKS_2:
        out.append(dump_stream(value, _string, _len, compress))
    return b"".join(out)


def dump_payload(value, config=None) -> bytes:
    """createDumpPayload: value + 2-byte RDB version + CRC64 (both little-endian).  Strings are
    LZF-compressed unless ``config`` says rdbcompression no."""
    compress = config["rdbcompression"] if config is not None else True
    body = dump_value(value, config, compress) + struct.pack("<H", RDB_VERSION)
    return body + struct.pack("<Q", crc64(body))


def _aux_defaults(aux: dict | None) -> dict:
    """The aux fields in rdbSaveInfoAuxFields's order (redis-ver, redis-bits, ctime, used-mem,
    repl-stream-db, repl-id, repl-offset, aof-base), then any others."""
    given = dict(aux or {})
    out = {b"redis-ver": b"7.0.15", b"redis-bits": b"64", b"ctime": str(int(time.time())).encode(),
           b"used-mem": b"0"}
    for k in (b"redis-ver", b"redis-bits", b"ctime", b"used-mem", b"repl-stream-db", b"repl-id", b"repl-offset"):
        if k in given:
            out[k] = given.pop(k)
    out[b"aof-base"] = given.pop(b"aof-base", b"0")
    out.update(given)
    return out


def write_rdb(f, dbs, aux: dict | None = None, chunk: int = 1 << 20, config=None, compress: bool = False,
              functions=(), on_key=None) -> int:
    """rdbSaveRio into a file object, streamed (the snapshot is never held whole in memory).  Values are
    encoded as redis-server 7.0 encodes them for ``config`` (listpacks, intsets, quicklist nodes;
    :func:`dump_value`), strings LZF-compressed with ``compress`` (rdbcompression).  Keys already
    expired are kept, as Redis 7.0 saves them (a loading master drops them; an AOF base keeps them so
    that later commands in the AOF apply to them).  ``on_key()`` is called after each key.  Returns the
    number of bytes written."""
    out: list = [b"REDIS%04d" % RDB_VERSION]
    size = 9
    crc = 0
    total = 0
    for k, v in _aux_defaults(aux).items():
        out.append(bytes((OP_AUX,)) + _string(k) + _string(v))
    for code in functions:  # rdbSaveFunctions: one "function2" record per library (its code)
        out.append(bytes((OP_FUNCTION2,)) + _string(code, compress))
    for db in dbs:
        if not db.data:
            continue
        out.append(bytes((OP_SELECTDB,)) + _len(db.id))
        out.append(bytes((OP_RESIZEDB,)) + _len(len(db.data)) + _len(len(db.expires)))
        expires = db.expires
        for key, value in db.data.items():
            when = expires.get(key) if expires else None
            if when is not None:
                out.append(bytes((OP_EXPIRETIME_MS,)) + struct.pack("<Q", when & 0xFFFFFFFFFFFFFFFF))
            v = dump_value(value, config, compress)
            rec = v[:1] + _string(key, compress) + v[1:]
            out.append(rec)
            size += len(rec) + 10
            if on_key is not None:  # rdb-key-save-delay, the child's progress reports
                on_key()
            if size >= chunk:
                data = b"".join(out)
                crc = crc64(data, crc)
                f.write(data)
                total += len(data)
                out = []
                size = 0
    out.append(bytes((OP_EOF,)))
    data = b"".join(out)
    crc = crc64(data, crc)
    data += struct.pack("<Q", crc)
    f.write(data)
    return total + len(data)


def dump_rdb(dbs, aux: dict | None = None, now_ms: int | None = None, functions=()) -> bytes:
    """A whole RDB file: ``dbs`` is a list of Database objects, ``functions`` the code of each function
    library."""
    out = [b"REDIS%04d" % RDB_VERSION]
    aux = dict(aux or {})
    aux.setdefault(b"redis-ver", b"7.0.15")
    aux.setdefault(b"redis-bits", b"64")
    aux.setdefault(b"ctime", str(int(time.time())).encode())
    aux.setdefault(b"used-mem", b"0")
    aux.setdefault(b"aof-base", b"0")
    for k, v in aux.items():
        out.append(bytes((OP_AUX,)) + _string(k) + _string(v))
    for code in functions:
        out.append(bytes((OP_FUNCTION2,)) + _string(code))
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    for db in dbs:
        if not db.data:
            continue
        out.append(bytes((OP_SELECTDB,)) + _len(db.id))
        out.append(bytes((OP_RESIZEDB,)) + _len(len(db.data)) + _len(len(db.expires)))
        expires = db.expires
        for key, value in db.data.items():
            when = expires.get(key) if expires else None
            if when is not None:
                if when <= now:
                    continue  # already expired: Redis skips it too when saving
                out.append(bytes((OP_EXPIRETIME_MS,)) + struct.pack("<Q", when))
            out.append(dump_value(value)[:1] + _string(key) + dump_value(value)[1:])
    out.append(bytes((OP_EOF,)))
    body = b"".join(out)
    return body + struct.pack("<Q", crc64(body))


# =========================================================================================================
# Reading
# =========================================================================================================


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0):
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        p = self.pos
        if p + n > len(self.data):
            raise RDBError("unexpected end of data")
        self.pos = p + n
        return self.data[p:p + n]

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise RDBError("unexpected end of data")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def length(self):
        """rdbLoadLenByRef: (length, is_encoded)."""
        b = self.byte()
        kind = b >> 6
        if kind == 0:
            return b & 0x3F, False
        if kind == 1:
            return ((b & 0x3F) << 8) | self.byte(), False
        if kind == 3:
            return b & 0x3F, True
        if b == 0x80:
            return struct.unpack(">I", self.take(4))[0], False
        if b == 0x81:
            return struct.unpack(">Q", self.take(8))[0], False
        raise RDBError("unknown length encoding %#x" % b)

    def plain_length(self) -> int:
        n, enc = self.length()
        if enc:
            raise RDBError("unexpected encoded length")
        return n

    def string(self) -> bytes:
        n, enc = self.length()
        if not enc:
            return bytes(self.take(n))
        if n == 0:
            return str(struct.unpack("<b", self.take(1))[0]).encode()
        if n == 1:
            return str(struct.unpack("<h", self.take(2))[0]).encode()
        if n == 2:
            return str(struct.unpack("<i", self.take(4))[0]).encode()
        if n == 3:
            clen = self.plain_length()
            ulen = self.plain_length()
            return lzf_decompress(self.take(clen), ulen)
        raise RDBError("unknown string encoding %d" % n)

    def double_legacy(self) -> float:
        n = self.byte()
        if n == 253:
            return float("nan")
        if n == 254:
            return float("inf")
        if n == 255:
            return float("-inf")
        return float(self.take(n))


def lzf_decompress(data: bytes, expected: int) -> bytes:
    """lzf_decompress (liblzf): literal runs and back references."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            ln = ctrl + 1
            if i + ln > n:
                raise RDBError("invalid LZF data")
            if len(out) + ln > expected:  # E2BIG, as liblzf: never more than the announced length
                raise RDBError("LZF length mismatch")
            out += data[i:i + ln]
            i += ln
        else:
            ln = ctrl >> 5
            if ln == 7:
                if i >= n:
                    raise RDBError("invalid LZF data")
                ln += data[i]
                i += 1
            if i >= n:
                raise RDBError("invalid LZF data")
            ref = len(out) - ((ctrl & 0x1F) << 8) - data[i] - 1
            i += 1
            if ref < 0:
                raise RDBError("invalid LZF back reference")
            if len(out) + ln + 2 > expected:  # E2BIG: a small payload must not expand without bound
                raise RDBError("LZF length mismatch")
            for _ in range(ln + 2):
                out.append(out[ref])
                ref += 1
    if len(out) != expected:
        raise RDBError("LZF length mismatch")
    return bytes(out)


def listpack_entries(blob: bytes, lenient: bool = False) -> list:
    """lpGet over a whole listpack: every element as bytes (integers in decimal).  Each entry is checked
    as lpValidateNext does; ``lenient`` (a blob whose header only was checked: sanitize-dump-payload no)
    keeps the elements before the first invalid one, where Redis, trusting the blob, would read past it
    and crash, instead of refusing the blob."""
    size = len(blob)
    if size < 7 or blob[-1] != 0xFF:
        raise RDBError("invalid listpack")
    if struct.unpack_from("<I", blob, 0)[0] != size:
        raise RDBError("listpack length mismatch")
    out = []
    p = 6
    while p is not None and blob[p] != 0xFF:
        ok, nxt = lp_validate_next(blob, p, size)
        if not ok:
            if lenient:
                break
            raise RDBError("invalid listpack entry at %d" % p)
        v = lp_get(blob, p)
        out.append(v if type(v) is bytes else b"%d" % v)
        p = nxt
    return out


def ziplist_entries(blob: bytes) -> list:
    """Legacy ziplists (RDB files of Redis < 7.0)."""
    if len(blob) < 11:
        raise RDBError("invalid ziplist")
    p = 10
    out = []
    while True:
        if p >= len(blob):
            raise RDBError("ziplist without end")
        if blob[p] == 0xFF:
            return out
        p += 5 if blob[p] == 0xFE else 1  # prevlen
        b = blob[p]
        kind = b >> 6
        if kind == 0:
            ln = b & 0x3F
            out.append(bytes(blob[p + 1:p + 1 + ln]))
            p += 1 + ln
        elif kind == 1:
            ln = ((b & 0x3F) << 8) | blob[p + 1]
            out.append(bytes(blob[p + 2:p + 2 + ln]))
            p += 2 + ln
        elif kind == 2:
            ln = struct.unpack_from(">I", blob, p + 1)[0]
            out.append(bytes(blob[p + 5:p + 5 + ln]))
            p += 5 + ln
        elif b == 0xC0:
            out.append(str(struct.unpack_from("<h", blob, p + 1)[0]).encode())
            p += 3
        elif b == 0xD0:
            out.append(str(struct.unpack_from("<i", blob, p + 1)[0]).encode())
            p += 5
        elif b == 0xE0:
            out.append(str(struct.unpack_from("<q", blob, p + 1)[0]).encode())
            p += 9
        elif b == 0xF0:
            out.append(str(int.from_bytes(blob[p + 1:p + 4], "little", signed=True)).encode())
            p += 4
        elif b == 0xFE:
            out.append(str(struct.unpack_from("<b", blob, p + 1)[0]).encode())
            p += 2
        elif 0xF1 <= b <= 0xFD:
            out.append(str((b & 0x0F) - 1).encode())
            p += 1
        else:
            raise RDBError("invalid ziplist entry encoding %#x" % b)


def intset_members(blob: bytes) -> list:
    if len(blob) < 8:
        raise RDBError("invalid intset")
    enc, count = struct.unpack_from("<II", blob, 0)
    fmt = {2: "<h", 4: "<i", 8: "<q"}.get(enc)
    if fmt is None or len(blob) != 8 + enc * count:
        raise RDBError("invalid intset")
    return [str(struct.unpack_from(fmt, blob, 8 + i * enc)[0]).encode() for i in range(count)]


def zipmap_pairs(blob: bytes) -> list:
    """Legacy zipmaps (hashes of Redis < 2.6)."""
    p = 1
    out = []

    def zlen():
        nonlocal p
        b = blob[p]
        if b < 254:
            p += 1
            return b
        if b == 254:
            v = struct.unpack_from("<I", blob, p + 1)[0]
            p += 5
            return v
        return None

    while True:
        if p >= len(blob):
            raise RDBError("zipmap without end")
        if blob[p] == 0xFF:
            return out
        klen = zlen()
        if klen is None:
            raise RDBError("invalid zipmap length")
        key = bytes(blob[p:p + klen])
        p += klen
        vlen = zlen()
        if vlen is None:
            raise RDBError("invalid zipmap length")
        free = blob[p]
        p += 1
        val = bytes(blob[p:p + vlen])
        p += vlen + free
        out.append((key, val))


_STRTOD_PREFIX = re.compile(rb"\s*[+-]?(inf(inity)?|nan|(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)", re.I)

ZSET_LIMITS = (128, 64)  # zset-max-listpack-entries / -value by default


def _make_zset(pairs, limits, check_values: bool = True):
    """A loaded sorted set: listpack if it fits ``limits`` (zset-max-listpack-entries, -value) --
    a listpack of the file stays one unless it has too many members (its members' lengths are not
    checked, as in rdbLoadObject)."""
    return ZSetValue.from_pairs(pairs, limits[0], limits[1] if check_values else float("inf"))


def corrupt(reason: str, line: int = 0) -> RDBError:
    """rdbReportCorruptRDB: an RDBError with Redis's reason (and the line of rdb.c 7.0 that reports it,
    for the log line 'Internal error in RDB reading ..., function at rdb.c:LINE -> REASON')."""
    err = RDBError(reason)
    err.line = line
    return err


# where redis-server 7.0.15 (Debian's build) reports each stream corruption: rdb.c's line numbers
_STREAM_LINES = {"Stream node key entry is not the size of a stream ID": 2343,
                 "Stream listpack integrity check failed.": 2362, "Empty listpack inside stream": 2374,
                 "Listpack re-added with existing key": 2386, "Stream length inconsistent with rax entries": 2430,
                 "Duplicated consumer group name": 2480,
                 "Duplicated global PEL entry loading stream consumer group": 2516,
                 "Duplicate stream consumer detected.": 2544, "Consumer entry not found in group global PEL": 2574,
                 "Duplicated consumer PEL entry  loading a stream consumer group": 2585,
                 "Stream CG PEL entry without consumer": 2604}


def _stream_corrupt(reason: str) -> RDBError:
    return corrupt(reason, _STREAM_LINES.get(reason, 0))


def _strtod(s: bytes) -> float:
    """zzlStrtod: strtod of a listpack score; what is not a number reads as its longest numeric prefix."""
    try:
        v = float(s)
    except ValueError:
        m = _STRTOD_PREFIX.match(s)
        v = float(m.group(0)) if m and m.group(0) not in (b"", b"+", b"-") else 0.0
    if v != v:
        raise corrupt("Zset with NAN score detected")
    return v


def _pairs(items: list, lenient: bool, what: str, line: int) -> list:
    """Field/value (member/score) pairs of a listpack or ziplist: an odd count or a repeated field is
    corrupt (lpPairsValidateIntegrityAndDups); without deep sanitization Redis takes the blob as it is,
    so the unpaired last element is dropped and a repeated field keeps its last value."""
    if len(items) % 2 or len(set(items[::2])) != len(items) // 2:
        if not lenient:
            raise corrupt("%s integrity check failed." % what, line)
        del items[len(items) & ~1:]
    return items


def read_value(r: _Reader, t: int, zset_limits=ZSET_LIMITS, deep: bool = False, tally=None):
    """rdbLoadObject (``zset_limits``: the server's zset-max-listpack-entries and -value).  ``deep``: the
    deep integrity validation of sanitize-dump-payload yes.  Without it Redis checks only the headers of
    listpacks and intsets and trusts the rest, crashing later on what is corrupt; here whatever passes
    the header checks is decoded as far as it can be (see :func:`listpack_entries`), and the value is
    always consistent.  Ziplists and zipmaps are always checked deeply, as in Redis.  ``tally`` (an
    :class:`~.integrity.Tally`), if given, counts the objects validated with ``deep`` checks."""
    count = deep and tally is not None
    if t == TYPE_STRING:
        return r.string()
    if t == TYPE_LIST:
        n = r.plain_length()
        return ListValue(r.string() for _ in range(n))
    if t == TYPE_SET:
        n = r.plain_length()
        s = SetValue(r.string() for _ in range(n))
        if len(s) != n:
            raise corrupt("Duplicate set members detected", 1829)
        return s
    if t == TYPE_ZSET or t == TYPE_ZSET_2:
        n = r.plain_length()
        pairs = []
        members = set()
        for _ in range(n):
            m = r.string()
            score = struct.unpack("<d", r.take(8))[0] if t == TYPE_ZSET_2 else r.double_legacy()
            if score != score:
                raise corrupt("Zset with NAN score detected", 1882)
            if m in members:
                raise corrupt("Duplicate zset fields detected", 1894)
            members.add(m)
            pairs.append((m, score))
        return _make_zset(pairs, zset_limits)
    if t == TYPE_HASH:
        n = r.plain_length()
        h = HashValue()
        for _ in range(n):
            f = r.string()
            h[f] = r.string()
        if len(h) != n:  # (found while filling a listpack with deep checks, else by the hash table)
            raise corrupt("Hash with dup elements", 1951) if deep else corrupt("Duplicate hash fields detected", 2010)
        return h
    if t == TYPE_LIST_QUICKLIST or t == TYPE_LIST_QUICKLIST_2:
        n = r.plain_length()
        lst = ListValue()
        for _ in range(n):
            container = 2 if t == TYPE_LIST_QUICKLIST else r.plain_length()
            if container not in (1, 2):
                raise corrupt("Quicklist integrity check failed.", 2048)
            blob = r.string()
            if not blob:
                raise RDBError("empty quicklist node")
            if container == 1:
                lst.append(blob)
            elif t == TYPE_LIST_QUICKLIST:
                if not ziplist_validate(blob, True):
                    raise corrupt("Ziplist integrity check failed.", 2081)
                lst.extend(ziplist_entries(blob))
            else:
                if count:
                    tally.n += 1
                if not lp_validate(blob, deep):
                    raise corrupt("Listpack integrity check failed.", 2071)
                lst.extend(listpack_entries(blob, lenient=not deep))
        return lst
    if t == TYPE_STREAM_LISTPACKS or t == TYPE_STREAM_LISTPACKS_2:
        return load_stream(r, t, _stream_corrupt, deep, tally if count else None)
    if t not in (TYPE_HASH_ZIPMAP, TYPE_LIST_ZIPLIST, TYPE_SET_INTSET, TYPE_ZSET_ZIPLIST, TYPE_ZSET_LISTPACK,
                 TYPE_HASH_ZIPLIST, TYPE_HASH_LISTPACK):
        raise RDBError("Unknown RDB encoding type %d" % t)
    blob = r.string()
    if t == TYPE_HASH_ZIPMAP:
        if not zipmap_validate(blob, True):
            raise corrupt("Zipmap integrity check failed.", 2130)
        pairs = zipmap_pairs(blob)
        if len({f for f, _ in pairs}) != len(pairs):
            raise corrupt("Hash zipmap with dup elements, or big length (%u)" % len(pairs[-1][0]), 2155)
        return HashValue(pairs)
    if t == TYPE_LIST_ZIPLIST:
        if not ziplist_validate(blob, True):
            raise corrupt("List ziplist integrity check failed.", 2189)
        return ListValue(ziplist_entries(blob))
    if t == TYPE_SET_INTSET:
        if count:
            tally.n += 1
        if not intset_validate(blob, deep):
            raise corrupt("Intset integrity check failed.", 2214)
        return SetValue(intset_members(blob))
    if t == TYPE_ZSET_ZIPLIST or t == TYPE_HASH_ZIPLIST:
        what, line = ("Zset", 2229) if t == TYPE_ZSET_ZIPLIST else ("Hash", 2275)
        if not ziplist_validate(blob, True):
            raise corrupt("%s ziplist integrity check failed." % what, line)
        items = _pairs(ziplist_entries(blob), False, what + " ziplist", line)
    else:
        what, line = ("Zset", 2255) if t == TYPE_ZSET_LISTPACK else ("Hash", 2301)
        if count:
            tally.n += 1
        if not lp_validate(blob, deep):
            raise corrupt("%s listpack integrity check failed." % what, line)
        items = _pairs(listpack_entries(blob, lenient=not deep), not deep, what + " listpack", line)
    if t == TYPE_HASH_ZIPLIST or t == TYPE_HASH_LISTPACK:
        return HashValue(zip(items[::2], items[1::2]))
    return _make_zset([(m, _strtod(s)) for m, s in zip(items[::2], items[1::2])], zset_limits, False)


def load_payload(payload: bytes, check_crc: bool = True, zset_limits=ZSET_LIMITS, deep: bool = False,
                 tally=None):
    """verifyDumpPayload + rdbLoadObject: the value of a DUMP payload (``deep``: sanitize-dump-payload's
    deep integrity validation).  A corrupt value raises "ERR Bad data format" with ``detail``: the line
    Redis logs (at verbose level) for it, or None."""
    if len(payload) < 10:
        raise RDBError("ERR DUMP payload version or checksum are wrong")
    version = struct.unpack_from("<H", payload, len(payload) - 10)[0]
    if version > RDB_VERSION:
        raise RDBError("ERR DUMP payload version or checksum are wrong")
    crc = struct.unpack_from("<Q", payload, len(payload) - 8)[0]
    if check_crc and crc != crc64(payload[:-8]):
        raise RDBError("ERR DUMP payload version or checksum are wrong")
    r = _Reader(payload)  # like Redis: the value is read from the whole payload, footer included
    try:
        value = read_value(r, r.byte(), zset_limits, deep, tally)
    except (RDBError, struct.error, IndexError, ValueError, OverflowError) as e:
        err = RDBError("ERR Bad data format")
        line = getattr(e, "line", None)
        err.detail = None if line is None else (
            "Internal error in RDB reading offset 0, function at rdb.c:%d -> %s" % (line, e))
        raise err from None
    if type(value) is not bytes and type(value) is not StreamValue and not len(value):
        raise RDBError("ERR Bad data format")  # rdbLoadObject refuses empty collections ("emptykey")
    return value


def iter_rdb(blob: bytes, check_crc: bool = True, info: dict | None = None, zset_limits=ZSET_LIMITS,
             at: list | None = None, deep: bool = False, tally=None):
    """Yield ("aux", key, value, None), ("function", code) and ("key", db, key, value, expire_ms) records
    of an RDB file.

    ``info``, if given, receives ``end``: the offset just past the RDB (its CRC included), where the
    AOF tail of an old-style RDB-preamble AOF begins.  An :class:`RDBError` carries ``offset``: where
    in ``blob`` the reading stopped.  ``at[0]``, if given, follows the offset of the record being read."""
    at = at if at is not None else [0]  # offset of the record being read, for error reports
    try:
        yield from _iter_rdb(blob, check_crc, info, at, zset_limits, deep, tally)
    except RDBError as e:
        if getattr(e, "offset", None) is None:
            e.offset = at[0]
        raise
    except (struct.error, IndexError, ValueError, OverflowError) as e:  # a malformed value
        err = RDBError("Internal error in RDB reading: %s" % e)
        err.offset = at[0]
        raise err from None


def _iter_rdb(blob: bytes, check_crc: bool, info: dict | None, at: list, zset_limits=ZSET_LIMITS,
              deep: bool = False, tally=None):
    if blob[:5] != b"REDIS":
        raise RDBError("Wrong signature trying to load DB from file")
    try:
        version = int(blob[5:9])
    except ValueError:
        raise RDBError("Wrong signature trying to load DB from file") from None
    if version < 1 or version > RDB_VERSION:
        raise RDBError("Can't handle RDB format version %d" % version)
    r = _Reader(blob, 9)
    db = 0
    expire = None
    while True:
        at[0] = r.pos
        op = r.byte()
        if op == OP_EOF:
            break
        if op == OP_SELECTDB:
            db = r.plain_length()
        elif op == OP_RESIZEDB:
            r.plain_length()
            r.plain_length()
        elif op == OP_AUX:
            k = r.string()
            v = r.string()
            yield ("aux", k, v)
        elif op == OP_EXPIRETIME_MS:
            expire = struct.unpack("<q", r.take(8))[0]
        elif op == OP_EXPIRETIME:
            expire = struct.unpack("<i", r.take(4))[0] * 1000
        elif op == OP_IDLE:
            r.plain_length()
        elif op == OP_FREQ:
            r.byte()
        elif op == OP_FUNCTION2:
            yield ("function", r.string())  # a library's code (FUNCTION LOAD's payload)
        elif op == OP_MODULE_AUX:
            raise RDBError("module aux data is not supported")
        else:
            key = r.string()
            value = read_value(r, op, zset_limits, deep, tally)
            yield ("key", db, key, value, expire)
            expire = None
    end = r.pos
    if version >= 5:
        if r.pos + 8 > len(blob):
            at[0] = r.pos
            raise RDBError("Short read or OOM loading DB. Unrecoverable error, aborting now.")
        crc = struct.unpack_from("<Q", blob, r.pos)[0]
        if check_crc and crc != 0 and crc != crc64(blob[:r.pos] if r.pos < len(blob) else blob):
            at[0] = r.pos
            err = RDBError("Wrong RDB checksum expected: (%x) but got (%x). Aborting now."
                           % (crc64(blob[:r.pos]), crc))
            err.reason = "RDB CRC error"
            raise err
        end = r.pos + 8
    if info is not None:
        info["end"] = end


def load_rdb_into(blob: bytes, dbs, now_ms: int | None = None, zset_limits=ZSET_LIMITS) -> dict:
    """Replace the contents of ``dbs`` with an RDB file's; returns its aux fields."""
    for db in dbs:
        db.clear()
    aux = {}
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    for rec in iter_rdb(blob, zset_limits=zset_limits):
        if rec[0] == "aux":
            aux[rec[1]] = rec[2]
            continue
        if rec[0] == "function":
            continue
        _, dbn, key, value, expire = rec
        if dbn >= len(dbs):
            raise RDBError("FATAL: Data file was created with a Redis server configured to handle more than %d "
                           "databases. Exiting" % len(dbs))
        if expire is not None and expire <= now:
            continue  # already expired (a master drops it; Redis replicas keep it until DEL comes)
        db = dbs[dbn]
        db.add(key, value)
        if expire is not None:
            db.set_expire(key, expire)
    return aux


def load_into(blob: bytes, dbs, now_ms: int | None = None, skip_expired: bool = True,
              info: dict | None = None, merge: bool = False, zset_limits=ZSET_LIMITS, deep: bool = False,
              tally=None) -> dict:
    """rdbLoadRio into ``dbs`` (added to what they hold): the dump.rdb of a starting master drops keys
    already expired (``skip_expired``); an AOF base keeps them, as Redis does for RDBFLAGS_AOF_PREAMBLE.
    Returns the aux fields; ``info`` receives ``end`` (see :func:`iter_rdb`), ``keys_loaded`` and
    ``keys_expired`` (INFO persistence rdb_last_load_keys_*)."""
    steps = load_into_steps(blob, dbs, now_ms, skip_expired, info, merge, zset_limits, deep=deep, tally=tally)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def load_into_steps(blob: bytes, dbs, now_ms: int | None = None, skip_expired: bool = True,
                    info: dict | None = None, merge: bool = False, zset_limits=ZSET_LIMITS,
                    key_load_delay: int = 0, deep: bool = False, tally=None):
    """:func:`load_into` as a generator that yields the offset reached in ``blob`` after each key, so that
    a caller can serve events while loading (rdbLoadProgressCallback); it returns the aux fields.
    ``key_load_delay`` (microseconds, the key-load-delay setting) slows each key down (debugDelay)."""
    aux = {}
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    loaded = expired = 0
    info = info if info is not None else {}
    at = [0]
    for rec in iter_rdb(blob, info=info, zset_limits=zset_limits, at=at, deep=deep, tally=tally):
        if rec[0] == "aux":
            aux[rec[1]] = rec[2]
            continue
        if rec[0] == "function":  # function libraries: the caller loads info["functions"]
            info.setdefault("functions", []).append(rec[1])
            continue
        _, dbn, key, value, expire = rec
        if dbn >= len(dbs):
            err = RDBError("FATAL: Data file was created with a Redis server configured to handle more than %d "
                           "databases. Exiting" % len(dbs))
            err.offset = 0
            raise err
        if type(value) is not bytes and type(value) is not StreamValue and not len(value):
            # RDB_LOAD_ERR_EMPTY_KEY: an empty collection (an old bug could save them) is skipped
            empty = info.setdefault("empty_keys", [])
            empty.append(key)
            continue
        if expire is not None and expire <= now and skip_expired:
            expired += 1
            info.setdefault("expired", []).append((dbn, key))  # (a restarting master propagates their DEL)
            continue
        db = dbs[dbn]
        if key in db.data:
            if merge:  # DEBUG RELOAD NOFLUSH MERGE: the file's value wins
                db.delete(key)
            else:
                err = RDBError("RDB has duplicated key '%s' in DB %d" % (key.decode("latin-1"), dbn))
                err.offset = 0
                raise err
        db.add(key, value)
        if expire is not None:
            db.set_expire(key, expire)
        loaded += 1
        if key_load_delay:
            debug_delay(key_load_delay)
        yield at[0]
    info["keys_loaded"] = loaded
    info["keys_expired"] = expired
    return aux


def debug_delay(usec: int) -> None:
    """debugDelay: sleep ``usec`` microseconds; a negative value sleeps 1 us once every -usec calls on
    average."""
    if usec < 0:
        usec = 1 if random.randrange(-usec) == 0 else 0
    if usec:
        time.sleep(usec / 1_000_000)


# =========================================================================================================
# The RDB checker (redis-check-rdb.c): what redis-server prints when a file it loads at start is corrupt
# =========================================================================================================

CHECK_TYPE_NAMES = ["string", "list-linked", "set-hashtable", "zset-v1", "hash-hashtable", "zset-v2",
                    "module-value", "module-value", "", "hash-zipmap", "list-ziplist", "set-intset",
                    "zset-ziplist", "hash-ziplist", "quicklist", "stream", "hash-listpack", "zset-listpack",
                    "quicklist-v2", "stream-v2"]


def check_rdb(blob: bytes, name: str, now_ms: int | None = None) -> tuple:
    """redis_check_rdb on the bytes of an RDB file: (ok, the lines it prints).  Used when loading a file
    at start fails, as redis-server runs the checker before it exits (rdbReportError)."""
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    out = ["[offset 0] Checking RDB file %s" % name]
    r = _Reader(blob, 0)
    st = {"doing": "start", "key": None, "type": -1, "keys": 0, "expires": 0, "expired": 0}

    def info_lines():
        return ["[info] %d keys read" % st["keys"], "[info] %d expires" % st["expires"],
                "[info] %d already expired" % st["expired"]]

    def error(msg):
        out.append("--- RDB ERROR DETECTED ---")
        out.append("[offset %d] %s" % (r.pos, msg))
        out.append("[additional info] While doing: %s" % st["doing"])
        if st["key"] is not None:
            out.append("[additional info] Reading key '%s'" % st["key"].decode("latin-1"))
        if st["type"] != -1:
            t = st["type"]
            out.append("[additional info] Reading type %d (%s)" % (
                t, CHECK_TYPE_NAMES[t] if 0 <= t < len(CHECK_TYPE_NAMES) else "unknown"))
        out.extend(info_lines())
        return False, out

    if len(blob) < 9:
        r.pos = len(blob)
        return error("Unexpected EOF reading RDB file")
    r.pos = 9
    if blob[:5] != b"REDIS":
        return error("Wrong signature trying to load DB from file")
    try:
        version = int(blob[5:9])
    except ValueError:
        version = 0
    if version < 1 or version > RDB_VERSION:
        return error("Can't handle RDB format version %d" % version)
    expire = -1
    try:
        while True:
            st["doing"] = "read-type"
            op = r.byte()
            if op == OP_EXPIRETIME:
                st["doing"] = "read-expire"
                expire = struct.unpack("<i", r.take(4))[0] * 1000
                continue
            if op == OP_EXPIRETIME_MS:
                st["doing"] = "read-expire"
                expire = struct.unpack("<q", r.take(8))[0]
                continue
            if op == OP_FREQ:
                r.byte()
                continue
            if op == OP_IDLE:
                r.plain_length()
                continue
            if op == OP_EOF:
                break
            if op == OP_SELECTDB:
                st["doing"] = "read-len"
                dbid = r.plain_length()
                out.append("[offset %d] Selecting DB ID %d" % (r.pos, dbid))
                continue
            if op == OP_RESIZEDB:
                st["doing"] = "read-len"
                r.plain_length()
                r.plain_length()
                continue
            if op == OP_AUX:
                st["doing"] = "read-aux"
                k = r.string()
                v = r.string()
                out.append("[offset %d] AUX FIELD %s = '%s'" % (r.pos, k.decode("latin-1"), v.decode("latin-1")))
                continue
            if op == OP_MODULE_AUX:
                st["doing"] = "read-module-aux"
                return error("Unexpected EOF reading RDB file")
            if op == OP_FUNCTION:
                return error("Pre-release function format not supported %d" % version)
            if op == OP_FUNCTION2:
                st["doing"] = "read-functions"
                r.string()
                continue
            if not (0 <= op <= 7 or 9 <= op <= 19):
                return error("Invalid object type: %d" % op)
            st["type"] = op
            st["doing"] = "read-key"
            key = r.string()
            st["key"] = key
            st["keys"] += 1
            st["doing"] = "read-object-value"
            read_value(r, op, deep=True)  # (the checker sets sanitize-dump-payload yes)
            if expire != -1:
                st["expires"] += 1
                if expire < now:
                    st["expired"] += 1
            st["key"] = None
            st["type"] = -1
            expire = -1
        if version >= 5:
            st["doing"] = "check-sum"
            if r.pos + 8 > len(blob):
                r.pos = len(blob)
                return error("Unexpected EOF reading RDB file")
            crc = struct.unpack_from("<Q", blob, r.pos)[0]
            expected = crc64(blob[:r.pos])
            r.pos += 8
            if crc == 0:
                out.append("[offset %d] RDB file was saved with checksum disabled: no check performed." % r.pos)
            elif crc != expected:
                return error("RDB CRC error")
            else:
                out.append("[offset %d] Checksum OK" % r.pos)
    except RDBError as e:
        msg = str(e)
        line = getattr(e, "line", None)
        if line is not None:  # rdbReportCorruptRDB
            msg = "Internal error in RDB reading offset 0, function at rdb.c:%d -> %s" % (line, msg)
        return error("Unexpected EOF reading RDB file" if msg == "unexpected end of data" else msg)
    except (struct.error, IndexError, ValueError, OverflowError):
        return error("Unexpected EOF reading RDB file")
    out.append("\\o/ RDB looks OK! \\o/")
    out.extend(info_lines())
    return True, out
