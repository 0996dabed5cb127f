"""SLOWLOG and LATENCY against redis-server 7.0.15: replies byte for byte where they are deterministic,
entries field by field where they carry times (ids, arguments, truncation, redaction, client name)."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from helpers import RawClient, start_server
from resp_parse import parse


@pytest.fixture(scope="module")
def pair():
    a = start_server("ours", args=["--enable-debug-command", "yes"])
    b = start_server("redis", args=["--enable-debug-command", "yes"])
    yield a, b
    for s in (a, b):
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)


class D:
    def __init__(self, pair):
        self.a = RawClient(pair[0].port)
        self.b = RawClient(pair[1].port)

    def both(self, *args):
        return self.a.call(*args), self.b.call(*args)

    def same(self, *args):
        mine, real = self.both(*args)
        assert mine == real, (args, mine, real)
        return mine

    def close(self):
        self.a.close()
        self.b.close()


@pytest.fixture
def d(pair):
    x = D(pair)
    yield x
    x.both("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    x.both("CONFIG", "SET", "slowlog-max-len", "128")
    x.both("CONFIG", "SET", "latency-monitor-threshold", "0")
    x.both("SLOWLOG", "RESET")
    x.both("LATENCY", "RESET")
    x.close()


def test_errors_and_help(d):
    for args in (("SLOWLOG",), ("SLOWLOG", "foo"), ("SLOWLOG", "GET", "x"), ("SLOWLOG", "GET", "-2"),
                 ("SLOWLOG", "GET", "1", "2"), ("SLOWLOG", "LEN", "x"), ("SLOWLOG", "RESET", "x"),
                 ("SLOWLOG", "HELP"), ("LATENCY",), ("LATENCY", "foo"), ("LATENCY", "HELP"),
                 ("LATENCY", "HELP", "x"), ("LATENCY", "HISTORY"), ("LATENCY", "HISTORY", "nosuch"),
                 ("LATENCY", "GRAPH", "nosuch"), ("LATENCY", "LATEST"), ("LATENCY", "RESET"),
                 ("LATENCY", "RESET", "a", "b"), ("LATENCY", "HISTOGRAM", "nosuch"), ("LATENCY", "DOCTOR")):
        d.same(*args)


def _entries(reply: bytes):
    """(id deltas, args, peer host, name) of SLOWLOG GET entries, oldest last."""
    out = []
    entries = parse(reply)
    for e in entries:
        eid, when, usec, args, peer, name = e
        assert abs(when - time.time()) < 30 and usec >= 0
        out.append((args, peer.rsplit(b":", 1)[0], name))
    ids = [e[0] for e in entries]
    return out, [ids[0] - i for i in ids]


def test_slowlog_entries(d):
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "0")
    d.same("SLOWLOG", "RESET")
    d.same("CLIENT", "SETNAME", "slow-one")
    d.same("SET", "k", "v")
    d.same("GET", "k")
    d.same("MSET", *["a%d" % i for i in range(40)])  # 41 arguments: 31 shown + "... (10 more arguments)"
    d.same("SET", "long", "x" * 300)  # "... (172 more bytes)"
    d.same("AUTH", "nosuchuser", "secret")  # (redacted)
    d.same("CONFIG", "SET", "masterauth", "pw")  # sensitive value redacted
    d.same("ACL", "SETUSER", "u", "on", ">pw")
    d.same("ACL", "DELUSER", "u")
    d.both("HELLO", "2", "AUTH", "default", "pw")  # (client ids differ)
    d.same("MULTI")
    d.same("INCR", "n")
    d.same("EXEC")  # EXEC is skip_slowlog; INCR is logged
    d.same("CONFIG", "SET", "masterauth", "")
    d.same("SLOWLOG", "LEN")
    for count in ("-1", "3", "0"):
        mine, real = d.both("SLOWLOG", "GET", count)
        assert _entries(mine) == _entries(real) if parse(real) else mine == real, count
    mine, real = d.both("SLOWLOG", "GET")
    assert _entries(mine) == _entries(real)
    assert len(parse(mine)) == 10
    d.same("SLOWLOG", "RESET")
    d.same("SLOWLOG", "LEN")  # the RESET itself is logged after it ran


def test_slowlog_threshold_and_max_len(d):
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "20000")
    d.same("SLOWLOG", "RESET")
    d.same("DEBUG", "SLEEP", "0")
    d.same("SLOWLOG", "LEN")
    d.same("DEBUG", "SLEEP", "0.05")
    mine, real = d.both("SLOWLOG", "GET")
    assert _entries(mine) == _entries(real)
    assert parse(mine)[0][2] >= 50000
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "0")
    d.both("CONFIG", "SET", "slowlog-max-len", "3")
    for i in range(6):
        d.same("PING", str(i))
    mine, real = d.both("SLOWLOG", "GET", "-1")
    assert _entries(mine) == _entries(real) and len(parse(mine)) == 3
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "-1")
    d.same("SLOWLOG", "RESET")
    d.same("DEBUG", "SLEEP", "0.03")
    d.same("SLOWLOG", "LEN")


def test_latency_monitor(d):
    d.both("CONFIG", "SET", "latency-monitor-threshold", "10")
    d.same("DEBUG", "SLEEP", "0.05")
    mine, real = d.both("LATENCY", "LATEST")
    (em, tm, lm, mm), = parse(mine)
    (er, tr, lr, mr), = parse(real)
    assert em == er == b"command" and abs(tm - tr) <= 2 and 50 <= lm < 500 and 50 <= lr < 500 and mm == lm
    mine, real = d.both("LATENCY", "HISTORY", "command")
    assert len(parse(mine)) == len(parse(real)) == 1
    for reply in d.both("LATENCY", "DOCTOR"):
        text = parse(reply)
        assert text.startswith(b"Dave, I have observed latency spikes in this Redis instance.")
        assert b"1. command: 1 latency spikes (average " in text
        assert b"- Check your Slow Log to understand what are the commands" in text
    mine, real = d.both("LATENCY", "GRAPH", "command")
    assert parse(mine).split(b"\n")[0].startswith(b"command - high ") and parse(real).startswith(b"command - high ")
    d.same("LATENCY", "RESET", "COMMAND")
    d.same("LATENCY", "LATEST")
    d.same("LATENCY", "DOCTOR")


def test_slowlog_on_the_fast_path_is_cheap_but_present(pair):
    """A pipelined batch that is slow is charged to its non-fast command."""
    with RawClient(pair[0].port) as c:
        c.call("CONFIG", "SET", "slowlog-log-slower-than", "30000")
        c.call("SLOWLOG", "RESET")
        from helpers import encode_command

        c.send_raw(encode_command("GET", "a") + encode_command("DEBUG", "SLEEP", "0.05") +
                   encode_command("GET", "b"))
        for _ in range(3):
            c.read_reply()
        entries = parse(c.call("SLOWLOG", "GET"))
        assert entries[-1][3] == [b"DEBUG", b"SLEEP", b"0.05"] and entries[-1][2] >= 50000
        c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
        c.call("SLOWLOG", "RESET")
