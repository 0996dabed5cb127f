"""One client connection: bytes in, commands run, replies out (Redis: networking.c + server.c
``processCommand`` / ``call``).

The hot path is :meth:`Client.data_received`: parse everything that arrived (hiredis, see
:mod:`..protocol.request`), run each command, and write all the replies of that read with a single
``transport.write``.  Everything unusual -- MULTI, AUTH pending, pub/sub mode in RESP2, cluster
routing, MONITOR, CLIENT PAUSE, a blocked client -- is behind one flag test (``self.slow``), so a
plain GET pays for none of it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from .. import errors
from ..commands import table
from ..commands.transactions import exec_ as _exec
from ..commands.transactions import exec_abort
from ..commands.scripting import script_allows_stale, script_declares_flags
from ..errors import CommandError
from ..protocol.reply import BULK_HEADERS, NO_REPLY, QUEUED, Raw, encode, error_bytes
from ..cluster.slots import key_hash_slot
from ..protocol.request import RequestParser
from ..commands import events  # PYREDIS EVENTS, also without the admin commands
from ..store import keyspace
from .latency_hist import Histogram
from .latency_hist import record as record_latency
from .memory import EVICT_FAIL, OOM_ERROR, oom_rejects
from ..commands.admin import MODULE_PROTECTED, module_denied
from .limits import (
    check_output_buffer, client_memory, close_for_obuf, debug_denied, evict_clients, maxclients_reached,
    obuf_high_water, over_hard_limit, security_warning,
)

_lookup = table._LOOKUP
_clock = time.perf_counter
_monotonic = time.monotonic

# CLIENT REPLY modes
REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT, REPLY_SKIP = 0, 1, 2, 3

# Commands with Redis's internal CMD_MAY_REPLICATE flag (not shown by COMMAND INFO): held by CLIENT PAUSE
# WRITE like writes, and refused to MONITOR clients like key access.
MAY_REPLICATE = frozenset({"eval", "evalsha", "fcall", "publish", "spublish", "pfcount", "function|delete",
                           "function|flush", "function|load", "function|restore"})
_NOT_MONITORED = frozenset({"admin", "skip_monitor"})
_RO_SCRIPTS = frozenset({"eval_ro", "evalsha_ro", "fcall_ro"})  # (a script's reads are its caller's)


def _may_replicate(c, cmd, argv) -> bool:
    """CMD_MAY_REPLICATE of getCommandFlags: EVAL* / FCALL* lose it when their script declared flags."""
    return cmd.name in MAY_REPLICATE and not (cmd.write_for is not None and script_declares_flags(c, cmd, argv))


def _allows_stale(c, cmd, argv) -> bool:
    """CMD_STALE of getCommandFlags: EVAL* / FCALL* take it from their script's declared flags."""
    if cmd.write_for is not None:
        return script_allows_stale(c, cmd, argv)
    return "stale" in cmd.flags


def _enough_good_replicas(node) -> bool:
    """checkGoodReplicasStatus: min-replicas-to-write replicas whose last ACK is at most
    min-replicas-max-lag seconds old (a lag of 0 turns the check off)."""
    max_lag = node.config["min-replicas-max-lag"]
    if not max_lag:
        return True
    now = time.monotonic()
    good = sum(1 for r in node.repl.master.online_replicas() if int(now - r.repl_ack_time) <= max_lag)
    return good >= node.config["min-replicas-to-write"]


class Client(asyncio.Protocol):
    qbuf_read = 0  # bytes of the read being processed (Redis keeps them in the query buffer meanwhile)
    # The size Redis's query buffer would have (CLIENT LIST qbuf-free): 16 KB of room made before each
    # read (20474 bytes once allocated), room for a whole big argument (>= 32 KB), trimmed by the
    # cron (query_buffer_cron) when idle or far above the recent peak.
    qb_alloc = 0
    qb_peak = 0
    # The size of Redis's reply buffer (CLIENT LIST rbs / rbp): 16 KB at first, resized by the cron from
    # the peak of the replies written at once (clientsCronResizeOutputBuffer: reply_buffer_cron).
    rb_size = 16384
    rb_peak = 0
    rb_peak_reset = 0.0
    # CLIENT TRACKING state (server/tracking.py; Redis: the CLIENT_TRACKING* flags)
    tracking = tracking_bcast = tracking_optin = tracking_optout = tracking_noloop = False
    tracking_caching = tracking_broken = False
    tracking_redir = 0
    tracking_prefixes = None

    def __init__(self, node):
        self.node = node
        self.id = node.next_client_id()
        self.transport = None
        self.parser = RequestParser(node.config["proto-max-bulk-len"])
        self.db = node.dbs[0]
        self.resp3 = False
        self.name = b""
        self.lib_name = b""
        self.lib_ver = b""
        self.addr = "?"
        self.laddr = "?"
        self.fd = -1
        self.ctime = time.time()
        self.last_interaction = time.monotonic()
        self.user = "default"
        self.acl_user = node.acl.default_user  # the ACL user (server/acl.py); self.user is its name
        self.authenticated = not node.requires_auth()
        self.closing = False
        self.close_after_reply = False
        # state that forces the slow path
        self.multi = None  # list of queued (cmd, argv) inside MULTI, else None
        self.multi_error = False
        self.watched = None  # {(db_id, key)} for WATCH
        self.dirty_cas = False  # a watched key was touched
        self.channels: set = set()
        self.patterns: set = set()
        self.shard_channels: set = set()
        self.monitor = False
        self.reply_mode = REPLY_ON
        self.readonly = False  # READONLY (cluster replicas)
        self.asking = False  # ASKING (cluster)
        self.blocked = None  # what the client waits for (blocking commands)
        self.paused_queue: deque = deque()  # commands parsed while blocked / paused
        self.is_master = False  # the replication link from our master
        self.propagate_as = None  # commands to propagate instead of this one (set by handlers)
        self.flags = ""
        self.last_cmd = "NULL"
        self.out: list = []
        self.write_paused = False  # the transport's buffer is over its high-water mark (pause_writing)
        self.slow = True
        self.update_slow()
        self.tot_net_in = 0
        self.tot_net_out = 0
        self.tot_cmds = 0

    # -- state ---------------------------------------------------------------------------------

    def update_slow(self) -> None:
        """Recompute whether commands must take the slow path (call after changing any state it
        depends on)."""
        self.slow = bool(
            self.multi is not None
            or not self.authenticated
            or (self.channels or self.patterns or self.shard_channels) and not self.resp3
            or self.node.monitors
            or self.node.repl.link is not None
            or self.node.pause_until
            or self.node.loading  # -LOADING for most commands (execute_slow)
            or self.blocked is not None
            or self.paused_queue
            or self.reply_mode != REPLY_ON
            or self.tracking
            or self.closing
            or self.close_after_reply
            or getattr(self, "is_replica_client", False)  # (a reply on a replication link is refused)
            or self.acl_user.restricted and not self.is_master  # ACL checks: only on the slow path
            or self.node.memory is not None  # maxmemory: evictions and the OOM check before each command
            or self.node.disk_error is not None
            or self.node.config["min-replicas-to-write"]  # NOREPLICAS is checked in execute_slow
            or self.node.faults is not None and self.node.faults.active
        )

    @property
    def subscriptions(self) -> int:
        return len(self.channels) + len(self.patterns)

    def select(self, db_id: int) -> None:
        self.db = self.node.dbs[db_id]

    # -- asyncio.Protocol -------------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        if isinstance(local, str) and local:  # a unix socket: Redis shows its path, port 0
            self.addr = self.laddr = "%s:0" % local
        else:
            self.addr = _fmt_addr(peer)
            self.laddr = _fmt_addr(local)
        if sock is not None:
            self.fd = sock.fileno()
        node = self.node
        refused = maxclients_reached(node)
        if refused is not None:
            node.stats.rejected_connections += 1
            transport.write(refused)
            transport.close()
            self.closing = True
            return
        if node.protected_mode_refuses(peer):
            node.stats.rejected_connections += 1
            transport.write(error_bytes(PROTECTED_MODE_MESSAGE))
            transport.close()
            self.closing = True
            return
        node.clients[self.id] = self
        node.stats.total_connections_received += 1
        high = obuf_high_water(node.config)
        if high is not None:  # small client-output-buffer-limit: hear about it before it is reached
            transport.set_write_buffer_limits(high=high)
        self.update_slow()

    def _replica_replied(self, name: str, error: str | None = None) -> None:
        """A replica's command made a reply: nothing is ever written back on a replication link, the
        replica is disconnected (_addReplyToBufferOrList: logInvalidUseAndFreeClientAsync)."""
        self.out.clear()
        log = self.node.log
        log.warning("Replica generated a reply to command '%s', disconnecting it: %s" % (name, self.describe()))
        if error is not None:  # afterErrorReply
            log.warning("== CRITICAL == This master is sending an error to its replica: '%s' after processing the "
                        "command '%s'" % (error, name))
        self.close()

    def check_output_buffer(self) -> bool:
        """client-output-buffer-limit now (a replica whose stream waits in its buffer): True if closed."""
        return check_output_buffer(self)

    def pause_writing(self) -> None:
        """The transport buffers more than its high-water mark (the client does not read fast enough):
        from now on each write checks the output buffer limits (client-output-buffer-limit)."""
        self.write_paused = True
        check_output_buffer(self)

    def resume_writing(self) -> None:
        self.write_paused = False

    def connection_lost(self, exc) -> None:
        self.closing = True
        self.node.client_gone(self)

    def data_received(self, data: bytes) -> None:
        n = len(data)
        self.tot_net_in += n
        self.last_interaction = now = _monotonic()
        if self.qb_alloc < 16384:  # sdsMakeRoomForNonGreedy(querybuf, PROTO_IOBUF_LEN)
            self.qb_alloc = 20474
        parser = self.parser
        qblen = len(parser._buf) + n  # (parser.pending)
        if qblen > self.qb_peak:
            self.qb_peak = qblen
        if not self.authenticated:  # processMultibulkBuffer's limits for unauthenticated clients
            parser.auth_required = self.node.acl.auth_required()
        elif parser.auth_required:
            parser.auth_required = False
        cmds, err = parser.feed(data)
        node = self.node
        evicting = node.config.values["maxmemory-clients"]
        if cmds:
            if qblen >= 32768:  # a big argument gets a query buffer of its own size (PROTO_MBULK_BIG_ARG)
                big = max(len(a) for argv in cmds for a in argv)
                if big >= 32768 and big + 2 > self.qb_alloc:
                    self.qb_alloc = big + 2
            if evicting:
                # processCommand's evictClients: the arguments of the command about to run count
                evict_clients(node, self, max(sum(len(a) for a in argv) for argv in cmds))
                if self.closing:
                    return
            if self.paused_queue or self.blocked is not None:
                self.paused_queue.extend(cmds)
            else:
                self.qbuf_read = n
                self.run_commands(cmds, now)
                self.qbuf_read = 0
        if err is not None:
            node.log.verbose("Protocol error (%s) from client: %s" % (err, self.describe()))
            self.out.append(error_bytes("ERR " + err))
            self.close_after_reply = True
        elif parser._buf and parser.pending > node.config["client-query-buffer-limit"]:
            node.log.warning("Closing client that reached max query buffer length: %s" % self.describe())
            self.close_after_reply = True
        self.flush()
        if node.config.values["maxmemory-clients"]:  # (read again: CONFIG SET may have changed it)
            evict_clients(node)  # maxmemory-clients: the biggest clients go

    def flush(self) -> None:
        out = self.out
        if out:
            if self.node.aof_buf and self.node.persistence.hold(self):
                return  # the reply waits until the AOF has the writes (sent by Persistence.before_sleep)
            data = b"".join(out) if len(out) > 1 else out[0]
            out.clear()
            n = len(data)
            if n > 16384 and over_hard_limit(self, n):
                close_for_obuf(self)  # the reply goes over the hard output buffer limit: never sent
                return
            self.tot_net_out += n
            if n > self.rb_peak:
                self.rb_peak = n if n < self.rb_size else self.rb_size
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(data)
                if self.write_paused:
                    check_output_buffer(self)
        if self.close_after_reply and self.transport is not None:
            self.transport.close()

    def send_push(self, data: bytes) -> None:
        """Write an out-of-band message (pub/sub, monitor) now."""
        if self.transport is not None and not self.transport.is_closing():
            self.tot_net_out += len(data)
            self.transport.write(data)
            if self.write_paused:
                check_output_buffer(self)

    # -- running commands ---------------------------------------------------------------------

    def run_commands(self, cmds, t0=None) -> None:
        """Run parsed commands in order, appending their replies to ``self.out`` (``t0``: when they
        arrived, for SLOWLOG / LATENCY)."""
        out = self.out
        node = self.node
        stats = node.stats
        lookup = node.cmd_lookup.get  # the command table, as renamed for this node (rename-command)
        ready = self.node.blocking.ready  # keys made ready for blocked clients (server/blocking.py)
        cluster = self.node.cluster
        myself = cluster.myself if cluster is not None else None
        done = 0
        tracked = node.config.values["latency-tracking"]
        tracking = node.tracking
        if tracking.table and len(tracking.table) > node.config.values["tracking-table-max-keys"] > 0:
            tracking.limit_used_slots()  # processCommand: trackingLimitUsedSlots before the commands run
        i = -1
        for argv in cmds:
            i += 1
            if self.slow:
                if self.blocked is not None:  # blocked by the previous command: the rest waits
                    self.paused_queue.extend(cmds[i:])
                    break
                self.execute_slow(argv)
                if self.blocked is not None or self.node.pause_until and self.paused_queue:
                    # stop here; the rest waits until the client is unblocked
                    self.paused_queue.extend(cmds[i + 1:])
                    break
                continue
            cmd = lookup(argv[0])
            if cmd is None or cmd.subcommands:
                self.execute_slow(argv)
                continue
            n = len(argv)
            ar = cmd.arity
            if (ar > 0 and n != ar) or n < -ar:
                if cmd.handler is _exec:  # EXEC's own arity error aborts the transaction
                    self.execute_slow(argv)
                    continue
                out.append(error_bytes(errors.wrong_arity(cmd.name)))
                cmd.rejected_calls += 1
                stats.error(errors.wrong_arity(cmd.name))
                continue
            if cluster is not None and not cmd.no_keys:
                # Cluster mode: serve here only the plain case -- one key, in a slot I own and that is
                # not being migrated, cluster ok.  Everything else goes through the routing gate.
                ki = cmd.single_key
                if (not ki or cluster.slots[key_hash_slot(argv[ki])] is not myself or cluster.state
                        or cluster.migrating_slots_to or cluster.importing_slots_from):
                    self.execute_slow(argv)
                    continue
            dirty = node.dirty
            if tracked:
                c0 = _clock()
            try:
                r = cmd.handler(self, argv)
            except CommandError as e:
                out.append(error_bytes(e.message))
                cmd.failed_calls += 1
                stats.error(e.message)
                r = NO_REPLY
            except Exception as e:  # a bug must not take the server down: report it like Redis would
                r = NO_REPLY
                self._internal_error(cmd, argv, e)
            if tracked and self.blocked is None:  # latency-tracking (a blocked command counts when served)
                us = int((_clock() - c0) * 1e6)
                cmd.usec += us
                h = cmd.latency_histogram
                if h is None:
                    h = cmd.latency_histogram = Histogram()
                h = h.raw  # (Histogram.record_usec, inline)
                h[us] = h.get(us, 0) + 1
            if node.dirty != dirty:
                node.propagate(self, cmd, argv)
            elif node.pending_props:  # only keys it expired lazily: their DELs
                node.propagate(self, cmd, None)
            if self.asking and self.multi is None and cmd.name != "asking":
                self.asking = False  # ASKING is valid for the next command only (or until EXEC)
            cmd.calls += 1
            done += 1
            self.last_cmd = cmd.name
            t = type(r)
            if t is Raw:
                out.append(r)
            elif t is bytes:  # (three pieces: the join of flush copies the value once)
                n = len(r)
                out.extend((BULK_HEADERS[n] if n < 512 else b"$%d\r\n" % n, r, b"\r\n"))
            elif t is int:
                out.append(b":%d\r\n" % r)
            else:
                out.append(encode(r, self.resp3))
            if ready:  # handleClientsBlockedOnKeys
                self.node.blocking.serve_ready()
        stats.commands += done
        if t0 is not None and done == len(cmds) and node.timing_threshold is not None:
            # SLOWLOG / LATENCY: the read batch, since it arrived (one clock read; server/limits.py)
            d = time.monotonic() - t0
            if d >= node.timing_threshold:
                node.timer.batch(self, cmds, d)

    def execute_slow(self, argv) -> None:
        """Everything processCommand checks before ``call``, in Redis's order."""
        node = self.node
        out = self.out
        if self.blocked is not None:  # blocked by a command that ran on the fast path (SHUTDOWN ...)
            self.paused_queue.appendleft(argv)
            return
        if self.closing or self.close_after_reply:  # freed (killed, output buffer limit, security
            return  # warning) or closing after this reply (QUIT, protocol error): the rest is not run
        node.stats.commands_slow += 1
        try:
            if node.renamed is not None:  # rename-command: new name -> the command, old name -> unknown
                argv = node.renamed.translate(argv)
            if argv[0][:1] in b"hHpP" and argv[0].lower() in (b"host:", b"post"):
                security_warning(self)  # an HTTP request: Cross Protocol Scripting (closed, no reply)
                return
            cmd = events.resolve(node, argv) if node.faults is None else node.faults.resolve(argv)
        except CommandError as e:
            if argv[0][:1] in b"eE" and argv[0].lower() == b"exec":  # rejectCommand on EXEC: execCommandAbort
                e = CommandError(exec_abort(self, e.message, argv))
            node.stats.error(e.message)
            if self.multi is not None:
                self.multi_error = True
            if isinstance(argv[0], bytes) and (c := table.lookup(argv[0])) is not None:
                if c.subcommands and len(argv) > 1:  # a subcommand's arity (an unknown one counts nowhere)
                    c = c.subcommands.get(argv[1].lower()) if isinstance(argv[1], bytes) else None
                if c is not None:
                    c.rejected_calls += 1
            self._reply(error_bytes(e.message))
            return
        except (TypeError, AttributeError):
            out.append(error_bytes("ERR Protocol error: expected '$', got ':'"))
            self.close_after_reply = True
            return
        name = cmd.name
        base = cmd.parent.name if cmd.parent is not None else name
        try:
            if name == "debug" and (denied := debug_denied(self)) is not None:
                raise CommandError(denied)  # CMD_PROTECTED: checked before AUTH and ACLs
            if name in MODULE_PROTECTED and (denied := module_denied(self)) is not None:
                raise CommandError(denied)
            if not self.authenticated and "no_auth" not in cmd.flags and node.acl.auth_required():
                raise CommandError(errors.NOAUTH)  # (authRequired: the default user has a password or is off)
            if self.acl_user.restricted and not self.is_master and not (
                    self.multi is not None and "no_multi" in cmd.flags):
                denied = node.acl.check(self, cmd, argv)  # ACLCheckAllPerm (logs the denial)
                if denied is not None:
                    raise CommandError(denied)
            if (self.channels or self.patterns or self.shard_channels) and not self.resp3 and base not in (
                "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe",
                "quit", "reset",
            ):
                raise CommandError(
                    "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
                    "allowed in this context" % name
                )
            if node.cluster is not None and not self.is_master:
                redirect = node.cluster_route(self, cmd, argv)
                if redirect is not None:
                    raise CommandError(redirect)
            if node.memory is not None and not self.is_master:  # maxmemory (server/memory.py)
                if node.memory.perform_evictions() == EVICT_FAIL and oom_rejects(self, cmd):
                    raise CommandError(OOM_ERROR)
            # (EXEC counts as a write when it queued one; processCommand's is_write_command)
            # (and EVAL / FCALL count as the flags their script declared: getCommandFlags)
            is_write = cmd.writes(self, argv) or (
                base == "exec" and bool(self.multi) and any(q.writes(self, a) for q, a in self.multi))
            if node.disk_error is not None and (is_write or name == "ping") and not self.is_master:
                raise CommandError(node.disk_error)  # MISCONF: persistence is failing
            if is_write and node.repl.link is None and node.config["min-replicas-to-write"] and not (
                    self.is_master or _enough_good_replicas(node)):
                raise CommandError("NOREPLICAS Not enough good replicas to write.")
            if (node.repl.link is not None and is_write and not self.is_master
                    and node.config["replica-read-only"]):
                raise CommandError(errors.READONLY)
            if (node.repl.link is not None and not node.repl.link.connected and not self.is_master
                    and not node.config["replica-serve-stale-data"] and (
                        not _allows_stale(self, cmd, argv) or base == "exec" and bool(self.multi)
                        and any(not _allows_stale(self, q, a) for q, a in self.multi))):
                raise CommandError("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
            if (self.monitor or getattr(self, "is_replica_client", False)) and (
                    cmd.is_write or cmd.is_readonly or name in MAY_REPLICATE):
                raise CommandError("ERR Replica can't interact with the keyspace")
            if node.loading and "loading" not in cmd.flags and not self.is_master:
                raise CommandError(errors.LOADING)  # (a replica serves events while loading a full sync)
            if getattr(node, "async_loading", 0) and "no_async_loading" in cmd.flags and not self.is_master:
                raise CommandError(errors.LOADING)  # (REPLICAOF ... while the old dataset is still served)
            if node.pause_until and not self.monitor and not getattr(self, "is_replica", False) and (
                    not node.pause_writes_only or is_write or _may_replicate(self, cmd, argv)
                    or base == "exec" and self.multi
                    and any(q.writes(self, a) or _may_replicate(self, q, a) for q, a in self.multi)):
                self.paused_queue.appendleft(argv)  # CLIENT PAUSE: runs again once unpaused
                return
            if self.multi is not None and base not in ("exec", "discard", "multi", "watch", "quit", "reset"):
                if "no_multi" in cmd.flags:
                    raise CommandError("ERR Command not allowed inside a transaction")
                self.multi.append((cmd, argv))
                self._reply(QUEUED)
                return
        except CommandError as e:
            cmd.rejected_calls += 1
            if base == "exec":  # rejectCommand on EXEC: execCommandAbort (a redirect only discards)
                e = CommandError(exec_abort(self, e.message, argv))
            node.stats.error(e.message)
            if self.multi is not None:
                self.multi_error = True
            self._reply(error_bytes(e.message))
            if self.out and getattr(self, "is_replica_client", False):
                self._replica_replied(cmd.name, e.message)
            return
        self.call(cmd, argv)
        if self.out and getattr(self, "is_replica_client", False):
            self._replica_replied(cmd.name)
        if self.asking and self.multi is None and cmd.name != "asking":
            self.asking = False  # ASKING is valid for the next command only (or until EXEC)
        if self.tracking_caching and self.multi is None and base != "client":
            self.tracking_caching = False  # CLIENT CACHING is valid for the next command (or EXEC)
        if node.blocking.ready:  # handleClientsBlockedOnKeys, after the whole command (EXEC included)
            node.blocking.serve_ready()

    def call(self, cmd, argv) -> None:
        """Redis's ``call()``: run the command, count it, feed MONITOR, and queue its reply."""
        node = self.node
        dirty = node.dirty
        timing = node.timing_threshold
        tracked = node.config.values["latency-tracking"]
        if timing is not None or tracked:
            t0 = _clock()
        tracking = node.tracking
        caller = tracking.current  # (set: a nested call, in EXEC or by a script's client)
        if caller is None:
            tracking.current = self  # server.current_client while the command runs (NOLOOP, pending keys)
        replica_write = cmd.is_write and node.repl.link is not None and not self.is_master
        if replica_write:  # a writable replica's client writes (store/keyspace.py)
            keyspace.REPLICA_CLIENT_WRITE = True
        try:
            r = cmd.handler(self, argv)
        except CommandError as e:
            cmd.failed_calls += 1
            node.stats.error(e.message)
            r = None
            self._reply(error_bytes(e.message))
        except Exception as e:
            self._internal_error(cmd, argv, e)
        else:
            if r is not NO_REPLY:
                self._reply(r if type(r) is Raw else Raw(encode(r, self.resp3)))
        finally:
            tracking.current = caller
            if replica_write:
                keyspace.REPLICA_CLIENT_WRITE = False
        if cmd.is_readonly and cmd.name not in _RO_SCRIPTS:
            reader = caller or self  # a script's reads are its caller's (server.script_caller)
            if reader.tracking and not reader.tracking_bcast:
                tracking.remember_keys(reader, cmd, argv)  # the keys it read may now be cached by the client
        if tracking.pending and caller is None and not node.exec_depth:
            tracking.after_command(self)  # afterCommand: invalidations of its own keys, after the reply
        if node.timing_threshold != timing:  # the command changed it (CONFIG SET slowlog-log-slower-than):
            if timing is None and not tracked:  # Redis compares the duration with the new threshold
                t0 = _clock()  # (not timed from its start: counted as 0 us)
            timing = node.timing_threshold
        if (timing is not None or tracked) and self.blocked is None:  # (a blocked command: when served)
            d = _clock() - t0
            us = int(d * 1e6)
            cmd.usec += us
            if tracked:
                record_latency(cmd, us)
            if timing is not None and d >= timing:
                node.timer.record(self, cmd, argv, d)  # SLOWLOG entry, LATENCY sample
        if node.dirty != dirty:
            node.propagate(self, cmd, argv)
            if node.memory is not None:
                node.memory.after_write(self, cmd, argv)  # the estimate of the keys it wrote
        elif node.pending_props:  # only keys it expired lazily: their DELs
            node.propagate(self, cmd, None)
        cmd.calls += 1
        self.last_cmd = cmd.name
        node.stats.commands += 1
        # Redis 7.0 feeds MONITOR after the command ran (so SELECT shows the new db), never admin commands
        if node.monitors and not cmd.flags & _NOT_MONITORED and (
                cmd.parent is None or "skip_monitor" not in cmd.parent.flags):
            node.feed_monitors(self, argv)

    def _reply(self, data: bytes) -> None:
        mode = self.reply_mode
        if mode == REPLY_ON:
            self.out.append(data)
        elif mode == REPLY_SKIP_NEXT:
            self.reply_mode = REPLY_SKIP
        elif mode == REPLY_SKIP:
            self.reply_mode = REPLY_ON
            self.update_slow()

    def _internal_error(self, cmd, argv, exc) -> None:
        self.node.log.warning("Internal error running %r: %r" % (argv[:3], exc))
        if self.node.log.debug_enabled:
            import traceback

            traceback.print_exc()
        self.out.append(error_bytes("ERR internal error: %s" % type(exc).__name__))

    def resume(self) -> None:
        """Run the commands that waited while the client was blocked or paused."""
        while self.paused_queue and self.blocked is None and not self.node.pause_until:
            argv = self.paused_queue.popleft()
            if self.slow:
                self.execute_slow(argv)
            else:
                self.run_commands([argv])
        self.update_slow()
        self.flush()

    # -- introspection ---------------------------------------------------------------------------

    def describe(self, argv=None) -> str:
        """One CLIENT LIST line (without the newline). ``argv``: the command this client is running
        (argv-mem: Redis's c->argv_len_sum, the lengths of its arguments; a blocked client keeps its
        blocking command's)."""
        now = time.time()
        if argv is None and self.blocked is not None:
            argv = getattr(self.blocked, "argv", None)
        argv_mem = sum(map(len, argv)) if argv else 0
        flags = ""
        if self.is_master:
            flags += "M"
        if self.monitor:
            flags += "O"
        if self.channels or self.patterns or self.shard_channels:
            flags += "P"
        if self.multi is not None:
            flags += "x"
        if self.blocked is not None:
            flags += "b"
        if self.tracking:
            flags += "t"
            if self.tracking_broken:
                flags += "R"
            if self.tracking_bcast:
                flags += "B"
        if self.dirty_cas:
            flags += "d"
        if self.close_after_reply:
            flags += "c"
        if self.laddr.endswith(":0") and self.laddr.startswith("/"):
            flags += "U"  # a unix socket client
        if self.readonly:
            flags += "r"
        flags = flags or "N"
        qbuf = self.parser.pending + self.qbuf_read  # (the running command is still in the buffer)
        try:  # the transport's buffer: what the client has not read yet (Redis: the reply list)
            omem = self.transport.get_write_buffer_size() if self.transport is not None else 0
        except Exception:
            omem = 0
        return (
            "id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d "
            "multi=%d qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=0 rbs=%d rbp=%d obl=0 oll=%d omem=%d tot-mem=%d "
            "events=r cmd=%s user=%s redir=%d resp=%d"
            % (
                self.id, self.addr, self.laddr, self.fd, self.name.decode("latin-1"), int(now - self.ctime),
                int(time.monotonic() - self.last_interaction), flags, self.db.id, len(self.channels),
                len(self.patterns), len(self.shard_channels), len(self.multi) if self.multi is not None else -1,
                qbuf, max(0, self.qb_alloc - qbuf), argv_mem, self.rb_size, self.rb_peak, 1 if omem else 0, omem,
                client_memory(self, qbuf, omem),
                self.last_cmd, self.user, self.tracking_redir if self.tracking else -1,
                3 if self.resp3 else 2,
            )
        )

    def query_buffer_cron(self, now: float) -> None:
        """clientsCronResizeQueryBuffer (once a second): free the room of a query buffer idle for more
        than 2 s, or trim one over 32 KB that is more than twice its recent peak."""
        qblen = self.parser.pending
        if self.qb_alloc - qblen > 4096:
            if now - self.last_interaction > 2:
                self.qb_alloc = qblen
            elif self.qb_alloc > 32768 and self.qb_alloc // 2 > self.qb_peak:
                self.qb_alloc = max(qblen, self.qb_peak)
        self.qb_peak = qblen
        self.reply_buffer_cron(now)
        if self.write_paused:  # clientsCron: a soft output buffer limit runs out also without traffic
            check_output_buffer(self)

    def reply_buffer_cron(self, now: float) -> None:
        """clientsCronResizeOutputBuffer: halve-or-more a reply buffer whose peak stayed under half of it
        (to at least 1 KB), double one that was filled (up to 16 KB); the peak restarts every
        reply-buffer peak-reset-time ms (DEBUG REPLYBUFFER)."""
        node = self.node
        if not getattr(node, "reply_buffer_resizing", True):
            return
        size = self.rb_size
        new = 0
        if size // 2 >= 1024 and self.rb_peak < size // 2:
            new = max(1024, self.rb_peak + 1)
            node.stats.reply_buffer_shrinks = getattr(node.stats, "reply_buffer_shrinks", 0) + 1
        elif size * 2 < 32768 and self.rb_peak == size:
            new = min(16384, size * 2)
            node.stats.reply_buffer_expands = getattr(node.stats, "reply_buffer_expands", 0) + 1
        reset_ms = getattr(node, "reply_buffer_peak_reset_ms", 5000)
        if reset_ms >= 0 and (now - self.rb_peak_reset) * 1000 >= reset_ms:
            self.rb_peak = 0  # (Redis: to what the buffer holds now; ours is written out at once)
            self.rb_peak_reset = now
        if new:
            self.rb_size = new

    def close(self) -> None:
        t = self.transport
        if t is not None:
            if getattr(self, "is_replica_client", False) and not t.get_write_buffer_size():
                # freeClient closes the socket at once: the replica sees its link drop before anyone who
                # reads this command's reply can ask it (asyncio would close it a loop turn later)
                sock = t.get_extra_info("socket")
                try:
                    if sock is not None:  # (the loop's socket wrappers refuse shutdown(): use a dup)
                        import os
                        import socket

                        dup = socket.socket(fileno=os.dup(sock.fileno()))
                        try:
                            dup.shutdown(socket.SHUT_WR)
                        finally:
                            dup.close()
                except (OSError, ValueError):
                    pass
            t.close()


PROTECTED_MODE_MESSAGE = (
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for "
    "the default user. In this mode connections are only accepted from the loopback interface. If you want to "
    "connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable "
    "protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by "
    "connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly "
    "accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Redis configuration file, and setting the protected "
    "mode option to 'no', and then restarting the server. 3) If you started the server manually just for "
    "testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the "
    "default user. NOTE: You only need to do one of the above things in order for the server to start "
    "accepting connections from the outside."
)


def _fmt_addr(addr) -> str:
    if not addr:
        return "?"
    if isinstance(addr, tuple):
        host = addr[0]
        if ":" in host:
            return "%s:%d" % (host, addr[1])  # Redis prints IPv6 without brackets in CLIENT LIST
        return "%s:%d" % (host, addr[1])
    return str(addr)
