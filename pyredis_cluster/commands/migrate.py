"""DUMP, RESTORE, RESTORE-ASKING and MIGRATE (Redis: cluster.c dumpCommand, restoreCommand,
migrateCommand, migrateGetSocket, migrateCloseTimedoutSockets).

These four commands move keys between servers, and together with ``CLUSTER SETSLOT`` and
``CLUSTER GETKEYSINSLOT`` they are all ``redis-cli --cluster reshard`` needs.  The value travels as a
DUMP payload (:mod:`..store.rdb`: the RDB encoding of the value, the RDB version, a CRC64), so keys
move freely between this server and redis-server 7.0 in both directions.

MIGRATE is synchronous, as in Redis: the server does nothing else until the target answered (or the
timeout passed).  It talks to the target over a plain blocking socket, kept in a per-node cache of
at most 64 connections ("host:port" -> socket) that are closed after 10 s unused, so that a reshard
moving thousands of slots does not open a connection per batch of keys.  To the target it pipelines
``[AUTH]``, ``SELECT db`` (only when this connection has another db selected) and one
``RESTORE-ASKING key ttl payload [REPLACE]`` per key (plain ``RESTORE`` outside cluster mode: the
ASKING flag lets the target accept keys of a slot it is still importing), then reads one reply
line per command.  Each key acknowledged with ``+OK`` is deleted here (unless COPY), and the command
is propagated to replicas as ``DEL`` of exactly those keys.
"""

from __future__ import annotations

import errno
import random
import select
import socket
import time
import weakref

from .. import errors
from ..config import NOTIFY_GENERIC
from ..errors import CommandError
from ..protocol.reply import OK, Status
from ..store.keyspace import now_ms
from ..store.rdb import RDBError, dump_payload, load_payload
from .keys import _is_replica, parse_ll
from .table import command

MIGRATE_SOCKET_CACHE_ITEMS = 64  # max cached sockets
MIGRATE_SOCKET_CACHE_TTL = 10  # seconds: close sockets unused for longer
SYNC_LINE_MAX = 1024  # the buffers MIGRATE reads reply lines into (longer lines are cut)

INVALID_TTL = "ERR Invalid TTL value, must be >= 0"
BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong"
BAD_DATA = "ERR Bad data format"
INVALID_IDLETIME = "ERR Invalid IDLETIME value, must be >= 0"
INVALID_FREQ = "ERR Invalid FREQ value, must be >= 0 and <= 255"
KEYS_NEEDS_EMPTY_KEY = "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
IOERR_CONNECT = "IOERR error or timeout connecting to the client"
IOERR_IO = "IOERR error or timeout %s to target instance"


def _notify(c, event: bytes, key: bytes) -> None:
    node = c.node
    if node.notify_flags:
        node.notify(c.db, NOTIFY_GENERIC, event, key)


def _no_stray_propagation(c, dirty: int) -> None:
    """Propagate only what the handler chose (``propagate_as``): keys that expired during its lookups
    already went to the replicas as DELs of their own (Redis does not count them as changes made by
    this command), and the command itself never goes (a replica must not run MIGRATE)."""
    if c.node.dirty == dirty:
        c.propagate_as = None  # nothing changed: nothing is propagated, nothing left for the next command
    elif c.propagate_as is None:
        c.propagate_as = []


# -- DUMP ------------------------------------------------------------------------------------------


@command("dump")
def dump(c, argv):
    dirty = c.node.dirty
    try:
        v = c.db.lookup_read(argv[1])
        if v is None:
            return None
        return dump_payload(v, c.node.config)
    finally:
        _no_stray_propagation(c, dirty)


# -- RESTORE / RESTORE-ASKING ----------------------------------------------------------------------


def _restore(c, argv):
    """restoreCommand."""
    node = c.node
    db = c.db
    replace = absttl = False
    lfu_freq = lru_idle = -1
    argc = len(argv)
    j = 4
    while j < argc:
        opt = argv[j].lower()
        additional = argc - j - 1
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and additional >= 1 and lfu_freq == -1:
            lru_idle = parse_ll(argv[j + 1])
            if lru_idle < 0:
                raise CommandError(INVALID_IDLETIME)
            j += 1
        elif opt == b"freq" and additional >= 1 and lru_idle == -1:
            lfu_freq = parse_ll(argv[j + 1])
            if lfu_freq < 0 or lfu_freq > 255:
                raise CommandError(INVALID_FREQ)
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    key = argv[1]
    if not replace and db.lookup(key) is not None:  # lookupKeyWrite
        raise CommandError(errors.BUSYKEY)
    ttl = parse_ll(argv[2])
    if ttl < 0:
        raise CommandError(INVALID_TTL)
    try:
        value = load_payload(argv[3], check_crc=not getattr(c.node, "skip_checksum_validation", False),
                             zset_limits=(c.node.config["zset-max-listpack-entries"],
                                          c.node.config["zset-max-listpack-value"]),
                             deep=deep_sanitization(c), tally=c.node.sanitizations)
    except RDBError as e:
        msg = str(e)
        detail = getattr(e, "detail", None)
        if detail:
            node.log.verbose(detail)  # rdbReportError in a RESTORE context
        raise CommandError(msg if msg in (BAD_PAYLOAD, BAD_DATA) else BAD_DATA) from None
    deleted = db.delete(key) if replace else False
    if ttl and not absttl:
        ttl += now_ms()
    if ttl and ttl <= now_ms() and not _is_replica(c):  # checkAlreadyExpired
        if deleted:
            c.propagate_as = [[b"DEL", key]]
            _notify(c, b"del", key)
        return OK
    db.add(key, value)
    if ttl:
        db.set_expire(key, ttl)
    # objectSetLRUOrLFU
    if "lfu" in node.config["maxmemory-policy"]:
        if lfu_freq >= 0:
            db.set_lfu_freq(key, lfu_freq)
    elif lru_idle >= 0:
        db.set_idle(key, lru_idle)
    # Propagated with the absolute expire time, so replicas and the AOF expire it at the same moment.
    if ttl and not absttl:
        c.propagate_as = [[argv[0], key, b"%d" % ttl, *argv[3:], b"ABSTTL"]]
    else:
        c.propagate_as = [list(argv)]
    node.blocking.signal(db, key)  # dbAdd: clients blocked on the key may be served
    _notify(c, b"restore", key)
    return OK


def deep_sanitization(c) -> bool:
    """rdbLoadObject's deep_integrity_validation for a RESTORE: sanitize-dump-payload yes, or clients
    unless the command comes from our master or from a user with skip-sanitize-payload."""
    mode = c.node.config["sanitize-dump-payload"]
    if mode == "clients":
        return not c.is_master and getattr(c.acl_user, "sanitize", None) != "skip-sanitize-payload"
    return mode == "yes"


@command("restore")
def restore(c, argv):
    dirty = c.node.dirty
    try:
        return _restore(c, argv)
    finally:
        _no_stray_propagation(c, dirty)


@command("restore-asking")
def restore_asking(c, argv):
    """RESTORE with the ASKING command flag: accepted on a slot being imported without ASKING first."""
    return restore(c, argv)


# -- MIGRATE: the cached connections to targets ------------------------------------------------------


class _IOError(Exception):
    """A socket error talking to the target; ``timeout`` if it was a timeout (never retried)."""

    def __init__(self, timeout: bool):
        super().__init__("timeout" if timeout else "error")
        self.timeout = timeout


class CachedSocket:
    """migrateCachedSocket: one blocking connection to a target, the db it has selected."""

    __slots__ = ("sock", "last_dbid", "last_use", "rbuf")

    def __init__(self, sock):
        self.sock = sock
        self.last_dbid = -1
        self.last_use = time.time()
        self.rbuf = b""

    def write(self, data: bytes, timeout_ms: int) -> None:
        """connSyncWrite in 64 KiB chunks, each within the timeout."""
        sock = self.sock
        view = memoryview(data)
        pos = 0
        try:
            while pos < len(data):
                chunk = view[pos:pos + 65536]
                deadline = time.monotonic() + timeout_ms / 1000.0
                sent = 0
                while sent < len(chunk):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise _IOError(True)
                    sock.settimeout(left)
                    sent += sock.send(chunk[sent:])
                pos += len(chunk)
        except socket.timeout:
            raise _IOError(True) from None
        except OSError:
            raise _IOError(False) from None

    def read_line(self, timeout_ms: int) -> bytes:
        """connSyncReadLine: one reply line without its CRLF (cut at SYNC_LINE_MAX - 1 bytes)."""
        deadline = time.monotonic() + timeout_ms / 1000.0
        sock = self.sock
        try:
            while True:
                i = self.rbuf.find(b"\n")
                if i >= 0 or len(self.rbuf) >= SYNC_LINE_MAX - 1:
                    if i < 0 or i > SYNC_LINE_MAX - 1:
                        i = SYNC_LINE_MAX - 1
                        line, self.rbuf = self.rbuf[:i], self.rbuf[i:]
                    else:
                        line, self.rbuf = self.rbuf[:i], self.rbuf[i + 1:]
                        if line.endswith(b"\r"):
                            line = line[:-1]
                    return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _IOError(True)
                sock.settimeout(left)
                data = sock.recv(16384)
                if not data:
                    raise _IOError(False)  # the target closed the connection
                self.rbuf += data
        except socket.timeout:
            raise _IOError(True) from None
        except OSError:
            raise _IOError(False) from None

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class LocalTarget:
    """A MIGRATE target that is a Node of this very process, in the same event loop (the in-process
    test clusters of :mod:`pyredis_cluster.testing` run every node in one loop): a socket to it would
    only be read once this MIGRATE returns, so every MIGRATE would end in a timeout.  Instead the
    commands are run on that node at once, by a connection object of its own, exactly as if they had
    come over the network; its replies are read back line by line like a socket's."""

    __slots__ = ("client", "last_dbid", "last_use", "rbuf", "parser")

    def __init__(self, client_class, node):
        from ..protocol.request import RequestParser

        self.client = client_class(node)  # not registered as a connection of the target
        self.client.addr = "127.0.0.1:0"
        self.parser = RequestParser(1 << 40)
        self.last_dbid = -1
        self.last_use = time.time()
        self.rbuf = b""

    def write(self, data: bytes, timeout_ms: int) -> None:
        cmds, err = self.parser.feed(data)
        if err is not None:
            raise _IOError(False)
        client = self.client
        if cmds:
            client.run_commands(cmds)
            out = client.out
            self.rbuf += b"".join(out)
            out.clear()

    def read_line(self, timeout_ms: int) -> bytes:
        i = self.rbuf.find(b"\n")
        if i < 0:
            raise _IOError(True)  # (a reply that never comes: as a socket that times out)
        line, self.rbuf = self.rbuf[:i], self.rbuf[i + 1:]
        return line[:-1] if line.endswith(b"\r") else line

    def close(self) -> None:
        self.client.closing = True


# Nodes running in this process (registered when they start): a MIGRATE to one of them in the same
# event loop goes through a LocalTarget.
_LOCAL_NODES: "weakref.WeakSet" = weakref.WeakSet()


async def local_node_started(node) -> None:
    """A Node.start_hooks entry."""
    _LOCAL_NODES.add(node)


_LOOPBACK = {b"127.0.0.1", b"localhost", b"::1", b"0.0.0.0"}


def _local_node(caller, host: bytes, port: int):
    """The node of this process (and of the caller's event loop) listening on host:port, if any."""
    for node in list(_LOCAL_NODES):
        if node is caller or node.tcp_port != port or node.loop is not caller.loop:
            continue
        faults = getattr(node, "faults", None)
        if faults is not None and getattr(faults, "active", False):
            continue  # a node made unreachable on purpose stays unreachable
        names = set(_LOOPBACK) | {a.encode() for a in node.bind_addresses()}
        cluster = getattr(node, "cluster", None)
        if cluster is not None and cluster.myself.ip:
            names.add(cluster.myself.ip.encode())
        if host in names:
            return node
    return None


class MigrateSockets:
    """server.migrate_cached_sockets of one node."""

    def __init__(self, rng: random.Random, node=None, client_class=None):
        self.cache: dict = {}  # b"host:port" -> CachedSocket (or LocalTarget)
        self.rng = rng
        self.node = node
        self.client_class = client_class

    def get(self, host: bytes, port: bytes, timeout_ms: int):
        """migrateGetSocket: the cached connection, or a new one; None if the connection failed."""
        name = host + b":" + port
        cs = self.cache.get(name)
        if cs is not None:
            cs.last_use = time.time()
            return cs
        if len(self.cache) >= MIGRATE_SOCKET_CACHE_ITEMS:  # too many: drop one at random
            victim = self.rng.choice(list(self.cache))
            self.cache.pop(victim).close()
        if self.node is not None and _LOCAL_NODES:
            local = _local_node(self.node, host, _atoi(port))
            if local is not None:
                cs = self.cache[name] = LocalTarget(self.client_class, local)
                return cs
        sock = _blocking_connect(host, _atoi(port), timeout_ms)
        if sock is None:
            return None
        cs = self.cache[name] = CachedSocket(sock)
        return cs

    def close(self, host: bytes, port: bytes) -> None:
        """migrateCloseSocket."""
        cs = self.cache.pop(host + b":" + port, None)
        if cs is not None:
            cs.close()

    def close_idle(self, now: float) -> None:
        """migrateCloseTimedoutSockets (once a second from the cron)."""
        for name, cs in list(self.cache.items()):
            if now - cs.last_use > MIGRATE_SOCKET_CACHE_TTL:
                del self.cache[name]
                cs.close()

    def close_all(self) -> None:
        for cs in self.cache.values():
            cs.close()
        self.cache.clear()


_ALL_CACHES: "weakref.WeakSet[MigrateSockets]" = weakref.WeakSet()
_last_idle_check = [0.0]


def _close_idle_sockets() -> None:
    """A cron hook (every node's cron calls it): close idle MIGRATE sockets once a second."""
    now = time.time()
    if now - _last_idle_check[0] < 1.0:
        return
    _last_idle_check[0] = now
    for cache in list(_ALL_CACHES):
        cache.close_idle(now)


def sockets_of(c) -> MigrateSockets:
    node = c.node
    cache = getattr(node, "migrate_sockets", None)
    if cache is None:
        cache = node.migrate_sockets = MigrateSockets(getattr(node, "rng", None) or random.Random(), node, type(c))
        _ALL_CACHES.add(cache)
        hooks = type(node).cron_hooks
        if _close_idle_sockets not in hooks:
            hooks.append(_close_idle_sockets)
    return cache


def _blocking_connect(host: bytes, port: int, timeout_ms: int):
    """connBlockingConnect: a socket, or None if the connection could not even be started.

    Like Redis, only a failure to resolve the address or to start connecting counts: once a
    non-blocking connect is under way the socket is used after at most ``timeout_ms`` whatever came
    of it, so a refused or unanswered connection shows up as an error writing to the target."""
    try:
        infos = socket.getaddrinfo(host.decode("latin-1"), port & 0xFFFF, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return None
    for family, kind, proto, _, addr in infos:
        try:
            sock = socket.socket(family, kind, proto)
        except OSError:
            continue
        sock.setblocking(False)
        err = sock.connect_ex(addr)
        if err in (0, errno.EINPROGRESS):
            break
        sock.close()
    else:
        return None
    try:
        select.select([], [sock], [], timeout_ms / 1000.0)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, ValueError):
        pass
    return sock


def _atoi(s: bytes) -> int:
    """C atoi: optional blanks and sign, then the leading digits (0 if none)."""
    s = s.lstrip(b" \t\n\v\f\r")
    sign = 1
    if s[:1] in (b"+", b"-"):
        sign = -1 if s[:1] == b"-" else 1
        s = s[1:]
    n = 0
    for ch in s:
        if not 48 <= ch <= 57:
            break
        n = n * 10 + ch - 48
    return sign * n


def _bulk(out: list, *args) -> None:
    out.append(b"*%d\r\n" % len(args))
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))


def _string2l(arg: bytes) -> int:
    """getLongFromObjectOrReply."""
    return parse_ll(arg)


# -- MIGRATE ---------------------------------------------------------------------------------------


_MIGRATE_SKIP = {b"copy": 0, b"replace": 0, b"auth": 1, b"auth2": 2}


def migrate_get_keys(argv) -> list:
    """migrateGetKeys: argv[3], or with ``KEYS`` everything after it (no key at all when argv[3] is
    not empty then: MIGRATE itself reports that error).  AUTH / AUTH2 values are skipped, so a
    password spelled "keys" is not taken for the option."""
    first, num = 3, 1
    argc = len(argv)
    i = 6
    while i < argc:
        opt = argv[i].lower()
        if opt == b"keys":
            if len(argv[3]):
                num = 0
            else:
                first = i + 1
                num = argc - first
            break
        i += _MIGRATE_SKIP.get(opt, 0) + 1
    return list(range(first, first + num))


@command("migrate", getkeys=migrate_get_keys)
def migrate(c, argv):
    dirty = c.node.dirty
    try:
        return _migrate(c, argv)
    finally:
        _no_stray_propagation(c, dirty)


def _migrate(c, argv):
    """migrateCommand."""
    node = c.node
    db = c.db
    copy = replace = False
    username = password = None
    first_key, num_keys = 3, 1
    argc = len(argv)
    j = 6
    while j < argc:
        opt = argv[j].lower()
        moreargs = argc - 1 - j
        if opt == b"copy":
            copy = True
        elif opt == b"replace":
            replace = True
        elif opt == b"auth":
            if not moreargs:
                raise CommandError(errors.SYNTAX)
            j += 1
            password = argv[j]
        elif opt == b"auth2":
            if moreargs < 2:
                raise CommandError(errors.SYNTAX)
            username = argv[j + 1]
            password = argv[j + 2]
            j += 2
        elif opt == b"keys":
            if len(argv[3]) != 0:
                raise CommandError(KEYS_NEEDS_EMPTY_KEY)
            first_key = j + 1
            num_keys = argc - j - 1
            break
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    timeout = _string2l(argv[5])
    dbid = _string2l(argv[4])
    if timeout <= 0:
        timeout = 1000

    # The keys that are here (an expired key counts as missing); none: +NOKEY, not an error.
    keys = []
    for k in argv[first_key:first_key + num_keys]:
        if db.lookup_read(k) is not None:
            keys.append(k)
    if not keys:
        return Status("NOKEY")

    host, port = argv[1], argv[2]
    sockets = sockets_of(c)
    may_retry = True
    while True:  # try_again
        cs = sockets.get(host, port, timeout)
        if cs is None:
            raise CommandError(IOERR_CONNECT)
        out: list = []
        if password is not None:
            if username is not None:
                _bulk(out, b"AUTH", username, password)
            else:
                _bulk(out, b"AUTH", password)
        select = cs.last_dbid != dbid
        if select:
            _bulk(out, b"SELECT", b"%d" % dbid)
        name = b"RESTORE-ASKING" if node.cluster_enabled else b"RESTORE"
        sent = []  # the keys still alive, in order
        now = now_ms()
        for k in keys:
            v = db.data.get(k)
            if v is None:
                continue
            ttl = 0
            when = db.expires.get(k)
            if when is not None:
                ttl = when - now
                if ttl < 0:
                    continue  # expired meanwhile: not sent (left to expire here)
                if ttl < 1:
                    ttl = 1
            sent.append(k)
            payload = dump_payload(v, node.config)
            if replace:
                _bulk(out, name, k, b"%d" % ttl, payload, b"REPLACE")
            else:
                _bulk(out, name, k, b"%d" % ttl, payload)

        write_error = False
        try:
            cs.write(b"".join(out), timeout)
        except _IOError as e:
            write_error = True
            err = e
        else:
            err = None
            try:
                auth_reply = cs.read_line(timeout) if password is not None else b""
                select_reply = cs.read_line(timeout) if select else b""
            except _IOError as e:
                err = e
        if err is not None:  # socket_err: drop the connection, retry once unless it was a timeout
            sockets.close(host, port)
            if not err.timeout and may_retry:
                may_retry = False
                continue
            raise CommandError(IOERR_IO % ("writing" if write_error else "reading"))

        error_from_target = None
        socket_error = None
        failed_at = -1  # the index of the reply that could not be read
        deleted = []
        for i, k in enumerate(sent):
            try:
                line = cs.read_line(timeout)
            except _IOError as e:
                socket_error = e
                failed_at = i
                break
            if ((password is not None and auth_reply[:1] == b"-") or (select and select_reply[:1] == b"-")
                    or line[:1] == b"-"):
                if error_from_target is None:
                    cs.last_dbid = -1  # assume the selected db is no longer known
                    if password is not None and auth_reply[:1] == b"-":
                        errline = auth_reply
                    elif select and select_reply[:1] == b"-":
                        errline = select_reply
                    else:
                        errline = line
                    error_from_target = "ERR Target instance replied with error: " + errline[1:].decode("latin-1")
            elif not copy:
                # No COPY: remove the local key, signal the change.
                db.delete(k)
                _notify(c, b"del", k)
                deleted.append(k)
        if (error_from_target is None and socket_error is not None and failed_at == 0 and may_retry
                and not socket_error.timeout):
            # nothing was processed and the very first reply failed: retry on a new connection
            sockets.close(host, port)
            may_retry = False
            continue
        if socket_error is not None:
            sockets.close(host, port)
        if deleted:
            c.propagate_as = [[b"DEL", *deleted]]  # replicas and the AOF delete what the target acknowledged
        if error_from_target is None and socket_error is not None:
            raise CommandError(IOERR_IO % "reading")
        if error_from_target is not None:
            raise CommandError(error_from_target)
        cs.last_dbid = dbid
        return OK
