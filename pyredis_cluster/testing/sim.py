"""The deterministic simulation (:mod:`.simulation`) behind the test-cluster API.

    c = start_cluster(masters=3, replicas=1, mode="sim", seed=7)
    m = c.masters()[0]
    r = c.replicas_of(m)[0]
    c.kill(m)
    c.wait_for(lambda: c.role(r) == "master", timeout=30)   # virtual seconds: returns at once
    print(c.now, c.event_log_text("election-won"))           # the same numbers on every run with seed 7

Same names as :class:`.cluster.Cluster` -- kill, restart, pause, resume, cut, partition, heal, delay_bus,
failover, wait_stable, wait_for, events, masters, replicas_of, role, slot_owner -- so a scenario written
against the API runs here (exactly reproducible, in milliseconds) and on real nodes (for realism).
Time is virtual: ``timeout`` and ``seconds`` arguments are virtual seconds, and ``step()`` /
``advance(ms)`` move the clock by hand.  Nodes are sans-IO cluster states without data: clients,
``inject``, ``migrate_slot`` and ``isolate_clients`` need a real cluster.

A paused node here neither ticks nor receives (messages sent to it are lost, not queued as a stopped
process's socket buffers would hold them).
"""

from __future__ import annotations

from ..cluster.messages import NODE_FAIL, NODE_HANDSHAKE, NODE_NOADDR, NODE_PFAIL
from ..cluster.slots import CLUSTER_SLOTS, key_hash_slot
from .cluster import ClusterEvent, _node_list, keys_in_slot, slot_of
from .simulation import Simulation


class SimCluster:
    mode = "sim"

    def __init__(self, masters: int = 3, replicas: int = 1, node_timeout_ms: int = 2000, seed: int = 0,
                 latency_ms: int = 1, **unused):
        self.n_masters = masters
        self.n_replicas = replicas
        self.seed = seed
        self.sim = Simulation(seed=seed, node_timeout=node_timeout_ms, latency_ms=latency_ms)
        self.nodes: list = []
        self.started_in = None

    # -- building -------------------------------------------------------------------------------------------

    def start(self, wait: bool = True, timeout: float = 60.0) -> "SimCluster":
        sim = self.sim
        t0 = sim.now
        m = self.n_masters
        self.nodes = sim.add_nodes(m * (1 + self.n_replicas))
        masters = self.nodes[:m]
        for i, node in enumerate(masters):
            sim.set_config_epoch(node, i + 1)
            sim.assign_slots(node, i * CLUSTER_SLOTS // m, (i + 1) * CLUSTER_SLOTS // m - 1)
        for n in self.nodes[1:]:
            sim.meet(self.nodes[0], n)
        if not sim.run_until(sim.all_know_each_other, int(timeout * 1000)):
            raise TimeoutError("simulated nodes did not meet")
        for k, r in enumerate(self.nodes[m:]):
            sim.replicate(r, masters[k % m])
        if wait:
            self.wait_stable(timeout)
        self.started_in = (sim.now - t0) / 1000.0
        return self

    # -- the clock ----------------------------------------------------------------------------------------------

    @property
    def now(self) -> int:
        """Virtual time, ms."""
        return self.sim.now

    def step(self) -> bool:
        """Run the next scheduled thing (a tick, a delivery ...); False when nothing is scheduled."""
        return self.sim.step()

    def advance(self, ms: int) -> None:
        """Run everything due in the next ``ms`` virtual milliseconds."""
        self.sim.advance(ms)

    def wait_for(self, predicate, timeout: float = 30.0, interval=None, what: str | None = None):
        """Run the virtual clock until ``predicate()`` is true (at most ``timeout`` virtual seconds)."""
        result = []

        def check():
            r = predicate()
            if r:
                result.append(r)
            return bool(r)

        if not self.sim.run_until(check, int(timeout * 1000)):
            raise TimeoutError("timed out after %.1f virtual s waiting for %s"
                               % (timeout, what or getattr(predicate, "__name__", "condition")))
        return result[-1] if result else True

    def stable(self):
        alive = [n for n in self.nodes if n.alive and not n.paused]
        topo = None
        for n in alive:
            st = n.state
            if st.state != 0:
                return False, "%r: cluster_state fail" % n
            mine = {}
            for m in alive:
                cn = st.nodes.get(m.name)
                if cn is None:
                    return False, "%r does not know %r" % (n, m)
                if cn.flags & (NODE_FAIL | NODE_PFAIL | NODE_HANDSHAKE | NODE_NOADDR):
                    return False, "%r sees %r failing or unknown" % (n, m)
                mine[m.name] = (cn.is_master, cn.replicaof.name if cn.replicaof is not None else None,
                                tuple(cn.slot_list()))
            if topo is None:
                topo = mine
                if sum(len(s) for is_m, _, s in mine.values() if is_m) != CLUSTER_SLOTS:
                    return False, "%r: running masters do not serve every slot" % n
            elif mine != topo:
                return False, "%r and %r disagree on the topology" % (alive[0], n)
        return (True, "") if alive else (False, "no running node")

    def wait_stable(self, timeout: float = 30.0) -> None:
        if not self.sim.run_until(lambda: self.stable()[0], int(timeout * 1000)):
            raise TimeoutError("simulated cluster not stable after %.1f virtual s: %s" % (timeout, self.stable()[1]))

    # -- what the cluster looks like ------------------------------------------------------------------------------

    def node(self, which):
        if not isinstance(which, (int, str)):
            return which
        for n in self.nodes:
            if which == n.index or which == n.name or (isinstance(which, str) and len(which) >= 6
                                                       and n.name.startswith(which)):
                return n
        raise KeyError("no node %r in this cluster" % (which,))

    def _by_id(self, name):
        for n in self.nodes:
            if n.name == name:
                return n
        return None

    def _observer(self, observer=None):
        if observer is not None:
            return self.node(observer)
        for n in self.nodes:
            if n.alive and not n.paused:
                return n
        raise RuntimeError("no running node to ask")

    def role(self, node):
        n = self.node(node)
        if not n.alive or n.paused:
            return None
        return "master" if n.state.myself.is_master else "replica"

    def masters(self, observer=None) -> list:
        st = self._observer(observer).state
        return [self._by_id(cn.name) for cn in st.nodes.values() if cn.is_master and cn.numslots
                and self._by_id(cn.name) is not None]

    def replicas(self, observer=None) -> list:
        st = self._observer(observer).state
        return [self._by_id(cn.name) for cn in st.nodes.values() if cn.is_replica and self._by_id(cn.name)]

    def replicas_of(self, master, observer=None) -> list:
        m = self.node(master)
        st = self._observer(observer).state
        return [self._by_id(cn.name) for cn in st.nodes.values()
                if cn.replicaof is not None and cn.replicaof.name == m.name]

    def master_of(self, replica, observer=None):
        r = self.node(replica)
        cn = self._observer(observer).state.nodes.get(r.name)
        return self._by_id(cn.replicaof.name) if cn is not None and cn.replicaof is not None else None

    def slot_owner(self, slot: int, observer=None):
        n = self._observer(observer).state.slots[slot]
        if n is None:
            raise LookupError("slot %d is not served" % slot)
        return self._by_id(n.name)

    def owner_of_key(self, key, observer=None):
        return self.slot_owner(key_hash_slot(key.encode() if isinstance(key, str) else key), observer)

    keys_in_slot = staticmethod(keys_in_slot)
    slot_of = staticmethod(slot_of)

    # -- actions --------------------------------------------------------------------------------------------------

    def kill(self, node) -> None:
        n = self.node(node)
        if n.alive:
            self.sim.kill(n)

    def restart(self, node, wait: bool = True) -> None:
        self.sim.restart(self.node(node))

    def pause(self, node, seconds: float | None = None) -> None:
        n = self.node(node)
        n.paused = True
        if seconds is not None:
            self.sim._schedule(int(seconds * 1000), self.resume, n)

    def resume(self, node) -> None:
        self.node(node).paused = False

    def cut(self, a, b, one_way: bool = False) -> None:
        for x in _node_list(a):
            for y in _node_list(b):
                self.sim.block(self.node(x), self.node(y), both_ways=not one_way)

    def partition(self, *groups) -> None:
        if len(groups) == 1 and groups[0] and all(isinstance(g, (list, tuple, set)) for g in groups[0]):
            groups = tuple(groups[0])
        groups = [[self.node(x) for x in _node_list(g)] for g in groups]
        listed = {n.index for g in groups for n in g}
        rest = [n for n in self.nodes if n.index not in listed]
        if rest:
            groups.append(rest)
        for i, g in enumerate(groups):
            for j, h in enumerate(groups):
                if i < j:
                    self.cut(g, h)

    def heal(self, a=None, b=None) -> None:
        if a is None:
            self.sim.heal()
            return
        for x in _node_list(a):
            for y in _node_list(b):
                self.sim.unblock(self.node(x), self.node(y))

    def delay_bus(self, a, b, ms: int, one_way: bool = False) -> None:
        for x in _node_list(a):
            for y in _node_list(b):
                self.sim.delay(self.node(x), self.node(y), ms)
                if not one_way:
                    self.sim.delay(self.node(y), self.node(x), ms)

    def failover(self, replica, force: bool = False, takeover: bool = False, wait: bool = True,
                 timeout: float = 30.0) -> None:
        """CLUSTER FAILOVER [FORCE|TAKEOVER] on a simulated replica."""
        n = self.node(replica)
        st = n.state
        me = st.myself
        if me.is_master:
            raise ValueError("You should send CLUSTER FAILOVER to a replica")
        if not force and not takeover and (me.replicaof is None or me.replicaof.failed or me.replicaof.link is None):
            raise ValueError("Master is down or failed, please use CLUSTER FAILOVER FORCE")
        st.failover_hooks.manual_failover(st, self.sim.now, force, takeover)
        self.sim._flush(n)
        if wait:
            self.wait_for(lambda: n.state.myself.is_master, timeout, what="%r promoted" % n)

    def _no_data(self, *a, **k):
        raise NotImplementedError("the simulation has cluster states only (no data, no clients): use "
                                  "mode='inprocess' or mode='process' for this")

    client = async_client = inject = clear_injections = migrate_slot = isolate_clients = _no_data

    # -- the event log ---------------------------------------------------------------------------------------------

    def events(self, kind: str | None = None, node=None) -> list:
        observer = self.node(node) if node is not None else None
        out = []
        for t, i, ev in self.sim.log:
            if kind is not None and ev.kind != kind:
                continue
            n = self.nodes[i] if i < len(self.nodes) else None
            if observer is not None and n is not observer:
                continue
            out.append(ClusterEvent(t, n, ev.kind, ev.node, ev.text, self._by_id(ev.node)))
        return out

    def event_log_text(self, kind: str | None = None) -> str:
        return "\n".join(str(e) for e in self.events(kind))

    # -- stopping -------------------------------------------------------------------------------------------------

    def reset(self, timeout: float = 30.0) -> None:
        for n in self.nodes:
            n.paused = False
            if not n.alive:
                self.restart(n)
        self.sim.heal()
        self.wait_stable(timeout)

    def close(self) -> None:
        pass

    stop = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<sim cluster %d+%d seed %d at %d ms>" % (self.n_masters, self.n_masters * self.n_replicas,
                                                        self.seed, self.sim.now)
