"""Set commands (Redis: t_set.c), byte for byte as Redis 7.0.

A set is a :class:`~pyredis_cluster.store.types.SetValue` (a ``set`` of bytes).  Its Redis encoding is
tracked in ``s.big`` (see :mod:`~pyredis_cluster.store.containers`): an *intset* (only integers, at
most ``set-max-intset-entries`` of them) iterates in numeric order -- SMEMBERS, SSCAN (everything in
one call, cursor 0), SRANDMEMBER with a count above the size -- while a *hashtable* has an order Redis
leaves open.  Redis 7.0 has no listpack sets.

Results computed into a new set (SUNION, SDIFF, SINTER*STORE, SPOP of the whole set) are built the way
t_set.c builds them: an intset that turns into a hashtable on the first non-integer or when it grows
too big, so their order and encoding depend on their content only.
"""

from __future__ import annotations

import itertools

from .. import errors
from ..config import NOTIFY_GENERIC, NOTIFY_SET
from ..errors import CommandError
from ..protocol.reply import NO_REPLY, SetReply
from ..server.limits import huge_reply
from ..store.containers import (
    LLONG_MAX,
    intset_order,
    is_ll,
    parse_scan_options,
    pool_of,
    random_distinct,
    random_element,
    random_elements,
    random_index,
    scan_step,
    set_content_is_big,
    set_is_big,
    string2ll,
)
from ..store.types import ENCODINGS, SetValue
from .keys import parse_scan_cursor
from .table import command

LONG_MAX = LLONG_MAX

MUST_BE_POSITIVE = "ERR value is out of range, must be positive"
COUNT_OUT_OF_RANGE = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
NUMKEYS_NOT_POSITIVE = "ERR numkeys should be greater than 0"
TOO_MANY_NUMKEYS = "ERR Number of keys can't be greater than number of args"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"

SPOP_MOVE_STRATEGY_MUL = 5

EMPTY_SCAN = [b"0", []]


def _encoding(s, config) -> bytes:
    return b"hashtable" if set_is_big(s, config) else b"intset"


ENCODINGS[SetValue] = _encoding


def _wrongtype():
    return CommandError(errors.WRONGTYPE)


def _read(c, key: bytes):
    """lookupKeyRead + checkType: the set at ``key`` or None."""
    s = c.db.lookup_read(key)
    if s is not None and type(s) is not SetValue:
        raise _wrongtype()
    return s


def _write(c, key: bytes):
    """lookupKeyWrite + checkType."""
    s = c.db.lookup(key)
    if s is not None and type(s) is not SetValue:
        raise _wrongtype()
    return s


def _ordered(s, config) -> list:
    """The members in the order Redis iterates this set (setTypeNext)."""
    return list(s) if set_is_big(s, config) else intset_order(s)


def _new_set(members, config, big=None) -> SetValue:
    """A set built like t_set.c builds results (setTypeCreate + setTypeAdd)."""
    s = SetValue(members)
    s.big = set_content_is_big(s, config) if big is None else big
    return s


def _add(s, members, config) -> int:
    """setTypeAdd of each member; the number added."""
    before = len(s)
    pool = getattr(s, "pool", None)
    if pool is None:
        s.update(members)
    else:  # keep the pick pool in step
        for m in members:
            if m not in s:
                s.add(m)
                pool.append(m)
    added = len(s) - before
    if added:
        if not set_is_big(s, config) and (len(s) > config["set-max-intset-entries"]
                                          or not all(map(is_ll, members))):
            s.big = True  # (a non-integer cannot be in an intset already: it was added just now)
    return added


@command("sadd")
def sadd(c, argv):
    key = argv[1]
    db = c.db
    config = c.node.config
    s = db.lookup(key)
    if s is None:
        s = SetValue()
        s.big = not is_ll(argv[2])  # setTypeCreate
        _add(s, argv[2:], config)
        db.add(key, s)
        if c.node.notify_flags:
            c.node.notify(db, NOTIFY_SET, b"sadd", key)
        return len(s)
    if type(s) is not SetValue:
        raise _wrongtype()
    added = _add(s, argv[2:], config)
    if added:
        db.touch(key)
        if c.node.notify_flags:
            c.node.notify(db, NOTIFY_SET, b"sadd", key)
    return added


@command("srem")
def srem(c, argv):
    key = argv[1]
    s = _write(c, key)
    if s is None:
        return 0
    deleted = 0
    for m in argv[2:]:
        if m in s:
            s.discard(m)
            deleted += 1
            if not s:
                break
    if deleted:  # (removed members stay in the pick pool until a pick meets them)
        if s:
            c.db.touch(key)
        else:
            c.db.delete(key)
        c.node.notify(c.db, NOTIFY_SET, b"srem", key)
        if not s:
            c.node.notify(c.db, NOTIFY_GENERIC, b"del", key)
    return deleted


@command("smove")
def smove(c, argv):
    db = c.db
    src_key, dst_key, ele = argv[1], argv[2], argv[3]
    src = db.lookup(src_key)
    dst = db.lookup(dst_key)
    if src is None:
        return 0
    if type(src) is not SetValue or (dst is not None and type(dst) is not SetValue):
        raise _wrongtype()
    if src is dst:
        return 1 if ele in src else 0
    if ele not in src:
        return 0
    src.discard(ele)
    c.node.notify(db, NOTIFY_SET, b"srem", src_key)
    if not src:
        db.delete(src_key)
        c.node.notify(db, NOTIFY_GENERIC, b"del", src_key)
    else:
        db.touch(src_key)
    config = c.node.config
    if dst is None:
        dst = _new_set((ele,), config)
        db.add(dst_key, dst)
        c.node.notify(db, NOTIFY_SET, b"sadd", dst_key)
    else:
        if _add(dst, (ele,), config):  # the destination changed only if the member was new to it
            db.touch(dst_key)
            c.node.notify(db, NOTIFY_SET, b"sadd", dst_key)
    return 1


@command("sismember")
def sismember(c, argv):
    s = _read(c, argv[1])
    return 1 if s is not None and argv[2] in s else 0


@command("smismember")
def smismember(c, argv):
    s = _read(c, argv[1])
    if s is None:
        return [0] * (len(argv) - 2)
    return [1 if m in s else 0 for m in argv[2:]]


@command("scard")
def scard(c, argv):
    s = _read(c, argv[1])
    return 0 if s is None else len(s)


# -- SPOP / SRANDMEMBER ----------------------------------------------------------------------------


def _pop_random(s, rng):
    """Remove and return a random member, keeping the pick pool in step."""
    i = random_index(s, rng)
    pool = s.pool
    m = pool[i]
    last = pool.pop()
    if i < len(pool):
        pool[i] = last
    s.discard(m)
    return m


@command("spop")
def spop(c, argv):
    argc = len(argv)
    if argc == 3:
        return _spop_count(c, argv)
    if argc > 3:
        raise CommandError(errors.SYNTAX)
    key = argv[1]
    s = _write(c, key)
    if s is None:
        return None
    m = _pop_random(s, c.db.rng)
    c.node.notify(c.db, NOTIFY_SET, b"spop", key)
    if s:
        c.db.touch(key)
    else:
        c.db.delete(key)
        c.node.notify(c.db, NOTIFY_GENERIC, b"del", key)
    c.propagate_as = [[b"SREM", key, m]]  # replicas and the AOF remove the same member
    return m


def _spop_count(c, argv):
    """spopWithCountCommand."""
    count = string2ll(argv[2])
    if count is None or count < 0:
        raise CommandError(MUST_BE_POSITIVE)
    key = argv[1]
    db = c.db
    s = _write(c, key)
    if s is None or count == 0:
        return SetReply()
    config = c.node.config
    size = len(s)
    if count >= size:  # CASE 1: the whole set (through sunionDiffGenericCommand), then delete it
        out = list(s) if set_content_is_big(s, config) else intset_order(s)
        db.delete(key)
        c.node.notify(db, NOTIFY_SET, b"spop", key)
        c.node.notify(db, NOTIFY_GENERIC, b"del", key)
        c.propagate_as = [[b"DEL", key]]
        return SetReply(out)
    remaining = size - count
    rng = db.rng
    if remaining * SPOP_MOVE_STRATEGY_MUL > count:  # CASE 2: pop random members one by one
        out = [_pop_random(s, rng) for _ in range(count)]
    else:  # CASE 3: pick the members that stay; the rest go, in the set's order; a new set remains
        keep = set(rng.sample(pool_of(s), remaining))
        out = [m for m in _ordered(s, config) if m not in keep]
        s.difference_update(out)
        s.pool = None
        s.big = set_content_is_big(s, config)
    db.touch(key)
    c.node.notify(db, NOTIFY_SET, b"spop", key)
    c.propagate_as = [[b"SREM", key, m] for m in out]  # as Redis 7.0: one SREM per popped member
    return SetReply(out)


def _parse_count(arg: bytes) -> int:
    """getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)."""
    n = string2ll(arg)
    if n is None:
        raise CommandError(errors.NOT_INTEGER)
    if n < -LONG_MAX:
        raise CommandError(COUNT_OUT_OF_RANGE)
    return n


@command("srandmember")
def srandmember(c, argv):
    argc = len(argv)
    if argc == 3:
        return _srandmember_count(c, argv)
    if argc > 3:
        raise CommandError(errors.SYNTAX)
    s = _read(c, argv[1])
    if s is None:
        return None
    return random_element(s, c.db.rng)


def _srandmember_count(c, argv):
    """srandmemberWithCountCommand: always an array (repeats are possible)."""
    count = _parse_count(argv[2])
    s = _read(c, argv[1])
    if s is None or count == 0:
        return []
    rng = c.db.rng
    size = len(s)
    if count < 0 and huge_reply(c, -count, min(6 + len(m) for m in itertools.islice(s, 16))):
        return NO_REPLY  # the client went over its output buffer limit: closed
    if count < 0 or count == 1:  # CASE 1: random picks, repeats allowed
        return random_elements(s, rng, -count if count < 0 else count)
    if count >= size:  # CASE 2: the whole set, in its order
        return _ordered(s, c.node.config)
    return random_distinct(s, rng, count)  # CASES 3 and 4: distinct members


# -- SINTER / SUNION / SDIFF -------------------------------------------------------------------------


def _sinter(c, keys, dst=None, card_only: bool = False, limit: int = 0):
    """sinterGenericCommand."""
    db = c.db
    look = db.lookup_read  # lookupKeyRead, for the *STORE variants too (hits and misses are counted)
    sets = []
    empty = False
    for k in keys:
        s = look(k)
        if s is None:
            empty = True  # the intersection is empty, but every key's type is still checked
            continue
        if type(s) is not SetValue:
            raise _wrongtype()
        sets.append(s)
    if empty:
        if dst is not None:
            if db.delete(dst):
                c.node.notify(db, NOTIFY_GENERIC, b"del", dst)
            return 0
        return 0 if card_only else SetReply()
    config = c.node.config
    sets.sort(key=len)  # smallest first (a stable sort, as glibc's qsort is for these sizes)
    first = sets[0]
    others = [s for s in sets[1:] if s is not first]
    if card_only:
        if not limit:
            return len(first.intersection(*others))
        n = 0
        for m in first:
            for s in others:
                if m not in s:
                    break
            else:
                n += 1
                if n >= limit:
                    break
        return n
    result = first.intersection(*others)
    if dst is None:
        # iterating the smallest set: an intset's members come out in numeric order
        return SetReply(list(result) if set_is_big(first, config) else intset_order(result))
    if result:
        db.set(dst, _new_set(result, config))
        c.node.notify(db, NOTIFY_SET, b"sinterstore", dst)
        return len(result)
    if db.delete(dst):
        c.node.notify(db, NOTIFY_GENERIC, b"del", dst)
    return 0


def _sunion_diff(c, keys, dst, diff: bool):
    """sunionDiffGenericCommand."""
    db = c.db
    look = db.lookup_read  # lookupKeyRead, for the *STORE variants too (hits and misses are counted)
    sets = []
    for k in keys:
        s = look(k)
        if s is not None and type(s) is not SetValue:
            raise _wrongtype()
        sets.append(s)
    config = c.node.config
    big = None  # content decides
    if not diff:
        result = set()
        for s in sets:
            if s is not None:
                result.update(s)
    else:
        first = sets[0]
        if first is None or any(s is first for s in sets[1:]):
            result = set()
        else:
            rest = [s for s in sets[1:] if s is not None]
            result = first.difference(*rest)
            # Redis picks one of two algorithms by cost; the second copies the whole first set into
            # the result and removes the others, so the result's encoding follows the first set.
            algo_one_work = len(first) * (len(rest) + 1) // 2
            algo_two_work = len(first) + sum(map(len, rest))
            if algo_one_work > algo_two_work:
                big = set_content_is_big(first, config)
    if big is None:
        big = set_content_is_big(result, config)
    if dst is None:
        return SetReply(list(result) if big else intset_order(result))
    if result:
        db.set(dst, _new_set(result, config, big))
        c.node.notify(db, NOTIFY_SET, b"sdiffstore" if diff else b"sunionstore", dst)
        return len(result)
    if db.delete(dst):
        c.node.notify(db, NOTIFY_GENERIC, b"del", dst)
    return 0


@command("smembers")
def smembers(c, argv):
    s = _read(c, argv[1])
    if s is None:
        return SetReply()
    return SetReply(_ordered(s, c.node.config))


@command("sinter")
def sinter(c, argv):
    return _sinter(c, argv[1:])


@command("sinterstore")
def sinterstore(c, argv):
    return _sinter(c, argv[2:], dst=argv[1])


@command("sintercard")
def sintercard(c, argv):
    numkeys = string2ll(argv[1])
    if numkeys is None or numkeys < 1:
        raise CommandError(NUMKEYS_NOT_POSITIVE)
    argc = len(argv)
    if numkeys > argc - 2:
        raise CommandError(TOO_MANY_NUMKEYS)
    limit = 0
    j = 2 + numkeys
    while j < argc:
        if argv[j].lower() == b"limit" and argc - 1 - j > 0:
            j += 1
            limit = string2ll(argv[j])
            if limit is None or limit < 0:
                raise CommandError(LIMIT_NEGATIVE)
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    return _sinter(c, argv[2:2 + numkeys], card_only=True, limit=limit)


@command("sunion")
def sunion(c, argv):
    return _sunion_diff(c, argv[1:], None, False)


@command("sunionstore")
def sunionstore(c, argv):
    return _sunion_diff(c, argv[2:], argv[1], False)


@command("sdiff")
def sdiff(c, argv):
    return _sunion_diff(c, argv[1:], None, True)


@command("sdiffstore")
def sdiffstore(c, argv):
    return _sunion_diff(c, argv[2:], argv[1], True)


# -- SSCAN --------------------------------------------------------------------------------------------


@command("sscan")
def sscan(c, argv):
    cursor = parse_scan_cursor(argv[2].split(b"\0", 1)[0])  # strtoul stops at a NUL byte
    s = _read(c, argv[1])
    if s is None:
        return EMPTY_SCAN
    count, match = parse_scan_options(argv, 3)
    if not set_is_big(s, c.node.config):  # an intset: everything at once, in numeric order
        members = intset_order(s)
        return [b"0", members if match is None else [m for m in members if match(m)]]
    cursor, members = scan_step(s, cursor, count)
    if match is not None:
        members = [m for m in members if match(m)]
    return [b"%d" % cursor, members]
