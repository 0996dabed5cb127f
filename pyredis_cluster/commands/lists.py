"""List commands (Redis: t_list.c), blocking ones included.

A list is a :class:`~..store.types.ListValue` (a ``deque`` of ``bytes``); like Redis, a list that
becomes empty is deleted.  Each command checks its arguments and the key in the order Redis 7.0 does,
because that order decides which error a client sees.

Blocking commands (BLPOP BRPOP BLMPOP BLMOVE BRPOPLPUSH) serve at once when a key has elements;
otherwise they block the client through ``node.blocking`` (:mod:`..server.blocking`) with a
``serve`` callback that does the pop when a push makes a key ready.  Pushes signal readiness when they
*create* a list, as Redis's ``dbAdd`` does (a key with waiters is always absent or empty).  Inside
MULTI/EXEC (``client.multi`` set, or ``client.deny_blocking`` during EXEC and scripts) a blocking
command answers like its non-blocking form: a null reply when there is nothing to pop.

Keyspace events are Redis's (``lpush``/``rpush``/``lpop``/``rpop``/``linsert``/``lset``/``ltrim``/``lrem``,
``del`` when a list empties).  Replication sees what Redis propagates: a blocking command that served at
once as the plain pop or move (``LPOP key``, ``RPOP key count`` for [B]LMPOP, ``LMOVE`` ...), and a
blocked client's pop, when it is served, as its own command after the push that woke it.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from itertools import islice

from .. import errors
from ..config import NOTIFY_GENERIC, NOTIFY_LIST
from ..errors import CommandError
from ..protocol.reply import EMPTY_ARRAY, NO_REPLY, NULL_ARRAY, OK, Raw, error_bytes
from ..protocol.request import strict_int
from ..store.types import ListValue
from .table import COMMANDS as _COMMANDS
from .table import command

_WRONGTYPE = CommandError(errors.WRONGTYPE)
_SYNTAX = CommandError(errors.SYNTAX)
_NOT_INTEGER = CommandError(errors.NOT_INTEGER)

LONG_MIN = -(1 << 63)
RANK_ZERO = ("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
             "negative to start from the end of the list")
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
_MINUS_ONE = Raw(b":-1\r\n")

HEAD, TAIL = 0, 1  # LIST_HEAD (left), LIST_TAIL (right)


# -- argument parsing -----------------------------------------------------------------------------

def _long(arg: bytes) -> int:
    """getLongFromObjectOrReply."""
    v = strict_int(arg)
    if v is None:
        raise _NOT_INTEGER
    return v


def _range_long(arg: bytes, lo: int, msg: str) -> int:
    """getRangeLongFromObjectOrReply(lo, LONG_MAX, msg): ``msg`` for text and range errors alike."""
    v = strict_int(arg)
    if v is None or v < lo:
        raise CommandError(msg)
    return v


def _where(arg: bytes) -> int:
    """getListPositionFromObjectOrReply: LEFT or RIGHT, any case."""
    a = arg.lower()
    if a == b"left":
        return HEAD
    if a == b"right":
        return TAIL
    raise _SYNTAX


_LD_DEC = re.compile(rb"([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\Z")
_LD_HEX = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP]([+-]?[0-9]+))?\Z")
_LD_INF = re.compile(rb"[+-]?(?:inf|infinity)\Z", re.IGNORECASE)
MAX_LONG_DOUBLE_CHARS = 5 * 1024
_LD_MAX_EXP2 = 16384  # x86 long double: |x| < 2**16384, smallest denormal 2**-16445
_LD_MIN_EXP2 = -16445
_LDBL_MAX = Decimal("1.18973149535723176502e4932")


def _parse_long_double(arg: bytes):
    """string2ld (strtold, x86 80-bit): an exact Fraction, ``inf`` (a float), or None when Redis rejects
    the text (spaces, junk, nan, overflow or underflow to zero)."""
    if not arg or len(arg) >= MAX_LONG_DOUBLE_CHARS:
        return None
    m = _LD_DEC.match(arg)
    if m is not None:
        sign, digits, exp = m.groups()
        int_part, _, frac_part = digits.partition(b".")
        mant = int(int_part + frac_part or b"0")
        e10 = (int(exp) if exp else 0) - len(frac_part)
        if mant == 0:
            return Fraction(0)
        mag = len(str(mant)) + e10  # 10**(mag-1) <= |x| < 10**mag
        if mag > 4933 or mag == 4933 and Decimal(mant).scaleb(e10) > _LDBL_MAX:  # ERANGE, HUGE_VALL
            return None
        if mag < -4950:  # below half the smallest denormal (3.6e-4951): ERANGE, zero
            return None
        return _exact_dec(sign, mant, e10)
    m = _LD_HEX.match(arg)
    if m is not None:
        sign, digits, exp = m.groups()
        int_part, _, frac_part = digits.partition(b".")
        mant = int(int_part + frac_part or b"0", 16)
        if mant == 0:
            return Fraction(0)
        e2 = (int(exp) if exp else 0) - 4 * len(frac_part)
        top = mant.bit_length() + e2  # 2**(top-1) <= |x| < 2**top
        if top > _LD_MAX_EXP2 or top <= _LD_MIN_EXP2:
            return None
        v = Fraction(mant << e2) if e2 >= 0 else Fraction(mant, 1 << -e2)
        return -v if sign == b"-" else v
    if _LD_INF.match(arg):
        return float("-inf") if arg[:1] == b"-" else float("inf")
    return None


def _exact_dec(sign: bytes, mant: int, e10: int) -> Fraction:
    v = Fraction(mant * 10**e10) if e10 >= 0 else Fraction(mant, 10**-e10)
    return -v if sign == b"-" else v


def parse_timeout(arg: bytes) -> int:
    """getTimeoutFromObjectOrReply(UNIT_SECONDS): the timeout in milliseconds (0: forever).

    Redis 7.0.15 computes ``(long long) ceill(seconds * 1000)``: 0.0001 waits 1 ms, -0.0001 rounds to
    0 (forever), and values whose milliseconds overflow a long long (1e300, inf) wrap negative."""
    v = _parse_long_double(arg)
    if v is None:
        raise CommandError(TIMEOUT_NOT_FLOAT)
    if type(v) is float:  # +-inf: the cast of an infinite long double gives LLONG_MIN
        raise CommandError(TIMEOUT_NEGATIVE)
    if abs(v) >= 1 << 60:  # far beyond the range: skip the exact product
        raise CommandError(TIMEOUT_NEGATIVE)
    ms = math.ceil(v * 1000)
    if ms < 0 or ms >= 1 << 63:
        raise CommandError(TIMEOUT_NEGATIVE)
    return ms


def _deny_blocking(c) -> bool:
    """CLIENT_DENY_BLOCKING: inside EXEC (and scripts) a blocking command must not block."""
    return c.multi is not None or getattr(c, "deny_blocking", False) or c.is_master  # (never stall replication)


# -- helpers ----------------------------------------------------------------------------------------

def _get_list(db, key):
    """lookupKeyWrite + checkType: the list at ``key`` or None."""
    v = db.lookup(key)
    if v is not None and type(v) is not ListValue:
        raise _WRONGTYPE
    return v


def _read_list(db, key):
    """lookupKeyRead + checkType."""
    v = db.lookup_read(key)
    if v is not None and type(v) is not ListValue:
        raise _WRONGTYPE
    return v


def _notify(node, db, event: bytes, key: bytes, flag: int = NOTIFY_LIST) -> None:
    if node.notify_flags:
        node.notify(db, flag, event, key)


def _removed(node, db, key, v, where: int) -> None:
    """listElementsRemoved: the lpop/rpop event; delete the key (and the del event) if the list emptied,
    else signal the change."""
    if node.notify_flags:
        node.notify(db, NOTIFY_LIST, b"lpop" if where == HEAD else b"rpop", key)
    if v:
        db.touch(key)
    else:
        db.delete(key)
        if node.notify_flags:
            node.notify(db, NOTIFY_GENERIC, b"del", key)


def _propagate_served(client, argv) -> None:
    """A blocked client was served: replicas (and the AOF) get the pop it did (alsoPropagate)."""
    client.propagate_as = [argv]
    client.node.propagate(client, None, argv)


def _pop_n(v, where: int, count: int) -> list:
    """Pop up to ``count`` elements from one end, in pop order."""
    n = min(count, len(v))
    pop = v.popleft if where == HEAD else v.pop
    return [pop() for _ in range(n)]


def _push_value(c, db, key, dst, value, where: int) -> None:
    """lmoveHandlePush: push onto ``dst`` (None: create the list, which may wake waiters)."""
    node = c.node
    if dst is None:
        dst = ListValue((value,))
        db.add(key, dst)
        node.blocking.signal(db, key)
    else:
        if where == HEAD:
            dst.appendleft(value)
        else:
            dst.append(value)
        db.touch(key)
    if node.notify_flags:
        node.notify(db, NOTIFY_LIST, b"lpush" if where == HEAD else b"rpush", key)


_BULK_HEADS = [b"$%d" % i for i in range(1024)]


def _bulk_array(items) -> Raw:
    """An array of bulk strings, encoded at once (LRANGE's hot loop): "\r\n"-joined heads and bodies."""
    heads = _BULK_HEADS
    parts = [b"*%d" % len(items)]
    ap = parts.append
    for x in items:
        n = len(x)
        ap(heads[n] if n < 1024 else b"$%d" % n)
        ap(x)
    ap(b"")
    return Raw(b"\r\n".join(parts))


# -- pushes -----------------------------------------------------------------------------------------

def _push(c, argv, where: int, xx: bool):
    """pushGenericCommand."""
    db = c.db
    key = argv[1]
    v = db.lookup(key)
    if v is None:
        if xx:
            return 0
        v = ListValue()
        if where == HEAD:
            v.extendleft(islice(argv, 2, None))
        else:
            v.extend(islice(argv, 2, None))
        db.add(key, v)
        c.node.blocking.signal(db, key)
    elif type(v) is not ListValue:
        raise _WRONGTYPE
    else:
        if where == HEAD:
            v.extendleft(islice(argv, 2, None))
        else:
            v.extend(islice(argv, 2, None))
        db.touch(key)
    node = c.node
    if len(argv) > 3:
        node.dirty += len(argv) - 3  # server.dirty++ per element
    if node.notify_flags:
        node.notify(db, NOTIFY_LIST, b"lpush" if where == HEAD else b"rpush", key)
    return len(v)


@command("lpush")
def lpush(c, argv):
    return _push(c, argv, HEAD, False)


@command("rpush")
def rpush(c, argv):
    return _push(c, argv, TAIL, False)


@command("lpushx")
def lpushx(c, argv):
    return _push(c, argv, HEAD, True)


@command("rpushx")
def rpushx(c, argv):
    return _push(c, argv, TAIL, True)


@command("linsert")
def linsert(c, argv):
    where = argv[2].lower()
    if where == b"after":
        after = True
    elif where == b"before":
        after = False
    else:
        raise _SYNTAX
    db = c.db
    v = _get_list(db, argv[1])
    if v is None:
        return 0
    try:
        i = v.index(argv[3])
    except ValueError:
        return _MINUS_ONE
    v.insert(i + 1 if after else i, argv[4])
    db.touch(argv[1])
    _notify(c.node, db, b"linsert", argv[1])
    return len(v)


# -- pops -------------------------------------------------------------------------------------------

def _pop(c, argv, where: int, name: str):
    """popGenericCommand: LPOP/RPOP key [count]."""
    n = len(argv)
    if n > 3:
        raise CommandError(errors.wrong_arity(name))
    count = 0
    if n == 3:
        count = _range_long(argv[2], 0, "ERR value is out of range, must be positive")
    db = c.db
    key = argv[1]
    v = db.lookup(key)
    if v is None:
        return NULL_ARRAY if n == 3 else None
    if type(v) is not ListValue:
        raise _WRONGTYPE
    if n == 2:
        x = v.popleft() if where == HEAD else v.pop()
        node = c.node
        if v:
            db.touch(key)
        else:
            db.delete(key)
        if node.notify_flags:
            node.notify(db, NOTIFY_LIST, b"lpop" if where == HEAD else b"rpop", key)
            if not v:
                node.notify(db, NOTIFY_GENERIC, b"del", key)
        return x
    if count == 0:
        return EMPTY_ARRAY
    items = _pop_n(v, where, count)
    _removed(c.node, db, key, v, where)
    c.node.dirty += len(items) - 1
    return _bulk_array(items)


@command("lpop")
def lpop(c, argv):
    return _pop(c, argv, HEAD, "lpop")


@command("rpop")
def rpop(c, argv):
    return _pop(c, argv, TAIL, "rpop")


def _mpop_args(c, argv, numkeys_idx: int):
    """lmpopGenericCommand's parsing: (keys, where, count)."""
    numkeys = _range_long(argv[numkeys_idx], 1, "ERR numkeys should be greater than 0")
    where_idx = numkeys_idx + numkeys + 1
    if where_idx >= len(argv):
        raise _SYNTAX
    where = _where(argv[where_idx])
    count = -1
    j = where_idx + 1
    n = len(argv)
    while j < n:
        if count == -1 and argv[j].lower() == b"count" and j + 1 < n:
            j += 1
            count = _range_long(argv[j], 1, "ERR count should be greater than 0")
        else:
            raise _SYNTAX
        j += 1
    if count == -1:
        count = 1
    return argv[numkeys_idx + 1:where_idx], where, count


@command("lmpop")
def lmpop(c, argv):
    keys, where, count = _mpop_args(c, argv, 1)
    return _pop_first(c, keys, where, count) or NULL_ARRAY


def _pop_first(c, keys, where: int, count):
    """The first non-empty list of ``keys`` pops: ``[key, value]`` (count None) or ``[key, [values]]``;
    None when all are empty.  WRONGTYPE for a key of another type met before a non-empty list."""
    db = c.db
    for key in keys:
        v = db.lookup(key)
        if v is None:
            continue
        if type(v) is not ListValue:
            raise _WRONGTYPE
        if not v:
            continue
        if count is None:
            x = v.popleft() if where == HEAD else v.pop()
            _removed(c.node, db, key, v, where)
            c.propagate_as = [[b"LPOP" if where == HEAD else b"RPOP", key]]  # not B[LR]POP
            return [key, x]
        items = _pop_n(v, where, count)
        _removed(c.node, db, key, v, where)
        c.node.dirty += len(items) - 1
        c.propagate_as = [[b"LPOP" if where == HEAD else b"RPOP", key, b"%d" % len(items)]]  # not [B]LMPOP
        return [key, _bulk_array(items)]
    return None


# -- reads ------------------------------------------------------------------------------------------

@command("llen")
def llen(c, argv):
    v = _read_list(c.db, argv[1])
    return 0 if v is None else len(v)


@command("lindex")
def lindex(c, argv):
    v = _read_list(c.db, argv[1])
    if v is None:
        return None
    i = _long(argv[2])
    n = len(v)
    if i < 0:
        i += n
    if 0 <= i < n:
        return v[i]
    return None


def _range(v, start: int, end: int) -> list:
    """addListRangeReply's index arithmetic: the elements start..end (inclusive, negatives count from
    the end)."""
    llen = len(v)
    if start < 0:
        start += llen
    if end < 0:
        end += llen
    if start < 0:
        start = 0
    if start > end or start >= llen:
        return []
    if end >= llen:
        end = llen - 1
    if start > llen - 1 - end:  # nearer the tail: walk from there
        items = list(islice(reversed(v), llen - 1 - end, llen - start))
        items.reverse()
        return items
    return list(islice(v, start, end + 1))


@command("lrange")
def lrange(c, argv):
    start = _long(argv[2])
    end = _long(argv[3])
    v = _read_list(c.db, argv[1])
    if v is None:
        return EMPTY_ARRAY
    return _bulk_array(_range(v, start, end))


@command("lpos")
def lpos(c, argv):
    ele = argv[2]
    rank, count, maxlen = 1, -1, 0
    n = len(argv)
    j = 3
    while j < n:
        opt = argv[j].lower()
        more = j + 1 < n
        if opt == b"rank" and more:
            j += 1
            rank = _long(argv[j])
            if rank == 0:
                raise CommandError(RANK_ZERO)
        elif opt == b"count" and more:
            j += 1
            count = _range_long(argv[j], 0, "ERR COUNT can't be negative")
        elif opt == b"maxlen" and more:
            j += 1
            maxlen = _range_long(argv[j], 0, "ERR MAXLEN can't be negative")
        else:
            raise _SYNTAX
        j += 1
    from_tail = False
    if rank < 0:
        from_tail = True
        if rank != LONG_MIN:  # -LONG_MIN overflows in C: the rank stays negative, every match counts
            rank = -rank
    v = c.db.lookup_read(argv[1])
    if v is None:
        return EMPTY_ARRAY if count != -1 else None
    if type(v) is not ListValue:
        raise _WRONGTYPE
    llen = len(v)
    it = reversed(v) if from_tail else iter(v)
    if maxlen:
        it = islice(it, maxlen)
    out = []
    matches = 0
    wrap = rank == LONG_MIN  # matches-rank+1 overflows: COUNT never stops the scan
    for index, x in enumerate(it):
        if x == ele:
            matches += 1
            if matches >= rank:
                pos = llen - index - 1 if from_tail else index
                if count == -1:
                    return pos
                out.append(pos)
                if count and not wrap and matches - rank + 1 >= count:
                    break
    if count == -1:
        return None
    return out


# -- in-place changes ---------------------------------------------------------------------------------

@command("lset")
def lset(c, argv):
    db = c.db
    v = db.lookup(argv[1])
    if v is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if type(v) is not ListValue:
        raise _WRONGTYPE
    i = _long(argv[2])
    n = len(v)
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise CommandError(errors.OUT_OF_RANGE)
    v[i] = argv[3]
    db.touch(argv[1])
    _notify(c.node, db, b"lset", argv[1])
    return OK


@command("ltrim")
def ltrim(c, argv):
    start = _long(argv[2])
    end = _long(argv[3])
    db = c.db
    key = argv[1]
    v = _get_list(db, key)
    if v is None:
        return OK
    llen = len(v)
    if start < 0:
        start += llen
    if end < 0:
        end += llen
    if start < 0:
        start = 0
    if start > end or start >= llen:
        ltrim_, rtrim = llen, 0
    else:
        if end >= llen:
            end = llen - 1
        ltrim_, rtrim = start, llen - end - 1
    keep = llen - ltrim_ - rtrim
    _notify(c.node, db, b"ltrim", key)
    if keep <= 0:
        db.delete(key)
        _notify(c.node, db, b"del", key, NOTIFY_GENERIC)
    else:
        if ltrim_ + rtrim > keep:
            kept = list(islice(v, ltrim_, ltrim_ + keep))
            v.clear()
            v.extend(kept)
        else:
            for _ in range(ltrim_):
                v.popleft()
            for _ in range(rtrim):
                v.pop()
        db.touch(key)
    # server.dirty += ltrim + rtrim: a trim that removes nothing still signals the key (WATCH) but is
    # no change -- not propagated.  (touch/delete counted one already.)
    c.node.dirty += ltrim_ + rtrim - 1
    return OK


@command("lrem")
def lrem(c, argv):
    toremove = _long(argv[2])
    db = c.db
    key = argv[1]
    v = _get_list(db, key)
    if v is None:
        return 0
    ele = argv[3]
    if toremove == 0:
        kept = [x for x in v if x != ele]
        removed = len(v) - len(kept)
    else:
        limit = abs(toremove)
        kept = []
        removed = 0
        for x in (v if toremove > 0 else reversed(v)):
            if removed < limit and x == ele:
                removed += 1
            else:
                kept.append(x)
        if toremove < 0:
            kept.reverse()
    if removed:
        v.clear()
        v.extend(kept)
        _notify(c.node, db, b"lrem", key)
        if v:
            db.touch(key)
        else:
            db.delete(key)
            _notify(c.node, db, b"del", key, NOTIFY_GENERIC)
        c.node.dirty += removed - 1
    return removed


# -- moves ------------------------------------------------------------------------------------------

def _lmove(c, src_key, dst_key, wherefrom: int, whereto: int):
    """lmoveGenericCommand (the source is known to be a non-empty list or absent)."""
    db = c.db
    src = _get_list(db, src_key)
    if src is None or not src:
        return None
    dst = db.lookup(dst_key)
    if dst is not None and type(dst) is not ListValue:
        raise _WRONGTYPE
    value = src.popleft() if wherefrom == HEAD else src.pop()
    _push_value(c, db, dst_key, dst, value, whereto)
    _removed(c.node, db, src_key, src, wherefrom)
    return value


@command("lmove")
def lmove(c, argv):
    wherefrom = _where(argv[3])
    whereto = _where(argv[4])
    return _lmove(c, argv[1], argv[2], wherefrom, whereto)


@command("rpoplpush")
def rpoplpush(c, argv):
    return _lmove(c, argv[1], argv[2], TAIL, HEAD)


# -- blocking commands ------------------------------------------------------------------------------

def _serve_pop(client, state, key):
    """serveClientBlockedOnList for BLPOP/BRPOP/BLMPOP: pop for a woken client, reply [key, value(s)]."""
    db = state.db
    v = db.peek(key)
    if type(v) is not ListValue or not v:
        return None
    where, count = state.data
    cmd = b"LPOP" if where == HEAD else b"RPOP"
    if count is None:
        reply = [key, v.popleft() if where == HEAD else v.pop()]
        _propagate_served(client, [cmd, key])
    else:
        items = _pop_n(v, where, count)
        reply = [key, _bulk_array(items)]
        _propagate_served(client, [cmd, key, b"%d" % len(items)])
    _served(client.node, db, key, v, where)
    return reply


def _served(node, db, key, v, where: int) -> None:
    """After a served pop: the pop event, and the key deleted if emptied (no signalModifiedKey: the
    push that woke the client signalled the key already)."""
    if node.notify_flags:
        node.notify(db, NOTIFY_LIST, b"lpop" if where == HEAD else b"rpop", key)
    if not v:
        db.delete(key)
        if node.notify_flags:
            node.notify(db, NOTIFY_GENERIC, b"del", key)


def _serve_move(client, state, key):
    """serveClientBlockedOnList for BLMOVE/BRPOPLPUSH: move one element, reply it."""
    db = state.db
    v = db.peek(key)
    if type(v) is not ListValue or not v:
        return None
    wherefrom, whereto, dst_key = state.data
    dst = db.lookup(dst_key)
    if dst is not None and type(dst) is not ListValue:
        client.node.stats.error(errors.WRONGTYPE)  # the client is released with the error
        if state.cmd is not None:
            state.cmd.failed_calls += 1
        return Raw(error_bytes(errors.WRONGTYPE))
    value = v.popleft() if wherefrom == HEAD else v.pop()
    _push_value(client, db, dst_key, dst, value, whereto)
    if state.cmd is not None and state.cmd.name == "brpoplpush":
        _propagate_served(client, [b"RPOPLPUSH", key, dst_key])
    else:
        _propagate_served(client, [b"LMOVE", key, dst_key, _SIDE[wherefrom], _SIDE[whereto]])
    _served(client.node, db, key, v, wherefrom)
    return value


_SIDE = (b"left", b"right")  # shared.left / shared.right


def _blocking_pop(c, keys, where: int, timeout: int, count, cmd_name: bytes, argv=None):
    """blockingPopGenericCommand: pop now, or block on ``keys``."""
    r = _pop_first(c, keys, where, count)
    if r is not None:
        return r
    if _deny_blocking(c):
        return NULL_ARRAY
    c.node.blocking.block(c, c.db, keys, timeout, _serve_pop, (where, count), cmd=_COMMANDS.get(cmd_name),
                          argv=argv)
    return NO_REPLY


@command("blpop")
def blpop(c, argv):
    timeout = parse_timeout(argv[-1])
    return _blocking_pop(c, argv[1:-1], HEAD, timeout, None, b"blpop", argv)


@command("brpop")
def brpop(c, argv):
    timeout = parse_timeout(argv[-1])
    return _blocking_pop(c, argv[1:-1], TAIL, timeout, None, b"brpop", argv)


@command("blmpop")
def blmpop(c, argv):
    timeout = parse_timeout(argv[1])
    keys, where, count = _mpop_args(c, argv, 2)
    return _blocking_pop(c, keys, where, timeout, count, b"blmpop", argv)


def _blmove(c, src_key, dst_key, wherefrom: int, whereto: int, timeout: int, cmd_name: bytes, propagate_as,
           argv=None):
    """blmoveGenericCommand."""
    src = _get_list(c.db, src_key)
    if src is not None:
        value = _lmove(c, src_key, dst_key, wherefrom, whereto)
        c.propagate_as = [propagate_as]  # LMOVE / RPOPLPUSH, not the blocking form
        return value
    if _deny_blocking(c):
        return None
    c.node.blocking.block(c, c.db, (src_key,), timeout, _serve_move, (wherefrom, whereto, dst_key),
                          cmd=_COMMANDS.get(cmd_name), argv=argv)
    return NO_REPLY


@command("blmove")
def blmove(c, argv):
    wherefrom = _where(argv[3])
    whereto = _where(argv[4])
    timeout = parse_timeout(argv[5])
    return _blmove(c, argv[1], argv[2], wherefrom, whereto, timeout, b"blmove",
                   [b"LMOVE", argv[1], argv[2], argv[3], argv[4]], argv)


@command("brpoplpush")
def brpoplpush(c, argv):
    timeout = parse_timeout(argv[3])
    return _blmove(c, argv[1], argv[2], TAIL, HEAD, timeout, b"brpoplpush", [b"RPOPLPUSH", argv[1], argv[2]], argv)
