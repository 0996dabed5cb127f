"""Reply values and their RESP2 / RESP3 encoding.

A command handler returns a plain Python value and this module decides the bytes:

=====================  ===================================  ==========================
handler returns        RESP2                                RESP3
=====================  ===================================  ==========================
``bytes``/bytearray    ``$<len>\\r\\n<data>\\r\\n``         same
``int`` (not bool)     ``:<n>\\r\\n``                       same
``bool``               ``:1`` / ``:0``                      ``#t`` / ``#f``
``None``               ``$-1\\r\\n`` (null bulk)            ``_\\r\\n``
``float``              bulk ``%.17g`` (addReplyDouble)      ``,<%.17g>``
``list`` / ``tuple``   ``*<n>`` + elements                  same
:data:`NULL_ARRAY`     ``*-1\\r\\n``                        ``_\\r\\n``
:class:`Map`           flat array of 2n                     ``%<n>``
:class:`SetReply`      array                                ``~<n>``
:class:`Status`        ``+<text>``                          same
:class:`Verbatim`      bulk                                 ``=<len>\\r\\ntxt:<data>``
:class:`Push`          array                                ``><n>``
:class:`ErrorReply`    ``-<message>``                       same
:class:`Raw`           the bytes as they are                same
=====================  ===================================  ==========================

Frequent replies are pre-encoded constants (:data:`OK`, :data:`QUEUED` ...), so the hot path of SET
never formats anything.
"""

from __future__ import annotations

import math


class Raw(bytes):
    """Bytes already in RESP form, written unchanged whatever the protocol."""

    __slots__ = ()


class Status(str):
    """A simple string reply (``+text``)."""

    __slots__ = ()


class Map:
    """A map reply: RESP3 ``%``; RESP2 flattens it to an array of key, value, key, value ..."""

    __slots__ = ("pairs",)

    def __init__(self, pairs):
        self.pairs = list(pairs.items()) if isinstance(pairs, dict) else pairs


class SetReply(list):
    """A set reply: RESP3 ``~``; RESP2 array."""

    __slots__ = ()


class Push(list):
    """An out-of-band push (pub/sub messages): RESP3 ``>``; RESP2 array."""

    __slots__ = ()


class Verbatim:
    """A verbatim string (INFO, CLIENT LIST ...): RESP3 ``=len\\r\\ntxt:...``; RESP2 bulk."""

    __slots__ = ("data", "fmt")

    def __init__(self, data: bytes, fmt: bytes = b"txt"):
        self.data = data
        self.fmt = fmt


class ErrorReply:
    """An error *value*, e.g. inside an EXEC result array.  Top-level errors are raised instead."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


class _NullArray:
    __slots__ = ()

    def __repr__(self):
        return "NULL_ARRAY"


NULL_ARRAY = _NullArray()

OK = Raw(b"+OK\r\n")
QUEUED = Raw(b"+QUEUED\r\n")
PONG = Raw(b"+PONG\r\n")
ZERO = Raw(b":0\r\n")
ONE = Raw(b":1\r\n")
EMPTY_ARRAY = Raw(b"*0\r\n")
NO_REPLY = Raw(b"")  # the command answered already (or must not answer, e.g. CLIENT REPLY OFF)

_NULL2 = b"$-1\r\n"
BULK_HEADERS = [b"$%d\r\n" % n for n in range(512)]  # "$<len>\r\n" of short bulk strings
_NULL3 = b"_\r\n"


def format_double(d: float) -> bytes:
    """Redis 7.0 ``addReplyDouble`` text: ``%.17g``, with ``inf`` / ``-inf`` spelled out."""
    if math.isinf(d):
        return b"inf" if d > 0 else b"-inf"
    return b"%.17g" % d


_NO_NEWLINES = str.maketrans("\r\n", "  ")


def error_bytes(message: str) -> bytes:
    """``-message``; a CR or LF (a group name, a key ... quoted in it) becomes a space, as addReplyErrorFormat
    does, or the reply would break the protocol."""
    if "\n" in message or "\r" in message:
        message = message.translate(_NO_NEWLINES)
    return b"-" + message.encode("latin-1", "replace") + b"\r\n"


def encode(value, resp3: bool) -> bytes:
    """Encode one reply value (see the table in the module docstring)."""
    out: list = []
    _encode(value, out, resp3)
    return b"".join(out)


def _encode(v, out: list, resp3: bool) -> None:
    t = type(v)
    if t is bytes or t is bytearray:
        out.append(b"$%d\r\n%s\r\n" % (len(v), v))
    elif t is Raw:
        out.append(v)
    elif t is int:
        out.append(b":%d\r\n" % v)
    elif v is None:
        out.append(_NULL3 if resp3 else _NULL2)
    elif t is list or t is tuple:
        out.append(b"*%d\r\n" % len(v))
        for x in v:
            _encode(x, out, resp3)
    elif t is Status:
        out.append(b"+%s\r\n" % v.encode("latin-1"))
    elif t is ErrorReply:
        out.append(error_bytes(v.message))
    elif t is Map:
        if resp3:
            out.append(b"%%%d\r\n" % len(v.pairs))
        else:
            out.append(b"*%d\r\n" % (2 * len(v.pairs)))
        for k, x in v.pairs:
            _encode(k, out, resp3)
            _encode(x, out, resp3)
    elif t is float:
        if resp3:
            out.append(b",%s\r\n" % format_double(v))
        else:
            s = format_double(v)
            out.append(b"$%d\r\n%s\r\n" % (len(s), s))
    elif t is bool:
        out.append((b"#t\r\n" if v else b"#f\r\n") if resp3 else (b":1\r\n" if v else b":0\r\n"))
    elif t is SetReply:
        out.append(b"%s%d\r\n" % (b"~" if resp3 else b"*", len(v)))
        for x in v:
            _encode(x, out, resp3)
    elif t is Push:
        out.append(b"%s%d\r\n" % (b">" if resp3 else b"*", len(v)))
        for x in v:
            _encode(x, out, resp3)
    elif t is Verbatim:
        if resp3:
            out.append(b"=%d\r\n%s:%s\r\n" % (len(v.data) + 4, v.fmt, v.data))
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(v.data), v.data))
    elif v is NULL_ARRAY:
        out.append(_NULL3 if resp3 else b"*-1\r\n")
    elif t is str:
        b = v.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    elif isinstance(v, (bytes, int, list)):  # subclasses
        _encode(bytes(v) if isinstance(v, bytes) else int(v) if isinstance(v, int) else list(v), out, resp3)
    else:
        raise TypeError("cannot encode reply of type %r" % t)
