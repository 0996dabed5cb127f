"""Protections of a node against its clients: ``rename-command`` (per node), output buffer limits
(``client-output-buffer-limit``), and the instrumentation that reports slow work (SLOWLOG, LATENCY).

Everything here stays off the fast path: a client is only looked at when its transport's write buffer
goes over the high-water mark (asyncio calls ``pause_writing``), a command is only timed when
``slowlog-log-slower-than`` asks for it, and a renamed command is found by the per-node lookup dict
the fast path already reads.
"""

from __future__ import annotations

import time
from collections import deque

from .. import errors
from ..commands import table
from ..errors import CommandError


# -- rename-command -------------------------------------------------------------------------------------

class Renames:
    """The rename-command directives of one node: the new names lead to the commands, the old names are
    unknown (Redis removes the old name from ``server.commands`` and adds the new one)."""

    def __init__(self, new_to_old: dict, removed: set):
        self.new_to_old = new_to_old  # b"mycfg" -> b"config"
        self.removed = removed  # b"config", b"flushall" ...

    def translate(self, argv: list) -> list:
        """argv with the real command name, or CommandError(unknown command) for a renamed-away name."""
        name = argv[0].lower() if isinstance(argv[0], bytes) else argv[0]
        old = self.new_to_old.get(name)
        if old is not None:
            cmd = table.COMMANDS.get(old)
            if cmd is not None and cmd.subcommands and len(argv) >= 2 and isinstance(argv[1], bytes) and \
                    argv[1].lower() not in cmd.subcommands:
                raise CommandError(errors.unknown_subcommand(argv[0], argv[1]))  # "Try <NEW NAME> HELP."
            return [old] + argv[1:]
        if name in self.removed:
            raise CommandError(errors.unknown_command(argv))
        return argv


def renamed_commands(renamed: list):
    """(lookup dict for the fast path, Renames or None) for the ``(old, new)`` pairs of the config
    (``new`` empty: the command is disabled).  Without renames the shared table is used as it is."""
    pairs = [(o.lower(), n.lower()) for o, n in renamed if "|" not in o]
    if not pairs:
        return table._LOOKUP, None
    names = {n.decode(): n.decode() for n in table.COMMANDS}  # current name -> original name
    for old, new in pairs:
        orig = names.pop(old, None)
        if orig is not None and new:
            names[new] = orig
    new_to_old = {k.encode("utf-8", "surrogateescape"): v.encode() for k, v in names.items() if k != v}
    removed = {n for n in table.COMMANDS if n.decode() not in names}
    lookup = {k: v for k, v in table._LOOKUP.items() if k.lower() not in removed}
    for new, old in new_to_old.items():
        cmd = table.COMMANDS[old]
        lookup[new] = cmd
        lookup[new.upper()] = cmd
    return lookup, Renames(new_to_old, removed)


# -- client-output-buffer-limit ---------------------------------------------------------------------------

OBUF_CLASS_INDEX = {"normal": 0, "replica": 1, "pubsub": 2, "master": 0}


def obuf_class(c) -> int:
    """getClientType for the output buffer limits (MONITOR clients are normal)."""
    if getattr(c, "is_replica", False):
        return 1
    if c.channels or c.patterns or c.shard_channels:
        return 2
    return 0


def check_output_buffer(c) -> bool:
    """checkClientOutputBufferLimits + closeClientOnOutputBufferLimitReached for a client whose
    transport buffers more than the high-water mark.  True if the client was closed."""
    t = c.transport
    if t is None or c.is_master or c.closing:
        return False
    try:
        used = t.get_write_buffer_size()
    except Exception:
        return False
    used += getattr(c, "repl_buffer_len", 0)  # (a replica being synced: the stream waiting for it)
    node = c.node
    cls = obuf_class(c)
    hard, soft, seconds = node.config["client-output-buffer-limit"][cls]
    if cls == 1 and hard and hard < node.config["repl-backlog-size"]:
        hard = node.config["repl-backlog-size"]  # (Redis: a replica limit below the backlog is raised to it)
    hard_hit = bool(hard) and used >= hard
    soft_hit = bool(soft) and used >= soft
    if soft_hit:
        now = int(time.time())
        since = getattr(c, "obuf_soft_since", 0)
        if not since:
            c.obuf_soft_since = now
            soft_hit = False  # first time the soft limit is seen reached
        elif now - since <= seconds:
            soft_hit = False  # not yet for long enough
    else:
        c.obuf_soft_since = 0
    if not (hard_hit or soft_hit):
        return False
    close_for_obuf(c)
    return True


def close_for_obuf(c) -> None:
    """closeClientOnOutputBufferLimitReached: freeClientAsync, what is still buffered is dropped."""
    node = c.node
    node.log.warning("Client %s scheduled to be closed ASAP for overcoming of output buffer limits."
                     % c.describe())
    node.stats.obuf_disconnections = getattr(node.stats, "obuf_disconnections", 0) + 1
    c.closing = True
    c.out.clear()
    c.update_slow()
    if c.transport is not None:
        c.transport.abort()


PROTO_REPLY_CHUNK_BYTES = 16 * 1024  # the reply buffer: what fits there does not count


def over_hard_limit(c, pending: int) -> bool:
    """Would ``pending`` more reply bytes take the client over its hard output buffer limit?  Redis
    counts the reply list (what does not fit the 16 KB buffer) as the replies are added, so a reply
    that goes over is never sent: the client is closed instead."""
    if c.is_master or c.closing:
        return False
    node = c.node
    cls = obuf_class(c)
    if cls == 1:
        return False  # (a replica's stream: check_output_buffer watches it as it is written)
    hard = node.config["client-output-buffer-limit"][cls][0]
    if not hard:
        return False
    try:
        used = c.transport.get_write_buffer_size() if c.transport is not None else 0
    except Exception:
        used = 0
    listed = pending - PROTO_REPLY_CHUNK_BYTES  # the reply list: nodes of 16 KB + a header, which
    if listed > 0:  # jemalloc serves from its 20 KB class (20464 usable bytes each)
        listed = -(-listed // 20464) * 20480
    return used + listed >= hard


def huge_reply(c, count: int, item_bytes: int) -> bool:
    """A reply of ``count`` items of at least ``item_bytes`` each (HRANDFIELD / SRANDMEMBER /
    ZRANDMEMBER with a negative count) that would overflow the hard limit closes the client before it
    is built (Redis stops such a loop mid-run once the client is flagged CLOSE_ASAP)."""
    if count * item_bytes > PROTO_REPLY_CHUNK_BYTES and over_hard_limit(c, count * item_bytes):
        close_for_obuf(c)
        return True
    return False


# -- SLOWLOG and LATENCY: timing commands -------------------------------------------------------------

SLOWLOG_ENTRY_MAX_ARGC = 32
SLOWLOG_ENTRY_MAX_STRING = 128
LATENCY_TS_LEN = 160


def redacted_args(argv: list) -> list:
    """The arguments SLOWLOG keeps: secrets replaced by "(redacted)" (redactClientCommandArgument): AUTH,
    HELLO AUTH, MIGRATE AUTH/AUTH2, ACL SETUSER, CONFIG SET of a sensitive directive."""
    from ..commands.admin import monitor_args

    name = argv[0].lower()
    if name == b"acl" and len(argv) > 2 and argv[1].lower() == b"setuser":
        return argv[:2] + [b"(redacted)"] * (len(argv) - 2)
    if name == b"config" and len(argv) > 3 and argv[1].lower() == b"set":
        from ..config import lookup

        out = list(argv)
        for i in range(2, len(out) - 1, 2):
            entry = lookup(out[i].decode("latin-1"))
            if entry is not None and entry[0].sensitive:
                out[i + 1] = b"(redacted)"
        return out
    return monitor_args(argv)


class Timing:
    """slowlog.c and latency.c.  ``node.timing_threshold`` is None when neither SLOWLOG
    (slowlog-log-slower-than >= 0) nor the latency monitor (latency-monitor-threshold > 0) wants
    command durations, else the smallest duration (seconds) worth recording.

    Reading the clock costs ~0.1 us here, so the fast path reads it once per *read batch*
    (``Client.run_commands``: the time since the batch arrived, parsing included), not per command: a
    batch of one command is timed as a whole, a pipelined batch that went over the threshold is charged
    to its first command Redis does not flag "fast" (else its last one).  Commands on the slow path
    (``Client.call``: MULTI/EXEC, cluster routing, restricted ACL users ...) are each timed exactly, and
    only they add to INFO commandstats' usec."""

    def __init__(self, node):
        self.node = node
        self.slowlog: deque = deque()  # newest first: (id, unix time, usec, args, peer, name)
        self.slowlog_next_id = 0
        self.events: dict = {}  # latency event -> {"samples": deque[(time, ms)], "max": ms}
        self.refresh()

    def refresh(self) -> None:
        cfg = self.node.config
        self.slowlog_us = cfg["slowlog-log-slower-than"]
        self.latency_ms = cfg["latency-monitor-threshold"]
        limits = []
        if self.slowlog_us >= 0:
            limits.append(self.slowlog_us / 1e6)
        if self.latency_ms > 0:
            limits.append(self.latency_ms / 1e3)
        self.node.timing_threshold = min(limits) if limits else None

    # -- recording --

    def record(self, c, cmd, argv, seconds: float) -> None:
        """A command took ``seconds`` (at least the threshold): LATENCY sample and SLOWLOG entry."""
        usec = int(seconds * 1e6)
        if self.latency_ms > 0:
            ms = usec // 1000
            if ms >= self.latency_ms:
                self.add_latency_sample("fast-command" if "fast" in cmd.flags else "command", ms)
        if self.slowlog_us >= 0 and usec >= self.slowlog_us and "skip_slowlog" not in cmd.flags and \
                (cmd.parent is None or "skip_slowlog" not in cmd.parent.flags):
            self.push_slowlog(c, argv, usec)

    def batch(self, c, cmds: list, seconds: float) -> None:
        """A read batch served wholly on the fast path took ``seconds``."""
        node = self.node
        if len(cmds) == 1:
            if c.blocked is not None:  # it blocked: timed when served (updateStatsOnUnblock), not now
                return
            argv = cmds[0]
            cmd = node.cmd_lookup.get(argv[0])
            if cmd is None:
                return
            if seconds >= node.timing_threshold:
                self.record(c, cmd, argv, seconds)
            return
        if seconds < node.timing_threshold:
            return
        suspect = None
        for argv in cmds:
            cmd = node.cmd_lookup.get(argv[0])
            if cmd is not None:
                suspect = (cmd, argv)
                if "fast" not in cmd.flags:
                    break
        if suspect is not None:
            self.record(c, suspect[0], suspect[1], seconds)

    def push_slowlog(self, c, argv: list, usec: int) -> None:
        """slowlogCreateEntry + slowlogPushEntryIfNeeded (the caller checked the threshold)."""
        argv = redacted_args(argv)
        argc = len(argv)
        shown = min(argc, SLOWLOG_ENTRY_MAX_ARGC)
        args = []
        for j in range(shown):
            if shown != argc and j == shown - 1:
                args.append(b"... (%d more arguments)" % (argc - shown + 1))
                break
            a = argv[j]
            if len(a) > SLOWLOG_ENTRY_MAX_STRING:
                a = a[:SLOWLOG_ENTRY_MAX_STRING] + b"... (%d more bytes)" % (len(a) - SLOWLOG_ENTRY_MAX_STRING)
            args.append(a)
        self.slowlog.appendleft((self.slowlog_next_id, int(time.time()), usec, args, c.addr.encode(), c.name))
        self.slowlog_next_id += 1
        maxlen = self.node.config["slowlog-max-len"]
        while len(self.slowlog) > maxlen:
            self.slowlog.pop()

    def add_latency_sample(self, event: str, ms: int) -> None:
        """latencyAddSample: one sample per second per event (the max of that second), 160 kept."""
        now = int(time.time())
        ev = self.events.get(event)
        if ev is None:
            ev = self.events[event] = {"samples": deque(maxlen=LATENCY_TS_LEN), "max": 0}
        if ms > ev["max"]:
            ev["max"] = ms
        samples = ev["samples"]
        if samples and samples[-1][0] == now:
            if ms > samples[-1][1]:
                samples[-1] = (now, ms)
            return
        samples.append((now, ms))

    def add_latency_if_needed(self, event: str, ms: int) -> None:
        """latencyAddSampleIfNeeded, for other events (expire-cycle, eviction-cycle ...)."""
        if self.latency_ms and ms >= self.latency_ms:
            self.add_latency_sample(event, ms)


# -- securityWarningCommand -------------------------------------------------------------------------------

_security_logged = [0.0]


def security_warning(c) -> None:
    """A "POST" or "Host:" command: somebody speaks HTTP to us (Cross Protocol Scripting).  Logged at most
    once a minute; the connection is closed without a reply (freeClientAsync)."""
    now = time.time()
    if abs(now - _security_logged[0]) > 60:
        c.node.log.warning("Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: "
                           "commands to Redis. This is likely due to an attacker attempting to use Cross Protocol "
                           "Scripting to compromise your Redis instance. Connection aborted.")
        _security_logged[0] = now
    c.out.clear()
    c.closing = True
    c.update_slow()
    if c.transport is not None:
        c.transport.abort()


# -- CMD_PROTECTED (enable-debug-command) ------------------------------------------------------------------

def debug_denied(c):
    """processCommand's protected-command check, done before authentication and ACLs: the error text
    when DEBUG is not allowed for this client (enable-debug-command no / local), else None."""
    from ..commands.admin import DEBUG_NOT_ALLOWED
    from ..commands.configcmd import protected_action_allowed

    if protected_action_allowed(c.node.config["enable-debug-command"], c):
        return None
    return DEBUG_NOT_ALLOWED


ASYNCIO_HIGH_WATER = 64 * 1024  # asyncio / uvloop default write buffer high-water mark


def obuf_high_water(config):
    """The write buffer high-water mark that makes the transport report (``pause_writing``) before any
    configured output buffer limit can be reached: None when the default (64 KB) is low enough."""
    limits = [x for cls in config["client-output-buffer-limit"] for x in cls[:2] if x]
    low = min(limits, default=ASYNCIO_HIGH_WATER)
    return low if low < ASYNCIO_HIGH_WATER else None


def maxclients_reached(node):
    """acceptCommonHandler's admission control: the error line, or None.  Cluster bus connections count
    (two per other node, getClusterConnectionsCount)."""
    links = 0
    if node.cluster is not None:
        links = max(len(node.cluster.nodes) - 1, 0) * 2
    if len(node.clients) + links < node.config["maxclients"]:
        return None
    if node.cluster_enabled:
        return b"-ERR max number of clients + cluster connections reached\r\n"
    return b"-ERR max number of clients reached\r\n"


# -- cluster-link-sendbuf-limit -------------------------------------------------------------------------------

def free_cluster_links_over_limit(bus) -> None:
    """clusterNodeCronFreeLinkOnBufferLimitReached, for every bus link, from the cluster cron: a link
    whose send buffer holds more than cluster-link-sendbuf-limit bytes (a peer that does not read) is
    freed; the core reconnects as usual.  Also keeps Link.send_buffer current for CLUSTER LINKS."""
    limit = bus.node.config["cluster-link-sendbuf-limit"]
    for link, proto in list(bus.transports.items()):
        t = proto.transport
        if t is None:
            continue
        try:
            used = t.get_write_buffer_size()
        except Exception:
            continue
        link.send_buffer = used
        if limit and used > limit:
            node = link.node
            bus.node.log.warning("Freeing cluster link(%s node %.40s, used memory: %d) due to exceeding send "
                                 "buffer memory limit." % ("from" if link.inbound else "to",
                                                           node.name if node is not None else "", used))
            bus.links_buffer_limit_exceeded = getattr(bus, "links_buffer_limit_exceeded", 0) + 1
            t.abort()  # connection_lost: the core frees the link (and reconnects an outbound one)


# -- maxmemory-clients: client eviction ---------------------------------------------------------------

CLIENT_BASE_MEM = 22272  # what an idle client costs (its struct, 16 KB reply buffer, query buffer room)


def client_memory(c, qbuf: int | None = None, omem: int | None = None) -> int:
    """getClientMemoryUsage: the CLIENT LIST tot-mem of a client -- buffers, the arguments of the
    command it runs, its queued transaction, the keys it watches, its subscriptions and tracking
    prefixes."""
    if qbuf is None:
        qbuf = c.parser.pending + c.qbuf_read
    if omem is None:
        try:
            omem = c.transport.get_write_buffer_size() if c.transport is not None else 0
        except Exception:
            omem = 0
    mem = CLIENT_BASE_MEM + qbuf + omem
    argv = c.parser._argv  # the arguments of a command still being received (argv-mem)
    if argv:
        mem += sum(len(a) for a in argv)
    multi = c.multi
    if multi:
        mem += sum(40 + sum(len(a) + 16 for a in argv) for _, argv in multi)
    if c.watched:
        mem += 64 * len(c.watched) + sum(len(k) for _, k in c.watched)
    for subs in (c.channels, c.patterns, c.shard_channels):
        if subs:
            mem += sum(56 + len(ch) for ch in subs)
    prefixes = c.tracking_prefixes
    if prefixes:
        mem += sum(56 + len(p) for p in prefixes)
    return mem


def client_eviction_limit(node) -> int:
    """getClientEvictionLimit: maxmemory-clients in bytes, or as a percentage of maxmemory."""
    v = node.config["maxmemory-clients"]
    if v < 0:
        maxmemory = node.config["maxmemory"]
        return maxmemory * -v // 100 if maxmemory else 0
    return v


def evict_clients(node, current=None, argv_mem: int = 0) -> None:
    """evictClients: while normal and pub/sub clients together use more than maxmemory-clients, close
    the biggest evictable one (not no-evict, not a replica or my master).  ``current`` is about to run
    a command whose arguments take ``argv_mem`` bytes."""
    limit = client_eviction_limit(node)
    if not limit:
        return
    clients = [c for c in node.clients.values()
               if not c.closing and not c.is_master and not getattr(c, "is_replica", False)]
    usage = [(client_memory(c) + (argv_mem if c is current else 0), c) for c in clients]
    total = sum(m for m, _ in usage)
    if total < limit:
        return
    for mem, c in sorted(((m, c) for m, c in usage if not getattr(c, "no_evict", False)),
                         key=lambda mc: -mc[0]):
        if total < limit:
            break
        node.log.notice("Evicting client: %s" % c.describe())
        node.stats.evicted_clients = getattr(node.stats, "evicted_clients", 0) + 1
        c.closing = True
        c.out.clear()
        c.update_slow()
        if c.transport is not None:
            c.transport.abort()
        total -= mem
