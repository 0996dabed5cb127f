"""The tutorial's fault-tolerance scenario on real processes: six pyredis-server nodes from conf/,
``redis-cli --cluster create --cluster-replicas 1``; data written and acknowledged with WAIT 1; a master
killed with SIGKILL: its replica is elected within node timeout + 3 s, every acknowledged key is still
readable and writes succeed; the old master comes back as a replica and resyncs; losing the majority of
masters brings CLUSTERDOWN."""

from __future__ import annotations

import os
import shutil
import time

import pytest
import redis
from redis.cluster import ClusterNode as PyClusterNode

from helpers import (ROOT, RawClient, cluster_args, cluster_info, cluster_nodes, create_cluster, start_cluster_nodes,
                     start_server, wait_cluster_ok, wait_until)

NODE_TIMEOUT = 3000


def node_id(n) -> str:
    return next(e["id"] for e in cluster_nodes(n.port) if "myself" in e["flags"])


def replica_synced(n) -> bool:
    with RawClient(n.port) as c:
        info = c.call("INFO", "replication").decode()
    return "master_link_status:up" in info


@pytest.fixture(scope="module")
def cluster():
    confs = [os.path.join(ROOT, "conf", "%d.conf" % (7000 + i)) for i in range(6)]
    nodes = start_cluster_nodes(["ours"] * 6, NODE_TIMEOUT, config_files=confs)
    try:
        create_cluster(nodes, replicas=1)
        wait_cluster_ok(nodes)
        ids = {node_id(n): n for n in nodes}
        replicas = [n for n in nodes if "slave" in next(e for e in cluster_nodes(n.port) if "myself" in e["flags"])["flags"]]
        assert len(replicas) == 3
        for r in replicas:
            wait_until(lambda r=r: replica_synced(r), timeout=20, what="replica %d synced" % r.port)
        # every node must know the roles (a replica announces itself with its next heartbeat)
        wait_until(lambda: all(sum("slave" in e["flags"] for e in cluster_nodes(n.port)) == 3 for n in nodes),
                   timeout=20, what="every node knows the three replicas")
        yield nodes, ids
    finally:
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


def masters_and_replicas(nodes, ids):
    view = cluster_nodes(nodes[0].port)
    masters = {e["id"]: e for e in view if "master" in e["flags"] and e["slots"]}
    replica_of = {e["master"]: e["id"] for e in view if "slave" in e["flags"]}
    return masters, replica_of


def test_failover_keeps_acknowledged_writes(cluster):
    nodes, ids = cluster
    masters, replica_of = masters_and_replicas(nodes, ids)
    rc = redis.RedisCluster(startup_nodes=[PyClusterNode("127.0.0.1", nodes[0].port)])
    written = {}
    try:
        for i in range(400):
            rc.set("fo:%d" % i, "v%d" % i)
            written["fo:%d" % i] = b"v%d" % i
        # every master acknowledges its writes with WAIT 1 on the same connection
        for mid in masters:
            m = ids[mid]
            r = redis.Redis(port=m.port)
            slots = set()
            for spec in masters[mid]["slots"]:
                a, _, b = spec.partition("-")
                slots.update(range(int(a), int(b or a) + 1))
            mine = [k for k in written if rc.keyslot(k) in slots]
            for k in mine:
                r.set(k, written[k])
            assert r.execute_command("WAIT", 1, 5000) == 1
            r.close()
        # kill the master of slot 0
        victim_id = next(mid for mid, e in masters.items() if any(s.split("-")[0] == "0" for s in e["slots"]))
        victim = ids[victim_id]
        heir = ids[replica_of[victim_id]]
        victim_slots = set()
        for spec in masters[victim_id]["slots"]:
            a, _, b = spec.partition("-")
            victim_slots.update(range(int(a), int(b or a) + 1))
        moved_key = next(k for k in written if rc.keyslot(k) in victim_slots)
        victim.kill()
        t0 = time.monotonic()
        wait_until(lambda: "master" in next(e for e in cluster_nodes(heir.port) if "myself" in e["flags"])["flags"],
                   timeout=NODE_TIMEOUT / 1000 + 3, interval=0.05, what="replica promoted")
        elapsed = time.monotonic() - t0
        assert elapsed <= NODE_TIMEOUT / 1000 + 3
        survivors = [n for n in nodes if n is not victim]
        wait_cluster_ok(survivors, timeout=15)
        rc2 = redis.RedisCluster(startup_nodes=[PyClusterNode("127.0.0.1", heir.port)])
        for k, v in written.items():
            assert rc2.get(k) == v, k
        assert rc2.set(moved_key, "after-failover") and rc2.get(moved_key) == b"after-failover"
        rc2.close()
        # the old master comes back: it becomes a replica of its heir and resyncs
        idx = nodes.index(victim)
        back = start_server("ours", port=victim.port, workdir=victim.workdir,
                            config_file=os.path.join(ROOT, "conf", "%d.conf" % (7000 + idx)),
                            args=cluster_args(victim.port, NODE_TIMEOUT) + ["--pidfile", "", "--appendonly", "no",
                                                                            "--logfile", ""])
        nodes[idx] = back
        wait_until(lambda: next(e for e in cluster_nodes(back.port) if "myself" in e["flags"])["master"] == node_id(heir),
                   timeout=20, what="old master turned replica")
        wait_until(lambda: replica_synced(back), timeout=20, what="old master resynced")
        with RawClient(back.port) as c:
            assert c.call("READONLY") == b"+OK\r\n"
            assert c.call("GET", moved_key) == b"$14\r\nafter-failover\r\n"
    finally:
        rc.close()


def test_losing_the_majority_of_masters_brings_clusterdown(cluster):
    nodes, ids = cluster
    masters, _ = masters_and_replicas(nodes, ids)
    doomed = [ids[mid] for mid in list(masters)[:2]]
    for n in doomed:
        n.kill()
    alive = [n for n in nodes if n not in doomed]
    wait_until(lambda: all(cluster_info(n.port)["cluster_state"] == "fail" for n in alive),
               timeout=NODE_TIMEOUT / 1000 * 3 + 5, what="cluster_state:fail")
    with RawClient(alive[0].port) as c:
        reply = c.call("SET", "k", "v")
    assert reply.startswith(b"-CLUSTERDOWN")
