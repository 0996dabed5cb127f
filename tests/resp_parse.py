"""A small RESP2/RESP3 parser for tests that check the *shape* of a reply rather than its bytes (random
replies such as SPOP, SRANDMEMBER, HRANDFIELD)."""

from __future__ import annotations


class Err(str):
    """An error reply."""


class RSet(list):
    """A RESP3 set (``~``)."""


class RMap(list):
    """A RESP3 map (``%``) as a list of (key, value) pairs."""


def parse(data: bytes):
    """Parse one complete reply; returns Python values (bytes, int, None, list, RSet, RMap, Err ...)."""
    value, end = _parse(data, 0)
    assert end == len(data), "trailing bytes after the reply: %r" % data[end:]
    return value


def _parse(data: bytes, pos: int):
    nl = data.index(b"\r\n", pos)
    t = data[pos:pos + 1]
    head = data[pos + 1:nl]
    pos = nl + 2
    if t == b"$":
        n = int(head)
        if n < 0:
            return None, pos
        return data[pos:pos + n], pos + n + 2
    if t == b":":
        return int(head), pos
    if t == b"+":
        return head.decode(), pos
    if t == b"-":
        return Err(head.decode()), pos
    if t == b"_":
        return None, pos
    if t == b",":
        return float(head), pos
    if t == b"#":
        return head == b"t", pos
    if t in (b"*", b"~", b">"):
        n = int(head)
        if n < 0:
            return None, pos
        out = RSet() if t == b"~" else []
        for _ in range(n):
            v, pos = _parse(data, pos)
            out.append(v)
        return out, pos
    if t == b"%":
        out = RMap()
        for _ in range(int(head)):
            k, pos = _parse(data, pos)
            v, pos = _parse(data, pos)
            out.append((k, v))
        return out, pos
    raise ValueError("unknown reply type %r" % t)
