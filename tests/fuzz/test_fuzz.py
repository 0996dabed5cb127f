"""Bounded fuzzing (a few seconds per target) of every parser that reads untrusted bytes: the RESP request
parser, the cluster bus decoder (and the cluster core fed with what it accepts), the bus stream framer,
DUMP payloads (RESTORE), RDB files, nodes.conf and redis.conf.  The contract checked for each is in
fuzzers.py; fuzz_long.py runs the same targets for minutes."""

from __future__ import annotations

import os
import random
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fuzzers  # noqa: E402

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)


def mutated(corpus):
    """A corpus entry after a few random mutations (the mutation seed is what hypothesis shrinks)."""
    return st.builds(lambda seed, i: fuzzers.mutate(corpus[i % len(corpus)], random.Random(seed), corpus),
                     st.integers(0, 2**32), st.integers(0, len(corpus) - 1))


RESP_TOKENS = st.sampled_from([b"*", b"$", b"\r\n", b"\n", b"-1", b"0", b"1", b"3", b"10", b"2147483648",
                               b"536870912", b"536870913", b"x", b" ", b'"', b"'", b"\\x4", b"\\", b"PING", b"SET",
                               b":1", b"+OK"])
CUTS = st.lists(st.integers(0, 400), max_size=8)


@settings(max_examples=400, **SETTINGS)
@given(st.binary(max_size=300), CUTS)
def test_resp_random_bytes(data, cuts):
    fuzzers.fuzz_resp(data, cuts)


@settings(max_examples=400, **SETTINGS)
@given(st.lists(RESP_TOKENS, max_size=40).map(b"".join), CUTS)
def test_resp_token_soup(data, cuts):
    fuzzers.fuzz_resp(data, cuts)


@settings(max_examples=400, **SETTINGS)
@given(mutated(fuzzers.RESP_CORPUS), CUTS, st.sampled_from([1024 * 1024, 512 * 1024 * 1024]))
def test_resp_mutated(data, cuts, max_bulk):
    fuzzers.fuzz_resp(data, cuts, max_bulk)


@settings(max_examples=200, **SETTINGS)
@given(st.binary(min_size=0, max_size=2400))
def test_bus_random_bytes(data):
    fuzzers.fuzz_bus(data, fuzzers.shared_state())


@settings(max_examples=300, **SETTINGS)
@given(mutated(fuzzers.BUS_CORPUS))
def test_bus_mutated_messages_through_the_core(data):
    fuzzers.fuzz_bus(data, fuzzers.shared_state())


@settings(max_examples=300, **SETTINGS)
@given(mutated([a + b for a in fuzzers.BUS_CORPUS[:4] for b in fuzzers.BUS_CORPUS[4:8]]), CUTS)
def test_bus_stream(data, cuts):
    fuzzers.fuzz_bus_stream(data, cuts)


@settings(max_examples=500, **SETTINGS)
@given(mutated([p[:-10] for p in fuzzers.RDB_PAYLOADS]))
def test_dump_payload_with_valid_checksum(data):
    fuzzers.fuzz_dump(fuzzers.with_footer(data))


@settings(max_examples=300, **SETTINGS)
@given(st.binary(max_size=200))
def test_dump_payload_random(data):
    fuzzers.fuzz_dump(fuzzers.with_footer(data))
    fuzzers.fuzz_dump(data)


@settings(max_examples=200, **SETTINGS)
@given(mutated(fuzzers.RDB_FILES))
def test_rdb_file(data):
    fuzzers.fuzz_rdb(data)


@settings(max_examples=300, **SETTINGS)
@given(mutated(fuzzers.NODES_CONF_CORPUS))
def test_nodes_conf(data):
    fuzzers.fuzz_nodes_conf(data)


@settings(max_examples=150, **SETTINGS)
@given(st.lists(st.text(alphabet=" \t-:@,[]<>0123456789abcdefmyslvrnctdoihpqxz\"'\\\n", max_size=60), max_size=6))
def test_nodes_conf_token_soup(lines):
    fuzzers.fuzz_nodes_conf("\n".join(lines).encode())


@settings(max_examples=400, **SETTINGS)
@given(st.integers(0, 2**32))
def test_redis_conf_from_directives(seed):
    fuzzers.fuzz_redis_conf(fuzzers.random_conf(random.Random(seed)))


@settings(max_examples=300, **SETTINGS)
@given(mutated(fuzzers.CONF_CORPUS))
def test_redis_conf_mutated(data):
    fuzzers.fuzz_redis_conf(data)


def test_known_regressions():
    """Inputs the long runs found, kept as regressions."""
    from pyredis_cluster.store import rdb

    # a zipmap length byte of 255 (end marker) where a length is expected: RDBError, not TypeError
    fuzzers.fuzz_dump(fuzzers.with_footer(b"\x09" + rdb._string(b"\x02\x01a\xff\x00\xff")))
    # an LZF stream that expands far beyond its announced length: refused as it goes (liblzf's E2BIG)
    blob = b"\x00a" + b"\xe0\xff\x00" * 20000
    fuzzers.fuzz_dump(fuzzers.with_footer(b"\x00\xc3" + rdb._len(len(blob)) + rdb._len(10) + blob))
    # node names with bytes >= 0x80 decode (latin-1) and encode back (the core may gossip them)
    from pyredis_cluster.cluster import messages as m

    h = m.Header(sender="\xff" * 40)
    assert m.decode(m.encode(m.Ping(h))).header.sender == "\xff" * 40
