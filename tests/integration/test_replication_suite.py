"""Regressions found by running Redis 7.0.15's own replication tests (tests/integration/replication*.tcl,
block-repl, psync2*) with our node as the server binary.  Each test runs against our server and
Debian's redis-server alike, and names the tcl unit that exposed the difference."""

from __future__ import annotations

import time

import pytest

from tests.helpers import RawClient, start_server

KINDS = ["ours", "redis"]


def _wait(pred, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


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
