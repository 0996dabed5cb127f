"""Hash commands, byte for byte against redis-server 7.0: replies, every error, RESP3 shapes and the
listpack/hashtable encoding (which decides the order of HGETALL & co. and HSCAN's cursors).

Random replies (HRANDFIELD) cannot be compared byte for byte: both servers' replies are parsed and
checked for the same shape and membership."""

from __future__ import annotations

import pytest

from helpers import RawClient
from resp_parse import Err, RMap, parse

DEFAULTS = {"hash-max-listpack-entries": "512", "hash-max-listpack-value": "64"}


@pytest.fixture
def limits(diff):
    """Set encoding thresholds on both servers; the defaults come back afterwards."""

    def set_limits(**kw):
        for name, value in kw.items():
            diff.same("CONFIG", "SET", name.replace("_", "-"), str(value))

    yield set_limits
    for name, value in DEFAULTS.items():
        diff.both("CONFIG", "SET", name, value)


def both_parsed(diff, *args):
    mine, real = diff.both(*args)
    return parse(mine), parse(real)


def fill(diff, key, n, prefix="f", value="v"):
    args = []
    for i in range(n):
        args += ["%s%d" % (prefix, i), "%s%d" % (value, i)]
    diff.same("HSET", key, *args)


# -- basic commands ------------------------------------------------------------------------------------


def test_hset_hget_and_friends(diff):
    diff.run(
        ("HSET", "h", "a", "1", "b", "2"),
        ("HSET", "h", "b", "20", "c", "3"),  # one new field
        ("HSET", "h", "d", "4", "d", "5"),  # the same field twice: counted once
        ("HGET", "h", "a"), ("HGET", "h", "d"), ("HGET", "h", "nope"), ("HGET", "nokey", "a"),
        ("HMGET", "h", "a", "nope", "c", "a"), ("HMGET", "nokey", "a", "b"),
        ("HLEN", "h"), ("HLEN", "nokey"),
        ("HEXISTS", "h", "a"), ("HEXISTS", "h", "zz"), ("HEXISTS", "nokey", "a"),
        ("HSTRLEN", "h", "b"), ("HSTRLEN", "h", "zz"), ("HSTRLEN", "nokey", "a"),
        ("HKEYS", "h"), ("HVALS", "h"), ("HGETALL", "h"),
        ("HKEYS", "nokey"), ("HVALS", "nokey"), ("HGETALL", "nokey"),
        ("TYPE", "h"), ("OBJECT", "ENCODING", "h"),
    )


def test_hmset_hsetnx(diff):
    diff.run(
        ("HMSET", "h", "a", "1", "b", "2"), ("HMSET", "h", "a", "x"), ("HGETALL", "h"),
        ("HSETNX", "h", "a", "new"), ("HSETNX", "h", "z", "new"), ("HSETNX", "n", "f", "v"),
        ("HGETALL", "h"), ("HGETALL", "n"),
    )


def test_listpack_order_is_insertion_order(diff):
    diff.run(
        ("HSET", "h", "z", "1", "y", "2", "x", "3", "10", "4", "1", "5"),
        ("HSET", "h", "y", "updated"),  # an update keeps its place
        ("HDEL", "h", "z"), ("HSET", "h", "z", "again"),  # a re-added field goes last
        ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"), ("HSCAN", "h", "0"),
        ("HRANDFIELD", "h", "100"), ("HRANDFIELD", "h", "5", "WITHVALUES"),
    )


def test_hdel_deletes_empty_hash(diff):
    diff.run(
        ("HSET", "h", "a", "1", "b", "2", "c", "3"),
        ("HDEL", "h", "a", "a", "zz"), ("HDEL", "h", "zz"), ("HDEL", "nokey", "a"),
        ("EXISTS", "h"), ("HDEL", "h", "b", "c", "b"), ("EXISTS", "h"), ("HLEN", "h"), ("HGETALL", "h"),
    )


def test_ttl_survives_writes_until_the_hash_is_emptied(diff):
    diff.run(
        ("HSET", "h", "a", "1"), ("EXPIRE", "h", "1000"),
        ("HSET", "h", "b", "2"), ("HINCRBY", "h", "n", "1"), ("HDEL", "h", "a"), ("TTL", "h"),
        ("HDEL", "h", "b", "n"), ("EXISTS", "h"), ("HSET", "h", "a", "1"), ("TTL", "h"),
    )


def test_binary_and_empty_fields(diff):
    diff.run(
        ("HSET", "h", "", "empty-field", "e", "", "\x00\xff", "bin\r\nary"),
        ("HGET", "h", ""), ("HGET", "h", "e"), ("HSTRLEN", "h", "e"), ("HGETALL", "h"),
        ("HEXISTS", "h", ""), ("HDEL", "h", ""), ("HGETALL", "h"),
    )


# -- errors ---------------------------------------------------------------------------------------------


def test_arity_errors(diff):
    diff.run(
        ("HSET", "h"), ("HSET", "h", "a"), ("HSET", "h", "a", "1", "b"), ("HMSET", "h", "a"),
        ("HMSET", "h", "a", "1", "b"), ("HGET", "h"), ("HGET", "h", "a", "b"), ("HMGET", "h"),
        ("HDEL", "h"), ("HLEN",), ("HLEN", "a", "b"), ("HEXISTS", "h"), ("HSTRLEN", "h"), ("HKEYS",),
        ("HVALS",), ("HGETALL",), ("HINCRBY", "h", "f"), ("HINCRBY", "h", "f", "1", "2"),
        ("HINCRBYFLOAT", "h", "f"), ("HSETNX", "h", "f"), ("HRANDFIELD",), ("HSCAN", "h"),
    )
    diff.same("EXISTS", "h")


def test_wrongtype(diff):
    diff.same("SET", "s", "x")
    diff.run(
        ("HSET", "s", "a", "1"), ("HMSET", "s", "a", "1"), ("HSETNX", "s", "a", "1"), ("HGET", "s", "a"),
        ("HMGET", "s", "a"), ("HDEL", "s", "a"), ("HLEN", "s"), ("HEXISTS", "s", "a"),
        ("HSTRLEN", "s", "a"), ("HKEYS", "s"), ("HVALS", "s"), ("HGETALL", "s"), ("HINCRBY", "s", "a", "1"),
        ("HINCRBYFLOAT", "s", "a", "1"), ("HRANDFIELD", "s"), ("HRANDFIELD", "s", "2"),
        ("HRANDFIELD", "s", "-2", "WITHVALUES"), ("HSCAN", "s", "0"), ("GET", "s"),
    )
    # the argument is parsed before the key's type is checked
    diff.run(("HINCRBY", "s", "a", "x"), ("HINCRBYFLOAT", "s", "a", "x"), ("HINCRBYFLOAT", "s", "a", "inf"),
             ("HRANDFIELD", "s", "x"), ("HRANDFIELD", "s", "1", "bad"), ("HSCAN", "s", "x"))
    diff.same("SADD", "set", "1")
    diff.run(("HGET", "set", "a"), ("HSET", "set", "a", "1"), ("HGETALL", "set"))


# -- HINCRBY --------------------------------------------------------------------------------------------


def test_hincrby(diff):
    diff.run(
        ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-7"), ("HINCRBY", "h", "n", "0"), ("HGET", "h", "n"),
        ("HINCRBY", "new", "f", "-9223372036854775808"), ("HINCRBY", "new", "f", "-1"),
        ("HINCRBY", "new", "f", "9223372036854775807"), ("HINCRBY", "new", "f", "1"), ("HGET", "new", "f"),
        ("HINCRBY", "h", "big", "9223372036854775807"), ("HINCRBY", "h", "big", "1"),
        ("HINCRBY", "h", "n", "9223372036854775808"), ("HINCRBY", "h", "n", "-9223372036854775809"),
    )
    for incr in ("x", "", " 1", "1 ", "+1", "-0", "01", "1.0", "1e3", "0x10", "\x001"):
        diff.same("HINCRBY", "h", "n", incr)
    for i, stored in enumerate(("abc", "", " 5", "5 ", "+5", "05", "-0", "1.0", "9223372036854775808", "\x00")):
        diff.same("HSET", "h", "v%d" % i, stored)
        diff.same("HINCRBY", "h", "v%d" % i, "1")
    diff.run(("HSET", "h", "ok", "-12"), ("HINCRBY", "h", "ok", "12"), ("HGETALL", "h"))
    diff.same("EXISTS", "nokey")


# -- HINCRBYFLOAT ---------------------------------------------------------------------------------------

FLOAT_INCREMENTS = [
    "1", "1.5", "-1.5", "0.1", "10.1", "-10.1", "5.0e3", "2.0e2", "1e-30", "-1e-30", "1e-17", "1e-18",
    "0.000000000000000005", "0.000000000000000015", "0.000000000000000025", "3.0000000000000000001",
    "1.23456789012345678", "123456789012345678901234567890", "1e308", "1e4000", "1e4931",
    "1.18973149535723176502e+4932", "1e-4940", "0x10", "0x1p-2", "0x1.8p1", "-0x.8", "1.", ".5",
    "+.5e+1", "-0.0", "+0", "9223372036854775807", "-9223372036854775808", "3.14159265358979323846264338",
    "1E3", "1e+3", "00012.500",
]


@pytest.mark.parametrize("incr", FLOAT_INCREMENTS)
def test_hincrbyfloat_values(diff, incr):
    diff.same("HINCRBYFLOAT", "h", "f", incr)
    diff.same("HINCRBYFLOAT", "h", "f", incr)
    diff.same("HINCRBYFLOAT", "h", "f", "-1.1")
    diff.same("HGET", "h", "f")


def test_hincrbyfloat_accumulates_like_long_double(diff):
    for _ in range(12):
        diff.same("HINCRBYFLOAT", "h", "a", "0.1")
        diff.same("HINCRBYFLOAT", "h", "b", "-0.7")
        diff.same("HINCRBYFLOAT", "h", "c", "1.0000000000000001")
    for stored in ("9223372036854775807", "-17", "1e3", "0x1p4", "  ", "3.5"):
        diff.same("HSET", "h", "s", stored)
        diff.same("HINCRBYFLOAT", "h", "s", "0.25")
    diff.same("HGETALL", "h")


def test_hincrbyfloat_errors(diff):
    for incr in ("abc", "", " 1", "1 ", "1e", "1e+", "nan", "-nan", "NaN", "0x", "1e5000", "-1e5000",
                 "1e-5000", "1\x00", "1,5", "--1", "x" * 6000, "1" * 5200):
        diff.same("HINCRBYFLOAT", "h", "f", incr)
    for incr in ("inf", "-inf", "INF", "infinity", "-Infinity", "+inf"):
        diff.same("HINCRBYFLOAT", "h", "f", incr)
    for i, stored in enumerate(("abc", "", " 1", "1 ", "nan", "1\x00x", "\x00", "1e5000")):
        diff.same("HSET", "h", "v%d" % i, stored)
        diff.same("HINCRBYFLOAT", "h", "v%d" % i, "1")
    for stored in ("inf", "-inf", "1.1e4932"):
        diff.same("HSET", "h", "w", stored)
        diff.same("HINCRBYFLOAT", "h", "w", "1e4932")
    diff.run(("HINCRBYFLOAT", "h", "w", "-1e4932"), ("EXISTS", "h"), ("EXISTS", "nokey"),
             ("HINCRBYFLOAT", "nokey", "f", "nan"), ("EXISTS", "nokey"))


# -- encodings --------------------------------------------------------------------------------------------


def test_encoding_by_entries(diff, limits):
    limits(hash_max_listpack_entries=4)
    fill(diff, "h", 4)
    diff.same("OBJECT", "ENCODING", "h")
    diff.same("HGETALL", "h")
    diff.same("HSET", "h", "f4", "v4")
    diff.same("OBJECT", "ENCODING", "h")
    diff.same("HDEL", "h", "f0", "f1", "f2", "f3")
    diff.same("OBJECT", "ENCODING", "h")  # never back to listpack
    diff.same_unordered("HGETALL", "h")


@pytest.mark.parametrize("cmd", [
    ("HSET", "h", "long-field-name", "1"),
    ("HSET", "h", "a", "long-value-12345"),
    ("HMSET", "h", "a", "1", "b", "123456789"),
    ("HSETNX", "h", "new", "123456789"),
    ("HSETNX", "h", "123456789", "1"),
    ("HINCRBY", "h", "long-field-name", "1"),
    ("HINCRBY", "h", "a", "123456789"),
    ("HINCRBYFLOAT", "h", "a", "0.123456789"),
    ("HINCRBYFLOAT", "h", "a-long-field", "1"),
])
def test_encoding_by_length(diff, limits, cmd):
    limits(hash_max_listpack_value=8)
    diff.same("HSET", "h", "a", "1", "b", "2")
    diff.same("OBJECT", "ENCODING", "h")
    diff.same(*cmd)
    diff.same("OBJECT", "ENCODING", "h")
    diff.same_unordered("HGETALL", "h")


def test_encoding_checks_arguments_not_outcomes(diff, limits):
    limits(hash_max_listpack_value=8)
    diff.run(
        ("HSET", "h", "a", "1"),
        ("HSETNX", "h", "a", "123456789"),  # nothing set: stays a listpack
        ("OBJECT", "ENCODING", "h"),
        ("HSET", "h2", "a", "123456789", "a", "1"),  # the long value is overwritten in the same call
        ("OBJECT", "ENCODING", "h2"), ("HGETALL", "h2"),
        ("HSET", "h3", "a", "12345678"),  # exactly the limit
        ("OBJECT", "ENCODING", "h3"),
    )


def test_zero_limits(diff, limits):
    limits(hash_max_listpack_entries=0)
    diff.run(("HSET", "h", "a", "1"), ("OBJECT", "ENCODING", "h"))
    limits(hash_max_listpack_entries=512, hash_max_listpack_value=0)
    diff.run(("HSET", "h2", "", ""), ("OBJECT", "ENCODING", "h2"), ("HSET", "h2", "a", ""),
             ("OBJECT", "ENCODING", "h2"))


def test_big_hash_defaults(diff):
    fill(diff, "h", 512)
    diff.same("OBJECT", "ENCODING", "h")
    diff.same("HGETALL", "h")  # still a listpack: insertion order
    diff.same("HSET", "h", "one-more", "x")
    diff.same("OBJECT", "ENCODING", "h")
    diff.same_unordered("HKEYS", "h")
    diff.same_unordered("HVALS", "h")
    diff.same("HLEN", "h")
    diff.same("HSET", "v", "f", "x" * 64)
    diff.same("OBJECT", "ENCODING", "v")
    diff.same("HSET", "v", "g", "x" * 65)
    diff.same("OBJECT", "ENCODING", "v")


# -- HRANDFIELD -------------------------------------------------------------------------------------------


def test_hrandfield_errors_and_fixed_replies(diff):
    diff.same("HSET", "h", "a", "1", "b", "2", "c", "3")
    diff.run(
        ("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "5"), ("HRANDFIELD", "nokey", "-5", "WITHVALUES"),
        ("HRANDFIELD", "nokey", "0"), ("HRANDFIELD", "h", "0"), ("HRANDFIELD", "h", "0", "WITHVALUES"),
        ("HRANDFIELD", "h", "3"), ("HRANDFIELD", "h", "4", "withvalues"), ("HRANDFIELD", "h", "9223372036854775807"),
        ("HRANDFIELD", "h", "x"), ("HRANDFIELD", "h", "1.5"), ("HRANDFIELD", "h", "9223372036854775808"),
        ("HRANDFIELD", "h", "-9223372036854775808"), ("HRANDFIELD", "nokey", "-9223372036854775808"),
        ("HRANDFIELD", "h", "1", "WITHVALUE"), ("HRANDFIELD", "h", "1", "WITHVALUES", "x"),
        ("HRANDFIELD", "h", "x", "foo"), ("HRANDFIELD", "nokey", "1", "foo"),
        ("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"),
    )


def _pairs(reply, nested):
    if nested:
        assert all(isinstance(p, list) and len(p) == 2 for p in reply), reply
        return [tuple(p) for p in reply]
    assert len(reply) % 2 == 0
    return list(zip(reply[::2], reply[1::2]))


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("n", [5, 600])  # listpack / hashtable
def test_hrandfield_shapes(diff, resp, n):
    if resp == 3:
        diff.both("HELLO", "3")
    fill(diff, "h", n)
    content = {b"f%d" % i: b"v%d" % i for i in range(n)}
    order = list(content)
    for reply in both_parsed(diff, "HRANDFIELD", "h"):
        assert reply in content
    for count in (1, 2, 3, 4, n // 3, n - 1, n, n + 1, -1, -3, -(n * 3)):
        for withvalues in (False, True):
            args = ("HRANDFIELD", "h", str(count)) + (("WITHVALUES",) if withvalues else ())
            for reply in both_parsed(diff, *args):
                assert isinstance(reply, list) and not isinstance(reply, Err), reply
                pairs = _pairs(reply, resp == 3) if withvalues else [(f, content[f]) for f in reply]
                assert all(content[f] == v for f, v in pairs), pairs
                fields = [f for f, _ in pairs]
                if count < 0:
                    assert len(fields) == -count
                else:
                    assert len(fields) == min(count, n)
                    assert len(set(fields)) == len(fields)
                    if n <= 512 and count * 3 <= n:  # a listpack's sample comes in its own order
                        assert fields == [f for f in order if f in set(fields)]


def test_hrandfield_covers_every_field(diff):
    diff.same("HSET", "h", "a", "1", "b", "2", "c", "3")
    for reply in both_parsed(diff, "HRANDFIELD", "h", "-300"):
        assert set(reply) == {b"a", b"b", b"c"}
    seen = set()
    for _ in range(60):
        seen.add(parse(diff.a.call("HRANDFIELD", "h")))
    assert seen == {b"a", b"b", b"c"}


# -- HSCAN ------------------------------------------------------------------------------------------------


def test_hscan_listpack_is_one_call(diff):
    diff.same("HSET", "h", "a1", "1", "b", "2", "a2", "3", "", "empty")
    diff.run(
        ("HSCAN", "h", "0"), ("HSCAN", "h", "12345"), ("HSCAN", "h", "0", "COUNT", "1"),
        ("HSCAN", "h", "0", "MATCH", "a*"), ("HSCAN", "h", "0", "match", "*"), ("HSCAN", "h", "0", "MATCH", "?"),
        ("HSCAN", "h", "0", "MATCH", "a*", "COUNT", "100", "MATCH", "b"), ("HSCAN", "h", "0", "MATCH", ""),
        ("HSCAN", "h", ""), ("HSCAN", "h", "-1"), ("HSCAN", "h", "+7"), ("HSCAN", "h", "18446744073709551615"),
        ("HSCAN", "h", "5\x00x"), ("HSCAN", "h", "\x00"), ("HSCAN", "h", " \x00"),
    )


def test_hscan_errors(diff):
    diff.same("HSET", "h", "a", "1")
    diff.run(
        ("HSCAN", "h", "x"), ("HSCAN", "h", " 1"), ("HSCAN", "h", "1 "), ("HSCAN", "h", "+"),
        ("HSCAN", "h", "18446744073709551616"), ("HSCAN", "h", "1.5"),
        ("HSCAN", "h", "0", "COUNT"), ("HSCAN", "h", "0", "COUNT", "0"), ("HSCAN", "h", "0", "COUNT", "-1"),
        ("HSCAN", "h", "0", "COUNT", "x"), ("HSCAN", "h", "0", "MATCH"), ("HSCAN", "h", "0", "FOO", "bar"),
        ("HSCAN", "h", "0", "TYPE", "string"),
        ("HSCAN", "nokey", "0"), ("HSCAN", "nokey", "0", "COUNT", "0"), ("HSCAN", "nokey", "x"),
    )


def scan_all(client, cmd, key, *opts):
    """Iterate a whole xSCAN; returns (elements, calls)."""
    cursor = b"0"
    out = []
    calls = 0
    while True:
        reply = parse(client.call(cmd, key, cursor, *opts))
        assert not isinstance(reply, Err), reply
        cursor, items = reply
        out += items
        calls += 1
        if cursor == b"0":
            return out, calls


def test_hscan_hashtable(diff):
    fill(diff, "h", 1000)
    for opts in ((), ("COUNT", "7"), ("COUNT", "100"), ("MATCH", "f1*"), ("MATCH", "*9", "COUNT", "50")):
        mine, calls = scan_all(diff.a, "HSCAN", "h", *opts)
        real, _ = scan_all(diff.b, "HSCAN", "h", *opts)
        assert dict(zip(mine[::2], mine[1::2])) == dict(zip(real[::2], real[1::2]))
        assert len(mine) == len(set(mine[::2])) * 2  # no field twice
        if not opts:
            assert calls > 10  # about COUNT (10) fields a call


def test_hscan_returns_every_field_present_throughout(ours):
    c = RawClient(ours.port)
    try:
        c.call("DEL", "hs")
        for i in range(0, 2000, 100):
            args = []
            for j in range(i, i + 100):
                args += ["keep%d" % j, "1"]
            c.call("HSET", "hs", *args)
        c.call("HSET", "hs", *[x for j in range(200) for x in ("gone%d" % j, "1")])
        cursor = b"0"
        seen = []
        step = 0
        while True:
            cursor, items = parse(c.call("HSCAN", "hs", cursor, "COUNT", "25"))
            seen += items[::2]
            # modify the hash between calls: delete some fields, add others
            if step < 200:
                c.call("HDEL", "hs", "gone%d" % step)
                c.call("HSET", "hs", "added%d" % step, "1")
            step += 1
            if cursor == b"0":
                break
        assert {b"keep%d" % j for j in range(2000)} <= set(seen)
        assert step > 50
    finally:
        c.call("DEL", "hs")
        c.close()


# -- RESP3 ---------------------------------------------------------------------------------------------------


def test_resp3_replies(diff):
    diff.both("HELLO", "3")
    diff.run(
        ("HSET", "h", "a", "1", "b", "2"), ("HGETALL", "h"), ("HGETALL", "nokey"), ("HGET", "h", "zz"),
        ("HMGET", "h", "a", "zz"), ("HMGET", "nokey", "a"), ("HKEYS", "h"), ("HVALS", "h"),
        ("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "3", "WITHVALUES"), ("HRANDFIELD", "h", "5"),
        ("HRANDFIELD", "h", "5", "WITHVALUES"), ("HRANDFIELD", "h", "0", "WITHVALUES"),
        ("HSCAN", "h", "0"), ("HSCAN", "nokey", "0"), ("HINCRBYFLOAT", "h", "a", "1.5"),
        ("HINCRBY", "h", "b", "1"), ("HEXISTS", "h", "a"), ("HSETNX", "h", "a", "1"), ("HSET", "h", "x"),
    )
    for reply in both_parsed(diff, "HGETALL", "h"):
        assert isinstance(reply, RMap)


# -- keyspace hits / misses ------------------------------------------------------------------------------------


def _stats(client):
    out = {}
    for line in client.call("INFO", "stats").split(b"\r\n"):
        if line.startswith((b"keyspace_hits:", b"keyspace_misses:")):
            k, v = line.split(b":")
            out[k] = int(v)
    return out


def test_keyspace_hits_misses(diff):
    """Read commands count hits and misses (lookupKeyRead), write commands do not."""
    if len(_stats(diff.a)) != 2:
        pytest.skip("our INFO has no keyspace_hits / keyspace_misses")
    diff.run(("HSET", "h", "a", "1", "n", "5"), ("SET", "s", "x"))
    wrong = []
    for key in ("h", "missing", "s"):
        for cmd in (("HGET", key, "a"), ("HMGET", key, "a", "b"), ("HLEN", key), ("HEXISTS", key, "a"),
                    ("HSTRLEN", key, "a"), ("HKEYS", key), ("HVALS", key), ("HGETALL", key), ("HRANDFIELD", key),
                    ("HRANDFIELD", key, "-2"), ("HSCAN", key, "0"), ("HSET", key, "b", "2"), ("HSETNX", key, "c", "3"),
                    ("HINCRBY", key, "n", "1"), ("HINCRBYFLOAT", key, "n", "1"), ("HDEL", key, "zz")):
            before = _stats(diff.a), _stats(diff.b)
            (diff.both if cmd[0] == "HRANDFIELD" else diff.same)(*cmd)
            after = _stats(diff.a), _stats(diff.b)
            mine, real = ({k: after[i][k] - before[i][k] for k in after[i]} for i in (0, 1))
            if mine != real:
                wrong.append((cmd, mine, real))
    assert not wrong


def test_random_picks_after_writes(diff):
    """Random picks only ever return current fields, whatever was added or removed in between."""
    fill(diff, "h", 600)
    both_parsed(diff, "HRANDFIELD", "h", "-5")
    diff.same("HDEL", "h", *["f%d" % i for i in range(590)])
    diff.same("HSET", "h", "new1", "x")
    diff.same("HSETNX", "h", "new2", "y")
    diff.same("HINCRBY", "h", "new3", "1")
    live = {b"f%d" % i for i in range(590, 600)} | {b"new1", b"new2", b"new3"}
    for args in (("HRANDFIELD", "h", "-600"), ("HRANDFIELD", "h", "5"), ("HRANDFIELD", "h", "12"),
                 ("HRANDFIELD", "h"), ("HRANDFIELD", "h", "-50", "WITHVALUES")):
        for reply in both_parsed(diff, *args):
            fields = reply[::2] if "WITHVALUES" in args else reply if isinstance(reply, list) else [reply]
            assert set(fields) <= live
    assert set(parse(diff.a.call("HRANDFIELD", "h", "-3000"))) == live


# -- WATCH: which commands count as a modification -----------------------------------------------------------


@pytest.mark.parametrize("cmd", [
    ("HSET", "h", "a", "1"), ("HSETNX", "h", "a", "2"), ("HSETNX", "h", "b", "2"), ("HDEL", "h", "zz"),
    ("HDEL", "h", "a"), ("HINCRBY", "h", "a", "0"), ("HINCRBYFLOAT", "h", "a", "0"), ("HMSET", "h", "a", "1"),
    ("HINCRBY", "h", "a", "x"), ("HGETALL", "h"), ("HRANDFIELD", "h", "-2"),
], ids=" ".join)
def test_watch(diff, cmd):
    diff.run(("HSET", "h", "a", "1"), ("WATCH", "h"))
    diff.both(*cmd)  # (random replies: only the effect on WATCH is compared)
    diff.run(("MULTI",), ("PING",), ("EXEC",))
