"""One scenario, three clusters: the deterministic simulation (replays exactly, seed by seed), in-process
nodes and real processes -- through the same handle API."""

from __future__ import annotations

import pytest

from pyredis_cluster.testing import start_cluster


def failover_scenario(c) -> dict:
    """Kill a master; its replica must win the election; the old master comes back as a replica."""
    m = c.masters()[0]
    r = c.replicas_of(m)[0]
    c.kill(m)
    c.wait_for(lambda: c.role(r) == "master", 30, what="the replica elected")
    c.wait_stable(30)
    c.restart(m)
    c.wait_stable(30)
    kinds = [e.kind for e in c.events() if e.kind in ("pfail", "fail", "election-won") and e.about in (m.id, "")
             or e.kind == "election-won"]
    return {
        "winner_is_replica": [e.node for e in c.events("election-won")] == [r],
        "old_master_role": c.role(m),
        "old_master_follows_winner": c.master_of(m) is r,
        "order": kinds.index("pfail") < kinds.index("fail") < kinds.index("election-won"),
        "masters": len(c.masters()),
    }


EXPECTED = {"winner_is_replica": True, "old_master_role": "replica", "old_master_follows_winner": True,
            "order": True, "masters": 3}


def partition_scenario(c) -> dict:
    """Cut a master off the bus: the majority elects its replica; after the heal it is a replica."""
    m = c.masters()[1]
    r = c.replicas_of(m)[0]
    c.partition([m])
    c.wait_for(lambda: c.role(r) == "master", 30, what="the majority's election")
    c.heal()
    c.wait_stable(30)
    return {"old": c.role(m), "new": c.role(r), "follows": c.master_of(m) is r}


@pytest.mark.parametrize("mode", ["sim", "inprocess", "process"])
def test_failover_scenario_everywhere(mode):
    with start_cluster(3, 1, mode=mode, node_timeout_ms=1000, seed=3) as c:
        assert failover_scenario(c) == EXPECTED


@pytest.mark.parametrize("mode", ["sim", "inprocess"])
def test_partition_scenario(mode):
    with start_cluster(3, 1, mode=mode, node_timeout_ms=1000, seed=4) as c:
        assert partition_scenario(c) == {"old": "replica", "new": "master", "follows": True}


def test_simulation_replays_exactly():
    def run(seed):
        c = start_cluster(3, 1, mode="sim", seed=seed, node_timeout_ms=2000)
        failover_scenario(c)
        partition_scenario(c)
        return c.now, c.event_log_text()

    a, b, other = run(11), run(11), run(12)
    assert a == b  # same seed: the same run, event for event, millisecond for millisecond
    assert a != other
    assert "election-won" in a[1]


def test_simulation_clock_and_manual_steps():
    c = start_cluster(3, 1, mode="sim", seed=1)
    t = c.now
    c.advance(250)
    assert c.now == t + 250
    assert c.step()
    assert c.now >= t + 250
    # manual failover on the virtual clock
    r = c.replicas()[0]
    m = c.master_of(r)
    c.failover(r)
    assert c.role(r) == "master"
    c.wait_stable(10)
    assert c.master_of(m) is r
    assert any(e.kind == "manual-failover" for e in c.events())
    # a paused node stops answering: it is suspected, then back once resumed
    x = c.replicas()[0]
    c.pause(x, seconds=5)
    c.wait_for(lambda: any(e.kind == "pfail" and e.about == x.id for e in c.events()), 10)
    c.advance(6000)
    c.wait_stable(10)
    assert c.role(x) == "replica"
    with pytest.raises(NotImplementedError):
        c.client()
