"""Set commands, byte for byte against redis-server 7.0: replies, every error, RESP3 shapes and the
intset/hashtable encoding (an intset lists its members in numeric order; a hashtable's order is open,
so those replies are compared as multisets).

Random replies (SPOP, SRANDMEMBER) cannot be compared byte for byte: both servers' replies are parsed
and checked for the same shape and membership."""

from __future__ import annotations

import pytest

from helpers import RawClient
from resp_parse import Err, RSet, parse

DEFAULTS = {"set-max-intset-entries": "512"}


@pytest.fixture
def limits(diff):
    def set_limits(**kw):
        for name, value in kw.items():
            diff.same("CONFIG", "SET", name.replace("_", "-"), str(value))

    yield set_limits
    for name, value in DEFAULTS.items():
        diff.both("CONFIG", "SET", name, value)


def both_parsed(diff, *args):
    mine, real = diff.both(*args)
    return parse(mine), parse(real)


def members(n, fmt="%d", start=0):
    return [fmt % i for i in range(start, start + n)]


# -- basic commands --------------------------------------------------------------------------------------


def test_sadd_srem_scard_sismember(diff):
    diff.run(
        ("SADD", "s", "3", "1", "2", "-5", "10", "1"), ("SADD", "s", "1"), ("SADD", "s", "1", "7"),
        ("SCARD", "s"), ("SCARD", "nokey"), ("SMEMBERS", "s"), ("OBJECT", "ENCODING", "s"),
        ("SISMEMBER", "s", "1"), ("SISMEMBER", "s", "01"), ("SISMEMBER", "s", "x"), ("SISMEMBER", "nokey", "1"),
        ("SMISMEMBER", "s", "1", "9", "3", "1"), ("SMISMEMBER", "nokey", "1", "2"),
        ("SREM", "s", "1", "1", "99", "x"), ("SREM", "nokey", "1"), ("SMEMBERS", "s"),
        ("SREM", "s", "2", "3", "-5", "10", "7"), ("EXISTS", "s"), ("SMEMBERS", "s"), ("SCARD", "s"),
        ("TYPE", "s"),
    )


def test_intset_order_is_numeric(diff):
    diff.run(
        ("SADD", "s", "100", "-100", "9223372036854775807", "-9223372036854775808", "0", "42", "-1"),
        ("SMEMBERS", "s"), ("SSCAN", "s", "0"), ("SINTER", "s"), ("SUNION", "s"), ("SDIFF", "s"),
        ("SRANDMEMBER", "s", "100"), ("OBJECT", "ENCODING", "s"),
    )


def test_string_members(diff):
    diff.run(("SADD", "s", "a", "b", "", "\x00\xff", "a"), ("SCARD", "s"), ("SISMEMBER", "s", ""),
             ("OBJECT", "ENCODING", "s"), ("SREM", "s", ""), ("SCARD", "s"))
    diff.same_unordered("SMEMBERS", "s")


def test_ttl_and_empty_key(diff):
    diff.run(
        ("SADD", "s", "a", "b"), ("EXPIRE", "s", "1000"), ("SADD", "s", "c"), ("SREM", "s", "a"), ("TTL", "s"),
        ("SREM", "s", "b", "c"), ("EXISTS", "s"), ("SADD", "s", "a"), ("TTL", "s"),
    )


# -- errors ------------------------------------------------------------------------------------------------


def test_arity_errors(diff):
    diff.run(
        ("SADD", "s"), ("SREM", "s"), ("SCARD",), ("SISMEMBER", "s"), ("SMISMEMBER", "s"), ("SMEMBERS",),
        ("SMOVE", "a", "b"), ("SPOP",), ("SRANDMEMBER",), ("SINTER",), ("SINTERSTORE", "d"),
        ("SINTERCARD", "1"), ("SUNION",), ("SUNIONSTORE", "d"), ("SDIFF",), ("SDIFFSTORE", "d"), ("SSCAN", "s"),
        ("SPOP", "s", "1", "2"), ("SRANDMEMBER", "s", "1", "2"), ("SPOP", "nokey", "x", "y"),
    )


def test_wrongtype(diff):
    diff.run(("SET", "str", "x"), ("SADD", "s", "1"))
    diff.run(
        ("SADD", "str", "a"), ("SREM", "str", "a"), ("SCARD", "str"), ("SISMEMBER", "str", "a"),
        ("SMISMEMBER", "str", "a"), ("SMEMBERS", "str"), ("SPOP", "str"), ("SPOP", "str", "2"),
        ("SPOP", "str", "0"), ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", "2"), ("SRANDMEMBER", "str", "0"),
        ("SSCAN", "str", "0"), ("SINTER", "s", "str"), ("SINTER", "str", "nokey"), ("SINTER", "nokey", "str"),
        ("SINTERCARD", "2", "nokey", "str"), ("SINTERSTORE", "d", "nokey", "str"), ("SUNION", "s", "str"),
        ("SUNIONSTORE", "d", "nokey", "str"), ("SDIFF", "nokey", "str"), ("SDIFF", "s", "str"),
        ("SDIFFSTORE", "d", "s", "str"), ("EXISTS", "d"),
    )
    # numbers are checked before the key's type
    diff.run(("SPOP", "str", "-1"), ("SPOP", "str", "x"), ("SRANDMEMBER", "str", "x"), ("SSCAN", "str", "x"))
    diff.same("HSET", "h", "f", "v")
    diff.run(("SADD", "h", "1"), ("SMEMBERS", "h"), ("SUNION", "h"))


# -- SMOVE ---------------------------------------------------------------------------------------------------


def test_smove(diff):
    diff.run(
        ("SADD", "src", "1", "2", "a"), ("SADD", "dst", "3"), ("SET", "str", "x"),
        ("SMOVE", "nokey", "str", "1"),  # a missing source: 0 before any type check of the destination
        ("SMOVE", "src", "str", "1"), ("SMOVE", "str", "src", "1"), ("SMOVE", "src", "dst", "zz"),
        ("SMOVE", "src", "src", "1"), ("SMOVE", "src", "src", "zz"),
        ("SMOVE", "src", "dst", "1"), ("SMEMBERS", "dst"), ("OBJECT", "ENCODING", "dst"),
        ("SMOVE", "src", "dst", "a"), ("OBJECT", "ENCODING", "dst"), ("SMOVE", "src", "new", "2"),
        ("EXISTS", "src"), ("SMEMBERS", "new"), ("OBJECT", "ENCODING", "new"),
        ("SADD", "src2", "x"), ("SMOVE", "src2", "new2", "x"), ("OBJECT", "ENCODING", "new2"),
        ("SADD", "src3", "3"), ("SMOVE", "src3", "dst", "3"), ("EXISTS", "src3"),
    )
    diff.same_unordered("SMEMBERS", "dst")


# -- SINTER / SUNION / SDIFF -----------------------------------------------------------------------------------


@pytest.fixture
def sets3(diff):
    diff.run(
        ("SADD", "i1", *members(12, start=1)),  # 1..12
        ("SADD", "i2", "3", "1", "2", "-5", "10"),
        ("SADD", "i3", "2", "4", "6", "8", "10", "12", "14"),
        ("SADD", "t1", "a", "b", "c", "1", "2"),
        ("SADD", "t2", "b", "c", "d", "2"),
        ("SET", "str", "x"),
    )


ALGEBRA = [
    ("i1",), ("i1", "i2"), ("i2", "i1"), ("i1", "i2", "i3"), ("i3", "i2", "i1"), ("i1", "nokey"),
    ("nokey", "i1"), ("nokey",), ("i1", "i1"), ("i2", "i2", "i1"), ("i1", "t1"), ("t1", "i1"),
    ("t1", "t2"), ("t2", "t1", "i2"), ("t1", "t1"),
]


@pytest.mark.parametrize("keys", ALGEBRA, ids="-".join)
@pytest.mark.parametrize("op", ["SINTER", "SUNION", "SDIFF"])
def test_set_algebra(diff, sets3, op, keys):
    diff.same_unordered(op, *keys)
    mine = diff.same(op + "STORE", "dst", *keys)
    diff.same("EXISTS", "dst")
    if mine != b":0\r\n":
        diff.same("OBJECT", "ENCODING", "dst")
        diff.same_unordered("SMEMBERS", "dst")
    if op == "SINTER":
        diff.same("SINTERCARD", str(len(keys)), *keys)
        diff.same("SINTERCARD", str(len(keys)), *keys, "LIMIT", "2")


def test_algebra_orders_that_redis_fixes(diff, sets3):
    # the result is an intset (numeric order) or iterates the smallest set, an intset
    diff.same("SADD", "i4", "2", "1", "-1")
    diff.run(
        ("SINTER", "i1", "i2"), ("SINTER", "i3", "i1"), ("SINTER", "i1", "i2", "i3"), ("SINTER", "t1", "i4"),
        ("SUNION", "i1", "i2", "i3"), ("SUNION", "i2", "nokey"), ("SDIFF", "i1", "i2"), ("SDIFF", "i1", "i3", "i2"),
        ("SDIFF", "i2", "t1"), ("SDIFF", "t1", "t2", "i1"),
    )


def test_store_overwrites_and_deletes(diff, sets3):
    diff.run(
        ("SET", "dst", "string"), ("EXPIRE", "dst", "1000"), ("SUNIONSTORE", "dst", "i1", "i2"), ("TTL", "dst"),
        ("TYPE", "dst"), ("EXPIRE", "dst", "1000"), ("SINTERSTORE", "dst", "i1", "i2"), ("TTL", "dst"),
        ("SDIFFSTORE", "dst", "i2", "i2"), ("EXISTS", "dst"),
        ("SET", "dst", "string"), ("SINTERSTORE", "dst", "i1", "nokey"), ("EXISTS", "dst"),
        ("SET", "dst", "string"), ("SINTERSTORE", "dst", "t1", "i3"), ("EXISTS", "dst"),
        ("SET", "dst", "string"), ("SUNIONSTORE", "dst", "nokey"), ("EXISTS", "dst"),
        ("SET", "dst", "string"), ("SDIFFSTORE", "dst", "nokey", "i1"), ("EXISTS", "dst"),
        ("SUNIONSTORE", "i2", "i2", "i3"), ("SMEMBERS", "i2"),  # the destination may be a source
        ("SINTERSTORE", "i3", "i3", "i1"), ("SMEMBERS", "i3"), ("SDIFFSTORE", "i1", "i1", "i3"), ("SMEMBERS", "i1"),
    )


def test_sintercard(diff, sets3):
    diff.run(
        ("SINTERCARD", "0", "i1"), ("SINTERCARD", "-1", "i1"), ("SINTERCARD", "x", "i1"), ("SINTERCARD", "", "i1"),
        ("SINTERCARD", "2", "i1"), ("SINTERCARD", "3", "i1", "i2"), ("SINTERCARD", "1", "i1", "LIMIT"),
        ("SINTERCARD", "1", "i1", "LIMIT", "-1"), ("SINTERCARD", "1", "i1", "LIMIT", "x"),
        ("SINTERCARD", "1", "i1", "foo", "1"), ("SINTERCARD", "1", "i1", "i2"),
        ("SINTERCARD", "1", "i1", "limit", "5"), ("SINTERCARD", "1", "i1", "LIMIT", "0"),
        ("SINTERCARD", "1", "i1", "LIMIT", "100"), ("SINTERCARD", "1", "i1", "LIMIT", "2", "LIMIT", "3"),
        ("SINTERCARD", "2", "i1", "i3", "LIMIT", "1"), ("SINTERCARD", "2", "i1", "i3"),
        ("SINTERCARD", "2", "i1", "nokey"), ("SINTERCARD", "2", "i1", "str"), ("SINTERCARD", "2", "nokey", "str"),
        ("SINTERCARD", "1", "nokey", "LIMIT", "x"), ("SINTERCARD", "9223372036854775808", "i1"),
    )


# -- SPOP / SRANDMEMBER ------------------------------------------------------------------------------------------


def test_spop_srandmember_errors_and_fixed_replies(diff):
    diff.same("SADD", "s", "3", "1", "2", "-5", "10")
    diff.run(
        ("SPOP", "nokey"), ("SPOP", "nokey", "3"), ("SPOP", "nokey", "0"), ("SPOP", "s", "0"),
        ("SPOP", "s", "-1"), ("SPOP", "nokey", "-1"), ("SPOP", "s", "x"), ("SPOP", "s", "9223372036854775808"),
        ("SPOP", "s", " 1"), ("SRANDMEMBER", "nokey"), ("SRANDMEMBER", "nokey", "5"), ("SRANDMEMBER", "nokey", "-5"),
        ("SRANDMEMBER", "s", "0"), ("SRANDMEMBER", "s", "5"), ("SRANDMEMBER", "s", "100"),
        ("SRANDMEMBER", "s", "x"), ("SRANDMEMBER", "s", "-9223372036854775808"),
        ("SRANDMEMBER", "s", "9223372036854775808"), ("SRANDMEMBER", "nokey", "-9223372036854775808"),
        ("SCARD", "s"),
        ("SPOP", "s", "5"), ("EXISTS", "s"),  # all of it: the whole set (numeric order), key deleted
        ("SADD", "s", "7", "-7"), ("SPOP", "s", "9223372036854775807"), ("EXISTS", "s"),
        ("SADD", "one", "x"), ("SPOP", "one"), ("EXISTS", "one"), ("SADD", "one", "5"), ("SRANDMEMBER", "one"),
        ("SRANDMEMBER", "one", "-3"), ("SPOP", "one", "1"), ("EXISTS", "one"),
    )


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("kind", ["intset", "strings", "big"])
def test_srandmember_shapes(diff, resp, kind):
    if resp == 3:
        diff.both("HELLO", "3")
    content = {"intset": members(20), "strings": members(20, "m%d"), "big": members(700)}[kind]
    diff.same("SADD", "s", *content)
    content = {m.encode() for m in content}
    n = len(content)
    for reply in both_parsed(diff, "SRANDMEMBER", "s"):
        assert reply in content
    for count in (1, 2, 6, 7, n - 1, n, n + 5, -1, -5, -(3 * n)):
        for reply in both_parsed(diff, "SRANDMEMBER", "s", str(count)):
            assert type(reply) is list, reply  # always an array, even in RESP3
            assert set(reply) <= content
            if count < 0:
                assert len(reply) == -count
            else:
                assert len(reply) == min(count, n) == len(set(reply))
    diff.same("SCARD", "s")


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("kind", ["intset", "strings", "big"])
@pytest.mark.parametrize("count", [1, 3, 17, 19])  # small and large parts of 20 (two strategies)
def test_spop_count_shapes(diff, limits, resp, kind, count):
    if resp == 3:
        diff.both("HELLO", "3")
    if kind == "big":
        limits(set_max_intset_entries=10)
    content = members(20, "m%d" if kind == "strings" else "%d")
    diff.same("SADD", "s", *content)
    content = {m.encode() for m in content}
    replies = both_parsed(diff, "SPOP", "s", str(count))
    rests = both_parsed(diff, "SMEMBERS", "s")
    for reply, rest in zip(replies, rests):
        assert isinstance(reply, RSet) == (resp == 3), reply
        assert len(reply) == len(set(reply)) == count
        assert set(reply) | set(rest) == content and not set(reply) & set(rest)
        if kind == "intset":
            assert rest == sorted(rest, key=int)
    diff.same("SCARD", "s")
    # after popping most of a big set Redis builds a new one, re-encoded by its content
    diff.same("OBJECT", "ENCODING", "s")


def test_spop_single(diff):
    diff.same("SADD", "s", *members(30))
    for _ in range(30):
        mine, real = both_parsed(diff, "SPOP", "s")
        assert mine.isdigit() and real.isdigit()
    diff.run(("EXISTS", "s"), ("SPOP", "s"), ("SCARD", "s"))


def test_random_picks_cover_the_set(diff):
    diff.same("SADD", "s", "a", "b", "c")
    for reply in both_parsed(diff, "SRANDMEMBER", "s", "-300"):
        assert set(reply) == {b"a", b"b", b"c"}
    seen = {parse(diff.a.call("SRANDMEMBER", "s")) for _ in range(60)}
    assert seen == {b"a", b"b", b"c"}


# -- encodings ---------------------------------------------------------------------------------------------------


def test_intset_limits(diff, limits):
    limits(set_max_intset_entries=4)
    diff.run(
        ("SADD", "s", "1", "2", "3", "4"), ("OBJECT", "ENCODING", "s"), ("SMEMBERS", "s"),
        ("SADD", "s", "5"), ("OBJECT", "ENCODING", "s"), ("SREM", "s", "5", "4"), ("OBJECT", "ENCODING", "s"),
        ("SADD", "n", "1", "2", "x"), ("OBJECT", "ENCODING", "n"), ("SREM", "n", "x"), ("OBJECT", "ENCODING", "n"),
        ("SADD", "f", "x"), ("OBJECT", "ENCODING", "f"),
    )
    for i, m in enumerate(("0", "-0", "01", "1.0", " 1", "+1", "9223372036854775807", "-9223372036854775808",
                           "9223372036854775808", "-9223372036854775809", "12345678901234567890", "")):
        diff.same("SADD", "e%d" % i, m)
        diff.same("OBJECT", "ENCODING", "e%d" % i)


def test_store_encodings(diff, limits):
    limits(set_max_intset_entries=6)
    diff.run(
        ("SADD", "a", *members(8, start=1)), ("SADD", "b", "1"), ("SADD", "c", *members(5, start=1)),
        ("SADD", "d", "1", "x"),
        ("SDIFFSTORE", "r", "a", "b"), ("OBJECT", "ENCODING", "r"),  # adds the 7 survivors: hashtable
        ("SDIFFSTORE", "r", "a", "c"), ("OBJECT", "ENCODING", "r"), ("SMEMBERS", "r"),  # 3 left: intset
        ("SUNIONSTORE", "r", "b", "c"), ("OBJECT", "ENCODING", "r"), ("SMEMBERS", "r"),
        ("SUNIONSTORE", "r", "a", "b"), ("OBJECT", "ENCODING", "r"),
        ("SINTERSTORE", "r", "a", "c"), ("OBJECT", "ENCODING", "r"), ("SMEMBERS", "r"),
        ("SINTERSTORE", "r", "d", "a"), ("OBJECT", "ENCODING", "r"), ("SMEMBERS", "r"),
        ("SDIFFSTORE", "r", "d", "a"), ("OBJECT", "ENCODING", "r"), ("SMEMBERS", "r"),
        ("SDIFF", "a", "c"), ("SUNION", "b", "c"), ("SINTER", "a", "c"),
    )
    # the hashtable "a" keeps its encoding, but results built from its members are intsets again
    diff.run(("SREM", "a", "1", "2", "3"), ("OBJECT", "ENCODING", "a"), ("SUNION", "a"), ("SDIFF", "a", "nokey"),
             ("SUNIONSTORE", "r", "a"), ("OBJECT", "ENCODING", "r"))
    diff.same_unordered("SMEMBERS", "a")


def test_default_intset_limit(diff):
    diff.same("SADD", "s", *members(512))
    diff.run(("OBJECT", "ENCODING", "s"), ("SMEMBERS", "s"), ("SADD", "s", "512"), ("OBJECT", "ENCODING", "s"))
    diff.same_unordered("SMEMBERS", "s")
    diff.same("SADD", "u", *members(300))
    diff.same("SADD", "v", *members(300, start=300))
    diff.run(("SUNIONSTORE", "w", "u", "v"), ("OBJECT", "ENCODING", "w"), ("SINTER", "s", "u"))


# -- SSCAN ------------------------------------------------------------------------------------------------------


def test_sscan_intset_is_one_call(diff):
    diff.same("SADD", "s", "10", "1", "100", "-3", "21")
    diff.run(
        ("SSCAN", "s", "0"), ("SSCAN", "s", "999"), ("SSCAN", "s", "0", "COUNT", "1"), ("SSCAN", "s", "0", "MATCH", "1*"),
        ("SSCAN", "s", "0", "MATCH", "-*"), ("SSCAN", "s", "0", "MATCH", "[12]?"), ("SSCAN", "s", "-1"),
    )


def test_sscan_errors(diff):
    diff.same("SADD", "s", "a")
    diff.run(
        ("SSCAN", "s", "x"), ("SSCAN", "s", " 0"), ("SSCAN", "s", "0", "COUNT", "0"), ("SSCAN", "s", "0", "COUNT"),
        ("SSCAN", "s", "0", "COUNT", "y"), ("SSCAN", "s", "0", "MATCH"), ("SSCAN", "s", "0", "NOPE", "1"),
        ("SSCAN", "nokey", "0", "COUNT", "0"), ("SSCAN", "nokey", "bad"), ("SSCAN", "s", "0", "MATCH", "*"),
    )


def scan_all(client, key, *opts):
    cursor = b"0"
    out = []
    calls = 0
    while True:
        reply = parse(client.call("SSCAN", key, cursor, *opts))
        assert not isinstance(reply, Err), reply
        cursor, items = reply
        out += items
        calls += 1
        if cursor == b"0":
            return out, calls


def test_sscan_hashtable(diff):
    diff.same("SADD", "s", *members(1500, "m%d"))
    for opts in ((), ("COUNT", "3"), ("COUNT", "1000"), ("MATCH", "m1*"), ("MATCH", "*7", "COUNT", "20")):
        mine, calls = scan_all(diff.a, "s", *opts)
        real, _ = scan_all(diff.b, "s", *opts)
        assert len(mine) == len(set(mine))
        assert set(mine) == set(real)
        if not opts:
            assert calls > 10


def test_sscan_returns_every_member_present_throughout(ours):
    c = RawClient(ours.port)
    try:
        c.call("DEL", "ss")
        c.call("SADD", "ss", *["keep%d" % j for j in range(3000)])
        c.call("SADD", "ss", *["gone%d" % j for j in range(300)])
        cursor = b"0"
        seen = []
        step = 0
        while True:
            cursor, items = parse(c.call("SSCAN", "ss", cursor, "COUNT", "20"))
            seen += items
            if step < 300:
                c.call("SREM", "ss", "gone%d" % step)
                c.call("SADD", "ss", "added%d" % step)
                c.call("SPOP", "ss", "0")
            step += 1
            if cursor == b"0":
                break
        assert {b"keep%d" % j for j in range(3000)} <= set(seen)
    finally:
        c.call("DEL", "ss")
        c.close()


# -- RESP3 -------------------------------------------------------------------------------------------------------


def test_resp3_replies(diff):
    diff.both("HELLO", "3")
    diff.run(
        ("SADD", "s", "3", "1", "2"), ("SADD", "t", "2", "3", "4"), ("SMEMBERS", "s"), ("SMEMBERS", "nokey"),
        ("SINTER", "s", "t"), ("SINTER", "s", "nokey"), ("SUNION", "s", "t"), ("SDIFF", "s", "t"),
        ("SDIFF", "nokey", "s"), ("SISMEMBER", "s", "1"), ("SMISMEMBER", "s", "1", "7"), ("SPOP", "nokey"),
        ("SPOP", "nokey", "2"), ("SPOP", "s", "0"), ("SRANDMEMBER", "nokey"), ("SRANDMEMBER", "nokey", "2"),
        ("SRANDMEMBER", "s", "10"), ("SSCAN", "s", "0"), ("SSCAN", "nokey", "0"), ("SINTERCARD", "2", "s", "t"),
        ("SINTERSTORE", "d", "s", "t"), ("SMOVE", "s", "t", "1"), ("SPOP", "d", "10"),
    )
    for reply in both_parsed(diff, "SMEMBERS", "s"):
        assert isinstance(reply, RSet)


# -- keyspace hits / misses ------------------------------------------------------------------------------------


def _stats(client):
    out = {}
    for line in client.call("INFO", "stats").split(b"\r\n"):
        if line.startswith((b"keyspace_hits:", b"keyspace_misses:")):
            k, v = line.split(b":")
            out[k] = int(v)
    return out


def test_keyspace_hits_misses(diff):
    """Read commands count hits and misses (lookupKeyRead), write commands (and *STORE) do not."""
    if len(_stats(diff.a)) != 2:
        pytest.skip("our INFO has no keyspace_hits / keyspace_misses")
    diff.run(("SADD", "s", "1", "2", "3"), ("SADD", "t", "2"), ("SET", "str", "x"))
    commands = [
        ("SISMEMBER", "s", "1"), ("SISMEMBER", "missing", "1"), ("SMISMEMBER", "s", "1"), ("SCARD", "missing"),
        ("SMEMBERS", "s"), ("SMEMBERS", "str"), ("SRANDMEMBER", "s", "5"), ("SRANDMEMBER", "missing"),
        ("SSCAN", "s", "0"), ("SINTER", "s", "t", "missing"), ("SINTER", "missing", "str"),
        ("SINTERCARD", "3", "s", "missing", "t"), ("SUNION", "s", "missing", "t"), ("SDIFF", "missing", "s"),
        ("SINTERSTORE", "d", "s", "t"), ("SUNIONSTORE", "d", "s", "missing"), ("SDIFFSTORE", "d", "s", "t"),
        ("SADD", "s", "4"), ("SREM", "missing", "1"), ("SMOVE", "s", "missing", "4"), ("SPOP", "missing"),
        ("SPOP", "missing", "2"), ("SMOVE", "missing", "s", "1"),
    ]
    wrong = []
    for cmd in commands:
        before = _stats(diff.a), _stats(diff.b)
        diff.same(*cmd)
        after = _stats(diff.a), _stats(diff.b)
        mine, real = ({k: after[i][k] - before[i][k] for k in after[i]} for i in (0, 1))
        if mine != real:
            wrong.append((cmd, mine, real))
    assert not wrong


def test_random_picks_after_writes(diff):
    """Random picks only ever return current members, whatever was added or removed in between."""
    diff.same("SADD", "s", *members(300, "m%d"))
    both_parsed(diff, "SRANDMEMBER", "s", "-5")
    diff.same("SREM", "s", *members(290, "m%d"))
    diff.same("SADD", "s", "new1", "new2")
    live = {b"m%d" % i for i in range(290, 300)} | {b"new1", b"new2"}
    for args in (("SRANDMEMBER", "s", "-600"), ("SRANDMEMBER", "s", "5"), ("SRANDMEMBER", "s", "11"),
                 ("SRANDMEMBER", "s")):
        for reply in both_parsed(diff, *args):
            assert set(reply if isinstance(reply, list) else [reply]) <= live
    mine = parse(diff.a.call("SRANDMEMBER", "s", "-2000"))
    assert set(mine) == live
    diff.same("SMOVE", "s", "t", "new1")
    live.discard(b"new1")
    popped = [parse(diff.a.call("SPOP", "s")) for _ in range(3)]
    popped += parse(diff.a.call("SPOP", "s", "3"))
    assert len(set(popped)) == 6 and set(popped) <= live
    rest = parse(diff.a.call("SPOP", "s", "100"))
    assert set(rest) | set(popped) == live and not set(rest) & set(popped)
    assert parse(diff.a.call("EXISTS", "s")) == 0


# -- WATCH: which commands count as a modification -----------------------------------------------------------


@pytest.mark.parametrize("cmd", [
    ("SADD", "s", "1"), ("SADD", "s", "9"), ("SREM", "s", "9"), ("SREM", "s", "1"), ("SMOVE", "s", "t", "9"),
    ("SMOVE", "s", "t", "1"), ("SMOVE", "t", "s", "2"), ("SPOP", "s", "0"), ("SPOP", "s", "1"),
    ("SINTERSTORE", "s", "t", "nokey"), ("SINTERSTORE", "nokey2", "t", "nokey"), ("SUNIONSTORE", "s", "t"),
    ("SDIFFSTORE", "s", "s", "t"), ("SRANDMEMBER", "s", "-3"), ("SMEMBERS", "s"),
], ids=" ".join)
def test_watch(diff, cmd):
    diff.run(("SADD", "s", "1", "2"), ("SADD", "t", "2"), ("WATCH", "s", "t", "nokey2"))
    diff.both(*cmd)  # (random replies: only the effect on WATCH is compared)
    diff.run(("MULTI",), ("PING",), ("EXEC",))


@pytest.mark.parametrize("member", ["2", "1"])
def test_watch_smove_destination(diff, member):
    """SMOVE touches its destination only when the member was new there (a WATCH on it survives)."""
    diff.run(("SADD", "s", "1", "2"), ("SADD", "t", "2"), ("WATCH", "t"), ("SMOVE", "s", "t", member),
             ("MULTI",), ("PING",), ("EXEC",))
