"""Regressions found by running Redis 7.0.15's own cluster test suite (tests/cluster/tests/*.tcl) with our
node as the server binary; each test names the tcl unit that exposed the difference."""

from __future__ import annotations

import tempfile
import time

import pytest

from tests.helpers import RawClient, start_server, wait_until


def _wait(pred, timeout=15.0, what="condition"):
    return wait_until(pred, timeout=timeout, interval=0.05, what=what)


def _info_field(client, field: str) -> str:
    text = client.call("INFO", "replication").decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return ""


@pytest.fixture
def master_and_replica():
    master = start_server("ours")
    replica = start_server("ours")
    try:
        with RawClient(replica.port) as r:
            assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
        yield master, replica
    finally:
        replica.stop()
        master.stop()


def test_master_client_is_listed_and_client_kill_drops_the_link(master_and_replica):
    """05-slave-selection / 06-slave-stop-cond: ``CLIENT KILL <master ip:port>`` on a replica closes its
    link to the master (the master client is an ordinary entry of CLIENT LIST, flags=M); the replica then
    reconnects and continues with a partial resync."""
    master, replica = master_and_replica
    with RawClient(master.port) as m, RawClient(replica.port) as r:
        _wait(lambda: _info_field(r, "master_link_status") == "up", what="replica link up")
        lines = r.call("CLIENT", "LIST").decode().split("\r\n", 1)[1].strip().split("\n")
        masters = [ln for ln in lines if " flags=M " in ln]
        assert len(masters) == 1, lines
        assert " addr=127.0.0.1:%d " % master.port in masters[0]
        assert r.call("CLIENT", "KILL", "127.0.0.1:%d" % master.port) == b"+OK\r\n"
        # the master sees its replica disconnect and reconnect
        assert m.call("SET", "k", "v") == b"+OK\r\n"
        _wait(lambda: r.call("GET", "k") == b"$1\r\nv\r\n", what="replica to get the write")
        _wait(lambda: _info_field(r, "master_link_status") == "up", what="replica link up again")
        stats = m.call("INFO", "stats")
        assert b"sync_full:1\r\n" in stats and b"sync_partial_ok:1\r\n" in stats, stats
        assert r.call("CLIENT", "KILL", "TYPE", "master") == b":1\r\n"


def _cluster_node(port=None, workdir=None, kind="ours", args=()):
    return start_server(kind, port=port, workdir=workdir or tempfile.mkdtemp(prefix="pyredis-h3-"),
                        args=["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                              "--cluster-node-timeout", "3000", "--enable-debug-command", "yes", *args])


def _slots_and_replica(m, r, replica_port: int) -> None:
    """The master takes every slot, the other node becomes its replica; returns once the cluster is ok."""
    assert m.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == b"+OK\r\n"
    m.call("CLUSTER", "MEET", "127.0.0.1", str(replica_port))
    mid = m.call("CLUSTER", "MYID").split(b"\r\n")[1]
    _wait(lambda: mid in r.call("CLUSTER", "NODES"), what="the replica to know the master")
    assert r.call("CLUSTER", "REPLICATE", mid) == b"+OK\r\n"
    _wait(lambda: _info_field(r, "master_link_status") == "up", what="replica link up")
    _wait(lambda: b"cluster_state:ok" in m.call("CLUSTER", "INFO"), what="cluster_state:ok")


def test_cluster_replica_restarting_from_rdb_keeps_expired_keys():
    """14-consistency-check: a cluster replica (nodes.conf says so) loads the keys of its RDB that are
    already expired -- only a master drops them (rdbLoad: iAmMaster) -- so the master's DELs find them."""
    master = _cluster_node()
    replica = _cluster_node()
    try:
        with RawClient(master.port) as m, RawClient(replica.port) as r:
            _slots_and_replica(m, r, replica.port)
            for i in range(10):
                assert m.call("SET", "{a}%d" % i, "v", "PX", "1500") == b"+OK\r\n"
            _wait(lambda: r.call("DBSIZE") == b":10\r\n", what="the keys on the replica")
            assert m.call("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
            assert r.call("SAVE") == b"+OK\r\n"
        replica.kill()
        time.sleep(1.6)
        replica = _cluster_node(port=replica.port, workdir=replica.workdir)
        with RawClient(replica.port) as r:
            assert r.call("DBSIZE") == b":10\r\n"
    finally:
        replica.stop()
        master.stop()


def test_replica_loading_a_full_sync_serves_events_and_is_hidden_from_cluster_slots():
    """22-replica-in-sync: while a replica loads its master's snapshot it keeps serving events (INFO says
    loading:1, other commands get -LOADING) and advertises offset 0 on the bus, so that its master's
    CLUSTER SLOTS hides it until the load is over."""
    master = _cluster_node()
    replica = _cluster_node()
    try:
        with RawClient(master.port) as m, RawClient(replica.port) as r:
            assert m.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == b"+OK\r\n"
            m.call("CLUSTER", "MEET", "127.0.0.1", str(replica.port))
            mid = m.call("CLUSTER", "MYID").split(b"\r\n")[1]
            rid = r.call("CLUSTER", "MYID").split(b"\r\n")[1]
            _wait(lambda: mid in r.call("CLUSTER", "NODES"), what="the replica to know the master")
            _wait(lambda: b"cluster_state:ok" in m.call("CLUSTER", "INFO"), what="cluster_state:ok")
            assert m.call("DEBUG", "POPULATE", "200", "key", "1000") == b"+OK\r\n"
            assert r.call("CLUSTER", "REPLICATE", mid) == b"+OK\r\n"
            _wait(lambda: _info_field(r, "master_link_status") == "up", what="replica link up")
            assert m.call("SET", "x", "y") == b"+OK\r\n"  # an offset above 0: the replica is shown
            _wait(lambda: rid in m.call("CLUSTER", "SLOTS"), what="the replica in the master's CLUSTER SLOTS")
            # the next sync is a full one, and loading it takes 200 x 10 ms
            assert m.call("CONFIG", "SET", "repl-backlog-size", "100") == b"+OK\r\n"
            assert r.call("CONFIG", "SET", "key-load-delay", "10000") == b"+OK\r\n"
            assert r.call("CONFIG", "SET", "loading-process-events-interval-bytes", "1024") == b"+OK\r\n"
            m.call("MULTI")
            m.call("CLIENT", "KILL", "TYPE", "replica")
            for j in range(40):
                m.call("SET", "{0}%d" % j, "A" * 1024)
            m.call("EXEC")
            _wait(lambda: rid not in m.call("CLUSTER", "SLOTS"), what="the loading replica to be hidden")
            assert b"loading:1\r\n" in r.call("INFO", "persistence")
            assert r.call("DBSIZE") == b"-LOADING Redis is loading the dataset in memory\r\n"
            _wait(lambda: _info_field(r, "master_link_status") == "up", what="the load to finish")
            assert r.call("CONFIG", "SET", "key-load-delay", "0") == b"+OK\r\n"
            _wait(lambda: rid in m.call("CLUSTER", "SLOTS"), what="the replica back in CLUSTER SLOTS")
            assert r.call("DBSIZE") == b":241\r\n"
    finally:
        replica.stop()
        master.stop()


def test_server_listens_while_loading_and_replies_loading():
    """04-resharding (restart_instance): redis-server listens before it loads its data, so a client that
    connects during a long load gets -LOADING (INFO still answers, with loading:1) instead of a refused
    connection.  key-load-delay slows the load down, as Redis's test suite does."""
    srv = start_server("ours", args=["--enable-debug-command", "yes"])
    workdir, port = srv.workdir, srv.port
    try:
        with RawClient(port) as c:
            assert c.call("DEBUG", "POPULATE", "100") == b"+OK\r\n"
            assert c.call("SAVE") == b"+OK\r\n"
    finally:
        srv.stop()
    srv = start_server("ours", port=port, workdir=workdir, wait=False,
                       args=["--enable-debug-command", "yes", "--key-load-delay", "30000"])
    try:
        def connect():
            try:
                return RawClient(port)
            except OSError:
                return None

        c = _wait(connect, what="the port to open")
        with c:
            assert c.call("PING") == b"-LOADING Redis is loading the dataset in memory\r\n"
            assert b"loading:1\r\n" in c.call("INFO", "persistence")
            _wait(lambda: c.call("PING") == b"+PONG\r\n", what="the end of the load")
            assert c.call("DBSIZE") == b":100\r\n"
    finally:
        srv.stop()


def test_killed_master_link_is_down_from_the_kill_even_if_the_server_then_sleeps():
    """06-slave-stop-cond: CLIENT KILL of the master client then DEBUG SLEEP in one transaction: the link
    is down since the kill (repl_down_since), so the failover's data age includes the sleep."""
    master = start_server("ours")
    replica = start_server("ours", args=["--enable-debug-command", "yes"])
    try:
        with RawClient(replica.port) as r:
            assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
            _wait(lambda: _info_field(r, "master_link_status") == "up", what="replica link up")
            assert r.call("MULTI") == b"+OK\r\n"
            r.call("CLIENT", "KILL", "127.0.0.1:%d" % master.port)
            r.call("DEBUG", "SLEEP", "2")
            assert r.call("EXEC") == b"*2\r\n+OK\r\n+OK\r\n"
            assert _info_field(r, "master_link_status") == "down"
            assert int(_info_field(r, "master_link_down_since_seconds")) >= 2
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("kind", ["ours", "redis"])
def test_always_show_logo_prints_the_pid(kind):
    """Redis's own test suite (tests/support/server.tcl) knows a spawned server is up when its log shows
    the ASCII logo's "PID: <pid>" line (`always-show-logo yes` in its default.conf); without the option a
    node logs "Running mode=..., port=...".  Both then log "Ready to accept connections"."""
    logo = start_server(kind, args=["--always-show-logo", "yes"])
    plain = start_server(kind)
    try:
        _wait(lambda: "Ready to accept connections" in logo.log() and "Ready to accept connections" in plain.log(),
              what="both servers ready")
        text = logo.log()
        assert " PID: %d\n" % logo.proc.pid in text, text
        assert "Running in standalone mode" in text and "Port: %d\n" % logo.port in text
        assert "Redis 7.0" in text and " Running mode=" not in text
        assert "Running mode=standalone, port=%d." % plain.port in plain.log()
        assert " PID: " not in plain.log()
    finally:
        logo.stop()
        plain.stop()


@pytest.mark.parametrize("kind", ["ours", "redis"])
def test_debug_clusterlink_kill(kind):
    """unit/cluster/links: DEBUG CLUSTERLINK KILL <to|from|all> <node-id> frees bus links to a peer, which
    come back by themselves (CLUSTER LINKS counts two per peer again); bad arguments get Redis's errors."""
    args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3000",
            "--enable-debug-command", "yes"]
    a = start_server(kind, workdir=tempfile.mkdtemp(prefix="pyredis-links-"), args=args)
    b = start_server(kind, workdir=tempfile.mkdtemp(prefix="pyredis-links-"), args=args)
    try:
        with RawClient(a.port) as ca, RawClient(b.port) as cb:
            bid = cb.call("CLUSTER", "MYID")[5:-2].decode()
            ca.call("CLUSTER", "MEET", "127.0.0.1", str(b.port))

            def links():
                return int(ca.call("CLUSTER", "LINKS").split(b"\r\n", 1)[0][1:])

            _wait(lambda: links() == 2, what="two links to the peer")
            if kind == "ours":  # (redis-server 7.0 sends this error and then +OK: two replies to one command)
                assert ca.call("DEBUG", "CLUSTERLINK", "KILL", "sideways", bid) == b"-ERR Unknown direction sideways\r\n"
            assert ca.call("DEBUG", "CLUSTERLINK", "KILL", "to", "f" * 40) == b"-ERR Unknown node %s\r\n" % (b"f" * 40)
            assert ca.call("DEBUG", "CLUSTERLINK", "KILL", "to").startswith(
                b"-ERR unknown subcommand or wrong number of arguments for 'CLUSTERLINK'")
            for direction in ("to", "from", "all"):
                assert ca.call("DEBUG", "CLUSTERLINK", "KILL", direction, bid) == b"+OK\r\n"
                assert links() < 2
                _wait(lambda: links() == 2, what="the links back after KILL %s" % direction)
            assert ca.call("CLUSTER", "INFO").count(b"cluster_known_nodes:2") == 1
    finally:
        a.stop()
        b.stop()


def test_sigterm_stops_a_replica_whose_master_is_down():
    """integration/replication: servers the suite stopped kept running -- a replica retrying a dead master
    once a second ignored the shutdown (its retry loop outlived the event loop's cancel).  SIGTERM ends it
    at once, as it does redis-server."""
    from tests.helpers import free_port
    for _ in range(2):
        s = start_server("ours")
        try:
            with RawClient(s.port) as c:
                assert c.call("REPLICAOF", "127.0.0.1", str(free_port())) == b"+OK\r\n"
            _wait(lambda: s.log().count("Error condition on socket for SYNC") >= 2, what="two failed connects")
            s.proc.terminate()
            assert s.proc.wait(timeout=10) == 0
            assert "Redis is now ready to exit, bye bye..." in s.log()
        finally:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()


@pytest.mark.parametrize("kind", ["ours", "redis"])
def test_cluster_replica_restarted_from_rdb_resumes_its_masters_history(kind):
    """17-diskless-load-swapdb: a cluster replica (nodes.conf says so) restarted from its RDB takes the
    saved replication ID as its master's (loadDataFromDisk), so it resumes with a partial resync and keeps
    the master's ID as its own -- it did not, it shifted it away as a master would."""
    def node(port=None, workdir=None):
        return _cluster_node(port, workdir, kind, args=["--repl-diskless-sync-delay", "0"])
    master = node()
    replica = node()
    try:
        with RawClient(master.port) as m, RawClient(replica.port) as r:
            _slots_and_replica(m, r, replica.port)
            for i in range(10):
                assert m.call("SET", "{a}%d" % i, "v") == b"+OK\r\n"
            _wait(lambda: r.call("DBSIZE") == b":10\r\n", what="the keys on the replica")
            assert r.call("SAVE") == b"+OK\r\n"
            master_replid = _info_field(m, "master_replid")
        replica.stop()
        with RawClient(master.port) as m:
            assert m.call("SET", "{a}late", "v") == b"+OK\r\n"  # in the backlog: a partial resync serves it
            partial = int(m.call("INFO", "stats").split(b"sync_partial_ok:")[1].split(b"\r\n")[0])
        replica = node(port=replica.port, workdir=replica.workdir)
        with RawClient(replica.port) as r, RawClient(master.port) as m:
            _wait(lambda: _info_field(r, "master_link_status") == "up", what="replica link up again")
            assert _info_field(r, "master_replid") == master_replid
            assert int(m.call("INFO", "stats").split(b"sync_partial_ok:")[1].split(b"\r\n")[0]) == partial + 1
            _wait(lambda: r.call("DBSIZE") == b":11\r\n", what="the late write on the replica")
    finally:
        replica.stop()
        master.stop()
