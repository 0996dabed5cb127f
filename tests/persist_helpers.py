"""A dataset of every type (small and big encodings, binary data, TTLs, several databases) and a way to
compare two servers' datasets: shared by the persistence tests (ours) and the interop tests (ours and
redis-server loading each other's files)."""

from __future__ import annotations

import random
import time

import redis


def fill(port: int, seed: int = 1, dbs=(0,)):
    """Every type, small and big encodings, binary data, TTLs."""
    rnd = random.Random(seed)
    for db in dbs:
        r = redis.Redis(port=port, db=db)
        p = r.pipeline(transaction=False)
        p.set("str:int", 12345)
        p.set("str:neg", -7)
        p.set("str:bin", bytes(range(256)) + b"\r\n\x00end")
        p.set("str:big", rnd.randbytes(300_000))
        p.set("str:lzf", b"abcdefgh" * 5000)  # compressible: LZF in redis-server's files
        p.set("str:ttl", "v", px=500_000)
        p.rpush("list:small", "a", "b", "1", "2")
        p.rpush("list:big", *[rnd.choice([b"%d" % i, b"x" * rnd.randint(1, 200)]) for i in range(3000)])
        p.sadd("set:ints", *range(-50, 50))
        p.sadd("set:int64", 2**62, -2**40, 7)
        p.sadd("set:small", "a", "b", "c")
        p.sadd("set:big", *[b"m%d" % i for i in range(700)])
        p.hset("hash:small", mapping={"f1": "v1", "f2": "2"})
        p.hset("hash:big", mapping={b"f%d" % i: b"v" * rnd.randint(0, 100) for i in range(400)})
        p.zadd("zset:small", {"a": 1, "b": 2.5, "c": -3})
        p.zadd("zset:big", {b"m%d" % i: rnd.uniform(-1e6, 1e6) for i in range(300)})
        p.zadd("zset:inf", {"lo": float("-inf"), "hi": float("inf"), "mid": 0})
        p.hset("hash:ttl", "f", "v")
        p.pexpire("hash:ttl", 900_000)
        p.rpush("list:ttl", "x")
        p.expireat("list:ttl", int(time.time()) + 3600)
        p.execute()
        r.close()


def snapshot(port: int, dbs=(0,)) -> dict:
    """{(db, key): (type, value, pttl)}: everything observable about the dataset."""
    out = {}
    for db in dbs:
        r = redis.Redis(port=port, db=db)
        for key in r.scan_iter(count=1000):
            t = r.type(key)
            if t == b"string":
                v = r.get(key)
            elif t == b"list":
                v = tuple(r.lrange(key, 0, -1))
            elif t == b"set":
                v = frozenset(r.smembers(key))
            elif t == b"hash":
                v = tuple(sorted(r.hgetall(key).items()))
            elif t == b"zset":
                v = tuple(r.zrange(key, 0, -1, withscores=True))
            else:
                v = None
            pttl = r.pttl(key)
            out[(db, key)] = (t, v, pttl)
        r.close()
    return out


def same_dataset(a: dict, b: dict, ttl_slack_ms: int = 60_000) -> None:
    assert a.keys() == b.keys(), (set(a) ^ set(b))
    for k in a:
        ta, va, pa = a[k]
        tb, vb, pb = b[k]
        assert (ta, va) == (tb, vb), k
        assert (pa < 0) == (pb < 0), (k, pa, pb)
        if pa >= 0:
            assert abs(pa - pb) <= ttl_slack_ms, (k, pa, pb)
