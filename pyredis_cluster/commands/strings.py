"""String and bitmap commands (Redis 7.0: t_string.c and bitops.c).

Values are ``bytes``, or ``bytearray`` once modified in place (APPEND / SETRANGE / SETBIT /
BITFIELD on an existing key, SETRANGE / SETBIT creating one, BITOP's result): that is Redis's
``raw`` encoding, and it lets an append or a bit flip cost O(1) instead of a copy of the string.

Each handler follows its Redis counterpart step by step, because the *order* of the checks is
visible to clients (which error wins when a command has two problems), e.g. SET parses its
expire time before GET looks at the old value, and BITCOUNT looks the key up before it parses
its range.  Read commands use :meth:`Database.lookup_read` (``lookupKeyRead``: counted in
keyspace_hits / misses), write commands :meth:`Database.lookup` (``lookupKeyWrite``).

Arguments are compared the way C compares them: options with ``strcasecmp`` (which stops at a
NUL byte, see :func:`_cstr`), integers with ``string2ll`` (see :func:`_ll`), floats with
``strtold`` on 80-bit x87 ``long double`` (see :func:`_parse_ld`).
"""

from __future__ import annotations

import re

from .. import errors
from ..errors import CommandError
from ..protocol.reply import OK, Map
from ..config import NOTIFY_GENERIC, NOTIFY_STRING
from ..store.keyspace import now_ms
from ..store.types import string_encoding
from .table import command

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)


# -- helpers ------------------------------------------------------------------------------------


def _ll(s):
    """Redis's ``string2ll``: the integer, or None unless ``s`` is its canonical spelling (no '+',
    no spaces, no leading zeros, no "-0") within the range of a long long."""
    if len(s) > 20:
        return None
    try:
        n = int(s)
    except ValueError:
        return None
    if b"%d" % n != s or n > LLONG_MAX or n < LLONG_MIN:
        return None
    return n


def _ll_or_err(s, message: str = errors.NOT_INTEGER) -> int:
    """getLongLongFromObjectOrReply."""
    n = _ll(s)
    if n is None:
        raise CommandError(message)
    return n


def _cstr(arg: bytes) -> bytes:
    """The argument as C's string functions see it: up to the first NUL byte."""
    i = arg.find(b"\0")
    return arg if i < 0 else arg[:i]


def _wrap64(x: int) -> int:
    """Two's complement wrap-around of a C int64_t."""
    return ((x + 2**63) & 0xFFFFFFFFFFFFFFFF) - 2**63


def get_string(c, key: bytes):
    """The string at ``key`` (bytes or bytearray), None if absent; WRONGTYPE for other types."""
    v = c.db.lookup(key)
    if v is None:
        return None
    t = type(v)
    if t is not bytes and t is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    return v


def _read_string(c, key: bytes):
    """lookupKeyRead + checkType(OBJ_STRING): the string at ``key`` or None."""
    v = c.db.lookup_read(key)
    if v is None:
        return None
    t = type(v)
    if t is not bytes and t is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    return v


def _get_generic(c, key: bytes):
    """getGenericCommand: the value to reply (a copy, bytes) or None; WRONGTYPE for other types."""
    v = c.db.lookup_read(key)
    if v is None:
        return None
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray:
        return bytes(v)
    raise CommandError(errors.WRONGTYPE)


def _unshare(db, key: bytes, v):
    """dbUnshareStringValue: make the stored value a bytearray (Redis: a private "raw" sds) that the
    caller may modify in place.  Like Redis, the conversion alone is not a modification of the key
    (no WATCH invalidation): callers signal with ``db.touch`` once they change the content."""
    if type(v) is bytearray:
        return v
    v = bytearray(v)
    db.data[key] = v  # the key exists already: same slot, same TTL; only the representation changes
    return v


def _check_string_length(c, append: int, size: int) -> None:
    """checkStringLength: the result may not exceed proto-max-bulk-len (except from our master)."""
    if c.is_master:
        return
    if append + size > c.node.config["proto-max-bulk-len"]:
        raise CommandError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")


# -- SET and its options (parseExtendedStringArgumentsOrReply) -----------------------------------

_NX, _XX, _EX, _PX, _KEEPTTL, _GET, _EXAT, _PXAT, _PERSIST = (1 << i for i in range(9))
_ANY_EXPIRE = _EX | _PX | _EXAT | _PXAT


def _parse_extended(argv, j: int, is_set: bool):
    """Options of SET (from argv[3]) and GETEX (from argv[2]): ``(flags, expire argument)``.
    A repeated option is accepted (the last value wins); conflicting ones are a syntax error."""
    flags = 0
    expire = None
    n = len(argv)
    while j < n:
        opt = _cstr(argv[j]).upper()
        has_next = j < n - 1
        if opt == b"NX" and is_set and not flags & _XX:
            flags |= _NX
        elif opt == b"XX" and is_set and not flags & _NX:
            flags |= _XX
        elif opt == b"GET" and is_set:
            flags |= _GET
        elif opt == b"KEEPTTL" and is_set and not flags & (_PERSIST | _ANY_EXPIRE):
            flags |= _KEEPTTL
        elif opt == b"PERSIST" and not is_set and not flags & (_ANY_EXPIRE | _KEEPTTL):
            flags |= _PERSIST
        elif opt == b"EX" and has_next and not flags & (_KEEPTTL | _PERSIST | _EXAT | _PX | _PXAT):
            flags |= _EX
            j += 1
            expire = argv[j]
        elif opt == b"PX" and has_next and not flags & (_KEEPTTL | _PERSIST | _EX | _EXAT | _PXAT):
            flags |= _PX
            j += 1
            expire = argv[j]
        elif opt == b"EXAT" and has_next and not flags & (_KEEPTTL | _PERSIST | _EX | _PX | _PXAT):
            flags |= _EXAT
            j += 1
            expire = argv[j]
        elif opt == b"PXAT" and has_next and not flags & (_KEEPTTL | _PERSIST | _EX | _EXAT | _PX):
            flags |= _PXAT
            j += 1
            expire = argv[j]
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    return flags, expire


def _expire_ms(arg: bytes, seconds: bool, relative: bool, name: str) -> int:
    """getExpireMillisecondsOrReply: the absolute expire time in ms.  Zero, negative and
    overflowing times are "invalid expire time in '<command>' command"."""
    ms = _ll(arg)
    if ms is None:
        raise CommandError(errors.NOT_INTEGER)
    if ms <= 0 or (seconds and ms > LLONG_MAX // 1000):
        raise CommandError(errors.INVALID_EXPIRE.format(name))
    if seconds:
        ms *= 1000
    if relative:
        ms += now_ms()
        if ms > LLONG_MAX:  # C: the sum wraps around to a negative number
            raise CommandError(errors.INVALID_EXPIRE.format(name))
    return ms


@command("set")
def set_(c, argv):
    if len(argv) == 3:
        c.db.set(argv[1], argv[2])
        if c.node.notify_flags:
            c.node.notify(c.db, NOTIFY_STRING, b"set", argv[1])
        return OK
    flags, expire = _parse_extended(argv, 3, True)
    key = argv[1]
    db = c.db
    when = None
    if expire is not None:
        when = _expire_ms(expire, flags & (_EX | _EXAT), flags & (_EX | _PX), "set")
    if flags & _GET:
        old = _get_generic(c, key)
    found = db.lookup(key) is not None
    if (flags & _NX and found) or (flags & _XX and not found):
        return old if flags & _GET else None
    db.set(key, argv[2], keep_ttl=bool(flags & _KEEPTTL))
    c.node.notify(db, NOTIFY_STRING, b"set", key)
    if when is not None:
        # An EXAT / PXAT in the past is stored as is; the key expires at its next access, as in 7.0.
        db.set_expire(key, when)
        c.node.notify(db, NOTIFY_GENERIC, b"expire", key)
        # 7.0 propagates SET key value PXAT <ms>: replicas and the AOF get the absolute time
        c.propagate_as = [[b"SET", key, argv[2], b"PXAT", b"%d" % when]]
    elif flags & _GET:
        c.propagate_as = [argv[:3] + [a for a in argv[3:] if a.lower() != b"get"]]  # without GET
    return old if flags & _GET else OK


@command("setnx")
def setnx(c, argv):
    db = c.db
    if db.lookup(argv[1]) is not None:
        return 0
    db.set(argv[1], argv[2])
    c.node.notify(db, NOTIFY_STRING, b"set", argv[1])
    return 1


def _setex(c, argv, seconds: bool, name: str):
    when = _expire_ms(argv[2], seconds, True, name)
    db = c.db
    db.set(argv[1], argv[3])
    c.node.notify(db, NOTIFY_STRING, b"set", argv[1])
    db.set_expire(argv[1], when)
    c.node.notify(db, NOTIFY_GENERIC, b"expire", argv[1])
    c.propagate_as = [[b"SET", argv[1], argv[3], b"PXAT", b"%d" % when]]  # as 7.0: absolute time
    return OK


@command("setex")
def setex(c, argv):
    return _setex(c, argv, True, "setex")


@command("psetex")
def psetex(c, argv):
    return _setex(c, argv, False, "psetex")


# -- GET family ---------------------------------------------------------------------------------


@command("get")
def get(c, argv):
    v = c.db.lookup_read(argv[1])
    if v is None:
        return None
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray:
        return bytes(v)
    raise CommandError(errors.WRONGTYPE)


@command("getex")
def getex(c, argv):
    flags, expire = _parse_extended(argv, 2, False) if len(argv) > 2 else (0, None)
    key = argv[1]
    db = c.db
    v = db.lookup_read(key)
    if v is None:
        return None
    t = type(v)
    if t is not bytes and t is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    when = None
    if expire is not None:
        when = _expire_ms(expire, flags & (_EX | _EXAT), flags & (_EX | _PX), "getex")
    reply = bytes(v) if t is bytearray else v
    # GETEX is never propagated as is: DEL / UNLINK, PEXPIREAT or PERSIST (7.0)
    if flags & (_EXAT | _PXAT) and when <= now_ms():
        db.delete(key)  # an absolute time already past: delete now (checkAlreadyExpired)
        c.node.notify(db, NOTIFY_GENERIC, b"del", key)
        c.propagate_as = [[b"UNLINK" if c.node.config["lazyfree-lazy-expire"] else b"DEL", key]]
    elif when is not None:
        db.set_expire(key, when)
        db.touch(key)
        c.node.notify(db, NOTIFY_GENERIC, b"expire", key)
        c.propagate_as = [[b"PEXPIREAT", key, b"%d" % when]]
    elif flags & _PERSIST:
        if db.persist(key):
            db.touch(key)
            c.node.notify(db, NOTIFY_GENERIC, b"persist", key)
            c.propagate_as = [[b"PERSIST", key]]
    return reply


@command("getdel")
def getdel(c, argv):
    v = _get_generic(c, argv[1])
    if v is not None:
        c.db.delete(argv[1])
        c.node.notify(c.db, NOTIFY_GENERIC, b"del", argv[1])
        c.propagate_as = [[b"UNLINK" if c.node.config["lazyfree-lazy-user-del"] else b"DEL", argv[1]]]
    return v


@command("getset")
def getset(c, argv):
    old = _get_generic(c, argv[1])
    c.db.set(argv[1], argv[2])
    c.node.notify(c.db, NOTIFY_STRING, b"set", argv[1])
    c.propagate_as = [[b"SET", argv[1], argv[2]]]  # propagated as SET
    return old


@command("mget")
def mget(c, argv):
    lookup = c.db.lookup_read
    out = []
    for key in argv[1:]:
        v = lookup(key)
        t = type(v)
        if t is bytes:
            out.append(v)
        elif t is bytearray:
            out.append(bytes(v))
        else:
            out.append(None)  # missing, or not a string
    return out


@command("mset")
def mset(c, argv):
    if len(argv) % 2 == 0:
        raise CommandError(errors.wrong_arity("mset"))
    db = c.db
    node = c.node
    for i in range(1, len(argv), 2):
        db.set(argv[i], argv[i + 1])
        if node.notify_flags:
            node.notify(db, NOTIFY_STRING, b"set", argv[i])
    return OK


@command("msetnx")
def msetnx(c, argv):
    if len(argv) % 2 == 0:
        raise CommandError(errors.wrong_arity("msetnx"))
    db = c.db
    for i in range(1, len(argv), 2):
        if db.lookup(argv[i]) is not None:
            return 0
    node = c.node
    for i in range(1, len(argv), 2):
        db.set(argv[i], argv[i + 1])
        if node.notify_flags:
            node.notify(db, NOTIFY_STRING, b"set", argv[i])
    return 1


@command("strlen")
def strlen(c, argv):
    v = _read_string(c, argv[1])
    return 0 if v is None else len(v)


def _getrange(c, argv):
    start = _ll_or_err(argv[2])
    end = _ll_or_err(argv[3])
    v = _read_string(c, argv[1])
    if v is None:
        return b""
    n = len(v)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return b""
    return bytes(v[start:end + 1])


@command("getrange")
def getrange(c, argv):
    return _getrange(c, argv)


@command("substr")
def substr(c, argv):
    return _getrange(c, argv)


# -- modifying in place -------------------------------------------------------------------------


@command("append")
def append(c, argv):
    key, extra = argv[1], argv[2]
    db = c.db
    v = db.lookup(key)
    if v is None:
        db.add(key, extra)  # the argument itself becomes the value (an embstr / int, not raw)
        c.node.notify(db, NOTIFY_STRING, b"append", key)
        return len(extra)
    t = type(v)
    if t is bytearray:
        _check_string_length(c, len(v), len(extra))
        v += extra
        db.touch(key)
        c.node.notify(db, NOTIFY_STRING, b"append", key)
        return len(v)
    if t is not bytes:
        raise CommandError(errors.WRONGTYPE)
    _check_string_length(c, len(v), len(extra))
    v = bytearray(v)
    v += extra
    db.overwrite(key, v)
    c.node.notify(db, NOTIFY_STRING, b"append", key)
    return len(v)


@command("setrange")
def setrange(c, argv):
    key, value = argv[1], argv[3]
    offset = _ll_or_err(argv[2])
    if offset < 0:
        raise CommandError("ERR offset is out of range")
    db = c.db
    v = db.lookup(key)
    if v is None:
        if not value:
            return 0
        _check_string_length(c, offset, len(value))
        v = bytearray(offset)
        v += value
        if len(v) > 44:  # sdsnewlen: an exact allocation, no room to grow (MEMORY USAGE, maxmemory)
            v = bytes(v)
        db.add(key, v)
        c.node.notify(db, NOTIFY_STRING, b"setrange", key)
        return len(v)
    t = type(v)
    if t is not bytes and t is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    if not value:
        return len(v)
    _check_string_length(c, offset, len(value))
    v = _unshare(db, key, v)
    end = offset + len(value)
    if len(v) < end:
        v.extend(bytes(end - len(v)))
    v[offset:end] = value
    db.touch(key)
    c.node.notify(db, NOTIFY_STRING, b"setrange", key)
    return len(v)


# -- counters -----------------------------------------------------------------------------------


def _incr(c, key: bytes, incr: int):
    """incrDecrCommand."""
    db = c.db
    v = db.lookup(key)
    if v is None:
        db.add(key, b"%d" % incr)
        if c.node.notify_flags:
            c.node.notify(db, NOTIFY_STRING, b"incrby", key)
        return incr
    t = type(v)
    if t is not bytes and t is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    n = _ll(v)
    if n is None:
        raise CommandError(errors.NOT_INTEGER)
    n += incr
    if n > LLONG_MAX or n < LLONG_MIN:
        raise CommandError(errors.OVERFLOW)
    new = b"%d" % n
    db.overwrite(key, new)
    addrs = c.node.value_addrs
    if addrs is not None:
        _same_object(c, addrs, db, key, v, new, n)
    if c.node.notify_flags:
        c.node.notify(db, NOTIFY_STRING, b"incrby", key)
    return n


def _same_object(c, addrs, db, key, old, new, n) -> None:
    """incrDecrCommand changes an unshared integer object in place when the result is not a shared
    integer (0..9999): DEBUG OBJECT then shows the same address (admin.debug_object)."""
    if (string_encoding(old) == b"int" and not (0 <= n < 10000)
            and not (c.node.config["maxmemory"] == 0 and 0 <= int(old) < 10000)):  # (not a shared one)
        alias = addrs.get((db.id, key))
        addrs[(db.id, key)] = (id(new), alias[1] if alias is not None and alias[0] == id(old) else id(old))


@command("incr")
def incr(c, argv):
    return _incr(c, argv[1], 1)


@command("decr")
def decr(c, argv):
    return _incr(c, argv[1], -1)


@command("incrby")
def incrby(c, argv):
    return _incr(c, argv[1], _ll_or_err(argv[2]))


@command("decrby")
def decrby(c, argv):
    n = _ll_or_err(argv[2])
    if n == LLONG_MIN:
        raise CommandError("ERR decrement would overflow")
    return _incr(c, argv[1], -n)


# -- INCRBYFLOAT: x87 80-bit long double arithmetic ------------------------------------------------
#
# Redis adds two ``long double`` values (on x86-64: 64-bit significand, 15-bit exponent), after
# parsing both with strtold, and prints the sum with "%.17Lf" minus trailing zeros.  Python's float
# is a 53-bit double, so the exact values are kept here as integers: a long double is m * 2**e
# (|m| < 2**64), rounded to nearest-even exactly as the FPU and glibc do.

_LD_MIN_E = -16445  # weight of the last bit of the smallest subnormal (2**-16445)
_LD_MAX_E = 16384 - 64  # exponent of the largest finite value (2**64 - 1) * 2**16320
_MAX_LONG_DOUBLE_CHARS = 5 * 1024
_DEC_RE = re.compile(rb"([+-]?)(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?")
_HEX_RE = re.compile(rb"([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?")
_INF_RE = re.compile(rb"[+-]?(?:inf|infinity)", re.IGNORECASE)
_INF = "inf"


def _div_pow2(num: int, den: int, e: int):
    """``(q, r, d)`` with num / (den * 2**e) = q + r / d."""
    if e >= 0:
        d = den << e
        q, r = divmod(num, d)
        return q, r, d
    q, r = divmod(num << -e, den)
    return q, r, den


def _ld_round(num: int, den: int):
    """num / den (den > 0) rounded to the nearest long double: ``(m, e)``, or None on overflow."""
    if num == 0:
        return 0, 0
    neg = num < 0
    if neg:
        num = -num
    e = num.bit_length() - den.bit_length() - 63  # then num/den / 2**e lies in (2**62, 2**64)
    if _div_pow2(num, den, e)[0] < 1 << 63:
        e -= 1
    if e < _LD_MIN_E:
        e = _LD_MIN_E  # a subnormal: fewer significant bits
    q, r, d = _div_pow2(num, den, e)
    r2 = 2 * r
    if r2 > d or (r2 == d and q & 1):
        q += 1
        if q == 1 << 64:
            q >>= 1
            e += 1
    if e > _LD_MAX_E:
        return None
    return (-q if neg else q), e


def _digits_to_int(s: bytes) -> int:
    """int(s) for a string of decimal digits of any length (CPython limits str -> int to 4300 digits)."""
    if len(s) <= 4000:
        return int(s) if s else 0
    n = 0
    for i in range(0, len(s), 4000):
        chunk = s[i:i + 4000]
        n = n * 10 ** len(chunk) + int(chunk)
    return n


def _int_to_digits(n: int) -> bytes:
    """b"%d" % n for a non-negative int of any size."""
    if n < 10**4000:
        return b"%d" % n
    hi, lo = divmod(n, 10**4000)
    return _int_to_digits(hi) + b"%04000d" % lo


def _exponent(s: bytes) -> int:
    """A (signed) exponent, clamped: anything beyond 10**9 over/underflows whatever the digits."""
    if not s:
        return 0
    neg = s[:1] == b"-"
    digits = s.lstrip(b"+-").lstrip(b"0")
    n = (int(digits) if digits else 0) if len(digits) <= 9 else 10**10
    return -n if neg else n


def _parse_ld(s):
    """string2ld: strtold of the whole string (no leading space, no trailing garbage, no NaN, no
    overflow or underflow to zero).  Returns ``(m, e)``, :data:`_INF` (strtold accepts "inf") or
    None when Redis answers "value is not a valid float"."""
    if not s or len(s) >= _MAX_LONG_DOUBLE_CHARS:
        return None
    s = bytes(s)
    m = _DEC_RE.fullmatch(s)
    if m is not None:
        sign, ipart, fpart, only_frac, exp = m.groups()
        if only_frac is not None:
            ipart, fpart = b"", only_frac
        fpart = fpart or b""
        digits = (ipart + fpart).lstrip(b"0")
        if not digits:
            return 0, 0
        e10 = _exponent(exp) - len(fpart)
        magnitude = len(digits) - 1 + e10  # floor(log10(value))
        if magnitude >= 4933:  # above LDBL_MAX (1.19e4932): ERANGE, HUGE_VALL
            return None
        if magnitude <= -4953:  # below half the smallest subnormal (3.6e-4951): ERANGE, 0
            return None
        d = _digits_to_int(digits)
        if sign == b"-":
            d = -d
        r = _ld_round(d * 10**e10, 1) if e10 >= 0 else _ld_round(d, 10**-e10)
    else:
        m = _HEX_RE.fullmatch(s)
        if m is None:
            if _INF_RE.fullmatch(s) is not None:
                return _INF
            return None  # includes "nan": string2ld refuses NaN
        sign, ipart, fpart, only_frac, exp = m.groups()
        if only_frac is not None:
            ipart, fpart = b"", only_frac
        fpart = fpart or b""
        h = int(ipart + fpart, 16)
        if h == 0:
            return 0, 0
        e2 = _exponent(exp) - 4 * len(fpart)
        if h.bit_length() + e2 > 16385:
            return None
        if h.bit_length() + e2 < -16447:
            return None
        if sign == b"-":
            h = -h
        r = _ld_round(h << e2, 1) if e2 >= 0 else _ld_round(h, 1 << -e2)
    if r is None or r[0] == 0:
        return None  # overflow, or a non-zero value that underflowed to zero
    return r


def _format_ld_human(m: int, e: int) -> bytes:
    """ld2string(LD_STR_HUMAN): "%.17Lf" (exact, round half to even), minus trailing zeros."""
    a = -m if m < 0 else m
    if e >= 0:
        q = (a << e) * 10**17
    else:
        d = 1 << -e
        q, r = divmod(a * 10**17, d)
        if 2 * r > d or (2 * r == d and q & 1):
            q += 1
    digits = _int_to_digits(q).rjust(18, b"0")
    text = digits[:-17] + b"." + digits[-17:]
    text = text.rstrip(b"0").rstrip(b".")
    if m < 0 and text != b"0":
        text = b"-" + text
    return text


@command("incrbyfloat")
def incrbyfloat(c, argv):
    key = argv[1]
    db = c.db
    v = db.lookup(key)
    if v is not None and type(v) is not bytes and type(v) is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    value = (0, 0) if v is None else _parse_ld(v)
    if value is None:
        raise CommandError(errors.NOT_FLOAT)
    incr = _parse_ld(argv[2])
    if incr is None:
        raise CommandError(errors.NOT_FLOAT)
    if value is _INF or incr is _INF:
        raise CommandError("ERR increment would produce NaN or Infinity")
    (m1, e1), (m2, e2) = value, incr
    e = min(e1, e2)
    total = (m1 << (e1 - e)) + (m2 << (e2 - e))
    r = _ld_round(total << e, 1) if e >= 0 else _ld_round(total, 1 << -e)
    if r is None:
        raise CommandError("ERR increment would produce NaN or Infinity")
    new = _format_ld_human(*r)
    if v is None:
        db.add(key, new)
    else:
        db.overwrite(key, new)
    c.node.notify(db, NOTIFY_STRING, b"incrbyfloat", key)
    # replicated as the result, so that float formatting can never make replicas or the AOF differ
    c.propagate_as = [[b"SET", key, new, b"KEEPTTL"]]
    return new


# -- LCS ----------------------------------------------------------------------------------------


def _lcs_rows(a: bytes, b: bytes) -> list:
    """The LCS table of a and b, one int per row (bit-parallel, Hyyrö 2004): bit j-1 of row i is 0
    exactly when LCS(i, j) = LCS(i, j-1) + 1, so LCS(i, j) = j - popcount(row_i & (2**j - 1))."""
    match: dict = {}
    for j, ch in enumerate(b):
        match[ch] = match.get(ch, 0) | (1 << j)
    full = (1 << len(b)) - 1
    row = full
    rows = [row]
    for ch in a:
        u = row & match.get(ch, 0)
        row = ((row + u) | (row - u)) & full
        rows.append(row)
    return rows


@command("lcs")
def lcs(c, argv):
    db = c.db
    oa = db.lookup_read(argv[1])
    ob = db.lookup_read(argv[2])
    if (oa is not None and type(oa) is not bytes and type(oa) is not bytearray) or (
            ob is not None and type(ob) is not bytes and type(ob) is not bytearray):
        raise CommandError("ERR The specified keys must contain string values")
    a = bytes(oa) if oa is not None else b""
    b = bytes(ob) if ob is not None else b""
    getlen = getidx = withmatchlen = False
    minmatchlen = 0
    j = 3
    n = len(argv)
    while j < n:
        opt = _cstr(argv[j]).upper()
        if opt == b"IDX":
            getidx = True
        elif opt == b"LEN":
            getlen = True
        elif opt == b"WITHMATCHLEN":
            withmatchlen = True
        elif opt == b"MINMATCHLEN" and j < n - 1:
            minmatchlen = _ll_or_err(argv[j + 1])
            if minmatchlen < 0:
                minmatchlen = 0
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    if getidx and getlen:
        raise CommandError("ERR If you want both the length and indexes, please just use IDX.")

    alen, blen = len(a), len(b)
    # Redis allocates an (alen+1) x (blen+1) table of uint32: refused beyond proto-max-bulk-len
    if (alen + 1) * (blen + 1) * 4 > c.node.config["proto-max-bulk-len"]:
        raise CommandError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    rows = _lcs_rows(a, b)
    total = blen - rows[alen].bit_count()
    if getlen and not getidx:
        return total

    def at(i, j):  # LCS(i, j)
        return j - (rows[i] & ((1 << j) - 1)).bit_count()

    # Walk back from the end as Redis does (same tie-breaking, so the same LCS and the same ranges).
    result = bytearray()
    matches = []
    arange_start = alen  # alen: no range in progress
    arange_end = brange_start = brange_end = 0
    i, j = alen, blen
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result.append(a[i - 1])
            if arange_start == alen:
                arange_start = arange_end = i - 1
                brange_start = brange_end = j - 1
            elif arange_start == i and brange_start == j:
                arange_start -= 1
                brange_start -= 1
            else:
                emit = True
            if arange_start == 0 or brange_start == 0:
                emit = True
            i -= 1
            j -= 1
        else:
            if at(i - 1, j) > at(i, j - 1):
                i -= 1
            else:
                j -= 1
            if arange_start != alen:
                emit = True
        if emit:
            match_len = arange_end - arange_start + 1
            if getidx and (minmatchlen == 0 or match_len >= minmatchlen):
                entry = [[arange_start, arange_end], [brange_start, brange_end]]
                if withmatchlen:
                    entry.append(match_len)
                matches.append(entry)
            arange_start = alen
    if getidx:
        return Map([(b"matches", matches), (b"len", total)])
    result.reverse()
    return bytes(result)


# -- bitmaps (bitops.c) -------------------------------------------------------------------------

_BIT_OFFSET_ERR = "ERR bit offset is not an integer or out of range"


def _bit_offset(c, arg: bytes, hash_ok: bool = False, bits: int = 0) -> int:
    """getBitOffsetFromArgument: a bit offset, or "#<n>" (n * bits) in BITFIELD."""
    usehash = hash_ok and arg[:1] == b"#"
    off = _ll(arg[1:] if usehash else arg)
    if off is None:
        raise CommandError(_BIT_OFFSET_ERR)
    if usehash:
        off = _wrap64(off * bits)
    if off < 0 or (not c.is_master and (off >> 3) >= c.node.config["proto-max-bulk-len"]):
        raise CommandError(_BIT_OFFSET_ERR)
    return off


def _string_for_bits(c, key: bytes, maxbit: int):
    """lookupStringForBitCommand: the (bytearray) string at ``key``, created or zero-padded so that
    bit ``maxbit`` exists.  Returns ``(value, grown)``: grown is 2 for a new key (already signalled
    as modified by ``db.add``), 1 when it was zero-padded."""
    db = c.db
    size = (maxbit >> 3) + 1
    v = db.lookup(key)
    if v is None:
        v = bytearray(size)
        db.add(key, v)
        return v, 2
    t = type(v)
    if t is not bytes and t is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    v = _unshare(db, key, v)
    if len(v) < size:
        v.extend(bytes(size - len(v)))
        return v, 1
    return v, 0


@command("setbit")
def setbit(c, argv):
    offset = _bit_offset(c, argv[2])
    on = _ll(argv[3])
    if on is None or on & ~1:
        raise CommandError("ERR bit is not an integer or out of range")
    v, grown = _string_for_bits(c, argv[1], offset)
    byte = offset >> 3
    mask = 1 << (7 - (offset & 7))
    old = v[byte] & mask
    if grown or bool(old) != on:
        v[byte] = (v[byte] | mask) if on else (v[byte] & ~mask)
        if grown != 2:  # (a new key was signalled when added: one change, as server.dirty++)
            c.db.touch(argv[1])
        c.node.notify(c.db, NOTIFY_STRING, b"setbit", argv[1])
    return 1 if old else 0


@command("getbit")
def getbit(c, argv):
    offset = _bit_offset(c, argv[2])
    v = _read_string(c, argv[1])
    if v is None:
        return 0
    byte = offset >> 3
    if byte >= len(v):
        return 0
    return 1 if v[byte] & (1 << (7 - (offset & 7))) else 0


def _bit_unit(arg: bytes) -> bool:
    """The BIT | BYTE argument of BITCOUNT / BITPOS: True for BIT."""
    unit = _cstr(arg).lower()
    if unit == b"bit":
        return True
    if unit == b"byte":
        return False
    raise CommandError(errors.SYNTAX)


def _bits_of(v, sbit: int, ebit: int) -> int:
    """Bits sbit..ebit (inclusive, most significant bit of byte 0 first) of v, as an int."""
    seg = int.from_bytes(v[sbit >> 3:(ebit >> 3) + 1], "big")
    return (seg >> (7 - (ebit & 7))) & ((1 << (ebit - sbit + 1)) - 1)


@command("bitcount")
def bitcount(c, argv):
    v = _read_string(c, argv[1])
    if v is None:
        return 0  # before the arguments are even parsed, as in 7.0
    n = len(argv)
    if n == 4 or n == 5:
        start = _ll_or_err(argv[2])
        end = _ll_or_err(argv[3])
        if start < 0 and end < 0 and start > end:
            return 0
        isbit = _bit_unit(argv[4]) if n == 5 else False
        total = len(v) << 3 if isbit else len(v)
        if start < 0:
            start += total
        if end < 0:
            end += total
        if start < 0:
            start = 0
        if end < 0:
            end = 0
        if end >= total:
            end = total - 1
        if start > end:
            return 0
        if isbit:
            return _bits_of(v, start, end).bit_count()
        return int.from_bytes(v[start:end + 1], "big").bit_count()
    if n == 2:
        return int.from_bytes(v, "big").bit_count()
    raise CommandError(errors.SYNTAX)


@command("bitpos")
def bitpos(c, argv):
    bit = _ll_or_err(argv[2])
    if bit != 0 and bit != 1:
        raise CommandError("ERR The bit argument must be 1 or 0.")
    v = c.db.lookup_read(argv[1])
    if v is None:
        return -1 if bit else 0  # an infinite string of zero bits
    if type(v) is not bytes and type(v) is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    n = len(argv)
    end_given = False
    isbit = False
    if 4 <= n <= 6:
        total = len(v)
        start = _ll_or_err(argv[3])
        if n == 6:
            isbit = _bit_unit(argv[5])
        if n >= 5:
            end = _ll_or_err(argv[4])
            end_given = True
        else:
            end = total - 1
        if isbit:
            total <<= 3
        if start < 0:
            start += total
        if end < 0:
            end += total
        if start < 0:
            start = 0
        if end < 0:
            end = 0
        if end >= total:
            end = total - 1
    elif n == 3:
        start, end = 0, len(v) - 1
    else:
        raise CommandError(errors.SYNTAX)
    if start > end:
        return -1  # an empty range holds neither a 0 nor a 1
    if not isbit:
        start, end = start << 3, (end << 3) + 7
    width = end - start + 1
    seg = _bits_of(v, start, end)
    if not bit:
        seg ^= (1 << width) - 1
    if seg == 0:
        # No such bit.  Looking for a 0 without an explicit end, the string continues with zeros.
        return end + 1 if not bit and not end_given else -1
    return start + width - seg.bit_length()


_BITOP_NAMES = {b"and": "and", b"or": "or", b"xor": "xor", b"not": "not"}


@command("bitop")
def bitop(c, argv):
    op = _BITOP_NAMES.get(_cstr(argv[1]).lower())
    if op is None:
        raise CommandError(errors.SYNTAX)
    if op == "not" and len(argv) != 4:
        raise CommandError("ERR BITOP NOT must be called with a single source key.")
    db = c.db
    srcs = []
    for key in argv[3:]:
        v = db.lookup_read(key)
        if v is None:
            srcs.append(b"")
        elif type(v) is bytes or type(v) is bytearray:
            srcs.append(v)
        else:
            raise CommandError(errors.WRONGTYPE)
    maxlen = max(len(s) for s in srcs)
    dest = argv[2]
    if not maxlen:
        if db.delete(dest):
            c.node.notify(db, NOTIFY_GENERIC, b"del", dest)
        return 0
    nums = [int.from_bytes(s, "big") << (8 * (maxlen - len(s))) for s in srcs]  # zero-padded on the right
    r = nums[0]
    if op == "and":
        for x in nums[1:]:
            r &= x
    elif op == "or":
        for x in nums[1:]:
            r |= x
    elif op == "xor":
        for x in nums[1:]:
            r ^= x
    else:
        r ^= (1 << (8 * maxlen)) - 1
    db.set(dest, bytearray(r.to_bytes(maxlen, "big")))
    c.node.notify(db, NOTIFY_STRING, b"set", dest)
    return maxlen


# BITFIELD ---------------------------------------------------------------------------------------

_BF_GET, _BF_SET, _BF_INCRBY = 0, 1, 2
_BF_WRAP, _BF_SAT, _BF_FAIL = 0, 1, 2
_BF_OVERFLOW_TYPES = {b"wrap": _BF_WRAP, b"sat": _BF_SAT, b"fail": _BF_FAIL}
_BF_TYPE_ERR = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
_U64 = 0xFFFFFFFFFFFFFFFF


def _bf_type(arg: bytes):
    """getBitfieldTypeFromArgument: ``(signed, bits)`` from "i<1..64>" or "u<1..63>"."""
    p = _cstr(arg)
    kind = p[:1]
    if kind != b"i" and kind != b"u":
        raise CommandError(_BF_TYPE_ERR)
    signed = kind == b"i"
    bits = _ll(p[1:])
    if bits is None or bits < 1 or bits > (64 if signed else 63):
        raise CommandError(_BF_TYPE_ERR)
    return signed, bits


def _bf_get(v, offset: int, bits: int) -> int:
    """getUnsignedBitfield, reading zeros past the end of v."""
    end = offset + bits - 1
    first, last = offset >> 3, end >> 3
    seg = v[first:last + 1]
    if len(seg) < last + 1 - first:
        seg = bytes(seg) + bytes(last + 1 - first - len(seg))
    return (int.from_bytes(seg, "big") >> (7 - (end & 7))) & ((1 << bits) - 1)


def _bf_set(v: bytearray, offset: int, bits: int, value: int) -> None:
    """setUnsignedBitfield (v is long enough)."""
    end = offset + bits - 1
    first, last = offset >> 3, end >> 3
    nbytes = last + 1 - first
    shift = 7 - (end & 7)
    mask = ((1 << bits) - 1) << shift
    cur = int.from_bytes(v[first:last + 1], "big")
    cur = (cur & ~mask) | ((value << shift) & mask)
    v[first:last + 1] = cur.to_bytes(nbytes, "big")


def _to_signed(u: int, bits: int) -> int:
    return u - (1 << bits) if u >> (bits - 1) else u


def _check_unsigned_overflow(value: int, incr: int, bits: int, owtype: int):
    """checkUnsignedBitfieldOverflow: ``(overflow, limit)`` (value is a uint64, incr an int64)."""
    mx = (1 << bits) - 1
    maxincr = _wrap64(mx - value)
    minincr = _wrap64(-value)
    if value > mx or (incr > 0 and incr > maxincr):
        over, sat = 1, mx
    elif incr < 0 and incr < minincr:
        over, sat = -1, 0
    else:
        return 0, None
    if owtype == _BF_WRAP:
        return over, (value + incr) & mx
    return over, sat


def _check_signed_overflow(value: int, incr: int, bits: int, owtype: int):
    """checkSignedBitfieldOverflow: ``(overflow, limit)`` (value and incr are int64)."""
    mx = LLONG_MAX if bits == 64 else (1 << (bits - 1)) - 1
    mn = -mx - 1
    maxincr = _wrap64(mx - value)
    minincr = _wrap64(mn - value)
    if value > mx or (bits != 64 and incr > maxincr) or (value >= 0 and incr > 0 and incr > maxincr):
        over, sat = 1, mx
    elif value < mn or (bits != 64 and incr < minincr) or (value < 0 and incr < 0 and incr < minincr):
        over, sat = -1, mn
    else:
        return 0, None
    if owtype == _BF_WRAP:
        return over, _to_signed((value + incr) & ((1 << bits) - 1), bits)
    return over, sat


def _bitfield(c, argv, readonly_cmd: bool):
    """bitfieldGeneric: parse every operation first, then run them in order."""
    ops = []
    owtype = _BF_WRAP
    readonly = True
    highest = 0
    n = len(argv)
    j = 2
    while j < n:
        remaining = n - j - 1
        sub = _cstr(argv[j]).lower()
        if sub == b"get" and remaining >= 2:
            opcode = _BF_GET
        elif sub == b"set" and remaining >= 3:
            opcode = _BF_SET
        elif sub == b"incrby" and remaining >= 3:
            opcode = _BF_INCRBY
        elif sub == b"overflow" and remaining >= 1:
            owtype = _BF_OVERFLOW_TYPES.get(_cstr(argv[j + 1]).lower())
            if owtype is None:
                raise CommandError("ERR Invalid OVERFLOW type specified")
            j += 2
            continue
        else:
            raise CommandError(errors.SYNTAX)
        signed, bits = _bf_type(argv[j + 1])
        offset = _bit_offset(c, argv[j + 2], True, bits)
        arg = 0
        if opcode != _BF_GET:
            readonly = False
            highest = max(highest, offset + bits - 1)
            arg = _ll_or_err(argv[j + 3])
        ops.append((opcode, offset, arg, owtype, bits, signed))
        j += 3 if opcode == _BF_GET else 4

    key = argv[1]
    grown = 0
    if readonly:
        v = _read_string(c, key)
        if v is None:
            v = b""
    else:
        if readonly_cmd:
            raise CommandError("ERR BITFIELD_RO only supports the GET subcommand")
        v, grown = _string_for_bits(c, key, highest)

    out = []
    changes = 0
    for opcode, offset, arg, owtype, bits, signed in ops:
        if opcode == _BF_GET:
            u = _bf_get(v, offset, bits)
            out.append(_to_signed(u, bits) if signed else u)
            continue
        old_u = _bf_get(v, offset, bits)
        if signed:
            old = _to_signed(old_u, bits)
            if opcode == _BF_INCRBY:
                over, limit = _check_signed_overflow(old, arg, bits, owtype)
                new = limit if over else old + arg
                ret = new
            else:
                over, limit = _check_signed_overflow(arg, 0, bits, owtype)
                new = limit if over else arg
                ret = old
        else:
            old = old_u
            if opcode == _BF_INCRBY:
                over, limit = _check_unsigned_overflow(old, arg, bits, owtype)
                new = limit if over else old + arg
                ret = new
            else:
                value = arg & _U64  # the int64 argument seen as a uint64
                over, limit = _check_unsigned_overflow(value, 0, bits, owtype)
                new = limit if over else value
                ret = old
        if over and owtype == _BF_FAIL:
            out.append(None)
            continue
        out.append(ret)
        _bf_set(v, offset, bits, new & ((1 << bits) - 1))
        if grown or new != old:
            changes += 1
    if changes:
        if grown != 2:  # (a new key was signalled when added)
            c.db.touch(key)
        c.node.notify(c.db, NOTIFY_STRING, b"setbit", key)
    # server.dirty += changes: one per SET / INCRBY that changed a value (any, on a created or grown
    # string); the signals above counted one (none if nothing changed)
    delta = changes - (1 if changes or grown == 2 else 0)
    if delta and hasattr(c.node, "dirty"):
        c.node.dirty += delta
    return out


@command("bitfield")
def bitfield(c, argv):
    return _bitfield(c, argv, False)


@command("bitfield_ro")
def bitfield_ro(c, argv):
    return _bitfield(c, argv, True)
