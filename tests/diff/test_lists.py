"""List commands, byte for byte against redis-server 7.0: normal, edge and error cases, RESP2 and RESP3,
and blocking scenarios played on both servers with extra connections."""

from __future__ import annotations

import socket
import time

import pytest
from helpers import RawClient, encode_command

from .test_propagation import _argv, _attach_replica  # (a raw replica, online, its stream flowing)

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def resp3(diff):
    mine, real = diff.both("HELLO", "3")
    assert mine[:1] == real[:1] == b"%"


# -- pushes and pops --------------------------------------------------------------------------------

def test_push_and_len(diff):
    diff.run(
        ("LPUSH", "l", "a"), ("LPUSH", "l", "b", "c"), ("RPUSH", "l", "x", "y", "z"), ("LLEN", "l"),
        ("LRANGE", "l", "0", "-1"), ("LPUSHX", "l", "p"), ("RPUSHX", "l", "q", "r"), ("LRANGE", "l", "0", "-1"),
        ("LPUSHX", "nokey", "a"), ("RPUSHX", "nokey", "a", "b"), ("EXISTS", "nokey"), ("LLEN", "nokey"),
        ("TYPE", "l"), ("OBJECT", "ENCODING", "l"), ("RPUSH", "big", "x" * 100000), ("OBJECT", "ENCODING", "big"),
        ("LPUSH", "bin", b"\x00\r\n\xff"), ("LRANGE", "bin", "0", "-1"),
    )


def test_push_errors(diff):
    diff.run(
        ("SET", "s", "v"), ("LPUSH",), ("LPUSH", "l"), ("RPUSH", "l"), ("LPUSHX", "l"), ("RPUSHX",),
        ("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"), ("RPUSHX", "s", "a"), ("LLEN", "s"),
        ("LLEN",), ("LLEN", "a", "b"),
    )


def test_pop_single_and_count(diff):
    diff.run(
        ("RPUSH", "l", "a", "b", "c", "d", "e"), ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "2"),
        ("RPOP", "l", "5"), ("EXISTS", "l"), ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "1"), ("RPOP", "l", "0"),
        ("RPUSH", "l", "a", "b", "c"), ("LPOP", "l", "0"), ("RPOP", "l", "0"), ("RPOP", "l", "2"),
        ("LPOP", "l", "100"), ("EXISTS", "l"),
    )


def test_pop_errors(diff):
    diff.run(
        ("SET", "s", "v"), ("RPUSH", "l", "a"), ("LPOP",), ("LPOP", "l", "1", "2"), ("RPOP", "l", "1", "2"),
        ("LPOP", "l", "-1"), ("LPOP", "l", "x"), ("LPOP", "nokey", "-1"), ("LPOP", "s"), ("RPOP", "s", "0"),
        ("LPOP", "s", "-1"), ("LPOP", "l", "01"), ("LPOP", "l", "9223372036854775808"),
        ("LPOP", "l", "9223372036854775807"),
    )


@pytest.mark.parametrize("proto", [2, 3])
def test_null_shapes(diff, proto):
    if proto == 3:
        resp3(diff)
    diff.run(
        ("LPOP", "nokey"), ("RPOP", "nokey"), ("LPOP", "nokey", "1"), ("RPOP", "nokey", "0"),
        ("LMPOP", "1", "nokey", "LEFT"), ("BLPOP", "nokey", "0.01"), ("BRPOP", "a", "b", "0.01"),
        ("BLMPOP", "0.01", "1", "nokey", "RIGHT"), ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.01"),
        ("BRPOPLPUSH", "nokey", "d", "0.01"), ("LINDEX", "nokey", "0"), ("LMOVE", "nokey", "d", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "nokey", "d"), ("LPOS", "nokey", "a"), ("LPOS", "nokey", "a", "COUNT", "0"),
        ("RPUSH", "l", "a", "b"), ("LINDEX", "l", "5"), ("LPOS", "l", "z"), ("LPOS", "l", "z", "COUNT", "1"),
        ("LPOP", "l", "5"), ("LPOP", "l", "0"),
    )


# -- reads --------------------------------------------------------------------------------------------

def test_lindex_lrange(diff):
    diff.run(("RPUSH", "l", *"abcdefghij"),)
    for i in ("0", "3", "9", "10", "-1", "-10", "-11", "9223372036854775807", "-9223372036854775808"):
        diff.same("LINDEX", "l", i)
    for a, b in [("0", "-1"), ("2", "4"), ("-3", "-1"), ("-100", "100"), ("5", "2"), ("10", "20"), ("-1", "-2"),
                 ("0", "0"), ("-9223372036854775808", "9223372036854775807"), ("8", "-1"), ("-2", "100"),
                 ("9", "9"), ("1", "-9")]:
        diff.same("LRANGE", "l", a, b)
    diff.run(("SET", "s", "v"), ("LINDEX", "l", "x"), ("LINDEX", "nokey", "x"), ("LINDEX", "s", "x"),
             ("LINDEX", "s", "0"), ("LRANGE", "nokey", "0", "-1"), ("LRANGE", "nokey", "x", "1"),
             ("LRANGE", "s", "x", "1"), ("LRANGE", "s", "0", "1"), ("LRANGE", "l", "0", "1.5"),
             ("LRANGE", "l", " 1", "2"), ("LRANGE", "l", "+1", "2"), ("LRANGE", "l", "0"), ("LINDEX", "l"))


def test_lrange_long_list(diff):
    diff.same("RPUSH", "l", *[str(i) for i in range(1000)])
    for a, b in [("0", "99"), ("900", "999"), ("-100", "-1"), ("400", "600"), ("990", "2000")]:
        diff.same("LRANGE", "l", a, b)


def test_lpos(diff):
    diff.run(
        ("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"), ("LPOS", "l", "c"), ("LPOS", "l", "c", "RANK", "2"),
        ("LPOS", "l", "c", "RANK", "-1"), ("LPOS", "l", "c", "RANK", "-3"), ("LPOS", "l", "c", "RANK", "4"),
        ("LPOS", "l", "c", "COUNT", "0"), ("LPOS", "l", "c", "COUNT", "2"), ("LPOS", "l", "c", "COUNT", "2", "RANK", "2"),
        ("LPOS", "l", "c", "RANK", "-1", "COUNT", "2"), ("LPOS", "l", "c", "MAXLEN", "3"),
        ("LPOS", "l", "c", "MAXLEN", "2"), ("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7"),
        ("LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1"), ("LPOS", "l", "c", "rank", "-2", "count", "0", "maxlen", "3"),
        ("LPOS", "l", "zz", "COUNT", "0"), ("LPOS", "l", "zz"), ("LPOS", "l", "1"),
        ("LPOS", "l", "c", "RANK", "1", "RANK", "2"),
        ("LPOS", "l", "c", "RANK", "-9223372036854775808"), ("LPOS", "l", "c", "RANK", "-9223372036854775808",
                                                               "COUNT", "1"),
        ("LPOS", "l", "c", "RANK", "9223372036854775807"), ("LPOS", "l", "c", "RANK", "-9223372036854775807"),
    )


def test_lpos_errors(diff):
    diff.run(
        ("SET", "s", "v"), ("RPUSH", "l", "a"), ("LPOS", "l"), ("LPOS", "l", "a", "RANK", "0"),
        ("LPOS", "nokey", "a", "RANK", "0"), ("LPOS", "l", "a", "RANK"), ("LPOS", "l", "a", "RANK", "x"),
        ("LPOS", "l", "a", "COUNT", "-1"), ("LPOS", "l", "a", "COUNT", "x"), ("LPOS", "l", "a", "MAXLEN", "-1"),
        ("LPOS", "l", "a", "MAXLEN", "y"), ("LPOS", "l", "a", "FOO", "1"), ("LPOS", "l", "a", "COUNT"),
        ("LPOS", "s", "a"), ("LPOS", "s", "a", "RANK", "0"), ("LPOS", "s", "a", "COUNT", "1"),
        ("LPOS", "l", "a", "RANK", "9223372036854775808"),
    )


# -- in-place changes -----------------------------------------------------------------------------------

def test_lset(diff):
    diff.run(
        ("RPUSH", "l", "a", "b", "c"), ("LSET", "l", "0", "A"), ("LSET", "l", "-1", "C"), ("LSET", "l", "1", "B"),
        ("LRANGE", "l", "0", "-1"), ("LSET", "l", "3", "x"), ("LSET", "l", "-4", "x"), ("LSET", "l", "x", "y"),
        ("LSET", "nokey", "0", "x"), ("LSET", "nokey", "x", "x"), ("SET", "s", "v"), ("LSET", "s", "0", "x"),
        ("LSET", "s", "x", "x"), ("LSET", "l", "9223372036854775807", "x"), ("LSET", "l", "-9223372036854775808", "x"),
        ("LSET", "l", "0"),
    )


@pytest.mark.parametrize("rng", [("0", "-1"), ("1", "-1"), ("0", "0"), ("-2", "-1"), ("2", "1"), ("5", "10"),
                                 ("-100", "100"), ("-100", "-50"), ("1", "2"), ("0", "-4"), ("3", "3")])
def test_ltrim(diff, rng):
    diff.run(("RPUSH", "l", "a", "b", "c", "d", "e"), ("LTRIM", "l", *rng), ("LRANGE", "l", "0", "-1"),
             ("EXISTS", "l"))


def test_ltrim_errors(diff):
    diff.run(("SET", "s", "v"), ("LTRIM", "nokey", "0", "1"), ("LTRIM", "nokey", "x", "1"), ("LTRIM", "s", "0", "1"),
             ("LTRIM", "s", "0", "x"), ("LTRIM", "s", "0"), ("EXISTS", "nokey"))


def test_lrem(diff):
    for count in ("0", "1", "2", "-1", "-2", "100", "-100", "-9223372036854775808"):
        diff.run(("DEL", "l"), ("RPUSH", "l", "a", "b", "a", "c", "a", "b"), ("LREM", "l", count, "a"),
                 ("LRANGE", "l", "0", "-1"))
    diff.run(("LREM", "l", "0", "zz"), ("LREM", "l", "0", "b"), ("LREM", "l", "0", "c"), ("EXISTS", "l"),
             ("LREM", "nokey", "0", "a"), ("LREM", "nokey", "x", "a"), ("SET", "s", "v"), ("LREM", "s", "0", "a"),
             ("LREM", "s", "x", "a"), ("LREM", "l", "1"))


def test_linsert(diff):
    diff.run(
        ("RPUSH", "l", "a", "b", "c", "b"), ("LINSERT", "l", "BEFORE", "b", "X"), ("LINSERT", "l", "after", "b", "Y"),
        ("LINSERT", "l", "AfTeR", "c", "Z"), ("LRANGE", "l", "0", "-1"), ("LINSERT", "l", "BEFORE", "zz", "x"),
        ("LINSERT", "l", "MIDDLE", "b", "x"), ("LINSERT", "nokey", "BEFORE", "a", "x"),
        ("LINSERT", "nokey", "MIDDLE", "a", "x"), ("SET", "s", "v"), ("LINSERT", "s", "BEFORE", "a", "x"),
        ("LINSERT", "s", "MIDDLE", "a", "x"), ("LINSERT", "l", "BEFORE", "a"), ("EXISTS", "nokey"),
    )


# -- moves ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("src,dst", [("LEFT", "LEFT"), ("LEFT", "RIGHT"), ("RIGHT", "LEFT"), ("right", "right")])
def test_lmove(diff, src, dst):
    diff.run(
        ("RPUSH", "a", "1", "2", "3"), ("RPUSH", "b", "x"), ("LMOVE", "a", "b", src, dst), ("LRANGE", "a", "0", "-1"),
        ("LRANGE", "b", "0", "-1"), ("LMOVE", "a", "new", src, dst), ("LRANGE", "new", "0", "-1"),
        ("LMOVE", "a", "a", src, dst), ("LRANGE", "a", "0", "-1"), ("LMOVE", "a", "b", src, dst), ("EXISTS", "a"),
        ("LMOVE", "b", "b", src, dst), ("LRANGE", "b", "0", "-1"), ("RPUSH", "one", "z"),
        ("LMOVE", "one", "one", src, dst), ("LRANGE", "one", "0", "-1"),
    )


def test_lmove_errors(diff):
    diff.run(
        ("SET", "s", "v"), ("RPUSH", "l", "a"), ("LMOVE", "l", "d", "MIDDLE", "LEFT"), ("LMOVE", "l", "d", "LEFT", "UP"),
        ("LMOVE", "nokey", "d", "LEFT", "x"), ("LMOVE", "nokey", "d", "LEFT", "LEFT"), ("LMOVE", "s", "d", "LEFT", "LEFT"),
        ("LMOVE", "l", "s", "LEFT", "LEFT"), ("LRANGE", "l", "0", "-1"), ("LMOVE", "nokey", "s", "LEFT", "LEFT"),
        ("LMOVE", "l", "d", "LEFT"), ("RPOPLPUSH", "l", "s"), ("RPOPLPUSH", "s", "l"), ("RPOPLPUSH", "nokey", "s"),
        ("RPOPLPUSH", "l"), ("RPOPLPUSH", "l", "l"), ("RPOPLPUSH", "l", "d"), ("LRANGE", "d", "0", "-1"),
        ("EXISTS", "l"),
    )


def test_lmpop(diff):
    diff.run(
        ("RPUSH", "a", "1", "2", "3"), ("RPUSH", "b", "x", "y"), ("LMPOP", "2", "nokey", "a", "LEFT"),
        ("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "10"), ("LMPOP", "2", "a", "b", "left", "count", "1"),
        ("LMPOP", "1", "b", "LEFT", "COUNT", "5"), ("LMPOP", "3", "a", "b", "c", "LEFT"), ("EXISTS", "a", "b"),
        ("RPUSH", "a", "1", "2", "3"), ("LMPOP", "1", "a", "RIGHT", "COUNT", "2"), ("LRANGE", "a", "0", "-1"),
    )


def test_lmpop_errors(diff):
    diff.run(
        ("SET", "s", "v"), ("RPUSH", "l", "a"), ("LMPOP", "0", "l", "LEFT"), ("LMPOP", "x", "l", "LEFT"),
        ("LMPOP", "-1", "l", "LEFT"), ("LMPOP", "2", "l", "LEFT"), ("LMPOP", "1", "l", "MIDDLE"),
        ("LMPOP", "1", "l", "LEFT", "COUNT", "0"), ("LMPOP", "1", "l", "LEFT", "COUNT", "-1"),
        ("LMPOP", "1", "l", "LEFT", "COUNT", "x"), ("LMPOP", "1", "l", "LEFT", "COUNT"),
        ("LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"), ("LMPOP", "1", "l", "LEFT", "FOO"),
        ("LMPOP", "9223372036854775807", "l", "LEFT"), ("LMPOP", "2", "s", "l", "LEFT"),
        ("LMPOP", "2", "l", "s", "LEFT"), ("LMPOP", "1", "s", "LEFT"), ("LMPOP", "1", "l"), ("LMPOP", "1"),
    )


# -- blocking commands that need not block ---------------------------------------------------------------

def test_blocking_commands_serving_at_once(diff):
    diff.run(
        ("RPUSH", "a", "1", "2", "3"), ("RPUSH", "b", "x"), ("BLPOP", "nokey", "a", "0"), ("BRPOP", "b", "a", "0"),
        ("BLPOP", "b", "a", "1"), ("EXISTS", "b"), ("BLMPOP", "0", "2", "b", "a", "LEFT", "COUNT", "5"),
        ("RPUSH", "a", "1", "2", "3"), ("BLMOVE", "a", "d", "LEFT", "RIGHT", "0"), ("BRPOPLPUSH", "a", "d", "0"),
        ("LRANGE", "d", "0", "-1"), ("BLMPOP", "0.5", "1", "a", "RIGHT"), ("EXISTS", "a"),
    )


def test_blocking_errors(diff):
    diff.run(
        ("SET", "s", "v"), ("RPUSH", "l", "a"),
        ("BLPOP", "l"), ("BLPOP", "s", "0"), ("BLPOP", "s", "l", "0"), ("BLPOP", "l", "s", "0"), ("RPUSH", "l", "a"),
        ("BRPOP", "nokey", "s", "0"), ("BLPOP", "l", "x"), ("BLPOP", "s", "x"), ("BLPOP", "l", "-1"),
        ("BLMOVE", "l", "d", "MIDDLE", "LEFT", "0"), ("BLMOVE", "l", "d", "LEFT", "LEFT", "x"),
        ("BLMOVE", "s", "d", "LEFT", "LEFT", "0"), ("BLMOVE", "l", "s", "LEFT", "LEFT", "0"),
        ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "-1"), ("BLMOVE", "l", "d", "LEFT", "LEFT"),
        ("BRPOPLPUSH", "l", "s", "0"), ("BRPOPLPUSH", "s", "d", "0"), ("BRPOPLPUSH", "nokey", "d", "x"),
        ("BRPOPLPUSH", "nokey", "d"),
        ("BLMPOP", "x", "1", "l", "LEFT"), ("BLMPOP", "-1", "1", "l", "LEFT"), ("BLMPOP", "0", "0", "l", "LEFT"),
        ("BLMPOP", "0", "x", "l", "LEFT"), ("BLMPOP", "0", "2", "l", "LEFT"), ("BLMPOP", "0", "1", "l", "UP"),
        ("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "0"), ("BLMPOP", "0", "1", "l", "LEFT", "BAR"),
        ("BLMPOP", "0", "2", "s", "l", "LEFT"), ("BLMPOP", "0", "1", "l"),
    )


@pytest.mark.parametrize("timeout", [
    "abc", "-1", "-0.5", "inf", "-inf", "+inf", "infinity", "nan", "1e300", "1e5000", "1e-5000", "9223372036854776",
    " 1", "1 ", "", "1e", "0x", "1.5.5", "--1", "1,5", "0.01", "1e-9", ".01", "+.01", "0x0.1p-4",
    "0X.01P-2", "1E-2",
])
def test_timeout_parsing(diff, timeout):
    diff.same("BLPOP", "nokey", timeout)


def test_timeout_elapses(diff):
    for cmd in (("BLPOP", "a", "b", "0.05"), ("BRPOP", "a", "0.05"), ("BLMPOP", "0.05", "2", "a", "b", "LEFT"),
                ("BLMOVE", "a", "b", "LEFT", "RIGHT", ".05"), ("BRPOPLPUSH", "a", "b", "5e-2")):
        t0 = time.monotonic()
        diff.same(*cmd)
        assert time.monotonic() - t0 >= 0.05


# -- blocking scenarios on both servers ---------------------------------------------------------------

class Scenario:
    """The same steps on one server, reading from several connections: returns a transcript."""

    def __init__(self, port: int):
        self.port = port
        self.conns: dict = {}
        self.log: list = []

    def conn(self, name: str) -> RawClient:
        c = self.conns.get(name)
        if c is None:
            c = self.conns[name] = RawClient(self.port, timeout=5)
        return c

    def send(self, name: str, *args) -> None:
        self.conn(name).send_raw(encode_command(*args))

    def read(self, name: str) -> None:
        self.log.append((name, self.conn(name).read_reply()))

    def call(self, name: str, *args, label=None) -> bytes:
        r = self.conn(name).call(*args)
        self.log.append((name, label or args, r))
        return r

    def nothing(self, name: str, wait: float = 0.1) -> None:
        """Assert the connection has no reply pending."""
        c = self.conn(name)
        c.sock.settimeout(wait)
        try:
            data = c.sock.recv(1000)
        except (socket.timeout, TimeoutError):
            data = None
        finally:
            c.sock.settimeout(5)
        assert data is None, "%s got %r" % (name, data)
        self.log.append((name, "nothing"))

    def close(self) -> None:
        for c in self.conns.values():
            c.close()


def both_scenarios(ours, theirs, steps) -> list:
    logs = []
    for srv in (ours, theirs):
        s = Scenario(srv.port)
        try:
            s.call("ctl", "FLUSHALL")
            steps(s)
            logs.append(s.log)
        finally:
            s.close()
    assert logs[0] == logs[1]
    return logs[0]


def _settle(s: Scenario) -> None:
    """Make sure the blocking commands sent so far have arrived (a round trip on each connection is not
    possible while blocked, so wait a little)."""
    time.sleep(0.05)


def test_fifo_order_and_multiple_keys(ours, theirs):
    def steps(s):
        s.send("c1", "BLPOP", "k1", "k2", "0")
        _settle(s)
        s.send("c2", "BRPOP", "k2", "0")
        _settle(s)
        s.send("c3", "BLMPOP", "0", "2", "k2", "k1", "RIGHT", "COUNT", "2")
        _settle(s)
        s.call("ctl", "RPUSH", "k2", "a", "b", "c", "d", "e")
        s.read("c1")
        s.read("c2")
        s.read("c3")
        s.call("ctl", "LRANGE", "k2", "0", "-1")
    both_scenarios(ours, theirs, steps)


def test_served_until_empty_then_next_push(ours, theirs):
    def steps(s):
        for name in ("c1", "c2", "c3"):
            s.send(name, "BRPOP", "k", "0")
            _settle(s)
        s.call("ctl", "LPUSH", "k", "x")
        s.read("c1")
        s.nothing("c2")
        s.call("ctl", "RPUSH", "k", "y", "z")
        s.read("c2")
        s.read("c3")
        s.call("ctl", "EXISTS", "k")
    both_scenarios(ours, theirs, steps)


def test_blmove_chain_and_wrongtype_at_serve(ours, theirs):
    def steps(s):
        s.send("c1", "BLMOVE", "src", "mid", "RIGHT", "LEFT", "0")
        _settle(s)
        s.send("c2", "BRPOPLPUSH", "mid", "dst", "0")
        _settle(s)
        s.send("c3", "BLMOVE", "x", "str", "LEFT", "LEFT", "0")
        _settle(s)
        s.call("ctl", "SET", "str", "v")
        s.call("ctl", "RPUSH", "src", "1", "2")
        s.read("c1")
        s.read("c2")
        s.call("ctl", "LRANGE", "src", "0", "-1")
        s.call("ctl", "EXISTS", "mid")
        s.call("ctl", "LRANGE", "dst", "0", "-1")
        s.call("ctl", "RPUSH", "x", "q")
        s.read("c3")
        s.call("ctl", "LRANGE", "x", "0", "-1")
    both_scenarios(ours, theirs, steps)


def test_rotation_serves_every_waiter(ours, theirs):
    def steps(s):
        s.send("c1", "BLMOVE", "r", "r", "LEFT", "RIGHT", "0")
        _settle(s)
        s.send("c2", "BLMOVE", "r", "r", "LEFT", "RIGHT", "0")
        _settle(s)
        s.call("ctl", "RPUSH", "r", "a", "b", "c")
        s.read("c1")
        s.read("c2")
        s.call("ctl", "LRANGE", "r", "0", "-1")
    both_scenarios(ours, theirs, steps)


def test_wrong_type_key_keeps_waiting(ours, theirs):
    def steps(s):
        s.send("c1", "BLPOP", "k", "0")
        _settle(s)
        s.call("ctl", "SET", "k", "string")
        s.nothing("c1")
        s.call("ctl", "DEL", "k")
        s.call("ctl", "LPUSH", "k", "v")
        s.read("c1")
    both_scenarios(ours, theirs, steps)


@pytest.mark.parametrize("reason", [None, "TIMEOUT", "ERROR", "error"])
def test_client_unblock(ours, theirs, reason):
    def steps(s):
        cid = int(s.conn("c1").call("CLIENT", "ID")[1:-2])
        s.send("c1", "BLMPOP", "0", "1", "k", "LEFT")
        _settle(s)
        args = ("CLIENT", "UNBLOCK", str(cid)) + ((reason,) if reason else ())
        s.call("ctl", *args, label="unblock")
        s.read("c1")
        s.call("ctl", *args, label="unblock again")
        s.call("c1", "PING")
    both_scenarios(ours, theirs, steps)


def test_client_unblock_resp3_and_errors(ours, theirs):
    def steps(s):
        s.conn("c1").call("HELLO", "3")
        cid = int(s.conn("c1").call("CLIENT", "ID")[1:-2])
        s.send("c1", "BRPOPLPUSH", "k", "d", "0")
        _settle(s)
        s.call("ctl", "CLIENT", "UNBLOCK", str(cid), "FOO", label="bad reason")
        s.call("ctl", "CLIENT", "UNBLOCK", "x")
        s.call("ctl", "CLIENT", "UNBLOCK", str(cid), "TIMEOUT", "extra", label="arity")
        s.call("ctl", "CLIENT", "UNBLOCK", "999999")
        s.nothing("c1")
        s.call("ctl", "CLIENT", "UNBLOCK", str(cid), label="unblock")
        s.read("c1")
    both_scenarios(ours, theirs, steps)


def test_pipelined_commands_wait_for_the_blocked_one(ours, theirs):
    def steps(s):
        s.conn("c1").send_raw(encode_command("SET", "x", "1") + encode_command("BLPOP", "k", "0")
                              + encode_command("INCR", "x") + encode_command("LPOP", "k")
                              + encode_command("GET", "x"))
        s.read("c1")
        s.nothing("c1")
        s.call("ctl", "GET", "x")
        s.call("ctl", "RPUSH", "k", "a", "b")
        for _ in range(4):
            s.read("c1")
        s.call("ctl", "LLEN", "k")
    both_scenarios(ours, theirs, steps)


def test_pipelined_second_blocking_command(ours, theirs):
    def steps(s):
        s.conn("c1").send_raw(encode_command("BLPOP", "k", "0") + encode_command("BLPOP", "k", "0.05")
                              + encode_command("PING"))
        _settle(s)
        s.call("ctl", "RPUSH", "k", "a")
        s.read("c1")
        s.read("c1")
        s.read("c1")
    both_scenarios(ours, theirs, steps)


def test_resp3_blocked_replies(ours, theirs):
    def steps(s):
        s.conn("c1").call("HELLO", "3")
        s.send("c1", "BLPOP", "k", "0.05")
        s.read("c1")
        s.send("c1", "BLMOVE", "k", "d", "LEFT", "LEFT", "0.05")
        s.read("c1")
        s.send("c1", "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "3")
        _settle(s)
        s.call("ctl", "RPUSH", "k", "a", "b")
        s.read("c1")
    both_scenarios(ours, theirs, steps)


def test_blocked_client_in_other_db(ours, theirs):
    def steps(s):
        s.call("c1", "SELECT", "3")
        s.send("c1", "BLPOP", "k", "0")
        _settle(s)
        s.call("ctl", "RPUSH", "k", "db0")
        s.nothing("c1")
        s.call("ctl", "SELECT", "3")
        s.call("ctl", "RPUSH", "k", "db3")
        s.read("c1")
        s.call("ctl", "LRANGE", "k", "0", "-1")
        s.call("ctl", "SELECT", "0")
        s.call("ctl", "LRANGE", "k", "0", "-1")
    both_scenarios(ours, theirs, steps)


def test_lpush_creating_key_with_many_waiters_lmpop_count(ours, theirs):
    def steps(s):
        s.send("c1", "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2")
        _settle(s)
        s.send("c2", "BLMPOP", "0", "1", "k", "RIGHT", "COUNT", "10")
        _settle(s)
        s.send("c3", "BLPOP", "k", "0")
        _settle(s)
        s.call("ctl", "LPUSH", "k", "1", "2", "3", "4", "5")
        s.read("c1")
        s.read("c2")
        s.nothing("c3")
        s.call("ctl", "LPUSHX", "k", "nope")
        s.call("ctl", "RPUSH", "k", "last")
        s.read("c3")
    both_scenarios(ours, theirs, steps)


def test_tiny_negative_timeout_rounds_to_forever(ours, theirs):
    def steps(s):
        s.send("c1", "BLPOP", "k", "-0.0001")  # ceil(-0.1 ms) = 0: no timeout at all
        s.nothing("c1", 0.2)
        s.call("ctl", "RPUSH", "k", "v")
        s.read("c1")
    both_scenarios(ours, theirs, steps)


# -- keyspace events and the replication stream ---------------------------------------------------------

def _list_workload(s: Scenario) -> None:
    """Commands whose side effects (events, propagation) are compared; blocked clients included."""
    s.call("ctl", "RPUSH", "l", "a", "b", "c", "d", "e")
    s.call("ctl", "LPUSH", "l", "z")
    s.call("ctl", "LPUSHX", "l", "y")
    s.call("ctl", "RPUSHX", "nokey", "y")
    s.call("ctl", "LINSERT", "l", "BEFORE", "c", "x")
    s.call("ctl", "LINSERT", "l", "BEFORE", "nope", "x")
    s.call("ctl", "LSET", "l", "0", "Y")
    s.call("ctl", "LTRIM", "l", "0", "-1")
    s.call("ctl", "LTRIM", "l", "1", "-2")
    s.call("ctl", "LREM", "l", "0", "nope")
    s.call("ctl", "LREM", "l", "1", "x")
    s.call("ctl", "LPOP", "l")
    s.call("ctl", "RPOP", "l", "2")
    s.call("ctl", "LPOP", "l", "0")
    s.call("ctl", "LPOP", "nokey")
    s.call("ctl", "LMOVE", "l", "m", "LEFT", "RIGHT")
    s.call("ctl", "RPOPLPUSH", "l", "m")
    s.call("ctl", "LMPOP", "2", "nokey", "m", "RIGHT", "COUNT", "5")
    s.call("ctl", "RPUSH", "l", "1", "2", "3", "4")
    s.call("ctl", "BLPOP", "nokey", "l", "0")
    s.call("ctl", "BLMPOP", "0", "1", "l", "LEFT", "COUNT", "2")
    s.call("ctl", "BLMOVE", "l", "m", "RIGHT", "LEFT", "0")
    s.call("ctl", "BRPOPLPUSH", "m", "l", "0")
    s.call("ctl", "LTRIM", "l", "5", "10")
    s.call("ctl", "BLPOP", "nokey", "0.01")
    s.send("c1", "BLPOP", "k", "0")
    _settle(s)
    s.send("c2", "BLMPOP", "0", "1", "k", "RIGHT", "COUNT", "2")
    _settle(s)
    s.send("c3", "BLMOVE", "k", "k2", "LEFT", "LEFT", "0")
    _settle(s)
    s.send("c4", "BRPOPLPUSH", "k2", "k3", "0")
    _settle(s)
    s.call("ctl", "RPUSH", "k", "1", "2", "3", "4", "5")
    for name in ("c1", "c2", "c3", "c4"):
        s.read(name)
    s.call("ctl", "DEL", "k3")


def test_keyspace_events(ours, theirs):
    def steps(s):
        s.call("ctl", "CONFIG", "SET", "notify-keyspace-events", "KEA")
        try:
            s.call("sub", "PSUBSCRIBE", "__key*__:*")
            _list_workload(s)
            s.call("ctl", "PUBLISH", "__keyevent@0__:end", "end")
            while True:
                s.read("sub")
                if s.log[-1][1].endswith(b"$3\r\nend\r\n"):
                    break
        finally:
            s.call("ctl", "CONFIG", "SET", "notify-keyspace-events", "")
    both_scenarios(ours, theirs, steps)


def test_replication_stream(ours, theirs):
    """What replicas receive: blocking commands that served at once go as LPOP/RPOP/LMOVE/RPOPLPUSH, woken
    clients' pops follow the push that woke them, no-op writes are not propagated."""
    streams = []

    def steps(s):
        s.call("ctl", "CONFIG", "SET", "repl-diskless-sync-delay", "0")
        try:
            repl = _attach_replica(s.port)
            try:
                _list_workload(s)
                s.call("ctl", "SET", "repl-sentinel", "1")
                cmds = []
                while True:
                    argv = _argv(repl.read_reply())
                    if argv[0].upper() in (b"PING", b"REPLCONF"):
                        continue
                    cmds.append(argv)
                    if argv[:2] == [b"SET", b"repl-sentinel"]:
                        break
                streams.append(cmds)
            finally:
                repl.close()
        finally:
            s.call("ctl", "CONFIG", "SET", "repl-diskless-sync-delay", "5")
            s.call("ctl", "DEL", "repl-sentinel")
    both_scenarios(ours, theirs, steps)
    assert streams[0] == streams[1]
    assert [b"BLPOP", b"nokey", b"l", b"0"] not in streams[0]


# -- transactions ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("proto", [2, 3])
def test_blocking_commands_inside_multi_do_not_block(diff, proto):
    if proto == 3:
        resp3(diff)
    diff.run(("RPUSH", "l", "a"), ("MULTI",), ("BLPOP", "nokey", "0"), ("BRPOP", "nokey", "l", "0"),
             ("BLPOP", "l", "0"), ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "nokey", "d", "0"),
             ("BLMPOP", "0", "1", "nokey", "LEFT"), ("BLPOP", "nokey", "x"), ("EXEC",))


def test_exec_serves_blocked_clients_after_the_transaction(ours, theirs):
    def steps(s):
        s.send("c1", "BLPOP", "k", "0")
        _settle(s)
        s.send("c2", "BLMOVE", "k", "k2", "RIGHT", "LEFT", "0")
        _settle(s)
        s.call("ctl", "MULTI")
        s.call("ctl", "LPUSH", "k", "a")
        s.call("ctl", "LPUSH", "k", "b")
        s.call("ctl", "LPUSH", "k", "c")
        s.call("ctl", "LRANGE", "k", "0", "-1")
        s.call("ctl", "EXEC")
        s.read("c1")
        s.read("c2")
        s.call("ctl", "LRANGE", "k", "0", "-1")
        s.call("ctl", "LRANGE", "k2", "0", "-1")
    both_scenarios(ours, theirs, steps)


def test_watch_sees_list_changes(ours, theirs):
    def steps(s):
        s.call("ctl", "RPUSH", "l", "a", "b")
        for cmd in (("LTRIM", "l", "0", "-1"), ("LREM", "l", "0", "zz"), ("LPUSHX", "nokey", "x"),
                    ("LINSERT", "l", "BEFORE", "zz", "x"), ("LSET", "l", "0", "a"), ("LPOP", "l", "0"),
                    ("RPOPLPUSH", "l", "l"), ("LMOVE", "l", "other", "LEFT", "LEFT")):
            key = "nokey" if cmd[1] == "nokey" else "l"
            s.call("c1", "WATCH", key)
            s.call("ctl", *cmd)
            s.call("c1", "MULTI")
            s.call("c1", "PING")
            s.call("c1", "EXEC")
    both_scenarios(ours, theirs, steps)


def test_blocked_pop_does_not_touch_watch_but_push_does(ours, theirs):
    def steps(s):
        s.send("c1", "BRPOPLPUSH", "src", "dst", "0")
        _settle(s)
        s.call("c2", "WATCH", "dst")
        s.call("c2", "MULTI")
        s.call("c2", "PING")
        s.call("ctl", "RPUSH", "src", "v")
        s.read("c1")
        s.call("c2", "EXEC")  # the push onto dst by the woken client touched the WATCH
    both_scenarios(ours, theirs, steps)
