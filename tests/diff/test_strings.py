"""String and bitmap commands, byte for byte against redis-server 7.0: every option, every error.

Most tests send the same commands to both servers (the ``diff`` fixture).  Commands on keys of other
types (WRONGTYPE) need a list: while our server has no list commands, those run in process against a
database holding a list, and are compared with redis-server's bytes all the same (``wt``)."""

from __future__ import annotations

import random
import time

import pytest

from pyredis_cluster import commands  # noqa: F401  (registers every command)
from pyredis_cluster.commands import table
from pyredis_cluster.errors import CommandError
from pyredis_cluster.protocol.reply import encode, error_bytes
from pyredis_cluster.store.keyspace import Database
from pyredis_cluster.store.types import ListValue

MAX_BULK = 512 * 1024 * 1024


# -- helpers ------------------------------------------------------------------------------------


def ttl_close(diff, cmd, key, tol):
    """TTL-like replies (TTL, PTTL ...) of both servers are integers within ``tol`` of each other."""
    mine, real = diff.both(cmd, key)
    assert mine[:1] == real[:1] == b":", (mine, real)
    a, b = int(mine[1:-2]), int(real[1:-2])
    assert abs(a - b) <= tol, (cmd, key, a, b)
    return a


class _Node:
    notify_flags = 0  # keyspace notifications off

    def __init__(self):
        self.config = {"proto-max-bulk-len": MAX_BULK}

    def notify(self, db, type_flag, event, key):
        pass


class _Client:
    """Just what string handlers use of a connection."""

    def __init__(self):
        self.db = Database(0)
        self.node = _Node()
        self.is_master = False
        self.resp3 = False


class InProcess:
    """Runs commands in process on our handlers; replies as RESP bytes (like the server sends)."""

    def __init__(self):
        self.c = _Client()

    def call(self, *args):
        argv = [a.encode() if isinstance(a, str) else a for a in args]
        try:
            cmd = table.resolve(argv)
            return encode(cmd.handler(self.c, argv), self.c.resp3)
        except CommandError as e:
            return error_bytes(e.message)


class WrongTypeDiffer:
    def __init__(self, theirs_client):
        self.a = InProcess()
        self.b = theirs_client
        self.a.c.db.set(b"lst", ListValue([b"x"]))
        self.b.call("FLUSHALL")
        self.b.call("RPUSH", "lst", "x")

    def same(self, *args):
        mine, real = self.a.call(*args), self.b.call(*args)
        assert mine == real, "reply differs for %r:\n  ours:  %r\n  redis: %r" % (args, mine, real)
        return mine

    def run(self, *commands):
        for cmd in commands:
            self.same(*cmd)


@pytest.fixture
def wt(diff):
    """A differ where key "lst" holds a list (on our side: in process)."""
    return WrongTypeDiffer(diff.b)


@pytest.fixture
def inproc_diff(diff):
    """In-process ours against redis-server (for fast randomized comparisons)."""
    w = WrongTypeDiffer(diff.b)
    w.a.c.db.delete(b"lst")
    diff.b.call("DEL", "lst")
    return w


# -- SET / GET ----------------------------------------------------------------------------------


def test_set_get_basic(diff):
    diff.run(
        ("SET", "k", "v"), ("GET", "k"), ("SET", "k", "other"), ("GET", "k"), ("SET", "e", ""), ("GET", "e"),
        ("SET", b"bin\x00\xff", b"\x00\r\n\xff"), ("GET", b"bin\x00\xff"), ("GET", "missing"),
        ("SET", "big", "x" * 100000), ("GET", "big"), ("SET", "n", "12345"), ("GET", "n"),
        ("SET",), ("SET", "k"), ("GET",), ("GET", "a", "b"),
    )


def test_set_options(diff):
    diff.run(
        ("SET", "k", "v", "NX"), ("SET", "k", "v2", "NX"), ("GET", "k"),
        ("SET", "k", "v3", "XX"), ("GET", "k"), ("SET", "nx", "v", "XX"), ("EXISTS", "nx"),
        ("SET", "k", "v", "nx", "xx"), ("SET", "k", "v", "XX", "NX"), ("SET", "k", "v", "nx", "nx"),
        ("SET", "k", "v", "xx", "xx"),
        ("SET", "k", "a", "GET"), ("SET", "k", "b", "get", "get"), ("SET", "new", "v", "GET"),
        ("SET", "k", "c", "NX", "GET"), ("GET", "k"), ("SET", "new2", "c", "NX", "GET"), ("GET", "new2"),
        ("SET", "k", "d", "XX", "GET"), ("SET", "absent", "d", "XX", "GET"), ("EXISTS", "absent"),
        ("SET", "k", "v", "FOO"), ("SET", "k", "v", "EX"), ("SET", "k", "v", "PX"), ("SET", "k", "v", "EXAT"),
        ("SET", "k", "v", "PXAT"), ("SET", "k", "v", "PERSIST"), ("SET", "k", "v", "KEEPTTL", "EX", "10"),
        ("SET", "k", "v", "EX", "10", "KEEPTTL"), ("SET", "k", "v", "EX", "10", "PX", "100"),
        ("SET", "k", "v", "PX", "100", "EX", "10"), ("SET", "k", "v", "EXAT", "10", "PXAT", "100"),
        ("SET", "k", "v", "EX", "10", "EXAT", "10"), ("SET", "k", "v", "PXAT", "100", "PX", "100"),
        ("SET", "k", "v", "NX", "BAR"), ("SET", "k", "v", b"NX\x00junk"), ("SET", "k", "v", "GETX"),
        ("SET", "k", "v", "N"), ("SET", "k", "v", ""),
    )


def test_set_expire_errors(diff):
    for opt in ("EX", "PX", "EXAT", "PXAT", "ex", "pX"):
        for val in ("0", "-1", "abc", "", "1.5", "+10", " 10", "010", "-0", "9223372036854775808",
                    "-9223372036854775808"):
            diff.same("SET", "k", "v", opt, val)
    diff.run(
        ("SET", "k", "v", "EX", "9223372036854775807"), ("SET", "k", "v", "EX", "9223372036854776"),
        ("SET", "k", "v", "EX", "9223372036854775"), ("SET", "k", "v", "PX", "9223372036854775807"),
        ("SET", "k", "v", "PX", "9223372036854775000"), ("SET", "k", "v", "EXAT", "9223372036854776"),
        ("SET", "k", "v", "PXAT", "9223372036854775807"), ("SET", "k", "v", "EXAT", "9223372036854775"),
        ("GET", "k"),
    )


def test_set_ttl(diff):
    diff.run(("SET", "k", "v", "EX", "100"),)
    ttl_close(diff, "TTL", "k", 1)
    diff.run(("SET", "k", "v", "PX", "100000"),)
    ttl_close(diff, "PTTL", "k", 1000)
    at = int(time.time()) + 1000
    diff.run(("SET", "k", "v", "EXAT", str(at)),)
    diff.same("EXPIRETIME", "k")
    diff.run(("SET", "k", "v", "PXAT", str(at * 1000 + 123)),)
    diff.same("PEXPIRETIME", "k")
    # a plain SET clears the TTL, KEEPTTL keeps it
    diff.run(("SET", "k", "v2", "KEEPTTL"), ("PEXPIRETIME", "k"), ("SET", "k", "v3"), ("TTL", "k"))
    diff.run(("SET", "k", "v", "EX", "100"), ("SET", "k", "v", "keepttl", "XX", "GET"))
    ttl_close(diff, "TTL", "k", 1)
    diff.run(("SET", "k", "v", "EX", "100", "EX", "200"),)
    ttl_close(diff, "TTL", "k", 1)
    diff.run(("SET", "k", "v", "NX", "EX", "100"), ("SET", "k", "v", "XX", "PX", "5000"))
    ttl_close(diff, "PTTL", "k", 1000)
    diff.run(("SET", "newk", "v", "KEEPTTL"), ("TTL", "newk"))


def test_set_past_expire(diff):
    diff.run(("SET", "k", "v", "EXAT", "1"), ("GET", "k"), ("EXISTS", "k"),
             ("SET", "k", "v", "PXAT", "1", "GET"), ("GET", "k"),
             ("SET", "k", "v", "PXAT", str(int(time.time() * 1000) - 10)), ("GET", "k"),
             ("SET", "k", "v"), ("SET", "k", "v2", "EXAT", "100", "GET"), ("GET", "k"), ("TTL", "k"))


def test_set_expires(diff):
    diff.run(("SET", "k", "v", "PX", "50"), ("SET", "k2", "v", "PXAT", str(int(time.time() * 1000) + 50)))
    time.sleep(0.15)
    diff.run(("GET", "k"), ("GET", "k2"), ("SET", "k", "again", "NX"), ("GET", "k"))


def test_setnx_setex_psetex(diff):
    diff.run(
        ("SETNX", "k", "1"), ("SETNX", "k", "2"), ("GET", "k"), ("SETNX", "k"), ("SETNX", "k", "1", "2"),
        ("SETEX", "k", "100", "v"), ("GET", "k"), ("PSETEX", "p", "100000", "v"), ("GET", "p"),
        ("SETEX", "k", "0", "v"), ("SETEX", "k", "-10", "v"), ("SETEX", "k", "abc", "v"),
        ("SETEX", "k", "9223372036854775807", "v"), ("SETEX", "k", "9223372036854776", "v"),
        ("PSETEX", "k", "0", "v"), ("PSETEX", "k", "-1", "v"), ("PSETEX", "k", "1.5", "v"),
        ("PSETEX", "k", "9223372036854775807", "v"), ("SETEX", "k", "10"), ("PSETEX", "k", "10"),
        ("GET", "k"),
    )
    diff.run(("SETEX", "k", "100", "v"),)
    ttl_close(diff, "TTL", "k", 1)
    diff.run(("PSETEX", "k", "100000", "v"),)
    ttl_close(diff, "PTTL", "k", 1000)
    diff.run(("SETEX", "k", "100", "v"), ("SETNX", "k", "x"))
    ttl_close(diff, "TTL", "k", 1)


def test_wrongtype_set_family(wt):
    wt.run(
        ("GET", "lst"), ("SET", "lst", "v", "GET"), ("SET", "lst", "v", "EX", "abc", "GET"),
        ("SET", "lst", "v", "EX", "0", "GET"), ("SET", "lst", "v", "FOO", "GET"),
        ("SET", "lst", "v", "NX"), ("SET", "lst", "v", "NX", "GET"), ("GETSET", "lst", "v"),
        ("GETDEL", "lst"), ("GETEX", "lst"), ("GETEX", "lst", "EX", "0"), ("GETEX", "lst", "FOO"),
        ("GETEX", "lst", "PERSIST"), ("MGET", "lst", "nokey", "lst"), ("STRLEN", "lst"),
        ("GETRANGE", "lst", "0", "-1"), ("GETRANGE", "lst", "a", "-1"), ("SUBSTR", "lst", "0", "1"),
        ("APPEND", "lst", "x"), ("SETRANGE", "lst", "0", "x"), ("SETRANGE", "lst", "0", ""),
        ("SETRANGE", "lst", "-1", "x"), ("INCR", "lst"), ("DECR", "lst"), ("INCRBY", "lst", "1"),
        ("INCRBY", "lst", "x"), ("DECRBY", "lst", "1"), ("INCRBYFLOAT", "lst", "1"), ("INCRBYFLOAT", "lst", "x"),
        ("MSETNX", "lst", "v"), ("SETNX", "lst", "v"),
        ("LCS", "lst", "nokey"), ("LCS", "nokey", "lst"), ("LCS", "lst", "nokey", "BADOPT"),
        ("SETBIT", "lst", "0", "1"), ("SETBIT", "lst", "-1", "1"), ("SETBIT", "lst", "0", "2"), ("GETBIT", "lst", "0"),
        ("GETBIT", "lst", "x"), ("BITCOUNT", "lst"), ("BITCOUNT", "lst", "1"), ("BITCOUNT", "lst", "a", "b"),
        ("BITPOS", "lst", "1"), ("BITPOS", "lst", "2"), ("BITPOS", "lst", "1", "a"),
        ("BITOP", "AND", "dest", "lst"), ("BITOP", "NOT", "dest", "lst"), ("BITOP", "OR", "lst", "nokey"),
        ("BITFIELD", "lst"), ("BITFIELD", "lst", "GET", "u8", "0"), ("BITFIELD", "lst", "SET", "u8", "0", "1"),
        ("BITFIELD", "lst", "GET", "u99", "0"), ("BITFIELD_RO", "lst", "GET", "u8", "0"),
        ("BITFIELD_RO", "lst", "SET", "u8", "0", "1"),
        ("SET", "lst", "v"), ("GET", "lst"),
    )


def test_wrongtype_overwrites(wt):
    """Commands that replace a value whatever its type."""
    wt.run(("MSET", "lst", "a"), ("GET", "lst"))
    wt.a.c.db.set(b"lst", ListValue([b"x"]))
    wt.b.call("DEL", "lst")
    wt.b.call("RPUSH", "lst", "x")
    wt.run(("SETEX", "lst", "10", "a"), ("GET", "lst"))
    wt.a.c.db.set(b"lst", ListValue([b"x"]))
    wt.b.call("DEL", "lst")
    wt.b.call("RPUSH", "lst", "x")
    wt.run(("BITOP", "AND", "lst", "nokey"), ("GET", "lst"))


# -- GETEX / GETDEL / GETSET --------------------------------------------------------------------


def test_getex(diff):
    diff.run(
        ("SET", "k", "v"), ("GETEX", "k"), ("GETEX", "missing"), ("GETEX", "missing", "EX", "abc"),
        ("GETEX", "missing", "EX", "0"), ("GETEX", "missing", "BAD"), ("GETEX",),
        ("GETEX", "k", "EX", "0"), ("GETEX", "k", "EX", "-5"), ("GETEX", "k", "PX", "abc"),
        ("GETEX", "k", "EX"), ("GETEX", "k", "PERSIST", "EX", "10"), ("GETEX", "k", "EX", "10", "PERSIST"),
        ("GETEX", "k", "EX", "10", "PX", "10"), ("GETEX", "k", "NX"), ("GETEX", "k", "KEEPTTL"), ("GETEX", "k", "GET"),
        ("GETEX", "k", "EX", "9223372036854775807"), ("GETEX", "k", "PXAT", "9223372036854775807"),
        ("GETEX", "k", "PERSIST", "PERSIST"), ("TTL", "k"),
    )
    diff.run(("GETEX", "k", "EX", "100"),)
    ttl_close(diff, "TTL", "k", 1)
    diff.run(("GETEX", "k", "PX", "100000"),)
    ttl_close(diff, "PTTL", "k", 1000)
    at = int(time.time()) + 500
    diff.run(("GETEX", "k", "EXAT", str(at)), ("EXPIRETIME", "k"), ("GETEX", "k", "PXAT", str(at * 1000 + 7)),
             ("PEXPIRETIME", "k"), ("GETEX", "k"), ("PEXPIRETIME", "k"), ("GETEX", "k", "persist"), ("TTL", "k"),
             ("GETEX", "k", "PERSIST"), ("TTL", "k"))
    # an absolute time in the past deletes the key (after replying with its value)
    diff.run(("GETEX", "k", "EXAT", "1"), ("EXISTS", "k"), ("SET", "k", "v"), ("GETEX", "k", "PXAT", "1"),
             ("EXISTS", "k"), ("SET", "k", "v"), ("GETEX", "k", "ex", "1", "EX", "100"))
    ttl_close(diff, "TTL", "k", 1)


def test_getdel_getset(diff):
    diff.run(
        ("SET", "k", "v"), ("GETDEL", "k"), ("GETDEL", "k"), ("EXISTS", "k"), ("GETDEL",), ("GETDEL", "a", "b"),
        ("GETSET", "k", "v1"), ("GETSET", "k", "v2"), ("GET", "k"), ("GETSET", "k"),
        ("SETEX", "t", "100", "v"), ("GETSET", "t", "w"), ("TTL", "t"), ("SETEX", "t", "100", "v"), ("GETDEL", "t"),
        ("TTL", "t"),
    )


# -- MSET / MSETNX / MGET -------------------------------------------------------------------------


def test_mset_mget(diff):
    diff.run(
        ("MSET", "a", "1", "b", "2", "c", "3"), ("MGET", "a", "b", "c", "d"), ("MSET", "a"), ("MSET", "a", "1", "b"),
        ("MSET",), ("MGET",), ("MSET", "a", "x", "a", "y"), ("GET", "a"),
        ("MSETNX", "a", "1", "z", "2"), ("EXISTS", "z"), ("MSETNX", "y", "1", "z", "2"), ("MGET", "y", "z"),
        ("MSETNX", "q", "1", "q", "2"), ("GET", "q"), ("MSETNX", "a"), ("MSETNX", "a", "1", "b"), ("MSETNX",),
        ("SETEX", "t", "100", "v"), ("MSET", "t", "w"), ("TTL", "t"),
        ("MGET", "a", "a", "missing", "b"),
    )


# -- INCR family --------------------------------------------------------------------------------


def test_incr_decr(diff):
    diff.run(
        ("INCR", "n"), ("INCR", "n"), ("DECR", "n"), ("DECR", "m"), ("INCRBY", "n", "10"), ("INCRBY", "n", "-25"),
        ("DECRBY", "n", "5"), ("DECRBY", "n", "-5"), ("INCRBY", "n", "0"),
        ("INCRBY", "n", "abc"), ("INCRBY", "n", ""), ("INCRBY", "n", "1.0"), ("INCRBY", "n", "+1"),
        ("INCRBY", "n", " 1"), ("INCRBY", "n", "01"), ("INCRBY", "n", "-0"),
        ("INCRBY", "n", "9223372036854775808"), ("DECRBY", "n", "-9223372036854775809"),
        ("SET", "n", "9223372036854775806"), ("INCR", "n"), ("INCR", "n"), ("GET", "n"),
        ("SET", "n", "-9223372036854775807"), ("DECR", "n"), ("DECR", "n"),
        ("SET", "n", "1"), ("INCRBY", "n", "9223372036854775807"), ("DECRBY", "n", "-9223372036854775807"),
        ("SET", "n", "-2"), ("DECRBY", "n", "9223372036854775807"), ("INCRBY", "n", "-9223372036854775808"),
        ("SET", "n", "0"), ("DECRBY", "n", "-9223372036854775808"), ("DECRBY", "n", "9223372036854775807"),
        ("SET", "s", "abc"), ("INCR", "s"), ("SET", "s", "1.5"), ("INCR", "s"), ("SET", "s", " 1"), ("INCR", "s"),
        ("SET", "s", "1 "), ("INCR", "s"), ("SET", "s", "+1"), ("INCR", "s"), ("SET", "s", "007"), ("INCR", "s"),
        ("SET", "s", ""), ("INCR", "s"), ("SET", "s", "-0"), ("INCR", "s"), ("SET", "s", "99999999999999999999"),
        ("INCR", "s"), ("SET", "s", "-9223372036854775808"), ("INCR", "s"),
        ("INCR",), ("INCR", "a", "b"), ("INCRBY", "a"), ("DECRBY", "a", "1", "2"),
    )


def test_incr_keeps_ttl(diff):
    diff.run(("SETEX", "n", "100", "5"), ("INCR", "n"), ("INCRBY", "n", "5"), ("DECR", "n"), ("APPEND", "n", "1"),
             ("INCRBYFLOAT", "n", "1.5"), ("SETRANGE", "n", "0", "9"), ("SETBIT", "n", "0", "0"), ("GET", "n"))
    ttl_close(diff, "TTL", "n", 1)


@pytest.mark.parametrize("incr", [
    "10.5", "0.1", "3.0e3", "5.0e3", "-5", "1e-3", "1E3", ".5", "5.", "+1.5", "-0.0", "0x10", "0X1P-3", "0x.8",
    "1e308", "1e4000", "-1e4000", "1e-4940", "1e-5000", "0e-5000", "1e5000", "inf", "-inf", "INFINITY", "nan",
    "-nan", "abc", "", " 1", "1 ", "1e", "1e+", "0x", "0x1p", ".", "-", "1.5.5", "1_000", "1,5", "\x001",
    "1\x00", "3.14159265358979323846264338327950288", "123456789012345678901234567890",
    "0.000003814697265625", "99999999999999999.5", "-0.000000000000000001", "4.9e-324", "1.7976931348623157e308",
    "1.18973149535723176502e+4932", "1.2e4932", "3.6e-4951", "1.8e-4951", "2e-4951",
    "0." + "0" * 4000 + "1e4002", "1" * 4500, "0x" + "f" * 40, "0xffffffffffffffff8", "0x1.fffffffffffffffep16383",
])
def test_incrbyfloat_from_missing(diff, incr):
    diff.same("INCRBYFLOAT", "f", incr)
    diff.same("GET", "f")


def test_incrbyfloat_sequences(diff):
    diff.run(
        ("INCRBYFLOAT", "f", "10.5"), ("INCRBYFLOAT", "f", "0.1"), ("INCRBYFLOAT", "f", "-10.6"),
        ("INCRBYFLOAT", "g", "0.1"), ("INCRBYFLOAT", "g", "0.2"), ("INCRBYFLOAT", "g", "0.3"),
        ("SET", "h", "5.0e3"), ("INCRBYFLOAT", "h", "2.0e2"), ("SET", "h", "10"), ("INCRBYFLOAT", "h", "1.5"),
        ("SET", "h", "1e4000"), ("INCRBYFLOAT", "h", "1"), ("INCRBYFLOAT", "h", "1e4932"),
        ("SET", "h", "1.1e4932"), ("INCRBYFLOAT", "h", "1e4931"), ("INCRBYFLOAT", "h", "-1e4931"),
        ("SET", "h", "inf"), ("INCRBYFLOAT", "h", "1"), ("SET", "h", "nan"), ("INCRBYFLOAT", "h", "1"),
        ("SET", "h", " 1"), ("INCRBYFLOAT", "h", "1"), ("SET", "h", "1 "), ("INCRBYFLOAT", "h", "1"),
        ("SET", "h", "abc"), ("INCRBYFLOAT", "h", "abc"), ("INCRBYFLOAT", "h"), ("INCRBYFLOAT", "h", "1", "2"),
        ("SET", "h", "x" * 6000), ("INCRBYFLOAT", "h", "1"), ("SET", "h", "1" * 5119), ("INCRBYFLOAT", "h", "1"),
        ("SET", "h", "1" * 5120), ("INCRBYFLOAT", "h", "1"),
        ("SET", "h", "-1e-20"), ("INCRBYFLOAT", "h", "0"), ("SET", "h", "3"), ("INCRBYFLOAT", "h", "-3"),
        ("INCRBYFLOAT", "h", "-0.00000000000000000001"),
    )


def test_incrbyfloat_random(inproc_diff):
    rng = random.Random(1234)
    for i in range(400):
        key = "f%d" % (i % 7)
        kind = rng.random()
        if kind < 0.3:
            x = "%.*f" % (rng.randint(0, 20), rng.uniform(-1e6, 1e6))
        elif kind < 0.6:
            x = "%.*e" % (rng.randint(0, 25), rng.uniform(-10, 10) * 10 ** rng.randint(-40, 40))
        elif kind < 0.8:
            x = repr(rng.random() * 10 ** rng.randint(-20, 20))
        else:
            x = "%d.%d" % (rng.randint(-10**12, 10**12), rng.randint(0, 10**15))
        inproc_diff.same("INCRBYFLOAT", key, x)


# -- APPEND / STRLEN / GETRANGE / SETRANGE ------------------------------------------------------


def test_append_strlen(diff):
    diff.run(
        ("APPEND", "k", "hello"), ("APPEND", "k", " world"), ("GET", "k"), ("STRLEN", "k"), ("APPEND", "k", ""),
        ("APPEND", "e", ""), ("EXISTS", "e"), ("STRLEN", "e"), ("STRLEN", "missing"), ("APPEND", "k"),
        ("STRLEN",), ("STRLEN", "a", "b"), ("SET", "n", "12"), ("APPEND", "n", "34"), ("INCR", "n"), ("STRLEN", "n"),
        ("APPEND", "b", b"\x00\xff"), ("APPEND", "b", b"\r\n"), ("GET", "b"), ("STRLEN", "b"),
    )


def test_object_encoding_after_modification(diff):
    """Values modified in place become "raw", as in Redis."""
    diff.run(("SET", "k", "abc"), ("OBJECT", "ENCODING", "k"), ("APPEND", "k", "d"), ("OBJECT", "ENCODING", "k"),
             ("APPEND", "new", "abc"), ("OBJECT", "ENCODING", "new"), ("APPEND", "num", "123"),
             ("OBJECT", "ENCODING", "num"), ("SETRANGE", "r", "2", "ab"), ("OBJECT", "ENCODING", "r"),
             ("SET", "s", "abc"), ("SETRANGE", "s", "0", ""), ("OBJECT", "ENCODING", "s"),
             ("SETRANGE", "s", "0", "x"), ("OBJECT", "ENCODING", "s"), ("SET", "b", "a"), ("SETBIT", "b", "1", "1"),
             ("OBJECT", "ENCODING", "b"), ("SETBIT", "nb", "3", "1"), ("OBJECT", "ENCODING", "nb"),
             ("SET", "i", "10"), ("INCR", "i"), ("OBJECT", "ENCODING", "i"), ("SET", "f", "1"),
             ("INCRBYFLOAT", "f", "0.5"), ("OBJECT", "ENCODING", "f"), ("MSET", "m", "1"), ("BITOP", "OR", "o", "m"),
             ("OBJECT", "ENCODING", "o"), ("SET", "bf", "xyz"), ("BITFIELD", "bf", "SET", "u8", "0", "65"),
             ("OBJECT", "ENCODING", "bf"), ("SET", "g", "abc"), ("GETBIT", "g", "1"),
             ("BITFIELD", "g", "GET", "u8", "0"),
             ("OBJECT", "ENCODING", "g"), ("SET", "z", "1"), ("SETBIT", "z", "0", "0"), ("OBJECT", "ENCODING", "z"))


def test_getrange(diff):
    diff.run(("SET", "k", "Hello World"), ("SET", "n", "1234"), ("SET", "e", ""))
    for key in ("k", "n", "e", "missing"):
        for start, end in [(0, 3), (0, -1), (-3, -1), (5, 3), (-1, -5), (-100, 100), (100, 200), (0, 0), (-1, -1),
                           (3, -100), (-100, -100), (0, 10**18), (-(2**63), 2**63 - 1), (10, 10), (11, 11)]:
            diff.same("GETRANGE", key, str(start), str(end))
            diff.same("SUBSTR", key, str(start), str(end))
    diff.run(("GETRANGE", "k", "a", "1"), ("GETRANGE", "k", "1", "b"), ("GETRANGE", "missing", "a", "1"),
             ("GETRANGE", "k", "9223372036854775808", "1"), ("GETRANGE", "k", "0"), ("SUBSTR", "k", "0"),
             ("GETRANGE", "k", "0", "1", "2"))


def test_setrange(diff):
    diff.run(
        ("SETRANGE", "k", "0", "Hello"), ("SETRANGE", "k", "6", "World"), ("GET", "k"), ("SETRANGE", "k", "0", "J"),
        ("GET", "k"), ("SETRANGE", "k", "20", "!"), ("GET", "k"), ("SETRANGE", "k", "3", ""), ("GET", "k"),
        ("SETRANGE", "new", "5", ""), ("EXISTS", "new"), ("SETRANGE", "new", "0", ""), ("SETRANGE", "new", "3", "x"),
        ("GET", "new"), ("SETRANGE", "k", "-1", "x"), ("SETRANGE", "k", "a", "x"), ("SETRANGE", "k", "-1", ""),
        ("SETRANGE", "missing", "-1", ""), ("SETRANGE", "k", "1.5", "x"), ("SETRANGE", "k", "0"),
        ("SETRANGE", "k", str(MAX_BULK), "x"), ("SETRANGE", "k", str(MAX_BULK - 1), "xx"),
        ("SETRANGE", "k", "9223372036854775807", "x"), ("SETRANGE", "k", "9223372036854775808", "x"),
        ("SETRANGE", "big", str(MAX_BULK), "x"), ("SETRANGE", "big", str(MAX_BULK), ""),
        ("SETRANGE", "k", str(MAX_BULK), ""), ("EXISTS", "big"),
        ("SET", "n", "1234"), ("SETRANGE", "n", "1", "xx"), ("GET", "n"), ("SET", "n", "12"),
        ("SETRANGE", "n", "1", "5"), ("INCR", "n"),
    )


def test_append_limit(diff):
    """APPEND past proto-max-bulk-len, with the limit lowered so the test stays small."""
    try:
        for d in (diff.a, diff.b):
            assert d.call("CONFIG", "SET", "proto-max-bulk-len", str(1024 * 1024)) == b"+OK\r\n"
    except AssertionError:
        pytest.skip("CONFIG SET proto-max-bulk-len is not available on our server yet")
    try:
        diff.run(("SET", "k", "x" * (1024 * 1024 - 1)), ("APPEND", "k", "y"), ("APPEND", "k", "z"), ("STRLEN", "k"),
                 ("SETRANGE", "k", str(1024 * 1024 - 1), "ab"), ("SETRANGE", "k", str(1024 * 1024 - 1), "a"),
                 ("SETBIT", "k2", str(8 * 1024 * 1024), "1"), ("SETBIT", "k2", str(8 * 1024 * 1024 - 1), "1"),
                 ("STRLEN", "k2"), ("BITFIELD", "k3", "SET", "u8", str(8 * 1024 * 1024), "1"),
                 ("BITFIELD", "k3", "GET", "u8", str(8 * 1024 * 1024 - 8)),
                 ("BITFIELD", "k3", "GET", "u8", "#131072"), ("BITFIELD", "k3", "GET", "u8", "#131071"))
    finally:
        for d in (diff.a, diff.b):
            d.call("CONFIG", "SET", "proto-max-bulk-len", str(MAX_BULK))


# -- LCS ----------------------------------------------------------------------------------------


def test_lcs(diff):
    a = "ohmytext"
    b = "mynewtext"
    diff.run(("MSET", "a", a, "b", b),)
    for opts in [(), ("LEN",), ("IDX",), ("IDX", "WITHMATCHLEN"), ("IDX", "MINMATCHLEN", "4"),
                 ("IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"), ("idx", "minmatchlen", "-5"), ("IDX", "MINMATCHLEN", "0"),
                 ("LEN", "MINMATCHLEN", "3"), ("WITHMATCHLEN",), ("MINMATCHLEN", "2"), ("LEN", "LEN"),
                 ("IDX", "LEN"), ("LEN", "IDX"), ("IDX", "MINMATCHLEN"), ("IDX", "MINMATCHLEN", "x"),
                 ("FOO",), ("IDX", "FOO"), ("MINMATCHLEN",), (b"IDX\x00x",)]:
        diff.same("LCS", "a", "b", *opts)
        diff.same("LCS", "b", "a", *opts)
        diff.same("LCS", "a", "missing", *opts)
        diff.same("LCS", "missing", "missing2", *opts)
    diff.run(("LCS", "a"), ("LCS",), ("LCS", "a", "a"), ("LCS", "a", "a", "IDX", "WITHMATCHLEN"))


def test_lcs_random(inproc_diff):
    rng = random.Random(42)
    d = inproc_diff
    for i in range(60):
        alphabet = "ACGT"[: rng.randint(1, 4)]
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        d.same("MSET", "a", a, "b", b)
        d.same("LCS", "a", "b")
        d.same("LCS", "a", "b", "IDX", "WITHMATCHLEN")
        d.same("LCS", "a", "b", "IDX", "MINMATCHLEN", str(rng.randint(0, 4)))
        d.same("LCS", "a", "b", "LEN")


def test_lcs_long(diff):
    rng = random.Random(7)
    a = "".join(rng.choice("ACGT") for _ in range(1500))
    b = "".join(rng.choice("ACGT") for _ in range(1200))
    diff.run(("MSET", "a", a, "b", b), ("LCS", "a", "b"), ("LCS", "a", "b", "LEN"),
             ("LCS", "a", "b", "IDX", "MINMATCHLEN", "5", "WITHMATCHLEN"))


# -- bitmaps ------------------------------------------------------------------------------------


def test_setbit_getbit(diff):
    diff.run(
        ("SETBIT", "b", "7", "1"), ("GET", "b"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "0"),
        ("SETBIT", "b", "100", "1"), ("GET", "b"), ("STRLEN", "b"), ("GETBIT", "b", "100"), ("GETBIT", "b", "99"),
        ("GETBIT", "b", "10000"), ("GETBIT", "missing", "0"), ("GETBIT", "missing", "x"),
        ("SETBIT", "b", "0", "2"), ("SETBIT", "b", "0", "-1"), ("SETBIT", "b", "0", "x"), ("SETBIT", "b", "0", ""),
        ("SETBIT", "b", "0", "01"), ("SETBIT", "b", "-1", "1"), ("SETBIT", "b", "x", "1"), ("SETBIT", "b", "-1", "x"),
        ("SETBIT", "b", str(MAX_BULK * 8), "1"), ("SETBIT", "b", "9223372036854775807", "1"),
        ("SETBIT", "b", "9223372036854775808", "1"), ("GETBIT", "b", str(MAX_BULK * 8)),
        ("GETBIT", "b", str(MAX_BULK * 8 - 1)), ("GETBIT", "b", "-1"), ("GETBIT", "b", "#1"),
        ("SET", "n", "12"), ("GETBIT", "n", "2"), ("GETBIT", "n", "3"), ("SETBIT", "n", "6", "1"), ("GET", "n"),
        ("SETBIT", "b"), ("GETBIT", "b"), ("SETBIT", "b", "1", "1", "1"),
    )


def test_bitcount(diff):
    diff.run(("SET", "s", "foobar"), ("SET", "e", ""), ("SET", "n", "1234"),
             ("SET", "bits", b"\xff\xf0\x00\x0f\xaa"))
    ranges = [(0, 0), (1, 1), (0, -1), (-2, -1), (-1, -2), (5, 30), (2, 1), (-100, 100), (-100, -50), (0, -100),
              (100, 200), (3, 3), (9, 20), (-9223372036854775808, 9223372036854775807)]
    for key in ("s", "e", "n", "bits", "missing"):
        diff.same("BITCOUNT", key)
        for start, end in ranges:
            diff.same("BITCOUNT", key, str(start), str(end))
            diff.same("BITCOUNT", key, str(start), str(end), "BIT")
            diff.same("BITCOUNT", key, str(start), str(end), "byte")
    for key in ("s", "missing"):
        diff.run(("BITCOUNT", key, "1"), ("BITCOUNT", key, "a", "b"), ("BITCOUNT", key, "1", "b"),
                 ("BITCOUNT", key, "0", "1", "bits"), ("BITCOUNT", key, "0", "1", "BIT", "x"),
                 ("BITCOUNT", key, "-1", "-2", "foo"), ("BITCOUNT", key, "0", "1", b"bit\x00"))
    diff.same("BITCOUNT")


def test_bitpos(diff):
    diff.run(("SET", "s", b"\xff\xf0\x00"), ("SET", "z", b"\x00\x00\x00"), ("SET", "o", b"\xff\xff\xff"),
             ("SET", "e", ""), ("SET", "n", "1234"), ("SET", "m", b"\x00\xff\xf0"))
    ranges = [(0,), (1,), (2,), (-1,), (-100,), (100,), (0, 0), (0, -1), (1, 2), (2, 1), (-1, -2), (-100, 100),
              (0, 100), (3, 3)]
    for key in ("s", "z", "o", "e", "n", "m", "missing"):
        for bit in ("0", "1"):
            diff.same("BITPOS", key, bit)
            for r in ranges:
                diff.same("BITPOS", key, bit, *map(str, r))
                if len(r) == 2:
                    diff.same("BITPOS", key, bit, *map(str, r), "BYTE")
                    diff.same("BITPOS", key, bit, *map(str, r), "bit")
            for r in [(0, 3), (3, 9), (5, 5), (4, 20), (12, 23), (-5, -1), (-9, -2), (7, 8), (1, 6), (9, 14), (17, 22)]:
                diff.same("BITPOS", key, bit, *map(str, r), "BIT")
    for key in ("s", "missing"):
        diff.run(("BITPOS", key, "2"), ("BITPOS", key, "-1"), ("BITPOS", key, "x"), ("BITPOS", key, "1", "a"),
                 ("BITPOS", key, "1", "0", "b"), ("BITPOS", key, "1", "0", "1", "x"),
                 ("BITPOS", key, "1", "a", "1", "x"),
                 ("BITPOS", key, "0", "0", "1", "bit", "extra"), ("BITPOS", key, "0", "0", "x", "BIT"))
    diff.run(("BITPOS",), ("BITPOS", "s"))


def test_bitpos_bitcount_random(inproc_diff):
    rng = random.Random(99)
    d = inproc_diff
    for i in range(40):
        value = bytes(rng.choice([0, 255, rng.randrange(256)]) for _ in range(rng.randint(0, 6)))
        d.same("SET", "k", value)
        n = len(value) * 8 + 4
        for _ in range(15):
            s, e = rng.randint(-n, n), rng.randint(-n, n)
            bit = str(rng.randint(0, 1))
            d.same("BITPOS", "k", bit, str(s), str(e), "BIT")
            d.same("BITPOS", "k", bit, str(s // 8), str(e // 8))
            d.same("BITPOS", "k", bit, str(s // 8))
            d.same("BITCOUNT", "k", str(s), str(e), "BIT")
            d.same("BITCOUNT", "k", str(s // 8), str(e // 8))


def test_bitop(diff):
    diff.run(("SET", "a", b"\xff\x0f"), ("SET", "b", b"\x0f"), ("SET", "c", b"\xaa\xbb\xcc"), ("SET", "e", ""),
             ("SET", "n", "12"))
    for op in ("AND", "OR", "XOR", "and", "Or", "xOr"):
        for srcs in (("a",), ("a", "b"), ("a", "b", "c"), ("missing",), ("a", "missing"), ("e",), ("e", "a"),
                     ("n", "a"), ("missing", "e"), ("a", "a")):
            diff.same("BITOP", op, "dest", *srcs)
            diff.same("GET", "dest")
    for src in ("a", "b", "c", "e", "n", "missing"):
        diff.run(("BITOP", "NOT", "dest", src), ("GET", "dest"))
    diff.run(("SET", "dest", "x"), ("BITOP", "AND", "dest", "missing"), ("EXISTS", "dest"),
             ("SETEX", "dest", "100", "x"), ("BITOP", "OR", "dest", "a"), ("TTL", "dest"),
             ("BITOP", "NOT", "dest", "a", "b"), ("BITOP", "NOT", "dest"), ("BITOP", "NAND", "dest", "a"),
             ("BITOP", "", "dest", "a"), ("BITOP", b"AND\x00", "dest", "a"), ("BITOP", "AND", "dest"),
             ("BITOP", "AND"), ("BITOP", "a", "a", "a", "a"), ("BITOP", "OR", "a", "a", "b"), ("GET", "a"))


def test_bitop_random(inproc_diff):
    rng = random.Random(5)
    d = inproc_diff
    for i in range(50):
        keys = []
        for j in range(rng.randint(1, 4)):
            value = bytes(rng.randrange(256) for _ in range(rng.randint(0, 9)))
            d.same("SET", "k%d" % j, value)
            keys.append("k%d" % j)
        op = rng.choice(["AND", "OR", "XOR", "NOT"])
        if op == "NOT":
            keys = keys[:1]
        d.same("BITOP", op, "dest", *keys)
        d.same("GET", "dest")


def test_bitfield(diff):
    diff.run(
        ("BITFIELD", "bf"), ("EXISTS", "bf"), ("BITFIELD", "bf", "GET", "u8", "0"), ("EXISTS", "bf"),
        ("BITFIELD", "bf", "SET", "u8", "0", "255"), ("GET", "bf"),
        ("BITFIELD", "bf", "GET", "u8", "0", "GET", "i8", "0"),
        ("BITFIELD", "bf", "SET", "i8", "0", "-1", "GET", "u4", "0", "GET", "u4", "4", "GET", "i4", "4"),
        ("BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1"),
        ("BITFIELD", "bf", "SET", "u8", "#1", "200", "GET", "u8", "8", "GET", "u16", "#0"),
        ("BITFIELD", "bf", "INCRBY", "u8", "0", "10"),
        ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"),
        ("BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "300"),
        ("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-300"),
        ("BITFIELD", "bf", "GET", "i64", "0", "GET", "u63", "1", "GET", "i64", "3"),
        ("BITFIELD", "bf", "SET", "i64", "0", "-9223372036854775808", "GET", "i64", "0"),
        ("BITFIELD", "bf", "INCRBY", "i64", "0", "-1"),
        ("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "1"),
        ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-2", "GET", "i64", "0"),
        ("BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "9223372036854775807"),
        ("BITFIELD", "bf", "SET", "u63", "0", "-1", "OVERFLOW", "SAT", "SET", "u63", "0", "-1",
         "OVERFLOW", "FAIL", "SET", "u63", "0", "-1", "GET", "u63", "0"),
        ("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "SET", "u8", "0", "256", "SET", "i8", "0", "128",
         "SET", "i8", "0", "-129", "SET", "i8", "0", "-9223372036854775808", "SET", "i8", "0", "9223372036854775807"),
        ("BITFIELD", "bf", "OVERFLOW", "WRAP", "SET", "u8", "0", "-1", "SET", "u8", "0", "256", "SET", "i8", "0", "128",
         "SET", "i8", "0", "-129", "SET", "i8", "0", "-9223372036854775808", "SET", "i8", "0", "9223372036854775807"),
        ("BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u8", "0", "-1", "SET", "i8", "0", "128", "GET", "u8", "0"),
        ("BITFIELD", "bf", "SET", "u1", "1000", "1"), ("STRLEN", "bf"),
        ("BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u8", "2000", "1000"), ("STRLEN", "bf"),
        ("BITFIELD", "bf", "GET", "u8", "100000"), ("STRLEN", "bf"),
        ("BITFIELD", "n", "INCRBY", "i5", "100", "1", "GET", "u4", "0"), ("GET", "n"),
        ("BITFIELD", "bf", "overflow", "sat", "incrby", "u3", "7", "-1", "Get", "u3", "7"),
    )


def test_bitfield_errors(diff):
    diff.run(("SET", "bf", "abc"),)
    for args in [("GET",), ("GET", "u8"), ("GET", "u8", "0", "extra"), ("SET", "u8", "0"), ("INCRBY", "u8", "0"),
                 ("OVERFLOW",), ("OVERFLOW", "bad"), ("OVERFLOW", "wrap", "GET"), ("FOO", "u8", "0"),
                 ("GET", "u64", "0"), ("GET", "i65", "0"), ("GET", "u0", "0"), ("GET", "i0", "0"), ("GET", "U8", "0"),
                 ("GET", "I8", "0"), ("GET", "x8", "0"), ("GET", "", "0"), ("GET", "u", "0"), ("GET", "u08", "0"),
                 ("GET", "u+8", "0"), ("GET", b"u8\x00zz", "0"), ("GET", "u-1", "0"), ("GET", "u8", "-1"),
                 ("GET", "u8", "x"), ("GET", "u8", "#"), ("GET", "u8", "#-1"), ("GET", "u8", "#x"),
                 ("GET", "u8", "1.5"),
                 ("GET", "u8", str(MAX_BULK * 8)), ("GET", "u8", str(MAX_BULK * 8 - 1)),
                 ("GET", "u8", "#" + str(MAX_BULK)), ("GET", "i64", "#9223372036854775807"),
                 ("GET", "u8", "#1152921504606846976"), ("GET", "i64", "#144115188075855872"),
                 ("SET", "u8", "0", "x"), ("SET", "u8", "0", "1.5"), ("INCRBY", "u8", "0", ""),
                 ("SET", "u8", "0", "9223372036854775808"), ("GET", "u8", "0", "SET", "u8", "0", "x"),
                 ("GET", "u8", "0", "OVERFLOW", "nope", "GET", "u8", "0"), ("OVERFLOW", "FAIL"),
                 ("GET", "u8", "0", "BAD", "u8", "0"), ("GET", "u8", "0", "GET")]:
        diff.same("BITFIELD", "bf", *args)
        diff.same("BITFIELD", "missing", *args)
        diff.same("BITFIELD_RO", "bf", *args)
    diff.run(("BITFIELD",), ("BITFIELD_RO",), ("BITFIELD_RO", "bf"), ("BITFIELD_RO", "bf", "GET", "u8", "0"),
             ("BITFIELD_RO", "bf", "INCRBY", "u8", "0", "1"), ("BITFIELD_RO", "bf", "OVERFLOW", "SAT"),
             ("BITFIELD_RO", "missing", "GET", "i16", "4", "GET", "u8", "#1"), ("EXISTS", "missing"), ("GET", "bf"))


def test_bitfield_random(inproc_diff):
    rng = random.Random(2024)
    d = inproc_diff
    for i in range(300):
        args = []
        for _ in range(rng.randint(1, 4)):
            op = rng.choice(["GET", "SET", "INCRBY", "OVERFLOW"])
            if op == "OVERFLOW":
                args += ["OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL"])]
                continue
            signed = rng.random() < 0.5
            bits = rng.randint(1, 64 if signed else 63)
            if rng.random() < 0.3:
                bits = rng.choice([1, 8, 16, 32, 63] + ([64] if signed else []))
            typ = ("i" if signed else "u") + str(bits)
            offset = str(rng.randint(0, 80)) if rng.random() < 0.8 else "#%d" % rng.randint(0, 4)
            args += [op, typ, offset]
            if op != "GET":
                val = rng.choice([rng.randint(-300, 300), rng.randint(-(2**63), 2**63 - 1), 2**63 - 1, -(2**63),
                                  2 ** (bits - 1), -(2 ** (bits - 1)) - 1, 2**bits, -1, 0])
                args.append(str(val))
        d.same("BITFIELD", "bf", *args)
    d.same("GET", "bf")


# -- RESP3 and statistics -----------------------------------------------------------------------


def test_resp3_replies(diff):
    diff.both("HELLO", "3")
    try:
        diff.run(
            ("GET", "missing"), ("SET", "k", "v"), ("GET", "k"), ("SET", "k", "w", "NX"), ("SET", "k", "w", "GET"),
            ("SET", "x", "v", "XX", "GET"), ("GETEX", "missing"), ("GETDEL", "missing"), ("MGET", "k", "missing"),
            ("INCRBYFLOAT", "f", "1.5"), ("MSET", "a", "ohmytext", "b", "mynewtext"), ("LCS", "a", "b"),
            ("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"), ("LCS", "a", "b", "LEN"),
            ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5", "GET", "u2", "0"),
            ("GETRANGE", "missing", "0", "-1"), ("SET", "k", "v", "FOO"),
        )
    finally:
        diff.both("HELLO", "2")


def _stats(client):
    info = client.call("INFO", "stats")
    out = {}
    for line in info.split(b"\r\n"):
        if line.startswith(b"keyspace_hits:") or line.startswith(b"keyspace_misses:"):
            k, v = line.split(b":")
            out[k] = int(v)
    return out


def test_keyspace_hits_misses(diff):
    """Read commands count hits and misses (lookupKeyRead), write commands do not."""
    if len(_stats(diff.a)) != 2:
        pytest.skip("our INFO has no keyspace_hits / keyspace_misses yet")
    diff.run(("SET", "s", "foobar"), ("SET", "n", "10"), ("SET", "t", "x", "PXAT", "1"))
    commands = [
        ("GET", "s"), ("GET", "missing"), ("GET", "t"), ("MGET", "s", "missing", "n"), ("STRLEN", "s"),
        ("STRLEN", "missing"), ("GETRANGE", "s", "0", "1"), ("SUBSTR", "missing", "0", "1"), ("GETEX", "s"),
        ("GETEX", "missing", "EX", "10"), ("SET", "n", "11", "GET"), ("SET", "new", "v", "GET"),
        ("GETSET", "n", "12"), ("GETDEL", "missing"), ("INCR", "n"), ("INCRBYFLOAT", "n", "1"), ("APPEND", "s", "x"),
        ("SETRANGE", "s", "0", "y"), ("SET", "s", "z", "NX"), ("LCS", "s", "missing"), ("GETBIT", "s", "1"),
        ("GETBIT", "missing", "1"), ("SETBIT", "s", "1", "1"), ("BITCOUNT", "s"), ("BITCOUNT", "missing"),
        ("BITPOS", "s", "1"), ("BITPOS", "missing", "1"), ("BITOP", "OR", "dest", "s", "missing"),
        ("BITFIELD", "s", "GET", "u8", "0"), ("BITFIELD", "missing", "GET", "u8", "0"),
        ("BITFIELD", "s", "SET", "u8", "0", "1"), ("BITFIELD_RO", "s", "GET", "u8", "0"), ("MSETNX", "s", "1"),
        ("SETNX", "missing2", "1"), ("DECRBY", "n", "1"),
    ]
    for cmd in commands:
        before = _stats(diff.a), _stats(diff.b)
        diff.same(*cmd)
        after = _stats(diff.a), _stats(diff.b)
        mine, real = ({k: after[i][k] - before[i][k] for k in after[i]} for i in (0, 1))
        assert mine == real, (cmd, mine, real)


def test_incr_changes_unshared_integers_in_place(ddiff):
    """DEBUG OBJECT's address stays the same when INCR changes an unshared integer in place (the result
    is not a shared integer 0..9999), and changes otherwise."""
    def addr(c):
        return c.call("DEBUG", "OBJECT", "foo").split()[1]

    def relation(c):
        c.call("SET", "foo", "20000")
        c.call("INCR", "foo")
        out = []
        for cmd in (("INCR", "foo"), ("INCRBY", "foo", "-15000"), ("DECRBY", "foo", "5001"), ("INCR", "foo"),
                    ("SET", "foo", "-7"), ("DECR", "foo"), ("INCRBY", "foo", "100000"), ("SET", "foo", "x1"),
                    ("SET", "foo", "012"), ("INCR", "foo")):
            before = addr(c)
            c.call(*cmd)
            out.append(addr(c) == before)
        return out

    assert relation(ddiff.a) == relation(ddiff.b)


def test_setbit_bitfield_dirty_counts(diff):
    """rdb_changes_since_last_save grows by one per SETBIT / BITFIELD operation that created, grew or
    changed the string, and not at all for no-op writes."""
    import re

    def dirty(c):
        return int(re.search(rb"rdb_changes_since_last_save:(\d+)", c.call("INFO", "persistence")).group(1))

    def deltas(c):
        out = []
        for cmd in (("SETBIT", "foo", "0", "0"), ("BITFIELD", "foo2", "SET", "i5", "0", "0"),
                    ("SETBIT", "foo", "0", "0"), ("BITFIELD", "foo2", "SET", "i5", "0", "0"),
                    ("SETBIT", "foo", "0", "1"), ("SETBIT", "foo", "0", "1"), ("SETBIT", "foo", "100", "0"),
                    ("BITFIELD", "foo2", "SET", "i5", "0", "1", "SET", "i5", "0", "1", "INCRBY", "u2", "10", "0"),
                    ("BITFIELD", "foo2", "SET", "u8", "200", "1", "SET", "u8", "0", "0"),
                    ("BITFIELD", "foo3", "GET", "u8", "0"), ("BITFIELD", "foo4", "OVERFLOW", "FAIL", "INCRBY", "u2",
                                                             "0", "9"),
                    ("BITFIELD", "foo5", "SET", "u8", "0", "0", "SET", "u8", "8", "1"), ("SET", "s", "abc"),
                    ("SETBIT", "s", "0", "0"), ("BITFIELD", "s", "SET", "u8", "0", "97")):
            d = dirty(c)
            c.call(*cmd)
            out.append(dirty(c) - d)
        return out

    assert deltas(diff.a) == deltas(diff.b)
