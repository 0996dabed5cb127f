"""The dashboard's live side without a browser: what it reads from clusters of redis-server (CLUSTER
NODES/INFO and INFO only: the changes are described by the dashboard itself) and of ours (their own event
logs), the HTTP API, and the model on hand-written CLUSTER NODES."""

from __future__ import annotations

import asyncio
import shutil
import time

import aiohttp
import pytest
import redis

from helpers import create_cluster, free_port, start_cluster_nodes, wait_cluster_ok
from pyredis_cluster.cli import dashboard
from pyredis_cluster.cli.dashboard_model import build_snapshot, observed_events, parse_cluster_nodes

A = "a" * 40
B = "b" * 40
C = "c" * 40
NODES_A = (f"{A} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [100->-{B}]\n"
           f"{B} 127.0.0.1:7001@17001,host-b master - 0 1 2 connected 5461-10922 [200-<-{A}]\n"
           f"{C} 127.0.0.1:7002@17002 slave,fail? {A} 0 1 1 disconnected\n")
NODES_B = (f"{A} 127.0.0.1:7000@17000 master - 0 0 1 connected 0-5460\n"
           f"{B} 127.0.0.1:7001@17001,host-b myself,master - 0 1 2 connected 5461-10923\n"
           f"{C} 127.0.0.1:7002@17002 slave,fail {A} 0 1 1 connected\n")


def test_parse_cluster_nodes():
    a, b, c = parse_cluster_nodes(NODES_A)
    assert a["slots"] == [[0, 5460]] and a["migrating"] == {100: B} and "myself" in a["flags"]
    assert b["hostname"] == "host-b" and b["importing"] == {200: A} and b["cport"] == 17001
    assert c["master"] == A and c["link"] == "disconnected" and c["flags"] == {"slave", "fail?"}


def test_snapshot_health_as_others_see_it_and_slot_majority():
    obs = [{"addr": "127.0.0.1:7000", "up": True, "nodes": NODES_A, "info": {"cluster_state": "ok",
                                                                             "cluster_current_epoch": 2}},
           {"addr": "127.0.0.1:7001", "up": True, "nodes": NODES_B, "info": {"cluster_state": "ok",
                                                                             "cluster_current_epoch": 2}},
           {"addr": "127.0.0.1:7002", "up": False}]
    snap = build_snapshot(obs, 1)
    by = {n["id"]: n for n in snap["nodes"]}
    assert by[C]["health"] == "fail" and by[C]["seen_fail"] == 1 and by[C]["seen_pfail"] == 1
    assert by[C]["reachable"] is False and by[C]["role"] == "replica" and by[C]["master"] == A
    assert by[A]["links"] == {B: "connected"}
    # slot 10923: B claims it, A does not know: a tie, the owner with the newest configEpoch wins
    assert [10923, 10923, B] in snap["slots"] or any(a <= 10923 <= b and o == B for a, b, o in snap["slots"])
    assert snap["disputed"] == 1
    assert snap["cluster"]["state"] == "ok" and snap["cluster"]["known"] == 3
    # what changed: C failed and was promoted (as a dashboard without node event logs sees it)
    later = [dict(o) for o in obs]
    for o in later[:2]:
        o["nodes"] = o["nodes"].replace("slave,fail? %s" % A, "master -").replace("slave,fail %s" % A, "master -")
    evs = observed_events(snap, build_snapshot(later, 2))
    kinds = [k for k, _, _ in evs]
    assert "fail-cleared" in kinds and "promoted" in kinds


def _poll(source):
    loop = getattr(source, "_test_loop", None)
    if loop is None:
        loop = source._test_loop = asyncio.new_event_loop()
    loop.run_until_complete(source.poll_once())


def _stop(nodes):
    for n in nodes:
        n.stop()
        shutil.rmtree(n.workdir, ignore_errors=True)


@pytest.mark.parametrize("kinds", [["redis"] * 6, ["ours", "redis", "ours", "redis", "ours", "redis"]],
                         ids=["redis-server", "mixed"])
def test_live_against_redis_server_and_mixed(kinds):
    nodes = start_cluster_nodes(kinds, node_timeout=2000)
    try:
        create_cluster(nodes, replicas=1)
        wait_cluster_ok(nodes)
        src = dashboard.LiveSource(["127.0.0.1:%d" % nodes[0].port], interval=0.2)
        _poll(src)
        snap = src.snapshot
        assert len(snap["nodes"]) == 6 and all(n["reachable"] for n in snap["nodes"])
        assert snap["cluster"]["state"] == "ok" and snap["cluster"]["assigned"] == 16384
        assert sorted(n["role"] for n in snap["nodes"]) == ["master"] * 3 + ["replica"] * 3
        impl = {n["port"]: n["impl"] for n in snap["nodes"]}
        for srv, kind in zip(nodes, kinds):
            assert impl[srv.port] == ("pyredis" if kind == "ours" else "redis")
            assert {n["port"]: n["pid"] for n in snap["nodes"]}[srv.port] == srv.pid
        # (redis-server's replicas sync after repl-diskless-sync-delay: a replica that never synced cannot fail over)
        deadline = time.time() + 30
        while not all(n["master_link_status"] == "up" for n in src.snapshot["nodes"] if n["role"] == "replica"):
            assert time.time() < deadline, "replicas did not sync"
            time.sleep(0.3)
            _poll(src)
        # writes: offsets move, replicas follow, ops/s shows the traffic
        master = next(n for n in snap["nodes"] if n["role"] == "master")
        r = redis.Redis(port=master["port"])
        for _ in range(5):
            t0 = time.time()
            while time.time() - t0 < 0.25:
                for i in range(50):
                    try:
                        r.set("k%d" % i, "v")
                    except redis.ResponseError:  # MOVED: not this master's slot
                        pass
            _poll(src)
        snap = src.snapshot
        m = next(n for n in snap["nodes"] if n["id"] == master["id"])
        assert m["ops"] > 20 and m["repl_offset"] > 0
        rep = next(n for n in snap["nodes"] if n["master"] == master["id"])
        assert rep["lag"] is not None and rep["lag"] >= 0
        # kill the master: the dashboard (its own eyes for redis-server) sees FAIL and the promotion
        victim = next(s for s in nodes if s.port == master["port"])
        victim.kill()
        deadline = time.time() + 40
        while time.time() < deadline:
            _poll(src)
            by = {n["id"]: n for n in src.snapshot["nodes"]}
            if by[master["id"]]["health"] == "fail" and by[rep["id"]]["role"] == "master" and \
                    src.snapshot["cluster"]["state"] == "ok":
                break
            time.sleep(0.2)
        else:
            raise AssertionError("no failover seen: %r" % src.snapshot)
        # the promoted replica keeps the history it replicated: its offset goes on from there, not from 0
        assert by[rep["id"]]["repl_offset"] >= rep["repl_offset"] > 0
        kinds_seen = {e["kind"] for e in src.events}
        assert "unreachable" in kinds_seen
        assert "promoted" in kinds_seen or "election-won" in kinds_seen
        assert {"fail"} <= kinds_seen
        src._test_loop.close()
    finally:
        _stop(nodes)


def test_http_api_and_actions():
    nodes = start_cluster_nodes(["ours"] * 3, node_timeout=2000)
    try:
        create_cluster(nodes)
        wait_cluster_ok(nodes)
        src = dashboard.LiveSource(["127.0.0.1:%d" % nodes[0].port], interval=0.2)
        port = free_port()

        async def go():
            task = asyncio.ensure_future(dashboard.serve(src, "127.0.0.1", port, actions=True))
            await asyncio.sleep(1.0)
            base = "http://127.0.0.1:%d" % port
            async with aiohttp.ClientSession() as s:
                page = await (await s.get(base + "/")).text()
                assert "<title>pyredis-cluster dashboard</title>" in page
                assert (await s.get(base + "/static/app.js")).status == 200
                kinds = await (await s.get(base + "/api/kinds")).json()
                assert "vote-granted" in kinds and "unreachable" in kinds
                st = await (await s.get(base + "/api/state")).json()
                assert st["mode"] == "live" and len(st["snapshot"]["nodes"]) == 3 and st["actions"] is True
                seq = st["seq"]
                assert any(e["kind"] == "handshake" for e in st["events"])
                st2 = await (await s.get(base + "/api/state?since=%d" % seq)).json()
                assert all(e["seq"] > seq for e in st2["events"])
                r = await s.post(base + "/api/action", json={"action": "failover", "node": str(nodes[0].port)})
                assert r.status == 400 and "replica" in (await r.json())["error"]
                r = await s.post(base + "/api/action", json={"action": "nope", "node": str(nodes[0].port)})
                assert r.status == 400
                r = await s.post(base + "/api/action", json={"action": "kill", "node": str(nodes[2].port)})
                assert r.status == 200 and (await r.json())["text"].startswith("SIGKILL")
                assert (await s.get(base + "/api/replay")).status == 404
            task.cancel()

        asyncio.run(go())
        nodes[2].proc.wait(10)
        assert nodes[2].proc.returncode == -9
    finally:
        _stop(nodes)


def test_replay_source_and_read_only(tmp_path):
    from pyredis_cluster.testing.recording import record

    path = tmp_path / "f.json"
    record("failover", seed=3).save(str(path))
    src = dashboard.ReplaySource(str(path))
    meta = src.meta()
    assert meta["seed"] == 3 and len(meta["frames"]) == len(src.frames) > 10
    assert [e["seq"] for e in meta["events"]] == list(range(1, len(meta["events"]) + 1))
    last = src.snapshot(len(src.frames) - 1)
    assert last["cluster"]["state"] == "ok" and len(last["nodes"]) == 6
    assert sorted(meta["colors"].values()) == [0, 0, 1, 1, 2, 2]
    marks = [f["mark"] for f in meta["frames"] if f["mark"]]
    assert marks[0].startswith("creating the cluster") and any(m.startswith("SIGKILL") for m in marks)
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ValueError):
        dashboard.ReplaySource(str(bad))
    assert dashboard.main(["--replay", str(bad)]) == 1
    assert dashboard.main(["nohostport"]) == 2
