"""The replica side of replication (Redis: connectWithMaster, syncWithMaster,
slaveTryPartialResynchronization, readSyncBulkPayload, replicationSendAck, the master client).

The link runs as one asyncio task: connect to the master's client port, handshake (PING, AUTH,
REPLCONF listening-port / capa), ``PSYNC <replid> <offset+1>`` with the history we already have, then
either load the RDB of a full sync (``$<len>`` or diskless ``$EOF:<mark>`` framing) or continue from
our offset, and apply the command stream.  Every byte of the stream that was applied advances our
offset; it is acknowledged with ``REPLCONF ACK <offset>`` every second and on ``REPLCONF GETACK``.
If the link drops, the task reconnects and asks for a partial resync.
"""

from __future__ import annotations

import asyncio
import time

from ..commands.scripting import flush_functions, load_functions
from ..errors import CommandError
from ..protocol.request import RequestParser
from ..store import rdb
from .master import encode_command


class ReplicaLink:
    def __init__(self, repl, host: str, port: int, cached):
        self.repl = repl
        self.node = repl.node
        self.host = host
        self.port = port
        self.master_replid, cached_offset = cached
        self.cached_offset = cached_offset
        self.connected = False  # handshake done and streaming (master_link_status:up)
        self.state = "connect"
        self.task = None
        self.writer = None
        self.down_since = time.time()
        self.last_io = time.time()
        self.sync_in_progress = False
        self.stopped = False
        self.client = None  # the master client executing the stream
        # The db the stream had selected: a partial resync continues the stream where it stopped, without
        # a new SELECT (Redis keeps the cached master client, and its db, across the reconnection).
        self.stream_db = 0
        self.pending: list = []
        # The master's commands held back by CLIENT PAUSE (WRITE): the first could not run (Redis
        # blocks the master client, BLOCKED_POSTPONE), the rest of the stream queues behind it;
        # they run, and count in our offset, once the clients are unpaused (resume_held).
        self.held: list = []

    @property
    def processed_offset(self) -> int:
        return self.repl.backlog.offset

    def start(self) -> None:
        self.task = asyncio.get_event_loop().create_task(self._run())

    def stop(self) -> None:
        self.stopped = True
        if self.task is not None:
            self.task.cancel()
        if self.writer is not None:
            self.writer.close()
        self.connected = False

    def cron(self) -> None:
        if self.connected and self.writer is not None:
            self._send_ack()

    def master_link_down_ms(self, now_ms: int) -> int:
        if self.connected:
            return int((time.time() - self.last_io) * 1000)
        return int((time.time() - self.down_since) * 1000)

    # -- the link ---------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self.stopped:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # connection refused, reset, protocol surprise: retry
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # (asyncio.wait_for in 3.11 can turn a cancel that races the connect's own failure
                    # into that failure: the task must still end, or a shutdown waits on it forever)
                    raise asyncio.CancelledError() from e
                if not self.stopped:
                    self.node.log.warning("Error condition on socket for SYNC: %s" % (e,))
            if self.connected:
                self.down_since = time.time()
            self.connected = False
            self.sync_in_progress = False
            self.state = "connect"
            if self.writer is not None:
                self.writer.close()
                self.writer = None
            if not self.stopped:
                await asyncio.sleep(1)

    async def _session(self) -> None:
        node = self.node
        cfg = node.config
        self.state = "connecting"
        source = node.source_addr()  # (anetTcpNonBlockBestEffortBindConnect: without it if that fails)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, limit=1 << 30, local_addr=source),
                timeout=cfg["repl-timeout"])
        except OSError as e:
            if source is None or isinstance(e, TimeoutError):
                raise
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, limit=1 << 30), timeout=cfg["repl-timeout"])
        self.writer = writer
        self._watch_eof(writer)
        self.state = "handshake"
        node.log.notice("MASTER <-> REPLICA sync started")

        async def call(*args) -> bytes:
            writer.write(encode_command([a if isinstance(a, bytes) else str(a).encode() for a in args]))
            while True:
                # (a master delaying a full sync sends newlines meanwhile: each one restarts the timeout)
                try:
                    line = await asyncio.wait_for(reader.readline(), timeout=cfg["repl-timeout"])
                except asyncio.TimeoutError:
                    node.log.warning("Timeout connecting to the MASTER...")
                    raise ConnectionError("timeout during the handshake") from None
                self.last_io = time.time()
                if not line:
                    raise ConnectionError("master closed the connection")
                if line.strip():
                    return line.rstrip(b"\r\n")

        reply = await call("PING")
        if reply[:1] == b"-" and not reply.startswith((b"-NOAUTH", b"-NOPERM", b"-ERR operation not permitted")):
            raise ConnectionError("Error reply to PING from master: '%s'" % reply.decode("latin-1"))
        if cfg["masterauth"]:
            args = ["AUTH"] + ([cfg["masteruser"]] if cfg["masteruser"] else []) + [cfg["masterauth"]]
            reply = await call(*args)
            if reply[:1] == b"-":
                raise ConnectionError("Unable to AUTH to MASTER: %s" % reply.decode("latin-1"))
        await call("REPLCONF", "listening-port", cfg["replica-announce-port"] or node.port)
        if cfg["replica-announce-ip"]:
            await call("REPLCONF", "ip-address", cfg["replica-announce-ip"])
        await call("REPLCONF", "capa", "eof", "capa", "psync2")
        if self.master_replid:
            psync = ("PSYNC", self.master_replid, self.processed_offset + 1)
        else:
            psync = ("PSYNC", "?", -1)
        node.log.notice("Trying a partial resynchronization (request %s:%s)." % (psync[1], psync[2]))
        failover = self.repl.failover
        if failover.state == "failover-in-progress":
            psync += ("FAILOVER",)  # FAILOVER: the target becomes the master on this PSYNC (failover.py)
        reply = await call(*psync)
        if not failover.psync_reply(reply.startswith((b"+FULLRESYNC", b"+CONTINUE"))):
            return  # refused: we are a master again (and this link is stopped)
        if reply.startswith(b"+FULLRESYNC"):
            _, replid, offset = reply.split()
            await self._full_sync(reader, replid.decode(), int(offset))
        elif reply.startswith(b"+CONTINUE"):
            parts = reply.split()
            if len(parts) > 1 and parts[1].decode() != self.master_replid:
                # the master changed history (a failover): the old ID stays valid up to here
                bl = self.repl.backlog
                bl.replid2 = self.master_replid
                bl.second_replid_offset = bl.offset + 1
                self.master_replid = parts[1].decode()
                bl.replid = self.master_replid
                node.log.warning("Master replication ID changed to %s" % self.master_replid)
                self.repl.master.disconnect_replicas()  # my replicas must learn the new ID: they reconnect
            node.log.notice("Successful partial resynchronization with master.")
        else:
            raise ConnectionError("Unexpected reply to PSYNC from master: %s" % reply.decode("latin-1"))
        self.connected = True
        self.state = "connected"
        self.last_io = time.time()
        node.log.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."
                        if reply.startswith(b"+CONTINUE") else "MASTER <-> REPLICA sync: Finished with success")
        self._send_ack()
        await self._stream(reader)

    def _watch_eof(self, writer) -> None:
        """The link is down as soon as the loop sees the master close it (as Redis's read handler does),
        not a few loop turns later when the reading task wakes up: a client asking INFO right after the
        master dropped us must read master_link_status:down."""
        proto = writer.transport.get_protocol()
        eof_received, connection_lost = proto.eof_received, proto.connection_lost

        def lost() -> None:
            if self.connected and self.writer is writer:
                self.down_since = time.time()
                self.connected = False

        def on_eof():
            lost()
            return eof_received()

        def on_lost(exc):
            lost()
            return connection_lost(exc)

        proto.eof_received = on_eof
        proto.connection_lost = on_lost

    async def _full_sync(self, reader, replid: str, offset: int) -> None:
        node = self.node
        self.sync_in_progress = True
        self.state = "sync"
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), timeout=node.config["repl-timeout"])
            except asyncio.TimeoutError:
                node.log.warning("Timeout receiving bulk data from MASTER... If the problem persists try to "
                                 "set the 'repl-timeout' parameter in redis.conf to a larger value.")
                raise ConnectionError("timeout receiving the RDB") from None
            if not line:
                raise ConnectionError("master closed the connection during the sync")
            if line.strip():
                break
        line = line.rstrip(b"\r\n")
        if not line.startswith(b"$"):
            raise ConnectionError("Bad protocol from MASTER, the first byte is not '$'")
        # replicationAttachToNewMaster: my own replicas follow a history that ends here, they resync
        self.repl.master.disconnect_replicas()
        cfg = node.config
        mode = cfg["repl-diskless-load"]
        # useDisklessLoad: load while receiving (swapdb; on-empty-db when there is nothing to lose)
        diskless = mode == "swapdb" or (mode == "on-empty-db" and not any(len(db) for db in node.dbs))
        # async loading: the old dataset is the same history (same replid), it is served meanwhile
        async_loading = mode == "swapdb" and replid == self.repl.backlog.replid
        backup = None
        if diskless:
            if async_loading:
                node.async_loading = 1
            else:
                if mode == "swapdb":
                    backup = [_empty_like(db) for db in node.dbs]
                    for db, b in zip(node.dbs, backup):
                        _swap_contents(db, b)  # the old data waits aside, restored if the sync fails
                else:
                    node.log.notice("MASTER <-> REPLICA sync: Flushing old data")
                    for db in node.dbs:
                        db.clear()
                node.loading = 1
            node.log.notice("MASTER <-> REPLICA sync: Loading DB in memory")
        try:
            payload = await self._read_payload(reader, line)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError) as e:
            if diskless:
                node.log.warning("Internal error in RDB reading offset 0, function at rdb.c:0 -> Unexpected EOF "
                                 "reading RDB file")
                node.log.warning("Failed trying to load the MASTER synchronization DB from socket, check server "
                                 "logs.")
                if backup is not None:
                    node.log.notice("MASTER <-> REPLICA sync: Discarding the half-loaded data")
                    for db, b in zip(node.dbs, backup):
                        db.clear()
                        _swap_contents(db, b)
                    node.log.notice("MASTER <-> REPLICA sync: Restoring the backup")
                node.loading = 0
                node.async_loading = 0
            raise ConnectionError("the master link dropped during the sync: %s" % (e,)) from None
        node.log.notice("MASTER <-> REPLICA sync: receiving %d bytes from master" % len(payload))
        if async_loading:
            fresh = [_empty_like(db) for db in node.dbs]
            try:
                await self._load(payload, fresh, loading_flag=False)
            finally:
                node.async_loading = 0
            for db, f in zip(node.dbs, fresh):
                db.clear()
                _swap_contents(db, f)
        else:
            if not diskless:
                node.log.notice("MASTER <-> REPLICA sync: Flushing old data")
                for db in node.dbs:
                    db.clear()
                node.log.notice("MASTER <-> REPLICA sync: Loading DB in memory")
            await self._load(payload, node.dbs)
        p = getattr(node, "persistence", None)
        if p is not None:
            p.after_full_sync()  # the AOF restarts from the master's dataset (restartAOFAfterSYNC)
        self.master_replid = replid
        self.stream_db = 0
        self.repl.backlog.reset(replid, offset)
        self.sync_in_progress = False

    async def _read_payload(self, reader, line: bytes) -> bytes:
        """The RDB after its ``$<len>`` (or diskless ``$EOF:<mark>``) header, read in pieces so that the
        loop keeps serving clients; a dropped link raises."""
        if line.startswith(b"$EOF:"):
            mark = line[5:]
            data = await reader.readuntil(mark)
            return data[:-len(mark)]
        size = int(line[1:])
        parts = []
        left = size
        while left > 0:
            chunk = await reader.read(min(left, 1 << 20))
            if not chunk:
                raise ConnectionError("master closed the connection during the sync")
            parts.append(chunk)
            left -= len(chunk)
            self.last_io = time.time()
        return b"".join(parts)

    async def _load(self, payload: bytes, dbs, loading_flag: bool = True) -> None:
        """rdbLoad of the master's snapshot, serving events every loading-process-events-interval-bytes
        (clients get -LOADING, the cluster bus goes on: this replica advertises offset 0 meanwhile) and
        sleeping key-load-delay microseconds per key (a debugging knob of Redis's test suite).  A replica
        keeps the keys that are already expired: its master's DELs will remove them."""
        node = self.node
        cfg = node.config
        info: dict = {}
        steps = rdb.load_into_steps(payload, dbs, skip_expired=False, info=info,
                                    zset_limits=(cfg["zset-max-listpack-entries"], cfg["zset-max-listpack-value"]),
                                    key_load_delay=cfg["key-load-delay"],
                                    deep=cfg["sanitize-dump-payload"] == "yes", tally=node.sanitizations)
        if loading_flag:
            node.loading = 1
        last = 0
        try:
            while True:
                try:
                    pos = next(steps)
                except StopIteration:
                    break
                if pos - last >= cfg["loading-process-events-interval-bytes"]:
                    last = pos
                    await asyncio.sleep(0)  # processEventsWhileBlocked
        finally:
            if loading_flag:
                node.loading = 0
        # the master's function libraries replace ours (emptyData, then rdbFunctionLoad)
        flush_functions(node)
        try:
            load_functions(node, info.get("functions", ()), True)
        except CommandError as e:
            node.log.warning("Failed loading a function library of the master's RDB: %s" % e.message)

    async def _stream(self, reader) -> None:
        node = self.node
        mc = node.new_pseudo_client()  # a Client without a socket (the shell above us makes it)
        mc.is_master = True
        mc.authenticated = True
        if 0 <= self.stream_db < len(node.dbs):
            mc.select(self.stream_db)
        mc.addr = _addr(self.writer.get_extra_info("peername")) or "%s:%d" % (self.host, self.port)
        mc.laddr = _addr(self.writer.get_extra_info("sockname")) or "?"
        sock = self.writer.get_extra_info("socket")
        mc.fd = sock.fileno() if sock is not None else -1
        mc.on_kill = self._master_client_killed
        mc.update_slow()
        self.client = mc
        # the master client is listed by CLIENT LIST / INFO clients and CLIENT KILL can close it
        node.clients[mc.id] = mc
        try:
            await self._read_stream(reader, mc)
        finally:
            self.stream_db = mc.db.id
            node.clients.pop(mc.id, None)

    def _master_client_killed(self) -> None:
        """CLIENT KILL of the master client: the link is down from now on (replicationCacheMaster sets
        repl_down_since, which the failover's data age counts from, even if the command that killed it
        keeps the server busy -- DEBUG SLEEP in a transaction); it reconnects (partial resync) later."""
        if self.connected:
            self.down_since = time.time()
        self.connected = False
        if self.writer is not None:
            self.writer.close()

    async def _read_stream(self, reader, mc) -> None:
        node = self.node
        parser = RequestParser()
        bl = self.repl.backlog
        self.pending = []  # the commands of a transaction not yet executed
        self.held = []
        timeout = node.config["repl-timeout"]
        while True:
            data = await asyncio.wait_for(reader.read(65536), timeout=timeout)
            if not data:
                raise ConnectionError("connection lost")
            if mc.closing:  # CLIENT KILL: what was not applied yet is dropped, as freeClient does
                raise ConnectionError("master client killed")
            self.last_io = time.time()
            cmds, err = parser.feed(data)
            for db in node.dbs:
                db.master_executing = True  # the master decides what expired, not our clock
            try:
                self._apply(cmds, mc, bl)
            finally:
                for db in node.dbs:
                    db.master_executing = False
            if err is not None:
                raise ConnectionError("protocol error from master: %s" % err)

    def _apply(self, cmds, mc, bl) -> None:
        held = self.held
        if held:  # a command of the master waits for CLIENT UNPAUSE: so does the rest, in order
            held.extend(cmds)
            return
        pending = self.pending
        for i, argv in enumerate(cmds):
            raw = encode_command(argv)
            if argv[0].lower() == b"replconf" and len(argv) >= 2 and argv[1].lower() == b"getack":
                self._send_ack()  # the offset before this very command, as Redis does
                bl.feed(raw)
                continue
            mc.run_commands([argv])
            if mc.paused_queue:  # CLIENT PAUSE held it back: not applied, not counted, not forwarded
                mc.paused_queue.clear()
                held.extend(cmds[i:])
                return
            if mc.out:
                for chunk in mc.out:
                    if chunk[:1] == b"-":
                        self._error_reply(argv, chunk)
                mc.out.clear()
            # what we applied goes on to our own replicas, and counts in our offset -- a transaction
            # only once its EXEC ran (Redis advances the master client's reploff outside MULTI only):
            # if the link drops in the middle, the partial resync starts again at its MULTI
            if mc.multi is not None:
                pending.append(raw)
                continue
            if pending:
                pending.append(raw)
                raw = b"".join(pending)
                pending.clear()
            self.repl.master.feed(raw)

    def held_bytes(self) -> int:
        """What was read from the master but not applied yet (slave_read_repl_offset - slave_repl_offset):
        the commands held by a pause, and those of a transaction whose EXEC has not run."""
        return sum(len(r) for r in self.pending) + sum(len(encode_command(a)) for a in self.held)

    def resume_held(self) -> None:
        """The clients were unpaused: apply the master's commands held meanwhile (unblocking the
        master client's postponed command, then processing the rest of its query buffer)."""
        mc = self.client
        if not self.held or mc is None or mc.closing:
            return
        cmds, self.held = self.held, []
        node = self.node
        for db in node.dbs:
            db.master_executing = True
        try:
            self._apply(cmds, mc, self.repl.backlog)
        finally:
            for db in node.dbs:
                db.master_executing = False

    def _error_reply(self, argv, reply: bytes) -> None:
        """afterErrorReply for the master client: an error in the stream means master and replica
        diverged (DEBUG REPLICATE, a writable replica's own writes); Redis logs it loudly."""
        from ..commands import table

        cmd = table.lookup(argv[0])
        name = cmd.name if cmd is not None else "<unknown>"
        line = reply.split(b"\r\n", 1)[0]
        # (as addReplyError hands it on: a plain "ERR" error without its code, others as sent)
        text = (line[5:] if line.startswith(b"-ERR ") else line)[:4096].decode("latin-1")
        self.node.log.warning("== CRITICAL == This replica is sending an error to its master: '%s' after "
                              "processing the command '%s'" % (text, name))
        self.node.stats.unexpected_error_replies = getattr(self.node.stats, "unexpected_error_replies", 0) + 1

    def _send_ack(self) -> None:
        if self.writer is not None and not self.writer.is_closing():
            self.writer.write(encode_command([b"REPLCONF", b"ACK", b"%d" % self.processed_offset]))


def _empty_like(db):
    """A new, empty database like ``db`` (same id, same cluster-mode slot index)."""
    return type(db)(db.id, db.slot_keys is not None)


def _swap_contents(a, b) -> None:
    """Exchange all keys of two databases, with their slot indexes (the swapdb diskless load)."""
    a.swap_with(b)
    a.slot_keys, b.slot_keys = b.slot_keys, a.slot_keys
    a.replica_expires, b.replica_expires = b.replica_expires, a.replica_expires


def _addr(peer) -> str:
    """ip:port of a socket address (Redis's client addr field)."""
    if not peer:
        return ""
    host = peer[0]
    if host.startswith("::ffff:"):
        host = host[7:]
    return "%s:%d" % (host, peer[1])
