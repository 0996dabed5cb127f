"""DEBUG HTSTATS: the statistics of the hash tables Redis keeps for each database (dict.c).

Our keyspaces are Python dicts, so the table sizes Redis would have are *simulated*: each database's
main and expires tables get the power-of-two size dict.c would give them, following its rules:

* a table grows to the next power of two above its element count once the count reaches its size
  (``_dictExpandIfNeeded``) -- but while a fork child exists (BGSAVE, BGREWRITEAOF) only when the
  count exceeds 5 times the size (``dict_force_resize_ratio``: ``updateDictResizePolicy``);
* without a child, ``tryResizeHashTables`` shrinks a table filled below 10 % (``htNeedsResize``).

The sizes are brought up to date by the server cron (:func:`resize_cron`, like databasesCron) and on
each DEBUG HTSTATS.  Chains are drawn from Python's hash of the keys, so their figures are plausible
rather than Redis's own."""

from __future__ import annotations

DICT_HT_INITIAL_SIZE = 4
DICT_FORCE_RESIZE_RATIO = 5
HASHTABLE_MIN_FILL = 10  # percent
DICT_STATS_VECTLEN = 50


def _next_power(n: int) -> int:
    size = DICT_HT_INITIAL_SIZE
    while size < n:
        size *= 2
    return size


def _tables(node) -> dict:
    sim = getattr(node, "ht_sizes", None)
    if sim is None:
        sim = node.ht_sizes = {}
    return sim


def _has_child(node) -> bool:
    p = getattr(node, "persistence", None)
    return bool(p is not None and p.has_child())


def _resize(sim: dict, key, used: int, child: bool) -> int:
    size = sim.get(key, 0)
    if used > size:
        if size == 0 or not child or used > DICT_FORCE_RESIZE_RATIO * size:
            size = _next_power(used)
    elif not child and size > DICT_HT_INITIAL_SIZE and used * 100 // size < HASHTABLE_MIN_FILL:
        size = _next_power(used)
    sim[key] = size
    return size


def resize_cron(node) -> None:
    """The part of databasesCron that resizes the keyspace tables (and _dictExpandIfNeeded's growth,
    seen once per cron tick)."""
    sim = _tables(node)
    child = _has_child(node)
    for db in node.dbs:
        _resize(sim, (db.id, 0), len(db.data), child)
        _resize(sim, (db.id, 1), len(db.expires), child)


def _table_stats(keys, size: int, used: int) -> str:
    """_dictGetStatsHt for table 0."""
    if used == 0:
        return "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"
    mask = size - 1
    chains: dict = {}
    for k in keys:
        b = hash(k) & mask
        chains[b] = chains.get(b, 0) + 1
    clvector = [0] * DICT_STATS_VECTLEN
    clvector[0] = size - len(chains)
    maxchain = 0
    total = 0
    for n in chains.values():
        clvector[min(n, DICT_STATS_VECTLEN - 1)] += 1
        maxchain = max(maxchain, n)
        total += n
    slots = len(chains)
    out = ["Hash table 0 stats (main hash table):\n"
           " table size: %d\n number of elements: %d\n different slots: %d\n max chain length: %d\n"
           " avg chain length (counted): %.02f\n avg chain length (computed): %.02f\n"
           " Chain length distribution:\n" % (size, used, slots, maxchain, total / slots, used / slots)]
    for i in range(DICT_STATS_VECTLEN - 1):
        if clvector[i]:
            out.append("   %d: %d (%.02f%%)\n" % (i, clvector[i], clvector[i] / size * 100))
    return "".join(out)


def htstats(node, db) -> str:
    """DEBUG HTSTATS <dbid>: "[Dictionary HT]" and "[Expires HT]", each table's stats."""
    sim = _tables(node)
    child = _has_child(node)
    main = _resize(sim, (db.id, 0), len(db.data), child)
    exp = _resize(sim, (db.id, 1), len(db.expires), child)
    return ("[Dictionary HT]\n" + _table_stats(db.data.keys(), main, len(db.data))
            + "[Expires HT]\n" + _table_stats(db.expires.keys(), exp, len(db.expires)))


def htstats_key(value, encoding: bytes):
    """DEBUG HTSTATS-KEY: the stats of the dict behind a hashtable-encoded hash or set, or a
    skiplist-encoded sorted set (its member -> score dict); None for other encodings."""
    if encoding == b"skiplist":
        members = getattr(value, "scores", None)
    elif encoding == b"hashtable":
        members = value
    else:
        return None
    if members is None:
        return None
    used = len(members)
    return _table_stats(members, _next_power(used), used)
