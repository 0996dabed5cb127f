"""The keyspace under the generic key commands, in process: the SCAN guarantee under churn, the
cluster-mode per-slot index through rename/copy/flush/expiry, SWAPDB, access times."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from pyredis_cluster.cluster.slots import key_hash_slot
from pyredis_cluster.commands import keys as K
from pyredis_cluster.config import Config
from pyredis_cluster.errors import CommandError
from pyredis_cluster.server.node import Node
from pyredis_cluster.store.keyspace import Database, now_ms
from pyredis_cluster.store.types import HashValue, ListValue, SetValue


def make_client(cluster=False):
    import tempfile

    # each in-process node gets its own dir: its nodes.conf (and the lock on it) must not be shared
    args = ["--cluster-enabled", "yes", "--dir", tempfile.mkdtemp(prefix="pyredis-unit-")] if cluster else []
    node = Node(Config.from_args(args))
    return SimpleNamespace(node=node, db=node.dbs[0], is_master=False)



def call(c, name, *args):
    from pyredis_cluster.commands import table

    argv = [name.encode()] + [a if isinstance(a, bytes) else str(a).encode() for a in args]
    cmd = table.resolve(argv)
    return cmd.handler(c, argv)


def full_scan(db, count, between=None, limit=100000):
    cursor = 0
    seen = []
    for step in range(limit):
        cursor, found = db.scan(cursor, count)
        seen.extend(found)
        if between is not None:
            between(step)
        if cursor == 0:
            return seen
    raise AssertionError("scan did not end")


# -- SCAN -----------------------------------------------------------------------------------------

def test_scan_empty_and_small():
    db = Database(0)
    assert db.scan(0, 10) == (0, [])
    for i in range(5):
        db.set(b"k%d" % i, b"v")
    cursor, found = db.scan(0, 10)
    assert cursor == 0 and sorted(found) == [b"k%d" % i for i in range(5)]


@pytest.mark.parametrize("count", [1, 3, 10, 100])
def test_scan_returns_each_key_once_without_changes(count):
    db = Database(0)
    keys = {b"key:%d" % i for i in range(1000)}
    for k in keys:
        db.set(k, b"v")
    seen = full_scan(db, count)
    assert len(seen) == len(keys) and set(seen) == keys


@pytest.mark.parametrize("seed", range(5))
def test_scan_guarantee_under_churn(seed):
    """Keys present for the whole scan are all returned, whatever is added and deleted meanwhile
    (including deleting and re-creating keys, and rebuilds of the key list)."""
    rng = random.Random(seed)
    db = Database(0, rng=random.Random(seed))
    stable = {b"stable:%d" % i for i in range(800)}
    churn = [b"churn:%d" % i for i in range(800)]
    for k in stable:
        db.set(k, b"v")
    for k in churn:
        db.set(k, b"v")
    counter = [0]
    count = rng.choice([1, 5, 10, 50])

    def between(step):
        for _ in range(rng.randrange(0, 2 * count)):  # fewer new keys than a step returns
            op = rng.random()
            if op < 0.4:
                db.delete(rng.choice(churn))
            elif op < 0.8:
                counter[0] += 1
                db.set(b"new:%d" % counter[0], b"v")
            else:
                k = rng.choice(churn)
                db.set(k, b"again")
        if step % 17 == 5:
            db.tick(now_ms() + 10**9)  # housekeeping may drop the key list: it is rebuilt
    seen = full_scan(db, count, between)
    assert stable <= set(seen)
    assert len(seen) == len(set(seen))  # no duplicates either (a key never moves in hash order)


def test_scan_cursor_is_stateless_and_in_63_bits():
    db = Database(0)
    for i in range(200):
        db.set(b"k%d" % i, b"v")
    cursor, first = db.scan(0, 10)
    assert 0 < cursor < 2**63
    db._scan = db._scan_log = None  # forget everything: the cursor still means the same
    cursor2, again = db.scan(cursor, 10)
    db._scan = db._scan_log = None
    assert db.scan(cursor, 10) == (cursor2, again)
    assert not set(first) & set(again)
    assert db.scan(2**63, 10) == (0, [])
    assert db.scan(2**64 - 1, 10) == (0, [])


def test_scan_visits_at_most_ten_times_count_dead_entries():
    db = Database(0)
    for i in range(1000):
        db.set(b"k%d" % i, b"v")
    db.scan(0, 10)  # builds the key list
    for i in range(990):
        db.delete(b"k%d" % i)
    cursor, found = db.scan(0, 1)
    assert cursor != 0 and len(found) <= 1
    assert set(full_scan(db, 1)) == {b"k%d" % i for i in range(990, 1000)}


def test_random_key():
    db = Database(0, rng=random.Random(1))
    assert db.random_key() is None
    for i in range(50):
        db.set(b"k%d" % i, b"v")
    picks = {db.random_key() for _ in range(500)}
    assert len(picks) > 30
    for i in range(49):
        db.delete(b"k%d" % i)
    assert db.random_key() == b"k49"
    db.set_expire(b"k49", now_ms() - 1)
    assert db.random_key() is None and len(db) == 0


def test_tick_bounds_the_creation_log():
    db = Database(0)
    db.set(b"a", b"1")
    db.scan(0, 10)
    for i in range(70000):
        db.set(b"n%d" % i, b"v")
    db.tick(now_ms())
    assert db._scan is None and db._scan_log is None
    db.set(b"more", b"v")  # no list, no log: nothing to maintain
    assert db._scan_log is None


# -- commands on a cluster node: the per-slot index stays exact ---------------------------------------

def index_consistent(db) -> bool:
    expected: dict = {}
    for k in db.data:
        expected.setdefault(key_hash_slot(k), set()).add(k)
    got = {slot: set(keys) for slot, keys in db.slot_keys.items()}
    return got == expected


def test_cluster_index_through_rename_copy_expire_flush():
    c = make_client(cluster=True)
    db = c.db
    for i in range(20):
        db.set(b"{t}k%d" % i, b"v")
    assert index_consistent(db)
    assert call(c, "rename", b"{t}k0", b"{t}r0") == K.OK
    assert call(c, "renamenx", b"{t}k1", b"{t}r1") == K.ONE
    assert call(c, "rename", b"{t}k2", b"{t}k3") == K.OK  # overwrite
    assert call(c, "copy", b"{t}k4", b"{t}c4") == K.ONE
    assert call(c, "copy", b"{t}k5", b"{t}k6", b"REPLACE") == K.ONE
    assert call(c, "expire", b"{t}k7", b"-1") == K.ONE
    assert call(c, "del", b"{t}k8", b"{t}nope") == 1
    assert index_consistent(db)
    assert db.count_keys_in_slot(key_hash_slot(b"t")) == len(db.data)
    with pytest.raises(CommandError, match="MOVE is not allowed in cluster mode"):
        call(c, "move", b"{t}k9", b"1")
    with pytest.raises(CommandError, match="SWAPDB is not allowed in cluster mode"):
        call(c, "swapdb", b"0", b"1")
    with pytest.raises(CommandError, match="Copying to another database is not allowed in cluster mode"):
        call(c, "copy", b"{t}k9", b"{t}x", b"DB", b"1")
    with pytest.raises(CommandError, match="DB index is out of range"):
        call(c, "copy", b"{t}k9", b"{t}x", b"DB", b"16")
    db.set_expire(b"{t}k9", now_ms() - 1)
    assert db.lookup(b"{t}k9") is None  # lazy expiry
    assert index_consistent(db)
    assert call(c, "flushall") == K.OK
    assert db.slot_keys == {} and len(db) == 0
    db.set(b"x", b"1")
    assert call(c, "flushdb", b"ASYNC") == K.OK
    assert db.slot_keys == {} and not db.atime


def test_swapdb_and_move_keep_everything_consistent():
    c = make_client()
    node = c.node
    db0, db1 = node.dbs[0], node.dbs[1]
    db0.set(b"a", b"0")
    db0.set_expire(b"a", now_ms() + 100000)
    db1.set(b"b", b"1")
    db0.scan(0, 10)  # build a key list, that must travel with the keys
    assert call(c, "swapdb", b"0", b"1") == K.OK
    assert db0.data == {b"b": b"1"} and db1.data == {b"a": b"0"}
    assert b"a" in db1.expires and not db0.expires
    assert db1._volatile == [b"a"] and db0._volatile == []
    assert set(full_scan(db0, 10)) == {b"b"} and set(full_scan(db1, 10)) == {b"a"}
    c.db = db1
    assert call(c, "move", b"a", b"0") == K.ONE
    assert db0.expires.get(b"a") and not db1.expires and db1._volatile == [] and db0._volatile == [b"a"]
    assert set(full_scan(db0, 10)) == {b"a", b"b"}


def test_swapdb_touches_watched_keys():
    c = make_client()
    node = c.node
    class Watcher:
        dirty_cas = False

        def __init__(self, key):
            self.watched = {(0, key): False}  # (db, key) -> expired when watched

    watcher, other = Watcher(b"k"), Watcher(b"absent")
    node.watched_keys[(0, b"k")] = {watcher}
    node.watched_keys[(0, b"absent")] = {other}
    node.dbs[1].set(b"k", b"v")
    call(c, "swapdb", b"1", b"0")
    assert watcher.dirty_cas and not other.dirty_cas


def test_copy_is_deep():
    c = make_client()
    db = c.db
    db.add(b"l", ListValue([b"a"]))
    db.add(b"h", HashValue({b"f": b"v"}))
    db.add(b"s", SetValue({b"m"}))
    db.set(b"ba", bytearray(b"raw"))
    for k in (b"l", b"h", b"s", b"ba"):
        assert call(c, "copy", k, k + b"2") == K.ONE
        assert type(db.data[k + b"2"]) is type(db.data[k])
        assert db.data[k + b"2"] == db.data[k] and db.data[k + b"2"] is not db.data[k]
    db.data[b"l"].append(b"b")
    db.data[b"h"][b"g"] = b"w"
    db.data[b"s"].add(b"n")
    db.data[b"ba"].extend(b"!")
    assert db.data[b"l2"] == ListValue([b"a"]) and db.data[b"h2"] == {b"f": b"v"}
    assert db.data[b"s2"] == {b"m"} and db.data[b"ba2"] == b"raw"


def test_object_encoding_defaults_for_containers():
    c = make_client()
    db = c.db
    db.add(b"h", HashValue({b"f": b"v"}))
    db.add(b"hb", HashValue({b"f": b"v" * 65}))
    db.add(b"si", SetValue({b"1", b"-2"}))
    db.add(b"ss", SetValue({b"1", b"a"}))
    db.add(b"s0", SetValue({b"01"}))
    db.add(b"l", ListValue([b"a"]))
    assert call(c, "object", b"encoding", b"h") == b"listpack"
    assert call(c, "object", b"encoding", b"hb") == b"hashtable"
    assert call(c, "object", b"encoding", b"si") == b"intset"
    assert call(c, "object", b"encoding", b"ss") == b"hashtable"
    assert call(c, "object", b"encoding", b"s0") == b"hashtable"
    assert call(c, "object", b"encoding", b"l") == b"quicklist"


def test_idle_time_and_lfu_policy():
    c = make_client()
    db = c.db
    db.set(b"k", b"v")
    db.tick(now_ms() + 5000)
    assert call(c, "object", b"idletime", b"k") == 5
    assert call(c, "exists", b"k") == 1 and call(c, "type", b"k") == "string"  # NOTOUCH
    assert call(c, "ttl", b"k") == -1
    assert call(c, "object", b"idletime", b"k") == 5
    db.lookup(b"k")
    assert call(c, "object", b"idletime", b"k") == 0
    db.set_idle(b"k", 120)
    assert call(c, "object", b"idletime", b"k") == 120
    with pytest.raises(CommandError, match="An LFU maxmemory policy is not selected"):
        call(c, "object", b"freq", b"k")
    db.delete(b"k")
    assert b"k" not in db.atime


def test_lfu_counts_accesses_only_under_an_lfu_policy():
    c = make_client()
    db = c.db
    assert type(db).__name__ == "Database"
    c.node.config.set("maxmemory-policy", "allkeys-lfu")
    assert type(db).__name__ == "LFUDatabase"
    db.set(b"k", b"v")
    with pytest.raises(CommandError, match="An LFU maxmemory policy is selected"):
        call(c, "object", b"idletime", b"k")
    assert call(c, "object", b"freq", b"k") == 5  # LFU_INIT_VAL
    assert call(c, "get", b"k") == b"v"
    assert call(c, "object", b"freq", b"k") == 6  # the first hit always counts
    for _ in range(1000):
        db.lookup_read(b"k")
    assert 10 <= call(c, "object", b"freq", b"k") <= 40  # logarithmic (about 18)
    db.set(b"k", b"w")  # an overwrite keeps the counter
    assert call(c, "object", b"freq", b"k") >= 10
    db.set_lfu_freq(b"k", 10)
    db.tick((db.lru_clock + 180) * 1000)  # 3 minutes later, lfu-decay-time 1
    assert call(c, "object", b"freq", b"k") == 7
    c.node.config.set("lfu-decay-time", "0")
    assert call(c, "object", b"freq", b"k") == 10
    assert call(c, "rename", b"k", b"k2") == K.OK  # the same object: its counter moves along
    assert call(c, "object", b"freq", b"k2") >= 10
    c.node.config.set("maxmemory-policy", "noeviction")
    assert type(db).__name__ == "Database"


def test_parsers():
    assert K.string2ll(b"0") == 0 and K.string2ll(b"-9223372036854775808") == -(2**63)
    for bad in (b"", b"-", b"+1", b"01", b"-0", b" 1", b"1 ", b"9223372036854775808", b"1e3", b"0x1"):
        assert K.string2ll(bad) is None, bad
    assert K.parse_scan_cursor(b"") == 0
    assert K.parse_scan_cursor(b"-1") == 2**64 - 1
    assert K.parse_scan_cursor(b"+7") == 7
    assert K.parse_scan_cursor(b"18446744073709551615") == 2**64 - 1
    for bad in (b" 1", b"1 ", b"18446744073709551616", b"-", b"x", b"1.0"):
        with pytest.raises(CommandError, match="invalid cursor"):
            K.parse_scan_cursor(bad)


# -- active expiry ------------------------------------------------------------------------------------

def test_active_expiry_sweeps_every_volatile_key():
    """A few expired keys among many volatile ones are all found within one sweep of 20 keys per
    cycle (Redis's expires_cursor), not left to chance."""
    import time

    db = Database(0)
    now = now_ms()
    for i in range(2000):
        db.set(b"long:%d" % i, b"v")
        db.set_expire(b"long:%d" % i, now + 3_600_000)
    for i in range(20):
        db.set(b"short:%d" % i, b"v")
        db.set_expire(b"short:%d" % i, now + 10)
    for cycle in range(2020 // 20 + 2):
        db.active_expire_cycle(now + 100, time.monotonic() + 1)
        if len(db) == 2000:
            break
    assert len(db) == 2000 and len(db.expires) == 2000 and len(db._volatile) == 2000
    assert db.expired_keys == 20
    assert 3_000_000 < db.avg_ttl <= 3_600_000


def test_active_expiry_of_a_burst_in_one_cycle():
    import time

    db = Database(0)
    now = now_ms()
    for i in range(1000):
        db.set(b"k%d" % i, b"v")
        db.set_expire(b"k%d" % i, now + 10)
    db.set(b"persistent", b"v")
    db.active_expire_cycle(now + 100, time.monotonic() + 1)
    assert list(db.data) == [b"persistent"] and not db.expires and not db._volatile
