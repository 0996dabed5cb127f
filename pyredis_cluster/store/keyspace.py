"""The keyspace: databases of keys with expiry, and the per-slot key index of cluster mode.

One :class:`Database` is Redis's ``redisDb``: ``data`` maps each key (``bytes``) to its value,
``expires`` maps volatile keys to their absolute expiry time in Unix milliseconds.

Expiry works as in Redis (expire.c / db.c):

* **lazily** -- every lookup of an expired key deletes it first (``expireIfNeeded``);
* **actively** -- :meth:`Database.active_expire_cycle` runs from the 10 Hz cron, samples random keys
  with a TTL and deletes the expired ones, repeating while more than 10 % of a sample was expired
  and the time budget lasts (``activeExpireCycle``).  Sampling needs random access, which a ``dict``
  lacks, so volatile keys are also kept in a list (``_volatile``) with their positions
  (``_volatile_pos``): O(1) to add, remove and pick at random.

In cluster mode every key is also indexed by hash slot (Redis 7.0's ``slots_to_keys``), so that
``CLUSTER COUNTKEYSINSLOT`` and ``GETKEYSINSLOT`` cost O(keys in that slot), not O(all keys).
"""

from __future__ import annotations

import random
import time

from ..cluster.slots import key_hash_slot

ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP = 20  # keys sampled per round
ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE = 10  # % of expired keys in a sample that stops the cycle
ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC = 25  # % of CPU time the cycle may use


def now_ms() -> int:
    return int(time.time() * 1000)


class Database:
    __slots__ = (
        "id", "data", "expires", "_volatile", "_volatile_pos", "slot_keys", "on_modified", "avg_ttl",
        "expired_keys", "rng", "hits", "misses",
    )

    def __init__(self, db_id: int, cluster_mode: bool = False, rng: random.Random | None = None):
        self.id = db_id
        self.data: dict = {}
        self.expires: dict = {}
        self._volatile: list = []
        self._volatile_pos: dict = {}
        # slot -> {key: None}: insertion-ordered, O(1) add and remove (only in cluster mode)
        self.slot_keys: dict | None = {} if cluster_mode else None
        self.on_modified = None  # callback(db, key) for WATCH and keyspace notifications
        self.avg_ttl = 0
        self.expired_keys = 0  # stat_expiredkeys
        self.rng = rng or random.Random()
        self.hits = 0  # keyspace_hits / keyspace_misses of INFO stats
        self.misses = 0

    def __len__(self):
        return len(self.data)

    # -- lookups ---------------------------------------------------------------------------------

    def lookup(self, key: bytes, now: int | None = None):
        """The value of ``key``, or ``None`` (deleting it first if it has expired)."""
        v = self.data.get(key)
        if v is not None and self.expires:
            when = self.expires.get(key)
            if when is not None and when <= (now or now_ms()):
                self.expire_now(key)
                return None
        return v

    def lookup_read(self, key: bytes):
        """lookupKeyRead: like :meth:`lookup`, and counted in keyspace_hits / keyspace_misses."""
        v = self.data.get(key)
        if v is not None and self.expires:
            when = self.expires.get(key)
            if when is not None and when <= now_ms():
                self.expire_now(key)
                v = None
        if v is None:
            self.misses += 1
        else:
            self.hits += 1
        return v

    def exists(self, key: bytes) -> bool:
        return self.lookup(key) is not None

    def ttl_ms(self, key: bytes):
        """Absolute expiry time in ms, or None for a persistent key (call after :meth:`lookup`)."""
        return self.expires.get(key)

    # -- writes ----------------------------------------------------------------------------------

    def set(self, key: bytes, value, keep_ttl: bool = False) -> None:
        """setKey: store ``value`` (creating or overwriting); clears the TTL unless ``keep_ttl``."""
        data = self.data
        if key not in data:
            if self.slot_keys is not None:
                self._index_add(key)
        elif not keep_ttl and key in self.expires:
            self._remove_expire(key)
        data[key] = value
        if self.on_modified is not None:
            self.on_modified(self, key)

    def add(self, key: bytes, value) -> None:
        """dbAdd: store a value under a key known to be absent (created containers)."""
        self.data[key] = value
        if self.slot_keys is not None:
            self._index_add(key)
        if self.on_modified is not None:
            self.on_modified(self, key)

    def overwrite(self, key: bytes, value) -> None:
        """Replace the value of an existing key keeping its TTL (INCR, APPEND ...)."""
        self.data[key] = value
        if self.on_modified is not None:
            self.on_modified(self, key)

    def touch(self, key: bytes) -> None:
        """signalModifiedKey for in-place changes of a container."""
        if self.on_modified is not None:
            self.on_modified(self, key)

    def delete(self, key: bytes) -> bool:
        """dbDelete: remove the key and its TTL.  True if it existed."""
        if self.data.pop(key, None) is None:
            return False
        if key in self.expires:
            self._remove_expire(key)
        if self.slot_keys is not None:
            self._index_remove(key)
        if self.on_modified is not None:
            self.on_modified(self, key)
        return True

    def expire_now(self, key: bytes) -> None:
        """deleteExpiredKeyAndPropagate."""
        self.expired_keys += 1
        self.delete(key)

    def set_expire(self, key: bytes, when_ms: int) -> None:
        if key not in self.expires:
            self._volatile_pos[key] = len(self._volatile)
            self._volatile.append(key)
        self.expires[key] = when_ms

    def persist(self, key: bytes) -> bool:
        if key in self.expires:
            self._remove_expire(key)
            return True
        return False

    def _remove_expire(self, key: bytes) -> None:
        del self.expires[key]
        pos = self._volatile_pos.pop(key)
        last = self._volatile.pop()
        if last != key:
            self._volatile[pos] = last
            self._volatile_pos[last] = pos

    def clear(self) -> int:
        n = len(self.data)
        keys = list(self.data) if self.on_modified is not None else ()
        self.data = {}
        self.expires = {}
        self._volatile = []
        self._volatile_pos = {}
        if self.slot_keys is not None:
            self.slot_keys = {}
        for k in keys:
            self.on_modified(self, k)
        return n

    def random_key(self):
        """dbRandomKey: a random live key, or None."""
        while self.data:
            # Python dicts have no random access; sampling a list of keys is O(n) but RANDOMKEY
            # is rare.  Expired keys found on the way are deleted, as Redis does.
            key = self.rng.choice(list(self.data))
            if self.lookup(key) is not None:
                return key
        return None

    # -- the per-slot index ----------------------------------------------------------------------

    def _index_add(self, key: bytes) -> None:
        slot = key_hash_slot(key)
        keys = self.slot_keys.get(slot)
        if keys is None:
            self.slot_keys[slot] = {key: None}
        else:
            keys[key] = None

    def _index_remove(self, key: bytes) -> None:
        slot = key_hash_slot(key)
        keys = self.slot_keys.get(slot)
        if keys is not None:
            keys.pop(key, None)
            if not keys:
                del self.slot_keys[slot]

    def count_keys_in_slot(self, slot: int) -> int:
        keys = self.slot_keys.get(slot) if self.slot_keys is not None else None
        return len(keys) if keys else 0

    def get_keys_in_slot(self, slot: int, count: int) -> list:
        """Up to ``count`` keys of ``slot``, most recently added first (as Redis 7.0 answers)."""
        keys = self.slot_keys.get(slot) if self.slot_keys is not None else None
        out = []
        if keys:
            for k in reversed(keys):
                if len(out) >= count:
                    break
                out.append(k)
        return out

    # -- active expiry ---------------------------------------------------------------------------

    def active_expire_cycle(self, now: int, deadline: float) -> None:
        """activeExpireCycle for one database: sample keys with a TTL, delete the expired ones, repeat
        while more than ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE % of a sample had expired and time is left."""
        while self._volatile:
            sampled = expired = 0
            ttl_sum = ttl_samples = 0
            n = min(len(self._volatile), ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP)
            for _ in range(n):
                if not self._volatile:
                    break
                key = self._volatile[self.rng.randrange(len(self._volatile))]
                sampled += 1
                when = self.expires[key]
                if when <= now:
                    self.expire_now(key)
                    expired += 1
                else:
                    ttl_sum += when - now
                    ttl_samples += 1
            if ttl_samples:
                avg = ttl_sum // ttl_samples
                # Like Redis: a running average, weighted 2 % to the new sample.
                self.avg_ttl = avg if self.avg_ttl == 0 else (self.avg_ttl // 50) * 49 + avg // 50
            if sampled == 0 or expired * 100 <= sampled * ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE:
                return
            if time.monotonic() >= deadline:
                return
