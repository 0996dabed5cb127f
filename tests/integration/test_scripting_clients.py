"""Lua scripting through real clients: redis-py's ``register_script`` (EVALSHA, falling back to EVAL on
NOSCRIPT) and ``Lock`` (its acquire/release/extend are scripts), sync and asyncio; then a small cluster
of ours (3 masters, one of them with a replica): EVAL routed by its keys through RedisCluster, CROSSSLOT
for keys of several slots, Redis's error for a key of another node inside a script, and the script's
writes reaching the replica (effects replication)."""

from __future__ import annotations

import asyncio
import shutil

import pytest
import redis
import redis.asyncio as aredis
from redis.cluster import ClusterNode as PyClusterNode

from helpers import (RawClient, cluster_nodes, create_cluster, start_cluster_nodes, wait_cluster_ok, wait_until)


@pytest.fixture
def r(ours):
    c = redis.Redis(port=ours.port, decode_responses=True)
    c.flushall()
    c.script_flush()
    c.function_flush()
    yield c
    c.close()


def test_register_script_uses_evalsha(r):
    incr_by = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr_by(keys=["n"], args=[5]) == 5
    assert r.script_exists(incr_by.sha) == [True]
    r.script_flush()
    assert incr_by(keys=["n"], args=[2]) == 7  # NOSCRIPT -> redis-py loads it again
    assert r.evalsha(incr_by.sha, 1, "n", 1) == 8
    with pytest.raises(redis.exceptions.NoScriptError):
        r.evalsha("0" * 40, 0)
    with pytest.raises(redis.exceptions.ResponseError, match="Script attempted to access nonexistent global"):
        r.eval("return undefined_var", 0)
    assert r.eval("return {1, 'two', {ok='OK'}, false}", 0) == [1, "two", "OK", None]


def test_lock_acquire_release(r):
    lock = r.lock("resource", timeout=10)
    assert lock.acquire(blocking=False)
    assert r.get("resource") is not None
    other = r.lock("resource", timeout=10)
    assert not other.acquire(blocking=False)
    assert lock.extend(5)
    assert lock.reacquire()
    lock.release()
    assert r.get("resource") is None
    with pytest.raises(redis.exceptions.LockError):
        lock.release()
    stolen = r.lock("resource2", timeout=10)
    assert stolen.acquire(blocking=False)
    r.set("resource2", "someone else")
    with pytest.raises(redis.exceptions.LockNotOwnedError):  # the release script sees another token
        stolen.release()
    with r.lock("ctx", timeout=5):
        assert r.exists("ctx") == 1
    assert r.exists("ctx") == 0


def test_functions_with_redis_py(r):
    code = "#!lua name=pylib\nredis.register_function('echo_keys', function(keys, args) return {keys[1], args[1]} end)"
    assert r.function_load(code) == "pylib"
    assert r.fcall("echo_keys", 1, "k", "a") == ["k", "a"]
    assert "pylib" in r.function_list()[0]
    payload = redis.Redis(port=r.connection_pool.connection_kwargs["port"]).function_dump()
    r.function_flush()
    assert r.function_restore(payload) in ("OK", b"OK", True)
    assert r.fcall("echo_keys", 1, "k", "b") == ["k", "b"]


def test_asyncio_script_and_lock(ours):
    async def main():
        c = aredis.Redis(port=ours.port, decode_responses=True)
        try:
            await c.flushall()
            script = c.register_script("return redis.call('set', KEYS[1], ARGV[1])")
            assert await script(keys=["a"], args=["1"]) == "OK"
            assert await c.get("a") == "1"
            lock = c.lock("alock", timeout=5)
            assert await lock.acquire(blocking=False)
            assert not await c.lock("alock", timeout=5).acquire(blocking=False)
            await lock.release()
            assert await c.exists("alock") == 0
        finally:
            await c.aclose()

    asyncio.run(main())


# -- cluster ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster4():
    """Three masters created by redis-cli, and a fourth node made replica of the first master."""
    nodes = start_cluster_nodes(["ours"] * 4, 3000)
    try:
        create_cluster(nodes[:3], replicas=0)
        wait_cluster_ok(nodes[:3])
        master_id = next(e["id"] for e in cluster_nodes(nodes[0].port) if "myself" in e["flags"])
        with RawClient(nodes[3].port) as c:
            assert c.call("CLUSTER", "MEET", "127.0.0.1", str(nodes[0].port)) == b"+OK\r\n"
            wait_until(lambda: any(e["id"] == master_id for e in cluster_nodes(nodes[3].port)), 20,
                       what="the new node knows the master")
            wait_until(lambda: c.call("CLUSTER", "REPLICATE", master_id) == b"+OK\r\n", 20, what="CLUSTER REPLICATE")
            wait_until(lambda: b"master_link_status:up" in c.call("INFO", "replication"), 20,
                       what="the replica's link")
        wait_cluster_ok(nodes)
        yield nodes
    finally:
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


def _key_on(port: int, prefix: str) -> str:
    """A key whose slot is served by the node on ``port``."""
    with RawClient(port) as c:
        for i in range(10000):
            k = "%s%d" % (prefix, i)
            if not c.call("GET", k).startswith(b"-MOVED"):
                return k
    raise AssertionError("no key found")


def test_cluster_eval_routing_and_errors(cluster4):
    rc = redis.RedisCluster(startup_nodes=[PyClusterNode("127.0.0.1", cluster4[1].port)], decode_responses=True)
    try:
        for i in range(20):  # keys of many slots: each EVAL is sent to the master of its key
            k = "script:%d" % i
            assert rc.eval("return redis.call('set', KEYS[1], ARGV[1])", 1, k, "v%d" % i) == "OK"
            assert rc.get(k) == "v%d" % i
        assert rc.eval("return redis.call('mget', KEYS[1], KEYS[2])", 2, "{t}a", "{t}b") == [None, None]
        with pytest.raises(redis.exceptions.RedisClusterException):
            rc.eval("return 1", 2, "a", "b")  # redis-py refuses keys of several slots itself
        incr = rc.register_script("return redis.call('incr', KEYS[1])")
        assert incr(keys=["counter"]) == 1
        assert incr(keys=["counter"]) == 2
    finally:
        rc.close()
    port = cluster4[0].port
    local = _key_on(port, "local")
    remote = next(k for k in ("k%d" % i for i in range(10000))
                  if RawClient(port).call("GET", k).startswith(b"-MOVED"))
    with RawClient(port) as c:
        assert c.call("EVAL", "return 1", "2", "{a}x", "{b}y") == (
            b"-CROSSSLOT Keys in request don't hash to the same slot\r\n")
        assert c.call("EVAL", "return 1", "1", remote).startswith(b"-MOVED ")
        reply = c.call("EVAL", "return redis.call('get', ARGV[1])", "0", remote)
        assert reply.startswith(b"-ERR Script attempted to access a non local key in a cluster node script: ")
        reply = c.call("EVAL", "#!lua\nredis.call('set', KEYS[1], 'x') return redis.call('get', ARGV[1])", "1",
                       local, local + "{other}")
        assert b"Script attempted to access" in reply
        assert c.call("EVAL", "#!lua flags=no-cluster\nreturn 1", "0") == (
            b"-ERR Can not run script on cluster, 'no-cluster' flag is set.\r\n")


def test_cluster_script_writes_reach_the_replica(cluster4):
    master, replica = cluster4[0], cluster4[3]
    key = _key_on(master.port, "repl")
    with RawClient(master.port) as c:
        assert c.call("EVAL", "redis.call('set', KEYS[1], 'a') redis.call('append', KEYS[1], 'b') "
                      "return redis.call('incr', KEYS[1] .. '{' .. KEYS[1] .. '}')", "1", key) != b""
        assert c.call("FUNCTION", "LOAD", "#!lua name=rlib\nredis.register_function('rf', function(k, a) "
                      "return redis.call('set', k[1], a[1]) end)") == b"$4\r\nrlib\r\n"
        assert c.call("FCALL", "rf", "1", key + "f", "fv").startswith((b"+OK", b"-"))
    with RawClient(replica.port) as c:
        c.call("READONLY")
        wait_until(lambda: c.call("GET", key) == b"$2\r\nab\r\n", 10, what="the script's writes on the replica")
        wait_until(lambda: c.call("FUNCTION", "LIST").startswith(b"*1"), 10, what="FUNCTION LOAD replicated")


def test_busy_script_and_script_kill(ours):
    """Past busy-reply-threshold the other clients get BUSY; SCRIPT KILL stops a script that wrote
    nothing, and refuses (UNKILLABLE) one that did."""
    from helpers import encode_command

    a, b = RawClient(ours.port), RawClient(ours.port)
    try:
        assert b.call("CONFIG", "SET", "busy-reply-threshold", "50") == b"+OK\r\n"
        a.sock.sendall(encode_command("EVAL", "local i = 0 while true do i = i + 1 end", "0"))
        wait_until(lambda: b.call("PING").startswith(b"-BUSY Redis is busy running a script."), 5, what="BUSY")
        assert b.call("FUNCTION", "KILL").startswith(b"-BUSY")  # an EVAL runs, not a function
        assert b.call("SCRIPT", "KILL") == b"+OK\r\n"
        assert a.read_reply().startswith(b"-ERR Script killed by user with SCRIPT KILL... script: ")
        assert b.call("PING") == b"+PONG\r\n"
        assert b.call("SCRIPT", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"
        a.sock.sendall(encode_command("EVAL", "redis.call('set', 'busykey', '1') local n = 0 "
                                      "while n < 3e7 do n = n + 1 end return n", "0"))
        wait_until(lambda: b.call("PING").startswith(b"-BUSY"), 5, what="BUSY")
        assert b.call("SCRIPT", "KILL").startswith(b"-UNKILLABLE Sorry the script already executed write commands")
        assert a.read_reply() == b":30000000\r\n"
    finally:
        b.call("CONFIG", "SET", "busy-reply-threshold", "5000")
        a.close()
        b.close()
