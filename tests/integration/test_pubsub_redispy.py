"""Pub/sub through redis-py's PubSub (sync and asyncio, RESP2 and RESP3) against our server, and across
a 3-node cluster of ours: PUBLISH on one node reaches subscribers on the others over the cluster bus,
SPUBLISH is routed to the slot's owner and reaches the subscribers of that shard."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
import redis
import redis.asyncio as aredis
from redis.cluster import ClusterNode as PyClusterNode

from helpers import RawClient, create_cluster, start_cluster_nodes, wait_cluster_ok, wait_until


def _get(p, timeout=5.0):
    """The next message that is not a (un)subscribe confirmation."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = p.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if m is not None:
            return m
    raise AssertionError("no message within %.1fs" % timeout)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(request):
    return request.param


def test_subscribe_publish_sync(ours, proto):
    r = redis.Redis(port=ours.port, protocol=proto, socket_timeout=10)
    p = r.pubsub()
    try:
        p.subscribe("rp:news", "rp:sport")
        assert p.get_message(timeout=2)["type"] == "subscribe"
        assert p.get_message(timeout=2) == {"type": "subscribe", "pattern": None, "channel": b"rp:sport",
                                            "data": 2}
        assert r.pubsub_numsub("rp:news", "rp:none") == [(b"rp:news", 1), (b"rp:none", 0)]
        assert r.publish("rp:news", "hello") == 1
        assert _get(p) == {"type": "message", "pattern": None, "channel": b"rp:news", "data": b"hello"}
        assert r.publish("rp:nobody", "x") == 0
        p.psubscribe("rp:n*")
        assert r.publish("rp:news", b"\x00bin\r\n") == 2
        msgs = [_get(p), _get(p)]
        assert {m["type"] for m in msgs} == {"message", "pmessage"}
        pm = [m for m in msgs if m["type"] == "pmessage"][0]
        assert pm["pattern"] == b"rp:n*" and pm["channel"] == b"rp:news" and pm["data"] == b"\x00bin\r\n"
        assert r.pubsub_numpat() >= 1
        assert b"rp:news" in r.pubsub_channels("rp:*")
        p.unsubscribe("rp:news")
        p.punsubscribe()
        time.sleep(0.1)
        assert r.publish("rp:news", "gone") == 0
        assert r.publish("rp:sport", "still") == 1
        assert _get(p)["data"] == b"still"
        # the connection is still usable for PING in subscribed mode
        p.ping()
        assert _get(p)["type"] == "pong"
    finally:
        p.close()
        r.close()
    r = redis.Redis(port=ours.port)
    wait_until(lambda: r.pubsub_numsub("rp:sport") == [(b"rp:sport", 0)], 5, what="subscriber gone")
    r.close()


def test_pattern_subscribers_and_handlers(ours, proto):
    r = redis.Redis(port=ours.port, protocol=proto, socket_timeout=10)
    got = []
    p = r.pubsub(ignore_subscribe_messages=True)
    p.psubscribe(**{"ev:*:created": lambda m: got.append((m["channel"], m["data"]))})
    p.subscribe(**{"ev:direct": lambda m: got.append((m["channel"], m["data"]))})
    thread = p.run_in_thread(sleep_time=0.05, daemon=True)
    try:
        time.sleep(0.2)
        assert r.publish("ev:user:created", "u1") == 1
        assert r.publish("ev:user:deleted", "u1") == 0
        assert r.publish("ev:order:created", "o1") == 1
        assert r.publish("ev:direct", "d") == 1
        wait_until(lambda: len(got) == 3, 5, what="3 messages")
        assert got == [(b"ev:user:created", b"u1"), (b"ev:order:created", b"o1"), (b"ev:direct", b"d")]
    finally:
        thread.stop()
        thread.join(5)
        p.close()
        r.close()


def test_resp3_subscribed_connection_runs_commands(ours):
    """In RESP3 a subscribed connection may run any command; pushes interleave with replies."""
    with RawClient(ours.port) as c:
        c.call("HELLO", "3")
        assert c.call("SUBSCRIBE", "r3:c") == b">3\r\n$9\r\nsubscribe\r\n$4\r\nr3:c\r\n:1\r\n"
        assert c.call("SET", "r3:k", "v") == b"+OK\r\n"
        with RawClient(ours.port) as pub:
            assert pub.call("PUBLISH", "r3:c", "m") == b":1\r\n"
        assert c.read_reply() == b">3\r\n$7\r\nmessage\r\n$4\r\nr3:c\r\n$1\r\nm\r\n"
        assert c.call("GET", "r3:k") == b"$1\r\nv\r\n"
        c.call("DEL", "r3:k")


async def test_asyncio_pubsub(ours, proto):
    r = aredis.Redis(port=ours.port, protocol=proto)
    p = r.pubsub()
    try:
        await p.subscribe("as:chan")
        await p.psubscribe("as:p*")
        for _ in range(2):
            m = await p.get_message(timeout=2)
            assert m["type"] in ("subscribe", "psubscribe")
        assert await r.publish("as:chan", "one") == 1
        assert await r.publish("as:pattern", "two") == 1
        got = []
        deadline = time.monotonic() + 5
        while len(got) < 2 and time.monotonic() < deadline:
            m = await p.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if m is not None:
                got.append((m["type"], m["channel"], m["data"]))
        assert got == [("message", b"as:chan", b"one"), ("pmessage", b"as:pattern", b"two")]
        await p.unsubscribe()
        await p.punsubscribe()
    finally:
        await p.aclose()
        await r.aclose()


def test_keyspace_notifications_via_redispy(ours, proto):
    r = redis.Redis(port=ours.port, protocol=proto, socket_timeout=10)
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub(ignore_subscribe_messages=True)
    try:
        p.psubscribe("__keyspace@0__:kn:*")
        time.sleep(0.1)
        r.set("kn:a", "1")
        r.lpush("kn:l", "x")
        r.delete("kn:a")
        events = [(m["channel"], m["data"]) for m in (_get(p), _get(p), _get(p))]
        assert events == [(b"__keyspace@0__:kn:a", b"set"), (b"__keyspace@0__:kn:l", b"lpush"),
                          (b"__keyspace@0__:kn:a", b"del")]
        r.set("kn:e", "1", px=50)
        assert _get(p)["data"] == b"set"
        assert _get(p)["data"] == b"expire"
        assert _get(p, 5)["data"] == b"expired"  # active expiry
    finally:
        r.config_set("notify-keyspace-events", "")
        r.delete("kn:l")
        p.close()
        r.close()


# -- a 3-node cluster of ours ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster3():
    nodes = start_cluster_nodes(["ours"] * 3, 3000)
    try:
        create_cluster(nodes, replicas=0)
        wait_cluster_ok(nodes)
        yield nodes
    finally:
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


def _slot_owner(nodes, channel: str):
    r = redis.Redis(port=nodes[0].port)
    try:
        slot = r.cluster("KEYSLOT", channel)
        slots = r.execute_command("CLUSTER", "SLOTS")
    finally:
        r.close()
    for start, end, master, *_ in slots:
        if start <= slot <= end:
            return next(n for n in nodes if n.port == master[1]), slot
    raise AssertionError("no owner for %s" % channel)


def test_cluster_publish_reaches_other_nodes(cluster3):
    a, b, c = cluster3
    subs = []
    try:
        for n in (a, b, c):
            r = redis.Redis(port=n.port, socket_timeout=10)
            p = r.pubsub()
            p.subscribe("cl:news")
            p.psubscribe("cl:*")
            p.get_message(timeout=2)
            p.get_message(timeout=2)
            subs.append((r, p))
        time.sleep(0.1)
        pub = redis.Redis(port=a.port)
        assert pub.publish("cl:news", "from-a") == 2  # local receivers only (channel + pattern on A)
        for _, p in subs:
            got = sorted((m["type"], m["data"]) for m in (_get(p), _get(p)))
            assert got == [("message", b"from-a"), ("pmessage", b"from-a")]
        # from C to A and B (RESP3 subscriber on C too)
        r3 = redis.Redis(port=c.port, protocol=3)
        assert r3.publish("cl:news", "from-c") == 2
        for _, p in subs:
            got = sorted((m["type"], m["data"]) for m in (_get(p), _get(p)))
            assert got == [("message", b"from-c"), ("pmessage", b"from-c")]
        r3.close()
        pub.close()
    finally:
        for r, p in subs:
            p.close()
            r.close()


def test_cluster_sharded_pubsub(cluster3):
    channel = "sh:{orders}"
    owner, slot = _slot_owner(cluster3, channel)
    others = [n for n in cluster3 if n is not owner]
    # SSUBSCRIBE / SPUBLISH elsewhere are redirected to the owner
    with RawClient(others[0].port) as c:
        assert c.call("SPUBLISH", channel, "x").startswith(b"-MOVED %d 127.0.0.1:%d" % (slot, owner.port))
        assert c.call("SSUBSCRIBE", channel).startswith(b"-MOVED %d " % slot)
        assert c.call("SSUBSCRIBE", "{a}x", "{b}y") == b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
    r = redis.Redis(port=owner.port, socket_timeout=10)
    p = r.pubsub()
    try:
        p.ssubscribe(channel)
        assert p.get_sharded_message(timeout=2)["type"] == "ssubscribe"
        # a global subscriber on another node does not get shard messages
        ro = redis.Redis(port=others[0].port, socket_timeout=10)
        po = ro.pubsub()
        po.subscribe(channel)
        po.get_message(timeout=2)
        assert r.spublish(channel, "direct") == 1
        m = p.get_sharded_message(timeout=2)
        assert m == {"type": "smessage", "pattern": None, "channel": channel.encode(), "data": b"direct"}
        # through redis-py's cluster client: routed to the owner by slot
        rc = redis.RedisCluster(startup_nodes=[PyClusterNode("127.0.0.1", others[1].port)])
        try:
            assert rc.spublish(channel, "via-cluster") == 1
            m = None
            deadline = time.monotonic() + 5
            while m is None and time.monotonic() < deadline:
                m = p.get_sharded_message(ignore_subscribe_messages=True, timeout=0.2)
            assert m["data"] == b"via-cluster"
            assert rc.pubsub_shardnumsub(channel, target_nodes=rc.get_node("127.0.0.1", owner.port)) == [
                (channel.encode(), 1)]
        finally:
            rc.close()
        assert po.get_message(timeout=0.3) is None
        po.close()
        ro.close()
    finally:
        p.close()
        r.close()


def test_cluster_redispy_sharded_pubsub_client(cluster3):
    """redis-py's ClusterPubSub picks the node of the shard channel itself."""
    rc = redis.RedisCluster(startup_nodes=[PyClusterNode("127.0.0.1", cluster3[0].port)])
    p = rc.pubsub()
    try:
        p.ssubscribe("shx:{a}", "shx:{b}")
        seen = set()
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            m = p.get_sharded_message(timeout=0.2)
            if m is not None and m["type"] == "ssubscribe":
                seen.add(m["channel"])
        assert seen == {b"shx:{a}", b"shx:{b}"}
        assert rc.spublish("shx:{a}", "A") == 1
        assert rc.spublish("shx:{b}", "B") == 1
        got = set()
        deadline = time.monotonic() + 5
        while len(got) < 2 and time.monotonic() < deadline:
            m = p.get_sharded_message(ignore_subscribe_messages=True, timeout=0.2)
            if m is not None:
                got.add((m["channel"], m["data"]))
        assert got == {(b"shx:{a}", b"A"), (b"shx:{b}", b"B")}
    finally:
        p.close()
        rc.close()


def test_cluster_publish_from_thread_storm(cluster3):
    """Many messages from every node arrive everywhere, in order per publisher."""
    a, b, c = cluster3
    r = redis.Redis(port=c.port, socket_timeout=10)
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe("storm")
    time.sleep(0.2)
    try:
        def blast(port, tag):
            pr = redis.Redis(port=port)
            for i in range(100):
                pr.publish("storm", "%s:%d" % (tag, i))
            pr.close()
        threads = [threading.Thread(target=blast, args=(n.port, n.port)) for n in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = {a.port: [], b.port: []}
        deadline = time.monotonic() + 10
        while sum(map(len, got.values())) < 200 and time.monotonic() < deadline:
            m = p.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if m is not None:
                tag, i = m["data"].decode().split(":")
                got[int(tag)].append(int(i))
        assert got == {a.port: list(range(100)), b.port: list(range(100))}
    finally:
        p.close()
        r.close()


# -- shards with replicas ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster6():
    nodes = start_cluster_nodes(["ours"] * 6, 3000)
    try:
        create_cluster(nodes, replicas=1)
        wait_cluster_ok(nodes)
        yield nodes
    finally:
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


def test_spublish_reaches_the_replicas_of_the_shard(cluster6):
    from helpers import cluster_nodes

    channel = "rsh:{x}"
    owner, slot = _slot_owner(cluster6, channel)
    entries = cluster_nodes(owner.port)
    owner_id = next(e["id"] for e in entries if "myself" in e["flags"])
    wait_until(lambda: any(e["master"] == owner_id for e in cluster_nodes(owner.port)), 20, what="a replica")
    replica_ports = {int(e["addr"].split(":")[1].split("@")[0]) for e in cluster_nodes(owner.port)
                     if e["master"] == owner_id}
    replica = next(n for n in cluster6 if n.port in replica_ports)
    other = next(n for n in cluster6 if n is not owner and n is not replica)
    subs = []
    try:
        for n in (owner, replica):
            r = redis.Redis(port=n.port, socket_timeout=10)
            p = r.pubsub()
            p.ssubscribe(channel)  # a replica serves SSUBSCRIBE for its master's slots
            assert p.get_sharded_message(timeout=2)["type"] == "ssubscribe"
            subs.append((r, p))
        # a node of another shard redirects
        with RawClient(other.port) as c:
            assert c.call("SSUBSCRIBE", channel).startswith(b"-MOVED %d " % slot)
        pub = redis.Redis(port=owner.port)
        assert pub.spublish(channel, "to-the-shard") == 1  # local receivers
        pub.close()
        for _, p in subs:
            m = None
            deadline = time.monotonic() + 5
            while m is None and time.monotonic() < deadline:
                m = p.get_sharded_message(ignore_subscribe_messages=True, timeout=0.2)
            assert m is not None and m["type"] == "smessage" and m["data"] == b"to-the-shard"
        # and a global PUBLISH from the replica reaches every node
        r = redis.Redis(port=other.port, socket_timeout=10)
        p = r.pubsub()
        p.subscribe("rsh:global")
        p.get_message(timeout=2)
        time.sleep(0.1)
        rp = redis.Redis(port=replica.port)
        assert rp.publish("rsh:global", "hi") == 0
        rp.close()
        assert _get(p)["data"] == b"hi"
        p.close()
        r.close()
    finally:
        for r, p in subs:
            p.close()
            r.close()
