"""Blocking list commands with concurrent real clients (redis-py threads, asyncio, raw sockets).

Every wait is bounded: sockets have timeouts, threads are joined with a timeout, and "the client is
blocked now" is observed through CLIENT LIST (flag ``b``) rather than guessed with sleeps."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import redis
import redis.asyncio as aredis
from helpers import RawClient, encode_command

NULL_ARRAY = b"*-1\r\n"


@pytest.fixture
def r(ours):
    client = redis.Redis(port=ours.port, socket_timeout=10)
    yield client
    client.close()


def _prefix(request) -> str:
    return "blk:%s:" % request.node.name


def client_id(c: RawClient) -> int:
    return int(c.call("CLIENT", "ID")[1:-2])


def wait_blocked(r, ids, timeout: float = 5.0) -> None:
    """Until every client of ``ids`` shows the ``b`` (blocked) flag in CLIENT LIST."""
    ids = {str(i) for i in ids}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        blocked = set()
        for line in r.execute_command("CLIENT", "LIST").decode().splitlines():
            fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
            if "b" in fields.get("flags", ""):
                blocked.add(fields["id"])
        if ids <= blocked:
            return
        time.sleep(0.01)
    raise TimeoutError("clients %s never blocked" % sorted(ids))


def wait_gone(r, cid, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ("id=%d " % cid) not in r.execute_command("CLIENT", "LIST").decode():
            return
        time.sleep(0.01)
    raise TimeoutError("client %d still connected" % cid)


def no_reply(c: RawClient, wait: float = 0.2) -> bool:
    c.sock.settimeout(wait)
    try:
        data = c.sock.recv(1000)
    except (socket.timeout, TimeoutError):
        return True
    finally:
        c.sock.settimeout(10)
    raise AssertionError("unexpected reply %r" % data)


def blocked_raw(port, *args) -> tuple:
    """A raw connection that sent a blocking command: (client, its id)."""
    c = RawClient(port, timeout=10)
    cid = client_id(c)
    c.send_raw(encode_command(*args))
    return c, cid


# -- order ----------------------------------------------------------------------------------------

def test_fifo_order_of_three_raw_clients(ours, r, request):
    k = _prefix(request) + "k"
    clients = []
    try:
        for _ in range(3):
            c, cid = blocked_raw(ours.port, "BLPOP", k, "0")
            wait_blocked(r, [cid])  # strictly one after the other
            clients.append(c)
        assert r.rpush(k, "a", "b", "c") == 3
        got = [c.read_reply() for c in clients]
        key = k.encode()
        assert got == [b"*2\r\n$%d\r\n%s\r\n$1\r\n%s\r\n" % (len(key), key, v) for v in (b"a", b"b", b"c")]
        assert r.exists(k) == 0
    finally:
        for c in clients:
            c.close()


def test_fifo_order_one_element_at_a_time(ours, r, request):
    k = _prefix(request) + "k"
    clients = []
    try:
        for _ in range(3):
            c, cid = blocked_raw(ours.port, "BRPOP", k, "10")
            wait_blocked(r, [cid])
            clients.append(c)
        for i, c in enumerate(clients):
            r.lpush(k, "v%d" % i)
            assert c.read_reply().endswith(b"$2\r\nv%d\r\n" % i)
            for later in clients[i + 1:]:
                assert no_reply(later, 0.05)
    finally:
        for c in clients:
            c.close()


def test_fifo_order_redis_py_threads(ours, r, request):
    k = _prefix(request) + "k"
    results: dict = {}
    threads = []
    conns = []
    for i in range(3):
        conn = redis.Redis(port=ours.port, socket_timeout=10)
        conns.append(conn)
        cid = conn.client_id()
        t = threading.Thread(target=lambda i=i, conn=conn: results.__setitem__(i, conn.blpop([k], timeout=0)))
        t.start()
        threads.append(t)
        wait_blocked(r, [cid])
    r.rpush(k, "first", "second", "third")
    for t in threads:
        t.join(10)
        assert not t.is_alive()
    for conn in conns:
        conn.close()
    assert results == {0: (k.encode(), b"first"), 1: (k.encode(), b"second"), 2: (k.encode(), b"third")}


def test_multiple_keys_first_ready_key_wins(ours, r, request):
    p = _prefix(request)
    c, cid = blocked_raw(ours.port, "BLPOP", p + "a", p + "b", p + "c", "5")
    try:
        wait_blocked(r, [cid])
        r.rpush(p + "c", "z")
        key = (p + "c").encode()
        assert c.read_reply() == b"*2\r\n$%d\r\n%s\r\n$1\r\nz\r\n" % (len(key), key)
    finally:
        c.close()


# -- timeouts -------------------------------------------------------------------------------------

@pytest.mark.parametrize("timeout", ["0.2", "0.25", ".15"])
def test_fractional_timeout_raw(ours, request, timeout):
    k = _prefix(request) + "k"
    with RawClient(ours.port, timeout=10) as c:
        t0 = time.monotonic()
        assert c.call("BLPOP", k, timeout) == NULL_ARRAY
        elapsed = time.monotonic() - t0
        assert float(timeout) - 0.01 <= elapsed < float(timeout) + 1.5
        assert c.call("PING") == b"+PONG\r\n"  # usable afterwards


def test_fractional_timeout_redis_py(ours, r, request):
    k = _prefix(request) + "k"
    for cmd in (lambda: r.blpop([k], timeout=0.2), lambda: r.brpop([k, k + "2"], timeout=0.2),
                lambda: r.blmove(k, k + "d", 0.2, "LEFT", "RIGHT"), lambda: r.brpoplpush(k, k + "d", 0.2),
                lambda: r.blmpop(0.2, 1, k, direction="LEFT")):
        t0 = time.monotonic()
        assert cmd() is None
        assert 0.19 <= time.monotonic() - t0 < 2


def test_timeout_resp3_null(ours, request):
    k = _prefix(request) + "k"
    with RawClient(ours.port, timeout=10) as c:
        c.call("HELLO", "3")
        assert c.call("BLPOP", k, "0.05") == b"_\r\n"
        assert c.call("BLMOVE", k, k, "LEFT", "LEFT", "0.05") == b"_\r\n"


def test_push_before_timeout_cancels_it(ours, r, request):
    k = _prefix(request) + "k"
    c, cid = blocked_raw(ours.port, "BLPOP", k, "0.3")
    try:
        wait_blocked(r, [cid])
        r.rpush(k, "v")
        assert c.read_reply().endswith(b"$1\r\nv\r\n")
        assert no_reply(c, 0.4)  # the timer did not fire later
    finally:
        c.close()


# -- BLMOVE ---------------------------------------------------------------------------------------

def test_blmove_blocks_then_moves(ours, r, request):
    p = _prefix(request)
    conn = redis.Redis(port=ours.port, socket_timeout=10)
    out = {}
    cid = conn.client_id()
    t = threading.Thread(target=lambda: out.__setitem__("v", conn.blmove(p + "src", p + "dst", 0, "RIGHT", "LEFT")))
    t.start()
    try:
        wait_blocked(r, [cid])
        r.rpush(p + "dst", "old")
        r.rpush(p + "src", "1", "2")
        t.join(10)
        assert not t.is_alive()
        assert out["v"] == b"2"
        assert r.lrange(p + "src", 0, -1) == [b"1"]
        assert r.lrange(p + "dst", 0, -1) == [b"2", b"old"]
    finally:
        conn.close()


def test_blmove_chain_wakes_next_waiter(ours, r, request):
    p = _prefix(request)
    c1, id1 = blocked_raw(ours.port, "BLMOVE", p + "a", p + "b", "LEFT", "LEFT", "0")
    c2, id2 = blocked_raw(ours.port, "BRPOPLPUSH", p + "b", p + "c", "0")
    try:
        wait_blocked(r, [id1, id2])
        r.rpush(p + "a", "x")
        assert c1.read_reply() == b"$1\r\nx\r\n"
        assert c2.read_reply() == b"$1\r\nx\r\n"
        assert r.exists(p + "a", p + "b") == 0
        assert r.lrange(p + "c", 0, -1) == [b"x"]
    finally:
        c1.close()
        c2.close()


# -- disconnects and CLIENT UNBLOCK ---------------------------------------------------------------

def test_disconnected_waiter_leaves_no_trace(ours, r, request):
    k = _prefix(request) + "k"
    c1, id1 = blocked_raw(ours.port, "BLPOP", k, "0")
    c2, id2 = blocked_raw(ours.port, "BLPOP", k, "0")
    try:
        wait_blocked(r, [id1, id2])
        c1.close()
        wait_gone(r, id1)
        r.rpush(k, "only")
        assert c2.read_reply().endswith(b"$4\r\nonly\r\n")
        assert r.exists(k) == 0
        r.rpush(k, "stays")
        time.sleep(0.05)
        assert r.lrange(k, 0, -1) == [b"stays"]  # nobody is waiting any more
    finally:
        c2.close()
        r.delete(k)


def test_disconnect_with_timeout_pending(ours, r, request):
    k = _prefix(request) + "k"
    c1, id1 = blocked_raw(ours.port, "BLPOP", k, "0.6")
    try:
        wait_blocked(r, [id1])
    finally:
        c1.close()
    wait_gone(r, id1)
    time.sleep(0.7)  # the timer of the gone client must not break anything
    assert r.ping() is True
    assert "b" not in [f.split("=")[1] for f in r.execute_command("CLIENT", "LIST").decode().split()
                       if f.startswith("flags=")]


def test_client_unblock_timeout_and_error(ours, r, request):
    k = _prefix(request) + "k"
    c1, id1 = blocked_raw(ours.port, "BLPOP", k, "0")
    c2, id2 = blocked_raw(ours.port, "BLMOVE", k, k + "d", "LEFT", "LEFT", "0")
    try:
        wait_blocked(r, [id1, id2])
        assert r.client_unblock(id1) == 1
        assert c1.read_reply() == NULL_ARRAY
        assert r.client_unblock(id1) == 0
        assert r.client_unblock(id2, error=True) == 1
        assert c2.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
        assert c1.call("PING") == b"+PONG\r\n" and c2.call("PING") == b"+PONG\r\n"
        r.rpush(k, "v")
        assert r.lrange(k, 0, -1) == [b"v"]
    finally:
        c1.close()
        c2.close()
        r.delete(k)


def test_client_unblock_redis_py_error(ours, r, request):
    k = _prefix(request) + "k"
    conn = redis.Redis(port=ours.port, socket_timeout=10)
    cid = conn.client_id()
    out = {}

    def run():
        try:
            conn.blpop([k], timeout=0)
        except redis.ResponseError as e:
            out["e"] = str(e)

    t = threading.Thread(target=run)
    t.start()
    try:
        wait_blocked(r, [cid])
        assert r.client_unblock(cid, error=True) == 1
        t.join(10)
        assert not t.is_alive()
        assert out["e"] == "UNBLOCKED client unblocked via CLIENT UNBLOCK"
    finally:
        conn.close()


# -- pipelining -----------------------------------------------------------------------------------

def test_pipelined_commands_wait_until_served(ours, r, request):
    p = _prefix(request)
    with RawClient(ours.port, timeout=10) as c:
        c.send_raw(encode_command("SET", p + "x", "1") + encode_command("BLPOP", p + "k", "0")
                   + encode_command("INCR", p + "x") + encode_command("PING") + encode_command("LPOP", p + "k"))
        assert c.read_reply() == b"+OK\r\n"
        assert no_reply(c)
        assert r.get(p + "x") == b"1"  # INCR has not run
        c.send_raw(encode_command("INCR", p + "x"))  # arrives while blocked: queued as well
        assert no_reply(c, 0.1)
        r.rpush(p + "k", "a", "b")
        assert c.read_reply().endswith(b"$1\r\na\r\n")
        assert c.read_reply() == b":2\r\n"
        assert c.read_reply() == b"+PONG\r\n"
        assert c.read_reply() == b"$1\r\nb\r\n"
        assert c.read_reply() == b":3\r\n"
        assert r.exists(p + "k") == 0


def test_pipelined_blocking_commands_in_a_row(ours, r, request):
    k = _prefix(request) + "k"
    with RawClient(ours.port, timeout=10) as c:
        c.send_raw(encode_command("BLPOP", k, "0") + encode_command("BLPOP", k, "0") + encode_command("PING"))
        assert no_reply(c, 0.1)
        r.rpush(k, "1")
        assert c.read_reply().endswith(b"$1\r\n1\r\n")
        assert no_reply(c, 0.1)  # the second BLPOP is blocked now
        r.rpush(k, "2")
        assert c.read_reply().endswith(b"$1\r\n2\r\n")
        assert c.read_reply() == b"+PONG\r\n"


def test_redis_py_pipeline_with_blocking_command(ours, r, request):
    p = _prefix(request)
    r.rpush(p + "k", "x")
    with r.pipeline(transaction=False) as pipe:
        pipe.blpop([p + "k"], timeout=1)
        pipe.blpop([p + "k"], timeout=0.1)
        pipe.rpush(p + "k", "y")
        pipe.brpop([p + "k"], timeout=1)
        assert pipe.execute() == [(p.encode() + b"k", b"x"), None, 1, (p.encode() + b"k", b"y")]


# -- many clients, asyncio -------------------------------------------------------------------------

async def test_asyncio_many_waiters_served_in_order(ours, request):
    k = _prefix(request) + "k"
    ctl = aredis.Redis(port=ours.port)
    conns = [aredis.Redis(port=ours.port, single_connection_client=True) for _ in range(10)]
    try:
        ids = [await c.client_id() for c in conns]
        tasks = []
        for c, cid in zip(conns, ids):
            tasks.append(asyncio.create_task(c.brpop([k], timeout=5)))
            for _ in range(500):
                lst = (await ctl.execute_command("CLIENT", "LIST")).decode()
                if any(("id=%d " % cid) in line and "flags=b" in line for line in lst.splitlines()):
                    break
                await asyncio.sleep(0.01)
        await ctl.lpush(k, *range(10))
        results = await asyncio.wait_for(asyncio.gather(*tasks), 10)
        assert [v for _, v in results] == [str(i).encode() for i in range(10)]
    finally:
        for c in conns:
            await c.aclose()
        await ctl.aclose()


async def test_asyncio_timeouts_concurrently(ours, request):
    k = _prefix(request) + "k"
    conns = [aredis.Redis(port=ours.port, single_connection_client=True) for _ in range(5)]
    try:
        t0 = time.monotonic()
        res = await asyncio.wait_for(asyncio.gather(*(c.blpop([k], timeout=0.3) for c in conns)), 10)
        assert res == [None] * 5
        assert 0.29 <= time.monotonic() - t0 < 3  # concurrent, not one after the other
    finally:
        for c in conns:
            await c.aclose()


# -- inside a transaction a blocking command does not block ------------------------------------------

def test_deny_blocking_answers_like_the_non_blocking_form():
    from pyredis_cluster.commands import lists
    from pyredis_cluster.protocol.reply import NULL_ARRAY as NULL
    from pyredis_cluster.server.connection import Client
    from pyredis_cluster.server.node import Node

    node = Node()
    c = Client(node)
    c.deny_blocking = True  # what EXEC and scripts set (CLIENT_DENY_BLOCKING)
    assert lists.blpop(c, [b"blpop", b"k", b"0"]) is NULL
    assert lists.blmpop(c, [b"blmpop", b"0", b"1", b"k", b"left"]) is NULL
    assert lists.blmove(c, [b"blmove", b"k", b"d", b"left", b"left", b"0"]) is None
    assert lists.brpoplpush(c, [b"brpoplpush", b"k", b"d", b"0"]) is None
    assert c.blocked is None and not node.blocking.waiting
    lists.rpush(c, [b"rpush", b"k", b"a"])
    assert lists.blpop(c, [b"blpop", b"k", b"0"]) == [b"k", b"a"]


def test_exec_serves_waiters_after_the_transaction(ours, r, request):
    k = _prefix(request) + "k"
    with RawClient(ours.port) as probe:
        if b"unknown command" in probe.call("EXEC"):
            pytest.skip("MULTI/EXEC not implemented yet")
    c, cid = blocked_raw(ours.port, "BLPOP", k, "5")
    try:
        wait_blocked(r, [cid])
        with r.pipeline(transaction=True) as pipe:
            pipe.rpush(k, "a")
            pipe.rpush(k, "b")
            pipe.lrange(k, 0, -1)  # inside EXEC nobody was served yet
            assert pipe.execute() == [1, 2, [b"a", b"b"]]
        assert c.read_reply().endswith(b"$1\r\na\r\n")
        assert r.lrange(k, 0, -1) == [b"b"]
        with r.pipeline(transaction=True) as pipe:
            pipe.blpop([k], timeout=0)
            pipe.blpop([k], timeout=0)  # empty now: a null reply, not a block
            assert pipe.execute() == [(k.encode(), b"b"), None]
    finally:
        c.close()


def test_machinery_in_process_leaves_no_trace():
    """server/blocking.py without sockets: FIFO, dedup of keys, cleanup on serve/disconnect/unblock."""
    from pyredis_cluster.commands import lists
    from pyredis_cluster.server.connection import Client
    from pyredis_cluster.server.node import Node

    class Transport:
        def __init__(self):
            self.data = b""

        def write(self, data):
            self.data += data

        def is_closing(self):
            return False

        def close(self):
            pass

    async def run():
        node = Node()
        node.loop = asyncio.get_running_loop()
        clients = []
        for _ in range(3):
            c = Client(node)
            c.transport = Transport()
            clients.append(c)
        a, b, c = clients
        assert lists.blpop(a, [b"blpop", b"k", b"k", b"j", b"0"]) is not None  # NO_REPLY
        assert a.blocked is not None and a.blocked.keys == [b"k", b"j"]
        lists.brpop(b, [b"brpop", b"k", b"5"])
        lists.blmove(c, [b"blmove", b"k", b"d", b"left", b"left", b"0"])
        assert list(node.blocking.waiting[(0, b"k")]) == [a, b, c]
        assert node.blocking.blocked_clients == 3 and node.blocking.in_timeout_table == 1
        b.closing = True
        node.blocking.client_gone(b)  # disconnected: forgotten, its timer cancelled
        assert node.blocking.in_timeout_table == 0 and list(node.blocking.waiting[(0, b"k")]) == [a, c]
        pusher = Client(node)
        pusher.transport = Transport()
        lists.rpush(pusher, [b"rpush", b"k", b"1", b"2"])
        assert node.blocking.ready == [(node.dbs[0], b"k")]
        node.blocking.serve_ready()
        assert a.transport.data == b"*2\r\n$1\r\nk\r\n$1\r\n1\r\n"
        assert c.transport.data == b"$1\r\n2\r\n"
        assert b.transport.data == b""
        assert node.blocking.waiting == {} and node.blocking.ready == [] and node.blocking.blocked_clients == 0
        assert a.blocked is None and c.blocked is None
        assert list(node.dbs[0].data) == [b"d"] and list(node.dbs[0].data[b"d"]) == [b"2"]

    asyncio.run(run())


def test_redirect_blocked_releases_with_the_given_error():
    """The hook the cluster cron uses (clusterRedirectBlockedClientIfNeeded)."""
    from pyredis_cluster.commands import lists
    from pyredis_cluster.server.connection import Client
    from pyredis_cluster.server.node import Node

    class Transport:
        data = b""

        def write(self, data):
            self.data += data

        def is_closing(self):
            return False

    node = Node()
    a, b = Client(node), Client(node)
    a.transport, b.transport = Transport(), Transport()
    lists.blpop(a, [b"blpop", b"x", b"y", b"0"])
    lists.blpop(b, [b"blpop", b"z", b"0"])
    n = node.blocking.redirect_blocked(lambda c, st: "MOVED 1 127.0.0.1:7001" if b"x" in st.keys else None)
    assert n == 1 and a.blocked is None and b.blocked is not None
    assert a.transport.data == b"-MOVED 1 127.0.0.1:7001\r\n" and b.transport.data == b""
    assert list(node.blocking.waiting) == [(0, b"z")]
