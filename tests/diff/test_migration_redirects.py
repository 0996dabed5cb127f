"""A slot held half-migrated, compared with redis-server 7.0 in the same state.

Two two-node clusters are built the same way, one of our nodes and one of Debian's redis-server:
node A owns slots 0-8191 (so slot 3300, the slot of ``{b}...`` keys), node B owns the rest.  Slot 3300
is then opened (B IMPORTING from A, A MIGRATING to B) and some of its keys moved with MIGRATE.  Every
reply in that state -- ASK, ASKING being one-shot, TRYAGAIN, CROSSSLOT, MOVED, the CLUSTER NODES
markers, the SETSLOT errors, GETKEYSINSLOT/COUNTKEYSINSLOT -- must be the same bytes on both, with
ports and node ids masked.  Then the slot is closed as redis-cli does it and the epochs compared."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from helpers import RawClient, cluster_nodes, start_cluster_nodes, wait_until
from pyredis_cluster.cluster.slots import key_hash_slot
from pyredis_cluster.store.rdb import dump_payload

SLOT = 3300
PAYLOAD = dump_payload(b"x")
KEY_OF_SLOT_100 = next("k%d" % i for i in range(100000) if key_hash_slot(b"k%d" % i) == 100)


class Pair:
    """Two nodes of one kind, A and B, in one cluster."""

    def __init__(self, kind: str):
        self.kind = kind
        self.nodes = start_cluster_nodes([kind, kind], 5000)
        self.a, self.b = (RawClient(n.port) for n in self.nodes)
        try:
            assert self.a.call("CLUSTER", "ADDSLOTSRANGE", "0", "8191") == b"+OK\r\n"
            assert self.b.call("CLUSTER", "ADDSLOTSRANGE", "8192", "16383") == b"+OK\r\n"
            # B gets the lower configEpoch, so that importing a slot makes it bump its own
            self.a.call("CLUSTER", "SET-CONFIG-EPOCH", "2")
            self.b.call("CLUSTER", "SET-CONFIG-EPOCH", "1")
            assert self.b.call("CLUSTER", "MEET", "127.0.0.1", self.nodes[0].port) == b"+OK\r\n"
            self.ida = self.a.call("CLUSTER", "MYID")[5:-2]
            self.idb = self.b.call("CLUSTER", "MYID")[5:-2]

            def ready():
                for n in self.nodes:
                    entries = cluster_nodes(n.port)
                    if len(entries) != 2 or any(not e["slots"] or "handshake" in e["flags"] for e in entries):
                        return False
                    with RawClient(n.port) as c:
                        if b"cluster_state:ok" not in c.call("CLUSTER", "INFO"):
                            return False
                return True

            wait_until(ready, 30, what="two-node %s cluster" % kind)
        except Exception:
            self.close()
            raise

    def mask(self, reply: bytes) -> bytes:
        out = reply.replace(self.ida, b"<ID-A>").replace(self.idb, b"<ID-B>")
        for n, name in zip(self.nodes, (b"A", b"B")):
            out = out.replace(b"%d" % (n.port + 10000), b"<CPORT-" + name + b">")
            out = out.replace(b"%d" % n.port, b"<PORT-" + name + b">")
        out = re.sub(rb" \d{13} ", b" <MS> ", out)
        out = re.sub(rb"^[$=]\d+\r\n", b"", out)  # lengths change with the masking
        return out

    def close(self):
        for c in (getattr(self, "a", None), getattr(self, "b", None)):
            if c is not None:
                c.close()
        for n in self.nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def pairs():
    ours = Pair("ours")
    try:
        theirs = Pair("redis")
    except Exception:
        ours.close()
        raise
    yield ours, theirs
    ours.close()
    theirs.close()


def same(pairs, node: str, *args) -> bytes:
    """Send one command to node A or B of both pairs; the masked replies must be equal."""
    replies = []
    for p in pairs:
        c = p.a if node == "A" else p.b
        args2 = [a.replace("<ID-A>", p.ida.decode()).replace("<ID-B>", p.idb.decode())
                 .replace("<PORT-A>", str(p.nodes[0].port)).replace("<PORT-B>", str(p.nodes[1].port))
                 if isinstance(a, str) else a for a in args]
        replies.append(p.mask(c.call(*args2)))
    assert replies[0] == replies[1], "%s %r:\n ours:  %r\n redis: %r" % (node, args, replies[0], replies[1])
    return replies[0]


def myself_line(p, c) -> bytes:
    raw = c.call("CLUSTER", "NODES")
    line = next(x for x in raw.split(b"\n") if b"myself" in x)
    fields = line.split(b" ")
    return p.mask(b" ".join(fields[:4] + fields[6:7] + fields[8:]))  # without ping/pong times and link


def test_half_migrated_slot(pairs):
    for node, args in [
        ("A", ("MSET", "{b}1", "v1", "{b}2", "v2", "{b}3", "v3", "{b}4", "v4")),
        ("A", ("RPUSH", "{b}list", "x", "y")),
        ("A", ("CLUSTER", "COUNTKEYSINSLOT", str(SLOT))),
        # opening the slot: errors first
        ("A", ("CLUSTER", "SETSLOT", str(SLOT), "IMPORTING", "<ID-B>")),
        ("B", ("CLUSTER", "SETSLOT", str(SLOT), "MIGRATING", "<ID-A>")),
        ("B", ("CLUSTER", "SETSLOT", str(SLOT), "IMPORTING", "f" * 40)),
        ("B", ("CLUSTER", "SETSLOT", str(SLOT), "IMPORTING", "<ID-A>")),
        ("A", ("CLUSTER", "SETSLOT", str(SLOT), "MIGRATING", "<ID-B>")),
        ("A", ("CLUSTER", "SETSLOT", str(SLOT), "NODE", "<ID-B>")),  # A still holds keys
        # nothing moved yet: A serves everything it has, ASK for the rest
        ("A", ("GET", "{b}1")),
        ("A", ("GET", "{b}nosuch")),
        ("A", ("SET", "{b}new", "x")),
        ("A", ("EXISTS", "{b}nosuch")),
        ("A", ("MIGRATE", "127.0.0.1", "<PORT-B>", "", "0", "5000", "KEYS", "{b}2", "{b}3", "{b}list")),
        ("A", ("CLUSTER", "COUNTKEYSINSLOT", str(SLOT))),
        ("A", ("CLUSTER", "GETKEYSINSLOT", str(SLOT), "10")),
        ("B", ("CLUSTER", "COUNTKEYSINSLOT", str(SLOT))),
        ("B", ("CLUSTER", "GETKEYSINSLOT", str(SLOT), "10")),
    ]:
        same(pairs, node, *args)
    # the CLUSTER NODES markers of both sides
    for p in pairs:
        assert b"[%d->-<ID-B>]" % SLOT in myself_line(p, p.a)
        assert b"[%d-<-<ID-A>]" % SLOT in myself_line(p, p.b)
    assert myself_line(pairs[0], pairs[0].a) == myself_line(pairs[1], pairs[1].a)
    assert myself_line(pairs[0], pairs[0].b) == myself_line(pairs[1], pairs[1].b)

    source_cases = [
        ("GET", "{b}1"),  # still here
        ("GET", "{b}2"),  # moved: ASK
        ("GET", "{b}nosuch"),  # nowhere: ASK
        ("MGET", "{b}1", "{b}2"),  # one here, one gone: TRYAGAIN
        ("MGET", "{b}2", "{b}3"),  # all gone: ASK
        ("MGET", "{b}1", "{b}4"),  # all here
        ("MGET", "{b}1", "{b}1"),
        ("SET", "{b}2", "again"),  # a write of a moved key: ASK
        ("DEL", "{b}2", "{b}3"),
        ("EXISTS", "{b}2"),
        ("LPOP", "{b}list"),
        ("MSET", "{b}1", "x", "{c}1", "y"),  # CROSSSLOT wins over everything
        ("MGET", "{b}2", "{c}1"),
        ("TYPE", "{b}2"),
        ("DUMP", "{b}2"),
        ("MIGRATE", "127.0.0.1", "<PORT-B>", "{b}nosuch", "0", "1000"),  # MIGRATE always runs here: +NOKEY
        ("ASKING",), ("GET", "{b}2"),  # ASKING means nothing on the source
        ("READONLY",), ("GET", "{b}2"), ("READWRITE",),
        ("MULTI",), ("GET", "{b}1"), ("GET", "{b}2"), ("EXEC",),  # a redirect inside MULTI: EXECABORT
        ("MULTI",), ("GET", "{b}1"), ("SET", "{b}4", "w"), ("EXEC",),
        ("GET", "{c}1"), ("SET", "{c}1", "here"),  # another slot of A: untouched
        ("SET", "foo", "x"),  # a slot of B: MOVED
    ]
    for args in source_cases:
        same(pairs, "A", *args)

    target_cases = [
        ("GET", "{b}2"),  # no ASKING: MOVED to the owner
        ("ASKING",), ("GET", "{b}2"),  # served
        ("GET", "{b}2"),  # ASKING was for one command only
        ("ASKING",), ("GET", "{b}1"),  # still on the source: a nil here
        ("ASKING",), ("MGET", "{b}2", "{b}3"),  # both here
        ("ASKING",), ("MGET", "{b}2", "{b}1"),  # one missing: TRYAGAIN
        ("ASKING",), ("MGET", "{b}1", "{b}nosuch"),  # all missing: TRYAGAIN as well
        ("ASKING",), ("MGET", "{b}1", "{b}1"),  # one key, twice: not multi-key
        ("ASKING",), ("SET", "{b}new", "created-on-target"),
        ("ASKING",), ("GET", "{b}new"),
        ("ASKING",), ("PING",), ("GET", "{b}2"),  # PING used up the ASKING
        ("ASKING",), ("ASKING",), ("GET", "{b}2"),
        ("ASKING",), ("MSET", "{b}2", "x", "{c}1", "y"),  # CROSSSLOT
        ("ASKING",), ("GET", "foo"),  # B's own slot
        ("ASKING",), ("GET", "{c}1"),  # A's stable slot: MOVED despite ASKING
        ("ASKING",), ("MULTI",), ("GET", "{b}2"), ("GET", "{b}3"), ("EXEC",),  # ASKING lasts until EXEC
        ("MULTI",), ("ASKING",), ("GET", "{b}2"), ("EXEC",),
        ("MULTI",), ("GET", "{b}2"), ("EXEC",),
        ("LRANGE", "{b}list", "0", "-1"),
        ("RESTORE-ASKING", "{b}restored", "0", PAYLOAD),  # the ASKING flag of the command itself
        ("RESTORE", "{b}restored2", "0", PAYLOAD),
        ("ASKING",), ("GET", "{b}restored"),
        ("READONLY",), ("GET", "{b}2"), ("READWRITE",),
        ("CLUSTER", "COUNTKEYSINSLOT", str(SLOT)),
    ]
    for args in target_cases:
        same(pairs, "B", *args)

    # close the slot the way redis-cli does: the rest of the keys, NODE on the target, then the source
    for node, args in [
        ("A", ("CLUSTER", "GETKEYSINSLOT", str(SLOT), "100")),
        ("A", ("MIGRATE", "127.0.0.1", "<PORT-B>", "", "0", "5000", "KEYS", "{b}1", "{b}4")),
        ("A", ("CLUSTER", "GETKEYSINSLOT", str(SLOT), "100")),
        ("A", ("GET", "{b}1")),
        ("B", ("CLUSTER", "SETSLOT", str(SLOT), "NODE", "<ID-B>")),
        ("B", ("GET", "{b}1")),  # B owns it now: served without ASKING
        ("A", ("CLUSTER", "SETSLOT", str(SLOT), "NODE", "<ID-B>")),
        ("A", ("GET", "{b}1")),  # MOVED
        ("A", ("CLUSTER", "COUNTKEYSINSLOT", str(SLOT))),
        ("B", ("CLUSTER", "COUNTKEYSINSLOT", str(SLOT))),
        ("B", ("CLUSTER", "SETSLOT", str(SLOT), "STABLE")),
    ]:
        same(pairs, node, *args)
    # the target bumped its configEpoch ("configEpoch updated after importing slot") and both nodes
    # agree on the new owner, on both kinds
    for p in pairs:
        def agreed(p=p):
            views = []
            for n in p.nodes:
                for e in cluster_nodes(n.port):
                    if e["id"] == p.idb.decode():
                        views.append((e["epoch"], tuple(e["slots"])))
            return len(set(views)) == 1 and views[0]
        epoch, slots = wait_until(agreed, 10, what="agreement on the new owner (%s)" % p.kind)
        assert epoch == 3
        assert slots == ("3300", "8192-16383")
    assert myself_line(pairs[0], pairs[0].a) == myself_line(pairs[1], pairs[1].a)
    assert myself_line(pairs[0], pairs[0].b) == myself_line(pairs[1], pairs[1].b)
    for p in pairs:
        info = p.b.call("CLUSTER", "INFO")
        assert b"cluster_current_epoch:3\r\n" in info and b"cluster_my_epoch:3\r\n" in info


def test_slot_closed_on_the_source_first(pairs):
    """Closing on the source first (redis-cli does the target first, but a crash can leave this): the
    source gives the slot away at once, the target still redirects to the source until its own SETSLOT
    NODE; no epoch is bumped (the target already has the greatest configEpoch)."""
    results = []
    slot = 7365  # {c}
    for node, args in [
        ("A", ("SET", "{c}k", "v")),
        ("B", ("CLUSTER", "SETSLOT", str(slot), "IMPORTING", "<ID-A>")),
        ("A", ("CLUSTER", "SETSLOT", str(slot), "MIGRATING", "<ID-B>")),
        ("A", ("MIGRATE", "127.0.0.1", "<PORT-B>", "{c}k", "0", "5000")),
        ("A", ("CLUSTER", "SETSLOT", str(slot), "NODE", "<ID-B>")),
        ("A", ("GET", "{c}k")),  # MOVED to B
        ("B", ("GET", "{c}k")),  # B still importing and not the owner in its own view: MOVED to A
        ("B", ("CLUSTER", "SETSLOT", str(slot), "NODE", "<ID-B>")),
        ("B", ("GET", "{c}k")),
    ]:
        same(pairs, node, *args)
    for p in pairs:
        def agreed(p=p):
            views = set()
            for n in p.nodes:
                for e in cluster_nodes(n.port):
                    if e["id"] == p.idb.decode():
                        views.add((e["epoch"], tuple(e["slots"])))
            return len(views) == 1 and views.pop()
        results.append(wait_until(agreed, 10, what="agreement (%s)" % p.kind))
    assert results[0] == results[1]
    epoch, slots = results[0]
    assert epoch == 3 and slots == ("3300", "7365", "8192-16383")  # B already had the greatest epoch


def test_errors_when_slot_state_is_wrong(pairs):
    for node, args in [
        ("A", ("CLUSTER", "SETSLOT", "100", "MIGRATING", "f" * 40)),
        ("A", ("CLUSTER", "SETSLOT", "100", "NODE", "f" * 40)),
        ("A", ("CLUSTER", "SETSLOT", "100", "STABLE")),
        ("B", ("CLUSTER", "SETSLOT", "100", "STABLE")),  # not mine: still OK
        ("A", ("CLUSTER", "SETSLOT", "100", "MIGRATING", "<ID-A>")),  # to myself: allowed by Redis
        ("A", ("GET", KEY_OF_SLOT_100)),
        ("A", ("CLUSTER", "SETSLOT", "100", "STABLE")),
        ("A", ("CLUSTER", "SETSLOT", "100", "NODE", "<ID-A>")),
        ("A", ("CLUSTER", "SETSLOT", "100", "IMPORTING")),
        ("A", ("CLUSTER", "SETSLOT", "100", "STABLE", "x")),
        ("A", ("CLUSTER", "GETKEYSINSLOT", "100", "-1")),
        ("A", ("CLUSTER", "GETKEYSINSLOT", "16384", "1")),
        ("A", ("CLUSTER", "COUNTKEYSINSLOT", "-1")),
    ]:
        same(pairs, node, *args)
