"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP: byte-identical replies from ours and redis-server 7.0.

Both servers run with ``--port <free> --bind 127.0.0.1 --save '' --appendonly no --dir <own tmp>``, so
``port`` and ``dir`` are the only settings whose values differ.  Whatever a test changes it restores.
"""

from __future__ import annotations

import shutil
import tempfile

import pytest
from helpers import RawClient, start_server

from pyredis_cluster.config import ALIASES, DIRECTIVE_LIST

DIFFERENT = {"port", "dir"}


def pairs_of(reply: bytes) -> dict:
    """A flat RESP2 array (or RESP3 map) of bulk strings as a dict."""
    head, _, rest = reply.partition(b"\r\n")
    assert head[:1] in (b"*", b"%"), reply
    items = []
    while rest:
        hdr, _, rest = rest.partition(b"\r\n")
        n = int(hdr[1:])
        items.append(rest[:n])
        rest = rest[n + 2:]
    return dict(zip(items[::2], items[1::2]))


def test_get_every_directive_by_exact_name(diff):
    ours = {"pyredis-admin-commands", "cluster-event-loglevel", "cluster-events-command"}  # not in Redis
    names = [d.name for d in DIRECTIVE_LIST if d.name not in DIFFERENT and d.name not in ours]
    for name in names + sorted(ALIASES):
        diff.same("CONFIG", "GET", name)
    diff.same("CONFIG", "GET", "MAXMEMORY")
    diff.same("CONFIG", "GET", "SlaveOf")
    # several names: Redis answers in the order of a hash table seeded at random when it starts
    mine, real = diff.both("CONFIG", "GET", "maxmemory", "save", "appendonly", "MAXMEMORY")
    assert pairs_of(mine) == pairs_of(real)
    mine, real = diff.both("CONFIG", "GET", "port", "port", "PORT")
    assert pairs_of(mine).keys() == pairs_of(real).keys() == {b"port"}


def test_get_star_has_the_same_names_and_defaults(diff):
    mine, real = diff.both("CONFIG", "GET", "*")
    a, b = pairs_of(mine), pairs_of(real)
    assert set(a) == set(b)
    assert len(a) == 192
    for k in set(a) - {b"port", b"dir"}:
        assert a[k] == b[k], k


@pytest.mark.parametrize("patterns", [
    ("max*",), ("*max-*-entries*",), ("*announce*",), ("slave*", "replica*"), ("*", "port"), ("use-exit-*",),
    ("[a-c]*",), ("*-??",), ("nosuch*",), ("nosuch",), ("*[^a-z-]*",),
])
def test_get_patterns(diff, patterns):
    mine, real = diff.both("CONFIG", "GET", *patterns)
    a, b = pairs_of(mine), pairs_of(real)
    for k in DIFFERENT:
        a.pop(k.encode(), None)
        b.pop(k.encode(), None)
    assert a == b


def test_get_resp3_is_a_map(diff):
    diff.both("HELLO", "3")  # (client ids differ)
    diff.same("CONFIG", "GET", "maxmemory")
    diff.same("CONFIG", "GET", "nosuch")
    mine, real = diff.both("CONFIG", "GET", "*max*")
    assert mine[:1] == real[:1] == b"%"
    assert pairs_of(mine) == pairs_of(real)


SET_ERRORS = [
    ("CONFIG", "SET"),
    ("CONFIG", "SET", "port"),
    ("CONFIG", "SET", "port", "1", "2"),
    ("CONFIG", "GET"),
    ("CONFIG",),
    ("CONFIG", "FOO"),
    ("CONFIG", "HELP"),
    ("CONFIG", "help"),
    ("CONFIG", "SET", "nosuch", "1"),
    ("CONFIG", "SET", "NOSUCH", "1", "port", "2"),
    ("CONFIG", "SET", "port", "1", "nosuch", "2"),
    ("CONFIG", "SET", "daemonize", "yes"),
    ("CONFIG", "SET", "DAEMONIZE", "yes"),
    ("CONFIG", "SET", "dir", "/tmp"),
    ("CONFIG", "SET", "dbfilename", "x.rdb"),
    ("CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"),
    ("CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2"),
    ("CONFIG", "SET", "maxmemory", "abc"),
    ("CONFIG", "SET", "MAXMEMORY", "abc"),
    ("CONFIG", "SET", "maxmemory", "10mb", "timeout", "abc"),
    ("CONFIG", "GET", "maxmemory"),
    ("CONFIG", "SET", "loglevel", "loud"),
    ("CONFIG", "SET", "loglevel", "notice warning"),
    ("CONFIG", "SET", "save", "900 1 300"),
    ("CONFIG", "SET", "save", "900  1"),
    ("CONFIG", "SET", "save", " 900 1"),
    ("CONFIG", "SET", "save", "0 1"),
    ("CONFIG", "SET", "shutdown-on-sigint", "nosave save"),
    ("CONFIG", "SET", "shutdown-on-sigint", ""),
    ("CONFIG", "SET", "daemonize", "yes", "nosuch", "1"),
    ("CONFIG", "SET", "nosuch", "1", "daemonize", "yes"),
    ("CONFIG", "SET", "maxmemory", "1", "daemonize", "yes"),
    ("CONFIG", "SET", "maxmemory", "1", "maxmemory", "2", "daemonize", "yes"),
    ("CONFIG", "SET", "slaveof", "127.0.0.1 1"),
    ("CONFIG", "SET", "replicaof", "no one"),
    ("CONFIG", "SET", "appendfilename", "x"),
    ("CONFIG", "SET", "unixsocketperm", "700"),
    ("CONFIG", "SET", "cluster-enabled", "yes"),
    ("CONFIG", "SET", "databases", "4"),
    ("CONFIG", "SET", "slave-priority", "abc"),
    ("CONFIG", "SET", "maxclients", "0"),
    ("CONFIG", "SET", "list-max-ziplist-entries", "5"),
    ("CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"),
    ("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"),
    ("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2 -3"),
    ("CONFIG", "SET", "client-output-buffer-limit", "normal x 2 3"),
    ("CONFIG", "SET", "notify-keyspace-events", "Q"),
    ("CONFIG", "SET", "oom-score-adj-values", "0 200"),
    ("CONFIG", "SET", "oom-score-adj-values", "0 200 3000"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", "50 abc"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", "50 101"),
    ("CONFIG", "SET", "maxmemory", " 5"),
    ("CONFIG", "SET", "timeout", " 5"),
    ("CONFIG", "SET", "timeout", "5.0"),
    ("CONFIG", "SET", "timeout", "-0"),
    ("CONFIG", "SET", "timeout", "00"),
    ("CONFIG", "SET", "timeout", "-1"),
    ("CONFIG", "SET", "appendonly", "maybe"),
    ("CONFIG", "SET", "cluster-announce-hostname", "a_b"),
    ("CONFIG", "SET", "proc-title-template", "{title} {nope}"),
    ("CONFIG", "SET", "proc-title-template", "{title}"),
    ("CONFIG", "SET", "activedefrag", "yes"),
    ("CONFIG", "SET", "repl-backlog-size", "0"),
    ("CONFIG", "SET", "repl-backlog-size", "18446744073709551615"),
    ("CONFIG", "SET", "port", "-1"),
    ("CONFIG", "SET", "port", "65536"),
    ("CONFIG", "SET", "tcp-keepalive", "99999999999"),
    ("CONFIG", "SET", "maxmemory-clients", "-5"),
    ("CONFIG", "SET", "maxmemory-clients", "-5%"),
    ("CONFIG", "SET", "maxmemory-clients", "200%"),
    ("CONFIG", "SET", "maxmemory-clients", "5%%"),
    ("CONFIG", "SET", "maxmemory-clients", "9223372036854775808"),
    ("CONFIG", "SET", "slowlog-log-slower-than", "-2"),
    ("CONFIG", "SET", "slowlog-max-len", "-1"),
    ("CONFIG", "SET", "active-defrag-max-scan-fields", "0"),
    ("CONFIG", "SET", "list-max-listpack-size", "-99999999999"),
    ("CONFIG", "SET", "hash-max-listpack-entries", "1kb"),
    ("CONFIG", "SET", "dbfilename", "a/b"),
    ("CONFIG", "SET", "cluster-announce-ip", "1.2.3.4", "cluster-announce-ip", "1.2.3.5"),
    ("CONFIG", "SET", "tls-auth-clients", "maybe"),
    ("CONFIG", "REWRITE"),
    ("CONFIG", "REWRITE", "x"),
    ("CONFIG", "RESETSTAT", "x"),
    ("CONFIG", "HELP", "x"),
]


def test_set_errors_are_byte_identical(diff):
    for cmd in SET_ERRORS:
        diff.same(*cmd)
    # nothing was changed by the failed calls
    diff.same("CONFIG", "GET", "maxmemory")
    diff.same("CONFIG", "GET", "timeout")
    diff.same("CONFIG", "GET", "latency-tracking-info-percentiles")


def test_set_maxclients_beyond_the_open_files_limit(diff):
    diff.same("CONFIG", "SET", "maxclients", "100000000")
    diff.same("CONFIG", "GET", "maxclients")


# (name, value to set, the default to put back)
ROUND_TRIPS = [
    ("maxmemory", "1gb", "0"), ("maxmemory", "5MB", "0"), ("maxmemory", "1k", "0"), ("maxmemory", "", "0"),
    ("maxmemory", "kb", "0"), ("maxmemory", "18446744073709551615", "0"), ("maxmemory", "18446744073709551616", "0"),
    ("maxmemory", "20000000000gb", "0"),
    ("save", "900 1 300 10", ""), ("save", "", ""),
    ("maxmemory-clients", "10%", "0"), ("maxmemory-clients", "0%", "0"), ("maxmemory-clients", "100%", "0"),
    ("maxmemory-clients", "1mb", "0"),
    ("shutdown-on-sigint", "save now", "default"), ("shutdown-on-sigint", "NOW force", "default"),
    ("shutdown-on-sigterm", "nosave", "default"),
    ("slave-priority", "5", "100"), ("replica-priority", "7", "100"), ("lua-time-limit", "100", "5000"),
    ("hz", "1000", "10"), ("hz", "0", "10"), ("hz", "100", "10"),
    ("client-output-buffer-limit", "normal 1mb 2mb 3", "normal 0 0 0"),
    ("client-output-buffer-limit", "replica 1 2 3", "slave 268435456 67108864 60"),
    ("client-output-buffer-limit", "pubsub 1gb 1k 0 normal 1 1 1", "pubsub 32mb 8mb 60 normal 0 0 0"),
    ("client-output-buffer-limit", "", "normal 0 0 0"),
    ("notify-keyspace-events", "KEA", ""), ("notify-keyspace-events", "Ex$lm", ""),
    ("notify-keyspace-events", "gKE", ""), ("notify-keyspace-events", "AKEm", ""),
    ("oom-score-adj-values", "0 100 900", "0 200 800"), ("oom-score-adj-values", "-10 +5 07", "0 200 800"),
    ("oom-score-adj", "relative", "no"), ("oom-score-adj", "absolute", "no"),
    ("latency-tracking-info-percentiles", "50 99.99 100", "50 99 99.9"),
    ("latency-tracking-info-percentiles", "", "50 99 99.9"),
    ("latency-tracking-info-percentiles", "0.5 1e1", "50 99 99.9"),
    ("maxmemory-policy", "ALLKEYS-LRU", "noeviction"), ("appendfsync", "ALWAYS", "everysec"),
    ("protected-mode", "YES", "yes"), ("protected-mode", "no", "yes"),
    ("hash-max-listpack-value", "1kb", "64"), ("hash-max-ziplist-entries", "1000", "512"),
    ("list-max-ziplist-size", "-5", "-2"), ("slowlog-log-slower-than", "-1", "10000"),
    ("timeout", "0", "0"), ("tcp-keepalive", "60", "300"), ("cluster-node-timeout", "5000", "15000"),
    ("replica-announce-ip", "10.0.0.1", ""), ("cluster-announce-hostname", "a-b.c", ""),
    ("proc-title-template", "{title} {port}", "{title} {listen-addr} {server-mode}"),
    ("ignore-warnings", "ARM64-COW-BUG", ""), ("loglevel", "WARNING", "notice"), ("loglevel", "verbose", "notice"),
    ("repl-backlog-size", "10mb", "1mb"), ("proto-max-bulk-len", "1gb", "512mb"),
    ("active-expire-effort", "10", "1"), ("stream-node-max-bytes", "8kb", "4096"),
    ("maxclients", "5000", "10000"), ("tls-auth-clients", "optional", "yes"),
]


@pytest.mark.parametrize("name,value,default", ROUND_TRIPS)
def test_set_then_get(diff, name, value, default):
    try:
        diff.same("CONFIG", "SET", name, value)
        diff.same("CONFIG", "GET", name)
    finally:
        diff.same("CONFIG", "SET", name, default)
    diff.same("CONFIG", "GET", name)


def test_set_several_at_once_and_alias_with_name(diff):
    try:
        diff.same("CONFIG", "SET", "maxmemory", "10mb", "timeout", "7", "slave-priority", "3", "hz", "20")
        mine, real = diff.both("CONFIG", "GET", "maxmemory", "timeout", "replica-priority", "hz")
        assert pairs_of(mine) == pairs_of(real)
        diff.same("CONFIG", "SET", "replica-priority", "1", "slave-priority", "2")
    finally:
        diff.same("CONFIG", "SET", "maxmemory", "0", "timeout", "0", "replica-priority", "100", "hz", "10")


def test_resetstat_and_help(diff):
    diff.same("CONFIG", "RESETSTAT")
    diff.same("CONFIG", "HELP")


def test_resetstat_resets_commandstats(ours):
    with RawClient(ours.port) as c:
        c.call("SET", "k", "v")
        c.call("CONFIG", "GET", "maxmemory")
        c.call("GET")  # an error: counted as rejected
        assert c.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
        from pyredis_cluster.commands import table

        # the server is another process: check through INFO when the admin family exposes it
        info = c.call("INFO", "commandstats")
        if info.startswith(b"$") and b"cmdstat_" in info:
            body = info.decode()
            assert "cmdstat_set:" not in body and "cmdstat_get:" not in body
            assert "cmdstat_config|resetstat:calls=1" in body
        assert table.COMMANDS  # the table is importable here too


@pytest.fixture(scope="module")
def protected_pair():
    """Both servers with enable-protected-configs local (we connect from 127.0.0.1)."""
    dirs = [tempfile.mkdtemp(prefix="pyredis-cfg-") for _ in range(2)]
    a = start_server("ours", workdir=dirs[0], args=["--enable-protected-configs", "local"])
    try:
        b = start_server("redis", workdir=dirs[1], args=["--enable-protected-configs", "local"])
    except Exception:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


def test_protected_configs_when_local_is_allowed(protected_pair):
    a, b = protected_pair
    with RawClient(a.port) as ca, RawClient(b.port) as cb:
        for cmd in (("CONFIG", "SET", "dir", "/nonexistent/dir"), ("CONFIG", "SET", "dbfilename", "a/b"),
                    ("CONFIG", "SET", "dbfilename", "x.rdb"), ("CONFIG", "GET", "dbfilename"),
                    ("CONFIG", "SET", "dir", "/etc/passwd"), ("CONFIG", "SET", "dir", "/tmp"),
                    ("CONFIG", "GET", "dir"), ("CONFIG", "GET", "enable-protected-configs")):
            assert ca.call(*cmd) == cb.call(*cmd), cmd
