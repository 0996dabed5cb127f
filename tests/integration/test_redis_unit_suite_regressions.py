"""Regressions found by running Redis 7.0.15's own unit tests (tests/unit/*.tcl) with the suite spawning
our node as its server binary (so the tests tagged external:skip ran too).  Each test holds for Debian's
redis-server as well, and names the tcl unit that exposed the difference."""

from __future__ import annotations

import time

import pytest

from tests.helpers import RawClient, start_server, wait_until
from tests.resp_parse import parse

KINDS = ["ours", "redis"]


def _wait(pred, timeout=15.0, what="condition"):
    return wait_until(pred, timeout=timeout, interval=0.05, what=what)


def _info(client, section: str) -> dict:
    out = {}
    for line in client.call("INFO", section).decode().split("\r\n"):
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


@pytest.fixture(params=KINDS)
def server(request):
    srv = start_server(request.param, args=["--enable-debug-command", "yes"])
    try:
        yield srv
    finally:
        srv.stop()


def test_unauthenticated_clients_have_small_request_limits(server):
    """auth.tcl: before AUTH, a multibulk count over 10 or a bulk length over 16384 is a protocol error
    that closes the connection."""
    with RawClient(server.port) as c:
        assert c.call("CONFIG", "SET", "requirepass", "secret") == b"+OK\r\n"
    with RawClient(server.port) as c:
        c.send_raw(b"*100\r\n")
        assert c.read_until_close() == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    with RawClient(server.port) as c:
        c.send_raw(b"*1\r\n$100000000\r\n")
        assert c.read_until_close() == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    with RawClient(server.port) as c:  # once authenticated, no such limit
        assert c.call("AUTH", "secret") == b"+OK\r\n"
        assert c.call("MSET", *[b"k%d" % i for i in range(12)]) == b"+OK\r\n"
        assert c.call("SET", "big", b"x" * 20000) == b"+OK\r\n"


def test_a_client_paused_by_client_pause_counts_as_blocked(server):
    """pause.tcl: a command held back by CLIENT PAUSE WRITE makes its client a blocked client."""
    with RawClient(server.port) as r, RawClient(server.port) as w:
        assert r.call("CLIENT", "PAUSE", "60000", "WRITE") == b"+OK\r\n"
        w.send_raw(b"*3\r\n$3\r\nSET\r\n$3\r\nFOO\r\n$3\r\nBAR\r\n")
        _wait(lambda: _info(r, "clients")["blocked_clients"] == "1", what="blocked_clients:1")
        assert r.call("GET", "FOO") == b"$-1\r\n"  # reads still run
        assert r.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
        assert w.read_reply() == b"+OK\r\n"
        assert _info(r, "clients")["blocked_clients"] == "0"


def test_debug_htstats_reports_the_keyspace_tables(server):
    """other.tcl: DEBUG HTSTATS <db> prints the main and expires tables (verbatim text)."""
    with RawClient(server.port) as c:
        assert c.call("DEBUG", "POPULATE", "10") == b"+OK\r\n"
        c.call("SET", "a", "b", "EX", "100")
        text = parse(c.call("DEBUG", "HTSTATS", "0"))
        text = text if isinstance(text, bytes) else bytes(text)
        assert text.startswith(b"[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: 16\n"
                               b" number of elements: 11\n"), text
        assert b"[Expires HT]\nHash table 0 stats (main hash table):\n table size: 4\n number of elements: 1\n" in text
        assert parse(c.call("DEBUG", "HTSTATS", "3")) == (
            b"[Dictionary HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"
            b"[Expires HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n")
        assert c.call("DEBUG", "HTSTATS", "99") == b"-ERR Out of range database\r\n"
        assert c.call("DEBUG", "HTSTATS", "x") == b"-ERR value is not an integer or out of range\r\n"
        c.call("SADD", "ints", "1", "2")
        c.call("SADD", "strs", "a", "b")
        assert c.call("DEBUG", "HTSTATS-KEY", "ints") == (
            b"-ERR The value stored at the specified key is not represented using an hash table\r\n")
        assert c.call("DEBUG", "HTSTATS-KEY", "nokey") == b"-ERR no such key\r\n"
        assert parse(c.call("DEBUG", "HTSTATS-KEY", "strs")).startswith(b"Hash table 0 stats (main hash table):\n")


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_save_argument_resets_the_save_points_of_the_config_file(kind, tmp_path):
    """introspection.tcl "CONFIG save params special case": ``--save ""`` after a file's save line
    leaves no save points, and a later ``--save`` line appends to that empty list.  (start_server passes
    ``--save ""`` after the file itself.)"""
    conf = tmp_path / "redis.conf"
    conf.write_text("save 900 1\n")
    for extra, expected in (([], b""), (["--save", "100 100"], b"100 100")):
        srv = start_server(kind, config_file=str(conf), args=extra)
        try:
            with RawClient(srv.port) as c:
                got = parse(c.call("CONFIG", "GET", "save"))
                assert got == [b"save", expected], got
        finally:
            srv.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_debug_config_rewrite_force_all_writes_every_directive(kind, tmp_path):
    """introspection.tcl "CONFIG REWRITE sanity": the rewritten file lists the defaults too, and the
    server restarts from it."""
    conf = tmp_path / "redis.conf"
    conf.write_text("")
    srv = start_server(kind, config_file=str(conf), args=["--enable-debug-command", "yes"])
    try:
        with RawClient(srv.port) as c:
            assert c.call("DEBUG", "CONFIG-REWRITE-FORCE-ALL") == b"+OK\r\n"
    finally:
        srv.stop()
    lines = conf.read_text().splitlines()
    names = {ln.split(" ", 1)[0] for ln in lines if ln and not ln.startswith("#")}
    for d in ("hz", "maxmemory-policy", "latency-tracking", "list-max-listpack-size", "timeout"):
        assert d in names, d
    srv = start_server(kind, config_file=str(conf))
    try:
        with RawClient(srv.port) as c:
            assert c.call("PING") == b"+PONG\r\n"
    finally:
        srv.stop()


def _histogram(c, *names) -> dict:
    reply = parse(c.call("LATENCY", "HISTOGRAM", *names))
    return {reply[i]: reply[i + 1] for i in range(0, len(reply), 2)}


def test_latency_histogram_and_latencystats(server):
    """latency-monitor.tcl / info.tcl: per-command latency histograms (latency-tracking)."""
    with RawClient(server.port) as c:
        assert c.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
        h = _histogram(c)
        assert list(h) == [b"config|resetstat"]
        assert h[b"config|resetstat"][:2] == [b"calls", 1]
        c.call("CONFIG", "RESETSTAT")
        c.call("SET", "a", "b")
        c.call("SET", "c", "d")
        c.call("CLIENT", "ID")
        c.call("CLIENT", "LIST")
        h = _histogram(c, "set", "get")
        assert list(h) == [b"set"]
        calls, n, label, buckets = h[b"set"]
        assert (calls, n, label) == (b"calls", 2, b"histogram_usec")
        assert buckets[-1] == 2 and all(isinstance(x, int) for x in buckets)
        assert sorted(_histogram(c, "client")) == [b"client|id", b"client|list"]
        assert list(_histogram(c, "client|id")) == [b"client|id"]
        # a 50 ms command lands in the 67633 us bucket (HdrHistogram levels of 1024 ns * 2^n)
        c.call("DEBUG", "SLEEP", "0.05")
        assert _histogram(c, "debug")[b"debug"][3] == [67633, 1]
        stats = _info(c, "latencystats")
        p50 = float(stats["latency_percentiles_usec_debug"].split(",")[0].split("=")[1])
        assert stats["latency_percentiles_usec_debug"].startswith("p50=") and 50000 <= p50 <= 67633
        assert c.call("CONFIG", "SET", "latency-tracking-info-percentiles", "0.0 50.0 100.0") == b"+OK\r\n"
        v = _info(c, "latencystats")["latency_percentiles_usec_set"]
        assert v.startswith("p0=") and ",p50=" in v and ",p100=" in v, v
        assert c.call("CONFIG", "SET", "latency-tracking", "no") == b"+OK\r\n"
        c.call("CONFIG", "RESETSTAT")
        c.call("SET", "a", "b")
        assert _info(c, "latencystats") == {}
        assert parse(c.call("LATENCY", "HISTOGRAM")) == []


def test_blocked_commands_are_timed_when_served(server):
    """info.tcl "latencystats: blocking commands": BLPOP's histogram gets an entry when it is served."""
    with RawClient(server.port) as c, RawClient(server.port) as b:
        c.call("CONFIG", "RESETSTAT")
        b.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\n0\r\n")
        _wait(lambda: _info(c, "clients")["blocked_clients"] == "1", what="blocked client")
        assert list(_histogram(c, "blpop")) == []
        c.call("LPUSH", "l", "x")
        assert parse(b.read_reply()) == [b"l", b"x"]
        assert _histogram(c, "blpop")[b"blpop"][:2] == [b"calls", 1]


def _client_field(c, name: bytes, field: str) -> int:
    for line in parse(c.call("CLIENT", "LIST")).split(b"\n"):
        if b" name=%s " % name in line:
            for part in line.decode().split(" "):
                if part.startswith(field + "="):
                    return int(part.split("=", 1)[1])
    raise AssertionError("client %r not listed" % name)


def test_reply_buffer_shrinks_when_idle_and_grows_when_filled(server):
    """replybufsize.tcl: CLIENT LIST rbs follows the clients cron's reply buffer resizing
    (DEBUG REPLYBUFFER PEAK-RESET-TIME)."""
    with RawClient(server.port) as r, RawClient(server.port) as tc:
        assert r.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100") == b"+OK\r\n"
        assert tc.call("CLIENT", "SETNAME", "test_client") == b"+OK\r\n"
        _wait(lambda: 1024 <= _client_field(r, b"test_client", "rbs") < 2046, what="rbs to shrink")
        r.call("SET", "bigval", b"x" * 32768)
        assert r.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never") == b"+OK\r\n"

        def grown():
            tc.call("GET", "bigval")
            return 16384 <= _client_field(r, b"test_client", "rbs") < 32768

        _wait(grown, what="rbs to grow")
        assert r.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "reset") == b"+OK\r\n"
        assert r.call("DEBUG", "REPLYBUFFER", "RESIZING", "0") == b"+OK\r\n"
        assert r.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "abc") == (
            b"-ERR value is not an integer or out of range\r\n")
        assert r.call("DEBUG", "REPLYBUFFER", "FOO", "1").startswith(b"-ERR unknown subcommand")


def test_client_pause_write_holds_scripts_unless_they_declare_no_writes(server):
    """pause.tcl: EVAL without a shebang may replicate, so CLIENT PAUSE WRITE holds it; a script (or
    function) whose flags say no-writes runs."""
    with RawClient(server.port) as r, RawClient(server.port) as rd, RawClient(server.port) as rr:
        body = "#!lua name=f1\nredis.register_function{function_name='f1', callback=function() return 'hello' end, flags={'no-writes'}}"
        assert r.call("FUNCTION", "LOAD", "REPLACE", body) == b"$2\r\nf1\r\n"
        assert r.call("CLIENT", "PAUSE", "60000", "WRITE") == b"+OK\r\n"
        rd.send_raw(b"*3\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n0\r\n")
        _wait(lambda: _info(r, "clients")["blocked_clients"] == "1", what="the EVAL to wait")
        assert rr.call("EVAL", "#!lua flags=no-writes\nreturn 'unique script'", "0") == b"$13\r\nunique script\r\n"
        assert rr.call("FCALL", "f1", "0") == b"$5\r\nhello\r\n"
        assert r.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
        assert rd.read_reply() == b":1\r\n"


def test_client_pause_write_runs_transactions_of_read_only_scripts_and_defers_expiry(server):
    """pause.tcl: an EXEC whose queued scripts declare no-writes is not held; while paused, expired keys
    read as missing but are neither actively nor lazily deleted (expired_keys unchanged)."""
    with RawClient(server.port) as r, RawClient(server.port) as rr:
        assert r.call("CLIENT", "PAUSE", "100000", "WRITE") == b"+OK\r\n"
        assert rr.call("MULTI") == b"+OK\r\n"
        assert rr.call("EVAL", "#!lua flags=no-writes\nreturn 12", "0") == b"+QUEUED\r\n"
        assert rr.call("EXEC") == b"*1\r\n:12\r\n"
        assert r.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
        before = int(_info(r, "stats")["expired_keys"])
        assert r.call("MULTI") == b"+OK\r\n"
        r.call("SET", "foo{t}", "bar", "PX", "10")
        r.call("SET", "bar{t}", "foo", "PX", "10")
        r.call("CLIENT", "PAUSE", "50000", "WRITE")
        assert r.call("EXEC") == b"*3\r\n+OK\r\n+OK\r\n+OK\r\n"
        time.sleep(0.3)
        assert r.call("GET", "foo{t}") == b"$-1\r\n" and r.call("GET", "bar{t}") == b"$-1\r\n"
        assert int(_info(r, "stats")["expired_keys"]) == before
        assert r.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
        r.call("GET", "foo{t}")
        r.call("GET", "bar{t}")
        assert int(_info(r, "stats")["expired_keys"]) == before + 2


def test_active_expiry_of_a_big_key_is_a_latency_event(server):
    """latency-monitor.tcl "LATENCY of expire events": an expire cycle over the threshold is recorded as
    the expire-cycle event."""
    with RawClient(server.port) as c:
        for i in range(0, 400000, 20000):
            c.call("SADD", "big", *[b"m%d" % j for j in range(i, i + 20000)])
        assert c.call("CONFIG", "SET", "latency-monitor-threshold", "1") == b"+OK\r\n"
        c.call("PEXPIRE", "big", "50")
        _wait(lambda: c.call("DBSIZE") == b":0\r\n", what="the key to expire")
        assert b"expire-cycle" in c.call("LATENCY", "LATEST")


def test_bcast_noloop_client_hears_of_a_key_its_own_transaction_expired(server):
    """tracking.tcl "Tracking gets notification of lazy expired keys": a key the client itself set in a
    transaction (an invalidation NOLOOP filters) and that expires afterwards is invalidated once, by the
    expiry (no client did it); inside EXEC time stands still, so the transaction's GET still sees it."""
    with RawClient(server.port) as r, RawClient(server.port) as redir:
        rid = int(parse(redir.call("CLIENT", "ID")))
        assert redir.call("SUBSCRIBE", "__redis__:invalidate").startswith(b"*3\r\n")
        assert r.call("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", str(rid), "NOLOOP") == b"+OK\r\n"
        r.call("MULTI")
        r.call("SET", "mykey{t}", "myval", "PX", "1")
        r.call("SET", "mykeyotherkey{t}", "myval")
        r.call("DEBUG", "SLEEP", "0.1")
        r.call("GET", "mykey{t}")
        assert r.call("EXEC") == b"*4\r\n+OK\r\n+OK\r\n+OK\r\n$5\r\nmyval\r\n"  # (time stands still in EXEC)
        assert parse(redir.read_reply()) == [b"message", b"__redis__:invalidate", [b"mykey{t}"]]


def test_scripts_on_a_stale_replica_follow_their_allow_stale_flag(server):
    """functions.tcl "FUNCTION - allow stale": with replica-serve-stale-data no and the link down, a
    function runs only if it declared allow-stale, and then only commands flagged stale."""
    lib = ("#!lua name=test\n"
           "redis.register_function{function_name='f1', callback=function() return 'hello' end, flags={'no-writes'}}\n"
           "redis.register_function{function_name='f2', callback=function() return 'hello' end, flags={'allow-stale', 'no-writes'}}\n"
           "redis.register_function{function_name='f3', callback=function() return redis.call('get', 'x') end, flags={'allow-stale', 'no-writes'}}\n"
           "redis.register_function{function_name='f4', callback=function() return redis.call('info', 'server') end, flags={'allow-stale', 'no-writes'}}\n")
    with RawClient(server.port) as r:
        assert r.call("FUNCTION", "LOAD", "REPLACE", lib) == b"$4\r\ntest\r\n"
        assert r.call("CONFIG", "SET", "replica-serve-stale-data", "no") == b"+OK\r\n"
        assert r.call("REPLICAOF", "127.0.0.1", "1") == b"+OK\r\n"
        try:
            assert r.call("FCALL", "f1", "0").startswith(b"-MASTERDOWN ")
            assert r.call("FCALL", "f2", "0") == b"$5\r\nhello\r\n"
            assert r.call("FCALL", "f3", "0").startswith(b"-ERR Can not execute the command on a stale replica")
            assert b"redis_version" in r.call("FCALL", "f4", "0")
            assert r.call("EVAL", "#!lua flags=no-writes\nreturn 1", "0").startswith(b"-MASTERDOWN ")
            assert r.call("EVAL", "#!lua flags=allow-stale,no-writes\nreturn 1", "0") == b":1\r\n"
            assert r.call("EVAL", "return 1", "0").startswith(b"-MASTERDOWN ")  # (no shebang: no allow-stale)
        finally:
            r.call("REPLICAOF", "NO", "ONE")


def test_a_script_that_reads_makes_its_caller_track_the_keys_it_was_given(server):
    """tracking.tcl "Tracking only occurs for scripts when a command calls a read-only command"."""
    with RawClient(server.port) as r, RawClient(server.port) as w:
        assert r.call("HELLO", "3").startswith(b"%")
        assert r.call("CLIENT", "TRACKING", "on") == b"+OK\r\n"
        w.call("MSET", "key2{t}", "1", "key1{t}", "1")
        r.call("EVAL", "redis.call('set', 'key3{t}', 'bar')", "2", "key1{t}", "key2{t}")
        w.call("MSET", "key2{t}", "2", "key1{t}", "2")
        r.call("EVAL_RO", "redis.call('get', 'key3{t}')", "2", "key1{t}", "key2{t}")
        w.call("MSET", "key2{t}", "3", "key1{t}", "3")
        assert r.read_reply() == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$7\r\nkey2{t}\r\n"
        assert r.read_reply() == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$7\r\nkey1{t}\r\n"
        assert r.call("PING") == b"+PONG\r\n"


def test_subscribers_are_killed_when_their_user_loses_allchannels(server):
    """acl.tcl "Subscribers are killed when revoked of allchannels permission"."""
    with RawClient(server.port) as r, RawClient(server.port) as rd:
        assert r.call("ACL", "SETUSER", "psuser", "on", ">pspass", "+@all", "allchannels") == b"+OK\r\n"
        assert rd.call("AUTH", "psuser", "pspass") == b"+OK\r\n"
        assert rd.call("CLIENT", "SETNAME", "deathrow") == b"+OK\r\n"
        assert rd.call("PSUBSCRIBE", "foo").startswith(b"*3\r\n")
        assert r.call("ACL", "SETUSER", "psuser", "resetchannels") == b"+OK\r\n"
        assert b"deathrow" not in r.call("CLIENT", "LIST")


def test_unlink_of_a_big_value_counts_as_lazy_freed(server):
    """lazyfree.tcl "lazy free a stream with all types of metadata" / "... with deleted cgroup"."""
    with RawClient(server.port) as r:
        r.call("CONFIG", "RESETSTAT")
        r.call("CONFIG", "SET", "stream-node-max-entries", "5")
        for j in range(1000):
            r.call("XADD", "stream", "*", "foo" if j % 10 else "bar", str(j))
        r.call("XGROUP", "CREATE", "stream", "mygroup", "0")
        r.call("XREADGROUP", "GROUP", "mygroup", "Alice", "COUNT", "2", "STREAMS", "stream", ">")
        assert r.call("UNLINK", "stream") == b":1\r\n"
        _wait(lambda: _info(r, "memory")["lazyfree_pending_objects"] == "0", what="lazyfree done")
        assert _info(r, "memory")["lazyfreed_objects"] == "1"
        r.call("CONFIG", "RESETSTAT")
        r.call("XADD", "s", "*", "a", "b")
        r.call("XGROUP", "CREATE", "s", "bla", "$")
        r.call("XGROUP", "DESTROY", "s", "bla")
        r.call("SET", "str", "x")
        assert r.call("UNLINK", "s", "str") == b":2\r\n"
        _wait(lambda: _info(r, "memory")["lazyfree_pending_objects"] == "0", what="lazyfree done")
        assert _info(r, "memory")["lazyfreed_objects"] == "0"


def test_an_unblocked_client_gets_its_reply_before_its_invalidations(server):
    """tracking.tcl "Unblocked BLMOVE gets notification after response"."""
    with RawClient(server.port) as r, RawClient(server.port) as rd:
        r.call("RPUSH", "list2{t}", "a")
        assert rd.call("HELLO", "3").startswith(b"%")
        assert rd.call("CLIENT", "TRACKING", "on") == b"+OK\r\n"
        assert rd.call("LRANGE", "list2{t}", "0", "-1") == b"*1\r\n$1\r\na\r\n"
        rd.send_raw(b"*6\r\n$6\r\nBLMOVE\r\n$8\r\nlist1{t}\r\n$8\r\nlist2{t}\r\n$4\r\nleft\r\n$4\r\nleft\r\n$1\r\n0\r\n")
        _wait(lambda: _info(r, "clients")["blocked_clients"] == "1", what="BLMOVE to block")
        r.call("RPUSH", "list1{t}", "foo")
        assert rd.read_reply() == b"$3\r\nfoo\r\n"
        assert rd.read_reply() == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$8\r\nlist2{t}\r\n"


def _closed_without_reply(c, *args) -> bool:
    c.send_raw(b"".join([b"*%d\r\n" % len(args)] + [b"$%d\r\n%s\r\n" % (len(a), a) for a in
                                                   (x if isinstance(x, bytes) else x.encode() for x in args)]))
    return c.read_until_close(timeout=10) == b""


def test_a_reply_over_the_hard_output_buffer_limit_closes_the_client_unsent(server):
    """obuf-limits.tcl: a single reply, a transaction's, a KEYS reply or an HRANDFIELD / SRANDMEMBER /
    ZRANDMEMBER with a huge negative count that goes over the hard limit closes the client and nothing
    is sent; the transaction still ran completely."""
    with RawClient(server.port) as r:
        assert r.call("CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0") == b"+OK\r\n"
        for _ in range(150):
            r.call("LPUSH", "mylist2", b"x" * 1000)
        r.call("HSET", "myhash", "a", "b")
        r.call("SADD", "myset", "a")
        r.call("ZADD", "myzset", "1", "a")
        r.call("SET", "k1", "v1")
    with RawClient(server.port) as c:
        assert _closed_without_reply(c, "LRANGE", "mylist2", "0", "-1")
    with RawClient(server.port) as c:
        for cmd in (("MULTI",), ("SET", "k2", "v2"), ("LRANGE", "mylist2", "0", "-1"), ("SET", "k3", "v3"),
                    ("DEL", "k1")):
            c.call(*cmd)
        assert _closed_without_reply(c, "EXEC")
    for cmd in (("HRANDFIELD", "myhash", "-999999999"), ("SRANDMEMBER", "myset", "-999999999"),
                ("ZRANDMEMBER", "myzset", "-999999999")):
        with RawClient(server.port) as c:
            assert _closed_without_reply(c, *cmd), cmd
    with RawClient(server.port) as r:
        assert r.call("MGET", "k1", "k2", "k3") == b"*3\r\n$-1\r\n$2\r\nv2\r\n$2\r\nv3\r\n"
        for i in range(1000):
            r.call("SET", "long-key-name-prefix-of-100-chars-%s-%d" % ("-" * 70, i), "v")
    with RawClient(server.port) as c:
        assert _closed_without_reply(c, "KEYS", "*")


def test_a_soft_output_buffer_limit_runs_out_without_traffic(server):
    """obuf-limits.tcl "Client output buffer soft limit is not enforced too early and is enforced when
    no traffic": the clients cron closes a subscriber that stayed over its soft limit long enough."""
    with RawClient(server.port) as r, RawClient(server.port) as sub:
        assert r.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 100000 2") == b"+OK\r\n"
        assert sub.call("CLIENT", "SETNAME", "test_client") == b"+OK\r\n"
        assert sub.call("SUBSCRIBE", "foo").startswith(b"*3\r\n")

        def omem():
            for line in parse(r.call("CLIENT", "LIST")).split(b"\n"):
                if b"name=test_client" in line:
                    return int(line.split(b" omem=")[1].split(b" ")[0])
            return -1

        _wait(lambda: r.call("PUBLISH", "foo", b"x" * 100000) and omem() > 100000, timeout=20,
              what="the subscriber's output buffer to fill")
        _wait(lambda: omem() == -1, timeout=6, what="the subscriber to be closed")


@pytest.mark.parametrize("kind", KINDS)
def test_migrate_cached_sockets_counts_the_cached_connections(kind):
    """dump.tcl "MIGRATE is caching connections"."""
    a = start_server(kind)
    b = start_server(kind)
    try:
        with RawClient(a.port) as r:
            assert _info(r, "stats")["migrate_cached_sockets"] == "0"
            r.call("SET", "key", "Some Value")
            assert r.call("MIGRATE", "127.0.0.1", str(b.port), "key", "9", "1000") == b"+OK\r\n"
            assert _info(r, "stats")["migrate_cached_sockets"] == "1"
    finally:
        a.stop()
        b.stop()


def _evicted_while_sending(c, data: bytes) -> None:
    """The server closes the client, with no reply, while (or after) it sends ``data``: a close with
    unread input reaches the sender as a reset, whichever server."""
    try:
        c.send_raw(data)
        assert c.read_until_close(timeout=10) == b""
    except (ConnectionResetError, BrokenPipeError):
        pass


def test_maxmemory_clients_evicts_the_biggest_client(server):
    """client-eviction.tcl: with maxmemory-clients, a client whose command arguments, unfinished query
    buffer or watched keys take the clients over the limit is closed (INFO evicted_clients)."""
    limit = 3000000
    with RawClient(server.port) as r:
        assert r.call("CONFIG", "SET", "maxmemory-clients", str(limit)) == b"+OK\r\n"
        assert r.call("CLIENT", "NO-EVICT", "on") == b"+OK\r\n"
        with RawClient(server.port) as c:
            assert c.call("MSET", "k", "v", "k2", b"v" * 1000000) == b"+OK\r\n"
            assert c.call("GET", "k") == b"$1\r\nv\r\n"
            _evicted_while_sending(c, b"*5\r\n$4\r\nMSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nk2\r\n$%d\r\n%s\r\n"
                                   % (limit, b"v" * limit))
        with RawClient(server.port) as c:
            _evicted_while_sending(c, b"*1\r\n$%d\r\n%s" % (limit, b"v" * limit))
        assert r.call("CONFIG", "SET", "maxmemory-clients", "200000") == b"+OK\r\n"
        with RawClient(server.port) as c:
            with pytest.raises((ConnectionError, OSError)):
                for j in range(200000):
                    c.call("WATCH", str(j))
        assert int(_info(r, "stats")["evicted_clients"]) >= 3
        assert r.call("PING") == b"+PONG\r\n"


def test_tracking_table_max_keys_evicts_tracked_keys(server):
    """tracking.tcl "Tracking gets notification on tracking table key eviction" and "Server is able to
    evacuate enough keys when num of keys surpasses limit by more than defined initial effort"."""
    with RawClient(server.port) as r, RawClient(server.port) as redir, RawClient(server.port) as w:
        rid = int(parse(redir.call("CLIENT", "ID")))
        assert redir.call("SUBSCRIBE", "__redis__:invalidate").startswith(b"*3\r\n")
        assert r.call("CLIENT", "TRACKING", "on", "REDIRECT", str(rid)) == b"+OK\r\n"
        n = 250
        for i in range(n):
            w.call("SET", "key%d" % i, str(i))
            r.call("GET", "key%d" % i)
        assert _info(r, "stats")["tracking_total_keys"] == str(n)
        assert r.call("CONFIG", "SET", "tracking-table-max-keys", "1") == b"+OK\r\n"
        got = set()
        for _ in range(n - 1):
            msg = parse(redir.read_reply())
            assert msg[:2] == [b"message", b"__redis__:invalidate"]
            got.update(msg[2])
        assert len(got) == n - 1
        _wait(lambda: _info(r, "stats")["tracking_total_keys"] == "1", what="the table to shrink")
        r.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")


def test_tracking_table_limit_applies_before_the_next_command(server):
    """tracking.tcl "Regression test for #11715": with the cron paused, the next command applies
    tracking-table-max-keys first, so its client hears of the dropped key before the command's reply."""
    with RawClient(server.port) as r, RawClient(server.port) as rd:
        r.call("CONFIG", "SET", "tracking-table-max-keys", "2")
        assert r.call("DEBUG", "PAUSE-CRON", "1") == b"+OK\r\n"
        try:
            assert rd.call("HELLO", "3").startswith(b"%")
            assert rd.call("CLIENT", "TRACKING", "on") == b"+OK\r\n"
            assert rd.call("MGET", "1{tag}", "2{tag}") == b"*2\r\n_\r\n_\r\n"
            assert rd.call("MULTI") == b"+OK\r\n"
            r.call("CONFIG", "SET", "tracking-table-max-keys", "1")
            first = rd.call("PING")
            assert first.startswith(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$") and first.endswith(b"{tag}\r\n"), first
            assert rd.read_reply() == b"+QUEUED\r\n"
            assert rd.call("EXEC") == b"*1\r\n+PONG\r\n"
        finally:
            r.call("DEBUG", "PAUSE-CRON", "0")
            r.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")


def test_evictions_are_not_changes_and_wait_for_the_end_of_a_transaction(server):
    """maxmemory.tcl "propagation with eviction" / "... in MULTI": evicted keys do not count as changes
    (CONFIG SET maxmemory is not propagated for them; rdb_changes_since_last_save stays), and a
    transaction that lowers maxmemory runs to its end before anything is evicted."""
    with RawClient(server.port) as r:
        r.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        assert r.call("MULTI") == b"+OK\r\n"
        r.call("INCR", "x")
        r.call("CONFIG", "SET", "maxmemory", "1")
        r.call("INCR", "x")
        assert r.call("EXEC") == b"*3\r\n:1\r\n+OK\r\n:2\r\n"
        _wait(lambda: r.call("DBSIZE") == b":0\r\n", what="x to be evicted")
        r.call("CONFIG", "SET", "maxmemory", "0")
        for i in range(3):
            r.call("SET", "asdf%d" % i, str(i))
        before = _info(r, "persistence")["rdb_changes_since_last_save"]
        r.call("CONFIG", "SET", "maxmemory", "1")
        _wait(lambda: r.call("DBSIZE") == b":0\r\n", what="the keys to be evicted")
        r.call("CONFIG", "SET", "maxmemory", "0")
        assert _info(r, "persistence")["rdb_changes_since_last_save"] == before
        assert int(_info(r, "stats")["evicted_keys"]) >= 4


def test_setrange_creates_an_exactly_sized_string(server):
    """maxmemory.tcl fills 11 MB with SETRANGE k 100000 x: a new key's string has no room to grow, so
    MEMORY USAGE (and the eviction estimate) is redis-server's."""
    with RawClient(server.port) as r:
        assert r.call("SETRANGE", "k", "100000", "x") == b":100001\r\n"
        assert r.call("MEMORY", "USAGE", "k") == b":114736\r\n"
        assert r.call("OBJECT", "ENCODING", "k") == b"$3\r\nraw\r\n"
        assert r.call("SETRANGE", "s", "3", "x") == b":4\r\n"
        assert r.call("OBJECT", "ENCODING", "s") == b"$3\r\nraw\r\n"


@pytest.mark.parametrize("kind", KINDS)
def test_bind_source_addr_is_where_the_replica_connects_from(kind):
    """unit/networking "CONFIG SET bind-source-addr": the link to the master leaves from that address,
    so the master lists the replica with it."""
    master = start_server(kind)
    replica = start_server(kind)
    try:
        with RawClient(master.port) as m, RawClient(replica.port) as r:
            # (redis-server's protected mode lets only 127.0.0.1 and ::1 in; ours, all of 127.0.0.0/8)
            assert m.call("CONFIG", "SET", "protected-mode", "no") == b"+OK\r\n"
            assert r.call("CONFIG", "SET", "bind-source-addr", "127.0.0.2") == b"+OK\r\n"
            assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
            _wait(lambda: _info(r, "replication").get("master_link_status") == "up", what="the link up")
            assert "ip=127.0.0.2," in _info(m, "replication")["slave0"]
            assert r.call("CONFIG", "GET", "bind-source-addr") == b"*2\r\n$16\r\nbind-source-addr\r\n$9\r\n127.0.0.2\r\n"
    finally:
        replica.stop()
        master.stop()


def _aof_incr_text(workdir: str) -> bytes:
    import glob
    import os
    data = b""
    for f in sorted(glob.glob(os.path.join(workdir, "appendonlydir", "*.incr.aof"))):
        with open(f, "rb") as fh:
            data += fh.read()
    return data


@pytest.mark.parametrize("kind", KINDS)
def test_flushall_counts_its_keys_not_itself_and_is_always_propagated(kind):
    """other.tcl: FLUSHALL adds the keys it removed to the dirty counter (and no more), resets it to 0
    with save points (the foreground save), and, with nothing to count, still goes to the AOF
    (forceCommandPropagation); so does an empty FLUSHDB."""
    srv = start_server(kind, args=["--appendonly", "yes"])
    try:
        with RawClient(srv.port) as c:
            assert c.call("SET", "a", "1") == b"+OK\r\n"
            assert c.call("SET", "b", "2") == b"+OK\r\n"
            assert c.call("FLUSHALL") == b"+OK\r\n"
            assert _info(c, "persistence")["rdb_changes_since_last_save"] == "4"
            assert c.call("FLUSHALL") == b"+OK\r\n"  # empty: not counted...
            assert c.call("FLUSHDB") == b"+OK\r\n"
            assert _info(c, "persistence")["rdb_changes_since_last_save"] == "4"
            # ...but in the AOF all the same (the reply leaves once the AOF buffer is written)
            assert _aof_incr_text(srv.workdir).count(b"*1\r\n$8\r\nFLUSHALL\r\n") == 2
            assert _aof_incr_text(srv.workdir).count(b"*1\r\n$7\r\nFLUSHDB\r\n") == 1
            assert c.call("CONFIG", "SET", "save", "3600 1") == b"+OK\r\n"
            assert c.call("SET", "a", "1") == b"+OK\r\n"
            assert c.call("FLUSHALL") == b"+OK\r\n"
            assert _info(c, "persistence")["rdb_changes_since_last_save"] == "0"
            assert c.call("FLUSHALL") == b"+OK\r\n"  # the counter was 0 and stays 0: still propagated
            assert _info(c, "persistence")["rdb_changes_since_last_save"] == "0"
            assert _aof_incr_text(srv.workdir).count(b"*1\r\n$8\r\nFLUSHALL\r\n") == 4
    finally:
        srv.stop()


def test_sort_keys_and_patterns_follow_read_and_write_key_permissions(server):
    """acl-v2.tcl: SORT's key spec is incomplete, so the ACL takes its keys from sortGetKeys (the sorted
    key read, the last STORE key written; SORT_RO: its key read); BY / GET patterns need a selector
    that reads every key (``~*`` or ``%R~*``; ``%W~*`` is not enough)."""
    with RawClient(server.port) as c:
        assert c.call("ACL", "SETUSER", "ct", "+@all", "%R~read*", "%W~write*", "%RW~rw*") == b"+OK\r\n"

        def dry(*args):
            r = parse(c.call("ACL", "DRYRUN", "ct", *args))
            return r.encode() if isinstance(r, str) else bytes(r)

        no = b"This user has no permissions to access the '%s' key"
        assert dry("SORT", "read", "STORE", "write") == b"OK"
        assert dry("SORT", "read", "STORE", "read") == no % b"read"
        assert dry("SORT", "write", "STORE", "write") == no % b"write"
        assert dry("SORT", "read", "LIMIT", "0", "1", "STORE", "write", "STORE", "read") == no % b"read"
        assert dry("SORT", "read", "BY", "write", "GET", "write") == b"OK"  # (patterns, not keys)
        assert dry("SORT_RO", "write") == no % b"write"
        assert dry("SORT_RO", "read", "BY", "x") == b"OK"
        c.call("SET", "v1", "1")
        c.call("LPUSH", "mylist", "1")
        denied = b"-ERR %s option of SORT denied due to insufficient ACL permissions.\r\n"
        for rule, allowed in (("~mylist ~v*", False), ("~mylist %W~*", False), ("~mylist %R~*", True),
                              ("~mylist ~*", True)):
            assert c.call("ACL", "SETUSER", "s", "reset", "on", "nopass", "(+sort %s)" % rule) == b"+OK\r\n"
            with RawClient(server.port) as u:
                assert u.call("AUTH", "s", "x") == b"+OK\r\n"
                by, get = u.call("SORT", "mylist", "BY", "v*"), u.call("SORT", "mylist", "GET", "v*")
                if allowed:
                    assert (by, get) == (b"*1\r\n$1\r\n1\r\n", b"*1\r\n$1\r\n1\r\n"), rule
                else:
                    assert (by, get) == (denied % b"BY", denied % b"GET"), rule


@pytest.mark.parametrize("kind", KINDS)
def test_client_pause_write_holds_the_masters_stream_and_unpause_is_not_propagated(kind):
    """pause.tcl "Test when replica paused, offset would not grow" / "... would grow after unpause": on a
    replica paused for writes the master's writes are read (slave_read_repl_offset) but not applied
    (slave_repl_offset) until CLIENT UNPAUSE.  And a master that unpauses a writer propagates that
    write only, not the CLIENT UNPAUSE during which it ran."""
    master = start_server(kind, args=["--repl-ping-replica-period", "3600", "--repl-diskless-sync-delay", "0"])
    replica = start_server(kind)
    try:
        with RawClient(master.port) as m, RawClient(replica.port) as r, RawClient(master.port) as w:
            assert r.call("REPLICAOF", "127.0.0.1", str(master.port)) == b"+OK\r\n"
            _wait(lambda: _info(r, "replication").get("master_link_status") == "up", what="the link up")
            assert m.call("SET", "foo", "bar") == b"+OK\r\n"  # (the stream's SELECT: before the pause)

            def offsets():
                i = _info(r, "replication")
                return (i.get("master_link_status"), int(i.get("slave_read_repl_offset", -1)),
                        int(i.get("slave_repl_offset", -1)))

            def master_offset():
                return int(_info(m, "replication")["master_repl_offset"])

            _wait(lambda: offsets() == ("up", master_offset(), master_offset()), what="the replica in sync")
            old = master_offset()
            assert r.call("CLIENT", "PAUSE", "100000", "WRITE") == b"+OK\r\n"
            assert m.call("SET", "foo2", "bar2") == b"+OK\r\n"
            new = master_offset()
            assert new > old
            _wait(lambda: offsets()[1] == new, what="the write read by the replica")
            assert offsets() == ("up", new, old)
            assert r.call("GET", "foo2") == b"$-1\r\n"
            assert r.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
            _wait(lambda: offsets() == ("up", new, new), what="the write applied")
            assert r.call("GET", "foo2") == b"$4\r\nbar2\r\n"
            assert int(_info(r, "replication")["master_repl_offset"]) == new  # nothing of its own

            assert m.call("CLIENT", "PAUSE", "100000", "WRITE") == b"+OK\r\n"
            w.send_raw(b"*3\r\n$3\r\nSET\r\n$4\r\nfoo3\r\n$4\r\nbar3\r\n")
            _wait(lambda: _info(m, "clients")["blocked_clients"] == "1", what="the writer paused")
            assert m.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
            assert w.read_reply() == b"+OK\r\n"
            assert master_offset() == new + 33  # the SET, not CLIENT UNPAUSE
            _wait(lambda: offsets() == ("up", new + 33, new + 33), what="the SET replicated")
    finally:
        replica.stop()
        master.stop()


def test_commands_pipelined_after_quit_are_not_run(server):
    """quit.tcl "Pipelined commands after QUIT must not be executed" (also past the first read)."""
    with RawClient(server.port) as c:
        c.send_raw(b"*1\r\n$4\r\nquit\r\n*3\r\n$3\r\nset\r\n$3\r\nfoo\r\n$3\r\nbar\r\nPING\r\n")
        assert c.read_until_close() == b"+OK\r\n"
    with RawClient(server.port) as c:
        c.send_raw(b"QUIT\r\n*3\r\n$3\r\nset\r\n$3\r\nfoo\r\n$20000\r\n" + b"x" * 10000)
        time.sleep(0.05)
        try:
            c.send_raw(b"x" * 10000 + b"\r\n")
        except OSError:
            pass  # (already closed)
        assert c.read_until_close() == b"+OK\r\n"
    with RawClient(server.port) as c:
        assert c.call("EXISTS", "foo") == b":0\r\n"


def _slowlog_args(c, n: int) -> list:
    return [[bytes(a) for a in e[3]] for e in parse(c.call("SLOWLOG", "GET", str(n)))]


def test_slowlog_threshold_change_and_blocked_commands(server):
    """slowlog.tcl "logged entry sanity check" (the CONFIG SET that lowers the threshold is logged: the
    threshold is read after the command) and "Rewritten commands are logged as their original command"
    (a blocked BLPOP is logged when served, as sent; 7.0 logs neither its blocking call nor a timeout)."""
    with RawClient(server.port) as c, RawClient(server.port) as b:
        assert c.call("CONFIG", "SET", "slowlog-log-slower-than", "100000") == b"+OK\r\n"
        assert c.call("SLOWLOG", "RESET") == b"+OK\r\n"
        assert c.call("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"+OK\r\n"
        assert _slowlog_args(c, 5) == [[b"CONFIG", b"SET", b"slowlog-log-slower-than", b"0"]]
        b.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\n0\r\n")
        _wait(lambda: _info(c, "clients")["blocked_clients"] == "1", what="blocked client")
        assert c.call("MULTI") == b"+OK\r\n"
        c.call("LPUSH", "l", "foo")
        c.call("SLOWLOG", "RESET")
        assert c.call("EXEC") == b"*2\r\n:1\r\n+OK\r\n"
        assert parse(b.read_reply()) == [b"l", b"foo"]
        assert _slowlog_args(c, 5) == [[b"BLPOP", b"l", b"0"], [b"SLOWLOG", b"RESET"]]
        assert c.call("SLOWLOG", "RESET") == b"+OK\r\n"
        assert c.call("BZPOPMIN", "z", "0.01") == b"*-1\r\n"
        assert _slowlog_args(c, 5) == [[b"SLOWLOG", b"RESET"]]


@pytest.mark.parametrize("kind", KINDS)
def test_appendonly_enabled_in_a_transaction_schedules_the_rewrite(kind):
    """multi.tcl "MULTI with config set appendonly": CONFIG SET appendonly yes inside EXEC schedules the
    rewrite (logged) that the cron starts after the transaction; the AOF then holds the data."""
    srv = start_server(kind)
    try:
        with RawClient(srv.port) as c:
            assert c.call("MULTI") == b"+OK\r\n"
            c.call("SET", "foo", "bar")
            c.call("CONFIG", "SET", "appendonly", "yes")
            assert c.call("EXEC") == b"*2\r\n+OK\r\n+OK\r\n"
            assert "AOF was enabled during a transaction. An AOF background was scheduled to start when " \
                   "possible." in srv.log()
            _wait(lambda: _info(c, "persistence")["aof_rewrite_in_progress"] == "0"
                  and _info(c, "persistence")["aof_rewrite_scheduled"] == "0"
                  and _info(c, "persistence")["aof_last_bgrewrite_status"] == "ok"
                  and int(_info(c, "stats")["total_forks"]) >= 1, what="the rewrite done")
            assert c.call("SET", "after", "1") == b"+OK\r\n"
            assert b"after" in _aof_incr_text(srv.workdir)
    finally:
        srv.stop()


def _oom_score(pid: int) -> int:
    with open("/proc/%d/oom_score_adj" % pid) as f:
        return int(f.read())


def _children(pid: int) -> list:
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


@pytest.mark.parametrize("kind", KINDS)
def test_oom_score_adj_is_relative_to_the_score_the_process_had(kind):
    """oom-score-adj.tcl: relative mode adds each class's value (master, replica, fork child) to the score
    the process had when the node took control of it; absolute writes the value; 'no' restores the base."""
    srv = start_server(kind)
    try:
        with open("/proc/%d/oom_score_adj" % srv.pid, "w") as f:
            f.write("22\n")
        with RawClient(srv.port) as c:
            assert c.call("CONFIG", "SET", "oom-score-adj-values", "9 19 29", "oom-score-adj", "yes") == b"+OK\r\n"
            assert _oom_score(srv.pid) == 31
            assert c.call("REPLICAOF", "127.0.0.1", "1") == b"+OK\r\n"
            assert _oom_score(srv.pid) == 41
            assert c.call("REPLICAOF", "NO", "ONE") == b"+OK\r\n"
            assert _oom_score(srv.pid) == 31
            assert c.call("CONFIG", "SET", "oom-score-adj-values", "10 19 29") == b"+OK\r\n"
            assert _oom_score(srv.pid) == 32
            c.call("SET", "k", "v")
            assert c.call("CONFIG", "SET", "rdb-key-save-delay", "1000000") == b"+OK\r\n"
            assert c.call("BGSAVE") == b"+Background saving started\r\n"
            _wait(lambda: any(_oom_score(p) == 51 for p in _children(srv.pid)), timeout=5,
                  what="the fork child at base + 29")
            assert c.call("CONFIG", "SET", "oom-score-adj", "absolute") == b"+OK\r\n"
            assert _oom_score(srv.pid) == 10
            assert c.call("CONFIG", "SET", "oom-score-adj", "no") == b"+OK\r\n"
            assert _oom_score(srv.pid) == 22
    finally:
        srv.stop()


def _sanitizations(c) -> int:
    return int(_info(c, "stats")["dump_payload_sanitizations"])


def test_dump_payload_sanitizations_counts_each_deeply_checked_object(server):
    """INFO stats dump_payload_sanitizations (rdbLoadObject): one per listpack, intset, quicklist node and
    stream node validated with deep checks (sanitize-dump-payload yes, or clients for a normal client), in
    RESTORE and when an RDB is loaded; CONFIG RESETSTAT clears it."""
    with RawClient(server.port) as c:
        assert c.call("CONFIG", "SET", "list-max-listpack-size", "2", "stream-node-max-entries", "2") == b"+OK\r\n"
        c.call("RPUSH", "list", "a", "b", "c", "d", "e")  # 3 quicklist nodes
        c.call("SADD", "intset", "1", "2", "3")  # 1 intset
        c.call("HSET", "hash", "f", "v")  # 1 listpack
        c.call("SET", "str", "v")  # nothing to validate
        for i in range(5):  # 3 stream nodes
            c.call("XADD", "stream", "%d-1" % (i + 1), "f", "v")
        dumps = {k: parse(c.call("DUMP", k)) for k in ("list", "intset", "hash", "str", "stream")}
        expected = {"list": 3, "intset": 1, "hash": 1, "str": 0, "stream": 3}
        assert _sanitizations(c) == 0

        def restore_all():
            for k, payload in dumps.items():
                assert c.call("RESTORE", k, "0", payload, "REPLACE") == b"+OK\r\n"

        restore_all()  # sanitize-dump-payload no (the default): header checks only
        assert _sanitizations(c) == 0
        assert c.call("CONFIG", "SET", "sanitize-dump-payload", "yes") == b"+OK\r\n"
        for k, payload in dumps.items():
            before = _sanitizations(c)
            assert c.call("RESTORE", k, "0", payload, "REPLACE") == b"+OK\r\n"
            assert _sanitizations(c) - before == expected[k], k
        assert c.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
        assert _sanitizations(c) == 0
        assert c.call("CONFIG", "SET", "sanitize-dump-payload", "clients") == b"+OK\r\n"
        restore_all()
        assert _sanitizations(c) == 8
        assert c.call("DEBUG", "RELOAD") == b"+OK\r\n"  # clients: not when loading
        assert _sanitizations(c) == 8
        assert c.call("CONFIG", "SET", "sanitize-dump-payload", "yes") == b"+OK\r\n"
        assert c.call("DEBUG", "RELOAD") == b"+OK\r\n"
        assert _sanitizations(c) == 16
