"""The cluster bus wire format of Redis 7.0: typed messages and their codec (Redis: cluster.h
``clusterMsg``, ``clusterMsgDataGossip`` ... and ``clusterBuildMessageHdr`` / ``clusterProcessPacket``).

Every message is a fixed 2256-byte big-endian header followed by a body that depends on the type::

    off  size field            off   size field
    0    4    sig "RCmb"        2128  40   slaveof (zeros for a master)
    4    4    totlen            2168  46   myip (cluster-announce-ip, NUL padded)
    8    2    ver = 1           2214  2    extensions (number of ping extensions)
    10   2    port              2216  30   unused
    12   2    type              2246  2    pport
    14   2    count (gossip)    2248  2    cport (bus port)
    16   8    currentEpoch      2250  2    flags (the sender's own node flags)
    24   8    configEpoch       2252  1    state (0 ok, 1 fail)
    32   8    offset            2253  3    mflags (PAUSED, FORCEACK, EXT_DATA)
    40   40   sender            2256  ...  body
    80   2048 myslots (bit s%8 of byte s/8 = slot s)

Messages are frozen dataclasses (:class:`Ping`, :class:`Fail`, :class:`Update` ...) sharing a
:class:`Header`; :func:`encode` turns one into bytes and :func:`decode` back, and :class:`MessageReader`
cuts a byte stream into messages.  Nothing here does I/O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

# -- constants (cluster.h) -------------------------------------------------------------------------

SIGNATURE = b"RCmb"
PROTO_VER = 1
HEADER_SIZE = 2256  # CLUSTERMSG_MIN_LEN
SLOTS_BYTES = 2048  # 16384 bits
NODE_NAME_LEN = 40
NET_IP_STR_LEN = 46

# message types (CLUSTERMSG_TYPE_*)
PING, PONG, MEET, FAIL, PUBLISH, FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, UPDATE, MFSTART, MODULE, PUBLISHSHARD = range(11)
TYPE_COUNT = 11
TYPE_NAMES = ("ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module",
              "publishshard")

# node flags (CLUSTER_NODE_*)
NODE_MASTER = 0x0001
NODE_SLAVE = 0x0002
NODE_PFAIL = 0x0004
NODE_FAIL = 0x0008
NODE_MYSELF = 0x0010
NODE_HANDSHAKE = 0x0020
NODE_NOADDR = 0x0040
NODE_MEET = 0x0080
NODE_MIGRATE_TO = 0x0100
NODE_NOFAILOVER = 0x0200

# message flags, byte 0 of mflags (CLUSTERMSG_FLAG0_*)
MFLAG_PAUSED = 0x01
MFLAG_FORCEACK = 0x02
MFLAG_EXT_DATA = 0x04

# ping extension types (clusterMsgPingExtType)
EXT_HOSTNAME = 0
EXT_HUMAN_NODENAME = 1  # 7.2
EXT_FORGOTTEN_NODE = 2  # 7.2
EXT_SHARDID = 3  # 7.2

_HEADER = struct.Struct(">4sIHHHHQQQ40s2048s40s46sH30sHHHB3s")
_GOSSIP = struct.Struct(">40sII46sHHHHH")
_EXT_HEAD = struct.Struct(">IHH")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
assert _HEADER.size == HEADER_SIZE and _GOSSIP.size == 104

NO_SLOTS = bytes(SLOTS_BYTES)
_NULL_NAME = bytes(NODE_NAME_LEN)


class MessageError(ValueError):
    """A message that Redis would drop (bad signature, wrong length, bad extension ...)."""


# -- the typed messages ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    """The fields every message carries about its sender."""

    sender: str  # 40-char node name
    current_epoch: int = 0
    config_epoch: int = 0  # a replica sends its master's
    offset: int = 0  # replication offset
    myslots: bytes = NO_SLOTS  # a replica sends its master's slots
    slaveof: str | None = None  # master's name for a replica
    myip: str = ""  # cluster-announce-ip, "" = use the socket's address
    port: int = 0
    cport: int = 0
    pport: int = 0
    flags: int = NODE_MASTER | NODE_MYSELF
    state: int = 0  # 0 = cluster ok, 1 = fail
    mflags: int = 0  # byte 0 of mflags (PAUSED / FORCEACK; EXT_DATA is set by the codec)


@dataclass(frozen=True, slots=True)
class GossipEntry:
    """What the sender knows about one other node (clusterMsgDataGossip)."""

    name: str
    ping_sent: int  # seconds
    pong_received: int  # seconds
    ip: str
    port: int
    cport: int
    flags: int
    pport: int = 0


@dataclass(frozen=True, slots=True)
class PingExt:
    """A ping extension: ``type`` and its raw payload (hostname, or 7.2 types kept opaque)."""

    type: int
    data: bytes

    @staticmethod
    def hostname(name: str) -> "PingExt":
        return PingExt(EXT_HOSTNAME, name.encode())

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Ping:
    header: Header
    gossip: tuple = ()
    extensions: tuple = ()
    type: int = field(default=PING, init=False)


@dataclass(frozen=True, slots=True)
class Pong:
    header: Header
    gossip: tuple = ()
    extensions: tuple = ()
    type: int = field(default=PONG, init=False)


@dataclass(frozen=True, slots=True)
class Meet:
    header: Header
    gossip: tuple = ()
    extensions: tuple = ()
    type: int = field(default=MEET, init=False)


@dataclass(frozen=True, slots=True)
class Fail:
    header: Header
    node: str  # the node now considered failing
    type: int = field(default=FAIL, init=False)


@dataclass(frozen=True, slots=True)
class Publish:
    header: Header
    channel: bytes
    message: bytes
    sharded: bool = False

    @property
    def type(self) -> int:
        return PUBLISHSHARD if self.sharded else PUBLISH


@dataclass(frozen=True, slots=True)
class FailoverAuthRequest:
    header: Header
    type: int = field(default=FAILOVER_AUTH_REQUEST, init=False)


@dataclass(frozen=True, slots=True)
class FailoverAuthAck:
    header: Header
    type: int = field(default=FAILOVER_AUTH_ACK, init=False)


@dataclass(frozen=True, slots=True)
class MfStart:
    header: Header
    type: int = field(default=MFSTART, init=False)


@dataclass(frozen=True, slots=True)
class Update:
    header: Header
    config_epoch: int  # of the node the update is about
    node: str
    slots: bytes
    type: int = field(default=UPDATE, init=False)


@dataclass(frozen=True, slots=True)
class Module:
    header: Header
    module_id: bytes
    module_type: int
    payload: bytes
    type: int = field(default=MODULE, init=False)


@dataclass(frozen=True, slots=True)
class Unknown:
    """A message type this version does not know (Redis logs and ignores it)."""

    header: Header
    raw_type: int
    body: bytes

    @property
    def type(self) -> int:
        return self.raw_type


# -- encoding -----------------------------------------------------------------------------------------


def _name(s: str | None) -> bytes:
    if not s:
        return _NULL_NAME
    b = s.encode("latin-1", "replace")  # (names are decoded as latin-1: any 40 bytes round-trip)
    if len(b) != NODE_NAME_LEN:
        raise MessageError("node name must be 40 characters: %r" % s)
    return b


def _cstr(s: str, size: int) -> bytes:
    b = s.encode()[: size - 1]
    return b + bytes(size - len(b))


def _pad8(n: int) -> int:
    return (n + 7) & ~7


def encode_extension(ext: PingExt) -> bytes:
    if ext.type == EXT_HOSTNAME or ext.type == EXT_HUMAN_NODENAME:
        payload = ext.data + b"\x00"  # NUL terminated, zero padded to a multiple of 8
    else:
        payload = ext.data
    payload += bytes(_pad8(len(payload)) - len(payload))
    return _EXT_HEAD.pack(8 + len(payload), ext.type, 0) + payload


def encode(msg) -> bytes:
    """The bytes of one message, exactly as redis-server 7.0 would send them."""
    h = msg.header
    t = msg.type
    count = 0
    mflags = h.mflags & ~MFLAG_EXT_DATA
    n_ext = 0
    if t in (PING, PONG, MEET):
        body = b"".join(
            _GOSSIP.pack(_name(g.name), g.ping_sent, g.pong_received, _cstr(g.ip, NET_IP_STR_LEN), g.port, g.cport,
                         g.flags, g.pport, 0)
            for g in msg.gossip
        )
        count = len(msg.gossip)
        if msg.extensions:
            body += b"".join(encode_extension(e) for e in msg.extensions)
            n_ext = len(msg.extensions)
            mflags |= MFLAG_EXT_DATA
    elif t == FAIL:
        body = _name(msg.node)
    elif t in (PUBLISH, PUBLISHSHARD):
        body = _U32.pack(len(msg.channel)) + _U32.pack(len(msg.message)) + msg.channel + msg.message
    elif t == UPDATE:
        body = _U64.pack(msg.config_epoch) + _name(msg.node) + msg.slots
    elif t == MODULE:
        body = msg.module_id + _U32.pack(len(msg.payload)) + bytes((msg.module_type,)) + msg.payload
    elif t in (FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART):
        body = b""
    else:
        body = msg.body
    header = _HEADER.pack(
        SIGNATURE, HEADER_SIZE + len(body), PROTO_VER, h.port, t, count, h.current_epoch, h.config_epoch, h.offset,
        _name(h.sender), h.myslots, _name(h.slaveof), _cstr(h.myip, NET_IP_STR_LEN), n_ext, bytes(30), h.pport,
        h.cport, h.flags, h.state, bytes((mflags, 0, 0)),
    )
    return header + body


# -- decoding -----------------------------------------------------------------------------------------


def _str_name(b: bytes) -> str | None:
    if b == _NULL_NAME:
        return None
    return b.decode("latin-1")


def _cstr_decode(b: bytes) -> str:
    return b.split(b"\x00", 1)[0].decode("latin-1")


def decode(data: bytes):
    """Parse one complete message; raise :class:`MessageError` where Redis would drop it.

    The length rules are clusterProcessPacket's: ``totlen`` must equal the size the type implies
    (for PING/PONG/MEET: header + 104 per gossip entry + the extensions, which are only counted when
    the EXT_DATA flag is set)."""
    n = len(data)
    if n < HEADER_SIZE:
        raise MessageError("message shorter than the header (%d bytes)" % n)
    (sig, totlen, ver, port, t, count, cur_epoch, cfg_epoch, offset, sender, myslots, slaveof, myip, n_ext, _unused,
     pport, cport, flags, state, mflags) = _HEADER.unpack_from(data, 0)
    if sig != SIGNATURE:
        raise MessageError("bad signature %r" % sig)
    if totlen != n:
        raise MessageError("totlen %d but %d bytes given" % (totlen, n))
    if ver != PROTO_VER:
        raise MessageError("unsupported protocol version %d" % ver)
    header = Header(
        sender=_str_name(sender) or "", current_epoch=cur_epoch, config_epoch=cfg_epoch, offset=offset,
        myslots=bytes(myslots), slaveof=_str_name(slaveof), myip=_cstr_decode(myip), port=port, cport=cport,
        pport=pport, flags=flags, state=state, mflags=mflags[0],
    )
    body = memoryview(data)[HEADER_SIZE:]
    if t in (PING, PONG, MEET):
        expected = HEADER_SIZE + 104 * count
        gossip = []
        for i in range(count):
            if HEADER_SIZE + 104 * (i + 1) > n:
                raise MessageError("invalid %s packet of length %d" % (TYPE_NAMES[t], n))
            gname, ping_sent, pong_recv, ip, gport, gcport, gflags, gpport, _ = _GOSSIP.unpack_from(body, 104 * i)
            gossip.append(GossipEntry(gname.decode("latin-1"), ping_sent, pong_recv, _cstr_decode(ip), gport, gcport,
                                      gflags, gpport))
        extensions = []
        if mflags[0] & MFLAG_EXT_DATA:
            pos = 104 * count
            for _ in range(n_ext):
                if pos + 8 > len(body):
                    raise MessageError("truncated ping extension")
                length, etype, _ = _EXT_HEAD.unpack_from(body, pos)
                if length % 8 != 0 or length < 8 or pos + length > len(body):
                    raise MessageError("invalid ping extension length %d" % length)
                payload = bytes(body[pos + 8 : pos + length])
                if etype in (EXT_HOSTNAME, EXT_HUMAN_NODENAME):
                    payload = payload.split(b"\x00", 1)[0]
                extensions.append(PingExt(etype, payload))
                expected += length
                pos += length
        if expected != n:
            raise MessageError("invalid %s packet of length %d" % (TYPE_NAMES[t], n))
        cls = (Ping, Pong, Meet)[t]
        return cls(header, tuple(gossip), tuple(extensions))
    if t == FAIL:
        _expect(t, n, HEADER_SIZE + NODE_NAME_LEN)
        return Fail(header, bytes(body[:40]).decode("latin-1"))
    if t in (PUBLISH, PUBLISHSHARD):
        if n < HEADER_SIZE + 8:
            raise MessageError("invalid publish packet of length %d" % n)
        clen = _U32.unpack_from(body, 0)[0]
        mlen = _U32.unpack_from(body, 4)[0]
        _expect(t, n, HEADER_SIZE + 8 + clen + mlen)
        return Publish(header, bytes(body[8 : 8 + clen]), bytes(body[8 + clen : 8 + clen + mlen]), t == PUBLISHSHARD)
    if t in (FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART):
        _expect(t, n, HEADER_SIZE)
        return {FAILOVER_AUTH_REQUEST: FailoverAuthRequest, FAILOVER_AUTH_ACK: FailoverAuthAck, MFSTART: MfStart}[t](
            header)
    if t == UPDATE:
        _expect(t, n, HEADER_SIZE + 8 + NODE_NAME_LEN + SLOTS_BYTES)
        return Update(header, _U64.unpack_from(body, 0)[0], bytes(body[8:48]).decode("latin-1"), bytes(body[48:]))
    if t == MODULE:
        if n < HEADER_SIZE + 13:
            raise MessageError("invalid module packet of length %d" % n)
        blen = _U32.unpack_from(body, 8)[0]
        _expect(t, n, HEADER_SIZE + 13 + blen)
        return Module(header, bytes(body[:8]), body[12], bytes(body[13:]))
    return Unknown(header, t, bytes(body))


def _expect(t: int, n: int, expected: int) -> None:
    if n != expected:
        raise MessageError("invalid %s packet of length %d" % (TYPE_NAMES[t] if t < TYPE_COUNT else t, n))


class MessageReader:
    """Cuts a bus byte stream into message byte strings (clusterReadHandler).

    ``feed(data)`` returns the complete messages; raises :class:`MessageError` on a bad signature or
    a length below the minimum, after which the link must be closed."""

    def __init__(self):
        self._buf = bytearray()

    def feed(self, data: bytes) -> list:
        buf = self._buf
        buf += data
        out = []
        while len(buf) >= 8:
            if buf[:4] != SIGNATURE:
                raise MessageError("bad signature on the cluster bus")
            totlen = _U32.unpack_from(buf, 4)[0]
            if totlen < HEADER_SIZE:
                raise MessageError("message length %d below the minimum" % totlen)
            if len(buf) < totlen:
                break
            out.append(bytes(buf[:totlen]))
            del buf[:totlen]
        return out


# -- slot bitmaps --------------------------------------------------------------------------------------


def slot_bitmap(slots) -> bytes:
    """A 2048-byte bitmap from an iterable of slot numbers."""
    b = bytearray(SLOTS_BYTES)
    for s in slots:
        b[s >> 3] |= 1 << (s & 7)
    return bytes(b)


def bitmap_slots(bitmap: bytes) -> list:
    """The slot numbers set in a bitmap, ascending."""
    out = []
    for i, byte in enumerate(bitmap):
        if byte:
            base = i << 3
            for bit in range(8):
                if byte >> bit & 1:
                    out.append(base + bit)
    return out
