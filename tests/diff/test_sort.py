"""SORT and SORT_RO against redis-server 7.0, byte for byte: numeric and ALPHA order, DESC, LIMIT
clamping, BY patterns (missing weights, constant BY = no sorting), GET patterns (``#``, ``->field``),
STORE (list result, empty result deletes), errors, and the keys COMMAND GETKEYS finds."""

from __future__ import annotations

import pytest


def test_sort_basics(diff):
    diff.run(
        ("RPUSH", "l", "3", "1", "2", "10", "1.5"), ("SORT", "l"), ("SORT", "l", "DESC"), ("SORT", "l", "ALPHA"),
        ("SORT", "l", "ALPHA", "DESC"), ("SORT", "l", "LIMIT", "1", "2"), ("SORT", "l", "LIMIT", "-1", "2"),
        ("SORT", "l", "LIMIT", "10", "2"), ("SORT", "l", "LIMIT", "0", "-5"), ("SORT", "l", "LIMIT", "4", "9"),
        ("SORT", "nokey"), ("SORT_RO", "l", "DESC"),
        ("SADD", "s", "b", "a", "c"), ("SORT", "s", "ALPHA"), ("SORT", "s", "ALPHA", "DESC", "LIMIT", "1", "1"),
        ("ZADD", "z", "3", "a", "1", "b", "2", "c"), ("SORT", "z", "ALPHA"), ("SORT", "z", "BY", "nosort"),
        ("SORT", "z", "BY", "nosort", "DESC"), ("SORT", "z", "BY", "nosort", "LIMIT", "1", "5"),
        ("RPUSH", "e", ""), ("SORT", "e"), ("RPUSH", "inf", "inf", "-inf", "1e3", "0x10"), ("SORT", "inf"),
    )


def test_sort_by_and_get(diff):
    diff.run(
        ("RPUSH", "l", "3", "1", "2", "10"), ("MSET", "w_3", "30", "w_1", "10", "w_2", "5"),
        ("SORT", "l", "BY", "w_*"), ("SORT", "l", "BY", "w_*", "DESC"), ("SORT", "l", "BY", "w_*", "ALPHA"),
        ("SORT", "l", "BY", "nosort"), ("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"),
        ("SORT", "l", "GET", "#", "GET", "w_*"), ("HSET", "h_1", "f", "x"), ("SORT", "l", "GET", "h_*->f"),
        ("SORT", "l", "GET", "h_*->"), ("SORT", "l", "GET", "nostar"), ("SORT", "l", "BY", "h_*->f", "ALPHA"),
        ("LPUSH", "w_10", "notastring"), ("SORT", "l", "BY", "w_*"), ("SORT", "l", "GET", "w_*"),
    )


def test_sort_store(diff):
    diff.run(
        ("RPUSH", "l", "3", "1", "2"), ("SET", "dst", "x", "EX", "100"), ("SORT", "l", "STORE", "dst"),
        ("LRANGE", "dst", "0", "-1"), ("TTL", "dst"), ("SORT", "nokey", "STORE", "dst"), ("EXISTS", "dst"),
        ("SORT", "nokey", "STORE", "dst"), ("SADD", "s", "b", "a", "c"), ("SORT", "s", "BY", "nosort", "STORE", "d2"),
        ("LRANGE", "d2", "0", "-1"), ("MSET", "w_3", "30", "w_1", "10"),
        ("SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*", "STORE", "d3"), ("LRANGE", "d3", "0", "-1"),
        ("SORT", "l", "STORE", "a", "STORE", "b"), ("EXISTS", "a", "b"),
    )


@pytest.mark.parametrize("cmd", [
    ("SORT", "l", "LIMIT", "a", "1"), ("SORT", "l", "LIMIT", "1"), ("SORT", "l", "FOO"), ("SORT", "str"),
    ("SORT_RO", "l", "STORE", "x"), ("SORT", "bad"), ("SORT", "bad", "ALPHA"), ("SORT", "l", "STORE"),
    ("SORT", "bad", "BY", "nosort"), ("SORT", "l", "BY"), ("SORT", "l", "GET"),
    ("COMMAND", "GETKEYS", "SORT", "l", "STORE", "a", "BY", "x", "STORE", "b"),
    ("COMMAND", "GETKEYS", "SORT", "l", "LIMIT", "0", "1", "GET", "store", "STORE"),
    ("COMMAND", "GETKEYS", "SORT_RO", "l", "STORE", "a"),
], ids=" ".join)
def test_sort_errors(diff, cmd):
    diff.run(("RPUSH", "l", "1", "2"), ("SET", "str", "x"), ("RPUSH", "bad", "1", "x"), cmd)


def test_sort_store_wakes_blocked_clients(ours, theirs):
    from scenario import both, settle

    def steps(s):
        s.call("ctl", "RPUSH", "src", "b", "a")
        s.send("c1", "BLPOP", "dst", "0")
        settle()
        s.call("ctl", "SORT", "src", "ALPHA", "STORE", "dst")
        s.read("c1")
        s.call("ctl", "LRANGE", "dst", "0", "-1")
    both(ours, theirs, steps)


def test_sort_set_order_script_rule_and_c_strings(diff):
    """BY nosort on an intset gives the intset's order (by value); inside a script (or with STORE) a
    set is sorted ALPHA instead; numeric weights are read as C strings (up to the first NUL)."""
    diff.run(
        ("SADD", "s", "5", "2", "9", "1", "20"), ("SORT", "s", "BY", "nosort"),
        ("SORT", "s", "BY", "nosort", "LIMIT", "1", "2"),
        ("EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort')", "1", "s"),
        ("SORT", "s", "BY", "nosort", "STORE", "x"), ("LRANGE", "x", "0", "-1"),
        ("RPUSH", "n", "3\x00zz", "1", "2\x00"), ("SORT", "n"), ("SORT", "n", "DESC"),
    )


def test_sort_resp3(diff):
    diff.both("HELLO", "3")
    diff.run(
        ("RPUSH", "l", "3", "1", "2"), ("SET", "w_1", "a"), ("SORT", "l", "GET", "w_*", "GET", "#"),
        ("SORT", "l", "ALPHA", "DESC"), ("SORT", "nokey"), ("SORT", "l", "STORE", "d"),
    )
