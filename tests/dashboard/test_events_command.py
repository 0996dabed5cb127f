"""PYREDIS EVENTS on real nodes: readable without the admin commands in cluster mode (unless
``cluster-events-command no``), and streamed to the log at ``cluster-event-loglevel``."""

from __future__ import annotations

import os
import shutil

import redis

from helpers import RawClient, create_cluster, start_cluster_nodes, wait_cluster_ok, wait_until


def _stop(nodes):
    for n in nodes:
        n.stop()
        shutil.rmtree(n.workdir, ignore_errors=True)


def test_events_command_and_loglevel():
    nodes = start_cluster_nodes(["ours"] * 3, node_timeout=2000,
                                extra_args=["--logfile", "server.log", "--cluster-event-loglevel", "warning"])
    try:
        create_cluster(nodes)
        wait_cluster_ok(nodes)
        r = redis.Redis(port=nodes[0].port)
        evs = r.execute_command("PYREDIS", "EVENTS", "1000")
        kinds = [e[1].decode() for e in evs]
        assert "meet" in kinds and "handshake" in kinds and "slots" in kinds and "state" in kinds
        t, kind, node, text = evs[0]
        assert isinstance(t, int) and len(node.decode()) in (0, 40) and text
        assert len(r.execute_command("PYREDIS", "EVENTS", "2")) == 2
        assert r.execute_command("PYREDIS", "EVENTS", "0") == []
        assert r.config_get("cluster-event-loglevel") == {"cluster-event-loglevel": "warning"}
        # every event went to the log at the warning level ('#')
        log = open(os.path.join(nodes[0].workdir, "server.log")).read()
        assert "# CLUSTER ADDSLOTS: 5461 slots assigned to myself: 0-5460" in log
        # 'nothing': no more event lines
        r.config_set("cluster-event-loglevel", "nothing")
        size = os.path.getsize(os.path.join(nodes[0].workdir, "server.log"))
        r.execute_command("CLUSTER", "BUMPEPOCH")
        assert r.execute_command("PYREDIS", "EVENTS", "1")[0][1] == b"epoch"
        assert os.path.getsize(os.path.join(nodes[0].workdir, "server.log")) == size
        # the switch: off -> an unknown command, as redis-server says it
        r.config_set("cluster-events-command", "no")
        with RawClient(nodes[0].port) as raw:
            assert raw.call("PYREDIS", "EVENTS", "1") == (
                b"-ERR unknown command 'PYREDIS', with args beginning with: 'EVENTS' '1' \r\n")
            assert raw.call("PYREDIS", "FAULT", "LIST").startswith(b"-ERR unknown command 'PYREDIS'")
        r.config_set("cluster-events-command", "yes")
        assert len(r.execute_command("PYREDIS", "EVENTS", "1")) == 1
        # a hidden directive: CONFIG GET * does not list it (so CONFIG GET answers as redis-server's)
        assert "cluster-events-command" not in r.config_get("*")
        # the rest of the PYREDIS family stays behind pyredis-admin-commands
        with RawClient(nodes[0].port) as raw:
            assert raw.call("PYREDIS", "HELP").startswith(b"-ERR unknown command 'PYREDIS'")
    finally:
        _stop(nodes)


def test_migration_steps_are_recorded():
    nodes = start_cluster_nodes(["ours"] * 3, node_timeout=2000)
    try:
        create_cluster(nodes)
        wait_cluster_ok(nodes)
        a, b = (redis.Redis(port=n.port) for n in nodes[:2])
        ida, idb = a.execute_command("CLUSTER", "MYID").decode(), b.execute_command("CLUSTER", "MYID").decode()
        slot = 100  # a's
        b.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", ida)
        a.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", idb)
        b.execute_command("CLUSTER", "SETSLOT", slot, "NODE", idb)
        a.execute_command("CLUSTER", "SETSLOT", slot, "NODE", idb)
        texts_a = [e[3].decode() for e in a.execute_command("PYREDIS", "EVENTS", "50")]
        texts_b = [e[3].decode() for e in b.execute_command("PYREDIS", "EVENTS", "50")]
        assert any("SETSLOT 100 MIGRATING %s" % idb in t for t in texts_a)
        assert any("SETSLOT 100 IMPORTING %s" % ida in t for t in texts_b)
        assert any("SETSLOT 100 NODE %s" % idb in t for t in texts_b)
        assert any("configEpoch updated after importing slot 100" in t for t in texts_b)
        wait_until(lambda: any("slots" == e[1].decode() and "100" in e[3].decode()
                               for e in a.execute_command("PYREDIS", "EVENTS", "50")), 10, what="slot 100 moved")
    finally:
        _stop(nodes)
