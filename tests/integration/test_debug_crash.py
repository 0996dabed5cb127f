"""DEBUG SEGFAULT and DEBUG PANIC crash the node as they crash redis-server: the client's connection
drops, the process dies of SIGSEGV / SIGABRT, the log has the bug report.  The cluster tutorial crashes a
master this way (`redis-cli -p 7002 debug segfault`) and watches its replica take over."""

from __future__ import annotations

import signal

import pytest

from helpers import (cluster_info, cluster_nodes, create_cluster, redis_cli, start_cluster_nodes, start_server,
                     wait_cluster_ok, wait_until)


@pytest.mark.parametrize("kind", ["ours", "redis"])
@pytest.mark.parametrize("sub, sig", [("segfault", signal.SIGSEGV), ("panic", signal.SIGABRT)])
def test_debug_crash_kills_the_process(kind, sub, sig):
    # (without redis-server's memory test after the report: on a loaded machine it sometimes crashes
    # itself -- SIGSEGV instead of SIGABRT -- before the report's END line)
    s = start_server(kind, args=["--enable-debug-command", "yes", "--crash-memcheck-enabled", "no"])
    try:
        res = redis_cli("-p", s.port, "DEBUG", sub.upper())
        assert b"Server closed the connection" in res.stdout + res.stderr
        assert s.proc.wait(15) == -sig
        log = s.log()
        assert "=== REDIS BUG REPORT START: Cut & paste starting from here ===" in log
        assert "=== REDIS BUG REPORT END. Make sure to include from START to END. ===" in log
        if sub == "segfault":
            assert "crashed by signal: 11" in log
        else:
            assert "Guru Meditation: DEBUG PANIC called at Unix time" in log
    finally:
        s.stop()


def test_debug_segfault_on_a_master_promotes_its_replica():
    nodes = start_cluster_nodes(["ours"] * 6, node_timeout=1500, extra_args=["--enable-debug-command", "yes"])
    try:
        res = create_cluster(nodes, replicas=1)
        assert res.returncode == 0, res.stdout + res.stderr
        wait_cluster_ok(nodes)
        me = {n.port: next(e for e in cluster_nodes(n.port) if "myself" in e["flags"]) for n in nodes}
        master = next(n for n in nodes if "master" in me[n.port]["flags"])
        mid = me[master.port]["id"]
        wait_until(lambda: any(e["master"] == mid for e in cluster_nodes(master.port)), 30, what="replica known")
        replica = next(n for n in nodes if me[n.port]["master"] == mid)
        redis_cli("-p", master.port, "DEBUG", "SEGFAULT")
        assert master.proc.wait(15) == -signal.SIGSEGV
        rest = [n for n in nodes if n is not master]
        wait_until(lambda: "master" in next(e for e in cluster_nodes(replica.port) if "myself" in e["flags"])["flags"],
                   30, what="the replica promoted")
        wait_cluster_ok(rest)
        assert all(cluster_info(n.port)["cluster_state"] == "ok" for n in rest)
    finally:
        for n in nodes:
            n.stop()


def test_debug_segfault_in_process_kills_only_that_node():
    """A node of an in-process test cluster shares the test's process: it dies alone."""
    import redis

    from pyredis_cluster.testing import start_cluster

    with start_cluster(masters=3, replicas=1, node_timeout_ms=1000,
                       config={"enable-debug-command": "yes"}) as c:
        m = c.masters()[0]
        r = c.replicas_of(m)[0]
        with pytest.raises(redis.ConnectionError):
            redis.Redis(port=m.port).execute_command("DEBUG", "SEGFAULT")
        with pytest.raises(redis.ConnectionError):
            redis.Redis(port=m.port, socket_connect_timeout=1).ping()
        c.wait_for(lambda: c.role(r) == "master", 30)
        assert redis.Redis(port=r.port).ping()
