"""The cluster bus shell: sockets and timers around the sans-IO :class:`ClusterState`.

It listens on the bus port (port + 10000 or ``cluster-port``), opens the outbound links the core asks
for, feeds every received message to ``ClusterState.on_message``, runs ``on_tick`` every 100 ms
(clusterCron) and ``before_sleep`` once per event-loop turn, and performs the core's actions: connect,
send, close, save nodes.conf.  Nothing here decides anything about the cluster.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

from ..cluster import messages, nodes_conf
from ..cluster.actions import CloseLink, Connect, SaveConfig, Send
from ..cluster.messages import MessageError
from ..cluster.state import ClusterConfig, ClusterState, Host
from .limits import free_cluster_links_over_limit

CLUSTER_PORT_INCR = 10000

_EVENT_LEVELS = {"fail-report": "verbose", "discovered": "verbose", "pfail": "verbose", "pfail-cleared": "verbose",
                 "fail-report-expired": "verbose", "vote-received": "verbose", "vote-requested": "verbose",
                 "fail-sent": "verbose", "address": "notice", "bus": "warning", "vote-refused": "warning",
                 "state": "warning"}


def now_ms() -> int:
    return int(time.time() * 1000)


class NodeHost(Host):
    """The data side of a real node, as the cluster core sees it."""

    def __init__(self, node):
        self.node = node

    @property
    def db(self):
        return self.node.dbs[0]

    def count_keys_in_slot(self, slot: int) -> int:
        return self.db.count_keys_in_slot(slot)

    def delete_keys_in_slot(self, slot: int) -> int:
        keys = self.db.get_keys_in_slot(slot, 1 << 62)
        for k in keys:
            self.db.delete(k)
        return len(keys)

    def db_is_empty(self) -> bool:
        return len(self.db) == 0

    def repl_offset(self) -> int:
        return self.node.repl.offset()

    def replicate_from(self, node) -> None:
        if node is None:
            self.node.repl.set_master(None, None)
        else:
            self.node.repl.set_master(node.ip or "127.0.0.1", node.port)

    def ensure_replicating(self, node) -> None:
        link = self.node.repl.link
        if link is None or link.host != node.ip or link.port != node.port:
            self.node.repl.set_master(node.ip, node.port)

    def master_link_down_ms(self, now: int) -> int:
        link = self.node.repl.link
        return link.master_link_down_ms(now) if link is not None else 0

    def deliver_publish(self, channel: bytes, message: bytes, sharded: bool) -> None:
        deliver = getattr(self.node, "pubsub_deliver", None)
        if deliver is not None:
            deliver(channel, message, sharded)

    def shard_slot_removed(self, slot: int) -> None:
        """removeChannelsInSlot: subscribers of the slot's shard channels are unsubscribed (sunsubscribe)."""
        self.node.pubsub.unsubscribe_slot(slot)

    def pause_writes(self, until_ms: int) -> None:
        self.node.pause_clients(max(0.0, (until_ms - now_ms()) / 1000.0), writes_only=True)

    def unpause_writes(self) -> None:
        if self.node.pause_until:
            self.node.unpause_clients()


class BusProtocol(asyncio.Protocol):
    def __init__(self, bus: "ClusterBus", link=None):
        self.bus = bus
        self.link = link
        self.reader = messages.MessageReader()
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        peer = transport.get_extra_info("peername") or ("", 0)
        local = transport.get_extra_info("sockname") or ("", 0)
        bus = self.bus
        now = now_ms()
        if self.link is None:  # inbound
            self.link = bus.state.accept_link(now, peer_ip=_ip(peer[0]), local_ip=_ip(local[0]))
            bus.transports[self.link] = self
        else:
            bus.transports[self.link] = self
            bus.state.on_link_connected(self.link, now, local_ip=_ip(local[0]), peer_ip=_ip(peer[0]))
            for data in bus.pending.pop(self.link, ()):
                transport.write(data)
        bus.wake()

    def data_received(self, data: bytes) -> None:
        bus = self.bus
        try:
            frames = self.reader.feed(data)
        except MessageError as e:
            bus.node.log.warning("Cluster bus: %s; closing the link" % e)
            self.transport.close()
            return
        st = bus.state
        for frame in frames:
            try:
                msg = messages.decode(frame)
            except MessageError as e:
                # Redis ignores a message with a wrong length and keeps the link.
                bus.node.log.verbose("Cluster bus: dropped a message: %s" % e)
                continue
            if self.link.closed:
                return
            faults = bus.node.faults
            if faults is not None and faults.bus and faults.hold_in(self.link, msg):
                continue  # dropped or delayed by a test fault (server/faults.py)
            try:
                st.on_message(self.link, msg, now_ms())
            except Exception as e:  # a bug must not kill the node
                bus.node.log.warning("Cluster bus: error processing %s: %r" % (type(msg).__name__, e))
        bus.wake()

    def connection_lost(self, exc) -> None:
        bus = self.bus
        if self.link is not None:
            bus.transports.pop(self.link, None)
            bus.state.on_link_closed(self.link, now_ms())
            bus.wake()


def _ip(host: str) -> str:
    if host.startswith("::ffff:"):
        return host[7:]
    return host


class ClusterBus:
    def __init__(self, node):
        self.node = node
        cfg = node.config
        self.config_file = cfg.resolve(cfg["cluster-config-file"])
        self.lock = nodes_conf.ConfigLock(self.config_file)
        self.state = ClusterState(self._cluster_config(), NodeHost(node), now=now_ms())
        loaded = nodes_conf.load(self.state, self.config_file, now_ms())
        self._apply_announced()
        if not loaded:
            node.log.notice("No cluster configuration found, I'm %s" % self.state.myself.name)
            nodes_conf.save(self.state, self.config_file, fsync=True)
        else:
            node.log.notice("Node configuration loaded, I'm %.40s" % self.state.myself.name)
        self.state.event_listeners.append(self._log_event)
        self.transports: dict = {}
        self.pending: dict = {}
        self.servers: list = []
        self._wake_scheduled = False
        self._cron_task = None
        self.loop = None

    # -- configuration ---------------------------------------------------------------------------

    def bus_port(self) -> int:
        cfg = self.node.config
        return cfg["cluster-port"] or (self.node.port + CLUSTER_PORT_INCR)

    def _cluster_config(self) -> ClusterConfig:
        cfg = self.node.config
        port = cfg["cluster-announce-port"] or cfg["port"]
        bus = cfg["cluster-announce-bus-port"] or cfg["cluster-port"] or cfg["port"] + CLUSTER_PORT_INCR
        return ClusterConfig(
            port=port, cport=bus, node_timeout=cfg["cluster-node-timeout"], announce_ip=cfg["cluster-announce-ip"],
            announce_hostname=cfg["cluster-announce-hostname"],
            require_full_coverage=cfg["cluster-require-full-coverage"],
            allow_reads_when_down=cfg["cluster-allow-reads-when-down"],
            allow_pubsubshard_when_down=cfg["cluster-allow-pubsubshard-when-down"],
            replica_validity_factor=cfg["cluster-replica-validity-factor"],
            migration_barrier=cfg["cluster-migration-barrier"],
            allow_replica_migration=cfg["cluster-allow-replica-migration"],
            replica_no_failover=cfg["cluster-replica-no-failover"],
            repl_ping_replica_period=cfg["repl-ping-replica-period"],
            preferred_endpoint_type=cfg["cluster-preferred-endpoint-type"],
        )

    def refresh_config(self) -> None:
        """After CONFIG SET or when the real port is known."""
        self.state.config = self._cluster_config()
        self._apply_announced()

    def _apply_announced(self) -> None:
        me = self.state.myself
        c = self.state.config
        me.port, me.cport, me.pport = c.port, c.cport, c.pport
        if c.announce_ip:
            me.ip = c.announce_ip
        me.hostname = c.announce_hostname
        from ..cluster.messages import NODE_NOFAILOVER

        if c.replica_no_failover:
            me.flags |= NODE_NOFAILOVER
        else:
            me.flags &= ~NODE_NOFAILOVER

    # -- start / stop ------------------------------------------------------------------------------

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.refresh_config()
        port = self.bus_port()
        for addr in self.node.bind_addresses():
            server = await self.loop.create_server(lambda: BusProtocol(self), addr, port, reuse_address=True)
            self.servers.append(server)
        self._cron_task = self.loop.create_task(self._cron())
        self.wake()

    async def stop(self) -> None:
        for s in self.servers:
            s.close()
        if self._cron_task is not None:
            self._cron_task.cancel()
        for proto in list(self.transports.values()):
            if proto.transport is not None:
                proto.transport.close()
        if self.state.todo_before_sleep:
            self.flush()
        self.lock.release()

    async def _cron(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            try:
                free_cluster_links_over_limit(self)  # cluster-link-sendbuf-limit (server/limits.py)
                self.state.on_tick(now_ms())
                self.flush()
            except Exception as e:
                self.node.log.warning("cluster cron error: %r" % (e,))

    # -- performing actions ------------------------------------------------------------------------

    def wake(self) -> None:
        """Run before_sleep + the queued actions once, at the end of this loop turn."""
        if not self._wake_scheduled and self.loop is not None:
            self._wake_scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self._wake_scheduled = False
        st = self.state
        st.before_sleep(now_ms())
        for action in st.drain():
            t = type(action)
            if t is Send:
                self._send(action.link, action.msg)
            elif t is Connect:
                self.loop.create_task(self._connect(action))
            elif t is CloseLink:
                proto = self.transports.pop(action.link, None)
                self.pending.pop(action.link, None)
                if proto is not None and proto.transport is not None:
                    proto.transport.close()
            elif t is SaveConfig:
                self.save(action.fsync)

    def _send(self, link, msg) -> None:
        data = messages.encode(msg)
        faults = self.node.faults
        if faults is not None and faults.bus and faults.hold_out(link, data):
            return  # dropped or delayed by a test fault (server/faults.py)
        proto = self.transports.get(link)
        if proto is None or proto.transport is None:
            if not link.closed:
                self.pending.setdefault(link, []).append(data)
            return
        proto.transport.write(data)

    async def _connect(self, action: Connect) -> None:
        link = action.link
        try:
            await asyncio.wait_for(
                self.loop.create_connection(lambda: BusProtocol(self, link), action.ip or "127.0.0.1", action.port,
                                            local_addr=self.node.source_addr()),
                timeout=max(1.0, self.state.config.node_timeout / 1000.0),
            )
        except (OSError, asyncio.TimeoutError) as e:
            self.pending.pop(link, None)
            self.node.log.debug("Unable to connect to Cluster Node [%s]:%d -> %s" % (action.ip, action.port, e))
            self.state.on_link_closed(link, now_ms())
            self.wake()
        if link.closed:  # closed by the core while connecting
            proto = self.transports.pop(link, None)
            if proto is not None and proto.transport is not None:
                proto.transport.close()

    def save(self, fsync: bool) -> None:
        try:
            nodes_conf.save(self.state, self.config_file, fsync)
        except OSError as e:
            self.node.log.warning("Fatal: can't update cluster config file: %s" % e.strerror)
            os._exit(1)

    def _log_event(self, ev) -> None:
        level = self.node.config["cluster-event-loglevel"]  # "default": each kind at its own level
        if level == "default":
            level = _EVENT_LEVELS.get(ev.kind, "notice")
        elif level == "nothing":
            return
        getattr(self.node.log, level)(ev.text)

    # -- what connections use -------------------------------------------------------------------

    def route(self, client, cmd, argv):
        from ..cluster.router import route

        db = self.node.dbs[0]
        return route(self.state, cmd, argv, client, lambda k: db.peek(k) is not None)
