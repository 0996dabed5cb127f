"""``pyredis-cluster`` (the cluster manager) run as a real process against real clusters: one of six
pyredis-server nodes and one of six Debian redis-server nodes (every test runs on both), a mixed one,
and small throw-away ones.  Where redis-cli has the same subcommand, both tools look at the same cluster
and must reach the same verdict with the same output (``check``, ``info``, ``call``), healthy or broken
(open slot, uncovered slots, a slot with keys on two masters, a dead master)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest
import redis
from redis.cluster import ClusterNode as PyClusterNode

from helpers import (ROOT, RawClient, cluster_args, cluster_info, cluster_nodes, free_port, start_server,
                     wait_cluster_ok, wait_until)
from pyredis_cluster.cluster.slots import key_hash_slot

NODE_TIMEOUT = 3000
ANSI = re.compile(r"\x1b\[[0-9;]*m")

pytestmark = pytest.mark.timeout(300)


# -- running the tools ----------------------------------------------------------------------------------------


def manager(*args, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``pyredis-cluster <args>`` as a separate process (text output)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "pyredis_cluster.cli.cluster_main", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, input=input, env=env)


def redis_cli_cluster(*args, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``redis-cli --cluster <args>``, colours removed (redis-cli colours whenever TERM says xterm)."""
    res = subprocess.run(["redis-cli", "--cluster", *map(str, args)], capture_output=True, text=True,
                         timeout=timeout, input=input)
    res.stdout = ANSI.sub("", res.stdout)
    return res


def both(*args):
    """The same subcommand through both tools: (ours, redis-cli's)."""
    return manager(*args), redis_cli_cluster(*args)


def assert_same_verdict(args, expect_ok: bool) -> str:
    ours, cli = both(*args)
    assert (ours.returncode == 0) == expect_ok, ours.stdout + ours.stderr
    assert (cli.returncode == 0) == expect_ok, cli.stdout + cli.stderr
    assert ours.stdout == cli.stdout, "\n--- ours ---\n%s\n--- redis-cli ---\n%s" % (ours.stdout, cli.stdout)
    return ours.stdout


# -- clusters -----------------------------------------------------------------------------------------------------


def start_nodes(kinds: list, node_timeout: int = NODE_TIMEOUT) -> list:
    """Cluster-mode nodes on free ports, each with its own (nearly empty) config file so that CONFIG
    REWRITE works (set-timeout)."""
    nodes = []
    try:
        for kind in kinds:
            port = free_port()
            workdir = tempfile.mkdtemp(prefix="pyredis-manager-")
            conf = os.path.join(workdir, "node.conf")
            with open(conf, "w") as f:
                f.write("# a test node of tests/integration/test_manager.py\n")
            nodes.append(start_server(kind, port=port, args=cluster_args(port, node_timeout), workdir=workdir,
                                      config_file=conf))
    except Exception:
        stop_nodes(nodes)
        raise
    return nodes


def stop_nodes(nodes: list) -> None:
    for n in nodes:
        n.stop()
        shutil.rmtree(n.workdir, ignore_errors=True)


def addr(node) -> str:
    return "127.0.0.1:%d" % node.port


def node_id(node) -> str:
    return next(e["id"] for e in cluster_nodes(node.port) if "myself" in e["flags"])


def owned_slots(port: int) -> list:
    me = next(e for e in cluster_nodes(port) if "myself" in e["flags"])
    out = []
    for s in me["slots"]:
        if not s.startswith("["):
            a, _, b = s.partition("-")
            out.extend(range(int(a), int(b or a) + 1))
    return out


def masters(nodes: list) -> list:
    return [n for n in nodes if "master" in next(e for e in cluster_nodes(n.port) if "myself" in e["flags"])["flags"]]


def dbsize(node) -> int:
    with RawClient(node.port) as c:
        return int(c.call("DBSIZE")[1:-2])


def client(nodes: list) -> redis.RedisCluster:
    return redis.RedisCluster(startup_nodes=[PyClusterNode("127.0.0.1", n.port) for n in nodes],
                              decode_responses=True)


def keys_in_slot(slot: int, count: int, prefix: str = "k") -> list:
    """``count`` key names that hash to ``slot``."""
    out, i = [], 0
    while len(out) < count:
        k = "%s:%d" % (prefix, i)
        if key_hash_slot(k.encode()) == slot:
            out.append(k)
        i += 1
    return out


def tagged_key(slot: int, name: str) -> str:
    """A key of ``slot`` through a hash tag: ``{<tag>}name``."""
    i = 0
    while key_hash_slot(("t%d" % i).encode()) != slot:
        i += 1
    return "{t%d}%s" % (i, name)


def wait_agreement(nodes: list, timeout: float = 30) -> None:
    """Every node reports the same slot map (what redis-cli calls 'agree about slots configuration')."""
    def sig(n):
        return sorted((e["id"], tuple(s for s in e["slots"] if not s.startswith("["))) for e in cluster_nodes(n.port)
                      if e["slots"])
    wait_until(lambda: len({tuple(sig(n)) for n in nodes}) == 1, timeout, what="slot map agreement")


@pytest.fixture(scope="module", params=["ours", "redis"])
def cluster(request):
    """Six nodes of one kind made into 3 masters + 3 replicas by ``pyredis-cluster create``."""
    nodes = start_nodes([request.param] * 6)
    try:
        res = manager("create", *map(addr, nodes), "--replicas", 1, "--yes")
        assert res.returncode == 0, res.stdout + res.stderr
        wait_cluster_ok(nodes)
        for n in nodes:  # the replicas' REPLICATE reaches every node through gossip
            wait_until(lambda n=n: sum("slave" in e["flags"] for e in cluster_nodes(n.port)) == 3, 30,
                       what="3 replicas seen by %d" % n.port)
        yield {"kind": request.param, "nodes": list(nodes), "create": res}
    finally:
        stop_nodes(nodes)


# -- create, check, info, call ----------------------------------------------------------------------------------


def test_create_builds_three_masters_with_one_replica_each(cluster):
    nodes = cluster["nodes"]
    out = cluster["create"].stdout
    assert "Master[0] -> Slots 0 - 5460\nMaster[1] -> Slots 5461 - 10922\nMaster[2] -> Slots 10923 - 16383" in out
    assert ">>> Sending CLUSTER MEET messages to join the cluster" in out
    assert "[OK] All 16384 slots covered." in out
    view = cluster_nodes(nodes[0].port)
    ms = [e for e in view if "master" in e["flags"]]
    rs = [e for e in view if "slave" in e["flags"]]
    assert sorted(tuple(e["slots"]) for e in ms) == [("0-5460",), ("10923-16383",), ("5461-10922",)]
    assert sorted(e["master"] for e in rs) == sorted(e["id"] for e in ms)  # one replica per master
    assert len({e["epoch"] for e in ms}) == 3  # SET-CONFIG-EPOCH gave each master its own epoch
    for n in nodes:
        assert cluster_info(n.port)["cluster_known_nodes"] == "6"


def test_check_and_info_match_redis_cli(cluster):
    nodes = cluster["nodes"]
    rc = client(nodes)
    for i in range(100):
        rc.set("ci:%d" % i, i)
    out = assert_same_verdict(["check", addr(nodes[0])], expect_ok=True)
    assert "[OK] All nodes agree about slots configuration." in out
    assert "[OK] All 16384 slots covered." in out
    assert "keys in 3 masters." in out
    info = assert_same_verdict(["info", addr(nodes[3])], expect_ok=True)
    assert info.count("| 1 slaves.") == 3
    # host and port as two arguments, like redis-cli
    res = manager("check", "127.0.0.1", nodes[1].port)
    assert res.returncode == 0 and "[OK] All 16384 slots covered." in res.stdout


def test_json_output(cluster):
    nodes = cluster["nodes"]
    res = manager("check", addr(nodes[0]), "--json")
    assert res.returncode == 0
    doc = json.loads(res.stdout)
    assert doc["command"] == "check" and doc["ok"] is True
    assert doc["slots_covered"] == 16384 and doc["open_slots"] == [] and doc["problems"] == []
    assert len(doc["nodes"]) == 6
    assert sum(n["slots_count"] for n in doc["nodes"]) == 16384
    assert {n["name"] for n in doc["nodes"]} == {node_id(n) for n in nodes}
    assert ">>> Performing Cluster Check" in res.stderr  # the human log goes to stderr
    info = json.loads(manager("info", addr(nodes[0]), "--json").stdout)
    assert info["keys"] == sum(dbsize(n) for n in masters(nodes)) and len(info["masters"]) == 3
    assert all(m["replicas"] == 1 for m in info["masters"])


def test_call_matches_redis_cli(cluster):
    nodes = cluster["nodes"]
    assert_same_verdict(["call", addr(nodes[0]), "DBSIZE"], expect_ok=True)
    ours, cli = both("call", addr(nodes[0]), "CONFIG", "GET", "cluster-node-timeout")
    assert ours.stdout == cli.stdout and ours.stdout.count("cluster-node-timeout\n3000") == 6
    res = manager("call", addr(nodes[0]), "--only-masters", "ROLE")
    assert res.returncode == 0 and res.stdout.count(": master\n") == 3 and ": slave" not in res.stdout
    res = manager("call", addr(nodes[0]), "--only-replicas", "--json", "PING")
    doc = json.loads(res.stdout)
    assert [r["reply"] for r in doc["replies"]] == ["PONG"] * 3


# -- broken clusters: same verdicts as redis-cli, then fix ------------------------------------------------------


def empty_slot_of(node) -> int:
    """A slot ``node`` owns that holds no key."""
    with RawClient(node.port) as c:
        for s in owned_slots(node.port):
            if c.call("CLUSTER", "COUNTKEYSINSLOT", s) == b":0\r\n":
                return s
    raise AssertionError("no empty slot")


def test_open_slot_same_verdict_then_fix(cluster):
    nodes = cluster["nodes"]
    a, b = masters(nodes)[:2]
    slot = empty_slot_of(a)
    key = tagged_key(slot, "open")
    client(nodes).set(key, "kept")  # the slot has a key to move when fix completes the migration
    with RawClient(b.port) as c:
        assert c.call("CLUSTER", "SETSLOT", slot, "IMPORTING", node_id(a)) == b"+OK\r\n"
    with RawClient(a.port) as c:
        assert c.call("CLUSTER", "SETSLOT", slot, "MIGRATING", node_id(b)) == b"+OK\r\n"
    out = assert_same_verdict(["check", addr(nodes[0])], expect_ok=False)
    assert "[WARNING] Node %s has slots in migrating state %d." % (addr(a), slot) in out
    assert "[WARNING] Node %s has slots in importing state %d." % (addr(b), slot) in out
    assert "[WARNING] The following slots are open: %d." % slot in out
    res = manager("fix", addr(nodes[0]))
    assert res.returncode == 0, res.stdout + res.stderr
    assert ">>> Case 1: Moving slot %d from %s to %s" % (slot, addr(a), addr(b)) in res.stdout
    wait_agreement(nodes)
    assert slot in owned_slots(b.port)
    assert client(nodes).get(key) == "kept"
    assert_same_verdict(["check", addr(nodes[0])], expect_ok=True)


def test_uncovered_slots_same_verdict_then_fix(cluster):
    nodes = cluster["nodes"]
    a = masters(nodes)[0]
    s1 = empty_slot_of(a)
    s2 = next(s for s in owned_slots(a.port) if s > s1 and
              RawClient(a.port).call("CLUSTER", "COUNTKEYSINSLOT", s) == b":0\r\n")
    for n in nodes:
        with RawClient(n.port) as c:
            c.call("CLUSTER", "DELSLOTS", s1, s2)
    wait_agreement(nodes)
    out = assert_same_verdict(["check", addr(nodes[0])], expect_ok=False)
    assert "[ERR] Not all 16384 slots are covered by nodes." in out
    res = manager("check", addr(nodes[0]), "--json")
    assert res.returncode == 1 and json.loads(res.stdout)["slots_covered"] == 16382
    # like redis-cli, fix asks before covering slots; "yes" on stdin accepts
    res = manager("fix", addr(nodes[0]), input="yes\n")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "The following uncovered slots have no keys across the cluster:" in res.stdout
    assert "Fix these slots by covering with a random node? (type 'yes' to accept):" in res.stdout
    wait_agreement(nodes)
    assert_same_verdict(["check", addr(nodes[0])], expect_ok=True)
    # --yes answers for the user (redis-cli would still ask)
    for n in nodes:
        with RawClient(n.port) as c:
            c.call("CLUSTER", "DELSLOTS", s1)
    wait_agreement(nodes)
    res = manager("fix", addr(nodes[0]), "--yes")
    assert res.returncode == 0 and ">>> Covering slot %d with" % s1 in res.stdout
    wait_agreement(nodes)
    assert_same_verdict(["check", addr(nodes[0])], expect_ok=True)


def test_keys_on_two_masters_same_verdict_then_fix(cluster):
    nodes = cluster["nodes"]
    a, b = masters(nodes)[:2]
    slot = empty_slot_of(a)
    key = tagged_key(slot, "stray")
    with RawClient(b.port) as c:  # a key of a's slot stored on b (as an interrupted import leaves it)
        assert c.call("CLUSTER", "SETSLOT", slot, "IMPORTING", node_id(a)) == b"+OK\r\n"
        c.call("ASKING")
        assert c.call("SET", key, "stray") == b"+OK\r\n"
        assert c.call("CLUSTER", "SETSLOT", slot, "STABLE") == b"+OK\r\n"
    assert_same_verdict(["check", addr(nodes[0])], expect_ok=True)  # a plain check does not look
    out = assert_same_verdict(["check", addr(nodes[0]), "--cluster-search-multiple-owners"], expect_ok=False)
    assert "[WARNING] Slot %d has 2 owners:" % slot in out
    res = manager("fix", addr(nodes[0]), "--search-multiple-owners", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert ">>> Fixing multiple owners for slot %d..." % slot in res.stdout
    wait_agreement(nodes)
    assert slot in owned_slots(b.port)  # the owner with most keys keeps the slot
    assert client(nodes).get(key) == "stray"
    assert_same_verdict(["check", addr(nodes[0]), "--cluster-search-multiple-owners"], expect_ok=True)


# -- moving slots --------------------------------------------------------------------------------------------------


def test_reshard_then_rebalance_keep_every_key(cluster):
    nodes = cluster["nodes"]
    ms = masters(nodes)
    target = ms[0]
    rc = client(nodes)
    written = {}
    for src in ms[1:]:  # keys in the lowest slots of each source: the ones reshard moves first
        for slot in owned_slots(src.port)[:8]:
            for k in keys_in_slot(slot, 3, "rs"):
                rc.set(k, k)
                written[k] = k
    before = len(owned_slots(target.port))
    res = manager("reshard", addr(nodes[0]), "--from", "all", "--to", node_id(target), "--slots", 40, "--yes",
                  "--pipeline", 2)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Ready to move 40 slots." in res.stdout and "  Resharding plan:" in res.stdout
    assert res.stdout.count("    Moving slot ") == 40
    assert re.search(r"Moving slot \d+ from 127\.0\.0\.1:\d+ to %s: \.\.\." % re.escape(addr(target)), res.stdout)
    wait_agreement(nodes)
    assert len(owned_slots(target.port)) == before + 40
    rc = client(nodes)
    assert all(rc.get(k) == v for k, v in written.items())
    assert_same_verdict(["check", addr(nodes[0])], expect_ok=True)
    # within the default 2% threshold: nothing to do
    res = manager("rebalance", addr(nodes[0]))
    assert res.returncode == 0 and "*** No rebalancing needed! All nodes are within the 2.00% threshold." in res.stdout
    res = manager("rebalance", addr(nodes[0]), "--threshold", 0.1, "--simulate")
    assert res.returncode == 0 and re.search(r"Moving \d+ slots from %s to " % re.escape(addr(target)), res.stdout)
    assert len(owned_slots(target.port)) == before + 40  # simulate moved nothing
    res = manager("rebalance", addr(nodes[0]), "--threshold", 0.1, "--json")
    doc = json.loads(res.stdout)
    assert res.returncode == 0 and doc["ok"] and doc["moves"][0]["from"] == node_id(target)
    wait_agreement(nodes)
    assert sorted(len(owned_slots(m.port)) for m in ms) == [5461, 5461, 5462]
    rc = client(nodes)
    assert all(rc.get(k) == v for k, v in written.items())
    assert_same_verdict(["check", addr(nodes[0])], expect_ok=True)


def test_reshard_refuses_a_broken_cluster_and_bad_ids(cluster):
    nodes = cluster["nodes"]
    res = manager("reshard", addr(nodes[0]), "--from", "all", "--to", "0" * 40, "--slots", 1, "--yes")
    assert res.returncode == 1
    assert "*** The specified node (%s) is not known or not a master, please retry." % ("0" * 40) in res.stdout
    replica = next(n for n in nodes if n not in masters(nodes))
    res = manager("reshard", addr(nodes[0]), "--from", "all", "--to", node_id(replica), "--slots", 1, "--yes")
    assert res.returncode == 1 and "is not known or not a master" in res.stdout
    a = masters(nodes)[0]
    slot = empty_slot_of(a)
    with RawClient(a.port) as c:
        c.call("CLUSTER", "SETSLOT", slot, "MIGRATING", node_id(masters(nodes)[1]))
    try:
        res = manager("reshard", addr(nodes[0]), "--from", "all", "--to", node_id(a), "--slots", 1, "--yes")
        assert res.returncode == 1 and "*** Please fix your cluster problems before resharding" in res.stderr
        res = manager("rebalance", addr(nodes[0]), "--threshold", 0.001)
        assert res.returncode == 1 and "*** Please fix your cluster problems before rebalancing" in res.stdout
    finally:
        with RawClient(a.port) as c:
            c.call("CLUSTER", "SETSLOT", slot, "STABLE")


def test_reshard_asks_for_what_is_missing(cluster):
    nodes = cluster["nodes"]
    ms = masters(nodes)
    before = len(owned_slots(ms[1].port))
    answers = "2\n%s\n%s\ndone\nyes\n" % (node_id(ms[1]), node_id(ms[2]))
    res = manager("reshard", addr(nodes[0]), input=answers)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "How many slots do you want to move (from 1 to 16384)?" in res.stdout
    assert "What is the receiving node ID?" in res.stdout and "Source node #2:" in res.stdout
    wait_agreement(nodes)
    assert len(owned_slots(ms[1].port)) == before + 2
    # at the end of the input the prompt gives up (redis-cli would spin)
    res = manager("reshard", addr(nodes[0]), input="")
    assert res.returncode == 1
    # give the two slots back
    res = manager("reshard", addr(nodes[0]), "--from", node_id(ms[1]), "--to", node_id(ms[2]), "--slots", 2, "--yes")
    assert res.returncode == 0, res.stdout
    wait_agreement(nodes)


# -- nodes in and out ------------------------------------------------------------------------------------------------


def test_add_node_rebalance_weights_then_del_node(cluster):
    nodes = cluster["nodes"]
    extra = start_nodes([cluster["kind"]] * 2)
    try:
        new_master, new_replica = extra
        res = manager("add-node", addr(new_master), addr(nodes[0]))
        assert res.returncode == 0, res.stdout + res.stderr
        assert ">>> Send CLUSTER MEET to node %s to make it join the cluster." % addr(new_master) in res.stdout
        assert "[OK] New node added correctly." in res.stdout
        mid = node_id(new_master)
        wait_until(lambda: len(cluster_nodes(nodes[0].port)) == 7, 30, what="7 nodes known")
        # the newcomer learns the others' slots from their PINGs; until then `check` (which add-node runs
        # first, as redis-cli does) sees it disagree about the slot map
        wait_agreement(nodes + [new_master])
        res = manager("add-node", addr(new_replica), addr(nodes[0]), "--cluster-slave", "--cluster-master-id", mid)
        assert res.returncode == 0, res.stdout + res.stderr
        assert ">>> Configure node as replica of %s." % addr(new_master) in res.stdout
        wait_until(lambda: next(e for e in cluster_nodes(new_replica.port) if "myself" in e["flags"])["master"] == mid,
                   30, what="new replica follows the new master")
        # every node must know both newcomers before slots move to them (SETSLOT names the node by id)
        wait_until(lambda: all({mid, node_id(new_replica)} <= {e["id"] for e in cluster_nodes(n.port)}
                               for n in nodes + extra), 30, what="every node knows the new nodes")
        res = manager("add-node", addr(nodes[1]), addr(nodes[0]))  # not empty: refused
        assert res.returncode == 1 and "[ERR] Node %s is not empty." % addr(nodes[1]) in res.stdout
        # a MIGRATE target must see the cluster ok (a newcomer says CLUSTERDOWN until it knows every slot)
        wait_cluster_ok(nodes + extra)
        # a small weight gives the empty master a few slots: 16384 / 3.01 * 0.01 = 54 (+1 for rounding)
        res = manager("rebalance", addr(nodes[0]), "--use-empty-masters", "--weight", "%s=0.01" % mid[:8])
        assert res.returncode == 0, res.stdout + res.stderr
        wait_agreement(nodes + extra)
        got = len(owned_slots(new_master.port))
        assert got in (54, 55)
        out = assert_same_verdict(["info", addr(nodes[0])], expect_ok=True)
        assert "%s (%s...) -> " % (addr(new_master), mid[:8]) in out and "| %d slots | 1 slaves." % got in out
        res = manager("del-node", addr(nodes[0]), mid)
        assert res.returncode == 1 and "[ERR] Node %s is not empty! Reshard data away and try again." \
            % addr(new_master) in res.stdout
        # weight 0 drains it
        res = manager("rebalance", addr(nodes[0]), "--weight", "%s=0" % mid)
        assert res.returncode == 0, res.stdout + res.stderr
        wait_agreement(nodes + extra)
        assert owned_slots(new_master.port) == []
        rid = node_id(new_replica)
        for nid in (rid, mid):
            res = manager("del-node", addr(nodes[0]), nid)
            assert res.returncode == 0, res.stdout + res.stderr
            assert ">>> Sending CLUSTER FORGET messages to the cluster..." in res.stdout
            assert ">>> Sending CLUSTER RESET SOFT to the deleted node." in res.stdout
        for n in nodes:
            assert {e["id"] for e in cluster_nodes(n.port)}.isdisjoint({mid, rid})
        assert cluster_info(new_master.port)["cluster_known_nodes"] == "1"
        res = manager("del-node", addr(nodes[0]), mid)
        assert res.returncode == 1 and "[ERR] No such node ID %s" % mid in res.stdout
        wait_cluster_ok(nodes)
        assert_same_verdict(["check", addr(nodes[0])], expect_ok=True)
    finally:
        stop_nodes(extra)


def test_set_timeout(cluster):
    nodes = cluster["nodes"]
    res = manager("set-timeout", addr(nodes[0]), 2500)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("*** New timeout set for ") == 6 and ">>> New node timeout set. 6 OK, 0 ERR." in res.stdout
    for n in nodes:
        with RawClient(n.port) as c:
            assert c.call("CONFIG", "GET", "cluster-node-timeout").endswith(b"$4\r\n2500\r\n")
        with open(os.path.join(n.workdir, "node.conf")) as f:
            assert "cluster-node-timeout 2500" in f.read()  # CONFIG REWRITE
    res = manager("set-timeout", addr(nodes[0]), 50)
    assert res.returncode == 1 and "Setting a node timeout of less than 100 milliseconds is a bad idea." in res.stderr
    assert manager("set-timeout", addr(nodes[0]), NODE_TIMEOUT).returncode == 0


def test_import_from_a_standalone_server(cluster):
    nodes = cluster["nodes"]
    src = start_server("redis")
    try:
        with RawClient(src.port) as c:
            for i in range(40):
                c.call("SET", "imp:%d" % i, "v%d" % i)
            c.call("RPUSH", "imp:list", "a", "b", "c")
            c.call("HSET", "imp:hash", "f", "v")
            c.call("SET", "imp:ttl", "x", "EX", "1000")
        res = manager("import", addr(nodes[0]), "--from", "127.0.0.1:%d" % src.port, "--copy")
        assert res.returncode == 0, res.stdout + res.stderr
        assert "*** Importing 43 keys from DB 0" in res.stdout and res.stdout.count(": OK") == 43
        rc = client(nodes)
        assert rc.get("imp:7") == "v7" and rc.lrange("imp:list", 0, -1) == ["a", "b", "c"]
        assert rc.hgetall("imp:hash") == {"f": "v"} and 0 < rc.ttl("imp:ttl") <= 1000
        with RawClient(src.port) as c:
            assert c.call("DBSIZE") == b":43\r\n"  # --copy left them there
            c.call("SET", "imp:7", "new")
        res = manager("import", addr(nodes[0]), "--from", "127.0.0.1:%d" % src.port)  # the keys exist already
        assert res.returncode == 1 and "BUSYKEY" in res.stdout
        res = manager("import", addr(nodes[0]), "--from", "127.0.0.1:%d" % src.port, "--replace", "--json")
        assert res.returncode == 0 and json.loads(res.stdout)["imported"] == 43
        assert client(nodes).get("imp:7") == "new"
        with RawClient(src.port) as c:
            assert c.call("DBSIZE") == b":0\r\n"  # moved
        res = manager("import", addr(nodes[0]), "--from", addr(nodes[1]))
        assert res.returncode == 1 and "[ERR] The source node should not be a cluster node." in res.stdout
    finally:
        src.stop()
        shutil.rmtree(src.workdir, ignore_errors=True)


def test_backup(cluster, tmp_path):
    nodes = cluster["nodes"]
    res = manager("backup", addr(nodes[0]), str(tmp_path))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "[OK] Backup created into: %s" % tmp_path in res.stdout
    with open(tmp_path / "nodes.json") as f:
        entries = json.load(f)
    assert len(entries) == 6 and sum(e["slots_count"] for e in entries) == 16384
    rdbs = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".rdb")
    expected = sorted("redis-node-127.0.0.1-%d-%s.rdb" % (m.port, node_id(m)) for m in masters(nodes))
    assert rdbs == expected
    for name in rdbs:
        assert (tmp_path / name).read_bytes()[:5] == b"REDIS"


# -- small clusters of their own -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ours", "redis"])
def test_dead_master_same_verdict_and_fix_refuses(kind):
    nodes = start_nodes([kind] * 3)
    try:
        assert manager("create", *map(addr, nodes), "--yes").returncode == 0
        wait_cluster_ok(nodes)
        victim = nodes[2]
        dead_id = node_id(victim)
        victim.kill()
        out = assert_same_verdict(["check", addr(nodes[0])], expect_ok=False)
        assert "[ERR] Not all 16384 slots are covered by nodes." in out
        res = manager("check", addr(nodes[0]), "--json")
        doc = json.loads(res.stdout)
        assert [u["port"] for u in doc["unreachable"]] == [victim.port]
        assert "Could not connect to Redis at %s: Connection refused" % addr(victim) in res.stderr
        res = manager("fix", addr(nodes[0]), "--yes")
        assert res.returncode == 1
        assert "*** Fixing slots coverage with 1 unreachable masters is dangerous" in res.stdout
        # ours (not redis-cli) can remove a node that is down: FORGET only
        res = manager("del-node", addr(nodes[0]), dead_id)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "is not reachable: it will be forgotten but not reset." in res.stdout
        for n in nodes[:2]:
            assert dead_id not in {e["id"] for e in cluster_nodes(n.port)}
    finally:
        stop_nodes(nodes)


def test_mixed_cluster_created_checked_and_resharded():
    nodes = start_nodes(["ours", "redis", "ours", "redis", "ours", "redis"])
    try:
        res = manager("create", *map(addr, nodes), "--replicas", 1, "--yes")
        assert res.returncode == 0, res.stdout + res.stderr
        wait_cluster_ok(nodes)
        for n in nodes:
            assert_same_verdict(["check", addr(n)], expect_ok=True)
        rc = client(nodes)
        for i in range(200):
            rc.set("mx:%d" % i, i)
        ms = masters(nodes)
        ours_m = next(m for m in ms if m.kind == "ours")
        redis_m = next(m for m in ms if m.kind == "redis")
        for src, dst in ((redis_m, ours_m), (ours_m, redis_m)):
            res = manager("reshard", addr(nodes[0]), "--from", node_id(src), "--to", node_id(dst), "--slots", 30,
                          "--yes")
            assert res.returncode == 0, res.stdout + res.stderr
            wait_agreement(nodes)
        rc = client(nodes)
        assert all(rc.get("mx:%d" % i) == str(i) for i in range(200))
        assert_same_verdict(["check", addr(nodes[1])], expect_ok=True)
    finally:
        stop_nodes(nodes)


# -- wrong input -------------------------------------------------------------------------------------------------------


def test_errors_and_exit_codes(ours, theirs):
    res = manager("check", "127.0.0.1:%d" % ours.port)
    assert res.returncode == 1
    assert "[ERR] Node 127.0.0.1:%d is not configured as a cluster node." % ours.port in res.stdout
    port = free_port()
    res = manager("info", "127.0.0.1:%d" % port)
    assert res.returncode == 1 and "Could not connect to Redis at 127.0.0.1:%d: Connection refused" % port in res.stderr
    res = manager("check", "nonsense")
    assert res.returncode == 1 and "[ERR] Invalid arguments" in res.stderr
    assert manager("reshard").returncode == 2  # usage
    assert manager("no-such-command").returncode == 2
    res = manager("--help")
    assert res.returncode == 0 and "rebalance" in res.stdout and "start" in res.stdout
    nodes = start_nodes(["ours", "redis"])
    try:
        res = manager("create", *map(addr, nodes), "--yes")
        assert res.returncode == 1 and "*** Redis Cluster requires at least 3 master nodes." in res.stdout
        res = manager("create", addr(nodes[0]), "127.0.0.1:%d" % theirs.port, addr(nodes[1]), "--yes")
        assert res.returncode == 1 and "is not configured as a cluster node." in res.stdout
    finally:
        stop_nodes(nodes)
