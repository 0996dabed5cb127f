"""Generic key commands (Redis: db.c, expire.c, object.c).

DEL UNLINK EXISTS TYPE TOUCH, EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), EXPIRETIME PEXPIRETIME
TTL PTTL PERSIST, RENAME RENAMENX COPY MOVE SWAPDB, KEYS SCAN RANDOMKEY DBSIZE FLUSHDB FLUSHALL,
OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ|HELP.

Which lookup each command uses follows Redis, because it decides what clients can observe:

* :meth:`Database.lookup` -- ``lookupKeyWrite``: deletes an expired key, updates the access time;
* :meth:`Database.lookup_read` -- ``lookupKeyRead``: the same, and counts keyspace hits/misses;
* :meth:`Database.lookup_read_notouch` -- ``LOOKUP_NOTOUCH`` (EXISTS, TYPE, TTL, OBJECT): counts,
  leaves the access time (OBJECT IDLETIME) alone;
* :meth:`Database.peek` -- ``expireIfNeeded`` only (DEL, RANDOMKEY).
"""

from __future__ import annotations

import copy

from .. import errors
from ..config import NOTIFY_GENERIC
from ..errors import CommandError
from ..protocol.reply import OK, ONE, ZERO, Status
from ..store.glob import compile_pattern
from ..store.keyspace import now_ms
from ..store.stream import StreamValue
from ..store.types import (
    ENCODINGS, HashValue, ListValue, SetValue, ZSetValue, object_encoding, string_encoding, type_name,
)
from .table import command
from .transactions import _key_is_expired

LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)
INT_MAX = (1 << 31) - 1
INT_MIN = -(1 << 31)
ULONG_MAX = (1 << 64) - 1

SAME_OBJECT = "ERR source and destination objects are the same"
INVALID_CURSOR = "ERR invalid cursor"
INT_OUT_OF_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"
OBJ_SHARED_INTEGERS = 10000
OBJ_SHARED_REFCOUNT = INT_MAX
LFU_NOT_SELECTED = (
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
)
LFU_SELECTED = (
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
    "between policies at runtime LRU and LFU data will take some time to adjust."
)


# -- argument parsing (Redis: string2ll, getLongLongFromObjectOrReply, getIntFromObjectOrReply) -----

def string2ll(s: bytes):
    """util.c ``string2ll``: the integer spelled exactly by ``s`` (no spaces, no ``+``, no leading
    zeros, within 64 bits), or None."""
    n = len(s)
    if n == 0 or n >= 21:
        return None
    if s == b"0":
        return 0
    i = 1 if s[0] == 45 else 0  # '-'
    if i == n or not 49 <= s[i] <= 57:  # first digit 1-9
        return None
    for ch in s[i + 1:]:
        if not 48 <= ch <= 57:
            return None
    v = int(s)
    if v > LLONG_MAX or v < LLONG_MIN:
        return None
    return v


def parse_ll(arg: bytes, msg: str | None = None) -> int:
    v = string2ll(arg)
    if v is None:
        raise CommandError(msg or errors.NOT_INTEGER)
    return v


def parse_int(arg: bytes, msg: str | None = None) -> int:
    """getIntFromObjectOrReply."""
    v = parse_ll(arg, msg)
    if v < INT_MIN or v > INT_MAX:
        raise CommandError(msg or INT_OUT_OF_RANGE)
    return v


def parse_scan_cursor(arg: bytes) -> int:
    """parseScanCursorOrReply: C ``strtoul(arg, &end, 10)`` that must use every byte and not start
    with a space (so ``""`` is 0, ``"+5"`` is 5 and ``"-1"`` wraps to 2**64-1, as in Redis)."""
    if arg[:1] in (b" ", b"\t", b"\n", b"\v", b"\f", b"\r"):
        raise CommandError(INVALID_CURSOR)
    if not arg:
        return 0
    sign = 1
    body = arg
    if arg[:1] in (b"+", b"-"):
        sign = -1 if arg[:1] == b"-" else 1
        body = arg[1:]
    if not body or not body.isdigit():
        raise CommandError(INVALID_CURSOR)
    v = int(body)
    if v > ULONG_MAX:
        raise CommandError(INVALID_CURSOR)
    return (sign * v) & ULONG_MAX


def _db_index_ok(c, dbid: int) -> bool:
    """selectDb's range check.  A cluster node keeps one database but Redis still has ``databases``
    of them (only their use is refused), so indexes are checked against the configured number."""
    node = c.node
    n = node.config["databases"] if node.cluster_enabled else len(node.dbs)
    return 0 <= dbid < n


def _is_replica(c) -> bool:
    """checkAlreadyExpired's exceptions: on a replica (server.masterhost) or while loading, EXPIRE with
    a past time stores the time and waits for the master's DEL instead of deleting."""
    return bool(c.is_master or c.db.replica_mode or getattr(c.node, "loading", False))


def _notify(c, db, event: bytes, key: bytes, flag: int = NOTIFY_GENERIC) -> None:
    """notifyKeyspaceEvent (only when notify-keyspace-events enables something)."""
    node = c.node
    if node.notify_flags:
        node.notify(db, flag, event, key)


# -- DEL UNLINK EXISTS TYPE TOUCH -----------------------------------------------------------------

@command("del")
def del_(c, argv):
    db = c.db
    n = 0
    master = c.is_master  # our master's DEL (often of a key it expired): for it no key expired here
    for k in argv[1:]:
        if (master or db.peek(k) is not None) and db.delete(k):
            n += 1
            _notify(c, db, b"del", k)
    return n


LAZYFREE_THRESHOLD = 64


def lazyfree_effort(v, config) -> int:
    """lazyfreeGetFreeEffort: about how many allocations freeing the value takes (1 for a string or a
    compact encoding; a stream counts its nodes and its first group's PEL for each group)."""
    t = type(v)
    if t is bytes:
        return 1
    if t is StreamValue:
        effort = len(v.nodes)
        if v.groups:
            first = next(iter(v.groups.values()))
            effort += len(v.groups) * (1 + len(first.pel))
        return effort
    enc = object_encoding(v, config)
    if enc == b"quicklist":
        return len(v) // 128 + 1  # (the quicklist's nodes)
    if enc in (b"hashtable", b"skiplist"):
        return len(v)
    return 1


@command("unlink")
def unlink(c, argv):
    """UNLINK: DEL, with values big enough freed "in the background" (lazyfreed_objects)."""
    db = c.db
    big = [k for k in argv[1:] if (v := db.data.get(k)) is not None
           and lazyfree_effort(v, c.node.config) > LAZYFREE_THRESHOLD]
    n = del_(c, argv)
    if big:
        stats = c.node.stats
        stats.lazyfreed_objects = getattr(stats, "lazyfreed_objects", 0) + sum(
            1 for k in big if k not in db.data)
    return n


@command("exists")
def exists(c, argv):
    db = c.db
    n = 0
    for k in argv[1:]:
        if db.lookup_read_notouch(k) is not None:
            n += 1
    return n


@command("type")
def type_(c, argv):
    v = c.db.lookup_read_notouch(argv[1])
    return Status((type_name(v) if v is not None else b"none").decode())


@command("touch")
def touch(c, argv):
    db = c.db
    n = 0
    for k in argv[1:]:
        if db.lookup_read(k) is not None:
            n += 1
    return n


# -- expiry ------------------------------------------------------------------------------------------

_EXPIRE_NX, _EXPIRE_XX, _EXPIRE_GT, _EXPIRE_LT = 1, 2, 4, 8
_EXPIRE_FLAGS = {b"nx": _EXPIRE_NX, b"xx": _EXPIRE_XX, b"gt": _EXPIRE_GT, b"lt": _EXPIRE_LT}


def _expire_generic(c, argv, basetime: int, seconds: bool, name: str):
    """expireGenericCommand."""
    flags = 0
    for opt in argv[3:]:
        opt = opt.split(b"\0", 1)[0]  # compared as C strings (strcasecmp)
        f = _EXPIRE_FLAGS.get(opt.lower())
        if f is None:
            raise CommandError("ERR Unsupported option %s" % errors._text(opt))
        flags |= f
    if flags & _EXPIRE_NX and flags & (_EXPIRE_XX | _EXPIRE_GT | _EXPIRE_LT):
        raise CommandError("ERR NX and XX, GT or LT options at the same time are not compatible")
    if flags & _EXPIRE_GT and flags & _EXPIRE_LT:
        raise CommandError("ERR GT and LT options at the same time are not compatible")
    when = parse_ll(argv[2])
    if seconds:
        if when > LLONG_MAX // 1000 or when < -(-LLONG_MIN // 1000):
            raise CommandError(errors.INVALID_EXPIRE.format(name))
        when *= 1000
    if when > LLONG_MAX - basetime:
        raise CommandError(errors.INVALID_EXPIRE.format(name))
    when += basetime
    db = c.db
    key = argv[1]
    if db.lookup(key) is None:
        return ZERO
    if flags:
        current = db.expires.get(key, -1)
        if flags & _EXPIRE_NX and current != -1:
            return ZERO
        if flags & _EXPIRE_XX and current == -1:
            return ZERO
        if flags & _EXPIRE_GT and (when <= current or current == -1):
            return ZERO
        if flags & _EXPIRE_LT and current != -1 and when >= current:
            return ZERO
    if when <= now_ms() and not _is_replica(c):
        db.delete(key)
        # replicated as an explicit DEL (UNLINK with lazyfree-lazy-expire)
        c.propagate_as = [[b"UNLINK" if c.node.config["lazyfree-lazy-expire"] else b"DEL", key]]
        _notify(c, db, b"del", key)
        return ONE
    db.set_expire(key, when)
    db.touch(key)
    c.propagate_as = [[b"PEXPIREAT", key, b"%d" % when]]  # absolute: replicas and the AOF agree
    _notify(c, db, b"expire", key)
    return ONE


@command("expire")
def expire(c, argv):
    return _expire_generic(c, argv, now_ms(), True, "expire")


@command("pexpire")
def pexpire(c, argv):
    return _expire_generic(c, argv, now_ms(), False, "pexpire")


@command("expireat")
def expireat(c, argv):
    return _expire_generic(c, argv, 0, True, "expireat")


@command("pexpireat")
def pexpireat(c, argv):
    return _expire_generic(c, argv, 0, False, "pexpireat")


def _ttl_generic(c, key: bytes, ms: bool, absolute: bool) -> int:
    """ttlGenericCommand: -2 no key, -1 no TTL."""
    db = c.db
    if db.lookup_read_notouch(key) is None:
        return -2
    when = db.expires.get(key)
    if when is None:
        return -1
    ttl = when if absolute else when - now_ms()
    if ttl < 0:
        ttl = 0
    return ttl if ms else (ttl + 500) // 1000


@command("ttl")
def ttl(c, argv):
    return _ttl_generic(c, argv[1], False, False)


@command("pttl")
def pttl(c, argv):
    return _ttl_generic(c, argv[1], True, False)


@command("expiretime")
def expiretime(c, argv):
    return _ttl_generic(c, argv[1], False, True)


@command("pexpiretime")
def pexpiretime(c, argv):
    return _ttl_generic(c, argv[1], True, True)


@command("persist")
def persist(c, argv):
    db = c.db
    key = argv[1]
    if db.lookup(key) is not None and db.persist(key):
        db.touch(key)
        _notify(c, db, b"persist", key)
        return ONE
    return ZERO


# -- RENAME MOVE COPY SWAPDB ------------------------------------------------------------------------

def _rename_generic(c, argv, nx: bool):
    db = c.db
    src, dst = argv[1], argv[2]
    v = db.lookup(src)
    if v is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if src == dst:
        return ZERO if nx else OK
    when = db.expires.get(src)
    word = db.atime.get(src)  # the value moves: so does its access time / LFU counter
    if db.lookup(dst) is not None:
        if nx:
            return ZERO
        db.delete(dst)
    db.add(dst, v)
    if when is not None:
        db.set_expire(dst, when)
    if word is not None:
        db.atime[dst] = word
    db.delete(src)
    c.node.blocking.signal(db, dst)  # dbAdd: clients blocked on dst (BLPOP ...) may be served
    _notify(c, db, b"rename_from", src)
    _notify(c, db, b"rename_to", dst)
    return ONE if nx else OK


@command("rename")
def rename(c, argv):
    return _rename_generic(c, argv, False)


@command("renamenx")
def renamenx(c, argv):
    return _rename_generic(c, argv, True)


@command("move")
def move(c, argv):
    node = c.node
    if node.cluster_enabled:
        raise CommandError("ERR MOVE is not allowed in cluster mode")
    src = c.db
    dbid = parse_int(argv[2])
    if not _db_index_ok(c, dbid):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    dst = node.dbs[dbid]
    if dst is src:
        raise CommandError(SAME_OBJECT)
    key = argv[1]
    v = src.lookup(key)
    if v is None:
        return ZERO
    when = src.expires.get(key)
    if dst.lookup(key) is not None:
        return ZERO
    word = src.atime.get(key)
    dst.add(key, v)
    if when is not None:
        dst.set_expire(key, when)
    if word is not None:
        dst.atime[key] = word
    src.delete(key)
    node.blocking.signal(dst, key)
    _notify(c, src, b"move_from", key)
    _notify(c, dst, b"move_to", key)
    return ONE


def dup_value(v):
    """A deep copy of a value for COPY (Redis: dupStringObject, listTypeDup, hashTypeDup ...).
    A value type may define ``dup()`` to copy itself."""
    t = type(v)
    if t is bytes:
        return v  # immutable
    if t is bytearray:
        return bytearray(v)
    dup = getattr(v, "dup", None)
    if dup is not None:
        return dup()
    if t is ListValue:
        return ListValue(v)  # elements are immutable bytes
    if t is HashValue or t is SetValue:
        new = t(v)
        big = getattr(v, "big", None)  # the encoding is copied (hashTypeDup, setTypeDup) ...
        if big is not None:
            new.big = big
        return new  # ... the caches (pool, scan) are rebuilt on demand
    return copy.deepcopy(v)


@command("copy")
def copy_(c, argv):
    node = c.node
    src = dst = c.db
    dbid = src.id
    replace = False
    j = 3
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"db" and n - j - 1 >= 1:
            dbid = parse_int(argv[j + 1])
            if not _db_index_ok(c, dbid):
                raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
            if not node.cluster_enabled:
                dst = node.dbs[dbid]
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    if node.cluster_enabled and (src.id != 0 or dbid != 0):
        raise CommandError("ERR Copying to another database is not allowed in cluster mode")
    key, newkey = argv[1], argv[2]
    if src is dst and key == newkey:
        raise CommandError(SAME_OBJECT)
    v = src.lookup_read(key)
    if v is None:
        return ZERO
    when = src.expires.get(key)
    delete = False
    if dst.lookup(newkey) is not None:
        if not replace:
            return ZERO
        delete = True
    newv = dup_value(v)
    if delete:
        dst.delete(newkey)
    dst.add(newkey, newv)
    if when is not None:
        dst.set_expire(newkey, when)
    node.blocking.signal(dst, newkey)
    _notify(c, dst, b"copy_to", newkey)
    return ONE


def _touch_watched_for_swap(node, emptied, replaced_with) -> None:
    """touchAllWatchedKeysInDb(emptied, replaced_with), before the swap: a WATCHed key of ``emptied``
    that exists in either database is touched -- unless it was expired when watched and is now gone
    or still expired, or is missing and replaced with an expired key (then it counts as expired)."""
    watched = node.watched_keys
    if not watched:
        return
    now = now_ms()
    dbid = emptied.id
    for wk, clients in list(watched.items()):
        if wk[0] != dbid:
            continue
        key = wk[1]
        exists_in_emptied = key in emptied.data
        if not exists_in_emptied and key not in replaced_with.data:
            continue
        for cl in list(clients):
            if cl.watched.get(wk):  # expired when WATCH was called
                if key not in replaced_with.data:
                    cl.watched[wk] = False  # expired key now deleted: no logical change
                    continue
                if _key_is_expired(replaced_with, key, now):
                    continue  # expired key remains expired
            elif not exists_in_emptied and _key_is_expired(replaced_with, key, now):
                cl.watched[wk] = True  # a missing key replaced with an expired one
                continue
            cl.dirty_cas = True


@command("swapdb")
def swapdb(c, argv):
    node = c.node
    if node.cluster_enabled:
        raise CommandError("ERR SWAPDB is not allowed in cluster mode")
    id1 = parse_int(argv[1], "ERR invalid first DB index")
    id2 = parse_int(argv[2], "ERR invalid second DB index")
    if not (_db_index_ok(c, id1) and _db_index_ok(c, id2)):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    if id1 != id2:
        db1, db2 = node.dbs[id1], node.dbs[id2]
        _touch_watched_for_swap(node, db1, db2)
        _touch_watched_for_swap(node, db2, db1)
        db1.swap_with(db2)
        signal_db = getattr(node.blocking, "signal_db", None)  # scanDatabaseForReadyKeys
        if signal_db is not None:
            signal_db(db1)
            signal_db(db2)
    node.dirty += 1
    return OK


# -- KEYS SCAN RANDOMKEY DBSIZE ---------------------------------------------------------------------

@command("keys")
def keys(c, argv):
    db = c.db
    pattern = argv[1]
    data = db.data
    expires = db.expires
    if pattern == b"*":
        out = list(data)
    elif not any(ch in pattern for ch in (b"*", b"?", b"[", b"\\")):
        out = [pattern] if pattern in data else []  # a plain name
    else:
        match = compile_pattern(pattern)
        out = [k for k in data if match(k)]
    if expires and out:  # keyIsExpired: leave out, do not delete
        now = now_ms()
        out = [k for k in out if expires.get(k, now + 1) > now]
    return out


@command("scan")
def scan(c, argv):
    cursor = parse_scan_cursor(argv[1])
    count = 10
    pattern = None
    typename = None
    i = 2
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        more = n - i
        if opt == b"count" and more >= 2:
            count = parse_ll(argv[i + 1])
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif opt == b"match" and more >= 2:
            pattern = argv[i + 1]
            if pattern == b"*":
                pattern = None  # matches everything (even the empty key)
        elif opt == b"type" and more >= 2:
            typename = argv[i + 1].split(b"\0", 1)[0].lower()
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    db = c.db
    cursor, found = db.scan(cursor, count)
    if pattern is not None:
        match = compile_pattern(pattern)
        found = [k for k in found if match(k)]
    if typename is not None:
        kept = []
        for k in found:
            v = db.lookup_read_notouch(k)  # deletes it if expired: its type is then "none"
            if (type_name(v) if v is not None else b"none") == typename:
                kept.append(k)
        found = kept
    expires = db.expires
    if expires and found:
        now = now_ms()
        kept = []
        for k in found:
            when = expires.get(k)
            if when is not None and when <= now:
                db.expire_now(k)
            else:
                kept.append(k)
        found = kept
    return [b"%d" % cursor, found]


@command("randomkey")
def randomkey(c, argv):
    return c.db.random_key()


@command("dbsize")
def dbsize(c, argv):
    return len(c.db.data)


# -- FLUSHDB FLUSHALL -------------------------------------------------------------------------------

def _flush_mode(argv) -> None:
    """getFlushCommandFlags: nothing, SYNC or ASYNC (both free at once here)."""
    if len(argv) == 1:
        return
    if len(argv) == 2 and argv[1].lower() in (b"sync", b"async"):
        return
    raise CommandError(errors.SYNTAX)


@command("flushdb")
def flushdb(c, argv):
    _flush_mode(argv)
    # Each removed key counts as a change (server.dirty += removed) and touches its WATCHes.  An
    # empty flush changes nothing but still goes to the replicas and the AOF (forceCommandPropagation).
    tracking = c.node.tracking
    active, tracking.active = tracking.active, False  # (no per-key invalidation: one null, below)
    try:
        if not c.db.clear():
            c.node.force_propagation(c, argv)
    finally:
        tracking.active = active
    tracking.on_flush()  # signalFlushedDb: trackingInvalidateKeysOnFlush
    return OK


@command("flushall")
def flushall(c, argv):
    _flush_mode(argv)
    before = c.node.dirty
    tracking = c.node.tracking
    active, tracking.active = tracking.active, False  # (no per-key invalidation: one null, below)
    try:
        for db in c.node.dbs:
            db.clear()
    finally:
        tracking.active = active
    tracking.on_flush()  # signalFlushedDb: trackingInvalidateKeysOnFlush
    p = getattr(c.node, "persistence", None)
    if p is not None:
        p.flushall_save()  # with save points the empty dataset is saved at once (dirty back to 0)
    if c.node.dirty == before:  # nothing removed, or the save reset the counter: forceCommandPropagation
        c.node.force_propagation(c, argv)
    return OK


# -- OBJECT -------------------------------------------------------------------------------------------

OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


def _is_int_member(m: bytes) -> bool:
    return string2ll(m) is not None


def _hash_encoding(v, config) -> bytes:
    limit = config.get("hash-max-listpack-value", 64)
    if len(v) <= config.get("hash-max-listpack-entries", 512) and all(
            len(f) <= limit and len(x) <= limit for f, x in v.items()):
        return b"listpack"
    return b"hashtable"


def _set_encoding(v, config) -> bytes:
    if len(v) <= config.get("set-max-intset-entries", 512) and all(_is_int_member(m) for m in v):
        return b"intset"
    return b"hashtable"


def _zset_encoding(v, config) -> bytes:
    limit = config.get("zset-max-listpack-value", 64)
    if len(v) <= config.get("zset-max-listpack-entries", 128) and all(len(m) <= limit for m in v.scores):
        return b"listpack"
    return b"skiplist"


# Defaults for the container types whose modules have not registered their own OBJECT ENCODING yet:
# what Redis 7.0 reports for a value of that size built by plain adds (Redis never converts back, so
# a container that grew and shrank again may differ until its module tracks that).
for _t, _fn in ((HashValue, _hash_encoding), (SetValue, _set_encoding), (ZSetValue, _zset_encoding)):
    ENCODINGS.setdefault(_t, _fn)


def _lfu_policy(config) -> bool:
    return "lfu" in config["maxmemory-policy"]


def _object_lookup(c, argv):
    return c.db.lookup_read_notouch(argv[2], notify=False)  # LOOKUP_NOTOUCH | LOOKUP_NONOTIFY


def object_help(c, argv):
    return [Status(line) for line in OBJECT_HELP]


def object_encoding_cmd(c, argv):
    v = _object_lookup(c, argv)
    if v is None:
        return None
    return object_encoding(v, c.node.config)


def object_refcount(c, argv):
    v = _object_lookup(c, argv)
    if v is None:
        return None
    t = type(v)
    if t is bytes and string_encoding(v) == b"int":
        # Small integers are shared objects (tryObjectEncoding) unless maxmemory with an LRU/LFU
        # policy needs a private access time per object.
        config = c.node.config
        policy = config["maxmemory-policy"]
        if 0 <= int(v) < OBJ_SHARED_INTEGERS and not (
                config["maxmemory"] and ("lru" in policy or "lfu" in policy)):
            return OBJ_SHARED_REFCOUNT
    return 1


def object_idletime(c, argv):
    v = _object_lookup(c, argv)
    if v is None:
        return None
    if _lfu_policy(c.node.config):
        raise CommandError(LFU_SELECTED)
    return c.db.idle_seconds(argv[2])


def object_freq(c, argv):
    v = _object_lookup(c, argv)
    if v is None:
        return None
    config = c.node.config
    if not _lfu_policy(config):
        raise CommandError(LFU_NOT_SELECTED)
    return c.db.lfu_freq(argv[2])


# Registered in the order Redis 7.0 lists them (COMMAND INFO OBJECT).
command("object|encoding")(object_encoding_cmd)
command("object|freq")(object_freq)
command("object|help")(object_help)
command("object|refcount")(object_refcount)
command("object|idletime")(object_idletime)
