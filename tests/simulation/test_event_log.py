"""The event log records every cluster state change with its reason: a failover, watched from the log
alone, tells the whole story in order (PFAIL -> failure reports -> FAIL broadcast -> election -> votes ->
promotion -> slots move -> state ok), and a migration and expired failure reports are recorded too."""

from __future__ import annotations

from pyredis_cluster.cluster.actions import EVENT_KINDS
from pyredis_cluster.testing.sim import SimCluster


def _failover(seed=7):
    c = SimCluster(3, 1, seed=seed).start()
    m = c.masters()[0]
    r = c.replicas_of(m)[0]
    n0 = len(c.sim.log)
    c.kill(m)
    assert c.wait_for(lambda: c.role(r) == "master", timeout=30)
    c.advance(1000)
    return c, m, r, c.sim.log[n0:]


def test_failover_story_in_order():
    c, m, r, log = _failover()
    kinds = [ev.kind for _, _, ev in log]
    for k in kinds:
        assert k in EVENT_KINDS, k
    order = ["pfail", "fail-report", "fail", "fail-sent", "election-scheduled", "election-started",
             "vote-requested", "vote-granted", "vote-received", "election-won", "promoted"]
    pos = [kinds.index(k) for k in order]
    assert pos == sorted(pos), list(zip(order, pos))
    ri = c.nodes.index(r) if hasattr(c, "nodes") else None
    won = [(i, ev) for _, i, ev in log if ev.kind == "election-won"]
    assert len(won) == 1 and (ri is None or won[0][0] == ri)
    # the reasons are in the text: the silent time, the quorum, the vote rule, the epoch
    text = "\n".join(ev.text for _, _, ev in log)
    assert "for 2100 ms (node timeout 2000): PFAIL" in text or "(node timeout 2000): PFAIL" in text
    assert "quorum reached" in text
    assert "failover auth granted" in text
    assert "currentEpoch raised" in text
    assert "slots now served by %s" % r.name in text


def test_same_seed_same_story():
    a = [(t, i, ev.kind, ev.text) for t, i, ev in _failover(11)[3]]
    b = [(t, i, ev.kind, ev.text) for t, i, ev in _failover(11)[3]]
    assert a == b


def test_vote_refused_names_the_rule():
    c, m, r, log = _failover()
    # the other replicas' masters refuse a second vote in the same epoch, or the losers see the master is up
    refused = [ev.text for _, _, ev in log if ev.kind == "vote-refused"]
    for t in refused:
        assert "failover auth denied to" in t and ":" in t


def test_failure_reports_expire_after_two_node_timeouts():
    from pyredis_cluster.cluster import failure
    from pyredis_cluster.cluster.state import ClusterConfig, ClusterState

    cs = ClusterState(ClusterConfig(node_timeout=2000), name="a" * 40)
    x = cs.create_node("b" * 40, 1, 0)
    reporter = cs.create_node("c" * 40, 1, 0)
    cs.add_node(x)
    cs.add_node(reporter)
    x.add_failure_report(reporter, 10_000)
    assert failure.count_failure_reports(cs, x, 14_000) == 1  # 2 x node timeout: still valid
    assert cs.events == []
    assert failure.count_failure_reports(cs, x, 14_001) == 0
    (ev,) = cs.events
    assert ev.kind == "fail-report-expired" and ev.node == x.name
    assert ev.text == "failure report about %s from %s expired (older than 4000 ms)" % (x.name, reporter.name)
