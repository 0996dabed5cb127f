"""Hash and set commands through redis-py (sync RESP2/RESP3 and asyncio) against our server."""

from __future__ import annotations

import shutil
import time

import pytest
import redis
import redis.asyncio as aredis


def _clean(r, prefix):
    found = list(r.scan_iter(match=prefix + "*"))
    if found:
        r.delete(*found)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(ours, request):
    client = redis.Redis(port=ours.port, protocol=request.param)
    client.prefix = "hsrp%d:" % request.param
    _clean(client, client.prefix)
    yield client
    _clean(client, client.prefix)
    client.close()


def test_hash_commands(r):
    h = r.prefix + "h"
    assert r.hset(h, "a", "1") == 1
    assert r.hset(h, mapping={"b": "2", "c": "3", "a": "10"}) == 2
    assert r.hget(h, "a") == b"10"
    assert r.hget(h, "zz") is None
    assert r.hmget(h, ["a", "zz", "c"]) == [b"10", None, b"3"]
    assert r.hgetall(h) == {b"a": b"10", b"b": b"2", b"c": b"3"}
    assert r.hkeys(h) == [b"a", b"b", b"c"]  # a listpack: insertion order
    assert r.hvals(h) == [b"10", b"2", b"3"]
    assert r.hlen(h) == 3
    assert r.hexists(h, "a") is True and r.hexists(h, "zz") is False
    assert r.hstrlen(h, "a") == 2
    assert r.hsetnx(h, "a", "x") == 0
    assert r.hsetnx(h, "d", "4") == 1
    assert r.hincrby(h, "n", 5) == 5
    assert r.hincrby(h, "n", -7) == -2
    assert r.hincrbyfloat(h, "f", 0.1) == pytest.approx(0.1)
    assert r.hincrbyfloat(h, "f", 0.2) == pytest.approx(0.3)
    assert r.hget(h, "f") == b"0.3"
    assert r.hdel(h, "a", "zz") == 1
    assert r.hgetall(r.prefix + "none") == {}
    assert r.object("encoding", h) == b"listpack"
    r.hset(h, mapping={"d": "x", "big": str(2**63 - 1)})
    with pytest.raises(redis.ResponseError, match="hash value is not an integer"):
        r.hincrby(h, "d", 1)
    with pytest.raises(redis.ResponseError, match="increment or decrement would overflow"):
        r.hincrby(h, "big", 1)
    with pytest.raises(redis.ResponseError, match="hash value is not a float"):
        r.hincrbyfloat(h, "d", 1.5)
    r.set(r.prefix + "str", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.hget(r.prefix + "str", "a")
    assert r.delete(h) == 1


def test_hrandfield_and_hscan(r):
    h = r.prefix + "h"
    fields = {("f%d" % i).encode(): ("v%d" % i).encode() for i in range(50)}
    r.hset(h, mapping=fields)
    assert r.hrandfield(h) in fields
    picked = r.hrandfield(h, 5)
    assert len(picked) == 5 == len(set(picked)) and set(picked) <= set(fields)
    assert len(r.hrandfield(h, -80)) == 80
    pairs = r.hrandfield(h, 3, withvalues=True)
    if r.connection_pool.connection_kwargs.get("protocol") == 3:
        pairs = [x for pair in pairs for x in pair]  # RESP3: [[field, value], ...]
    assert len(pairs) == 6
    assert all(fields[f] == v for f, v in zip(pairs[::2], pairs[1::2]))
    assert dict(r.hscan_iter(h)) == fields
    assert dict(r.hscan_iter(h, match="f1*")) == {f: v for f, v in fields.items() if f.startswith(b"f1")}
    cursor, found = r.hscan(h, 0)
    assert cursor == 0 and found == fields  # a listpack answers in one call
    big = r.prefix + "big"
    many = {("k%d" % i).encode(): b"x" for i in range(1000)}
    r.hset(big, mapping=many)
    assert r.object("encoding", big) == b"hashtable"
    cursor, found = r.hscan(big, 0, count=10)
    assert cursor != 0 and 0 < len(found) < 1000
    assert dict(r.hscan_iter(big, count=30)) == many


def test_set_commands(r):
    s, t, d = r.prefix + "s", r.prefix + "t", r.prefix + "d"
    assert r.sadd(s, 3, 1, 2) == 3
    assert r.sadd(s, 1, 4) == 1
    assert r.smembers(s) == {b"1", b"2", b"3", b"4"}
    assert r.scard(s) == 4
    assert r.sismember(s, 1) in (True, 1) and r.sismember(s, 9) in (False, 0)
    assert [bool(x) for x in r.smismember(s, [1, 9, 4])] == [True, False, True]
    assert r.object("encoding", s) == b"intset"
    r.sadd(t, 2, 3, "x")
    assert r.sinter(s, t) == {b"2", b"3"}
    assert r.sunion(s, t) == {b"1", b"2", b"3", b"4", b"x"}
    assert r.sdiff(s, t) == {b"1", b"4"}
    assert r.sintercard(2, [s, t]) == 2
    assert r.sintercard(2, [s, t], limit=1) == 1
    assert r.sinterstore(d, [s, t]) == 2 and r.smembers(d) == {b"2", b"3"}
    assert r.sunionstore(d, [s, t]) == 5
    assert r.sdiffstore(d, [s, t]) == 2 and r.smembers(d) == {b"1", b"4"}
    assert r.smove(s, d, 2) is True and r.smove(s, d, 99) is False
    assert r.srem(s, 1, 99) == 1
    assert r.smembers(s) == {b"3", b"4"}
    assert r.srandmember(s) in (b"3", b"4")
    assert sorted(r.srandmember(s, 5)) == [b"3", b"4"]
    assert len(r.srandmember(s, -5)) == 5
    popped = r.spop(s)
    assert popped in (b"3", b"4")
    assert r.spop(s, 5) in ([b"3"], [b"4"], {b"3"}, {b"4"})
    assert r.exists(s) == 0
    assert r.spop(s) is None
    assert r.smembers(s) == set()
    with pytest.raises(redis.ResponseError, match="must be positive"):
        r.spop(t, -1)
    r.set(r.prefix + "str", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.sadd(r.prefix + "str", "a")


def test_sscan(r):
    s = r.prefix + "s"
    r.sadd(s, *range(100))
    assert r.sscan(s, 0) == (0, [str(i).encode() for i in range(100)])  # intset: numeric order, one call
    r.sadd(s, *["m%d" % i for i in range(900)])
    assert set(r.sscan_iter(s, count=25)) == {str(i).encode() for i in range(100)} | {
        ("m%d" % i).encode() for i in range(900)}
    assert set(r.sscan_iter(s, match="m89*")) == {b"m89"} | {("m89%d" % i).encode() for i in range(10)}


@pytest.mark.parametrize("protocol", [2, 3])
async def test_asyncio(ours, protocol):
    r = aredis.Redis(port=ours.port, protocol=protocol)
    p = "ahs%d:" % protocol
    try:
        await r.delete(p + "h", p + "s", p + "t")
        assert await r.hset(p + "h", mapping={"a": "1", "b": "2"}) == 2
        assert await r.hgetall(p + "h") == {b"a": b"1", b"b": b"2"}
        assert await r.hincrbyfloat(p + "h", "a", 1.5) == 2.5
        async with r.pipeline(transaction=False) as pipe:
            for i in range(100):
                pipe.sadd(p + "s", i)
            pipe.scard(p + "s")
            pipe.smembers(p + "s")
            res = await pipe.execute()
        assert res[:100] == [1] * 100
        assert res[100] == 100
        assert res[101] == {str(i).encode() for i in range(100)}
        await r.sadd(p + "t", *range(50, 150))
        assert await r.sintercard(2, [p + "s", p + "t"]) == 50
        assert len(await r.sinter(p + "s", p + "t")) == 50
        assert len(await r.spop(p + "s", 10)) == 10
        assert await r.scard(p + "s") == 90
        assert [x async for x in r.hscan_iter(p + "h")] == [(b"a", b"2.5"), (b"b", b"2")]
        assert len([x async for x in r.sscan_iter(p + "t")]) == 100
    finally:
        await r.delete(p + "h", p + "s", p + "t")
        await r.aclose()


# -- replication: random and float commands reach replicas as their outcome ------------------------------


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met within %.1f s" % timeout)


@pytest.fixture
def replica(ours):
    from helpers import start_server

    srv = start_server("ours")
    client = redis.Redis(port=srv.port)
    client.execute_command("REPLICAOF", "127.0.0.1", str(ours.port))
    try:
        _wait_for(lambda: client.info("replication").get("master_link_status") == "up")
    except AssertionError:
        srv.stop()
        pytest.skip("replication link did not come up")
    yield client
    client.close()
    srv.stop()
    shutil.rmtree(srv.workdir, ignore_errors=True)


def test_replicas_get_the_same_members(ours, replica):
    r = redis.Redis(port=ours.port)
    p = "repl:"
    try:
        r.sadd(p + "s", *range(100))
        r.sadd(p + "t", *["m%d" % i for i in range(50)])
        r.sadd(p + "all", "a", "b", "c")
        r.hset(p + "h", mapping={"f": "0.1"})
        for _ in range(10):
            r.spop(p + "s")
            r.hincrbyfloat(p + "h", "f", "0.1")
        r.spop(p + "s", 5)  # a few random members
        r.spop(p + "t", 45)  # most of the set (Redis's other strategy)
        r.spop(p + "all", 10)  # the whole set
        r.hincrbyfloat(p + "h", "g", "1e-3")
        r.smove(p + "s", p + "u", r.srandmember(p + "s"))
        r.sunionstore(p + "v", [p + "s", p + "t"])
        marker = p + "done"
        r.set(marker, "1")
        _wait_for(lambda: replica.exists(marker))
        for key in ("s", "t", "u", "v"):
            assert replica.smembers(p + key) == r.smembers(p + key), key
        assert replica.exists(p + "all") == 0
        assert replica.hgetall(p + "h") == r.hgetall(p + "h") == {b"f": b"1.1", b"g": b"0.001"}
    finally:
        r.delete(*[p + k for k in ("s", "t", "u", "v", "all", "h", "done")])
        r.close()
