"""HyperLogLog commands (Redis 7.0: hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.

The value is a string in Redis's own HLL layout (see :mod:`..store.hll`): a ``bytearray`` once a
command changes it (Redis: ``dbUnshareStringValue``, a private raw sds), so PFADD updates it in place.
"""

from __future__ import annotations

import math
import random

from .. import errors
from ..config import NOTIFY_STRING
from ..errors import CommandError
from ..protocol.reply import OK, Status
from ..store import hll
from .table import command


def _check_hll(v):
    """isHLLObjectOrReply."""
    t = type(v)
    if t is not bytes and t is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    if not hll.is_hll(v):
        raise CommandError(hll.NOT_HLL_ERR)


def _unshare(db, key: bytes, v) -> bytearray:
    """dbUnshareStringValue: a bytearray the command may change in place."""
    if type(v) is bytearray:
        return v
    v = bytearray(v)
    db.data[key] = v
    return v


def _max_bytes(c) -> int:
    return c.node.config["hll-sparse-max-bytes"]


@command("pfadd")
def pfadd(c, argv):
    db = c.db
    key = argv[1]
    v = db.lookup(key)
    updated = 0
    if v is None:
        v = hll.new_sparse()
        db.add(key, v)  # (counts as one change, as Redis's updated++)
        created = True
    else:
        _check_hll(v)
        v = _unshare(db, key, v)
        created = False
    max_bytes = _max_bytes(c)
    try:
        changed = hll.add_many(v, argv[2:], max_bytes)
    except hll.Corrupted:
        raise CommandError(hll.INVALID_HLL_ERR) from None
    updated = changed + created
    if updated:
        if changed:
            db.touch(key)
            c.node.dirty += changed - 1
        c.node.notify(db, NOTIFY_STRING, b"pfadd", key)
        hll.invalidate_cache(v)
    return 1 if updated else 0


def _merged_registers(c, keys) -> list:
    """The register-wise maximum of the HLLs at ``keys`` (missing keys count as empty)."""
    maxregs = bytes(hll.HLL_REGISTERS)
    for key in keys:
        v = c.db.lookup_read(key)
        if v is None:
            continue
        _check_hll(v)
        try:
            maxregs = hll.merge_into(maxregs, v)
        except hll.Corrupted:
            raise CommandError(hll.INVALID_HLL_ERR) from None
    return maxregs


@command("pfcount")
def pfcount(c, argv):
    if len(argv) > 2:
        return hll.count_histogram(hll.histogram(_merged_registers(c, argv[1:])))
    db = c.db
    key = argv[1]
    v = db.lookup_read(key)
    if v is None:
        return 0
    _check_hll(v)
    v = _unshare(db, key, v)
    if hll.cache_valid(v):
        return hll.get_cache(v)
    try:
        card = hll.count(v)
    except hll.Corrupted:
        raise CommandError(hll.INVALID_HLL_ERR) from None
    hll.set_cache(v, card)
    db.touch(key)  # the cached cardinality changed: propagated, as in Redis
    return card


@command("pfmerge")
def pfmerge(c, argv):
    db = c.db
    use_dense = False
    maxregs = bytes(hll.HLL_REGISTERS)
    for key in argv[1:]:
        v = db.lookup_read(key)
        if v is None:
            continue
        _check_hll(v)
        if v[4] == hll.HLL_DENSE:
            use_dense = True
        try:
            maxregs = hll.merge_into(maxregs, v)
        except hll.Corrupted:
            raise CommandError(hll.INVALID_HLL_ERR) from None
    dest = argv[1]
    v = db.lookup(dest)
    if v is None:
        v = hll.new_sparse()
        db.add(dest, v)
        c.node.dirty -= 1  # (Redis counts one change for the whole merge, below)
    else:
        v = _unshare(db, dest, v)
    if use_dense:
        try:
            hll.sparse_to_dense(v)
        except hll.Corrupted:
            raise CommandError(hll.INVALID_HLL_ERR) from None
    try:
        hll.set_many(v, [(j, r) for j, r in enumerate(maxregs) if r], _max_bytes(c))
    except hll.Corrupted:
        pass  # (Redis ignores hllSparseSet's result here too)
    hll.invalidate_cache(v)
    db.touch(dest)
    c.node.notify(db, NOTIFY_STRING, b"pfadd", dest)
    return OK


def _cstr(arg: bytes) -> bytes:
    i = arg.find(b"\0")
    return arg if i < 0 else arg[:i]


@command("pfdebug")
def pfdebug(c, argv):
    sub = _cstr(argv[1])
    db = c.db
    key = argv[2]
    v = db.lookup(key)
    if v is None:
        raise CommandError("ERR The specified key does not exist")
    _check_hll(v)
    v = _unshare(db, key, v)
    name = sub.lower()
    if name == b"getreg":
        if v[4] == hll.HLL_SPARSE:
            try:
                hll.sparse_to_dense(v)
            except hll.Corrupted:
                raise CommandError(hll.INVALID_HLL_ERR) from None
            c.node.dirty += 1  # forces propagation of the encoding change
        return list(hll.dense_registers(v))
    if name == b"decode":
        if v[4] != hll.HLL_SPARSE:
            raise CommandError("ERR HLL encoding is not sparse")
        return hll.decode_sparse(v)
    if name == b"encoding":
        return Status("dense" if v[4] == hll.HLL_DENSE else "sparse")
    if name == b"todense":
        if v[4] == hll.HLL_SPARSE:
            try:
                hll.sparse_to_dense(v)
            except hll.Corrupted:
                raise CommandError(hll.INVALID_HLL_ERR) from None
            c.node.dirty += 1
            return 1
        return 0
    raise CommandError("ERR Unknown PFDEBUG subcommand '%s'" % sub.decode("utf-8", "surrogateescape"))


# PFSELFTEST: Redis runs 1000 register round trips and adds 10,000,000 elements; in Python we check
# the same properties on a smaller scale (10 round trips, 100,000 elements) to answer in seconds.
_TEST_CYCLES = 10
_TEST_ELEMENTS = 100_000


@command("pfselftest")
def pfselftest(c, argv):
    rnd = random.Random()
    regs = bytearray(hll.HLL_DENSE_SIZE)
    for _ in range(_TEST_CYCLES):
        values = [rnd.getrandbits(6) for _ in range(hll.HLL_REGISTERS)]
        for i, r in enumerate(values):
            hll.dense_set(regs, hll.HLL_HDR_SIZE, i, r)
        for i, r in enumerate(values):
            got = hll.dense_get(regs, hll.HLL_HDR_SIZE, i)
            if got != r:
                raise CommandError("TESTFAILED Register %d should be %d but is %d" % (i, r, got))
    dense = bytearray(b"HYLL") + bytearray(hll.HLL_DENSE_SIZE - 4)
    sparse = hll.new_sparse()
    relerr = 1.04 / math.sqrt(hll.HLL_REGISTERS)
    checkpoint = 1
    seed = rnd.getrandbits(64)
    max_bytes = _max_bytes(c)
    for j in range(1, _TEST_ELEMENTS + 1):
        ele = (j ^ seed).to_bytes(8, "little")
        hll.add(dense, ele, max_bytes)
        hll.add(sparse, ele, max_bytes)
        if j == checkpoint:
            if j < max_bytes / 2 and sparse[4] != hll.HLL_SPARSE:
                raise CommandError("TESTFAILED sparse encoding not used")
            card = hll.count(dense)
            if card != hll.count(sparse):
                raise CommandError("TESTFAILED dense/sparse disagree")
            abserr = abs(checkpoint - card)
            maxerr = math.ceil(relerr * 6 * checkpoint)
            if j == 10:
                maxerr = 1
            if abserr > maxerr:
                raise CommandError("TESTFAILED Too big error. card:%d abserr:%d" % (checkpoint, abserr))
            checkpoint *= 10
    return OK
