"""MULTI / EXEC / DISCARD / WATCH / UNWATCH against redis-server 7.0, byte for byte: queuing, errors,
EXECABORT, WATCH invalidation by every kind of change (other clients, expiry, FLUSHALL, SWAPDB),
blocking commands inside a transaction, pushes made by EXEC waking blocked clients, RESP3."""

from __future__ import annotations

import time

import pytest
from helpers import encode_command
from scenario import both, settle


def resp3(diff):
    mine, real = diff.both("HELLO", "3")
    assert mine[:1] == real[:1] == b"%"


# -- queuing and errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("proto", [2, 3])
def test_basic_exec(diff, proto):
    if proto == 3:
        resp3(diff)
    diff.run(
        ("MULTI",), ("SET", "k", "v"), ("GET", "k"), ("INCR", "n"), ("LPUSH", "l", "a", "b"), ("HSET", "h", "f", "1"),
        ("HGETALL", "h"), ("SMEMBERS", "nokey"), ("GET", "nokey"), ("ZADD", "z", "1", "a"),
        ("ZSCORE", "z", "a"), ("EXEC",),
        ("GET", "k"), ("MULTI",), ("EXEC",), ("MULTI",), ("PING",), ("ECHO", "x"), ("EXEC",),
    )


@pytest.mark.parametrize("proto", [2, 3])
def test_errors_inside_exec_do_not_stop_it(diff, proto):
    if proto == 3:
        resp3(diff)
    diff.run(
        ("MULTI",), ("SET", "k", "v"), ("LPUSH", "k", "v"), ("INCR", "k"), ("GET", "k"), ("HSET", "k", "f", "v"),
        ("SET", "n", "1"), ("INCRBY", "n", "x"), ("INCR", "n"), ("EXPIRE", "n", "abc"), ("EXEC",),
        ("GET", "n"),
    )


def test_multi_errors(diff):
    diff.run(
        ("EXEC",), ("DISCARD",), ("MULTI", "x"), ("EXEC", "x"), ("DISCARD", "x"), ("WATCH",), ("UNWATCH", "x"),
        ("MULTI",), ("MULTI",), ("WATCH", "x"), ("SET", "a", "1"), ("EXEC",), ("GET", "a"),
        ("MULTI",), ("DISCARD",), ("DISCARD",), ("EXEC",),
        ("MULTI",), ("UNWATCH",), ("EXEC",),
    )


@pytest.mark.parametrize("bad", [
    ("NOSUCHCOMMAND", "a"), ("GET",), ("SET", "x"), ("CONFIG", "NOSUCHSUB"), ("CONFIG", "GET"),
    ("PING", "a", "b"),
])
def test_execabort(diff, bad):
    diff.run(("MULTI",), ("SET", "a", "1"), bad, ("SET", "b", "2"), ("EXEC",), ("EXISTS", "a", "b"),
             ("EXEC",))


def test_execabort_resp3_and_discard_after_error(diff):
    resp3(diff)
    diff.run(("MULTI",), ("GET",), ("EXEC",), ("MULTI",), ("NOPE",), ("DISCARD",), ("MULTI",), ("SET", "a", "1"),
             ("EXEC",))


def test_discard(diff):
    diff.run(("MULTI",), ("SET", "a", "1"), ("INCR", "b"), ("DISCARD",), ("EXISTS", "a", "b"), ("GET", "a"))


def test_select_and_subcommands_inside(diff):
    diff.run(
        ("MULTI",), ("SELECT", "3"), ("SET", "k", "in3"), ("CONFIG", "GET", "maxmemory"), ("OBJECT", "ENCODING", "k"),
        ("SELECT", "99"), ("EXEC",), ("GET", "k"), ("SELECT", "0"), ("GET", "k"), ("SELECT", "3"), ("DEL", "k"),
        ("SELECT", "0"),
    )


def test_pipelined_transaction(diff):
    data = b"".join(encode_command(*a) for a in [("MULTI",), ("SET", "a", "1"), ("GET", "a"), ("NOPE",),
                                                ("EXEC",), ("MULTI",), ("INCR", "a"), ("EXEC",), ("GET", "a")])
    diff.a.send_raw(data)
    diff.b.send_raw(data)
    for _ in range(9):
        assert diff.a.read_reply() == diff.b.read_reply()


def test_reset_inside_multi(diff):
    diff.run(("WATCH", "w"), ("MULTI",), ("SET", "a", "1"))
    mine, real = diff.both("RESET")
    assert mine == real == b"+RESET\r\n"
    diff.run(("EXEC",), ("EXISTS", "a"), ("SET", "w", "x"), ("MULTI",), ("PING",), ("EXEC",))


def test_not_allowed_inside_exec(diff):
    """Blocking commands answer at once; SSUBSCRIBE and MONITOR are refused for DENY BLOCKING clients."""
    diff.run(
        ("RPUSH", "full", "x"),
        ("MULTI",), ("BLPOP", "nol", "0"), ("BRPOP", "nol", "full", "0"), ("BLMOVE", "nol", "d", "LEFT", "RIGHT", "0"),
        ("BRPOPLPUSH", "nol", "d", "0"), ("BLMPOP", "0", "1", "nol", "LEFT"), ("BZPOPMIN", "noz", "0"),
        ("SSUBSCRIBE", "sch"), ("MONITOR",), ("EXEC",),
    )


def test_subscribe_inside_multi(diff):
    """SUBSCRIBE is allowed inside EXEC (backward compatibility): the client is then subscribed."""
    diff.run(("MULTI",), ("SUBSCRIBE", "a"), ("PSUBSCRIBE", "p*"), ("EXEC",), ("GET", "x"), ("UNSUBSCRIBE", "a"),
             ("PUNSUBSCRIBE", "p*"), ("GET", "x"))


# -- WATCH ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("proto", [2, 3])
def test_watch_touched_by_myself(diff, proto):
    if proto == 3:
        resp3(diff)
    diff.run(
        ("SET", "k", "1"), ("WATCH", "k"), ("SET", "k", "2"), ("MULTI",), ("GET", "k"), ("EXEC",),
        ("WATCH", "k"), ("MULTI",), ("GET", "k"), ("EXEC",),
        ("WATCH", "k"), ("GET", "k"), ("MULTI",), ("PING",), ("EXEC",),  # reads do not touch
        ("WATCH", "k"), ("UNWATCH",), ("SET", "k", "3"), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "k", "k", "other"), ("DEL", "other"), ("MULTI",), ("PING",), ("EXEC",),  # DEL of nothing
        ("WATCH", "k"), ("SET", "k", "3"), ("WATCH", "z"), ("MULTI",), ("PING",), ("EXEC",),  # dirty stays
        ("WATCH", "nokey"), ("EXPIRE", "nokey", "10"), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "k"), ("EXPIRE", "k", "100"), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "k"), ("PERSIST", "k"), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "k"), ("PERSIST", "k"), ("MULTI",), ("PING",), ("EXEC",),
        ("RPUSH", "l", "a"), ("WATCH", "l"), ("LPOP", "l"), ("MULTI",), ("PING",), ("EXEC",),
        ("HSET", "h", "f", "v"), ("WATCH", "h"), ("HSET", "h", "f", "v"), ("MULTI",), ("PING",), ("EXEC",),
        ("SADD", "s", "a"), ("WATCH", "s"), ("SADD", "s", "a"), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "s"), ("SREM", "s", "zz"), ("MULTI",), ("PING",), ("EXEC",),
    )


def test_watch_other_db_and_rename(diff):
    diff.run(
        ("SET", "k", "1"), ("WATCH", "k"), ("SELECT", "1"), ("SET", "k", "x"), ("MULTI",), ("PING",), ("EXEC",),
        ("DEL", "k"), ("SELECT", "0"),
        ("WATCH", "k"), ("RENAME", "k", "k2"), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "k3"), ("RENAME", "k2", "k3"), ("MULTI",), ("PING",), ("EXEC",),
        ("SET", "m", "1"), ("WATCH", "m"), ("MOVE", "m", "2"), ("MULTI",), ("PING",), ("EXEC",),
        ("SELECT", "2"), ("FLUSHDB",), ("SELECT", "0"),
    )


def test_watch_flush_and_swapdb(diff):
    diff.run(
        ("SET", "k", "1"), ("WATCH", "k"), ("FLUSHALL",), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "nokey"), ("FLUSHALL",), ("MULTI",), ("PING",), ("EXEC",),
        ("SET", "k", "1"), ("WATCH", "k"), ("FLUSHDB",), ("MULTI",), ("PING",), ("EXEC",),
        ("SET", "k", "1"), ("WATCH", "k"), ("SELECT", "5"), ("FLUSHDB",), ("SELECT", "0"), ("MULTI",), ("PING",),
        ("EXEC",),
        ("WATCH", "k"), ("SWAPDB", "0", "1"), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "k"), ("SWAPDB", "0", "1"), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "zz"), ("SWAPDB", "0", "1"), ("MULTI",), ("PING",), ("EXEC",),
        ("SWAPDB", "0", "1"),
    )


def test_watch_expiry(diff):
    """Redis 7.0: a watched key that expires makes EXEC fail; watching an already expired key does not
    (until the key is created again)."""
    diff.run(("SET", "e", "1", "PX", "60"), ("WATCH", "e"))
    time.sleep(0.1)
    diff.run(("MULTI",), ("PING",), ("EXEC",))
    diff.run(("SET", "e", "1", "PX", "30"))
    time.sleep(0.06)
    diff.run(("WATCH", "e"), ("MULTI",), ("PING",), ("EXEC",))
    diff.run(("SET", "e", "1", "PX", "30"))
    time.sleep(0.06)
    diff.run(("WATCH", "e"), ("GET", "e"), ("MULTI",), ("PING",), ("EXEC",))
    diff.run(("SET", "e", "1", "PX", "30"))
    time.sleep(0.06)
    diff.run(("WATCH", "e"), ("GET", "e"), ("SET", "e", "2"), ("MULTI",), ("PING",), ("EXEC",))
    diff.run(("SET", "e", "1", "PX", "30"))
    time.sleep(0.06)
    diff.run(("WATCH", "e"), ("SET", "e", "2"), ("MULTI",), ("PING",), ("EXEC",))


def test_watch_touched_by_another_client(ours, theirs):
    def steps(s):
        s.call("a", "SET", "k", "1")
        s.call("a", "WATCH", "k")
        s.call("b", "SET", "k", "2")
        s.call("a", "MULTI")
        s.call("a", "SET", "k", "3")
        s.call("a", "EXEC")
        s.call("a", "GET", "k")
        # not touched: the transaction runs
        s.call("a", "WATCH", "k")
        s.call("b", "GET", "k")
        s.call("a", "MULTI")
        s.call("a", "SET", "k", "4")
        s.call("a", "EXEC")
        # touched between MULTI and EXEC
        s.call("a", "WATCH", "k", "j")
        s.call("a", "MULTI")
        s.call("a", "SET", "k", "5")
        s.call("b", "INCR", "j")
        s.call("a", "EXEC")
        s.call("a", "GET", "k")
        # the other client's transaction touches it
        s.call("a", "WATCH", "k")
        s.call("b", "MULTI")
        s.call("b", "APPEND", "k", "x")
        s.call("b", "EXEC")
        s.call("a", "MULTI")
        s.call("a", "GET", "k")
        s.call("a", "EXEC")
        # a watcher that disconnects does not disturb the others
        s.call("c", "WATCH", "k")
        s.close("c")
        s.call("a", "WATCH", "k")
        s.call("a", "MULTI")
        s.call("a", "GET", "k")
        s.call("a", "EXEC")
    both(ours, theirs, steps)


# -- blocking clients and EXEC -------------------------------------------------------------------------

def test_exec_pushes_wake_blocked_clients_after_exec(ours, theirs):
    def steps(s):
        s.send("w1", "BLPOP", "l", "0")
        settle()
        s.send("w2", "BLMOVE", "l2", "l", "LEFT", "RIGHT", "0")
        settle()
        s.call("a", "MULTI")
        s.call("a", "RPUSH", "l", "a")
        s.call("a", "RPUSH", "l", "b")
        s.call("a", "LPUSH", "l2", "c")
        s.call("a", "LRANGE", "l", "0", "-1")
        s.call("a", "EXEC")
        s.read("w1")
        s.read("w2")
        s.call("a", "LRANGE", "l", "0", "-1")
        s.call("a", "LRANGE", "l2", "0", "-1")
        # pushed and popped again inside the transaction: nothing to serve
        s.send("w1", "BLPOP", "l3", "0")
        settle()
        s.call("a", "MULTI")
        s.call("a", "RPUSH", "l3", "x")
        s.call("a", "LPOP", "l3")
        s.call("a", "EXEC")
        s.nothing("w1")
        s.call("a", "RPUSH", "l3", "y")
        s.read("w1")
    both(ours, theirs, steps)


def test_blocked_client_pipeline_then_multi(ours, theirs):
    """A client's MULTI pipelined behind its own blocked command runs once it is served."""
    def steps(s):
        s.send_raw("w", b"".join(encode_command(*a) for a in [
            ("BLPOP", "q", "0"), ("MULTI",), ("LPUSH", "q", "z"), ("EXEC",)]))
        settle()
        s.call("a", "RPUSH", "q", "x")
        s.read("w", 4)
        s.call("a", "LRANGE", "q", "0", "-1")
    both(ours, theirs, steps)


def test_errorstats_and_commandstats(diff):
    diff.both("CONFIG", "RESETSTAT")
    diff.run(("MULTI",), ("NOPE",), ("EXEC",), ("MULTI",), ("SET", "a"), ("DISCARD",), ("EXEC",),
             ("MULTI",), ("INCR", "a"), ("LPUSH", "a", "x"), ("EXEC",))
    mine, real = diff.both("INFO", "errorstats")
    assert mine == real
    for name in ("multi", "exec", "discard", "incr", "lpush", "set"):
        mine, real = diff.both("INFO", "commandstats")
        line = lambda r: [x.split(b",usec=")[0] + b"|" + x.split(b",rejected_calls=")[1]
                          for x in r.split(b"\r\n") if x.startswith(b"cmdstat_%s:" % name.encode())]
        assert line(mine) == line(real), name


def test_monitor_sees_exec_and_its_commands(ours, theirs):
    """MONITOR shows MULTI, then each queued command as EXEC runs it, then EXEC; an EXEC rejected before
    running is shown too (execCommandAbort), queued commands of a discarded transaction never."""
    import re

    def steps(s):
        s.call("mon", "MONITOR")
        s.call("a", "MULTI")
        s.call("a", "SET", "k", "v")
        s.call("a", "GET", "k")
        s.call("a", "EXEC")
        s.call("a", "MULTI")
        s.call("a", "INCR", "n")
        s.call("a", "DISCARD")
        s.call("a", "MULTI")
        s.call("a", "GET")
        s.call("a", "EXEC")
        s.call("a", "EXEC", "extra")
        s.call("a", "SET", "done", "1")
        lines = []
        while not lines or b'"done"' not in lines[-1]:
            raw = s.conn("mon").read_reply()
            lines.append(re.sub(rb"^\+\d+\.\d+ \[(\d+) [^\]]+\]", rb"+T [\1 ADDR]", raw))
        s.log.append(lines)
    both(ours, theirs, steps)


# -- SWAPDB and WATCHed keys that expired (DEBUG SET-ACTIVE-EXPIRE 0 keeps them) ----------------------------

@pytest.mark.parametrize("case", ["stale-by-none", "none-by-stale", "stale-by-stale", "stale-by-live",
                                  "live-by-stale", "none-by-live"])
def test_swapdb_and_watched_stale_keys(ddiff, case):
    """touchAllWatchedKeysInDb: replacing an expired WATCHed key with no key or another expired key, or
    a missing one with an expired key, is no change; anything else makes EXEC fail."""
    watched_db, other_db = {"stale-by-none": ("1", None), "none-by-stale": (None, "0"),
                            "stale-by-stale": ("1", "0"), "stale-by-live": ("1", "live0"),
                            "live-by-stale": ("live1", "0"), "none-by-live": (None, "live0")}[case]
    ddiff.run(("DEBUG", "SET-ACTIVE-EXPIRE", "0"))
    for db, spec in (("1", watched_db), ("0", other_db)):
        if spec is not None:
            ddiff.run(("SELECT", db), ("SET", "x", db) if spec.startswith("live") else ("SET", "x", db, "PX", "1"))
    time.sleep(0.005)
    ddiff.run(("SELECT", "1"), ("WATCH", "x"), ("SWAPDB", "0", "1"), ("MULTI",), ("PING",), ("EXEC",),
              ("WATCH", "x"), ("MULTI",), ("PING",), ("EXEC",))


def test_commands_refused_by_a_busy_script_abort_the_transaction(ours, theirs):
    """A command refused with BUSY while a script runs too long flags the transaction (EXEC answers
    EXECABORT); EXEC itself refused with BUSY discards it (execCommandAbort)."""
    def steps(s):
        s.call("ctl", "CONFIG", "SET", "lua-time-limit", "10")
        s.call("ctl", "SET", "xx", "1")
        s.call("c2", "PING")  # (connected before the script runs)
        for exec_while_busy in (False, True):
            if exec_while_busy:
                s.call("c2", "MULTI")
                s.call("c2", "INCR", "xx")
            s.send("lua", "EVAL", "while true do end", "0")
            settle(0.05)
            if not exec_while_busy:
                s.call("c2", "MULTI")
            s.call("c2", "INCR", "xx")
            if exec_while_busy:
                s.call("c2", "EXEC")
            s.call("ctl", "SCRIPT", "KILL")
            s.read("lua")
            if not exec_while_busy:
                s.call("c2", "INCR", "xx")
                s.call("c2", "EXEC")
            s.call("ctl", "GET", "xx")
            s.call("c2", "PING", "asdf")
        s.call("ctl", "CONFIG", "SET", "lua-time-limit", "5000")
    both(ours, theirs, steps)


def test_noreplicas_and_masterdown_refusals(diff):
    """min-replicas-to-write refuses writes (EXEC of queued writes too) with NOREPLICAS; a replica whose
    link is down with replica-serve-stale-data no refuses all but stale-allowed commands (MASTERDOWN),
    EXEC included when it queued one."""
    try:
        diff.run(("SET", "xx", "1"), ("CONFIG", "SET", "min-replicas-to-write", "2"), ("SET", "xx", "2"),
                 ("GET", "xx"), ("MULTI",), ("INCR", "xx"), ("EXEC",), ("MULTI",), ("GET", "xx"), ("EXEC",))
        diff.run(("CONFIG", "SET", "min-replicas-to-write", "0"), ("MULTI",), ("INCR", "xx"))
        diff.run(("CONFIG", "SET", "min-replicas-to-write", "2"), ("EXEC",), ("GET", "xx"),
                 ("CONFIG", "SET", "min-replicas-max-lag", "0"), ("SET", "xx", "3"),
                 ("CONFIG", "SET", "min-replicas-to-write", "0"), ("CONFIG", "SET", "min-replicas-max-lag", "10"))
        diff.run(("CONFIG", "SET", "replica-serve-stale-data", "no"), ("MULTI",), ("GET", "xx"))
        diff.run(("REPLICAOF", "localhsot", "0"), ("EXEC",), ("GET", "xx"), ("PING",), ("MULTI",), ("PING",),
                 ("INFO", "nosuchsection"), ("EXEC",), ("REPLICAOF", "NO", "ONE"), ("MULTI",))
        diff.run(("REPLICAOF", "localhsot", "0"), ("GET", "xx"), ("REPLICAOF", "NO", "ONE"), ("EXEC",))
    finally:
        diff.both("REPLICAOF", "NO", "ONE")
        diff.both("CONFIG", "SET", "replica-serve-stale-data", "yes")
        diff.both("CONFIG", "SET", "min-replicas-to-write", "0")
        diff.both("CONFIG", "SET", "min-replicas-max-lag", "10")
