"""A mixed cluster: three pyredis-server nodes and three Debian redis-server 7.0 nodes on one bus,
joined by redis-cli --cluster create.  Each side must see the other's nodes and slots, keys set through
any node are readable through any node, and a killed node of either kind is marked FAIL by both kinds."""

from __future__ import annotations

import shutil
import time

import pytest

from helpers import cluster_info, cluster_nodes, create_cluster, redis_cli, start_cluster_nodes, wait_cluster_ok, wait_until

NODE_TIMEOUT = 3000


@pytest.fixture(scope="module")
def mixed():
    nodes = start_cluster_nodes(["ours", "redis", "ours", "redis", "ours", "redis"], NODE_TIMEOUT)
    try:
        create_cluster(nodes, replicas=0)
        wait_cluster_ok(nodes)
        yield nodes
    finally:
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


def my_id(node) -> str:
    return next(e["id"] for e in cluster_nodes(node.port) if "myself" in e["flags"])


def test_both_kinds_see_the_same_cluster(mixed):
    ids = {n.port: my_id(n) for n in mixed}
    views = {}
    for n in mixed:
        entries = cluster_nodes(n.port)
        assert {e["id"] for e in entries} == set(ids.values()), n.kind
        views[n.kind, n.port] = {e["id"]: tuple(e["slots"]) for e in entries}
        info = cluster_info(n.port)
        assert info["cluster_state"] == "ok" and info["cluster_known_nodes"] == "6"
    reference = next(iter(views.values()))
    for v in views.values():
        assert v == reference  # everybody agrees on who serves which slots
    assert redis_cli("--cluster", "check", "127.0.0.1:%d" % mixed[1].port).returncode == 0


def test_keys_readable_through_any_node(mixed):
    for i in range(60):
        via = mixed[i % 6]
        assert redis_cli("-c", "-p", via.port, "SET", "mix:%d" % i, "v%d" % i).stdout == b"OK\n"
    for n in mixed:
        for i in range(0, 60, 9):
            assert redis_cli("-c", "-p", n.port, "GET", "mix:%d" % i).stdout == b"v%d\n" % i


@pytest.mark.parametrize("victim_index", [4, 5], ids=["ours-killed", "redis-killed"])
def test_killed_node_marked_fail_by_both_kinds(mixed, victim_index):
    victim = mixed[victim_index]
    vid = my_id(victim)
    victim.kill()
    t0 = time.monotonic()
    others = [n for n in mixed if n.proc.poll() is None]
    assert {n.kind for n in others} == {"ours", "redis"}

    def everyone_says_fail():
        return all(any(e["id"] == vid and "fail" in e["flags"] for e in cluster_nodes(n.port)) for n in others)

    wait_until(everyone_says_fail, timeout=NODE_TIMEOUT / 1000 + 3, interval=0.05, what="FAIL seen by all")
    assert time.monotonic() - t0 <= NODE_TIMEOUT / 1000 + 3
    wait_until(lambda: all(cluster_info(n.port)["cluster_state"] == "fail" for n in others), timeout=5,
               what="cluster_state:fail everywhere")
