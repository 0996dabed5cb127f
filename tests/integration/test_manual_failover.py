"""CLUSTER FAILOVER (default, FORCE, TAKEOVER) on real processes, and a failover in a mixed cluster of our
nodes and Debian redis-server nodes where replicas of either kind get promoted."""

from __future__ import annotations

import shutil

import pytest

from helpers import RawClient, cluster_nodes, create_cluster, start_cluster_nodes, wait_cluster_ok, wait_until

NODE_TIMEOUT = 3000


def me(n) -> dict:
    return next(e for e in cluster_nodes(n.port) if "myself" in e["flags"])


def synced(n) -> bool:
    with RawClient(n.port) as c:
        return b"master_link_status:up" in c.call("INFO", "replication")


def make_cluster(kinds):
    nodes = start_cluster_nodes(kinds, NODE_TIMEOUT)
    try:
        create_cluster(nodes, replicas=1)
        wait_cluster_ok(nodes)
        for n in nodes:
            if "slave" in me(n)["flags"]:
                wait_until(lambda n=n: synced(n), timeout=30, what="replica synced")
    except Exception:
        for n in nodes:
            n.stop()
        raise
    return nodes


def views_agree(nodes) -> bool:
    """Every live node has the same picture of roles and masters (what a manual failover relies on:
    a master accepts MFSTART only from a node it already knows as its replica)."""
    views = set()
    for n in nodes:
        if n.proc.poll() is not None:
            continue
        views.add(tuple(sorted((e["id"], "master" in e["flags"], e["master"]) for e in cluster_nodes(n.port)
                               if "fail" not in e["flags"])))
    return len(views) == 1


def cleanup(nodes):
    for n in nodes:
        n.stop()
        shutil.rmtree(n.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def ours6():
    nodes = make_cluster(["ours"] * 6)
    yield nodes
    cleanup(nodes)


@pytest.mark.parametrize("mode", ["default", "FORCE", "TAKEOVER"])
def test_manual_failover(ours6, mode):
    wait_until(lambda: views_agree(ours6), timeout=15, what="views agree")
    replica = next(n for n in ours6 if "slave" in me(n)["flags"])
    old_master_id = me(replica)["master"]
    old_master = next(n for n in ours6 if me(n)["id"] == old_master_id)
    with RawClient(old_master.port) as c:
        slot_key = None
        for i in range(1000):
            k = "mf:%d" % i
            if c.call("SET", k, "v") == b"+OK\r\n":
                slot_key = k
                break
        assert slot_key is not None
        assert c.call("WAIT", "1", "5000") == b":1\r\n"
    args = ("CLUSTER", "FAILOVER") if mode == "default" else ("CLUSTER", "FAILOVER", mode)
    with RawClient(replica.port) as c:
        assert c.call(*args) == b"+OK\r\n"
    wait_until(lambda: "master" in me(replica)["flags"] and me(old_master)["master"] == me(replica)["id"],
               timeout=15, what="roles swapped")
    wait_cluster_ok(ours6, timeout=15)
    with RawClient(replica.port) as c:
        assert c.call("GET", slot_key) == b"$1\r\nv\r\n"
    wait_until(lambda: synced(old_master), timeout=20, what="old master replicating")


def test_failover_in_a_mixed_cluster():
    nodes = make_cluster(["ours", "redis", "ours", "redis", "ours", "redis"])
    try:
        # promote one replica of each kind with CLUSTER FAILOVER, then kill a master of each kind
        for kind in ("ours", "redis"):
            wait_until(lambda: views_agree(nodes), timeout=15, what="views agree")
            replica = next(n for n in nodes if n.kind == kind and "slave" in me(n)["flags"])
            with RawClient(replica.port) as c:
                assert c.call("CLUSTER", "FAILOVER") == b"+OK\r\n"
            wait_until(lambda r=replica: "master" in me(r)["flags"], timeout=15, what="%s replica promoted" % kind)
            wait_cluster_ok(nodes, timeout=20)
        for kind in ("ours", "redis"):
            # a master of this kind with slots and a live replica in its own view (after the earlier
            # failovers and kill, the views may need a moment to agree again)
            def victim_and_heir(kind=kind):
                if not views_agree(nodes):
                    return None
                for n in nodes:
                    if n.proc.poll() is None and n.kind == kind and "master" in me(n)["flags"] and me(n)["slots"]:
                        ids = [e["id"] for e in cluster_nodes(n.port) if e["master"] == me(n)["id"]
                               and "fail" not in e["flags"]]
                        heirs = [h for h in nodes if h.proc.poll() is None and me(h)["id"] in ids]
                        if heirs:
                            return n, heirs[0]
                return None
            v, heir = wait_until(victim_and_heir, timeout=20, what="a %s master with a live replica" % kind)
            if not synced(heir):
                wait_until(lambda h=heir: synced(h), timeout=20, what="heir synced")
            v.kill()
            wait_until(lambda h=heir: "master" in me(h)["flags"], timeout=NODE_TIMEOUT / 1000 + 10,
                       what="replica of a killed %s master promoted" % v.kind)
            alive = [n for n in nodes if n.proc.poll() is None]
            wait_cluster_ok(alive, timeout=20)
    except Exception:
        for n in nodes:  # the logs tell what went wrong
            print("==== %s %d\n%s" % (n.kind, n.port, n.log()[-3000:]))
        raise
    finally:
        cleanup(nodes)
