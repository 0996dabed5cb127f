"""Corrupt DUMP payloads and RDB files (Redis 7.0's integration/corrupt-dump): the same payloads go to our
server and to Debian's redis-server with sanitize-dump-payload yes / no, the RESTORE replies and the
"integrity check failed" log lines must be the same bytes, and our node keeps serving.

Where redis-server without deep sanitization accepts a payload and then crashes (an assertion) when a
later command reaches the corrupt part, ours decodes what it can when the payload is restored (or refuses
it) and the later command gets a plain reply: those payloads go to ours only.

Every server is stopped by its PID; every wait is bounded.
"""

from __future__ import annotations

import re
import shutil
import signal
import time

import pytest

from helpers import RawClient, run_to_exit, start_server, wait_until

BAD = b"-ERR Bad data format\r\n"
OK = b"+OK\r\n"
ARGS = ["--enable-debug-command", "yes", "--loglevel", "verbose"]

# (name, sanitize-dump-payload, payload) from corrupt-dump.tcl: redis-server answers each without dying
SAME = [
    ("7445 quicklist ziplist", "yes",
     b"\x0E\x01\x1D\x1D\x00\x00\x00\x16\x00\x00\x00\x03\x00\x00\x04\x43\x43\x43\x43\x06\x04\x42\x42\x42\x42\x06"
     b"\x3F\x41\x41\x41\x41\xFF\x09\x00\x88\xA5\xCA\xA8\xC5\x41\xF4\x35"),
    ("hash ziplist invalid entry len", "no",
     b"\x0D\x1B\x1B\x00\x00\x00\x16\x00\x00\x00\x04\x00\x00\x02\x61\x00\x04\x02\x62\x00\x04\x14\x63\x00\x04\x02\x64"
     b"\x00\xFF\x09\x00\xD9\x10\x54\x92\x15\xF5\x5F\x52"),
    ("ziplist zlbytes", "no",
     b"\x0D\x1B\x25\x00\x00\x00\x16\x00\x00\x00\x04\x00\x00\x02\x61\x00\x04\x02\x62\x00\x04\x02\x63\x00\x04\x02\x64"
     b"\x00\xFF\x09\x00\xB7\xF7\x6E\x9F\x43\x43\x14\xC6"),
    ("hash ziplist dup records", "no",
     b"\x0D\x1B\x1B\x00\x00\x00\x16\x00\x00\x00\x04\x00\x00\x02\x61\x00\x04\x02\x62\x00\x04\x02\x61\x00\x04\x02\x64"
     b"\x00\xFF\x09\x00\xA1\x98\x36\x78\xCC\x8E\x93\x2E"),
    ("quicklist ziplist big prev len", "no",
     b"\x0E\x01\x13\x13\x00\x00\x00\x0E\x00\x00\x00\x02\x00\x00\x02\x61\x00\x0E\x02\x62\x00\xFF\x09\x00\x49\x97\x30"
     b"\xB2\x0D\xA1\xED\xAA"),
    ("quicklist ziplist wrong count", "no",
     b"\x0E\x01\x13\x13\x00\x00\x00\x0E\x00\x00\x00\x03\x00\x00\x02\x61\x00\x04\x02\x62\x00\xFF\x09\x00\x4D\xE2\x0A"
     b"\x2F\x08\x25\xDF\x91"),
    ("quicklist empty ziplist", "no",
     b"\x0E\x01\x0B\x0B\x00\x00\x00\x0A\x00\x00\x00\x00\x00\xFF\x09\x00\xC2\x69\x37\x83\x3C\x7F\xFE\x6F"),
    ("quicklist encoded_len 0", "no", b"\x12\x01\x01\x00\x0a\x00\x8f\xc6\xc0\x57\x1c\x0a\xb3\x3c"),
    ("quicklist listpack starts with EOF", "yes",
     b"\x12\x01\x02\x0b\x0b\x00\x00\x00\x01\x00\x81\x61\x02\xff\xff\x0a\x00\x7e\xd8\xde\x5b\x0d\xd7\x70\xb8"),
    ("stream listpack size header", "no",
     b"\x0F\x01\x10\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x40\x55\x5F\x00\x00\x00\x0F\x00"
     b"\x01\x01\x00\x01\x02\x01\x88\x31\x00\x00\x00\x00\x00\x00\x00\x09\x88\x32\x00\x00\x00\x00\x00\x00\x00\x09\x00"
     b"\x01\x00\x01\x00\x01\x00\x01\x02\x02\x88\x31\x00\x00\x00\x00\x00\x00\x00\x09\x88\x61\x00\x00\x00\x00\x00\x00"
     b"\x00\x09\x88\x32\x00\x00\x00\x00\x00\x00\x00\x09\x88\x62\x00\x00\x00\x00\x00\x00\x00\x09\x08\x01\xFF\x0A\x01"
     b"\x00\x00\x09\x00\x45\x91\x0A\x87\x2F\xA5\xF9\x2E"),
    ("stream listpack prev len", "yes",
     b"\x0F\x01\x10\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x40\x55\x55\x00\x00\x00\x0F\x00"
     b"\x01\x01\x00\x15\x02\x01\x88\x31\x00\x00\x00\x00\x00\x00\x00\x09\x88\x32\x00\x00\x00\x00\x00\x00\x00\x09\x00"
     b"\x01\x00\x01\x00\x01\x00\x01\x02\x02\x88\x31\x00\x00\x00\x00\x00\x00\x00\x09\x88\x61\x00\x00\x00\x00\x00\x00"
     b"\x00\x09\x88\x32\x00\x00\x00\x00\x00\x00\x00\x09\x88\x62\x00\x00\x00\x00\x00\x00\x00\x09\x08\x01\xFF\x0A\x01"
     b"\x00\x00\x09\x00\x06\xFB\x44\x24\x0A\x8E\x75\xEA"),
    ("stream duplicate consumers", "no",
     b"\x0F\x00\x00\x00\x00\x01\x07\x6D\x79\x67\x72\x6F\x75\x70\x00\x00\x00\x02\x04\x6E\x61\x6D\x65\x2A\x4C\xAA\x9A"
     b"\x7D\x01\x00\x00\x00\x04\x6E\x61\x6D\x65\x2B\x4C\xAA\x9A\x7D\x01\x00\x00\x00\x0A\x00\xCC\xED\x8C\xA7\x62\xEE"
     b"\xC7\xC8"),
    ("hash listpack dup records", "yes",
     b"\x10\x17\x17\x00\x00\x00\x04\x00\x82\x61\x00\x03\x82\x62\x00\x03\x82\x61\x00\x03\x82\x64\x00\x03\xff\x0a\x00"
     b"\xc0\xcf\xa6\x87\xe5\xa7\xc5\xbe"),
    ("hash listpack dup records, unsanitized", "no",
     b"\x10\x17\x17\x00\x00\x00\x04\x00\x82\x61\x00\x03\x82\x62\x00\x03\x82\x61\x00\x03\x82\x64\x00\x03\xff\x0a\x00"
     b"\xc0\xcf\xa6\x87\xe5\xa7\xc5\xbe"),
    ("hash dup records", "yes", b"\x04\x02\x01a\x01b\x01a\x01d\t\x00\xc6\x9c\xab\xbc\bk\x0c\x06"),
    ("hash empty zipmap", "no", b"\x09\x02\x00\xFF\x09\x00\xC0\xF1\xB8\x67\x4C\x16\xAC\xE3"),
    ("hash crash (valid)", "yes",
     b"\x0D\x19\x19\x00\x00\x00\x16\x00\x00\x00\x06\x00\x00\xF1\x02\xF1\x02\xF2\x02\x02\x5F\x31\x04\xF3\x02\xF3\xFF"
     b"\x09\x00\x38\xB8\x10\xC0\x8A\xF9\x16\xDF"),
    ("set lzf", "no", b"\x02\x03\x02\x5F\x31\xC0\x02\xC3\x00\x09\x00\xE6\xDC\x76\x44\xFF\xEB\x3D\xFE"),
    ("set dup entry", "no",
     b"\x02\x0A\x02\x5F\x39\xC0\x06\x02\x5F\x31\xC0\x00\xC0\x04\x02\x5F\x35\xC0\x02\xC0\x08\x02\x5F\x31\x02\x5F\x33"
     b"\x09\x00\x7A\x5A\xFB\x90\x3A\xE9\x3C\xBE"),
    ("zset ziplist lensize 0", "no",
     b"\x0C\x3D\x3D\x00\x00\x00\x3A\x00\x00\x00\x14\x00\x00\xF1\x02\xF1\x02\x02\x5F\x31\x04\xF2\x02\xF3\x02\xF3\x02"
     b"\x02\x5F\x33\x04\xF4\x02\xEE\x02\xF5\x02\x02\x5F\x35\x04\xF6\x02\xF7\x02\xF7\x02\x02\x5F\x37\x04\xF8\x02\xF9"
     b"\x02\xF9\x02\x02\x5F\x39\x04\xFA\xFF\x09\x00\xAE\xF9\x77\x2A\x47\x24\x33\xF6"),
    ("zset NaN score", "no",
     b"\x05\x0A\x02\x5F\x39\x00\x00\x00\x00\x00\x00\x22\x40\xC0\x08\x00\x00\x00\x00\x00\x00\x20\x40\x02\x5F\x37\x00"
     b"\x00\x00\x00\x00\x00\x1C\x40\xC0\x06\x00\x00\x00\x00\x00\x00\x18\x40\x02\x5F\x35\x00\x00\x00\x00\x00\x00\x14"
     b"\x40\xC0\x04\x00\x00\x00\x00\x00\x00\x10\x40\x02\x5F\x33\x00\x00\x00\x00\x00\x00\x08\x40\xC0\x02\x00\x00\x00"
     b"\x00\x00\x00\x00\x40\x02\x5F\x31\x00\x00\x00\x00\x00\x55\xF0\x7F\xC0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0A"
     b"\x00\xEC\x94\x86\xD8\xFD\x5C\x5F\xD8"),
    ("zset dup member", "yes",
     b"\x05\x0A\x02\x5F\x39\x00\x00\x00\x00\x00\x00\x22\x40\xC0\x08\x00\x00\x00\x00\x00\x00\x20\x40\x02\x5F\x37\x00"
     b"\x00\x00\x00\x00\x00\x1C\x40\xC0\x06\x00\x00\x00\x00\x00\x00\x18\x40\x02\x5F\x33\x00\x00\x00\x00\x00\x00\x14"
     b"\x40\xC0\x04\x00\x00\x00\x00\x00\x00\x10\x40\x02\x5F\x33\x00\x00\x00\x00\x00\x00\x08\x40\xC0\x02\x00\x00\x00"
     b"\x00\x00\x00\x00\x40\x02\x5F\x31\x00\x00\x00\x00\x00\x00\xF0\x3F\xC0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09"
     b"\x00\x3C\x66\xD7\x14\xA9\xDA\x3C\x69"),
    ("empty hash", "yes", b"\x04\xC0\x01\x09\x00\xF6\x8A\xB6\x7A\x85\x87\x72\x4D"),
    ("huge string", "yes", b"\x00\x81\x01\x09\x00\xF6\x2B\xB6\x7A\x85\x87\x72\x4D"),
    ("huge set", "no", b"\x02\x81\xC0\x00\x02\x5F\x31\xC0\x02\x09\x00\xB2\x1B\xE5\x17\x2E\x15\xF4\x6C"),
    ("hash listpack first element too long", "yes",
     b"\x10\x15\x15\x00\x00\x00\x06\x00\xF0\x01\x00\x01\x01\x01\x82\x5F\x31\x03\x02\x01\x02\x01\xFF\x0A\x00\x94\x21"
     b"\x0A\xFA\x06\x52\x9F\x44"),
]

STREAM_BAD_LP_COUNT = (
    b"\x0F\x01\x10\x00\x00\x01\x73\xDE\xDF\x7D\x9B\x00\x00\x00\x00\x00\x00\x00\x00\x40\x42\x42\x00\x00\x00\x18\x00"
    b"\x03\x01\x00\x01\x02\x01\x84\x69\x74\x65\x6D\x05\x85\x76\x61\x6C\x75\x65\x06\x00\x01\x02\x01\x00\x01\x00\x01"
    b"\x01\x01\x00\x01\x56\x01\x02\x01\x22\x01\x00\x01\x01\x01\x82\x5F\x31\x03\x05\x01\x02\x01\x2C\x01\x00\x01\x01"
    b"\x01\x02\x01\x05\x01\xFF\x03\x81\x00\x00\x01\x73\xDE\xDF\x7D\xC7\x00\x01\x07\x6D\x79\x67\x72\x6F\x75\x70\x81"
    b"\x00\x00\x01\x73\xDE\xDF\x7D\x9B\x00\x01\x00\x00\x01\x73\xDE\xDF\x7D\x9B\x00\x00\x00\x00\x00\x00\x00\x00\xF9"
    b"\x7D\xDF\xDE\x73\x01\x00\x00\x01\x01\x05\x41\x6C\x69\x63\x65\xEB\x7D\xDF\xDE\x73\x01\x00\x00\x01\x00\x00\x01"
    b"\x73\xDE\xDF\x7D\x9B\x00\x00\x00\x00\x00\x00\x00\x00\x09\x00\xB2\xA8\xA7\x5F\x1B\x61\x72\xD5")
SAME += [("stream bad lp_count", "yes", STREAM_BAD_LP_COUNT),
         ("stream bad lp_count, unsanitized", "no", STREAM_BAD_LP_COUNT)]

# redis-server asserts on these (in RESTORE itself, or in the command after it): ours only
STREAM_TOO_LONG_ENTRY = (
    b"\x0F\x01\x10\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x40\x55\x55\x00\x00\x00\x0F\x00"
    b"\x01\x01\x00\x01\x02\x01\x88\x31\x00\x00\x00\x00\x00\x00\x00\x09\x88\x32\x00\x00\x00\x00\x00\x00\x00\x09\x00"
    b"\x01\x00\x01\x00\x01\x00\x01\x02\x02\x89\x31\x00\x00\x00\x00\x00\x00\x00\x09\x88\x61\x00\x00\x00\x00\x00\x00"
    b"\x00\x09\x88\x32\x00\x00\x00\x00\x00\x00\x00\x09\x88\x62\x00\x00\x00\x00\x00\x00\x00\x09\x08\x01\xFF\x0A\x01"
    b"\x00\x00\x09\x00\x40\x63\xC9\x37\x03\xA2\xE5\x68")
# its last field is unreadable (redis-server restores it, then HGETALL or HSETNX read past the end)
HASH_LP_PAST_END = (
    b"\x10\x39\x39\x00\x00\x00\x14\x00\x06\x01\x06\x01\x03\x01\x82\x5F\x33\x03\x07\x01\x82\x5F\x37\x03\x00\x01\x00"
    b"\x01\x04\x01\x04\x01\x09\x01\x82\x5F\x39\x03\x05\x01\x82\x5F\x35\x03\x08\x01\x08\x01\x01\x01\x82\x5F\x31\x03"
    b"\x02\x01\xF0\x01\xFF\x0A\x00\x29\xD7\xE4\x52\x79\x7A\x95\x82")
QUICKLIST_ZIPLIST_AS_LISTPACK = (
    b"\x12\x01\x02\x13\x13\x00\x00\x00\x10\x00\x00\x00\x03\x00\x00\xF3\xFE\x02\x5F\x31\x04\xF1\xFF\x0A\x00\x19\x8D"
    b"\x3D\x74\x85\x94\x29\xBD")


@pytest.fixture(scope="module")
def pair():
    srvs = [start_server("ours", args=ARGS), start_server("redis", args=ARGS)]
    yield srvs
    for s in srvs:
        s.stop(signal.SIGKILL)
        shutil.rmtree(s.workdir, ignore_errors=True)


def _restore(c: RawClient, sanitize: str, payload: bytes, key: str = "k") -> bytes:
    c.call("CONFIG", "SET", "sanitize-dump-payload", sanitize)
    c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1")
    return c.call("RESTORE", key, "0", payload, "REPLACE")


def test_restore_replies_match_redis(pair):
    ours, redis = pair
    with RawClient(ours.port) as a, RawClient(redis.port) as b:
        for name, sanitize, payload in SAME:
            mine, real = _restore(a, sanitize, payload), _restore(b, sanitize, payload)
            assert mine == real, (name, mine, real)
            if mine == OK and "dup" not in name:  # what was restored reads the same (a hash here has no
                # room for a field twice: Redis's unsanitized listpack keeps both, ours the last value)
                for cmd in (("TYPE", "k"), ("HGETALL", "k"), ("XLEN", "k")):
                    assert a.call(*cmd) == b.call(*cmd), (name, cmd)
            assert a.call("DEL", "k") == b.call("DEL", "k")
            assert a.call("PING") == b"+PONG\r\n"
        assert ours.proc.poll() is None and redis.proc.poll() is None


def _log_reasons(srv) -> list:
    return re.findall(r"Internal error in RDB reading offset 0, function at rdb\.c:\d+ -> .*", srv.log())


def test_integrity_failures_are_logged_as_redis_does(pair):
    """rdbReportCorruptRDB in a RESTORE: logged at verbose level, the same reason and rdb.c line."""
    ours, redis = pair
    picked = [p for name, s, p in SAME if s == "yes" and name in (
        "7445 quicklist ziplist", "quicklist listpack starts with EOF", "stream listpack prev len",
        "hash listpack dup records", "zset dup member")]
    before = (len(_log_reasons(ours)), len(_log_reasons(redis)))
    with RawClient(ours.port) as a, RawClient(redis.port) as b:
        for p in picked:
            assert _restore(a, "yes", p) == _restore(b, "yes", p) == BAD
    wait_until(lambda: len(_log_reasons(ours)) - before[0] >= len(picked)
               and len(_log_reasons(redis)) - before[1] >= len(picked), timeout=10, what="log lines")
    assert _log_reasons(ours)[before[0]:] == _log_reasons(redis)[before[1]:]


def test_payloads_redis_crashes_on_leave_ours_serving(pair):
    """Without deep sanitization redis-server takes these and dies of an assertion (during RESTORE, or at
    the next command): ours decodes the sound part (or refuses the payload) and keeps answering."""
    ours = pair[0]
    with RawClient(ours.port) as a:
        assert _restore(a, "no", STREAM_TOO_LONG_ENTRY) == OK  # Redis: assertion in RESTORE
        assert a.call("XLEN", "k") == b":0\r\n"  # its first entry is corrupt: no entry is kept
        assert a.call("XREVRANGE", "k", "+", "-") == b"*0\r\n"
        assert a.call("XADD", "k", "*", "f", "v").startswith(b"$")
        assert _restore(a, "yes", STREAM_TOO_LONG_ENTRY) == BAD
        assert _restore(a, "no", STREAM_BAD_LP_COUNT) == OK
        assert a.call("XREVRANGE", "k", "638932639", "738") == b"*0\r\n"  # Redis: assertion
        assert a.call("XINFO", "STREAM", "k", "FULL").startswith(b"*")
        # a listpack whose header only is sound, and whose first entry is not: nothing to keep
        assert _restore(a, "no", QUICKLIST_ZIPLIST_AS_LISTPACK) == BAD  # Redis: OK, then LPOP asserts
        # a hash listpack whose last field is unreadable: HSETNX made Redis read past the end
        assert _restore(a, "no", HASH_LP_PAST_END) == OK
        assert a.call("HLEN", "k") == b":9\r\n"
        assert a.call("HSETNX", "k", "513072881620", "x") == b":1\r\n"
        assert a.call("DEBUG", "RELOAD") == OK  # what was kept is a sound hash: it saves and loads
        assert a.call("HLEN", "k") == b":10\r\n"
        assert a.call("PING") == b"+PONG\r\n"
    assert ours.proc.poll() is None


def _rdb(value_type: int, blob: bytes) -> bytes:
    """An RDB file (checksum disabled) of key "a" (a string) and key "k" of the given encoded type."""
    assert len(blob) < 64
    return (b"REDIS0010\xfe\x00\x00\x01a\x01b" + bytes((value_type,)) + b"\x01k" + bytes((len(blob),)) + blob
            + b"\xff" + b"\x00" * 8)


# a hash ziplist whose third entry's length is wrong (ziplists are always checked deeply)
BAD_ZIPLIST_RDB = _rdb(13, b"\x1B\x00\x00\x00\x16\x00\x00\x00\x04\x00\x00\x02\x61\x00\x04\x02\x62\x00\x04\x14\x63"
                           b"\x00\x04\x02\x64\x00\xFF")
# a hash listpack with a field twice (found by the deep checks only)
DUP_LISTPACK_RDB = _rdb(16, b"\x17\x00\x00\x00\x04\x00\x82\x61\x00\x03\x82\x62\x00\x03\x82\x61\x00\x03\x82\x64\x00"
                            b"\x03\xff")


def _strip(out: str) -> list:
    """The log lines without pid/time prefix, and the checker's report, minus start-up chatter."""
    lines = [re.sub(r"^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ ", "", ln) for ln in out.splitlines()]
    return [ln for ln in lines if ln and (ln[0] == "[" or "RDB" in ln or "rdb" in ln or ln.startswith("---"))
            and "RDB age" not in ln and "RDB memory" not in ln and "Loading RDB" not in ln]


@pytest.mark.parametrize("blob,sanitize,starts", [(BAD_ZIPLIST_RDB, "no", False), (DUP_LISTPACK_RDB, "no", True),
                                                  (DUP_LISTPACK_RDB, "yes", False)])
def test_loading_a_corrupt_rdb_file(tmp_path, blob, sanitize, starts):
    """rdbLoad at start: a corrupt value stops the start with the RDB checker's report and 'Terminating
    server after rdb file reading failure.', as redis-server does; with sanitize-dump-payload yes the deep
    checks apply to the file too."""
    outs = {}
    for kind in ("ours", "redis"):
        d = tmp_path / kind
        d.mkdir()
        (d / "dump.rdb").write_bytes(blob)
        if starts:
            srv = start_server(kind, workdir=str(d), args=["--dbfilename", "dump.rdb", "--sanitize-dump-payload",
                                                           sanitize])
            try:
                with RawClient(srv.port) as c:  # (Redis's listpack keeps the field twice: no HGETALL)
                    outs[kind] = (c.call("DBSIZE"), c.call("TYPE", "k"), c.call("HGET", "k", "b\0"))
            finally:
                srv.stop(signal.SIGKILL)
        else:
            code, out = run_to_exit(kind, str(d), ["--sanitize-dump-payload", sanitize], must_exit=False)
            assert code == 1, out
            outs[kind] = _strip(out)
    assert outs["ours"] == outs["redis"]
    if not starts:
        assert outs["ours"][-1].endswith("Terminating server after rdb file reading failure."), outs["ours"]
        assert any("integrity check failed." in ln for ln in outs["ours"][:-1])


def test_restore_fuzz_never_kills_the_node(pair):
    """corrupt-dump-fuzzer in small: DUMPs of every type with one or two bytes changed, RESTOREd with and
    without deep sanitization, then read back; the node answers every command."""
    import random

    rnd = random.Random(7)
    ours = pair[0]
    with RawClient(ours.port) as a:
        a.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1")
        a.call("CONFIG", "SET", "hash-max-listpack-entries", "5")
        a.call("CONFIG", "SET", "zset-max-listpack-entries", "5")
        a.call("CONFIG", "SET", "stream-node-max-entries", "5")
        for j in range(8):
            val = str(j) if j % 2 == 0 else "_%d" % j
            a.call("HSET", "src:h", str(j), val)
            a.call("RPUSH", "src:l", val)
            a.call("ZADD", "src:z", str(j), val)
            a.call("SADD", "src:s", val)
            a.call("SADD", "src:i", str(j))
            a.call("XADD", "src:x", "*", "item", "1", "value", val)
        a.call("XGROUP", "CREATE", "src:x", "g", "0")
        a.call("XREADGROUP", "GROUP", "g", "Alice", "COUNT", "2", "STREAMS", "src:x", ">")
        dumps = []
        for key in ("src:h", "src:l", "src:z", "src:s", "src:i", "src:x"):
            reply = a.call("DUMP", key)
            head, _, body = reply.partition(b"\r\n")
            dumps.append(body[:int(head[1:])])
        deadline = time.monotonic() + 8
        n = 0
        while n < 400 and time.monotonic() < deadline:
            p = bytearray(rnd.choice(dumps))
            for _ in range(rnd.choice((1, 1, 2))):
                p[rnd.randrange(len(p))] = rnd.randrange(256)
            r = _restore(a, rnd.choice(("yes", "no")), bytes(p), "f")
            assert r in (OK, BAD, b"-ERR DUMP payload version or checksum are wrong\r\n"), r
            if r == OK:
                for cmd in (("TYPE", "f"), ("HGETALL", "f"), ("LRANGE", "f", "0", "-1"), ("SMEMBERS", "f"),
                            ("ZRANGE", "f", "0", "-1", "WITHSCORES"), ("XRANGE", "f", "-", "+"),
                            ("XREVRANGE", "f", "+", "-"), ("XINFO", "STREAM", "f", "FULL"),
                            ("XPENDING", "f", "g"), ("DUMP", "f")):
                    assert not a.call(*cmd).startswith(b"-ERR internal"), (bytes(p), cmd)
            n += 1
        assert n >= 50
        assert a.call("PING") == b"+PONG\r\n"
    assert ours.proc.poll() is None


def test_lcs_of_huge_strings_is_refused_as_redis_does(pair):
    """corrupt-dump.tcl 'LCS OOM': the (alen+1)*(blen+1) uint32 table beyond proto-max-bulk-len."""
    ours, redis = pair
    with RawClient(ours.port) as a, RawClient(redis.port) as b:
        for cmd in (("SETRANGE", "_int", "423324", "1450173551"), ("LCS", "_int", "_int"), ("DEL", "_int")):
            assert a.call(*cmd) == b.call(*cmd)
        assert a.call("PING") == b"+PONG\r\n"
