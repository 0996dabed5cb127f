"""A real cluster of six pyredis-server processes, started from conf/7000.conf ... 7005.conf (ports
overridden with free ones) and joined by Debian's ``redis-cli --cluster create``; used through
redis-cli -c and redis-py's RedisCluster (sync and asyncio); then a node is killed and restarted."""

from __future__ import annotations

import os
import shutil
import time

import pytest
import redis
import redis.asyncio as aredis
from redis.cluster import ClusterNode as PyClusterNode

from helpers import (ROOT, RawClient, cluster_info, cluster_nodes, create_cluster, redis_cli, start_cluster_nodes,
                     start_server, wait_cluster_ok, wait_until, cluster_args)

NODE_TIMEOUT = 3000


@pytest.fixture(scope="module")
def cluster6():
    confs = [os.path.join(ROOT, "conf", "%d.conf" % (7000 + i)) for i in range(6)]
    nodes = start_cluster_nodes(["ours"] * 6, NODE_TIMEOUT, config_files=confs)
    try:
        create_cluster(nodes, replicas=0)
        wait_cluster_ok(nodes)
        yield nodes
    finally:
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


def test_all_nodes_ok_and_redis_cli_check_passes(cluster6):
    for n in cluster6:
        info = cluster_info(n.port)
        assert info["cluster_state"] == "ok"
        assert info["cluster_slots_assigned"] == "16384"
        assert info["cluster_known_nodes"] == "6"
        assert info["cluster_size"] == "6"
    res = redis_cli("--cluster", "check", "127.0.0.1:%d" % cluster6[0].port)
    out = res.stdout.decode()
    assert res.returncode == 0, out
    assert "[OK] All nodes agree about slots configuration." in out
    assert "[OK] All 16384 slots covered." in out
    # every node has a distinct configEpoch (redis-cli sent SET-CONFIG-EPOCH 1..6)
    epochs = {n["epoch"] for n in cluster_nodes(cluster6[0].port) if "master" in n["flags"]}
    assert len(epochs) == 6


def test_redis_cli_follows_redirects(cluster6):
    port = cluster6[0].port
    for i in range(50):
        assert redis_cli("-c", "-p", port, "SET", "cli:%d" % i, "v%d" % i).stdout == b"OK\n"
    for n in cluster6:
        for i in (0, 17, 49):
            assert redis_cli("-c", "-p", n.port, "GET", "cli:%d" % i).stdout == b"v%d\n" % i


def test_moved_and_crossslot_replies(cluster6):
    owner = {}
    for n in cluster6:
        for entry in cluster_nodes(n.port):
            if "myself" in entry["flags"]:
                owner[entry["id"]] = n
    with RawClient(cluster6[0].port) as c:
        slot = int(c.call("CLUSTER", "KEYSLOT", "foo")[1:-2])
        reply = c.call("GET", "foo")
        if reply.startswith(b"-MOVED"):
            assert reply.startswith(b"-MOVED %d 127.0.0.1:" % slot)
            target_port = int(reply.split(b":")[1])
            assert target_port in [n.port for n in cluster6]
        assert c.call("MSET", "{a}1", "x", "{b}2", "y") == b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
        assert c.call("CLUSTER", "COUNTKEYSINSLOT", "99999") == b"-ERR Invalid slot\r\n"


def test_redis_py_cluster_sync(cluster6):
    rc = redis.RedisCluster(startup_nodes=[PyClusterNode("127.0.0.1", cluster6[0].port)], decode_responses=True)
    try:
        for i in range(600):
            assert rc.set("py:%d" % i, str(i))
        for i in range(600):
            assert rc.get("py:%d" % i) == str(i)
        # keys live on the node owning their slot
        slots_with_keys = {rc.keyslot("py:%d" % i) for i in range(600)}
        assert len(slots_with_keys) > 500
        assert rc.mset_nonatomic({"{t}a": "1", "{t}b": "2"}) is not None
        assert rc.mget_nonatomic(["{t}a", "{t}b"]) == ["1", "2"]
        total = sum(int(rc.execute_command("DBSIZE", target_nodes=rc.get_node("127.0.0.1", n.port)))
                    for n in cluster6)
        assert total >= 602
    finally:
        rc.close()


async def test_redis_py_cluster_asyncio(cluster6):
    rc = aredis.RedisCluster(host="127.0.0.1", port=cluster6[1].port)
    try:
        for i in range(300):
            await rc.set("apy:%d" % i, i)
        for i in range(0, 300, 7):
            assert await rc.get("apy:%d" % i) == str(i).encode()
    finally:
        await rc.aclose()


def test_killed_node_marked_fail_then_rejoins(cluster6):
    victim = cluster6[5]
    victim_id = next(e["id"] for e in cluster_nodes(victim.port) if "myself" in e["flags"])
    others = cluster6[:5]
    victim.kill()
    t0 = time.monotonic()

    def all_see_fail():
        return all(any(e["id"] == victim_id and "fail" in e["flags"] for e in cluster_nodes(n.port)) for n in others)

    wait_until(all_see_fail, timeout=NODE_TIMEOUT / 1000 + 2, interval=0.05, what="FAIL on every node")
    elapsed = time.monotonic() - t0
    assert elapsed <= NODE_TIMEOUT / 1000 + 2
    # its slots are uncovered: the cluster refuses keys everywhere
    wait_until(lambda: all(cluster_info(n.port)["cluster_state"] == "fail" for n in others), timeout=5,
               what="cluster_state:fail")
    with RawClient(others[0].port) as c:
        assert c.call("GET", "anykey") == b"-CLUSTERDOWN The cluster is down\r\n"
    # restart from its nodes.conf: same id, rejoins, cluster ok again
    restarted = start_server("ours", port=victim.port, workdir=victim.workdir,
                             config_file=os.path.join(ROOT, "conf", "7005.conf"),
                             args=cluster_args(victim.port, NODE_TIMEOUT) + ["--pidfile", "", "--appendonly", "no",
                                                                             "--logfile", ""])
    cluster6[5] = restarted
    me = next(e for e in cluster_nodes(restarted.port) if "myself" in e["flags"])
    assert me["id"] == victim_id and me["slots"]
    wait_cluster_ok(cluster6, timeout=4 * NODE_TIMEOUT / 1000 + 10)
    assert redis_cli("-c", "-p", others[0].port, "SET", "after", "restart").stdout == b"OK\n"


def test_redis_benchmark_cluster_mode(cluster6):
    """redis-benchmark --cluster discovers the masters (CLUSTER NODES) and spreads keys over slots."""
    import subprocess

    res = subprocess.run(["redis-benchmark", "--cluster", "-p", str(cluster6[0].port), "-t", "set,get,incr",
                          "-n", "3000", "-c", "10", "-r", "10000", "-q"], capture_output=True, timeout=120)
    out = res.stdout.decode().replace("\r", "\n")
    assert res.returncode == 0, res.stderr.decode()
    for test in ("SET", "GET", "INCR"):
        assert "%s: " % test in out and "requests per second" in out
    assert "ERR" not in out and "MOVED" not in out
