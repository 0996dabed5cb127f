"""Hot resharding of a cluster of our nodes with Debian's ``redis-cli --cluster`` while a redis-py
``RedisCluster`` client keeps writing and reading in a background thread.

One module-scoped cluster of three masters goes through, in order: ``reshard`` (1000 slots between two
masters), ``add-node`` of an empty master then ``rebalance`` with ``--cluster-weight`` and
``--cluster-use-empty-masters``, ``fix`` of a migration interrupted half-way, a slot closed by hand
on the source and the target only (the third master learns the new owner from the bus), and finally
the new node drained (``rebalance`` with weight 0) and removed with ``del-node``.  After each step:
``--cluster check`` passes, the client saw no error, no key was lost or went stale, and every key
sits on the node owning its slot (CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT on every master)."""

from __future__ import annotations

import random
import shutil
import threading
import time

import pytest
import redis
from redis.cluster import ClusterNode as PyClusterNode

from helpers import (RawClient, cluster_nodes, create_cluster, encode_command, redis_cli, start_cluster_nodes,
                     wait_cluster_ok, wait_until)
from pyredis_cluster.cluster.slots import key_hash_slot

NODE_TIMEOUT = 5000
KEYS = 3000

pytestmark = pytest.mark.timeout(900)  # thousands of slots move, each with a handful of round trips


def node_id(node) -> str:
    return next(e["id"] for e in cluster_nodes(node.port) if "myself" in e["flags"])


def owned_slots(port: int) -> set:
    """The slots a node serves, from its own CLUSTER NODES line."""
    me = next(e for e in cluster_nodes(port) if "myself" in e["flags"])
    out = set()
    for s in me["slots"]:
        if s.startswith("["):
            continue
        a, _, b = s.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def pipeline(port: int, commands: list) -> list:
    """Send many commands at once, return their raw replies."""
    with RawClient(port, timeout=60) as c:
        c.send_raw(b"".join(encode_command(*cmd) for cmd in commands))
        return [c.read_reply() for _ in commands]


class Workload(threading.Thread):
    """Writes and reads keys through RedisCluster until stopped (or a bound is reached); remembers the
    last value written to each key and every error the client saw."""

    def __init__(self, port: int, max_seconds: float = 900, max_ops: int = 3_000_000):
        super().__init__(daemon=True)
        self.rc = redis.RedisCluster(startup_nodes=[PyClusterNode("127.0.0.1", port)], decode_responses=True,
                                     socket_timeout=30)
        self.expected: dict = {}
        self.errors: list = []
        self.ops = 0
        self.stop_event = threading.Event()
        self.max_seconds = max_seconds
        self.max_ops = max_ops
        self.rng = random.Random(1234)
        self.lock = threading.Lock()

    def run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        rc = self.rc
        while not self.stop_event.is_set() and self.ops < self.max_ops and time.monotonic() < deadline:
            i = self.rng.randrange(KEYS)
            key = "key:%d" % i
            try:
                with self.lock:
                    if self.rng.random() < 0.5 or key not in self.expected:
                        value = "v%d" % self.ops
                        rc.set(key, value)
                        self.expected[key] = value
                    else:
                        got = rc.get(key)
                        if got != self.expected[key]:
                            self.errors.append("stale %s: %r != %r" % (key, got, self.expected[key]))
                    self.ops += 1
            except Exception as e:  # any error the client library lets through is a failure
                self.errors.append("%s on %s: %r" % (type(e).__name__, key, e))
                time.sleep(0.05)

    def pause(self):
        """Context manager: hold the workload still (to check the data in a quiet moment)."""
        return self.lock

    def stop(self) -> None:
        self.stop_event.set()
        self.join(30)
        self.rc.close()


@pytest.fixture(scope="module")
def cluster():
    nodes = start_cluster_nodes(["ours"] * 3, NODE_TIMEOUT)
    extra = []
    try:
        create_cluster(nodes, replicas=0)
        wait_cluster_ok(nodes)
        yield nodes, extra
    finally:
        for n in nodes + extra:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def workload(cluster):
    nodes, _ = cluster
    w = Workload(nodes[0].port)
    # a first value for every key, so that the checks cover all of them
    for i in range(KEYS):
        w.rc.set("key:%d" % i, "init")
        w.expected["key:%d" % i] = "init"
    w.start()
    yield w
    w.stop()


def cli(*args, input: bytes | None = None, timeout: float = 600):
    res = redis_cli("--cluster", *args, timeout=timeout, input=input)
    out = res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace")
    return res.returncode, out


def check_ok(port: int) -> str:
    code, out = cli("check", "127.0.0.1:%d" % port)
    assert code == 0, out
    assert "[OK] All nodes agree about slots configuration." in out, out
    assert "[OK] All 16384 slots covered." in out, out
    assert "[WARNING]" not in out, out
    return out


def wait_consistent(nodes) -> None:
    """Every node's CLUSTER NODES shows the same slots for every master (redis-cli's signature)."""
    def signature(port):
        sig = []
        for e in cluster_nodes(port):
            slots = sorted(s for s in e["slots"] if not s.startswith("["))
            if slots:
                sig.append("%s:%s" % (e["id"], ",".join(slots)))
        return "|".join(sorted(sig))

    wait_until(lambda: len({signature(n.port) for n in nodes}) == 1, 30, what="consistent slot configuration")


def verify(nodes, workload, others: int = 0) -> None:
    """No error so far; every key has its last written value; every key is on its slot's owner.
    ``others``: how many keys besides the workload's the cluster holds."""
    assert workload.errors == [], workload.errors[:10]
    assert workload.ops > 0
    with workload.pause():
        expected = dict(workload.expected)
        owners = {}
        total = 0
        for n in nodes:
            slots = owned_slots(n.port)
            for s in slots:
                owners[s] = n
            # the keys held by a node are exactly those of its own slots
            counts = pipeline(n.port, [("CLUSTER", "COUNTKEYSINSLOT", s) for s in sorted(slots)])
            held = sum(int(r[1:-2]) for r in counts)
            with RawClient(n.port) as c:
                assert c.call("DBSIZE") == b":%d\r\n" % held, "node %d holds keys of slots it does not own" % n.port
            total += held
        assert len(owners) == 16384
        assert total == len(expected) + others
        assert len(expected) == KEYS
        by_slot: dict = {}
        for k in expected:
            by_slot.setdefault(key_hash_slot(k.encode()), set()).add(k.encode())
        # GETKEYSINSLOT on the owner returns exactly the keys of the slot
        per_node: dict = {}
        for s in by_slot:
            per_node.setdefault(owners[s].port, []).append(s)
        for port, slots in per_node.items():
            replies = pipeline(port, [("CLUSTER", "GETKEYSINSLOT", s, 1000) for s in slots])
            for s, r in zip(slots, replies):
                got = set(r.split(b"\r\n")[2::2])
                assert got == by_slot[s] if not others else got >= by_slot[s], (s, got, by_slot[s])
        # and each value is the last one written
        keys = sorted(expected)
        rc = workload.rc
        for i in range(0, len(keys), 200):
            chunk = keys[i:i + 200]
            values = [rc.get(k) for k in chunk]
            assert values == [expected[k] for k in chunk]


def test_reshard_1000_slots(cluster, workload):
    nodes, _ = cluster
    src, dst = node_id(nodes[0]), node_id(nodes[1])
    before = len(owned_slots(nodes[1].port))
    t0 = time.monotonic()
    code, out = cli("reshard", "127.0.0.1:%d" % nodes[2].port, "--cluster-from", src, "--cluster-to", dst,
                    "--cluster-slots", "1000", "--cluster-yes")
    assert code == 0, out
    elapsed = time.monotonic() - t0
    assert len(owned_slots(nodes[1].port)) == before + 1000
    check_ok(nodes[0].port)
    verify(nodes, workload)
    print("reshard of 1000 slots: %.1f s, %d client ops so far" % (elapsed, workload.ops))


def test_add_node_and_rebalance_with_weights(cluster, workload):
    nodes, extra = cluster
    new = start_cluster_nodes(["ours"], NODE_TIMEOUT)[0]
    extra.append(new)
    code, out = cli("add-node", "127.0.0.1:%d" % new.port, "127.0.0.1:%d" % nodes[0].port)
    assert code == 0, out
    everyone = nodes + [new]
    wait_until(lambda: all(len(cluster_nodes(n.port)) == 4 for n in everyone), 30, what="4 nodes known")
    wait_consistent(everyone)
    wait_cluster_ok(everyone)
    new_id = node_id(new)
    # the new node gets a weight of 0.5 (half the slots of each other master; a node id prefix works)
    code, out = cli("rebalance", "127.0.0.1:%d" % nodes[0].port, "--cluster-weight", "%s=0.5" % new_id[:12],
                    "--cluster-use-empty-masters")
    assert code == 0, out
    counts = [len(owned_slots(n.port)) for n in everyone]
    assert abs(counts[3] - 16384 * 0.5 / 3.5) < 16384 * 0.02, counts
    for c in counts[:3]:
        assert abs(c - 16384 / 3.5) < 16384 * 0.02, counts
    check_ok(new.port)
    verify(everyone, workload)


@pytest.mark.parametrize("moved", [10, 15], ids=["half-moved", "mostly-moved"])
def test_fix_an_interrupted_migration(cluster, workload, moved):
    """A slot left open with some of its 20 keys moved: ``--cluster fix`` closes it on the node that
    holds the most keys (redis-cli's rule; a tie goes to the slot's owner), moving the others there."""
    nodes, extra = cluster
    everyone = nodes + extra
    src, dst = nodes[0], nodes[2]
    slot = sorted(owned_slots(src.port))[moved]
    with RawClient(src.port) as s:
        before = int(s.call("CLUSTER", "COUNTKEYSINSLOT", slot)[1:-2])
    with workload.pause():  # the workload keeps off this slot until the end of the test
        with RawClient(src.port) as s:
            for i in range(20 - before):
                key = next("fix:%d:%d" % (i, j) for j in range(10**6)
                           if key_hash_slot(b"fix:%d:%d" % (i, j)) == slot)
                assert s.call("SET", key, "x") == b"+OK\r\n"
                workload.expected[key] = "x"  # (checked through the cluster client at the end)
        src_id, dst_id = node_id(src), node_id(dst)
        with RawClient(src.port) as s, RawClient(dst.port) as d:
            assert d.call("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id) == b"+OK\r\n"
            assert s.call("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id) == b"+OK\r\n"
            keys = s.call("CLUSTER", "GETKEYSINSLOT", slot, moved).split(b"\r\n")[2::2]
            assert len(keys) == moved
            assert s.call("MIGRATE", "127.0.0.1", dst.port, "", 0, 5000, "KEYS", *keys) == b"+OK\r\n"
            assert s.call("CLUSTER", "COUNTKEYSINSLOT", slot) == b":%d\r\n" % (20 - moved)
        # the tool sees the open slot ...
        code, out = cli("check", "127.0.0.1:%d" % src.port)
        assert code != 0 and "The following slots are open: %d" % slot in out, out
        # ... and closes it
        code, out = cli("fix", "127.0.0.1:%d" % src.port, input=b"yes\n" * 10)
        assert code == 0, out
        winner, loser = (dst, src) if moved > 10 else (src, dst)
        assert slot in owned_slots(winner.port), out
        with RawClient(winner.port) as w, RawClient(loser.port) as lo:
            assert w.call("CLUSTER", "COUNTKEYSINSLOT", slot) == b":20\r\n"
            assert lo.call("CLUSTER", "COUNTKEYSINSLOT", slot) == b":0\r\n"
    wait_consistent(everyone)
    check_ok(src.port)
    verify_extra_keys(workload, everyone)


def verify_extra_keys(workload, everyone):
    """verify() with the test's own extra keys taken out of the count."""
    with workload.pause():
        extra = {k: v for k, v in workload.expected.items() if not k.startswith("key:")}
        for k, v in extra.items():
            assert workload.rc.get(k) == v
            workload.rc.delete(k)
            del workload.expected[k]
    verify(everyone, workload)


def test_slot_closed_on_source_and_target_only(cluster, workload):
    """redis-cli tells every master about the new owner; here only the source and the target are told,
    the other masters must learn it from the target's bumped configEpoch on the bus."""
    nodes, extra = cluster
    everyone = nodes + extra
    src, dst = nodes[1], nodes[0]
    others = [n for n in everyone if n not in (src, dst)]
    slot = max(owned_slots(src.port))
    src_id, dst_id = node_id(src), node_id(dst)
    with RawClient(src.port) as s, RawClient(dst.port) as d:
        assert d.call("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id) == b"+OK\r\n"
        assert s.call("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id) == b"+OK\r\n"
        while True:
            keys = s.call("CLUSTER", "GETKEYSINSLOT", slot, 10).split(b"\r\n")[2::2]
            if not keys:
                break
            assert s.call("MIGRATE", "127.0.0.1", dst.port, "", 0, 5000, "KEYS", *keys) == b"+OK\r\n"
        view = cluster_nodes(dst.port)
        epoch_before = next(e["epoch"] for e in view if "myself" in e["flags"])
        max_before = max(e["epoch"] for e in view)
        assert d.call("CLUSTER", "SETSLOT", slot, "NODE", dst_id) == b"+OK\r\n"
        assert s.call("CLUSTER", "SETSLOT", slot, "NODE", dst_id) == b"+OK\r\n"
    me = next(e for e in cluster_nodes(dst.port) if "myself" in e["flags"])
    max_epoch = max(e["epoch"] for e in cluster_nodes(dst.port))
    # "configEpoch updated after importing slot" -- unless it already was the greatest (then Redis keeps
    # it: clusterBumpConfigEpochWithoutConsensus answers STILL), e.g. after an earlier import in this module
    assert me["epoch"] == max_epoch
    assert me["epoch"] > epoch_before or epoch_before == max_before

    def learnt():
        for n in others:
            owner = [e["id"] for e in cluster_nodes(n.port) if str(slot) in _expand(e["slots"])]
            if owner != [dst_id]:
                return False
        return True

    wait_until(learnt, 15, what="the other masters learning the new owner of slot %d" % slot)
    check_ok(src.port)
    verify(everyone, workload)


def _expand(slot_tokens) -> set:
    out = set()
    for s in slot_tokens:
        if s.startswith("["):
            continue
        a, _, b = s.partition("-")
        out.update(str(x) for x in range(int(a), int(b or a) + 1))
    return out


def test_drain_and_del_node(cluster, workload):
    nodes, extra = cluster
    new = extra[0]
    new_id = node_id(new)
    everyone = nodes + extra
    code, out = cli("rebalance", "127.0.0.1:%d" % nodes[0].port, "--cluster-weight", "%s=0" % new_id)
    assert code == 0, out
    assert owned_slots(new.port) == set()
    check_ok(nodes[0].port)
    verify(nodes, workload)
    code, out = cli("del-node", "127.0.0.1:%d" % nodes[0].port, new_id)
    assert code == 0, out
    wait_until(lambda: all(len(cluster_nodes(n.port)) == 3 for n in nodes), 15, what="node forgotten")
    assert len(cluster_nodes(new.port)) == 1  # CLUSTER RESET SOFT
    check_ok(nodes[0].port)
    time.sleep(1)  # the client keeps running on the three remaining masters
    verify(nodes, workload)
    print("client ops during the test: %d, errors: %d" % (workload.ops, len(workload.errors)))


def test_reshard_an_in_process_cluster():
    """The in-process clusters of pyredis_cluster.testing run every node in one event loop: MIGRATE to a
    node of the same process runs the RESTOREs on it directly instead of waiting on a socket that the
    busy loop would only read after the timeout."""
    from pyredis_cluster.testing import start_cluster
    from pyredis_cluster.testing.cluster import keys_in_slot

    with start_cluster(masters=3, replicas=1) as c:
        rc = c.client()
        keys = [k for s in range(0, 200, 7) for k in keys_in_slot(s, 3)]
        for k in keys:
            rc.set(k, "v:" + k)
        rc.rpush(keys[0] + "-list", *range(100))  # (same slot as keys[0])
        src = c.slot_owner(0)
        dst = next(m for m in c.masters() if m is not src)
        t0 = time.monotonic()
        res = redis_cli("--cluster", "reshard", src.addr, "--cluster-from", src.id, "--cluster-to", dst.id,
                        "--cluster-slots", "200", "--cluster-yes", timeout=120)
        assert res.returncode == 0, res.stdout.decode()[-2000:]
        assert time.monotonic() - t0 < 60
        assert c.slot_owner(0) is dst
        for k in keys:
            assert rc.get(k) == ("v:" + k).encode()
        assert rc.lrange(keys[0] + "-list", 0, -1) == [b"%d" % i for i in range(100)]
        assert c.call(dst, "CLUSTER", "COUNTKEYSINSLOT", 0) == 4
        assert c.call(src, "CLUSTER", "COUNTKEYSINSLOT", 0) == 0
        # the target's replica got the keys too (RESTORE-ASKING propagated by the target)
        replica = c.replicas_of(dst)[0]
        c.wait_for(lambda: c.call(replica, "DBSIZE") == c.call(dst, "DBSIZE"), 10, what="replica in sync")
