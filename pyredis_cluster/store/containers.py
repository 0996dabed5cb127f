"""Helpers shared by the hash and set commands: Redis 7.0's encodings, random picks and HSCAN/SSCAN.

Hashes and sets are plain Python ``dict`` / ``set`` subclasses (:mod:`.types`).  What Redis keeps in
the encoding of the object is kept in three lazily set attributes of the value:

``big``
    True once Redis would hold the value as a *hashtable*: a hash stops being a *listpack* when it
    gets more than ``hash-max-listpack-entries`` fields or a field or value longer than
    ``hash-max-listpack-value`` bytes; a set stops being an *intset* when it gets a member that is not
    an integer (``string2ll``) or more than ``set-max-intset-entries`` members.  Redis never converts
    back, so neither does ``big``.  A value built elsewhere (RDB, RESTORE, COPY) has no ``big`` yet; it
    is then derived from the content, as Redis does when it loads a value.

    The encoding is visible to clients beyond OBJECT ENCODING: a listpack hash lists its fields in
    insertion order, an intset lists its members in numeric order, and both answer HSCAN/SSCAN in one
    call with cursor 0.

``pool``
    A list of the elements, for random picks (SPOP, SRANDMEMBER, HRANDFIELD): Python's ``dict`` and
    ``set`` have no random access.  Built on demand (O(n)) and then kept up at O(1) a write: adds
    append to it; removals leave their element behind, and a pick that lands on such an element drops
    it and draws again (so picks stay uniform); SPOP removes its pick.  Only the hash and set command
    modules change these values in place, and they keep that up; anything else that did would have to
    set ``pool`` to None.

``scan``
    The elements sorted by ``hash()``, for HSCAN/SSCAN of hashtable-encoded values.  A cursor is a
    position in hash order (as for SCAN in :mod:`.keyspace`), so every element present for the whole
    scan is returned; the list is rebuilt when a scan starts (cursor 0), elements deleted since are
    skipped, elements added since may be missed (as Redis allows).
"""

from __future__ import annotations

from bisect import bisect_left

from .. import errors
from ..errors import CommandError
from .glob import compile_pattern

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)

_CURSOR_BIAS = 1 << 62  # cursor = (hash(element) >> 1) + _CURSOR_BIAS, in [0, 2**63)
_CURSOR_END = 1 << 63


def is_ll(s: bytes) -> bool:
    """True if ``string2ll`` accepts ``s``: the canonical spelling of a 64-bit integer (no '+', no
    spaces, no leading zeros, no "-0").  An intset can hold exactly these."""
    n = len(s)
    if n == 0 or n > 20:
        return False
    if s.isdigit():  # ASCII digits only, for bytes
        if s[0] == 48:  # '0'
            return n == 1
        return n < 19 or int(s) <= LLONG_MAX
    if s[0] == 45 and n > 1 and s[1] != 48 and s[1:].isdigit():  # '-'
        return n < 20 or int(s) >= LLONG_MIN
    return False


def string2ll(s: bytes):
    """util.c ``string2ll``: the integer spelled canonically by ``s``, or None."""
    return int(s) if is_ll(s) else None


# -- encodings ----------------------------------------------------------------------------------


def hash_is_big(h, config) -> bool:
    """True if Redis would hold hash ``h`` as a hashtable (else listpack)."""
    try:
        return h.big
    except AttributeError:
        limit = config["hash-max-listpack-value"]
        big = len(h) > config["hash-max-listpack-entries"] or any(
            len(f) > limit or len(v) > limit for f, v in h.items())
        h.big = big
        return big


def set_content_is_big(members, config) -> bool:
    """What ``setTypeCreate`` + ``setTypeAdd`` of ``members`` into a new set gives: hashtable (True)
    or intset (False)."""
    return len(members) > config["set-max-intset-entries"] or not all(map(is_ll, members))


def set_is_big(s, config) -> bool:
    """True if Redis would hold set ``s`` as a hashtable (else intset)."""
    try:
        return s.big
    except AttributeError:
        big = s.big = set_content_is_big(s, config)
        return big


def intset_order(members) -> list:
    """The members as an intset iterates them: by numeric value."""
    return sorted(members, key=int)


# -- random picks --------------------------------------------------------------------------------


def pool_of(v) -> list:
    """Exactly the elements of ``v`` as a list (for random access and sampling)."""
    pool = getattr(v, "pool", None)
    if pool is None or len(pool) != len(v):  # none yet, or removed elements still in it
        pool = v.pool = list(v)
    return pool


def random_index(v, rng) -> int:
    """The index in ``v.pool`` of a uniformly chosen element of ``v`` (not empty)."""
    pool = getattr(v, "pool", None)
    n = len(v)
    if pool is None or len(pool) < n or len(pool) > 2 * n + 64:
        pool = v.pool = list(v)
    while True:
        i = rng.randrange(len(pool))
        if pool[i] in v:
            return i
        last = pool.pop()  # an element removed since: drop it and draw again
        if i < len(pool):
            pool[i] = last


def random_element(v, rng):
    """A uniformly chosen element of ``v`` (not empty)."""
    i = random_index(v, rng)  # (may build v.pool: read it afterwards)
    return v.pool[i]


def random_elements(v, rng, count: int) -> list:
    """``count`` uniformly chosen elements of ``v`` (not empty), repeats allowed."""
    out = [random_element(v, rng)]  # builds the pool if need be
    pool = v.pool
    if len(pool) == len(v):  # no removed element left in it: plain draws
        randrange = rng.randrange
        n = len(pool)
        out += [pool[randrange(n)] for _ in range(count - 1)]
    else:
        out += [random_element(v, rng) for _ in range(count - 1)]
    return out


def random_distinct(v, rng, count: int) -> list:
    """``count`` distinct elements of ``v`` (fewer than it has) in a random order (Redis's CASE 3
    and CASE 4 of SRANDMEMBER / HRANDFIELD)."""
    if count * 3 > len(v):
        return rng.sample(pool_of(v), count)
    picked: dict = {}
    while len(picked) < count:
        picked[random_element(v, rng)] = None
    return list(picked)


def pool_added(v, element) -> None:
    """Keep the pick pool of ``v`` in step with a new element."""
    pool = getattr(v, "pool", None)
    if pool is not None:
        pool.append(element)


# -- HSCAN / SSCAN of hashtable-encoded values -----------------------------------------------------


def scan_step(v, cursor: int, count: int):
    """One HSCAN/SSCAN step over a hashtable-encoded ``v``: ``(next_cursor, elements)`` with about
    ``count`` elements; 0 starts and ends a scan.  Like Redis's ``dictScan`` loop, at most
    ``10 * count`` positions are visited per call and elements sharing a position are never split."""
    if cursor >= _CURSOR_END:
        return 0, []
    keys = getattr(v, "scan", None) if cursor else None
    if keys is None:
        keys = v.scan = sorted(v, key=hash)
    n = len(keys)
    i = bisect_left(keys, (cursor - _CURSOR_BIAS) * 2, key=hash)
    out: list = []
    visited = 0
    limit = count * 10
    g = 0
    while i < n:
        k = keys[i]
        g = hash(k) >> 1
        i += 1
        if k in v:
            out.append(k)
        while i < n and hash(keys[i]) >> 1 == g:  # the rest of this position (rare)
            k = keys[i]
            i += 1
            if k in v and k not in out:
                out.append(k)
            visited += 1
        visited += 1
        if len(out) >= count or visited >= limit:
            break
    if i >= n:
        v.scan = None
        return 0, out
    return g + 1 + _CURSOR_BIAS, out


def parse_scan_options(argv, start: int):
    """scanGenericCommand's options: ``(count, match)``; ``match`` is None for "match everything"."""
    count = 10
    pattern = None
    i = start
    argc = len(argv)
    while i < argc:
        opt = argv[i].lower()
        if opt == b"count" and argc - i >= 2:
            count = string2ll(argv[i + 1])
            if count is None:
                raise CommandError(errors.NOT_INTEGER)
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif opt == b"match" and argc - i >= 2:
            pattern = argv[i + 1]
            if pattern == b"*":
                pattern = None  # matches everything, the empty string included
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    return count, (None if pattern is None else compile_pattern(pattern))
