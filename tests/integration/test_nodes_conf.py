"""nodes-PORT.conf on real processes: written at first start in Redis's format, locked against a second
node, a corrupt file refused with a clear message, and the node's identity kept across restarts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from helpers import ROOT, RawClient, cluster_args, free_port, start_server


def run_server(args, cwd, timeout=10):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "pyredis_cluster.cli.server_main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_first_start_writes_redis_format_and_restart_keeps_identity():
    port = free_port()
    srv = start_server("ours", port=port, args=cluster_args(port))
    try:
        with RawClient(port) as c:
            myid = c.call("CLUSTER", "MYID")[5:-2].decode()
            assert c.call("CLUSTER", "ADDSLOTSRANGE", "0", "99") == b"+OK\r\n"
            assert c.call("CLUSTER", "BUMPEPOCH") == b"+BUMPED 1\r\n"
            assert c.call("CLUSTER", "SAVECONFIG") == b"+OK\r\n"
        text = open(os.path.join(srv.workdir, "nodes-%d.conf" % port)).read()
        lines = text.split("\n")
        assert lines[0].startswith("%s 127.0.0.1:%d@%d myself,master - 0 " % (myid, port, port + 10000)) or \
            lines[0].startswith("%s :%d@%d myself,master - 0 " % (myid, port, port + 10000))
        assert lines[0].endswith(" 1 connected 0-99")
        assert lines[1] == "vars currentEpoch 1 lastVoteEpoch 0" and lines[2] == "" and len(lines) == 3
        srv.stop()
        srv = start_server("ours", port=port, workdir=srv.workdir, args=cluster_args(port))
        with RawClient(port) as c:
            assert c.call("CLUSTER", "MYID")[5:-2].decode() == myid
            nodes = c.call("CLUSTER", "NODES").decode()
            assert " 1 connected 0-99" in nodes
            assert "cluster_current_epoch:1" in c.call("CLUSTER", "INFO").decode()
    finally:
        srv.stop()
        shutil.rmtree(srv.workdir, ignore_errors=True)


def test_two_nodes_cannot_share_a_file():
    port = free_port()
    srv = start_server("ours", port=port, args=cluster_args(port))
    try:
        other = free_port()
        res = run_server(["--port", str(other), "--cluster-enabled", "yes", "--cluster-config-file",
                          "nodes-%d.conf" % port, "--save", ""], cwd=srv.workdir)
        assert res.returncode == 1
        assert "is already used by a different Redis Cluster node" in res.stdout + res.stderr
        with RawClient(port) as c:
            assert c.call("PING") == b"+PONG\r\n"
    finally:
        srv.stop()
        shutil.rmtree(srv.workdir, ignore_errors=True)


def test_corrupt_file_is_refused_with_the_line():
    d = tempfile.mkdtemp()
    try:
        with open(os.path.join(d, "nodes.conf"), "w") as f:
            f.write("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:7000@17000 myself,master - 0 0 0 connected 0-x\n")
        res = run_server(["--port", str(free_port()), "--cluster-enabled", "yes", "--save", ""], cwd=d)
        assert res.returncode == 1
        out = res.stdout + res.stderr
        assert "corrupted cluster config file" in out and "line 1" in out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_announced_hostname_reaches_the_other_nodes():
    ports = [free_port(), free_port()]
    servers = [start_server("ours", port=p, args=cluster_args(p) + ["--cluster-announce-hostname", "node-%d.example" % i])
               for i, p in enumerate(ports)]
    try:
        with RawClient(ports[0]) as c:
            assert c.call("CLUSTER", "MEET", "127.0.0.1", str(ports[1])) == b"+OK\r\n"
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with RawClient(ports[1]) as c:
                nodes = c.call("CLUSTER", "NODES").decode()
            if "127.0.0.1:%d@%d,node-0.example master" % (ports[0], ports[0] + 10000) in nodes:
                break
            time.sleep(0.1)
        assert "127.0.0.1:%d@%d,node-0.example master" % (ports[0], ports[0] + 10000) in nodes
        assert ",node-1.example myself,master" in nodes
    finally:
        for s in servers:
            s.stop()
            shutil.rmtree(s.workdir, ignore_errors=True)
