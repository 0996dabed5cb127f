"""Request parsing: RESP multibulk requests and inline commands, with Redis's exact protocol errors.

Two parsers share one job:

* the **fast path** hands whole chunks to ``hiredis.Reader`` (C).  A pipeline of well-formed commands
  that ends on a command boundary -- what clients send almost always -- is parsed without a line of
  Python per argument;
* the **exact path** (:meth:`RequestParser._parse_exact`) is a line-by-line port of Redis's
  ``processMultibulkBuffer`` / ``processInlineBuffer`` (networking.c).  It takes over whenever the
  fast path meets something unusual: an inline command, a command split across reads, or input
  hiredis would accept but Redis rejects (nested arrays, integers, a 2 GB bulk length ...).  It keeps
  its partial state between reads exactly as Redis does, and it alone decides protocol errors.

``feed(data)`` returns ``(commands, error)``: the complete commands (lists of ``bytes``) found before
any error, and the error message (``"Protocol error: ..."``) or ``None``.  After an error the
connection replies ``-ERR <message>`` and closes, as Redis does.
"""

from __future__ import annotations

import re

import hiredis

from .reply import BULK_HEADERS

PROTO_INLINE_MAX_SIZE = 64 * 1024  # server.h: max size of inline reads / count lines
INT_MAX = 2**31 - 1

# hiredis allocates an array as soon as it reads its header: a hostile "*3000000000" would cost GBs.
# Chunks announcing a million elements or more (or anything odd-looking) take the exact path instead.
_BIG_COUNT = re.compile(rb"\*[^\r]{7}")
_big_count = _BIG_COUNT.search

# string2ll (util.c) is strict: optional '-', no '+', no spaces, no leading zeros.
_STRICT_INT = re.compile(rb"(?:0|-?[1-9][0-9]{0,18})\Z")


def strict_int(s: bytes):
    """Redis's ``string2ll``: the integer value, or ``None`` when Redis would reject the text."""
    if _STRICT_INT.match(s) is None:
        return None
    v = int(s)
    if not -(2**63) <= v < 2**63:
        return None
    return v


class RequestParser:
    __slots__ = (
        "_reader", "_at_boundary", "_prev", "_buf", "_argv", "_multibulk", "_bulklen", "max_bulk_len", "auth_required",
    )

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024):
        self._reader = hiredis.Reader()
        self._at_boundary = True  # fast path: hiredis (most likely) holds no part of a command
        self._prev = None  # (chunk, its commands, started clean) of the last chunk given to hiredis
        self._buf = bytearray()  # exact path: bytes not yet consumed (empty in fast mode)
        self._argv: list = []  # exact path: arguments of the multibulk command being read
        self._multibulk = 0  # exact path: arguments still expected for the current command
        self._bulklen = -1  # exact path: length of the bulk being read, -1 before its header
        self.max_bulk_len = max_bulk_len  # proto-max-bulk-len
        self.auth_required = False  # set by the connection while AUTH is pending

    @property
    def pending(self) -> int:
        """Bytes received but not yet turned into commands (for the query buffer limit)."""
        return len(self._buf)

    def feed(self, data: bytes):
        if self._buf or self._multibulk:  # the exact parser is inside a command
            self._buf += data
            return self._parse_exact()
        if self.auth_required or data[:1] != b"*" or _big_count(data) is not None:
            if self._hiredis_clean():
                self._reset_reader()
                self._buf += data
                return self._parse_exact()
            # hiredis may be inside a command whose last element ended the previous chunk: let it
            # continue (if this is really an inline command, hiredis raises and we fall back below)
            self._at_boundary = False
        reader = self._reader
        started_clean = self._prev is None
        reader.feed(data)
        commands = []
        try:
            while True:
                cmd = reader.gets()
                if cmd is False:
                    break
                if type(cmd) is not list:
                    if cmd is None:  # '*-1': Redis skips an empty request too
                        continue
                    raise ValueError(cmd)
                for arg in cmd:  # nested arrays, integers, nils: Redis says "expected '$'"
                    if type(arg) is not bytes:
                        raise ValueError(arg)
                if cmd:
                    commands.append(cmd)
        except Exception:
            # Input Redis reads differently than hiredis (an inline command after a multibulk one,
            # a bad type byte ...): hand the rest of the chunk to the exact parser.
            return self._to_exact(data, commands)
        if commands and not reader.has_data() and data.endswith(b"\r\n"):
            # Does the chunk end with the last argument of its last command in canonical form
            # ("$<len>\r\n<arg>\r\n")?  A cheap test that it ended on a command boundary.  It can be
            # fooled only into staying on the fast path, which is harmless: hiredis then continues
            # the command with the next chunk.
            arg = commands[-1][-1]
            la = len(arg)
            end = len(data) - 2
            if data.endswith(arg, 0, end) and data.endswith(
                    BULK_HEADERS[la] if la < 512 else b"$%d\r\n" % la, 0, end - la):
                # Most likely a command boundary (checked exactly, and only, when it matters: see
                # _hiredis_clean).
                self._at_boundary = True
                self._prev = (data, commands, started_clean)
                return commands, None
        if self._at_boundary:
            # The chunk ended inside a command: the exact parser takes over (it checks each header
            # as it arrives, where hiredis would wait for a 2 GB bulk) until the next boundary.
            return self._to_exact(data, commands)
        self._prev = (data, commands, False)
        return commands, None  # still inside a command hiredis began earlier

    def _reset_reader(self) -> None:
        self._reader = hiredis.Reader()
        self._prev = None
        self._at_boundary = True

    def _hiredis_clean(self) -> bool:
        """Does hiredis surely hold no part of a command?  True if nothing was fed to it since it was
        reset, or if the last chunk started clean and its commands, canonically encoded, are exactly
        the chunk (so hiredis consumed it whole).  Costs O(commands of one chunk), paid only when a
        chunk needs the exact parser."""
        prev = self._prev
        if prev is None:
            return True
        data, commands, started_clean = prev
        if not started_clean:
            return False
        used = 0
        for cmd in commands:
            used += 3 + len(str(len(cmd)))
            for arg in cmd:
                used += 5 + len(str(len(arg))) + len(arg)
        return used == len(data)

    def _to_exact(self, data: bytes, commands: list):
        at_boundary = self._at_boundary
        self._reset_reader()
        used = 0
        if at_boundary:
            for cmd in commands:  # well-formed commands: their size is the canonical encoding's
                used += 3 + len(str(len(cmd)))
                for arg in cmd:
                    used += 5 + len(str(len(arg))) + len(arg)
        if used > len(data):
            return commands, "Protocol error: invalid multibulk length"
        self._buf += data[used:]
        more, err = self._parse_exact()
        commands.extend(more)
        return commands, err

    # -- the exact path: networking.c ------------------------------------------------------------

    def _parse_exact(self):
        commands: list = []
        buf = self._buf
        pos = 0
        err = None
        n = len(buf)
        while pos < n:
            if self._multibulk == 0:
                if buf[pos] == 42:  # '*'
                    pos, err, done = self._multibulk_header(buf, pos, n)
                    if err or not done:
                        break
                    if self._multibulk == 0:  # '*0' or a negative count: an empty request, skipped
                        continue
                else:
                    pos, err, argv = self._inline(buf, pos, n)
                    if err or argv is None:
                        break
                    if argv:
                        commands.append(argv)
                    continue
            pos, err = self._multibulk_args(buf, pos, n)
            if err:
                break
            if self._multibulk:
                break  # need more data
            commands.append(self._argv)
            self._argv = []
        del buf[:pos]
        if err:
            buf.clear()
        return commands, err

    def _multibulk_header(self, buf, pos, n):
        """processMultibulkBuffer, first part: ``*<count>\\r\\n``."""
        nl = buf.find(b"\r", pos)
        if nl < 0:
            if n - pos > PROTO_INLINE_MAX_SIZE:
                return pos, "Protocol error: too big mbulk count string", False
            return pos, None, False
        if nl + 1 >= n:  # the buffer must also hold the '\n'
            return pos, None, False
        ll = strict_int(bytes(buf[pos + 1 : nl]))
        if ll is None or ll > INT_MAX:
            return pos, "Protocol error: invalid multibulk length", False
        if ll > 10 and self.auth_required:
            return pos, "Protocol error: unauthenticated multibulk length", False
        pos = nl + 2
        self._multibulk = ll if ll > 0 else 0
        self._argv = []
        self._bulklen = -1
        return pos, None, True

    def _multibulk_args(self, buf, pos, n):
        """processMultibulkBuffer, second part: ``$<len>\\r\\n<data>\\r\\n`` for each argument."""
        argv = self._argv
        while self._multibulk:
            if self._bulklen == -1:
                nl = buf.find(b"\r", pos)
                if nl < 0:
                    if n - pos > PROTO_INLINE_MAX_SIZE:
                        return pos, "Protocol error: too big bulk count string"
                    break
                if nl + 1 >= n:
                    break
                if buf[pos] != 36:  # '$'
                    return pos, "Protocol error: expected '$', got '%s'" % chr(buf[pos])
                ll = strict_int(bytes(buf[pos + 1 : nl]))
                if ll is None or ll < 0 or ll > self.max_bulk_len:
                    return pos, "Protocol error: invalid bulk length"
                if ll > 16384 and self.auth_required:
                    return pos, "Protocol error: unauthenticated bulk length"
                pos = nl + 2
                self._bulklen = ll
            if n - pos < self._bulklen + 2:
                break
            argv.append(bytes(buf[pos : pos + self._bulklen]))
            pos += self._bulklen + 2  # like Redis, the two bytes after the data are not checked
            self._bulklen = -1
            self._multibulk -= 1
        return pos, None

    def _inline(self, buf, pos, n):
        """processInlineBuffer: a line of space-separated (optionally quoted) words."""
        nl = buf.find(b"\n", pos)
        if nl < 0:
            if n - pos > PROTO_INLINE_MAX_SIZE:
                return pos, "Protocol error: too big inline request", None
            return pos, None, None
        line = bytes(buf[pos:nl])
        if line.endswith(b"\r"):
            line = line[:-1]
        argv = split_args(line)
        if argv is None:
            return pos, "Protocol error: unbalanced quotes in request", None
        return nl + 1, None, argv


_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = b"0123456789abcdefABCDEF"
_SPACE = b" \n\r\t\v\f"


def split_args(line: bytes):
    """Redis's ``sdssplitargs``: split a line into arguments, honouring "double quotes" with escapes
    (``\\n``, ``\\xff`` ...) and 'single quotes'.  Returns ``None`` on unbalanced quotes."""
    args = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in _SPACE:
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    return None
                c = line[i]
                if (
                    c == 92  # backslash
                    and i + 3 < n
                    and line[i + 1] == 120  # 'x'
                    and line[i + 2] in _HEX
                    and line[i + 3] in _HEX
                ):
                    cur.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    cur.append(_ESCAPES.get(line[i], line[i]))
                elif c == 34:  # closing "
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None  # the closing quote must be followed by a space
                    i += 1
                    break
                else:
                    cur.append(c)
            elif insq:
                if i >= n:
                    return None
                c = line[i]
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    cur.append(39)
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in _SPACE:
                    break
                if c == 34:
                    inq = True
                elif c == 39:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        args.append(bytes(cur))


def split_line(line: str):
    """:func:`split_args` on a str (bytes round-tripped with surrogateescape, so \\xHH escapes give back
    the very bytes); None on unbalanced quotes.  redis.conf lines and AOF manifest lines."""
    words = split_args(line.encode("utf-8", "surrogateescape"))
    if words is None:
        return None
    return [w.decode("utf-8", "surrogateescape") for w in words]
