"""The cluster-bus codec (pyredis_cluster/cluster/messages.py) against bytes captured from a real
redis-server 7.0.15, in both directions.

* every capture in tests/fixtures/redis70_*.bin decodes to the expected type and field values, and
  ``encode(decode(raw)) == raw`` byte for byte.  Expected values come from
  tests/fixtures/redis70_capture.json, which tests/fixtures/capture_bus.py fills from redis-cli
  (CLUSTER MYID / INFO / NODES) and from the scenario itself, not from the codec; a few fields are
  also read straight from the spec's byte offsets (/work/shared/spec/cluster-bus.md §2) as a
  cross-check of the struct layout.
* messages we build ourselves survive encode -> decode (hypothesis, bounded).
* malformed input raises MessageError and nothing else (hand-written cases + bounded fuzzing of random
  bytes and of mutated real captures).
* MessageReader cuts a stream into the same messages whatever the chunking.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyredis_cluster.cluster import messages as m
from pyredis_cluster.cluster.messages import MessageError, MessageReader, decode, encode

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
with open(os.path.join(FIXTURES, "redis70_capture.json")) as _f:
    MANIFEST = json.load(_f)
CAPTURED = sorted(MANIFEST["captures"])
SPEC_VECTOR = "redis70_ping_with_hostname.bin"  # the spec's §8/§10 capture (another run, 3-node cluster)
ALL = CAPTURED + [SPEC_VECTOR]
R = MANIFEST["real_name"]
FAKES = MANIFEST["fakes"]
X = MANIFEST["failing_node"]["name"]


def raw_of(name: str) -> bytes:
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def facts(name: str) -> dict:
    return MANIFEST["captures"][name]


def slot_set(ranges) -> set:
    return {s for lo, hi in ranges for s in range(lo, hi + 1)}


REAL_SLOTS = slot_set(MANIFEST["real_slot_ranges"])

EXPECTED_TYPE = {
    "redis70_pong.bin": (m.Pong, m.PONG),
    "redis70_ping.bin": (m.Ping, m.PING),
    "redis70_meet.bin": (m.Meet, m.MEET),
    "redis70_ping_slots_hostname.bin": (m.Ping, m.PING),
    "redis70_pong_slots_hostname.bin": (m.Pong, m.PONG),
    "redis70_ping_pfail_gossip.bin": (m.Ping, m.PING),
    "redis70_publish.bin": (m.Publish, m.PUBLISH),
    "redis70_publishshard.bin": (m.Publish, m.PUBLISHSHARD),
    "redis70_update.bin": (m.Update, m.UPDATE),
    "redis70_fail.bin": (m.Fail, m.FAIL),
    "redis70_failover_auth_ack.bin": (m.FailoverAuthAck, m.FAILOVER_AUTH_ACK),
    "redis70_failover_auth_request.bin": (m.FailoverAuthRequest, m.FAILOVER_AUTH_REQUEST),
    "redis70_mfstart.bin": (m.MfStart, m.MFSTART),
    SPEC_VECTOR: (m.Ping, m.PING),
}

# CLUSTER NODES flag words -> header/gossip bits (MIGRATE_TO and MEET are never printed)
NODES_FLAG_BITS = {"master": m.NODE_MASTER, "slave": m.NODE_SLAVE, "fail?": m.NODE_PFAIL, "fail": m.NODE_FAIL,
                   "myself": m.NODE_MYSELF, "handshake": m.NODE_HANDSHAKE, "noaddr": m.NODE_NOADDR,
                   "nofailover": m.NODE_NOFAILOVER, "noflags": 0}


# -- the fixtures themselves ----------------------------------------------------------------------------


def test_every_fixture_is_covered():
    on_disk = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".bin"))
    assert on_disk == sorted(ALL)
    assert set(EXPECTED_TYPE) == set(ALL)
    for name in CAPTURED:
        assert len(raw_of(name)) == facts(name)["length"]
    assert "7.0.15" in MANIFEST["redis_version"]


@pytest.mark.parametrize("name", ALL)
def test_capture_roundtrips_byte_for_byte(name):
    raw = raw_of(name)
    msg = decode(raw)
    assert encode(msg) == raw
    assert decode(encode(msg)) == msg


@pytest.mark.parametrize("name", ALL)
def test_capture_type_and_spec_offsets(name):
    """The decoded fields agree with the spec's byte offsets read by hand."""
    raw = raw_of(name)
    msg = decode(raw)
    cls, t = EXPECTED_TYPE[name]
    assert type(msg) is cls and msg.type == t
    h = msg.header
    assert raw[0:4] == b"RCmb"
    assert struct.unpack_from(">I", raw, 4)[0] == len(raw)
    assert struct.unpack_from(">H", raw, 8)[0] == 1
    assert struct.unpack_from(">H", raw, 0x0A)[0] == h.port
    assert struct.unpack_from(">H", raw, 0x0C)[0] == t
    assert struct.unpack_from(">Q", raw, 0x10)[0] == h.current_epoch
    assert struct.unpack_from(">Q", raw, 0x18)[0] == h.config_epoch
    assert struct.unpack_from(">Q", raw, 0x20)[0] == h.offset
    assert raw[0x28:0x50].decode() == h.sender
    assert raw[0x50:0x850] == h.myslots
    assert raw[0x850:0x878] == (h.slaveof.encode() if h.slaveof else bytes(40))
    assert raw[0x878:0x8A6] == bytes(46) and h.myip == ""
    assert raw[0x8A8:0x8C6] == bytes(30)  # notused1
    assert struct.unpack_from(">HHH", raw, 0x8C6) == (h.pport, h.cport, h.flags)
    assert raw[0x8CC] == h.state
    assert raw[0x8CD] == h.mflags and raw[0x8CE:0x8D0] == b"\0\0"
    gossip = getattr(msg, "gossip", ())
    exts = getattr(msg, "extensions", ())
    assert struct.unpack_from(">H", raw, 0x0E)[0] == len(gossip)
    assert struct.unpack_from(">H", raw, 0x8A6)[0] == len(exts)
    assert bool(h.mflags & m.MFLAG_EXT_DATA) == bool(exts)  # 7.0 sets EXT_DATA only with a hostname
    for i, g in enumerate(gossip):
        off = 0x8D0 + 104 * i
        assert raw[off:off + 40].decode() == g.name
        assert struct.unpack_from(">II", raw, off + 40) == (g.ping_sent, g.pong_received)
        assert raw[off + 48:off + 94].rstrip(b"\0").decode() == g.ip
        assert struct.unpack_from(">HHHHH", raw, off + 94) == (g.port, g.cport, g.flags, g.pport, 0)


@pytest.mark.parametrize("name", CAPTURED)
def test_capture_header_matches_redis_cli(name):
    """Header fields against what redis-cli reported right after the capture."""
    f = facts(name)
    h = decode(raw_of(name)).header
    assert h.sender == R
    assert (h.port, h.cport, h.pport, h.myip) == (MANIFEST["real_port"], MANIFEST["real_bus_port"], 0, "")
    assert h.current_epoch == f["current_epoch"]
    assert h.config_epoch == f["config_epoch"]  # a replica reports its master's (= cluster_my_epoch)
    assert h.state == (0 if f["cluster_state"] == "ok" else 1)
    me = f["nodes"][R]
    if f["role"] == "master":
        assert h.offset == f["master_repl_offset"]
        assert h.slaveof is None
        # MIGRATE_TO (0x100) is set on a master while it has a replica; CLUSTER NODES never prints it
        assert h.flags == m.NODE_MASTER | m.NODE_MYSELF | (m.NODE_MIGRATE_TO if f["replicas"] else 0)
    else:
        assert h.offset == f["slave_repl_offset"]
        assert h.slaveof == me["master"] == f["master"]
        assert h.flags == m.NODE_SLAVE | m.NODE_MYSELF
    assert h.flags & ~m.NODE_MIGRATE_TO == sum(NODES_FLAG_BITS[w] for w in me["flags"])
    assert h.mflags & ~m.MFLAG_EXT_DATA == (m.MFLAG_FORCEACK if name == "redis70_failover_auth_request.bin" else 0)


@pytest.mark.parametrize("name", CAPTURED)
def test_capture_slots(name):
    h = decode(raw_of(name)).header
    slots = set(m.bitmap_slots(h.myslots))
    if name in ("redis70_pong.bin", "redis70_ping.bin", "redis70_meet.bin"):
        assert slots == set()  # before CLUSTER ADDSLOTSRANGE
    else:
        # R's own slots; as F1's replica (MFSTART / AUTH_REQUEST) the same ranges, now F1's
        assert slots == REAL_SLOTS
    assert m.slot_bitmap(sorted(slots)) == h.myslots


@pytest.mark.parametrize("name", [n for n in CAPTURED if EXPECTED_TYPE[n][1] in (m.PING, m.PONG, m.MEET)])
def test_capture_gossip_matches_cluster_nodes(name):
    """Every gossip entry is a node R knew, with the address, flags and times CLUSTER NODES shows."""
    f = facts(name)
    msg = decode(raw_of(name))
    names = [g.name for g in msg.gossip]
    assert len(set(names)) == len(names)
    for g in msg.gossip:
        assert g.name != R and g.name in f["nodes"]
        node = f["nodes"][g.name]
        assert node["addr"].split(",")[0] == "127.0.0.1:%d@%d" % (g.port, g.cport)
        assert g.ip == "127.0.0.1" and g.pport == 0
        assert g.flags & ~m.NODE_MIGRATE_TO == sum(NODES_FLAG_BITS[w] for w in node["flags"])
        for t in (g.ping_sent, g.pong_received):
            assert t == 0 or abs(t - f["time"]) < 30  # seconds, not milliseconds
        fake = [v for v in FAKES.values() if v["name"] == g.name]
        if fake:
            assert (g.port, g.cport) == (fake[0]["port"], fake[0]["bus_port"])


def test_pong_and_ping_after_meet():
    pong = decode(raw_of("redis70_pong.bin"))
    ping = decode(raw_of("redis70_ping.bin"))
    for msg in (pong, ping):
        assert msg.gossip == () and msg.extensions == ()  # R knew only itself and F1 (in handshake)
        assert len(encode(msg)) == m.HEADER_SIZE
    assert pong.header.current_epoch == 5 and pong.header.config_epoch == 5  # CLUSTER SET-CONFIG-EPOCH 5


def test_meet_has_gossip():
    msg = decode(raw_of("redis70_meet.bin"))
    assert msg.gossip, "capture_bus.py retries until the MEET carries gossip"
    assert FAKES["F2"]["name"] not in [g.name for g in msg.gossip]  # the MEET target is still in handshake
    assert all(g.flags == m.NODE_MASTER for g in msg.gossip)
    assert len(raw_of("redis70_meet.bin")) == m.HEADER_SIZE + 104 * len(msg.gossip)


@pytest.mark.parametrize("name", ["redis70_ping_slots_hostname.bin", "redis70_pong_slots_hostname.bin",
                                  "redis70_ping_pfail_gossip.bin"])
def test_hostname_extension(name):
    raw = raw_of(name)
    msg = decode(raw)
    assert msg.extensions == (m.PingExt(m.EXT_HOSTNAME, MANIFEST["hostname"].encode()),)
    assert msg.extensions[0].text == "node-x.example"
    assert msg.header.mflags == m.MFLAG_EXT_DATA
    # 8-byte ext header (length 24, type 0, unused 0) + "node-x.example\0" padded to 16, at the very end
    assert raw[-24:] == struct.pack(">IHH", 24, 0, 0) + b"node-x.example\0\0"
    assert len(raw) == m.HEADER_SIZE + 104 * len(msg.gossip) + 24


def test_pfail_gossip_entry():
    msg = decode(raw_of("redis70_ping_pfail_gossip.bin"))
    x = [g for g in msg.gossip if g.name == X]
    assert len(x) == 1
    x = x[0]
    assert x.flags == m.NODE_MASTER | m.NODE_PFAIL
    assert (x.port, x.cport) == (MANIFEST["failing_node"]["port"], MANIFEST["failing_node"]["bus_port"])
    assert x.pong_received == 0 and x.ping_sent != 0  # never answered; the ping counts from the refused connect
    assert facts("redis70_ping_pfail_gossip.bin")["pfail"] == X


def test_publish():
    raw = raw_of("redis70_publish.bin")
    msg = decode(raw)
    assert (msg.channel, msg.message, msg.sharded) == (b"chan1", b"hello", False)
    assert raw[m.HEADER_SIZE:] == bytes.fromhex("0000000500000005") + b"chan1hello"  # spec §5.3
    assert len(raw) == 2274


def test_publishshard():
    f = facts("redis70_publishshard.bin")
    raw = raw_of("redis70_publishshard.bin")
    msg = decode(raw)
    assert msg.sharded and msg.type == m.PUBLISHSHARD
    assert (msg.channel, msg.message) == (f["channel"].encode(), f["message"].encode())
    assert len(raw) == m.HEADER_SIZE + 8 + len(msg.channel) + len(msg.message)
    assert f["nodes"][FAKES["F1"]["name"]]["master"] == R  # F1 was in R's shard


def test_update():
    f = facts("redis70_update.bin")
    raw = raw_of("redis70_update.bin")
    msg = decode(raw)
    assert len(raw) == 4352
    assert msg.node == R == f["about"]
    assert msg.config_epoch == f["config_epoch"] == 5
    assert set(m.bitmap_slots(msg.slots)) == REAL_SLOTS
    assert raw[m.HEADER_SIZE:m.HEADER_SIZE + 8] == struct.pack(">Q", msg.config_epoch)
    assert raw[m.HEADER_SIZE + 8:m.HEADER_SIZE + 48] == R.encode()


def test_fail():
    raw = raw_of("redis70_fail.bin")
    msg = decode(raw)
    assert len(raw) == 2296
    assert msg.node == X == facts("redis70_fail.bin")["failing"]
    assert raw[m.HEADER_SIZE:] == X.encode()


def test_failover_auth_ack():
    f = facts("redis70_failover_auth_ack.bin")
    msg = decode(raw_of("redis70_failover_auth_ack.bin"))
    # R raised its currentEpoch to the request's epoch and voted in it
    assert msg.header.current_epoch == f["request_epoch"] == f["current_epoch"]
    assert f["nodes"][f["voter_for"]]["master"] == X
    assert msg.header.mflags == 0 and msg.header.slaveof is None


def test_mfstart_and_auth_request():
    mf = decode(raw_of("redis70_mfstart.bin"))
    req = decode(raw_of("redis70_failover_auth_request.bin"))
    f1 = FAKES["F1"]["name"]
    assert mf.header.slaveof == req.header.slaveof == f1
    assert mf.header.mflags == 0
    assert req.header.mflags == m.MFLAG_FORCEACK  # manual failover
    assert req.header.current_epoch == mf.header.current_epoch + 1  # the election epoch
    assert len(raw_of("redis70_mfstart.bin")) == len(raw_of("redis70_failover_auth_request.bin")) == m.HEADER_SIZE


def test_spec_vector():
    """The PING of cluster-bus.md §8/§10 (another run: 3 masters + replicas, currentEpoch 9)."""
    raw = raw_of(SPEC_VECTOR)
    assert hashlib.sha256(raw).hexdigest() == "71ca68a39816127b98561ae07588dc52adde82ab7e7117b46e0382699927a65c"
    msg = decode(raw)
    h = msg.header
    assert (h.sender, h.current_epoch, h.config_epoch, h.flags, h.cport, h.port, h.mflags) == (
        "553646e442bd3d9e3e1f9ebf9e9ea85a488a5fb1", 9, 3, 0x11, 31007, 31002, m.MFLAG_EXT_DATA)
    assert m.bitmap_slots(h.myslots) == list(range(10959, 16384))
    assert [(g.name, g.port, g.cport, g.flags) for g in msg.gossip] == [
        ("8273586365838840ef40484dbb7ab43fe2e0a384", 31000, 31005, m.NODE_SLAVE),
        ("053cae81d31c5c6adf1cb5a402dfac4e653cd64a", 31003, 31008, m.NODE_MASTER | m.NODE_MIGRATE_TO),
        ("4adaf18dd7e5f1a05aae21447f3b46d024d08a0e", 31001, 31006, m.NODE_SLAVE),
    ]
    assert (msg.gossip[0].ping_sent, msg.gossip[0].pong_received) == (1795627289, 1795627288)
    assert msg.extensions == (m.PingExt.hostname("node-c.example"),)


# -- building our own messages ----------------------------------------------------------------------------


def test_build_like_redis():
    """A message built field by field from a capture's decoded values encodes to the same bytes."""
    got = decode(raw_of("redis70_ping_slots_hostname.bin"))
    h = got.header
    ours = m.Ping(
        m.Header(sender=R, current_epoch=h.current_epoch, config_epoch=h.config_epoch,
                 myslots=m.slot_bitmap(sorted(REAL_SLOTS)), port=MANIFEST["real_port"],
                 cport=MANIFEST["real_bus_port"], flags=m.NODE_MASTER | m.NODE_MYSELF, state=h.state),
        tuple(m.GossipEntry(g.name, g.ping_sent, g.pong_received, "127.0.0.1", g.port, g.cport, g.flags)
              for g in got.gossip),
        (m.PingExt.hostname("node-x.example"),),
    )
    assert encode(ours) == raw_of("redis70_ping_slots_hostname.bin")
    pub = m.Publish(decode(raw_of("redis70_publish.bin")).header, b"chan1", b"hello")
    assert encode(pub) == raw_of("redis70_publish.bin")


NAMES = st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyz", min_size=40, max_size=40)
U16 = st.integers(0, 0xFFFF)
U32 = st.integers(0, 0xFFFFFFFF)
U64 = st.integers(0, 2**64 - 1)
IPS = st.one_of(st.just(""), st.ip_addresses().map(str),
                st.text(alphabet="0123456789abcdef.:", max_size=45))
SLOTS = st.one_of(
    st.just(m.NO_SLOTS),
    st.lists(st.integers(0, 16383), max_size=50).map(m.slot_bitmap),
    st.tuples(st.integers(0, 16383), st.integers(0, 16383)).map(
        lambda r: m.slot_bitmap(range(min(r), max(r) + 1))),
)

HEADERS = st.builds(
    m.Header, sender=NAMES, current_epoch=U64, config_epoch=U64, offset=U64, myslots=SLOTS,
    slaveof=st.one_of(st.none(), NAMES), myip=IPS, port=U16, cport=U16, pport=U16, flags=U16,
    state=st.integers(0, 255), mflags=st.integers(0, 255).map(lambda f: f & ~m.MFLAG_EXT_DATA),
)
GOSSIP = st.builds(m.GossipEntry, name=NAMES, ping_sent=U32, pong_received=U32,
                   ip=IPS, port=U16, cport=U16, flags=U16, pport=U16)
HOSTNAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-", max_size=255)
EXTENSIONS = st.one_of(
    HOSTNAMES.map(m.PingExt.hostname),
    HOSTNAMES.map(lambda s: m.PingExt(m.EXT_HUMAN_NODENAME, s.encode())),
    st.tuples(NAMES, U64).map(lambda t: m.PingExt(m.EXT_FORGOTTEN_NODE, t[0].encode() + struct.pack(">Q", t[1]))),
    NAMES.map(lambda s: m.PingExt(m.EXT_SHARDID, s.encode())),
    st.tuples(st.integers(4, 0xFFFF), st.integers(0, 8)).flatmap(
        lambda t: st.binary(min_size=8 * t[1], max_size=8 * t[1]).map(lambda b: m.PingExt(t[0], b))),
)
PINGLIKE = st.tuples(st.sampled_from([m.Ping, m.Pong, m.Meet]), HEADERS, st.lists(GOSSIP, max_size=5),
                     st.lists(EXTENSIONS, max_size=4)).map(lambda t: t[0](t[1], tuple(t[2]), tuple(t[3])))
SMALL = st.binary(max_size=64)
MESSAGES = st.one_of(
    PINGLIKE,
    st.builds(m.Fail, HEADERS, NAMES),
    st.builds(m.Publish, HEADERS, SMALL, SMALL, st.booleans()),
    st.builds(m.FailoverAuthRequest, HEADERS),
    st.builds(m.FailoverAuthAck, HEADERS),
    st.builds(m.MfStart, HEADERS),
    st.builds(m.Update, HEADERS, U64, NAMES, SLOTS),
    st.builds(m.Module, HEADERS, st.binary(min_size=8, max_size=8), st.integers(0, 255), SMALL),
    st.builds(m.Unknown, HEADERS, st.integers(m.TYPE_COUNT, 0xFFFF), SMALL),
)


def normalized(msg):
    """What decode gives back: EXT_DATA reflects whether extensions were sent."""
    ext = bool(getattr(msg, "extensions", ()))
    h = dataclasses.replace(msg.header, mflags=msg.header.mflags | (m.MFLAG_EXT_DATA if ext else 0))
    return dataclasses.replace(msg, header=h)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES)
def test_property_roundtrip(msg):
    data = encode(msg)
    assert struct.unpack_from(">I", data, 4)[0] == len(data)
    back = decode(data)
    assert back == normalized(msg)
    assert encode(back) == data
    for e in getattr(msg, "extensions", ()):
        assert len(m.encode_extension(e)) % 8 == 0


def test_hostname_extension_lengths():
    # spec §4: length = 8 + ceil8(len(hostname) + 1)
    for n, length in ((0, 16), (7, 16), (8, 24), (14, 24), (15, 24), (16, 32), (255, 264)):
        ext = m.encode_extension(m.PingExt.hostname("h" * n))
        assert len(ext) == length and struct.unpack_from(">IHH", ext) == (length, 0, 0)


# -- malformed input ----------------------------------------------------------------------------------------


def patched(raw: bytes, off: int, fmt: str, *values) -> bytes:
    b = bytearray(raw)
    struct.pack_into(fmt, b, off, *values)
    return bytes(b)


def with_totlen(raw: bytes) -> bytes:
    return patched(raw, 4, ">I", len(raw))


@pytest.mark.parametrize("name", ALL)
def test_truncated_captures(name):
    raw = raw_of(name)
    for n in list(range(0, 64)) + list(range(64, len(raw), 7)) + [len(raw) - 1]:
        with pytest.raises(MessageError):
            decode(raw[:n])
        with pytest.raises(MessageError):  # totlen patched to the shorter length: the type's size is wrong
            decode(with_totlen(raw[:n])) if n >= 8 else decode(raw[:n])


@pytest.mark.parametrize("name", ALL)
def test_bad_header(name):
    raw = raw_of(name)
    for sig in (b"RCmB", b"\0\0\0\0", b"GET "):
        with pytest.raises(MessageError):
            decode(sig + raw[4:])
    for totlen in (0, 16, len(raw) - 1, len(raw) + 1, 4352, 0xFFFFFFFF):
        if totlen != len(raw):
            with pytest.raises(MessageError):
                decode(patched(raw, 4, ">I", totlen))
    for ver in (0, 2, 0xFFFF):
        with pytest.raises(MessageError):
            decode(patched(raw, 8, ">H", ver))
    with pytest.raises(MessageError):  # one extra byte, totlen consistent: wrong size for the type
        decode(with_totlen(raw + b"\0"))
    with pytest.raises(MessageError):
        decode(with_totlen(raw + bytes(8)))


def test_extension_errors():
    raw = raw_of("redis70_ping_slots_hostname.bin")
    msg = decode(raw)
    ext_off = m.HEADER_SIZE + 104 * len(msg.gossip)
    assert struct.unpack_from(">I", raw, ext_off)[0] == 24
    for length in (20, 23, 25, 4, 12, 31):  # not a multiple of 8
        with pytest.raises(MessageError, match="extension"):
            decode(patched(raw, ext_off, ">I", length))
    for length in (32, 4096, 0xFFFFFFF8):  # runs past the end
        with pytest.raises(MessageError):
            decode(patched(raw, ext_off, ">I", length))
    with pytest.raises(MessageError):  # length 16: the message is 8 bytes longer than its content
        decode(patched(raw, ext_off, ">I", 16))
    with pytest.raises(MessageError):  # EXT_DATA missing while extensions are present
        decode(patched(raw, 0x8CD, ">B", 0))
    with pytest.raises(MessageError):  # more extensions announced than present
        decode(patched(raw, 0x8A6, ">H", 2))
    with pytest.raises(MessageError):  # fewer announced: trailing bytes
        decode(patched(raw, 0x8A6, ">H", 0))
    with pytest.raises(MessageError):  # truncated extension header
        decode(with_totlen(raw[:ext_off + 4]))
    # EXT_DATA set with zero extensions and no extension bytes is fine (ignored)
    plain = raw_of("redis70_ping.bin")
    assert decode(patched(plain, 0x8CD, ">B", m.MFLAG_EXT_DATA)).extensions == ()
    # unknown extension types are tolerated and kept
    odd = patched(raw, ext_off + 4, ">H", 77)
    assert decode(odd).extensions[0].type == 77 and encode(decode(odd)) == odd


def test_body_errors():
    ping = raw_of("redis70_meet.bin")
    n = len(decode(ping).gossip)
    for count in (n + 1, n + 2, 0xFFFF):
        with pytest.raises(MessageError):
            decode(patched(ping, 0x0E, ">H", count))
    pub = raw_of("redis70_publish.bin")
    for clen, mlen in ((6, 5), (5, 6), (0xFFFFFFFF, 5), (0, 0)):
        with pytest.raises(MessageError):
            decode(patched(pub, m.HEADER_SIZE, ">II", clen, mlen))
    assert decode(patched(pub, m.HEADER_SIZE, ">II", 0, 10)).message == b"chan1hello"  # lengths are the truth
    with pytest.raises(MessageError):
        decode(with_totlen(pub[:m.HEADER_SIZE + 4]))
    for name, t in (("redis70_fail.bin", m.FAIL), ("redis70_update.bin", m.UPDATE),
                    ("redis70_mfstart.bin", m.MFSTART), ("redis70_failover_auth_ack.bin", m.FAILOVER_AUTH_ACK)):
        raw = raw_of(name)
        others = [m.FAIL, m.PUBLISH, m.UPDATE, m.MODULE]
        if len(raw) != m.HEADER_SIZE:  # a bare header is also a valid PING/AUTH_REQUEST/...
            others += [m.PING, m.PONG, m.MEET, m.FAILOVER_AUTH_REQUEST, m.FAILOVER_AUTH_ACK, m.MFSTART]
        for other in others:
            if other != t:
                with pytest.raises(MessageError):
                    decode(patched(raw, 0x0C, ">H", other))
    hdr = raw_of("redis70_mfstart.bin")
    module = encode(m.Module(decode(hdr).header, b"modid123", 7, b"payload"))
    assert decode(module).payload == b"payload"
    for cut in (m.HEADER_SIZE, m.HEADER_SIZE + 12, len(module) - 1):
        with pytest.raises(MessageError):
            decode(with_totlen(module[:cut]))
    with pytest.raises(MessageError):
        decode(patched(module, m.HEADER_SIZE + 8, ">I", 8))
    # unknown types: any length
    unk = decode(patched(hdr, 0x0C, ">H", 11))
    assert isinstance(unk, m.Unknown) and unk.type == 11 and unk.body == b""


def decode_or_error(data: bytes):
    try:
        return decode(data)
    except MessageError:
        return None


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.binary(max_size=3000),
    st.binary(max_size=600).map(lambda b: b"RCmb" + struct.pack(">IH", m.HEADER_SIZE + len(b), 1) + bytes(2250) + b),
))
def test_fuzz_random_bytes(data):
    msg = decode_or_error(data)
    if msg is not None:
        assert len(data) >= m.HEADER_SIZE


CAPTURE_BYTES = [raw_of(n) for n in ALL]


@st.composite
def mutated_captures(draw):
    b = bytearray(draw(st.sampled_from(CAPTURE_BYTES)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["set", "set_hot", "cut", "insert", "delete", "fix_totlen"]))
        if op == "set" and b:
            b[draw(st.integers(0, len(b) - 1))] = draw(st.integers(0, 255))
        elif op == "set_hot":  # header counts/type/flags and the body start are where parsing branches
            hot = [4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 0x8A6, 0x8A7, 0x8CD] + list(range(m.HEADER_SIZE, m.HEADER_SIZE + 16))
            i = draw(st.sampled_from(hot))
            if i < len(b):
                b[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del b[draw(st.integers(0, len(b))):]
        elif op == "insert":
            i = draw(st.integers(0, len(b)))
            b[i:i] = draw(st.binary(min_size=1, max_size=120))
        elif op == "delete" and b:
            i = draw(st.integers(0, len(b) - 1))
            del b[i:i + draw(st.integers(1, 120))]
        elif op == "fix_totlen" and len(b) >= 8:
            struct.pack_into(">I", b, 4, len(b))
    return bytes(b)


@settings(max_examples=500, deadline=None)
@given(mutated_captures())
def test_fuzz_mutated_captures(data):
    decode_or_error(data)  # any other exception fails the test


HEADER_NUMERIC = [  # (offset, struct format) of header fields that take any value
    (0x0A, ">H"), (0x10, ">Q"), (0x18, ">Q"), (0x20, ">Q"), (0x8C6, ">H"), (0x8C8, ">H"), (0x8CA, ">H"),
    (0x8CC, ">B"),
]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CAPTURE_BYTES), st.sampled_from(HEADER_NUMERIC), st.integers(0, 2**64 - 1),
       st.lists(st.integers(0, 2047), max_size=8), st.integers(0, 255))
def test_mutated_numeric_fields_roundtrip(raw, field, value, slot_bytes, byte):
    """Whatever the numbers and slots in a real capture, re-encoding reproduces it exactly."""
    off, fmt = field
    value &= (1 << (8 * struct.calcsize(fmt))) - 1
    b = bytearray(patched(raw, off, fmt, value))
    for i in slot_bytes:
        b[0x50 + i] = byte
    b = bytes(b)
    assert encode(decode(b)) == b


# -- framing -----------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(CAPTURE_BYTES), min_size=1, max_size=6),
       st.lists(st.integers(0, 30000), max_size=20))
def test_reader_any_split(msgs, cuts):
    stream = b"".join(msgs)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    reader = MessageReader()
    out = []
    prev = 0
    for p in points + [len(stream)]:
        out += reader.feed(stream[prev:p])
        prev = p
    assert out == msgs
    assert [decode(x) for x in out] == [decode(x) for x in msgs]
    assert reader.feed(b"") == []


def test_reader_byte_by_byte_and_partial():
    msgs = [raw_of("redis70_publish.bin"), raw_of("redis70_update.bin"), raw_of("redis70_ping.bin")]
    stream = b"".join(msgs)
    reader = MessageReader()
    out = []
    for i in range(len(stream)):
        got = reader.feed(stream[i:i + 1])
        out += got
        if got:
            assert sum(map(len, out)) == i + 1  # a message comes out on its last byte, not before
    assert out == msgs
    reader = MessageReader()
    assert reader.feed(stream[:7]) == []
    assert reader.feed(stream[7:len(msgs[0]) - 1]) == []
    assert reader.feed(stream[len(msgs[0]) - 1:]) == msgs


def test_reader_rejects_bad_framing():
    good = raw_of("redis70_ping.bin")
    with pytest.raises(MessageError):
        MessageReader().feed(b"XXXX" + good[4:])
    with pytest.raises(MessageError):
        MessageReader().feed(patched(good, 4, ">I", m.HEADER_SIZE - 1)[:8])
    r = MessageReader()
    assert r.feed(good) == [good]
    with pytest.raises(MessageError):  # garbage after a good message
        r.feed(b"RCmX\0\0\x08\xd0")
    r = MessageReader()
    assert r.feed(b"RCm") == []  # fewer than 8 bytes: nothing checked yet
