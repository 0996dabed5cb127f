"""HyperLogLog (PFADD / PFCOUNT / PFMERGE / PFDEBUG) against redis-server 7.0, byte for byte.

The value is Redis's own HLL string, so after every step GET must return the very same bytes
(sparse opcodes, dense registers, cached cardinality) and PFCOUNT the very same estimate.
"""

from __future__ import annotations

import random


def _bulk(reply: bytes) -> bytes:
    head, _, rest = reply.partition(b"\r\n")
    assert head[:1] == b"$", reply
    return rest[:int(head[1:])]


def _elements(seed: int, n: int, prefix: str = "e"):
    r = random.Random(seed)
    return ["%s%d" % (prefix, r.randrange(10 ** 9)) for _ in range(n)]


def test_pfadd_sparse_bytes_and_count(diff):
    diff.same("PFADD", "h")  # created empty: 1
    diff.same("PFADD", "h")  # nothing new: 0
    diff.same("GET", "h")
    diff.same("PFCOUNT", "h")
    diff.same("PFADD", "h", "a", "b", "c", "a")
    diff.same("PFADD", "h", "a")
    diff.same("GET", "h")  # cached cardinality invalid
    diff.same("PFCOUNT", "h")
    diff.same("GET", "h")  # cached cardinality written
    diff.same("PFCOUNT", "h")  # from the cache
    diff.same("PFDEBUG", "ENCODING", "h")
    diff.same("PFDEBUG", "DECODE", "h")
    diff.same("OBJECT", "ENCODING", "h")
    diff.same("STRLEN", "h")
    diff.same("PFCOUNT", "missing")
    diff.same("PFADD", "h", "")  # the empty element hashes too
    diff.same("GET", "h")


def test_sparse_growth_merges_runs_and_promotes(diff):
    for i in range(40):
        diff.same("PFADD", "h", *_elements(i, 40))
        diff.same("GET", "h")
    diff.same("PFCOUNT", "h")
    diff.same("PFDEBUG", "ENCODING", "h")  # promoted past hll-sparse-max-bytes (3000)
    diff.same("GET", "h")
    # adjacent registers with the same value become one VAL opcode
    diff.same("PFADD", "seq", *["x%d" % i for i in range(200)])
    diff.same("PFDEBUG", "DECODE", "seq")
    diff.same("GET", "seq")


def test_dense_and_counts(diff):
    diff.same("PFADD", "d", *_elements(7, 5000))
    diff.same("PFDEBUG", "ENCODING", "d")
    diff.same("PFCOUNT", "d")
    diff.same("GET", "d")
    diff.same("PFADD", "d", *_elements(8, 5000))
    diff.same("PFCOUNT", "d")
    diff.same("GET", "d")
    diff.same("PFDEBUG", "DECODE", "d")  # ERR HLL encoding is not sparse


def test_sparse_max_bytes_and_todense(diff):
    try:
        diff.same("CONFIG", "SET", "hll-sparse-max-bytes", "30")
        diff.same("PFADD", "s", *_elements(3, 10))
        diff.same("PFDEBUG", "ENCODING", "s")
        diff.same("GET", "s")
    finally:
        diff.same("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    diff.same("PFADD", "t", "a", "b")
    diff.same("PFDEBUG", "TODENSE", "t")
    diff.same("PFDEBUG", "TODENSE", "t")
    diff.same("PFDEBUG", "ENCODING", "t")
    diff.same("GET", "t")
    diff.same("PFADD", "u", "x")
    diff.same("PFDEBUG", "GETREG", "u")
    diff.same("GET", "u")
    diff.same("PFDEBUG", "NOPE", "u")
    diff.same("PFDEBUG", "GETREG", "missing")
    diff.same("PFDEBUG", "GETREG")


def test_pfmerge_and_multikey_count(diff):
    diff.same("PFADD", "a", *_elements(1, 30))
    diff.same("PFADD", "b", *_elements(2, 30))
    diff.same("PFADD", "c", *_elements(3, 3000))
    diff.same("PFCOUNT", "a", "b")
    diff.same("PFCOUNT", "a", "b", "c", "missing")
    diff.same("PFMERGE", "m", "a", "b")  # all sparse: stays sparse
    diff.same("GET", "m")
    diff.same("PFCOUNT", "m")
    diff.same("PFMERGE", "m", "c")  # a dense source: dense
    diff.same("GET", "m")
    diff.same("PFCOUNT", "m")
    diff.same("PFMERGE", "empty")
    diff.same("GET", "empty")
    diff.same("PFMERGE", "a2", "a")  # into itself
    diff.same("PFMERGE", "a", "b")
    diff.same("GET", "a")
    diff.same("PFMERGE", "x", "missing1", "missing2")
    diff.same("GET", "x")


def test_errors_and_wrongtype(diff):
    diff.run(
        ("SET", "str", "hello"),
        ("PFADD", "str", "a"),
        ("PFCOUNT", "str"),
        ("PFCOUNT", "str", "missing"),
        ("PFMERGE", "m", "str"),
        ("PFMERGE", "str"),
        ("PFDEBUG", "ENCODING", "str"),
        ("LPUSH", "list", "a"),
        ("PFADD", "list", "a"),
        ("PFCOUNT", "list"),
        ("PFCOUNT", "list", "missing"),
        ("PFMERGE", "list", "missing"),
        ("PFMERGE", "m", "list"),
        ("PFADD",),
        ("PFCOUNT",),
        ("PFMERGE",),
        ("PFDEBUG", "ENCODING"),
        ("SET", "hdr", "HYLL\x02" + "\x00" * 11),  # unknown encoding
        ("PFADD", "hdr", "a"),
        ("SET", "shortdense", "HYLL\x00" + "\x00" * 20),  # dense of the wrong size
        ("PFCOUNT", "shortdense"),
        ("SET", "bad", "HYLL\x01\x00\x00\x00" + "\x00" * 7 + "\x80" + "\x7f\xff\x7f\xff"),  # 2 x 16384 regs
        ("PFCOUNT", "bad"),
        ("PFADD", "bad", "a", "b"),
        ("PFCOUNT", "bad", "missing"),
        ("PFMERGE", "m2", "bad"),
        ("PFDEBUG", "GETREG", "bad"),
        ("PFDEBUG", "TODENSE", "bad"),
    )


def test_corrupted_sparse_short_and_cached(diff):
    diff.run(
        ("SET", "short", "HYLL\x01\x00\x00\x00" + "\x00" * 7 + "\x80" + "\x40\x00"),  # 1 register only
        ("PFCOUNT", "short"),
        ("PFADD", "short", "zz"),
        ("SET", "cached", "HYLL\x01\x00\x00\x00" + "\x07" + "\x00" * 7 + "\x7f\xff"),  # valid cache: 7
        ("PFCOUNT", "cached"),
        ("GET", "cached"),
    )


def test_resp3(diff):
    diff.both("HELLO", "3")
    diff.same("PFADD", "h", "a", "b")
    diff.same("PFCOUNT", "h")
    diff.same("PFDEBUG", "ENCODING", "h")
    diff.same("PFDEBUG", "DECODE", "h")
    diff.same("PFMERGE", "m", "h")
    diff.same("PFDEBUG", "GETREG", "m")


def test_dump_restore_round_trip(diff):
    diff.same("PFADD", "sparse", *_elements(11, 100))
    diff.same("PFCOUNT", "sparse")
    diff.same("PFADD", "dense", *_elements(12, 4000))
    diff.same("PFDEBUG", "ENCODING", "dense")
    for key in ("sparse", "dense"):
        dump = diff.same("DUMP", key)
        payload = _bulk(dump)
        # ours -> redis and redis -> ours
        for src, dst in ((diff.a, diff.b), (diff.b, diff.a)):
            p = _bulk(src.call("DUMP", key))
            assert p == payload
            assert dst.call("RESTORE", key + ":copy", "0", p, "REPLACE") == b"+OK\r\n"
        diff.same("GET", key + ":copy")
        diff.same("PFCOUNT", key + ":copy")
        diff.same("PFADD", key + ":copy", "new-element-1", "new-element-2")
        diff.same("GET", key + ":copy")
        diff.same("PFCOUNT", key + ":copy")


def test_propagation(debug_servers):
    """PFADD / PFMERGE propagate when they change the value, PFCOUNT when it writes the cache."""
    from .test_propagation import same_stream

    same_stream(debug_servers, [
        ("PFADD", "h", "a", "b"), ("PFADD", "h", "a"), ("PFCOUNT", "h"), ("PFCOUNT", "h"),
        ("PFMERGE", "m", "h"), ("PFCOUNT", "h", "m"), ("PFDEBUG", "TODENSE", "m"), ("PFDEBUG", "TODENSE", "m"),
    ])
