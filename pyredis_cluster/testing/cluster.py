"""Controllable clusters for client authors: start one, break it on purpose, watch it heal.

    from pyredis_cluster.testing import start_cluster

    with start_cluster(masters=3, replicas=1) as c:      # in-process: 6 nodes, ready in well under 1 s
        rc = c.client()                                   # redis-py RedisCluster (c.async_client(): asyncio)
        rc.set("k", "v")
        m = c.owner_of_key("k")
        c.kill(m)                                         # the node dies (in-process: stopped; process: SIGKILL)
        c.wait_stable()                                   # its replica was elected and everybody agrees
        print(c.events(kind="election-won"))              # ... and why: the event log with reasons

Two modes run real nodes with real sockets:

* ``mode="inprocess"`` (default): every node is a :class:`~pyredis_cluster.server.node.Node` object with
  its own Config, all in one asyncio loop running in a background thread of the test process;
* ``mode="process"``: one ``pyredis-server`` process per node (SIGKILL, SIGSTOP/SIGCONT are real).

``mode="sim"`` returns the deterministic simulation behind the same API (see :mod:`.sim`).

Ports are picked automatically (a port and its bus port, port+10000, both free), so several clusters
run side by side in parallel CI; the nodes announce 127.0.0.1, the address clients really reach.

Faults go through each node's ``PYREDIS FAULT`` admin commands (``pyredis-admin-commands yes`` is set
on the nodes started here), so what a test does here can be done from any language with redis-cli;
see docs/testing.md.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from ..cluster.slots import key_hash_slot
from .resp import Conn, ReplyError, text

CLUSTER_SLOTS = 16384
DEFAULT_NODE_TIMEOUT = 2000
CLUSTER_WRITABLE_DELAY = 2000  # cluster/state_eval.py

_reserved: set = set()
_reserve_lock = threading.Lock()


def _port_free(host: str, port: int) -> bool:
    s = socket.socket()
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _port_range() -> tuple:
    """Ports below the kernel's ephemeral range (outgoing connections never take them), with room
    for port + 10000."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        lo = 32768
    if lo - 10000 > 12000:
        return 10000, lo - 10000
    return 20000, 55535


def free_port(host: str = "127.0.0.1") -> int:
    """A port whose bus port (port + 10000) is free as well, never handed out twice by this process.
    Ports are drawn at random below the ephemeral range, so parallel test processes rarely collide
    (and start_cluster retries with new ports when they do)."""
    rng = random.SystemRandom()
    lo, hi = _port_range()
    with _reserve_lock:
        for _ in range(500):
            port = rng.randrange(lo, hi)
            if port in _reserved or port + 10000 in _reserved:
                continue
            if _port_free(host, port) and _port_free(host, port + 10000):
                _reserved.update((port, port + 10000))
                return port
    raise RuntimeError("no free port pair found")


def _release_port(port: int) -> None:
    with _reserve_lock:
        _reserved.discard(port)
        _reserved.discard(port + 10000)


def new_node_id(rng=random) -> str:
    return "%040x" % rng.getrandbits(160)


def tag_for_slot(slot: int) -> str:
    """A short string hashing to ``slot``: ``{tag}`` in a key pins it there."""
    tag = _TAGS.get(slot)
    if tag is None:
        i = 0
        while True:
            t = "%x" % i
            s = key_hash_slot(t.encode())
            _TAGS.setdefault(s, t)
            if s == slot:
                tag = t
                break
            i += 1
    return tag


_TAGS: dict = {}


def keys_in_slot(slot: int, n: int = 4, prefix: str = "key") -> list:
    """``n`` key names hashing to ``slot`` (a hash tag keeps them in one slot)."""
    tag = tag_for_slot(slot)
    return ["{%s}:%s:%d" % (tag, prefix, i) for i in range(n)]


def slot_of(key) -> int:
    return key_hash_slot(key.encode() if isinstance(key, str) else key)


# -- nodes, views, events ----------------------------------------------------------------------------------


@dataclass(eq=False)
class NodeRef:
    """One node of a test cluster, as the test sees it."""

    index: int
    host: str
    port: int
    id: str
    workdir: str
    alive: bool = False
    paused: bool = False
    proc: object = None  # process mode: the Popen
    node: object = None  # in-process mode: the Node
    past_events: list = field(default_factory=list)  # events of earlier incarnations (before kill)

    @property
    def addr(self) -> str:
        return "%s:%d" % (self.host, self.port)

    @property
    def bus_port(self) -> int:
        return self.port + 10000

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else os.getpid()

    def __repr__(self):
        state = "" if self.alive and not self.paused else (" paused" if self.alive else " dead")
        return "<node %d %s %s%s>" % (self.index, self.addr, self.id[:8], state)


@dataclass(frozen=True)
class ClusterEvent:
    """One entry of a node's event log: what changed, about which node, and why."""

    time: int  # ms (wall clock; virtual in the simulation)
    node: object  # the NodeRef (or SimNode) that logged it
    kind: str  # "pfail", "fail", "election-won", "role", "slots", "state", "fault" ...
    about: str  # the node id it is about ("" for the cluster)
    text: str
    about_node: object = None

    def __str__(self):
        return "%d %s %s %s" % (self.time, getattr(self.node, "index", "?"), self.kind, self.text)


class View:
    """One node's view of the cluster: CLUSTER NODES, CLUSTER INFO and INFO replication, parsed."""

    def __init__(self, nodes_text: str, info_text: str, repl_text: str):
        self.entries: dict = {}
        self.myself = None
        for line in nodes_text.strip().split("\n"):
            if not line.strip():
                continue
            f = line.split(" ")
            addr = f[1].split(",")[0]
            host, _, ports = addr.rpartition(":")
            e = {"id": f[0], "host": host, "port": int(ports.split("@")[0]), "flags": set(f[2].split(",")),
                 "master": None if f[3] == "-" else f[3], "epoch": int(f[6]), "link": f[7],
                 "slots": frozenset(_slot_specs(f[8:]))}
            e["role"] = "master" if "master" in e["flags"] else "replica"
            self.entries[f[0]] = e
            if "myself" in e["flags"]:
                self.myself = e
        info = dict(line.split(":", 1) for line in info_text.split("\r\n") if ":" in line)
        self.state_ok = info.get("cluster_state") == "ok"
        self.info = info
        repl = dict(line.split(":", 1) for line in repl_text.split("\r\n") if ":" in line)
        self.repl = repl
        self.link_up = repl.get("master_link_status") == "up" if repl.get("role") == "slave" else None

    def role(self) -> str:
        return self.myself["role"]


def _slot_specs(specs) -> list:
    out = []
    for s in specs:
        if s.startswith("["):
            continue
        a, _, b = s.partition("-")
        out.append((int(a), int(b or a)))
    return out


class Migration:
    """A slot frozen in the middle of a migration (MIGRATING on the source, IMPORTING on the target)."""

    def __init__(self, cluster, slot: int, source: NodeRef, target: NodeRef):
        self.cluster = cluster
        self.slot = slot
        self.source = source
        self.target = target
        self.moved: list = []  # keys already on the target

    def __repr__(self):
        return "<Migration slot %d %r -> %r, %d keys moved>" % (self.slot, self.source, self.target, len(self.moved))

    def keys_at_source(self) -> list:
        return self.cluster.call(self.source, "CLUSTER", "GETKEYSINSLOT", self.slot, 1 << 30)

    def keys_at_target(self) -> list:
        return self.cluster.call(self.target, "CLUSTER", "GETKEYSINSLOT", self.slot, 1 << 30)

    def move(self, keys) -> list:
        """Move these keys (DUMP on the source, RESTORE-ASKING on the target, DEL on the source)."""
        c = self.cluster
        moved = []
        for k in keys:
            k = k.encode() if isinstance(k, str) else k
            if key_hash_slot(k) != self.slot:
                raise ValueError("key %r is not in slot %d" % (k, self.slot))
            payload = c.call(self.source, "DUMP", k)
            if payload is None:
                continue
            pttl = c.call(self.source, "PTTL", k)
            if pttl == -2:
                continue
            c.call(self.target, "RESTORE-ASKING", k, max(pttl, 0), payload, "REPLACE")
            c.call(self.source, "DEL", k)
            moved.append(k)
        self.moved.extend(moved)
        return moved

    def finish(self) -> None:
        """Move the remaining keys and give the slot to the target everywhere (as redis-cli does)."""
        c = self.cluster
        while True:
            keys = self.keys_at_source()
            if not keys:
                break
            self.move(keys)
        c.call(self.target, "CLUSTER", "SETSLOT", self.slot, "NODE", self.target.id)
        c.call(self.source, "CLUSTER", "SETSLOT", self.slot, "NODE", self.target.id)
        for m in c.masters():
            if m is not self.source and m is not self.target:
                try:
                    c.call(m, "CLUSTER", "SETSLOT", self.slot, "NODE", self.target.id)
                except (ReplyError, OSError):
                    pass

    def cancel(self) -> None:
        """Put every moved key back on the source and end the migration there."""
        c = self.cluster
        c.call(self.source, "CLUSTER", "SETSLOT", self.slot, "STABLE")
        conn = c.conn(self.target)
        for k in self.keys_at_target():
            conn.call("ASKING")
            payload = conn.call("DUMP", k)
            conn.call("ASKING")
            pttl = conn.call("PTTL", k)
            if payload is not None and pttl != -2:
                c.call(self.source, "RESTORE", k, max(pttl, 0), payload, "REPLACE")
            conn.call("ASKING")
            conn.call("DEL", k)
        c.call(self.target, "CLUSTER", "SETSLOT", self.slot, "STABLE")
        self.moved = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finish()


# -- the handle ------------------------------------------------------------------------------------------------


def _node_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, (list, tuple, set, frozenset)):
        return list(x)
    return [x]


class Cluster:
    """A running test cluster; subclasses say how a node is started, killed and paused."""

    mode = "?"

    def __init__(self, masters: int = 3, replicas: int = 1, node_timeout_ms: int = DEFAULT_NODE_TIMEOUT,
                 host: str = "127.0.0.1", base_port: int = 0, workdir: str | None = None, create: str = "conf",
                 keep_dirs: bool = False, config: dict | None = None, seed: int | None = None):
        if masters < 1 or replicas < 0:
            raise ValueError("need at least one master")
        if create not in ("conf", "meet"):
            raise ValueError("create must be 'conf' or 'meet'")
        self.n_masters = masters
        self.n_replicas = replicas
        self.node_timeout = node_timeout_ms
        self.host = host
        self.base_port = base_port
        self.create = create
        self.keep_dirs = keep_dirs
        self.extra_config = dict(config or {})
        self.rng = random.Random(seed)
        self.root = workdir or tempfile.mkdtemp(prefix="pyredis-cluster-")
        self._own_root = workdir is None
        self.nodes: list = []
        self._conns: dict = {}
        self._conn_lock = threading.Lock()
        self._timers: list = []
        self._closed = False
        self.started_in = None  # seconds from start_cluster() to ready

    # -- building ---------------------------------------------------------------------------------------

    def _allocate(self) -> None:
        total = self.n_masters * (1 + self.n_replicas)
        for i in range(total):
            if self.base_port:
                port = self.base_port + i
            else:
                port = free_port(self.host)
            wd = os.path.join(self.root, "node-%d" % port)
            os.makedirs(wd, exist_ok=True)
            self.nodes.append(NodeRef(i, self.host, port, new_node_id(self.rng), wd))

    def _layout(self):
        """(masters with their slot ranges, replica -> master)."""
        m = self.n_masters
        masters = self.nodes[:m]
        ranges = {n.index: (i * CLUSTER_SLOTS // m, (i + 1) * CLUSTER_SLOTS // m - 1) for i, n in enumerate(masters)}
        replica_of = {r.index: masters[k % m] for k, r in enumerate(self.nodes[m:])}
        return masters, ranges, replica_of

    def _write_nodes_conf(self) -> None:
        """Each node starts from a nodes.conf describing the whole cluster, as after a restart of every
        node of an existing cluster: no handshakes, no elections, ready as soon as the links are up."""
        masters, ranges, replica_of = self._layout()
        epoch = {n.index: i + 1 for i, n in enumerate(masters)}
        for me in self.nodes:
            lines = []
            for n in self.nodes:
                master = replica_of.get(n.index)
                role = "slave" if master is not None else "master"
                flags = ("myself," if n is me else "") + role
                ep = epoch[master.index] if master is not None else epoch[n.index]
                line = "%s %s:%d@%d %s %s 0 0 %d connected" % (
                    n.id, n.host, n.port, n.bus_port, flags, master.id if master is not None else "-", ep)
                if n.index in ranges:
                    line += " %d-%d" % ranges[n.index]
                lines.append(line)
            lines.append("vars currentEpoch %d lastVoteEpoch 0" % len(masters))
            with open(os.path.join(me.workdir, "nodes.conf"), "w") as f:
                f.write("\n".join(lines) + "\n")

    def _directives(self, ref: NodeRef) -> dict:
        d = {
            "port": ref.port, "bind": ref.host, "cluster-enabled": "yes", "cluster-config-file": "nodes.conf",
            "cluster-node-timeout": self.node_timeout, "dir": ref.workdir, "save": '""', "appendonly": "no",
            "repl-diskless-sync-delay": 0,  # (replicas sync at once, not after Redis's default 5 s)
            "logfile": os.path.join(ref.workdir, "node.log"), "pyredis-admin-commands": "yes",
        }
        d.update(self.extra_config)
        return d

    def start(self, wait: bool = True, timeout: float = 30.0) -> "Cluster":
        t0 = time.monotonic()
        try:
            self._allocate()
            if self.create == "conf":
                self._write_nodes_conf()
            self._boot()
            self._start_nodes(self.nodes, fresh=True)
            if self.create == "meet":
                self._meet()
            if wait:
                self.wait_stable(timeout)
        except BaseException:
            self.close()
            raise
        self.started_in = time.monotonic() - t0
        return self

    def _meet(self) -> None:
        """Form the cluster the way redis-cli does: ADDSLOTSRANGE, SET-CONFIG-EPOCH, MEET, REPLICATE."""
        masters, ranges, replica_of = self._layout()
        for i, m in enumerate(masters):
            a, b = ranges[m.index]
            self.call(m, "CLUSTER", "ADDSLOTSRANGE", a, b)
            self.call(m, "CLUSTER", "SET-CONFIG-EPOCH", i + 1)
        for n in self.nodes:
            n.id = text(self.call(n, "CLUSTER", "MYID"))
        first = self.nodes[0]
        for n in self.nodes[1:]:
            self.call(first, "CLUSTER", "MEET", n.host, n.port)
        ids = {n.id for n in self.nodes}

        def all_known():
            for n in self.nodes:
                v = self.view(n)
                known = {e["id"] for e in v.entries.values() if "handshake" not in e["flags"]}
                if not ids <= known:
                    return False
            return True

        self.wait_for(all_known, 20, what="every node knows every other")
        for r in self.nodes[self.n_masters:]:
            self.call(r, "CLUSTER", "REPLICATE", replica_of[r.index].id)

    # -- backend hooks ------------------------------------------------------------------------------

    def _boot(self) -> None:
        pass

    def _start_nodes(self, refs: list, fresh: bool) -> None:
        raise NotImplementedError

    def _kill_node(self, ref: NodeRef) -> None:
        raise NotImplementedError

    def _pause_node(self, ref: NodeRef, seconds) -> None:
        raise NotImplementedError

    def _resume_node(self, ref: NodeRef) -> None:
        raise NotImplementedError

    def _shutdown(self) -> None:
        pass

    # -- connections -----------------------------------------------------------------------------------

    def node(self, which) -> NodeRef:
        """A node by NodeRef, index, port, node id (or a prefix of it) or "host:port"."""
        if isinstance(which, NodeRef):
            return which
        for n in self.nodes:
            if which in (n.index, n.port, n.id, n.addr) or (isinstance(which, str) and len(which) >= 6
                                                             and n.id.startswith(which)):
                return n
        raise KeyError("no node %r in this cluster" % (which,))

    def conn(self, node) -> Conn:
        """The control connection to a node (it is never isolated by isolate_clients)."""
        ref = self.node(node)
        with self._conn_lock:
            c = self._conns.get(ref.index)
            if c is None:
                c = Conn(ref.host, ref.port, timeout=10)
                try:  # a connection that sent a PYREDIS command is never isolated from the node
                    c.call("PYREDIS", "FAULT", "LIST")
                except ReplyError:
                    pass  # admin commands disabled
                self._conns[ref.index] = c
            return c

    def _drop_conn(self, ref: NodeRef) -> None:
        with self._conn_lock:
            c = self._conns.pop(ref.index, None)
        if c is not None:
            c.close()

    def call(self, node, *args):
        """Run one command on one node; error replies raise :class:`ReplyError`."""
        ref = self.node(node)
        if not ref.alive:
            raise ConnectionError("%r is not running" % ref)
        for attempt in (0, 1):
            try:
                return self.conn(ref).call(*args)
            except (OSError, ConnectionError):
                self._drop_conn(ref)
                if attempt:
                    raise

    @property
    def seeds(self) -> list:
        """(host, port) of every running node: startup nodes for a client."""
        return [(n.host, n.port) for n in self.nodes if n.alive]

    def client(self, **kwargs):
        """A redis-py ``RedisCluster`` on this cluster (keyword arguments go to it)."""
        from redis.cluster import ClusterNode, RedisCluster

        opts = {"socket_timeout": 5, "socket_connect_timeout": 2}
        opts.update(kwargs)
        return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in self.seeds], **opts)

    def async_client(self, **kwargs):
        """A redis-py ``redis.asyncio.cluster.RedisCluster`` (create it inside the test's event loop)."""
        from redis.asyncio.cluster import ClusterNode, RedisCluster

        opts = {"socket_timeout": 5, "socket_connect_timeout": 2}
        opts.update(kwargs)
        return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in self.seeds], **opts)

    # -- what the cluster looks like ------------------------------------------------------------------------

    def view(self, node) -> View:
        ref = self.node(node)
        for attempt in (0, 1):
            try:
                nodes, info, repl = self.conn(ref).pipeline(
                    [("CLUSTER", "NODES"), ("CLUSTER", "INFO"), ("INFO", "replication")])
                break
            except (OSError, ConnectionError):
                self._drop_conn(ref)
                if attempt:
                    raise
        return View(text(nodes), text(info), text(repl))

    def _observer(self) -> NodeRef:
        for n in self.nodes:
            if n.alive and not n.paused:
                return n
        raise RuntimeError("no running node to ask")

    def role(self, node) -> str | None:
        """"master" or "replica", as the node itself says; None when it is not running."""
        ref = self.node(node)
        if not ref.alive or ref.paused:
            return None
        return self.view(ref).role()

    def masters(self, observer=None) -> list:
        """The masters serving slots, as ``observer`` (default: any running node) sees them."""
        v = self.view(observer if observer is not None else self._observer())
        return [self._by_id(e["id"]) for e in v.entries.values()
                if e["role"] == "master" and e["slots"] and self._by_id(e["id"]) is not None]

    def replicas(self, observer=None) -> list:
        v = self.view(observer if observer is not None else self._observer())
        return [self._by_id(e["id"]) for e in v.entries.values() if e["role"] == "replica"
                and self._by_id(e["id"]) is not None]

    def replicas_of(self, master, observer=None) -> list:
        m = self.node(master)
        v = self.view(observer if observer is not None else self._observer())
        return [self._by_id(e["id"]) for e in v.entries.values() if e["master"] == m.id]

    def master_of(self, replica, observer=None):
        r = self.node(replica)
        v = self.view(observer if observer is not None else self._observer())
        e = v.entries.get(r.id)
        return self._by_id(e["master"]) if e is not None and e["master"] else None

    def slot_owner(self, slot: int, observer=None) -> NodeRef:
        v = self.view(observer if observer is not None else self._observer())
        for e in v.entries.values():
            if e["role"] == "master" and any(a <= slot <= b for a, b in e["slots"]):
                return self._by_id(e["id"])
        raise LookupError("slot %d is not served" % slot)

    def owner_of_key(self, key, observer=None) -> NodeRef:
        return self.slot_owner(slot_of(key), observer)

    def _by_id(self, node_id):
        for n in self.nodes:
            if n.id == node_id:
                return n
        return None

    keys_in_slot = staticmethod(keys_in_slot)
    slot_of = staticmethod(slot_of)

    # -- waiting -------------------------------------------------------------------------------------------------

    def wait_for(self, predicate, timeout: float = 30.0, interval: float = 0.02, what: str | None = None):
        """Poll ``predicate()`` until it returns something true; return that.  Connection errors count as
        "not yet"; TimeoutError names ``what`` and the last result."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                last = predicate()
                if last:
                    return last
            except (OSError, ConnectionError, ReplyError) as e:
                last = e
            if time.monotonic() >= deadline:
                raise TimeoutError("timed out after %.1fs waiting for %s (last: %r)"
                                   % (timeout, what or getattr(predicate, "__name__", "condition"), last))
            time.sleep(interval)

    def stable(self):
        """(True, "") when every running node reports cluster_state:ok, they all agree on roles and slots,
        nobody is flagged (P)FAIL or in handshake, every slot has a running master and every running
        replica's link is up; else (False, the first reason found)."""
        alive = [n for n in self.nodes if n.alive and not n.paused]
        if not alive:
            return False, "no running node"
        topo = None
        for n in alive:
            try:
                v = self.view(n)
            except (OSError, ConnectionError) as e:
                return False, "%r: %s" % (n, e)
            if not v.state_ok:
                return False, "%r: cluster_state fail" % n
            if v.myself is None or v.myself["id"] != n.id:
                return False, "%r: unexpected node id" % n
            mine = {}
            for m in alive:
                e = v.entries.get(m.id)
                if e is None:
                    return False, "%r does not know %r" % (n, m)
                bad = e["flags"] & {"fail", "fail?", "handshake", "noaddr"}
                if bad:
                    return False, "%r sees %r as %s" % (n, m, ",".join(sorted(bad)))
                mine[m.id] = (e["role"], e["master"], e["slots"])
            if v.link_up is False:
                return False, "%r: replication link down" % n
            if topo is None:
                topo = mine
                covered = 0
                for role, _, slots in mine.values():
                    if role == "master":
                        covered += sum(b - a + 1 for a, b in slots)
                if covered != CLUSTER_SLOTS:
                    return False, "%r: running masters serve %d slots of %d" % (n, covered, CLUSTER_SLOTS)
            elif mine != topo:
                return False, "%r and %r disagree on the topology" % (alive[0], n)
        return True, ""

    def wait_stable(self, timeout: float = 30.0) -> None:
        """Wait until :meth:`stable` holds (after start, a failover, a heal or a restart)."""
        deadline = time.monotonic() + timeout
        reason = ""
        while time.monotonic() < deadline:
            ok, reason = self.stable()
            if ok:
                return
            time.sleep(0.02)
        raise TimeoutError("cluster not stable after %.1fs: %s" % (timeout, reason))

    # -- actions ---------------------------------------------------------------------------------------------------

    def kill(self, node) -> None:
        """The node dies at once (process: SIGKILL; in-process: its sockets close, its tasks stop)."""
        ref = self.node(node)
        if not ref.alive:
            return
        if not ref.paused:
            try:
                ref.past_events.extend(self._fetch_events(ref))
            except (OSError, ConnectionError, ReplyError):
                pass
        self._drop_conn(ref)
        self._kill_node(ref)
        ref.alive = False
        ref.paused = False

    def restart(self, node, wait: bool = True) -> None:
        """Start a node again on the same port, from its nodes.conf (killing it first if running)."""
        ref = self.node(node)
        if ref.alive:
            self.kill(ref)
        self._start_nodes([ref], fresh=False)

    def pause(self, node, seconds: float | None = None) -> None:
        """Freeze a node (process: SIGSTOP, SIGCONT after ``seconds``; in-process: no socket is read, no
        timer runs).  ``seconds=None``: until :meth:`resume`."""
        ref = self.node(node)
        if not ref.alive:
            raise ConnectionError("%r is not running" % ref)
        self._pause_node(ref, seconds)
        ref.paused = True
        if seconds is not None:
            t = threading.Timer(seconds, self._mark_resumed, (ref,))
            t.daemon = True
            t.start()
            self._timers.append(t)

    def _mark_resumed(self, ref: NodeRef) -> None:
        ref.paused = False

    def resume(self, node) -> None:
        ref = self.node(node)
        if ref.alive and ref.paused:
            self._resume_node(ref)
            ref.paused = False

    def _fault(self, ref: NodeRef, *args) -> None:
        if ref.alive and not ref.paused:
            self.call(ref, "PYREDIS", "FAULT", *args)

    def cut(self, a, b, one_way: bool = False) -> None:
        """Drop cluster-bus messages from the nodes ``a`` to the nodes ``b`` (and back unless one_way)."""
        src, dst = [self.node(x) for x in _node_list(a)], [self.node(x) for x in _node_list(b)]
        for x in src:
            self._fault(x, "PARTITION", "OUT", *[y.id for y in dst])
        for y in dst:
            self._fault(y, "PARTITION", "IN", *[x.id for x in src])
        if not one_way:
            self.cut(b, a, one_way=True)

    def partition(self, *groups) -> None:
        """Split the bus into groups that cannot talk to each other; nodes in no group form one more
        group.  ``partition([a, b], [c, d, e])`` or ``partition([[a, b], [c, d, e]])``."""
        if len(groups) == 1 and groups[0] and all(isinstance(g, (list, tuple, set)) for g in groups[0]):
            groups = tuple(groups[0])
        groups = [[self.node(x) for x in _node_list(g)] for g in groups]
        listed = {n.index for g in groups for n in g}
        rest = [n for n in self.nodes if n.index not in listed]
        if rest:
            groups.append(rest)
        for i, g in enumerate(groups):
            others = [n for j, h in enumerate(groups) if j != i for n in h]
            for x in g:
                if others:
                    self._fault(x, "PARTITION", "BOTH", *[y.id for y in others])

    def heal(self, a=None, b=None) -> None:
        """Lift bus faults and client isolation everywhere; or only the bus faults between ``a`` and ``b``."""
        if a is None:
            for n in self.nodes:
                self._fault(n, "HEAL", "BUS", "CLIENTS")
            return
        src, dst = [self.node(x) for x in _node_list(a)], [self.node(x) for x in _node_list(b)]
        for x in src:
            self._fault(x, "HEAL", *[y.id for y in dst])
        for y in dst:
            self._fault(y, "HEAL", *[x.id for x in src])

    def delay_bus(self, a, b, ms: int, one_way: bool = False) -> None:
        """Delay cluster-bus messages from ``a`` to ``b`` by ``ms`` (and back unless one_way); order kept."""
        src, dst = [self.node(x) for x in _node_list(a)], [self.node(x) for x in _node_list(b)]
        for x in src:
            self._fault(x, "DELAY", "OUT", int(ms), *[y.id for y in dst])
        if not one_way:
            for y in dst:
                self._fault(y, "DELAY", "OUT", int(ms), *[x.id for x in src])

    def isolate_clients(self, node, mode: str = "drop", seconds: float | None = None) -> None:
        """Clients can no longer reach ``node`` ("drop": their commands hang; "refuse": connections are
        closed); the bus and replication keep working.  Undo with :meth:`heal` or mode=None."""
        ref = self.node(node)
        args = ["CLIENTS", "ALLOW" if mode is None else mode.upper()]
        if seconds:
            args.append(int(seconds))
        self._fault(ref, *args)

    def inject(self, node=None, where=None, reply: str = "MOVED", count: int = 1, to=None) -> None:
        """The next ``count`` commands (-1: until cleared) on a slot (int) or key (str/bytes) served by
        ``node`` (default: the slot's owner) get ``reply``: MOVED, ASK, TRYAGAIN, CLUSTERDOWN or LOADING.
        MOVED/ASK point ``to`` a node (default: the slot's owner)."""
        if where is None:
            raise ValueError("inject needs a slot or a key")
        if isinstance(where, int):
            target_args = [where]
            slot = where
        else:
            key = where.encode() if isinstance(where, str) else where
            target_args = ["KEY", key]
            slot = key_hash_slot(key)
        ref = self.node(node) if node is not None else self.slot_owner(slot)
        args = ["INJECT", *target_args, reply.upper(), "COUNT", count]
        if to is not None:
            if isinstance(to, tuple):
                args += ["TO", "%s:%d" % to]
            else:
                args += ["TO", self.node(to).addr]
        self._fault(ref, *args)

    def clear_injections(self, node=None) -> None:
        for n in ([self.node(node)] if node is not None else self.nodes):
            self._fault(n, "HEAL", "INJECT")

    def faults(self, node) -> list:
        """The faults in force on a node (PYREDIS FAULT LIST)."""
        return [text(x) for x in self.call(node, "PYREDIS", "FAULT", "LIST")]

    def failover(self, replica, force: bool = False, takeover: bool = False, wait: bool = True,
                 timeout: float = 30.0) -> None:
        """CLUSTER FAILOVER [FORCE|TAKEOVER] on ``replica``; with ``wait``, return once it is a master."""
        ref = self.node(replica)
        args = ["CLUSTER", "FAILOVER"]
        if force:
            args.append("FORCE")
        elif takeover:
            args.append("TAKEOVER")
        self.call(ref, *args)
        if wait:
            self.wait_for(lambda: self.role(ref) == "master", timeout, what="%r promoted" % ref)

    def migrate_slot(self, slot: int, to, keys="half") -> Migration:
        """Start migrating ``slot`` to master ``to`` and stop half-way: the source is MIGRATING, the
        target IMPORTING, and ``keys`` of the slot ("half", "all", "none", a number, or a list of keys)
        already moved.  So ASK (keys moved), TRYAGAIN (multi-key, split) and ASKING can all be reached.
        Returns a :class:`Migration`: ``.move(keys)``, ``.finish()``, ``.cancel()``."""
        dst = self.node(to)
        src = self.slot_owner(slot)
        if src is dst:
            raise ValueError("%r already owns slot %d" % (dst, slot))
        self.call(dst, "CLUSTER", "SETSLOT", slot, "IMPORTING", src.id)
        self.call(src, "CLUSTER", "SETSLOT", slot, "MIGRATING", dst.id)
        m = Migration(self, slot, src, dst)
        present = sorted(m.keys_at_source())
        if keys == "half":
            chosen = present[::2]
        elif keys == "all":
            chosen = present
        elif keys in ("none", None):
            chosen = []
        elif isinstance(keys, int):
            chosen = present[:keys]
        else:
            chosen = list(keys)
        m.move(chosen)
        return m

    # -- the event log ------------------------------------------------------------------------------------------

    def _fetch_events(self, ref: NodeRef) -> list:
        raw = self.call(ref, "PYREDIS", "EVENTS", 100000)
        return [(int(t), text(k), text(a), text(x)) for t, k, a, x in raw]

    def events(self, kind: str | None = None, node=None) -> list:
        """Every node's event log merged in time order (of the nodes running now, plus what killed nodes
        had logged before dying), as :class:`ClusterEvent`; ``kind`` and ``node`` (the observer) filter."""
        out = []
        for n in ([self.node(node)] if node is not None else self.nodes):
            evs = list(n.past_events)
            if n.alive and not n.paused:
                try:
                    evs += self._fetch_events(n)
                except (OSError, ConnectionError, ReplyError):
                    pass
            for t, k, a, x in evs:
                if kind is None or k == kind:
                    out.append(ClusterEvent(t, n, k, a, x, self._by_id(a)))
        out.sort(key=lambda e: (e.time, e.node.index))
        return out

    def event_log_text(self, kind: str | None = None) -> str:
        return "\n".join(str(e) for e in self.events(kind))

    # -- keeping a cluster between tests ---------------------------------------------------------------------------

    def reset(self, timeout: float = 30.0) -> None:
        """Back to a usable state: resume paused nodes, restart killed ones, lift every fault, end slot
        migrations, flush the data, wait until stable.  (Roles changed by failovers stay changed.)"""
        for n in self.nodes:
            if n.alive and n.paused:
                self.resume(n)
        for n in self.nodes:
            if not n.alive:
                self.restart(n)
        for n in self.nodes:
            self._fault(n, "HEAL", "ALL")
        for n in self.nodes:
            v = self.view(n)
            if v.role() != "master":
                continue
            line = text(self.call(n, "CLUSTER", "NODES"))
            for spec in (x for row in line.split("\n") if "myself" in row for x in row.split(" ")):
                if spec.startswith("["):  # [slot->-id] / [slot-<-id]: a migration left open
                    self.call(n, "CLUSTER", "SETSLOT", int(spec[1:].split("-")[0]), "STABLE")
            self.call(n, "FLUSHALL")
        self.wait_stable(timeout)

    # -- stopping ---------------------------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for t in self._timers:
            t.cancel()
        with self._conn_lock:
            conns, self._conns = list(self._conns.values()), {}
        for c in conns:
            c.close()
        try:
            self._shutdown()
        finally:
            for n in self.nodes:
                _release_port(n.port)
            if self._own_root and not self.keep_dirs:
                shutil.rmtree(self.root, ignore_errors=True)

    stop = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if not self._closed:
                self.close()
        except Exception:
            pass

    def __repr__(self):
        return "<%s cluster %d+%d %s>" % (self.mode, self.n_masters, self.n_masters * self.n_replicas,
                                          " ".join(n.addr for n in self.nodes))


# -- in-process: Node objects in one event loop in a background thread ---------------------------------------------


class _LoopThread:
    def __init__(self):
        try:
            import uvloop

            self.loop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover
            self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="pyredis-cluster-loop", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, fn, *args, timeout: float = 60.0):
        """Run ``fn(*args)`` (a plain function or a coroutine function) in the loop; return its result."""

        async def wrapper():
            r = fn(*args)
            if asyncio.iscoroutine(r):
                r = await r
            return r

        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop.is_closed():
            return

        async def cancel_all():
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.run(cancel_all, timeout=10)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()


class InProcessCluster(Cluster):
    mode = "inprocess"

    def _boot(self) -> None:
        self._lt = _LoopThread()

    def _config(self, ref: NodeRef):
        from ..config import Config

        cfg = Config()
        cfg.load_string("\n".join("%s %s" % kv for kv in self._directives(ref).items()) + "\n",
                        "<test cluster node %d>" % ref.index)
        return cfg

    def _start_nodes(self, refs: list, fresh: bool) -> None:
        from ..server.faults import Faults
        from ..server.node import Node
        from ..store.keyspace import now_ms

        configs = [(ref, self._config(ref)) for ref in refs]

        async def start_all():
            nodes = []
            for ref, cfg in configs:
                node = Node(cfg)
                if node.faults is None:
                    node.faults = Faults(node)
                node.faults.shared_loop = True
                if fresh and node.cluster is not None:
                    # A brand-new cluster: no earlier incarnation of this master can have been replaced,
                    # which is all CLUSTER_WRITABLE_DELAY waits for.
                    node.cluster.first_update_time = now_ms() - CLUSTER_WRITABLE_DELAY
                nodes.append(node)
            for node in nodes:
                await node.start()
            for node in nodes:  # the first clusterCron now rather than in 100 ms: links, replication, state
                if node.bus is not None:
                    node.cluster.on_tick(now_ms())
                    node.bus.flush()
            return nodes

        nodes = self._lt.run(start_all)
        for ref, node in zip(refs, nodes):
            ref.node = node
            ref.alive = True
            ref.paused = False

    def _kill_node(self, ref: NodeRef) -> None:
        node = ref.node

        async def kill():
            f = node.faults
            if f is not None:
                f.heal_bus()
                f.frozen = False
                for h in list(f._timers.values()):
                    h.cancel()
            await node.stop()
            node.repl.stop()

        self._lt.run(kill)

    def _pause_node(self, ref: NodeRef, seconds) -> None:
        self._lt.run(ref.node.faults.freeze, seconds)

    def _resume_node(self, ref: NodeRef) -> None:
        self._lt.run(ref.node.faults.thaw)

    def stable(self):
        """As :meth:`Cluster.stable`, read straight from the nodes' states in their event loop (no
        sockets, no text to parse: cheap enough to poll every few milliseconds)."""
        from ..cluster.messages import NODE_FAIL, NODE_HANDSHAKE, NODE_NOADDR, NODE_PFAIL

        alive = [n for n in self.nodes if n.alive and not n.paused]

        def check():
            if not alive:
                return False, "no running node"
            topo = None
            for n in alive:
                node = n.node
                cs = node.cluster
                if cs.state != 0:
                    return False, "%r: cluster_state fail" % n
                mine = {}
                for m in alive:
                    cn = cs.nodes.get(m.id)
                    if cn is None:
                        return False, "%r does not know %r" % (n, m)
                    if cn.flags & (NODE_FAIL | NODE_PFAIL | NODE_HANDSHAKE | NODE_NOADDR):
                        return False, "%r sees %r failing or unknown" % (n, m)
                    mine[m.id] = (cn.is_master, cn.replicaof.name if cn.replicaof is not None else None,
                                  bytes(cn.slots))
                link = node.repl.link
                if link is not None and not link.connected:
                    return False, "%r: replication link down" % n
                if topo is None:
                    topo = mine
                    if sum(cs.nodes[i].numslots for i, (is_m, _, _) in mine.items() if is_m) != CLUSTER_SLOTS:
                        return False, "%r: running masters do not serve every slot" % n
                elif mine != topo:
                    return False, "%r and %r disagree on the topology" % (alive[0], n)
            return True, ""

        return self._lt.run(check)

    def run_in_loop(self, fn, *args):
        """Run ``fn(*args)`` in the cluster's event loop (to look at ``NodeRef.node`` objects safely)."""
        return self._lt.run(fn, *args)

    def _shutdown(self) -> None:
        lt = getattr(self, "_lt", None)
        if lt is None:
            return
        alive = [n for n in self.nodes if n.alive and n.node is not None]
        for n in alive:
            try:
                self._kill_node(n)
            except Exception:
                pass
            n.alive = False
        lt.stop()


# -- processes: one pyredis-server per node --------------------------------------------------------------------------


class _Forked:
    """A node forked by the launcher (not our child: watched with kill(pid, 0), reaped by the launcher)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("node %d" % self.pid, timeout)
            time.sleep(0.005)
        return self.returncode


class ProcessCluster(Cluster):
    """One pyredis-server process per node.  By default the processes are forked by a launcher that
    imported the server once (:mod:`.launcher`); ``server=[...]`` runs that command line instead
    (e.g. ``["pyredis-server"]``), each node a fresh interpreter."""

    mode = "process"

    def __init__(self, *args, server: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.server = server
        self._launcher = None

    def _directive_args(self, ref: NodeRef) -> list:
        out = []
        for k, v in self._directives(ref).items():
            out += ["--" + k, "" if v == '""' else str(v)]
        return out

    def _env(self) -> dict:
        pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return dict(os.environ, PYTHONPATH=pkg_root + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def _launch(self, ref: NodeRef, fresh: bool = False):
        log = os.path.join(ref.workdir, "stderr.log")
        if self.server is not None:
            err = open(log, "ab")
            try:
                return subprocess.Popen(list(self.server) + self._directive_args(ref), cwd=ref.workdir,
                                        stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT, env=self._env())
            finally:
                err.close()
        if self._launcher is None or self._launcher.poll() is not None:
            err = open(os.path.join(self.root, "launcher.log"), "ab")
            try:
                self._launcher = subprocess.Popen([sys.executable, "-m", "pyredis_cluster.testing.launcher"],
                                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                                  env=self._env(), text=True, bufsize=1)
            finally:
                err.close()
        import json

        self._launcher.stdin.write(json.dumps({"args": self._directive_args(ref), "cwd": ref.workdir,
                                               "log": log, "fresh": fresh}) + "\n")
        self._launcher.stdin.flush()
        line = self._launcher.stdout.readline()
        if not line:
            raise RuntimeError("the node launcher died (see %s)" % os.path.join(self.root, "launcher.log"))
        return _Forked(int(line))

    def _start_nodes(self, refs: list, fresh: bool) -> None:
        for ref in refs:
            ref.proc = self._launch(ref, fresh)
            ref.alive = True
            ref.paused = False
        deadline = time.monotonic() + 30
        for ref in refs:
            while True:
                if ref.proc.poll() is not None:
                    log = self.log(ref)[-3000:]
                    if "already in use" in log:
                        raise OSError("port of %r already in use" % ref)
                    raise RuntimeError("node %r exited with code %s:\n%s" % (ref, ref.proc.returncode, log))
                try:
                    with Conn(ref.host, ref.port, timeout=1) as c:
                        c.call("PING")
                    break
                except (OSError, ConnectionError, ReplyError):
                    if time.monotonic() > deadline:
                        raise TimeoutError("node %r did not start" % ref) from None
                    time.sleep(0.01)

    def log(self, node) -> str:
        ref = self.node(node)
        out = ""
        for name in ("stderr.log", "node.log"):
            try:
                with open(os.path.join(ref.workdir, name), errors="replace") as f:
                    out += f.read()
            except OSError:
                pass
        return out

    def _kill_node(self, ref: NodeRef) -> None:
        p = ref.proc
        if p is not None and p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(10)

    def _pause_node(self, ref: NodeRef, seconds) -> None:
        os.kill(ref.proc.pid, signal.SIGSTOP)
        if seconds is not None:
            t = threading.Timer(seconds, self._cont, (ref, ref.proc))
            t.daemon = True
            t.start()
            self._timers.append(t)

    def _cont(self, ref: NodeRef, proc) -> None:
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def _resume_node(self, ref: NodeRef) -> None:
        self._cont(ref, ref.proc)

    def _shutdown(self) -> None:
        for n in self.nodes:
            p = n.proc
            if p is None or p.poll() is not None:
                continue
            try:
                os.kill(p.pid, signal.SIGCONT)
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for n in self.nodes:
            if n.proc is not None:
                try:
                    n.proc.wait(10)
                except subprocess.TimeoutExpired:
                    pass
            n.alive = False
        if self._launcher is not None:
            try:
                self._launcher.stdin.close()
                self._launcher.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self._launcher.kill()
            self._launcher.stdout.close()


# -- the entry point -----------------------------------------------------------------------------------------------------


def start_cluster(masters: int = 3, replicas: int = 1, mode: str = "inprocess", base_port: int = 0,
                  node_timeout_ms: int = DEFAULT_NODE_TIMEOUT, wait: bool = True, timeout: float = 30.0, **kwargs):
    """Start a cluster of ``masters`` masters with ``replicas`` replicas each and return its handle.

    ``mode``: "inprocess" (Node objects in a background event loop), "process" (pyredis-server
    processes) or "sim" (the deterministic simulation: ``seed=``, virtual clock, no data).
    ``base_port``: 0 picks free ports (port and port+10000 free); else nodes use base_port, +1, ...
    Other keyword arguments: ``create`` ("conf": write nodes.conf files, ready at once; "meet": form the
    cluster with CLUSTER ADDSLOTSRANGE/MEET/REPLICATE as redis-cli would), ``config`` (more directives
    for every node, e.g. ``{"cluster-require-full-coverage": "no"}``), ``keep_dirs``, ``workdir``,
    ``server`` (process mode: the command line of the node program).
    """
    if mode == "sim":
        from .sim import SimCluster

        return SimCluster(masters=masters, replicas=replicas, node_timeout_ms=node_timeout_ms, **kwargs).start(
            wait=wait, timeout=timeout)
    classes = {"inprocess": InProcessCluster, "process": ProcessCluster}
    if mode not in classes:
        raise ValueError("mode must be 'inprocess', 'process' or 'sim'")
    last = None
    for attempt in range(3):
        c = classes[mode](masters=masters, replicas=replicas, node_timeout_ms=node_timeout_ms, base_port=base_port,
                          **kwargs)
        try:
            return c.start(wait=wait, timeout=timeout)
        except OSError as e:  # a port taken between the check and the bind (parallel CI): new ports
            last = e
            if base_port:
                raise
    raise last
