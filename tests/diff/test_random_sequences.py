"""Property test: random sequences of commands over every data type, sent to our server and to Debian's
redis-server 7.0; every reply must be identical (compared as a multiset where Redis leaves the order
open: members of hashtable-encoded sets, KEYS).  Bounded so CI stays fast; run longer with
``PYREDIS_HYPOTHESIS_EXAMPLES=2000``."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = ["k1", "k2", "{t}a", "{t}b"]
MEMBERS = ["a", "b", "c", "1", "2", "10", "-3", "x" * 70]
NUMS = ["0", "1", "-1", "2", "3", "1.5", "-2.5", "100", "abc", "inf", "-inf", "(1", "(2.5"]
IDX = ["0", "1", "-1", "2", "-2", "5", "-100", "x"]

key = st.sampled_from(KEYS)
member = st.sampled_from(MEMBERS)
num = st.sampled_from(NUMS)
idx = st.sampled_from(IDX)


def cmd(name, *parts):
    return st.tuples(st.just(name), *parts)


COMMANDS = st.one_of(
    # strings
    cmd("SET", key, member), cmd("GET", key), cmd("APPEND", key, member), cmd("INCR", key), cmd("DECRBY", key, idx),
    cmd("INCRBYFLOAT", key, num), cmd("STRLEN", key), cmd("GETRANGE", key, idx, idx), cmd("SETRANGE", key, st.sampled_from(["0", "3"]), member),
    cmd("GETDEL", key), cmd("MSET", key, member, key, member), cmd("MGET", key, key), cmd("SETNX", key, member),
    cmd("GETSET", key, member),
    # keys
    cmd("DEL", key), cmd("EXISTS", key, key), cmd("TYPE", key), cmd("RENAME", key, key), cmd("RENAMENX", key, key),
    cmd("COPY", key, key), cmd("PERSIST", key), cmd("EXPIRE", key, st.sampled_from(["100", "0", "-1", "x"])),
    cmd("TTL", key), cmd("OBJECT", st.just("ENCODING"), key), cmd("DBSIZE"),
    # lists
    cmd("LPUSH", key, member, member), cmd("RPUSH", key, member), cmd("LPOP", key), cmd("RPOP", key, idx),
    cmd("LRANGE", key, idx, idx), cmd("LLEN", key), cmd("LINDEX", key, idx), cmd("LSET", key, idx, member),
    cmd("LREM", key, idx, member), cmd("LTRIM", key, idx, idx), cmd("LINSERT", key, st.sampled_from(["BEFORE", "AFTER"]), member, member),
    cmd("LPOS", key, member), cmd("LMOVE", key, key, st.sampled_from(["LEFT", "RIGHT"]), st.sampled_from(["LEFT", "RIGHT"])),
    # hashes
    cmd("HSET", key, member, member), cmd("HGET", key, member), cmd("HDEL", key, member), cmd("HLEN", key),
    cmd("HGETALL", key), cmd("HINCRBY", key, member, idx), cmd("HINCRBYFLOAT", key, member, num),
    cmd("HEXISTS", key, member), cmd("HKEYS", key), cmd("HMGET", key, member, member), cmd("HSETNX", key, member, member),
    # sets
    cmd("SADD", key, member, member), cmd("SREM", key, member), cmd("SISMEMBER", key, member), cmd("SCARD", key),
    cmd("SMEMBERS", key), cmd("SINTER", key, key), cmd("SUNION", key, key), cmd("SDIFF", key, key),
    cmd("SMOVE", key, key, member), cmd("SINTERCARD", st.just("2"), key, key), cmd("SMISMEMBER", key, member, member),
    cmd("SUNIONSTORE", key, key, key),
    # sorted sets
    cmd("ZADD", key, num, member), cmd("ZADD", key, st.sampled_from(["NX", "XX", "GT", "LT", "CH", "INCR"]), num, member),
    cmd("ZSCORE", key, member), cmd("ZRANK", key, member), cmd("ZREM", key, member), cmd("ZCARD", key),
    cmd("ZRANGE", key, idx, idx, st.just("WITHSCORES")), cmd("ZRANGEBYSCORE", key, num, num),
    cmd("ZCOUNT", key, num, num), cmd("ZINCRBY", key, num, member), cmd("ZPOPMIN", key), cmd("ZREVRANGE", key, idx, idx),
    cmd("ZUNIONSTORE", key, st.just("2"), key, key), cmd("ZINTER", st.just("2"), key, key, st.just("WITHSCORES")),
    cmd("ZRANGEBYLEX", key, st.sampled_from(["-", "[a", "(b"]), st.sampled_from(["+", "[c", "(b"])),
)

UNORDERED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF", "KEYS"}

EXAMPLES = int(os.environ.get("PYREDIS_HYPOTHESIS_EXAMPLES", "40"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
@given(st.lists(COMMANDS, min_size=1, max_size=25))
def test_random_command_sequences(diff, commands):
    diff.both("FLUSHALL")
    for c in commands:
        if c[0] in UNORDERED:
            diff.same_unordered(*c)
        else:
            diff.same(*c)
