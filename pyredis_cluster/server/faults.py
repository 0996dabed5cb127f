"""Fault injection for tests: what a node does wrong on purpose (issue: a cluster you can break).

A :class:`Faults` object hangs off a node (``node.faults``) when ``pyredis-admin-commands yes`` is set,
or when the in-process test harness (``pyredis_cluster.testing``) installs one.  Without it the node
pays nothing: every hook in the shell is one ``is None`` test, and the client fast path is untouched.

What it can do, all in the shell (the sans-IO cluster core never knows):

* **bus faults** -- drop or delay cluster-bus messages to and/or from chosen node ids (or ``*``, every
  node).  Outgoing messages are matched on the link's node, incoming ones on the header's sender, so a
  one-way cut, a full partition and a slow link between two chosen nodes are all expressible.  TCP
  connections stay up, as with an iptables DROP rule: messages just stop arriving.  Delayed messages
  keep their order on each link, as TCP would;
* **scripted client errors** -- "the next N commands on slot S (or key K) get -MOVED, -ASK,
  -TRYAGAIN, -CLUSTERDOWN or -LOADING", checked in the routing gate (``Node.cluster_route``) with one
  dict lookup, only while injections exist;
* **client isolation** -- client connections stop being read (``drop``: like packets lost, commands
  hang until the client times out) or are closed at once (``refuse``); the bus and replication go on.
  Connections that sent a PYREDIS command (the test's control connections) are never isolated;
* **freeze** -- stop the node as SIGSTOP would: no reads on any socket, no cron, no bus traffic, for a
  while (used by the in-process harness, where all nodes share one event loop).

The ``PYREDIS`` admin command family (:mod:`..commands.pyredis`) drives it from any client.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from .. import errors
from ..cluster.slots import key_hash_slot

REPLIES = ("MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "LOADING")
TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot"
CLUSTERDOWN = "CLUSTERDOWN The cluster is down"
ANY = "*"


def now_ms() -> int:
    return int(time.time() * 1000)


class BusRule:
    """What happens to bus messages exchanged with one peer (or every peer: ``*``)."""

    __slots__ = ("drop_in", "drop_out", "delay_in", "delay_out")

    def __init__(self):
        self.drop_in = self.drop_out = False
        self.delay_in = self.delay_out = 0  # ms

    def empty(self) -> bool:
        return not (self.drop_in or self.drop_out or self.delay_in or self.delay_out)

    def describe(self) -> str:
        parts = []
        if self.drop_in and self.drop_out:
            parts.append("drop both")
        elif self.drop_in:
            parts.append("drop in")
        elif self.drop_out:
            parts.append("drop out")
        if self.delay_in:
            parts.append("delay in %dms" % self.delay_in)
        if self.delay_out:
            parts.append("delay out %dms" % self.delay_out)
        return ", ".join(parts)


class Injection:
    """A scripted error for the next ``count`` commands on a slot (or one key); count < 0: forever."""

    __slots__ = ("slot", "key", "reply", "count", "target", "hits")

    def __init__(self, slot: int, key, reply: str, count: int, target):
        self.slot = slot
        self.key = key  # bytes, or None for the whole slot
        self.reply = reply
        self.count = count
        self.target = target  # (host, port) for MOVED/ASK, None: the slot's owner
        self.hits = 0

    def describe(self) -> str:
        what = "key %s" % self.key.decode("latin-1") if self.key is not None else "slot %d" % self.slot
        to = " to %s:%d" % self.target if self.target else ""
        left = "forever" if self.count < 0 else "%d left" % self.count
        return "inject %s%s on %s (%s, %d served)" % (self.reply, to, what, left, self.hits)


class _Clients(dict):
    """``node.clients`` while faults are installed: new connections learn about isolation/freeze."""

    __slots__ = ("faults",)

    def __setitem__(self, cid, client):
        dict.__setitem__(self, cid, client)
        self.faults._new_client(client)


class _BusTransports(dict):
    """``bus.transports`` while faults are installed: a bus connection made while frozen is frozen."""

    __slots__ = ("faults",)

    def __setitem__(self, link, proto):
        dict.__setitem__(self, link, proto)
        if self.faults.frozen:
            self.faults._hold(proto)


def _starts_with_pyredis(data: bytes) -> bool:
    d = data[:32].lower()
    if d[:1] == b"*":
        i = d.find(b"\r\n")
        return i > 0 and d[i + 2:i + 15] == b"$7\r\npyredis\r\n"
    return d.lstrip().startswith(b"pyredis ")


class _Hold(asyncio.Protocol):
    """Stands in for the protocol of a connection made while the node must not read it.

    (pause_reading() inside connection_made is lost: uvloop starts reading right after it.)  The
    bytes that arrive are kept, reading is paused, and :meth:`release` hands both back."""

    def __init__(self, faults, proto):
        self.faults = faults
        self.proto = proto
        self.transport = proto.transport
        self.data: list = []
        self.eof = False

    def data_received(self, data: bytes) -> None:
        self.data.append(data)
        f = self.faults
        if f.admin and not f.frozen and hasattr(self.proto, "resp3") and _starts_with_pyredis(b"".join(self.data)):
            # a control connection (its first command is PYREDIS): never isolated, so a new
            # connection can always lift the isolation
            f.control.add(self.proto.id)
            f._held.pop(self.transport, None)
            self.release()
            return
        self.transport.pause_reading()

    def eof_received(self):
        self.eof = True
        return True  # keep the transport until released

    def connection_lost(self, exc) -> None:
        self.faults._held.pop(self.transport, None)
        self.proto.connection_lost(exc)

    def pause_writing(self) -> None:
        self.proto.pause_writing()

    def resume_writing(self) -> None:
        self.proto.resume_writing()

    def release(self) -> None:
        t = self.transport
        t.set_protocol(self.proto)
        if t.is_closing():
            return
        if self.data:
            data, self.data = b"".join(self.data), []
            self.proto.data_received(data)
        if self.eof and not self.proto.eof_received():
            t.close()
            return
        if not t.is_closing():
            t.resume_reading()


class Faults:
    def __init__(self, node, admin: bool = False, shared_loop: bool = False):
        self.node = node
        self.admin = admin  # the PYREDIS command answers (pyredis-admin-commands yes)
        self.shared_loop = shared_loop  # other nodes share this event loop: PAUSE freezes, never sleeps
        self.active = False  # clients take the slow path (injections, isolation, freeze)
        # bus
        self.bus = False  # any bus rule (the hot test in bus.py)
        self.rules: dict = {}  # peer node id or "*" -> BusRule
        self._outq: dict = {}  # link -> deque of (due ms, bytes)
        self._inq: dict = {}  # link -> deque of (due ms, message)
        self._timers: dict = {}  # ("in"|"out", link) -> TimerHandle
        self.dropped_in = self.dropped_out = self.delayed = 0
        # injections
        self.injections: dict = {}  # slot -> [Injection]
        # clients
        self.clients_mode = None  # None | "drop" | "refuse"
        self.control: set = set()  # ids of clients never isolated (they sent PYREDIS commands)
        self._clients_timer = None
        # freeze
        self.frozen = False
        self._thaw_timer = None
        self._paused: set = set()  # transports whose reading we paused
        self._held: dict = {}  # transport -> _Hold, for connections made while isolated or frozen
        clients = _Clients(node.clients)
        clients.faults = self
        node.clients = clients
        if node.bus is not None:
            t = _BusTransports(node.bus.transports)
            t.faults = self
            node.bus.transports = t

    # -- helpers ------------------------------------------------------------------------------------

    def _loop(self):
        return self.node.loop

    def _event(self, text: str, about="") -> None:
        cs = self.node.cluster
        if cs is not None:
            cs.log(now_ms(), "fault", about, text)
        else:
            self.node.log.notice("fault: " + text)

    def _update_active(self) -> None:
        active = bool(self.injections or self.clients_mode or self.frozen)
        if active != self.active:
            self.active = active
            for c in list(self.node.clients.values()):
                c.update_slow()

    def resolve(self, argv: list):
        """What the connection resolves commands with (commands/events.py ``resolve``), plus the PYREDIS
        command family when the admin commands are enabled."""
        if self.admin and argv and type(argv[0]) is bytes and argv[0].lower() == b"pyredis":
            from ..commands.pyredis import PYREDIS

            if len(argv) < 2:
                raise errors.CommandError(errors.wrong_arity("pyredis"))
            return PYREDIS
        from ..commands import events

        return events.resolve(self.node, argv)  # (PYREDIS EVENTS may answer without the admin commands)

    # -- bus -------------------------------------------------------------------------------------------

    def _rule(self, peer) -> BusRule | None:
        rules = self.rules
        r = rules.get(peer) if peer is not None else None
        return r if r is not None else rules.get(ANY)

    def set_bus(self, peers, direction: str = "both", drop: bool | None = None, delay: int | None = None) -> None:
        """Drop (``drop=True``), stop dropping (False), delay (``delay`` ms, 0: no delay) messages in
        ``direction`` ("in", "out", "both") with each of ``peers`` (node ids or "*")."""
        for p in peers:
            r = self.rules.get(p)
            if r is None:
                r = self.rules[p] = BusRule()
            if drop is not None:
                if direction in ("in", "both"):
                    r.drop_in = drop
                if direction in ("out", "both"):
                    r.drop_out = drop
            if delay is not None:
                if direction in ("in", "both"):
                    r.delay_in = delay
                if direction in ("out", "both"):
                    r.delay_out = delay
            if r.empty():
                del self.rules[p]
            self._event("bus with %s: %s" % (p, r.describe() or "healed"), p if p != ANY else "")
        self._update_bus()

    def heal_bus(self, peers=None) -> None:
        if peers is None:
            had = bool(self.rules)
            self.rules.clear()
            if had:
                self._event("bus faults healed")
        else:
            for p in peers:
                if self.rules.pop(p, None) is not None:
                    self._event("bus faults with %s healed" % p, p if p != ANY else "")
        self._update_bus()

    def _update_bus(self) -> None:
        # bus.py calls hold_out/hold_in while a rule exists or delayed messages still wait (so that
        # what is sent after a heal queues behind them: TCP never reorders)
        self.bus = bool(self.rules or self._outq or self._inq)

    def hold_out(self, link, data: bytes) -> bool:
        """Called by ClusterBus._send: True if the message was dropped or delayed here."""
        node = link.node
        r = self._rule(node.name if node is not None else None)
        if r is not None and r.drop_out:
            self.dropped_out += 1
            return True
        delay = r.delay_out if r is not None else 0
        if delay or link in self._outq:
            q = self._outq.get(link)
            if q is None:
                q = self._outq[link] = deque()
            q.append((now_ms() + delay, data))
            self.delayed += 1
            self._arm("out", link)
            return True
        return False

    def hold_in(self, link, msg) -> bool:
        """Called by BusProtocol.data_received for each message: True if dropped or delayed here."""
        r = self._rule(msg.header.sender)
        if r is not None and r.drop_in:
            self.dropped_in += 1
            return True
        delay = r.delay_in if r is not None else 0
        if delay or link in self._inq:
            q = self._inq.get(link)
            if q is None:
                q = self._inq[link] = deque()
            q.append((now_ms() + delay, msg))
            self.delayed += 1
            self._arm("in", link)
            return True
        return False

    def _arm(self, kind: str, link) -> None:
        key = (kind, link)
        if key in self._timers:
            return
        q = (self._outq if kind == "out" else self._inq).get(link)
        if not q:
            return
        loop = self._loop()
        delay = max(0.0, (q[0][0] - now_ms()) / 1000.0)
        self._timers[key] = loop.call_later(delay, self._release, kind, link)

    def _release(self, kind: str, link) -> None:
        """Deliver the delayed messages of one link that are due, in order."""
        self._timers.pop((kind, link), None)
        if self.frozen:
            return  # thaw() re-arms every queue
        queues = self._outq if kind == "out" else self._inq
        q = queues.get(link)
        bus = self.node.bus
        now = now_ms()
        while q and q[0][0] <= now:
            _, item = q.popleft()
            if link.closed:
                continue
            if kind == "out":
                proto = bus.transports.get(link)
                if proto is not None and proto.transport is not None:
                    proto.transport.write(item)
                else:
                    bus.pending.setdefault(link, []).append(item)
            else:
                try:
                    bus.state.on_message(link, item, now)
                except Exception as e:  # a bug must not kill the node
                    self.node.log.warning("Cluster bus: error processing delayed %s: %r" % (type(item).__name__, e))
        if q:
            self._arm(kind, link)
        else:
            queues.pop(link, None)
            self._update_bus()
        if kind == "in":
            bus.wake()

    # -- injected client errors ---------------------------------------------------------------------

    def inject(self, slot: int | None, reply: str, count: int = 1, key: bytes | None = None, target=None) -> None:
        reply = reply.upper()
        if reply not in REPLIES:
            raise ValueError("reply must be one of %s" % ", ".join(REPLIES))
        if key is not None:
            slot = key_hash_slot(key)
        inj = Injection(slot, key, reply, count, target)
        self.injections.setdefault(slot, []).append(inj)
        self._event(inj.describe())
        self._update_active()

    def clear_injections(self) -> None:
        if self.injections:
            self.injections.clear()
            self._event("injections cleared")
        self._update_active()

    def route(self, client, cmd, argv):
        """The injected error for this command, or None (called by Node.cluster_route)."""
        inj_by_slot = self.injections
        if cmd.name == "exec":
            commands = client.multi or ()
        else:
            commands = ((cmd, argv),)
        for mcmd, margv in commands:
            for i in mcmd.get_keys(margv):
                key = margv[i]
                lst = inj_by_slot.get(key_hash_slot(key))
                if not lst:
                    continue
                for inj in lst:
                    if inj.key is not None and inj.key != key:
                        continue
                    return self._fire(inj, lst)
        return None

    def _fire(self, inj: Injection, lst: list) -> str:
        inj.hits += 1
        if inj.count > 0:
            inj.count -= 1
            if inj.count == 0:
                lst.remove(inj)
                if not lst:
                    del self.injections[inj.slot]
                    self._update_active()
        r = inj.reply
        if r == "TRYAGAIN":
            return TRYAGAIN
        if r == "CLUSTERDOWN":
            return CLUSTERDOWN
        if r == "LOADING":
            return errors.LOADING
        if inj.target is not None:
            host, port = inj.target
        else:
            cs = self.node.cluster
            owner = cs.slots[inj.slot] or cs.myself
            host, port = owner.ip or "127.0.0.1", owner.port
        return "%s %d %s:%d" % (r, inj.slot, host, port)

    # -- clients --------------------------------------------------------------------------------------

    def _exempt(self, c) -> bool:
        return (c.id in self.control or c.is_master or getattr(c, "is_replica_client", False))

    def isolate_clients(self, mode: str | None, seconds: float | None = None) -> None:
        """mode "drop": stop reading client connections; "refuse": close them (and new ones); None:
        let clients in again.  ``seconds``: lift the isolation after that long."""
        if mode not in (None, "drop", "refuse"):
            raise ValueError("mode must be drop, refuse or None")
        if self._clients_timer is not None:
            self._clients_timer.cancel()
            self._clients_timer = None
        self.clients_mode = mode
        if mode == "refuse":
            for c in list(self.node.clients.values()):
                if not self._exempt(c):
                    c.close()
        self._apply_reading()
        self._update_active()
        self._event("clients %s" % ({None: "allowed again", "drop": "isolated (dropped)",
                                      "refuse": "isolated (refused)"}[mode]))
        if mode is not None and seconds:
            self._clients_timer = self._loop().call_later(seconds, self.isolate_clients, None)

    def _new_client(self, c) -> None:
        if self.clients_mode == "refuse" and not self._exempt(c):
            if c.transport is not None:
                c.transport.close()
            return
        if self.frozen or self.clients_mode == "drop" and not self._exempt(c):
            self._hold(c)

    def _hold(self, proto) -> None:
        t = proto.transport
        if t is not None and not t.is_closing() and t not in self._held:
            h = self._held[t] = _Hold(self, proto)
            t.set_protocol(h)

    def _want_paused(self, c) -> bool:
        if self.frozen:
            return True
        return self.clients_mode == "drop" and not self._exempt(c)

    def _apply_reading(self) -> None:
        """Pause or resume reading on every socket of the node, as freeze/isolation require."""
        want: set = set()
        node = self.node
        protos = list(node.clients.values())
        held = self._held
        for c in protos:
            t = c.transport
            if t is not None and not t.is_closing() and self._want_paused(c):
                want.add(t)
        if node.bus is not None:
            for proto in list(node.bus.transports.values()):
                protos.append(proto)
                if self.frozen and proto.transport is not None and not proto.transport.is_closing():
                    want.add(proto.transport)
        if self.frozen:
            link = node.repl.link
            if link is not None and link.writer is not None and not link.writer.transport.is_closing():
                want.add(link.writer.transport)
        for t in list(held):
            if t not in want:
                held.pop(t).release()
        for t in want - self._paused:
            if t in held:
                continue
            try:
                t.pause_reading()
            except Exception:  # closed meanwhile
                pass
        for t in self._paused - want:
            try:
                if not t.is_closing():
                    t.resume_reading()
            except Exception:
                pass
        self._paused = {t for t in want if t not in held}

    # -- freeze (SIGSTOP for a node sharing its event loop) ----------------------------------------------

    def freeze(self, seconds: float | None = None) -> None:
        node = self.node
        if self._thaw_timer is not None:
            self._thaw_timer.cancel()
            self._thaw_timer = None
        if not self.frozen:
            self.frozen = True
            for owner in (node, node.bus):
                task = getattr(owner, "_cron_task", None) if owner is not None else None
                if task is not None:
                    task.cancel()
            self._apply_reading()
            self._update_active()
        if seconds is not None:
            self._thaw_timer = self._loop().call_later(seconds, self.thaw)

    def thaw(self) -> None:
        if self._thaw_timer is not None:
            self._thaw_timer.cancel()
            self._thaw_timer = None
        if not self.frozen:
            return
        self.frozen = False
        node = self.node
        loop = self._loop()
        node._cron_task = loop.create_task(node._cron_loop())
        if node.bus is not None:
            node.bus._cron_task = loop.create_task(node.bus._cron())
        self._apply_reading()
        self._update_active()
        for kind, queues in (("out", self._outq), ("in", self._inq)):
            for link in list(queues):
                self._arm(kind, link)
        if node.bus is not None:
            node.bus.wake()

    # -- everything -----------------------------------------------------------------------------------------

    def heal(self) -> None:
        """Lift every fault: bus rules, injections, client isolation, freeze."""
        self.heal_bus()
        self.clear_injections()
        if self.clients_mode is not None:
            self.isolate_clients(None)
        self.thaw()

    def describe(self) -> list:
        out = []
        if self.frozen:
            out.append("frozen")
        if self.clients_mode:
            out.append("clients %s" % self.clients_mode)
        for peer, r in sorted(self.rules.items()):
            out.append("bus %s: %s" % (peer, r.describe()))
        for lst in self.injections.values():
            out.extend(inj.describe() for inj in lst)
        return out

    def stats(self) -> dict:
        return {"dropped_in": self.dropped_in, "dropped_out": self.dropped_out, "delayed": self.delayed}
