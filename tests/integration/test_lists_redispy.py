"""List commands through redis-py (sync RESP2 and RESP3, asyncio) against our server."""

from __future__ import annotations

import pytest
import redis
import redis.asyncio as aredis


def _clean(client, prefix):
    found = list(client.scan_iter(match=prefix + "*"))
    if found:
        client.delete(*found)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(ours, request):
    client = redis.Redis(port=ours.port, protocol=request.param, socket_timeout=10)
    client.prefix = "lrp%d:" % request.param
    _clean(client, client.prefix)
    yield client
    _clean(client, client.prefix)
    client.close()


def test_push_pop_len(r):
    k = r.prefix + "l"
    assert r.lpush(k, "b", "a") == 2
    assert r.rpush(k, "c", "d", "e") == 5
    assert r.lpushx(k, "z") == 6
    assert r.rpushx(r.prefix + "none", "x") == 0
    assert r.llen(k) == 6
    assert r.lpop(k) == b"z"
    assert r.rpop(k) == b"e"
    assert r.lpop(k, 2) == [b"a", b"b"]
    assert r.rpop(k, 10) == [b"d", b"c"]
    assert r.exists(k) == 0
    assert r.lpop(k) is None
    assert r.lpop(k, 3) is None
    assert r.llen(k) == 0
    r.rpush(k, "x")
    assert r.lpop(k, 0) == []


def test_index_set_range_trim(r):
    k = r.prefix + "l"
    r.rpush(k, *"abcdef")
    assert r.lindex(k, 0) == b"a"
    assert r.lindex(k, -1) == b"f"
    assert r.lindex(k, 10) is None
    assert r.lset(k, 1, "B") is True
    assert r.lrange(k, 0, 2) == [b"a", b"B", b"c"]
    assert r.lrange(k, -2, -1) == [b"e", b"f"]
    assert r.lrange(k, 4, 1) == []
    assert r.ltrim(k, 1, -2) is True
    assert r.lrange(k, 0, -1) == [b"B", b"c", b"d", b"e"]
    assert r.ltrim(k, 5, 10) is True
    assert r.exists(k) == 0
    with pytest.raises(redis.ResponseError, match="^no such key$"):
        r.lset(k, 0, "x")
    r.rpush(k, "a")
    with pytest.raises(redis.ResponseError, match="^index out of range$"):
        r.lset(k, 3, "x")


def test_rem_insert_pos(r):
    k = r.prefix + "l"
    r.rpush(k, "a", "b", "a", "c", "a")
    assert r.lpos(k, "a") == 0
    assert r.lpos(k, "a", rank=2) == 2
    assert r.lpos(k, "a", rank=-1) == 4
    assert r.lpos(k, "a", count=0) == [0, 2, 4]
    assert r.lpos(k, "a", rank=-1, count=2) == [4, 2]
    assert r.lpos(k, "a", count=0, maxlen=3) == [0, 2]
    assert r.lpos(k, "zz") is None
    assert r.lpos(k, "zz", count=1) == []
    with pytest.raises(redis.ResponseError, match="RANK can't be zero"):
        r.lpos(k, "a", rank=0)
    assert r.lrem(k, -1, "a") == 1
    assert r.lrange(k, 0, -1) == [b"a", b"b", b"a", b"c"]
    assert r.lrem(k, 0, "a") == 2
    assert r.linsert(k, "BEFORE", "c", "x") == 3
    assert r.linsert(k, "AFTER", "c", "y") == 4
    assert r.linsert(k, "AFTER", "nope", "y") == -1
    assert r.linsert(r.prefix + "none", "AFTER", "a", "y") == 0
    assert r.lrange(k, 0, -1) == [b"b", b"x", b"c", b"y"]


def test_moves_and_mpop(r):
    a, b = r.prefix + "a", r.prefix + "b"
    r.rpush(a, "1", "2", "3")
    assert r.lmove(a, b, "LEFT", "RIGHT") == b"1"
    assert r.rpoplpush(a, b) == b"3"
    assert r.lrange(b, 0, -1) == [b"3", b"1"]
    assert r.lmove(r.prefix + "none", b) is None
    assert r.lmpop(2, r.prefix + "none", a, direction="RIGHT") == [a.encode(), [b"2"]]
    assert r.lmpop(1, b, direction="LEFT", count=5) == [b.encode(), [b"3", b"1"]]
    assert r.lmpop(2, a, b, direction="LEFT") is None


def test_blocking_forms_with_data(r):
    a, b = r.prefix + "a", r.prefix + "b"
    r.rpush(a, "1", "2", "3", "4")
    # redis-py answers a tuple in RESP2 and a list in RESP3
    assert tuple(r.blpop([b, a], timeout=1)) == (a.encode(), b"1")
    assert tuple(r.brpop([a], timeout=0)) == (a.encode(), b"4")
    assert r.blmove(a, b, 1, "LEFT", "LEFT") == b"2"
    assert r.brpoplpush(a, b, 1) == b"3"
    assert r.blmpop(1, 1, b, direction="RIGHT", count=2) == [b.encode(), [b"2", b"3"]]
    assert r.blpop([a, b], timeout=0.05) is None
    assert r.blmpop(0.05, 2, a, b, direction="LEFT") is None


def test_errors(r):
    s = r.prefix + "s"
    r.set(s, "v")
    for call in (lambda: r.lpush(s, "x"), lambda: r.lrange(s, 0, 1), lambda: r.blpop([s], 1), lambda: r.llen(s),
                 lambda: r.lpos(s, "x"), lambda: r.lmove(r.prefix + "l" if r.rpush(r.prefix + "l", 1) else "", s)):
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
            call()
    with pytest.raises(redis.ResponseError, match="^timeout is not a float or out of range$"):
        r.blpop([r.prefix + "x"], timeout="x")
    with pytest.raises(redis.ResponseError, match="^timeout is negative$"):
        r.execute_command("BLPOP", r.prefix + "x", "-1")
    with pytest.raises(redis.ResponseError, match="^value is out of range, must be positive$"):
        r.lpop(r.prefix + "l", -1)
    with pytest.raises(redis.ResponseError, match="^numkeys should be greater than 0$"):
        r.execute_command("LMPOP", "0", "k", "LEFT")
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        r.execute_command("LMOVE", "a", "b", "UP", "LEFT")


async def _async_body(port, protocol):
    client = aredis.Redis(port=port, protocol=protocol)
    p = "alrp%d:" % protocol
    try:
        await client.delete(p + "l", p + "d")
        assert await client.rpush(p + "l", "a", "b", "c") == 3
        assert await client.lrange(p + "l", 0, -1) == [b"a", b"b", b"c"]
        assert await client.lpop(p + "l", 2) == [b"a", b"b"]
        assert await client.lpos(p + "l", "c") == 0
        assert await client.blmove(p + "l", p + "d", 1, "RIGHT", "LEFT") == b"c"
        assert await client.blpop([p + "l"], timeout=0.05) is None
        async with client.pipeline(transaction=False) as pipe:
            pipe.lpush(p + "l", "x")
            pipe.blpop([p + "l"], timeout=1)
            pipe.llen(p + "l")
            res = await pipe.execute()
            assert res[0] == 1 and tuple(res[1]) == (p.encode() + b"l", b"x") and res[2] == 0
        await client.delete(p + "d")
    finally:
        await client.aclose()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_asyncio(ours, protocol):
    await _async_body(ours.port, protocol)
