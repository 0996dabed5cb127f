"""The manager's view of one cluster node and its connection (Redis: redis-cli.c ``clusterManagerNode``).

A :class:`ManagedNode` is what ``redis-cli --cluster`` knows about a node: its address, its ID, its flags,
the slots it claims in its *own* ``CLUSTER NODES`` (the ``myself`` line), its open slots, and one
connection made with redis-py.  Replies keep Redis's exact error text (``ERR ...`` included), because the
manager prints them and matches on them (BUSYKEY, "Please use SETSLOT only with masters.") as redis-cli
does.
"""

from __future__ import annotations

import inspect
import socket

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

SLOTS = 16384  # CLUSTER_MANAGER_SLOTS
PORT_INCR = 10000  # CLUSTER_MANAGER_PORT_INCR: the default bus port is port + 10000

# flags (CLUSTER_MANAGER_FLAG_*)
MYSELF = "myself"
SLAVE = "slave"
FRIEND = "friend"
NOADDR = "noaddr"
DISCONNECT = "disconnected"
FAIL = "fail"

try:  # keep Redis's error text whole: the stock parsers strip "ERR " and map codes to classes
    from redis._parsers import _HiredisParser as _BaseParser
except ImportError:  # pragma: no cover - hiredis is a dependency
    from redis._parsers import _RESP2Parser as _BaseParser


class _RawErrorParser(_BaseParser):
    EXCEPTION_CLASSES: dict = {}


_CONN_PARAMS = inspect.signature(redis.Connection.__init__).parameters


class ReplyError(Exception):
    """An error reply (``str()`` is Redis's text, e.g. ``ERR Unknown node ...``) or a lost connection."""

    def __init__(self, text: str, io: bool = False):
        super().__init__(text)
        self.text = text
        self.io = io

    def __str__(self) -> str:
        return self.text


def atoi(s) -> int:
    """C's atoi: optional sign and leading digits, 0 when there are none."""
    if isinstance(s, bytes):
        s = s.decode("latin-1")
    s = s.strip()
    i, sign = 0, 1
    if s[:1] in ("-", "+"):
        sign = -1 if s[0] == "-" else 1
        i = 1
    j = i
    while j < len(s) and s[j].isdigit():
        j += 1
    return sign * int(s[i:j]) if j > i else 0


def parse_address(addr: str):
    """parseClusterNodeAddress: ``ip:port[@bus_port]`` (split at the last '@', then the last ':').

    Returns (ip, port, bus_port) or None.  A ``,hostname`` after the bus port is ignored (atoi)."""
    bus_port = 0
    at = addr.rfind("@")
    if at >= 0:
        bus_port = atoi(addr[at + 1:])
        addr = addr[:at]
    colon = addr.rfind(":")
    if colon < 0:
        return None
    return addr[:colon], atoi(addr[colon + 1:]), bus_port


def info_field(info: str, field: str) -> int:
    """getLongInfoField: the integer after ``field:`` in an INFO text (0 when absent)."""
    i = info.find(field + ":")
    if i < 0:
        return 0
    i += len(field) + 1
    j = i
    while j < len(info) and info[j] not in "\r,":
        j += 1
    try:
        return atoi(info[i:j])
    except ValueError:
        return 0


class Link:
    """One connection to a node, made with redis-py's Connection (plain RESP2, nothing sent on connect
    but AUTH when a password is given, like hiredis's redisConnect)."""

    def __init__(self, host: str, port: int, user: str | None = None, password: str | None = None,
                 io_timeout: float | None = None, connect_timeout: float = 5.0):
        kwargs = dict(host=host, port=port, parser_class=_RawErrorParser, protocol=2,
                      socket_timeout=io_timeout, socket_connect_timeout=connect_timeout,
                      socket_keepalive=True, retry=Retry(NoBackoff(), 0),
                      username=user, password=password)
        if "driver_info" in _CONN_PARAMS:
            kwargs["driver_info"] = None  # no CLIENT SETINFO
        else:  # redis-py < 7
            kwargs["lib_name"] = None
            kwargs["lib_version"] = None
        self.conn = redis.Connection(**kwargs)
        self.host, self.port = host, port

    def connect(self) -> None:
        self.conn.connect()

    def call(self, *args):
        """Send one command; return its reply, or a :class:`ReplyError` (never raised) for an error reply
        or an I/O failure.  Errors nested in an array (EXEC) are ReplyError instances too."""
        try:
            self.conn.send_command(*args)
            reply = self.conn.read_response()
        except redis.ResponseError as e:
            return ReplyError(str(e))
        except (redis.ConnectionError, redis.TimeoutError, OSError) as e:
            self.conn.disconnect()
            return ReplyError("I/O error: %s" % e, io=True)
        return _convert(reply)

    def close(self) -> None:
        try:
            self.conn.disconnect()
        except Exception:  # pragma: no cover - best effort
            pass


def _convert(reply):
    if isinstance(reply, redis.ResponseError):
        return ReplyError(str(reply))
    if isinstance(reply, list):
        return [_convert(r) for r in reply]
    return reply


def text(reply) -> str:
    """A bulk/status reply as text (CLUSTER NODES, INFO)."""
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "surrogateescape")
    return str(reply)


def resolve(host: str) -> str | None:
    """anetResolve: CLUSTER MEET needs an IP address, so a host name is looked up first."""
    try:
        return socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)[0][4][0]
    except (socket.gaierror, IndexError, UnicodeError):
        return None


class ManagedNode:
    """clusterManagerNode."""

    def __init__(self, ip: str, port: int, bus_port: int = 0):
        self.ip = ip
        self.port = port
        self.bus_port = bus_port or port + PORT_INCR
        self.link: Link | None = None
        self.name: str | None = None
        self.current_epoch = 0
        self.ping_sent = 0
        self.ping_recv = 0
        self.flags: set = set()
        self.flags_str: list = []
        self.replicate: str | None = None
        self.dirty = False
        self.friends: list = []
        self.migrating: list = []  # [(slot as text, target id), ...] as listed in CLUSTER NODES
        self.importing: list = []  # [(slot as text, source id), ...]
        self.replicas_count = 0
        self.weight = 1.0
        self.balance = 0
        self.slots = bytearray(SLOTS)
        self.slots_count = 0

    # -- helpers -----------------------------------------------------------------------------------------

    @property
    def addr(self) -> str:
        return "%s:%d" % (self.ip, self.port)

    @property
    def is_slave(self) -> bool:
        return SLAVE in self.flags

    def reset_slots(self) -> None:
        self.slots = bytearray(SLOTS)
        self.slots_count = 0

    def count_slots(self) -> int:
        self.slots_count = sum(self.slots)
        return self.slots_count

    def call(self, *args):
        if self.link is None:
            return ReplyError("I/O error: not connected", io=True)
        return self.link.call(*args)

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None

    def slot_ranges(self) -> list:
        """[[start, end], ...] of the slots this node claims."""
        out, start = [], None
        for i in range(SLOTS + 1):
            has = i < SLOTS and self.slots[i]
            if has and start is None:
                start = i
            elif not has and start is not None:
                out.append([start, i - 1])
                start = None
        return out

    def slots_string(self) -> str:
        """clusterManagerNodeSlotsString: ``[0-5460],[7000]``."""
        return ",".join("[%d]" % a if a == b else "[%d-%d]" % (a, b) for a, b in self.slot_ranges())

    def flags_string(self) -> str:
        """clusterManagerNodeFlagString: the node's own flags but ``myself``."""
        return ",".join(f for f in self.flags_str if f != MYSELF)

    def info_string(self, indent: int = 0) -> str:
        """clusterManagerNodeInfo: the ``M: <id> ip:port / slots:... / N additional replica(s)`` block."""
        spaces = " " * indent
        role = "S" if self.is_slave else "M"
        if self.dirty and self.replicate is not None:
            out = "%sS: %s %s:%d" % (spaces, self.name, self.ip, self.port)
        else:
            out = "%s%s: %s %s:%d\n%s   slots:%s (%d slots) %s" % (
                spaces, role, self.name, self.ip, self.port, spaces, self.slots_string(), self.slots_count,
                self.flags_string())
        if self.replicate is not None:
            out += "\n%s   replicates %s" % (spaces, self.replicate)
        elif self.replicas_count:
            out += "\n%s   %d additional replica(s)" % (spaces, self.replicas_count)
        return out

    def to_json(self, error_count: int = 0) -> dict:
        """clusterManagerNodeGetJSON (the entries of backup's nodes.json, and of ``--json``)."""
        d = {"name": self.name, "host": self.ip, "port": self.port, "replicate": self.replicate,
             "slots": [[a] if a == b else [a, b] for a, b in self.slot_ranges()], "slots_count": self.slots_count, "flags": self.flags_string(),
             "current_epoch": self.current_epoch}
        if error_count > 0:
            d["cluster_errors"] = error_count
        if self.migrating:
            d["migrating"] = {s: t for s, t in self.migrating}
        if self.importing:
            d["importing"] = {s: t for s, t in self.importing}
        return d
