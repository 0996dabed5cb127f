"""What a master sends its replicas (and its AOF), against redis-server 7.0: the commands of a top-level
command go out wrapped in MULTI/EXEC when there are several (EXEC's queued writes, the DEL of a key a
write found expired + the write itself), the DELs of lazily expired keys come right before the command
that expired them, and a woken blocked client's DEL comes after the command that woke it (SWAPDB).

Both servers run with DEBUG enabled (SET-ACTIVE-EXPIRE 0 keeps expired keys until a command looks at
them) and a fake replica that did a full resync reads the stream."""

from __future__ import annotations

import time

import pytest
from helpers import RawClient, encode_command


@pytest.fixture
def pair(debug_servers):
    return debug_servers


def _attach_replica(port: int) -> RawClient:
    """A raw connection that did a full resync (RDB skipped) and is online (the only replica: the one of
    an earlier test may not be gone yet)."""
    with RawClient(port) as info:
        deadline = time.monotonic() + 10
        while b"connected_slaves:0" not in info.call("INFO", "replication"):
            assert time.monotonic() < deadline, "an earlier replica is still connected"
            time.sleep(0.01)
    c = RawClient(port, timeout=10)
    assert c.call("REPLCONF", "capa", "eof", "capa", "psync2") == b"+OK\r\n"
    c.send_raw(encode_command("PSYNC", "?", "-1"))

    def skip_newlines():
        while True:
            while not c.buf:
                c._fill()
            if c.buf[:1] != b"\n":
                return
            c.buf = c.buf[1:]

    skip_newlines()
    assert c.read_reply().startswith(b"+FULLRESYNC")
    skip_newlines()
    while b"\r\n" not in c.buf:
        c._fill()
    head, c.buf = c.buf.split(b"\r\n", 1)
    if head.startswith(b"$EOF:"):
        mark = head[5:]
        while mark not in c.buf:
            c._fill()
        c.buf = c.buf[c.buf.index(mark) + len(mark):]
    else:
        n = int(head[1:])
        while len(c.buf) < n:
            c._fill()
        c.buf = c.buf[n:]
    with RawClient(port) as info:
        deadline = time.monotonic() + 10
        while b"state=online" not in info.call("INFO", "replication"):
            assert time.monotonic() < deadline, "the replica never went online"
            c.send_raw(encode_command("REPLCONF", "ACK", "0"))
            time.sleep(0.01)
    # redis-server starts the command stream of a diskless replica at its first ACK once online
    # (repl_start_cmd_stream_on_ack): the ACKs above may all have come before
    c.send_raw(encode_command("REPLCONF", "ACK", "0"))
    return c


def _argv(reply: bytes) -> list:
    parts = reply.split(b"\r\n")
    return [parts[i] for i in range(2, len(parts) - 1, 2)]


def stream(port: int, steps) -> list:
    """Run ``steps`` (tuples: a command of the main connection, ("sleep", s), or ("on", name, cmd...) /
    ("send", name, cmd...) / ("read", name) for other connections); return the replies and the
    propagated commands (PINGs left out) up to a marker."""
    with RawClient(port) as c:
        c.call("FLUSHALL")
        c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        repl = _attach_replica(port)
        others: dict = {}
        replies = []
        try:
            for s in steps:
                if s[0] == "sleep":
                    time.sleep(s[1])
                elif s[0] in ("on", "send", "read"):
                    o = others.get(s[1])
                    if o is None:
                        o = others[s[1]] = RawClient(port)
                    if s[0] == "on":
                        replies.append(o.call(*s[2:]))
                    elif s[0] == "send":
                        o.send_raw(encode_command(*s[2:]))
                    else:
                        replies.append(o.read_reply())
                else:
                    replies.append(c.call(*s))
            c.call("SELECT", "0")
            c.call("SET", "stream-end", "1")
            cmds = []
            while True:
                argv = _argv(repl.read_reply())
                if argv[0].upper() in (b"PING", b"REPLCONF"):
                    continue
                cmds.append(argv)
                if argv[:2] == [b"SET", b"stream-end"]:
                    break
        finally:
            repl.close()
            for o in others.values():
                o.close()
            c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        return replies, [_no_time(a) for a in cmds]


def _no_time(argv: list) -> list:
    """Absolute times differ between the runs: PEXPIREAT k <ms> and SET k v PXAT <ms> lose them."""
    if argv[0] == b"PEXPIREAT":
        return argv[:2]
    if argv[0] == b"SET" and len(argv) == 5 and argv[3] == b"PXAT":
        return argv[:4]
    return argv


def same_stream(pair, steps) -> list:
    mine = stream(pair[0].port, steps)
    real = stream(pair[1].port, steps)
    assert mine == real, "ours:\n  %r\nredis:\n  %r" % (mine, real)
    return mine[1]


def test_exec_propagates_in_multi_exec(pair):
    cmds = same_stream(pair, [
        ("MULTI",), ("SET", "a", "1"), ("SET", "b", "2"), ("EXEC",),
        ("MULTI",), ("SET", "c", "1"), ("GET", "c"), ("EXEC",),  # one write: no MULTI
        ("MULTI",), ("GET", "c"), ("EXEC",),  # none
        ("MULTI",), ("SELECT", "3"), ("SET", "a", "1"), ("SELECT", "0"), ("LPUSH", "l", "x"), ("EXEC",),
    ])
    assert [b"MULTI"] in cmds


def test_write_on_an_expired_key_propagates_its_del_first(pair):
    cmds = same_stream(pair, [
        ("SET", "k", "1", "PX", "10"), ("SET", "j", "1", "PX", "10"), ("SET", "h", "1", "PX", "10"),
        ("SET", "m", "1", "PX", "10"), ("SET", "e", "1", "PX", "10"), ("SET", "f", "1", "PX", "10"),
        ("sleep", 0.03),
        ("SET", "k", "2"),  # MULTI DEL k SET k 2 EXEC
        ("INCR", "j"),
        ("GET", "h"),  # just the DEL, the GET itself is not propagated
        ("MSET", "m", "2", "n", "3"),
        ("MULTI",), ("GET", "e"), ("GET", "f"), ("EXEC",),  # two DELs, in MULTI/EXEC
    ])
    assert [b"GET", b"h"] not in cmds


def test_woken_client_on_expired_key_after_the_waking_command(pair):
    same_stream(pair, [
        ("SELECT", "1"), ("RPUSH", "k", "hello"), ("PEXPIRE", "k", "10"),
        ("on", "b", "SELECT", "9"), ("send", "b", "BRPOP", "k", "0"), ("sleep", 0.05),
        ("SWAPDB", "1", "9"),  # SWAPDB, then the DEL of the expired k it found for the blocked client
    ])
    same_stream(pair, [
        ("send", "b", "BRPOP", "k", "0"), ("sleep", 0.05),
        ("MULTI",), ("RPUSH", "k", "hello"), ("PEXPIRE", "k", "10"), ("DEBUG", "SLEEP", "0.02"), ("EXEC",),
    ])


def test_publish_goes_to_replicas(pair):
    """PUBLISH and SPUBLISH are propagated to replicas outside cluster mode (forceCommandPropagation),
    inside MULTI/EXEC too."""
    same_stream(pair, [
        ("PUBLISH", "ch", "m1"), ("MULTI",), ("PUBLISH", "ch", "m2"), ("EXEC",),
        ("MULTI",), ("PUBLISH", "ch", "m3"), ("SET", "a", "1"), ("EXEC",), ("SPUBLISH", "sh", "m4"),
    ])
