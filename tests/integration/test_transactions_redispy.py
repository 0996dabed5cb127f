"""Transactions through redis-py: pipelines with transaction=True (sync RESP2/RESP3, asyncio), WATCH with a
concurrent writer (WatchError), the optimistic-locking retry helper under contention, EXECABORT, and a
redis-py cluster pipeline transaction on one slot of a 3-node cluster of ours."""

from __future__ import annotations

import shutil
import threading

import pytest
import redis
import redis.asyncio as aredis
from redis.cluster import ClusterNode as PyClusterNode

from helpers import create_cluster, start_cluster_nodes, wait_cluster_ok


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(ours, request):
    client = redis.Redis(port=ours.port, protocol=request.param, socket_timeout=10)
    client.prefix = "tx%d:" % request.param
    yield client
    found = list(client.scan_iter(match=client.prefix + "*"))
    if found:
        client.delete(*found)
    client.close()


def test_pipeline_transaction(r):
    k = r.prefix
    with r.pipeline(transaction=True) as p:
        p.set(k + "a", "1").incr(k + "a").lpush(k + "l", "x", "y").hset(k + "h", mapping={"f": "v"})
        p.get(k + "a").lrange(k + "l", 0, -1).hgetall(k + "h").get(k + "missing")
        assert p.execute() == [True, 2, 2, 1, b"2", [b"y", b"x"], {b"f": b"v"}, None]


def test_errors_inside_exec_are_returned(r):
    k = r.prefix
    r.set(k + "s", "text")
    with r.pipeline(transaction=True) as p:
        p.incr(k + "s").set(k + "after", "ok").lpush(k + "s", "x")
        res = p.execute(raise_on_error=False)
    assert isinstance(res[0], redis.ResponseError) and "not an integer" in str(res[0])
    assert res[1] is True
    assert isinstance(res[2], redis.ResponseError) and str(res[2]).startswith("WRONGTYPE")
    assert r.get(k + "after") == b"ok"
    with r.pipeline(transaction=True) as p:
        p.incr(k + "s")
        with pytest.raises(redis.ResponseError):
            p.execute()


def test_execabort_on_queued_error(r):
    k = r.prefix
    with r.pipeline(transaction=True) as p:
        p.set(k + "a", "1")
        p.execute_command("NOSUCHCOMMAND", "x")
        with pytest.raises(redis.ResponseError):
            p.execute()
    assert r.exists(k + "a") == 0


def test_watch_concurrent_writer(ours, r):
    k = r.prefix + "w"
    r.set(k, "0")
    other = redis.Redis(port=ours.port)
    try:
        with r.pipeline() as p:
            p.watch(k)
            assert p.get(k) == b"0"  # immediate mode after WATCH
            other.set(k, "changed")  # a concurrent writer
            p.multi()
            p.set(k, "mine")
            with pytest.raises(redis.WatchError):
                p.execute()
        assert r.get(k) == b"changed"
        # untouched: the transaction runs
        with r.pipeline() as p:
            p.watch(k)
            p.multi()
            p.set(k, "mine")
            assert p.execute() == [True]
        assert r.get(k) == b"mine"
        # the writer's own transaction touches the key
        with r.pipeline() as p:
            p.watch(k)
            other.pipeline(transaction=True).append(k, "+").execute()
            p.multi()
            p.get(k)
            with pytest.raises(redis.WatchError):
                p.execute()
    finally:
        other.close()


def test_watch_expiry_and_unwatch(r):
    k = r.prefix + "e"
    r.set(k, "v", px=30)
    with r.pipeline() as p:
        p.watch(k)
        import time

        time.sleep(0.08)
        p.multi()
        p.ping()
        with pytest.raises(redis.WatchError):
            p.execute()
    r.set(k, "v")
    with r.pipeline() as p:
        p.watch(k)
        p.unwatch()
        r.set(k, "other")
        p.multi()
        p.get(k)
        assert p.execute() == [b"other"]


def test_transaction_helper_under_contention(ours):
    """Optimistic locking: concurrent INCR-by-read-modify-write through r.transaction() loses nothing."""
    key = "txc:counter"
    base = redis.Redis(port=ours.port)
    base.set(key, 0)
    per_thread, threads = 100, 4

    def worker():
        c = redis.Redis(port=ours.port, socket_timeout=10)

        def incr(pipe):
            v = int(pipe.get(key))
            pipe.multi()
            pipe.set(key, v + 1)

        for _ in range(per_thread):
            c.transaction(incr, key)
        c.close()

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert int(base.get(key)) == per_thread * threads
    base.delete(key)
    base.close()


def test_blocking_command_inside_transaction(r):
    k = r.prefix
    with r.pipeline(transaction=True) as p:
        p.blpop([k + "empty"], timeout=0).rpush(k + "l", "a").blpop([k + "l"], timeout=0)
        res = p.execute()
        assert res[:2] == [None, 1] and list(res[2]) == [k.encode() + b"l", b"a"]


async def test_asyncio_transactions(ours):
    r = aredis.Redis(port=ours.port)
    other = aredis.Redis(port=ours.port)
    try:
        async with r.pipeline(transaction=True) as p:
            p.set("atx:a", 1).incrby("atx:a", 5).get("atx:a")
            assert await p.execute() == [True, 6, b"6"]
        async with r.pipeline() as p:
            await p.watch("atx:a")
            await other.incr("atx:a")
            p.multi()
            p.get("atx:a")
            with pytest.raises(redis.WatchError):
                await p.execute()
        assert await r.get("atx:a") == b"7"
        await r.delete("atx:a")
    finally:
        await r.aclose()
        await other.aclose()


# -- cluster ----------------------------------------------------------------------------------------------

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


def test_cluster_pipeline_transaction_one_slot(cluster3):
    rc = redis.RedisCluster(startup_nodes=[PyClusterNode("127.0.0.1", cluster3[0].port)])
    try:
        with rc.pipeline(transaction=True) as p:
            p.set("{acct}:a", 10).set("{acct}:b", 0).decrby("{acct}:a", 3).incrby("{acct}:b", 3)
            p.get("{acct}:a").get("{acct}:b")
            res = [True if x == b"OK" else x for x in p.execute()]  # (redis-py's cluster transactions
            assert res == [True, True, 7, 3, b"7", b"3"]  # return SET's raw +OK)
        # WATCH in a cluster transaction
        with rc.pipeline(transaction=True) as p:
            p.watch("{acct}:a")
            assert int(p.get("{acct}:a")) == 7
            p.multi()
            p.set("{acct}:a", 8)
            assert p.execute() in ([True], [b"OK"])
        assert rc.get("{acct}:a") == b"8"
        # keys of several slots in one transaction are refused
        with rc.pipeline(transaction=True) as p:
            p.set("{x}1", 1).set("{y}2", 2)
            with pytest.raises(redis.RedisClusterException):
                p.execute()
    finally:
        rc.close()


def test_cluster_exec_crossslot_and_moved_discard(cluster3):
    """Raw: queued commands of two slots make EXEC answer CROSSSLOT; a transaction for a slot of another
    node gets MOVED when queuing and EXECABORT at EXEC; both leave the connection out of MULTI."""
    from helpers import RawClient

    node = cluster3[0]
    with RawClient(node.port) as c:
        local = []
        for i in range(2000):  # two keys of different slots both served here
            key = "k%d" % i
            if not c.call("GET", key).startswith(b"-MOVED"):
                local.append(key)
            if len(local) == 2:
                break
        assert c.call("MULTI") == b"+OK\r\n"
        assert c.call("SET", local[0], "1") == b"+QUEUED\r\n"
        assert c.call("SET", local[1], "2") == b"+QUEUED\r\n"
        assert c.call("EXEC") == b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
        assert c.call("EXEC") == b"-ERR EXEC without MULTI\r\n"
        remote = next("r%d" % i for i in range(2000) if c.call("GET", "r%d" % i).startswith(b"-MOVED"))
        assert c.call("MULTI") == b"+OK\r\n"
        assert c.call("SET", remote, "1").startswith(b"-MOVED ")
        assert c.call("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
        assert c.call("EXISTS", local[0]) == b":0\r\n"
