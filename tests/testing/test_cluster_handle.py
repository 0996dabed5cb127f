"""The test-cluster handle on real nodes: starting (ports, modes, meet), killing, restarting, pausing,
bus faults (one-way cuts, delays), client isolation, migrations and the event log."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import redis

from helpers import RawClient
from pyredis_cluster.testing import keys_in_slot, start_cluster
from pyredis_cluster.testing.cluster import free_port


def pfail_seen(c, observer, about) -> bool:
    e = c.view(observer).entries.get(about.id)
    return e is not None and bool(e["flags"] & {"fail?", "fail"})


def test_start_inprocess_is_usable():
    # (how fast it starts is a benchmark's business: bench/start_time.py, under 1 s on a quiet machine)
    with start_cluster(3, 1) as c:
        assert len(c.nodes) == 6 and len(c.masters()) == 3 and len(c.replicas()) == 3
        assert {c.master_of(r) for r in c.replicas()} == set(c.masters())
        rc = c.client()
        rc.set("a", "1")
        assert rc.get("a") == b"1"
        for n in c.nodes:
            assert n.port + 10000 == n.bus_port
        ports = {n.port for n in c.nodes}
    # the ports are released for reuse once the cluster is closed
    assert len(ports) == 6


def test_two_clusters_side_by_side():
    results = {}

    def run(i):
        with start_cluster(2, 1) as c:
            c.client().set("k", i)
            results[i] = ({n.port for n in c.nodes}, c.client().get("k"))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results[0][1] == b"0" and results[1][1] == b"1"
    assert not results[0][0] & results[1][0]


def test_base_port_and_meet():
    base = free_port()
    with start_cluster(3, 0, base_port=base, create="meet") as c:
        assert [n.port for n in c.nodes] == [base, base + 1, base + 2]
        assert c.stable()[0]
        assert {e.kind for e in c.events()} >= {"meet", "handshake"}


def test_process_mode_kill_pause_restart():
    with start_cluster(3, 1, mode="process", node_timeout_ms=1000) as c:
        assert all(n.proc is not None for n in c.nodes)
        rc = c.client()
        rc.set("x", "1")
        m = c.owner_of_key("x")
        r = c.replicas_of(m)[0]
        other = next(n for n in c.masters() if n is not m)
        sleeper = next(n for n in c.replicas() if n is not r)
        c.pause(sleeper)  # SIGSTOP (a replica: nobody replaces it)
        c.wait_for(lambda: pfail_seen(c, other, sleeper), 15, what="PFAIL of the stopped replica")
        c.resume(sleeper)  # SIGCONT: it is simply back
        c.wait_stable(30)
        assert c.role(sleeper) == "replica"
        c.kill(m)  # SIGKILL
        c.wait_for(lambda: c.role(r) == "master", 30, what="failover")
        c.restart(m)
        c.wait_stable(30)
        assert c.role(m) == "replica" and c.master_of(m) is r
        assert rc.get("x") == b"1"
        assert [e.node for e in c.events("election-won")] == [r]


def test_inprocess_pause_resume_and_kill_restart():
    with start_cluster(3, 1, node_timeout_ms=1000) as c:
        m, other = c.masters()[:2]
        sleeper = c.replicas_of(other)[0]  # a replica: nobody replaces it while it sleeps
        c.pause(sleeper, seconds=30)
        with pytest.raises(socket.timeout):
            _ping(sleeper.port, 0.5)
        c.wait_for(lambda: pfail_seen(c, other, sleeper), 15)
        c.resume(sleeper)
        assert _ping(sleeper.port, 2) == b"+PONG\r\n"
        c.wait_stable(30)
        old_id = m.id
        r = c.replicas_of(m)[0]
        c.kill(m)
        assert not m.alive and c.role(m) is None
        c.wait_for(lambda: c.role(r) == "master", 30)
        c.restart(m)
        c.wait_stable(30)
        assert c.view(m).myself["id"] == old_id and c.role(m) == "replica"
        # the events of the killed incarnation were kept
        assert any(e.node is m and e.kind == "state" for e in c.events())


def _ping(port, timeout):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"PING\r\n")
        return s.recv(100)


def test_one_way_cut_and_heal():
    with start_cluster(3, 0, node_timeout_ms=1000) as c:
        a, b, _ = c.nodes
        c.cut(a, b, one_way=True)
        assert any("drop out" in f for f in c.faults(a))
        assert any("drop in" in f for f in c.faults(b))
        # b stops hearing a: PFAIL (the PONGs a sends back are lost as well)
        c.wait_for(lambda: pfail_seen(c, b, a), 15)
        c.heal(a, b)
        assert c.faults(a) == [] and c.faults(b) == []
        c.wait_stable(30)


def test_delay_bus():
    with start_cluster(3, 0, node_timeout_ms=1000) as c:
        a, b, x = c.nodes
        c.delay_bus(a, b, 200)  # well under node_timeout / 2: nothing fails
        time.sleep(2.5)
        assert c.stable()[0] and not pfail_seen(c, b, a)
        c.delay_bus(a, b, 3000)  # more than the node timeout: a and b suspect each other
        c.wait_for(lambda: pfail_seen(c, b, a) and pfail_seen(c, a, b), 15)
        assert not pfail_seen(c, x, a)
        c.heal()
        c.wait_stable(30)


def test_isolate_clients():
    with start_cluster(3, 1) as c:
        m = c.masters()[0]
        plain = RawClient(m.port, timeout=0.5)
        assert plain.call("PING") == b"+PONG\r\n"
        c.isolate_clients(m)
        with pytest.raises(socket.timeout):
            plain.call("PING")
        assert c.stable()[0]  # the bus and the harness's control connections still work
        c.isolate_clients(m, mode="refuse")
        with pytest.raises((ConnectionError, OSError)):
            RawClient(m.port, timeout=1).call("PING")
        c.heal()
        assert redis.Redis(m.host, m.port, socket_timeout=1).ping()
        plain.close()


def test_migration_cancel_and_events():
    with start_cluster(3, 0) as c:
        rc = c.client()
        keys = keys_in_slot(42, 4)
        for k in keys:
            rc.set(k, k)
        src = c.slot_owner(42)
        dst = next(m for m in c.masters() if m is not src)
        mig = c.migrate_slot(42, dst, keys=1)
        assert len(mig.moved) == 1 and len(mig.keys_at_target()) == 1
        assert "[42->-%s]" % dst.id in c.call(src, "CLUSTER", "NODES").decode()
        mig.cancel()
        assert sorted(mig.keys_at_source()) == sorted(k.encode() for k in keys)
        assert c.slot_owner(42) is src and c.stable()[0]
        assert [rc.get(k) for k in keys] == [k.encode() for k in keys]
        with c.migrate_slot(42, dst, keys="none"):
            pass  # leaving the block finishes the migration
        assert c.slot_owner(42) is dst
        assert any(e.kind == "slots" and "42" in e.text for e in c.events())


def test_reset():
    with start_cluster(3, 1, node_timeout_ms=1000) as c:
        rc = c.client()
        rc.set("k", "v")
        src = c.owner_of_key("k")
        c.migrate_slot(c.slot_of("k"), next(m for m in c.masters() if m is not src))
        c.inject(None, 5, reply="LOADING", count=-1)
        c.kill(c.replicas()[0])
        c.isolate_clients(c.masters()[1])
        c.reset()
        assert all(n.alive for n in c.nodes) and c.stable()[0]
        assert all(c.faults(n) == [] for n in c.nodes)
        assert c.client().get("k") is None
