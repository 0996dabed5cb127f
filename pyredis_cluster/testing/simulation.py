"""A deterministic simulation of a cluster: N sans-IO :class:`ClusterState` nodes on a virtual clock and
a virtual network (DESIGN.md rule 1).

Every message really goes through the bus codec (encode -> bytes -> decode), so what is simulated is the
protocol itself; only sockets and time are virtual.  Tests can drop, delay and partition messages
between chosen pairs of nodes, kill and restart nodes, and read the event log.  The same seed gives the
same run, message for message.

    sim = Simulation(seed=1)
    a, b, c = sim.add_nodes(3)
    sim.meet(a, b); sim.meet(a, c)
    sim.run_until(lambda: sim.all_know_each_other(), timeout_ms=10_000)
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

from ..cluster import messages
from ..cluster.actions import CloseLink, Connect, Send
from ..cluster.state import ClusterConfig, ClusterState, Host

TICK_MS = 100


class SimHost(Host):
    """The data side of a simulated node: a replication offset the test sets, and a record of the
    replication changes the core asked for."""

    def __init__(self):
        self.offset = 0
        self.replicating_from = None
        self.paused_until = 0

    def repl_offset(self) -> int:
        return self.offset

    def replicate_from(self, node) -> None:
        self.replicating_from = node.name if node is not None else None

    def pause_writes(self, until_ms: int) -> None:
        self.paused_until = until_ms

    def unpause_writes(self) -> None:
        self.paused_until = 0


@dataclass(eq=False)
class SimNode:
    index: int
    ip: str
    port: int
    state: ClusterState
    alive: bool = True
    paused: bool = False
    links: dict = field(default_factory=dict)  # my Link -> (peer SimNode, peer Link)

    @property
    def name(self) -> str:
        return self.state.myself.name

    @property
    def cport(self) -> int:
        return self.port + 10000

    @property
    def id(self) -> str:
        """The node id (the same as ``name``: the test-cluster API calls it ``id``)."""
        return self.state.myself.name

    def __repr__(self):
        return "<SimNode %d %s>" % (self.index, self.name[:8])


class Simulation:
    def __init__(self, seed: int = 0, node_timeout: int = 2000, latency_ms: int = 1):
        self.rng = random.Random(seed)
        self.now = 1_000_000  # ms; any origin works, but not 0 (0 means "never" in the state)
        self.node_timeout = node_timeout
        self.latency = latency_ms
        self.nodes: list = []
        self._queue: list = []
        self._seq = 0
        self.blocked: set = set()  # (from index, to index): messages dropped, connects refused
        self.delays: dict = {}  # (from index, to index) -> extra ms
        self.log: list = []  # (time, node index, Event)
        self.delivered = 0
        self.dropped = 0

    # -- building the cluster -------------------------------------------------------------------

    def add_node(self, **config) -> SimNode:
        i = len(self.nodes)
        port = 30000 + i
        cfg = ClusterConfig(port=port, cport=port + 10000, node_timeout=self.node_timeout, **config)
        st = ClusterState(cfg, host=SimHost(), rng=random.Random(self.rng.getrandbits(64)),
                          name="%040x" % self.rng.getrandbits(160), now=self.now)
        node = SimNode(i, "127.0.0.1", port, st)
        st.event_listeners.append(lambda ev, idx=i: self.log.append((ev.time, idx, ev)))
        self.nodes.append(node)
        # clusterCron runs every 100 ms, starting at a random offset per node
        self._schedule(self.rng.randrange(TICK_MS), self._tick, node)
        return node

    def add_nodes(self, n: int, **config) -> list:
        return [self.add_node(**config) for _ in range(n)]

    def meet(self, a: SimNode, b: SimNode) -> None:
        """CLUSTER MEET b on a."""
        a.state.start_handshake(b.ip, b.port, b.cport, self.now)
        self._flush(a)

    def assign_slots(self, node: SimNode, start: int, end: int) -> None:
        """CLUSTER ADDSLOTSRANGE on ``node``."""
        st = node.state
        for s in range(start, end + 1):
            st.add_slot(st.myself, s)
        from ..cluster.state import TODO_SAVE_CONFIG, TODO_UPDATE_STATE

        st.todo(TODO_UPDATE_STATE | TODO_SAVE_CONFIG)
        self._flush(node)

    def replicate(self, replica: SimNode, master: SimNode) -> None:
        """CLUSTER REPLICATE master on ``replica`` (it must already know the master)."""
        st = replica.state
        st.set_my_master(st.nodes[master.name], self.now)
        from ..cluster.state import TODO_SAVE_CONFIG, TODO_UPDATE_STATE

        st.todo(TODO_UPDATE_STATE | TODO_SAVE_CONFIG)
        self._flush(replica)

    def set_config_epoch(self, node: SimNode, epoch: int) -> None:
        node.state.myself.config_epoch = epoch
        node.state.current_epoch = max(node.state.current_epoch, epoch)

    # -- faults ------------------------------------------------------------------------------------

    def partition(self, *groups) -> None:
        """Only nodes in the same group can talk."""
        where = {}
        for gi, g in enumerate(groups):
            for n in g:
                where[n.index] = gi
        self.blocked = set()
        for a in self.nodes:
            for b in self.nodes:
                if a is not b and where.get(a.index, -1) != where.get(b.index, -2):
                    self.blocked.add((a.index, b.index))
        self._cut_blocked_links()

    def block(self, a: SimNode, b: SimNode, both_ways: bool = True) -> None:
        self.blocked.add((a.index, b.index))
        if both_ways:
            self.blocked.add((b.index, a.index))
        self._cut_blocked_links()

    def heal(self) -> None:
        self.blocked = set()
        self.delays = {}

    def unblock(self, a: SimNode, b: SimNode, both_ways: bool = True) -> None:
        """Undo :meth:`block` (and any delay) between two nodes."""
        for pair in ((a.index, b.index), (b.index, a.index)) if both_ways else ((a.index, b.index),):
            self.blocked.discard(pair)
            self.delays.pop(pair, None)

    def delay(self, a: SimNode, b: SimNode, ms: int) -> None:
        self.delays[(a.index, b.index)] = ms

    def kill(self, node: SimNode) -> None:
        """The process dies: its connections reset, it stops ticking."""
        node.alive = False
        # what it last saved (Redis saves nodes.conf after every change): restart() starts from it
        from ..cluster import nodes_conf

        node.saved_config = nodes_conf.config_text(node.state)
        for link, (peer, peer_link) in list(node.links.items()):
            self._close_pair(node, link)

    def restart(self, node: SimNode) -> None:
        """A killed node starts again: same id and address, the state it had saved (its nodes.conf),
        fresh links, a new random seed drawn from the simulation's."""
        if node.alive:
            self.kill(node)
        import os
        import tempfile

        from ..cluster import nodes_conf

        old = node.state
        st = ClusterState(old.config, host=SimHost(), rng=random.Random(self.rng.getrandbits(64)),
                          name=old.myself.name, now=self.now)
        fd, path = tempfile.mkstemp(prefix="sim-nodes-", suffix=".conf")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(getattr(node, "saved_config", None) or nodes_conf.config_text(old))
            nodes_conf.load(st, path, self.now)
        finally:
            os.unlink(path)
        st.host.offset = old.host.offset
        st.event_listeners.append(lambda ev, idx=node.index: self.log.append((ev.time, idx, ev)))
        node.state = st
        node.links = {}
        node.alive = True
        node.paused = False
        self._schedule(self.rng.randrange(TICK_MS), self._tick, node, st)

    def _cut_blocked_links(self) -> None:
        # A partition does not close TCP connections: messages just stop arriving (like iptables DROP).
        pass

    # -- the event loop ------------------------------------------------------------------------------

    def _schedule(self, delay: int, fn, *args) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (self.now + delay, self._seq, fn, args))

    def step(self) -> bool:
        if not self._queue:
            return False
        t, _, fn, args = heapq.heappop(self._queue)
        self.now = max(self.now, t)
        fn(*args)
        return True

    def advance(self, ms: int) -> None:
        end = self.now + ms
        while self._queue and self._queue[0][0] <= end:
            self.step()
        self.now = end

    def run_until(self, predicate, timeout_ms: int = 60_000) -> bool:
        end = self.now + timeout_ms
        while self.now <= end:
            if predicate():
                return True
            if not self._queue or self._queue[0][0] > end:
                break
            self.step()
        self.now = min(self.now, end)
        return predicate()

    def _tick(self, node: SimNode, state=None) -> None:
        if not node.alive or (state is not None and node.state is not state):
            return  # dead, or a tick of an earlier incarnation (killed and restarted since)
        if not node.paused:
            node.state.on_tick(self.now)
            self._flush(node)
        self._schedule(TICK_MS, self._tick, node, node.state)

    def _flush(self, node: SimNode) -> None:
        """before_sleep, then perform the node's actions."""
        st = node.state
        st.before_sleep(self.now)
        for action in st.drain():
            t = type(action)
            if t is Send:
                self._send(node, action.link, action.msg)
            elif t is Connect:
                self._connect(node, action)
            elif t is CloseLink:
                self._close_pair(node, action.link, notify_self=False)

    def _find(self, ip: str, cport: int):
        for n in self.nodes:
            if n.ip == ip and n.cport == cport:
                return n
        return None

    def _connect(self, node: SimNode, action: Connect) -> None:
        target = self._find(action.ip, action.port)
        link = action.link
        if target is None or not target.alive or (node.index, target.index) in self.blocked:
            self._schedule(self.latency, self._connect_failed, node, link)
            return
        self._schedule(self.latency, self._connected, node, link, target)

    def _connect_failed(self, node: SimNode, link) -> None:
        if node.alive:
            node.state.on_link_closed(link, self.now)
            self._flush(node)

    def _connected(self, node: SimNode, link, target: SimNode) -> None:
        if not node.alive or link.closed:
            return
        if not target.alive:
            self._connect_failed(node, link)
            return
        peer_link = target.state.accept_link(self.now, peer_ip=node.ip, local_ip=target.ip)
        node.links[link] = (target, peer_link)
        target.links[peer_link] = (node, link)
        node.state.on_link_connected(link, self.now, local_ip=node.ip, peer_ip=target.ip)
        self._flush(node)

    def _send(self, node: SimNode, link, msg) -> None:
        pair = node.links.get(link)
        if pair is None:
            return  # not connected yet: Redis would queue it; the connect handler sends a fresh PING
        peer, peer_link = pair
        data = messages.encode(msg)
        if (node.index, peer.index) in self.blocked:
            self.dropped += 1
            return
        delay = self.latency + self.delays.get((node.index, peer.index), 0)
        self._schedule(delay, self._deliver, peer, peer_link, data)

    def _deliver(self, node: SimNode, link, data: bytes) -> None:
        if not node.alive or link.closed or node.paused:
            return
        self.delivered += 1
        msg = messages.decode(data)
        node.state.on_message(link, msg, self.now)
        self._flush(node)

    def _close_pair(self, node: SimNode, link, notify_self: bool = True) -> None:
        pair = node.links.pop(link, None)
        if notify_self and node.alive:
            node.state.on_link_closed(link, self.now)
        if pair is not None:
            peer, peer_link = pair
            peer.links.pop(peer_link, None)
            if peer.alive:
                self._schedule(self.latency, self._peer_closed, peer, peer_link)

    def _peer_closed(self, node: SimNode, link) -> None:
        if node.alive:
            node.state.on_link_closed(link, self.now)
            self._flush(node)

    # -- questions tests ask ------------------------------------------------------------------------

    def all_know_each_other(self, nodes=None) -> bool:
        nodes = [n for n in (nodes or self.nodes) if n.alive]
        names = {n.name for n in nodes}
        for n in nodes:
            known = {k for k, v in n.state.nodes.items() if not v.in_handshake}
            if not names <= known:
                return False
        return True

    def flags_of(self, observer: SimNode, about: SimNode) -> int:
        node = observer.state.nodes.get(about.name)
        return node.flags if node is not None else 0

    def events(self, kind: str | None = None) -> list:
        return [(t, i, ev) for t, i, ev in self.log if kind is None or ev.kind == kind]

    def event_log_text(self) -> str:
        return "\n".join("%d %d %s %s %s" % (t, i, ev.kind, ev.node[:8], ev.text) for t, i, ev in self.log)
