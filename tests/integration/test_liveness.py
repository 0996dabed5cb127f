"""Hostile or careless clients must not take the node down for the others.  Each test keeps a misbehaving
load on one server and measures PING round trips from a fresh client meanwhile: a liveness check with a
generous bound, not a benchmark."""

from __future__ import annotations

import os
import resource
import shutil
import socket
import threading
import time

import pytest

from helpers import RawClient, encode_command, start_server

RTT_BOUND = 0.5  # seconds: a PING must come back this fast while the node is under attack


def ping_rtts(port: int, n: int = 10, interval: float = 0.05) -> list:
    out = []
    with RawClient(port, timeout=10) as c:
        for _ in range(n):
            t = time.monotonic()
            assert c.call("PING") == b"+PONG\r\n"
            out.append(time.monotonic() - t)
            time.sleep(interval)
    return out


def rss_kb(pid: int) -> int:
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@pytest.fixture
def server():
    s = start_server("ours")
    yield s
    s.stop()
    shutil.rmtree(s.workdir, ignore_errors=True)


def test_slow_loris(server):
    """200 clients trickle their commands one byte at a time; the node serves others meanwhile."""
    cmd = encode_command("SET", "loris", "x" * 20)
    socks = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(200)]
    stop = threading.Event()

    def trickle():
        i = 0
        while not stop.is_set() and i < len(cmd) - 1:  # never the last byte: the command stays open
            for s in socks:
                s.sendall(cmd[i:i + 1])
            i += 1
            time.sleep(0.02)

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        rtts = ping_rtts(server.port, n=20)
        print("slow loris: max PING RTT %.1f ms" % (max(rtts) * 1000))
        assert max(rtts) < RTT_BOUND, rtts
        with RawClient(server.port) as c:
            listing = c.call("CLIENT", "LIST").decode()
            assert listing.count("qbuf=") == 201
    finally:
        stop.set()
        t.join(5)
    for s in socks:
        s.close()
    assert max(ping_rtts(server.port, n=3)) < RTT_BOUND


def test_client_that_never_reads(server):
    """A client pipelines 40 MB of replies and never reads them (no output limit for normal clients by
    default, as in Redis): the node keeps serving others and frees the memory when it goes."""
    with RawClient(server.port) as c:
        c.call("SET", "big", "x" * 1000000)
    s = socket.create_connection(("127.0.0.1", server.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(encode_command("GET", "big") * 40)
    time.sleep(0.5)
    rtts = ping_rtts(server.port)
    print("never-reading client: max PING RTT %.1f ms" % (max(rtts) * 1000))
    assert max(rtts) < RTT_BOUND, rtts
    with RawClient(server.port) as c:
        listing = c.call("CLIENT", "LIST").decode()
        omem = max(int(f.split("=")[1]) for line in listing.splitlines() for f in line.split() if f.startswith("omem="))
        assert omem > 10 * 1000000  # the backlog is visible in CLIENT LIST
    s.close()
    time.sleep(0.3)
    assert max(ping_rtts(server.port, n=3)) < RTT_BOUND


def test_ten_thousand_idle_connections():
    """10 000 connections that never send anything; a new client is still served promptly."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 10200 + 64
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip("the hard limit on open files (%d) is below %d" % (hard, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    s = start_server("ours", args=["--maxclients", "10100"])  # inherits the raised limit
    socks = []
    try:
        t0 = time.monotonic()
        for i in range(10000):
            socks.append(socket.create_connection(("127.0.0.1", s.port), timeout=10))
            if i % 2000 == 1999:
                assert max(ping_rtts(s.port, n=2, interval=0)) < 2 * RTT_BOUND
        assert time.monotonic() - t0 < 120
        time.sleep(0.5)
        rtts = ping_rtts(s.port, n=10)
        print("10000 idle connections (opened in %.1f s): max PING RTT %.1f ms" % (time.monotonic() - t0,
                                                                                 max(rtts) * 1000))
        assert max(rtts) < RTT_BOUND, rtts
        with RawClient(s.port) as c:
            info = c.call("INFO", "clients").decode()
            assert "connected_clients:10001\r\n" in info, info
    finally:
        for x in socks:
            x.close()
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_512mb_bulk_header(server):
    """A client announces a 512 MB argument (the proto-max-bulk-len maximum) and sends a little of it:
    nothing is allocated ahead of the data, others are served, and one byte more is refused."""
    before = rss_kb(server.pid)
    hog = socket.create_connection(("127.0.0.1", server.port))
    hog.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n" + b"x" * 1000000)
    time.sleep(0.3)
    rtts = ping_rtts(server.port)
    print("512 MB bulk header: max PING RTT %.1f ms, RSS +%d KB" % (max(rtts) * 1000, rss_kb(server.pid) - before))
    assert max(rtts) < RTT_BOUND, rtts
    assert rss_kb(server.pid) - before < 64 * 1024  # far from 512 MB
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"*2\r\n$3\r\nGET\r\n$536870913\r\n")
        s.settimeout(5)
        assert s.recv(100) == b"-ERR Protocol error: invalid bulk length\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"*1000000000\r\n")  # a billion arguments announced: no array allocated
        time.sleep(0.2)
        assert max(ping_rtts(server.port, n=3)) < RTT_BOUND
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"*3000000000\r\n")  # more than INT_MAX
        s.settimeout(5)
        assert s.recv(100) == b"-ERR Protocol error: invalid multibulk length\r\n"
    hog.close()
    time.sleep(0.2)
    assert max(ping_rtts(server.port, n=3)) < RTT_BOUND
