"""Streams (XADD XRANGE XREAD XDEL XTRIM XSETID XINFO ...) against redis-server 7.0, byte for byte.

Ids generated with ``*`` differ between two servers: diff tests use explicit ids, and ``*`` ids are
checked by their shape.  Blocking XREAD is tested with concurrent redis-py clients; DUMP/RESTORE
crosses over both ways; a replica of ours receives streams by full sync and by the command stream.
"""

from __future__ import annotations

import re
import shutil
import threading
import time

import pytest
import redis

from helpers import RawClient, start_server


def _fill(d, key="s", n=5, start=1):
    for i in range(start, start + n):
        d.same("XADD", key, "%d-1" % i, "f", "v%d" % i, "g", str(i))


def test_xadd_explicit_and_errors(diff):
    d = diff
    d.run(
        ("XADD", "s", "1-1", "a", "1"),
        ("XADD", "s", "1-1", "a", "1"),
        ("XADD", "s", "1-0", "a", "1"),
        ("XADD", "s", "1-*", "b", "2"),
        ("XADD", "s", "2-*", "b", "2"),
        ("XADD", "s", "0-0", "a", "1"),
        ("XADD", "s2", "0-0", "a", "1"),
        ("XADD", "s2", "0-*", "a", "1"),
        ("XADD", "s", "5", "a", "1"),
        ("XADD", "s", "abc", "a", "1"),
        ("XADD", "s", "-", "a", "1"),
        ("XADD", "s", "+", "a", "1"),
        ("XADD", "s", "6-1", "a"),
        ("XADD", "s", "6-1", "a", "1", "b"),
        ("XADD", "s"),
        ("XADD", "s", "MAXLEN"),
        ("XADD", "s", "MAXLEN", "x", "*", "a", "1"),
        ("XADD", "s", "MAXLEN", "-1", "*", "a", "1"),
        ("XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "a", "1"),
        ("XADD", "s", "LIMIT", "10", "*", "a", "1"),
        ("XADD", "s", "MAXLEN", "5", "LIMIT", "10", "*", "a", "1"),
        ("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "-1", "*", "a", "1"),
        ("XADD", "nos", "NOMKSTREAM", "1-1", "a", "1"),
        ("EXISTS", "nos"),
        ("XADD", "s", "NOMKSTREAM", "7-1", "a", "1"),
        ("XADD", "s", "18446744073709551615-18446744073709551615", "a", "1"),
        ("XADD", "s", "*", "a", "1"),
        ("XADD", "s", "18446744073709551615-*", "a", "1"),
        ("XADD", "s", "18446744073709551616-1", "a", "1"),
        ("SET", "str", "x"),
        ("XADD", "str", "1-1", "a", "1"),
        ("XLEN", "str"),
        ("XLEN", "s"),
        ("XLEN", "nokey"),
        ("TYPE", "s"),
        ("OBJECT", "ENCODING", "s"),
        ("XRANGE", "s", "-", "+"),
    )


def test_xadd_star_ids(diff):
    a, b = diff.both("XADD", "s", "*", "f", "v")
    for r in (a, b):
        assert re.match(rb"^\$\d+\r\n\d{13}-0\r\n$", r), r
    now = int(time.time() * 1000)
    ms = int(a.split(b"\r\n")[1].split(b"-")[0])
    assert abs(ms - now) < 5000
    a2, _ = diff.both("XADD", "s", "*", "f", "v")
    i1 = tuple(int(x) for x in a.split(b"\r\n")[1].split(b"-"))
    i2 = tuple(int(x) for x in a2.split(b"\r\n")[1].split(b"-"))
    assert i2 > i1
    diff.same("XADD", "t", "5-5", "a", "b")
    diff.same("XADD", "t", "*", "a", "b") if False else None
    diff.same("XLEN", "s")


def test_xrange_xrevrange(diff):
    d = diff
    _fill(d, n=10)
    d.same("XADD", "s", "10-2", "other", "x")
    d.same("XADD", "s", "10-3", "f", "v", "g", "1", "h", "2")
    for args in (("-", "+"), ("3", "5"), ("(3-1", "5"), ("3-1", "(5-1"), ("(3-1", "(3-1"), ("-", "+", "COUNT", "3"),
                 ("-", "+", "COUNT", "0"), ("-", "+", "COUNT", "-5"), ("-", "+", "COUNT"), ("-", "+", "FOO", "1"),
                 ("(-", "+"), ("-", "(+"), ("(0-0", "+"), ("-", "(0-0"), ("(18446744073709551615-18446744073709551615", "+"),
                 ("x", "+"), ("5", "3"), ("-", "+", "COUNT", "x"), ("10", "10"), ("(", "+"), ("((1", "+")):
        d.same("XRANGE", "s", *args)
        d.same("XREVRANGE", "s", *reversed(args[:2]), *args[2:])
    d.same("XRANGE", "nokey", "-", "+")
    d.same("XRANGE", "nokey", "-", "+", "COUNT", "0")
    d.same("SET", "str", "1")
    d.same("XRANGE", "str", "-", "+")


def test_xdel_xtrim_xsetid(diff):
    d = diff
    _fill(d, n=20)
    d.run(
        ("XDEL", "s", "1-1", "3-1", "99-1", "3-1"),
        ("XDEL", "s", "x"),
        ("XDEL", "nokey", "1-1"),
        ("XLEN", "s"),
        ("XINFO", "STREAM", "s"),
        ("XTRIM", "s", "MAXLEN", "15"),
        ("XTRIM", "s", "MAXLEN", "=", "12"),
        ("XTRIM", "s", "MAXLEN", "~", "2"),
        ("XTRIM", "s", "MINID", "10"),
        ("XTRIM", "s", "MINID", "~", "12"),
        ("XTRIM", "s"),
        ("XTRIM", "s", "FOO"),
        ("XTRIM", "s", "MAXLEN", "~", "2", "LIMIT", "1"),
        ("XTRIM", "s", "MAXLEN", "2", "LIMIT", "1"),
        ("XTRIM", "nokey", "MAXLEN", "1"),
        ("XINFO", "STREAM", "s"),
        ("XINFO", "STREAM", "s", "FULL"),
        ("XINFO", "STREAM", "s", "FULL", "COUNT", "2"),
        ("XINFO", "STREAM", "s", "FULL", "COUNT"),
        ("XINFO", "STREAM", "s", "FOO"),
        ("XINFO", "STREAM", "nokey"),
        ("XINFO", "HELP"),
        ("XSETID", "s", "1-1"),
        ("XSETID", "s", "100-1"),
        ("XSETID", "s", "200-1", "ENTRIESADDED", "1"),
        ("XSETID", "s", "200-1", "ENTRIESADDED", "100", "MAXDELETEDID", "150-0"),
        ("XSETID", "s", "200-1", "MAXDELETEDID", "250-0"),
        ("XSETID", "s", "200-1", "ENTRIESADDED", "-1"),
        ("XSETID", "s", "200-1", "FOO"),
        ("XSETID", "nokey", "1-1"),
        ("XINFO", "STREAM", "s"),
        ("XADD", "s", "200-1", "a", "b"),
        ("XADD", "s", "200-2", "a", "b"),
    )
    # a stream emptied by XDEL stays, as an empty stream
    d.run(("XADD", "e", "1-1", "a", "b"), ("XDEL", "e", "1-1"), ("EXISTS", "e"), ("XLEN", "e"),
          ("XINFO", "STREAM", "e"), ("XADD", "e", "1-1", "a", "b"), ("XADD", "e", "1-2", "a", "b"))


def test_approx_trim_whole_nodes(diff):
    d = diff
    for i in range(1, 351):
        d.same("XADD", "s", "%d-0" % i, "f", "v")
    d.same("XINFO", "STREAM", "s")
    d.same("XADD", "s", "MAXLEN", "~", "120", "351-0", "f", "v")
    d.same("XLEN", "s")
    d.same("XADD", "s", "MINID", "~", "290", "352-0", "f", "v")
    d.same("XLEN", "s")
    d.same("XINFO", "STREAM", "s")
    d.same("XTRIM", "s", "MAXLEN", "~", "0")
    d.same("XINFO", "STREAM", "s")
    d.same("XADD", "s", "MAXLEN", "=", "3", "353-0", "f", "v")
    d.same("XINFO", "STREAM", "s", "FULL")


def test_xread(diff):
    d = diff
    _fill(d, "a", 3)
    _fill(d, "b", 2, start=5)
    d.run(
        ("XREAD", "STREAMS", "a", "0"),
        ("XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"),
        ("XREAD", "STREAMS", "a", "b", "2-1", "$"),
        ("XREAD", "STREAMS", "a", "b", "$", "$"),
        ("XREAD", "STREAMS", "a", "nokey", "0", "0"),
        ("XREAD", "STREAMS", "a"),
        ("XREAD", "STREAMS", "a", "b", "0"),
        ("XREAD", "STREAMS", "a", ">"),
        ("XREAD", "STREAMS", "a", "x"),
        ("XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"),
        ("XREAD", "NOACK", "STREAMS", "a", "0"),
        ("XREAD", "COUNT", "x", "STREAMS", "a", "0"),
        ("XREAD", "BLOCK", "x", "STREAMS", "a", "0"),
        ("XREAD", "BLOCK", "-1", "STREAMS", "a", "0"),
        ("XREAD", "FOO", "STREAMS", "a", "0"),
        ("XREAD", "a", "0"),
        ("XREAD", "BLOCK", "10", "STREAMS", "a", "$"),
        ("MULTI",), ("XREAD", "BLOCK", "0", "STREAMS", "a", "$"), ("EXEC",),
        ("SET", "str", "1"),
        ("XREAD", "STREAMS", "str", "0"),
    )
    d.both("HELLO", "3")
    d.run(
        ("XREAD", "STREAMS", "a", "b", "0", "0"),
        ("XINFO", "STREAM", "a"),
        ("XINFO", "STREAM", "a", "FULL"),
        ("XREAD", "BLOCK", "10", "STREAMS", "a", "$"),
    )


from diff.test_notifications import check, pair  # noqa: E402,F401  (the Watcher pair fixture)


def test_notifications(pair):
    check(pair(),
          ("XADD", "s", "1-1", "a", "b"), ("XADD", "s", "2-1", "a", "b"), ("XDEL", "s", "1-1"), ("XDEL", "s", "9-9"),
          ("XADD", "s", "MAXLEN", "0", "3-1", "a", "b"), ("XADD", "s", "MAXLEN", "5", "4-1", "a", "b"),
          ("XSETID", "s", "5-5"), ("XTRIM", "s", "MAXLEN", "0"), ("XTRIM", "s", "MAXLEN", "0"),
          ("XADD", "n", "NOMKSTREAM", "1-1", "a", "b"), ("XADD", "s", "1-1", "a", "b"), ("DEL", "s"))


# -- blocking XREAD with concurrent clients ---------------------------------------------------------------

def _blocked_clients(r, n, timeout=5.0):
    deadline = time.monotonic() + timeout
    while int(r.info("clients")["blocked_clients"]) < n:
        assert time.monotonic() < deadline, "clients did not block"
        time.sleep(0.005)


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["r"] = fn()
        except Exception as e:  # noqa: BLE001
            out["e"] = e

    t = threading.Thread(target=run)
    t.start()
    return t, out


@pytest.mark.parametrize("server", ["ours", "theirs"])
def test_xread_block(request, server):
    srv = request.getfixturevalue(server)
    r = redis.Redis(port=srv.port)
    r.flushall()
    r.xadd("bs", {"f": "v0"}, id="1-1")
    c1 = redis.Redis(port=srv.port)
    c2 = redis.Redis(port=srv.port)
    t1, o1 = _in_thread(lambda: c1.xread({"bs": "$", "other": "$"}, block=3000))
    t2, o2 = _in_thread(lambda: c2.xread({"other": "0-0"}, count=1, block=3000))
    _blocked_clients(r, 2)
    r.xadd("bs", {"f": "v1"}, id="2-1")
    t1.join(5)
    assert o1.get("r") == [[b"bs", [(b"2-1", {b"f": b"v1"})]]], o1
    # XADD inside MULTI/EXEC wakes the waiter after EXEC, with everything added
    p = r.pipeline(transaction=True)
    p.xadd("other", {"a": "1"}, id="5-1")
    p.xadd("other", {"a": "2"}, id="5-2")
    p.execute()
    t2.join(5)
    assert o2.get("r") == [[b"other", [(b"5-1", {b"a": b"1"})]]], o2
    # a timeout answers a null array; a stream id never reached keeps waiting
    t0 = time.monotonic()
    assert c1.xread({"bs": "$"}, block=100) is None or c1.xread({"bs": "$"}, block=100) == []
    assert time.monotonic() - t0 < 2
    t3, o3 = _in_thread(lambda: c1.xread({"bs": "100-0"}, block=2000))
    _blocked_clients(r, 1)
    r.xadd("bs", {"f": "v2"}, id="50-1")  # not after 100-0: still blocked
    time.sleep(0.05)
    assert int(r.info("clients")["blocked_clients"]) == 1
    r.xadd("bs", {"f": "v3"}, id="100-1")
    t3.join(5)
    assert o3.get("r") == [[b"bs", [(b"100-1", {b"f": b"v3"})]]], o3
    for c in (r, c1, c2):
        c.close()


# -- DUMP / RESTORE both ways ------------------------------------------------------------------------------

STREAM_SETUPS = {
    "simple": [("XADD", "k", "1-1", "f", "v")],
    "many": [("XADD", "k", "%d-%d" % (i, i % 3), "field", "value%d" % i, "n", str(i * 1000)) for i in range(1, 260)],
    "mixed_fields": [("XADD", "k", "1-1", "a", "1"), ("XADD", "k", "1-2", "b", "2", "c", "3"),
                     ("XADD", "k", "2-0", "a", "-70000"), ("XADD", "k", "3-0", "a", "x" * 100)],
    "deleted": [("XADD", "k", "%d-0" % i, "f", "v") for i in range(1, 30)]
    + [("XDEL", "k", "1-0", "5-0", "29-0"), ("XTRIM", "k", "MAXLEN", "20")],
    "empty": [("XADD", "k", "1-1", "f", "v"), ("XDEL", "k", "1-1")],
    "setid": [("XADD", "k", "7-1", "f", "v"), ("XSETID", "k", "99-9", "ENTRIESADDED", "55", "MAXDELETEDID", "8-0")],
    "big": [("XADD", "k", "%d-0" % i, "f", "v" * 300) for i in range(1, 40)],
}


@pytest.mark.parametrize("name", sorted(STREAM_SETUPS))
def test_dump_restore_both_ways(diff, name):
    d = diff
    for cmd in STREAM_SETUPS[name]:
        d.same(*cmd)
    mine, real = d.both("DUMP", "k")
    assert mine == real, "DUMP differs for %s" % name
    payload = RawClient._payload if False else None  # noqa: F841
    data = d.a.call("DUMP", "k")
    real_data = d.b.call("DUMP", "k")

    def bulk(r):
        head, rest = r.split(b"\r\n", 1)
        return rest[:int(head[1:])]
    # ours restores redis's payload and redis restores ours
    assert d.a.call("RESTORE", "k2", "0", bulk(real_data)) == b"+OK\r\n"
    assert d.b.call("RESTORE", "k2", "0", bulk(data)) == b"+OK\r\n"
    for k in ("k", "k2"):
        d.same("XRANGE", k, "-", "+")
        d.same("XINFO", "STREAM", k)
        d.same("TYPE", k)
        d.same("OBJECT", "ENCODING", k)
    d.same("XADD", "k2", "100000-1", "x", "y")
    d.same("DUMP", "k2")
    d.same("COPY", "k", "k3")
    d.same("XRANGE", "k3", "-", "+")
    d.same("XADD", "k3", "100000-2", "x", "y")
    d.same("XLEN", "k")


def test_restore_bad_stream_payloads(diff):
    d = diff
    d.same("XADD", "k", "1-1", "f", "v")
    data = d.a.call("DUMP", "k")
    head, rest = data.split(b"\r\n", 1)
    payload = rest[:int(head[1:])]
    d.same("RESTORE", "k", "0", payload)
    d.same("RESTORE", "k", "0", payload, "REPLACE")
    d.same("RESTORE", "bad", "0", payload[:-12] + payload[-10:])


# -- replication ---------------------------------------------------------------------------------------------

def _wait(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.parametrize("replica_kind", ["ours", "redis"])
def test_replica_full_sync_and_stream(replica_kind):
    master = start_server("ours", args=["--repl-diskless-sync-delay", "0"])
    replica = None
    try:
        m = redis.Redis(port=master.port)
        for i in range(1, 150):
            m.xadd("s", {"f": "v%d" % i}, id="%d-1" % i)
        m.xdel("s", "3-1")
        m.xadd("s2", {"a": "1"}, id="1-1")
        m.execute_command("XSETID", "s2", "9-9")
        replica = start_server(replica_kind)
        r = redis.Redis(port=replica.port)
        r.replicaof("127.0.0.1", master.port)
        _wait(lambda: r.info("replication").get("master_link_status") == "up")
        _wait(lambda: r.xlen("s") == 148)
        assert r.xrange("s") == m.xrange("s")
        assert r.xinfo_stream("s2") == m.xinfo_stream("s2")
        # the command stream: XADD * goes out with the id it generated, trims as exact trims
        ids = [m.xadd("s3", {"n": str(i)}) for i in range(5)]
        m.xadd("s", {"f": "y"}, id="5000-*")
        m.xadd("s", {"f": "x"}, maxlen=10, approximate=True)
        m.xtrim("s", minid="100", approximate=True)
        m.xdel("s", "140-1")
        with m.pipeline(transaction=True) as p:
            p.xadd("s4", {"a": "b"})
            p.xadd("s4", {"a": "c"}, maxlen=1, approximate=False)
            p.execute()
        assert m.xlen("s4") == 1
        _wait(lambda: r.exists("s4") and r.xlen("s4") == 1 and r.xlen("s3") == 5)
        _wait(lambda: r.xrange("s") == m.xrange("s"))
        assert [e[0] for e in r.xrange("s3")] == ids
        assert r.xrange("s4") == m.xrange("s4")
        assert r.xinfo_stream("s")["last-generated-id"] == m.xinfo_stream("s")["last-generated-id"]
    finally:
        for s in (replica, master):
            if s is not None:
                s.stop()
                shutil.rmtree(s.workdir, ignore_errors=True)


def test_propagation_like_redis(debug_servers):
    """What goes to replicas, against redis-server's stream (explicit ids; ``<ms>-*`` resolved)."""
    from diff.test_propagation import same_stream
    steps = [("XADD", "s", "%d-0" % i, "f", "v") for i in range(1, 250)]
    steps += [
        ("XADD", "s", "MAXLEN", "~", "100", "250-*", "f", "v"),
        ("XADD", "s", "MINID", "~", "200", "LIMIT", "100", "251-0", "f", "v"),
        ("XTRIM", "s", "MAXLEN", "~", "10"),
        ("XTRIM", "s", "MINID", "=", "240"),
        ("XTRIM", "s", "MAXLEN", "~", "10"),
        ("XDEL", "s", "245-0", "999-0"),
        ("XDEL", "s", "999-0"),
        ("XSETID", "s", "300-0"),
        ("XADD", "n", "NOMKSTREAM", "1-1", "a", "b"),
        ("MULTI",), ("XADD", "m", "1-*", "a", "b"), ("XADD", "m", "1-*", "a", "c"), ("EXEC",),
    ]
    same_stream(debug_servers, steps)


# -- consumer groups (stage 2) ----------------------------------------------------------------------------

def test_xgroup_errors_and_info(diff):
    d = diff
    d.run(
        ("XGROUP", "CREATE", "s", "g", "$"),
        ("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
        ("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
        ("XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "-2"),
        ("XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "x"),
        ("XGROUP", "CREATE", "s", "g2", "0", "FOO"),
        ("XGROUP", "CREATE", "s", "g2", "bad"),
        ("XGROUP", "CREATE", "s", "g2", "0-1", "ENTRIESREAD", "3"),
        ("XGROUP", "SETID", "s", "nog", "0"),
        ("XGROUP", "SETID", "s", "g", "5-5", "ENTRIESREAD", "1"),
        ("XGROUP", "SETID", "s", "g", "$"),
        ("XGROUP", "SETID", "s", "g", "-"),
        ("XGROUP", "CREATECONSUMER", "s", "g", "alice"),
        ("XGROUP", "CREATECONSUMER", "s", "g", "alice"),
        ("XGROUP", "CREATECONSUMER", "s", "nog", "alice"),
        ("XGROUP", "DELCONSUMER", "s", "g", "bob"),
        ("XGROUP", "DELCONSUMER", "s", "g", "alice"),
        ("XGROUP", "DESTROY", "s", "nog"),
        ("XGROUP", "DESTROY", "s", "g2"),
        ("XGROUP", "DESTROY", "nokey", "g2"),
        ("XGROUP", "HELP"),
        ("XGROUP", "HELP", "x"),
        ("XGROUP", "FOO", "s", "g"),
        ("XINFO", "GROUPS", "s"),
        ("XINFO", "GROUPS", "nokey"),
        ("XINFO", "CONSUMERS", "s", "nog"),
        ("XINFO", "CONSUMERS", "s", "g"),
        ("SET", "str", "1"),
        ("XGROUP", "CREATE", "str", "g", "$"),
        ("XINFO", "GROUPS", "str"),
    )


def test_xreadgroup_xack_xpending_xclaim(diff):
    d = diff
    _fill(d, "s", 6)
    d.run(
        ("XGROUP", "CREATE", "s", "g", "0"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "1-1"),
        ("XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", "s", ">"),
        ("XINFO", "GROUPS", "s"),
        ("XPENDING", "s", "g"),
        ("XPENDING", "s", "nog"),
        ("XPENDING", "nokey", "g"),
        ("XPENDING", "s", "g", "-", "+"),
        ("XPENDING", "s", "g", "-", "+", "x"),
        ("XPENDING", "s", "g", "IDLE", "x", "-", "+", "10"),
        ("XPENDING", "s", "g", "IDLE", "10", "-", "+"),
        ("XPENDING", "s", "g", "(9", "+", "10"),
        ("XPENDING", "s", "g", "-", "+", "10", "nobody"),
        ("XPENDING", "s", "g", "IDLE", "1000000", "-", "+", "10"),
        ("XACK", "s", "g", "1-1", "1-1", "99-1"),
        ("XACK", "s", "g", "x"),
        ("XACK", "s", "nog", "1-1"),
        ("XACK", "nokey", "g", "1-1"),
        ("XPENDING", "s", "g"),
        ("XDEL", "s", "2-1"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"),
        ("XCLAIM", "s", "g", "carol", "0", "3-1", "4-1", "JUSTID"),
        ("XCLAIM", "s", "g", "carol", "0", "2-1"),
        ("XCLAIM", "s", "g", "carol", "x", "3-1"),
        ("XCLAIM", "s", "g", "carol", "0", "3-1", "FOO"),
        ("XCLAIM", "s", "g", "carol", "0", "3-1", "IDLE", "x"),
        ("XCLAIM", "s", "g", "carol", "0", "3-1", "TIME", "x"),
        ("XCLAIM", "s", "g", "carol", "0", "3-1", "RETRYCOUNT", "x"),
        ("XCLAIM", "s", "g", "carol", "0", "3-1", "LASTID", "x"),
        ("XCLAIM", "s", "nog", "carol", "0", "3-1"),
        ("XCLAIM", "s", "g", "dave", "100000", "3-1", "JUSTID"),
        ("XCLAIM", "s", "g", "dave", "0", "6-1", "FORCE", "RETRYCOUNT", "7", "JUSTID"),
        ("XCLAIM", "s", "g", "dave", "0", "99-1", "FORCE"),
        ("XPENDING", "s", "g"),
        ("XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "2"),
        ("XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "10", "JUSTID"),
        ("XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "0"),
        ("XAUTOCLAIM", "s", "g", "erin", "x", "0"),
        ("XAUTOCLAIM", "s", "g", "erin", "0", "x"),
        ("XAUTOCLAIM", "s", "g", "erin", "0", "0", "FOO"),
        ("XAUTOCLAIM", "s", "nog", "erin", "0", "0"),
        ("XPENDING", "s", "g"),
        ("XINFO", "GROUPS", "s"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$"),
        ("XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">"),
        ("XREADGROUP", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "10", "STREAMS", "s", ">"),
        ("XGROUP", "DELCONSUMER", "s", "g", "erin"),
        ("XPENDING", "s", "g"),
    )
    d.both("HELLO", "3")
    d.run(("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"), ("XINFO", "GROUPS", "s"))


def test_group_lag_and_entries_read(diff):
    d = diff
    _fill(d, "s", 5)
    d.run(
        ("XGROUP", "CREATE", "s", "g1", "0"), ("XGROUP", "CREATE", "s", "g2", "$"),
        ("XGROUP", "CREATE", "s", "g3", "3-1"), ("XINFO", "GROUPS", "s"),
        ("XREADGROUP", "GROUP", "g1", "c", "COUNT", "2", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
        ("XDEL", "s", "4-1"), ("XINFO", "GROUPS", "s"),
        ("XREADGROUP", "GROUP", "g1", "c", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
        ("XADD", "s", "9-1", "a", "b"), ("XINFO", "GROUPS", "s"), ("XTRIM", "s", "MAXLEN", "1"),
        ("XINFO", "GROUPS", "s"), ("XINFO", "STREAM", "s"),
    )


@pytest.mark.parametrize("server", ["ours", "theirs"])
def test_xreadgroup_block(request, server):
    srv = request.getfixturevalue(server)
    r = redis.Redis(port=srv.port)
    r.flushall()
    r.xgroup_create("gs", "g", id="$", mkstream=True)
    c1, c2 = redis.Redis(port=srv.port), redis.Redis(port=srv.port)
    # alice blocks first (waiters are served in the order they blocked), then bob
    t1, o1 = _in_thread(lambda: c1.xreadgroup("g", "alice", {"gs": ">"}, block=3000))
    _blocked_clients(r, 1)
    t2, o2 = _in_thread(lambda: c2.xreadgroup("g", "bob", {"gs": ">"}, block=3000))
    _blocked_clients(r, 2)
    r.xadd("gs", {"f": "1"}, id="1-1")
    t1.join(5)
    time.sleep(0.05)
    assert o1.get("r") == [[b"gs", [(b"1-1", {b"f": b"1"})]]], o1
    assert int(r.info("clients")["blocked_clients"]) == 1  # bob waits for more
    r.xadd("gs", {"f": "2"}, id="2-1")
    t2.join(5)
    assert o2.get("r") == [[b"gs", [(b"2-1", {b"f": b"2"})]]], o2
    assert r.xpending("gs", "g")["consumers"] == [{"name": b"alice", "pending": 1}, {"name": b"bob", "pending": 1}]
    # XGROUP DESTROY and DEL release the waiters with an error
    t3, o3 = _in_thread(lambda: c1.xreadgroup("g", "alice", {"gs": ">"}, block=3000))
    _blocked_clients(r, 1)
    r.xgroup_destroy("gs", "g")
    t3.join(5)
    assert "NOGROUP the consumer group this client was blocked on no longer exists" in str(o3.get("e")), o3
    r.xgroup_create("gs", "g", id="$")
    t4, o4 = _in_thread(lambda: c1.xreadgroup("g", "alice", {"gs": ">"}, block=3000))
    _blocked_clients(r, 1)
    r.delete("gs")
    t4.join(5)
    assert "UNBLOCKED the stream key no longer exists" in str(o4.get("e")), o4
    for c in (r, c1, c2):
        c.close()


def test_dump_restore_with_groups(diff):
    d = diff
    _fill(d, "k", 5)
    d.run(("XGROUP", "CREATE", "k", "g", "0"), ("XGROUP", "CREATE", "k", "h", "$", "ENTRIESREAD", "5"),
          ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "k", ">"),
          ("XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "k", ">"),
          ("XGROUP", "CREATECONSUMER", "k", "h", "idle"))

    def bulk(r):
        head, rest = r.split(b"\r\n", 1)
        return rest[:int(head[1:])]
    mine, real = bulk(d.a.call("DUMP", "k")), bulk(d.b.call("DUMP", "k"))
    assert len(mine) == len(real)  # the same layout (only the times differ)
    assert d.a.call("RESTORE", "k2", "0", real) == b"+OK\r\n"
    assert d.b.call("RESTORE", "k2", "0", mine) == b"+OK\r\n"
    for k in ("k", "k2"):
        d.same("XRANGE", k, "-", "+")
        d.same("XPENDING", k, "g")
        d.same("XINFO", "GROUPS", k)
        d.same("XPENDING", k, "g", "-", "+", "10", "bob") if False else None
        d.same("XREADGROUP", "GROUP", "g", "alice", "STREAMS", k, "0")
        d.same("XCLAIM", k, "g", "carol", "0", "1-1", "2-1", "3-1", "JUSTID")
        d.same("XPENDING", k, "g")
    d.same("COPY", "k", "k3")
    d.same("XPENDING", "k3", "g")


def test_group_propagation_like_redis(debug_servers):
    from diff.test_propagation import stream
    steps = [("XADD", "s", "%d-1" % i, "f", "v") for i in range(1, 6)] + [
        ("XGROUP", "CREATE", "s", "g", "0"),
        ("XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "0"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"),
        ("XREADGROUP", "GROUP", "g", "carl", "STREAMS", "s", "0"),
        ("XACK", "s", "g", "1-1"),
        ("XCLAIM", "s", "g", "dave", "0", "2-1", "JUSTID"),
        ("XCLAIM", "s", "g", "dave", "0", "99-1", "LASTID", "4-1"),
        ("XDEL", "s", "2-1"),
        ("XAUTOCLAIM", "s", "g", "erin", "0", "0"),
        ("XGROUP", "CREATECONSUMER", "s", "g", "fred"),
        ("XGROUP", "DELCONSUMER", "s", "g", "fred"),
        ("XGROUP", "SETID", "s", "g", "0"),
        ("XGROUP", "DESTROY", "s", "g2"),
    ]

    def masked(port):
        replies, cmds = stream(port, steps)
        for a in cmds:
            if a[0] == b"XCLAIM" and len(a) > 7 and a[6] == b"TIME":
                a[7] = b"<time>"
        return replies, cmds
    mine, real = masked(debug_servers[0].port), masked(debug_servers[1].port)
    assert mine[1] == real[1]
    assert mine[0] == real[0]


def test_debug_digest_and_object(ddiff):
    d = ddiff
    _fill(d, "s", 3)
    d.same("XADD", "s", "9-1", "other", "x" * 60)
    d.same("XGROUP", "CREATE", "s", "g", "0")
    d.same("DEBUG", "DIGEST-VALUE", "s")
    d.same("DEBUG", "DIGEST")
    a, b = d.both("DEBUG", "OBJECT", "s")
    assert re.search(rb"serializedlength:\d+", a).group() == re.search(rb"serializedlength:\d+", b).group()


@pytest.mark.parametrize("replica_kind", ["ours", "redis"])
def test_replica_groups(replica_kind):
    master = start_server("ours", args=["--repl-diskless-sync-delay", "0"])
    replica = None
    try:
        m = redis.Redis(port=master.port)
        for i in range(1, 6):
            m.xadd("s", {"f": "v%d" % i}, id="%d-1" % i)
        m.xgroup_create("s", "g", id="0")
        m.xreadgroup("g", "alice", {"s": ">"}, count=2)
        replica = start_server(replica_kind)
        r = redis.Redis(port=replica.port)
        r.replicaof("127.0.0.1", master.port)
        _wait(lambda: r.info("replication").get("master_link_status") == "up")
        _wait(lambda: r.exists("s"))
        assert r.xpending("s", "g") == m.xpending("s", "g")
        m.xreadgroup("g", "bob", {"s": ">"}, count=1)
        m.xreadgroup("g", "carl", {"s": ">"}, count=1, noack=True)
        m.xack("s", "g", "1-1")
        m.xclaim("s", "g", "dave", 0, ["2-1"])
        m.xgroup_create("s", "g2", id="$")
        _wait(lambda: len(r.xinfo_groups("s")) == 2)
        assert r.xpending("s", "g") == m.xpending("s", "g")
        assert r.xinfo_groups("s") == m.xinfo_groups("s")
        assert [c["name"] for c in r.xinfo_consumers("s", "g")] == [c["name"] for c in m.xinfo_consumers("s", "g")]
    finally:
        for s in (replica, master):
            if s is not None:
                s.stop()
                shutil.rmtree(s.workdir, ignore_errors=True)


def test_aof_rewrite_and_rdb_restart():
    """BGREWRITEAOF without RDB preamble writes XADD/XSETID/XGROUP/XCLAIM (rewriteStreamObject); a
    restart from that AOF, and from a dump.rdb, gives the same streams back."""
    import tempfile
    for args in (["--appendonly", "yes", "--aof-use-rdb-preamble", "no"], ["--save", "900 1"]):
        wd = tempfile.mkdtemp(prefix="pyredis-test-")
        srv = start_server("ours", args=args, workdir=wd)
        try:
            m = redis.Redis(port=srv.port)
            for i in range(1, 6):
                m.xadd("s", {"f": "v%d" % i}, id="%d-1" % i)
            m.xdel("s", "2-1")
            m.xadd("e", {"a": "b"}, id="3-3")
            m.xdel("e", "3-3")
            m.xgroup_create("s", "g", id="0")
            m.xreadgroup("g", "alice", {"s": ">"}, count=2)
            m.execute_command("XGROUP", "CREATECONSUMER", "s", "g", "idle")
            before = (m.xrange("s"), m.xinfo_stream("s"), m.xinfo_groups("s"), m.xpending("s", "g"),
                      m.xinfo_stream("e"))
            if "--appendonly" in args:
                m.bgrewriteaof()
                _wait(lambda: m.info("persistence")["aof_rewrite_in_progress"] == 0
                      and m.info("persistence")["aof_rewrite_scheduled"] == 0)
                time.sleep(0.2)
            else:
                m.save()
            m.close()
            port = srv.port
            srv.stop()
            srv = start_server("ours", port=port, args=args, workdir=wd)
            m = redis.Redis(port=srv.port)
            _wait(lambda: m.exists("s"))
            after = (m.xrange("s"), m.xinfo_stream("s"), m.xinfo_groups("s"), m.xpending("s", "g"),
                     m.xinfo_stream("e"))
            assert after == before, args
            m.close()
        finally:
            srv.stop()
            shutil.rmtree(wd, ignore_errors=True)


def test_memory_usage(diff):
    d = diff
    d.same("CONFIG", "SET", "stream-node-max-entries", "100")
    d.same("XADD", "s", "1-1", "a", "b")
    d.same("MEMORY", "USAGE", "s")
    for i in range(2, 260):
        d.same("XADD", "s", "%d-1" % i, "field", "value%d" % i)
    d.same("MEMORY", "USAGE", "s")
    d.same("MEMORY", "USAGE", "s", "SAMPLES", "0")
    d.same("XGROUP", "CREATE", "s", "g", "0")
    d.same("XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">")
    d.same("MEMORY", "USAGE", "s")
    d.same("XDEL", "s", "1-1")
    d.same("MEMORY", "USAGE", "s")


def test_streams_in_scripts_and_wrongtype(diff):
    d = diff
    d.run(
        ("EVAL", "return redis.call('XADD', KEYS[1], '1-1', 'a', 'b')", "1", "s"),
        ("EVAL", "return redis.call('XRANGE', KEYS[1], '-', '+')", "1", "s"),
        ("EVAL", "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", "1", "s"),
        ("EVAL", "return redis.call('XREAD', 'STREAMS', KEYS[1], '0')", "1", "s"),
        ("XGROUP", "CREATE", "s", "g", "0"),
        ("EVAL", "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', KEYS[1], '>')", "1", "s"),
        ("EVAL", "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', KEYS[1], '>')", "1", "s"),
        ("EVAL", "return redis.call('XINFO', 'GROUPS', KEYS[1])", "1", "s"),
        ("LPUSH", "l", "x"),
        ("XADD", "l", "1-1", "a", "b"),
        ("XRANGE", "l", "-", "+"),
        ("XREAD", "STREAMS", "l", "0"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "l", ">"),
        ("XINFO", "STREAM", "l"),
        ("XACK", "l", "g", "1-1"),
        ("XPENDING", "l", "g"),
        ("XCLAIM", "l", "g", "c", "0", "1-1"),
        ("XAUTOCLAIM", "l", "g", "c", "0", "0"),
        ("XGROUP", "CREATE", "l", "g", "0"),
        ("XTRIM", "l", "MAXLEN", "0"),
        ("XDEL", "l", "1-1"),
        ("XSETID", "l", "1-1"),
        ("LPUSH", "s", "x"),
        ("SCAN", "0", "TYPE", "stream"),
    )
