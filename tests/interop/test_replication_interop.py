"""Replication across implementations: Debian's redis-server replicating our master, and our node
replicating a redis-server master.  Both complete a full sync, resume with a partial resync after the
link drops, and carry a mixed data set (every type, small and large encodings, expiring keys) intact."""

from __future__ import annotations

import shutil

import pytest
import redis

from helpers import start_server, wait_until


def populate(r: redis.Redis, prefix: str) -> None:
    p = prefix
    r.set(p + "int", 12345)
    r.set(p + "small", "hello")
    r.set(p + "raw", "x" * 100)
    r.set(p + "big", "abc" * 50000)
    r.set(p + "ttl", "soon", ex=1000)
    r.rpush(p + "list", *[str(i) for i in range(10)])
    r.rpush(p + "biglist", *[("item%d" % i) * 3 for i in range(3000)])
    r.hset(p + "hash", mapping={"f%d" % i: "v%d" % i for i in range(10)})
    r.hset(p + "bighash", mapping={"f%d" % i: "v" * 100 for i in range(700)})
    r.sadd(p + "intset", *range(20))
    r.sadd(p + "set", *["m%d" % i for i in range(600)])
    r.zadd(p + "zset", {"a": 1.5, "b": 2, "c": -3.25})
    r.zadd(p + "bigzset", {"m%d" % i: i * 0.5 for i in range(300)})
    r.pexpire(p + "bighash", 10_000_000)


def snapshot(r: redis.Redis, prefix: str) -> dict:
    out = {}
    for k in sorted(r.keys(prefix + "*")):
        t = r.type(k)
        if t == b"string":
            v = r.get(k)
        elif t == b"list":
            v = r.lrange(k, 0, -1)
        elif t == b"hash":
            v = sorted(r.hgetall(k).items())
        elif t == b"set":
            v = sorted(r.smembers(k))
        elif t == b"zset":
            v = r.zrange(k, 0, -1, withscores=True)
        else:
            v = None
        out[k] = (t, v, r.pttl(k) > 0)
    return out


def linked(r: redis.Redis) -> bool:
    return r.info("replication").get("master_link_status") == "up"


@pytest.mark.parametrize("master_kind,replica_kind", [("ours", "redis"), ("redis", "ours")])
def test_cross_replication(master_kind, replica_kind):
    m = start_server(master_kind)
    s = start_server(replica_kind, args=["--repl-diskless-sync-delay", "0"])
    try:
        rm, rs = redis.Redis(port=m.port), redis.Redis(port=s.port)
        populate(rm, "a:")
        rs.replicaof("127.0.0.1", m.port)
        wait_until(lambda: linked(rs), timeout=30, what="full sync")
        wait_until(lambda: snapshot(rs, "a:") == snapshot(rm, "a:"), timeout=10, what="data after full sync")
        # the stream: writes after the sync arrive
        populate(rm, "b:")
        wait_until(lambda: snapshot(rs, "b:") == snapshot(rm, "b:"), timeout=10, what="streamed data")
        assert rs.ttl("b:ttl") > 900
        # drop the link from the master side: the replica comes back with a partial resync
        assert rm.client_kill_filter(_type="replica") >= 1
        rm.set("c:after-drop", "1")
        rm.delete("a:biglist")
        wait_until(lambda: linked(rs) and rs.get("c:after-drop") == b"1" and not rs.exists("a:biglist"),
                   timeout=20, what="resynced after the link drop")
        log = s.log()
        assert "Successful partial resynchronization with master." in log, log[-2000:]
        assert snapshot(rs, "") == snapshot(rm, "")
        rm.close()
        rs.close()
    finally:
        for srv in (m, s):
            srv.stop()
            shutil.rmtree(srv.workdir, ignore_errors=True)
