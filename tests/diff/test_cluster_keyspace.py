"""Cluster mode's keyspace (no bus needed): one database, the per-slot key index, CLUSTER KEYSLOT /
COUNTKEYSINSLOT / GETKEYSINSLOT -- compared byte for byte with a redis-server in cluster mode that owns
every slot."""

from __future__ import annotations

import shutil
import time

import pytest

from conftest import Differ
from helpers import start_server


@pytest.fixture(scope="module")
def cluster_pair():
    args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
    ours = start_server("ours", args=args)
    theirs = start_server("redis", args=args)
    d = Differ(ours.port, theirs.port)
    for c in (d.a, d.b):
        c.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        deadline = time.monotonic() + 10
        while b"cluster_state:ok" not in c.call("CLUSTER", "INFO") and time.monotonic() < deadline:
            time.sleep(0.1)  # a master waits a moment (CLUSTER_WRITABLE_DELAY) before serving
    yield d
    d.close()
    for s in (ours, theirs):
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)


@pytest.fixture
def cdiff(cluster_pair):
    cluster_pair.both("FLUSHALL")
    return cluster_pair


def test_keyslot(cdiff):
    for key in ("123456789", "foo", "{user1000}.following", "foo{bar}{zap}", "foo{}{bar}", "foo{{bar}}zap", "{}",
                "}{a}", "", "\xff\x00"):
        cdiff.same("CLUSTER", "KEYSLOT", key)
    cdiff.same("CLUSTER", "KEYSLOT")


def test_keys_by_slot(cdiff):
    for i in range(30):
        cdiff.same("SET", "{tag}:%d" % i, "v")
        cdiff.same("SET", "other:%d" % i, "v")
    slot = int(cdiff.same("CLUSTER", "KEYSLOT", "{tag}")[1:-2])
    cdiff.same("CLUSTER", "COUNTKEYSINSLOT", str(slot))
    cdiff.same("DEL", "{tag}:3", "{tag}:7")
    cdiff.same("CLUSTER", "COUNTKEYSINSLOT", str(slot))
    cdiff.same_unordered("CLUSTER", "GETKEYSINSLOT", str(slot), "100")
    mine, real = cdiff.both("CLUSTER", "GETKEYSINSLOT", str(slot), "5")
    assert mine.startswith(b"*5\r\n") and real.startswith(b"*5\r\n")
    cdiff.same("CLUSTER", "GETKEYSINSLOT", str(slot), "0")
    for bad in (("CLUSTER", "COUNTKEYSINSLOT", "x"), ("CLUSTER", "COUNTKEYSINSLOT", "16384"),
                ("CLUSTER", "COUNTKEYSINSLOT", "-1"), ("CLUSTER", "GETKEYSINSLOT", "1", "-1"),
                ("CLUSTER", "GETKEYSINSLOT", "16384", "1"), ("CLUSTER", "GETKEYSINSLOT", "a", "1")):
        cdiff.same(*bad)


def test_one_database_in_cluster_mode(cdiff):
    cdiff.same("SELECT", "1")
    cdiff.same("SELECT", "0")
    cdiff.same("SET", "k", "v")
    cdiff.same("DBSIZE")


def test_flush_empties_the_slot_index(cdiff):
    cdiff.same("SET", "a", "1")
    slot = cdiff.same("CLUSTER", "KEYSLOT", "a")[1:-2].decode()
    cdiff.same("CLUSTER", "COUNTKEYSINSLOT", slot)
    cdiff.same("FLUSHALL")
    cdiff.same("CLUSTER", "COUNTKEYSINSLOT", slot)
    cdiff.same("CLUSTER", "GETKEYSINSLOT", slot, "10")
