"""Sorted sets through redis-py (sync and asyncio, RESP2 and RESP3): every call gives the same Python
value from our server as from redis-server 7.0, so redis-py's reply parsing sees identical replies."""

from __future__ import annotations

import pytest
import redis
import redis.asyncio as aredis

PREFIX = "rpz:"


def _calls(p):
    """The same sequence of redis-py sorted set calls, for a client or a pipeline-like object ``p``."""
    k = PREFIX + "k"
    k2 = PREFIX + "k2"
    d = PREFIX + "d"
    s = PREFIX + "s"
    return [
        lambda: p.delete(k, k2, d, s),
        lambda: p.zadd(k, {"a": 1, "b": 2.5, "c": 3, "d": float("inf"), "e": -1e-3}),
        lambda: p.zadd(k, {"a": 5}, nx=True),
        lambda: p.zadd(k, {"a": 5, "z": 0}, xx=True, ch=True),
        lambda: p.zadd(k, {"a": 4}, gt=True, ch=True),
        lambda: p.zadd(k, {"a": 1}, lt=True, ch=True),
        lambda: p.zadd(k, {"b": 0.5}, incr=True),
        lambda: p.zadd(k, {"nope": 1}, xx=True, incr=True),
        lambda: p.zincrby(k, 0.1, "c"),
        lambda: p.zcard(k),
        lambda: p.zscore(k, "b"),
        lambda: p.zscore(k, "nope"),
        lambda: p.zmscore(k, ["a", "nope", "d"]),
        lambda: p.zrank(k, "c"),
        lambda: p.zrevrank(k, "c"),
        lambda: p.zrank(k, "nope"),
        lambda: p.zcount(k, "(1", "+inf"),
        lambda: p.zrange(k, 0, -1),
        lambda: p.zrange(k, 0, -1, withscores=True),
        lambda: p.zrange(k, 0, 1, desc=True, withscores=True),
        lambda: p.zrange(k, "(1", "inf", byscore=True, offset=1, num=2, withscores=True),
        lambda: p.zrange(k, "+inf", "-inf", byscore=True, desc=True),
        lambda: p.zrevrange(k, 0, 2, withscores=True),
        lambda: p.zrangebyscore(k, 1, 3, withscores=True),
        lambda: p.zrevrangebyscore(k, "+inf", "(1", start=0, num=2, withscores=True),
        lambda: p.zrangestore(d, k, 0, 2),
        lambda: p.zrange(d, 0, -1, withscores=True),
        lambda: p.zadd(k2, {"a": 0, "b": 0, "c": 0, "d": 0}),
        lambda: p.zrangebylex(k2, "[b", "+"),
        lambda: p.zrevrangebylex(k2, "+", "(a", start=1, num=2),
        lambda: p.zlexcount(k2, "-", "(c"),
        lambda: p.zunion([k, k2], withscores=True),
        lambda: p.zunion({k: 2, k2: 3}, aggregate="MAX", withscores=True),
        lambda: p.zinter([k, k2], withscores=True),
        lambda: p.zinter([k, k2], aggregate="MIN"),
        lambda: p.zdiff([k, k2], withscores=True),
        lambda: p.zintercard(2, [k, k2], limit=2),
        lambda: p.zunionstore(d, [k, k2]),
        lambda: p.zinterstore(d, {k: 1, k2: -1}),
        lambda: p.zdiffstore(d, [k, k2]),
        lambda: p.zrange(d, 0, -1, withscores=True),
        lambda: p.sadd(s, "a", "q"),
        lambda: p.zunion([k2, s], withscores=True),
        lambda: p.zrem(k, "z", "nope"),
        lambda: p.zremrangebyrank(k2, 0, 0),
        lambda: p.zremrangebyscore(k, "-inf", "(0"),
        lambda: p.zremrangebylex(k2, "[c", "+"),
        lambda: p.zpopmin(k),
        lambda: p.zpopmax(k, 2),
        lambda: p.zmpop(2, [PREFIX + "none", k2], min=True, count=5),
        lambda: p.zmpop(1, [PREFIX + "none"], max=True),
        lambda: p.bzpopmin([PREFIX + "none", k], timeout=1),
        lambda: p.zadd(k, {"x": 1, "y": 2}),
        lambda: p.bzpopmax(k, timeout=1),
        lambda: p.bzmpop(1, 1, [k], min=True, count=3),
        lambda: p.bzpopmin(PREFIX + "none", timeout=0.01),
        lambda: p.zrandmember(k, 5, withscores=True),
        lambda: p.zadd(k, {"m%d" % i: i for i in range(10)}),
        lambda: p.zrandmember(k, 20, withscores=True),
        lambda: p.zscan(k, 0, match="m1*"),
        lambda: p.zscan(PREFIX + "none", 0),
        lambda: p.delete(k, k2, d, s),
    ]


def _errors(r):
    with pytest.raises(redis.ResponseError, match="GT, LT, and/or NX options"):
        r.execute_command("ZADD", PREFIX + "e", "NX", "GT", 1, "a")
    with pytest.raises(redis.ResponseError, match="resulting score is not a number"):
        r.zadd(PREFIX + "e", {"a": float("inf")})
        r.zincrby(PREFIX + "e", float("-inf"), "a")
    with pytest.raises(redis.ResponseError, match="min or max is not a float"):
        r.zcount(PREFIX + "e", "x", 1)
    with pytest.raises(redis.ResponseError, match="min or max not valid string range item"):
        r.zlexcount(PREFIX + "e", "a", "b")
    r.set(PREFIX + "str", "v")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.zadd(PREFIX + "str", {"a": 1})
    r.delete(PREFIX + "e", PREFIX + "str")


@pytest.mark.parametrize("protocol", [2, 3])
def test_sync_same_values_as_redis(ours, theirs, protocol):
    mine = redis.Redis(port=ours.port, protocol=protocol)
    real = redis.Redis(port=theirs.port, protocol=protocol)
    try:
        for i, (a, b) in enumerate(zip(_calls(mine), _calls(real))):
            got, want = a(), b()
            assert got == want, (i, got, want)
        _errors(mine)
        results = []
        for r in (mine, real):
            with r.pipeline(transaction=True) as p:
                p.zadd(PREFIX + "t", {"a": 1, "b": 2})
                p.zincrby(PREFIX + "t", 2, "a")
                p.zrange(PREFIX + "t", 0, -1, withscores=True)
                p.zpopmin(PREFIX + "t")
                p.delete(PREFIX + "t")
                results.append(p.execute())
        assert results[0] == results[1]
        assert results[0][:2] == [2, 3.0]
        assert {m for m, _ in mine.zscan_iter(PREFIX + "none")} == set()
        mine.zadd(PREFIX + "big", {"m%d" % i: i for i in range(500)})
        assert dict(mine.zscan_iter(PREFIX + "big", count=37)) == {b"m%d" % i: float(i) for i in range(500)}
        assert mine.object("encoding", PREFIX + "big") == b"skiplist"
        mine.delete(PREFIX + "big")
    finally:
        mine.close()
        real.close()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_asyncio_same_values_as_redis(ours, theirs, protocol):
    mine = aredis.Redis(port=ours.port, protocol=protocol)
    real = aredis.Redis(port=theirs.port, protocol=protocol)
    try:
        for i, (a, b) in enumerate(zip(_calls(mine), _calls(real))):
            got, want = await a(), await b()
            assert got == want, (i, got, want)
        async with mine.pipeline(transaction=False) as p:
            for i in range(100):
                p.zadd(PREFIX + "ap", {"m%d" % i: i})
            p.zrange(PREFIX + "ap", 0, 2, withscores=True)
            p.zrangebyscore(PREFIX + "ap", 97, "+inf")
            res = await p.execute()
        assert res[:100] == [1] * 100
        assert [tuple(x) for x in res[100]] == [(b"m0", 0.0), (b"m1", 1.0), (b"m2", 2.0)]
        assert res[101] == [b"m97", b"m98", b"m99"]
        assert [m async for m, _ in mine.zscan_iter(PREFIX + "ap", match="m9?")] == [b"m%d" % i for i in range(90, 100)]
        await mine.delete(PREFIX + "ap")
    finally:
        await mine.aclose()
        await real.aclose()


# -- replication: what replicas (and the AOF) receive -----------------------------------------------------------

def _wait_for(predicate, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met within %.1f s" % timeout)


@pytest.fixture
def redis_replica(ours):
    """Debian's redis-server replicating our server: its MONITOR shows the stream we propagate."""
    import shutil

    from helpers import start_server

    srv = start_server("redis")
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


def test_replica_receives_pops_as_zpop(ours, redis_replica):
    import threading

    from helpers import RawClient, encode_command

    r = redis.Redis(port=ours.port)
    p = PREFIX + "repl:"
    mon = RawClient(redis_replica.connection_pool.connection_kwargs["port"])
    assert mon.call("MONITOR") == b"+OK\r\n"
    try:
        r.zadd(p + "z", {"m%d" % i: i for i in range(20)})
        r.zadd(p + "z", {"m0": -0.0, "x": 0.5}, ch=True)
        r.zincrby(p + "z", 0.25, "x")
        r.zmpop(2, [p + "none", p + "z"], min=True, count=3)
        r.bzpopmax(p + "z", timeout=1)
        r.bzmpop(1, 1, [p + "z"], max=True, count=2)
        r.zpopmin(p + "z", 2)
        r.zrangestore(p + "d", p + "z", 0, 4)
        r.zunionstore(p + "u", [p + "z", p + "d"], aggregate="MAX")
        r.zremrangebyscore(p + "z", 10, 12)
        # a client blocked first, served by a later ZADD
        blocked = RawClient(ours.port)
        blocked.send_raw(encode_command("BZPOPMIN", p + "b", "5"))
        r.ping()
        t = threading.Timer(0.05, lambda: r.zadd(p + "b", {"first": 1, "second": 2}))
        t.start()
        bkey = (p + "b").encode()
        assert blocked.read_reply() == b"*3\r\n$%d\r\n%s\r\n$5\r\nfirst\r\n$1\r\n1\r\n" % (len(bkey), bkey)
        t.join()
        blocked.close()
        r.set(p + "done", 1)
        _wait_for(lambda: redis_replica.exists(p + "done"))
        for key in ("z", "d", "u", "b"):
            assert redis_replica.zrange(p + key, 0, -1, withscores=True) == r.zrange(p + key, 0, -1, withscores=True)
        stream = b""
        mon.sock.settimeout(0.5)
        try:
            while b"done" not in stream:
                stream += mon.sock.recv(65536)
        except OSError:
            pass
        lines = [ln.split(b"] ", 1)[1] for ln in stream.split(b"\r\n") if b"] " in ln]
        pops = [ln for ln in lines if b"POP" in ln.upper()]
        key = b'"' + p.encode()
        assert pops == [
            b'"ZPOPMIN" ' + key + b'z" "3"',
            b'"ZPOPMAX" ' + key + b'z"',
            b'"ZPOPMAX" ' + key + b'z" "2"',
            b'"ZPOPMIN" ' + key + b'z" "2"',
            b'"ZPOPMIN" ' + key + b'b"',
        ], pops
    finally:
        mon.close()
        r.delete(*[p + k for k in ("z", "d", "u", "b", "done")])
        r.close()
