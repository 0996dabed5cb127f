"""Clients blocked on keys in cluster mode (BLPOP): released with MOVED when their slot moves to another
node, and with CLUSTERDOWN when the cluster goes down -- as redis-server 7.0 does, compared on a pair of
single-node clusters in the same state."""

from __future__ import annotations

import shutil
import time

import pytest

from helpers import RawClient, cluster_args, free_port, start_server, wait_until


@pytest.fixture
def pair():
    servers = []
    for kind in ("ours", "redis"):
        port = free_port()
        servers.append(start_server(kind, port=port, args=cluster_args(port, 3000)))
    yield servers
    for s in servers:
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)


def release_reply(srv, action) -> bytes:
    admin = RawClient(srv.port)
    admin.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
    wait_until(lambda: b"cluster_state:ok" in admin.call("CLUSTER", "INFO"), timeout=10, what="cluster ok")
    blocked = RawClient(srv.port)
    blocked.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$3\r\nfoo\r\n$1\r\n0\r\n")
    time.sleep(0.3)
    action(admin)
    reply = blocked.read_reply()
    blocked.close()
    admin.close()
    return reply


@pytest.mark.parametrize("kind", ["ours", "redis"])
def test_slot_moved_away_releases_with_moved(kind):
    a_port, b_port = free_port(), free_port()
    a = start_server(kind, port=a_port, args=cluster_args(a_port, 3000))
    b = start_server(kind, port=b_port, args=cluster_args(b_port, 3000))
    try:
        ca, cb = RawClient(a_port), RawClient(b_port)
        ca.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        ca.call("CLUSTER", "MEET", "127.0.0.1", str(b_port))
        b_id = cb.call("CLUSTER", "MYID")[5:-2]
        wait_until(lambda: b_id in ca.call("CLUSTER", "NODES") and b"handshake" not in ca.call("CLUSTER", "NODES"),
                   timeout=10, what="b known")
        wait_until(lambda: b"cluster_state:ok" in ca.call("CLUSTER", "INFO"), timeout=10, what="cluster ok")
        blocked = RawClient(a_port)
        blocked.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$3\r\nfoo\r\n$1\r\n0\r\n")
        time.sleep(0.3)
        assert ca.call("CLUSTER", "SETSLOT", "12182", "NODE", b_id) == b"+OK\r\n"
        reply = blocked.read_reply()
        assert reply == b"-MOVED 12182 127.0.0.1:%d\r\n" % b_port
        for c in (ca, cb, blocked):
            c.close()
    finally:
        for s in (a, b):
            s.stop()
            shutil.rmtree(s.workdir, ignore_errors=True)


def test_cluster_down_releases_with_clusterdown(pair):
    replies = [release_reply(s, lambda admin: admin.call("CLUSTER", "DELSLOTS", "1")) for s in pair]
    assert replies[0] == replies[1] == b"-CLUSTERDOWN The cluster is down\r\n"
