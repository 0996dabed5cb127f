"""The recipes of docs/testing.md, each one a test, against redis-py's RedisCluster (sync and asyncio).

Every recipe breaks a real in-process cluster on purpose and checks that the client copes:

1. MOVED handling (a scripted MOVED, and a slot really moved behind the client's back);
2. ASK during resharding (a slot frozen half-way through a migration);
3. TRYAGAIN (scripted, then a multi-key command split by a frozen migration);
4. failover in the middle of a pipeline (the master frozen with the pipeline in flight, its replica
   promoted, the master killed);
5. a partition that heals (a master cut off from the bus, replaced, back as a replica);
plus scripted CLUSTERDOWN and LOADING.

bench/recipes_20x.py runs this file 20 times in a row and reports flakes.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
import redis
from redis.exceptions import BusyLoadingError, ClusterError

from pyredis_cluster.testing import keys_in_slot

FAST = pytest.mark.redis_cluster(masters=3, replicas=1, node_timeout_ms=1000)


def other_master(c, than):
    return next(m for m in c.masters() if m is not than)


# -- 1. MOVED ----------------------------------------------------------------------------------------------


def test_moved_scripted(redis_cluster):
    c = redis_cluster
    rc = c.client()
    rc.set("user:1", "alice")
    owner = c.owner_of_key("user:1")
    # The owner answers the next GET with MOVED to another master, which sends the client back (a real
    # MOVED): the client must follow both and still read the value.
    c.inject(owner, "user:1", reply="MOVED", count=1, to=other_master(c, owner))
    assert rc.get("user:1") == b"alice"
    assert c.faults(owner) == []  # the injection was consumed: the client really got the MOVED


async def test_moved_scripted_asyncio(redis_cluster):
    c = redis_cluster
    rc = c.async_client()
    try:
        await rc.set("user:1", "alice")
        owner = c.owner_of_key("user:1")
        c.inject(owner, "user:1", reply="MOVED", count=1, to=other_master(c, owner))
        assert await rc.get("user:1") == b"alice"
        assert c.faults(owner) == []
    finally:
        await rc.aclose()


def test_moved_after_resharding(redis_cluster):
    c = redis_cluster
    rc = c.client()
    keys = keys_in_slot(1000, 3)
    for k in keys:
        rc.set(k, k)
    owner = c.slot_owner(1000)
    c.migrate_slot(1000, to=other_master(c, owner), keys="all").finish()  # behind the client's back
    assert [rc.get(k) for k in keys] == [k.encode() for k in keys]  # MOVED, then the new owner


async def test_moved_after_resharding_asyncio(redis_cluster):
    c = redis_cluster
    rc = c.async_client()
    try:
        keys = keys_in_slot(1000, 3)
        for k in keys:
            await rc.set(k, k)
        owner = c.slot_owner(1000)
        c.migrate_slot(1000, to=other_master(c, owner), keys="all").finish()
        assert [await rc.get(k) for k in keys] == [k.encode() for k in keys]
    finally:
        await rc.aclose()


# -- 2. ASK during resharding ------------------------------------------------------------------------------


def test_ask_during_resharding(redis_cluster):
    c = redis_cluster
    rc = c.client()
    keys = keys_in_slot(5000, 6)
    for k in keys:
        rc.set(k, "v-" + k)
    owner = c.slot_owner(5000)
    target = other_master(c, owner)
    mig = c.migrate_slot(5000, to=target, keys="half")  # frozen: MIGRATING here, IMPORTING there
    assert len(mig.moved) == 3
    # moved keys: the source answers ASK, the client sends ASKING + GET to the target
    assert [rc.get(k) for k in keys] == [("v-" + k).encode() for k in keys]
    # a new key of the migrating slot is created on the target (ASK again)
    new = keys_in_slot(5000, 7)[6]
    rc.set(new, "new")
    assert new.encode() in mig.keys_at_target()
    assert c.slot_owner(5000) is owner  # the slot still belongs to the source: no MOVED yet
    mig.finish()
    assert rc.get(new) == b"new" and rc.get(keys[0]) == ("v-" + keys[0]).encode()


async def test_ask_during_resharding_asyncio(redis_cluster):
    c = redis_cluster
    rc = c.async_client()
    try:
        keys = keys_in_slot(5000, 6)
        for k in keys:
            await rc.set(k, "v-" + k)
        owner = c.slot_owner(5000)
        mig = c.migrate_slot(5000, to=other_master(c, owner), keys="half")
        assert [await rc.get(k) for k in keys] == [("v-" + k).encode() for k in keys]
        new = keys_in_slot(5000, 7)[6]
        await rc.set(new, "new")
        assert new.encode() in mig.keys_at_target()
        mig.finish()
        assert await rc.get(new) == b"new"
    finally:
        await rc.aclose()


# -- 3. TRYAGAIN ---------------------------------------------------------------------------------------------


def test_tryagain(redis_cluster):
    c = redis_cluster
    rc = c.client()
    a, b = keys_in_slot(7000, 2)
    rc.set(a, "1")
    rc.set(b, "2")
    # scripted: two TRYAGAINs, then the real answer -- the client retries
    c.inject(None, 7000, reply="TRYAGAIN", count=2)
    assert rc.mget(a, b) == [b"1", b"2"]
    # real: a multi-key command whose keys the frozen migration split answers TRYAGAIN for as long as
    # the migration lasts; redis-py retries, then gives up with "TTL exhausted"
    mig = c.migrate_slot(7000, to=other_master(c, c.slot_owner(7000)), keys=[b])
    with pytest.raises(ClusterError, match="TTL exhausted"):
        rc.mget(a, b)
    mig.finish()
    assert rc.mget(a, b) == [b"1", b"2"]


async def test_tryagain_asyncio(redis_cluster):
    c = redis_cluster
    rc = c.async_client()
    try:
        a, b = keys_in_slot(7000, 2)
        await rc.set(a, "1")
        await rc.set(b, "2")
        c.inject(None, 7000, reply="TRYAGAIN", count=2)
        assert await rc.mget(a, b) == [b"1", b"2"]
        mig = c.migrate_slot(7000, to=other_master(c, c.slot_owner(7000)), keys=[b])
        with pytest.raises(ClusterError, match="TTL exhausted"):
            await rc.mget(a, b)
        mig.finish()
        assert await rc.mget(a, b) == [b"1", b"2"]
    finally:
        await rc.aclose()


# -- 4. failover in the middle of a pipeline -------------------------------------------------------------


def queue_writes(pipe, n=60):
    for i in range(n):
        pipe.set("pipe:%d" % i, i)
    return n


@FAST
def test_failover_mid_pipeline(redis_cluster):
    c = redis_cluster
    rc = c.client(socket_timeout=10)
    victim = c.owner_of_key("pipe:0")
    heir = c.replicas_of(victim)[0]
    pipe = rc.pipeline()
    n = queue_writes(pipe)
    c.pause(victim)  # frozen: its share of the pipeline will hang in flight
    result = {}
    t = threading.Thread(target=lambda: result.update(r=pipe.execute()))
    t.start()
    t.join(0.2)  # (the pipeline is sent; the victim's share waits, unread)
    c.failover(heir, force=True)  # the replica takes over while the pipeline waits
    c.wait_stable()  # ... and the other (running) nodes know it: the retry will find it
    c.kill(victim)  # the pipeline's connection to the old master drops
    t.join(60)
    assert result["r"] == [True] * n
    assert rc.get("pipe:0") == b"0" and c.owner_of_key("pipe:0") is heir


@FAST
async def test_failover_mid_pipeline_asyncio(redis_cluster):
    c = redis_cluster
    rc = c.async_client(socket_timeout=10)
    try:
        await rc.initialize()
        victim = c.owner_of_key("pipe:0")
        heir = c.replicas_of(victim)[0]
        pipe = rc.pipeline()
        n = queue_writes(pipe)
        c.pause(victim)
        task = asyncio.ensure_future(pipe.execute())
        await asyncio.sleep(0.2)  # the pipeline is sent; the victim's share waits, unread
        await asyncio.to_thread(c.failover, heir, True)
        await asyncio.to_thread(c.wait_stable)
        await asyncio.to_thread(c.kill, victim)
        assert await asyncio.wait_for(task, 60) == [True] * n
        assert await rc.get("pipe:0") == b"0"
    finally:
        await rc.aclose()


# -- 5. a partition that heals ---------------------------------------------------------------------------------


@FAST
def test_partition_heals(redis_cluster):
    c = redis_cluster
    rc = c.client()
    k1, k2 = keys_in_slot(12000, 2)
    rc.set(k1, "before")
    m = c.slot_owner(12000)
    r = c.replicas_of(m)[0]
    c.partition([m])  # m can no longer talk to any other node (clients still reach it)
    c.wait_for(lambda: c.role(r) == "master", 30, what="the replica elected by the majority")
    c.wait_for(lambda: c.slot_owner(12000) is r, 30)  # as the other nodes (the client's seeds) see it
    rc.set(k2, "during")  # m answers CLUSTERDOWN (minority): the client finds the new master
    c.heal()
    c.wait_stable(30)
    assert c.role(m) == "replica" and c.master_of(m) is r  # m rejoined as a replica of its successor
    assert rc.get(k1) == b"before" and rc.get(k2) == b"during"
    kinds = {e.kind for e in c.events()}
    assert {"fault", "pfail", "fail", "election-won", "role"} <= kinds
    won = c.events("election-won")
    assert [e.node for e in won] == [r]


@FAST
async def test_partition_heals_asyncio(redis_cluster):
    c = redis_cluster
    rc = c.async_client()
    try:
        k1, k2 = keys_in_slot(12000, 2)
        await rc.set(k1, "before")
        m = c.slot_owner(12000)
        r = c.replicas_of(m)[0]
        c.partition([m])
        await asyncio.to_thread(c.wait_for, lambda: c.role(r) == "master", 30)
        await asyncio.to_thread(c.wait_for, lambda: c.slot_owner(12000) is r, 30)
        await rc.set(k2, "during")
        c.heal()
        await asyncio.to_thread(c.wait_stable, 30)
        assert c.role(m) == "replica"
        assert await rc.get(k1) == b"before" and await rc.get(k2) == b"during"
    finally:
        await rc.aclose()


# -- scripted CLUSTERDOWN and LOADING ---------------------------------------------------------------------------


def test_clusterdown_and_loading(redis_cluster):
    c = redis_cluster
    rc = c.client()
    rc.set("k", "v")
    c.inject(None, "k", reply="CLUSTERDOWN", count=1)
    assert rc.get("k") == b"v"  # redis-py refreshes its slot map and retries
    c.inject(None, "k", reply="LOADING", count=1)
    with pytest.raises(BusyLoadingError):  # ... but hands LOADING to the caller
        rc.get("k")
    assert rc.get("k") == b"v"


async def test_clusterdown_and_loading_asyncio(redis_cluster):
    c = redis_cluster
    rc = c.async_client()
    try:
        await rc.set("k", "v")
        c.inject(None, "k", reply="CLUSTERDOWN", count=1)
        assert await rc.get("k") == b"v"
        c.inject(None, "k", reply="LOADING", count=1)
        with pytest.raises(redis.exceptions.BusyLoadingError):
            await rc.get("k")
        assert await rc.get("k") == b"v"
    finally:
        await rc.aclose()
