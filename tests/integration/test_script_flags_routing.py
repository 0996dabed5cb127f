"""Whether EVAL / FCALL is a write depends on the flags its script declares (getCommandFlags): on a
replica a shebang script without `no-writes` is refused with -READONLY before it runs, and in a cluster a
READONLY client on a replica is sent to the master (MOVED) for it.  Same bytes as redis-server."""

from __future__ import annotations

import pytest

from helpers import (RawClient, cluster_nodes, create_cluster, start_cluster_nodes, start_server, wait_cluster_ok,
                     wait_until)

WRITES = "#!lua\nreturn redis.call('get', KEYS[1])"
NO_WRITES = "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])"
NO_SHEBANG = "return redis.call('get', KEYS[1])"
LIB = ("#!lua name=lib\n"
       "redis.register_function('w', function(keys) return redis.call('get', keys[1]) end)\n"
       "redis.register_function{function_name='r', callback=function(keys) return redis.call('get', keys[1]) end,"
       " flags={'no-writes'}}")


def _replica_replies(kind: str) -> list:
    master = start_server(kind)
    replica = None
    try:
        with RawClient(master.port) as m:
            m.call("SET", "k", "v")
            m.call("FUNCTION", "LOAD", LIB)
            sha = m.call("SCRIPT", "LOAD", WRITES).split(b"\r\n")[1].decode()
        replica = start_server(kind, args=["--replicaof", "127.0.0.1", str(master.port)])

        def synced():
            with RawClient(replica.port) as r:
                return r.call("GET", "k") == b"$1\r\nv\r\n"
        wait_until(synced, 20, what="replica synced")
        with RawClient(replica.port) as r:
            r.call("SCRIPT", "LOAD", WRITES)
            return [r.call("EVAL", WRITES, 1, "k"), r.call("EVAL", NO_WRITES, 1, "k"),
                    r.call("EVAL", NO_SHEBANG, 1, "k"), r.call("EVALSHA", sha, 1, "k"),
                    r.call("EVAL_RO", NO_WRITES, 1, "k"), r.call("FCALL", "w", 1, "k"),
                    r.call("FCALL", "r", 1, "k"), r.call("FCALL_RO", "r", 1, "k")]
    finally:
        for s in (replica, master):
            if s is not None:
                s.stop()


def test_script_flags_decide_readonly_on_a_replica():
    ours, redis = _replica_replies("ours"), _replica_replies("redis")
    assert ours == redis
    assert ours[0].startswith(b"-READONLY") and ours[1] == b"$1\r\nv\r\n" and ours[2] == b"$1\r\nv\r\n"


@pytest.mark.parametrize("kind", ["ours", "redis"])
def test_readonly_client_on_a_cluster_replica_is_moved_for_a_writing_script(kind):
    nodes = start_cluster_nodes([kind] * 4)
    try:
        res = create_cluster(nodes[:3])
        assert res.returncode == 0, res.stdout + res.stderr
        wait_cluster_ok(nodes[:3])
        owner = None
        for n in nodes[:3]:
            with RawClient(n.port) as c:
                if c.call("SET", "k", "v") == b"+OK\r\n":
                    owner = n
        mid = next(e["id"] for e in cluster_nodes(owner.port) if "myself" in e["flags"])
        with RawClient(nodes[3].port) as r:
            r.call("CLUSTER", "MEET", "127.0.0.1", owner.port)
        wait_until(lambda: any(e["id"] == mid for e in cluster_nodes(nodes[3].port)), 20, what="meet")
        with RawClient(nodes[3].port) as r:
            assert r.call("CLUSTER", "REPLICATE", mid) == b"+OK\r\n"

        def synced():
            with RawClient(nodes[3].port) as r:
                r.call("READONLY")
                return r.call("GET", "k") == b"$1\r\nv\r\n"
        wait_until(synced, 30, what="replica serves reads")
        with RawClient(nodes[3].port) as r:
            r.call("READONLY")
            assert r.call("EVAL", NO_WRITES, 1, "k") == b"$1\r\nv\r\n"
            assert r.call("EVAL", WRITES, 1, "k").startswith(b"-MOVED ")
            assert r.call("EVAL", NO_SHEBANG, 1, "k") == b"$1\r\nv\r\n"  # no flags declared: a read here
    finally:
        for n in nodes:
            n.stop()
