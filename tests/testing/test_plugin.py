"""The pytest plugin: the redis_cluster fixtures, the marker, the event log of a failed test."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


@pytest.mark.redis_cluster(masters=2, replicas=0)
def test_marker_topology(redis_cluster):
    assert redis_cluster.mode == "inprocess"
    assert len(redis_cluster.nodes) == 2 and len(redis_cluster.masters()) == 2
    rc = redis_cluster.client()
    rc.set("k", "v")
    assert rc.get("k") == b"v"


@pytest.mark.redis_cluster(3, 1, mode="sim", seed=9)
def test_marker_sim(redis_cluster):
    assert redis_cluster.mode == "sim" and len(redis_cluster.nodes) == 6


def test_session_cluster_dirty(redis_cluster_session):
    c = redis_cluster_session
    c.client().set("left-behind", "1")
    c.inject(None, "left-behind", reply="LOADING", count=-1)
    c.kill(c.replicas()[0])


def test_session_cluster_is_reset(redis_cluster_session):
    c = redis_cluster_session
    assert all(n.alive for n in c.nodes)
    assert all(c.faults(n) == [] for n in c.nodes)
    assert c.client().get("left-behind") is None


def test_failed_test_reports_events(pytester):
    pytester.makepyfile("""
        def test_fails(redis_cluster):
            redis_cluster.inject(None, 7, reply="TRYAGAIN")
            assert False, "boom"
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pyredis-cluster events*", "*fault inject TRYAGAIN on slot 7*"])
