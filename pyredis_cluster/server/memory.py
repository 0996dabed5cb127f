"""maxmemory: memory accounting and key eviction (Redis: evict.c ``performEvictions``).

A Python process cannot ask its allocator what the dataset costs, so the memory Redis would report is
*estimated*: Redis's start-up footprint plus, for every key, the size MEMORY USAGE estimates
(``object_size`` over a few sampled elements for collections).  The estimate is kept up to date cheaply
and only while ``maxmemory`` is set:

* after each write command the sizes of the keys it named are recomputed (``after_write``);
* expired keys are forgotten as they are deleted (``forget``, from the node's expiry hook);
* anything else that changes keys behind the commands' backs (FLUSHALL, SWAPDB, MOVE, a slot deleted
  by the cluster, loading a file) shows up as a key count that differs from the database's, and that
  database is re-measured (``reconcile``) before the next eviction decision.

Before a command runs (``perform_evictions``, called by the connection's slow path -- every client of a
node with maxmemory set takes it), keys are evicted by the configured policy until the estimate is
under the limit.  The LRU/LFU/TTL policies use Redis's eviction pool: ``maxmemory-samples`` keys sampled
from each database, the 16 best candidates kept across calls (idle time from the per-key access clock
of :mod:`..store.keyspace`, LFU counters, or the expire time).  Random policies pick a random key.  An
evicted key is deleted, counted (``evicted_keys``), notified (``evicted``) and propagated as DEL.
"""

from __future__ import annotations

import random
import time

EVPOOL_SIZE = 16
REDIS_STARTUP_MEMORY = 876328  # used_memory_startup of redis-server 7.0.15 (x86-64, jemalloc)
OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'."

EVICT_OK, EVICT_RUNNING, EVICT_FAIL = 0, 1, 2


class DbSizes:
    """Per database: key -> estimated size, their total, and a list of the keys for random picks."""

    __slots__ = ("sizes", "total", "keys", "pos")

    def __init__(self):
        self.sizes: dict = {}
        self.total = 0
        self.keys: list = []
        self.pos: dict = {}

    def set(self, key: bytes, size: int) -> None:
        old = self.sizes.get(key)
        if old is None:
            self.pos[key] = len(self.keys)
            self.keys.append(key)
            old = 0
        self.sizes[key] = size
        self.total += size - old

    def forget(self, key: bytes) -> None:
        old = self.sizes.pop(key, None)
        if old is None:
            return
        self.total -= old
        i = self.pos.pop(key)
        last = self.keys.pop()
        if last != key:
            self.keys[i] = last
            self.pos[last] = i

    def random_key(self, rng):
        return self.keys[rng.randrange(len(self.keys))] if self.keys else None


class Memory:
    def __init__(self, node):
        self.node = node
        self.dbs = [DbSizes() for _ in node.dbs]
        self.pool: list = []  # [(score, db id, key)], ascending score: the best candidate is last
        self.in_pool: set = set()  # (db id, key) of the pool entries
        self.suspect = True  # key counts may differ from the databases': check them (check_counts)
        self.calls = 0
        self.next_db = 0
        self.rng = random.Random()
        self._proc_scheduled = False
        for i in range(len(node.dbs)):
            self.reconcile(i)

    # -- accounting --------------------------------------------------------------------------------

    def key_size(self, db, key: bytes, value) -> int:
        from ..commands.admin import key_memory_usage

        try:
            size = key_memory_usage(db, key, value, 5, self.node.config, db.slot_keys is not None)
        except Exception:
            size = 64 + len(key)
        # + the main dict's bucket slack, + the expires dict's entry and bucket for a volatile key
        return size + 16 + (40 if key in db.expires else 0)

    def track(self, db, key: bytes) -> None:
        value = db.data.get(key)
        sizes = self.dbs[db.id]
        if value is None:
            sizes.forget(key)
        else:
            sizes.set(key, self.key_size(db, key, value))

    def forget(self, db, key: bytes) -> None:
        self.dbs[db.id].forget(key)

    def after_write(self, c, cmd, argv) -> None:
        """A write command ran: re-measure the keys it named (keyless writes: the databases will be
        reconciled by their key counts)."""
        if cmd.no_keys or cmd.name in ("move", "copy", "swapdb"):
            self.suspect = True  # FLUSHALL, SWAPDB, MOVE ...: recount before the next decision
            if cmd.no_keys:
                return
        db = c.db
        try:
            idx = cmd.get_keys(argv)
        except Exception:
            return
        for i in idx:
            if 0 < i < len(argv):
                self.track(db, argv[i])

    def reconcile(self, dbid: int) -> None:
        """Re-measure a database whose key count no longer matches (O(keys), rare)."""
        db = self.node.dbs[dbid]
        sizes = self.dbs[dbid]
        data = db.data
        for key in [k for k in sizes.sizes if k not in data]:
            sizes.forget(key)
        for key, value in data.items():
            if key not in sizes.sizes:
                sizes.set(key, self.key_size(db, key, value))

    def check_counts(self) -> None:
        for i, db in enumerate(self.node.dbs):
            if len(db.data) != len(self.dbs[i].sizes):
                self.reconcile(i)

    def dataset(self) -> int:
        return sum(d.total for d in self.dbs)

    def used(self) -> int:
        """The used_memory estimate eviction works with: the dataset, and what clients' query and output
        buffers hold (replicas' output excepted: freeMemoryGetNotCountedMemory)."""
        return REDIS_STARTUP_MEMORY + self.dataset() + self.client_buffers()

    _buffers = (0.0, 0)

    def client_buffers(self) -> int:
        """The clients' buffers beyond their fixed cost, summed at most every 10 ms."""
        now = time.monotonic()
        at, total = self._buffers
        if now - at < 0.01:
            return total
        from .limits import CLIENT_BASE_MEM, client_memory

        total = 0
        for c in self.node.clients.values():
            if not getattr(c, "is_replica", False) and not c.is_master:
                total += client_memory(c) - CLIENT_BASE_MEM
        self._buffers = (now, total)
        return total

    # -- eviction ------------------------------------------------------------------------------------

    def perform_evictions(self) -> int:
        """performEvictions: EVICT_OK, EVICT_RUNNING (time limit hit; continues from the event loop) or
        EVICT_FAIL (over the limit and nothing can be evicted)."""
        node = self.node
        cfg = node.config
        if node.repl.link is not None and cfg["replica-ignore-maxmemory"]:
            return EVICT_OK  # replicas are exact copies of their master
        if node.pause_until:
            return EVICT_OK  # a paused dataset stays static
        if node.exec_depth:
            return EVICT_OK  # not in the middle of a transaction (CONFIG SET maxmemory inside MULTI)
        maxmemory = cfg["maxmemory"]
        self.calls += 1
        if self.suspect or self.calls % 100 == 0:  # (keys deleted behind the commands' backs)
            self.suspect = False
            self.check_counts()
        used = self.used()
        if used <= maxmemory:
            return EVICT_OK
        policy = cfg["maxmemory-policy"]
        if policy == "noeviction":
            return EVICT_FAIL
        tenacity = cfg["maxmemory-eviction-tenacity"]
        if tenacity <= 10:
            limit_us = 50 * tenacity
        elif tenacity < 100:
            limit_us = 500.0 * 1.15 ** (tenacity - 10.0)
        else:
            limit_us = float("inf")
        limit_s = limit_us * 20 / 1e6  # (Python evicts ~20x slower than C: the same number of keys per call)
        start = time.monotonic()
        tofree = used - maxmemory
        freed = 0
        keys_freed = 0
        t_latency = time.monotonic()
        while freed < tofree:
            pick = self._pick(policy)
            if pick is None:
                self._latency("eviction-cycle", t_latency)
                return EVICT_FAIL
            dbid, key = pick
            freed += self._evict(dbid, key)
            keys_freed += 1
            if keys_freed % 16 == 0 and time.monotonic() - start > limit_s:
                self._schedule_proc()
                self._latency("eviction-cycle", t_latency)
                return EVICT_RUNNING
        self._latency("eviction-cycle", t_latency)
        return EVICT_OK

    def _latency(self, event: str, t0: float) -> None:
        ms = int((time.monotonic() - t0) * 1000)
        timer = getattr(self.node, "timer", None)
        if timer is not None and ms:
            timer.add_latency_if_needed(event, ms)

    def _schedule_proc(self) -> None:
        """startEvictionTimeProc: keep evicting from the event loop until under the limit."""
        loop = self.node.loop
        if loop is None or self._proc_scheduled:
            return
        self._proc_scheduled = True

        def proc():
            self._proc_scheduled = False
            if self.node.memory is self and self.perform_evictions() == EVICT_RUNNING:
                pass  # rescheduled by perform_evictions

        loop.call_later(0.001, proc)

    def _pick(self, policy: str):
        """The (db id, key) to evict next, or None."""
        node = self.node
        ndb = len(node.dbs)
        allkeys = policy.startswith("allkeys")
        if policy.endswith("random"):
            for _ in range(ndb):
                self.next_db = (self.next_db + 1) % ndb
                db = node.dbs[self.next_db]
                if allkeys:
                    key = self.dbs[self.next_db].random_key(self.rng)
                else:
                    vol = db._volatile
                    key = vol[self.rng.randrange(len(vol))] if vol else None
                if key is not None:
                    return self.next_db, key
            return None
        # LRU / LFU / TTL: the eviction pool
        while True:
            total = 0
            for i, db in enumerate(node.dbs):
                n = len(db.data) if allkeys else len(db.expires)
                if n:
                    self._populate(i, db, policy, allkeys)
                    total += n
            if not total:
                return None
            while self.pool:
                score, dbid, key = self.pool.pop()
                self.in_pool.discard((dbid, key))
                db = node.dbs[dbid]
                if (key in db.data) if allkeys else (key in db.expires):
                    return dbid, key
                # a ghost: try the next best

    def _populate(self, dbid: int, db, policy: str, allkeys: bool) -> None:
        """evictionPoolPopulate: sample maxmemory-samples keys, keep the 16 best scores."""
        samples = self.node.config["maxmemory-samples"]
        rng = self.rng
        if allkeys:
            keys = self.dbs[dbid].keys
        else:
            keys = db._volatile
        if not keys:
            return
        n = len(keys)
        pool = self.pool
        for _ in range(min(samples, n)):
            key = keys[rng.randrange(n)]
            if "lru" in policy:
                score = db.idle_seconds(key)
            elif "lfu" in policy:
                score = 255 - db.lfu_freq(key)
            else:  # volatile-ttl: the sooner the expire, the better
                when = db.expires.get(key)
                if when is None:
                    continue
                score = (1 << 64) - when
            if (dbid, key) in self.in_pool:
                continue
            if len(pool) >= EVPOOL_SIZE and score <= pool[0][0]:
                continue
            # insert keeping ascending order (stable for equal scores: newer after older)
            i = len(pool)
            while i > 0 and pool[i - 1][0] > score:
                i -= 1
            pool.insert(i, (score, dbid, key))
            self.in_pool.add((dbid, key))
            if len(pool) > EVPOOL_SIZE:
                _, d0, k0 = pool.pop(0)
                self.in_pool.discard((d0, k0))

    def _evict(self, dbid: int, key: bytes) -> int:
        """Delete an evicted key: DEL propagated, "evicted" notified, counted.  Returns the bytes freed."""
        from ..config import NOTIFY_EVICTED

        node = self.node
        db = node.dbs[dbid]
        sizes = self.dbs[dbid]
        freed = sizes.sizes.get(key)
        if freed is None:
            value = db.data.get(key)
            freed = self.key_size(db, key, value) if value is not None else 0
        t0 = time.monotonic()
        dirty = node.dirty
        db.delete(key)
        node.dirty = dirty  # (an eviction is not a change: the running command, e.g. CONFIG SET maxmemory,
        # is not propagated for it; the DEL goes out below)
        self._latency("eviction-del", t0)
        sizes.forget(key)
        node.stats.evicted_keys = getattr(node.stats, "evicted_keys", 0) + 1
        node.notify(db, NOTIFY_EVICTED, b"evicted", key)
        if node.repl.master.active():
            node.repl.master.propagate(db.id, [b"DEL", key])
        if node.aof_feed is not None:
            node.aof_feed(db.id, [b"DEL", key])
        return freed


def oom_rejects(c, cmd) -> bool:
    """processCommand's reject_cmd_on_oom: a denyoom command, an EXEC with one queued, or anything
    queued inside MULTI (but EXEC, DISCARD, QUIT, RESET)."""
    name = cmd.name
    if cmd.denyoom:
        return True
    if name == "exec":
        return bool(c.multi) and any(q.denyoom for q, _ in c.multi)
    if c.multi is not None and name not in ("exec", "discard", "quit", "reset"):
        return True
    return False


def maxmemory_changed(node) -> None:
    """CONFIG SET maxmemory (updateMaxmemory): start or stop the accounting; warn when set below the
    current usage, and evict at once."""
    if node.config["maxmemory"]:
        if node.memory is None:
            node.memory = Memory(node)
        used = node.memory.used()
        if node.config["maxmemory"] < used:
            node.log.warning("WARNING: the new maxmemory value set via CONFIG SET (%d) is smaller than the current "
                             "memory usage (%d). This will result in key eviction and/or the inability to accept new "
                             "write commands depending on the maxmemory-policy." % (node.config["maxmemory"], used))
        node.memory.perform_evictions()
    else:
        node.memory = None
    node.refresh_clients()
