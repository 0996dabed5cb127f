"""The sorted set value (Redis: t_zset.c) and the number parsing its commands rely on.

A :class:`ZSetValue` keeps two views of the same members, as Redis's skiplist encoding does:

* ``scores`` -- a ``dict`` member -> score, for O(1) ZSCORE / ZADD lookups (Redis: ``zset.dict``);
* ``index`` -- a ``sortedcontainers.SortedList`` of ``(score, member)`` tuples, ordered exactly like
  Redis's skiplist (score first, then the member bytes as ``memcmp`` orders them, shorter first on a
  common prefix -- which is how Python compares ``bytes``).  It gives O(log n) rank, rank lookups
  and range bounds (Redis: ``zskiplist``).

Redis keeps small sorted sets in a *listpack* and converts them to a skiplist once they have more
than ``zset-max-listpack-entries`` members or a member longer than ``zset-max-listpack-value``
bytes, never converting back (except when a fresh value is built, as the *STORE commands do).  We
always use the dict + SortedList pair and only remember the encoding Redis would have, in
``listpack``, for OBJECT ENCODING -- and for one visible difference between the two encodings:
a listpack stores an integral score as an integer, so ``-0`` becomes ``0`` (``zzlInsertAt`` calls
``double2ll``), while the skiplist keeps the sign.

Number parsing follows Redis's two different paths:

* scores, increments and weights use ``string2d`` (util.c): the whole argument must be a C
  ``strtod`` number, no leading space, no overflow to +-inf or underflow to 0, not NaN;
* score *ranges* use ``zslParseRange``: ``strtod`` on the argument (after an optional ``(``) must
  stop at the end of the string or at a NUL byte, so leading white space, an empty bound and
  ``1e400`` (= inf) are all accepted; only NaN is refused.

Both are built on :func:`strtod`, a model of glibc's ``strtod`` in the C locale (decimal and hex
floats, ``inf``/``infinity``/``nan(...)``), which Python's ``float()`` is not (it accepts ``1_0``
and surrounding white space, refuses hex and ``nan(...)``).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left

from sortedcontainers import SortedList

# -- strtod ----------------------------------------------------------------------------------------

_SPACE = b" \t\n\v\f\r"
_DEC = re.compile(rb"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_HEX = re.compile(rb"0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?")
_NAN_ARG = re.compile(rb"\([0-9A-Za-z_]*\)")
_NONZERO = re.compile(rb"[1-9a-fA-F]")


def strtod(s: bytes, pos: int = 0):
    """glibc ``strtod(s + pos, &end)``: ``(value, end, erange)``.  ``end == pos`` when no number was
    found (value 0.0); ``erange`` is True on overflow (value +-inf) or underflow to zero."""
    n = len(s)
    i = pos
    while i < n and s[i] in _SPACE:
        i += 1
    neg = False
    if i < n and s[i] in b"+-":
        neg = s[i] == 45  # '-'
        i += 1
    head = s[i:i + 8].lower()
    if head.startswith(b"inf"):
        end = i + (8 if head == b"infinity" else 3)
        return (-math.inf if neg else math.inf), end, False
    if head.startswith(b"nan"):
        end = i + 3
        m = _NAN_ARG.match(s, end)
        if m:
            end = m.end()
        return math.nan, end, False
    m = _HEX.match(s, i)
    if m:
        mant, exp = m.group(1), m.group(2)
        text = b"0x" + mant + (exp or b"")
        try:
            v = float.fromhex(text.decode())
        except OverflowError:
            return (-math.inf if neg else math.inf), m.end(), True
        erange = v == 0.0 and _NONZERO.search(mant) is not None
        return (-v if neg else v), m.end(), erange
    m = _DEC.match(s, i)
    if m is None:
        return 0.0, pos, False
    v = float(m.group(0))
    erange = False
    if v == math.inf:
        erange = True
    elif v == 0.0 and _NONZERO.search(m.group(1)) is not None:
        erange = True
    return (-v if neg else v), m.end(), erange


_PLAIN = re.compile(rb"-?[0-9]{1,15}(?:\.[0-9]{1,15})?").fullmatch  # cannot overflow or underflow


def string2d(s: bytes):
    """util.c ``string2d`` (getDoubleFromObject): the float value of ``s`` or None."""
    if _PLAIN(s) is not None:
        return float(s)
    if not s or s[0] in _SPACE:
        return None
    v, end, erange = strtod(s)
    if end != len(s) or v != v:
        return None
    if erange and (v == 0.0 or math.isinf(v)):
        return None
    return v


def parse_score_bound(s: bytes):
    """One side of ``zslParseRange``: ``(value, exclusive)`` or None ("min or max is not a float")."""
    exclusive = s[:1] == b"("
    start = 1 if exclusive else 0
    v, end, _ = strtod(s, start)
    if (end < len(s) and s[end] != 0) or v != v:
        return None
    return v, exclusive


# Lexicographic range bounds (zslParseLexRangeItem): (kind, value, exclusive) where kind is
# -1 for "-" (shared.minstring), 1 for "+" (shared.maxstring), 0 for a string.
LEX_MIN = (-1, b"", True)
LEX_MAX = (1, b"", True)


def parse_lex_bound(s: bytes):
    """zslParseLexRangeItem.  ``+`` and ``-`` must end the C string: ``"+\\0x"`` counts as ``+``."""
    c = s[:1]
    if c == b"+":
        return LEX_MAX if len(s) == 1 or s[1] == 0 else None
    if c == b"-":
        return LEX_MIN if len(s) == 1 or s[1] == 0 else None
    if c == b"(":
        return (0, s[1:], True)
    if c == b"[":
        return (0, s[1:], False)
    return None


def _cmplex(value: bytes, bound) -> int:
    """``sdscmplex(value, bound)`` for a member against a bound."""
    kind = bound[0]
    if kind:
        return -kind
    b = bound[1]
    return (value > b) - (value < b)


def lex_gte_min(value: bytes, spec) -> bool:
    c = _cmplex(value, spec[0])
    return c > 0 if spec[0][2] else c >= 0


def lex_lte_max(value: bytes, spec) -> bool:
    c = _cmplex(value, spec[1])
    return c < 0 if spec[1][2] else c <= 0


def lex_range_empty(spec) -> bool:
    """The first test of ``zslIsInLexRange``: min > max, or min == max with an open end."""
    (k1, v1, ex1), (k2, v2, ex2) = spec
    if k1 or k2:
        if k1 == k2:
            cmp = 0
        else:
            cmp = -1 if (k1 == -1 or k2 == 1) else 1
    else:
        cmp = (v1 > v2) - (v1 < v2)
    return cmp > 0 or (cmp == 0 and (ex1 or ex2))


# -- score formatting ---------------------------------------------------------------------------

_LLONG_HALF = float((2 ** 63 - 1) // 2)


def double2ll(d: float):
    """util.c ``double2ll``: the integer equal to ``d`` if it is one in +-2**62, else None."""
    if d < -_LLONG_HALF or d > _LLONG_HALF:
        return None
    if d != d:
        return None
    i = int(d)
    return i if i == d else None


def listpack_score_text(d: float) -> bytes:
    """How a listpack stores a score (``zzlInsertAt``): an integer if ``double2ll`` allows, else
    ``d2string``'s ``%.17g`` -- what ZSCAN returns for a listpack-encoded sorted set."""
    i = double2ll(d)
    if i is not None:
        return b"%d" % i
    if math.isinf(d):
        return b"inf" if d > 0 else b"-inf"
    return b"%.17g" % d


def skiplist_score_text(d: float) -> bytes:
    """``createStringObjectFromLongDouble(score, 0)``: ``%.17Lg`` -- ZSCAN on a skiplist."""
    if math.isinf(d):
        return b"inf" if d > 0 else b"-inf"
    return b"%.17g" % d


_CURSOR_BIAS = 1 << 62
_CURSOR_END = 1 << 63


# -- the value ------------------------------------------------------------------------------------


def _after(x: float) -> float:
    """The smallest double greater than ``x`` (x < inf)."""
    return math.nextafter(x, math.inf)


class ZSetValue:
    """A sorted set: ``scores`` (member -> score) plus ``index`` (SortedList of (score, member)).

    ``listpack`` is the encoding Redis would use (True: listpack, False: skiplist); it only ever
    goes from listpack to skiplist, as in Redis."""

    __slots__ = ("scores", "index", "listpack", "_scan")

    def __init__(self, listpack: bool = True):
        self.scores: dict = {}
        self.index = SortedList()
        self.listpack = listpack
        self._scan = None  # members sorted by hash, while a ZSCAN of a skiplist is under way

    def dup(self) -> "ZSetValue":
        """zsetDup (COPY): an independent copy with the same encoding."""
        z = ZSetValue(self.listpack)
        z.scores = dict(self.scores)
        z.index = SortedList(self.index)
        return z

    def __len__(self):
        return len(self.scores)

    def __repr__(self):
        return "ZSetValue(%r, %s)" % (list(self.index), "listpack" if self.listpack else "skiplist")

    @property
    def encoding(self) -> bytes:
        return b"listpack" if self.listpack else b"skiplist"

    @classmethod
    def from_pairs(cls, pairs, max_entries: int, max_value: int) -> "ZSetValue":
        """A fresh sorted set from distinct ``(member, score)`` pairs, encoded the way Redis encodes
        a value it builds whole (``zsetConvertToListpackIfNeeded``, ZRANGESTORE, RDB loading):
        listpack when it has at most ``max_entries`` members, none longer than ``max_value``."""
        z = cls()
        pairs = list(pairs)
        z.listpack = len(pairs) <= max_entries and all(len(m) <= max_value for m, _ in pairs)
        if z.listpack:
            pairs = [(m, 0.0 if s == 0 else s) for m, s in pairs]
        z.scores = dict(pairs)
        z.index = SortedList((s, m) for m, s in pairs)
        return z

    # -- changes ----------------------------------------------------------------------------------

    def insert(self, member: bytes, score: float, max_entries: int, max_value: int) -> None:
        """Add a member known to be absent (zsetAdd), converting to skiplist first if the listpack
        would grow too long or the member is too big."""
        if self.listpack:
            if len(self.scores) + 1 > max_entries or len(member) > max_value:
                self.listpack = False
            elif score == 0:
                score = 0.0  # a listpack stores 0 as an integer: -0 loses its sign
        self.scores[member] = score
        self.index.add((score, member))

    def update(self, member: bytes, old: float, new: float) -> None:
        """Change the score of an existing member (zslUpdateScore / listpack delete + insert)."""
        if self.listpack and new == 0:
            new = 0.0
        self.index.remove((old, member))
        self.index.add((new, member))
        self.scores[member] = new

    def remove(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.index.remove((score, member))
        return True

    def pop(self, last: bool):
        """Remove and return the ``(score, member)`` of the lowest (or highest) rank."""
        item = self.index.pop(-1 if last else 0)
        del self.scores[item[1]]
        return item

    def delete_index_range(self, start: int, stop: int) -> int:
        """Remove the members of ranks ``start <= rank < stop``; returns how many."""
        if stop <= start:
            return 0
        index = self.index
        scores = self.scores
        if stop - start == len(index):
            self.scores = {}
            self.index = SortedList()
            return stop
        items = list(index.islice(start, stop))
        del index[start:stop]
        for _, m in items:
            del scores[m]
        return len(items)

    # -- queries -----------------------------------------------------------------------------------

    def rank(self, member: bytes, reverse: bool = False):
        score = self.scores.get(member)
        if score is None:
            return None
        r = self.index.bisect_left((score, member))
        return len(self.scores) - 1 - r if reverse else r

    def score_range(self, lo, hi):
        """Indexes ``[i, j)`` of the members whose score lies within the bounds ``lo`` / ``hi``
        (each ``(value, exclusive)``), as zslFirstInRange / zslLastInRange find them."""
        index = self.index
        n = len(index)
        vmin, minex = lo
        vmax, maxex = hi
        if vmin > vmax or (vmin == vmax and (minex or maxex)):
            return 0, 0
        if minex:
            i = n if vmin == math.inf else index.bisect_left((_after(vmin),))
        else:
            i = index.bisect_left((vmin,))
        if maxex:
            j = index.bisect_left((vmax,))
        else:
            j = n if vmax == math.inf else index.bisect_left((_after(vmax),))
        return i, max(i, j)

    def _uniform(self) -> bool:
        """All members share one score: then members are sorted and lex ranges are bisections."""
        index = self.index
        return index[0][0] == index[-1][0]

    def lex_first(self, spec):
        """zzlFirstInLexRange: index of the first member in the lex range (scanning from the lowest
        rank as a listpack does, which matters only when scores differ), or None."""
        n = len(self.index)
        if n == 0 or lex_range_empty(spec):
            return None
        index = self.index
        if not lex_gte_min(index[-1][1], spec) or not lex_lte_max(index[0][1], spec):
            return None
        if self._uniform():
            i = self._bisect_lex(spec[0], True)
        else:
            i = 0
            for _, m in index:
                if lex_gte_min(m, spec):
                    break
                i += 1
        if i >= n or not lex_lte_max(index[i][1], spec):
            return None
        return i

    def lex_last(self, spec):
        """zzlLastInLexRange: index of the last member in the lex range (scanning from the highest
        rank), or None."""
        n = len(self.index)
        if n == 0 or lex_range_empty(spec):
            return None
        index = self.index
        if not lex_gte_min(index[-1][1], spec) or not lex_lte_max(index[0][1], spec):
            return None
        if self._uniform():
            i = self._bisect_lex(spec[1], False) - 1
        else:
            i = n - 1
            for _, m in index.islice(reverse=True):
                if lex_lte_max(m, spec):
                    break
                i -= 1
        if i < 0 or not lex_gte_min(index[i][1], spec):
            return None
        return i

    def _bisect_lex(self, bound, is_min: bool) -> int:
        """For a uniform-score set: the number of members below ``bound`` taken as a min
        (``is_min``) or the number of members not above it taken as a max."""
        kind, value, ex = bound
        index = self.index
        if kind:
            return 0 if kind < 0 else len(index)
        s = index[0][0]
        if is_min:
            return index.bisect_right((s, value)) if ex else index.bisect_left((s, value))
        return index.bisect_left((s, value)) if ex else index.bisect_right((s, value))

    def lex_forward_end(self, i: int, spec) -> int:
        """From index ``i`` (in range), the end of the run of members ``<= max``."""
        index = self.index
        if self._uniform():
            return max(i, self._bisect_lex(spec[1], False))
        n = len(index)
        j = i
        for _, m in index.islice(i):
            if not lex_lte_max(m, spec):
                break
            j += 1
        return min(j, n)

    def lex_backward_start(self, i: int, spec) -> int:
        """From index ``i`` (in range), the start of the run of members ``>= min`` going down."""
        index = self.index
        if self._uniform():
            return min(i + 1, self._bisect_lex(spec[0], True))
        j = i
        for _, m in index.islice(0, i + 1, reverse=True):
            if not lex_gte_min(m, spec):
                break
            j -= 1
        return j + 1

    def lex_range(self, spec):
        """``[i, j)``: the members ZLEXCOUNT / ZREMRANGEBYLEX / ZRANGEBYLEX walk forward over."""
        i = self.lex_first(spec)
        if i is None:
            return 0, 0
        return i, self.lex_forward_end(i, spec)

    def items(self, start: int = 0, stop: int | None = None, reverse: bool = False):
        """``(score, member)`` of ranks ``start <= rank < stop``, highest first if ``reverse``."""
        return self.index.islice(start, stop, reverse=reverse)

    # -- ZSCAN of a skiplist -------------------------------------------------------------------------

    def scan(self, cursor: int, count: int):
        """One ZSCAN step over a skiplist-encoded set: ``(next_cursor, members)``.

        Like the keyspace SCAN (:meth:`Database.scan`), the cursor is a position in the order of
        ``hash(member)`` (``(hash >> 1) + 2**62``; 0 starts and ends), so every member present for the
        whole scan is returned, whatever is added or removed in between -- Redis's guarantee.  The
        hash-ordered member list is built when a scan starts (cursor 0) or when a cursor arrives
        with no list at hand, used while the scan goes on (members added meanwhile may or may not
        be returned, removed ones are skipped) and dropped when a scan ends."""
        if cursor >= _CURSOR_END:
            return 0, []
        order = self._scan
        if order is None or cursor == 0:
            order = self._scan = sorted(self.scores, key=hash)
        n = len(order)
        i = bisect_left(order, (cursor - _CURSOR_BIAS) * 2, key=hash)
        scores = self.scores
        out: list = []
        g = 0
        while i < n and len(out) < count:
            m = order[i]
            g = hash(m) >> 1
            i += 1
            if m in scores:
                out.append(m)
            while i < n and hash(order[i]) >> 1 == g:  # never split members sharing a position
                m = order[i]
                i += 1
                if m in scores:
                    out.append(m)
        if i >= n:
            self._scan = None
            return 0, out
        return g + 1 + _CURSOR_BIAS, out
