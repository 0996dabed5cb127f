"""ACL against redis-server 7.0.15, byte for byte: the same ACL commands, users, permission checks, AUTH /
HELLO, the ACL LOG, ACL LOAD / SAVE and the errors of each.

Two things Redis itself leaves open are normalized before comparing (and only these):

* the single-command rules of a description (``-@all +get +set``) come in the order of Redis's command
  hash table, whose seed is random per process -- we compare them as a set (categories keep their order);
* ACL LOG entries carry each server's own client info (fd, port, memory) and age: we compare the fields
  that are not about the process (``cmd=``, ``user=``, ``name=``, ``flags=``, ``db=``, ``multi=`` ...).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import RawClient, start_server
from resp_parse import parse


# -- servers and helpers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pair():
    """A fresh pair (ours, redis-server) for this module: ACL state must not leak into other tests."""
    a = start_server("ours")
    b = start_server("redis")
    yield a, b
    for s in (a, b):
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)


_CAT = re.compile(rb"^[+-]@")


def _norm_rules(line: bytes) -> bytes:
    """Sort the single-command rules that follow the last category rule of each selector."""
    out = []
    for part in re.split(rb"([()])", line):
        if part in (b"(", b")"):
            out.append(part)
            continue
        toks = part.split(b" ")
        cats = [i for i, t in enumerate(toks) if _CAT.match(t)]
        if not cats:
            out.append(part)
            continue
        head, tail = toks[:cats[-1] + 1], toks[cats[-1] + 1:]
        singles = sorted(t for t in tail if t)
        empties = [t for t in tail if not t]
        out.append(b" ".join(head + singles + empties))
    return b"".join(out)


def norm(reply: bytes) -> bytes:
    reply = re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:ID\r\n", reply)  # HELLO: each server's client id
    return b"\r\n".join(_norm_rules(line) for line in reply.split(b"\r\n"))


class AclDiffer:
    def __init__(self, pair):
        self.pair = pair
        self.a = RawClient(pair[0].port)
        self.b = RawClient(pair[1].port)

    def client(self):
        return AclDiffer(self.pair)

    def both(self, *args):
        return self.a.call(*args), self.b.call(*args)

    def same(self, *args) -> bytes:
        mine, real = self.both(*args)
        if mine != real:
            assert norm(mine) == norm(real), "reply differs for %r:\n  ours:  %r\n  redis: %r" % (args, mine, real)
        return mine

    def same_unordered(self, *args) -> bytes:
        mine, real = self.both(*args)
        pm, pr = parse(mine), parse(real)
        assert type(pm) is type(pr) and sorted(pm) == sorted(pr), (args, mine, real)
        return mine

    def run(self, *cmds):
        for c in cmds:
            self.same(*c)

    def close(self):
        self.a.close()
        self.b.close()


@pytest.fixture
def acl(pair):
    d = AclDiffer(pair)
    yield d
    # leave only the default user, as it was
    for c in (d.a, d.b):
        c.call("AUTH", "default", "x")
        users = parse(c.call("ACL", "USERS"))
        others = [u for u in users if u != b"default"]
        if others:
            c.call("ACL", "DELUSER", *others)
        c.call("CONFIG", "SET", "requirepass", "")
        c.call("ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all")
        c.call("ACL", "LOG", "RESET")
    d.close()


# -- SETUSER / GETUSER / LIST ------------------------------------------------------------------------------


SETUSER_CASES = [
    ["alice"],
    ["alice", "on", ">pw"],
    ["bob", "on", ">pw", "~foo*", "%R~bar", "&chan", "+@read", "-get", "+config|get", "+select|0", "(+set ~x*)"],
    ["r1", "+@read", "-@read"],
    ["r2", "+@read", "-get", "+get", "+select|0", "+select|1", "-select"],
    ["r3", "+@all", "-get", "+@read", "-@all", "+config|get", "+config", "-config|set"],
    ["r4", "+config|get", "-config", "+acl", "+client|list", "-@dangerous"],
    ["r5", "allcommands", "-get", "nocommands", "+@hash"],
    ["r6", "+@all", "-@dangerous", "+debug|x"],
    ["r7", "~a", "~b", "~a", "&x", "&y", "&x", ">a", ">b", ">a", "<b", "nopass", ">c"],
    ["r8", ">a", "#0123456789012345678901234567890123456789012345678901234567890123",
     "!0123456789012345678901234567890123456789012345678901234567890123"],
    ["r9", "on", ">pw", "allkeys", "allchannels", "+@all", "reset"],
    ["r10", "+GET", "+Config|GET", "+@READ", "~KeY"],
    ["r11", "(~a +get)", "(~b +set)", "clearselectors", "(~c +del)"],
    ["r12", "on", "(~a", "+get)", "(&ch", "+publish", "+subscribe)"],
    ["r14", "+@all", "+select|0"],
    ["r15", "-@all", "-get", "+@all"],
    ["r16", "%RW~foo", "%R~bar", "%W~foo", "%W~baz"],
    ["r17", "~bar", "%W~bar", "allkeys"],
    ["r18", "%R", "%R~", "%w~x"],
    ["r19", "+@all", "-@admin", "-@dangerous", "+@keyspace", "-@write", "+set"],
    ["r20", "+@string", "+@list", "+@hash", "-lpush", "+@slow"],
    ["r21", "+@all", "-flushall", "-flushdb", "-keys", "-config"],
    ["r22", "on", "skip-sanitize-payload", "sanitize-payload", "skip-sanitize-payload"],
    ["r23", "+select|0", "+select|1", "+SELECT|1", "+debug|foo", "+debug|FOO"],
    ["r24", "+@pubsub", "&news.*", "resetchannels", "&a", "allchannels"],
    ["r25", "+@all", "-@dangerous", "+info", "+client|list", "-@connection"],
    ["r26", ""],
    ["r27", "+xadd", "+georadius", "+eval", "+function|load", "+module|list"],
]


@pytest.mark.parametrize("args", SETUSER_CASES, ids=lambda a: a[0])
def test_setuser_getuser_list(acl, args):
    acl.same("ACL", "SETUSER", *args)
    acl.same("ACL", "GETUSER", args[0])
    acl.same("ACL", "LIST")
    acl.same("ACL", "USERS")


def test_getuser_resp3(acl):
    acl.same("HELLO", "3")
    for args in SETUSER_CASES[:12]:
        acl.same("ACL", "SETUSER", *args)
        acl.same("ACL", "GETUSER", args[0])
    acl.same("ACL", "GETUSER", "nosuch")
    acl.same("HELLO", "2")


SETUSER_ERRORS = [
    ["x", "nonsense"],
    ["x", "+nosuchcmd"],
    ["x", "+@nosuchcat"],
    ["x", "-@nosuchcat"],
    ["x", "~*", "~foo"],
    ["x", "allkeys", "%R~foo"],
    ["x", "&*", "&foo"],
    ["x", "allchannels", "&foo"],
    ["x", "<nopw"],
    ["x", "!0123456789012345678901234567890123456789012345678901234567890123"],
    ["x", "#abc"],
    ["x", "#0123456789012345678901234567890123456789012345678901234567890ABC"],
    ["x", "+config|get|x"],
    ["x", "+config|"],
    ["x", "+config|nosuchsub"],
    ["x", "-select|0"],
    ["x", "-get|x"],
    ["x", "+"],
    ["x", "-"],
    ["x", "+|"],
    ["x", "(+get"],
    ["x", "on", "(+get", "~x"],
    ["x", "(+get ~x) (+nosuch)"],
    ["x", "(+nosuch)"],
    ["x", "(~a b)"],
    ["x", "%~foo"],
    ["x", "%Q~foo"],
    ["x", "%RR~x"],
    ["x", "%RWR~x"],
    ["x", "%"],
    ["x", "~a b"],
    ["x", "&a b"],
    ["x", "on", ">pw", "+get", "bogus"],  # all or nothing: x must not exist afterwards
    ["a b"],
    ["a\x00b"],
    ["x", "resetpasss"],
]


@pytest.mark.parametrize("args", SETUSER_ERRORS, ids=lambda a: "-".join(a)[:40])
def test_setuser_errors(acl, args):
    acl.same("ACL", "SETUSER", *args)
    acl.same("ACL", "LIST")


def test_setuser_error_keeps_user(acl):
    acl.run(("ACL", "SETUSER", "k", "on", ">pw", "~a", "+get"),
            ("ACL", "SETUSER", "k", "off", "resetkeys", "+nosuch"),
            ("ACL", "GETUSER", "k"),
            ("ACL", "SETUSER", "k", "reset"),
            ("ACL", "GETUSER", "k"))


def test_acl_misc_replies_and_arity(acl):
    acl.run(
        ("ACL",), ("ACL", "foo"), ("ACL", "HELP"), ("ACL", "help", "x"),
        ("ACL", "WHOAMI"), ("ACL", "WHOAMI", "x"), ("ACL", "USERS", "x"), ("ACL", "LIST", "x"),
        ("ACL", "GETUSER"), ("ACL", "SETUSER"), ("ACL", "DELUSER"), ("ACL", "DRYRUN"), ("ACL", "DRYRUN", "x"),
        ("ACL", "CAT"), ("ACL", "CAT", "a", "b"), ("ACL", "CAT", "nosuch"), ("ACL", "CAT", "x" * 200),
        ("ACL", "GENPASS", "0"), ("ACL", "GENPASS", "4097"), ("ACL", "GENPASS", "-1"), ("ACL", "GENPASS", "x"),
        ("ACL", "GENPASS", "1", "2"),
        ("ACL", "LOG", "x"), ("ACL", "LOG", "1", "2"), ("ACL", "LOG", "-1"), ("ACL", "LOG", "0"),
        ("ACL", "DELUSER", "default"), ("ACL", "DELUSER", "nosuch", "default"), ("ACL", "DELUSER", "nosuch"),
        ("ACL", "SAVE"), ("ACL", "LOAD"), ("ACL", "SAVE", "x"), ("ACL", "LOAD", "x"),
        ("ACL", "GETUSER", "nosuch"),
    )
    for bits in ("1", "4", "5", "8", "100", "256", "4096"):
        mine, real = acl.both("ACL", "GENPASS", bits)
        assert len(mine) == len(real), bits
        assert re.fullmatch(rb"\$\d+\r\n[0-9a-f]*\r\n", mine)


@pytest.mark.parametrize("cat", ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
                                 "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
                                 "blocking", "dangerous", "connection", "transaction", "scripting", "READ"])
def test_acl_cat(acl, cat):
    acl.same("ACL", "CAT")
    acl.same_unordered("ACL", "CAT", cat)  # Redis lists them in its hash table's order


def test_deluser(acl):
    acl.run(("ACL", "SETUSER", "d1"), ("ACL", "SETUSER", "d2"),
            ("ACL", "DELUSER", "d1", "d2", "d3", "d1"), ("ACL", "USERS"))


# -- permission checks ---------------------------------------------------------------------------------------


def test_permissions(acl):
    acl.run(("ACL", "SETUSER", "u2", "on", "nopass", "~r*", "%R~ro*", "%W~wo*", "&news.*", "-@all", "+get",
             "+set", "+subscribe", "+publish", "+psubscribe", "+unsubscribe", "+multi", "+exec", "+acl|whoami",
             "+client|list", "+mget", "+lmove", "+copy", "+sort", "+select|0", "+object|encoding", "+eval",
             "+zunionstore", "+bitop", "+getex", "+set", "+msetnx"))
    acl.run(
        ("AUTH", "u2", "anything"), ("ACL", "WHOAMI"),
        ("GET", "foo"), ("GET", "rkey"), ("SET", "ro1", "x"), ("SET", "rkey", "v"), ("GET", "rkey"),
        ("SET", "wo1", "x"), ("GET", "wo1"), ("GETEX", "wo1"), ("GETEX", "ro1"),
        ("MGET", "r1", "ro2", "foo", "r3"), ("MGET", "r1", "ro2"),
        ("MSET", "r", "v"), ("MSETNX", "r1", "v", "x", "v"),
        ("LMOVE", "rl", "wo", "LEFT", "RIGHT"), ("LMOVE", "wo", "rl", "LEFT", "RIGHT"),
        ("COPY", "ro1", "wo2"), ("COPY", "wo1", "ro2"),
        ("ZUNIONSTORE", "r1", "2", "r2", "ro3"), ("ZUNIONSTORE", "r1", "2", "r2", "x"),
        ("ZUNIONSTORE", "r1", "bad", "r2"), ("ZUNIONSTORE", "r1", "5", "r2"),
        ("BITOP", "AND", "r1", "ro2", "r3"), ("BITOP", "AND", "ro1", "r2"),
        ("PUBLISH", "news.1", "m"), ("PUBLISH", "chanx", "m"),
        ("PSUBSCRIBE", "news.*"),
        ("SELECT", "0"), ("SELECT", "1"), ("OBJECT", "ENCODING", "rkey"), ("OBJECT", "FREQ", "rkey"),
        ("PING",), ("FLUSHALL",), ("CONFIG", "GET", "maxmemory"), ("ACL", "LIST"),
        ("DEBUG", "SLEEP", "0"), ("SET", "r5", "v", "GET"), ("SET", "wo5", "v", "GET"),
        ("BITFIELD", "ro1", "GET", "u8", "0"), ("BITFIELD", "ro1", "SET", "u8", "0", "1"),
        ("AUTH", "x"), ("HELLO", "2", "AUTH", "u2", "p"),
    )
    acl.run(("MULTI",), ("GET", "foo"), ("SET", "rkey", "1"), ("EXEC",))
    acl.run(("MULTI",), ("SET", "rkey", "1"), ("PING",), ("EXEC",))
    acl.run(("MULTI",), ("SET", "rkey", "1"), ("GET", "r2"), ("EXEC",))
    acl.run(("SUBSCRIBE", "news.1", "other"), ("SUBSCRIBE", "news.2"), ("UNSUBSCRIBE",))
    acl.run(("AUTH", "default", "x"), ("ACL", "WHOAMI"))


def test_permissions_with_selectors(acl):
    acl.run(("ACL", "SETUSER", "s1", "on", "nopass", "~a*", "+get", "(~b* +set)", "(%R~c* +@read)"),
            ("AUTH", "s1", "p"),
            ("GET", "a1"), ("GET", "b1"), ("SET", "b1", "v"), ("SET", "a1", "v"), ("GET", "c1"),
            ("MGET", "c1", "c2"), ("MGET", "a1", "c1"), ("SET", "c1", "v"), ("DEL", "a1"),
            ("AUTH", "default", "x"),
            ("ACL", "DRYRUN", "s1", "GET", "a1"), ("ACL", "DRYRUN", "s1", "GET", "x1"),
            ("ACL", "DRYRUN", "s1", "SET", "a1", "v"), ("ACL", "DRYRUN", "s1", "MGET", "c1", "a1"),
            ("ACL", "DRYRUN", "s1", "DEL", "a1"), ("ACL", "DRYRUN", "s1", "DEL"),
            ("ACL", "DRYRUN", "s1", "nosuchcmd", "a"), ("ACL", "DRYRUN", "nosuch", "get", "a"),
            ("ACL", "DRYRUN", "s1", "CONFIG"), ("ACL", "DRYRUN", "s1", "CONFIG", "nosub"),
            ("ACL", "DRYRUN", "s1", "CONFIG", "GET", "x"), ("ACL", "DRYRUN", "s1", "PUBLISH", "ch", "m"),
            ("ACL", "DRYRUN", "s1", "SET", "a1"), ("ACL", "DRYRUN", "s1", "AUTH", "x"))


def test_first_args(acl):
    acl.run(("ACL", "SETUSER", "fa", "on", "nopass", "allkeys", "-@all", "+select|0", "+select|2",
             "+client|getname", "+config|get"),
            ("AUTH", "fa", "p"),
            ("SELECT", "0"), ("SELECT", "1"), ("SELECT", "2"), ("CLIENT", "GETNAME"), ("CLIENT", "ID"),
            ("CONFIG", "GET", "x"), ("CONFIG", "SET", "x", "y"), ("AUTH", "default", "x"))


def test_acl_changes_between_multi_and_exec(acl):
    other = acl.client()
    acl.run(("ACL", "SETUSER", "m", "on", "nopass", "+@all", "~k*", "&c"))
    other.run(("AUTH", "m", "x"), ("MULTI",), ("SET", "k1", "v"), ("GET", "k2"), ("PUBLISH", "c", "x"),
              ("GET", "k3"))
    acl.run(("ACL", "SETUSER", "m", "-set", "resetkeys", "~k2", "resetchannels"))
    other.same("EXEC")
    other.run(("CONFIG", "GET", "maxmemory"))
    acl.run(("ACL", "SETUSER", "m", "-config|get"))
    other.run(("CONFIG", "GET", "maxmemory"), ("ACL", "WHOAMI"))
    acl.run(("ACL", "SETUSER", "m", "-@all", "+acl"))
    other.run(("ACL", "WHOAMI"), ("PING",))
    other.close()


def test_no_multi_and_noauth_come_before_acl(acl):
    acl.run(("ACL", "SETUSER", "nm", "on", "nopass", "-@all", "+multi", "+get"),
            ("AUTH", "nm", "x"), ("MULTI",), ("WATCH", "x"), ("PING",), ("GET", "x"), ("EXEC",),
            ("AUTH", "default", "x"))


# -- authentication ---------------------------------------------------------------------------------------------


def test_auth_and_hello(acl):
    acl.run(
        ("AUTH", "x"), ("AUTH", "default", "x"), ("AUTH", "a", "b", "c"),
        ("ACL", "SETUSER", "alice", "on", ">pw", "+@all", "~*"),
        ("AUTH", "alice", "wrong"), ("AUTH", "nosuch", "x"), ("AUTH", "alice", "pw"), ("ACL", "WHOAMI"),
        ("ACL", "SETUSER", "alice", "off"), ("ACL", "WHOAMI"), ("PING",),
        ("AUTH", "alice", "pw"), ("HELLO", "3", "AUTH", "alice", "pw"), ("HELLO", "3", "AUTH", "default"),
        ("HELLO", "3", "AUTH", "default", "pw"), ("ACL", "WHOAMI"), ("HELLO", "2"),
        ("ACL", "SETUSER", "alice", "on", "<pw", ">pw2"), ("AUTH", "alice", "pw"), ("AUTH", "alice", "pw2"),
        ("ACL", "SETUSER", "alice", "nopass"), ("AUTH", "alice", ""), ("ACL", "WHOAMI"),
        ("AUTH", "default", ""),
        ("ACL", "SETUSER", "alice", "on", "resetpass", ">pw"),
        ("HELLO", "2", "AUTH", "alice", "pw", "BADOPT"), ("ACL", "WHOAMI"),  # authenticated before the error
        ("HELLO", "2", "SETNAME", "n1", "AUTH", "alice", "bad"), ("CLIENT", "GETNAME"),
        ("HELLO", "2", "SETNAME", "bad name", "AUTH", "default", "x"), ("ACL", "WHOAMI"),
        ("HELLO", "+3"), ("HELLO", " 3"), ("HELLO", "3 "), ("HELLO", "2", "AUTH", "default", "x", "SETNAME"),
        ("CLIENT", "KILL", "USER", "nosuch"), ("CLIENT", "KILL", "USER", "alice", "SKIPME", "yes"),
        ("AUTH", "default", ""),
    )


def test_requirepass_and_default_user(acl):
    other = acl.client()
    acl.run(("CONFIG", "SET", "requirepass", "foo"), ("ACL", "LIST"), ("ACL", "GETUSER", "default"))
    fresh = acl.client()
    fresh.run(("PING",), ("GET", "x"), ("HELLO", "3"), ("AUTH", "nosuch"), ("AUTH", "foo"), ("PING",))
    fresh.close()
    other.run(("PING",))  # connected while nopass: still authenticated
    acl.run(("ACL", "SETUSER", "default", "nopass"), ("CONFIG", "GET", "requirepass"), ("AUTH", "x"))
    fresh = acl.client()
    fresh.run(("PING",))
    fresh.close()
    acl.run(("ACL", "SETUSER", "default", "resetpass"), ("ACL", "WHOAMI"), ("PING",))
    fresh = acl.client()
    fresh.run(("PING",), ("AUTH", "x"), ("HELLO", "2", "AUTH", "default", "x"), ("RESET",), ("PING",))
    fresh.close()
    acl.run(("ACL", "SETUSER", "default", "off", "nopass"))
    fresh = acl.client()
    fresh.run(("PING",), ("AUTH", "default", "x"), ("HELLO",))
    fresh.close()
    acl.run(("ACL", "SETUSER", "default", "on"), ("CONFIG", "SET", "requirepass", "bar"), ("ACL", "LIST"),
            ("CONFIG", "SET", "requirepass", ""), ("ACL", "LIST"))
    other.close()


def test_reset_returns_to_default_user(acl):
    acl.run(("ACL", "SETUSER", "rr", "on", "nopass", "+@all", "~*"), ("AUTH", "rr", "x"), ("ACL", "WHOAMI"),
            ("RESET",), ("ACL", "WHOAMI"))


def test_deluser_kills_clients(acl):
    acl.run(("ACL", "SETUSER", "zed", "on", ">p", "+@all", "~*"))
    victim = acl.client()
    victim.run(("AUTH", "zed", "p"))
    acl.run(("ACL", "DELUSER", "zed"))
    for c in (victim.a, victim.b):
        with pytest.raises(ConnectionError):
            c.call("PING")
    me = acl.client()
    me.run(("AUTH", "default", "x"), ("ACL", "SETUSER", "zed", "on", ">p", "+@all", "~*"), ("AUTH", "zed", "p"),
           ("ACL", "DELUSER", "zed"))
    for c in (me.a, me.b):
        with pytest.raises(ConnectionError):
            c.call("PING")


def test_pubsub_clients_killed_when_channels_revoked(acl):
    acl.run(("ACL", "SETUSER", "ps", "on", "nopass", "+@all", "~*", "resetchannels", "&news.*", "&x"))
    sub = acl.client()
    sub.run(("AUTH", "ps", "p"), ("SUBSCRIBE", "news.1"))
    keep = acl.client()
    keep.run(("AUTH", "ps", "p"), ("SUBSCRIBE", "x"))
    acl.run(("ACL", "SETUSER", "ps", "resetchannels", "&x", "&y"))
    for c in (sub.a, sub.b):
        with pytest.raises(ConnectionError):
            c.call("PING")
    keep.same("PING")
    keep.close()


# -- ACL LOG ------------------------------------------------------------------------------------------------------

_STABLE_FIELDS = ("name", "flags", "db", "sub", "psub", "ssub", "multi", "cmd", "user", "resp")


def _log_view(reply: bytes):
    entries = parse(reply)
    out = []
    for e in entries:
        d = dict(zip(e[::2], e[1::2])) if isinstance(e, list) else dict(e)
        info = dict(kv.split(b"=", 1) for kv in d.pop(b"client-info").split(b" "))
        age = float(d.pop(b"age-seconds"))
        assert 0 <= age < 60
        d[b"client"] = {k: info.get(k.encode()) for k in _STABLE_FIELDS}
        out.append(d)
    return out


def test_acl_log(acl):
    acl.run(("ACL", "LOG", "RESET"),
            ("ACL", "SETUSER", "u1", "on", ">p1", "~k*", "&ch*", "+@all", "-flushall", "-config|set"),
            ("AUTH", "u1", "wrong"), ("AUTH", "nosuch", "x"), ("AUTH", "u1", "p1"),
            ("FLUSHALL",), ("FLUSHALL",), ("CONFIG", "SET", "x", "y"), ("MSET", "k1", "v", "k2", "v", "x", "v"),
            ("LPUSH", "x", "a"), ("PUBLISH", "nope", "m"), ("PSUBSCRIBE", "c*"),
            ("CLIENT", "SETNAME", "logger"),
            ("MULTI",), ("GET", "zz"), ("DISCARD",),
            ("HELLO", "2", "AUTH", "u1", "bad"),
            ("AUTH", "default", "x"))
    for args in (("ACL", "LOG"), ("ACL", "LOG", "2"), ("ACL", "LOG", "100"), ("ACL", "LOG", "0")):
        mine, real = acl.both(*args)
        assert _log_view(mine) == _log_view(real), args
    acl.same("ACL", "LOG", "RESET")
    acl.same("ACL", "LOG")


def test_acl_log_max_len(acl):
    acl.run(("CONFIG", "SET", "acllog-max-len", "3"), ("ACL", "LOG", "RESET"))
    for i in range(6):
        acl.same("AUTH", "user%d" % i, "x")
    mine, real = acl.both("ACL", "LOG")
    assert _log_view(mine) == _log_view(real)
    assert len(parse(mine)) == 3
    acl.run(("CONFIG", "SET", "acllog-max-len", "128"))


# -- random rule sequences ------------------------------------------------------------------------------------------

_OPS = st.sampled_from([
    "on", "off", "nopass", "resetpass", "reset", ">pw", ">other", "<pw", "#" + "a" * 64, "!" + "a" * 64,
    "allkeys", "resetkeys", "~k*", "~x", "%R~r*", "%W~w*", "%RW~k*", "allchannels", "resetchannels", "&ch*",
    "&x", "allcommands", "nocommands", "+@all", "-@all", "+@read", "-@read", "+@write", "-@write", "+@admin",
    "-@dangerous", "+@keyspace", "-@keyspace", "+@string", "-@string", "+@hash", "+@list", "-@slow", "+@fast",
    "+@pubsub", "+@connection", "-@connection", "+@scripting", "+@transaction", "+@stream", "+@geo",
    "+get", "-get", "+set", "-set", "+config", "-config", "+config|get", "-config|set", "+client|list",
    "+acl", "-acl|setuser", "+select|0", "+select|5", "+debug|object", "-debug", "+flushall", "-flushall",
    "+xadd", "+eval", "-eval", "+cluster|info", "+cluster", "-cluster|setslot", "+memory|usage",
    "(+get ~a*)", "(-@all +set %W~w*)", "(+@read &c*)", "clearselectors", "sanitize-payload",
    "skip-sanitize-payload", "+nosuch", "bogus", "~*",
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_OPS, min_size=1, max_size=6), min_size=1, max_size=4))
def test_random_rule_sequences(pair, batches):
    d = AclDiffer(pair)
    try:
        for ops in batches:
            d.same("ACL", "SETUSER", "fuzz", *ops)
            d.same("ACL", "GETUSER", "fuzz")
        d.same("ACL", "LIST")
        for cmd in (("GET", "k1"), ("SET", "w1", "v"), ("SET", "k1", "v"), ("CONFIG", "GET", "x"),
                    ("SELECT", "0"), ("SELECT", "5"), ("PUBLISH", "ch1", "m"), ("CLIENT", "LIST"),
                    ("DEBUG", "OBJECT", "k1"), ("FLUSHALL",), ("PING",), ("CLUSTER", "INFO")):
            d.same("ACL", "DRYRUN", "fuzz", *cmd)
    finally:
        d.same("ACL", "DELUSER", "fuzz")
        d.close()


# -- ACL LOAD / SAVE with an aclfile --------------------------------------------------------------------------------


@pytest.fixture
def aclfile_pair():
    dirs = [tempfile.mkdtemp(prefix="pyredis-acl-"), tempfile.mkdtemp(prefix="pyredis-acl-")]
    for d in dirs:
        with open(os.path.join(d, "users.acl"), "w") as f:
            f.write("user alice on >pw ~* +@all\nuser default on nopass ~* &* +@all\n")
    a = start_server("ours", args=["--aclfile", os.path.join(dirs[0], "users.acl")], workdir=dirs[0])
    b = start_server("redis", args=["--aclfile", os.path.join(dirs[1], "users.acl")], workdir=dirs[1])
    yield a, b
    for s in (a, b):
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)


def _write_both(pair, text: str):
    for s in pair:
        with open(os.path.join(s.workdir, "users.acl"), "w") as f:
            f.write(text)


def _read_both(pair):
    return [open(os.path.join(s.workdir, "users.acl"), "rb").read() for s in pair]


def test_acl_file_load_save(aclfile_pair):
    d = AclDiffer(aclfile_pair)
    d.run(("ACL", "LIST"), ("ACL", "SETUSER", "bob", "on", ">x", "~k", "+@read", "-get"), ("ACL", "SAVE"))
    mine, real = _read_both(aclfile_pair)
    assert norm(mine) == norm(real)
    # errors in the file: nothing changes, the message lists every problem with the file's path
    bad = ("user alice on >pw ~* +@all\n# comment\n\nuser bob nonsense +nosuch\nfoo bar\nuser bob on\n"
           "user \"a b\" on\nuser c (+get\nuser d +@nosuch #abc\nuser e  on   ~x\n")
    _write_both(aclfile_pair, bad)
    mine, real = d.both("ACL", "LOAD")
    assert mine.replace(aclfile_pair[0].workdir.encode(), b"DIR") == \
        real.replace(aclfile_pair[1].workdir.encode(), b"DIR")
    d.same("ACL", "LIST")
    # a good file replaces every user; clients of the old users (not default) are disconnected
    alice, plain = d.client(), d.client()
    alice.run(("AUTH", "alice", "pw"), ("ACL", "WHOAMI"))
    _write_both(aclfile_pair, "user alice on >pw2 ~* +@all\r\nuser carol on nopass +get ~c*  \n\n")
    d.run(("ACL", "LOAD"), ("ACL", "LIST"), ("ACL", "WHOAMI"))
    for c in (alice.a, alice.b):
        with pytest.raises(ConnectionError):
            c.call("PING")
    plain.run(("PING",), ("AUTH", "carol", "x"), ("GET", "c1"), ("GET", "x"))
    # no default user in the file: a fresh one (nopass, everything)
    _write_both(aclfile_pair, "user alice on >pw ~* +@all\n")
    d.run(("ACL", "LOAD"), ("ACL", "LIST"))
    for s in aclfile_pair:
        os.unlink(os.path.join(s.workdir, "users.acl"))
    mine, real = d.both("ACL", "LOAD")
    assert mine.replace(aclfile_pair[0].workdir.encode(), b"DIR") == \
        real.replace(aclfile_pair[1].workdir.encode(), b"DIR")
    d.same("ACL", "SAVE")
    mine, real = _read_both(aclfile_pair)
    assert norm(mine) == norm(real)
    d.close()


# -- users in the configuration --------------------------------------------------------------------------------------


def _startup(kind: str, conf: str, extra=()):
    """Start a server on a config file; (exit code or None if it runs, its output)."""
    import subprocess
    import sys

    from helpers import ROOT, free_port

    workdir = tempfile.mkdtemp(prefix="pyredis-aclconf-")
    path = os.path.join(workdir, "test.conf")
    with open(path, "w") as f:
        f.write(conf.replace("PORT", str(free_port())))
    exe = [sys.executable, "-m", "pyredis_cluster.cli.server_main"] if kind == "ours" else [shutil.which("redis-server")]
    env = dict(os.environ, PYTHONPATH=ROOT)
    p = subprocess.Popen(exe + [path] + list(extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=workdir,
                         env=env)
    try:
        out, _ = p.communicate(timeout=30)  # (each case must make the server exit)
        return p.returncode, out.decode("latin-1")
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return None, ""
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize("conf,expect", [
    ("port PORT\nuser bob on nonsense\n", "Error in user declaration 'bob': Syntax error"),
    ("port PORT\nuser bob on >x\nuser bob off\n",
     "Error in user declaration 'bob': Duplicate user found. A user can only be defined once in config files"),
    ("port PORT\nuser bob on >x ~* ~x\n", "Error in user declaration '>x': Adding a pattern after the * pattern"),
    ("port PORT\nuser bob on (+get\n", "Error in user declaration 'bob': Unknown command or category name in ACL"),
    ("port PORT\nuser bob on >x +nosuch\n",
     "Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL"),
    ("port PORT\nuser \"b b\" on\n", "Spaces not allowed in ACL usernames"),
    ("port PORT\nuser bob on\naclfile /nonexistent/users.acl\n",
     "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid"),
    ("port PORT\naclfile /nonexistent/users.acl\n",
     "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/nonexistent/users.acl': "
     "No such file or directory"),
])
def test_config_user_errors(conf, expect):
    for kind in ("ours", "redis"):
        code, out = _startup(kind, conf)
        assert code == 1 and expect in out, (kind, code, out)


def test_config_users_and_requirepass():
    """``user default`` lines win over requirepass whatever their order (the user is reset first)."""
    for conf in ("port PORT\nrequirepass foo\nuser default on nopass ~* &* +@all\nuser bob on >x\n",
                 "port PORT\nuser default on nopass ~* &* +@all\nrequirepass foo\n"):
        outs = []
        for kind in ("ours", "redis"):
            from helpers import free_port

            port = free_port()
            workdir = tempfile.mkdtemp(prefix="pyredis-aclconf-")
            path = os.path.join(workdir, "t.conf")
            with open(path, "w") as f:
                f.write(conf.replace("PORT", str(port)))
            srv = start_server(kind, port=port, config_file=path, workdir=workdir)
            try:
                with RawClient(port) as c:
                    outs.append(norm(c.call("ACL", "LIST")))
            finally:
                srv.stop()
                shutil.rmtree(workdir, ignore_errors=True)
        assert outs[0] == outs[1]


def test_config_rewrite_users():
    outs = []
    for kind in ("ours", "redis"):
        from helpers import free_port

        port = free_port()
        workdir = tempfile.mkdtemp(prefix="pyredis-aclconf-")
        path = os.path.join(workdir, "t.conf")
        with open(path, "w") as f:
            f.write("port %d\nuser bob on >x ~k* +@read\n" % port)
        srv = start_server(kind, port=port, config_file=path, workdir=workdir)
        try:
            with RawClient(port) as c:
                assert c.call("ACL", "SETUSER", "carol", "on", "nopass", "+get", "~c") == b"+OK\r\n"
                assert c.call("CONFIG", "SET", "requirepass", "secret") == b"+OK\r\n"
                c.call("AUTH", "secret")
                assert c.call("CONFIG", "REWRITE") == b"+OK\r\n"
            text = open(path).read()
            outs.append(sorted(line for line in text.splitlines() if line.startswith(("user ", "requirepass"))))
        finally:
            srv.stop()
            shutil.rmtree(workdir, ignore_errors=True)
    assert outs[0] == outs[1]


def test_denials_in_commandstats_and_errorstats(acl):
    """NOPERM and WRONGPASS count as Redis counts them: errorstats, rejected / failed calls."""
    acl.run(("CONFIG", "RESETSTAT"),
            ("ACL", "SETUSER", "st", "on", "nopass", "~a*", "+get", "+set", "+multi", "+exec"),
            ("AUTH", "st", "x"), ("GET", "b"), ("SET", "a", "1"), ("PING",), ("HSET", "a", "b", "c"),
            ("MULTI",), ("GET", "zz"), ("EXEC",), ("AUTH", "nosuch", "x"), ("AUTH", "default", "x"))

    def stats(reply: bytes):
        text = parse(reply).decode()
        out = {}
        for line in text.split("\r\n"):
            if line.startswith(("cmdstat_", "errorstat_")):
                k, v = line.split(":", 1)
                out[k] = {kv.split("=")[0]: kv.split("=")[1] for kv in v.split(",")
                          if not kv.startswith(("usec", "usec_per_call"))}
        return out
    mine, real = acl.both("INFO", "commandstats")
    m, r = stats(mine), stats(real)
    m.pop("cmdstat_info", None), r.pop("cmdstat_info", None)
    assert m == r
    mine, real = acl.both("INFO", "errorstats")
    assert stats(mine) == stats(real)
