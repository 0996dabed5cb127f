"""The PYREDIS admin commands: off by default (then exactly an unknown command, byte for byte as
redis-server 7.0 answers), on with ``pyredis-admin-commands yes``; and ``pyredis-cluster fault``."""

from __future__ import annotations

import io
import socket
import time

import pytest

from helpers import RawClient, start_server
from pyredis_cluster.cli import fault as fault_cli
from pyredis_cluster.testing import keys_in_slot, start_cluster

# -- disabled (the default) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("PYREDIS",),
    ("PYREDIS", "HELP"),
    ("PYREDIS", "FAULT", "LIST"),
    ("pyredis", "fault", "partition", "*"),
    ("PyReDiS", "EVENTS", "10"),
    ("PYREDIS", "FAULT", "INJECT", "x" * 200, "MOVED"),
    ("COMMAND", "INFO", "PYREDIS"),
    ("CONFIG", "GET", "pyredis*"),
])
def test_disabled_answers_as_unknown_command(diff, args):
    diff.same(*args)


def test_disabled_inside_multi_is_an_unknown_command(diff):
    diff.run(("MULTI",), ("PYREDIS", "FAULT", "LIST"), ("SET", "a", "1"), ("EXEC",), ("GET", "a"))


def test_disabled_in_cluster_mode():
    with start_cluster(1, 0, config={"pyredis-admin-commands": "no"}) as c:
        with RawClient(c.nodes[0].port) as r:
            assert r.call("PYREDIS", "FAULT", "LIST") == (
                b"-ERR unknown command 'PYREDIS', with args beginning with: 'FAULT' 'LIST' \r\n")
            assert r.call("PYREDIS") == b"-ERR unknown command 'PYREDIS', with args beginning with: \r\n"


def test_directive_is_immutable():
    srv = start_server("ours", args=["--pyredis-admin-commands", "yes"])
    try:
        with RawClient(srv.port) as r:
            assert r.call("CONFIG", "SET", "pyredis-admin-commands", "no").startswith(
                b"-ERR CONFIG SET failed (possibly related to argument 'pyredis-admin-commands')")
            assert r.call("PYREDIS", "FAULT", "LIST") == b"*0\r\n"
            assert r.call("PYREDIS", "FAULT", "INJECT", "1", "MOVED") == (
                b"-ERR This instance has cluster support disabled\r\n")
            help_ = r.call("PYREDIS", "HELP")
            assert help_.startswith(b"*") and b"FAULT PARTITION" in help_
    finally:
        srv.stop()


# -- enabled ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    with start_cluster(3, 1, node_timeout_ms=1000) as c:
        yield c


def test_injected_errors_are_exact(cluster):
    c = cluster
    slot = 866
    owner = c.slot_owner(slot)
    key = keys_in_slot(slot, 1)[0]
    with RawClient(owner.port) as r:
        r.call("SET", key, "v")
        assert r.call("PYREDIS", "FAULT", "INJECT", slot, "MOVED", "COUNT", 2) == b"+OK\r\n"
        moved = b"-MOVED %d %s:%d\r\n" % (slot, owner.host.encode(), owner.port)
        assert r.call("GET", key) == moved
        assert r.call("GET", key) == moved
        assert r.call("GET", key) == b"$1\r\nv\r\n"
        r.call("PYREDIS", "FAULT", "INJECT", slot, "ASK", "TO", "10.0.0.9:7777")
        assert r.call("GET", key) == b"-ASK %d 10.0.0.9:7777\r\n" % slot
        r.call("PYREDIS", "FAULT", "INJECT", "KEY", key, "TRYAGAIN")
        assert r.call("GET", key) == (
            b"-TRYAGAIN Multiple keys request during rehashing of slot\r\n")
        r.call("PYREDIS", "FAULT", "INJECT", slot, "CLUSTERDOWN")
        assert r.call("GET", key) == b"-CLUSTERDOWN The cluster is down\r\n"
        r.call("PYREDIS", "FAULT", "INJECT", slot, "LOADING", "COUNT", -1)
        for _ in range(3):
            assert r.call("GET", key) == b"-LOADING Redis is loading the dataset in memory\r\n"
        assert r.call("PING") == b"+PONG\r\n"  # keyless commands are never redirected
        assert b"forever" in r.call("PYREDIS", "FAULT", "LIST")
        assert r.call("PYREDIS", "FAULT", "HEAL", "INJECT") == b"+OK\r\n"
        assert r.call("GET", key) == b"$1\r\nv\r\n"
        # a key injection spares the other keys of the slot
        other = keys_in_slot(slot, 2)[1]
        r.call("PYREDIS", "FAULT", "INJECT", "KEY", key, "MOVED")
        assert r.call("GET", other) == b"$-1\r\n"
        assert r.call("GET", key).startswith(b"-MOVED")
        # inside MULTI the error is queued-time: EXEC aborts
        r.call("PYREDIS", "FAULT", "INJECT", slot, "TRYAGAIN")
        assert r.call("MULTI") == b"+OK\r\n"
        assert r.call("GET", key).startswith(b"-TRYAGAIN")
        assert r.call("EXEC").startswith(b"-EXECABORT")


def test_syntax_errors(cluster):
    n = cluster.nodes[0]
    with RawClient(n.port) as r:
        assert r.call("PYREDIS", "NOPE") == b"-ERR unknown subcommand 'NOPE'. Try PYREDIS HELP.\r\n"
        assert r.call("PYREDIS", "FAULT", "NOPE").startswith(b"-ERR unknown subcommand 'FAULT NOPE'")
        assert r.call("PYREDIS", "FAULT", "PARTITION", "not-a-node-id") == (
            b"-ERR Invalid node id 'not-a-node-id'\r\n")
        assert r.call("PYREDIS", "FAULT", "INJECT", "16384", "MOVED") == b"-ERR Invalid or out of range slot\r\n"
        assert r.call("PYREDIS", "FAULT", "INJECT", "1", "BOOM").startswith(b"-ERR reply must be")
        assert r.call("PYREDIS", "FAULT", "DELAY", "x", "*") == b"-ERR value is not an integer or out of range\r\n"
        assert r.call("PYREDIS", "FAULT", "CLIENTS", "maybe") == b"-ERR syntax error\r\n"
        assert r.call("PYREDIS", "FAULT", "LIST") == b"*0\r\n"


def test_events_and_bus_faults(cluster):
    c = cluster
    a, b = c.masters()[:2]
    with RawClient(a.port) as r:
        assert r.call("PYREDIS", "FAULT", "DELAY", "OUT", "50", b.id) == b"+OK\r\n"
        assert r.call("PYREDIS", "FAULT", "PARTITION", "IN", b.id) == b"+OK\r\n"
        lst = r.call("PYREDIS", "FAULT", "LIST")
        assert b"bus %s: drop in, delay out 50ms" % b.id.encode() in lst
        assert r.call("PYREDIS", "FAULT", "HEAL", b.id) == b"+OK\r\n"
        assert r.call("PYREDIS", "FAULT", "LIST") == b"*0\r\n"
    evs = c.events("fault", node=a)
    assert [e.text for e in evs[-3:]] == ["bus with %s: delay out 50ms" % b.id,
                                          "bus with %s: drop in, delay out 50ms" % b.id,
                                          "bus faults with %s healed" % b.id]
    assert evs[-1].about_node is b
    from pyredis_cluster.testing.resp import Conn

    with Conn(a.host, a.port) as conn:
        last = conn.call("PYREDIS", "EVENTS", 1)
        assert len(last) == 1 and last[0][1] == b"fault" and isinstance(last[0][0], int)


def test_clients_drop_and_refuse(cluster):
    c = cluster
    n = c.replicas()[0]
    with RawClient(n.port) as control:
        before = RawClient(n.port, timeout=0.5)
        assert before.call("PING") == b"+PONG\r\n"
        assert control.call("PYREDIS", "FAULT", "CLIENTS", "DROP") == b"+OK\r\n"
        with pytest.raises(socket.timeout):
            before.call("PING")  # unread: like lost packets
        assert control.call("PING") == b"+PONG\r\n"  # the control connection is never isolated
        late = RawClient(n.port, timeout=0.5)
        with pytest.raises(socket.timeout):
            late.call("PING")
        control.call("PYREDIS", "FAULT", "CLIENTS", "ALLOW")
        assert late.read_reply() == b"+PONG\r\n"  # what waited is served once clients are back
        assert control.call("PYREDIS", "FAULT", "CLIENTS", "REFUSE") == b"+OK\r\n"
        with pytest.raises((ConnectionError, OSError)):
            RawClient(n.port, timeout=1).call("PING")
        control.call("PYREDIS", "FAULT", "HEAL")
        with RawClient(n.port) as again:
            assert again.call("PING") == b"+PONG\r\n"
        before.close()
        late.close()


def test_pause_command_stops_a_process():
    srv = start_server("ours", args=["--pyredis-admin-commands", "yes"])
    try:
        with RawClient(srv.port) as r:
            assert r.call("PYREDIS", "FAULT", "PAUSE", "700") == b"+OK\r\n"
            t0 = time.monotonic()
            with RawClient(srv.port, timeout=5) as other:
                assert other.call("PING") == b"+PONG\r\n"
            assert time.monotonic() - t0 >= 0.5
    finally:
        srv.stop()


# -- pyredis-cluster fault ------------------------------------------------------------------------------------


def cli(*args) -> str:
    out = io.StringIO()
    assert fault_cli.main([str(a) for a in args], out=out) == 0
    return out.getvalue()


def test_cli(cluster):
    c = cluster
    seed = c.nodes[0].addr
    m0, m1 = c.masters()[:2]
    assert cli("cut", seed, m0.addr, m1.id[:10], "--one-way") == "OK\n"
    listing = cli("list", seed)
    assert "bus %s: drop out" % m1.id in listing and "bus %s: drop in" % m0.id in listing
    assert cli("delay", seed, m0.addr, m1.addr, 20) == "OK\n"
    assert cli("heal", seed) == "OK\n"
    assert "bus" not in cli("list", seed)
    assert cli("inject", m0.addr, "somekey", "MOVED", "--count", 3) == "OK\n"
    assert "inject MOVED on key somekey (3 left" in cli("list", seed)
    assert cli("clients", m1.addr, "drop", "--seconds", 30) == "OK\n"
    assert "clients drop" in cli("list", seed)
    cli("partition", seed, m0.addr)  # m0 alone, everybody else together
    assert "drop both" in cli("list", seed)
    cli("heal", seed)
    events = cli("events", seed, "--kind", "fault", "--count", 1000)
    assert "injections cleared" in events and "clients allowed again" in events
    c.wait_stable(30)
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        assert fault_cli.main(["list", "127.0.0.1:1"]) == 1
    assert "[ERR] Could not connect" in err.getvalue()


def test_cluster_main_dispatches_fault(cluster):
    from pyredis_cluster.cli import cluster_main

    assert cluster_main.main(["fault", "list", cluster.nodes[0].addr]) == 0
