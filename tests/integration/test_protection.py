"""Protections against clients, compared with redis-server 7.0.15 where the behaviour is observable the same
way: protected mode, rename-command, the DEBUG / protected-config gates, the "POST / Host:" guard,
maxclients, the query buffer limit, proto-max-bulk-len, output buffer limits, idle timeout and maxmemory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from helpers import RawClient, encode_command, free_port, start_server
from resp_parse import parse

EXTERNAL_IP = None
try:  # a non-loopback address of this machine (protected mode refuses clients coming from it)
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    EXTERNAL_IP = next((a for a in out if "." in a and not a.startswith("127.")), None)
except OSError:
    pass


def both(args=(), **kw):
    return [start_server(kind, args=list(args), **kw) for kind in ("ours", "redis")]


def stop_all(servers):
    for s in servers:
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)


def recv_all(sock, timeout=3.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def ping_rtt(port: int) -> float:
    with RawClient(port, timeout=10) as c:
        t = time.monotonic()
        assert c.call("PING") == b"+PONG\r\n"
        return time.monotonic() - t


# -- protected mode ---------------------------------------------------------------------------------------------


@pytest.mark.skipif(EXTERNAL_IP is None, reason="no non-loopback address on this machine")
def test_protected_mode():
    servers = both(["--bind", "0.0.0.0"])
    try:
        replies = []
        for s in servers:
            sock = socket.create_connection((EXTERNAL_IP, s.port), timeout=5)
            replies.append(recv_all(sock))  # (sent at once, before any command)
            sock.close()
        assert replies[0] == replies[1] and replies[0].startswith(b"-DENIED Redis is running in protected mode")
        # the loopback interface is always served
        for s in servers:
            assert RawClient(s.port).call("PING") == b"+PONG\r\n"
        # the default user gets a password: everybody may connect (and must AUTH)
        for s in servers:
            with RawClient(s.port) as c:
                assert c.call("CONFIG", "SET", "requirepass", "pw") == b"+OK\r\n"
        got = []
        for s in servers:
            with socket.create_connection((EXTERNAL_IP, s.port), timeout=5) as sock:
                sock.sendall(encode_command("PING") + encode_command("AUTH", "pw") + encode_command("PING"))
                time.sleep(0.3)
                got.append(recv_all(sock, 0.5))
        assert got[0] == got[1] == b"-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n"
        # protected mode looks only at "nopass": a default user without password (resetpass) is not protected
        for s in servers:
            with RawClient(s.port) as c:
                c.call("AUTH", "pw")
                assert c.call("ACL", "SETUSER", "default", "resetpass") == b"+OK\r\n"
        got = []
        for s in servers:
            with socket.create_connection((EXTERNAL_IP, s.port), timeout=5) as sock:
                sock.sendall(encode_command("PING"))
                got.append(recv_all(sock, 0.5))
        assert got[0] == got[1] == b"-NOAUTH Authentication required.\r\n"
    finally:
        stop_all(servers)


@pytest.mark.skipif(EXTERNAL_IP is None, reason="no non-loopback address on this machine")
def test_protected_mode_off_and_counted():
    servers = both(["--bind", "0.0.0.0", "--protected-mode", "no"])
    try:
        for s in servers:
            with socket.create_connection((EXTERNAL_IP, s.port), timeout=5) as sock:
                sock.sendall(encode_command("PING"))
                assert recv_all(sock, 0.5) == b"+PONG\r\n"
            with RawClient(s.port) as c:
                c.call("CONFIG", "SET", "protected-mode", "yes")
            with socket.create_connection((EXTERNAL_IP, s.port), timeout=5) as sock:
                assert recv_all(sock, 1).startswith(b"-DENIED")
            with RawClient(s.port) as c:
                stats = c.call("INFO", "stats").decode()
                assert "rejected_connections:1\r\n" in stats, (s.kind, stats)
    finally:
        stop_all(servers)


# -- rename-command, DEBUG, protected configs, POST ---------------------------------------------------------------


def test_rename_command():
    servers = both(["--rename-command", "get", "xget", "--rename-command", "flushall", "", "--rename-command",
                    "config", "cfg"])
    try:
        outs = []
        for s in servers:
            with RawClient(s.port) as c:
                outs.append([c.call(*a) for a in (
                    ("SET", "k", "v"), ("GET", "k"), ("XGET", "k"), ("xget", "k"), ("XgEt", "k"), ("FLUSHALL",),
                    ("CONFIG", "GET", "port"), ("CFG", "GET", "maxclients"), ("cfg", "nosuch"), ("MULTI",),
                    ("GET", "k"), ("XGET", "k"), ("EXEC",), ("DBSIZE",))])
        assert outs[0] == outs[1]
        assert outs[0][2] == b"$1\r\nv\r\n" and outs[0][1].startswith(b"-ERR unknown command 'GET'")
    finally:
        stop_all(servers)


def test_debug_and_protected_configs_gates():
    servers = both()
    try:
        outs = []
        for s in servers:
            with RawClient(s.port) as c:
                outs.append([c.call(*a) for a in (
                    ("DEBUG", "SLEEP", "0"), ("DEBUG", "nosuch"), ("DEBUG",), ("MULTI",), ("DEBUG", "SLEEP", "0"),
                    ("EXEC",), ("CONFIG", "SET", "dir", "/tmp"), ("CONFIG", "SET", "dbfilename", "x.rdb"),
                    ("CONFIG", "SET", "enable-debug-command", "yes"), ("AUTH", "x"))])
        assert outs[0] == outs[1]
        assert outs[0][0].startswith(b"-ERR DEBUG command not allowed")
    finally:
        stop_all(servers)


def test_http_post_is_dropped():
    servers = both()
    try:
        for s in servers:
            with socket.create_connection(("127.0.0.1", s.port), timeout=5) as sock:
                sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                assert recv_all(sock, 2) == b"", s.kind
            with socket.create_connection(("127.0.0.1", s.port), timeout=5) as sock:
                sock.sendall(b"PING\r\nHost: evil\r\nPING\r\n")
                assert recv_all(sock, 1) == b"", s.kind  # (the first PONG is dropped with the client)
            assert "Possible SECURITY ATTACK detected" in s.log() or s.kind == "redis"
    finally:
        stop_all(servers)


# -- maxclients, query buffer, bulk length --------------------------------------------------------------------------


def test_maxclients():
    servers = both(["--maxclients", "4"])
    try:
        for s in servers:
            clients = [RawClient(s.port) for _ in range(4)]
            for c in clients:
                assert c.call("PING") == b"+PONG\r\n"
            sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            assert recv_all(sock, 1) == b"-ERR max number of clients reached\r\n", s.kind
            sock.close()
            clients.pop().close()
            time.sleep(0.2)
            with RawClient(s.port) as c:
                assert c.call("PING") == b"+PONG\r\n"
                assert "rejected_connections:1\r\n" in c.call("INFO", "stats").decode()
            for c in clients:
                c.close()
    finally:
        stop_all(servers)


def test_query_buffer_limit_and_bulk_length():
    servers = both(["--client-query-buffer-limit", "1mb"])
    try:
        for s in servers:
            # a bulk longer than proto-max-bulk-len
            with RawClient(s.port) as c:
                assert c.call("CONFIG", "SET", "proto-max-bulk-len", "1mb") == b"+OK\r\n"
            with socket.create_connection(("127.0.0.1", s.port), timeout=5) as sock:
                sock.sendall(b"*2\r\n$3\r\nGET\r\n$2000000\r\n")
                assert recv_all(sock, 2) == b"-ERR Protocol error: invalid bulk length\r\n", s.kind
            # a command that never ends, past the query buffer limit: closed without a reply
            with RawClient(s.port) as c:
                assert c.call("CONFIG", "SET", "proto-max-bulk-len", "10mb") == b"+OK\r\n"
            with socket.create_connection(("127.0.0.1", s.port), timeout=5) as sock:
                sock.sendall(b"*2\r\n$3\r\nGET\r\n$5000000\r\n" + b"x" * 600000)
                time.sleep(0.2)
                try:
                    sock.sendall(b"x" * 600000)
                except OSError:
                    pass
                assert recv_all(sock, 2) == b"", s.kind
            assert "Closing client that reached max query buffer length" in s.log() or s.kind == "redis"
            assert ping_rtt(s.port) < 1
    finally:
        stop_all(servers)


# -- output buffer limits ---------------------------------------------------------------------------------------------


def test_output_buffer_limit_normal_client():
    servers = both(["--client-output-buffer-limit", "normal 1mb 256kb 60"])
    try:
        for s in servers:
            with RawClient(s.port) as c:
                c.call("SET", "big", "x" * 100000)
            sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            # 2000 GETs of 100 KB, never read: the reply backlog passes 1 MB and the client is closed
            sock.sendall(encode_command("GET", "big") * 2000)
            time.sleep(1.0)
            assert ping_rtt(s.port) < 1
            with RawClient(s.port) as c:
                listing = c.call("CLIENT", "LIST").decode()
            assert listing.count("cmd=") == 1, (s.kind, listing)  # only our CLIENT LIST client is left
            sock.close()
    finally:
        stop_all(servers)


def test_output_buffer_limit_pubsub_subscriber_never_reads():
    servers = both(["--client-output-buffer-limit", "pubsub 2mb 1mb 60"])
    try:
        for s in servers:
            sub = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sub.sendall(encode_command("SUBSCRIBE", "news"))
            time.sleep(0.2)
            with RawClient(s.port) as pub:
                receivers = []
                for _ in range(100):  # 100 x 100 KB = 10 MB to a subscriber that never reads
                    receivers.append(int(pub.call("PUBLISH", "news", "y" * 100000)[1:-2]))
                    if receivers[-1] == 0:
                        break
                assert receivers[0] == 1 and receivers[-1] == 0, (s.kind, receivers)
                assert pub.call("PUBSUB", "NUMSUB", "news") == b"*2\r\n$4\r\nnews\r\n:0\r\n"
            assert ping_rtt(s.port) < 1
            sub.close()
    finally:
        stop_all(servers)


def test_output_buffer_soft_limit_needs_its_seconds():
    servers = both(["--client-output-buffer-limit", "pubsub 0 300kb 2"])
    try:
        for s in servers:
            sub = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sub.sendall(encode_command("SUBSCRIBE", "news"))
            time.sleep(0.2)
            with RawClient(s.port) as pub:
                for _ in range(4):  # 8 MB: more than the kernel's socket buffers take (~4 MB on loopback)
                    assert pub.call("PUBLISH", "news", "y" * 2000000) == b":1\r\n"
                time.sleep(0.5)
                assert pub.call("PUBLISH", "news", "y" * 10) == b":1\r\n"  # over soft, not for 2 s yet
                time.sleep(2.6)
                pub.call("PUBLISH", "news", "y" * 10)  # now over the soft limit for > 2 s: closed
                time.sleep(0.2)
                assert pub.call("PUBSUB", "NUMSUB", "news") == b"*2\r\n$4\r\nnews\r\n:0\r\n", s.kind
            sub.close()
    finally:
        stop_all(servers)


# -- timeout ------------------------------------------------------------------------------------------------------------


def test_idle_timeout():
    servers = both(["--timeout", "1"])
    try:
        for s in servers:
            idle = RawClient(s.port)
            sub = RawClient(s.port)
            sub.call("SUBSCRIBE", "x")
            blocked = RawClient(s.port)
            blocked.send_raw(encode_command("BLPOP", "nolist", "0"))
            busy = RawClient(s.port)
            for _ in range(8):
                time.sleep(0.35)
                assert busy.call("PING") == b"+PONG\r\n"
            with pytest.raises((ConnectionError, OSError)):
                idle.call("PING")
            assert sub.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"  # pub/sub clients are exempt
            with RawClient(s.port) as c:
                c.call("LPUSH", "nolist", "a")
            assert blocked.read_reply() == b"*2\r\n$6\r\nnolist\r\n$1\r\na\r\n"  # blocked clients too
            for c in (sub, blocked, busy):
                c.close()
    finally:
        stop_all(servers)


# -- maxmemory ----------------------------------------------------------------------------------------------------------


def fill(c, n, size=200, prefix="key", ttl=None):
    oom = 0
    for i in range(n):
        args = ("SET", "%s:%d" % (prefix, i), "x" * size) + (("EX", str(ttl + i)) if ttl else ())
        r = c.call(*args)
        if r.startswith(b"-"):
            assert r == b"-OOM command not allowed when used memory > 'maxmemory'.\r\n", r
            oom += 1
    return oom


def info_field(c, section, name):
    for line in c.call("INFO", section).decode().split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


@pytest.mark.parametrize("kind", ["ours", "redis"])
def test_maxmemory_noeviction(kind):
    s = start_server(kind, args=["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"])
    try:
        with RawClient(s.port) as c:
            oom = fill(c, 8000)
            assert oom > 1000
            keys = int(c.call("DBSIZE")[1:-2])
            assert 2500 < keys < 6000
            assert c.call("GET", "key:1") == b"$200\r\n" + b"x" * 200 + b"\r\n"  # reads still work
            # (filled to the limit, the node is over it or just under, as its clients' buffers grow and
            # shrink: clearly over it for what follows)
            assert c.call("CONFIG", "SET", "maxmemory", "1mb") == b"+OK\r\n"
            assert c.call("MULTI") == b"+OK\r\n"
            assert c.call("GET", "key:2").startswith(b"-OOM")  # queuing anything is refused when OOM
            assert c.call("EXEC").startswith(b"-EXECABORT")
            assert c.call("DEL", "key:1") == b":1\r\n"  # DEL is not denyoom
            assert int(info_field(c, "memory", "used_memory")) > 2 * 1024 * 1024 - 100000
            assert info_field(c, "stats", "evicted_keys") == "0"
    finally:
        stop_all([s])


@pytest.mark.parametrize("kind", ["ours", "redis"])
@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-random", "allkeys-lfu"])
def test_maxmemory_allkeys(kind, policy):
    s = start_server(kind, args=["--maxmemory", "2mb", "--maxmemory-policy", policy,
                                 "--notify-keyspace-events", "Ee"])
    try:
        with RawClient(s.port) as c, RawClient(s.port) as sub:
            sub.call("SUBSCRIBE", "__keyevent@0__:evicted")
            assert fill(c, 12000) == 0
            keys = int(c.call("DBSIZE")[1:-2])
            assert 2500 < keys < 6000
            evicted = int(info_field(c, "stats", "evicted_keys"))
            assert evicted >= 12000 - keys
            assert sub.read_reply().startswith(b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted\r\n")
            assert int(info_field(c, "memory", "used_memory")) <= 2 * 1024 * 1024 + 200000  # (+ client buffers)
            assert ping_rtt(s.port) < 1
    finally:
        stop_all([s])


@pytest.mark.parametrize("kind", ["ours", "redis"])
def test_maxmemory_lru_keeps_recently_used_keys(kind):
    """allkeys-lru evicts the keys idle longest: of 2000 keys, the 200 read again survive while new
    writes push out about half of the others.  (The writes stop once ~900 keys went, so the hot keys never
    have to compete with the new ones, however slow the machine.)"""
    s = start_server(kind, args=["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru",
                                 "--maxmemory-samples", "10"])
    try:
        with RawClient(s.port) as c:
            fill(c, 2000, prefix="old")
            assert int(info_field(c, "stats", "evicted_keys")) == 0
            time.sleep(2.2)  # the LRU clock has a resolution of one second
            for i in range(0, 2000, 10):
                c.call("GET", "old:%d" % i)  # 200 hot keys
            batches = 0
            while int(info_field(c, "stats", "evicted_keys")) < 900 and batches < 200:
                assert fill(c, 50, prefix="new%d" % batches) == 0
                batches += 1
            evicted = int(info_field(c, "stats", "evicted_keys"))
            assert 900 <= evicted < 1800, evicted
            hot = sum(c.call("EXISTS", "old:%d" % i) == b":1\r\n" for i in range(0, 2000, 10))
            cold = sum(c.call("EXISTS", "old:%d" % i) == b":1\r\n" for i in range(5, 2000, 10))
            assert hot >= 190 and cold <= 160, (hot, cold)
    finally:
        stop_all([s])


@pytest.mark.parametrize("kind", ["ours", "redis"])
@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-ttl", "volatile-random", "volatile-lfu"])
def test_maxmemory_volatile(kind, policy):
    s = start_server(kind, args=["--maxmemory", "2mb", "--maxmemory-policy", policy])
    try:
        with RawClient(s.port) as c:
            fill(c, 1500, prefix="keep")  # no TTL: never evicted
            assert fill(c, 6000, prefix="vol", ttl=1000) == 0
            assert c.call("EXISTS", *["keep:%d" % i for i in range(1500)]) == b":1500\r\n"
            if policy == "volatile-ttl":  # the soonest to expire go first
                early = sum(c.call("EXISTS", "vol:%d" % i) == b":1\r\n" for i in range(0, 1000))
                late = sum(c.call("EXISTS", "vol:%d" % i) == b":1\r\n" for i in range(5000, 6000))
                assert early < late, (early, late)
            # only keys without TTL left to write: OOM once no volatile key remains
            c.call("CONFIG", "SET", "maxmemory", "1200kb")
            assert fill(c, 3000, prefix="more") > 0
            assert int(c.call("DBSIZE")[1:-2]) >= 1500
    finally:
        stop_all([s])
