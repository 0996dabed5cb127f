"""String and bitmap commands through redis-py (sync and asyncio, RESP2 and RESP3) against our server."""

from __future__ import annotations

import time

import pytest
import redis
import redis.asyncio as aredis


def _keys(r, prefix):
    found = list(r.scan_iter(match=prefix + "*"))
    if found:
        r.delete(*found)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(ours, request):
    client = redis.Redis(port=ours.port, protocol=request.param)
    client.prefix = "srp%d:" % request.param
    _keys(client, client.prefix)
    yield client
    _keys(client, client.prefix)
    client.close()


def test_set_get_options(r):
    k = r.prefix + "k"
    assert r.set(k, "v") is True
    assert r.get(k) == b"v"
    assert r.set(k, "w", nx=True) is None
    assert r.set(k, "w", xx=True) is True
    assert r.set(r.prefix + "absent", "w", xx=True) is None
    assert r.set(k, "x", get=True) == b"w"
    assert r.set(r.prefix + "new", "x", get=True) is None
    assert r.set(k, "y", ex=100) is True
    assert 99 <= r.ttl(k) <= 100
    assert r.set(k, "y", px=100000) is True
    assert 99000 <= r.pttl(k) <= 100000
    assert r.set(k, "z", keepttl=True) is True
    assert r.ttl(k) > 0
    assert r.set(k, "z") is True
    assert r.ttl(k) == -1
    at = int(time.time()) + 300
    assert r.set(k, "a", exat=at) is True
    assert r.expiretime(k) == at
    assert r.set(k, "a", pxat=at * 1000 + 5) is True
    assert r.pexpiretime(k) == at * 1000 + 5
    assert r.set(k, "b", exat=1) is True
    assert r.get(k) is None
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'set' command"):
        r.set(k, "v", ex=0)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SET", k, "v", "NX", "XX")
    with pytest.raises(redis.ResponseError, match="not an integer or out of range"):
        r.execute_command("SET", k, "v", "EX", "soon")
    assert r.setnx(k, "1") is True
    assert r.setnx(k, "2") is False
    assert r.execute_command("SETEX", k, 100, "v") is True
    assert r.psetex(k, 100000, "v") is True
    assert r.ttl(k) > 90
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'setex' command"):
        r.execute_command("SETEX", k, -1, "v")


def test_getex_getdel_getset(r):
    k = r.prefix + "k"
    r.set(k, "v")
    assert r.getex(k) == b"v"
    assert r.getex(k, ex=100) == b"v"
    assert 99 <= r.ttl(k) <= 100
    assert r.getex(k, persist=True) == b"v"
    assert r.ttl(k) == -1
    assert r.getex(k, px=50000) == b"v"
    assert r.pttl(k) > 40000
    assert r.getex(r.prefix + "none", ex=10) is None
    assert r.getex(k, exat=1) == b"v"
    assert r.exists(k) == 0
    r.set(k, "v")
    assert r.getdel(k) == b"v"
    assert r.getdel(k) is None
    assert r.getset(k, "a") is None
    assert r.getset(k, "b") == b"a"
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'getex' command"):
        r.execute_command("GETEX", k, "EX", "0")


def test_mset_mget(r):
    p = r.prefix
    assert r.mset({p + "a": "1", p + "b": "2"}) is True
    assert r.mget(p + "a", p + "b", p + "c") == [b"1", b"2", None]
    assert r.msetnx({p + "a": "x", p + "c": "3"}) is False
    assert r.msetnx({p + "c": "3", p + "d": "4"}) is True
    assert r.mget([p + "c", p + "d"]) == [b"3", b"4"]


def test_counters(r):
    k = r.prefix + "n"
    assert r.incr(k) == 1
    assert r.incrby(k, 10) == 11
    assert r.decr(k) == 10
    assert r.decrby(k, 4) == 6
    assert r.incrbyfloat(k, 1.5) == 7.5
    assert r.incrbyfloat(k, -7.5) == 0.0
    f = r.prefix + "f"
    assert r.incrbyfloat(f, 0.1) == pytest.approx(0.1)
    assert r.incrbyfloat(f, 0.2) == pytest.approx(0.3)
    assert r.get(f) == b"0.3"
    assert r.incrbyfloat(f, "3.0e3") == pytest.approx(3000.3)
    r.set(k, "9223372036854775807")
    with pytest.raises(redis.ResponseError, match="increment or decrement would overflow"):
        r.incr(k)
    r.set(k, "abc")
    with pytest.raises(redis.ResponseError, match="value is not an integer or out of range"):
        r.incr(k)
    with pytest.raises(redis.ResponseError, match="value is not a valid float"):
        r.incrbyfloat(k, 1)
    with pytest.raises(redis.ResponseError, match="increment would produce NaN or Infinity"):
        r.incrbyfloat(f, "inf")
    with pytest.raises(redis.ResponseError, match="decrement would overflow"):
        r.execute_command("DECRBY", k, "-9223372036854775808")


def test_append_ranges(r):
    k = r.prefix + "s"
    assert r.append(k, "Hello") == 5
    assert r.append(k, " World") == 11
    assert r.strlen(k) == 11
    assert r.getrange(k, 0, 4) == b"Hello"
    assert r.getrange(k, -5, -1) == b"World"
    assert r.substr(k, 6) == b"World"
    assert r.setrange(k, 6, "Redis") == 11
    assert r.get(k) == b"Hello Redis"
    assert r.setrange(r.prefix + "z", 3, "x") == 4
    assert r.get(r.prefix + "z") == b"\x00\x00\x00x"
    assert r.object("encoding", k) == b"raw"
    with pytest.raises(redis.ResponseError, match="offset is out of range"):
        r.setrange(k, -1, "x")
    with pytest.raises(redis.ResponseError, match="string exceeds maximum allowed size"):
        r.setrange(k, 512 * 1024 * 1024, "x")


def test_lcs(r):
    p = r.prefix
    r.mset({p + "a": "ohmytext", p + "b": "mynewtext"})
    assert r.lcs(p + "a", p + "b") == b"mytext"
    assert r.lcs(p + "a", p + "b", len=True) == 6
    res = r.lcs(p + "a", p + "b", idx=True, minmatchlen=4, withmatchlen=True)
    if isinstance(res, dict):  # RESP3 map
        res = [x for kv in res.items() for x in kv]
    assert res == [b"matches", [[[4, 7], [5, 8], 4]], b"len", 6]
    with pytest.raises(redis.ResponseError, match="If you want both the length and indexes"):
        r.lcs(p + "a", p + "b", len=True, idx=True)


def test_bitmaps(r):
    p = r.prefix
    k = p + "b"
    assert r.setbit(k, 7, 1) == 0
    assert r.setbit(k, 7, 0) == 1
    assert r.getbit(k, 100) == 0
    r.set(k, "foobar")
    assert r.bitcount(k) == 26
    assert r.bitcount(k, 1, 1) == 6
    assert r.bitcount(k, 5, 30, "BIT") == 17
    r.set(k, b"\xff\xf0\x00")
    assert r.bitpos(k, 0) == 12
    assert r.bitpos(k, 1, 2) == -1
    assert r.bitpos(k, 0, 7, 15, "BIT") == 12
    r.set(p + "x", b"\x0f")
    assert r.bitop("AND", p + "d", k, p + "x") == 3
    assert r.get(p + "d") == b"\x0f\x00\x00"
    assert r.bitop("NOT", p + "d", p + "x") == 1
    assert r.get(p + "d") == b"\xf0"
    with pytest.raises(redis.ResponseError, match="bit is not an integer or out of range"):
        r.execute_command("SETBIT", k, 0, 2)  # redis-py's setbit() sends 0 or 1 only
    with pytest.raises(redis.ResponseError, match="The bit argument must be 1 or 0"):
        r.execute_command("BITPOS", k, 3)
    with pytest.raises(redis.ResponseError, match="BITOP NOT must be called with a single source key"):
        r.bitop("NOT", p + "d", k, p + "x")


def test_bitfield(r):
    k = r.prefix + "bf"
    bf = r.bitfield(k)
    assert bf.set("u8", 0, 255).get("u8", 0).incrby("u8", 0, 10).execute() == [0, 255, 9]
    assert r.bitfield(k, default_overflow="FAIL").incrby("u8", 0, 300).execute() == [None]
    assert r.bitfield(k).overflow("SAT").incrby("i8", 0, 200).execute() == [127]
    assert r.bitfield_ro(k, "i8", 0, items=[("u4", 0), ("u4", 4)]) == [127, 7, 15]
    with pytest.raises(redis.ResponseError, match="Invalid bitfield type"):
        r.bitfield(k).get("u64", 0).execute()
    with pytest.raises(redis.ResponseError, match="BITFIELD_RO only supports the GET subcommand"):
        r.execute_command("BITFIELD_RO", k, "SET", "u8", "0", "1")


@pytest.mark.parametrize("protocol", [2, 3])
async def test_asyncio(ours, protocol):
    r = aredis.Redis(port=ours.port, protocol=protocol)
    p = "asrp%d:" % protocol
    try:
        await r.delete(p + "k", p + "n", p + "f", p + "b", p + "bf")
        assert await r.set(p + "k", "v", ex=100, get=True) is None
        assert await r.get(p + "k") == b"v"
        assert await r.getex(p + "k", persist=True) == b"v"
        assert await r.incrby(p + "n", 5) == 5
        assert await r.incrbyfloat(p + "f", 2.5) == 2.5
        assert await r.append(p + "k", "w") == 2
        assert await r.setbit(p + "b", 3, 1) == 0
        assert await r.bitcount(p + "b") == 1
        assert await r.bitfield(p + "bf").incrby("u4", 0, 17).execute() == [1]
        async with r.pipeline(transaction=False) as pipe:
            for i in range(100):
                pipe.incr(p + "n")
            res = await pipe.execute()
        assert res[-1] == 105
        with pytest.raises(redis.ResponseError, match="syntax error"):
            await r.execute_command("SET", p + "k", "v", "XX", "NX")
        await r.delete(p + "k", p + "n", p + "f", p + "b", p + "bf")
    finally:
        await r.aclose()
