"""CLUSTER subcommands, ASKING/READONLY/READWRITE and the routing gate, compared byte for byte with a
redis-server 7.0 in the same state (a fresh single node, then one owning some slots, one slot
half-migrated).  Node ids and ports differ between the two servers, so they are masked."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from conftest import Differ
from helpers import cluster_args, free_port, start_server

FAKE_ID = "f" * 40


@pytest.fixture(scope="module")
def pair():
    servers = []
    for kind in ("ours", "redis"):
        port = free_port()
        servers.append(start_server(kind, port=port, args=cluster_args(port, 5000)))
    d = Differ(servers[0].port, servers[1].port)
    d.servers = servers
    yield d
    d.close()
    for s in servers:
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)


def masked(d, reply: bytes, side: int) -> bytes:
    """Replace node ids and ports of one side by placeholders."""
    srv = d.servers[side]
    c = d.a if side == 0 else d.b
    myid = c.call("CLUSTER", "MYID")[5:-2]
    out = reply.replace(myid, b"<ID>")
    out = out.replace(b"%d" % (srv.port + 10000), b"<CPORT>").replace(b"%d" % srv.port, b"<PORT>")
    out = re.sub(rb"\d{13}", b"<MS>", out)
    return out


def same_masked(d, *args) -> bytes:
    mine, real = d.both(*args)
    m, r = masked(d, mine, 0), masked(d, real, 1)
    # bulk lengths change with the masking: compare the text without the length headers
    strip = lambda b: re.sub(rb"^[$=]\d+\r\n", b"", b)  # noqa: E731
    assert strip(m) == strip(r), "%r:\n ours:  %r\n redis: %r" % (args, m, r)
    return mine


ERROR_CASES = [
    ("CLUSTER",), ("CLUSTER", "NOSUCH"), ("CLUSTER", "MYID", "x"), ("CLUSTER", "KEYSLOT"),
    ("CLUSTER", "ADDSLOTS", "x"), ("CLUSTER", "ADDSLOTS", "16384"), ("CLUSTER", "ADDSLOTS", "-1"),
    ("CLUSTER", "ADDSLOTS", "1", "1"), ("CLUSTER", "ADDSLOTSRANGE", "1"), ("CLUSTER", "ADDSLOTSRANGE", "5", "1"),
    ("CLUSTER", "ADDSLOTSRANGE", "1", "2", "3"), ("CLUSTER", "DELSLOTS", "7"), ("CLUSTER", "DELSLOTSRANGE", "7", "9"),
    ("CLUSTER", "MEET", "127.0.0.1", "x"), ("CLUSTER", "MEET", "127.0.0.1", "0"),
    ("CLUSTER", "MEET", "127.0.0.1", "70000"), ("CLUSTER", "MEET", "nohost", "7000"),
    ("CLUSTER", "MEET", "127.0.0.1", "7000", "x"), ("CLUSTER", "FORGET", FAKE_ID),
    ("CLUSTER", "REPLICATE", FAKE_ID), ("CLUSTER", "REPLICAS", FAKE_ID), ("CLUSTER", "SLAVES", FAKE_ID),
    ("CLUSTER", "COUNT-FAILURE-REPORTS", FAKE_ID), ("CLUSTER", "SET-CONFIG-EPOCH", "x"),
    ("CLUSTER", "SET-CONFIG-EPOCH", "-1"), ("CLUSTER", "SETSLOT", "1"), ("CLUSTER", "SETSLOT", "x", "STABLE"),
    ("CLUSTER", "SETSLOT", "1", "BOGUS"), ("CLUSTER", "SETSLOT", "1", "NODE", FAKE_ID),
    ("CLUSTER", "SETSLOT", "1", "MIGRATING", FAKE_ID), ("CLUSTER", "SETSLOT", "1", "IMPORTING", FAKE_ID),
    ("CLUSTER", "RESET", "BOGUS"), ("CLUSTER", "RESET", "A", "B"), ("CLUSTER", "FAILOVER", "A", "B"),
    ("CLUSTER", "MEET", "127.0.0.1", "7000", "17000", "x"), ("CLUSTER", "FAILOVER"), ("CLUSTER", "FAILOVER", "BOGUS"),
    ("CLUSTER", "GETKEYSINSLOT", "1"), ("CLUSTER", "COUNTKEYSINSLOT", "x"), ("ASKING", "x"), ("READONLY", "x"),
]


def test_errors_are_identical(pair):
    for args in ERROR_CASES:
        pair.same(*args)


def test_fresh_node_replies(pair):
    pair.same("CLUSTER", "SLOTS")
    pair.same("CLUSTER", "LINKS")
    pair.same("CLUSTER", "KEYSLOT", "{user1000}.following")
    pair.same("ASKING")
    pair.same("READONLY")
    pair.same("READWRITE")
    same_masked(pair, "CLUSTER", "NODES")
    same_masked(pair, "CLUSTER", "SHARDS")
    pair.same("SET", "foo", "bar")  # no slot served: CLUSTERDOWN Hash slot not served
    pair.same("GET", "foo")
    pair.same("MGET", "a", "b")  # CROSSSLOT is checked after the first key's slot
    pair.same("PING")  # no key: served


def test_bumpepoch_and_slots(pair):
    pair.same("CLUSTER", "BUMPEPOCH")
    pair.same("CLUSTER", "BUMPEPOCH")
    pair.same("CLUSTER", "SET-CONFIG-EPOCH", "5")  # already non-zero
    pair.same("CLUSTER", "ADDSLOTSRANGE", "0", "100", "200", "300")
    pair.same("CLUSTER", "ADDSLOTS", "5000", "5001")
    pair.same("CLUSTER", "ADDSLOTS", "50")  # busy
    pair.same("CLUSTER", "DELSLOTS", "5001")
    pair.same("CLUSTER", "DELSLOTSRANGE", "250", "260")
    same_masked(pair, "CLUSTER", "NODES")
    same_masked(pair, "CLUSTER", "SLOTS")
    same_masked(pair, "CLUSTER", "SHARDS")
    pair.both("HELLO", "3")
    same_masked(pair, "CLUSTER", "SLOTS")
    same_masked(pair, "CLUSTER", "SHARDS")
    same_masked(pair, "CLUSTER", "NODES")
    pair.both("HELLO", "2")
    # the cluster is down (not all slots covered): keys in served slots still answer CLUSTERDOWN
    pair.same("CLUSTER", "KEYSLOT", "{a}")
    pair.same("GET", "a")
    pair.same("CLUSTER", "FLUSHSLOTS")
    same_masked(pair, "CLUSTER", "NODES")


def test_cluster_info_fields(pair):
    mine, real = pair.both("CLUSTER", "INFO")
    names = lambda b: [l.split(b":")[0] for l in b.split(b"\r\n")[1:] if b":" in l]  # noqa: E731,E741
    assert names(mine)[:9] == names(real)[:9]
    assert names(mine)[-1] == names(real)[-1] == b"total_cluster_links_buffer_limit_exceeded"


def test_routing_with_all_slots_and_a_migrating_slot(pair):
    pair.same("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
    for c in (pair.a, pair.b):
        deadline = time.monotonic() + 10
        while b"cluster_state:ok" not in c.call("CLUSTER", "INFO") and time.monotonic() < deadline:
            time.sleep(0.1)
    pair.same("SET", "{b}1", "v1")
    pair.same("GET", "{b}1")
    pair.same("MSET", "{b}1", "x", "{c}2", "y")
    pair.same("SELECT", "1")
    pair.same("SWAPDB", "0", "1")
    pair.same("CLUSTER", "COUNTKEYSINSLOT", "3300")
    pair.same("CLUSTER", "GETKEYSINSLOT", "3300", "10")
    pair.same("CLUSTER", "FLUSHSLOTS")  # keys present
    pair.same("CLUSTER", "RESET")  # master with keys
    pair.same("CLUSTER", "SETSLOT", "3300", "NODE", FAKE_ID)
    pair.same("CLUSTER", "SETSLOT", "3300", "STABLE")
    pair.same("FLUSHALL")
