"""CLUSTER subcommands, ASKING, READONLY, READWRITE (Redis: cluster.c clusterCommand).

The replies are built here from the sans-IO ClusterState (``c.node.cluster``); every change goes
through the state's own methods and requests deferred work (update the state, save nodes.conf)
exactly where Redis's handlers call clusterDoBeforeSleep.
"""

from __future__ import annotations

from .. import errors
from ..cluster import epochs, failure, nodes_conf
from ..cluster.messages import NODE_FAIL
from ..cluster.nodes import slot_ranges
from ..cluster.router import endpoint
from ..cluster.slots import CLUSTER_SLOTS, key_hash_slot
from ..cluster.state import CLUSTER_OK, TODO_FSYNC_CONFIG, TODO_SAVE_CONFIG, TODO_UPDATE_STATE
from ..errors import CommandError
from ..protocol.reply import OK, Map, Status, Verbatim
from ..store.keyspace import now_ms
from .admin import _parse_ll, debug_subcommand
from .table import command

CLUSTER_DISABLED = "ERR This instance has cluster support disabled"


def _require_cluster(c):
    if not c.node.cluster_enabled:
        raise CommandError(CLUSTER_DISABLED)
    return c.node.cluster


def _int(arg: bytes) -> int:
    try:
        return int(arg)
    except ValueError:
        raise CommandError(errors.NOT_INTEGER) from None


def _slot(arg: bytes) -> int:
    """getSlotOrReply."""
    try:
        slot = int(arg)
    except ValueError:
        slot = -1
    if slot < 0 or slot >= CLUSTER_SLOTS:
        raise CommandError("ERR Invalid or out of range slot")
    return slot


def _done(c, flags: int) -> None:
    c.node.cluster.todo(flags)
    c.node.bus.wake()


def _node_arg(cs, arg: bytes):
    return cs.lookup(arg.decode("latin-1"))


# -- introspection -------------------------------------------------------------------------------------


@command("cluster|keyslot")
def cluster_keyslot(c, argv):
    _require_cluster(c)
    return key_hash_slot(argv[2])


@command("cluster|countkeysinslot")
def cluster_countkeysinslot(c, argv):
    _require_cluster(c)
    slot = _int(argv[2])
    if slot < 0 or slot >= CLUSTER_SLOTS:
        raise CommandError("ERR Invalid slot")
    return c.node.dbs[0].count_keys_in_slot(slot)


@command("cluster|getkeysinslot")
def cluster_getkeysinslot(c, argv):
    _require_cluster(c)
    slot = _int(argv[2])
    count = _int(argv[3])
    if slot < 0 or slot >= CLUSTER_SLOTS or count < 0:
        raise CommandError("ERR Invalid slot or number of keys")
    return c.node.dbs[0].get_keys_in_slot(slot, count)


@command("cluster|myid")
def cluster_myid(c, argv):
    return _require_cluster(c).myself.name.encode()


@command("cluster|nodes")
def cluster_nodes(c, argv):
    cs = _require_cluster(c)
    return Verbatim(nodes_conf.nodes_description(cs).encode())


@command("cluster|info")
def cluster_info(c, argv):
    cs = _require_cluster(c)
    assigned = ok = pfail = fail = 0
    for n in cs.slots:
        if n is None:
            continue
        assigned += 1
        if n.flags & NODE_FAIL:
            fail += 1
        elif n.timed_out:
            pfail += 1
        else:
            ok += 1
    me = cs.myself
    my_epoch = me.replicaof.config_epoch if me.is_replica and me.replicaof is not None else me.config_epoch
    lines = [
        "cluster_state:%s" % ("ok" if cs.state == CLUSTER_OK else "fail"),
        "cluster_slots_assigned:%d" % assigned,
        "cluster_slots_ok:%d" % ok,
        "cluster_slots_pfail:%d" % pfail,
        "cluster_slots_fail:%d" % fail,
        "cluster_known_nodes:%d" % len(cs.nodes),
        "cluster_size:%d" % cs.size,
        "cluster_current_epoch:%d" % cs.current_epoch,
        "cluster_my_epoch:%d" % my_epoch,
    ]
    from ..cluster.messages import TYPE_NAMES

    for counts, what in ((cs.stats_sent, "sent"), (cs.stats_received, "received")):
        for t, n in enumerate(counts):
            if n:
                lines.append("cluster_stats_messages_%s_%s:%d" % (TYPE_NAMES[t], what, n))
        lines.append("cluster_stats_messages_%s:%d" % (what, sum(counts)))
    lines.append("total_cluster_links_buffer_limit_exceeded:%d"
                 % getattr(c.node.bus, "links_buffer_limit_exceeded", 0))
    return Verbatim(("\r\n".join(lines) + "\r\n").encode())


def _node_endpoint_entry(c, cs, node):
    """One node of a CLUSTER SLOTS entry: [endpoint, port, id, metadata]."""
    kind = cs.config.preferred_endpoint_type
    if kind == "ip":
        ep = node.ip.encode()
    elif kind == "hostname":
        ep = (node.hostname or "?").encode()
    else:
        ep = None
    meta = []
    if kind != "ip":
        meta.append((b"ip", node.ip.encode()))
    if kind != "hostname" and node.hostname:
        meta.append((b"hostname", node.hostname.encode()))
    return [ep, node.port, node.name.encode(), Map(meta)]


def _replica_available(c, node) -> bool:
    """isReplicaAvailable: not FAIL, and it has replicated something."""
    if node.failed:
        return False
    offset = node.repl_offset
    if node.is_myself:
        offset = c.node.bus.state.host.repl_offset()
    return offset != 0


@command("cluster|slots")
def cluster_slots(c, argv):
    cs = _require_cluster(c)
    out = []
    start = None
    for j in range(CLUSTER_SLOTS + 1):
        n = cs.slots[j] if j < CLUSTER_SLOTS else None
        if start is not None and (j == CLUSTER_SLOTS or n is not cs.slots[start]):
            owner = cs.slots[start]
            entry = [start, j - 1, _node_endpoint_entry(c, cs, owner)]
            for r in owner.replicas:
                if _replica_available(c, r):
                    entry.append(_node_endpoint_entry(c, cs, r))
            out.append(entry)
            start = None
        if n is not None and start is None:
            start = j
    return out


def _shard_node(c, cs, node):
    pairs = [(b"id", node.name.encode()), (b"port", node.port), (b"ip", node.ip.encode()),
             (b"endpoint", endpoint(cs, node).encode())]
    if node.hostname:
        pairs.append((b"hostname", node.hostname.encode()))
    role = b"master" if node.is_master else b"replica"
    offset = node.repl_offset if not node.is_myself else c.node.bus.state.host.repl_offset()
    if node.failed:
        health = b"fail"
    elif node.is_replica and offset == 0:
        health = b"loading"
    else:
        health = b"online"
    pairs += [(b"role", role), (b"replication-offset", offset), (b"health", health)]
    return Map(pairs)


@command("cluster|shards")
def cluster_shards(c, argv):
    cs = _require_cluster(c)
    out = []
    for n in cs.nodes.values():
        if not n.is_master:
            continue
        slots = []
        for a, b in slot_ranges(n.slot_list()):
            slots += [a, b]
        nodes = [_shard_node(c, cs, n)] + [_shard_node(c, cs, r) for r in n.replicas]
        out.append(Map([(b"slots", slots), (b"nodes", nodes)]))
    return out


@command("cluster|links")
def cluster_links(c, argv):
    cs = _require_cluster(c)
    out = []
    for n in cs.nodes.values():
        for link, direction in ((n.link, b"to"), (n.inbound_link, b"from")):
            if link is None or n.is_myself:
                continue
            out.append(Map([
                (b"direction", direction), (b"node", n.name.encode()), (b"create-time", link.ctime),
                (b"events", b"rw" if not link.inbound else b"r"), (b"send-buffer-allocated", 0),
                (b"send-buffer-used", 0),
            ]))
    return out


@command("cluster|count-failure-reports")
def cluster_count_failure_reports(c, argv):
    cs = _require_cluster(c)
    n = _node_arg(cs, argv[2])
    if n is None:
        raise CommandError("ERR Unknown node %s" % argv[2].decode("latin-1"))
    return failure.count_failure_reports(cs, n, now_ms())


@command("cluster|replicas")
def cluster_replicas(c, argv):
    return _replicas(c, argv)


@command("cluster|slaves")
def cluster_slaves(c, argv):
    return _replicas(c, argv)


def _replicas(c, argv):
    cs = _require_cluster(c)
    n = _node_arg(cs, argv[2])
    if n is None:
        raise CommandError("ERR Unknown node %s" % argv[2].decode("latin-1"))
    if not n.is_master:
        raise CommandError("ERR The specified node is not a master")
    return [nodes_conf.node_description(cs, r).encode() for r in n.replicas]


# -- changing the cluster ------------------------------------------------------------------------------


@command("cluster|meet")
def cluster_meet(c, argv):
    cs = _require_cluster(c)
    if len(argv) > 5:
        raise CommandError(_subcommand_syntax_error(argv))
    ip = argv[2].decode("latin-1")
    try:
        port = int(argv[3])
    except ValueError:
        raise CommandError("ERR Invalid TCP base port specified: %s" % argv[3].decode("latin-1")) from None
    if len(argv) == 5:
        try:
            cport = int(argv[4])
        except ValueError:
            raise CommandError("ERR Invalid TCP bus port specified: %s" % argv[4].decode("latin-1")) from None
    else:
        cport = port + 10000
    norm = _normalize_ip(ip)
    if norm is None or not (0 < port <= 65535) or not (0 < cport <= 65535):
        raise CommandError("ERR Invalid node address specified: %s:%s" % (ip, argv[3].decode("latin-1")))
    cs.start_handshake(norm, port, cport, now_ms())
    c.node.bus.wake()
    return OK


def _subcommand_syntax_error(argv) -> str:
    """addReplySubcommandSyntaxError."""
    return "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP." % (
        argv[1][:128].decode("latin-1"), argv[0].decode("latin-1").upper())


def _normalize_ip(ip: str):
    import ipaddress

    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def _slots_args(argv, ranges: bool):
    slots = []
    if ranges:
        args = argv[2:]
        if len(args) % 2:
            raise CommandError(errors.wrong_arity(("cluster|" + argv[1].decode("latin-1")).lower()))
        for a, b in zip(args[::2], args[1::2]):
            start, end = _slot(a), _slot(b)
            if start > end:
                raise CommandError("ERR start slot number %d is greater than end slot number %d" % (start, end))
            slots.extend(range(start, end + 1))
    else:
        slots = [_slot(a) for a in argv[2:]]
    return slots


def _add_or_del_slots(c, argv, add: bool, ranges: bool):
    cs = _require_cluster(c)
    slots = _slots_args(argv, ranges)
    seen = set()
    for s in slots:
        if add and cs.slots[s] is not None:
            raise CommandError("ERR Slot %d is already busy" % s)
        if not add and cs.slots[s] is None:
            raise CommandError("ERR Slot %d is already unassigned" % s)
        if s in seen:
            raise CommandError("ERR Slot %d specified multiple times" % s)
        seen.add(s)
    for s in slots:
        if add:
            cs.importing_slots_from.pop(s, None)
            cs.add_slot(cs.myself, s)
        else:
            cs.del_slot(s)
    cs.log(now_ms(), "slots", cs.myself, "CLUSTER %s: %d slots %s myself: %s" % (
        argv[1].decode("latin-1").upper(), len(slots), "assigned to" if add else "removed from",
        " ".join("%d" % a if a == b else "%d-%d" % (a, b) for a, b in slot_ranges(sorted(slots)))))
    _done(c, TODO_UPDATE_STATE | TODO_SAVE_CONFIG)
    return OK


@command("cluster|addslots")
def cluster_addslots(c, argv):
    return _add_or_del_slots(c, argv, True, False)


@command("cluster|addslotsrange")
def cluster_addslotsrange(c, argv):
    return _add_or_del_slots(c, argv, True, True)


@command("cluster|delslots")
def cluster_delslots(c, argv):
    return _add_or_del_slots(c, argv, False, False)


@command("cluster|delslotsrange")
def cluster_delslotsrange(c, argv):
    return _add_or_del_slots(c, argv, False, True)


@command("cluster|flushslots")
def cluster_flushslots(c, argv):
    cs = _require_cluster(c)
    if len(c.node.dbs[0]) != 0:
        raise CommandError("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
    n = cs.del_node_slots(cs.myself)
    cs.log(now_ms(), "slots", cs.myself, "CLUSTER FLUSHSLOTS: %d slots removed from myself" % n)
    _done(c, TODO_UPDATE_STATE | TODO_SAVE_CONFIG)
    return OK


@command("cluster|forget")
def cluster_forget(c, argv):
    cs = _require_cluster(c)
    n = _node_arg(cs, argv[2])
    if n is None:
        raise CommandError("ERR Unknown node %s" % argv[2].decode("latin-1"))
    if n is cs.myself:
        raise CommandError("ERR I tried hard but I can't forget myself...")
    if cs.myself.is_replica and cs.myself.replicaof is n:
        raise CommandError("ERR Can't forget my master!")
    now = now_ms()
    cs.blacklist_add(n.name, now)
    cs.del_node(n, now)
    cs.log(now, "forget", n, "CLUSTER FORGET %s: node removed and blacklisted for 60 s" % n.name)
    _done(c, TODO_UPDATE_STATE | TODO_SAVE_CONFIG)
    return OK


@command("cluster|saveconfig")
def cluster_saveconfig(c, argv):
    _require_cluster(c)
    try:
        nodes_conf.save(c.node.cluster, c.node.bus.config_file, fsync=True)
    except OSError as e:
        raise CommandError("ERR error saving the cluster node config: %s" % e.strerror) from None
    return OK


@command("cluster|bumpepoch")
def cluster_bumpepoch(c, argv):
    cs = _require_cluster(c)
    bumped = epochs.bump_config_epoch_without_consensus(cs, now_ms())
    c.node.bus.wake()
    return Status("%s %d" % ("BUMPED" if bumped else "STILL", cs.myself.config_epoch))


@command("cluster|set-config-epoch")
def cluster_set_config_epoch(c, argv):
    cs = _require_cluster(c)
    epoch = _int(argv[2])
    if epoch < 0:
        raise CommandError("ERR Invalid config epoch specified: %d" % epoch)
    if len(cs.nodes) > 1:
        raise CommandError("ERR The user can assign a config epoch only when the node does not know any other "
                           "node.")
    if cs.myself.config_epoch != 0:
        raise CommandError("ERR Node config epoch is already non-zero")
    cs.myself.config_epoch = epoch
    cs.log(now_ms(), "epoch", cs.myself, "configEpoch set to %d via CLUSTER SET-CONFIG-EPOCH" % epoch)
    if cs.current_epoch < epoch:
        cs.current_epoch = epoch
    _done(c, TODO_UPDATE_STATE | TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG)
    return OK


@command("cluster|replicate")
def cluster_replicate(c, argv):
    cs = _require_cluster(c)
    n = _node_arg(cs, argv[2])
    if n is None:
        raise CommandError("ERR Unknown node %s" % argv[2].decode("latin-1"))
    if n is cs.myself:
        raise CommandError("ERR Can't replicate myself")
    if n.is_replica:
        raise CommandError("ERR I can only replicate a master, not a replica.")
    me = cs.myself
    if me.is_master and (me.numslots != 0 or len(c.node.dbs[0]) != 0):
        raise CommandError("ERR To set a master the node must be empty and without assigned slots.")
    cs.set_my_master(n, now_ms())
    _done(c, TODO_UPDATE_STATE | TODO_SAVE_CONFIG)
    return OK


@command("cluster|setslot")
def cluster_setslot(c, argv):
    cs = _require_cluster(c)
    me = cs.myself
    if me.is_replica:
        raise CommandError("ERR Please use SETSLOT only with masters.")
    slot = _slot(argv[2])
    action = argv[3].lower()
    now = now_ms()
    if action in (b"migrating", b"importing", b"node") and len(argv) == 5:
        n = _node_arg(cs, argv[4])
        if action == b"migrating":
            if cs.slots[slot] is not me:
                raise CommandError("ERR I'm not the owner of hash slot %d" % slot)
            if n is None:
                raise CommandError("ERR I don't know about node %s" % argv[4].decode("latin-1"))
            if n.is_replica:
                raise CommandError("ERR Target node is not a master")
            cs.migrating_slots_to[slot] = n
            cs.log(now, "migration", n, "CLUSTER SETSLOT %d MIGRATING %s: slot %d is being moved to %s (ASK "
                   "redirects for keys I no longer have)" % (slot, n.name, slot, n.name))
        elif action == b"importing":
            if cs.slots[slot] is me:
                raise CommandError("ERR I'm already the owner of hash slot %d" % slot)
            if n is None:
                raise CommandError("ERR I don't know about node %s" % argv[4].decode("latin-1"))
            if n.is_replica:
                raise CommandError("ERR Target node is not a master")
            cs.importing_slots_from[slot] = n
            cs.log(now, "migration", n, "CLUSTER SETSLOT %d IMPORTING %s: slot %d is being moved here from %s "
                   "(served after ASKING)" % (slot, n.name, slot, n.name))
        else:
            if n is None:
                raise CommandError("ERR Unknown node %s" % argv[4].decode("latin-1"))
            if n.is_replica:
                raise CommandError("ERR Target node is not a master")
            db = c.node.dbs[0]
            if cs.slots[slot] is me and n is not me and db.count_keys_in_slot(slot) != 0:
                raise CommandError("ERR Can't assign hashslot %d to a different node while I still hold keys for "
                                   "this hash slot." % slot)
            if db.count_keys_in_slot(slot) == 0 and slot in cs.migrating_slots_to:
                del cs.migrating_slots_to[slot]
            slot_was_mine = cs.slots[slot] is me
            cs.set_slot_owner(slot, n)
            cs.log(now, "slots", n, "CLUSTER SETSLOT %d NODE %s: the slot is now served by %s" % (slot, n.name, n.name))
            if slot_was_mine and n is not me and me.numslots == 0 and cs.config.allow_replica_migration:
                cs.set_my_master(n, now)
            if n is me and slot in cs.importing_slots_from:
                del cs.importing_slots_from[slot]
                if epochs.bump_config_epoch_without_consensus(cs, now):
                    cs.log(now, "epoch", me, "configEpoch updated after importing slot %d" % slot)
                cs.broadcast_pong(now)
            _done(c, TODO_UPDATE_STATE | TODO_SAVE_CONFIG)
            return OK
    elif action == b"stable" and len(argv) == 4:
        if cs.migrating_slots_to.pop(slot, None) is not None or cs.importing_slots_from.pop(slot, None) is not None:
            cs.log(now, "migration", "", "CLUSTER SETSLOT %d STABLE: migrating/importing state cleared" % slot)
        cs.importing_slots_from.pop(slot, None)
    else:
        raise CommandError("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
    _done(c, TODO_UPDATE_STATE | TODO_SAVE_CONFIG)
    return OK


@command("cluster|reset")
def cluster_reset(c, argv):
    cs = _require_cluster(c)
    hard = False
    if len(argv) == 3:
        opt = argv[2].lower()
        if opt == b"hard":
            hard = True
        elif opt != b"soft":
            raise CommandError(errors.SYNTAX)
    elif len(argv) > 3:
        raise CommandError(_subcommand_syntax_error(argv))
    me = cs.myself
    if me.is_master and len(c.node.dbs[0]) != 0:
        raise CommandError("ERR CLUSTER RESET can't be called with master nodes containing keys")
    reset_cluster(c.node, hard)
    return OK


def reset_cluster(node, hard: bool) -> None:
    """clusterReset."""
    cs = node.cluster
    now = now_ms()
    me = cs.myself
    if me.is_replica:
        cs.set_node_as_master(me)
        node.bus.state.host.replicate_from(None)
        for db in node.dbs:
            db.clear()
    cs.migrating_slots_to.clear()
    cs.importing_slots_from.clear()
    cs.del_node_slots(me)
    for n in list(cs.nodes.values()):
        if n is not me:
            cs.del_node(n, now)
    cs.reset_manual_failover()
    if hard:
        from ..cluster.nodes import random_node_name

        cs.current_epoch = 0
        cs.last_vote_epoch = 0
        me.config_epoch = 0
        cs.rename_node(me, random_node_name())
        cs.log(now, "reset", me, "node hard reset, now I'm %s" % me.name)
    _done_node(node, TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG)


def _done_node(node, flags):
    node.cluster.todo(flags)
    node.bus.wake()


@command("cluster|failover")
def cluster_failover(c, argv):
    cs = _require_cluster(c)
    force = takeover = False
    if len(argv) == 3:
        opt = argv[2].lower()
        if opt == b"force":
            force = True
        elif opt == b"takeover":
            takeover = True
        else:
            raise CommandError(errors.SYNTAX)
    elif len(argv) > 3:
        raise CommandError(_subcommand_syntax_error(argv))
    me = cs.myself
    if me.is_master:
        raise CommandError("ERR You should send CLUSTER FAILOVER to a replica")
    if me.replicaof is None:
        raise CommandError("ERR I'm a replica but my master is unknown to me")
    if not force and not takeover and (me.replicaof.failed or me.replicaof.link is None):
        raise CommandError("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")
    hooks = cs.failover_hooks
    if hooks is None:
        raise CommandError("ERR Failover is not available yet on this node")
    hooks.manual_failover(cs, now_ms(), force, takeover)
    c.node.bus.wake()
    return OK


@debug_subcommand("drop-cluster-packet-filter", lambda n: n == 3)
def debug_drop_cluster_packet_filter(c, argv):
    """DEBUG DROP-CLUSTER-PACKET-FILTER <type>: drop every received bus message of that type (-1: none)."""
    packet_type = _parse_ll(argv[2])
    if c.node.cluster is not None:
        c.node.cluster.drop_packet_filter = packet_type
    return OK


@command("cluster|help")
def cluster_help(c, argv):
    return [Status(line) for line in CLUSTER_HELP]


CLUSTER_HELP = [
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "HELP",
    "    Print this help.",
]


# -- ASKING / READONLY / READWRITE ---------------------------------------------------------------------


@command("asking")
def asking(c, argv):
    _require_cluster(c)
    c.asking = True
    return OK


@command("readonly")
def readonly(c, argv):
    _require_cluster(c)
    c.readonly = True
    return OK


@command("readwrite")
def readwrite(c, argv):
    _require_cluster(c)
    c.readonly = False
    return OK

