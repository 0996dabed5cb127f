"""Hash commands (Redis: t_hash.c), byte for byte as Redis 7.0.

A hash is a :class:`~pyredis_cluster.store.types.HashValue` (a ``dict`` field -> value, both bytes).
Its Redis encoding is tracked in ``h.big`` (see :mod:`~pyredis_cluster.store.containers`): a
*listpack* hash keeps its fields in insertion order (a ``dict`` does too, and updating a value keeps
its place, as in a listpack), answers HSCAN in one call with cursor 0 and samples HRANDFIELD fields
in listpack order.  A *hashtable* hash (``big``) has an order Redis leaves open.

The order of checks follows t_hash.c: argument counts, then numbers (HINCRBY's increment is parsed
before the key is looked up), then the key's type.
"""

from __future__ import annotations

import itertools

from .. import errors
from ..config import NOTIFY_GENERIC, NOTIFY_HASH
from ..errors import CommandError
from ..protocol.reply import NO_REPLY, OK, Map
from ..server.limits import huge_reply
from ..store.containers import (
    LLONG_MAX,
    LLONG_MIN,
    hash_is_big,
    parse_scan_options,
    pool_added,
    random_distinct,
    random_element,
    random_elements,
    scan_step,
    string2ll,
)
from ..store.types import ENCODINGS, HashValue
from .keys import parse_scan_cursor
from .strings import _INF, _format_ld_human, _ld_round, _parse_ld
from .table import command

LONG_MAX = LLONG_MAX

HASH_VALUE_NOT_INTEGER = "ERR hash value is not an integer"
HASH_VALUE_NOT_FLOAT = "ERR hash value is not a float"
NAN_OR_INFINITY = "ERR value is NaN or Infinity"
WOULD_PRODUCE_NAN = "ERR increment would produce NaN or Infinity"
COUNT_OUT_OF_RANGE = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
WITHVALUES_OUT_OF_RANGE = "ERR value is out of range"

EMPTY_SCAN = [b"0", []]


def _encoding(h, config) -> bytes:
    return b"hashtable" if hash_is_big(h, config) else b"listpack"


ENCODINGS[HashValue] = _encoding


def _read(c, key: bytes):
    """lookupKeyRead + checkType: the hash at ``key`` or None."""
    h = c.db.lookup_read(key)
    if h is not None and type(h) is not HashValue:
        raise CommandError(errors.WRONGTYPE)
    return h


def _write(c, key: bytes):
    """hashTypeLookupWriteOrCreate: ``(hash, created)``; a created hash is added by :func:`_done`."""
    h = c.db.lookup(key)
    if h is None:
        h = HashValue()
        h.big = False
        return h, True
    if type(h) is not HashValue:
        raise CommandError(errors.WRONGTYPE)
    return h, False


def _done(c, key: bytes, h, created: bool) -> None:
    if created:
        c.db.add(key, h)
    else:
        c.db.touch(key)


def _set_fields(c, argv, h) -> int:
    """HSET/HMSET's work: hashTypeTryConversion on every argument, then hashTypeSet each pair."""
    config = c.node.config
    big = hash_is_big(h, config)
    n = len(argv)
    if not big:
        limit = config["hash-max-listpack-value"]
        for i in range(2, n):
            if len(argv[i]) > limit:
                big = True
                break
    added = 0
    pool = getattr(h, "pool", None)
    for i in range(2, n, 2):
        f = argv[i]
        if f not in h:
            added += 1
            if pool is not None:
                pool.append(f)
        h[f] = argv[i + 1]
    if not big and len(h) > config["hash-max-listpack-entries"]:
        big = True
    h.big = big
    return added


def _set_one(c, h, field: bytes, value: bytes) -> None:
    """hashTypeSet of one field (HSETNX, HINCRBY, HINCRBYFLOAT): converts on a long field or value
    and when the entry count goes past the limit."""
    config = c.node.config
    if field not in h:
        pool_added(h, field)
    if not hash_is_big(h, config):
        limit = config["hash-max-listpack-value"]
        if len(field) > limit or len(value) > limit:
            h.big = True
        h[field] = value
        if len(h) > config["hash-max-listpack-entries"]:
            h.big = True
    else:
        h[field] = value


@command("hset")
def hset(c, argv):
    if len(argv) & 1:
        raise CommandError(errors.wrong_arity("hset"))
    key = argv[1]
    h, created = _write(c, key)
    added = _set_fields(c, argv, h)
    _done(c, key, h, created)
    if c.node.notify_flags:
        c.node.notify(c.db, NOTIFY_HASH, b"hset", key)
    return added


@command("hmset")
def hmset(c, argv):
    if len(argv) & 1:
        raise CommandError(errors.wrong_arity("hmset"))
    key = argv[1]
    h, created = _write(c, key)
    _set_fields(c, argv, h)
    _done(c, key, h, created)
    c.node.notify(c.db, NOTIFY_HASH, b"hset", key)
    return OK


@command("hsetnx")
def hsetnx(c, argv):
    key = argv[1]
    h, created = _write(c, key)
    if argv[2] in h:
        return 0
    _set_one(c, h, argv[2], argv[3])
    _done(c, key, h, created)
    c.node.notify(c.db, NOTIFY_HASH, b"hset", key)
    return 1


@command("hget")
def hget(c, argv):
    h = _read(c, argv[1])
    if h is None:
        return None
    return h.get(argv[2])


@command("hmget")
def hmget(c, argv):
    h = _read(c, argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(f) for f in argv[2:]]


@command("hdel")
def hdel(c, argv):
    key = argv[1]
    db = c.db
    h = db.lookup(key)
    if h is None:
        return 0
    if type(h) is not HashValue:
        raise CommandError(errors.WRONGTYPE)
    deleted = 0
    for f in argv[2:]:
        if f in h:
            del h[f]
            deleted += 1
            if not h:
                break
    if deleted:  # (deleted fields stay in the pick pool until a pick meets them)
        if h:
            db.touch(key)
        else:
            db.delete(key)
        c.node.notify(db, NOTIFY_HASH, b"hdel", key)
        if not h:
            c.node.notify(db, NOTIFY_GENERIC, b"del", key)
    return deleted


@command("hlen")
def hlen(c, argv):
    h = _read(c, argv[1])
    return 0 if h is None else len(h)


@command("hstrlen")
def hstrlen(c, argv):
    h = _read(c, argv[1])
    if h is None:
        return 0
    v = h.get(argv[2])
    return 0 if v is None else len(v)


@command("hexists")
def hexists(c, argv):
    h = _read(c, argv[1])
    return 1 if h is not None and argv[2] in h else 0


@command("hkeys")
def hkeys(c, argv):
    h = _read(c, argv[1])
    return [] if h is None else list(h)


@command("hvals")
def hvals(c, argv):
    h = _read(c, argv[1])
    return [] if h is None else list(h.values())


@command("hgetall")
def hgetall(c, argv):
    h = _read(c, argv[1])
    return Map([] if h is None else list(h.items()))


@command("hincrby")
def hincrby(c, argv):
    incr = string2ll(argv[3])
    if incr is None:
        raise CommandError(errors.NOT_INTEGER)
    key = argv[1]
    field = argv[2]
    h, created = _write(c, key)
    cur = h.get(field)
    if cur is None:
        value = 0
    else:
        value = string2ll(cur)
        if value is None:
            raise CommandError(HASH_VALUE_NOT_INTEGER)
    value += incr
    if value > LLONG_MAX or value < LLONG_MIN:
        raise CommandError(errors.OVERFLOW)
    _set_one(c, h, field, b"%d" % value)
    _done(c, key, h, created)
    c.node.notify(c.db, NOTIFY_HASH, b"hincrby", key)
    return value


@command("hincrbyfloat")
def hincrbyfloat(c, argv):
    incr = _parse_ld(argv[3])
    if incr is None:
        raise CommandError(errors.NOT_FLOAT)
    if incr is _INF:
        raise CommandError(NAN_OR_INFINITY)
    key = argv[1]
    field = argv[2]
    h, created = _write(c, key)
    cur = h.get(field)
    if cur is None:
        m1, e1 = 0, 0
    else:
        value = _parse_ld(cur)
        if value is None:
            raise CommandError(HASH_VALUE_NOT_FLOAT)
        if value is _INF:
            raise CommandError(WOULD_PRODUCE_NAN)
        m1, e1 = value
    m2, e2 = incr
    e = min(e1, e2)
    total = (m1 << (e1 - e)) + (m2 << (e2 - e))  # exact sum, then one rounding, as the FPU does
    r = _ld_round(total << e, 1) if e >= 0 else _ld_round(total, 1 << -e)
    if r is None:
        raise CommandError(WOULD_PRODUCE_NAN)
    new = _format_ld_human(*r)
    _set_one(c, h, field, new)
    _done(c, key, h, created)
    c.node.notify(c.db, NOTIFY_HASH, b"hincrbyfloat", key)
    c.propagate_as = [[b"HSET", key, field, new]]  # the result, not the float arithmetic, is replicated
    return new


# -- HRANDFIELD ---------------------------------------------------------------------------------------


def _parse_count(arg: bytes) -> int:
    """getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)."""
    n = string2ll(arg)
    if n is None:
        raise CommandError(errors.NOT_INTEGER)
    if n < -LONG_MAX:
        raise CommandError(COUNT_OUT_OF_RANGE)
    return n


@command("hrandfield")
def hrandfield(c, argv):
    argc = len(argv)
    if argc >= 3:
        count = _parse_count(argv[2])
        withvalues = False
        if argc > 4 or (argc == 4 and argv[3].lower() != b"withvalues"):
            raise CommandError(errors.SYNTAX)
        if argc == 4:
            withvalues = True
            if count < -(LONG_MAX // 2) or count > LONG_MAX // 2:  # C division: -LONG_MAX/2 rounds up
                raise CommandError(WITHVALUES_OUT_OF_RANGE)
        return _hrandfield_count(c, argv[1], count, withvalues)
    h = _read(c, argv[1])
    if h is None:
        return None
    return random_element(h, c.db.rng)


def _hrandfield_count(c, key: bytes, count: int, withvalues: bool):
    """hrandfieldWithCountCommand."""
    h = _read(c, key)
    if h is None or count == 0:
        return []
    nested = withvalues and c.resp3
    rng = c.db.rng
    size = len(h)
    if count < 0 and huge_reply(c, -count, min(6 + len(f) + (6 + len(v) if withvalues else 0)
                                                for f, v in itertools.islice(h.items(), 16))):
        return NO_REPLY  # the client went over its output buffer limit: closed
    if count < 0 or count == 1:  # CASE 1: count random picks, repeats allowed
        fields = random_elements(h, rng, -count if count < 0 else count)
    elif count >= size:  # CASE 2: the whole hash, in its order
        fields = list(h)
    elif count * 3 <= size and not hash_is_big(h, c.node.config):
        # CASE 4 of a listpack (lpRandomPairsUnique): a sample in the listpack's own order
        picked = sorted(rng.sample(range(size), count))
        fields = list(h)
        fields = [fields[i] for i in picked]
    else:  # CASES 3 and 4: distinct fields in a random order
        fields = random_distinct(h, rng, count)
    if not withvalues:
        return fields
    if nested:
        return [[f, h[f]] for f in fields]
    out = []
    for f in fields:
        out.append(f)
        out.append(h[f])
    return out


# -- HSCAN --------------------------------------------------------------------------------------------


@command("hscan")
def hscan(c, argv):
    cursor = parse_scan_cursor(argv[2].split(b"\0", 1)[0])  # strtoul stops at a NUL byte
    h = _read(c, argv[1])
    if h is None:
        return EMPTY_SCAN
    count, match = parse_scan_options(argv, 3)
    out = []
    if not hash_is_big(h, c.node.config):  # a listpack: everything at once, in order
        for f, v in h.items():
            if match is None or match(f):
                out.append(f)
                out.append(v)
        return [b"0", out]
    cursor, fields = scan_step(h, cursor, count)
    for f in fields:
        if match is None or match(f):
            out.append(f)
            out.append(h[f])
    return [b"%d" % cursor, out]
