"""Record a scenario played on the deterministic simulation, for ``pyredis-cluster dashboard --replay``.

    python -m pyredis_cluster.testing.recording failover --seed 7 -o failover.json
    pyredis-cluster dashboard --replay failover.json

A :class:`Recorder` watches a :class:`~.simulation.Simulation`: after every step that changed something it
stores a *frame* -- the virtual time, what each node would answer to CLUSTER NODES / CLUSTER INFO (the
same observations the live dashboard polls, see ``cli/dashboard_model.py``), and the events the nodes
logged since the previous frame.  Same seed, same file, byte for byte: the simulation is deterministic
and the recorder draws no random numbers.

Scenarios (``SCENARIOS``): ``failover`` (kill a master, watch the election, restart it), ``lose-majority``
(kill two of three masters: no election can be won), ``partition`` (a master cut off in a minority is
replaced, then learns it from an UPDATE when the partition heals), ``manual-failover`` (CLUSTER FAILOVER).
"""

from __future__ import annotations

import argparse
import json
import sys

from ..cluster import nodes_conf
from ..cluster.state import CLUSTER_OK
from .sim import SimCluster

FORMAT = "pyredis-cluster-scenario"
CHECK_EVERY_MS = 100


def observe(sim_node) -> dict:
    """What the live dashboard would read from this node (its poll), from the sans-IO state."""
    addr = "%s:%d" % (sim_node.ip, sim_node.port)
    if not sim_node.alive or sim_node.paused:
        return {"addr": addr, "up": False}
    st = sim_node.state
    lines = []
    for line in nodes_conf.nodes_description(st).splitlines():
        f = line.split(" ")
        if len(f) > 5:
            f[4] = f[5] = "0"  # ping-sent / pong-recv times: noise for a replay
        lines.append(" ".join(f))
    me = st.myself
    my_epoch = me.replicaof.config_epoch if me.is_replica and me.replicaof is not None else me.config_epoch
    info = {"cluster_state": "ok" if st.state == CLUSTER_OK else "fail", "cluster_current_epoch": st.current_epoch,
            "cluster_my_epoch": my_epoch, "cluster_known_nodes": len(st.nodes), "cluster_size": st.size}
    role = "slave" if me.is_replica else "master"
    # A simulated node holds no data: it has no replication offset to show (the page shows "–", not 0)
    server = {"role": role}
    return {"addr": addr, "up": True, "nodes": "\n".join(lines) + "\n", "info": info, "server": server,
            "ops": None, "impl": "sim", "events": []}


class Recorder:
    def __init__(self, sim, title: str = "", description: str = "", seed=None):
        self.sim = sim
        self.title = title
        self.description = description
        self.seed = seed
        self.frames: list = []
        self._last: list = []
        self._log_pos = 0
        self._next_check = sim.now
        self._mark = None
        step = sim.step

        def recorded_step():  # every way the simulation moves (step, advance, run_until) goes through here
            more = step()
            self._after_step()
            return more

        sim.step = recorded_step

    def _after_step(self) -> None:
        if len(self.sim.log) > self._log_pos or self.sim.now >= self._next_check:
            self.frame()

    def mark(self, text: str) -> None:
        """A chapter title ("SIGKILL the master ..."), shown by the replay from this frame on."""
        self._mark = text
        self.frame()

    def frame(self) -> None:
        sim = self.sim
        self._next_check = sim.now + CHECK_EVERY_MS
        obs = [observe(n) for n in sim.nodes]
        events = [[t, i, ev.kind, ev.node, ev.text] for t, i, ev in sim.log[self._log_pos:]]
        self._log_pos = len(sim.log)
        changed = [o if (k >= len(self._last) or self._last[k] != o) else None for k, o in enumerate(obs)]
        if not events and self._mark is None and all(c is None for c in changed):
            return
        self._last = obs
        self.frames.append({"t": sim.now, "obs": changed, "events": events, "mark": self._mark})
        self._mark = None

    def data(self) -> dict:
        self.frame()
        nodes = [{"index": n.index, "addr": "%s:%d" % (n.ip, n.port), "id": n.name} for n in self.sim.nodes]
        # a node added after the first frame has no observation in the earlier ones: fill with "down"
        for fr in self.frames:
            fr["obs"] += [None] * (len(nodes) - len(fr["obs"]))
        return {"format": FORMAT, "version": 1, "title": self.title, "description": self.description,
                "seed": self.seed, "node_timeout": self.sim.node_timeout, "nodes": nodes, "frames": self.frames}

    def dumps(self) -> str:
        return json.dumps(self.data(), sort_keys=True, separators=(",", ":"))

    def save(self, path: str) -> None:
        text = self.dumps()
        with open(path, "w") as f:
            f.write(text)


# -- scenarios ------------------------------------------------------------------------------------------------

def _cluster(seed, node_timeout, masters=3, replicas=1):
    c = SimCluster(masters, replicas, node_timeout_ms=node_timeout, seed=seed)
    return c


def failover(seed: int = 7, node_timeout: int = 2000) -> Recorder:
    c = _cluster(seed, node_timeout)
    rec = Recorder(c.sim, "kill a master, watch the election",
                   "3 masters, 3 replicas.  The first master is killed: PFAIL, failure reports, FAIL, its replica's "
                   "election (rank delay, vote requests, votes), promotion, then the old master returns as a "
                   "replica.", seed)
    rec.mark("creating the cluster: MEET, handshakes, ADDSLOTS, REPLICATE")
    c.start()
    m = c.masters()[0]
    r = c.replicas_of(m)[0]
    c.advance(1000)
    rec.mark("SIGKILL master %s (%s)" % (m.port, m.name[:8]))
    c.kill(m)
    c.wait_for(lambda: c.role(r) == "master", timeout=60)
    rec.mark("replica %s (%s) is the new master" % (r.port, r.name[:8]))
    c.advance(3000)
    rec.mark("restart %s: it comes back as a replica of %s" % (m.port, r.port))
    c.restart(m, wait=False)
    c.wait_for(lambda: c.role(m) == "replica", timeout=60)
    c.advance(2000)
    return rec


def lose_majority(seed: int = 7, node_timeout: int = 2000) -> Recorder:
    c = _cluster(seed, node_timeout)
    rec = Recorder(c.sim, "lose the majority of the masters",
                   "Two of three masters die: their replicas ask for votes, but one master cannot make a majority; "
                   "the cluster stops serving (cluster_state:fail) until the masters return.", seed)
    rec.mark("creating the cluster")
    c.start()
    a, b = c.masters()[:2]
    c.advance(1000)
    rec.mark("SIGKILL masters %s and %s" % (a.port, b.port))
    c.kill(a)
    c.kill(b)
    c.advance(node_timeout * 6)
    rec.mark("restart %s and %s" % (a.port, b.port))
    c.restart(a, wait=False)
    c.restart(b, wait=False)
    c.advance(node_timeout * 4)
    return rec


def partition(seed: int = 7, node_timeout: int = 2000) -> Recorder:
    c = _cluster(seed, node_timeout)
    rec = Recorder(c.sim, "a master in a minority partition",
                   "A master is cut off from everybody: the majority fails it over; the master, alone, turns "
                   "cluster_state:fail.  When the partition heals an UPDATE (higher configEpoch) makes it a replica.",
                   seed)
    rec.mark("creating the cluster")
    c.start()
    m = c.masters()[0]
    r = c.replicas_of(m)[0]
    c.advance(1000)
    rec.mark("partition: %s alone" % m.port)
    c.partition([m], [n for n in c.sim.nodes if n is not m])
    c.wait_for(lambda: c.role(r) == "master", timeout=60)
    c.advance(2000)
    rec.mark("heal the partition")
    c.heal()
    c.wait_for(lambda: m.state.myself.is_replica, timeout=60)
    c.advance(2000)
    return rec


def manual_failover(seed: int = 7, node_timeout: int = 2000) -> Recorder:
    c = _cluster(seed, node_timeout)
    rec = Recorder(c.sim, "CLUSTER FAILOVER on a replica",
                   "A manual failover: the replica asks its master to pause writes (MFSTART), waits for its "
                   "offset, then wins an election with FORCEACK votes; the old master becomes its replica.", seed)
    rec.mark("creating the cluster")
    c.start()
    m = c.masters()[0]
    r = c.replicas_of(m)[0]
    c.advance(1000)
    rec.mark("CLUSTER FAILOVER on replica %s" % r.port)
    c.failover(r, wait=True)
    c.advance(2000)
    return rec


def event_log_text(rec: Recorder) -> str:
    """The scenario's events, one line each: ``+seconds port kind reason`` (node ids as ports), and the
    chapter marks as ``== mark`` lines."""
    data = rec.data()
    ports = {n["id"]: n["addr"].rpartition(":")[2] for n in data["nodes"]}
    t0 = data["frames"][0]["t"] if data["frames"] else 0
    out = []
    for fr in data["frames"]:
        if fr["mark"]:
            out.append("== %s" % fr["mark"])
        for t, i, kind, node, text in fr["events"]:
            for nid, port in ports.items():
                text = text.replace(nid, port)
            out.append("+%.3f %s %s %s" % ((t - t0) / 1000, ports[data["nodes"][i]["id"]], kind, text))
    return "\n".join(out)


SCENARIOS = {"failover": failover, "lose-majority": lose_majority, "partition": partition,
             "manual-failover": manual_failover}


def record(name: str, seed: int = 7, node_timeout: int = 2000) -> Recorder:
    return SCENARIOS[name](seed=seed, node_timeout=node_timeout)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m pyredis_cluster.testing.recording",
                                description="Record a simulated scenario for pyredis-cluster dashboard --replay.")
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--node-timeout", type=int, default=2000, metavar="MS")
    p.add_argument("-o", "--output", default="-", help="the file to write (default: standard output)")
    p.add_argument("--events", action="store_true",
                   help="write the event log as text instead (time from the start, node port, kind, reason)")
    a = p.parse_args(argv)
    rec = record(a.scenario, a.seed, a.node_timeout)
    text = event_log_text(rec) if a.events else rec.dumps()
    if a.output == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(a.output, "w") as f:
            f.write(text)
        evs = sum(len(fr["events"]) for fr in rec.frames)
        sys.stderr.write("%s: %d frames, %d events, %.1f virtual seconds\n" % (
            a.output, len(rec.frames), evs, (rec.frames[-1]["t"] - rec.frames[0]["t"]) / 1000 if rec.frames else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
