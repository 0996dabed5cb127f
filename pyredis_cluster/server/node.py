"""The Node: one Redis server -- its settings, databases, clients, listeners and cron.

It is the composition root of DESIGN.md: it owns the keyspace (``store``), hands each connection a
:class:`~.connection.Client`, and runs ``serverCron`` ten times a second (active expiry, client
timeouts, instantaneous metrics).  Several Nodes can live in one process: nothing here is global.
"""

from __future__ import annotations

import asyncio
import binascii
import os
import random
import signal
import socket
import stat
import sys
import time

from .. import commands  # noqa: F401  (registers every command family)
from ..commands.admin import monitor_args
from ..commands.migrate import local_node_started
from ..commands.transactions import unwatch_all
from ..config import NOTIFY_EXPIRED, NOTIFY_KEY_MISS, NOTIFY_NEW, REDIS_VERSION, Config
from ..store.keyspace import Database, now_ms
from . import htstats
from .blocking import Blocking
from .connection import Client
from .log import ASCII_LOGO, Log
from .persistence import Persistence
from .pubsub import PubSub
from .tracking import Tracking

STATS_METRIC_SAMPLES = 16  # server.h: samples for instantaneous metrics


class Stats:
    """Counters shown by INFO stats (Redis: server.stat_*)."""

    def __init__(self):
        self.total_connections_received = 0
        self.commands = 0
        self.commands_slow = 0
        self.rejected_connections = 0
        self.keyspace_hits = 0
        self.keyspace_misses = 0
        self.errorstats: dict = {}  # error code -> count
        self.net_input_bytes = 0  # of closed connections (INFO adds the open ones)
        self.net_output_bytes = 0
        self.total_error_replies = 0
        self.sync_full = 0  # full resyncs served (SYNC, or a PSYNC that could not continue)
        self.sync_partial_ok = 0
        self.sync_partial_err = 0  # PSYNC of a known history that could not continue
        self.ops_samples = [0] * STATS_METRIC_SAMPLES
        self.ops_idx = 0
        self.ops_last = (time.monotonic(), 0)

    def error(self, message: str) -> None:
        self.total_error_replies += 1
        code = message.split(" ", 1)[0]
        self.errorstats[code] = self.errorstats.get(code, 0) + 1

    def reset(self) -> None:
        keep = self.ops_samples
        self.__init__()
        self.ops_samples = keep

    def sample_ops(self) -> None:
        """trackInstantaneousMetric for ops/sec."""
        now = time.monotonic()
        t0, c0 = self.ops_last
        dt = now - t0
        if dt > 0:
            self.ops_samples[self.ops_idx] = int((self.commands - c0) / dt)
            self.ops_idx = (self.ops_idx + 1) % STATS_METRIC_SAMPLES
        self.ops_last = (now, self.commands)

    @property
    def instantaneous_ops(self) -> int:
        return sum(self.ops_samples) // STATS_METRIC_SAMPLES


class Node:
    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        cfg = self.config
        self.log = Log(cfg["loglevel"], cfg["logfile"])
        self.run_id = binascii.hexlify(os.urandom(20)).decode()
        self.rng = random.Random()
        self.cluster_enabled = cfg["cluster-enabled"]
        ndb = 1 if self.cluster_enabled else cfg["databases"]
        self.dbs = [Database(i, self.cluster_enabled, self.rng) for i in range(ndb)]
        for db in self.dbs:
            db.on_modified = self.signal_modified
        self._apply_lfu()
        self.cluster = None  # the ClusterState (sans-IO core) in cluster mode
        self.bus = None  # its shell: bus sockets and timers (server/bus.py)
        if self.cluster_enabled:
            from .bus import ClusterBus

            self.bus = ClusterBus(self)
            self.cluster = self.bus.state
        self.clients: dict = {}
        from .acl import Acl
        from .limits import renamed_commands

        self.acl = Acl(self)  # users, permissions, the ACL log (server/acl.py)
        self.acl.load_at_startup()  # requirepass, "user" lines, aclfile (exits like Redis on errors)
        self.cmd_lookup, self.renamed = renamed_commands(cfg.renamed)  # rename-command, per node
        from .limits import Timing

        self.timing_threshold = None  # seconds, or None: no command timing (set by Timing.refresh)
        self.timer = Timing(self)  # SLOWLOG and LATENCY (server/limits.py)
        self.memory = None  # maxmemory accounting and eviction (server/memory.py), when maxmemory is set
        if cfg["maxmemory"]:
            from .memory import Memory

            self.memory = Memory(self)
        self._next_client_id = 0
        self.monitors: list = []
        self.pause_until = 0.0  # CLIENT PAUSE deadline (monotonic), 0 when not paused
        self.pause_writes_only = False
        self.stats = Stats()
        self.dirty = 0  # changes since the last save (server.dirty)
        # server.also_propagate: (db id, argv) waiting to be propagated at the end of the current
        # top-level command -- the DELs of keys it expired lazily, and inside EXEC (exec_depth > 0)
        # every queued command's writes.  More than one go out wrapped in MULTI/EXEC.
        self.pending_props: list = []
        self.exec_depth = 0
        # (db id, key) -> (id of the value, the address DEBUG OBJECT shows): INCR changes an integer
        # "in place" in Redis (same address); kept only once DEBUG OBJECT has been used (None before)
        self.value_addrs = None
        self._clients_cron_pos = 0  # where clientsCron goes on next time
        self.lastsave = int(time.time())
        self.start_time = time.time()
        self.active_expire_enabled = True
        self.watched_keys: dict = {}  # (db id, key) -> set of clients (transactions issue)
        self.blocking = Blocking(self)  # clients blocked on keys (BLPOP ...), the ready keys
        self.pubsub = PubSub(self)  # channels, patterns and shard channels -> subscribed clients
        self.tracking = Tracking(self)  # CLIENT TRACKING: invalidation messages (server/tracking.py)
        self.notify_flags = 0  # NOTIFY_* bits (notify-keyspace-events)
        self._apply_notify_flags(cfg["notify-keyspace-events"])
        from ..replication import Replication

        self.repl = Replication(self)  # master and replica sides of replication (replication/)
        self.replication_info = self.repl.info  # INFO replication
        for db in self.dbs:
            db.on_expired = self._key_expired
            db.on_stream_gone = self.blocking.stream_gone  # blocked XREADGROUP clients are released
        self.servers: list = []
        self.cron_loops = 0
        self.shutdown_event: asyncio.Event | None = None
        self.port = cfg["port"]
        self.loop = None
        self.config.on_change = self._config_changed
        from .oom import OomScore

        self.oom = OomScore(self)  # oom-score-adj (setOOMScoreAdj)
        from ..store.integrity import Tally

        self.sanitizations = Tally()  # INFO stats dump_payload_sanitizations (RESTORE and RDB loads add to it)
        self.tcp_port = None
        self.faults = None  # fault injection for tests (server/faults.py): with pyredis-admin-commands yes
        if cfg["pyredis-admin-commands"]:
            from .faults import Faults

            self.faults = Faults(self, admin=True)
        self.disk_error = None  # MISCONF text while writes are refused (persistence failing)
        self.persistence = Persistence(self)  # AOF and RDB (server/persistence.py); sets aof_buf, aof_feed

    # -- helpers used by connections and commands -------------------------------------------------

    def next_client_id(self) -> int:
        self._next_client_id += 1
        return self._next_client_id

    def requires_auth(self) -> bool:
        return self.acl.auth_required()

    def protected_mode_refuses(self, peer) -> bool:
        if not self.config["protected-mode"] or not self.acl.default_user.nopass:
            return False
        if not isinstance(peer, tuple):
            return False  # unix socket
        host = peer[0]
        return not (host.startswith("127.") or host == "::1" or host.startswith("::ffff:127."))

    def signal_modified(self, db, key) -> None:
        """signalModifiedKey: count the change and invalidate WATCHes on the key."""
        self.dirty += 1
        if self.tracking.active:
            self.tracking.invalidate_key(key, expired=db.expiring)
        if self.watched_keys:
            watchers = self.watched_keys.get((db.id, key))
            if watchers:
                for c in watchers:
                    if c.watched.get((db.id, key)) and key not in db.data:
                        c.watched[(db.id, key)] = False  # watched already expired, now deleted: no change
                    else:
                        c.dirty_cas = True

    def notify(self, db, type_flag: int, event: bytes, key: bytes) -> None:
        """notifyKeyspaceEvent: publish __keyspace@<db>__:<key> / __keyevent@<db>__:<event> if the
        class ``type_flag`` (config.NOTIFY_*) is enabled by notify-keyspace-events."""
        flags = self.notify_flags
        if flags & type_flag:
            self.pubsub.notify(flags, event, key, db.id)

    def _apply_notify_flags(self, flags: int) -> None:
        """notify-keyspace-events: "new" and "keymiss" events come from the keyspace itself, which
        calls back only when they are enabled."""
        self.notify_flags = flags
        hook = self._db_event if flags & (NOTIFY_KEY_MISS | NOTIFY_NEW) else None
        for db in self.dbs:
            db.on_event = hook

    def _db_event(self, db, event: bytes, key: bytes) -> None:
        self.notify(db, NOTIFY_KEY_MISS if event == b"keymiss" else NOTIFY_NEW, event, key)

    def key_expired(self, db, key) -> None:
        """A key expired (lazily or by the cron): the "expired" event (NOTIFY_EXPIRED)."""
        if self.notify_flags & NOTIFY_EXPIRED:
            self.pubsub.notify(self.notify_flags, b"expired", key, db.id)

    def pubsub_deliver(self, channel: bytes, message: bytes, sharded: bool) -> None:
        """A PUBLISH / SPUBLISH received over the cluster bus: deliver it here only."""
        self.pubsub.publish(channel, message, sharded)

    def client_gone(self, client) -> None:
        if self.clients.pop(client.id, None) is not None:  # INFO's total_net_*_bytes keep counting it
            self.stats.net_input_bytes += client.tot_net_in
            self.stats.net_output_bytes += client.tot_net_out
        if client.monitor and client in self.monitors:
            self.monitors.remove(client)
            self._refresh_slow()
        if client.blocked is not None:
            self.blocking.client_gone(client)
        if client.channels or client.patterns or client.shard_channels:
            self.pubsub.client_gone(client)
        if client.watched:
            unwatch_all(client)
        if getattr(client, "tracking", False):
            self.tracking.disable(client)
        self.repl.master.client_gone(client)
        for hook in self.client_gone_hooks:
            hook(client)

    client_gone_hooks: list = []

    def new_pseudo_client(self):
        """A client with no connection: it runs a replication stream or an AOF (its replies are dropped)."""
        return Client(self)

    def refresh_clients(self) -> None:
        """After a role change: every client re-checks whether it must take the slow path."""
        self._refresh_slow()

    @property
    def is_replica(self) -> bool:
        return self.repl.link is not None

    @property
    def replid(self) -> str:
        return self.repl.backlog.replid

    def propagate(self, client, cmd, argv) -> None:
        """propagateNow / propagatePendingCommands: a write that changed the dataset goes to the
        replicas and the AOF, as the command itself (``argv``; None: the command wrote nothing) or as
        the deterministic commands its handler chose (propagate_as), after the DELs of the keys it
        expired lazily.  More than one command go out in MULTI/EXEC, as Redis 7.0 does (not for
        RANDOMKEY and SCAN: CMD_TOUCHES_ARBITRARY_KEYS); inside EXEC they wait for the EXEC."""
        override = client.propagate_as
        pending = self.pending_props
        if override is None and not pending and not self.exec_depth:  # the common case: one command
            if argv is None:
                return
            repl = self.repl
            if (repl.backlog.buf is not None or repl.master.replicas) and not client.is_master:
                repl.master.propagate(client.db.id, argv)  # (MasterSide.active, inline: once per write)
            aof = self.aof_feed
            if aof is not None:
                aof(client.db.id, argv)
            return
        if override is not None:
            client.propagate_as = None
            ops = [(client.db.id, a) for a in override]
        else:
            ops = [(client.db.id, argv)] if argv is not None else []
        if pending:
            ops = pending + ops
            self.pending_props = []
        if self.exec_depth:
            self.pending_props = ops
            return
        wrap = cmd is None or cmd.name not in ("randomkey", "scan")
        self.emit_props(ops, wrap, client.is_master)

    def emit_props(self, ops, wrap: bool = True, from_master: bool = False) -> None:
        """Send (db id, argv) commands to the replicas and the AOF, in MULTI/EXEC if more than one
        and ``wrap``.  A replica (``from_master``) forwards its master's stream itself: AOF only."""
        if not ops:
            return
        if wrap and len(ops) > 1:
            ops = [(ops[0][0], [b"MULTI"])] + ops + [(ops[-1][0], [b"EXEC"])]
        aof = self.aof_feed
        master = self.repl.master
        active = not from_master and master.active()
        for op in ops:
            db_id, a = op[0], op[1]
            if active:
                master.propagate(db_id, a)
            if aof is not None and len(op) == 2:  # (a third element: replicas only, PROPAGATE_REPL)
                aof(db_id, a)

    def force_propagation(self, client, argv) -> None:
        """forceCommandPropagation(c, PROPAGATE_REPL|PROPAGATE_AOF): a command that left ``dirty`` as it
        was (an empty FLUSHALL / FLUSHDB) still goes to the replicas and the AOF, at the end of the
        command (call() sends what is pending when ``dirty`` did not move)."""
        if self.repl.master.active() or self.aof_feed is not None:
            self.pending_props.append((client.db.id, argv))

    def propagate_to_replicas(self, client, argv) -> None:
        """forceCommandPropagation(c, PROPAGATE_REPL): the command goes to the replicas only, not the
        AOF (PUBLISH, SPUBLISH), at the end of the command like the rest of what it propagates."""
        if self.repl.master.active() and not client.is_master:
            self.pending_props.append((client.db.id, argv, True))

    def flush_pending_props(self) -> None:
        """Propagate DELs of keys expired outside any command (each on its own, no MULTI)."""
        if self.pending_props and not self.exec_depth:
            ops, self.pending_props = self.pending_props, []
            self.emit_props(ops, wrap=False)

    def _key_expired(self, db, key) -> None:
        """An expired key was deleted: replicas and the AOF get a DEL (deleteExpiredKeyAndPropagate),
        at the end of the command that expired it (server.also_propagate).  An expiry is not a change
        of the dataset for ``dirty`` (Redis does not count it), so it undoes the count of the delete."""
        self.dirty -= 1
        if self.memory is not None:
            self.memory.forget(db, key)
        self.key_expired(db, key)  # the "expired" keyspace event
        if self.repl.master.active() or self.aof_feed is not None:
            if not self.pending_props and self.loop is not None:
                self.loop.call_soon(self.flush_pending_props)  # expired outside a command: sent soon
            self.pending_props.append((db.id, [b"DEL", key]))

    def _refresh_slow(self) -> None:
        for c in self.clients.values():
            c.update_slow()

    def feed_monitors(self, client, argv) -> None:
        """replicationFeedMonitors: ``+<time> [<db> <addr>] "arg" ...``"""
        now = time.time()
        if argv[0][:1] in b"aAhHmM":
            argv = monitor_args(argv)  # AUTH / HELLO AUTH / MIGRATE AUTH passwords are redacted
        line = b"+%.6f [%d %s] %s\r\n" % (
            now, client.db.id, client.addr.encode(), b" ".join(b'"%s"' % repr_bytes(a) for a in argv)
        )
        for m in list(self.monitors):
            if m.out:  # the monitor is running commands itself: keep its replies in order
                m.out.append(line)
            else:
                m.send_push(line)

    def cluster_route(self, client, cmd, argv):
        """The routing gate (cluster/router.py): an error text to redirect, or None to serve here.
        Like Redis, commands without keys (other than EXEC) are never redirected."""
        if cmd.no_keys and cmd.name != "exec":
            return None
        if self.faults is not None and self.faults.injections:  # scripted errors (tests only)
            err = self.faults.route(client, cmd, argv)
            if err is not None:
                return err
        return self.bus.route(client, cmd, argv)

    def pause_clients(self, seconds: float, writes_only: bool) -> None:
        self.pause_until = time.monotonic() + seconds
        self.pause_writes_only = writes_only
        for db in self.dbs:  # checkClientPauseTimeoutAndReturnIfPaused: no key expires meanwhile
            db.expire_paused = True
        self._refresh_slow()

    def unpause_clients(self) -> None:
        self.pause_until = 0.0
        for db in self.dbs:
            db.expire_paused = False
        self._refresh_slow()
        waiting = [c for c in self.clients.values() if c.paused_queue]
        link = self.repl.link
        if not waiting and (link is None or not link.held):
            return
        if self.loop is None:  # (a Node object that is not serving)
            self._resume_unpaused(waiting)
        else:
            # unblockPostponedClients: they run after the command that unpaused them (CLIENT UNPAUSE,
            # the end of a FAILOVER), in beforeSleep -- their writes are not that command's changes
            # (inline, CLIENT UNPAUSE would count as a write and go to the replicas and the AOF)
            self.loop.call_soon(self._resume_unpaused, waiting)

    def _resume_unpaused(self, waiting) -> None:
        for c in waiting:
            if c.paused_queue and not c.closing:
                c.resume()
        link = self.repl.link
        if link is not None:
            link.resume_held()  # the master's stream held by the pause

    def _apply_lfu(self) -> None:
        """An LFU maxmemory-policy makes the databases count accesses (OBJECT FREQ, eviction)."""
        cfg = self.config
        lfu = "lfu" in cfg["maxmemory-policy"]
        for db in self.dbs:
            db.set_lfu(lfu, cfg["lfu-log-factor"], cfg["lfu-decay-time"])

    def _config_changed(self, name, old, new) -> None:
        if name in ("maxmemory-policy", "lfu-log-factor", "lfu-decay-time"):
            self._apply_lfu()
        elif name == "notify-keyspace-events":
            self._apply_notify_flags(new)
        if name.startswith("cluster-") and self.bus is not None:
            self.bus.refresh_config()
        if name == "loglevel":
            self.log.set_level(new)
        elif name == "proto-max-bulk-len":
            for c in self.clients.values():
                c.parser.max_bulk_len = new
        elif name in ("slowlog-log-slower-than", "latency-monitor-threshold"):
            self.timer.refresh()
        elif name == "min-replicas-to-write":
            self._refresh_slow()  # writes are checked against the good replicas on the slow path
        elif name == "maxmemory":
            from .memory import maxmemory_changed

            maxmemory_changed(self)
        elif name == "client-output-buffer-limit":
            from .limits import ASYNCIO_HIGH_WATER, obuf_high_water

            high = obuf_high_water(self.config) or ASYNCIO_HIGH_WATER
            for c in self.clients.values():
                if c.transport is not None:
                    c.transport.set_write_buffer_limits(high=high)
        elif name == "requirepass":
            self.acl.update_default_password(new)  # ACLUpdateDefaultUserPassword
            self._refresh_slow()
        elif name == "maxclients":
            from ..config import adjust_open_files_limit

            got = adjust_open_files_limit(new, self.log)
            if got != new:
                raise ValueError("The operating system is not able to handle the specified number of clients, "
                                 "try with %d" % got)
        elif name in ("port", "bind"):
            self.rebind(name)
        elif name in ("appendonly", "appendfsync", "aof-timestamp-enabled", "aof-disable-auto-gc"):
            self.persistence.config_changed(name, old, new)
        elif name in ("oom-score-adj", "oom-score-adj-values"):  # updateOOMScoreAdj
            if not self.oom.set(-1):
                raise ValueError("Failed to set current oom_score_adj. Check server logs.")
        elif name == "repl-backlog-size":  # resizeReplicationBacklog: at least 16 KB
            self.config.values[name] = self.repl.backlog.resize(new)

    def rebind(self, what: str = "port") -> None:
        """changeListenPort / changeBindAddr (CONFIG SET port / bind): listen on the configured
        addresses now.  Raises ValueError with Redis's reply if a required address cannot be bound
        (CONFIG SET then restores the old setting, which rebinds the old addresses)."""
        if self.loop is None:
            return
        port = self.config["port"]
        optional = {b[1:] for b in self.config["bind"].split() if b.startswith("-")}
        for srv in self.servers:
            srv.close()
        self.servers = []
        socks = []
        for addr in self.bind_addresses():
            try:
                fam, typ, proto, _, sa = socket.getaddrinfo(addr, port, type=socket.SOCK_STREAM,
                                                            flags=socket.AI_PASSIVE)[0]
                sock = socket.socket(fam, typ, proto)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if fam == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.bind(sa)
                sock.listen(self.config["tcp-backlog"])
                sock.setblocking(False)
                socks.append(sock)
            except OSError as e:
                if addr in optional:
                    continue
                self.log.warning("Warning: Could not create server TCP listening socket %s:%d: %s"
                                 % (addr, port, e.strerror))
                for sock in socks:
                    sock.close()
                raise ValueError("Unable to listen on this port. Check server logs." if what == "port"
                                 else "Failed to bind to specified addresses.") from None
        if socks:
            self.port = self.tcp_port = socks[0].getsockname()[1]

        async def serve(sock):
            self.servers.append(await self.loop.create_server(lambda: Client(self), sock=sock))

        for sock in socks:
            self.loop.create_task(serve(sock))

    # -- serverCron -------------------------------------------------------------------------------

    def cron(self) -> None:
        """serverCron at ``hz`` times a second."""
        self.cron_loops += 1
        now = now_ms()
        for db in self.dbs:
            db.tick(now)  # LRU clock (OBJECT IDLETIME), SCAN key-list housekeeping
        htstats.resize_cron(self)  # the simulated hash table sizes of DEBUG HTSTATS
        if self.tracking.table:
            self.tracking.limit_used_slots()  # tracking-table-max-keys
        if self.pause_until:
            pass  # no key expires while clients are paused (checkClientPauseTimeoutAndReturnIfPaused)
        elif self.active_expire_enabled and self.repl.link is None:  # replicas never expire keys themselves
            self.active_expire_cycle()
        elif self.repl.link is not None and self.active_expire_enabled:
            expired = False
            for db in self.dbs:  # expireSlaveKeys: the keys this writable replica's clients gave a TTL
                if db.replica_expires:
                    db.expire_replica_keys(now)
                    expired = True
            if expired:
                self.flush_pending_props()
        self.stats.sample_ops()
        if self.pause_until and time.monotonic() >= self.pause_until:
            self.unpause_clients()
        timeout = self.config["timeout"]
        if timeout and self.cron_loops % 10 == 0:
            limit = time.monotonic() - timeout
            for c in list(self.clients.values()):
                if (c.last_interaction < limit and not c.is_master and c.blocked is None
                        and not (c.channels or c.patterns or c.shard_channels) and not c.monitor):
                    self.log.verbose("Closing idle client")
                    c.close()
        if self.clients:  # clientsCron: each client's query buffer about once a second (all, when few)
            clients = list(self.clients.values())
            n = len(clients)
            todo = min(n, max(n // max(1, self.config["hz"]), 5))  # CLIENTS_CRON_MIN_ITERATIONS
            mono = time.monotonic()
            start = self._clients_cron_pos % n
            for i in range(todo):
                qcron = getattr(clients[(start + i) % n], "query_buffer_cron", None)
                if qcron is not None:
                    qcron(mono)
            self._clients_cron_pos = start + todo
        self.persistence.cron()  # children done, save points, AOF rewrites and write retries
        if self.cluster is not None and self.blocking.waiting:
            # clients blocked on keys whose slot moved away, or with the cluster down, are released
            from ..cluster.router import blocked_redirect

            self.blocking.redirect_blocked(lambda c, st: blocked_redirect(self.cluster, st.keys, c))
        if self.cron_loops % max(1, self.config["hz"]) == 0 or self.repl.failover.state != "no-failover":
            self.repl.cron()  # replicationCron, once a second (every cron tick while a FAILOVER runs)
        for hook in self.cron_hooks:
            hook()

    cron_hooks: list = []

    def active_expire_cycle(self) -> None:
        hz = max(1, self.config["hz"])
        budget = 0.25 / hz  # ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC = 25 % of each cron period
        deadline = time.monotonic() + budget
        now = now_ms()
        t0 = time.monotonic()
        for db in self.dbs:
            if db.expires:
                db.active_expire_cycle(now, deadline)
        self.flush_pending_props()  # the DELs, each on its own (propagate_no_multi)
        threshold = self.config["latency-monitor-threshold"]
        if threshold > 0:  # latencyAddSampleIfNeeded("expire-cycle", ...)
            ms = int((time.monotonic() - t0) * 1000)
            if ms >= threshold:
                self.timer.add_latency_sample("expire-cycle", ms)

    async def _cron_loop(self) -> None:
        while True:
            hz = max(1, min(500, self.config["hz"]))
            await asyncio.sleep(1.0 / hz)
            try:
                self.cron()
            except Exception as e:  # never let the cron die
                self.log.warning("cron error: %r" % (e,))

    # -- start and stop ----------------------------------------------------------------------------

    def bind_addresses(self) -> list:
        addrs = []
        for a in self.config["bind"].split():
            if a.startswith("-"):
                a = a[1:]  # "-::1": optional address
            if a == "*":
                a = "0.0.0.0"
            addrs.append(a)
        return addrs or ["127.0.0.1"]

    def source_addr(self):
        """The local address outgoing links (to the master, to other cluster nodes) leave from:
        ``bind-source-addr``, else the first bind address (NET_FIRST_BIND_ADDR), so that the peer sees
        -- and reports -- the node's own address.  None for a wildcard (the kernel chooses)."""
        addr = self.config["bind-source-addr"] or next(iter(self.bind_addresses()), None)
        if not addr or addr in ("0.0.0.0", "::", "*"):
            return None
        return (addr, 0)

    def _ascii_art(self) -> None:
        """redisAsciiArt: the logo with version, mode, port and PID when `always-show-logo yes` or when
        logging to a terminal; one "Running mode=" line otherwise.  (Redis's own test suite waits for the
        logo's "PID:" line to know the server started.)"""
        mode = "cluster" if self.cluster_enabled else "standalone"
        port = self.config["port"]
        tty = not self.config["logfile"] and sys.stdout.isatty()
        if self.config["always-show-logo"] or tty:
            self.log.raw(2, ASCII_LOGO % (REDIS_VERSION, "00000000", 0, "64", mode, port, os.getpid()))
        else:
            self.log.notice("Running mode=%s, port=%d." % (mode, port))

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.shutdown_event = asyncio.Event()
        # Listen first, as initServer does before loadDataFromDisk: while the dataset loads, clients
        # connect and get -LOADING (except for the commands flagged "loading", such as INFO).
        self.loading = 1
        await self._listen()
        self._ascii_art()
        self.log.warning("Server initialized")
        self.oom.set(-1)  # main(): the configured oom-score-adj applies from the start
        steps = self.persistence.load_at_start_steps()  # AOF or dump.rdb (raises PersistenceError: do not start)
        last = time.monotonic()
        try:
            for _ in steps:
                if time.monotonic() - last >= 0.01:  # processEventsWhileBlocked
                    await asyncio.sleep(0)
                    last = time.monotonic()
        except BaseException:
            for srv in self.servers:
                srv.close()
            for c in list(self.clients.values()):
                c.close()
            raise
        finally:
            self.loading = 0
            self._refresh_slow()
        self._cron_task = self.loop.create_task(self._cron_loop())
        if self.bus is not None:
            await self.bus.start()
        for hook in self.start_hooks:
            await hook(self)
        self.log.notice("Ready to accept connections")
        if self.config["replicaof"] is not None and not self.cluster_enabled:
            # `replicaof <host> <port>` in the config (or --replicaof): a replica from the start, which
            # first tries a partial resync with the history it loaded (replicationSetMaster at start-up)
            host, port = self.config["replicaof"]
            self.repl.set_master(host, port)

    async def _listen(self) -> None:
        port = self.config["port"]
        backlog = self.config["tcp-backlog"]
        for addr in self.bind_addresses():
            try:
                server = await self.loop.create_server(
                    lambda: Client(self), addr, port, backlog=backlog, reuse_address=True,
                )
            except OSError as e:
                optional = any(b.startswith("-") and b[1:] == addr for b in self.config["bind"].split())
                if optional:
                    continue
                self.log.warning("Warning: Could not create server TCP listening socket %s:%d: %s"
                                 % (addr, port, e.strerror))
                raise
            for sock in server.sockets:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if port == 0 and self.tcp_port is None:
                self.tcp_port = server.sockets[0].getsockname()[1]
            self.servers.append(server)
        if self.tcp_port is None:
            self.tcp_port = port
        self.port = self.tcp_port
        path = self.config["unixsocket"]
        if path:  # listenToPort's unix part (anetUnixServer): a stale socket file is replaced
            try:
                if stat.S_ISSOCK(os.stat(path).st_mode):
                    os.unlink(path)
            except OSError:
                pass
            try:
                server = await self.loop.create_unix_server(lambda: Client(self), path, backlog=backlog)
            except OSError as e:
                self.log.warning("Failed opening Unix socket: %s" % e.strerror)
                raise
            perm = self.config["unixsocketperm"]
            if perm:
                os.chmod(path, perm)
            self.servers.append(server)
            self.unix_path = path

    start_hooks: list = [local_node_started]  # (MIGRATE to a node of this process: commands/migrate.py)

    def request_shutdown(self) -> None:
        if self.shutdown_event is not None:
            self.shutdown_event.set()

    async def serve_forever(self) -> None:
        await self.start()
        try:
            await self.shutdown_event.wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        for s in self.servers:
            s.close()
        if getattr(self, "unix_path", None):  # closeListeningSockets(unlink_unix_socket=1)
            try:
                os.unlink(self.unix_path)
            except OSError:
                pass
            self.unix_path = None
        for c in list(self.clients.values()):
            c.close()
        self.persistence.on_stop()  # the final save (signals) and the AOF fsync'd and closed
        if getattr(self, "_cron_task", None) is not None:
            self._cron_task.cancel()
        if self.repl.link is not None:
            self.repl.link.stop()  # no more reconnect attempts to the master
        if self.bus is not None:
            await self.bus.stop()
        for hook in self.stop_hooks:
            await hook(self)

    stop_hooks: list = []

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig) -> None:
        """sigShutdownHandler: the cron runs the shutdown sequence (Persistence.shutdown_cron)."""
        self.persistence.on_shutdown_signal(sig)

    @property
    def uptime(self) -> float:
        return time.time() - self.start_time

    @property
    def version(self) -> str:
        return REDIS_VERSION


def repr_bytes(s: bytes) -> bytes:
    """sdscatrepr without the quotes: printable bytes as they are, escapes for the rest."""
    out = bytearray()
    for c in s:
        if c == 92 or c == 34:
            out += b"\\" + bytes((c,))
        elif c == 10:
            out += b"\\n"
        elif c == 13:
            out += b"\\r"
        elif c == 9:
            out += b"\\t"
        elif c == 7:
            out += b"\\a"
        elif c == 8:
            out += b"\\b"
        elif 32 <= c < 127:
            out.append(c)
        else:
            out += b"\\x%02x" % c
    return bytes(out)
