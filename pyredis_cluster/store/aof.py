"""The append-only file of Redis 7.0 (multi-part AOF): the manifest, the command log, its loader and
its writer.  Redis: aof.c (the manifest, feedAppendOnlyFile, flushAppendOnlyFile,
loadSingleAppendOnlyFile, rewriteAppendOnlyFileRio), redis-check-aof.c.

On disk, in ``<dir>/<appenddirname>`` (default ``appendonlydir``)::

    appendonly.aof.manifest        which files make up the AOF, in order
    appendonly.aof.1.base.rdb      the snapshot of the last rewrite (RDB, or .base.aof: commands)
    appendonly.aof.1.incr.aof      every write since, as RESP commands (SELECT when the db changes)

The manifest has one line per file, exactly as 7.0 writes it::

    file appendonly.aof.1.base.rdb seq 1 type b
    file appendonly.aof.1.incr.aof seq 1 type i

(``type h`` marks history files: replaced by a rewrite, deleted right after.)  Loading reads the base,
then each incremental file in order.

This module does no asyncio and knows nothing of clients: :class:`AofWriter` owns the open file and the
everysec fsync thread; the server shell (``server/persistence.py``) feeds it, flushes it before replies
are sent, rewrites it and loads it.
"""

from __future__ import annotations

import os
import threading
import time

from ..protocol.request import split_line
from .types import HashValue, ListValue, SetValue, StreamValue, ZSetValue

BASE_SUFFIX, INCR_SUFFIX, RDB_SUFFIX, AOF_SUFFIX = ".base", ".incr", ".rdb", ".aof"
MANIFEST_SUFFIX = ".manifest"
TEMP_PREFIX = "temp-"
TYPE_BASE, TYPE_HIST, TYPE_INCR = "b", "h", "i"
REWRITE_ITEMS_PER_CMD = 64  # AOF_REWRITE_ITEMS_PER_CMD
MANIFEST_MAX_LINE = 1024
ANNOTATION_LINE_MAX_LEN = 1024  # AOF_ANNOTATION_LINE_MAX_LEN


class AofError(Exception):
    """A fatal AOF problem (Redis exits): ``message`` is what Redis logs."""


# =========================================================================================================
# The manifest
# =========================================================================================================


class AofInfo:
    __slots__ = ("name", "seq", "type")

    def __init__(self, name: str, seq: int, type_: str):
        self.name = name
        self.seq = seq
        self.type = type_

    def copy(self) -> "AofInfo":
        return AofInfo(self.name, self.seq, self.type)

    def format(self) -> str:
        """aofInfoFormat"""
        name = self.name
        if _needs_repr(name):
            name = _repr(name)
        return "file %s seq %d type %s\n" % (name, self.seq, self.type)

    def __repr__(self):
        return "AofInfo(%r, %d, %r)" % (self.name, self.seq, self.type)


def _needs_repr(s: str) -> bool:
    """sdsneedsrepr"""
    return any(c in "\\\"\n\r\t\a\b" or not c.isprintable() or c == " " for c in s)


def _repr(s: str) -> str:
    out = ['"']
    for c in s:
        if c in '\\"':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\a":
            out.append("\\a")
        elif c == "\b":
            out.append("\\b")
        elif c.isprintable():
            out.append(c)
        else:
            out.extend("\\x%02x" % b for b in c.encode())
    out.append('"')
    return "".join(out)


class Manifest:
    """aofManifest: the base file, the history files and the incremental files."""

    def __init__(self, filename: str = "appendonly.aof"):
        self.filename = filename  # appendfilename: the prefix of every file name
        self.base: AofInfo | None = None
        self.history: list = []
        self.incr: list = []
        self.curr_base_seq = 0
        self.curr_incr_seq = 0
        self.dirty = False

    def copy(self) -> "Manifest":
        """aofManifestDup"""
        m = Manifest(self.filename)
        m.base = self.base.copy() if self.base is not None else None
        m.history = [a.copy() for a in self.history]
        m.incr = [a.copy() for a in self.incr]
        m.curr_base_seq = self.curr_base_seq
        m.curr_incr_seq = self.curr_incr_seq
        m.dirty = self.dirty
        return m

    @property
    def empty(self) -> bool:
        return self.base is None and not self.incr

    def files(self) -> list:
        """The files that hold the data, in loading order (base, then incr)."""
        return ([self.base] if self.base is not None else []) + list(self.incr)

    def format(self) -> str:
        """getAofManifestAsString: base, history, incr."""
        out = []
        if self.base is not None:
            out.append(self.base.format())
        out.extend(a.format() for a in self.history)
        out.extend(a.format() for a in self.incr)
        return "".join(out)

    @classmethod
    def parse(cls, text: str, filename: str = "appendonly.aof") -> "Manifest":
        """aofLoadManifestFromFile.  Raises AofError with Redis's report."""
        m = cls(filename)
        maxseq = 0
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        else:
            if lines and len(lines[-1]) > MANIFEST_MAX_LINE:
                raise _manifest_error(len(lines), lines[-1], "The AOF manifest file contains too long line")
        if not lines:
            raise _manifest_error(0, None, "Found an empty AOF manifest")
        for n, raw in enumerate(lines, 1):
            if raw.startswith("#"):
                continue
            if len(raw) + 1 > MANIFEST_MAX_LINE:
                raise _manifest_error(n, raw, "The AOF manifest file contains too long line")
            line = raw.strip(" \t\r\n")
            if not line:
                raise _manifest_error(n, line, "Invalid AOF manifest file format")
            argv = split_line(line)  # sdssplitargs, as Redis splits manifest lines
            if argv is None or len(argv) < 6 or len(argv) % 2:
                raise _manifest_error(n, line, "Invalid AOF manifest file format")
            name, seq, type_ = None, 0, ""
            for i in range(0, len(argv), 2):
                k, v = argv[i].lower(), argv[i + 1]
                if k == "file":
                    name = v
                    if "/" in name:
                        raise _manifest_error(n, line, "File can't be a path, just a filename")
                elif k == "seq":
                    seq = _atoll(v)
                elif k == "type":
                    type_ = v[:1]
            if not name or not seq or not type_:
                raise _manifest_error(n, line, "Invalid AOF manifest file format")
            info = AofInfo(name, seq, type_)
            if type_ == TYPE_BASE:
                if m.base is not None:
                    raise _manifest_error(n, line, "Found duplicate base file information")
                m.base = info
                m.curr_base_seq = seq
            elif type_ == TYPE_HIST:
                m.history.append(info)
            elif type_ == TYPE_INCR:
                if seq <= maxseq:
                    raise _manifest_error(n, line, "Found a non-monotonic sequence number")
                m.incr.append(info)
                m.curr_incr_seq = seq
                maxseq = seq
            else:
                raise _manifest_error(n, line, "Unknown AOF file type")
        return m

    # -- changes (each marks the manifest dirty) ---------------------------------------------------

    def new_base_name(self, rdb_preamble: bool) -> str:
        """getNewBaseFileNameAndMarkPreAsHistory"""
        if self.base is not None:
            self.base.type = TYPE_HIST
            self.history.insert(0, self.base)
        self.curr_base_seq += 1
        name = "%s.%d%s%s" % (self.filename, self.curr_base_seq, BASE_SUFFIX, RDB_SUFFIX if rdb_preamble else AOF_SUFFIX)
        self.base = AofInfo(name, self.curr_base_seq, TYPE_BASE)
        self.dirty = True
        return name

    def new_incr_name(self) -> str:
        """getNewIncrAofName"""
        self.curr_incr_seq += 1
        name = "%s.%d%s%s" % (self.filename, self.curr_incr_seq, INCR_SUFFIX, AOF_SUFFIX)
        self.incr.append(AofInfo(name, self.curr_incr_seq, TYPE_INCR))
        self.dirty = True
        return name

    def last_incr_name(self) -> str:
        """getLastIncrAofName: the last incr file, or a new one."""
        if not self.incr:
            return self.new_incr_name()
        return self.incr[-1].name

    def mark_rewritten_incr_as_history(self, keep_last: bool) -> None:
        """markRewrittenIncrAofAsHistory: every incr file but the one being written (``keep_last``)
        becomes history."""
        if not self.incr:
            return
        keep = self.incr[-1:] if keep_last else []
        moved = self.incr[:-1] if keep_last else self.incr
        for a in reversed(moved):
            a.type = TYPE_HIST
            self.history.insert(0, a)
        self.incr = keep
        self.dirty = True


def _atoll(s: str) -> int:
    """atoll: leading digits (with an optional sign), 0 when there are none."""
    s = s.lstrip(" \t")
    i = 1 if s[:1] in "+-" else 0
    while i < len(s) and s[i].isdigit():
        i += 1
    try:
        return int(s[:i])
    except ValueError:
        return 0


def _manifest_error(line_no: int, line, reason: str) -> AofError:
    msg = "\n*** FATAL AOF MANIFEST FILE ERROR ***\n"
    if line is not None:
        msg += "Reading the manifest file, at line %d\n>>> '%s'\n" % (line_no, line)
    return AofError(msg + reason)


def manifest_name(appendfilename: str) -> str:
    return appendfilename + MANIFEST_SUFFIX


def temp_incr_name(appendfilename: str) -> str:
    """getTempIncrAofName: where writes go while the first rewrite after CONFIG SET appendonly yes runs."""
    return TEMP_PREFIX + appendfilename + INCR_SUFFIX


def load_manifest(dirpath: str, appendfilename: str) -> Manifest:
    """aofLoadManifestFromDisk: an empty manifest when the directory or the file does not exist."""
    path = os.path.join(dirpath, manifest_name(appendfilename))
    if not os.path.isdir(dirpath) or not os.path.exists(path):
        return Manifest(appendfilename)
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
    except OSError as e:
        raise AofError("Fatal error: can't open the AOF manifest file %s for reading: %s" % (path, e.strerror))
    return Manifest.parse(text, appendfilename)


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(dirpath: str, manifest: Manifest) -> None:
    """writeAofManifestFile: temp file, fsync, rename, fsync of the directory (raises OSError)."""
    name = manifest_name(manifest.filename)
    tmp = os.path.join(dirpath, TEMP_PREFIX + name)
    data = manifest.format().encode("utf-8", "surrogateescape")
    fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o644)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, os.path.join(dirpath, name))
    fsync_dir(dirpath)
    manifest.dirty = False


def _write_all(fd: int, data) -> int:
    view = memoryview(data)
    total = 0
    while total < len(view):
        total += os.write(fd, view[total:])
    return total


# =========================================================================================================
# Commands: encoding, and the rewrite of a dataset as commands (aof-use-rdb-preamble no)
# =========================================================================================================


def encode_command(argv) -> bytes:
    """catAppendOnlyGenericCommand"""
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv)


def select_command(db_id: int) -> bytes:
    s = b"%d" % db_id
    return b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n" % (len(s), s)


def _batched(cmd: bytes, key: bytes, items: list, per_item: int):
    """Commands of at most REWRITE_ITEMS_PER_CMD items each: ``cmd key item...``."""
    step = REWRITE_ITEMS_PER_CMD * per_item
    for i in range(0, len(items), step):
        yield encode_command([cmd, key] + items[i:i + step])


def _fmt_double(d: float) -> bytes:
    """rioWriteBulkDouble: %.17g"""
    return b"%.17g" % d


def _stream_commands(key: bytes, s) -> list:
    """rewriteStreamObject: XADD per entry (an empty stream: XADD MAXLEN 0 0-1 x y), XSETID with the
    metadata, then each group (XGROUP CREATE ... ENTRIESREAD, XCLAIM per pending entry, CREATECONSUMER)."""
    out = []
    if s.length:
        for eid, vals in s.range():
            out.append(encode_command([b"XADD", key, b"%d-%d" % eid, *vals]))
    else:
        out.append(encode_command([b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]))
    out.append(encode_command([b"XSETID", key, b"%d-%d" % s.last_id, b"ENTRIESADDED", b"%d" % s.entries_added,
                               b"MAXDELETEDID", b"%d-%d" % s.max_deleted]))
    for name, g in sorted(s.groups.items()):
        out.append(encode_command([b"XGROUP", b"CREATE", key, name, b"%d-%d" % g.last_id, b"ENTRIESREAD",
                                   b"%d" % g.entries_read]))
        for cname, cons in sorted(g.consumers.items()):
            if not cons.pel:
                out.append(encode_command([b"XGROUP", b"CREATECONSUMER", key, name, cname]))
                continue
            for eid in sorted(cons.pel):
                nack = cons.pel[eid]
                out.append(encode_command([b"XCLAIM", key, name, cname, b"0", b"%d-%d" % eid, b"TIME",
                                           b"%d" % nack.delivery_time, b"RETRYCOUNT", b"%d" % nack.delivery_count,
                                           b"JUSTID", b"FORCE"]))
    return out


def rewrite_commands(dbs, chunk: int = 1 << 20, timestamp: bool = False, functions=(), on_key=None):
    """rewriteAppendOnlyFileRio: the commands that rebuild ``dbs``, in chunks of about ``chunk`` bytes:
    a "#TS:" annotation when ``timestamp`` (aof-timestamp-enabled), FUNCTION LOAD for each library code
    in ``functions`` (rewriteFunctions), then SELECT per database, then per key SET / RPUSH / SADD / ZADD
    / HMSET (64 items a command) and PEXPIREAT for a key with a TTL.  ``on_key()`` runs after each key."""
    out: list = [b"#TS:%d\r\n" % int(time.time())] if timestamp else []
    for code in functions:
        out.append(encode_command([b"FUNCTION", b"LOAD", code]))
    size = 0
    for db in dbs:
        if not db.data:
            continue
        out.append(b"*2\r\n$6\r\nSELECT\r\n" + b"$%d\r\n%d\r\n" % (len(b"%d" % db.id), db.id))
        expires = db.expires
        for key, value in db.data.items():
            t = type(value)
            if t is bytes or t is bytearray:
                parts = [encode_command([b"SET", key, bytes(value)])]
            elif t is ListValue:
                parts = list(_batched(b"RPUSH", key, [bytes(e) for e in value], 1))
            elif t is SetValue:
                parts = list(_batched(b"SADD", key, [bytes(m) for m in value], 1))
            elif t is HashValue:
                flat = []
                for f, v in value.items():
                    flat.append(bytes(f))
                    flat.append(bytes(v))
                parts = list(_batched(b"HMSET", key, flat, 2))
            elif t is ZSetValue:
                flat = []
                for score, m in value.items():
                    flat.append(_fmt_double(score))
                    flat.append(bytes(m))
                parts = list(_batched(b"ZADD", key, flat, 2))
            elif t is StreamValue:
                parts = _stream_commands(key, value)
            else:
                raise AofError("Unknown object type %r" % t)
            when = expires.get(key) if expires else None
            if when is not None:
                parts.append(encode_command([b"PEXPIREAT", key, b"%d" % when]))
            for p in parts:
                out.append(p)
                size += len(p)
            if on_key is not None:
                on_key()
            if size >= chunk:
                yield b"".join(out)
                out = []
                size = 0
    if out:
        yield b"".join(out)


# =========================================================================================================
# Reading an AOF (loadSingleAppendOnlyFile, command by command)
# =========================================================================================================


class AofTruncated(Exception):
    """The file ends inside a command (or inside MULTI ... EXEC): ``valid_up_to`` is the offset just after
    the last complete command (before the unfinished MULTI)."""

    def __init__(self, valid_up_to: int, reason: str):
        super().__init__(reason)
        self.valid_up_to = valid_up_to
        self.reason = reason


class AofFormatError(Exception):
    """Bad file format at ``offset``."""

    def __init__(self, offset: int, reason: str):
        super().__init__(reason)
        self.offset = offset
        self.reason = reason


def _line(data: bytes, pos: int, limit: int):
    """fgets(buf, limit): the line starting at ``pos`` (with its newline) and the next position; None at EOF."""
    n = len(data)
    if pos >= n:
        return None, pos
    end = data.find(b"\n", pos, pos + limit - 1)
    if end < 0:
        end = min(n, pos + limit - 1)
        return data[pos:end], end
    return data[pos:end + 1], end + 1


def iter_commands(data: bytes, pos: int = 0):
    """Yield ``(argv, end_offset)`` for each command of an AOF body starting at ``pos``, as Redis parses
    it (annotations ``#...`` skipped).  Raises :class:`AofTruncated` when the data ends inside a command,
    :class:`AofFormatError` on anything that is not RESP.  A transaction that is not closed at the end is
    reported as truncated before its MULTI (Redis: "Revert incomplete MULTI/EXEC transaction")."""
    n = len(data)
    valid = pos
    before_multi = None
    while True:
        line, nxt = _line(data, pos, ANNOTATION_LINE_MAX_LEN)
        if line is None:
            break
        if line[:1] == b"#":
            pos = nxt
            valid = pos if before_multi is None else valid
            continue
        if line[:1] != b"*":
            raise AofFormatError(pos, "expected '*', got %r" % line[:1])
        if len(line) == 1 and nxt >= n:
            raise AofTruncated(valid if before_multi is None else before_multi, "short read")
        argc = _atoi(line[1:])
        if argc < 1:
            raise AofFormatError(pos, "invalid multibulk length %r" % line.rstrip(b"\r\n"))
        start = pos
        pos = nxt
        argv = []
        for _ in range(argc):
            line, nxt = _line(data, pos, ANNOTATION_LINE_MAX_LEN)
            if line is None:
                raise AofTruncated(valid if before_multi is None else before_multi, "short read")
            if line[:1] != b"$":
                raise AofFormatError(pos, "expected '$', got %r" % line[:1])
            if not line.endswith(b"\n"):
                raise AofTruncated(valid if before_multi is None else before_multi, "short read")
            ln = _strtol(line[1:])
            if ln < 0:
                raise AofFormatError(pos, "invalid bulk length %r" % line.rstrip(b"\r\n"))
            pos = nxt
            if pos + ln + 2 > n:
                raise AofTruncated(valid if before_multi is None else before_multi, "short read")
            if data[pos + ln:pos + ln + 2] != b"\r\n":
                raise AofFormatError(pos + ln, "expected CRLF after a bulk string of %d bytes" % ln)
            argv.append(data[pos:pos + ln])
            pos += ln + 2
        name = argv[0].lower()
        if name == b"multi":
            before_multi = start if before_multi is None else before_multi
        elif name == b"exec" or name == b"discard":
            before_multi = None
        yield argv, pos
        if before_multi is None:
            valid = pos
    if before_multi is not None:
        raise AofTruncated(before_multi, "Revert incomplete MULTI/EXEC transaction")


def _atoi(s: bytes) -> int:
    s = s.strip()
    i = 1 if s[:1] in (b"+", b"-") else 0
    while i < len(s) and 48 <= s[i] <= 57:
        i += 1
    try:
        return int(s[:i])
    except ValueError:
        return 0


_strtol = _atoi


# =========================================================================================================
# The writer: the open incremental file, its buffer, and fsync
# =========================================================================================================


FSYNC_ALWAYS, FSYNC_EVERYSEC, FSYNC_NO = "always", "everysec", "no"


class AofWriter:
    """The AOF file being appended to (server.aof_fd, aof_buf, flushAppendOnlyFile).

    ``buf`` collects the RESP of every propagated write; :meth:`write` puts it into the file with one
    ``write()``.  With ``always`` it is followed by an fdatasync before any reply goes out; with
    ``everysec`` a background thread fdatasyncs what was written, once a second (Redis's bio thread);
    with ``no`` the kernel decides."""

    def __init__(self, path: str, policy: str, log=None):
        self.path = path
        self.policy = policy
        self.log = log
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.size = os.fstat(self.fd).st_size  # aof_last_incr_size
        self.fsynced_size = self.size  # aof_last_incr_fsync_offset
        self.buf: list = []  # aof_buf (a list of bytes chunks, joined at write time)
        self.selected_db = -1  # aof_selected_db
        self.last_fsync = time.monotonic()
        self.write_error: str | None = None  # set while writes fail (aof_last_write_status:err)
        self.fsync_error: str | None = None  # set by the background fsync (aof_bio_fsync_status)
        self.delayed_fsync = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._closing: list = []  # (fd) old files to fsync and close in the background
        self._stop = False
        self._pending_fsync = 0  # aof_pending_bio_fsync
        self._thread = None
        self.wake = None  # called when the buffer becomes non-empty (the server schedules the write)
        self.timestamps = False  # aof-timestamp-enabled: a "#TS:<unix time>" line when the second changes
        self.cur_timestamp = 0  # aof_cur_timestamp
        if policy == FSYNC_EVERYSEC:
            self._start_thread()

    # -- feeding ---------------------------------------------------------------------------------------

    def feed(self, db_id: int, argv) -> None:
        """feedAppendOnlyFile"""
        buf = self.buf
        if not buf and self.wake is not None:
            self.wake()
        if self.timestamps:
            now = int(time.time())
            if self.cur_timestamp < now:  # genAofTimestampAnnotationIfNeeded
                buf.append(b"#TS:%d\r\n" % now)
                self.cur_timestamp = now
        if db_id != self.selected_db:
            buf.append(select_command(db_id))
            self.selected_db = db_id
        n = len(argv)
        if n == 3:  # one formatting operation for the common shapes: this runs for every write
            a, b, c = argv
            buf.append(b"*3\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(a), a, len(b), b, len(c), c))
        elif n == 2:
            a, b = argv
            buf.append(b"*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(a), a, len(b), b))
        else:
            buf.append(b"*%d\r\n" % n + b"".join([b"$%d\r\n%s\r\n" % (len(a), a) for a in argv]))

    def feed_raw(self, data: bytes) -> None:
        self.buf.append(data)

    def pending(self) -> int:
        return sum(len(b) for b in self.buf)

    # -- writing -------------------------------------------------------------------------------------

    def write(self) -> bool:
        """The write part of flushAppendOnlyFile (the fsync is :meth:`fsync_if_needed`).  On error the
        data stays in the buffer and ``write_error`` is set; returns whether everything was written."""
        buf = self.buf
        if not buf:
            return True
        data = b"".join(buf) if len(buf) > 1 else buf[0]
        try:
            written = _write_all(self.fd, data)
        except OSError as e:
            # a partial write is undone so that the file never ends in the middle of a command
            try:
                os.ftruncate(self.fd, self.size)
            except OSError:
                pass
            if self.write_error is None and self.log is not None:
                self.log.warning("Error writing to the AOF file: %s" % e.strerror)
            self.write_error = e.strerror or str(e)
            buf[:] = [data]
            return False
        buf.clear()
        self.size += written
        if self.write_error is not None:
            if self.log is not None:
                self.log.warning("AOF write error looks solved, Redis can write again.")
            self.write_error = None
        return True

    def fsync_now(self) -> None:
        """fdatasync of what was written (appendfsync always, shutdown, switching files)."""
        if self.fsynced_size != self.size:
            os.fdatasync(self.fd)
            self.fsynced_size = self.size
        self.last_fsync = time.monotonic()

    def flush(self, force_fsync: bool = False) -> None:
        """flushAppendOnlyFile: write, then fsync as the policy says.  Raises OSError when the policy is
        ``always`` and the data could not be made durable (Redis exits then)."""
        ok = self.write()
        policy = self.policy
        if policy == FSYNC_ALWAYS or force_fsync:
            if not ok:
                raise OSError("Can't recover from AOF write error when the AOF fsync policy is 'always'")
            self.fsync_now()
        elif policy == FSYNC_EVERYSEC and self.fsynced_size != self.size:
            self._kick()

    # -- the everysec thread (bio) ---------------------------------------------------------------------

    def _start_thread(self) -> None:
        if self._thread is None:
            self._stop = False
            self._thread = threading.Thread(target=self._bio, name="aof-fsync", daemon=True)
            self._thread.start()

    def _kick(self) -> None:
        if self._thread is None:
            self._start_thread()

    def _bio(self) -> None:
        """Once a second: fdatasync what was written, and fsync + close the files switched away from."""
        while True:
            with self._cond:
                self._cond.wait(1.0)
                if self._stop and not self._closing:
                    return
                closing, self._closing = self._closing, []
                fd = self.fd
                target = self.size
                stop = self._stop
            for old in closing:
                try:
                    os.fsync(old)
                except OSError:
                    pass
                try:
                    os.close(old)
                except OSError:
                    pass
            if stop:
                return
            if fd >= 0 and target != self.fsynced_size and self.policy == FSYNC_EVERYSEC:
                try:
                    os.fdatasync(fd)
                    self.fsync_error = None
                except OSError as e:
                    if e.errno == 9:  # EBADF: the file was switched and closed meanwhile
                        continue
                    self.fsync_error = e.strerror
                    if self.log is not None:
                        self.log.warning("Fail to fsync the AOF file: %s" % e.strerror)
                    continue
                with self._lock:
                    if self.fd == fd and self.fsynced_size < target:
                        self.fsynced_size = target
                    self.last_fsync = time.monotonic()

    def set_policy(self, policy: str) -> None:
        self.policy = policy
        if policy == FSYNC_EVERYSEC:
            self._start_thread()

    # -- switching files -------------------------------------------------------------------------------

    def switch_to(self, path: str) -> None:
        """openNewIncrAofForAppend's fd part: everything buffered goes to the old file first; the old
        file is fsynced and closed in the background (at once with ``always``)."""
        self.write()
        newfd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o644)
        with self._lock:
            old = self.fd
            self.fd = newfd
            self.path = path
            self.size = 0
            self.fsynced_size = 0
            if self.policy == FSYNC_EVERYSEC and self._thread is not None:
                self._closing.append(old)
                old = -1
        if old >= 0:
            try:
                os.fsync(old)
            finally:
                os.close(old)
        self.selected_db = -1

    def close(self) -> None:
        """stopAppendOnly's file part: write, fsync, close (and stop the thread)."""
        try:
            self.write()
            try:
                os.fsync(self.fd)
            except OSError as e:
                if self.log is not None:
                    self.log.warning("Fail to fsync the AOF file: %s" % e.strerror)
        finally:
            with self._cond:
                self._stop = True
                fd, self.fd = self.fd, -1
                self._cond.notify_all()
            if self._thread is not None:
                self._thread.join(5.0)
                self._thread = None
            for old in self._closing:
                try:
                    os.close(old)
                except OSError:
                    pass
            self._closing = []
            if fd >= 0:
                os.close(fd)
