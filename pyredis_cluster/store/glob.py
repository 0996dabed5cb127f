"""Glob-style pattern matching exactly as Redis does it (util.c ``stringmatchlen``).

Used by KEYS, SCAN MATCH (and HSCAN/SSCAN/ZSCAN), PSUBSCRIBE, CONFIG GET ... Python's ``fnmatch`` is
*not* the same: Redis has ``\\`` escapes, ``[^...]`` negation, reversed ranges (``[z-a]``), and a few
quirks that clients can observe, all reproduced here:

* an unterminated class is closed by the end of the pattern (``"[^"`` matches any one byte);
* ``*`` matches one or more bytes when it is the whole remaining pattern and the string is
  empty it fails: ``"*"`` does not match the empty string (KEYS/SCAN special-case the pattern
  ``*`` before calling the matcher, so they still list the empty key);
* range bounds and the string byte are compared as C ``char`` -- signed on x86-64, where
  Debian's redis-server runs -- so ``[a-\\xff]`` is the range ``-1 .. 97``;
* ``nocase`` folds only ASCII letters (C locale ``tolower``).

The C function recurses on ``*`` and uses a shared ``skipLongerMatches`` flag to stop retrying outer
stars once an inner star has tried every position.  That is exactly "backtrack only to the most
recent star", which :func:`stringmatchlen` does iteratively (no recursion limit, linear memory).
"""

from __future__ import annotations

_STAR, _QMARK, _LBRACKET, _BACKSLASH, _RBRACKET, _CARET, _DASH = 42, 63, 91, 92, 93, 94, 45
_SPECIAL = frozenset(b"*?[\\")


def _schar(b: int) -> int:
    """A byte as a signed C char (x86-64)."""
    return b - 256 if b >= 128 else b


def _lower(b: int) -> int:
    """C-locale tolower (other values, incl. negative chars, are unchanged)."""
    return b + 32 if 65 <= b <= 90 else b


def stringmatchlen(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """util.c ``stringmatchlen``: does glob ``pattern`` match ``string``?"""
    plen = len(pattern)
    slen = len(string)
    p = 0  # index into pattern (pattern[plen] reads as the C string terminator, 0)
    s = 0
    star_p = -1  # pattern index just after the innermost '*' seen, -1 if none
    star_s = 0  # string index where that star's current attempt starts
    while True:
        # One "call" of stringmatchlen_impl from (p, s); `ok` is its result.
        ok = None
        while p < plen and s < slen:
            c = pattern[p]
            if c == _STAR:
                while p + 1 < plen and pattern[p + 1] == _STAR:
                    p += 1
                if plen - p == 1:
                    return True  # a trailing star matches the rest
                # Try the rest of the pattern at every position (the C recursion): start here.
                p += 1
                star_p = p
                star_s = s
                continue
            if c == _QMARK:
                s += 1
            elif c == _LBRACKET:
                p += 1
                negate = p < plen and pattern[p] == _CARET
                if negate:
                    p += 1
                match = False
                sc = string[s]
                while True:
                    pc = pattern[p] if p < plen else 0
                    if pc == _BACKSLASH and plen - p >= 2:
                        p += 1
                        if pattern[p] == sc:
                            match = True
                    elif pc == _RBRACKET:
                        break
                    elif p >= plen:
                        p -= 1
                        break
                    elif plen - p >= 3 and pattern[p + 1] == _DASH:
                        start = _schar(pc)
                        end = _schar(pattern[p + 2])
                        ch = _schar(sc)
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, ch = _lower(start), _lower(end), _lower(ch)
                        p += 2
                        if start <= ch <= end:
                            match = True
                    elif not nocase:
                        if pc == sc:
                            match = True
                    elif _lower(pc) == _lower(sc):
                        match = True
                    p += 1
                if negate:
                    match = not match
                if not match:
                    ok = False
                    break
                s += 1
            else:
                if c == _BACKSLASH and plen - p >= 2:
                    p += 1
                    c = pattern[p]
                sc = string[s]
                if c != sc and (not nocase or _lower(c) != _lower(sc)):
                    ok = False
                    break
                s += 1
            p += 1
            if s == slen:
                while p < plen and pattern[p] == _STAR:
                    p += 1
                break
        if ok is None:
            ok = p == plen and s == slen
        if ok:
            return True
        # This attempt failed: retry the innermost star one byte further (outer stars are never
        # retried: Redis's skipLongerMatches).  The C loop only tries while bytes remain.
        if star_p < 0:
            return False
        star_s += 1
        if star_s >= slen:
            return False
        p = star_p
        s = star_s


def compile_pattern(pattern: bytes, nocase: bool = False):
    """A function ``bytes -> bool`` equivalent to ``stringmatchlen(pattern, key, nocase)``, with
    fast paths for the common shapes ``lit``, ``lit*``, ``*lit`` and ``*lit*``."""
    if not nocase:
        stars_left = len(pattern) - len(pattern.lstrip(b"*"))
        core = pattern.strip(b"*")
        stars_right = len(pattern) - stars_left - len(core) if core else 0
        if not _SPECIAL.intersection(core):
            if not core:  # only stars ("" handled by the general matcher)
                if pattern:
                    return lambda k: len(k) > 0
            elif stars_left == 0 and stars_right == 0:
                return core.__eq__
            elif stars_left == 0:
                return lambda k: k.startswith(core)
            elif stars_right == 0:
                return lambda k: k.endswith(core)
            else:
                return lambda k: core in k
    return lambda k: stringmatchlen(pattern, k, nocase)
