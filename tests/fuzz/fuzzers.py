"""Fuzz targets shared by the bounded hypothesis tests (test_fuzz.py) and the long run (fuzz_long.py).

Each target takes one input and checks the contract of a parser that reads untrusted bytes:

* it returns, or raises only its documented error type (ProtocolError text, MessageError, RDBError,
  NodesConfError, ConfigError) -- anything else is a crash;
* it returns within a time bound (no hang, no quadratic blow-up on small inputs);
* whatever it accepted is usable (commands are lists of bytes; decoded bus messages go through the
  sans-IO cluster core without an exception).

``CORPUS`` holds valid inputs to mutate; ``mutate`` is a small structure-unaware mutator (bit flips,
interesting bytes, insertions, deletions, duplications, splices).
"""

from __future__ import annotations

import json
import os
import random
import struct
import tempfile
import time

from pyredis_cluster.cluster import messages as m
from pyredis_cluster.cluster.messages import MessageError
from pyredis_cluster.cluster.nodes_conf import NodesConfError
from pyredis_cluster.config import Config, ConfigError
from pyredis_cluster.protocol.request import RequestParser
from pyredis_cluster.store import rdb
from pyredis_cluster.store.rdb import RDBError

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures")
TIME_BOUND = 2.0  # seconds for one input of at most a few KB


class Crash(AssertionError):
    """A target broke its contract; ``data`` is the input."""

    def __init__(self, target: str, data, exc: BaseException | None, why: str = ""):
        super().__init__("%s: %s %r on input %r" % (target, why, exc, data[:300] if isinstance(data, (bytes, str))
                                                   else data))
        self.target = target
        self.data = data
        self.exc = exc


def _timed(target: str, data, fn):
    t = time.monotonic()
    try:
        return fn()
    finally:
        dt = time.monotonic() - t
        if dt > TIME_BOUND:
            raise Crash(target, data, None, "took %.1f s" % dt)


# -- mutations --------------------------------------------------------------------------------------------------

_INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0xFE, 0x3F, 0x40, 0xC0, 0xF0, ord("*"), ord("$"), ord("\r"), ord("\n"),
                ord("-"), ord("0"), ord("9"), ord(" "), ord('"'), ord("\\")]
_INTERESTING_INTS = [0, 1, -1, 2**31 - 1, 2**31, 2**32 - 1, 2**63 - 1, 512 * 1024 * 1024, 65536]


def mutate(data: bytes, rng: random.Random, corpus=None, rounds: int | None = None) -> bytes:
    b = bytearray(data)
    for _ in range(rounds or rng.randint(1, 6)):
        op = rng.randrange(9)
        n = len(b)
        if op == 0 and n:  # flip a bit
            i = rng.randrange(n)
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1 and n:  # an interesting byte
            b[rng.randrange(n)] = rng.choice(_INTERESTING)
        elif op == 2:  # insert random bytes
            i = rng.randint(0, n)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3 and n:  # delete a range
            i = rng.randrange(n)
            del b[i:i + rng.randint(1, 16)]
        elif op == 4 and n:  # duplicate a range
            i = rng.randrange(n)
            j = min(n, i + rng.randint(1, 64))
            k = rng.randint(0, n)
            b[k:k] = b[i:j]
        elif op == 5 and n >= 4:  # an interesting 32-bit integer, either endianness
            i = rng.randrange(n - 3)
            v = rng.choice(_INTERESTING_INTS) & 0xFFFFFFFF
            b[i:i + 4] = struct.pack(rng.choice("<>") + "I", v)
        elif op == 6 and n:  # truncate
            del b[rng.randrange(n):]
        elif op == 7 and corpus:  # splice with another input
            other = rng.choice(corpus)
            i = rng.randint(0, n)
            j = rng.randint(0, len(other))
            b = b[:i] + bytearray(other[j:])
        elif op == 8 and n:  # an ASCII number
            i = rng.randrange(n)
            b[i:i] = str(rng.choice(_INTERESTING_INTS + [rng.randrange(-10, 100)])).encode()
    return bytes(b)


# -- 1. the RESP request parser ------------------------------------------------------------------------------------

def _cmd(*args) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


RESP_CORPUS = [
    _cmd(b"SET", b"key", b"value"),
    _cmd(b"GET", b"key") * 3,
    _cmd(b"MSET", b"a", b"1", b"b", b"2") + b"PING\r\n" + _cmd(b"PING"),
    b"SET k \"quoted \\x41 \\n value\" 'single'\r\n",
    b"*0\r\n*-1\r\n" + _cmd(b"ECHO", b"x" * 100),
    _cmd(b"SET", b"k", bytes(range(256))),
    b"  PING   \n\r\nECHO hello\n",
    _cmd(b"HSET", b"h", b"f", b"v") + _cmd(b"LPUSH", b"l", *[b"e%d" % i for i in range(20)]),
]


def fuzz_resp(data: bytes, cuts=(), max_bulk: int = 512 * 1024 * 1024) -> None:
    """Feed ``data`` in chunks (cut at the offsets in ``cuts``) to a RequestParser, as a connection does:
    stop at the first protocol error."""
    def run():
        p = RequestParser(max_bulk)
        pos = 0
        for cut in sorted(set(c for c in cuts if 0 < c < len(data))) + [len(data)]:
            chunk = data[pos:cut]
            pos = cut
            if not chunk:
                continue
            cmds, err = p.feed(chunk)
            if not isinstance(cmds, list):
                raise Crash("resp", data, None, "commands are not a list")
            for c in cmds:
                if not isinstance(c, list) or not c or not all(type(a) is bytes for a in c):
                    raise Crash("resp", data, None, "bad command %r" % (c,))
            if err is not None:
                if not (isinstance(err, str) and err.startswith("Protocol error: ")):
                    raise Crash("resp", data, None, "bad error %r" % (err,))
                return
            if p.pending < 0:
                raise Crash("resp", data, None, "negative pending")
    try:
        _timed("resp", data, run)
    except Crash:
        raise
    except Exception as e:
        raise Crash("resp", data, e, "exception") from e


# -- 2. the cluster bus codec, and the core fed with what it decodes -------------------------------------------------

KNOWN = ["%040x" % (0xA << 156 | i) for i in range(1, 4)]  # names the fuzzed cluster state knows


def _bus_corpus() -> list:
    out = []
    for f in sorted(os.listdir(FIXTURES)):
        if f.endswith(".bin"):
            with open(os.path.join(FIXTURES, f), "rb") as fh:
                out.append(fh.read())
    slots = bytearray(m.SLOTS_BYTES)
    slots[0:8] = b"\xff" * 8
    for sender in KNOWN[:2] + ["%040x" % 99]:
        h = m.Header(sender=sender, current_epoch=7, config_epoch=5, myslots=bytes(slots), port=7000, cport=17000)
        hr = m.Header(sender=sender, current_epoch=7, config_epoch=5, slaveof=KNOWN[0], flags=m.NODE_SLAVE,
                      port=7001, cport=17001)
        g = (m.GossipEntry(KNOWN[2], 1, 2, "127.0.0.1", 7002, 17002, m.NODE_MASTER | m.NODE_PFAIL),
             m.GossipEntry("%040x" % 5, 0, 0, "10.0.0.9", 7009, 17009, m.NODE_MASTER))
        out += [m.encode(x) for x in (
            m.Ping(h, g, (m.PingExt.hostname("host-a"),)), m.Pong(hr, g), m.Meet(h, g), m.Fail(h, KNOWN[2]),
            m.Publish(h, b"chan", b"msg", False), m.Publish(h, b"chan", b"msg", True),
            m.FailoverAuthRequest(hr), m.FailoverAuthAck(h), m.MfStart(hr), m.Update(h, 9, KNOWN[1], bytes(slots)))]
    return out


BUS_CORPUS = _bus_corpus()


def _cluster_state():
    from pyredis_cluster.cluster.nodes import NODE_MASTER, NODE_SLAVE
    from pyredis_cluster.cluster.state import ClusterConfig, ClusterState

    now = 1_000_000
    cs = ClusterState(ClusterConfig(port=7100, cport=17100, node_timeout=1000), now=now)
    capture_names = []
    try:
        with open(os.path.join(FIXTURES, "redis70_capture.json")) as f:
            facts = json.load(f)
        for cap in facts["captures"].values():
            capture_names.extend(cap.get("nodes", {}))
    except (OSError, ValueError, KeyError):
        pass
    for i, name in enumerate(KNOWN + sorted(set(capture_names))):
        if name in cs.nodes:
            continue
        n = cs.create_node(name, NODE_MASTER if i != 1 else NODE_SLAVE, now)
        n.ip, n.port, n.cport = "127.0.0.1", 7000 + i, 17000 + i
        cs.add_node(n)
    a, b = cs.nodes[KNOWN[0]], cs.nodes[KNOWN[1]]
    b.replicaof = a
    a.add_replica(b)
    for s in range(0, 8000):
        cs.add_slot(a if s < 4000 else cs.nodes[KNOWN[2]], s)
    for s in range(8000, 16384):
        cs.add_slot(cs.myself, s)
    return cs, now


def fuzz_bus(data: bytes, cs=None) -> None:
    """decode() must return a message or raise MessageError; a decoded message must go through the
    cluster core (on_message, before_sleep, on_tick) without an exception."""
    def run():
        try:
            msg = m.decode(data)
        except MessageError:
            return
        state, now = cs if cs is not None else _cluster_state()
        link = state.accept_link(now, peer_ip="127.0.0.1", local_ip="127.0.0.1")
        state.on_message(link, msg, now)
        state.before_sleep(now)
        state.on_tick(now + 100)
        state.drain()
        m.encode(msg)  # what we decoded can be sent again
    try:
        _timed("bus", data, run)
    except Crash:
        raise
    except Exception as e:
        raise Crash("bus", data, e, "exception") from e


def fuzz_bus_stream(data: bytes, cuts=()) -> None:
    """MessageReader cuts any byte stream into frames or raises MessageError (the link is closed)."""
    def run():
        r = m.MessageReader()
        pos = 0
        for cut in sorted(set(c for c in cuts if 0 < c < len(data))) + [len(data)]:
            try:
                frames = r.feed(data[pos:cut])
            except MessageError:
                return
            pos = cut
            for fr in frames:
                if fr[:4] != m.SIGNATURE or struct.unpack(">I", fr[4:8])[0] != len(fr):
                    raise Crash("bus-stream", data, None, "bad frame")
    try:
        _timed("bus-stream", data, run)
    except Crash:
        raise
    except Exception as e:
        raise Crash("bus-stream", data, e, "exception") from e


# -- 3. RDB / DUMP payloads -------------------------------------------------------------------------------------------

def _rdb_corpus() -> tuple:
    from pyredis_cluster.store.keyspace import Database
    from pyredis_cluster.store.types import HashValue, ListValue, SetValue
    from pyredis_cluster.store.zset import ZSetValue

    values = [
        b"hello", b"12345", b"-7", b"x" * 300, bytes(range(256)) * 4, b"a" * 5000,  # LZF-compressible
        ListValue([b"a", b"b", b"123", b"x" * 70]), ListValue([b"%d" % i for i in range(300)]),
        SetValue([b"1", b"2", b"300000"]), SetValue([b"a", b"b", b"c"]), SetValue([b"m%d" % i for i in range(200)]),
        HashValue([(b"f", b"v"), (b"n", b"42")]), HashValue([(b"f%d" % i, b"v" * 80) for i in range(150)]),
        ZSetValue.from_pairs([(b"a", 1.0), (b"b", 2.5), (b"c", -3.0)], 128, 64),
        ZSetValue.from_pairs([(b"m%d" % i, float(i)) for i in range(200)], 128, 64),
    ]
    payloads = []
    for v in values:
        try:
            payloads.append(rdb.dump_payload(v))
        except Exception:
            pass
    db = Database(0)
    for i, v in enumerate(values):
        db.add(b"key%d" % i, v)
    db.set_expire(b"key0", 4102444800000)
    files = [rdb.dump_rdb([db])]
    return payloads, files


RDB_PAYLOADS, RDB_FILES = _rdb_corpus()


def with_footer(body: bytes) -> bytes:
    """A DUMP payload for ``body``: RDB version and a correct CRC64, so the decoder gets past them."""
    data = body + struct.pack("<H", rdb.RDB_VERSION)
    return data + struct.pack("<Q", rdb.crc64(data))


def fuzz_dump(data: bytes) -> None:
    """RESTORE's decoder: a value or RDBError."""
    def run():
        try:
            v = rdb.load_payload(data)
        except RDBError:
            return
        if v is None:
            raise Crash("dump", data, None, "no value")
    try:
        _timed("dump", data, run)
    except Crash:
        raise
    except Exception as e:
        raise Crash("dump", data, e, "exception") from e


def fuzz_rdb(data: bytes) -> None:
    """The RDB file reader: records or RDBError."""
    def run():
        try:
            for _ in rdb.iter_rdb(data, check_crc=False):
                pass
        except RDBError:
            return
    try:
        _timed("rdb", data, run)
    except Crash:
        raise
    except Exception as e:
        raise Crash("rdb", data, e, "exception") from e


# -- 4. nodes.conf ------------------------------------------------------------------------------------------------------

NODES_CONF_CORPUS = [
    ("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:7000@17000,host-a myself,master - 0 0 1 connected 0-5460\n"
     "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:7001@17001 master - 0 1426238316232 2 connected 5461-10922 "
     "[5461->-e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca]\n"
     "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:7003@17003 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 "
     "1426238317239 4 connected\n"
     "824fe116063bc5fcf9f4ffd895bc17aee7731ac3 :0@0 master,fail,noaddr - 1426238316232 1426238315225 3 disconnected "
     "10923-16383 [10923-<-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]\n"
     "vars currentEpoch 6 lastVoteEpoch 4\n").encode(),
    b"0000000000000000000000000000000000000001 127.0.0.1:7000 myself,master - 0 0 0 connected\nvars currentEpoch 0\n",
]


def fuzz_nodes_conf(data: bytes) -> None:
    """clusterLoadConfig: loaded, or NodesConfError naming the problem."""
    from pyredis_cluster.cluster.state import ClusterState

    def run():
        fd, path = tempfile.mkstemp(prefix="fuzz-nodes-", suffix=".conf")
        try:
            os.write(fd, data)
            os.close(fd)
            try:
                from pyredis_cluster.cluster import nodes_conf

                nodes_conf.load(ClusterState(), path, 1000)
            except NodesConfError:
                return
        finally:
            os.unlink(path)
    try:
        _timed("nodes.conf", data, run)
    except Crash:
        raise
    except Exception as e:
        raise Crash("nodes.conf", data, e, "exception") from e


# -- 5. redis.conf ---------------------------------------------------------------------------------------------------

# directives that touch the file system (include, logfile, dir ...) are left out: the parser would open,
# create or chdir to whatever the fuzzer names
_UNSAFE = {"include", "logfile", "dir", "pidfile", "unixsocket", "aclfile", "dbfilename", "appendfilename",
           "appenddirname", "cluster-config-file", "syslog-ident", "tls-cert-file", "tls-key-file"}


def _conf_vocabulary():
    from pyredis_cluster.config import DIRECTIVE_LIST

    names = [d.name for d in DIRECTIVE_LIST if d.name not in _UNSAFE]
    return names + ["rename-command", "user", "loadmodule", "sentinel", "list-max-ziplist-entries", "bogus"]


CONF_NAMES = _conf_vocabulary()
CONF_VALUES = ["yes", "no", "0", "1", "-1", "100", "1mb", "1gb", "5%", "-5%", "\"\"", "''", "\"a b\"", "\"\\x41\"",
               "normal 0 0 0", "replica 1mb 0 60", "pubsub 32mb 8mb 60", "900 1 300 10", "on >pw ~* +@all",
               "get xget", "allkeys-lru", "notice", "KEA", "\"unbalanced", "9223372036854775808", "0x10", "1e3",
               "127.0.0.1 -::1", "everysec", "local", "\t", "yes yes"]

CONF_CORPUS = [
    b"port 7000\ncluster-enabled yes\nmaxmemory 100mb\nmaxmemory-policy allkeys-lru\nsave 900 1 300 10\n",
    b"# comment\n\n  appendonly yes\nclient-output-buffer-limit normal 0 0 0\nuser bob on >pw ~k* +@read\n"
    b"rename-command CONFIG \"\"\nnotify-keyspace-events KEA\nbind 127.0.0.1 -::1\n",
    b"requirepass \"p w\"\nhz 500\nlatency-tracking-info-percentiles \"50 99 99.9\"\nmaxclients 10\n",
]


def fuzz_redis_conf(data: bytes) -> None:
    """loadServerConfigFromString: loaded, or ConfigError with the line."""
    text = data.decode("utf-8", "surrogateescape")
    for line in text.split("\n"):  # never let a fuzzed line reach the file system
        words = line.strip().split()
        if words and words[0].strip("\"'").lower() in _UNSAFE:
            return

    def run():
        try:
            Config().load_string(text)
        except ConfigError:
            return
    try:
        _timed("redis.conf", data, run)
    except Crash:
        raise
    except Exception as e:
        raise Crash("redis.conf", data, e, "exception") from e


def random_conf(rng: random.Random) -> bytes:
    lines = []
    for _ in range(rng.randint(1, 8)):
        name = rng.choice(CONF_NAMES)
        if rng.random() < 0.2:
            name = name.upper()
        args = [rng.choice(CONF_VALUES) for _ in range(rng.randint(0, 3))]
        lines.append(" ".join([name] + args))
    return "\n".join(lines).encode()


_SHARED = {"state": None, "uses": 0}


def shared_state():
    """A cluster state reused by consecutive bus cases (rebuilt every 200): messages then meet state
    that earlier messages left behind."""
    if _SHARED["state"] is None or _SHARED["uses"] >= 200:
        _SHARED["state"] = _cluster_state()
        _SHARED["uses"] = 0
    _SHARED["uses"] += 1
    return _SHARED["state"]


TARGETS = {
    "resp": (lambda d, rng: fuzz_resp(d, [rng.randint(0, len(d)) for _ in range(rng.randint(0, 6))]), RESP_CORPUS),
    "bus": (lambda d, rng: fuzz_bus(d, shared_state()), BUS_CORPUS),
    "bus-stream": (lambda d, rng: fuzz_bus_stream(d, [rng.randint(0, len(d)) for _ in range(rng.randint(0, 6))]),
                   [a + b for a in BUS_CORPUS[:5] for b in BUS_CORPUS[5:10]]),
    "dump": (lambda d, rng: fuzz_dump(with_footer(d) if rng.random() < 0.8 else d), [p[:-10] for p in RDB_PAYLOADS]),
    "rdb": (lambda d, rng: fuzz_rdb(d), RDB_FILES),
    "nodes.conf": (lambda d, rng: fuzz_nodes_conf(d), NODES_CONF_CORPUS),
    "redis.conf": (lambda d, rng: fuzz_redis_conf(d), CONF_CORPUS),
}
