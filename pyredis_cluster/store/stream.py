"""The stream value type (Redis: t_stream.c, stream.h) and its RDB encoding (RDB_TYPE_STREAM_LISTPACKS_2).

Redis keeps a stream as a radix tree of listpack *nodes*: each node starts with a master entry (the
fields of its first entry), holds up to ``stream-node-max-entries`` entries (``stream-node-max-bytes``
bytes), and deleted entries stay in their node as tombstones until the whole node is empty.  That
layout is observable (``MAXLEN ~`` trims whole nodes only, ``XINFO STREAM`` counts the nodes, DUMP
writes them), so :class:`StreamValue` keeps the same nodes: a list of :class:`Node` ordered by their
master id, each with the ids, field-value tuples and flags of its entries, and the byte size its
listpack would have.

An id is a tuple ``(ms, seq)`` of unsigned 64-bit integers; tuples order as stream ids do.
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right

from .integrity import string2ll

U64 = (1 << 64) - 1
MAX_ID = (U64, U64)
MIN_ID = (0, 0)

FLAG_NONE, FLAG_DELETED, FLAG_SAMEFIELDS = 0, 1, 2
STREAM_LISTPACK_MAX_SIZE = 1 << 30

_lp_size_cache: dict = {}


def _lp_int_size(n: int) -> int:
    """Size of a listpack integer entry (encoding + backlen)."""
    s = _lp_size_cache.get(n)
    if s is None:
        from .rdb import lp_entry
        s = len(lp_entry(b"%d" % n))
        if len(_lp_size_cache) < 4096:
            _lp_size_cache[n] = s
    return s


def _lp_str_size(e: bytes) -> int:
    from .rdb import lp_entry
    return len(lp_entry(e))


def _signed64(n: int) -> int:
    n &= U64
    return n - (1 << 64) if n >> 63 else n


def id_bytes(i) -> bytes:
    return b"%d-%d" % i


def incr_id(i):
    """streamIncrID: (next id, ok)."""
    ms, seq = i
    if seq == U64:
        if ms == U64:
            return (0, 0), False
        return (ms + 1, 0), True
    return (ms, seq + 1), True


def decr_id(i):
    ms, seq = i
    if seq == 0:
        if ms == 0:
            return MAX_ID, False
        return (ms - 1, U64), True
    return (ms, seq - 1), True


class Node:
    """One listpack of the stream: master id and fields, entries (tombstones included)."""

    __slots__ = ("master", "fields", "ids", "vals", "flags", "live", "dead", "body", "alloc")

    def __init__(self, master, fields):
        self.master = master
        self.fields = fields  # tuple of the master entry's field names
        self.ids: list = []
        self.vals: list = []  # per entry: tuple field, value, field, value ...
        self.flags: list = []
        self.live = 0
        self.dead = 0
        self.alloc = 0  # bytes preallocated by XADD's lpNew (0: the listpack's own size, as loaded/shrunk)
        # listpack bytes except header/terminator (7) and the two counters
        self.body = _lp_int_size(len(fields)) + sum(_lp_str_size(f) for f in fields) + _lp_int_size(0)

    @property
    def nbytes(self) -> int:
        return 7 + self.body + _lp_int_size(self.live) + _lp_int_size(self.dead)

    def entry_size(self, eid, vals, flags) -> int:
        n = (_lp_int_size(flags) + _lp_int_size(_signed64(eid[0] - self.master[0]))
             + _lp_int_size(_signed64(eid[1] - self.master[1])))
        numfields = len(vals) // 2
        if flags & FLAG_SAMEFIELDS:
            n += sum(_lp_str_size(v) for v in vals[1::2]) + _lp_int_size(numfields + 3)
        else:
            n += _lp_int_size(numfields) + sum(_lp_str_size(x) for x in vals) + _lp_int_size(2 * numfields + 4)
        return n

    def last_id(self):
        return self.ids[-1]


class StreamValue:
    """A stream: nodes of entries, the metadata of Redis's ``stream`` struct, consumer groups."""

    __slots__ = ("nodes", "starts", "length", "last_id", "first_id", "max_deleted", "entries_added", "groups")

    def __init__(self):
        self.nodes: list = []
        self.starts: list = []  # master ids of nodes, for bisect
        self.length = 0
        self.last_id = MIN_ID
        self.first_id = MIN_ID
        self.max_deleted = MIN_ID
        self.entries_added = 0
        self.groups: dict = {}  # name -> group (stage 2)

    def __len__(self):
        return self.length

    def __bool__(self):
        return True  # an empty stream is still a key (never dropped for being empty)

    # -- adding ------------------------------------------------------------------------------------

    def append(self, eid, vals: tuple, max_bytes: int = 4096, max_entries: int = 100) -> None:
        """streamAppendItem, the id already checked (greater than last_id)."""
        nodes = self.nodes
        node = nodes[-1] if nodes else None
        if node is not None:
            totelelen = sum(len(x) for x in vals)
            node_max = max_bytes
            if node_max == 0 or node_max > STREAM_LISTPACK_MAX_SIZE:
                node_max = STREAM_LISTPACK_MAX_SIZE
            if node.nbytes + totelelen >= node_max:
                node = None
            elif max_entries and node.live + node.dead >= max_entries:
                node = None
            if node is None:
                nodes[-1].alloc = 0  # lpShrinkToFit
        if node is None:
            node = Node(eid, tuple(vals[0::2]))
            node.alloc = max_bytes if 0 < max_bytes < 4096 else 4096  # STREAM_LISTPACK_MAX_PRE_ALLOCATE
            nodes.append(node)
            self.starts.append(eid)
            flags = FLAG_SAMEFIELDS
        else:
            flags = FLAG_SAMEFIELDS if tuple(vals[0::2]) == node.fields else FLAG_NONE
        node.body += node.entry_size(eid, vals, flags)
        if node.alloc and node.nbytes > node.alloc:
            node.alloc = 0  # grown by lpInsert's realloc
        node.ids.append(eid)
        node.vals.append(vals)
        node.flags.append(flags)
        node.live += 1
        self.length += 1
        self.entries_added += 1
        self.last_id = eid
        if self.length == 1:
            self.first_id = eid

    # -- iteration ---------------------------------------------------------------------------------

    def range(self, start=MIN_ID, end=MAX_ID, rev: bool = False, tombstones: bool = False):
        """Yield (id, vals) of live entries with start <= id <= end, in order (reversed with rev)."""
        if start > end:
            return
        nodes = self.nodes
        if not rev:
            ni = max(0, bisect_right(self.starts, start) - 1)
            while ni < len(nodes):
                node = nodes[ni]
                if node.master > end:
                    return
                ids = node.ids
                i = bisect_left(ids, start)
                while i < len(ids):
                    eid = ids[i]
                    if eid > end:
                        return
                    if tombstones or not node.flags[i] & FLAG_DELETED:
                        yield eid, node.vals[i]
                    i += 1
                ni += 1
        else:
            ni = bisect_right(self.starts, end) - 1
            while ni >= 0:
                node = nodes[ni]
                ids = node.ids
                i = bisect_right(ids, end) - 1
                while i >= 0:
                    eid = ids[i]
                    if eid < start:
                        return
                    if tombstones or not node.flags[i] & FLAG_DELETED:
                        yield eid, node.vals[i]
                    i -= 1
                ni -= 1

    def edge_id(self, first: bool, skip_tombstones: bool = True):
        """streamGetEdgeID."""
        for eid, _ in self.range(rev=not first, tombstones=not skip_tombstones):
            return eid
        return MAX_ID if first else MIN_ID

    def last_valid_id(self):
        """streamLastValidID (0-0 when empty)."""
        for eid, _ in self.range(rev=True):
            return eid
        return MIN_ID

    def get(self, eid):
        """The vals of the live entry ``eid``, or None."""
        ni = bisect_right(self.starts, eid) - 1
        if ni < 0:
            return None
        node = self.nodes[ni]
        i = bisect_left(node.ids, eid)
        if i < len(node.ids) and node.ids[i] == eid and not node.flags[i] & FLAG_DELETED:
            return node.vals[i]
        return None

    # -- deleting ------------------------------------------------------------------------------------

    def _remove_node(self, ni: int) -> None:
        del self.nodes[ni]
        del self.starts[ni]

    def delete(self, eid) -> bool:
        """streamDeleteItem: mark ``eid`` deleted; drop its node when no live entry is left."""
        ni = bisect_right(self.starts, eid) - 1
        if ni < 0:
            return False
        node = self.nodes[ni]
        i = bisect_left(node.ids, eid)
        if i >= len(node.ids) or node.ids[i] != eid or node.flags[i] & FLAG_DELETED:
            return False
        self.length -= 1
        if node.live == 1:
            self._remove_node(ni)
            return True
        self._mark(node, i)
        node.live -= 1
        node.dead += 1
        return True

    @staticmethod
    def _mark(node, i) -> None:
        f = node.flags[i]
        node.body += _lp_int_size(f | FLAG_DELETED) - _lp_int_size(f)
        node.flags[i] = f | FLAG_DELETED

    def trim(self, maxlen=None, minid=None, approx: bool = False, limit: int = 0) -> int:
        """streamTrim: by MAXLEN (``maxlen``) or MINID (``minid``); returns the entries removed."""
        deleted = 0
        nodes = self.nodes
        while nodes:
            if maxlen is not None and self.length <= maxlen:
                break
            node = nodes[0]
            entries = node.live
            if limit and deleted + entries > limit:
                break
            if maxlen is not None:
                remove = self.length - entries >= maxlen
            else:
                remove = node.ids[-1] < minid
            if remove:
                self._remove_node(0)
                self.length -= entries
                deleted += entries
                continue
            if approx:
                break
            from_lp = 0
            for i, eid in enumerate(node.ids):
                if maxlen is not None:
                    if self.length <= maxlen:
                        break
                elif eid >= minid:
                    break
                if not node.flags[i] & FLAG_DELETED:
                    self._mark(node, i)
                    from_lp += 1
                    self.length -= 1
            deleted += from_lp
            node.live -= from_lp
            node.dead += from_lp
            break
        if self.length == 0:
            self.first_id = MIN_ID
        elif deleted:
            self.first_id = self.edge_id(True)
        return deleted

    # -- misc ----------------------------------------------------------------------------------------

    def radix_tree_nodes(self) -> int:
        """rax->numnodes for the node keys (16-byte big-endian ids), as a compressed radix tree."""
        return _rax_nodes([struct.pack(">QQ", *m) for m in self.starts])

    def memory_usage(self, samples: int, je_size) -> int:
        """objectComputeSize for a stream (robj + stream struct, rax estimates, listpack allocations
        sampled, consumer group PELs)."""

        def rax_usage(numele, numnodes):  # streamRadixTreeMemoryUsage
            return numele * 16 + numnodes * 4 + numnodes * 8 * 30

        size = 16 + 80 + rax_usage(len(self.nodes), self.radix_tree_nodes())

        def lp_alloc(node):
            return je_size(max(node.nbytes, node.alloc) if node.alloc else node.nbytes)
        sampled = self.nodes[:samples] if samples else self.nodes
        lpsize = sum(lp_alloc(n) for n in sampled)
        if len(self.nodes) <= len(sampled):
            size += lpsize
        else:
            size += lpsize // len(sampled) * (len(self.nodes) - 1) + lp_alloc(self.nodes[-1])
        for g in self.groups.values():
            size += 40 + rax_usage(len(g.pel), _rax_nodes([struct.pack(">QQ", *i) for i in g.pel]))
            size += 24 * len(g.pel)
            for name, cons in g.consumers.items():
                size += 24 + len(name)
                size += rax_usage(len(cons.pel), _rax_nodes([struct.pack(">QQ", *i) for i in cons.pel]))
        return size

    def dup(self):
        s = StreamValue()
        for node in self.nodes:
            n = Node(node.master, node.fields)
            n.ids = list(node.ids)
            n.vals = list(node.vals)
            n.flags = list(node.flags)
            n.live, n.dead, n.body = node.live, node.dead, node.body
            s.nodes.append(n)
        s.starts = list(self.starts)
        s.length, s.last_id, s.first_id = self.length, self.last_id, self.first_id
        s.max_deleted, s.entries_added = self.max_deleted, self.entries_added
        s.groups = {name: g.dup() for name, g in self.groups.items()}
        return s


def _rax_nodes(keys: list) -> int:
    """rax->numnodes of a rax holding ``keys`` (sorted, distinct, all 16 bytes long)."""
    if not keys:
        return 1

    def count(ks, d):
        if len(ks) == 1:
            return 1 if d == 16 else 2
        a, b = ks[0], ks[-1]
        n = 0
        while d + n < 16 and a[d + n] == b[d + n]:
            n += 1
        if n:
            return 1 + count(ks, d + n)
        total = 1
        i = 0
        m = len(ks)
        while i < m:
            c = ks[i][d]
            j = i
            while j < m and ks[j][d] == c:
                j += 1
            total += count(ks[i:j], d + 1)
            i = j
        return total

    return count(keys, 0)


# -- RDB (RDB_TYPE_STREAM_LISTPACKS_2) -----------------------------------------------------------------


def _node_listpack(node) -> bytes:
    from .rdb import listpack, lp_entry

    def lpi(n):
        return lp_entry(b"%d" % n)

    ents = [lpi(node.live), lpi(node.dead), lpi(len(node.fields))]
    ents.extend(lp_entry(f) for f in node.fields)
    ents.append(lpi(0))
    mms, mseq = node.master
    for eid, vals, flags in zip(node.ids, node.vals, node.flags):
        ents.append(lpi(flags))
        ents.append(lpi(_signed64(eid[0] - mms)))
        ents.append(lpi(_signed64(eid[1] - mseq)))
        numfields = len(vals) // 2
        if flags & FLAG_SAMEFIELDS:
            ents.extend(lp_entry(v) for v in vals[1::2])
            ents.append(lpi(numfields + 3))
        else:
            ents.append(lpi(numfields))
            ents.extend(lp_entry(x) for x in vals)
            ents.append(lpi(2 * numfields + 4))
    return listpack(ents)


def dump_stream(s: StreamValue, string, length, compress: bool = False) -> bytes:
    """rdbSaveObject for a stream (``string``/``length``: rdb.py's _string and _len)."""
    out = [length(len(s.nodes))]
    for node in s.nodes:
        out.append(string(struct.pack(">QQ", *node.master)))
        out.append(string(_node_listpack(node), compress))
    out.append(length(s.length))
    out.append(length(s.last_id[0]) + length(s.last_id[1]))
    out.append(length(s.first_id[0]) + length(s.first_id[1]))
    out.append(length(s.max_deleted[0]) + length(s.max_deleted[1]))
    out.append(length(s.entries_added))
    groups = sorted(s.groups.items())
    out.append(length(len(groups)))
    for name, g in groups:
        out.append(string(name))
        out.append(length(g.last_id[0]) + length(g.last_id[1]))
        out.append(length(g.entries_read if g.entries_read >= 0 else U64))
        pel = sorted(g.pel.items())
        out.append(length(len(pel)))
        for eid, nack in pel:
            out.append(struct.pack(">QQ", *eid) + struct.pack("<q", nack.delivery_time) + length(nack.delivery_count))
        consumers = sorted(g.consumers.items())
        out.append(length(len(consumers)))
        for cname, cons in consumers:
            out.append(string(cname))
            out.append(struct.pack("<q", cons.seen_time))
            cpel = sorted(cons.pel)
            out.append(length(len(cpel)))
            for eid in cpel:
                out.append(struct.pack(">QQ", *eid))
    return b"".join(out)


def _int(b: bytes) -> int:
    """lpGetInteger of an element rdb.py decoded (integers come in decimal): string2ll's rules."""
    v = string2ll(b)
    if v is None:
        raise ValueError("not an integer")
    return v


def _load_node(master, items: list, lenient: bool, errcls):
    """The stream node of a listpack's elements (master entry, then entries: flags, id deltas, fields or
    not, values, lp-count).  ``lenient`` (a listpack whose header only was checked): the entries before
    the first that does not read as one, where Redis would trust the listpack and crash."""
    live, dead, nf = _int(items[0]), _int(items[1]), _int(items[2])
    if nf < 0 or len(items) < 4 + nf:
        raise errcls("Stream listpack integrity check failed.")
    fields = tuple(items[3:3 + nf])
    p = 3 + nf
    if _int(items[p]) != 0:
        raise errcls("Stream listpack integrity check failed.")
    p += 1
    node = Node(master, fields)
    end = len(items)
    while p < end:
        try:
            flags = _int(items[p])
            ms = (master[0] + _int(items[p + 1])) & U64
            seq = (master[1] + _int(items[p + 2])) & U64
            q = p + 3
            if flags & FLAG_SAMEFIELDS:
                n = nf
                values = items[q:q + nf]
                q += nf
                vals = tuple(x for pair in zip(fields, values) for x in pair)
            else:
                n = _int(items[q])
                if n < 0:
                    raise ValueError
                vals = tuple(items[q + 1:q + 1 + 2 * n])
                q += 1 + 2 * n
            if q >= end or len(vals) != 2 * n:
                raise ValueError
            _int(items[q])  # lp-count
            eid = (ms, seq)
            if node.ids and eid <= node.ids[-1]:
                raise ValueError
        except (ValueError, IndexError):
            if lenient:
                break
            raise errcls("Stream listpack integrity check failed.") from None
        p = q + 1
        node.body += node.entry_size(eid, vals, flags)
        node.ids.append(eid)
        node.vals.append(vals)
        node.flags.append(flags)
    if lenient and p < end:  # the counters Redis would trust: those of the entries kept
        dead = sum(f & FLAG_DELETED for f in node.flags)
        live = len(node.flags) - dead
    node.live, node.dead = live, dead
    return node


def load_stream(r, t: int, errcls, deep: bool = True, tally=None):
    """rdbLoadObject for RDB_TYPE_STREAM_LISTPACKS(_2); ``r`` is rdb.py's reader, ``errcls`` makes the
    exception of a corrupt stream from Redis's reason; ``deep``: sanitize-dump-payload's deep checks
    (``tally``, if given, counts each node so validated)."""
    from .integrity import stream_lp_validate
    from .rdb import listpack_entries

    s = StreamValue()
    nlp = r.plain_length()
    for _ in range(nlp):
        key = r.string()
        if len(key) != 16:
            raise errcls("Stream node key entry is not the size of a stream ID")
        master = struct.unpack(">QQ", key)
        lp = r.string()
        if tally is not None and deep:
            tally.n += 1
        if not stream_lp_validate(lp, deep):
            raise errcls("Stream listpack integrity check failed.")
        items = listpack_entries(lp, lenient=not deep)
        if not items:
            raise errcls("Empty listpack inside stream")
        try:
            node = _load_node(master, items, not deep, errcls)
        except (ValueError, IndexError):
            raise errcls("Stream listpack integrity check failed.") from None
        if s.starts and master <= s.starts[-1]:
            raise errcls("Listpack re-added with existing key")
        if not node.ids and not deep:  # nothing readable in it (Redis never keeps an empty node)
            continue
        s.nodes.append(node)
        s.starts.append(master)
    s.length = r.plain_length()
    s.last_id = (r.plain_length(), r.plain_length())
    if t == 19:
        s.first_id = (r.plain_length(), r.plain_length())
        s.max_deleted = (r.plain_length(), r.plain_length())
        s.entries_added = r.plain_length()
    else:
        s.entries_added = s.length
        s.first_id = s.edge_id(True)
    if not deep and nlp:  # the length Redis would trust without checking: our commands rely on it
        s.length = sum(node.live for node in s.nodes)
    if s.length and not s.nodes:
        raise errcls("Stream length inconsistent with rax entries")
    ngroups = r.plain_length()
    if ngroups:
        from . import stream_groups as sg
        for _ in range(ngroups):
            name = r.string()
            last = (r.plain_length(), r.plain_length())
            if t == 19:
                er = r.plain_length()
                er = -1 if er == U64 else er
            else:
                er = sg.estimate_distance(s, last)
            if name in s.groups:
                raise errcls("Duplicated consumer group name")
            g = sg.Group(last, er)
            s.groups[name] = g
            for _ in range(r.plain_length()):
                eid = struct.unpack(">QQ", r.take(16))
                dt = struct.unpack("<q", r.take(8))[0]
                dc = r.plain_length()
                if eid in g.pel:
                    raise errcls("Duplicated global PEL entry loading stream consumer group")
                g.pel[eid] = sg.Nack(None, dt, dc)
            for _ in range(r.plain_length()):
                cname = r.string()
                if cname in g.consumers:
                    raise errcls("Duplicate stream consumer detected.")
                cons = sg.Consumer(cname, struct.unpack("<q", r.take(8))[0])
                g.consumers[cname] = cons
                for _ in range(r.plain_length()):
                    eid = struct.unpack(">QQ", r.take(16))
                    nack = g.pel.get(eid)
                    if nack is None:
                        raise errcls("Consumer entry not found in group global PEL")
                    if eid in cons.pel:
                        raise errcls("Duplicated consumer PEL entry  loading a stream consumer group")
                    if nack.consumer is not None:  # Redis leaves it in both PELs; it belongs to the last
                        nack.consumer.pel.pop(eid, None)
                    nack.consumer = cons
                    cons.pel[eid] = nack
            orphans = [eid for eid, nack in g.pel.items() if nack.consumer is None]
            if orphans and deep:
                raise errcls("Stream CG PEL entry without consumer")
            for eid in orphans:  # Redis, not checking, would crash on them: they are dropped
                del g.pel[eid]
    return s
