"""`replicaof <host> <port>` in the configuration (file or command line) makes a node a replica from the
start, as redis-server: it connects, syncs and follows the master's writes; our node and redis-server as
masters and replicas of each other."""

from __future__ import annotations

import os
import tempfile

import pytest

from helpers import RawClient, start_server, wait_until


def _info_field(port: int, field: str) -> str:
    with RawClient(port) as c:
        body = c.call("INFO", "replication").decode()
    for line in body.split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return ""


def _get(port: int, key: str) -> bytes:
    with RawClient(port) as c:
        return c.call("GET", key)


@pytest.mark.parametrize("master_kind, replica_kind", [("ours", "ours"), ("redis", "ours"), ("ours", "redis")])
@pytest.mark.parametrize("how", ["argument", "file"])
def test_replicaof_in_the_config(master_kind, replica_kind, how):
    master = start_server(master_kind)
    replica = None
    try:
        with RawClient(master.port) as c:
            c.call("SET", "before", "1")
        if how == "argument":
            replica = start_server(replica_kind, args=["--replicaof", "127.0.0.1", str(master.port)])
        else:
            fd, path = tempfile.mkstemp(suffix=".conf")
            with os.fdopen(fd, "w") as f:
                f.write("replicaof 127.0.0.1 %d\n" % master.port)
            replica = start_server(replica_kind, config_file=path)
        assert _info_field(replica.port, "role") == "slave"
        wait_until(lambda: _info_field(replica.port, "master_link_status") == "up", 20, what="replica in sync")
        with RawClient(master.port) as c:
            c.call("SET", "after", "2")
        wait_until(lambda: _get(replica.port, "after") == b"$1\r\n2\r\n", 10, what="write followed")
        with RawClient(replica.port) as r:
            assert r.call("GET", "before") == b"$1\r\n1\r\n"
            assert r.call("SET", "x", "1") == b"-READONLY You can't write against a read only replica.\r\n"
    finally:
        for s in (replica, master):
            if s is not None:
                s.stop()
