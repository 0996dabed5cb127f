"""Resharding between our nodes and Debian's redis-server in one cluster, both directions.

Four masters -- ours, redis-server, ours, redis-server -- joined by ``redis-cli --cluster create``.
Values of every type and encoding are put into the slots about to move, then ``redis-cli --cluster
reshard`` moves slots from one of our nodes to a redis-server node (our MIGRATE, redis-server's
RESTORE-ASKING of our DUMP payloads) and from a redis-server node to one of ours (the reverse), and
``rebalance`` spreads slots over all four, while a redis-py RedisCluster client writes and reads in
the background.  Afterwards every value reads the same as before, on the node owning its slot."""

from __future__ import annotations

import shutil
import time

import pytest

from helpers import RawClient, create_cluster, start_cluster_nodes, wait_cluster_ok
from integration.test_resharding import (Workload, check_ok, cli, node_id, owned_slots, verify, wait_consistent,
                                          KEYS)
from pyredis_cluster.cluster.slots import key_hash_slot

pytestmark = pytest.mark.timeout(900)

NODE_TIMEOUT = 5000

# (suffix, commands building the value under KEY, reading it back)
TYPED = [
    ("str", [("SET", "{K}", "hello")], ("GET", "{K}")),
    ("int", [("SET", "{K}", "123456")], ("GET", "{K}")),
    ("lzf", [("SET", "{K}", "abc" * 100)], ("GET", "{K}")),
    ("raw", [("SET", "{K}", "x" * 60), ("APPEND", "{K}", "y")], ("GET", "{K}")),
    ("ttl", [("SET", "{K}", "v", "EX", "100000")], ("GET", "{K}")),
    ("list", [("RPUSH", "{K}", "", "a", "1", "-70000", "b" * 100)], ("LRANGE", "{K}", "0", "-1")),
    ("biglist", [("RPUSH", "{K}", *["e%d" % i for i in range(1500)])], ("LRANGE", "{K}", "0", "-1")),
    ("intset", [("SADD", "{K}", "1", "2", "-300000")], ("SMEMBERS", "{K}")),
    ("hset", [("SADD", "{K}", *["m%d" % i for i in range(30)])], ("SMEMBERS", "{K}")),
    ("hashlp", [("HSET", "{K}", "f1", "v1", "f2", "2")], ("HGETALL", "{K}")),
    ("hashht", [("HSET", "{K}", *sum([["f%d" % i, "v" * 70] for i in range(5)], []))], ("HGETALL", "{K}")),
    ("zsetlp", [("ZADD", "{K}", "1", "a", "2.5", "b", "-1e10", "c")], ("ZRANGE", "{K}", "0", "-1", "WITHSCORES")),
    ("zsetsl", [("ZADD", "{K}", *sum([[str(i / 3), "m%d" % i] for i in range(200)], []))],
     ("ZRANGE", "{K}", "0", "-1", "WITHSCORES")),
]


def _canonical(reply: bytes, cmd: str) -> bytes:
    if cmd in ("SMEMBERS", "HGETALL"):
        return b"|".join(sorted(reply.split(b"\r\n")))
    return reply


class Typed:
    """One key of every type in a given slot range's first slots, and their expected readings."""

    def __init__(self, port_of_slot):
        self.port_of_slot = port_of_slot
        self.keys: dict = {}  # key -> (read command, expected canonical reply, encoding)

    def create(self, slots: list, tag: str) -> None:
        for n, (suffix, build, read) in enumerate(TYPED):
            slot = slots[n % len(slots)]
            key = next("%s:%s:%d" % (tag, suffix, j) for j in range(10**6)
                       if key_hash_slot(("%s:%s:%d" % (tag, suffix, j)).encode()) == slot)
            with RawClient(self.port_of_slot(slot)) as c:
                for cmd in build:
                    reply = c.call(*[a.replace("{K}", key) for a in cmd])
                    assert not reply.startswith(b"-"), reply
                got = c.call(*[a.replace("{K}", key) for a in read])
                enc = c.call("OBJECT", "ENCODING", key)
            self.keys[key] = (read, _canonical(got, read[0]), enc)

    def check(self) -> None:
        for key, (read, expected, enc) in self.keys.items():
            with RawClient(self.port_of_slot(key_hash_slot(key.encode()))) as c:
                assert _canonical(c.call(*[a.replace("{K}", key) for a in read]), read[0]) == expected, key
                assert c.call("OBJECT", "ENCODING", key) == enc, key
                if ":ttl:" in key:
                    assert 99000 < int(c.call("TTL", key)[1:-2]) <= 100000


@pytest.fixture(scope="module")
def mixed():
    nodes = start_cluster_nodes(["ours", "redis", "ours", "redis"], NODE_TIMEOUT)
    try:
        create_cluster(nodes, replicas=0)
        wait_cluster_ok(nodes)
        yield nodes
    finally:
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def workload(mixed):
    w = Workload(mixed[1].port)
    for i in range(KEYS):
        w.rc.set("key:%d" % i, "init")
        w.expected["key:%d" % i] = "init"
    w.start()
    yield w
    w.stop()


@pytest.fixture(scope="module")
def typed(mixed):
    def port_of_slot(slot):
        return next(n.port for n in mixed if slot in owned_slots(n.port))

    return Typed(port_of_slot)


@pytest.mark.parametrize("src_index,dst_index", [(0, 1), (3, 2)], ids=["ours-to-redis", "redis-to-ours"])
def test_reshard_between_kinds(mixed, workload, typed, src_index, dst_index):
    src, dst = mixed[src_index], mixed[dst_index]
    assert (src.kind, dst.kind) in (("ours", "redis"), ("redis", "ours"))
    moving = sorted(owned_slots(src.port))[:500]
    typed.create(moving[:20], "%s-%d" % (src.kind, src_index))
    before = len(owned_slots(dst.port))
    t0 = time.monotonic()
    code, out = cli("reshard", "127.0.0.1:%d" % mixed[0].port, "--cluster-from", node_id(src),
                    "--cluster-to", node_id(dst), "--cluster-slots", "500", "--cluster-yes")
    assert code == 0, out
    elapsed = time.monotonic() - t0
    assert owned_slots(dst.port) >= set(moving)
    assert len(owned_slots(dst.port)) == before + 500
    wait_consistent(mixed)
    check_ok(mixed[1].port)
    typed.check()
    verify(mixed, workload, others=len(typed.keys))
    print("%s -> %s: 500 slots in %.1f s" % (src.kind, dst.kind, elapsed))


def test_rebalance_across_kinds(mixed, workload, typed):
    weights = ["%s=%s" % (node_id(n), w) for n, w in zip(mixed, ("1", "2", "1", "0.5"))]
    code, out = cli("rebalance", "127.0.0.1:%d" % mixed[2].port, "--cluster-weight", *weights)
    assert code == 0, out
    counts = [len(owned_slots(n.port)) for n in mixed]
    for c, w in zip(counts, (1, 2, 1, 0.5)):
        assert abs(c - 16384 * w / 4.5) < 16384 * 0.02, counts
    wait_consistent(mixed)
    check_ok(mixed[3].port)
    typed.check()
    verify(mixed, workload, others=len(typed.keys))
