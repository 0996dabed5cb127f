"""Keyspace notifications (notify-keyspace-events) against redis-server 7.0: a subscriber to
``__key*__:*`` on each server, the same commands of every data type run on both, and the notification
messages that each command produced compared byte for byte (event names, order, which key)."""

from __future__ import annotations

import time

import pytest
from helpers import RawClient


class Watcher:
    """A control connection and a subscriber; :meth:`run` returns (reply, [messages it caused])."""

    def __init__(self, port: int, classes: str):
        self.ctl = RawClient(port, timeout=5)
        self.sub = RawClient(port, timeout=5)
        self.syncer = RawClient(port, timeout=5)  # PUBLISHes the markers (ctl may be inside MULTI)
        assert self.ctl.call("CONFIG", "SET", "notify-keyspace-events", classes) == b"+OK\r\n"
        self.ctl.call("FLUSHALL")
        self.ctl.call("SELECT", "0")
        assert self.sub.call("PSUBSCRIBE", "__key*__:*").startswith(b"*3")
        assert self.sub.call("SUBSCRIBE", "sync-notify").startswith(b"*3")
        self.n = 0

    def run(self, *args):
        reply = self.ctl.call(*args)
        self.n += 1
        token = b"%d" % self.n
        self.syncer.call("PUBLISH", "sync-notify", token)
        msgs = []
        while True:
            m = self.sub.read_reply()
            if m.startswith(b"*3\r\n$7\r\nmessage\r\n$11\r\nsync-notify\r\n"):
                assert m.endswith(b"$%d\r\n%s\r\n" % (len(token), token)), m
                return reply, msgs
            msgs.append(m)

    def close(self):
        try:
            self.ctl.call("CONFIG", "SET", "notify-keyspace-events", "")
            self.ctl.call("SELECT", "0")
            self.ctl.call("FLUSHALL")
        finally:
            self.ctl.close()
            self.sub.close()
            self.syncer.close()


@pytest.fixture
def pair(ours, theirs):
    made = []

    def make(classes="KEA"):
        w = (Watcher(ours.port, classes), Watcher(theirs.port, classes))
        made.append(w)
        return w

    yield make
    for a, b in made:
        a.close()
        b.close()


def check(watchers, *commands, sleep_before=None):
    a, b = watchers
    for cmd in commands:
        if cmd == "sleep":
            time.sleep(0.06)
            continue
        if cmd[0] == "~":  # a random reply (SPOP ...): compare the notifications only
            cmd = cmd[1:]
            mine, real = a.run(*cmd)[1], b.run(*cmd)[1]
        else:
            mine, real = a.run(*cmd), b.run(*cmd)
        assert mine == real, "differs for %r:\n  ours:  %r\n  redis: %r" % (cmd, mine, real)


SLEEP = ("sleep",)


def test_generic_events(pair):
    check(pair(),
          ("SET", "a", "1"), ("SET", "b", "2"), ("DEL", "a", "b", "nokey"), ("UNLINK", "nokey"),
          ("SET", "k", "v"), ("EXPIRE", "k", "100"), ("PEXPIRE", "k", "100000"), ("EXPIREAT", "k", "9999999999"),
          ("PERSIST", "k"), ("PERSIST", "k"), ("EXPIRE", "k", "100", "NX"), ("EXPIRE", "k", "200", "NX"),
          ("EXPIRE", "k", "-1"), ("EXISTS", "k"),
          ("SET", "k", "v"), ("PEXPIREAT", "k", "1"), ("EXPIRE", "nokey", "10"),
          ("SET", "src", "v"), ("RENAME", "src", "dst"), ("SET", "x", "1"), ("RENAME", "dst", "x"),
          ("RENAMENX", "x", "y"), ("SET", "z", "1"), ("RENAMENX", "y", "z"), ("RENAME", "z", "z"),
          ("MOVE", "y", "1"), ("SELECT", "1"), ("MOVE", "y", "0"), ("SELECT", "0"),
          ("COPY", "z", "z2"), ("COPY", "z", "z2"), ("COPY", "z", "z2", "REPLACE"), ("COPY", "z", "z3", "DB", "2"),
          ("TOUCH", "z"), ("TYPE", "z"), ("FLUSHDB",),
          ("SET", "s", "1"), ("SWAPDB", "0", "1"), ("SWAPDB", "0", "1"),
          ("SET", "d", "v"),
          )


def test_restore_and_sort(pair):
    w = pair()
    for cmd in (("DUMP", "nokey"), ("SORT", "nokey")):
        if w[0].ctl.call(*cmd).startswith(b"-ERR unknown command"):
            pytest.skip("%s is not implemented here yet" % cmd[0])
    dumps = [x.ctl.call("DUMP", "nokey") for x in w]
    assert dumps[0] == dumps[1]
    check(w, ("RPUSH", "l", "3", "1", "2"), ("SORT", "l", "STORE", "sorted"), ("SORT", "nokey", "STORE", "sorted"),
          ("SORT", "l"), ("SORT_RO", "l"))
    d = [x.ctl.call("DUMP", "l") for x in w]
    assert d[0] == d[1]
    payload = d[0].split(b"\r\n", 1)[1][:-2]
    check(w, ("RESTORE", "l2", "0", payload), ("RESTORE", "l2", "0", payload, "REPLACE"),
          ("RESTORE", "l3", "100000", payload))


def test_string_events(pair):
    check(pair(),
          ("SET", "s", "v"), ("SET", "s", "v", "EX", "100"), ("SET", "s", "v", "PX", "100", "GET"),
          ("SET", "s", "v", "NX"), ("SET", "s", "v", "XX", "KEEPTTL"), ("SET", "t", "v", "XX"),
          ("SETNX", "s", "v"), ("SETNX", "n1", "v"), ("SETEX", "s", "100", "w"), ("PSETEX", "s", "100000", "w"),
          ("GETSET", "s", "x"), ("MSET", "m1", "a", "m2", "b"), ("MSETNX", "m1", "a", "m3", "c"),
          ("MSETNX", "m4", "a", "m5", "c"),
          ("GETEX", "s", "EX", "100"), ("GETEX", "s", "PERSIST"), ("GETEX", "s", "PERSIST"), ("GETEX", "s"),
          ("GETEX", "s", "PXAT", "1"), ("GETEX", "nokey", "EX", "10"),
          ("SET", "s", "v"), ("GETDEL", "s"), ("GETDEL", "s"),
          ("APPEND", "a", "x"), ("APPEND", "a", "yz"), ("SETRANGE", "r", "0", ""), ("SETRANGE", "r", "2", "ab"),
          ("SETRANGE", "r", "0", ""), ("SETRANGE", "r", "0", "Z"),
          ("INCR", "i"), ("INCRBY", "i", "5"), ("DECR", "i"), ("DECRBY", "i", "2"), ("INCRBYFLOAT", "i", "1.5"),
          ("INCR", "a"), ("GET", "i"), ("STRLEN", "i"), ("GETRANGE", "i", "0", "1"),
          ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "100", "0"),
          ("BITOP", "AND", "bo", "b", "nokey"), ("BITOP", "OR", "bo", "nokey"), ("BITOP", "OR", "bo", "nokey"),
          ("BITFIELD", "bf", "SET", "u8", "0", "5"), ("BITFIELD", "bf", "GET", "u8", "0"),
          ("BITFIELD", "bf", "SET", "u8", "0", "5"), ("BITFIELD", "bf", "INCRBY", "u8", "0", "0"),
          ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"),
          ("BITFIELD_RO", "bf", "GET", "u8", "0"), ("LCS", "a", "r"),
          )


def test_list_events(pair):
    check(pair(),
          ("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c"), ("LPUSHX", "l", "d"), ("RPUSHX", "l", "e"),
          ("LPUSHX", "nol", "d"), ("RPUSHX", "nol", "d"),
          ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "2"), ("LPOP", "nol"), ("RPOP", "l", "5"),
          ("RPUSH", "l", "a", "b", "c", "b"), ("LINSERT", "l", "BEFORE", "b", "x"), ("LINSERT", "l", "AFTER", "zz", "y"),
          ("LSET", "l", "0", "A"), ("LREM", "l", "0", "b"), ("LREM", "l", "0", "nothing"), ("LTRIM", "l", "0", "1"),
          ("LTRIM", "l", "0", "-1"), ("LTRIM", "l", "5", "10"),
          ("RPUSH", "l", "a", "b"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("LMOVE", "l", "l2", "RIGHT", "LEFT"),
          ("RPOPLPUSH", "l2", "l2"), ("LMOVE", "nol", "l2", "LEFT", "LEFT"),
          ("LMPOP", "2", "nol", "l2", "LEFT", "COUNT", "1"), ("LMPOP", "1", "l2", "RIGHT", "COUNT", "5"),
          ("RPUSH", "l", "a"), ("BLPOP", "l", "0"), ("RPUSH", "l", "a", "b"), ("BRPOP", "l", "0"),
          ("BLMOVE", "l", "l3", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "l3", "l", "0"),
          ("BLMPOP", "0", "1", "l", "LEFT"), ("LLEN", "l"), ("LRANGE", "l", "0", "-1"),
          ("RPUSH", "l", "a", "a"), ("LREM", "l", "5", "a"),
          )


def test_hash_events(pair):
    check(pair(),
          ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HMSET", "h", "c", "3"), ("HSETNX", "h", "a", "x"),
          ("HSETNX", "h", "d", "4"), ("HINCRBY", "h", "n", "5"), ("HINCRBYFLOAT", "h", "f", "1.5"),
          ("HDEL", "h", "a", "zz"), ("HDEL", "h", "zz"), ("HGET", "h", "b"), ("HGETALL", "nokey"),
          ("HDEL", "h", "b", "c", "d", "n", "f"), ("EXISTS", "h"),
          )


def test_set_events(pair):
    check(pair(),
          ("SADD", "s", "a", "b", "c"), ("SADD", "s", "a"), ("SREM", "s", "a", "zz"), ("SREM", "s", "zz"),
          ("SMOVE", "s", "s2", "b"), ("SMOVE", "s", "s2", "zz"), ("SMOVE", "s", "s2", "c"), ("SMOVE", "s2", "s2", "b"),
          ("SADD", "s", "x", "y", "z"), ("~", "SPOP", "s"), ("~", "SPOP", "s", "1"), ("SPOP", "s", "0"),
          ("~", "SPOP", "s", "10"), ("SADD", "s", "x"), ("SPOP", "s"), ("SADD", "s", "x"), ("SPOP", "s", "1"),
          ("SADD", "a", "1", "2", "3"), ("SADD", "b", "2", "3", "4"),
          ("SINTERSTORE", "d", "a", "b"), ("SUNIONSTORE", "d", "a", "b"), ("SDIFFSTORE", "d", "a", "b"),
          ("SINTERSTORE", "d", "a", "nokey"), ("SINTERSTORE", "d", "a", "nokey"), ("SDIFFSTORE", "d2", "nokey"),
          ("~", "SRANDMEMBER", "a"), ("SMEMBERS", "nokey"), ("SINTERCARD", "2", "a", "b"),
          )


def test_zset_events(pair):
    check(pair(),
          ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "5", "a"),
          ("ZADD", "z", "NX", "9", "a"), ("ZADD", "z", "XX", "CH", "7", "a"), ("ZADD", "z", "INCR", "1", "a"),
          ("ZINCRBY", "z", "2", "b"), ("ZINCRBY", "z", "0", "b"), ("ZREM", "z", "a", "zz"), ("ZREM", "z", "zz"),
          ("ZADD", "z", "4", "d", "5", "e", "6", "f"),
          ("ZREMRANGEBYSCORE", "z", "0", "3"), ("ZREMRANGEBYSCORE", "z", "100", "200"),
          ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZREMRANGEBYLEX", "z", "-", "+"),
          ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "1"),
          ("ZPOPMIN", "z", "0"), ("ZPOPMAX", "z", "10"), ("ZPOPMIN", "nokey"),
          ("ZADD", "z", "1", "a", "2", "b"), ("ZMPOP", "1", "z", "MIN"), ("ZMPOP", "1", "z", "MAX", "COUNT", "3"),
          ("ZADD", "z", "1", "a"), ("BZPOPMIN", "z", "0"), ("ZADD", "z", "1", "a", "2", "b"), ("BZPOPMAX", "z", "0"),
          ("BZMPOP", "0", "1", "z", "MIN"),
          ("ZADD", "x", "1", "a", "2", "b"), ("ZADD", "y", "2", "b", "3", "c"),
          ("ZUNIONSTORE", "d", "2", "x", "y"), ("ZINTERSTORE", "d", "2", "x", "y"), ("ZDIFFSTORE", "d", "2", "x", "y"),
          ("ZINTERSTORE", "d", "2", "x", "nokey"), ("ZINTERSTORE", "d", "2", "x", "nokey"),
          ("ZRANGESTORE", "d", "x", "0", "-1"), ("ZRANGESTORE", "d", "x", "5", "10"), ("ZRANGESTORE", "d", "x", "5", "10"),
          ("ZSCORE", "x", "a"), ("ZRANGE", "x", "0", "-1"), ("ZINTERCARD", "2", "x", "y"),
          )


def test_expired_events(pair):
    check(pair(), ("SET", "e1", "v", "PX", "20"), ("HSET", "e2", "f", "v"), ("PEXPIRE", "e2", "20"), SLEEP,
          ("GET", "e1"), ("HGET", "e2", "f"), ("GET", "e1"), ("SET", "e3", "v", "PX", "20"), SLEEP,
          ("EXISTS", "e3"), ("SET", "e4", "v", "PX", "20"), SLEEP, ("SET", "e4", "new"))


@pytest.mark.parametrize("classes", ["K$", "El", "Kh", "Esz", "Kg", "Ex", "KE", "A", "KEg$lshzxe"])
def test_class_filters(pair, classes):
    check(pair(classes),
          ("SET", "a", "1"), ("EXPIRE", "a", "100"), ("LPUSH", "l", "x"), ("HSET", "h", "f", "v"), ("SADD", "s", "m"),
          ("ZADD", "z", "1", "m"), ("DEL", "a", "l", "h", "s", "z"), ("SET", "e", "v", "PX", "10"), SLEEP,
          ("GET", "e"))


def test_other_db_and_binary_keys(pair):
    check(pair(), ("SELECT", "3"), ("SET", b"bin\x00key\r\n", "v"), ("LPUSH", "l", "x"), ("DEL", b"bin\x00key\r\n"),
          ("FLUSHDB",), ("SELECT", "0"))


def test_transaction_events(pair):
    check(pair(), ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("LPUSH", "a", "x"), ("DEL", "a"), ("EXEC",))


@pytest.mark.parametrize("classes", ["KEnm", "Em", "Kn"])
def test_new_and_keymiss_events(pair, classes):
    """'n' (a key is created: dbAdd) and 'm' (a read found no key) are not part of 'A'."""
    check(pair(classes),
          ("GET", "nokey"), ("MGET", "a", "b"), ("EXISTS", "nokey"), ("TYPE", "nokey"), ("TTL", "nokey"),
          ("STRLEN", "nokey"), ("HGET", "nokey", "f"), ("LRANGE", "nokey", "0", "-1"), ("SMEMBERS", "nokey"),
          ("ZRANGE", "nokey", "0", "-1"), ("TOUCH", "nokey"), ("GETDEL", "nokey"), ("GETEX", "nokey"),
          ("SET", "s", "1"), ("SET", "s", "2"), ("GET", "s"), ("INCR", "i"), ("APPEND", "a", "x"),
          ("HSET", "h", "f", "v"), ("LPUSH", "l", "x"), ("SADD", "st", "m"), ("ZADD", "z", "1", "m"),
          ("RENAME", "s", "s2"), ("COPY", "s2", "s3"), ("MOVE", "s3", "1"), ("SETNX", "s2", "x"),
          ("MSET", "m1", "1", "m2", "2"), ("LMOVE", "l", "l2", "LEFT", "LEFT"), ("SMOVE", "st", "st2", "m"),
          ("SINTERSTORE", "d", "st2"), ("ZUNIONSTORE", "zd", "1", "z"), ("BITOP", "OR", "bd", "a"),
          ("SET", "e", "v", "PX", "10"), SLEEP, ("GET", "e"), ("LLEN", "nokey"), ("SCARD", "nokey"),
          ("ZSCORE", "nokey", "m"), ("HGETALL", "nokey"), ("OBJECT", "ENCODING", "nokey"),
          ("EXPIRE", "nokey", "10"), ("GETRANGE", "nokey", "0", "1"), ("BITCOUNT", "nokey"))


def test_events_of_clients_served_after_blocking(ours, theirs):
    """A push that serves a blocked BLPOP / BLMOVE / BZPOPMIN: the push's event, then the pop's (and the
    move's push, the del of the emptied key), all before the pusher's reply returns."""
    from scenario import both, settle

    def steps(s):
        s.quiet("ctl", "CONFIG", "SET", "notify-keyspace-events", "KEA")
        try:
            s.send("sub", "PSUBSCRIBE", "__keyevent@0__:*")
            s.read("sub")
            s.send("b1", "BLPOP", "bl", "0")
            settle()
            s.send("b2", "BLMOVE", "bm", "dst", "RIGHT", "LEFT", "0")
            settle()
            s.send("b3", "BZPOPMIN", "bz", "0")
            settle()
            s.call("ctl", "RPUSH", "bl", "a", "b")
            s.read("b1")
            s.call("ctl", "LPUSH", "bm", "x")
            s.read("b2")
            s.call("ctl", "ZADD", "bz", "1", "m")
            s.read("b3")
            s.call("ctl", "PUBLISH", "__keyevent@0__:end", "end")
            while True:
                m = s.read("sub")[0]
                if m.endswith(b"$3\r\nend\r\n"):
                    break
        finally:
            s.quiet("ctl", "CONFIG", "SET", "notify-keyspace-events", "")
    both(ours, theirs, steps)
