"""Sorted set commands (Redis: t_zset.c), byte for byte as Redis 7.0.

The value is :class:`~pyredis_cluster.store.zset.ZSetValue` (a dict plus a SortedList); this module
follows t_zset.c's command functions in order and wording: option parsing, the order in which
errors are detected (syntax, then numbers, then the key's type), and the reply shapes, which differ
between RESP2 and RESP3 and from one command to the next:

* ZRANGE & co. WITHSCORES, ZUNION/ZINTER/ZDIFF WITHSCORES, ZRANDMEMBER WITHSCORES, ZPOPMIN/ZPOPMAX
  *with a count*: RESP2 a flat array ``member, score, ...``; RESP3 an array of ``[member, score]``
  pairs (scores are doubles ``,1.5``);
* ZPOPMIN/ZPOPMAX *without* a count: a flat ``[member, score]`` in both protocols;
* ZMPOP: ``[key, [[member, score], ...]]`` in both protocols, a null array when nothing was popped;
* ZSCAN: scores as bulk strings, formatted as the encoding stores them.

BZPOPMIN, BZPOPMAX and BZMPOP pop at once when they can, else block the client through
``node.blocking`` (:mod:`..server.blocking`); every command that *creates* a sorted set key (ZADD,
ZINCRBY, the *STORE commands on a new destination) signals it as ready, as Redis's ``dbAdd`` does
(overwriting an existing key does not, in Redis 7.0 either).
"""

from __future__ import annotations

import itertools

from .. import errors
from ..config import NOTIFY_GENERIC, NOTIFY_ZSET
from ..errors import CommandError
from ..protocol.reply import NO_REPLY, NULL_ARRAY, ZERO, Raw
from ..server.limits import huge_reply
from ..store.glob import compile_pattern
from ..store.types import SetValue
from ..store.zset import (
    ZSetValue,
    listpack_score_text,
    parse_lex_bound,
    parse_score_bound,
    skiplist_score_text,
    string2d,
)
from .lists import parse_timeout
from .table import COMMANDS, command

LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)

NOT_FLOAT_RANGE = "ERR min or max is not a float"
NOT_LEX_RANGE = "ERR min or max not valid string range item"
NAN_RESULT = "ERR resulting score is not a number (NaN)"
XX_NX = "ERR XX and NX options at the same time are not compatible"
GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
INCR_PAIRS = "ERR INCR option supports a single increment-element pair"
LIMIT_RANK = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
WITHSCORES_LEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
MUST_BE_POSITIVE = "ERR value is out of range, must be positive"
NUMKEYS_POSITIVE = "ERR numkeys should be greater than 0"
COUNT_POSITIVE = "ERR count should be greater than 0"
INVALID_CURSOR = "ERR invalid cursor"
OUT_OF_RANGE = "ERR value is out of range"

EMPTY = Raw(b"*0\r\n")
EMPTY_SCAN = Raw(b"*2\r\n$1\r\n0\r\n*0\r\n")


# -- argument parsing ------------------------------------------------------------------------------

def _string2ll(s: bytes):
    """util.c ``string2ll``: the integer spelled exactly by ``s`` (no spaces, no ``+``, no leading
    zeros, 64 bits), or None."""
    n = len(s)
    if n == 0 or n >= 21:
        return None
    if s == b"0":
        return 0
    i = 1 if s[0] == 45 else 0
    if i == n or not 49 <= s[i] <= 57:
        return None
    for ch in s[i + 1:]:
        if not 48 <= ch <= 57:
            return None
    v = int(s)
    if v > LONG_MAX or v < LONG_MIN:
        return None
    return v


def _opt(arg: bytes) -> bytes:
    """An option keyword as ``strcasecmp`` sees it: a C string, so it ends at the first NUL byte."""
    i = arg.find(b"\0")
    return (arg if i < 0 else arg[:i]).lower()


def _long(arg: bytes, msg: str | None = None) -> int:
    """getLongFromObjectOrReply."""
    v = _string2ll(arg)
    if v is None:
        raise CommandError(msg or errors.NOT_INTEGER)
    return v


def _range_long(arg: bytes, lo: int, hi: int, msg: str | None = None) -> int:
    """getRangeLongFromObjectOrReply."""
    v = _long(arg, msg)
    if v < lo or v > hi:
        raise CommandError(msg or "ERR value is out of range, value must between %d and %d" % (lo, hi))
    return v


def _scan_cursor(arg: bytes) -> int:
    """parseScanCursorOrReply: ``strtoul(arg, &end, 10)`` up to the end of the C string (a NUL byte
    ends it), no leading space."""
    i = arg.find(b"\0")
    if i >= 0:
        arg = arg[:i]
    if arg[:1] in (b" ", b"\t", b"\n", b"\v", b"\f", b"\r"):
        raise CommandError(INVALID_CURSOR)
    if not arg:
        return 0
    body = arg
    sign = 1
    if arg[:1] in (b"+", b"-"):
        sign = -1 if arg[:1] == b"-" else 1
        body = arg[1:]
    if not body or not body.isdigit():
        raise CommandError(INVALID_CURSOR)
    v = int(body)
    if v > 2**64 - 1:
        raise CommandError(INVALID_CURSOR)
    return (sign * v) & (2**64 - 1)


def _score_range(argv_min: bytes, argv_max: bytes):
    lo = parse_score_bound(argv_min)
    hi = parse_score_bound(argv_max)
    if lo is None or hi is None:
        raise CommandError(NOT_FLOAT_RANGE)
    return lo, hi


def _lex_range(argv_min: bytes, argv_max: bytes):
    lo = parse_lex_bound(argv_min)
    hi = parse_lex_bound(argv_max)
    if lo is None or hi is None:
        raise CommandError(NOT_LEX_RANGE)
    return lo, hi


def _limits(c):
    config = c.node.config
    return config["zset-max-listpack-entries"], config["zset-max-listpack-value"]


# -- lookups ---------------------------------------------------------------------------------------

def _read(c, key: bytes):
    """lookupKeyRead + checkType: the sorted set at ``key`` or None."""
    v = c.db.lookup_read(key)
    if v is not None and type(v) is not ZSetValue:
        raise CommandError(errors.WRONGTYPE)
    return v


def _write(c, key: bytes):
    """lookupKeyWrite + checkType."""
    v = c.db.lookup(key)
    if v is not None and type(v) is not ZSetValue:
        raise CommandError(errors.WRONGTYPE)
    return v


def _notify(c, event: bytes, key: bytes, type_flag: int = NOTIFY_ZSET) -> None:
    """notifyKeyspaceEvent (cheap when notify-keyspace-events is off)."""
    node = c.node
    if node.notify_flags:
        node.notify(c.db, type_flag, event, key)


def _store(c, key: bytes, z, event: bytes) -> int:
    """The *STORE commands' result: setKey (overwriting, dropping any TTL, or creating -- then the
    key is signalled to blocked clients like dbAdd does; dbOverwrite signals nothing in 7.0), or the
    destination deleted when the result is empty.  Returns the reply."""
    db = c.db
    if z is None or not z.scores:
        if db.delete(key):
            _notify(c, b"del", key, NOTIFY_GENERIC)
        return ZERO
    created = db.peek(key) is None
    db.set(key, z)
    if created:
        c.node.blocking.signal(db, key)
    _notify(c, event, key)
    return len(z.scores)


def _removed(c, key: bytes, z, n: int, event: bytes) -> None:
    """After removing ``n`` members: server.dirty += n, the event, and the key deleted (with a "del"
    event) once empty, else signalled as modified."""
    db = c.db
    c.node.dirty += n - 1  # the touch / delete below counts one
    if z.scores:
        db.touch(key)
        _notify(c, event, key)
    else:
        db.delete(key)
        _notify(c, event, key)
        _notify(c, b"del", key, NOTIFY_GENERIC)


def _pairs_reply(c, items, withscores: bool):
    """Members of ``(score, member)`` items, with scores as RESP2 flat / RESP3 nested pairs."""
    if not withscores:
        return [m for _, m in items]
    if c.resp3:
        return [[m, s] for s, m in items]
    out = []
    for s, m in items:
        out.append(m)
        out.append(s)
    return out


# -- ZADD / ZINCRBY ---------------------------------------------------------------------------------

def _zadd_generic(c, argv, incr: bool):
    nx = xx = gt = lt = ch = False
    n = len(argv)
    idx = 2
    while idx < n:
        opt = _opt(argv[idx])
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt == b"ch":
            ch = True
        elif opt == b"incr":
            incr = True
        elif opt == b"gt":
            gt = True
        elif opt == b"lt":
            lt = True
        else:
            break
        idx += 1
    elements = n - idx
    if elements % 2 or not elements:
        raise CommandError(errors.SYNTAX)
    elements //= 2
    if nx and xx:
        raise CommandError(XX_NX)
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise CommandError(GT_LT_NX)
    if incr and elements > 1:
        raise CommandError(INCR_PAIRS)
    scores = []
    for j in range(elements):
        v = string2d(argv[idx + 2 * j])
        if v is None:
            raise CommandError(errors.NOT_FLOAT)
        scores.append(v)

    db = c.db
    key = argv[1]
    z = _write(c, key)
    added = updated = processed = 0
    score = 0.0
    if z is None:
        if xx:
            return None if incr else 0
        entries, maxval = _limits(c)
        z = ZSetValue(listpack=not (entries == 0 or maxval < len(argv[idx + 1])))
        db.add(key, z)
        c.node.blocking.signal(db, key)
        created = True
    else:
        entries, maxval = _limits(c)
        created = False
    zscores = z.scores
    for j in range(elements):
        s = scores[j]
        member = argv[idx + 1 + 2 * j]
        cur = zscores.get(member)
        if cur is not None:
            if nx:
                continue
            if incr:
                s += cur
                if s != s:
                    raise CommandError(NAN_RESULT)  # (INCR takes one pair: nothing changed yet)
            if (lt and s >= cur) or (gt and s <= cur):
                continue
            if s != cur:
                z.update(member, cur, s)
                updated += 1
            processed += 1
            score = s
        elif not xx:
            z.insert(member, s, entries, maxval)
            added += 1
            processed += 1
            score = s
    if added or updated:
        if not created:
            db.touch(key)
        c.node.dirty += added + updated - 1  # server.dirty += added + updated
        _notify(c, b"zincr" if incr else b"zadd", key)
    if incr:
        return score if processed else None
    return added + updated if ch else added


@command("zadd")
def zadd(c, argv):
    return _zadd_generic(c, argv, False)


@command("zincrby")
def zincrby(c, argv):
    return _zadd_generic(c, argv, True)


# -- ZREM / ZREMRANGEBY* -----------------------------------------------------------------------------

@command("zrem")
def zrem(c, argv):
    key = argv[1]
    z = _write(c, key)
    if z is None:
        return ZERO
    deleted = 0
    for member in argv[2:]:
        if z.remove(member):
            deleted += 1
        if not z.scores:
            break
    if deleted:
        _removed(c, key, z, deleted, b"zrem")
    return deleted


def _zremrange(c, argv, rangetype: str):
    key = argv[1]
    if rangetype == "rank":
        start = _long(argv[2])
        end = _long(argv[3])
    elif rangetype == "score":
        rng = _score_range(argv[2], argv[3])
    else:
        rng = _lex_range(argv[2], argv[3])
    z = _write(c, key)
    if z is None:
        return ZERO
    if rangetype == "rank":
        llen = len(z)
        if start < 0:
            start += llen
        if end < 0:
            end += llen
        if start < 0:
            start = 0
        if start > end or start >= llen:
            return ZERO
        if end >= llen:
            end = llen - 1
        i, j = start, end + 1
    elif rangetype == "score":
        i, j = z.score_range(*rng)
    else:
        i, j = z.lex_range(rng)
    deleted = z.delete_index_range(i, j)
    if deleted:
        _removed(c, key, z, deleted, b"zremrangeby" + rangetype.encode())
    return deleted


@command("zremrangebyrank")
def zremrangebyrank(c, argv):
    return _zremrange(c, argv, "rank")


@command("zremrangebyscore")
def zremrangebyscore(c, argv):
    return _zremrange(c, argv, "score")


@command("zremrangebylex")
def zremrangebylex(c, argv):
    return _zremrange(c, argv, "lex")


# -- ZUNION / ZINTER / ZDIFF (+STORE), ZINTERCARD ----------------------------------------------------------

_UNION, _INTER, _DIFF = 0, 1, 2
_SUM, _MIN, _MAX = 0, 1, 2


def _members(v):
    """zuiNext: ``(member, score)`` of a sorted set, or of a plain set with score 1."""
    if type(v) is ZSetValue:
        return v.scores.items()
    return ((m, 1.0) for m in v)


def _find(v, member: bytes):
    """zuiFind: the score of ``member`` in a sorted set (1.0 in a set), None if absent."""
    if type(v) is ZSetValue:
        return v.scores.get(member)
    return 1.0 if member in v else None


def _setop(c, argv, dstkey, numkeys_idx: int, op: int, cardinality_only: bool = False):
    setnum = _long(argv[numkeys_idx])
    name = argv[0].decode("latin-1").lower()
    if setnum < 1:
        raise CommandError("ERR at least 1 input key is needed for '%s' command" % name)
    argc = len(argv)
    if setnum > argc - (numkeys_idx + 1):
        raise CommandError(errors.SYNTAX)
    db = c.db
    srcs = []  # [value or None, weight]
    j = numkeys_idx + 1
    for _ in range(setnum):
        v = db.lookup_read(argv[j])
        if v is not None and type(v) is not ZSetValue and not isinstance(v, SetValue):
            raise CommandError(errors.WRONGTYPE)
        srcs.append([v, 1.0])
        j += 1

    aggregate = _SUM
    withscores = False
    limit = 0
    remaining = argc - j
    while remaining:
        opt = _opt(argv[j])
        if op != _DIFF and not cardinality_only and remaining >= setnum + 1 and opt == b"weights":
            j += 1
            remaining -= 1
            for src in srcs:
                w = string2d(argv[j])
                if w is None:
                    raise CommandError(WEIGHT_NOT_FLOAT)
                src[1] = w
                j += 1
                remaining -= 1
        elif op != _DIFF and not cardinality_only and remaining >= 2 and opt == b"aggregate":
            j += 1
            agg = _opt(argv[j])
            if agg == b"sum":
                aggregate = _SUM
            elif agg == b"min":
                aggregate = _MIN
            elif agg == b"max":
                aggregate = _MAX
            else:
                raise CommandError(errors.SYNTAX)
            j += 1
            remaining -= 2
        elif remaining >= 1 and dstkey is None and not cardinality_only and opt == b"withscores":
            j += 1
            remaining -= 1
            withscores = True
        elif cardinality_only and remaining >= 2 and opt == b"limit":
            limit = _long(argv[j + 1], LIMIT_NEGATIVE)
            if limit < 0:
                raise CommandError(LIMIT_NEGATIVE)
            j += 2
            remaining -= 2
        else:
            raise CommandError(errors.SYNTAX)

    if op != _DIFF:  # smallest input first (a stable sort, like glibc's qsort here)
        srcs.sort(key=lambda s: len(s[0]) if s[0] is not None else 0)

    result: dict = {}
    first, w0 = srcs[0]
    if op == _INTER:
        if first is not None and len(first):
            cardinality = 0
            others = srcs[1:]
            for member, score in _members(first):
                total = w0 * score
                if total != total:
                    total = 0.0
                for v, w in others:
                    if v is first:
                        value = score * w
                    else:
                        value = _find(v, member) if v is not None else None
                        if value is None:
                            break
                        value *= w
                    if aggregate == _SUM:
                        total += value
                        if total != total:
                            total = 0.0
                    elif aggregate == _MIN:
                        if value < total:
                            total = value
                    elif value > total:
                        total = value
                else:
                    if cardinality_only:
                        cardinality += 1
                        if limit and cardinality >= limit:
                            break
                    else:
                        result[member] = total
            if cardinality_only:
                return cardinality
        elif cardinality_only:
            return 0
    elif op == _UNION:
        for v, w in srcs:
            if v is None:
                continue
            for member, score in _members(v):
                value = w * score
                if value != value:
                    value = 0.0
                total = result.get(member)
                if total is None:
                    result[member] = value
                elif aggregate == _SUM:
                    total += value
                    result[member] = 0.0 if total != total else total
                elif aggregate == _MIN:
                    if value < total:
                        result[member] = value
                elif value > total:
                    result[member] = value
    else:  # DIFF: the members of the first input found in none of the others, unweighted
        if first is not None and len(first):
            others = [v for v, _ in srcs[1:] if v is not None]
            if not any(v is first for v in others):
                for member, score in _members(first):
                    for v in others:
                        if _find(v, member) is not None:
                            break
                    else:
                        result[member] = score

    if dstkey is not None:
        entries, maxval = _limits(c)
        z = ZSetValue.from_pairs(result.items(), entries, maxval) if result else None
        return _store(c, dstkey, z, (b"zunionstore", b"zinterstore", b"zdiffstore")[op])
    items = sorted((s, m) for m, s in result.items())
    return _pairs_reply(c, items, withscores)


@command("zunionstore")
def zunionstore(c, argv):
    return _setop(c, argv, argv[1], 2, _UNION)


@command("zinterstore")
def zinterstore(c, argv):
    return _setop(c, argv, argv[1], 2, _INTER)


@command("zdiffstore")
def zdiffstore(c, argv):
    return _setop(c, argv, argv[1], 2, _DIFF)


@command("zunion")
def zunion(c, argv):
    return _setop(c, argv, None, 1, _UNION)


@command("zinter")
def zinter(c, argv):
    return _setop(c, argv, None, 1, _INTER)


@command("zintercard")
def zintercard(c, argv):
    return _setop(c, argv, None, 1, _INTER, cardinality_only=True)


@command("zdiff")
def zdiff(c, argv):
    return _setop(c, argv, None, 1, _DIFF)


# -- ZRANGE & co ---------------------------------------------------------------------------------------

_AUTO, _RANK, _SCORE, _LEX = 0, 1, 2, 3
_FORWARD, _REVERSE = 1, 2


def _zrange_generic(c, argv, argc_start: int, store: bool, rangetype: int, direction: int):
    """zrangeGenericCommand: ZRANGE, ZRANGESTORE and the Z[REV]RANGE[BYSCORE|BYLEX] forms."""
    key = argv[argc_start]
    minidx = argc_start + 1
    maxidx = argc_start + 2
    withscores = False
    offset = 0
    limit = -1
    argc = len(argv)
    j = argc_start + 3
    while j < argc:
        leftargs = argc - j - 1
        opt = _opt(argv[j])
        if not store and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and leftargs >= 2:
            offset = _long(argv[j + 1])
            limit = _long(argv[j + 2])
            j += 2
        elif direction == _AUTO and opt == b"rev":
            direction = _REVERSE
        elif rangetype == _AUTO and opt == b"bylex":
            rangetype = _LEX
        elif rangetype == _AUTO and opt == b"byscore":
            rangetype = _SCORE
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    if direction == _AUTO:
        direction = _FORWARD
    if rangetype == _AUTO:
        rangetype = _RANK
    if limit != -1 and rangetype == _RANK:
        raise CommandError(LIMIT_RANK)
    if withscores and rangetype == _LEX:
        raise CommandError(WITHSCORES_LEX)
    reverse = direction == _REVERSE
    if reverse and rangetype != _RANK:
        minidx, maxidx = maxidx, minidx

    if rangetype == _RANK:
        start = _long(argv[minidx])
        end = _long(argv[maxidx])
    elif rangetype == _SCORE:
        rng = _score_range(argv[minidx], argv[maxidx])
    else:
        rng = _lex_range(argv[minidx], argv[maxidx])

    z = _read(c, key)
    if z is None:
        items = ()
    elif rangetype == _RANK:
        items = _by_rank(z, start, end, reverse)
    elif rangetype == _SCORE:
        items = _by_score(z, rng, offset, limit, reverse)
    else:
        items = _by_lex(z, rng, offset, limit, reverse)

    if store:
        out = None
        if items:
            # zrangeResultBeginStore: a skiplist when a rank range is known to be too long, else a
            # listpack that zsetAdd converts on the way (so only the members added before the
            # conversion have an integral -0 turned into 0, as in Redis).
            entries, maxval = _limits(c)
            out = ZSetValue(listpack=not (rangetype == _RANK and len(items) > entries))
            for s, m in items:
                out.insert(m, s, entries, maxval)
        return _store(c, argv[1], out, b"zrangestore")
    if not items:
        return EMPTY
    return _pairs_reply(c, items, withscores)


def _by_rank(z, start: int, end: int, reverse: bool):
    llen = len(z)
    if start < 0:
        start += llen
    if end < 0:
        end += llen
    if start < 0:
        start = 0
    if start > end or start >= llen:
        return ()
    if end >= llen:
        end = llen - 1
    if reverse:
        return list(z.items(llen - 1 - end, llen - start, reverse=True))
    return list(z.items(start, end + 1))


def _window(i: int, j: int, offset: int, limit: int, reverse: bool):
    """The ``[a, b)`` part of the in-range run ``[i, j)`` that LIMIT offset count selects, walking
    up from ``i`` (or down from ``j - 1``).  A negative offset walks off the end: nothing."""
    if offset < 0:
        return 0, 0
    if reverse:
        b = j - offset
        a = i if limit < 0 else max(i, b - limit)
    else:
        a = i + offset
        b = j if limit < 0 else min(j, a + limit)
    return a, max(a, b)


def _by_score(z, rng, offset: int, limit: int, reverse: bool):
    if offset > 0 and offset >= len(z):
        return ()
    i, j = z.score_range(*rng)
    a, b = _window(i, j, offset, limit, reverse)
    return list(z.items(a, b, reverse=reverse))


def _by_lex(z, spec, offset: int, limit: int, reverse: bool):
    """genericZrangebylexCommand: start at the first (last) member in range, skip ``offset``
    members unchecked, then take members while they stay within the range."""
    if offset < 0:
        return ()
    if not reverse:
        first = z.lex_first(spec)
        if first is None:
            return ()
        a = first + offset
        b = z.lex_forward_end(a, spec)
        if limit >= 0:
            b = min(b, a + limit)
        return list(z.items(a, b)) if b > a else ()
    last = z.lex_last(spec)
    if last is None:
        return ()
    top = last - offset
    if top < 0:
        return ()
    a = z.lex_backward_start(top, spec)
    if limit >= 0:
        a = max(a, top + 1 - limit)
    return list(z.items(a, top + 1, reverse=True)) if top + 1 > a else ()


@command("zrange")
def zrange(c, argv):
    return _zrange_generic(c, argv, 1, False, _AUTO, _AUTO)


@command("zrangestore")
def zrangestore(c, argv):
    return _zrange_generic(c, argv, 2, True, _AUTO, _AUTO)


@command("zrevrange")
def zrevrange(c, argv):
    return _zrange_generic(c, argv, 1, False, _RANK, _REVERSE)


@command("zrangebyscore")
def zrangebyscore(c, argv):
    return _zrange_generic(c, argv, 1, False, _SCORE, _FORWARD)


@command("zrevrangebyscore")
def zrevrangebyscore(c, argv):
    return _zrange_generic(c, argv, 1, False, _SCORE, _REVERSE)


@command("zrangebylex")
def zrangebylex(c, argv):
    return _zrange_generic(c, argv, 1, False, _LEX, _FORWARD)


@command("zrevrangebylex")
def zrevrangebylex(c, argv):
    return _zrange_generic(c, argv, 1, False, _LEX, _REVERSE)


# -- single-key reads -------------------------------------------------------------------------------------

@command("zcard")
def zcard(c, argv):
    z = _read(c, argv[1])
    return len(z.scores) if z is not None else ZERO


@command("zcount")
def zcount(c, argv):
    rng = _score_range(argv[2], argv[3])
    z = _read(c, argv[1])
    if z is None:
        return ZERO
    i, j = z.score_range(*rng)
    return j - i


@command("zlexcount")
def zlexcount(c, argv):
    spec = _lex_range(argv[2], argv[3])
    z = _read(c, argv[1])
    if z is None:
        return ZERO
    i, j = z.lex_range(spec)
    return j - i


@command("zscore")
def zscore(c, argv):
    z = _read(c, argv[1])
    if z is None:
        return None
    return z.scores.get(argv[2])


@command("zmscore")
def zmscore(c, argv):
    z = _read(c, argv[1])
    if z is None:
        return [None] * (len(argv) - 2)
    get = z.scores.get
    return [get(m) for m in argv[2:]]


@command("zrank")
def zrank(c, argv):
    z = _read(c, argv[1])
    if z is None:
        return None
    return z.rank(argv[2])


@command("zrevrank")
def zrevrank(c, argv):
    z = _read(c, argv[1])
    if z is None:
        return None
    return z.rank(argv[2], reverse=True)


@command("zscan")
def zscan(c, argv):
    cursor = _scan_cursor(argv[2])
    z = _read(c, argv[1])
    if z is None:
        return EMPTY_SCAN
    count = 10
    pattern = None
    i = 3
    argc = len(argv)
    while i < argc:
        left = argc - i
        opt = _opt(argv[i])
        if opt == b"count" and left >= 2:
            count = _long(argv[i + 1])
            if count < 1:
                raise CommandError(errors.SYNTAX)
            i += 2
        elif opt == b"match" and left >= 2:
            pattern = argv[i + 1]
            if pattern == b"*":
                pattern = None
            i += 2
        else:
            raise CommandError(errors.SYNTAX)
    match = compile_pattern(pattern) if pattern is not None else None
    out = []
    if z.listpack:  # all of it in one reply, in rank order, scores as the listpack stores them
        for s, m in z.index:
            if match is None or match(m):
                out.append(m)
                out.append(listpack_score_text(s))
        return [b"0", out]
    cursor, members = z.scan(cursor, count)
    scores = z.scores
    for m in members:
        if match is None or match(m):
            out.append(m)
            out.append(skiplist_score_text(scores[m]))
    return [b"%d" % cursor, out]


# -- ZPOPMIN / ZPOPMAX / ZMPOP ------------------------------------------------------------------------

_POP_CMD = (b"ZPOPMIN", b"ZPOPMAX")
_NO_REWRITE, _AS_ZPOP, _AS_ZPOP_COUNT = 0, 1, 2


def _generic_pop(c, keys, last: bool, emitkey: bool, count: int, nested: bool, nil_when_empty: bool,
                 rewrite: int = _NO_REWRITE):
    """genericZpopCommand.  ``rewrite`` makes replicas and the AOF see ``ZPOPMIN|ZPOPMAX key`` (the
    blocking pops) or ``... key <popped>`` (ZMPOP, BZMPOP) instead of the command itself."""
    db = c.db
    z = None
    key = None
    for key in keys:
        z = db.lookup(key)
        if z is None:
            continue
        if type(z) is not ZSetValue:
            raise CommandError(errors.WRONGTYPE)
        break
    if z is None:
        return NULL_ARRAY if nil_when_empty else EMPTY
    if count == 0:
        return EMPTY
    if count == -1:
        count = 1
    n = min(count, len(z.scores))
    popped = [z.pop(last) for _ in range(n)]
    _removed(c, key, z, n, b"zpopmax" if last else b"zpopmin")
    if rewrite == _AS_ZPOP:
        c.propagate_as = [[_POP_CMD[last], key]]
    elif rewrite == _AS_ZPOP_COUNT:
        c.propagate_as = [[_POP_CMD[last], key, b"%d" % n]]
    if nested:
        pairs = [[m, s] for s, m in popped]
        return [key, pairs] if emitkey else pairs
    out = [key] if emitkey else []
    for s, m in popped:
        out.append(m)
        out.append(s)
    return out


def _zpop(c, argv, last: bool):
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    count = -1
    if len(argv) == 3:
        count = _range_long(argv[2], 0, LONG_MAX, MUST_BE_POSITIVE)
    return _generic_pop(c, argv[1:2], last, False, count, c.resp3 and count != -1, False)


@command("zpopmin")
def zpopmin(c, argv):
    return _zpop(c, argv, False)


@command("zpopmax")
def zpopmax(c, argv):
    return _zpop(c, argv, True)


def _zmpop_args(argv, numkeys_idx: int):
    """zmpopGenericCommand's parsing: ``(keys, last, count)``."""
    numkeys = _range_long(argv[numkeys_idx], 1, LONG_MAX, NUMKEYS_POSITIVE)
    argc = len(argv)
    where_idx = numkeys_idx + numkeys + 1
    if where_idx >= argc:
        raise CommandError(errors.SYNTAX)
    where = _opt(argv[where_idx])
    if where == b"min":
        last = False
    elif where == b"max":
        last = True
    else:
        raise CommandError(errors.SYNTAX)
    count = -1
    j = where_idx + 1
    while j < argc:
        if count == -1 and _opt(argv[j]) == b"count" and argc - 1 - j:
            j += 1
            count = _range_long(argv[j], 1, LONG_MAX, COUNT_POSITIVE)
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    if count == -1:
        count = 1
    return argv[numkeys_idx + 1:where_idx], last, count


@command("zmpop")
def zmpop(c, argv):
    keys, last, count = _zmpop_args(argv, 1)
    return _generic_pop(c, keys, last, True, count, True, True, _AS_ZPOP_COUNT)


@command("bzmpop")
def bzmpop(c, argv):
    keys, last, count = _zmpop_args(argv, 2)
    timeout = parse_timeout(argv[1])
    return _blocking_zpop(c, keys, last, timeout, count, True, b"bzmpop", argv)


# -- BZPOPMIN / BZPOPMAX / BZMPOP ---------------------------------------------------------------------

def _deny_blocking(c) -> bool:
    """CLIENT_DENY_BLOCKING: inside MULTI/EXEC (and scripts) a blocking command must not block."""
    return c.multi is not None or getattr(c, "deny_blocking", False)


def _serve_zpop(client, state, key):
    """serveClientsBlockedOnSortedSetKey: pop for a woken client; None keeps it waiting."""
    z = state.db.peek(key)
    if type(z) is not ZSetValue or not z.scores:
        return None
    last, count, nested = state.data
    reply = _generic_pop(client, (key,), last, True, count, nested, nested,
                         _AS_ZPOP if count == -1 else _AS_ZPOP_COUNT)
    if client.propagate_as is not None:  # alsoPropagate: this runs outside the client's own command
        client.node.propagate(client, None, None)
    return reply


def _blocking_zpop(c, keys, last: bool, timeout: int, count: int, nested: bool, name: bytes, argv=None):
    """blockingGenericZpopCommand: pop from the first non-empty sorted set, or block on ``keys``."""
    db = c.db
    for key in keys:
        z = db.lookup(key)
        if z is None:
            continue
        if type(z) is not ZSetValue:
            raise CommandError(errors.WRONGTYPE)
        return _generic_pop(c, (key,), last, True, count, nested, nested,
                            _AS_ZPOP if count == -1 else _AS_ZPOP_COUNT)
    if _deny_blocking(c):
        return NULL_ARRAY
    c.node.blocking.block(c, db, keys, timeout, _serve_zpop, (last, count, nested), cmd=COMMANDS.get(name),
                          argv=argv)
    return NO_REPLY


@command("bzpopmin")
def bzpopmin(c, argv):
    timeout = parse_timeout(argv[-1])
    return _blocking_zpop(c, argv[1:-1], False, timeout, -1, False, b"bzpopmin", argv)


@command("bzpopmax")
def bzpopmax(c, argv):
    timeout = parse_timeout(argv[-1])
    return _blocking_zpop(c, argv[1:-1], True, timeout, -1, False, b"bzpopmax", argv)


# -- ZRANDMEMBER ---------------------------------------------------------------------------------------------

ZRANDMEMBER_SUB_STRATEGY_MUL = 3
MAX_RANDOM_PICKS = 1 << 27  # a reply no machine could hold; refused instead of exhausting memory


@command("zrandmember")
def zrandmember(c, argv):
    argc = len(argv)
    if argc >= 3:
        n = _range_long(argv[2], -LONG_MAX, LONG_MAX)
        withscores = False
        if argc > 4 or (argc == 4 and _opt(argv[3]) != b"withscores"):
            raise CommandError(errors.SYNTAX)
        if argc == 4:
            withscores = True
            if n < -(LONG_MAX // 2) or n > LONG_MAX // 2:
                raise CommandError(OUT_OF_RANGE)
        return _zrandmember_count(c, argv[1], n, withscores)
    z = _read(c, argv[1])
    if z is None:
        return None
    index = z.index
    return index[c.db.rng.randrange(len(index))][1]


def _zrandmember_count(c, key: bytes, n: int, withscores: bool):
    z = _read(c, key)
    if z is None:
        return EMPTY
    size = len(z.scores)
    uniq = n >= 0
    count = n if uniq else -n
    if count == 0:
        return EMPTY
    rng = c.db.rng
    index = z.index
    if not uniq and huge_reply(c, count, min(6 + len(m) + (6 if withscores else 0)
                                             for m in itertools.islice(z.scores, 16))):
        return NO_REPLY  # the client went over its output buffer limit: closed
    if not uniq or count == 1:
        # CASE 1: ``count`` independent picks (repetitions allowed), in random order.
        if count > MAX_RANDOM_PICKS:  # Redis would stream replies until memory runs out
            raise CommandError(OUT_OF_RANGE)
        if count <= 16:
            items = [index[rng.randrange(size)] for _ in range(count)]
        else:
            items = rng.choices(list(index), k=count)
    elif count >= size:
        # CASE 2: the whole set, highest rank first (zuiNext walks from the tail).
        items = list(index.islice(reverse=True))
    else:
        # CASES 3 and 4: ``count`` distinct members in random order.
        items = [index[i] for i in rng.sample(range(size), count)]
    return _pairs_reply(c, items, withscores)
