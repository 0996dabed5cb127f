"""pytest plugin (entry point ``pytest11``): a Redis Cluster per test, or one per session.

    def test_moved(redis_cluster):                      # 3 masters + 3 replicas, in-process
        rc = redis_cluster.client()
        redis_cluster.inject(None, "k", reply="MOVED")
        rc.set("k", "v")

    @pytest.mark.redis_cluster(masters=5, replicas=2, mode="process", node_timeout_ms=1000)
    def test_big(redis_cluster): ...

    def test_fast(redis_cluster_session):               # one cluster for the session, reset for each test
        ...

Fixtures:

* ``redis_cluster`` -- a fresh cluster for the test; the ``redis_cluster`` marker chooses its
  topology and any :func:`~pyredis_cluster.testing.start_cluster` argument (``mode``, ``seed``,
  ``node_timeout_ms``, ``config`` ...);
* ``redis_cluster_session`` -- one cluster for the whole session (``--redis-cluster-masters``,
  ``--redis-cluster-replicas``), reset before each test that uses it: faults lifted, killed nodes
  restarted, paused ones resumed, data flushed, stable again.

Options: ``--redis-cluster-mode inprocess|process|sim`` (the default mode), ``--redis-cluster-keep``
(keep the nodes' directories and logs).  When a test using a cluster fails, its merged event log is
added to the report ("pyredis-cluster events").
"""

from __future__ import annotations

import pytest

_MARKER = "redis_cluster(masters=3, replicas=1, mode=None, **kwargs): topology and start_cluster() arguments " \
          "of the redis_cluster fixture"


def pytest_addoption(parser):
    g = parser.getgroup("pyredis-cluster", "controllable Redis Cluster (pyredis_cluster.testing)")
    g.addoption("--redis-cluster-mode", default="inprocess", choices=("inprocess", "process", "sim"),
                help="default mode of the redis_cluster fixtures (default: inprocess)")
    g.addoption("--redis-cluster-masters", type=int, default=3, help="masters of redis_cluster_session")
    g.addoption("--redis-cluster-replicas", type=int, default=1, help="replicas per master of redis_cluster_session")
    g.addoption("--redis-cluster-keep", action="store_true", help="keep the nodes' directories (logs, nodes.conf)")


def pytest_configure(config):
    config.addinivalue_line("markers", _MARKER)


def _start(config, **kwargs):
    from . import start_cluster

    kwargs.setdefault("mode", config.getoption("--redis-cluster-mode"))
    if kwargs["mode"] is None:
        kwargs["mode"] = config.getoption("--redis-cluster-mode")
    if config.getoption("--redis-cluster-keep") and kwargs["mode"] != "sim":
        kwargs.setdefault("keep_dirs", True)
    return start_cluster(**kwargs)


@pytest.fixture
def redis_cluster(request):
    """A new cluster for this test (see the ``redis_cluster`` marker)."""
    marker = request.node.get_closest_marker("redis_cluster")
    kwargs = {}
    if marker is not None:
        kwargs.update(zip(("masters", "replicas"), marker.args))
        kwargs.update(marker.kwargs)
    cluster = _start(request.config, **kwargs)
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def _redis_cluster_session_instance(request):
    cfg = request.config
    cluster = _start(cfg, masters=cfg.getoption("--redis-cluster-masters"),
                     replicas=cfg.getoption("--redis-cluster-replicas"))
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def redis_cluster_session(_redis_cluster_session_instance):
    """The session's cluster, reset for this test (faults lifted, nodes back, data flushed)."""
    c = _redis_cluster_session_instance
    c.reset()
    return c


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    from .cluster import Cluster
    from .sim import SimCluster

    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, (Cluster, SimCluster)):
            try:
                rep.sections.append(("pyredis-cluster events", value.event_log_text()[-20000:]))
            except Exception as e:  # the cluster may be in any state after a failure
                rep.sections.append(("pyredis-cluster events", "(unavailable: %r)" % (e,)))
            break
