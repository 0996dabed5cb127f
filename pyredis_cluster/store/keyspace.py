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

Last access times (OBJECT IDLETIME) live in ``atime``: key -> ``lru_clock`` (Unix seconds, refreshed by
the cron through :meth:`Database.tick`, like Redis's ``server.lruclock``) of the last touching lookup,
one dict store per hit.

SCAN and RANDOMKEY need an order over the keys and random access, which a ``dict`` lacks.  They use
``_scan``: a ``SortedKeyList`` of the keys ordered by ``hash(key)``, built on first use (O(n log n));
keys created after it was built are appended to ``_scan_log`` by :meth:`set`/:meth:`add` (one list
append) and merged in by the next SCAN (O(log n) each).  Deleted keys stay in it until a reader meets
them and drops them.  A SCAN cursor is a position in hash
order (see :meth:`Database.scan`), so it needs no server-side state per scan and survives rebuilds.
**Every key creation must therefore go through** :meth:`set` **or** :meth:`add` (and every removal
through :meth:`delete`), never ``data[key] = ...`` directly.
"""

from __future__ import annotations

import random
import time

from sortedcontainers import SortedKeyList

from ..cluster.slots import key_hash_slot
from .stream import StreamValue

ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP = 20  # keys sampled per round
ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE = 10  # % of expired keys in a sample that stops the cycle
ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC = 25  # % of CPU time the cycle may use
LFU_INIT_VAL = 5  # server.h: the LFU counter of a new key


_CURSOR_BIAS = 1 << 62  # SCAN cursor = (hash(key) >> 1) + _CURSOR_BIAS, in [0, 2**63)
_CURSOR_END = 1 << 63


# While a script runs, key expiry sees the time the script started (Redis: scriptTimeSnapshot), so a
# key cannot expire in the middle of a script; commands/scripting.py sets and clears it.
FROZEN_MS = None

# True while a normal client's write command runs on a (writable) replica (server/connection.py sets
# it).  Then, as in Redis, expired keys it meets are really deleted (lookupKeyWrite's
# force_delete_expired: a write must not see the stale value) and keys it gives a TTL are remembered
# in ``replica_expires``, which the cron expires since no DEL will come from the master for them
# (rememberSlaveKeyWithExpire / expireSlaveKeys).
REPLICA_CLIENT_WRITE = False


def now_ms() -> int:
    if FROZEN_MS is not None:
        return FROZEN_MS
    return int(time.time() * 1000)


class Database:
    __slots__ = (
        "replica_mode", "expire_paused", "expiring", "master_executing", "on_expired", "on_event", "id", "data", "expires", "_volatile", "_volatile_pos", "slot_keys", "on_modified", "avg_ttl",
        "expired_keys", "rng", "hits", "misses", "atime", "lru_clock", "_scan", "_scan_log", "_scan_used",
        "_expire_cursor", "lfu_log_factor", "lfu_decay_time", "on_stream_gone",
        "replica_expires",
    )

    def __init__(self, db_id: int, cluster_mode: bool = False, rng: random.Random | None = None):
        self.id = db_id
        self.data: dict = {}
        self.expires: dict = {}
        self._volatile: list = []
        self._volatile_pos: dict = {}
        self._expire_cursor = 0  # where active expiry continues in _volatile
        # slot -> {key: None}: insertion-ordered, O(1) add and remove (only in cluster mode)
        self.slot_keys: dict | None = {} if cluster_mode else None
        self.on_modified = None  # callback(db, key) for WATCH and keyspace notifications
        self.on_expired = None  # callback(db, key): propagate the expiry as DEL (replication, AOF)
        self.on_event = None  # callback(db, b"new" | b"keymiss", key): set only when notify-keyspace-events has n/m
        self.replica_mode = False  # a replica does not delete expired keys itself
        self.expire_paused = False  # CLIENT PAUSE: expired keys read as missing but stay (Redis 7.0)
        self.expiring = False  # deleting an expired key (signalModifiedKey(NULL, ...): no client did it)
        self.master_executing = False  # my master's commands see every key, expired or not (Redis)
        self.avg_ttl = 0
        self.expired_keys = 0  # stat_expiredkeys
        self.rng = rng or random.Random()
        self.hits = 0  # keyspace_hits / keyspace_misses of INFO stats
        self.misses = 0
        self.atime: dict = {}  # key -> lru_clock of its last access (OBJECT IDLETIME)
        self.lru_clock = int(time.time())  # seconds; refreshed by tick() from the cron
        self._scan: SortedKeyList | None = None  # keys by hash (SCAN, RANDOMKEY), built on demand
        self._scan_log: list | None = None  # keys created since _scan was built
        self._scan_used = 0  # now_ms() of the last use of _scan
        self.lfu_log_factor = 10  # lfu-log-factor, lfu-decay-time (see set_lfu)
        self.lfu_decay_time = 1
        # callback(db, key, old_data=None, new_data=None): a stream was deleted or overwritten (key), or
        # streams of old_data are not in new_data (key None: FLUSHDB, SWAPDB); Redis signals such keys
        # so that blocked XREADGROUP clients are released
        self.on_stream_gone = None
        self.replica_expires: set = set()  # keys a client of this writable replica gave a TTL

    def __len__(self):
        return len(self.data)

    # -- lookups ---------------------------------------------------------------------------------

    def lookup(self, key: bytes, now: int | None = None):
        """The value of ``key``, or ``None`` (deleting it first if it has expired)."""
        v = self.data.get(key)
        if v is not None:
            if self.expires:
                when = self.expires.get(key)
                if when is not None and when <= (now or now_ms()) and not self.master_executing:
                    self.expire_now(key)
                    return None
            self.atime[key] = self.lru_clock
        return v

    def peek(self, key: bytes):
        """Like :meth:`lookup` (expired keys are deleted) without touching the access time."""
        v = self.data.get(key)
        if v is not None and self.expires:
            when = self.expires.get(key)
            if when is not None and when <= now_ms() and not self.master_executing:
                self.expire_now(key)
                return None
        return v

    def lookup_read(self, key: bytes):
        """lookupKeyRead: like :meth:`lookup`, and counted in keyspace_hits / keyspace_misses."""
        v = self.data.get(key)
        if v is not None and self.expires:
            when = self.expires.get(key)
            if when is not None and when <= now_ms() and not self.master_executing:
                self.expire_now(key)
                v = None
        if v is None:
            self.misses += 1
            if self.on_event is not None:
                self.on_event(self, b"keymiss", key)
        else:
            self.hits += 1
            self.atime[key] = self.lru_clock
        return v

    def lookup_read_notouch(self, key: bytes, notify: bool = True):
        """lookupKeyReadWithFlags(LOOKUP_NOTOUCH): counted in the stats, access time unchanged
        (EXISTS, TYPE, TTL, OBJECT ...)."""
        v = self.peek(key)
        if v is None:
            self.misses += 1
            if notify and self.on_event is not None:  # (notify=False: LOOKUP_NONOTIFY)
                self.on_event(self, b"keymiss", key)
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
        """setKey: store ``value`` (creating or overwriting); clears the TTL unless ``keep_ttl``.
        Like lookupKeyWrite, an expired key is deleted (and its expiry propagated) first."""
        data = self.data
        if self.expires and key in data:
            when = self.expires.get(key)
            if when is not None and when <= now_ms() and not self.master_executing:
                self.expire_now(key)
        if key not in data:
            if self.slot_keys is not None:
                self._index_add(key)
            if self._scan_log is not None:
                self._scan_log.append(key)
            if self.on_event is not None:
                self.on_event(self, b"new", key)
        else:
            if not keep_ttl and key in self.expires:
                self._remove_expire(key)
            if self.on_stream_gone is not None and type(data[key]) is StreamValue:
                self.on_stream_gone(self, key)
        data[key] = value
        self.atime[key] = self.lru_clock
        if self.on_modified is not None:
            self.on_modified(self, key)

    def add(self, key: bytes, value) -> None:
        """dbAdd: store a value under a key known to be absent (created containers)."""
        self.data[key] = value
        if self.slot_keys is not None:
            self._index_add(key)
        if self._scan_log is not None:
            self._scan_log.append(key)
        if self.on_event is not None:
            self.on_event(self, b"new", key)
        self.atime[key] = self.lru_clock
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
        v = self.data.pop(key, None)
        if v is None:
            return False
        if self.on_stream_gone is not None and type(v) is StreamValue:
            self.on_stream_gone(self, key)
        self.atime.pop(key, None)
        if key in self.expires:
            self._remove_expire(key)
        if self.slot_keys is not None:
            self._index_remove(key)
        if self.on_modified is not None:
            self.on_modified(self, key)
        return True

    def expire_now(self, key: bytes) -> None:
        """deleteExpiredKeyAndPropagate.  On a replica an expired key only reads as missing: it is
        deleted when the master's DEL arrives (replicas never expire keys on their own)."""
        if self.replica_mode and not REPLICA_CLIENT_WRITE or self.expire_paused:
            return
        self.expired_keys += 1
        self.expiring = True
        try:
            self.delete(key)
        finally:
            self.expiring = False
        if self.on_expired is not None:
            self.on_expired(self, key)

    def set_expire(self, key: bytes, when_ms: int) -> None:
        if REPLICA_CLIENT_WRITE and self.replica_mode:
            self.replica_expires.add(key)
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
        if self.on_stream_gone is not None:
            self.on_stream_gone(self, None, self.data, {})
        keys = list(self.data) if self.on_modified is not None else ()
        self.data = {}
        self.expires = {}
        self._volatile = []
        self._volatile_pos = {}
        self.atime = {}
        self.replica_expires = set()
        self._scan = self._scan_log = None
        if self.slot_keys is not None:
            self.slot_keys = {}
        for k in keys:
            self.on_modified(self, k)
        return n

    def random_key(self):
        """dbRandomKey: a random live key, or None.  Expired keys met on the way are deleted, as
        Redis does.  Picks from the hash-ordered key list (see :meth:`scan`), dropping dead entries."""
        data = self.data
        tries = 0
        while data:
            keys = self._scan_keys()
            if not keys:  # (only if a key was created behind set()/add()'s back)
                self._scan = None
                continue
            key = keys[self.rng.randrange(len(keys))]
            if key not in data:
                keys.discard(key)
                continue
            if self.peek(key) is not None:
                return key
            tries += 1
            if self.replica_mode and tries >= 100 and key in data:
                # A replica does not delete expired keys: if they are all expired, give up and name
                # one (dbRandomKey's maxtries) rather than loop forever.
                return key
        return None

    # -- SCAN ------------------------------------------------------------------------------------

    def _scan_keys(self) -> SortedKeyList:
        """The keys ordered by ``hash`` -- a superset of the live keys (readers skip and drop the
        dead ones) -- with the keys created since the last call merged in."""
        keys = self._scan
        self._scan_used = now_ms()
        if keys is None or len(keys) > 2 * len(self.data) + 1024 or len(self._scan_log) * 8 > len(keys):
            keys = self._scan = SortedKeyList(self.data, key=hash)  # (re)build: O(n log n)
            self._scan_log = []
            return keys
        log = self._scan_log
        if log:
            for k in log:
                if k not in keys:  # deleted and created again: already there
                    keys.add(k)
            self._scan_log = []
        return keys

    def scan(self, cursor: int, count: int):
        """One SCAN step: ``(next_cursor, keys)`` with about ``count`` keys of ``data`` (not yet
        checked for expiry; the caller filters).  0 starts and ends a scan.

        The cursor is a position in the order of ``hash(key)``: cursor ``c`` stands for the keys
        whose ``hash(key) >> 1`` is at least ``c - 2**62`` (63 bits, so a cursor reads the same as a
        signed or unsigned 64-bit integer).  Keys are returned in that order, never splitting keys
        that share a position, so every key that exists for the whole scan is returned (once),
        whatever is added or deleted in between -- Redis's SCAN guarantee -- and no state is kept per
        scan.  Keys added during the scan may or may not be returned.  Like Redis
        (``maxiterations``), at most about ``10 * count`` entries are visited per call."""
        if cursor >= _CURSOR_END:
            return 0, []
        keys = self._scan_keys()
        data = self.data
        out: list = []
        dead: list = []
        visited = 0
        limit = count * 10
        g = None
        more = False
        for k in keys.irange_key(min_key=(cursor - _CURSOR_BIAS) * 2):
            kg = hash(k) >> 1
            if kg != g:  # a new position: stop here if this call has done enough
                if g is not None and (len(out) >= count or visited >= limit):
                    more = True
                    break
                g = kg
            visited += 1
            if k in data:
                out.append(k)
            else:
                dead.append(k)
        for k in dead:
            keys.discard(k)
        if not more:
            return 0, out
        return g + 1 + _CURSOR_BIAS, out

    def swap_with(self, other: "Database") -> None:
        """dbSwapDatabases: exchange contents (keys, expires, access times) with ``other``; ids, stats
        and the per-slot index (cluster mode has a single database) stay."""
        if self.on_stream_gone is not None:  # scanDatabaseForDeletedStreams
            self.on_stream_gone(self, None, self.data, other.data)
            self.on_stream_gone(other, None, other.data, self.data)
        for name in ("data", "expires", "_volatile", "_volatile_pos", "avg_ttl", "atime", "_scan",
                     "_scan_log", "_scan_used", "_expire_cursor"):
            a = getattr(self, name)
            setattr(self, name, getattr(other, name))
            setattr(other, name, a)

    # -- access times ------------------------------------------------------------------------------

    def tick(self, now: int) -> None:
        """Called by the cron (``now`` in ms): refresh the LRU clock and drop the SCAN key list when
        nobody used it for a while or it grew much bigger than the keyspace."""
        self.lru_clock = now // 1000
        keys = self._scan
        if keys is not None and (
            now - self._scan_used > 300000
            or len(self._scan_log) > max(65536, 2 * len(keys))
        ):
            self._scan = self._scan_log = None

    def idle_seconds(self, key: bytes) -> int:
        """Seconds since the last access of ``key`` (OBJECT IDLETIME)."""
        t = self.atime.get(key)
        if t is None:
            return 0
        return max(0, self.lru_clock - t)

    def set_idle(self, key: bytes, seconds: int) -> None:
        """Pretend ``key`` was last accessed ``seconds`` ago (RESTORE ... IDLETIME)."""
        self.atime[key] = self.lru_clock - seconds

    # -- LFU (maxmemory-policy *-lfu) ----------------------------------------------------------------

    def set_lfu(self, enabled: bool, log_factor: int = 10, decay_time: int = 1) -> None:
        """Follow maxmemory-policy: with an LFU policy ``atime`` holds Redis's LFU word
        ``(minutes << 8) | counter`` instead of a time, kept up to date by :class:`LFUDatabase`'s
        lookups.  Switching the class costs nothing per lookup when LFU is off.  Like Redis, the
        values of the other mode are reinterpreted after a switch ("will take some time to adjust")."""
        self.lfu_log_factor = log_factor
        self.lfu_decay_time = decay_time
        self.__class__ = LFUDatabase if enabled else Database

    def lfu_freq(self, key: bytes) -> int:
        """OBJECT FREQ: LFUDecrAndReturn."""
        word = self.atime.get(key)
        if word is None:
            return LFU_INIT_VAL
        ldt, counter = word >> 8, word & 255
        if self.lfu_decay_time:
            now = (self.lru_clock // 60) & 65535
            elapsed = now - ldt if now >= ldt else 65535 - ldt + now
            periods = elapsed // self.lfu_decay_time
            counter = 0 if periods > counter else counter - periods
        return counter

    def set_lfu_freq(self, key: bytes, freq: int) -> None:
        """RESTORE ... FREQ."""
        self.atime[key] = (((self.lru_clock // 60) & 65535) << 8) | freq

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

    def expire_replica_keys(self, now: int) -> None:
        """expireSlaveKeys: on a writable replica, delete the keys that its own clients gave a TTL once
        that TTL is over (the master knows nothing about them).  A key that lost its TTL is forgotten."""
        global REPLICA_CLIENT_WRITE
        tracked = self.replica_expires
        for key in list(tracked):
            when = self.expires.get(key)
            if when is None:
                tracked.discard(key)
            elif when < now:
                tracked.discard(key)
                REPLICA_CLIENT_WRITE = True
                try:
                    self.expire_now(key)
                finally:
                    REPLICA_CLIENT_WRITE = False

    def active_expire_cycle(self, now: int, deadline: float) -> None:
        """activeExpireCycle for one database: check the next keys with a TTL, delete the expired ones,
        repeat while more than ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE % of a sample had expired and time
        is left.  Like Redis's ``expires_cursor``, the samples sweep all volatile keys in turn (a
        cursor into ``_volatile``), so a few expired keys among many are found within
        len(_volatile) / 20 cycles rather than by chance."""
        if self.replica_mode:
            return  # replicas wait for their master's DELs (Redis: activeExpireCycle runs on masters)
        vol = self._volatile
        i = self._expire_cursor
        while vol:
            sampled = expired = 0
            ttl_sum = ttl_samples = 0
            n = min(len(vol), ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP)
            for _ in range(n):
                if not vol:
                    break
                if i >= len(vol):
                    i = 0
                key = vol[i]
                sampled += 1
                when = self.expires[key]
                if when <= now:
                    self.expire_now(key)  # the last key moves into slot i: look at i again
                    expired += 1
                else:
                    i += 1
                    ttl_sum += when - now
                    ttl_samples += 1
            self._expire_cursor = i
            if ttl_samples:
                avg = ttl_sum // ttl_samples
                # Like Redis: a running average, weighted 2 % to the new sample.
                self.avg_ttl = avg if self.avg_ttl == 0 else (self.avg_ttl // 50) * 49 + avg // 50
            if sampled == 0 or expired * 100 <= sampled * ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE:
                return
            if time.monotonic() >= deadline:
                return


class LFUDatabase(Database):
    """A :class:`Database` under an LFU maxmemory-policy (see :meth:`Database.set_lfu`): accesses
    update the LFU word in ``atime`` (evict.c ``updateLFU``: decay, then a logarithmic increment);
    created keys start at LFU_INIT_VAL; overwritten ones keep their word (``dbOverwrite``)."""

    __slots__ = ()

    def _lfu_touch(self, key: bytes, word) -> None:
        # LFUDecrAndReturn on the word found before the lookup
        now = (self.lru_clock // 60) & 65535
        if word is None:
            counter = LFU_INIT_VAL
        else:
            ldt, counter = word >> 8, word & 255
            if self.lfu_decay_time:
                elapsed = now - ldt if now >= ldt else 65535 - ldt + now
                periods = elapsed // self.lfu_decay_time
                counter = 0 if periods > counter else counter - periods
        # LFULogIncr
        if counter < 255:
            base = counter - LFU_INIT_VAL
            if base < 0:
                base = 0
            if self.rng.random() < 1.0 / (base * self.lfu_log_factor + 1):
                counter += 1
        self.atime[key] = (now << 8) | counter

    def lookup(self, key: bytes, now: int | None = None):
        word = self.atime.get(key)
        v = Database.lookup(self, key, now)
        if v is not None:
            self._lfu_touch(key, word)
        return v

    def lookup_read(self, key: bytes):
        word = self.atime.get(key)
        v = Database.lookup_read(self, key)
        if v is not None:
            self._lfu_touch(key, word)
        return v

    def set(self, key: bytes, value, keep_ttl: bool = False) -> None:
        word = self.atime.get(key) if key in self.data else None
        Database.set(self, key, value, keep_ttl)
        self.atime[key] = word if word is not None else ((((self.lru_clock // 60) & 65535) << 8) | LFU_INIT_VAL)

    def add(self, key: bytes, value) -> None:
        Database.add(self, key, value)
        self.atime[key] = (((self.lru_clock // 60) & 65535) << 8) | LFU_INIT_VAL
