"""Pub/sub against redis-server 7.0, byte for byte: (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE confirmations,
PUBLISH / SPUBLISH delivery to several connections (RESP2 arrays and RESP3 pushes), patterns with
Redis's glob, the RESP2 subscribed-mode restriction, PUBSUB introspection, disconnects and RESET."""

from __future__ import annotations

import pytest
from helpers import encode_command
from scenario import both, settle


def resp3(diff):
    mine, real = diff.both("HELLO", "3")
    assert mine[:1] == real[:1] == b"%"


def _multi_reply(diff, n, *args):
    """A command answering ``n`` replies (one per channel): compare them all."""
    diff.a.send_raw(encode_command(*args))
    diff.b.send_raw(encode_command(*args))
    for _ in range(n):
        mine, real = diff.a.read_reply(), diff.b.read_reply()
        assert mine == real, "reply differs for %r:\n  ours:  %r\n  redis: %r" % (args, mine, real)


# -- confirmations -----------------------------------------------------------------------------------

@pytest.mark.parametrize("proto", [2, 3])
def test_subscribe_unsubscribe_confirmations(diff, proto):
    if proto == 3:
        resp3(diff)
    _multi_reply(diff, 3, "SUBSCRIBE", "ps:a", "ps:b", "ps:a")
    _multi_reply(diff, 2, "PSUBSCRIBE", "ps:*", "ps:?")
    _multi_reply(diff, 1, "SSUBSCRIBE", "ps:s1")
    _multi_reply(diff, 2, "SSUBSCRIBE", "ps:s2", "ps:s1")
    _multi_reply(diff, 2, "UNSUBSCRIBE", "ps:a", "ps:nope")
    _multi_reply(diff, 1, "PUNSUBSCRIBE", "ps:?")
    _multi_reply(diff, 1, "SUNSUBSCRIBE", "ps:s1")
    _multi_reply(diff, 1, "UNSUBSCRIBE")  # only ps:b is left: the order is known
    _multi_reply(diff, 1, "UNSUBSCRIBE")  # nothing left: a null channel
    _multi_reply(diff, 1, "PUNSUBSCRIBE")
    _multi_reply(diff, 1, "PUNSUBSCRIBE")
    _multi_reply(diff, 1, "SUNSUBSCRIBE")
    _multi_reply(diff, 1, "SUNSUBSCRIBE")
    diff.run(("PING",), ("GET", "x"))


def test_unsubscribe_when_never_subscribed(diff):
    _multi_reply(diff, 1, "UNSUBSCRIBE")
    _multi_reply(diff, 1, "PUNSUBSCRIBE")
    _multi_reply(diff, 1, "SUNSUBSCRIBE")
    _multi_reply(diff, 2, "UNSUBSCRIBE", "a", "b")
    _multi_reply(diff, 1, "PUNSUBSCRIBE", "x*")
    diff.run(("GET", "x"), ("SUBSCRIBE",), ("PSUBSCRIBE",), ("SSUBSCRIBE",), ("PUBLISH", "a"), ("SPUBLISH", "a"),
             ("PUBLISH", "a", "b", "c"))


# -- the RESP2 subscribed mode -------------------------------------------------------------------------

def test_resp2_subscribed_mode_restriction(diff):
    _multi_reply(diff, 1, "SUBSCRIBE", "ps:r")
    diff.run(
        ("GET", "x"), ("SET", "x", "1"), ("CONFIG", "GET", "maxmemory"), ("CLIENT", "ID"), ("HELLO", "3"),
        ("PUBLISH", "ps:r", "m"), ("MULTI",), ("EXEC",), ("PING",), ("PING", "hello"), ("PING", "a", "b"),
        ("NOSUCHCMD",), ("GET",), ("SELECT", "1"),
    )
    _multi_reply(diff, 1, "UNSUBSCRIBE")
    diff.run(("GET", "x"), ("PING",))
    # shard channels count for the restriction too, patterns as well
    _multi_reply(diff, 1, "SSUBSCRIBE", "ps:sh")
    _multi_reply(diff, 1, "SUBSCRIBE", "ps:c")
    _multi_reply(diff, 1, "UNSUBSCRIBE")
    diff.run(("GET", "x"))
    _multi_reply(diff, 1, "SUNSUBSCRIBE")
    diff.run(("GET", "x"))
    _multi_reply(diff, 1, "PSUBSCRIBE", "ps:*")
    diff.run(("GET", "x"), ("EXISTS", "x"))
    _multi_reply(diff, 1, "PUNSUBSCRIBE")
    diff.run(("GET", "x"))


def test_resp2_subscribed_then_multi(diff):
    """Commands refused in the subscribed context abort a transaction; EXEC itself is refused too."""
    diff.run(("MULTI",), ("SUBSCRIBE", "ps:m"), ("GET", "x"), ("EXEC",))
    _multi_reply(diff, 1, "SUBSCRIBE", "ps:m")
    diff.run(("MULTI",), ("GET", "x"), ("EXEC",), ("EXEC", "x"), ("DISCARD",))
    _multi_reply(diff, 1, "UNSUBSCRIBE")
    diff.run(("GET", "x"))


def test_resp3_subscribed_runs_anything(diff):
    resp3(diff)
    _multi_reply(diff, 1, "SUBSCRIBE", "ps:r3")
    diff.run(("SET", "x", "1"), ("GET", "x"), ("PING",), ("PING", "x"), ("HGETALL", "nokey"), ("CLIENT", "GETNAME"))
    # back to RESP2 while subscribed: now restricted
    mine, real = diff.both("HELLO", "2")
    assert mine[:1] == real[:1] == b"*"
    diff.run(("GET", "x"), ("PING",))
    _multi_reply(diff, 1, "UNSUBSCRIBE")
    diff.run(("GET", "x"))


def test_reset_leaves_all_channels(ours, theirs):
    def steps(s):
        s.send("sub", "SUBSCRIBE", "rs:a", "rs:b")
        s.read("sub", 2)
        s.send("sub", "PSUBSCRIBE", "rs:*")
        s.read("sub")
        s.send("sub", "SSUBSCRIBE", "rs:s")
        s.read("sub")
        s.call("ctl", "PUBSUB", "NUMSUB", "rs:a", "rs:b")
        s.call("ctl", "PUBSUB", "SHARDNUMSUB", "rs:s")
        s.call("sub", "RESET")
        s.call("sub", "GET", "x")
        s.call("ctl", "PUBSUB", "NUMSUB", "rs:a", "rs:b")
        s.call("ctl", "PUBSUB", "SHARDNUMSUB", "rs:s")
        s.call("ctl", "PUBLISH", "rs:a", "m")
        s.nothing("sub")
    both(ours, theirs, steps)


# -- delivery -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("proto", [2, 3])
def test_publish_to_several_subscribers(ours, theirs, proto):
    def steps(s):
        if proto == 3:
            for name in ("s1", "s2", "s3"):
                s.quiet(name, "HELLO", "3")
        s.send("s1", "SUBSCRIBE", "news", "sport")
        s.read("s1", 2)
        s.send("s2", "SUBSCRIBE", "news")
        s.read("s2")
        s.send("s3", "PSUBSCRIBE", "n*")
        s.read("s3")
        s.call("pub", "PUBLISH", "news", "hello")
        s.read("s1")
        s.read("s2")
        s.read("s3")
        s.call("pub", "PUBLISH", "sport", b"bin\x00\r\nary")
        s.read("s1")
        s.nothing("s2")
        s.nothing("s3")
        s.call("pub", "PUBLISH", "nothing-here", "")
        s.read("s3")
        s.call("pub", "PUBLISH", "zzz", "x")
        s.nothing("s1")
        s.nothing("s3")
        s.call("pub", "PUBSUB", "NUMSUB", "news", "sport", "n*", "zzz")
        s.call("pub", "PUBSUB", "NUMPAT")
        # a subscriber that disconnects is removed from every channel
        s.close("s2")
        settle()
        s.call("pub", "PUBSUB", "NUMSUB", "news")
        s.call("pub", "PUBLISH", "news", "again")
        s.read("s1")
        s.read("s3")
        s.close("s3")
        settle()
        s.call("pub", "PUBSUB", "NUMPAT")
        s.call("pub", "PUBLISH", "news", "last")
        s.read("s1")
    both(ours, theirs, steps)


def test_one_client_channel_and_pattern(ours, theirs):
    """A client subscribed to a channel and to a matching pattern gets both messages."""
    def steps(s):
        s.send("s", "SUBSCRIBE", "a.b")
        s.read("s")
        s.send("s", "PSUBSCRIBE", "a.*")
        s.read("s")
        s.call("p", "PUBLISH", "a.b", "1")
        s.read("s", 2)
        s.send("s", "PUNSUBSCRIBE", "a.*")
        s.read("s")
        s.call("p", "PUBLISH", "a.b", "2")
        s.read("s")
        s.call("p", "PUBLISH", "a.c", "3")
        s.nothing("s")
    both(ours, theirs, steps)


@pytest.mark.parametrize("pattern,channels", [
    ("h?llo", ["hello", "hallo", "hllo", "heello"]),
    ("h*llo", ["hllo", "heeeello", "hello!"]),
    ("h[ae]llo", ["hello", "hallo", "hillo"]),
    ("h[^e]llo", ["hello", "hallo"]),
    ("h[a-b]llo", ["hallo", "hbllo", "hcllo"]),
    ("h\\*llo", ["h*llo", "hello"]),
    ("*", ["x", ""]),
    ("[", ["[", "a"]),
])
def test_pattern_glob(ours, theirs, pattern, channels):
    def steps(s):  # the PUBLISH counts tell how many messages to read
        s.send("s", "PSUBSCRIBE", pattern)
        s.read("s")
        total = 0
        for ch in channels:
            r = s.call("p", "PUBLISH", ch, "m")
            total += int(r[1:-2])
        s.read("s", total)
        s.nothing("s")
        s.send("s", "PUNSUBSCRIBE")
        s.read("s")
    both(ours, theirs, steps)


def test_resp3_publish_to_myself(ours, theirs):
    """A RESP3 client subscribed to a channel it publishes to gets the push before PUBLISH's reply."""
    def steps(s):
        s.quiet("c", "HELLO", "3")
        s.send("c", "SUBSCRIBE", "me")
        s.read("c")
        s.send("c", "PUBLISH", "me", "hi")
        s.read("c", 2)
        s.send_raw("c", encode_command("PUBLISH", "me", "1") + encode_command("GET", "x")
                   + encode_command("PUBLISH", "me", "2"))
        s.read("c", 5)
        s.send("c", "UNSUBSCRIBE")
        s.read("c")
    both(ours, theirs, steps)


def test_pipelined_subscribe_and_messages(ours, theirs):
    def steps(s):
        s.send_raw("s", encode_command("SUBSCRIBE", "p1") + encode_command("PING") + encode_command("SUBSCRIBE", "p2")
                   + encode_command("PING", "x"))
        s.read("s", 4)
        s.call("p", "PUBLISH", "p2", "m")
        s.read("s")
        s.send_raw("s", encode_command("UNSUBSCRIBE", "p1") + encode_command("PING") + encode_command("GET", "x"))
        s.read("s", 3)
    both(ours, theirs, steps)


def test_shard_channels_standalone(ours, theirs):
    def steps(s):
        s.send("s", "SSUBSCRIBE", "sh1", "sh2")
        s.read("s", 2)
        s.send("s2", "SUBSCRIBE", "sh1")
        s.read("s2")
        s.send("s3", "PSUBSCRIBE", "sh*")
        s.read("s3")
        s.call("p", "SPUBLISH", "sh1", "shard-msg")
        s.read("s")
        s.nothing("s2")
        s.nothing("s3")
        s.call("p", "PUBLISH", "sh1", "global-msg")
        s.read("s2")
        s.read("s3")
        s.nothing("s")
        s.call("p", "PUBSUB", "SHARDCHANNELS", "sh1")
        s.call("p", "PUBSUB", "SHARDNUMSUB", "sh1", "sh2", "sh3")
        s.call("p", "PUBSUB", "NUMSUB", "sh1", "sh2")
        s.call("p", "PUBSUB", "CHANNELS", "sh*")
        s.send("s", "SUNSUBSCRIBE", "sh1")
        s.read("s")
        s.call("p", "SPUBLISH", "sh1", "x")
        s.call("p", "SPUBLISH", "sh2", "y")
        s.read("s")
    both(ours, theirs, steps)


# -- PUBSUB ---------------------------------------------------------------------------------------------

def test_pubsub_introspection(ours, theirs):
    def steps(s):
        s.send("s", "SUBSCRIBE", "int:a", "int:b", "int:ab", b"int:\x00bin")
        s.read("s", 4)
        s.send("s2", "SUBSCRIBE", "int:a")
        s.read("s2")
        s.send("s2", "PSUBSCRIBE", "int:*", "int:?")
        s.read("s2", 2)
        s.send("s3", "PSUBSCRIBE", "int:*")
        s.read("s3")
        s.call("p", "PUBSUB", "NUMSUB", "int:a", "int:b", "int:c", "int:*")
        s.call("p", "PUBSUB", "NUMSUB")
        s.call("p", "PUBSUB", "NUMPAT")
        s.call("p", "PUBSUB", "CHANNELS", "int:?b")
        s.call("p", "PUBSUB", "CHANNELS", "int:a")
        s.call("p", "PUBSUB", "CHANNELS", "nomatch*")
        s.call("p", "PUBSUB", "SHARDCHANNELS")
        s.call("p", "PUBSUB", "SHARDCHANNELS", "x")
        s.call("p", "PUBSUB", "SHARDNUMSUB", "int:a")
        for name in ("s", "s2", "s3"):
            s.close(name)
        settle()
        s.call("p", "PUBSUB", "NUMSUB", "int:a", "int:b")
        s.call("p", "PUBSUB", "CHANNELS", "int:*")
    both(ours, theirs, steps)


def test_pubsub_channels_unordered(ours, theirs):
    def steps(s):
        s.send("s", "SUBSCRIBE", "uo:1", "uo:2", "uo:3")
        s.read("s", 3)
        r = s.quiet("p", "PUBSUB", "CHANNELS", "uo:*")
        s.log.append(sorted(r.split(b"\r\n")))
    both(ours, theirs, steps)


def test_pubsub_errors_and_help(diff):
    diff.run(
        ("PUBSUB",), ("PUBSUB", "HELP"), ("PUBSUB", "help"), ("PUBSUB", "HELP", "x"), ("PUBSUB", "FOO"),
        ("PUBSUB", "CHANNELS", "a", "b"), ("PUBSUB", "SHARDCHANNELS", "a", "b"), ("PUBSUB", "NUMPAT", "x"),
        ("PUBSUB", "numsub", "x"), ("PUBSUB", "ShardNumSub"),
    )


def test_subscribe_counts_in_client_list_and_info(ours, theirs):
    def steps(s):
        s.send("s", "SUBSCRIBE", "cl:a", "cl:b")
        s.read("s", 2)
        s.send("s", "PSUBSCRIBE", "cl:*")
        s.read("s")
        s.send("s", "SSUBSCRIBE", "cl:s")
        s.read("s")
        r = s.quiet("p", "CLIENT", "LIST", "TYPE", "pubsub")
        fields = [f for f in r.split() if f.split(b"=")[0] in (b"flags", b"sub", b"psub", b"ssub", b"cmd")]
        s.log.append(fields)
    both(ours, theirs, steps)


# -- cluster mode: shard channels follow the slots -----------------------------------------------------------

@pytest.fixture(scope="module")
def cluster_servers():
    import shutil
    import time

    from helpers import RawClient, start_server

    args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
    servers = [start_server("ours", args=args), start_server("redis", args=args)]
    for s in servers:
        with RawClient(s.port) as c:
            c.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
            deadline = time.monotonic() + 10
            while b"cluster_state:ok" not in c.call("CLUSTER", "INFO") and time.monotonic() < deadline:
                time.sleep(0.1)
    yield servers
    for s in servers:
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)


def test_cluster_mode_shard_channels_leave_with_their_slot(cluster_servers):
    ours, theirs = cluster_servers

    def steps(s):
        slot = int(s.call("ctl", "CLUSTER", "KEYSLOT", "sc:{a}")[1:-2])
        s.quiet("r3", "HELLO", "3")
        s.send("sub", "SSUBSCRIBE", "sc:{a}", "sc:{a}2")
        s.read("sub", 2)
        s.send("r3", "SSUBSCRIBE", "sc:{a}")
        s.read("r3")
        s.send("sub", "SSUBSCRIBE", "sc:{b}")
        s.read("sub")
        s.call("ctl", "SSUBSCRIBE", "{a}x", "{b}y")
        s.call("ctl", "SPUBLISH", "sc:{a}", "m")
        s.read("sub")
        s.read("r3")
        s.call("ctl", "PUBSUB", "SHARDNUMSUB", "sc:{a}", "sc:{b}")
        s.call("ctl", "CLUSTER", "DELSLOTS", str(slot))
        s.read("sub", 2)  # sunsubscribe for both channels of the slot (order: by channel)
        s.read("r3")
        s.call("ctl", "PUBSUB", "SHARDNUMSUB", "sc:{a}", "sc:{b}")
        s.call("sub", "PING")
        s.call("r3", "GET", "sc:{b}")
        s.call("ctl", "SPUBLISH", "sc:{a}", "m")
        s.call("ctl", "CLUSTER", "ADDSLOTS", str(slot))
        s.call("ctl", "SPUBLISH", "sc:{b}", "n")
        s.read("sub")
    both(ours, theirs, steps)


def test_pushes_ignore_client_reply_off(ours, theirs):
    """Pub/sub messages and (un)subscribe confirmations are pushes: CLIENT REPLY OFF / SKIP do not silence
    them (CLIENT_PUSHING), while ordinary replies stay silent."""
    def steps(s):
        s.quiet("c", "HELLO", "3")
        s.send("c", "CLIENT", "REPLY", "OFF")
        s.send("c", "SUBSCRIBE", "ro:a")
        s.read("c")
        s.send("c", "GET", "x")
        s.call("p", "PUBLISH", "ro:a", "m1")
        s.read("c")
        s.send("c", "CLIENT", "REPLY", "ON")
        s.read("c")
        s.send("c", "CLIENT", "REPLY", "SKIP")
        s.send("c", "SUBSCRIBE", "ro:b")
        s.read("c")
        s.call("c", "GET", "x")
        s.send("c", "CLIENT", "REPLY", "SKIP")
        s.send("c", "GET", "x")
        s.send("c", "UNSUBSCRIBE", "ro:a")
        s.read("c")
        s.call("c", "PING")
    both(ours, theirs, steps)
