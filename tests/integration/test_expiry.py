"""Expiry and key iteration seen by a real client (redis-py) against our server: lazy and active
expiry, TTL semantics, SCAN completeness while the keyspace changes, OBJECT IDLETIME."""

from __future__ import annotations

import time

import pytest
import redis


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    """Our server with DEBUG enabled (DEBUG SET-ACTIVE-EXPIRE), for this module only."""
    import shutil

    from helpers import start_server

    srv = start_server("ours", args=["--enable-debug-command", "yes"])
    yield srv
    srv.stop()
    shutil.rmtree(srv.workdir, ignore_errors=True)


@pytest.fixture
def r(ours):
    client = redis.Redis(port=ours.port)
    client.flushall()
    yield client
    try:
        client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    except redis.ResponseError:
        pass
    client.flushall()
    client.close()


def wait_for(predicate, timeout: float, step: float = 0.02) -> float:
    """Poll until ``predicate()``; return the seconds it took (fail after ``timeout``)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    raise AssertionError("condition not met within %.1f s" % timeout)


def disable_active_expire(r):
    try:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    except redis.ResponseError as e:
        pytest.skip("DEBUG SET-ACTIVE-EXPIRE not available: %s" % e)


# -- lazy and active expiry -------------------------------------------------------------------------

def test_lazy_expiry_deletes_on_read(r):
    disable_active_expire(r)
    r.set("k", "v")
    r.set("k2", "v")
    r.set("keep", "v")
    r.pexpire("k", 30)
    r.pexpire("k2", 30)
    time.sleep(0.15)
    assert r.dbsize() == 3  # still stored: nobody looked and the cron is off
    assert r.get("k") is None  # a read finds it expired and deletes it
    assert r.dbsize() == 2
    assert r.exists("k2") == 0
    assert r.dbsize() == 1
    assert r.keys("*") == [b"keep"]


def test_expired_keys_are_invisible_to_every_read(r):
    disable_active_expire(r)
    for k in ("a", "b", "c", "d", "e", "f", "g"):
        r.set(k, "v")
        r.pexpire(k, 20)
    time.sleep(0.1)
    assert r.ttl("a") == -2 and r.pttl("b") == -2
    assert r.type("c") == b"none"
    assert r.exists("d") == 0
    assert r.object("encoding", "e") is None
    assert r.keys("*") == [] and r.dbsize() == 2  # KEYS hides them without deleting
    assert r.scan(0, count=100) == (0, [])  # SCAN deletes what it meets
    assert r.dbsize() == 0 and r.randomkey() is None


def test_active_expiry_removes_untouched_keys(r):
    pipe = r.pipeline(transaction=False)
    for i in range(500):
        pipe.set("tmp:%d" % i, "v")
        pipe.pexpire("tmp:%d" % i, 100 + i % 200)
    for i in range(50):
        pipe.set("perm:%d" % i, "v")
    pipe.execute()
    assert r.dbsize() == 550
    took = wait_for(lambda: r.dbsize() == 50, timeout=3.0, step=0.05)
    assert took < 2.0
    assert sorted(r.keys("*")) == sorted(b"perm:%d" % i for i in range(50))


def test_active_expiry_can_be_disabled(r):
    disable_active_expire(r)
    r.set("k", "v")
    r.pexpire("k", 10)
    time.sleep(0.5)
    assert r.dbsize() == 1
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    wait_for(lambda: r.dbsize() == 0, timeout=2.0)


def test_active_expiry_in_other_databases(r, ours):
    other = redis.Redis(port=ours.port, db=7)
    try:
        other.set("k", "v")
        other.pexpire("k", 100)
        wait_for(lambda: other.dbsize() == 0, timeout=2.0)
    finally:
        other.close()


# -- TTL semantics ---------------------------------------------------------------------------------

def test_ttl_semantics(r):
    assert r.ttl("none") == -2 and r.pttl("none") == -2
    assert r.expiretime("none") == -2
    r.set("k", "v")
    assert r.ttl("k") == -1 and r.pttl("k") == -1 and r.expiretime("k") == -1
    assert r.expire("k", 10) is True
    assert r.ttl("k") == 10
    assert 9000 < r.pttl("k") <= 10000
    now = time.time()
    assert abs(r.expiretime("k") - (now + 10)) <= 2
    assert abs(r.pexpiretime("k") - (now + 10) * 1000) <= 1500
    r.pexpire("k", 1400)
    assert r.ttl("k") == 1  # rounded: (ms + 500) / 1000
    r.pexpire("k", 1600)
    assert r.ttl("k") == 2
    assert r.persist("k") is True and r.ttl("k") == -1 and r.persist("k") is False
    r.expire("k", 100)
    r.set("k", "w")  # a plain SET forgets the TTL
    assert r.ttl("k") == -1


def test_ttl_counts_down_and_key_disappears(r):
    r.set("k", "v")
    r.pexpire("k", 600)
    first = r.pttl("k")
    time.sleep(0.2)
    second = r.pttl("k")
    assert 0 < second < first <= 600
    wait_for(lambda: r.get("k") is None, timeout=2.0)
    assert r.ttl("k") == -2


def test_expire_in_the_past_deletes(r):
    for cmd, arg in (("expire", -1), ("pexpire", 0), ("expireat", 1), ("pexpireat", int(time.time() * 1000) - 5)):
        r.set("k", "v")
        assert r.execute_command(cmd, "k", arg) == 1
        assert r.exists("k") == 0


def test_expire_options(r):
    r.set("k", "v")
    assert r.expire("k", 100, xx=True) is False
    assert r.expire("k", 100, nx=True) is True
    assert r.expire("k", 50, gt=True) is False
    assert r.expire("k", 200, gt=True) is True
    assert r.expire("k", 300, lt=True) is False
    assert r.expire("k", 20, lt=True) is True
    assert r.ttl("k") == 20
    with pytest.raises(redis.ResponseError, match="not compatible"):
        r.expire("k", 1, nx=True, xx=True)


def test_rename_move_copy_keep_ttl(r, ours):
    r.set("a", "v")
    r.expire("a", 100)
    r.rename("a", "b")
    assert 99 <= r.ttl("b") <= 100
    r.copy("b", "c")
    assert 99 <= r.ttl("c") <= 100
    assert r.move("c", 3) is True
    other = redis.Redis(port=ours.port, db=3)
    try:
        assert 99 <= other.ttl("c") <= 100
    finally:
        other.close()


def test_rename_of_expired_key_fails(r):
    disable_active_expire(r)
    r.set("a", "v")
    r.pexpire("a", 10)
    time.sleep(0.05)
    with pytest.raises(redis.ResponseError, match="no such key"):
        r.rename("a", "b")


# -- SCAN ---------------------------------------------------------------------------------------------

def fill(r, prefix: str, n: int, value="v"):
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.set("%s:%d" % (prefix, i), value)
    pipe.execute()


@pytest.mark.parametrize("count", [None, 1, 10, 100, 5000])
def test_scan_iter_returns_every_key(r, count):
    fill(r, "key", 1500)
    kwargs = {"count": count} if count else {}
    seen = list(r.scan_iter(**kwargs))
    assert len(seen) == 1500 and set(seen) == {b"key:%d" % i for i in range(1500)}


def test_scan_match_and_type(r):
    fill(r, "user", 1200)
    fill(r, "other", 300)
    assert set(r.scan_iter(match="user:1*", count=50)) == {b"user:%d" % i for i in range(1200)
                                                          if str(i).startswith("1")}
    assert len(set(r.scan_iter(_type="string", count=50))) == 1500
    assert list(r.scan_iter(_type="list", count=50)) == []
    assert list(r.scan_iter(match="nomatch*", count=1000)) == []


def test_scan_guarantee_while_keys_change(r):
    """Keys present for the whole iteration are returned, however many keys are added, deleted
    and re-created between the calls."""
    fill(r, "stable", 1000)
    fill(r, "churn", 1000)
    seen = set()
    cursor = 0
    created = 0
    for step in range(100000):
        cursor, keys = r.scan(cursor, count=20)
        seen.update(keys)
        pipe = r.pipeline(transaction=False)
        for j in range(5):
            pipe.delete("churn:%d" % ((step * 7 + j * 131) % 1000))
            pipe.set("churn:%d" % ((step * 13 + j * 17) % 1000), "again")
            created += 1
            pipe.set("new:%d" % created, "v")
        pipe.execute()
        if cursor == 0:
            break
    else:
        raise AssertionError("scan did not end")
    assert {b"stable:%d" % i for i in range(1000)} <= seen


def test_scan_survives_flush_and_expiry_mid_iteration(r):
    fill(r, "a", 1000)
    cursor, first = r.scan(0, count=50)
    assert cursor != 0
    pipe = r.pipeline(transaction=False)
    for i in range(0, 1000, 2):
        pipe.pexpire("a:%d" % i, 1)
    pipe.execute()
    time.sleep(0.05)
    rest = set()
    for _ in range(10000):
        cursor, keys = r.scan(cursor, count=50)
        rest.update(keys)
        if cursor == 0:
            break
    assert all(int(k.split(b":")[1]) % 2 == 1 for k in rest)  # expired keys are never returned
    odd = {b"a:%d" % i for i in range(1, 1000, 2)}
    assert odd <= rest | set(first)
    cursor, _ = r.scan(0, count=10)
    r.flushall()
    assert r.scan(cursor, count=10) == (0, [])


def test_scan_cursor_errors(r):
    with pytest.raises(redis.ResponseError, match="invalid cursor"):
        r.execute_command("SCAN", "abc")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SCAN", "0", "COUNT", "0")


# -- RANDOMKEY, OBJECT IDLETIME -----------------------------------------------------------------------

def test_randomkey_spreads(r):
    fill(r, "k", 20)
    picks = {r.randomkey() for _ in range(300)}
    assert len(picks) >= 15


def test_object_idletime(r):
    r.set("k", "v")
    r.set("touched", "v")
    assert r.object("idletime", "k") == 0
    time.sleep(2.3)
    r.get("touched")
    idle = r.object("idletime", "k")
    assert 2 <= idle <= 3
    assert r.object("idletime", "touched") == 0
    r.ttl("k")
    r.exists("k")
    r.type("k")
    assert r.object("idletime", "k") == idle  # NOTOUCH commands leave it alone
    r.touch("k")
    assert r.object("idletime", "k") == 0


# -- keys created by RENAME / MOVE / COPY / SWAPDB wake blocked clients ---------------------------------

@pytest.mark.parametrize("how", ["rename", "copy", "move", "swapdb"])
def test_key_commands_serve_blocked_clients(r, ours, how):
    import threading

    from pyredis_cluster.commands import table

    if b"blpop" not in table.COMMANDS:
        pytest.skip("no BLPOP yet")
    blocked = redis.Redis(port=ours.port, db=0)
    result = []
    t = threading.Thread(target=lambda: result.append(blocked.blpop("target", timeout=5)))
    t.start()
    try:
        time.sleep(0.2)
        other = redis.Redis(port=ours.port, db=1)
        if how == "rename":
            r.rpush("src", "x")
            r.rename("src", "target")
        elif how == "copy":
            r.rpush("src", "x")
            r.copy("src", "target")
        elif how == "move":
            other.rpush("target", "x")
            other.move("target", 0)
        else:
            other.rpush("target", "x")
            r.swapdb(0, 1)
        other.close()
        t.join(6)
        assert result == [(b"target", b"x")]
    finally:
        t.join(6)
        blocked.close()


# -- replication of expiry ------------------------------------------------------------------------------

@pytest.fixture
def replica(ours):
    import shutil

    from helpers import start_server

    srv = start_server("ours")
    client = redis.Redis(port=srv.port)
    client.execute_command("REPLICAOF", "127.0.0.1", str(ours.port))
    try:
        wait_for(lambda: client.info("replication").get("master_link_status") == "up", timeout=10, step=0.1)
    except AssertionError:
        srv.stop()
        pytest.skip("replication link did not come up")
    yield client
    client.close()
    srv.stop()
    shutil.rmtree(srv.workdir, ignore_errors=True)


def test_expire_reaches_replicas_as_absolute_times(r, replica):
    r.set("k", "v")
    r.expire("k", 100)
    r.set("gone", "v")
    r.expire("gone", -1)  # deleted on the master: the replica gets a DEL
    r.set("p", "v")
    r.pexpire("p", 500000)
    r.persist("p")
    wait_for(lambda: replica.exists("k") and replica.pexpiretime("k") > 0, timeout=5)
    assert replica.pexpiretime("k") == r.pexpiretime("k")
    wait_for(lambda: replica.ttl("p") == -1, timeout=5)
    assert replica.exists("gone") == 0
    r.execute_command("FLUSHALL")
    wait_for(lambda: replica.dbsize() == 0, timeout=5)
    r.set("x", "1")
    r.flushdb()  # already almost empty: still propagated
    wait_for(lambda: replica.dbsize() == 0, timeout=5)


def test_replica_keeps_expired_keys_until_the_master_deletes_them(r, replica):
    disable_active_expire(r)
    r.set("k", "v")
    r.pexpire("k", 50)
    wait_for(lambda: replica.exists("k") == 1, timeout=5)
    time.sleep(0.15)
    assert replica.get("k") is None  # reads as missing ...
    assert replica.dbsize() == 1  # ... but stays until the master's DEL
    assert replica.randomkey() in (b"k", None)
    r.get("k")  # the master expires it lazily and propagates the DEL
    wait_for(lambda: replica.dbsize() == 0, timeout=5)


def test_redis_cli_scan(r, ours):
    import shutil
    import subprocess

    if shutil.which("redis-cli") is None:
        pytest.skip("no redis-cli")
    fill(r, "cli", 2500)
    r.set("other", "v")
    out = subprocess.run(["redis-cli", "-p", str(ours.port), "--scan"], capture_output=True, timeout=60).stdout
    assert len(out.split()) == 2501 and len(set(out.split())) == 2501
    out = subprocess.run(["redis-cli", "-p", str(ours.port), "--scan", "--pattern", "cli:1*"],
                         capture_output=True, timeout=60).stdout
    assert set(out.split()) == {b"cli:%d" % i for i in range(2500) if str(i).startswith("1")}
