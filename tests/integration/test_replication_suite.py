"""Regressions found by running Redis 7.0.15's own replication tests (tests/integration/replication*.tcl,
block-repl, psync2*) with our node as the server binary.  Each test runs against our server and
Debian's redis-server alike, and names the tcl unit that exposed the difference."""

from __future__ import annotations

import os
import time

import pytest

from tests.helpers import RawClient, start_server, wait_until

KINDS = ["ours", "redis"]


def _wait(pred, timeout=15.0, what="condition"):
    return wait_until(pred, timeout=timeout, interval=0.05, what=what)


def _info(client, section: str = "replication") -> dict:
    text = client.call("INFO", section).decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


@pytest.fixture(params=KINDS)
def pair(request):
    """(master, replica, kind): a replica linked to its master, both of the same kind."""
    kind = request.param
    master = start_server(kind, args=["--enable-debug-command", "yes"])
    replica = start_server(kind, args=["--enable-debug-command", "yes"])
    try:
        with RawClient(replica.port) as r:
            assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
            _wait(lambda: _info(r).get("master_link_status") == "up", what="link up")
        yield master, replica, kind
    finally:
        replica.stop()
        master.stop()


def test_writable_replica_expires_keys_its_clients_gave_a_ttl(pair):
    """replication-3 'Slave is able to evict keys created in writable slaves': keys a writable replica's
    own clients set with a TTL get no DEL from the master; the replica's cron expires them itself."""
    master, replica, kind = pair
    with RawClient(replica.port) as r:
        assert r.call("CONFIG", "SET", "replica-read-only", "no") == b"+OK\r\n"
        assert r.call("SELECT", "5") == b"+OK\r\n"
        for k in (b"k1", b"k2", b"k3"):
            assert r.call("SET", k, b"v", "PX", "300") == b"+OK\r\n"
        assert r.call("SET", "keep", "v") == b"+OK\r\n"
        assert r.call("DBSIZE") == b":4\r\n"
        _wait(lambda: r.call("DBSIZE") == b":1\r\n", timeout=5, what="replica-created keys to expire")
        assert r.call("GET", "keep") == b"$1\r\nv\r\n"


def test_replica_write_deletes_an_expired_key_reads_only_hide_it(pair):
    """replication-3 'Writable replica doesn't return expired keys': on a replica a write command's
    lookup deletes an expired key (INCR starts again from 0, without TTL), a read only reports it
    missing, and DBSIZE keeps counting what was not deleted."""
    master, replica, kind = pair
    with RawClient(master.port) as m, RawClient(replica.port) as r:
        assert m.call("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
        try:
            assert m.call("SET", "key1", "5", "PX", "10") == b"+OK\r\n"
            assert m.call("SET", "key2", "5", "PX", "10") == b"+OK\r\n"
            _wait(lambda: r.call("DBSIZE") == b":2\r\n" and r.call("EXISTS", "key1", "key2") == b":0\r\n",
                  what="keys replicated and expired")
            assert r.call("CONFIG", "SET", "replica-read-only", "no") == b"+OK\r\n"
            assert r.call("DBSIZE") == b":2\r\n"
            assert r.call("INCR", "key1") == b":1\r\n"
            assert r.call("TTL", "key1") == b":-1\r\n"
            assert r.call("GET", "key2") == b"$-1\r\n"
            assert r.call("DBSIZE") == b":2\r\n"
            assert r.call("PFCOUNT", "key2") == b":0\r\n"  # (PFCOUNT is no write: key2 stays)
            assert r.call("DBSIZE") == b":2\r\n"
        finally:
            m.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_debug_replicate_feeds_replicas_and_their_errors_are_logged(pair):
    """replication-4 'Data divergence ...': DEBUG REPLICATE <cmd> sends a command to the replicas only;
    an error the replica's master client gets (an unknown command, a type clash with a writable replica's
    own write) is logged as '== CRITICAL ==' with the error and the command name."""
    master, replica, kind = pair
    with RawClient(master.port) as m, RawClient(replica.port) as r:
        assert r.call("CONFIG", "SET", "propagation-error-behavior", "ignore") == b"+OK\r\n"
        assert m.call("DEBUG", "REPLICATE", "fake-command-1") == b"+OK\r\n"
        assert m.call("DEBUG", "REPLICATE", "SET", "only-on-replica", "1") == b"+OK\r\n"
        assert m.call("EXISTS", "only-on-replica") == b":0\r\n"
        assert m.call("SET", "foo", "bar") == b"+OK\r\n"
        assert m.call("WAIT", "1", "2000") == b":1\r\n"
        assert r.call("GET", "only-on-replica") == b"$1\r\n1\r\n"
        assert r.call("CONFIG", "SET", "replica-read-only", "no") == b"+OK\r\n"
        assert r.call("SET", "number2", "foo") == b"+OK\r\n"
        assert m.call("INCRBY", "number2", "1") == b":1\r\n"
        assert m.call("WAIT", "1", "2000") == b":1\r\n"
        assert r.call("GET", "number2") == b"$3\r\nfoo\r\n"
        log = replica.log()
        critical = [line for line in log.splitlines() if "== CRITICAL ==" in line]
        assert len(critical) == 2, critical
        assert ("This replica is sending an error to its master: 'unknown command 'fake-command-1', "
                "with args beginning with: ' after processing the command '<unknown>'") in critical[0]
        assert ("This replica is sending an error to its master: 'value is not an integer or out of "
                "range' after processing the command 'incrby'") in critical[1]
        assert _info(r, "stats")["unexpected_error_replies"] == "2"


def _role(client) -> list:
    """ROLE's reply, flattened to its simple elements."""
    import re

    return re.findall(rb"[$+:](?:\d+\r\n)?([^\r\n$*:]*)\r\n", client.call("ROLE"))


@pytest.mark.parametrize("kind", KINDS)
def test_delayed_diskless_sync_keeps_the_replica_in_handshake_until_it_times_out(kind):
    """replication 'Slave enters handshake' / 'Slave is able to detect timeout during handshake': a master
    with repl-diskless-sync-delay holds the PSYNC reply back (sending newlines meanwhile); the replica's ROLE
    says handshake, INFO on the master lists it as wait_bgsave; once the master stops sending (DEBUG SLEEP)
    the replica gives up after repl-timeout with 'Timeout connecting to the MASTER...'."""
    args = ["--enable-debug-command", "yes"]
    master = start_server(kind, args=args + ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "1000"])
    replica = start_server(kind, args=args + ["--repl-timeout", "3"])
    try:
        with RawClient(master.port) as m, RawClient(replica.port) as r:
            assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
            _wait(lambda: b"handshake" in r.call("ROLE"), what="handshake state")
            _wait(lambda: "state=wait_bgsave" in _info(m).get("slave0", ""), what="wait_bgsave on the master")
            assert _info(m)["connected_slaves"] == "1"
            time.sleep(4)  # newlines keep the handshake alive beyond repl-timeout
            assert b"handshake" in r.call("ROLE")
            assert "Timeout connecting to the MASTER" not in replica.log()
            m.send_raw(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$1\r\n6\r\n")
            _wait(lambda: "Timeout connecting to the MASTER..." in replica.log(), timeout=10, what="timeout")
            assert m.read_reply() == b"+OK\r\n"
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_delayed_diskless_sync_starts_after_the_delay_for_all_waiting_replicas(kind):
    """repl-diskless-sync-delay: the full sync starts once the first replica waited that long; the replicas
    that came meanwhile share it."""
    args = ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "2"]
    master = start_server(kind, args=args)
    replicas = [start_server(kind), start_server(kind)]
    try:
        with RawClient(master.port) as m:
            assert m.call("SET", "k", "v") == b"+OK\r\n"
            t0 = time.monotonic()
            for rep in replicas:
                with RawClient(rep.port) as r:
                    assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
            _wait(lambda: _info(m).get("connected_slaves") == "2", what="two replicas waiting")
            for rep in replicas:
                with RawClient(rep.port) as r:
                    _wait(lambda: _info(r).get("master_link_status") == "up", timeout=15, what="sync")
                    assert r.call("GET", "k") == b"$1\r\nv\r\n"
            assert time.monotonic() - t0 >= 1.5
            assert _info(m, "stats")["sync_full"] == "2"
    finally:
        for rep in replicas:
            rep.stop()
        master.stop()


def test_blocked_clients_are_released_when_the_master_becomes_a_replica(pair):
    """replication 'BLPOP followed by role change, issue #2473': REPLICAOF releases the clients blocked
    on the former master with -UNBLOCKED and closes them; the new master's pushes must not feed them."""
    master, replica, kind = pair
    with RawClient(master.port) as m, RawClient(replica.port) as r, RawClient(master.port) as blocked:
        blocked.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$3\r\nfoo\r\n$1\r\n0\r\n")
        _wait(lambda: "blocked_clients:1" in m.call("INFO", "clients").decode(), what="BLPOP blocked")
        assert r.call("REPLICAOF", "NO", "ONE") == b"+OK\r\n"
        assert m.call("REPLICAOF", "127.0.0.1", str(replica.port)) == b"+OK\r\n"
        assert blocked.read_reply() == (b"-UNBLOCKED force unblock from blocking operation, instance state "
                                        b"changed (master -> replica?)\r\n")
        assert blocked.read_until_close() == b""
        _wait(lambda: _info(m).get("master_link_status") == "up", what="link up")
        assert r.call("RPUSH", "foo", "a", "b", "c") == b":3\r\n"
        _wait(lambda: m.call("LRANGE", "foo", "0", "-1") == b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
              what="the push replicated whole")


def _persistence(client) -> dict:
    return _info(client, "persistence")


def _swapdb_setup(kind):
    args = ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"]
    master = start_server(kind, args=args + ["--repl-diskless-sync", "yes"])
    replica = start_server(kind, args=args + ["--repl-diskless-load", "swapdb",
                                             "--loading-process-events-interval-bytes", "1024"])
    return master, replica


@pytest.mark.parametrize("kind", KINDS)
def test_swapdb_load_cut_short_restores_the_old_dataset(kind):
    """replication 'Diskless load swapdb (different replid)': a replica loading a master of another history
    with repl-diskless-load swapdb is LOADING while the snapshot comes; if the link drops half-way its old
    keys come back."""
    master, replica = _swapdb_setup(kind)
    try:
        with RawClient(master.port) as m, RawClient(replica.port) as r:
            assert r.call("DEBUG", "POPULATE", "20", "slave", "10") == b"+OK\r\n"
            assert r.call("SET", "mykey", "myvalue") == b"+OK\r\n"
            assert m.call("DEBUG", "POPULATE", "300", "master", "100000") == b"+OK\r\n"
            assert m.call("CONFIG", "SET", "rdb-key-save-delay", "10000") == b"+OK\r\n"  # 4 s in all
            assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
            _wait(lambda: _persistence(r).get("loading") == "1", what="the replica loading")
            assert _persistence(r)["async_loading"] == "0"
            assert m.call("CONFIG", "SET", "repl-diskless-sync-delay", "5") == b"+OK\r\n"
            assert m.call("CLIENT", "KILL", "TYPE", "replica") == b":1\r\n"
            _wait(lambda: _persistence(r).get("loading") == "0", what="the load to stop")
            assert r.call("GET", "mykey") == b"$7\r\nmyvalue\r\n"
            assert r.call("DBSIZE") == b":21\r\n"
            assert m.call("CONFIG", "SET", "rdb-key-save-delay", "0") == b"+OK\r\n"
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_swapdb_async_loading_serves_the_old_dataset(kind):
    """replication 'Diskless load swapdb (async_loading)': a full sync of the same history (matching replid)
    keeps serving the old keys during the load (async_loading:1, loading:0) and after a failed one."""
    master, replica = _swapdb_setup(kind)
    try:
        with RawClient(master.port) as m, RawClient(replica.port) as r:
            assert r.call("CONFIG", "SET", "replica-read-only", "no") == b"+OK\r\n"
            assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
            _wait(lambda: _info(r).get("master_link_status") == "up", what="first sync")
            assert r.call("DEBUG", "POPULATE", "20", "slave", "10") == b"+OK\r\n"
            assert m.call("DEBUG", "POPULATE", "300", "master", "100000") == b"+OK\r\n"
            time.sleep(0.2)
            assert r.call("DBSIZE") == b":20\r\n"  # (DEBUG POPULATE is not propagated)
            assert r.call("SET", "mykey", "myvalue") == b"+OK\r\n"
            assert m.call("CONFIG", "SET", "rdb-key-save-delay", "10000") == b"+OK\r\n"
            # a full sync again, with the same replid: the backlog no longer holds the replica's offset
            assert m.call("MULTI") == b"+OK\r\n"
            m.call("CLIENT", "KILL", "TYPE", "replica")
            m.call("CONFIG", "SET", "repl-backlog-size", "16384")
            for i in range(10):
                m.call("SET", "big%d" % i, "A" * 16384)
            assert m.call("EXEC").startswith(b"*12\r\n:1\r\n+OK\r\n")
            _wait(lambda: _persistence(r).get("async_loading") == "1", what="async loading")
            assert _persistence(r)["loading"] == "0"
            assert r.call("GET", "mykey") == b"$7\r\nmyvalue\r\n"
            # ('Blocked commands and configs during async-loading')
            loading = b"-LOADING Redis is loading the dataset in memory\r\n"
            assert r.call("CONFIG", "SET", "appendonly", "no") == loading
            assert r.call("REPLICAOF", "NO", "ONE") == loading
            assert r.call("CONFIG", "SET", "maxmemory-policy", "noeviction") == b"+OK\r\n"
            assert m.call("CONFIG", "SET", "repl-diskless-sync-delay", "5") == b"+OK\r\n"
            assert m.call("CLIENT", "KILL", "TYPE", "replica") == b":1\r\n"
            _wait(lambda: _persistence(r).get("async_loading") == "0", what="the load to stop")
            assert r.call("GET", "mykey") == b"$7\r\nmyvalue\r\n"
            assert m.call("CONFIG", "SET", "rdb-key-save-delay", "0") == b"+OK\r\n"
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_master_restarted_from_its_rdb_continues_its_history(kind):
    """psync2-master-restart: a master restarted from the RDB it saved at shutdown keeps the saved
    replication ID as its previous one (master_replid2, second_repl_offset) and its offset, feeds the DELs
    of the keys that expired meanwhile into its backlog, and its replica continues with a partial resync."""
    args = ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"]
    master = start_server(kind, args=args)
    replica = start_server(kind, args=args)
    try:
        with RawClient(replica.port) as r:
            with RawClient(master.port) as m:
                assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
                _wait(lambda: _info(r).get("master_link_status") == "up", what="link up")
                assert m.call("SET", "k", "v") == b"+OK\r\n"
                assert m.call("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
                assert m.call("SELECT", "3") == b"+OK\r\n"
                assert m.call("SET", "gone", "v", "PX", "10") == b"+OK\r\n"
                time.sleep(0.05)
                assert m.call("WAIT", "1", "2000") == b":1\r\n"
                before = _info(m)
                offset = int(before["master_repl_offset"])
                _wait(lambda: _info(r).get("slave_repl_offset") == str(offset), what="replica in sync")
                _wait(lambda: ",offset=%d," % offset in _info(m).get("slave0", ""), what="replica's ACK")
                # (NOW: no REPLCONF GETACK for lagging replicas goes into the stream first)
                m.send_raw(b"*3\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n$3\r\nNOW\r\n")
                assert m.read_until_close() == b""
            master.proc.wait(timeout=10)
            master = start_server(kind, port=master.port, workdir=master.workdir, args=args)
            _wait(lambda: _info(r).get("master_link_status") == "up", timeout=15, what="link up again")
            with RawClient(master.port) as m:
                info = _info(m)
                assert info["master_replid"] != before["master_replid"]
                assert info["master_replid2"] == before["master_replid"]
                assert info["second_repl_offset"] == str(offset + 1)
                assert info["repl_backlog_first_byte_offset"] == str(offset + 1)
                histlen = int(info["repl_backlog_histlen"])
                assert histlen > 0  # SELECT 3 + DEL gone
                assert info["master_repl_offset"] == str(offset + histlen)
                assert _info(m, "stats")["sync_partial_ok"] == "1"
                assert _info(m, "persistence")["rdb_last_load_keys_expired"] == "1"
                _wait(lambda: _info(r).get("slave_repl_offset") == str(offset + histlen), what="DEL replicated")
                assert r.call("SELECT", "3") == b"+OK\r\n"
                assert r.call("DBSIZE") == b":0\r\n"
                assert r.call("SELECT", "0") == b"+OK\r\n"
                assert r.call("GET", "k") == b"$1\r\nv\r\n"
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_a_full_sync_makes_the_replicas_of_a_replica_resync_too(kind):
    """psync2-master-restart 'Full resync after Master restart when too many key expired': when a replica
    starts a full sync, its own replicas are disconnected and must sync again (a full sync: the history
    they followed ended)."""
    args = ["--repl-diskless-sync-delay", "0"]
    master, replica, sub = (start_server(kind, args=args) for _ in range(3))
    try:
        with RawClient(master.port) as m, RawClient(replica.port) as r, RawClient(sub.port) as s:
            assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
            _wait(lambda: _info(r).get("master_link_status") == "up", what="replica up")
            assert s.call("REPLICAOF", "127.0.0.1", str(replica.port)) == b"+OK\r\n"
            _wait(lambda: _info(s).get("master_link_status") == "up", what="sub-replica up")
            assert r.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
            assert m.call("SET", "k", "v") == b"+OK\r\n"
            # the master forgets the replica's history: its next sync is a full one
            assert m.call("CONFIG", "SET", "repl-backlog-size", "16384") == b"+OK\r\n"
            assert m.call("MULTI") == b"+OK\r\n"
            m.call("CLIENT", "KILL", "TYPE", "replica")
            for i in range(4):
                m.call("SET", "big%d" % i, "A" * 16384)
            m.call("EXEC")
            _wait(lambda: _info(r, "stats").get("sync_full") == "1", timeout=15, what="the sub-replica's full sync")
            _wait(lambda: _info(s).get("master_link_status") == "up", timeout=15, what="sub-replica up again")
            _wait(lambda: s.call("DBSIZE") == b":5\r\n", what="sub-replica data")
    finally:
        for srv in (sub, replica, master):
            srv.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_replica_restarted_from_its_rdb_resyncs_partially(kind):
    """psync2 'Partial resync after restart using RDB aux fields': a replica (replicaof in its config)
    restarted from the RDB it saved at shutdown continues from the history and offset saved in it."""
    master = start_server(kind, args=["--repl-diskless-sync-delay", "0"])
    args = ["--replicaof", "127.0.0.1", str(master.port), "--save", "900 1"]
    replica = start_server(kind, args=args)
    try:
        with RawClient(master.port) as m:
            with RawClient(replica.port) as r:
                _wait(lambda: _info(r).get("master_link_status") == "up", what="link up")
                assert m.call("SELECT", "2") == b"+OK\r\n"
                assert m.call("SET", "k", "v") == b"+OK\r\n"
                assert m.call("WAIT", "1", "2000") == b":1\r\n"
                r.send_raw(b"*1\r\n$8\r\nSHUTDOWN\r\n")
                assert r.read_until_close() == b""
            replica.proc.wait(timeout=10)
            replica = start_server(kind, port=replica.port, workdir=replica.workdir, args=args)
            with RawClient(replica.port) as r:
                _wait(lambda: _info(r).get("master_link_status") == "up", timeout=15, what="link up again")
                stats = _info(m, "stats")
                assert (stats["sync_full"], stats["sync_partial_ok"]) == ("1", "1")
                assert m.call("SET", "k2", "v2") == b"+OK\r\n"  # (the stream goes on in db 2)
                _wait(lambda: r.call("SELECT", "2") == b"+OK\r\n" and r.call("GET", "k2") == b"$2\r\nv2\r\n",
                      what="the stream applied in db 2")
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_config_get_and_rewrite_show_the_current_master(kind, tmp_path):
    """psync2 'Partial resync after restart using RDB aux fields' restarts a replica after CONFIG REWRITE:
    replicaof is what REPLICAOF set (CONFIG GET replicaof; the rewritten file), gone after NO ONE."""
    import os

    conf = tmp_path / "r.conf"
    conf.write_text("save 900 1\n")
    s = start_server(kind, config_file=str(conf), workdir=str(tmp_path))
    try:
        with RawClient(s.port) as c:
            assert c.call("REPLICAOF", "127.0.0.1", "1") == b"+OK\r\n"
            assert c.call("CONFIG", "GET", "replicaof") == b"*2\r\n$9\r\nreplicaof\r\n$11\r\n127.0.0.1 1\r\n"
            assert c.call("CONFIG", "REWRITE") == b"+OK\r\n"
            assert "replicaof 127.0.0.1 1\n" in conf.read_text()
            assert c.call("REPLICAOF", "NO", "ONE") == b"+OK\r\n"
            assert c.call("CONFIG", "GET", "replicaof") == b"*2\r\n$9\r\nreplicaof\r\n$0\r\n\r\n"
            assert c.call("CONFIG", "REWRITE") == b"+OK\r\n"
            assert "replicaof" not in conf.read_text()
            assert os.path.exists(conf)
    finally:
        s.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_a_promoted_replica_selects_the_db_again_in_its_stream(kind):
    """psync2 'cluster is consistent after failover': a replica turned master starts its stream with a
    SELECT (replicationUnsetMaster resets slaveseldb), even if it last propagated to that db when it was
    a master before: its new replicas' master client may be in another db."""
    args = ["--repl-diskless-sync-delay", "0"]
    a, b = start_server(kind, args=args), start_server(kind, args=args)

    def link_up(c):
        _wait(lambda: _info(c).get("master_link_status") == "up", timeout=15, what="link up")

    try:
        with RawClient(a.port) as ca, RawClient(b.port) as cb:
            assert cb.call("REPLICAOF", "127.0.0.1", str(a.port)) == b"+OK\r\n"
            link_up(cb)
            assert ca.call("SELECT", "9") == b"+OK\r\n"
            assert ca.call("SET", "k1", "v1") == b"+OK\r\n"  # a's stream is now in db 9
            assert ca.call("WAIT", "1", "2000") == b":1\r\n"
            assert cb.call("REPLICAOF", "NO", "ONE") == b"+OK\r\n"
            assert ca.call("REPLICAOF", "127.0.0.1", str(b.port)) == b"+OK\r\n"
            link_up(ca)
            assert cb.call("SET", "k2", "v2") == b"+OK\r\n"  # in db 0: a's master client is in db 0
            _wait(lambda: ca.call("SELECT", "0") == b"+OK\r\n" and ca.call("GET", "k2") == b"$2\r\nv2\r\n",
                  what="k2 on a")
            assert ca.call("REPLICAOF", "NO", "ONE") == b"+OK\r\n"
            assert cb.call("REPLICAOF", "127.0.0.1", str(a.port)) == b"+OK\r\n"
            link_up(cb)
            assert ca.call("SELECT", "9") == b"+OK\r\n"
            assert ca.call("SET", "k3", "v3") == b"+OK\r\n"
            assert ca.call("WAIT", "1", "2000") == b":1\r\n"
            assert cb.call("SELECT", "9") == b"+OK\r\n"
            assert cb.call("GET", "k3") == b"$2\r\nv3\r\n"
            assert cb.call("SELECT", "0") == b"+OK\r\n"
            assert cb.call("EXISTS", "k3") == b":0\r\n"
    finally:
        b.stop()
        a.stop()


def test_partial_resync_continues_in_the_db_the_stream_selected(pair):
    """replication-psync 'ok psync': after a dropped link the master's stream continues without a new
    SELECT; the replica must apply it in the db the stream had selected, not in db 0."""
    master, replica, kind = pair
    with RawClient(master.port) as m, RawClient(replica.port) as r:
        assert m.call("SELECT", "9") == b"+OK\r\n"
        assert m.call("SET", "a", "1") == b"+OK\r\n"
        assert m.call("WAIT", "1", "2000") == b":1\r\n"
        assert r.call("CLIENT", "KILL", "TYPE", "master") == b":1\r\n"
        assert m.call("SET", "b", "2") == b"+OK\r\n"  # (no SELECT: the stream is still in db 9)
        _wait(lambda: _info(m, "stats").get("sync_partial_ok") == "1", timeout=15, what="partial resync")
        assert m.call("WAIT", "1", "2000") == b":1\r\n"
        assert r.call("SELECT", "9") == b"+OK\r\n"
        assert r.call("MGET", "a", "b") == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
        assert r.call("SELECT", "0") == b"+OK\r\n"
        assert r.call("DBSIZE") == b":0\r\n"


def test_backlog_holds_what_a_lagging_replica_still_needs(pair):
    """replication-buffer 'Replication backlog size can outgrow the backlog limit config': the backlog
    shares the replication buffer, so while a replica has not consumed the stream the backlog holds it
    beyond repl-backlog-size (INFO repl_backlog_histlen, mem_total_replication_buffers); once the replica
    caught up it is trimmed back."""
    import os
    import signal

    master, replica, kind = pair
    with RawClient(master.port) as m:
        assert m.call("CONFIG", "SET", "repl-backlog-size", "16384") == b"+OK\r\n"
        assert m.call("CONFIG", "SET", "client-output-buffer-limit", "replica 0 0 0") == b"+OK\r\n"
        os.kill(replica.pid, signal.SIGSTOP)
        try:
            value = "A" * 100000
            for i in range(100):  # 10 MB: more than the sockets' kernel buffers take
                assert m.call("SET", "k%d" % i, value) == b"+OK\r\n"
            info = _info(m)
            assert int(info["repl_backlog_histlen"]) > 1000000
            assert int(_info(m, "memory")["mem_total_replication_buffers"]) > 1000000
        finally:
            os.kill(replica.pid, signal.SIGCONT)
        offset = _info(m)["master_repl_offset"]
        with RawClient(replica.port) as r:
            _wait(lambda: _info(r).get("slave_repl_offset") == offset, timeout=20, what="replica caught up")
        assert m.call("SET", "x", "y") == b"+OK\r\n"
        _wait(lambda: int(_info(m)["repl_backlog_histlen"]) < 100000, timeout=10, what="backlog trimmed")


# -- full syncs made by a forked child (replication 'Connect multiple replicas at the same time',
#    'diskless ... replicas drop during rdb pipe', 'Kill rdb child process if its dumping RDB is not useful',
#    'replication child dies when parent is killed', 'PSYNC with wrong offset should throw error') ----------


def _children(pid: int) -> list:
    """get_child_pid: the processes whose parent is ``pid``."""
    import subprocess

    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _slow_master(kind: str, diskless: str, keys: int = 2000, delay_us: int = 1000):
    """A master whose snapshot takes keys * delay_us to write (rdb-key-save-delay), with one key more."""
    master = start_server(kind, args=["--enable-debug-command", "yes", "--repl-diskless-sync", diskless,
                                      "--repl-diskless-sync-delay", "0"])
    with RawClient(master.port) as m:
        assert m.call("DEBUG", "POPULATE", str(keys)) == b"+OK\r\n"
        assert m.call("CONFIG", "SET", "rdb-key-save-delay", str(delay_us)) == b"+OK\r\n"
    return master


def _replicate(replica, master) -> None:
    with RawClient(replica.port) as r:
        assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("diskless", ["no", "yes"])
def test_full_sync_is_made_by_a_child_while_the_master_serves(kind, diskless):
    """A full sync forks: INFO shows rdb_bgsave_in_progress:1 and the replica in wait_bgsave, the master has a
    child process and keeps serving; a second replica arriving meanwhile attaches to a BGSAVE to disk
    ('Waiting for end of BGSAVE for SYNC') but waits for the next snapshot when the child writes to the
    first replica's socket.  The writes made meanwhile reach both replicas."""
    master = _slow_master(kind, diskless)
    replicas = [start_server(kind), start_server(kind)]
    try:
        with RawClient(master.port) as m:
            _replicate(replicas[0], master)
            _wait(lambda: _info(m, "persistence")["rdb_bgsave_in_progress"] == "1", what="child started")
            assert "state=wait_bgsave" in _info(m)["slave0"]
            assert len(_children(master.pid)) == 1
            _replicate(replicas[1], master)
            _wait(lambda: "state=wait_bgsave" in _info(m).get("slave1", ""), what="second replica waiting")
            assert m.call("SET", "during", "1") == b"+OK\r\n"  # served while the child works
            for rep in replicas:
                with RawClient(rep.port) as r:
                    _wait(lambda: r.call("GET", "during") == b"$1\r\n1\r\n", timeout=30, what="synced")
                    assert r.call("DBSIZE") == b":2001\r\n"
            _wait(lambda: _info(m, "persistence")["rdb_bgsave_in_progress"] == "0", what="child done")
            assert "state=online" in _info(m)["slave0"] and "state=online" in _info(m)["slave1"]
            log = master.log()
            if diskless == "no":
                assert "Starting BGSAVE for SYNC with target: disk" in log
                assert "Waiting for end of BGSAVE for SYNC" in log
                assert log.count("Background saving started by pid") == 1
                assert "Background saving terminated with success" in log
            else:
                assert "Starting BGSAVE for SYNC with target: replicas sockets" in log
                assert "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC" in log
                assert log.count("Background RDB transfer started by pid") == 2
                assert "Diskless rdb transfer, done reading from pipe, 1 replicas still up." in log
                assert "Streamed RDB transfer with replica" in log
            assert _info(m, "stats")["sync_full"] == "2"
    finally:
        for rep in replicas:
            rep.stop()
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_diskless_child_is_killed_when_its_last_replica_drops(kind):
    """rdbPipeReadHandler: once no replica of a diskless transfer is left, the child is killed."""
    master = _slow_master(kind, "yes")
    replica = start_server(kind)
    try:
        with RawClient(master.port) as m:
            _replicate(replica, master)
            _wait(lambda: _info(m, "persistence")["rdb_bgsave_in_progress"] == "1", what="child started")
            child = _children(master.pid)
            assert len(child) == 1
            replica.kill()
            _wait(lambda: _info(m, "persistence")["rdb_bgsave_in_progress"] == "0", timeout=10, what="child gone")
            assert "Diskless rdb transfer, last replica dropped, killing fork child." in master.log()
            _wait(lambda: not _children(master.pid), timeout=5, what="child reaped")
            assert m.call("PING") == b"+PONG\r\n"
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_disk_child_nobody_waits_for_is_killed(kind):
    """freeClient: without save points, a BGSAVE to disk that no replica waits for any more is killed."""
    master = _slow_master(kind, "no", keys=10, delay_us=1000000)
    replica = start_server(kind)
    try:
        with RawClient(master.port) as m:
            assert m.call("CONFIG", "SET", "save", "") == b"+OK\r\n"
            _replicate(replica, master)
            _wait(lambda: _info(m, "persistence")["rdb_bgsave_in_progress"] == "1", what="child started")
            with RawClient(replica.port) as r:
                assert r.call("REPLICAOF", "NO", "ONE") == b"+OK\r\n"
            _wait(lambda: _info(m, "persistence")["rdb_bgsave_in_progress"] == "0", timeout=5, what="child killed")
            assert "Background saving terminated by signal 10" in master.log()
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_sync_child_exits_when_its_master_is_killed(kind):
    """'replication child dies when parent is killed - diskless: no': the child notices (its report to the
    parent fails) and exits."""
    master = _slow_master(kind, "no", keys=10000)
    replica = start_server(kind)
    try:
        with RawClient(master.port) as m:
            _replicate(replica, master)
            _wait(lambda: _info(m, "persistence")["rdb_bgsave_in_progress"] == "1", what="child started")
        child = _children(master.pid)
        assert len(child) == 1
        master.kill()

        def gone():
            try:
                os.kill(child[0], 0)
            except ProcessLookupError:
                return True
            with open("/proc/%d/stat" % child[0]) as f:  # a zombie (reparented, not reaped yet) is gone too
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"

        _wait(gone, timeout=8, what="child exited")
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_psync_with_a_wrong_offset_is_an_error(kind):
    srv = start_server(kind)
    try:
        with RawClient(srv.port) as c:
            assert c.call("PSYNC", "replicationid", "offset_str") == \
                b"-ERR value is not an integer or out of range\r\n"
            assert c.call("PING") == b"+PONG\r\n"
        assert "asks for synchronization but with a wrong offset" in srv.log()
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_a_replica_whose_command_makes_a_reply_is_disconnected(kind):
    """replication 'replica do not write the reply to the replication link': after PSYNC nothing is written
    back on the link; a command that would reply (GET: refused, 'Replica can't interact with the keyspace')
    disconnects the replica, with the CRITICAL log line of an error sent to a replica."""
    srv = start_server(kind, args=["--repl-diskless-sync", "no"])
    try:
        with RawClient(srv.port) as c:
            c.send_raw(b"PSYNC replicationid -1\r\n")
            _wait(lambda: "Replica" in srv.log() and "asks for synchronization" in srv.log(), what="psync")
            c.send_raw(b"GET foo\r\n")
            _wait(lambda: "Replica generated a reply to command 'get', disconnecting it: " in srv.log(),
                  timeout=10, what="the replica disconnected")
            log = srv.log()
            assert "== CRITICAL == This master is sending an error to its replica: " in log
            assert "Replica can't interact with the keyspace" in log
        with RawClient(srv.port) as c:
            assert c.call("PING") == b"+PONG\r\n"
            _wait(lambda: _info(c, "persistence")["rdb_bgsave_in_progress"] == "0", what="bgsave over")
            assert _info(c)["connected_slaves"] == "0"
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_a_refused_partial_resync_is_logged_with_its_reason(kind):
    """masterTryPartialResynchronization logs why a PSYNC cannot continue: an unknown replication ID, an
    offset the backlog does not hold (and one past the master's offset), or "?" (a full resync asked for)."""
    srv = start_server(kind)
    try:
        with RawClient(srv.port) as c:
            info = _info(c)
            c.send_raw(b"PSYNC " + b"a" * 40 + b" 1\r\n")
            _wait(lambda: "Replication ID mismatch" in srv.log(), what="the log line")
            assert ("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '%s', my "
                    "replication IDs are '%s' and '%s')" % ("a" * 40, info["master_replid"], info["master_replid2"])
                    ) in srv.log()
        with RawClient(srv.port) as admin, RawClient(srv.port) as c2, RawClient(srv.port) as c3:
            replid = _info(admin)["master_replid"]
            c2.send_raw(b"PSYNC %s 999999\r\n" % replid.encode())
            c3.send_raw(b"PSYNC ? -1\r\n")
            _wait(lambda: "for lack of backlog" in srv.log() and "Full resync requested" in srv.log(),
                  what="the log lines")
            log = srv.log()
            assert "Replica 127.0.0.1:<unknown-replica-port> asks for synchronization" in log
            assert ("Unable to partial resync with replica 127.0.0.1:<unknown-replica-port> for lack of backlog "
                    "(Replica request was: 999999).") in log
            assert ("Warning: replica 127.0.0.1:<unknown-replica-port> tried to PSYNC with an offset that is "
                    "greater than the master replication offset.") in log
            assert "Full resync requested by replica 127.0.0.1:<unknown-replica-port>" in log
    finally:
        srv.stop()
