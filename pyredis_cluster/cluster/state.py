"""ClusterState: one node's view of the cluster, as a sans-IO state machine (Redis: ``clusterState``
and cluster.c).

Inputs -- each takes the current time in milliseconds, nothing reads a clock:

* :meth:`ClusterState.on_message` -- a decoded bus message arrived on a link (``clusterProcessPacket``);
* :meth:`ClusterState.on_tick` -- ten times a second (``clusterCron``);
* :meth:`ClusterState.before_sleep` -- once per event-loop turn (``clusterBeforeSleep``): deferred work
  requested by handlers through :meth:`todo` (update the state, save nodes.conf, handle a failover);
* link events: :meth:`on_link_connected`, :meth:`on_link_closed`, :meth:`accept_link`;
* commands: :meth:`meet`, :meth:`add_slots`, :meth:`forget` ... (called by ``commands/cluster.py``).

Outputs are actions appended to :attr:`outbox` (:mod:`.actions`): Connect, Send, CloseLink,
SaveConfig; and :attr:`events`, a log of every state change with its reason.

The sections below follow the order of Redis 7.0's cluster.c so the two can be read side by side;
failure detection, gossip, epochs, slot ownership and state evaluation live in their own modules
(:mod:`.failure`, :mod:`.gossip`, :mod:`.epochs`, :mod:`.ownership`, :mod:`.state_eval`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from . import election, epochs, failure, gossip, ownership, state_eval
from .actions import CloseLink, Connect, Event, SaveConfig, Send
from .messages import (FAILOVER_AUTH_ACK, FAILOVER_AUTH_REQUEST, MEET, MFLAG_PAUSED, MFSTART, NODE_FAIL,
                       NODE_HANDSHAKE, NODE_MASTER, NODE_MEET, NODE_MIGRATE_TO, NODE_MYSELF, NODE_NOADDR,
                       NODE_NOFAILOVER, NODE_PFAIL, NODE_SLAVE, PING, PONG, TYPE_COUNT, Fail, Header, Meet,
                       Ping, PingExt, Pong, Publish, Update)
from .nodes import ClusterNode, Link, random_node_name
from .slots import CLUSTER_SLOTS

CLUSTER_OK, CLUSTER_FAIL = 0, 1

# clusterDoBeforeSleep flags (CLUSTER_TODO_*)
TODO_HANDLE_FAILOVER = 1 << 0
TODO_UPDATE_STATE = 1 << 1
TODO_SAVE_CONFIG = 1 << 2
TODO_FSYNC_CONFIG = 1 << 3
TODO_HANDLE_MANUALFAILOVER = 1 << 4

CLUSTER_BLACKLIST_TTL = 60_000  # ms a forgotten node is kept out of gossip
MAX_EVENTS = 10_000


@dataclass
class ClusterConfig:
    """The settings the core reads (kept in step with CONFIG SET by the shell)."""

    port: int = 6379  # announced client port
    cport: int = 16379  # announced bus port
    pport: int = 0
    node_timeout: int = 15000
    announce_ip: str = ""
    announce_hostname: str = ""
    require_full_coverage: bool = True
    allow_reads_when_down: bool = False
    allow_pubsubshard_when_down: bool = True
    replica_validity_factor: int = 10
    migration_barrier: int = 1
    allow_replica_migration: bool = True
    replica_no_failover: bool = False
    repl_ping_replica_period: int = 10
    preferred_endpoint_type: str = "ip"


class Host:
    """What the core asks of the node's data side.  The default answers suit a node without data
    (the simulator); ``server/`` provides a real one."""

    def count_keys_in_slot(self, slot: int) -> int:
        return 0

    def delete_keys_in_slot(self, slot: int) -> int:
        return 0

    def db_is_empty(self) -> bool:
        return True

    def repl_offset(self) -> int:
        return 0

    def replicate_from(self, node) -> None:
        """Become a replica of ``node`` (None: stop replicating and become a master)."""

    def deliver_publish(self, channel: bytes, message: bytes, sharded: bool) -> None:
        pass

    def pause_writes(self, until_ms: int) -> None:
        pass

    def unpause_writes(self) -> None:
        """End the pause of :meth:`pause_writes` (unpauseClients(PAUSE_DURING_FAILOVER))."""

    def ensure_replicating(self, node) -> None:
        """Replicate from ``node`` unless already doing so."""


class ClusterState:
    def __init__(self, config: ClusterConfig | None = None, host: Host | None = None, name: str | None = None,
                 rng: random.Random | None = None, now: int = 0):
        self.config = config or ClusterConfig()
        self.host = host or Host()
        self.rng = rng or random.Random()
        self.myself = ClusterNode(name or random_node_name(self.rng), NODE_MYSELF | NODE_MASTER, ctime=now)
        self.myself.port = self.config.port
        self.myself.cport = self.config.cport
        self.myself.ip = self.config.announce_ip
        self.nodes: dict[str, ClusterNode] = {self.myself.name: self.myself}
        self.current_epoch = 0
        self.last_vote_epoch = 0
        self.state = CLUSTER_FAIL
        self.size = 0  # masters serving at least one slot
        self.slots: list = [None] * CLUSTER_SLOTS
        self.migrating_slots_to: dict = {}  # slot -> node
        self.importing_slots_from: dict = {}  # slot -> node
        self.owner_not_claiming_slot: set = set()
        self.blacklist: dict = {}  # node name -> expire time (ms)
        self.todo_before_sleep = 0
        self.stats_sent = [0] * TYPE_COUNT
        self.stats_received = [0] * TYPE_COUNT
        self.stats_pfail_nodes = 0
        self.iteration = 0
        self.outbox: list = []
        self.events: list = []
        self.event_listeners: list = []
        self._link_ids = 0
        self.links: set = set()  # every live Link
        # clusterUpdateState memory
        self.first_update_time = 0
        self.among_minority_time = 0
        # elections and manual failover (replication/failover issue)
        self.failover_auth_time = 0
        self.failover_auth_count = 0
        self.failover_auth_sent = False
        self.failover_auth_rank = 0
        self.failover_auth_epoch = 0
        self.cant_failover_reason = 0
        self.mf_end = 0
        self.mf_slave = None
        self.mf_master_offset = -1
        self.mf_can_start = False
        self._pings_sent = 0
        self.drop_packet_filter = -1  # DEBUG DROP-CLUSTER-PACKET-FILTER <type> (-1: drop nothing)

    # =========================================================================================
    # Helpers: events, deferred work, lookup
    # =========================================================================================

    def log(self, now: int, kind: str, node, text: str) -> None:
        ev = Event(now, kind, node.name if isinstance(node, ClusterNode) else (node or ""), text)
        self.events.append(ev)
        if len(self.events) > MAX_EVENTS:
            del self.events[: MAX_EVENTS // 10]
        for fn in self.event_listeners:
            fn(ev)

    def todo(self, flags: int) -> None:
        """clusterDoBeforeSleep."""
        self.todo_before_sleep |= flags

    def lookup(self, name: str | None):
        """clusterLookupNode."""
        if not name:
            return None
        return self.nodes.get(name)

    def drain(self) -> list:
        out, self.outbox = self.outbox, []
        return out

    @property
    def is_replica(self) -> bool:
        return self.myself.is_replica

    # =========================================================================================
    # Initialization (clusterInit): see nodes_conf.py for loading and saving the state
    # =========================================================================================

    def before_sleep(self, now: int) -> None:
        """clusterBeforeSleep: deferred work, at most once per event-loop turn."""
        flags = self.todo_before_sleep
        self.todo_before_sleep = 0
        if flags & TODO_HANDLE_MANUALFAILOVER:
            if self.myself.is_replica and self.failover_hooks:
                self.failover_hooks.handle_manual_failover(self, now)
                self.failover_hooks.handle_replica_failover(self, now)
        elif flags & TODO_HANDLE_FAILOVER:
            if self.failover_hooks:
                self.failover_hooks.handle_replica_failover(self, now)
        if flags & TODO_UPDATE_STATE:
            state_eval.update_state(self, now)
        if flags & TODO_SAVE_CONFIG:
            self.outbox.append(SaveConfig(bool(flags & TODO_FSYNC_CONFIG)))

    failover_hooks = election.FailoverHooks  # replica election, manual failover, replica migration

    # =========================================================================================
    # Communication link
    # =========================================================================================

    def _new_link(self, now: int, inbound: bool, node=None) -> Link:
        self._link_ids += 1
        link = Link(self._link_ids, now, inbound, node)
        self.links.add(link)
        return link

    def accept_link(self, now: int, peer_ip: str = "", local_ip: str = "") -> Link:
        """A peer connected to our bus port (clusterAcceptHandler)."""
        link = self._new_link(now, True)
        link.connected = True
        link.peer_ip = peer_ip
        link.local_ip = local_ip
        return link

    def on_link_connected(self, link: Link, now: int, local_ip: str = "", peer_ip: str = "") -> None:
        """clusterLinkConnectHandler: our outbound connection is up: send MEET or PING at once."""
        node = link.node
        link.connected = True
        link.local_ip = local_ip
        link.peer_ip = peer_ip
        if node is None or node.link is not link:
            return
        old_ping_sent = node.ping_sent
        self.send_ping(link, MEET if node.flags & NODE_MEET else PING, now)
        if old_ping_sent:
            # Keep the time of the ping that was in flight before the link was lost, or failure
            # detection would restart from zero.
            node.ping_sent = old_ping_sent
        node.flags &= ~NODE_MEET

    def on_link_closed(self, link: Link, now: int) -> None:
        """The shell saw the connection end (or fail to connect): freeClusterLink."""
        if link.closed:
            return
        link.closed = True
        self.links.discard(link)
        node = link.node
        if node is not None:
            if node.link is link:
                node.link = None
            if node.inbound_link is link:
                node.inbound_link = None

    def free_link(self, link: Link | None, now: int) -> None:
        """freeClusterLink, initiated by the core."""
        if link is None or link.closed:
            return
        self.outbox.append(CloseLink(link))
        self.on_link_closed(link, now)

    def send(self, link: Link | None, msg) -> None:
        """clusterSendMessage."""
        if link is None or link.closed:
            return
        self.outbox.append(Send(link, msg))
        if msg.type < TYPE_COUNT:
            self.stats_sent[msg.type] += 1

    def broadcast(self, msg) -> None:
        """clusterBroadcastMessage: to every node we have a link to (not myself, not handshaking)."""
        for node in list(self.nodes.values()):
            if node.link is None or node.flags & (NODE_MYSELF | NODE_HANDSHAKE):
                continue
            self.send(node.link, msg)

    # =========================================================================================
    # Node API
    # =========================================================================================

    def create_node(self, name: str | None, flags: int, now: int) -> ClusterNode:
        """createClusterNode (a random name when ``name`` is None, e.g. for a handshake)."""
        node = ClusterNode(name or random_node_name(self.rng), flags, ctime=now)
        return node

    def add_node(self, node: ClusterNode) -> None:
        """clusterAddNode."""
        self.nodes[node.name] = node

    def del_node(self, delnode: ClusterNode, now: int) -> None:
        """clusterDelNode: forget a node, its slots, the failure reports it made and its links."""
        for j in range(CLUSTER_SLOTS):
            if self.importing_slots_from.get(j) is delnode:
                del self.importing_slots_from[j]
            if self.migrating_slots_to.get(j) is delnode:
                del self.migrating_slots_to[j]
            if self.slots[j] is delnode:
                self.del_slot(j)
        for node in self.nodes.values():
            if node is not delnode:
                node.del_failure_report(delnode)
        self.free_node(delnode, now)

    def free_node(self, node: ClusterNode, now: int) -> None:
        """freeClusterNode."""
        if node.is_replica and node.replicaof is not None:
            node.replicaof.remove_replica(node)
        for r in node.replicas:
            r.replicaof = None
        if self.nodes.get(node.name) is node:
            del self.nodes[node.name]
        self.free_link(node.link, now)
        self.free_link(node.inbound_link, now)

    def rename_node(self, node: ClusterNode, newname: str) -> None:
        """clusterRenameNode: a handshake node gets its real name."""
        if self.nodes.get(node.name) is node:
            del self.nodes[node.name]
        node.name = newname
        self.nodes[newname] = node

    def set_node_as_master(self, node: ClusterNode) -> None:
        """clusterSetNodeAsMaster."""
        if node.is_master:
            return
        if node.replicaof is not None:
            node.replicaof.remove_replica(node)
            if node is not self.myself:
                node.flags |= NODE_MIGRATE_TO
        node.flags &= ~NODE_SLAVE
        node.flags |= NODE_MASTER
        node.replicaof = None
        self.todo(TODO_SAVE_CONFIG | TODO_UPDATE_STATE)

    def set_my_master(self, master: ClusterNode, now: int) -> None:
        """clusterSetMaster: I become a replica of ``master`` (I must hold no slots)."""
        me = self.myself
        if me.is_master:
            me.flags &= ~(NODE_MASTER | NODE_MIGRATE_TO)
            me.flags |= NODE_SLAVE
            self.migrating_slots_to.clear()
            self.importing_slots_from.clear()
        elif me.replicaof is not None:
            me.replicaof.remove_replica(me)
        me.replicaof = master
        master.add_replica(me)
        self.log(now, "role", master, "I am now a replica of %s" % master.name)
        self.host.replicate_from(master)
        self.reset_manual_failover()

    def reset_manual_failover(self) -> None:
        """resetManualFailover.  A master that was being failed over paused its writers: whatever the
        outcome, they go on now (a former master, now a replica, must also apply its new master's
        stream, which a write pause would hold)."""
        if self.mf_slave is not None:
            self.host.unpause_writes()
        self.mf_end = 0
        self.mf_can_start = False
        self.mf_slave = None
        self.mf_master_offset = -1

    def node_address(self, link: Link, myip: str) -> str:
        """nodeIp2String: the announced IP if any, else the peer address of the link."""
        return myip or getattr(link, "peer_ip", "") or ""

    def update_address_if_needed(self, node: ClusterNode, link: Link, h: Header, now: int) -> bool:
        """nodeUpdateAddressIfNeeded: a PING from a node that moved (new IP or ports)."""
        if link is node.link:
            return False
        ip = self.node_address(link, h.myip)
        if node.port == h.port and node.cport == h.cport and node.pport == h.pport and node.ip == ip:
            return False
        node.ip, node.port, node.cport, node.pport = ip, h.port, h.cport, h.pport
        self.free_link(node.link, now)
        node.flags &= ~NODE_NOADDR
        self.log(now, "address", node, "address updated for node %s, now %s:%d" % (node.name, ip, h.port))
        if self.myself.is_replica and self.myself.replicaof is node:
            self.host.replicate_from(node)
        return True

    # -- blacklist (CLUSTER FORGET) --------------------------------------------------------------

    def blacklist_add(self, name: str, now: int) -> None:
        self.blacklist_cleanup(now)
        self.blacklist[name] = now + CLUSTER_BLACKLIST_TTL

    def blacklist_cleanup(self, now: int) -> None:
        for name, expire in list(self.blacklist.items()):
            if expire < now:
                del self.blacklist[name]

    def blacklist_exists(self, name: str, now: int) -> bool:
        self.blacklist_cleanup(now)
        return name in self.blacklist

    # =========================================================================================
    # Slots management (clusterAddSlot / clusterDelSlot)
    # =========================================================================================

    def add_slot(self, node: ClusterNode, slot: int) -> bool:
        if self.slots[slot] is not None:
            return False
        if node.add_slot(slot) and node.numslots == 1 and self._masters_have_replicas():
            node.flags |= NODE_MIGRATE_TO
        self.slots[slot] = node
        return True

    def del_slot(self, slot: int) -> bool:
        n = self.slots[slot]
        if n is None:
            return False
        me = self.myself
        if n is me or (me.is_replica and n is me.replicaof):  # the slot leaves my shard: removeChannelsInSlot
            hook = getattr(self.host, "shard_slot_removed", None)
            if hook is not None:
                hook(slot)
        n.del_slot(slot)
        self.slots[slot] = None
        self.owner_not_claiming_slot.discard(slot)
        return True

    def del_node_slots(self, node: ClusterNode) -> int:
        deleted = 0
        for j in node.slot_list():
            self.del_slot(j)
            deleted += 1
        return deleted

    def _masters_have_replicas(self) -> bool:
        return any(n.is_master and n.replicas for n in self.nodes.values())

    def slot_unclaimed(self, slot: int) -> bool:
        """isSlotUnclaimed."""
        return self.slots[slot] is None or slot in self.owner_not_claiming_slot

    # =========================================================================================
    # Messages exchange: building headers
    # =========================================================================================

    def header(self, now: int, mflags: int = 0) -> Header:
        """clusterBuildMessageHdr: a replica advertises its master's slots and configEpoch."""
        me = self.myself
        master = me.replicaof if me.is_replica and me.replicaof is not None else me
        if me.is_master and self.mf_end:
            mflags |= MFLAG_PAUSED
        return Header(
            sender=me.name,
            current_epoch=self.current_epoch,
            config_epoch=master.config_epoch,
            offset=self.host.repl_offset(),
            myslots=bytes(master.slots),
            slaveof=me.replicaof.name if me.replicaof is not None else None,
            myip=self.config.announce_ip,
            port=self.config.port,
            cport=self.config.cport,
            pport=self.config.pport,
            flags=me.flags,
            state=self.state,
            mflags=mflags,
        )

    def send_ping(self, link: Link, msg_type: int, now: int) -> None:
        """clusterSendPing: a PING, PONG or MEET with a gossip section (see gossip.py)."""
        self._pings_sent += 1
        if not link.inbound and msg_type == PING and link.node is not None:
            link.node.ping_sent = now
        entries = gossip.select_gossip(self, link, self._pings_sent)
        exts = (PingExt.hostname(self.myself.hostname),) if self.myself.hostname else ()
        cls = {PING: Ping, PONG: Pong, MEET: Meet}[msg_type]
        self.send(link, cls(self.header(now), tuple(entries), exts))

    def broadcast_pong(self, now: int, local_replicas_only: bool = False) -> None:
        """clusterBroadcastPong: tell everybody (or my master's other replicas) my new config."""
        me = self.myself
        for node in list(self.nodes.values()):
            if node.link is None or node is me or node.in_handshake:
                continue
            if local_replicas_only:
                local = node.is_replica and node.replicaof is not None and (
                    node.replicaof is me or node.replicaof is me.replicaof)
                if not local:
                    continue
            self.send_ping(node.link, PONG, now)

    def send_fail(self, node: ClusterNode, now: int) -> None:
        """clusterSendFail."""
        self.log(now, "fail-sent", node, "broadcasting FAIL about %s to every node I am connected to" % node.name)
        self.broadcast(Fail(self.header(now), node.name))

    def send_update(self, link: Link | None, node: ClusterNode, now: int) -> None:
        """clusterSendUpdate: tell a stale node who really owns its slots (without the slots the
        owner no longer claims)."""
        if link is None:
            return
        slots = bytearray(node.slots)
        for s in self.owner_not_claiming_slot:
            slots[s >> 3] &= ~(1 << (s & 7))
        self.send(link, Update(self.header(now), node.config_epoch, node.name, bytes(slots)))

    def publish(self, channel: bytes, message: bytes, now: int, sharded: bool = False) -> None:
        """clusterPropagatePublish: PUBLISH to every node, SPUBLISH to my shard only."""
        msg = Publish(self.header(now), channel, message, sharded)
        if not sharded:
            self.broadcast(msg)
            return
        me = self.myself
        master = me.replicaof if me.is_replica and me.replicaof is not None else me
        for node in [master] + list(master.replicas):
            if node is not me and node.link is not None and not node.in_handshake:
                self.send(node.link, msg)

    # =========================================================================================
    # Messages exchange: processing (clusterProcessPacket)
    # =========================================================================================

    def on_message(self, link: Link, msg, now: int) -> None:
        h: Header = msg.header
        t = msg.type
        if t < TYPE_COUNT:
            self.stats_received[t] += 1
        if t == self.drop_packet_filter:
            self.log(now, "bus", "", "Dropping packet that matches debug drop filter")
            return

        # Who sent it?  The link's node, or -- on a fresh inbound link -- a lookup by name.
        if link.node is not None and not link.node.in_handshake:
            sender = link.node
        else:
            sender = self.lookup(h.sender)
            if sender is not None and link.inbound and link.node is None:
                if sender.inbound_link is not None and sender.inbound_link is not link:
                    self.free_link(sender.inbound_link, now)
                sender.inbound_link = link
                link.node = sender
        if sender is not None:
            sender.data_received = now

        sender_current_epoch = sender_config_epoch = 0
        if sender is not None and not sender.in_handshake:
            sender_current_epoch = h.current_epoch
            sender_config_epoch = h.config_epoch
            if sender_current_epoch > self.current_epoch:
                self.log(now, "epoch", sender, "currentEpoch raised from %d to %d (seen in a message from %s)"
                         % (self.current_epoch, sender_current_epoch, sender.name))
                self.current_epoch = sender_current_epoch
            if sender_config_epoch > sender.config_epoch:
                sender.config_epoch = sender_config_epoch
                self.todo(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG)
            sender.repl_offset = h.offset
            sender.repl_offset_time = now
            if (self.mf_end and self.myself.is_replica and self.myself.replicaof is sender
                    and h.mflags & MFLAG_PAUSED and self.mf_master_offset == -1):
                self.mf_master_offset = sender.repl_offset
                self.todo(TODO_HANDLE_MANUALFAILOVER)
                self.log(now, "manual-failover", sender,
                         "received replication offset %d for paused master manual failover" % h.offset)

        if t == PING or t == MEET:
            self._process_ping_or_meet(link, msg, sender, now)
        if t == PING or t == PONG or t == MEET:
            self._process_config(link, msg, sender, sender_config_epoch, now)
        elif t == 3:  # FAIL
            self._process_fail(msg, sender, now)
        elif t == 4 or t == 10:  # PUBLISH / PUBLISHSHARD
            if sender is not None:
                self.host.deliver_publish(msg.channel, msg.message, msg.sharded)
        elif t == FAILOVER_AUTH_REQUEST:
            if sender is not None:
                epochs.send_failover_auth_if_needed(self, sender, msg, now)
        elif t == FAILOVER_AUTH_ACK:
            if sender is not None and sender.is_master and sender.numslots > 0 and (
                    sender_current_epoch >= self.failover_auth_epoch):
                self.failover_auth_count += 1
                self.todo(TODO_HANDLE_FAILOVER)
                self.log(now, "vote-received", sender, "vote received from master %s: %d vote(s) counted, %d needed"
                         % (sender.name, self.failover_auth_count, self.size // 2 + 1))
        elif t == MFSTART:
            if sender is not None and sender.replicaof is self.myself:
                self.reset_manual_failover()
                self.mf_end = now + 5000  # CLUSTER_MF_TIMEOUT
                self.mf_slave = sender
                self.host.pause_writes(now + 5000 * 2)  # CLUSTER_MF_PAUSE_MULT
                self.log(now, "manual-failover", sender, "manual failover requested by replica %s" % sender.name)
                self.send_ping(link, PING, now)
        elif t == 7:  # UPDATE
            self._process_update(msg, sender, now)
        elif t >= TYPE_COUNT:
            self.log(now, "bus", "", "received unknown packet type %d" % t)

    def _process_ping_or_meet(self, link: Link, msg, sender, now: int) -> None:
        h = msg.header
        me = self.myself
        # Learn my own IP from the socket a MEET arrived on (or any PING while I know none).
        if (msg.type == MEET or not me.ip) and not self.config.announce_ip:
            ip = getattr(link, "local_ip", "")
            if ip and ip != me.ip:
                me.ip = ip
                self.log(now, "address", me, "IP address for this node updated to %s" % ip)
                self.todo(TODO_SAVE_CONFIG)
        if sender is None and msg.type == MEET:
            # A MEET from an unknown node: add it in handshake state; its real name and role
            # will be learnt from its PONG to our PING.
            node = self.create_node(None, NODE_HANDSHAKE, now)
            node.ip = self.node_address(link, h.myip)
            node.port, node.pport, node.cport = h.port, h.pport, h.cport
            self.add_node(node)
            self.todo(TODO_SAVE_CONFIG)
            self.log(now, "meet", node, "MEET received from %s:%d, starting a handshake" % (node.ip, node.port))
            gossip.process_gossip_section(self, msg, link, now)
        self.send_ping(link, PONG, now)

    def _process_config(self, link: Link, msg, sender, sender_config_epoch: int, now: int) -> None:
        h = msg.header
        if not link.inbound:
            node = link.node
            if node is not None and node.in_handshake:
                if sender is not None:
                    # We already know this node under its real name: update its address and
                    # drop the handshake placeholder (and with it this link).
                    if self.update_address_if_needed(sender, link, h, now):
                        self.todo(TODO_SAVE_CONFIG | TODO_UPDATE_STATE)
                    self.del_node(node, now)
                    return
                old = node.name
                self.rename_node(node, h.sender)
                node.flags &= ~NODE_HANDSHAKE
                node.flags |= h.flags & (NODE_MASTER | NODE_SLAVE)
                self.todo(TODO_SAVE_CONFIG)
                self.log(now, "handshake", node, "handshake with node %s completed (was %s)" % (node.name, old))
            elif node is not None and node.name != h.sender:
                # The address now answers with another id: forget the address of this node.
                node.flags |= NODE_NOADDR
                node.ip, node.port, node.pport, node.cport = "", 0, 0, 0
                self.free_link(link, now)
                self.todo(TODO_SAVE_CONFIG)
                self.log(now, "address", node, "PONG with a mismatching sender id: node has no address now")
                return

        if sender is not None:
            sender.flags = (sender.flags & ~NODE_NOFAILOVER) | (h.flags & NODE_NOFAILOVER)

        if sender is not None and msg.type == PING and not sender.in_handshake:
            if self.update_address_if_needed(sender, link, h, now):
                self.todo(TODO_SAVE_CONFIG | TODO_UPDATE_STATE)

        if not link.inbound and msg.type == PONG and link.node is not None:
            node = link.node
            node.pong_received = now
            node.ping_sent = 0
            if node.timed_out:
                node.flags &= ~NODE_PFAIL
                self.todo(TODO_SAVE_CONFIG | TODO_UPDATE_STATE)
                self.log(now, "pfail-cleared", node, "node %s answered again: PFAIL cleared" % node.name)
            elif node.failed:
                failure.clear_node_failure_if_needed(self, node, now)

        if sender is None:
            return

        # Role switch: slave -> master or master -> slave.
        if h.slaveof is None:
            if not sender.is_master:
                self.log(now, "role", sender, "node %s is now a master" % sender.name)
            self.set_node_as_master(sender)
        else:
            master = self.lookup(h.slaveof)
            if sender.is_master:
                self.del_node_slots(sender)
                sender.flags &= ~(NODE_MASTER | NODE_MIGRATE_TO)
                sender.flags |= NODE_SLAVE
                self.todo(TODO_SAVE_CONFIG | TODO_UPDATE_STATE)
                self.log(now, "role", sender, "node %s is now a replica of %s" % (sender.name, h.slaveof))
            if master is not None and sender.replicaof is not master:
                if sender.replicaof is not None:
                    sender.replicaof.remove_replica(sender)
                master.add_replica(sender)
                sender.replicaof = master
                self.todo(TODO_SAVE_CONFIG)

        # Slot ownership: does the sender (or its master) claim what I think it has?
        sender_master = sender if sender.is_master else sender.replicaof
        dirty_slots = sender_master is not None and bytes(sender_master.slots) != h.myslots
        if sender.is_master and dirty_slots:
            ownership.update_slots_config_with(self, sender, sender_config_epoch, h.myslots, now)
        if dirty_slots:
            ownership.send_update_if_stale(self, sender, sender_config_epoch, h.myslots, now)

        if self.myself.is_master and sender.is_master and sender_config_epoch == self.myself.config_epoch:
            epochs.handle_config_epoch_collision(self, sender, now)

        gossip.process_gossip_section(self, msg, link, now)
        self._process_ping_ext(msg, sender)

    def _process_ping_ext(self, msg, sender: ClusterNode) -> None:
        """clusterProcessPingExt: the hostname extension (7.2 extension types are ignored)."""
        hostname = None
        for ext in msg.extensions:
            if ext.type == 0:
                hostname = ext.text
        sender.hostname = hostname or ""

    def _process_fail(self, msg, sender, now: int) -> None:
        if sender is None:
            self.log(now, "fail", msg.node, "ignoring FAIL message from unknown node %s about %s"
                     % (msg.header.sender, msg.node))
            return
        failing = self.lookup(msg.node)
        if failing is not None and not failing.flags & (NODE_FAIL | NODE_MYSELF):
            failing.flags |= NODE_FAIL
            failing.fail_time = now
            failing.flags &= ~NODE_PFAIL
            self.todo(TODO_SAVE_CONFIG | TODO_UPDATE_STATE)
            self.log(now, "fail", failing, "FAIL message received from %s about %s" % (sender.name, failing.name))

    def _process_update(self, msg, sender, now: int) -> None:
        if sender is None:
            return
        n = self.lookup(msg.node)
        if n is None or n.config_epoch >= msg.config_epoch:
            return
        if n.is_replica:
            self.set_node_as_master(n)
        n.config_epoch = msg.config_epoch
        self.todo(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG)
        self.log(now, "update", n, "UPDATE from %s: node %s has configEpoch %d"
                 % (sender.name, n.name, msg.config_epoch))
        ownership.update_slots_config_with(self, n, msg.config_epoch, msg.slots, now)

    # =========================================================================================
    # Cron job (clusterCron, every 100 ms)
    # =========================================================================================

    def on_tick(self, now: int) -> None:
        self.iteration += 1
        nt = self.config.node_timeout
        handshake_timeout = max(nt, 1000)
        self.stats_pfail_nodes = 0
        self.myself.hostname = self.config.announce_hostname

        for node in list(self.nodes.values()):
            if node.flags & (NODE_MYSELF | NODE_NOADDR):
                continue
            if node.flags & NODE_PFAIL:
                self.stats_pfail_nodes += 1
            if node.in_handshake and now - node.ctime > handshake_timeout:
                self.log(now, "handshake-timeout", node, "handshake with %s:%d timed out" % (node.ip, node.port))
                self.del_node(node, now)
                continue
            if node.link is None:
                link = self._new_link(now, False, node)
                node.link = link
                self.outbox.append(Connect(link, node.ip, node.cport))

        # Every 10th run ping one of 5 random nodes: the one we heard from least recently.
        if self.iteration % 10 == 0:
            candidates = list(self.nodes.values())
            min_pong_node = None
            for _ in range(5):
                this = self.rng.choice(candidates)
                if this.link is None or this.ping_sent != 0:
                    continue
                if this.flags & (NODE_MYSELF | NODE_HANDSHAKE):
                    continue
                if min_pong_node is None or min_pong_node.pong_received > this.pong_received:
                    min_pong_node = this
            if min_pong_node is not None:
                self.send_ping(min_pong_node.link, PING, now)

        orphaned_masters = max_replicas = this_replicas = 0
        update_state = False
        me = self.myself
        for node in list(self.nodes.values()):
            if node.flags & (NODE_MYSELF | NODE_NOADDR | NODE_HANDSHAKE):
                continue
            if me.is_replica and node.is_master and not node.failed:
                ok = node.count_ok_replicas()
                if ok == 0 and node.numslots > 0 and node.flags & NODE_MIGRATE_TO:
                    orphaned_masters += 1
                max_replicas = max(max_replicas, ok)
                if me.replicaof is node:
                    this_replicas = ok
            ping_delay = now - node.ping_sent
            data_delay = now - node.data_received
            link = node.link
            if (link is not None and now - link.ctime > nt and node.ping_sent and ping_delay > nt // 2
                    and data_delay > nt // 2):
                # No traffic for half the timeout while waiting for a PONG: reconnect.
                self.free_link(link, now)
                link = None
            if link is not None and node.ping_sent == 0 and now - node.pong_received > nt // 2:
                # (on a link still connecting, the PING waits in its send buffer, as in Redis: that
                # is what starts the failure-detection clock for a node that cannot be reached)
                self.send_ping(link, PING, now)
                continue
            if self.mf_end and me.is_master and self.mf_slave is node and link is not None:
                self.send_ping(link, PING, now)
                continue
            if node.ping_sent == 0:
                continue
            node_delay = min(ping_delay, data_delay)
            if node_delay > nt and not node.flags & (NODE_PFAIL | NODE_FAIL):
                node.flags |= NODE_PFAIL
                update_state = True
                self.log(now, "pfail", node, "no reply from %s for %d ms (node timeout %d): PFAIL"
                         % (node.name, node_delay, nt))
                failure.mark_node_as_failing_if_needed(self, node, now)

        if me.is_replica and me.replicaof is not None and me.replicaof.has_addr:
            self.ensure_replication(now)

        if self.failover_hooks is not None:
            self.failover_hooks.cron(self, now, orphaned_masters, max_replicas, this_replicas)

        if update_state or self.state == CLUSTER_FAIL:
            state_eval.update_state(self, now)

    def ensure_replication(self, now: int) -> None:
        """clusterCron: a replica whose replication is off starts it once its master's address is known."""
        master = self.myself.replicaof
        if master is not None and master.ip and master.port:
            self.host.ensure_replicating(master)

    # =========================================================================================
    # CLUSTER commands that change the state (the replies are built in commands/cluster.py)
    # =========================================================================================

    def start_handshake(self, ip: str, port: int, cport: int, now: int) -> bool:
        """clusterStartHandshake (CLUSTER MEET): False if a handshake to that address is in progress."""
        for node in self.nodes.values():
            if node.in_handshake and node.ip == ip and node.port == port and node.cport == cport:
                return False
        node = self.create_node(None, NODE_HANDSHAKE | NODE_MEET, now)
        node.ip, node.port, node.cport = ip, port, cport
        self.add_node(node)
        self.log(now, "meet", node, "CLUSTER MEET %s:%d@%d: handshake started" % (ip, port, cport))
        return True

    def set_slot_owner(self, slot: int, node: ClusterNode) -> None:
        self.del_slot(slot)
        self.add_slot(node, slot)
