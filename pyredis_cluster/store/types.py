"""Value types held by the keyspace.

Strings are stored as plain ``bytes`` (the common case costs nothing) or ``bytearray`` once they have
been modified in place (APPEND, SETRANGE, SETBIT): exactly when Redis's value stops being ``embstr``
/ ``int`` and becomes ``raw``.  Containers are thin subclasses of Python's own types, so that a value's
Redis type is one ``type(v)`` lookup away.
"""

from __future__ import annotations

from collections import deque


class ListValue(deque):
    __slots__ = ()


class HashValue(dict):
    # Set lazily by commands/hashes.py (read with getattr): big = hashtable encoding (else listpack),
    # pool = a list of the fields for random picks, scan = the HSCAN order of the fields.
    __slots__ = ("big", "pool", "scan")


class SetValue(set):
    # Set lazily by commands/sets.py (read with getattr): big = hashtable encoding (else intset),
    # pool = a list of the members for random picks, scan = the SSCAN order of the members.
    __slots__ = ("big", "pool", "scan")


from .zset import ZSetValue  # noqa: E402  (a dict member -> score plus a SortedList of (score, member))
from .stream import StreamValue  # noqa: E402  (nodes of entries, as Redis's rax of listpacks)


TYPE_NAMES = {
    bytes: b"string",
    bytearray: b"string",
    ListValue: b"list",
    HashValue: b"hash",
    SetValue: b"set",
    ZSetValue: b"zset",
    StreamValue: b"stream",
}


def type_name(value) -> bytes:
    return TYPE_NAMES.get(type(value), b"none")


EMBSTR_SIZE_LIMIT = 44  # object.c: OBJ_ENCODING_EMBSTR_SIZE_LIMIT


def string_encoding(value) -> bytes:
    """OBJECT ENCODING of a string (object.c ``tryObjectEncoding``)."""
    if type(value) is bytearray:
        return b"raw"
    if len(value) <= 20:
        try:
            n = int(value)
        except ValueError:
            pass
        else:
            if (str(n).encode() == value) and -(2**63) <= n < 2**63:
                return b"int"
    return b"embstr" if len(value) <= EMBSTR_SIZE_LIMIT else b"raw"


# OBJECT ENCODING for every type: each type module registers ``fn(value, config) -> bytes`` here
# (hashes: listpack/hashtable, sets: intset/hashtable, zsets: listpack/skiplist; lists are always
# quicklist in Redis 7.0).
ENCODINGS: dict = {
    bytes: lambda v, config: string_encoding(v),
    bytearray: lambda v, config: b"raw",
    ListValue: lambda v, config: b"quicklist",
    ZSetValue: lambda v, config: v.encoding,  # listpack / skiplist, tracked on the value (store/zset.py)
    StreamValue: lambda v, config: b"stream",
}


def object_encoding(value, config=None) -> bytes:
    fn = ENCODINGS.get(type(value))
    return fn(value, config) if fn is not None else b"unknown"
