"""The cluster manager: redis-trib.rb, i.e. ``redis-cli --cluster`` of Redis 7.0, in Python.

Layout (each function names its counterpart in Redis's ``src/redis-cli.c``, so both can be read side by
side):

- loading a cluster: :meth:`ClusterManager.load_info_from_node` connects to one node, reads its
  ``CLUSTER NODES``, then connects to every node listed there and reads *their own* line
  (clusterManagerLoadInfoFromNode / clusterManagerNodeLoadInfo);
- checking it: :meth:`check_cluster` — do all nodes report the same slot map (the "config signature"),
  are slots open (MIGRATING/IMPORTING), are all 16384 covered, optionally does any slot have keys on two
  masters (clusterManagerCheckCluster); with ``fix`` each problem is repaired as redis-cli does;
- moving a slot: :meth:`move_slot` — SETSLOT IMPORTING on the target, MIGRATING on the source, batches
  of GETKEYSINSLOT + ``MIGRATE ... KEYS``, then SETSLOT NODE on the target, the source and every other
  master (clusterManagerMoveSlot);
- one method per subcommand: create, check, info, fix, reshard, rebalance, add-node, del-node, call,
  set-timeout, import, backup (clusterManagerCommand*).

Only commands every Redis-compatible node answers are used, so the manager drives clusters of
pyredis-server nodes, of redis-server nodes, or of both.

Theory of operation, in one paragraph: a Redis Cluster has no central configuration; each node stores its
own view and the views converge through gossip, with configEpochs resolving conflicts.  The manager
therefore never "sets the cluster's configuration": it asks each node to change *its* view (ADDSLOTS,
SETSLOT, REPLICATE, MEET, FORGET) in an order that keeps every intermediate state safe — e.g. a slot is
handed to its new owner on the target first, because the target then bumps its configEpoch and wins any
conflict (redis/redis#7116) — and then waits until all views agree.
"""

from __future__ import annotations

import math
import os
import random
import socket
import struct
import time
from dataclasses import dataclass, field

from ..cluster.slots import key_hash_slot
from .nodes import (DISCONNECT, FAIL, FRIEND, MYSELF, NOADDR, SLAVE, SLOTS, Link, ManagedNode, ReplyError,
                    atoi, info_field, parse_address, resolve, text)
from .output import Reporter

MIGRATE_TIMEOUT = 60000  # CLUSTER_MANAGER_MIGRATE_TIMEOUT
SETTLE_SECONDS = 10.0  # how long add-node/reshard/rebalance wait for the nodes to agree before their check (ours only)
MIGRATE_PIPELINE = 10  # CLUSTER_MANAGER_MIGRATE_PIPELINE
REBALANCE_THRESHOLD = 2.0  # CLUSTER_MANAGER_REBALANCE_THRESHOLD
JOIN_CHECK_AFTER = 20  # CLUSTER_JOIN_CHECK_AFTER (seconds before diagnosing unreachable bus ports)
RDB_EOF_MARK_SIZE = 40

# clusterManagerMoveSlot options (CLUSTER_MANAGER_OPT_*)
OPT_GETFRIENDS = 1 << 0
OPT_COLD = 1 << 1
OPT_UPDATE = 1 << 2
OPT_QUIET = 1 << 6
OPT_VERBOSE = 1 << 7

INVALID_HOST_ARG = ("[ERR] Invalid arguments: you need to pass either a valid address (ie. 120.0.0.1:7000) "
                    "or space separated IP and port (ie. 120.0.0.1 7000)")

_F32 = struct.Struct("f")


def f32(x: float) -> float:
    """Round to a C float: redis-cli does its slot arithmetic in 32-bit floats."""
    return _F32.unpack(_F32.pack(x))[0]


def lround(x: float) -> int:
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


@dataclass
class Options:
    """config.cluster_manager_command: every --cluster-* option (ours without the ``cluster-`` prefix)."""

    replicas: int = 0
    yes: bool = False
    from_: str | None = None
    to: str | None = None
    slots: int = 0
    timeout: int = MIGRATE_TIMEOUT
    pipeline: int = MIGRATE_PIPELINE
    replace: bool = False
    weights: list = field(default_factory=list)
    use_empty_masters: bool = False
    threshold: float = REBALANCE_THRESHOLD
    simulate: bool = False
    replica: bool = False
    master_id: str | None = None
    search_multiple_owners: bool = False
    fix_with_unreachable_masters: bool = False
    only_masters: bool = False
    only_replicas: bool = False
    copy: bool = False
    from_user: str | None = None
    from_pass: str | None = None
    user: str | None = None
    password: str | None = None
    verbose: bool = False
    fix: bool = False
    join_timeout: float = 300.0  # ours: redis-cli waits for the join forever
    io_timeout: float | None = None


class ManagerAbort(Exception):
    """Stop the current subcommand with a failure (redis-cli: ``exit(1)`` deep inside a helper)."""


class ClusterManager:
    """The state of one ``pyredis-cluster <subcommand>`` run (Redis: the ``cluster_manager`` global)."""

    def __init__(self, opts: Options | None = None, reporter: Reporter | None = None):
        self.opts = opts or Options()
        self.rep = reporter or Reporter()
        self.nodes: list[ManagedNode] = []
        self.unreachable_masters = 0
        self.unusable: list[ManagedNode] = []  # friends listed in CLUSTER NODES that could not be used
        self.result: dict = {}  # what --json prints

    # -- connections and replies --------------------------------------------------------------------------

    def io_timeout(self) -> float:
        if self.opts.io_timeout is not None:
            return self.opts.io_timeout
        return max(120.0, 2 * self.opts.timeout / 1000.0)

    def connect(self, node: ManagedNode) -> bool:
        """clusterManagerNodeConnect (AUTH included: redis-py sends it on connect)."""
        node.close()
        link = Link(node.ip, node.port, self.opts.user, self.opts.password, io_timeout=self.io_timeout())
        try:
            link.connect()
        except Exception as e:  # redis.ConnectionError, AuthenticationError, ResponseError...
            msg = str(e)
            if "Error " in msg and " connecting to " in msg:  # redis-py's wording -> hiredis's
                msg = msg.split(". ", 1)[-1].rstrip(".")
            self.rep.stderr("Could not connect to Redis at %s:%d: %s\n" % (node.ip, node.port, msg))
            return False
        node.link = link
        return True

    def close(self) -> None:
        for n in self.nodes:
            n.close()

    def print_reply_error(self, node: ManagedNode, err) -> None:
        """CLUSTER_MANAGER_PRINT_REPLY_ERROR."""
        self.rep.err("Node %s:%d replied with error:\n%s" % (node.ip, node.port, err))

    def check_reply(self, node: ManagedNode, reply, quiet: bool = False) -> bool:
        """clusterManagerCheckRedisReply: False (and the error printed unless quiet) on an error reply."""
        if isinstance(reply, ReplyError):
            if not quiet:
                self.print_reply_error(node, reply)
            return False
        return True

    def node_by_name(self, name: str) -> ManagedNode | None:
        """clusterManagerNodeByName (IDs compared in lower case)."""
        name = name.lower()
        for n in self.nodes:
            if n.name and n.name == name:
                return n
        return None

    def node_by_abbreviated_name(self, prefix: str) -> ManagedNode | None:
        """clusterManagerNodeByAbbreviatedName: the first node whose ID starts with ``prefix``."""
        prefix = prefix.lower()
        for n in self.nodes:
            if n.name and n.name.startswith(prefix):
                return n
        return None

    def masters(self) -> list:
        return [n for n in self.nodes if not n.is_slave]

    # -- loading the cluster --------------------------------------------------------------------------------

    def node_info(self, node: ManagedNode):
        """clusterManagerGetNodeRedisInfo: the INFO text, or a ReplyError."""
        r = node.call("INFO")
        return r if isinstance(r, ReplyError) else text(r)

    def node_is_cluster(self, node: ManagedNode):
        """clusterManagerNodeIsCluster -> (is_cluster, error text or None)."""
        info = self.node_info(node)
        if isinstance(info, ReplyError):
            return False, str(info)
        return info_field(info, "cluster_enabled") == 1, None

    def node_is_empty(self, node: ManagedNode):
        """clusterManagerNodeIsEmpty: no key in db0 and knows no other node -> (is_empty, error)."""
        info = self.node_info(node)
        if isinstance(info, ReplyError):
            return False, str(info)
        if "db0:" in info:
            return False, None
        r = node.call("CLUSTER", "INFO")
        if isinstance(r, ReplyError):
            return False, str(r)
        return info_field(text(r), "cluster_known_nodes") == 1, None

    def not_cluster_error(self, node: ManagedNode, err) -> None:
        """clusterManagerPrintNotClusterNodeError."""
        self.rep.err("[ERR] Node %s:%d %s" % (node.ip, node.port, err or "is not configured as a cluster node."))

    def not_empty_error(self, node: ManagedNode, err) -> None:
        """clusterManagerPrintNotEmptyNodeError."""
        msg = err or ("is not empty. Either the node already knows other nodes (check with CLUSTER NODES) "
                      "or contains some key in database 0.")
        self.rep.err("[ERR] Node %s:%d %s" % (node.ip, node.port, msg))

    def load_info(self, node: ManagedNode, getfriends: bool):
        """clusterManagerNodeLoadInfo: parse CLUSTER NODES as redis-cli does (its own tokenizer, so the
        exact text matters).  Returns None on success, else the error (text)."""
        reply = node.call("CLUSTER", "NODES")
        if isinstance(reply, ReplyError):
            return str(reply)
        lines = text(reply)
        while "\n" in lines:
            line, lines = lines.split("\n", 1)
            parts = line.split(" ", 8)
            if len(parts) < 3:
                return "invalid CLUSTER NODES reply"
            name, addr, flags = parts[0], parts[1], parts[2]
            master_id = parts[3] if len(parts) > 3 else None
            ping_sent = parts[4] if len(parts) > 4 else None
            ping_recv = parts[5] if len(parts) > 5 else None
            config_epoch = parts[6] if len(parts) > 6 else None
            slotsdefs = parts[8] if len(parts) > 8 else None
            parsed = parse_address(addr)
            if parsed is None:
                self.rep.stderr("Error: invalid CLUSTER NODES reply\n")
                return "invalid CLUSTER NODES reply"
            ip, port, bus_port = parsed
            myself = MYSELF in flags
            if myself:
                node.bus_port = bus_port  # the bus port given on the command line may be wrong
                node.flags.add(MYSELF)
                current = node
                node.reset_slots()
                node.migrating, node.importing = [], []
                if slotsdefs is not None:
                    for slotsdef in slotsdefs.split(" "):
                        if slotsdef.startswith("["):
                            body = slotsdef[1:]
                            if "->-" in body:  # migrating
                                slot, dst = body.split("->-", 1)
                                node.migrating.append((slot, dst.split("]", 1)[0]))
                            elif "-<-" in body:  # importing
                                slot, src = body.split("-<-", 1)
                                node.importing.append((slot, src.split("]", 1)[0]))
                        elif "-" in slotsdef:
                            a, b = slotsdef.split("-", 1)
                            start, stop = atoi(a), atoi(b)
                            for s in range(max(start, 0), min(stop, SLOTS - 1) + 1):
                                node.slots[s] = 1
                            node.slots_count += stop - (start - 1)
                        elif slotsdef:
                            s = atoi(slotsdef)
                            if 0 <= s < SLOTS:
                                node.slots[s] = 1
                            node.slots_count += 1
                node.dirty = False
            elif not getfriends:
                if MYSELF not in node.flags:
                    continue
                break
            else:
                current = ManagedNode(ip, port, bus_port)
                current.flags.add(FRIEND)
                node.friends.append(current)
            current.name = name
            current.flags_str = []
            for flag in flags.split(","):
                if not flag:
                    continue
                if flag == "noaddr":
                    current.flags.add(NOADDR)
                elif flag == "disconnected":
                    current.flags.add(DISCONNECT)
                elif flag == "fail":
                    current.flags.add(FAIL)
                elif flag == "slave":
                    current.flags.add(SLAVE)
                    if master_id is not None:
                        current.replicate = master_id
                current.flags_str.append(flag)
            if config_epoch is not None:
                current.current_epoch = atoi(config_epoch)
            if ping_sent is not None:
                current.ping_sent = atoi(ping_sent)
            if ping_recv is not None:
                current.ping_recv = atoi(ping_recv)
            if not getfriends and myself:
                break
        return None

    def load_info_from_node(self, node: ManagedNode) -> bool:
        """clusterManagerLoadInfoFromNode: the node, then every usable node it knows about."""
        if node.link is None and not self.connect(node):
            return False
        is_cluster, e = self.node_is_cluster(node)
        if not is_cluster:
            self.not_cluster_error(node, e)
            node.close()
            return False
        e = self.load_info(node, getfriends=True)
        if e is not None:
            self.print_reply_error(node, e)
            node.close()
            return False
        self.close()
        self.nodes = [node]
        self.unusable = []
        self.unreachable_masters = 0
        for friend in node.friends:
            usable = False
            if friend.ip and friend.port:
                if self.connect(friend):
                    e = self.load_info(friend, getfriends=False)
                    if e is None:
                        usable = not (friend.flags & {NOADDR, DISCONNECT, FAIL})
                    else:
                        self.rep.err("[ERR] Unable to load info for node %s:%d" % (friend.ip, friend.port))
            if usable:
                self.nodes.append(friend)
            else:
                if not friend.is_slave:
                    self.unreachable_masters += 1
                friend.close()
                self.unusable.append(friend)
        node.friends = []
        for n in self.nodes:  # count replicas
            if n.replicate is not None:
                master = self.node_by_name(n.replicate)
                if master is None:
                    self.rep.warn("*** WARNING: %s:%d claims to be slave of unknown node ID %s."
                                  % (n.ip, n.port, n.replicate))
                else:
                    master.replicas_count += 1
        return True

    def load_cluster(self, addr_args: list) -> bool:
        """Parse ``host:port`` (or ``host port``) and load the cluster from that node."""
        hp = host_port_from_args(addr_args)
        if hp is None:
            self.rep.stderr(INVALID_HOST_ARG + "\n")
            return False
        return self.load_info_from_node(ManagedNode(*hp))

    # -- views of the cluster ------------------------------------------------------------------------------

    def config_signature(self, node: ManagedNode) -> str | None:
        """clusterManagerGetConfigSignature: ``id:slots,...|id:slots,...`` of the masters with slots, as
        this node sees them (the slot tokens sorted as strings, open-slot markers ignored)."""
        reply = node.call("CLUSTER", "NODES")
        if isinstance(reply, ReplyError):
            return None
        configs = []
        lines = text(reply)
        while "\n" in lines:
            line, lines = lines.split("\n", 1)
            parts = line.split(" ", 8)
            if len(parts) < 9 or not parts[8]:
                continue
            slots = [t for t in parts[8].split(" ") if not t.startswith("[")]
            if slots:
                configs.append(parts[0] + ":" + ",".join(sorted(slots)))
        if not configs:
            return None
        return "|".join(sorted(configs))

    def is_config_consistent(self) -> bool:
        """clusterManagerIsConfigConsistent: every node reports the same signature."""
        if len(self.nodes) <= 1:
            return True
        first = None
        for node in self.nodes:
            cfg = self.config_signature(node)
            if cfg is None:
                return False
            if first is None:
                first = cfg
            elif cfg != first:
                return False
        return True

    def nodes_know_each_other(self) -> bool:
        """Every loaded node lists every other one (past the handshake).  A node MEET a moment ago is
        known to its first peer at once but to the others only once gossip brings it; until then a
        MIGRATE or SETSLOT NODE naming it fails with "ERR Unknown node" on them."""
        names = {n.name for n in self.nodes if n.name}
        for node in self.nodes:
            reply = node.call("CLUSTER", "NODES")
            if reply is None or isinstance(reply, ReplyError):
                return False
            known = set()
            for line in text(reply).split("\n"):
                parts = line.split(" ")
                if len(parts) >= 8 and "handshake" not in parts[2] and "noaddr" not in parts[2]:
                    known.add(parts[0])
            if not names <= known:
                return False
        return True

    def settle(self) -> None:
        """Give a cluster that changed a moment ago (a node just added, a slot just moved) up to
        SETTLE_SECONDS to converge before a command checks it: every signature equal and every node known
        to every other.  redis-cli checks at once, so scripts driving it need pauses between steps;
        ours waits instead, and returns at once when the cluster is already settled."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            if self.is_config_consistent() and self.nodes_know_each_other():
                return
            time.sleep(0.25)

    def link_status(self) -> dict:
        """clusterManagerGetLinkStatus: {address of an unreachable node: [nodes that can't reach it]}."""
        status: dict = {}
        for node in self.nodes:
            reply = node.call("CLUSTER", "NODES")
            if not self.check_reply(node, reply):
                continue
            for line in text(reply).split("\n"):
                parts = line.split(" ")
                if len(parts) < 8 or MYSELF in parts[2]:
                    continue
                disconnected = "disconnected" in parts[2] or "disconnected" in parts[7]
                if disconnected or "handshake" in parts[2]:
                    status.setdefault(parts[1], []).append("%s:%d" % (node.ip, node.port))
        return status

    def wait_for_cluster_join(self) -> bool:
        """clusterManagerWaitForClusterJoin: poll the signatures once a second until they agree."""
        self.rep.out("Waiting for the cluster to join")
        counter = 0
        check_after = JOIN_CHECK_AFTER + int(len(self.nodes) * 0.15)
        deadline = time.monotonic() + self.opts.join_timeout
        while not self.is_config_consistent():
            if time.monotonic() > deadline:
                self.rep.out("")
                self.rep.err("[ERR] The nodes did not agree about the configuration within %d seconds."
                             % self.opts.join_timeout)
                return False
            self.rep.write(".")
            time.sleep(1)
            counter += 1
            if counter > check_after:
                status = self.link_status()
                if status:
                    self.rep.out("")
                    self.rep.err("Warning: %d node(s) may be unreachable" % len(status))
                    for addr, sources in status.items():
                        parsed = parse_address(addr)
                        if parsed and parsed[2]:
                            self.rep.err(" - The port %d of node %s may be unreachable from:" % (parsed[2], parsed[0]))
                        else:
                            self.rep.err(" - Node %s may be unreachable from:" % addr)
                        for s in sources:
                            self.rep.err("   %s" % s)
                        self.rep.err("Cluster bus ports must be reachable by every node.\nRemember that cluster "
                                     "bus ports are different from standard instance ports.")
                counter = 0
        self.rep.out("")
        return True

    def show_nodes(self) -> None:
        """clusterManagerShowNodes."""
        for node in self.nodes:
            self.rep.out(node.info_string(0))

    def show_cluster_info(self) -> bool:
        """clusterManagerShowClusterInfo: keys, slots and replicas per master (DBSIZE on each)."""
        masters = keys = 0
        rows = []
        for node in self.nodes:
            if node.is_slave or not node.name:
                continue
            replicas = sum(1 for n in self.nodes if n is not node and n.is_slave and n.replicate == node.name)
            reply = node.call("DBSIZE")
            if not isinstance(reply, int):
                self.print_reply_error(node, reply if isinstance(reply, ReplyError) else "")
                return False
            self.rep.out("%s:%d (%s...) -> %d keys | %d slots | %d slaves."
                         % (node.ip, node.port, node.name[:8], reply, node.slots_count, replicas))
            rows.append({"name": node.name, "host": node.ip, "port": node.port, "keys": reply,
                         "slots": node.slots_count, "replicas": replicas})
            masters += 1
            keys += reply
        self.rep.ok("[OK] %d keys in %d masters." % (keys, masters))
        self.rep.out("%.2f keys per slot on average." % f32(keys / SLOTS))
        self.result["masters"] = rows
        self.result["keys"] = keys
        return True

    # -- slot primitives -------------------------------------------------------------------------------------

    def add_slots(self, node: ManagedNode):
        """clusterManagerAddSlots: one CLUSTER ADDSLOTS with every slot as its own argument.
        Returns None or the error."""
        slots = [str(i) for i in range(SLOTS) if node.slots[i]]
        if not slots:
            return ReplyError("no slots to add")
        reply = node.call("CLUSTER", "ADDSLOTS", *slots)
        return reply if isinstance(reply, ReplyError) else None

    def get_slot_owner(self, node: ManagedNode, slot: int):
        """clusterManagerGetSlotOwner: who serves ``slot`` according to ``node``'s CLUSTER SLOTS.
        Returns (owner or None, error or None)."""
        reply = node.call("CLUSTER", "SLOTS")
        if isinstance(reply, ReplyError):
            return None, reply
        for entry in reply:
            if len(entry) < 3 or not (entry[0] <= slot <= entry[1]):
                continue
            nr = entry[2]
            owner = None
            if len(nr) >= 3 and nr[2] is not None:
                owner = self.node_by_name(text(nr[2]))
            else:
                ip, port = text(nr[0]), nr[1]
                owner = next((n for n in self.nodes if n.ip == ip and n.port == port), None)
            if owner is not None:
                return owner, None
        return None, None

    def set_slot(self, node: ManagedNode, other: ManagedNode, slot: int, status: str, quiet: bool = False):
        """clusterManagerSetSlot: CLUSTER SETSLOT <slot> <status> <other's id>.  Returns None or the error
        (printed unless ``quiet``, where the caller reports it)."""
        reply = node.call("CLUSTER", "SETSLOT", str(slot), status, other.name)
        if isinstance(reply, ReplyError):
            if not quiet:
                self.print_reply_error(node, reply)
            return reply
        return None

    def clear_slot_status(self, node: ManagedNode, slot: int) -> bool:
        """clusterManagerClearSlotStatus: CLUSTER SETSLOT <slot> STABLE."""
        return self.check_reply(node, node.call("CLUSTER", "SETSLOT", str(slot), "STABLE"))

    def del_slot(self, node: ManagedNode, slot: int, ignore_unassigned_err: bool) -> bool:
        """clusterManagerDelSlot: DELSLOTS, tolerating "already unassigned" when asked to."""
        reply = node.call("CLUSTER", "DELSLOTS", str(slot))
        success = not isinstance(reply, ReplyError)
        if not success and ignore_unassigned_err:
            owner, err = self.get_slot_owner(node, slot)
            if owner is None:
                if err is None:
                    success = True
                else:
                    self.print_reply_error(node, err)
        if not success:
            self.print_reply_error(node, reply)
        return success

    def count_keys_in_slot(self, node: ManagedNode, slot: int) -> int:
        """clusterManagerCountKeysInSlot (-1 on error)."""
        reply = node.call("CLUSTER", "COUNTKEYSINSLOT", str(slot))
        if not self.check_reply(node, reply) or not isinstance(reply, int):
            return -1
        return reply

    def set_slot_owner(self, owner: ManagedNode, slot: int, do_clear: bool) -> bool:
        """clusterManagerSetSlotOwner: MULTI; DELSLOTS; ADDSLOTS; [SETSLOT STABLE]; BUMPEPOCH; EXEC —
        only an ADDSLOTS failure counts (clusterManagerOnSetOwnerErr)."""
        if not self.check_reply(owner, owner.call("MULTI")):
            return False
        self.del_slot_queued(owner, slot)
        owner.call("CLUSTER", "ADDSLOTS", str(slot))
        if do_clear:
            owner.call("CLUSTER", "SETSLOT", str(slot), "STABLE")
        owner.call("CLUSTER", "BUMPEPOCH")
        reply = owner.call("EXEC")
        if not self.check_reply(owner, reply) or not isinstance(reply, list):
            return False
        for i, r in enumerate(reply):
            if isinstance(r, ReplyError) and i == 1:
                self.print_reply_error(owner, r)
                return False
        return True

    def del_slot_queued(self, node: ManagedNode, slot: int) -> None:
        """clusterManagerDelSlot inside MULTI: the reply is just QUEUED."""
        node.call("CLUSTER", "DELSLOTS", str(slot))

    def compare_keys_values(self, n1: ManagedNode, n2: ManagedNode, keys: list):
        """clusterManagerCompareKeysValues: DEBUG DIGEST-VALUE on both nodes; the keys whose values
        differ (keys missing on one side ignored).  None when a node replied with an error."""
        zero = b"0" * 40
        r1 = n1.call("DEBUG", "DIGEST-VALUE", *keys)
        r2 = n2.call("DEBUG", "DIGEST-VALUE", *keys)
        ok = True
        for n, r in ((n1, r1), (n2, r2)):
            if isinstance(r, ReplyError):
                self.print_reply_error(n, r)
                ok = False
        if not ok:
            return None
        return [k for k, h1, h2 in zip(keys, r1, r2) if h1 != zero and h2 != zero and h1 != h2]

    def migrate_keys(self, source: ManagedNode, target: ManagedNode, keys: list, replace: bool, timeout: int):
        """clusterManagerMigrateKeysInReply: MIGRATE <ip> <port> "" 0 <timeout> [REPLACE] [AUTH..] KEYS ..."""
        args = ["MIGRATE", target.ip, str(target.port), "", "0", str(timeout)]
        if replace:
            args.append("REPLACE")
        if self.opts.password:
            if self.opts.user:
                args += ["AUTH2", self.opts.user, self.opts.password]
            else:
                args += ["AUTH", self.opts.password]
        args.append("KEYS")
        args += keys
        return source.call(*args)

    def migrate_keys_in_slot(self, source: ManagedNode, target: ManagedNode, slot: int, verbose: bool,
                             progress=None):
        """clusterManagerMigrateKeysInSlot: move the slot's keys in batches of ``pipeline``.
        Returns (success, error text or None)."""
        do_fix = self.opts.fix
        do_replace = self.opts.replace
        timeout, pipeline = self.opts.timeout, self.opts.pipeline
        while True:
            reply = source.call("CLUSTER", "GETKEYSINSLOT", str(slot), str(pipeline))
            if isinstance(reply, ReplyError):
                if not reply.io:
                    self.print_reply_error(source, reply)
                return False, str(reply)
            if not reply:
                return True, None
            keys = list(reply)
            mreply = self.migrate_keys(source, target, keys, False, timeout)
            if isinstance(mreply, ReplyError):
                is_busy = "BUSYKEY" in str(mreply)
                not_served = False
                if not is_busy:
                    served_by, err = self.get_slot_owner(source, slot)
                    if served_by is None:
                        if err is None:
                            not_served = True
                        else:
                            self.print_reply_error(source, err)
                if is_busy or not_served:
                    if do_fix and not_served:
                        self.rep.warn("*** Slot was not served, setting owner to node %s:%d."
                                      % (target.ip, target.port))
                        self.set_slot(source, target, slot, "node")
                    if is_busy:
                        self.rep.warn("\n*** Target key exists")
                        if not do_replace:
                            self.rep.warn("*** Checking key values on both nodes...")
                            diffs = self.compare_keys_values(source, target, keys)
                            if diffs is None:
                                self.rep.err("*** Value check failed!")
                                return False, str(mreply)
                            if diffs:
                                self.rep.err("*** Found %d key(s) in both source node and target node having "
                                             "different values.\n    Source node: %s:%d\n    Target node: %s:%d\n"
                                             "    Keys(s):" % (len(diffs), source.ip, source.port,
                                                              target.ip, target.port))
                                for k in diffs:
                                    self.rep.err("    - %s" % text(k))
                                self.rep.err("Please fix the above key(s) manually and try again or relaunch the "
                                             "command \nwith --replace option to force key overriding.")
                                return False, str(mreply)
                        self.rep.warn("*** Replacing target keys...")
                    mreply = self.migrate_keys(source, target, keys, is_busy, timeout)
                if isinstance(mreply, ReplyError):
                    self.rep.out("")
                    self.print_reply_error(source, mreply)
                    return False, str(mreply)
            if progress is not None:
                progress.advance(keys=len(keys))
            if verbose:
                self.rep.write("." * len(keys))

    def move_slot(self, source: ManagedNode, target: ManagedNode, slot: int, opts: int, progress=None):
        """clusterManagerMoveSlot.  Returns (success, error text or None)."""
        quiet = bool(opts & OPT_QUIET)
        if not quiet:
            self.rep.write("Moving slot %d from %s:%d to %s:%d: " % (slot, source.ip, source.port,
                                                                    target.ip, target.port))
        cold = bool(opts & OPT_COLD)
        if not cold:
            err = self.set_slot(target, source, slot, "importing", quiet=True)
            if err is not None:
                return False, str(err)
            err = self.set_slot(source, target, slot, "migrating", quiet=True)
            if err is not None:
                return False, str(err)
        ok, err = self.migrate_keys_in_slot(source, target, slot, bool(opts & OPT_VERBOSE), progress)
        if not quiet:
            self.rep.out("")
        if not ok:
            return False, err
        if not cold:
            # The target first: it bumps its configEpoch and propagates the change; informing anyone else
            # first could leave the slot without an owner if the target crashed (redis/redis#7116).
            err = self.set_slot(target, target, slot, "node", quiet=True)
            if err is not None:
                return False, str(err)
            # The source may have just lost its last slot and turned into a replica (redis/redis#9223).
            err = self.set_slot(source, target, slot, "node", quiet=True)
            if err is not None and not str(err).startswith("ERR Please use SETSLOT only with masters."):
                return False, str(err)
            # Every other master too, so clients are not bounced while the target's news spreads.
            for n in self.nodes:
                if n is target or n is source or n.is_slave:
                    continue
                err = self.set_slot(n, target, slot, "node", quiet=True)
                if err is not None:
                    return False, str(err)
        if opts & OPT_UPDATE:
            source.slots[slot] = 0
            target.slots[slot] = 1
        return True, None

    # -- check and fix -----------------------------------------------------------------------------------------

    def covered_slots(self) -> bytearray:
        """clusterManagerGetCoveredSlots."""
        covered = bytearray(SLOTS)
        for n in self.nodes:
            for i in range(SLOTS):
                if n.slots[i]:
                    covered[i] = 1
        return covered

    def check_cluster(self, quiet: bool = False) -> bool:
        """clusterManagerCheckCluster (and, with ``opts.fix``, the repairs)."""
        if not self.nodes:
            return False
        node = self.nodes[0]
        self.rep.info(">>> Performing Cluster Check (using node %s:%d)" % (node.ip, node.port))
        result = True
        do_fix = self.opts.fix
        if not quiet:
            self.show_nodes()
        if not self.is_config_consistent():
            self.rep.on_error("[ERR] Nodes don't agree about configuration!")
            result = False
        else:
            self.rep.ok("[OK] All nodes agree about slots configuration.")
        self.rep.info(">>> Check for open slots...")
        open_slots: dict = {}
        for n in self.nodes:
            if n.migrating:
                for slot, dst in n.migrating:
                    open_slots[slot] = dst
                self.rep.on_error("[WARNING] Node %s:%d has slots in migrating state %s."
                                  % (n.ip, n.port, ",".join(s for s, _ in n.migrating)))
            if n.importing:
                for slot, src in n.importing:
                    open_slots[slot] = src
                self.rep.on_error("[WARNING] Node %s:%d has slots in importing state %s."
                                  % (n.ip, n.port, ",".join(s for s, _ in n.importing)))
        self.result["open_slots"] = sorted(atoi(s) for s in open_slots)
        if open_slots:
            result = False
            self.rep.err("[WARNING] The following slots are open: %s." % ",".join(open_slots))
            if do_fix:
                for slot in open_slots:
                    result = self.fix_open_slot(atoi(slot))
                    if not result:
                        break
        self.rep.info(">>> Check slots coverage...")
        covered = self.covered_slots()
        coverage = sum(covered)
        self.result["slots_covered"] = coverage
        if coverage == SLOTS:
            self.rep.ok("[OK] All %d slots covered." % SLOTS)
        else:
            self.rep.on_error("[ERR] Not all %d slots are covered by nodes.\n" % SLOTS)
            result = False
            if do_fix:
                fixed = self.fix_slots_coverage(covered)
                if fixed > 0:
                    result = True
        if self.opts.search_multiple_owners:
            self.rep.info(">>> Check for multiple slot owners...")
            with_multiple = 0
            for slot in range(SLOTS):
                owners = []
                for n in self.nodes:
                    if n.is_slave:
                        continue
                    if n.slots[slot]:
                        owners.append(n)
                    elif self.count_keys_in_slot(n, slot) > 0:
                        owners.append(n)
                if len(owners) > 1:
                    result = False
                    self.rep.err("[WARNING] Slot %d has %d owners:" % (slot, len(owners)))
                    for n in owners:
                        self.rep.err("    %s:%d" % (n.ip, n.port))
                    with_multiple += 1
                    if do_fix:
                        result = self.fix_multiple_slot_owners(slot, owners)
                        if not result:
                            self.rep.err("Failed to fix multiple owners for slot %d" % slot)
                            break
                        with_multiple -= 1
            if with_multiple == 0:
                self.rep.ok("[OK] No multiple owners found.")
        return result

    def node_with_most_keys_in_slot(self, nodes: list, slot: int):
        """clusterManagerGetNodeWithMostKeysInSlot (masters only)."""
        best, numkeys = None, 0
        for n in nodes:
            if n.is_slave or n.replicate:
                continue
            r = n.call("CLUSTER", "COUNTKEYSINSLOT", str(slot))
            if not self.check_reply(n, r):
                return None
            if r > numkeys or best is None:
                numkeys, best = r, n
        return best

    def node_with_least_replicas(self):
        """clusterManagerNodeWithLeastReplicas (the first of the least-replicated masters)."""
        best = None
        for n in self.nodes:
            if n.is_slave:
                continue
            if best is None or n.replicas_count < best.replicas_count:
                best = n
        return best

    def node_master_random(self):
        """clusterManagerNodeMasterRandom."""
        return random.choice(self.masters())

    def refuse_with_unreachable_masters(self, what: str) -> None:
        if self.unreachable_masters > 0 and not self.opts.fix_with_unreachable_masters:
            self.rep.warn("*** Fixing %s with %d unreachable masters is dangerous: pyredis-cluster will assume "
                          "that slots about masters that are not reachable are not covered, and will try to "
                          "reassign them to the reachable nodes. This can cause data loss and is rarely what you "
                          "want to do. If you really want to proceed use the --fix-with-unreachable-masters "
                          "option." % (what, self.unreachable_masters))
            raise ManagerAbort()

    def print_slots_list(self, slots: list) -> None:
        """clusterManagerPrintSlotsList."""
        n = ManagedNode("", 0)
        for s in slots:
            n.slots[s] = 1
        self.rep.out(n.slots_string())

    def fix_slots_coverage(self, covered: bytearray) -> int:
        """clusterManagerFixSlotsCoverage: give every uncovered slot an owner (a random master when no node
        has its keys, the node with its keys, or the node with most keys after moving the others')."""
        self.refuse_with_unreachable_masters("slots coverage")
        self.rep.info(">>> Fixing slots coverage...")
        uncovered: dict = {}
        for i in range(SLOTS):
            if covered[i]:
                continue
            holders = []
            for n in self.nodes:
                if n.is_slave or n.replicate:
                    continue
                r = n.call("CLUSTER", "GETKEYSINSLOT", str(i), "1")
                if not self.check_reply(n, r):
                    return -1
                if r:
                    holders.append(n)
            uncovered[i] = holders
        none = [s for s, h in uncovered.items() if len(h) == 0]
        single = [s for s, h in uncovered.items() if len(h) == 1]
        multi = [s for s, h in uncovered.items() if len(h) > 1]
        fixed = 0
        # redis-cli always asks here, even with --cluster-yes; ours lets --yes answer (for automation)
        if none:
            self.rep.out("The following uncovered slots have no keys across the cluster:")
            self.print_slots_list(none)
            if self.rep.confirm("Fix these slots by covering with a random node?", self.opts.yes):
                for s in none:
                    n = self.node_master_random()
                    self.rep.info(">>> Covering slot %d with %s:%d" % (s, n.ip, n.port))
                    if not self.set_slot_owner(n, s, False):
                        return -1
                    n.slots[s] = 1
                    fixed += 1
        if single:
            self.rep.out("The following uncovered slots have keys in just one node:")
            self.print_slots_list(single)
            if self.rep.confirm("Fix these slots by covering with those nodes?", self.opts.yes):
                for s in single:
                    n = uncovered[s][0]
                    self.rep.info(">>> Covering slot %d with %s:%d" % (s, n.ip, n.port))
                    if not self.set_slot_owner(n, s, False):
                        return -1
                    n.slots[s] = 1
                    fixed += 1
        if multi:
            self.rep.out("The following uncovered slots have keys in multiple nodes:")
            self.print_slots_list(multi)
            if self.rep.confirm("Fix these slots by moving keys into a single node?", self.opts.yes):
                for s in multi:
                    nodes = uncovered[s]
                    target = self.node_with_most_keys_in_slot(nodes, s)
                    if target is None:
                        return -1
                    self.rep.info(">>> Covering slot %d moving keys to %s:%d" % (s, target.ip, target.port))
                    if not self.set_slot_owner(target, s, True):
                        return -1
                    target.slots[s] = 1
                    for src in nodes:
                        if src is target:
                            continue
                        # assign the slot to the target in the source, and set the source importing (even
                        # though keys leave it) so that MIGRATE is not redirected
                        if self.set_slot(src, target, s, "NODE") is not None:
                            return -1
                        if self.set_slot(src, target, s, "IMPORTING") is not None:
                            return -1
                        ok, _ = self.move_slot(src, target, s, OPT_VERBOSE | OPT_COLD)
                        if not ok:
                            return -1
                        if not self.clear_slot_status(src, s):
                            return -1
                    fixed += 1
        return fixed

    def fix_open_slot(self, slot: int) -> bool:
        """clusterManagerFixOpenSlot: close a slot left MIGRATING/IMPORTING by moving keys where it makes
        sense (the four cases of redis-cli)."""
        self.refuse_with_unreachable_masters("open slots")
        self.rep.info(">>> Fixing open slot %d" % slot)
        owners, migrating, importing = [], [], []
        for n in self.nodes:
            if n.is_slave:
                continue
            if n.slots[slot]:
                owners.append(n)
            else:
                r = n.call("CLUSTER", "COUNTKEYSINSLOT", str(slot))
                if not self.check_reply(n, r):
                    return False
                if r > 0:
                    self.rep.warn("*** Found keys about slot %d in non-owner node %s:%d!" % (slot, n.ip, n.port))
                    owners.append(n)
        owner = owners[0] if len(owners) == 1 else None
        for n in self.nodes:
            if n.is_slave:
                continue
            is_migrating = is_importing = False
            if any(atoi(s) == slot for s, _ in n.migrating):
                migrating.append(n)
                is_migrating = True
            elif any(atoi(s) == slot for s, _ in n.importing):
                importing.append(n)
                is_importing = True
            if not is_migrating and not is_importing and n is not owner:
                r = n.call("CLUSTER", "COUNTKEYSINSLOT", str(slot))
                if not self.check_reply(n, r):
                    return False
                if r > 0:
                    self.rep.warn("*** Found keys about slot %d in node %s:%d!" % (slot, n.ip, n.port))
                    importing.append(n)
        migrating_str = ",".join(n.addr for n in migrating)
        importing_str = ",".join(n.addr for n in importing)
        if migrating_str:
            self.rep.out("Set as migrating in: %s" % migrating_str)
        if importing_str:
            self.rep.out("Set as importing in: %s" % importing_str)
        if owner is None:
            self.rep.info(">>> No single clear owner for the slot, selecting an owner by # of keys...")
            owner = self.node_with_most_keys_in_slot(self.nodes, slot)
            if owner is None:
                self.rep.err("[ERR] Can't select a slot owner. Impossible to fix.")
                return False
            self.rep.warn("*** Configuring %s:%d as the slot owner" % (owner.ip, owner.port))
            if not self.clear_slot_status(owner, slot):
                return False
            if not self.set_slot_owner(owner, slot, False):
                return False
            owner.slots[slot] = 1
            if owner in migrating:
                migrating.remove(owner)
            if owner in importing:
                importing.remove(owner)
        if len(owners) > 1:
            # one owner, every other claimant importing: then the cases below apply
            for n in owners:
                if n is owner:
                    continue
                if not self.del_slot(n, slot, True):
                    return False
                n.slots[slot] = 0
                if self.set_slot(n, owner, slot, "node") is not None:
                    return False
                if self.set_slot(n, owner, slot, "importing") is not None:
                    return False
                if n in importing:
                    importing.remove(n)
                importing.append(n)
                if n in migrating:
                    migrating.remove(n)
        move_opts = OPT_VERBOSE
        if len(migrating) == 1 and len(importing) == 1:
            # Case 1: migrating in one node, importing in one node: finish the move
            src, dst = migrating[0], importing[0]
            self.rep.info(">>> Case 1: Moving slot %d from %s:%d to %s:%d" % (slot, src.ip, src.port,
                                                                            dst.ip, dst.port))
            ok, _ = self.move_slot(src, dst, slot, move_opts | OPT_UPDATE)
            return ok
        if not migrating and importing:
            # Case 2: only importing nodes (keys got there, e.g. after a restart): move them to the owner
            self.rep.info(">>> Case 2: Moving all the %d slot keys to its owner %s:%d" % (slot, owner.ip, owner.port))
            for n in importing:
                if n is owner:
                    continue
                ok, _ = self.move_slot(n, owner, slot, move_opts | OPT_COLD)
                if not ok:
                    return False
                self.rep.info(">>> Setting %d as STABLE in %s:%d" % (slot, n.ip, n.port))
                if not self.clear_slot_status(n, slot):
                    return False
            for n in self.nodes:  # a cold move told no one: tell every master
                if n is owner or n.is_slave:
                    continue
                if self.set_slot(n, owner, slot, "NODE") is not None:
                    return False
            return True
        if len(migrating) == 1 and len(importing) > 1:
            # Case 3: one migrating node, several importing ones without keys
            src = migrating[0]
            target_id = next(t for s, t in src.migrating if atoi(s) == slot)
            dst = None
            for n in importing:
                if self.count_keys_in_slot(n, slot) > 0:
                    return self._unhandled_open_slot(slot, migrating_str, importing_str, owner)
                if n.name == target_id:
                    dst = n
            if dst is not None:
                self.rep.info(">>> Case 3: Moving slot %d from %s:%d to %s:%d and closing it on all the other "
                              "importing nodes." % (slot, src.ip, src.port, dst.ip, dst.port))
                ok, _ = self.move_slot(src, dst, slot, move_opts)
                if not ok:
                    return False
                for n in importing:
                    if n is not dst and not self.clear_slot_status(n, slot):
                        return False
            else:
                self.rep.info(">>> Case 3: Closing slot %d on both migrating and importing nodes." % slot)
                if not self.clear_slot_status(src, slot):
                    return False
                for n in importing:
                    if not self.clear_slot_status(n, slot):
                        return False
            return True
        try_to_close = not importing and len(migrating) == 1
        if try_to_close:
            n = migrating[0]
            if owner is None or owner is not n:
                r = n.call("CLUSTER", "GETKEYSINSLOT", str(slot), "10")
                if not self.check_reply(n, r):
                    return False
                try_to_close = len(r) == 0
        if try_to_close:
            # Case 4: only a migrating node, without keys or the owner: a reshard stopped half way
            n = migrating[0]
            self.rep.info(">>> Case 4: Closing slot %d on %s:%d" % (slot, n.ip, n.port))
            return self.check_reply(n, n.call("CLUSTER", "SETSLOT", str(slot), "STABLE"))
        return self._unhandled_open_slot(slot, migrating_str, importing_str, owner)

    def _unhandled_open_slot(self, slot, migrating_str, importing_str, owner) -> bool:
        self.rep.err("[ERR] Sorry, pyredis-cluster can't fix this slot yet (work in progress). Slot is set as "
                     "migrating in %s, as importing in %s, owner is %s:%d"
                     % (migrating_str, importing_str, owner.ip, owner.port))
        return False

    def fix_multiple_slot_owners(self, slot: int, owners: list) -> bool:
        """clusterManagerFixMultipleSlotOwners: keep the owner with most keys, move the rest's keys to it."""
        self.rep.info(">>> Fixing multiple owners for slot %d..." % slot)
        owner = self.node_with_most_keys_in_slot(owners, slot) or owners[0]
        self.rep.info(">>> Setting slot %d owner: %s:%d" % (slot, owner.ip, owner.port))
        if not self.set_slot_owner(owner, slot, False):
            return False
        success = False
        for n in self.nodes:
            if n is owner or n.is_slave:
                continue
            count = self.count_keys_in_slot(n, slot)
            success = count >= 0
            if not success:
                break
            self.del_slot(n, slot, True)
            if self.set_slot(n, owner, slot, "node") is not None:
                return False
            if count > 0:
                success, _ = self.move_slot(n, owner, slot, OPT_VERBOSE | OPT_COLD)
                if not success:
                    break
        return success

    # -- subcommands ---------------------------------------------------------------------------------------------

    def cmd_check(self, addr: list) -> bool:
        """clusterManagerCommandCheck."""
        if not self.load_cluster(addr):
            return False
        self.show_cluster_info()
        ok = self.check_cluster(quiet=False)
        self._nodes_result()
        return ok

    def cmd_fix(self, addr: list) -> bool:
        """clusterManagerCommandFix: check with repairs."""
        self.opts.fix = True
        return self.cmd_check(addr)

    def cmd_info(self, addr: list) -> bool:
        """clusterManagerCommandInfo."""
        if not self.load_cluster(addr):
            return False
        ok = self.show_cluster_info()
        self._nodes_result()
        return ok

    def _nodes_result(self) -> None:
        self.result["nodes"] = [n.to_json() for n in self.nodes]
        self.result["unreachable"] = [{"name": n.name, "host": n.ip, "port": n.port, "flags": n.flags_string(),
                                       "replicate": n.replicate} for n in self.unusable]

    def cmd_create(self, addrs: list) -> bool:
        """clusterManagerCommandCreate: check every node is an empty cluster node, plan masters/replicas
        (interleaved by IP so masters and their replicas land on different hosts), ADDSLOTS, REPLICATE,
        SET-CONFIG-EPOCH 1..N, MEET, wait for agreement, REPLICATE again, check."""
        self.nodes = []
        for addr in addrs:
            parsed = parse_address(addr)
            if parsed is None:
                self.rep.stderr("Invalid address format: %s\n" % addr)
                return False
            node = ManagedNode(parsed[0], parsed[1])
            if not self.connect(node):
                return False
            is_cluster, e = self.node_is_cluster(node)
            if not is_cluster:
                self.not_cluster_error(node, e)
                node.close()
                return False
            e = self.load_info(node, getfriends=False)
            if e is not None:
                self.print_reply_error(node, e)
                node.close()
                return False
            empty, e = self.node_is_empty(node)
            if not empty:
                self.not_empty_error(node, e)
                node.close()
                return False
            self.nodes.append(node)
        node_len = len(self.nodes)
        replicas = self.opts.replicas
        masters_count = node_len // (replicas + 1)
        if masters_count < 3:
            self.rep.err("*** ERROR: Invalid configuration for cluster creation.\n*** Redis Cluster requires at "
                         "least 3 master nodes.\n*** This is not possible with %d nodes and %d replicas per node."
                         % (node_len, replicas))
            self.rep.err("*** At least %d nodes are required." % (3 * (replicas + 1)))
            return False
        self.rep.info(">>> Performing hash slots allocation on %d nodes..." % node_len)
        ips: list = []
        ip_nodes: dict = {}
        for n in self.nodes:
            if n.ip not in ip_nodes:
                ips.append(n.ip)
                ip_nodes[n.ip] = []
            ip_nodes[n.ip].append(n)
        queues = {ip: list(ns) for ip, ns in ip_nodes.items()}
        interleaved = []
        while len(interleaved) < node_len:
            for ip in ips:
                if queues[ip]:
                    interleaved.append(queues[ip].pop(0))
        masters = interleaved[:masters_count]
        others = interleaved[masters_count:]
        slots_per_node = f32(SLOTS / masters_count)
        first, cursor = 0, 0.0
        for i, master in enumerate(masters):
            last = lround(f32(f32(cursor + slots_per_node) - 1))
            if last > SLOTS or i == masters_count - 1:
                last = SLOTS - 1
            if last < first:
                last = first
            self.rep.out("Master[%d] -> Slots %d - %d" % (i, first, last))
            master.reset_slots()
            for j in range(first, last + 1):
                master.slots[j] = 1
            master.slots_count = last - first + 1
            master.dirty = True
            first = last + 1
            cursor = f32(cursor + slots_per_node)
        # rotating the list sometimes gives a better anti-affinity before the optimizer runs
        if others:
            others = others[1:] + others[:1]
        available = [n for n in others]
        assign_unused = False
        while True:
            for master in masters:
                assigned = 0
                while assigned < replicas:
                    if not available:
                        break
                    slave = next((n for n in available if n.ip != master.ip), None)
                    if slave is None:
                        slave = available[0]
                    available.remove(slave)
                    assigned += 1
                    slave.replicate = master.name
                    slave.dirty = True
                    self.rep.out("Adding replica %s:%d to %s:%d" % (slave.ip, slave.port, master.ip, master.port))
                    if assign_unused:
                        break
            if not assign_unused and available:
                assign_unused = True
                self.rep.out("Adding extra replicas...")
                continue
            break
        self.optimize_anti_affinity(ip_nodes)
        self.show_nodes()
        self.result["plan"] = [{"host": n.ip, "port": n.port, "name": n.name, "replicate": n.replicate,
                                "slots": n.slots_count} for n in self.nodes]
        if not self.rep.confirm("Can I set the above configuration?", self.opts.yes):
            return False
        for node in self.nodes:
            ok, err = self.flush_node_config(node)
            if not ok and node.replicate is None:
                if err is not None:
                    self.print_reply_error(node, err)
                return False
        self.rep.info(">>> Nodes configuration updated")
        self.rep.info(">>> Assign a different config epoch to each node")
        for epoch, node in enumerate(self.nodes, 1):
            node.call("cluster", "set-config-epoch", str(epoch))
        self.rep.info(">>> Sending CLUSTER MEET messages to join the cluster")
        first_node = self.nodes[0]
        first_ip = resolve(first_node.ip)
        if first_ip is None:
            self.rep.stderr("Invalid IP address or hostname specified: %s\n" % first_node.ip)
            return False
        for node in self.nodes[1:]:
            reply = self.meet(node, first_node, first_ip, lower=True)
            if isinstance(reply, ReplyError):
                if reply.io:
                    self.rep.stderr("Failed to send CLUSTER MEET command.\n")
                else:
                    self.print_reply_error(node, reply)
                return False
        # one second for the join to start, so that nodes still alone do not "agree" on nothing
        time.sleep(1)
        if not self.wait_for_cluster_join():
            return False
        for node in self.nodes:
            if not node.dirty:
                continue
            ok, err = self.flush_node_config(node)
            if not ok:
                if node.replicate is None:
                    if err is not None:
                        self.print_reply_error(node, err)
                    return False
                self.rep.warn("*** %s:%d could not replicate %s: %s" % (node.ip, node.port, node.replicate, err))
        first_node = self.nodes[0]
        for node in self.nodes[1:]:
            node.close()
        first_node.flags, first_node.friends, first_node.replicate = set(), [], None
        self.nodes = []
        if not self.load_info_from_node(first_node):
            return False
        ok = self.check_cluster(quiet=False)
        self._nodes_result()
        return ok

    def meet(self, node: ManagedNode, first: ManagedNode, first_ip: str, lower: bool = False):
        """CLUSTER MEET <ip> <port> [<bus port>] (the bus port only when it is not port + 10000)."""
        c, m = ("cluster", "meet") if lower else ("CLUSTER", "MEET")
        if first.bus_port == 0 or first.bus_port == first.port + 10000:
            return node.call(c, m, first_ip, str(first.port))
        return node.call(c, m, first_ip, str(first.port), str(first.bus_port))

    def flush_node_config(self, node: ManagedNode):
        """clusterManagerFlushNodeConfig: REPLICATE for a planned replica (left dirty on failure, as the
        master may still be unknown before the join), ADDSLOTS for a planned master.
        Returns (success, error)."""
        if not node.dirty:
            return False, None
        if node.replicate is not None:
            reply = node.call("CLUSTER", "REPLICATE", node.replicate)
            if isinstance(reply, ReplyError):
                return False, reply
            node.dirty = False
            return True, None
        err = self.add_slots(node)
        node.dirty = False
        return err is None, err

    def anti_affinity_score(self, ip_nodes: dict, want_offenders: bool = False):
        """clusterManagerGetAntiAffinityScore: 10000 per replica on its master's host, 1 per replica on
        a host shared with another replica of the same master."""
        score, offenders = 0, []
        for ip, nodes in ip_nodes.items():
            related: dict = {}
            for n in nodes:
                key = n.name if n.replicate is None else n.replicate
                types = related.get(key, "")
                related[key] = types + "s" if n.replicate is not None else "m" + types
            for name, types in related.items():
                if len(types) < 2:
                    continue
                score += 10000 * (len(types) - 1) if types[0] == "m" else len(types)
                if want_offenders:
                    for n in self.nodes:
                        if n.replicate == name and n.ip == ip:
                            offenders.append(n)
                            break
        return score, offenders

    def optimize_anti_affinity(self, ip_nodes: dict) -> None:
        """clusterManagerOptimizeAntiAffinity: random swaps of replicas' masters, kept unless worse."""
        score, _ = self.anti_affinity_score(ip_nodes)
        if score == 0:
            return
        self.rep.info(">>> Trying to optimize slaves allocation for anti-affinity")
        maxiter = 500 * len(self.nodes)
        rnd = random.Random()
        while maxiter > 0:
            score, offenders = self.anti_affinity_score(ip_nodes, want_offenders=True)
            if score == 0 or not offenders:
                break
            first = rnd.choice(offenders)
            others = [n for n in self.nodes if n is not first and n.replicate is not None]
            if not others:
                break
            second = rnd.choice(others)
            fm, sm = first.replicate, second.replicate
            first.replicate, second.replicate = sm, fm
            first.dirty = second.dirty = True
            new_score, _ = self.anti_affinity_score(ip_nodes)
            if new_score > score:
                first.replicate, second.replicate = fm, sm
            maxiter -= 1
        score, _ = self.anti_affinity_score(ip_nodes)
        if score == 0:
            self.rep.ok("[OK] Perfect anti-affinity obtained!")
        elif score >= 10000:
            self.rep.warn("[WARNING] Some slaves are in the same host as their master")
        else:
            self.rep.warn("[WARNING] Some slaves of the same master are in the same host")

    def cmd_add_node(self, new_addr: str, ref_addr: str) -> bool:
        """clusterManagerCommandAddNode."""
        ref = parse_address(ref_addr)
        new = parse_address(new_addr)
        if ref is None or new is None or not ref[1] or not new[1]:
            self.rep.stderr(INVALID_HOST_ARG + "\n")
            return False
        ip, port = new[0], new[1]
        self.rep.info(">>> Adding node %s:%d to cluster %s:%d" % (ip, port, ref[0], ref[1]))
        refnode = ManagedNode(ref[0], ref[1])
        if not self.load_info_from_node(refnode):
            return False
        # A node added a moment ago learns the slot map from its peers' PINGs within seconds; until then
        # the signatures differ ("add a master, then its replica" at once in the README tour).
        self.settle()
        if not self.check_cluster(quiet=False):
            return False
        master_node = None
        if self.opts.replica:
            if self.opts.master_id is not None:
                master_node = self.node_by_name(self.opts.master_id)
                if master_node is None:
                    self.rep.err("[ERR] No such master ID %s" % self.opts.master_id)
                    return False
            else:
                master_node = self.node_with_least_replicas()
                self.rep.out("Automatically selected master %s:%d" % (master_node.ip, master_node.port))
        new_node = ManagedNode(ip, port)
        if not self.connect(new_node):
            self.rep.err("[ERR] Sorry, can't connect to node %s:%d" % (ip, port))
            return False
        is_cluster, e = self.node_is_cluster(new_node)
        if not is_cluster:
            self.not_cluster_error(new_node, e)
            return False
        e = self.load_info(new_node, getfriends=False)
        if e is not None:
            self.print_reply_error(new_node, e)
            return False
        empty, e = self.node_is_empty(new_node)
        if not empty:
            self.not_empty_error(new_node, e)
            return False
        first = self.nodes[0]
        self.nodes.append(new_node)
        if master_node is None:
            # a new master gets the cluster's functions (a replica gets them from its master)
            self.rep.info(">>> Getting functions from cluster")
            dump = refnode.call("FUNCTION", "DUMP")
            if isinstance(dump, ReplyError) or dump is None:
                self.rep.info(">>> Failed retrieving Functions from the cluster, skip this step as Redis version "
                              "do not support function command (error = '%s')" % (dump if dump is not None
                                                                                  else "NULL reply"))
            else:
                self.rep.info(">>> Send FUNCTION LIST to %s:%d to verify there is no functions in it" % (ip, port))
                flist = new_node.call("FUNCTION", "LIST")
                if isinstance(flist, ReplyError):
                    self.rep.err(">>> Failed on CLUSTER LIST (error = '%s')" % flist)
                    return False
                if flist:
                    self.rep.err(">>> New node already contains functions and can not be added to the cluster. "
                                 "Use FUNCTION FLUSH and try again.")
                    return False
                self.rep.info(">>> Send FUNCTION RESTORE to %s:%d" % (ip, port))
                r = new_node.call("FUNCTION", "RESTORE", dump)
                if isinstance(r, ReplyError):
                    self.rep.err(">>> Failed loading functions to the new node (error = '%s')" % r)
                    return False
        self.rep.info(">>> Send CLUSTER MEET to node %s:%d to make it join the cluster." % (ip, port))
        first_ip = resolve(first.ip)
        if first_ip is None:
            self.rep.stderr("Invalid IP address or hostname specified: %s\n" % first.ip)
            return False
        if not self.check_reply(new_node, self.meet(new_node, first, first_ip)):
            return False
        if master_node is not None:
            time.sleep(1)
            if not self.wait_for_cluster_join():
                return False
            # The signatures agree once the newcomer knows every slot owner; a master without slots may
            # still be unknown to it ("ERR Unknown node" from redis-cli in that case): wait until gossip
            # has brought it too.
            deadline = time.monotonic() + self.opts.join_timeout
            while master_node.name not in text(new_node.call("CLUSTER", "NODES")) and time.monotonic() < deadline:
                time.sleep(0.2)
            self.rep.info(">>> Configure node as replica of %s:%d." % (master_node.ip, master_node.port))
            if not self.check_reply(new_node, new_node.call("CLUSTER", "REPLICATE", master_node.name)):
                return False
        self.rep.ok("[OK] New node added correctly.")
        self.result["node"] = {"name": new_node.name, "host": ip, "port": port,
                               "replicate": master_node.name if master_node else None}
        return True

    def cmd_del_node(self, addr: str, node_id: str) -> bool:
        """clusterManagerCommandDeleteNode: FORGET it everywhere (re-pointing its replicas first), then
        CLUSTER RESET SOFT on it.  Ours also removes a node that is down (no RESET then)."""
        hp = host_port_from_args([addr])
        if hp is None:
            self.rep.stderr(INVALID_HOST_ARG + "\n")
            return False
        self.rep.info(">>> Removing node %s from cluster %s:%d" % (node_id, hp[0], hp[1]))
        if not self.load_info_from_node(ManagedNode(*hp)):
            return False
        node = self.node_by_name(node_id)
        dead = None
        if node is None:
            dead = next((n for n in self.unusable if n.name == node_id.lower()), None)
            if dead is None:
                self.rep.err("[ERR] No such node ID %s" % node_id)
                return False
            self.rep.warn("*** Node %s:%d is not reachable: it will be forgotten but not reset." % (dead.ip, dead.port))
        elif node.slots_count != 0:
            self.rep.err("[ERR] Node %s:%d is not empty! Reshard data away and try again." % (node.ip, node.port))
            return False
        name = (node or dead).name
        self.rep.info(">>> Sending CLUSTER FORGET messages to the cluster...")
        for n in self.nodes:
            if n is node:
                continue
            if n.replicate is not None and n.replicate.lower() == name:
                master = self.node_with_least_replicas()
                self.rep.info(">>> %s:%d as replica of %s:%d" % (n.ip, n.port, master.ip, master.port))
                if not self.check_reply(n, n.call("CLUSTER", "REPLICATE", master.name)):
                    return False
            if not self.check_reply(n, n.call("CLUSTER", "FORGET", name)):
                return False
        self.result["node"] = name
        if node is None:
            return True
        self.rep.info(">>> Sending CLUSTER RESET SOFT to the deleted node.")
        return self.check_reply(node, node.call("CLUSTER", "RESET", "SOFT"))

    def node_for_resharding(self, node_id: str, target):
        """clusterNodeForResharding -> (node or None, raise_err)."""
        node = self.node_by_name(node_id)
        if node is None or node.is_slave:
            self.rep.err("*** The specified node (%s) is not known or not a master, please retry." % node_id)
            return None, True
        if target is not None and node.name == target.name:
            self.rep.err("*** It is not possible to use the target node as source node.")
            return None, False
        return node, False

    def compute_reshard_table(self, sources: list, numslots: int) -> list:
        """clusterManagerComputeReshardTable: sources by slot count (desc); each gives its share
        (rounded up for the first, down for the others) of its lowest-numbered slots."""
        moved = []
        tot_slots = sum(n.slots_count for n in sources)
        ordered = sorted(sources, key=lambda n: -n.slots_count)
        for i, node in enumerate(ordered):
            n = f32(f32(f32(numslots) / tot_slots) * node.slots_count) if tot_slots else 0.0
            n = math.ceil(n) if i == 0 else math.floor(n)
            count = 0
            for j in range(SLOTS):
                if not node.slots[j]:
                    continue
                if count >= n or len(moved) >= numslots:
                    break
                moved.append((node, j))
                count += 1
        return moved

    def cmd_reshard(self, addr: list) -> bool:
        """clusterManagerCommandReshard."""
        if not self.load_cluster(addr):
            return False
        self.settle()
        self.check_cluster(quiet=False)
        if self.rep.errors:
            self.rep.stderr("*** Please fix your cluster problems before resharding\n")
            return False
        slots = self.opts.slots
        while slots <= 0 or slots > SLOTS:
            answer = self.rep.ask("How many slots do you want to move (from 1 to %d)? " % SLOTS)
            if answer is None:
                return False
            slots = atoi(answer) if answer.strip() else 0
        to = self.opts.to
        while not to:
            to = self.rep.ask("What is the receiving node ID? ")
            if to is None:
                return False
        target, _ = self.node_for_resharding(to, None)
        if target is None:
            return False
        sources, all_ = [], False
        if self.opts.from_ is None:
            self.rep.out("Please enter all the source node IDs.")
            self.rep.out("  Type 'all' to use all the nodes as source nodes for the hash slots.")
            self.rep.out("  Type 'done' once you entered all the source nodes IDs.")
            while True:
                answer = self.rep.ask("Source node #%d: " % (len(sources) + 1))
                if answer is None:
                    return False
                if answer == "done":
                    break
                if answer == "all":
                    all_ = True
                    break
                src, raise_err = self.node_for_resharding(answer, target)
                if src is not None:
                    sources.append(src)
                elif raise_err:
                    return False
        else:
            for part in self.opts.from_.split(","):
                if part == "all":
                    all_ = True
                    break
                if not part:
                    continue
                src, raise_err = self.node_for_resharding(part, target)
                if src is not None:
                    sources.append(src)
                elif raise_err:
                    return False
        if all_:
            sources = [n for n in self.nodes if not n.is_slave and not n.replicate and n.name != target.name]
        if not sources:
            self.rep.stderr("*** No source nodes given, operation aborted.\n")
            return False
        self.rep.out("\nReady to move %d slots." % slots)
        self.rep.out("  Source nodes:")
        for src in sources:
            self.rep.out(src.info_string(4))
        self.rep.out("  Destination node:")
        self.rep.out(target.info_string(4))
        table = self.compute_reshard_table(sources, slots)
        self.rep.out("  Resharding plan:")
        for src, slot in table:
            self.rep.out("    Moving slot %d from %s" % (slot, src.name))
        self.result["plan"] = [{"slot": slot, "from": src.name, "to": target.name} for src, slot in table]
        if not self.opts.yes:
            answer = self.rep.ask("Do you want to proceed with the proposed reshard plan (yes/no)? ")
            if answer is None or answer[:3] != "yes":
                return False
        progress = self.rep.progress(len(table), "slots")
        opts = OPT_QUIET if progress.active else OPT_VERBOSE
        moved = 0
        for src, slot in table:
            ok, err = self.move_slot(src, target, slot, opts, progress)
            if not ok:
                progress.finish()
                if err is not None:
                    self.rep.err("clusterManagerMoveSlot failed: %s" % err)
                self.result["moved"] = moved
                return False
            moved += 1
            progress.advance(slots=1)
        progress.finish()
        self.result["moved"] = moved
        self.result["keys_moved"] = progress.keys
        return True

    def cmd_rebalance(self, addr: list) -> bool:
        """clusterManagerCommandRebalance: move slots from the masters above their weighted share to those
        below it, until every master is within the threshold."""
        if not self.load_cluster(addr):
            return False
        for w in self.opts.weights:
            if "=" not in w:
                self.rep.err("*** invalid input %s" % w)
                return False
            name, value = w.split("=", 1)
            n = self.node_by_abbreviated_name(name)
            if n is None:
                self.rep.err("*** No such master node %s" % name)
                return False
            try:
                n.weight = f32(float(value))
            except ValueError:
                n.weight = 0.0
        total_weight = 0.0
        involved = []
        for n in self.nodes:
            if n.is_slave or n.replicate:
                continue
            if not self.opts.use_empty_masters and n.slots_count == 0:
                n.weight = 0.0
                continue
            total_weight = f32(total_weight + n.weight)
            involved.append(n)
        self.settle()
        self.check_cluster(quiet=True)
        if self.rep.errors:
            self.rep.err("*** Please fix your cluster problems before rebalancing")
            return False
        threshold = self.opts.threshold
        threshold_reached, total_balance = False, 0
        for n in involved:
            expected = int(f32(f32(SLOTS / total_weight) * n.weight)) if total_weight else 0
            n.balance = n.slots_count - expected
            total_balance += n.balance
            over = False
            if threshold > 0:
                if n.slots_count > 0:
                    err_perc = abs(100 - (100.0 * expected / n.slots_count))
                    over = err_perc > threshold
                elif expected > 1:
                    over = True
            threshold_reached = threshold_reached or over
        self.result["moves"] = []
        if not threshold_reached:
            self.rep.warn("*** No rebalancing needed! All nodes are within the %.2f%% threshold." % threshold)
            return True
        # rounding may leave the balances summing to more than 0: make the receivers take the rest
        while total_balance > 0:
            for n in involved:
                if n.balance <= 0 and total_balance > 0:
                    n.balance -= 1
                    total_balance -= 1
        weighted = sorted(involved, key=lambda n: n.balance)
        self.rep.info(">>> Rebalancing across %d nodes. Total weight = %.2f" % (len(involved), total_weight))
        if self.opts.verbose:
            for n in weighted:
                self.rep.out("%s:%d balance is %d slots" % (n.ip, n.port, n.balance))
        dst_idx, src_idx = 0, len(weighted) - 1
        while dst_idx < src_idx:
            dst, src = weighted[dst_idx], weighted[src_idx]
            numslots = min(abs(dst.balance), abs(src.balance))
            if numslots > 0:
                self.rep.out("Moving %d slots from %s:%d to %s:%d" % (numslots, src.ip, src.port, dst.ip, dst.port))
                table = self.compute_reshard_table([src], numslots)
                if len(table) != numslots:
                    self.rep.err("*** Assertion failed: Reshard table != number of slots")
                    return False
                self.result["moves"].append({"from": src.name, "to": dst.name, "slots": numslots})
                if self.opts.simulate:
                    self.rep.write("#" * len(table))
                else:
                    progress = self.rep.progress(len(table), "slots")
                    for item_src, slot in table:
                        ok, err = self.move_slot(item_src, dst, slot, OPT_QUIET | OPT_UPDATE, progress)
                        if not ok:
                            progress.finish()
                            self.rep.err("*** clusterManagerMoveSlot: %s" % err)
                            return False
                        if progress.active:
                            progress.advance(slots=1)
                        else:
                            self.rep.write("#")
                    progress.finish()
                if not self.rep.stream.isatty() or self.opts.simulate:
                    self.rep.out("")
            dst.balance += numslots
            src.balance -= numslots
            if dst.balance == 0:
                dst_idx += 1
            if src.balance == 0:
                src_idx -= 1
        return True

    def cmd_set_timeout(self, addr: str, millis: str) -> bool:
        """clusterManagerCommandSetTimeout: CONFIG SET cluster-node-timeout + CONFIG REWRITE everywhere."""
        hp = host_port_from_args([addr])
        if hp is None:
            self.rep.stderr(INVALID_HOST_ARG + "\n")
            return False
        timeout = atoi(millis)
        if timeout < 100:
            self.rep.stderr("Setting a node timeout of less than 100 milliseconds is a bad idea.\n")
            return False
        if not self.load_info_from_node(ManagedNode(*hp)):
            return False
        ok_count = err_count = 0
        self.rep.info(">>> Reconfiguring node timeout in every cluster node...")
        for n in self.nodes:
            err = None
            r = n.call("CONFIG", "SET", "cluster-node-timeout", str(timeout))
            if isinstance(r, ReplyError):
                err = r
            else:
                r = n.call("CONFIG", "REWRITE")
                if isinstance(r, ReplyError):
                    err = r
            if err is None:
                self.rep.warn("*** New timeout set for %s:%d" % (n.ip, n.port))
                ok_count += 1
            else:
                self.rep.err("ERR setting node-timeout for %s:%d: %s" % (n.ip, n.port, err))
                err_count += 1
        self.rep.info(">>> New node timeout set. %d OK, %d ERR." % (ok_count, err_count))
        self.result.update(ok=ok_count, err=err_count)
        return err_count == 0

    def cmd_call(self, addr: str, argv: list) -> bool:
        """clusterManagerCommandCall: send one command verbatim to every node (or only masters/replicas)."""
        hp = host_port_from_args([addr])
        if hp is None:
            self.rep.stderr(INVALID_HOST_ARG + "\n")
            return False
        if not self.load_info_from_node(ManagedNode(*hp)):
            return False
        self.rep.info(">>> Calling " + " ".join(argv))
        replies = []
        for n in self.nodes:
            if self.opts.only_masters and n.replicate is not None:
                continue
            if self.opts.only_replicas and n.replicate is None:
                continue
            if n.link is None and not self.connect(n):
                continue
            r = n.call(*argv)
            if isinstance(r, ReplyError) and r.io:
                self.rep.out("%s:%d: Failed!" % (n.ip, n.port))
                replies.append({"host": n.ip, "port": n.port, "error": str(r)})
                continue
            self.rep.out("%s:%d: %s" % (n.ip, n.port, format_reply_raw(r)))
            replies.append({"host": n.ip, "port": n.port, "name": n.name, "reply": json_reply(r)})
        self.result["replies"] = replies
        return True

    def cmd_import(self, addr: list) -> bool:
        """clusterManagerCommandImport: MIGRATE every key of a standalone node to its owner in the cluster
        (the source does the work: SCAN there, MIGRATE key by key)."""
        hp = host_port_from_args(addr)
        if hp is None:
            self.rep.stderr(INVALID_HOST_ARG + "\n")
            return False
        if self.opts.from_ is None:
            self.rep.stderr("[ERR] Option '--from' is required for subcommand 'import'.\n")
            return False
        src = host_port_from_args([self.opts.from_])
        if src is None:
            self.rep.stderr("[ERR] Invalid --from host. You need to pass a valid address (ie. 120.0.0.1:7000).\n")
            return False
        src_ip, src_port = src
        self.rep.info(">>> Importing data from %s:%d to cluster %s:%d" % (src_ip, src_port, hp[0], hp[1]))
        if not self.load_info_from_node(ManagedNode(*hp)):
            return False
        if not self.check_cluster(quiet=False):
            return False
        link = Link(src_ip, src_port, self.opts.from_user, self.opts.from_pass, io_timeout=self.io_timeout())
        try:
            link.connect()
        except Exception as e:
            self.rep.stderr("Could not connect to Redis at %s:%d: %s.\n" % (src_ip, src_port, e))
            return False

        def src_error(r) -> bool:
            self.rep.err("Source %s:%d replied with error:\n%s" % (src_ip, src_port, r))
            return False

        try:
            r = link.call("INFO")
            if isinstance(r, ReplyError):
                return src_error(r)
            if info_field(text(r), "cluster_enabled"):
                self.rep.err("[ERR] The source node should not be a cluster node.")
                return False
            r = link.call("DBSIZE")
            if isinstance(r, ReplyError):
                return src_error(r)
            self.rep.warn("*** Importing %d keys from DB 0" % r)
            slots_map: list = [None] * SLOTS
            for i in range(SLOTS):
                for n in self.nodes:
                    if not n.is_slave and n.slots_count and n.slots[i]:
                        slots_map[i] = n
                        break
            tail = []
            if self.opts.password:
                tail += (["AUTH2", self.opts.user, self.opts.password] if self.opts.user
                         else ["AUTH", self.opts.password])
            if self.opts.copy:
                tail.append("COPY")
            if self.opts.replace:
                tail.append("REPLACE")
            cursor, imported = None, 0
            progress = self.rep.progress(max(int(r), 1), "keys")
            while cursor != 0:
                reply = link.call("SCAN", str(cursor or 0), "COUNT", "1000")
                if isinstance(reply, ReplyError):
                    return src_error(reply)
                cursor = atoi(reply[0])
                for key in reply[1]:
                    target = slots_map[key_hash_slot(key)]
                    if target is None:
                        self.rep.err("[ERR] Slot %d of key %s is not served by any node." % (key_hash_slot(key), text(key)))
                        return False
                    if not progress.active:
                        self.rep.write("Migrating %s to %s:%d: " % (text(key), target.ip, target.port))
                    m = link.call("MIGRATE", target.ip, str(target.port), key, "0", str(self.opts.timeout), *tail)
                    if isinstance(m, ReplyError):
                        progress.finish()
                        return src_error(m)
                    imported += 1
                    if progress.active:
                        progress.advance(slots=1)
                    else:
                        self.rep.ok("OK")
            progress.finish()
            self.result["imported"] = imported
            return True
        finally:
            link.close()

    def cmd_backup(self, addr: str, backup_dir: str) -> bool:
        """clusterManagerCommandBackup: nodes.json plus one RDB per master, fetched with SYNC."""
        hp = host_port_from_args([addr])
        if hp is None:
            self.rep.stderr(INVALID_HOST_ARG + "\n")
            return False
        if not self.load_info_from_node(ManagedNode(*hp)):
            return False
        no_issues = self.check_cluster(quiet=False)
        errors_count = 0 if no_issues else len(self.rep.errors)
        entries, files = [], []
        success = True
        for node in self.nodes:
            entries.append(node.to_json(errors_count))
            if node.replicate is not None:
                continue
            self.rep.info(">>> Node %s:%d -> Saving RDB..." % (node.ip, node.port))
            path = os.path.join(backup_dir, "redis-node-%s-%d-%s.rdb" % (node.ip, node.port, node.name))
            if not self.get_rdb(node, path):
                success = False
                break
            files.append(path)
        jsonpath = os.path.join(backup_dir, "nodes.json")
        if success:
            self.rep.info("Saving cluster configuration to: %s" % jsonpath)
            try:
                with open(jsonpath, "w") as f:
                    f.write(_nodes_json(entries))
            except OSError:
                self.rep.err("Could not save nodes to: %s" % jsonpath)
                success = False
        if success:
            if not no_issues:
                self.rep.warn("*** Cluster seems to have some problems, please be aware of it if you're going to "
                              "restore this backup.")
            self.rep.ok("[OK] Backup created into: %s" % backup_dir)
        else:
            self.rep.ok("[ERR] Failed to back cluster!")
        self.result.update(files=files, nodes_json=jsonpath)
        return success

    def get_rdb(self, node: ManagedNode, path: str) -> bool:
        """getRDB/sendSync: raw ``SYNC\\r\\n``, then ``$<len>`` or ``$EOF:<40-byte mark>`` framing (newlines
        sent as keepalives while the master prepares the RDB are skipped)."""
        node.close()
        try:
            s = socket.create_connection((node.ip, node.port), timeout=self.io_timeout())
        except OSError as e:
            self.rep.stderr("Could not connect to Redis at %s:%d: %s\n" % (node.ip, node.port, e))
            return False
        try:
            if self.opts.password:
                args = ([self.opts.user] if self.opts.user else []) + [self.opts.password]
                s.sendall(_resp("AUTH", *args))
                if not _read_line(s).startswith(b"+"):
                    self.rep.stderr("AUTH failed\n")
                    return False
            s.sendall(b"SYNC\r\n")
            line = b""
            while not line:
                line = _read_line(s)
            if line.startswith(b"-"):
                self.rep.stderr("SYNC with master failed: %s\n" % line.decode(errors="replace"))
                return False
            eofmark = None
            if line[1:5] == b"EOF:" and len(line) - 5 >= RDB_EOF_MARK_SIZE:
                eofmark = line[5:5 + RDB_EOF_MARK_SIZE]
                self.rep.stderr("SYNC sent to master, writing bytes of bulk transfer until EOF marker to '%s'\n"
                                % path, level=None)
            else:
                payload = int(line[1:])
                self.rep.stderr("SYNC sent to master, writing %d bytes to '%s'\n" % (payload, path), level=None)
            with open(path, "wb") as f:
                if eofmark is None:
                    remaining = payload
                    while remaining:
                        chunk = s.recv(min(65536, remaining))
                        if not chunk:
                            self.rep.stderr("I/O Error reading RDB payload from socket\n")
                            return False
                        f.write(chunk)
                        remaining -= len(chunk)
                    total = payload
                else:
                    tail, total = b"", 0
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            self.rep.stderr("I/O Error reading RDB payload from socket\n")
                            return False
                        f.write(chunk)
                        total += len(chunk)
                        tail = (tail + chunk)[-RDB_EOF_MARK_SIZE:]
                        if tail == eofmark:
                            break
                    total -= RDB_EOF_MARK_SIZE
                    f.truncate(total)
                f.flush()
                os.fsync(f.fileno())
            self.rep.stderr("Transfer finished with success after %d bytes\n" % total, level=None)
            return True
        except (OSError, ValueError) as e:
            self.rep.stderr("I/O Error during SYNC: %s\n" % e)
            return False
        finally:
            s.close()


# -- helpers ----------------------------------------------------------------------------------------------------


def host_port_from_args(args: list):
    """getClusterHostFromCmdArgs: ``host:port`` or ``host port`` -> (host, port) or None."""
    if len(args) == 1:
        parsed = parse_address(args[0])
        if parsed is None:
            return None
        host, port = parsed[0], parsed[1]
    elif len(args) == 2:
        host, port = args[0], atoi(args[1])
    else:
        return None
    if not host or not port:
        return None
    return host, port


def format_reply_raw(r) -> str:
    """cliFormatReplyRaw (what ``call`` prints): arrays one element per line, errors with a newline."""
    if r is None:
        return ""
    if isinstance(r, ReplyError):
        return str(r) + "\n"
    if isinstance(r, bytes):
        return r.decode("utf-8", "replace")
    if isinstance(r, bool):
        return "(true)" if r else "(false)"
    if isinstance(r, int):
        return "%d" % r
    if isinstance(r, list):
        return "\n".join(format_reply_raw(e) for e in r)
    return str(r)


def json_reply(r):
    if isinstance(r, ReplyError):
        return {"error": str(r)}
    if isinstance(r, bytes):
        return r.decode("utf-8", "replace")
    if isinstance(r, list):
        return [json_reply(e) for e in r]
    return r


def _nodes_json(entries: list) -> str:
    """nodes.json laid out as redis-cli writes it (clusterManagerNodeGetJSON)."""
    import json

    out = []
    for e in entries:
        lines = []
        for k, v in e.items():
            if k == "slots":
                v = "[" + ",".join("[" + ",".join(str(x) for x in r) + "]" for r in v) + "]"
            elif isinstance(v, dict):
                v = "{" + ",".join("%s: %s" % (json.dumps(a), json.dumps(b)) for a, b in v.items()) + "}"
            else:
                v = json.dumps(v)
            lines.append('    "%s": %s' % (k, v))
        out.append("  {\n" + ",\n".join(lines) + "\n  }")
    return "[\n" + ",\n".join(out) + "\n]"


def _resp(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _read_line(s) -> bytes:
    """One line read byte by byte (so nothing of the payload after it is consumed); b"" for a bare "\\n"."""
    buf = b""
    while True:
        c = s.recv(1)
        if not c:
            raise OSError("connection closed")
        if c == b"\n":
            return buf.rstrip(b"\r")
        buf += c
