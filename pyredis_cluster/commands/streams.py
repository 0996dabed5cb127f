"""Stream commands (Redis: t_stream.c): XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD XSETID XINFO STREAM.

A stream is a :class:`~..store.stream.StreamValue`.  Arguments and errors are checked in the order
Redis 7.0 checks them.  Replication sees what Redis propagates: XADD with the id it generated (``*``
and ``<ms>-*`` rewritten), ``MAXLEN ~ n`` / ``MINID ~ id`` rewritten as ``= <the result>``.

XREAD BLOCK waits through ``node.blocking`` (:mod:`..server.blocking`); XADD signals the key, and a
waiter is served when the stream's last id passes the id it waits after (``$`` is resolved when it
blocks).
"""

from __future__ import annotations

from .. import errors
from ..config import NOTIFY_STREAM
from ..errors import CommandError
from ..protocol.reply import EMPTY_ARRAY, NO_REPLY, NULL_ARRAY, OK, Map
from ..protocol.request import strict_int
from ..store.stream import MAX_ID, MIN_ID, U64, StreamValue, decr_id, id_bytes, incr_id
from .table import COMMANDS as _COMMANDS
from .table import command

_WRONGTYPE = CommandError(errors.WRONGTYPE)
_SYNTAX = CommandError(errors.SYNTAX)
_NOT_INTEGER = CommandError(errors.NOT_INTEGER)
INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
XREAD_BLOCKED_DEFAULT_COUNT = 1000

TRIM_NONE, TRIM_MAXLEN, TRIM_MINID = 0, 1, 2


# -- parsing --------------------------------------------------------------------------------------

def _strtoull(s: bytes):
    """string2ull: string2ll's integers >= 0, else strtoull's rules (spaces, sign, no overflow)."""
    v = strict_int(s)
    if v is not None:
        return v if v >= 0 else None
    i = 0
    n = len(s)
    while i < n and s[i] in b" \t\n\v\f\r":
        i += 1
    neg = False
    if i < n and s[i] in b"+-":
        neg = s[i] == 45
        i += 1
    j = i
    while j < n and 48 <= s[j] <= 57:
        j += 1
    if j == i or j != n or not s:
        return None
    v = int(s[i:j])
    if v > U64:
        return None
    return (-v) & U64 if neg else v


def parse_id(arg: bytes, missing_seq: int = 0, strict: bool = False, seq_given: list | None = None):
    """streamGenericParseIDOrReply: (ms, seq); '-' and '+' unless ``strict``; ``<ms>-*`` when
    ``seq_given`` is a list (its [0] is set to False then)."""
    if len(arg) > 127:
        raise CommandError(INVALID_ID)
    if b"\0" in arg:
        arg = arg[:arg.index(b"\0")]
    if strict and arg in (b"-", b"+"):
        raise CommandError(INVALID_ID)
    if seq_given is not None:
        seq_given[0] = True
    if arg == b"-":
        return MIN_ID
    if arg == b"+":
        return MAX_ID
    ms_part, dash, seq_part = arg.partition(b"-")
    ms = _strtoull(ms_part)
    if ms is None:
        raise CommandError(INVALID_ID)
    if dash:
        if seq_given is not None and seq_part == b"*":
            seq = 0
            seq_given[0] = False
        else:
            seq = _strtoull(seq_part)
            if seq is None:
                raise CommandError(INVALID_ID)
    else:
        seq = missing_seq
    return (ms, seq)


def _interval_id(arg: bytes, missing_seq: int):
    """streamParseIntervalIDOrReply: (id, exclusive)."""
    if len(arg) > 1 and arg[:1] == b"(":
        return parse_id(arg[1:], missing_seq, strict=True), True
    return parse_id(arg, missing_seq), False


def _long(arg: bytes, msg: str | None = None) -> int:
    v = strict_int(arg)
    if v is None:
        raise CommandError(msg) if msg else _NOT_INTEGER
    return v


class TrimArgs:
    __slots__ = ("strategy", "approx", "maxlen", "minid", "limit", "arg_idx", "nomkstream", "id", "id_given",
                 "seq_given")

    def __init__(self):
        self.strategy = TRIM_NONE
        self.approx = False
        self.maxlen = 0
        self.minid = MIN_ID
        self.limit = 0
        self.arg_idx = 0
        self.nomkstream = False
        self.id = None
        self.id_given = False
        self.seq_given = True


def _parse_add_trim(c, argv, xadd: bool):
    """streamParseAddOrTrimArgsOrReply: (args, index of the id for XADD)."""
    a = TrimArgs()
    argc = len(argv)
    i = 2
    limit_given = False
    while i < argc:
        more = argc - 1 - i
        opt = argv[i]
        lo = opt.lower()
        if xadd and opt == b"*":
            break
        if lo == b"maxlen" and more:
            if a.strategy != TRIM_NONE:
                raise CommandError("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
            a.approx = False
            nxt = argv[i + 1]
            if more >= 2 and nxt == b"~":
                a.approx = True
                i += 1
            elif more >= 2 and nxt == b"=":
                i += 1
            a.maxlen = _long(argv[i + 1])
            if a.maxlen < 0:
                raise CommandError("ERR The MAXLEN argument must be >= 0.")
            i += 1
            a.strategy = TRIM_MAXLEN
            a.arg_idx = i
        elif lo == b"minid" and more:
            if a.strategy != TRIM_NONE:
                raise CommandError("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
            a.approx = False
            nxt = argv[i + 1]
            if more >= 2 and nxt == b"~":
                a.approx = True
                i += 1
            elif more >= 2 and nxt == b"=":
                i += 1
            a.minid = parse_id(argv[i + 1], 0, strict=True)
            i += 1
            a.strategy = TRIM_MINID
            a.arg_idx = i
        elif lo == b"limit" and more:
            a.limit = _long(argv[i + 1])
            if a.limit < 0:
                raise CommandError("ERR The LIMIT argument must be >= 0.")
            limit_given = True
            i += 1
        elif xadd and lo == b"nomkstream":
            a.nomkstream = True
        elif xadd:
            sg = [True]
            a.id = parse_id(opt, 0, strict=True, seq_given=sg)
            a.seq_given = sg[0]
            a.id_given = True
            break
        else:
            raise _SYNTAX
        i += 1
    if a.limit and a.strategy == TRIM_NONE:
        raise CommandError("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    if not xadd and a.strategy == TRIM_NONE:
        raise CommandError("ERR syntax error, XTRIM must be called with a trimming strategy")
    if getattr(c, "is_master", False) or getattr(c, "is_aof", False):
        a.limit = 0
    else:
        if limit_given:
            if not a.approx:
                raise CommandError("ERR syntax error, LIMIT cannot be used without the special ~ option")
        elif a.approx:
            a.limit = 100 * c.node.config["stream-node-max-entries"]
            if a.limit <= 0:
                a.limit = 10000
            if a.limit > 1000000:
                a.limit = 1000000
        else:
            a.limit = 0
    return a, i


def _trim(s: StreamValue, a: TrimArgs) -> int:
    if a.strategy == TRIM_NONE:
        return 0
    if a.strategy == TRIM_MAXLEN:
        return s.trim(maxlen=a.maxlen, approx=a.approx, limit=a.limit)
    return s.trim(minid=a.minid, approx=a.approx, limit=a.limit)


def _rewrite_trim(s: StreamValue, a: TrimArgs, argv: list) -> list:
    """streamRewriteApproxSpecifier + streamRewriteTrimArgument."""
    argv = list(argv)
    argv[a.arg_idx - 1] = b"="
    if a.strategy == TRIM_MAXLEN:
        argv[a.arg_idx] = b"%d" % s.length
    else:
        argv[a.arg_idx] = id_bytes(s.edge_id(True, skip_tombstones=False))
    return argv


def _get_stream(db, key, write: bool = False):
    v = db.lookup(key) if write else db.lookup_read(key)
    if v is not None and type(v) is not StreamValue:
        raise _WRONGTYPE
    return v


def _notify(c, event: bytes, key: bytes) -> None:
    node = c.node
    if node.notify_flags:
        node.notify(c.db, NOTIFY_STREAM, event, key)


def entries_reply(items) -> list:
    return [[id_bytes(eid), list(vals)] for eid, vals in items]


def _range_items(s, start, end, count: int, rev: bool = False) -> list:
    out = []
    for item in s.range(start, end, rev):
        out.append(item)
        if count and len(out) >= count:
            break
    return out


# -- XADD / XLEN / XRANGE / XDEL / XTRIM / XSETID ---------------------------------------------------------

@command("xadd")
def xadd(c, argv):
    a, idpos = _parse_add_trim(c, argv, True)
    field_pos = idpos + 1
    nargs = len(argv) - field_pos
    if nargs < 2 or nargs % 2 == 1:
        raise CommandError(errors.wrong_arity("xadd"))
    if a.id_given and a.seq_given and a.id == (0, 0):
        raise CommandError("ERR The ID specified in XADD must be greater than 0-0")
    db = c.db
    key = argv[1]
    s = _get_stream(db, key, write=True)
    created = False
    if s is None:
        if a.nomkstream:
            return None
        s = StreamValue()
        created = True
    if s.last_id == MAX_ID:
        if created:
            db.add(key, s)
        raise CommandError("ERR The stream has exhausted the last possible ID, unable to add more items")
    # streamAppendItem: the id
    last = s.last_id
    ok = True
    if a.id_given:
        if a.seq_given:
            eid = a.id
        elif last[0] == a.id[0]:
            if last[1] == U64:
                ok = False
                eid = a.id
            else:
                eid = (last[0], last[1] + 1)
        else:
            eid = a.id
    else:
        now = _now_ms()
        if now > last[0]:
            eid = (now, 0)
        else:
            eid, _ = incr_id(last)
    if not ok or eid <= last:
        if created:
            db.add(key, s)  # (Redis created the key before failing)
        raise CommandError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    vals = tuple(argv[field_pos:])
    if sum(len(x) for x in vals) > (1 << 30):
        if created:
            db.add(key, s)
        raise CommandError("ERR Elements are too large to be stored")
    config = c.node.config
    s.append(eid, vals, config["stream-node-max-bytes"], config["stream-node-max-entries"])
    if created:
        db.add(key, s)
    else:
        db.touch(key)
    _notify(c, b"xadd", key)
    prop = argv
    if a.strategy != TRIM_NONE:
        if _trim(s, a):
            _notify(c, b"xtrim", key)
        if a.approx:
            prop = _rewrite_trim(s, a, prop)
    if not a.id_given or not a.seq_given:
        prop = list(prop)
        prop[idpos] = id_bytes(eid)
    if prop is not argv:
        c.propagate_as = [prop]
    c.node.blocking.signal(db, key)
    return id_bytes(eid)


def _now_ms() -> int:
    import time
    return int(time.time() * 1000)


@command("xlen")
def xlen(c, argv):
    s = _get_stream(c.db, argv[1])
    return 0 if s is None else s.length


def _xrange(c, argv, rev: bool):
    startarg, endarg = (argv[3], argv[2]) if rev else (argv[2], argv[3])
    start, ex = _interval_id(startarg, 0)
    if ex:
        start, ok = incr_id(start)
        if not ok:
            raise CommandError("ERR invalid start ID for the interval")
    end, ex = _interval_id(endarg, U64)
    if ex:
        end, ok = decr_id(end)
        if not ok:
            raise CommandError("ERR invalid end ID for the interval")
    count = -1
    j = 4
    n = len(argv)
    while j < n:
        if argv[j].lower() == b"count" and n - j - 1 >= 1:
            count = _long(argv[j + 1])
            if count < 0:
                count = 0
            j += 1
        else:
            raise _SYNTAX
        j += 1
    s = _get_stream(c.db, argv[1])
    if s is None:
        return EMPTY_ARRAY
    if count == 0:
        return NULL_ARRAY
    if count == -1:
        count = 0
    return entries_reply(_range_items(s, start, end, count, rev))


@command("xrange")
def xrange(c, argv):
    return _xrange(c, argv, False)


@command("xrevrange")
def xrevrange(c, argv):
    return _xrange(c, argv, True)


@command("xdel")
def xdel(c, argv):
    db = c.db
    key = argv[1]
    s = _get_stream(db, key, write=True)
    if s is None:
        return 0
    ids = [parse_id(a, 0, strict=True) for a in argv[2:]]
    deleted = 0
    first_entry = False
    for eid in ids:
        if s.delete(eid):
            if eid == s.first_id:
                first_entry = True
            if eid > s.max_deleted:
                s.max_deleted = eid
            deleted += 1
    if deleted:
        if s.length == 0:
            s.first_id = MIN_ID
        elif first_entry:
            s.first_id = s.edge_id(True)
        db.touch(key)
        _notify(c, b"xdel", key)
        c.node.dirty += deleted - 1
    return deleted


@command("xtrim")
def xtrim(c, argv):
    a, _ = _parse_add_trim(c, argv, False)
    db = c.db
    key = argv[1]
    s = _get_stream(db, key, write=True)
    if s is None:
        return 0
    deleted = _trim(s, a)
    if deleted:
        _notify(c, b"xtrim", key)
        if a.approx:
            c.propagate_as = [_rewrite_trim(s, a, argv)]
        db.touch(key)
        c.node.dirty += deleted - 1
    return deleted


@command("xsetid")
def xsetid(c, argv):
    eid = parse_id(argv[2], 0, strict=True)
    entries_added = -1
    max_xdel = MIN_ID
    i = 3
    n = len(argv)
    while i < n:
        more = n - 1 - i
        opt = argv[i].lower()
        if opt == b"entriesadded" and more:
            entries_added = _long(argv[i + 1])
            if entries_added < 0:
                raise CommandError("ERR entries_added must be positive")
            i += 2
        elif opt == b"maxdeletedid" and more:
            max_xdel = parse_id(argv[i + 1], 0, strict=True)
            if eid < max_xdel:
                raise CommandError("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
            i += 2
        else:
            raise _SYNTAX
    db = c.db
    s = _get_stream(db, argv[1], write=True)
    if s is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if s.length > 0:
        if eid < s.last_valid_id():
            raise CommandError("ERR The ID specified in XSETID is smaller than the target stream top item")
        if entries_added != -1 and s.length > entries_added:
            raise CommandError("ERR The entries_added specified in XSETID is smaller than the target stream length")
    s.last_id = eid
    if entries_added != -1:
        s.entries_added = entries_added
    if max_xdel != MIN_ID:
        s.max_deleted = max_xdel
    c.node.dirty += 1
    _notify(c, b"xsetid", argv[1])
    return OK


# -- XREAD ----------------------------------------------------------------------------------------------

def _block_timeout(arg: bytes) -> int:
    v = strict_int(arg)
    if v is None:
        raise CommandError("ERR timeout is not an integer or out of range")
    if v < 0:
        raise CommandError("ERR timeout is negative")
    return v


def _stream_reply(c, pairs):
    if c.resp3:
        return Map(pairs)
    return [[k, v] for k, v in pairs]


def _serve_xread(client, state, key):
    """serveClientsBlockedOnStreamKey: reply when the stream passed the awaited id (for a group: its
    last delivered id, read now); a group deleted meanwhile releases the client with NOGROUP."""
    s = state.db.peek(key)
    ids, count, group_name, consumer_name, noack = state.data
    if type(s) is not StreamValue:
        if group_name is None:
            return None
        # unblockDeletedStreamReadgroupClients: the stream was deleted or overwritten
        from ..protocol.reply import Raw, error_bytes
        msg = "UNBLOCKED the stream key no longer exists"
        client.node.stats.error(msg)
        if state.cmd is not None:
            state.cmd.failed_calls += 1
        return Raw(error_bytes(msg))
    group = None
    if group_name is not None:
        group = s.groups.get(group_name)
        if group is None:
            from ..protocol.reply import Raw, error_bytes
            msg = "NOGROUP the consumer group this client was blocked on no longer exists"
            client.node.stats.error(msg)
            if state.cmd is not None:
                state.cmd.failed_calls += 1
            return Raw(error_bytes(msg))
        gt = group.last_id
    else:
        gt = ids[key]
    if not s.last_id > gt:
        return None
    start, _ = incr_id(gt)
    props: list = []
    consumer = None
    if group is not None:
        consumer = _lookup_or_create_consumer(client, s, group, key, group_name, consumer_name, noack, props)
        items = _group_read(client, s, start, count, group, consumer, noack, key, group_name, props)
    else:
        items = _range_items(s, start, MAX_ID, count)
    reply = _stream_reply(client, [(key, entries_reply(items))])
    if props:
        client.propagate_as = props
        client.node.propagate(client, None, None)
    return reply


_serve_xread.serves_deleted_keys = True


def _lookup_or_create_consumer(c, s, group, key, group_name, name, noack, props):
    """streamLookupConsumer (refreshing seen-time) or streamCreateConsumer."""
    from ..store.stream_groups import Consumer
    now = _now_ms()
    cons = group.consumers.get(name)
    if cons is not None:
        cons.seen_time = now
        return cons
    cons = group.consumers[name] = Consumer(name, now)
    c.node.dirty += 1
    node = c.node
    if node.notify_flags:
        node.notify(c.db, NOTIFY_STREAM, b"xgroup-createconsumer", key)
    if noack:
        props.append([b"XGROUP", b"CREATECONSUMER", key, group_name, name])
    return cons


def _xclaim_argv(key, group_name, group, eid, nack) -> list:
    """streamPropagateXCLAIM."""
    return [b"XCLAIM", key, group_name, nack.consumer.name, b"0", id_bytes(eid), b"TIME",
            b"%d" % nack.delivery_time, b"RETRYCOUNT", b"%d" % nack.delivery_count, b"FORCE", b"JUSTID",
            b"LASTID", id_bytes(group.last_id)]


def _group_read(c, s, start, count, group, consumer, noack, key, group_name, props) -> list:
    """streamReplyWithRange with a group (new entries: '>'): advances the group, fills the PELs."""
    from ..store.stream_groups import Nack, estimate_distance
    out = []
    propagate_last_id = False
    now = _now_ms()
    for eid, vals in s.range(start, MAX_ID):
        if eid > group.last_id:
            if group.entries_read != -1 and not _range_has_tombstones(s, eid, MAX_ID):
                group.entries_read += 1
            elif s.entries_added:
                group.entries_read = estimate_distance(s, eid)
            group.last_id = eid
            if noack:
                propagate_last_id = True
        out.append((eid, vals))
        if not noack:
            nack = group.pel.get(eid)
            if nack is None:
                nack = Nack(consumer, now, 1)
                group.pel[eid] = nack
                consumer.pel[eid] = nack
            else:
                nack.consumer.pel.pop(eid, None)
                nack.consumer = consumer
                nack.delivery_time = now
                nack.delivery_count = 1
                consumer.pel[eid] = nack
            props.append(_xclaim_argv(key, group_name, group, eid, nack))
        if count and len(out) >= count:
            break
    if propagate_last_id:
        props.append([b"XGROUP", b"SETID", key, group_name, id_bytes(group.last_id), b"ENTRIESREAD",
                      b"%d" % group.entries_read])
    return out


def _history_read(s, start, count, consumer) -> list:
    """streamReplyWithRangeFromConsumerPEL: the consumer's pending entries from ``start`` (an entry
    deleted since: its id with a null array)."""
    out = []
    now = _now_ms()
    for eid in consumer.pel.irange(minimum=start):
        if count and len(out) >= count:
            break
        vals = s.get(eid)
        if vals is None:
            out.append([id_bytes(eid), NULL_ARRAY])
        else:
            nack = consumer.pel[eid]
            nack.delivery_time = now
            nack.delivery_count += 1
            out.append([id_bytes(eid), list(vals)])
    return out


def _xread_generic(c, argv, xreadgroup: bool):
    timeout = -1
    count = 0
    streams_arg = 0
    noack = False
    group_name = consumer_name = None
    argc = len(argv)
    i = 1
    while i < argc:
        more = argc - i - 1
        o = argv[i].lower()
        if o == b"block" and more:
            if getattr(c, "in_script", False):
                raise CommandError("ERR %s command is not allowed with BLOCK option from scripts"
                                   % argv[0].decode("latin-1"))
            i += 1
            timeout = _block_timeout(argv[i])
        elif o == b"count" and more:
            i += 1
            count = _long(argv[i])
            if count < 0:
                count = 0
        elif o == b"streams" and more:
            streams_arg = i + 1
            streams_count = argc - streams_arg
            if streams_count % 2:
                raise CommandError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' "
                                   "must be specified.")
            streams_count //= 2
            break
        elif o == b"group" and more >= 2:
            if not xreadgroup:
                raise CommandError("ERR The GROUP option is only supported by XREADGROUP. You called XREAD "
                                   "instead.")
            group_name = argv[i + 1]
            consumer_name = argv[i + 2]
            i += 2
        elif o == b"noack":
            if not xreadgroup:
                raise CommandError("ERR The NOACK option is only supported by XREADGROUP. You called XREAD "
                                   "instead.")
            noack = True
        else:
            raise _SYNTAX
        i += 1
    if streams_arg == 0:
        raise _SYNTAX
    if xreadgroup and group_name is None:
        raise CommandError("ERR Missing GROUP option for XREADGROUP")
    db = c.db
    keys = argv[streams_arg:streams_arg + streams_count]
    ids = []
    groups = []
    for k, arg in zip(keys, argv[streams_arg + streams_count:]):
        s = _get_stream(db, k)
        if group_name is not None:
            g = s.groups.get(group_name) if s is not None else None
            if g is None:
                raise CommandError("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP "
                                   "option" % (k.decode("latin-1"), group_name.decode("latin-1")))
            groups.append(g)
        if arg == b"$":
            if xreadgroup:
                raise CommandError("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read "
                                   "the history of this consumer by specifying a proper ID, or use the > ID to "
                                   "get new messages. The $ ID would just return an empty result set.")
            ids.append(s.last_id if s is not None else MIN_ID)
        elif arg == b">":
            if not xreadgroup:
                raise CommandError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
                                   "<group> <consumer> option.")
            ids.append(MAX_ID)
        else:
            ids.append(parse_id(arg, 0, strict=True))
    out = []
    props: list = []
    dirty0 = c.node.dirty
    for n, (k, gt) in enumerate(zip(keys, ids)):
        s = _get_stream(db, k)
        if s is None:
            continue
        sync = history = False
        if groups:
            g = groups[n]
            if gt != MAX_ID:
                sync = history = True
            elif s.length and s.last_valid_id() > g.last_id:
                sync = True
                gt = g.last_id
        elif s.length and s.last_valid_id() > gt:
            sync = True
        if not sync:
            continue
        start, _ = incr_id(gt)
        if groups:
            g = groups[n]
            cons = _lookup_or_create_consumer(c, s, g, k, group_name, consumer_name, noack, props)
            if history:
                out.append((k, _history_read(s, start, count, cons)))
            else:
                out.append((k, entries_reply(_group_read(c, s, start, count, g, cons, noack, k, group_name,
                                                         props))))
            c.node.dirty += 1
        else:
            out.append((k, entries_reply(_range_items(s, start, MAX_ID, count))))
    if c.node.dirty != dirty0:
        c.propagate_as = props  # (XREADGROUP itself is never propagated)
    if out:
        return _stream_reply(c, out)
    if timeout != -1:
        if c.multi is not None or getattr(c, "deny_blocking", False) or getattr(c, "is_master", False):
            return NULL_ARRAY
        waits = {}
        for k, gt in zip(keys, ids):
            waits.setdefault(k, gt)  # the first occurrence of a key counts (blockForKeys)
        name = b"xreadgroup" if xreadgroup else b"xread"
        c.node.blocking.block(c, db, keys, timeout, _serve_xread,
                              (waits, count or XREAD_BLOCKED_DEFAULT_COUNT, group_name, consumer_name, noack),
                              cmd=_COMMANDS.get(name), argv=argv)
        return NO_REPLY
    return NULL_ARRAY


@command("xread")
def xread(c, argv):
    return _xread_generic(c, argv, False)


@command("xreadgroup")
def xreadgroup(c, argv):
    return _xread_generic(c, argv, True)


# -- XINFO ----------------------------------------------------------------------------------------------

XINFO_HELP = [
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
]


def _xinfo_key(c, key):
    s = c.db.lookup_read(key)
    if s is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if type(s) is not StreamValue:
        raise _WRONGTYPE
    return s


def _group_lag(s, g):
    """streamReplyWithCGLag."""
    from ..store.stream_groups import estimate_distance
    if not s.entries_added:
        return 0
    valid = False
    lag = 0
    if g.entries_read != -1 and not _range_has_tombstones(s, g.last_id, MAX_ID):
        valid = True
        lag = s.entries_added - g.entries_read
    else:
        er = estimate_distance(s, g.last_id)
        if er != -1:
            valid = True
            lag = s.entries_added - er
    return lag if valid else None


def _range_has_tombstones(s, start, end) -> bool:
    if not s.length or s.max_deleted == MIN_ID:
        return False
    if s.first_id > s.max_deleted:
        return False
    return start <= s.max_deleted <= end


def _subcommand_syntax(argv):
    """addReplySubcommandSyntaxError."""
    return CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
                        % (errors._text(argv[1][:128]), errors._text(argv[0].upper())))


def xinfo_stream(c, argv):
    s = _xinfo_key(c, argv[2])
    opts = argv[3:]
    full = True
    count = 10
    if not opts:
        full = False
    else:
        if len(opts) not in (1, 3) or opts[0].lower() != b"full":
            raise _subcommand_syntax(argv)
        if len(opts) == 3:
            if opts[1].lower() != b"count":
                raise _subcommand_syntax(argv)
            count = _long(opts[2])
            if count < 0:
                count = 10
    pairs = [
        (b"length", s.length),
        (b"radix-tree-keys", len(s.nodes)),
        (b"radix-tree-nodes", s.radix_tree_nodes()),
        (b"last-generated-id", id_bytes(s.last_id)),
        (b"max-deleted-entry-id", id_bytes(s.max_deleted)),
        (b"entries-added", s.entries_added),
        (b"recorded-first-entry-id", id_bytes(s.first_id)),
    ]
    if not full:
        pairs.append((b"groups", len(s.groups)))
        first = _range_items(s, MIN_ID, MAX_ID, 1)
        last = _range_items(s, MIN_ID, MAX_ID, 1, rev=True)
        pairs.append((b"first-entry", entries_reply(first)[0] if first else None))
        pairs.append((b"last-entry", entries_reply(last)[0] if last else None))
        return Map(pairs)
    pairs.append((b"entries", entries_reply(_range_items(s, MIN_ID, MAX_ID, count))))
    groups = []
    for name, g in sorted(s.groups.items()):
        pel = []
        for eid, nack in sorted(g.pel.items()):
            if count and len(pel) >= count:
                break
            pel.append([id_bytes(eid), nack.consumer.name, nack.delivery_time, nack.delivery_count])
        consumers = []
        for cname, cons in sorted(g.consumers.items()):
            cpel = []
            for eid in sorted(cons.pel):
                if count and len(cpel) >= count:
                    break
                nack = cons.pel[eid]
                cpel.append([id_bytes(eid), nack.delivery_time, nack.delivery_count])
            consumers.append(Map([(b"name", cname), (b"seen-time", cons.seen_time),
                                  (b"pel-count", len(cons.pel)), (b"pending", cpel)]))
        groups.append(Map([
            (b"name", name), (b"last-delivered-id", id_bytes(g.last_id)),
            (b"entries-read", g.entries_read if g.entries_read != -1 else None),
            (b"lag", _group_lag(s, g)), (b"pel-count", len(g.pel)), (b"pending", pel),
            (b"consumers", consumers),
        ]))
    pairs.append((b"groups", groups))
    return Map(pairs)


def xinfo_help(c, argv):
    from ..protocol.reply import Status
    return [Status(line) for line in XINFO_HELP]


command("xinfo|stream")(xinfo_stream)
command("xinfo|help")(xinfo_help)


# -- consumer groups ----------------------------------------------------------------------------------------

XGROUP_HELP = [
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
]


def _nogroup_for_key(group: bytes, key: bytes) -> CommandError:
    return CommandError("NOGROUP No such consumer group '%s' for key name '%s'"
                        % (group.decode("latin-1"), key.decode("latin-1")))


def xgroup(c, argv):
    """xgroupCommand (every XGROUP subcommand)."""
    from ..store.stream_groups import Consumer, Group
    argc = len(argv)
    opt = argv[1].lower()
    s = None
    g = None
    mkstream = False
    entries_read = -1
    db = c.db
    key = argv[2] if argc >= 3 else None
    if argc >= 4:
        i = 5
        create = opt == b"create"
        setid = opt == b"setid"
        while i < argc:
            a = argv[i].lower()
            if create and a == b"mkstream":
                mkstream = True
                i += 1
            elif (create or setid) and a == b"entriesread" and i + 1 < argc:
                entries_read = _long(argv[i + 1])
                if entries_read < 0 and entries_read != -1:
                    raise CommandError("ERR value for ENTRIESREAD must be positive or -1")
                i += 2
            else:
                raise _subcommand_syntax(argv)
        s = db.lookup(key)
        if s is not None and type(s) is not StreamValue:
            raise _WRONGTYPE
        grp = argv[3]
    if argc >= 4 and not mkstream:
        if s is None:
            raise CommandError("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you "
                               "may want to use the MKSTREAM option to create an empty stream automatically.")
        g = s.groups.get(grp)
        if g is None and opt in (b"setid", b"createconsumer", b"delconsumer"):
            raise _nogroup_for_key(grp, key)
    node = c.node

    def notify(event):
        if node.notify_flags:
            node.notify(db, NOTIFY_STREAM, event, key)

    if argc == 2 and opt == b"help":
        from ..protocol.reply import Status
        return [Status(line) for line in XGROUP_HELP]
    if opt == b"create" and 5 <= argc <= 8:
        if argv[4] == b"$":
            eid = s.last_id if s is not None else MIN_ID
        else:
            eid = parse_id(argv[4], 0, strict=True)
        if s is None:
            s = StreamValue()
            db.add(key, s)
        if grp in s.groups:
            raise CommandError("BUSYGROUP Consumer Group name already exists")
        s.groups[grp] = Group(eid, entries_read)
        node.dirty += 1
        notify(b"xgroup-create")
        return OK
    if opt == b"setid" and argc in (5, 7):
        if argv[4] == b"$":
            eid = s.last_id
        else:
            eid = parse_id(argv[4], 0)
        g.last_id = eid
        g.entries_read = entries_read
        node.dirty += 1
        notify(b"xgroup-setid")
        return OK
    if opt == b"destroy" and argc == 4:
        if g is None:
            return 0
        del s.groups[grp]
        node.dirty += 1
        notify(b"xgroup-destroy")
        node.blocking.signal(db, key)
        return 1
    if opt == b"createconsumer" and argc == 5:
        name = argv[4]
        if name in g.consumers:
            return 0
        g.consumers[name] = Consumer(name, _now_ms())
        node.dirty += 1
        notify(b"xgroup-createconsumer")
        return 1
    if opt == b"delconsumer" and argc == 5:
        cons = g.consumers.get(argv[4])
        if cons is None:
            return 0
        pending = len(cons.pel)
        for eid in cons.pel:
            g.pel.pop(eid, None)
        del g.consumers[argv[4]]
        node.dirty += 1
        notify(b"xgroup-delconsumer")
        return pending
    raise _subcommand_syntax(argv)


for _sub in ("create", "createconsumer", "delconsumer", "destroy", "help", "setid"):
    command("xgroup|" + _sub)(xgroup)


def _group_or_nogroup(c, key, grp, write=False):
    s = c.db.lookup_read(key)
    if s is not None and type(s) is not StreamValue:
        raise _WRONGTYPE
    g = s.groups.get(grp) if s is not None else None
    return s, g


@command("xack")
def xack(c, argv):
    s, g = _group_or_nogroup(c, argv[1], argv[2])
    if s is None or g is None:
        return 0
    ids = [parse_id(a, 0, strict=True) for a in argv[3:]]
    acked = 0
    for eid in ids:
        nack = g.pel.pop(eid, None)
        if nack is not None:
            nack.consumer.pel.pop(eid, None)
            acked += 1
            c.node.dirty += 1
    return acked


@command("xpending")
def xpending(c, argv):
    argc = len(argv)
    justinfo = argc == 3
    key, grp = argv[1], argv[2]
    consumer_name = None
    count = 0
    minidle = 0
    if argc != 3 and (argc < 6 or argc > 9):
        raise _SYNTAX
    if argc >= 6:
        si = 3
        if argv[3].lower() == b"idle":
            minidle = _long(argv[4])
            if argc < 8:
                raise _SYNTAX
            si += 2
        count = _long(argv[si + 2])
        if count < 0:
            count = 0
        start, ex = _interval_id(argv[si], 0)
        if ex:
            start, ok = incr_id(start)
            if not ok:
                raise CommandError("ERR invalid start ID for the interval")
        end, ex = _interval_id(argv[si + 1], U64)
        if ex:
            end, ok = decr_id(end)
            if not ok:
                raise CommandError("ERR invalid end ID for the interval")
        if si + 3 < argc:
            consumer_name = argv[si + 3]
    s, g = _group_or_nogroup(c, key, grp)
    if s is None or g is None:
        raise CommandError("NOGROUP No such key '%s' or consumer group '%s'"
                           % (key.decode("latin-1"), grp.decode("latin-1")))
    if justinfo:
        if not g.pel:
            return [0, None, None, NULL_ARRAY]
        first = g.pel.keys()[0]
        last = g.pel.keys()[-1]
        per = [[name, b"%d" % len(cons.pel)] for name, cons in g.consumers.items() if cons.pel]
        return [len(g.pel), id_bytes(first), id_bytes(last), per]
    pel = g.pel
    if consumer_name is not None:
        cons = g.consumers.get(consumer_name)
        if cons is None:
            return EMPTY_ARRAY
        pel = cons.pel
    now = _now_ms()
    out = []
    if count:
        for eid in pel.irange(minimum=start):
            if eid > end or not count:
                break
            nack = pel[eid]
            if minidle and now - nack.delivery_time < minidle:
                continue
            count -= 1
            out.append([id_bytes(eid), nack.consumer.name, max(0, now - nack.delivery_time), nack.delivery_count])
    return out


def _claim_target(c, group, name, key):
    cons = group.consumers.get(name)
    if cons is not None:
        cons.seen_time = _now_ms()
        return cons
    from ..store.stream_groups import Consumer
    cons = group.consumers[name] = Consumer(name, _now_ms())
    c.node.dirty += 1
    node = c.node
    if node.notify_flags:
        node.notify(c.db, NOTIFY_STREAM, b"xgroup-createconsumer", key)
    return cons


@command("xclaim")
def xclaim(c, argv):
    from ..store.stream_groups import Nack
    key, grp = argv[1], argv[2]
    s, g = _group_or_nogroup(c, key, grp)
    if s is None or g is None:
        raise CommandError("NOGROUP No such key '%s' or consumer group '%s'"
                           % (key.decode("latin-1"), grp.decode("latin-1")))
    minidle = _long(argv[4], "ERR Invalid min-idle-time argument for XCLAIM")
    if minidle < 0:
        minidle = 0
    argc = len(argv)
    ids = []
    j = 5
    while j < argc:
        try:
            ids.append(parse_id(argv[j], 0, strict=True))
        except CommandError:
            break
        j += 1
    now = _now_ms()
    retrycount = -1
    deliverytime = -1
    force = justid = False
    last_id = MIN_ID
    while j < argc:
        more = argc - 1 - j
        o = argv[j].lower()
        if o == b"force":
            force = True
        elif o == b"justid":
            justid = True
        elif o == b"idle" and more:
            j += 1
            deliverytime = now - _long(argv[j], "ERR Invalid IDLE option argument for XCLAIM")
        elif o == b"time" and more:
            j += 1
            deliverytime = _long(argv[j], "ERR Invalid TIME option argument for XCLAIM")
        elif o == b"retrycount" and more:
            j += 1
            retrycount = _long(argv[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM")
        elif o == b"lastid" and more:
            j += 1
            last_id = parse_id(argv[j], 0, strict=True)
        else:
            raise CommandError("ERR Unrecognized XCLAIM option '%s'" % errors._text(argv[j]))
        j += 1
    dirty0 = c.node.dirty
    propagate_last_id = False
    if last_id > g.last_id:
        g.last_id = last_id
        propagate_last_id = True
    if deliverytime != -1:
        if deliverytime < 0 or deliverytime > now:
            deliverytime = now
    else:
        deliverytime = now
    cons = None
    out = []
    props = []
    for n, eid in enumerate(ids):
        nack = g.pel.get(eid)
        vals = s.get(eid)
        if vals is None:
            if nack is not None:
                a = _xclaim_argv(key, grp, g, eid, nack)
                a[5] = argv[5 + n]
                props.append(a)
                propagate_last_id = False
                c.node.dirty += 1
                del g.pel[eid]
                nack.consumer.pel.pop(eid, None)
            continue
        if force and nack is None:
            nack = g.pel[eid] = Nack(None, now, 1)
        if nack is not None:
            if nack.consumer is not None and minidle and now - nack.delivery_time < minidle:
                continue
            if cons is None:
                cons = _claim_target(c, g, argv[3], key)
            if nack.consumer is not cons and nack.consumer is not None:
                nack.consumer.pel.pop(eid, None)
            nack.delivery_time = deliverytime
            if retrycount >= 0:
                nack.delivery_count = retrycount
            elif not justid:
                nack.delivery_count += 1
            if nack.consumer is not cons:
                cons.pel[eid] = nack
                nack.consumer = cons
            out.append(id_bytes(eid) if justid else [id_bytes(eid), list(vals)])
            a = _xclaim_argv(key, grp, g, eid, nack)
            a[5] = argv[5 + n]
            props.append(a)
            propagate_last_id = False
            c.node.dirty += 1
    if propagate_last_id:
        props.append([b"XGROUP", b"SETID", key, grp, id_bytes(g.last_id), b"ENTRIESREAD", b"%d" % g.entries_read])
        c.node.dirty += 1
    if c.node.dirty != dirty0:
        c.propagate_as = props
    return out


@command("xautoclaim")
def xautoclaim(c, argv):
    key, grp = argv[1], argv[2]
    minidle = _long(argv[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM")
    if minidle < 0:
        minidle = 0
    start, ex = _interval_id(argv[5], 0)
    if ex:
        start, ok = incr_id(start)
        if not ok:
            raise CommandError("ERR invalid start ID for the interval")
    count = 100
    justid = False
    argc = len(argv)
    j = 6
    max_count = ((1 << 63) - 1) // 16
    while j < argc:
        more = argc - 1 - j
        o = argv[j].lower()
        if o == b"count" and more:
            v = strict_int(argv[j + 1])
            if v is None or v < 1 or v > max_count:
                raise CommandError("ERR COUNT must be > 0")
            count = v
            j += 1
        elif o == b"justid":
            justid = True
        else:
            raise _SYNTAX
        j += 1
    s, g = _group_or_nogroup(c, key, grp)
    if s is None or g is None:
        raise CommandError("NOGROUP No such key '%s' or consumer group '%s'"
                           % (key.decode("latin-1"), grp.decode("latin-1")))
    attempts = count * 10
    now = _now_ms()
    cons = None
    out = []
    deleted = []
    props = []
    dirty0 = c.node.dirty
    pel = g.pel
    keys = list(pel.irange(minimum=start))
    i = 0
    while attempts and count and i < len(keys):
        attempts -= 1
        eid = keys[i]
        i += 1
        nack = pel[eid]
        vals = s.get(eid)
        if vals is None:
            props.append(_xclaim_argv(key, grp, g, eid, nack))
            c.node.dirty += 1
            del pel[eid]
            nack.consumer.pel.pop(eid, None)
            deleted.append(id_bytes(eid))
            count -= 1
            continue
        if minidle and now - nack.delivery_time < minidle:
            continue
        if cons is None:
            cons = _claim_target(c, g, argv[3], key)
        if nack.consumer is not cons:
            nack.consumer.pel.pop(eid, None)
        nack.delivery_time = now
        if not justid:
            nack.delivery_count += 1
        if nack.consumer is not cons:
            cons.pel[eid] = nack
            nack.consumer = cons
        out.append(id_bytes(eid) if justid else [id_bytes(eid), list(vals)])
        count -= 1
        props.append(_xclaim_argv(key, grp, g, eid, nack))
        c.node.dirty += 1
    nxt = MIN_ID
    for eid in keys[i:]:
        if eid in pel:
            nxt = eid
            break
    if c.node.dirty != dirty0:
        c.propagate_as = props
    return [id_bytes(nxt), out, deleted]


def xinfo_groups(c, argv):
    s = _xinfo_key(c, argv[2])
    out = []
    for name, g in sorted(s.groups.items()):
        out.append(Map([(b"name", name), (b"consumers", len(g.consumers)), (b"pending", len(g.pel)),
                        (b"last-delivered-id", id_bytes(g.last_id)),
                        (b"entries-read", g.entries_read if g.entries_read != -1 else None),
                        (b"lag", _group_lag(s, g))]))
    return out


def xinfo_consumers(c, argv):
    s = _xinfo_key(c, argv[2])
    g = s.groups.get(argv[3])
    if g is None:
        raise _nogroup_for_key(argv[3], argv[2])
    now = _now_ms()
    return [Map([(b"name", name), (b"pending", len(cons.pel)), (b"idle", max(0, now - cons.seen_time))])
            for name, cons in g.consumers.items()]


command("xinfo|consumers")(xinfo_consumers)
command("xinfo|groups")(xinfo_groups)
