"""The master side of replication (Redis: syncCommand, masterTryPartialResynchronization,
startBgsaveForReplication, rdbSaveToSlavesSockets, rdbPipeReadHandler, updateSlavesWaitingBgsave,
sendBulkToSlave, replicationFeedSlaves, replconfCommand, waitCommand, replicationCron).

Every write a client makes is *propagated*: encoded as the RESP command that reproduces it (after the
rewrites that make it deterministic: expiry as DEL, SPOP as SREM ...), appended to the backlog and
written to every online replica.  A replica joins with PSYNC: a partial resync from the backlog when
it can, else a full sync, made as Redis 7.0 makes it -- by a forked child, while this process goes on
serving clients and keeps the stream for the replicas being synced in their buffers:

* ``repl-diskless-sync no`` (or a replica without ``capa eof``): a BGSAVE to dump.rdb; replicas that
  come while one runs for another replica attach to it (same capabilities: they copy its buffer and its
  offset); when the child is done the file is sent as ``$<len>`` + bytes (state send_bulk), then the
  buffered stream.
* ``repl-diskless-sync yes``: after ``repl-diskless-sync-delay`` seconds (or once
  ``repl-diskless-sync-max-replicas`` wait) the child writes ``$EOF:<mark>`` + the RDB + ``<mark>`` to a
  pipe that this process relays to every replica of that sync, reading no more while one of them cannot
  take more; when the child is gone the replicas are online, and their stream starts with their first
  REPLCONF ACK.

Replica states (client.repl_state): wait_bgsave_start, wait_bgsave_end (INFO: wait_bgsave), send_bulk,
online.  ``+FULLRESYNC <replid> <offset>`` is sent when a replica is attached to a snapshot.
"""

from __future__ import annotations

import asyncio
import os
import time

from ..commands.scripting import function_codes
from ..protocol.reply import NO_REPLY
from ..store import rdb

REPL_STATE_ONLINE = "online"
WAIT_BGSAVE_START = "wait_bgsave_start"  # SLAVE_STATE_WAIT_BGSAVE_START
WAIT_BGSAVE_END = "wait_bgsave_end"  # SLAVE_STATE_WAIT_BGSAVE_END
SEND_BULK = "send_bulk"  # SLAVE_STATE_SEND_BULK
RDB_TRANSMITTED = "rdb_transmitted"  # SLAVE_STATE_RDB_TRANSMITTED (an rdb-only replica)
TARGET_DISK, TARGET_SOCKET = "disk", "socket"  # RDB_CHILD_TYPE_DISK / RDB_CHILD_TYPE_SOCKET
PIPE_READ_SIZE = 1 << 16  # what the relay reads from the child's pipe at once
PIPE_READS_PER_TURN = 32  # then it lets the loop serve the other clients
SEND_HIGH_WATER = 1 << 20  # a replica's socket holds this much unsent: a partial write, the relay waits
BULK_CHUNK = 1 << 16
PIPE_CHUNK = 1 << 14  # the child writes the pipe in pieces of PROTO_IOBUF_LEN


def encode_command(argv) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv)


def state_name(client) -> str:
    """replstateToString: a replica's state as INFO and the shutdown report show it."""
    s = getattr(client, "repl_state", None) or REPL_STATE_ONLINE
    return "wait_bgsave" if s in (WAIT_BGSAVE_START, WAIT_BGSAVE_END) else s


def _alive(client) -> bool:
    t = client.transport
    return t is not None and not t.is_closing()


class _FdWriter:
    """The diskless child's output: every byte written to the pipe (a write cut short is resumed)."""

    def __init__(self, fd: int):
        self.fd = fd

    def write(self, data) -> int:
        mv = memoryview(data)
        while mv:
            mv = mv[os.write(self.fd, mv):]
        return len(data)


class _RdbPipe:
    """The diskless transfer under way: the pipe the child writes (server.rdb_pipe_read), the pipe it
    waits on before exiting (rdb_child_exit_pipe) and the replicas it goes to (rdb_pipe_conns)."""

    def __init__(self, rfd: int, exit_w: int, conns: list):
        self.rfd = rfd
        self.exit_w = exit_w
        self.conns = conns
        self.reading = False
        self.timer = None


class MasterSide:
    def __init__(self, repl):
        self.repl = repl
        self.node = repl.node
        # every replica that sent SYNC/PSYNC (server.slaves), in any state: waiting for a snapshot, being
        # sent one, online
        self.replicas: list = []
        self.pending_timer = None  # replicationStartPendingFork after repl-diskless-sync-delay
        self.pipe: _RdbPipe | None = None
        self.seldb = -1  # the db the stream last SELECTed (-1: emit SELECT before the next command)
        self.waiting: list = []  # (client, numreplicas, target offset, timer) of clients in WAIT
        self.last_ping = time.monotonic()
        self.get_ack_pending = False

    @property
    def pending(self) -> list:
        """The replicas waiting for the next snapshot to start (SLAVE_STATE_WAIT_BGSAVE_START)."""
        return [r for r in self.replicas if getattr(r, "repl_state", None) == WAIT_BGSAVE_START]

    def online_replicas(self) -> list:
        return [r for r in self.replicas if getattr(r, "repl_state", REPL_STATE_ONLINE) == REPL_STATE_ONLINE]

    @staticmethod
    def replica_ip(client) -> str:
        """The address a replica is known by: REPLCONF ip-address, else its peer IP (replicationGetSlaveName)."""
        return getattr(client, "repl_ip", None) or client.addr.rsplit(":", 1)[0]

    def replica_name(self, client) -> str:
        """replicationGetSlaveName: ip:listening-port."""
        ip = self.replica_ip(client)
        port = getattr(client, "repl_listening_port", 0)
        if not port:
            return "%s:<unknown-replica-port>" % ip
        return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)

    @property
    def backlog(self):
        return self.repl.backlog

    # -- propagation ----------------------------------------------------------------------------

    def active(self) -> bool:
        return self.backlog.active or bool(self.replicas)

    def propagate(self, db_id: int, argv) -> None:
        """replicationFeedSlaves for one command."""
        if not self.backlog.active and not self.replicas:
            return
        data = encode_command(argv)
        if db_id != self.seldb:
            data = encode_command([b"SELECT", b"%d" % db_id]) + data
            self.seldb = db_id
        self.feed(data)

    def feed(self, data: bytes) -> None:
        pinned = 0
        buffering = None
        for r in self.replicas:
            if r.repl_state == WAIT_BGSAVE_START:
                continue  # its snapshot is not taken yet: the stream it needs starts later
            buf = r.repl_buffer
            if buf is not None:  # still receiving its snapshot: the stream waits in its buffer
                buf.append(data)
                r.repl_buffer_len += len(data)
                pinned = max(pinned, r.repl_buffer_len)
                buffering = [r] if buffering is None else buffering + [r]
                continue
            t = r.transport
            if t is not None and not t.is_closing():
                t.write(data)
                pinned = max(pinned, t.get_write_buffer_size())
        self.backlog.feed(data, pinned)
        if buffering is not None:  # their output buffer limits count what waits for them
            for r in buffering:
                check = getattr(r, "check_output_buffer", None)
                if check is not None and not getattr(r, "closing", False):
                    check()

    def pinned(self) -> int:
        """The most stream bytes one replica has not consumed yet (Redis: the oldest replication buffer
        block still referenced by a replica)."""
        n = 0
        for r in self.replicas:
            if r.repl_state == WAIT_BGSAVE_START:
                continue
            if r.repl_buffer is not None:
                n = max(n, r.repl_buffer_len)
                continue
            t = r.transport
            if t is not None and not t.is_closing():
                n = max(n, t.get_write_buffer_size())
        return n

    # -- PSYNC / SYNC ------------------------------------------------------------------------------

    def _log_no_partial(self, client, replid: str, offset: int) -> None:
        """masterTryPartialResynchronization: why a PSYNC gets a full resynchronization."""
        bl = self.backlog
        log = self.node.log
        if replid != bl.replid and (replid != bl.replid2 or offset > bl.second_replid_offset):
            if replid[:1] == "?":
                log.notice("Full resync requested by replica %s" % self.replica_name(client))
            elif replid != bl.replid2:
                log.notice("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for "
                           "'%s', my replication IDs are '%s' and '%s')" % (replid, bl.replid, bl.replid2))
            else:
                log.notice("Partial resynchronization not accepted: Requested offset for second ID was %d, but I "
                           "can reply up to %d" % (offset, bl.second_replid_offset))
            return
        log.notice("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d)."
                   % (self.replica_name(client), offset))
        if offset > bl.offset:
            log.warning("Warning: replica %s tried to PSYNC with an offset that is greater than the master "
                        "replication offset." % self.replica_name(client))

    def psync(self, client, replid: str, offset: int, is_sync: bool = False):
        node = self.node
        repl = self.repl
        if repl.link is not None and not repl.link.connected:
            return "NOMASTERLINK Can't SYNC while not connected with my master"
        if client.out:
            client.flush()
        bl = self.backlog
        if offset is None:  # (getLongLongFromObjectOrReply, after the log line)
            node.log.notice("Replica %s asks for synchronization" % self.replica_name(client))
            node.log.warning("Replica %s asks for synchronization but with a wrong offset" % self.replica_name(client))
            return "ERR value is not an integer or out of range"
        if not is_sync:
            node.log.notice("Replica %s asks for synchronization" % self.replica_name(client))
        if not is_sync and bl.can_continue(replid, offset):
            data = bl.read_from(offset)
            psync2 = "psync2" in getattr(client, "repl_capa", ())
            head = b"+CONTINUE %s\r\n" % bl.replid.encode() if psync2 else b"+CONTINUE\r\n"
            client.transport.write(head + data)
            self._add_replica(client)
            node.stats.sync_partial_ok += 1
            node.log.notice("Partial resynchronization request from %s accepted. Sending %d bytes of backlog "
                            "starting from offset %d." % (self.replica_name(client), len(data), offset))
            return NO_REPLY
        if not is_sync:
            self._log_no_partial(client, replid, offset)
            if replid != "?":
                node.stats.sync_partial_err += 1
        else:
            node.log.notice("Replica %s asks for synchronization" % self.replica_name(client))
        node.stats.sync_full += 1
        # Full resynchronization: the replica waits for a snapshot to start (SLAVE_STATE_WAIT_BGSAVE_START)
        now = time.monotonic()
        client.repl_state = WAIT_BGSAVE_START
        client.repl_buffer = None
        client.repl_buffer_len = 0
        client.repl_start_on_ack = False
        client.repl_last_partial_write = 0
        client.repl_is_sync = is_sync
        client.repl_sends_acks = not is_sync
        client.is_replica_client = True
        client.is_replica = True  # CLIENT LIST flags S, CLIENT KILL TYPE replica, INFO clients
        client.repl_ack_offset = 0
        client.repl_ack_time = now
        client.repl_wait_since = now
        if hasattr(client, "update_slow"):
            client.update_slow()  # (its commands take the slow path: a reply there disconnects it)
        if client not in self.replicas:
            self.replicas.append(client)
        if not bl.active:
            # the first replica ever: a new history starts (changeReplicationId + createReplicationBacklog)
            from .backlog import random_replid

            bl.replid = random_replid()
            bl.replid2 = "0" * 40
            bl.second_replid_offset = -1
            bl.create()
            node.log.notice("Replication backlog created, my new replication IDs are '%s' and '%s'"
                            % (bl.replid, bl.replid2))
        p = node.persistence
        capa = getattr(client, "repl_capa", set())
        if p.child_type == "rdb" and p.rdb_child_type == TARGET_DISK:
            # CASE 1: a BGSAVE to disk runs; it serves this replica too if it was started for a replica
            # that registers the stream since the fork (and this one can take what that one takes)
            other = None
            for r in self.replicas:
                if r is not client and r.repl_state == WAIT_BGSAVE_END and (
                        not getattr(r, "repl_rdb_only", False) or getattr(client, "repl_rdb_only", False)):
                    other = r
                    break
            if other is not None and set(getattr(other, "repl_capa", set())) <= set(capa):
                if not getattr(client, "repl_rdb_only", False):  # copyReplicaOutputBuffer
                    client.repl_buffer = list(other.repl_buffer or [])
                    client.repl_buffer_len = sum(len(b) for b in client.repl_buffer)
                self._setup_full_resync(client, other.psync_initial_offset)
                node.log.notice("Waiting for end of BGSAVE for SYNC")
            else:
                node.log.notice("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC")
        elif p.child_type == "rdb" and p.rdb_child_type == TARGET_SOCKET:
            # CASE 2: the child writes to other replicas' sockets
            node.log.notice("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC")
        else:
            # CASE 3: no BGSAVE in progress
            cfg = node.config
            if cfg["repl-diskless-sync"] and "eof" in capa and cfg["repl-diskless-sync-delay"]:
                node.log.notice("Delay next BGSAVE for diskless SYNC")
                self.start_pending_fork()  # (at once with repl-diskless-sync-max-replicas waiting)
            elif not p.has_child():
                self.start_bgsave_for_replication(capa)
            else:
                node.log.notice("No BGSAVE in progress, but another BG operation is active. "
                                "BGSAVE for replication delayed")
        return NO_REPLY

    def _setup_full_resync(self, client, offset: int) -> None:
        """replicationSetupSlaveForFullResync: the replica's snapshot is the one being made, taken at
        ``offset``; the stream it needs from there waits in its buffer."""
        client.psync_initial_offset = offset
        client.repl_state = WAIT_BGSAVE_END
        if client.repl_buffer is None and not getattr(client, "repl_rdb_only", False):
            client.repl_buffer = []
            client.repl_buffer_len = 0
        self.seldb = -1  # the stream after a snapshot starts with SELECT
        if not client.repl_is_sync and _alive(client):
            client.transport.write(b"+FULLRESYNC %s %d\r\n" % (self.backlog.replid.encode(), offset))

    def start_pending_fork(self) -> None:
        """replicationStartPendingFork / shouldStartChildForReplication: start the snapshot the waiting
        replicas need once no child runs -- for diskless syncs only after the first of them waited
        repl-diskless-sync-delay seconds, or when repl-diskless-sync-max-replicas of them wait."""
        if self.pending_timer is not None:
            self.pending_timer.cancel()
            self.pending_timer = None
        node = self.node
        waiting = self.pending
        p = getattr(node, "persistence", None)
        if not waiting or p is None or p.has_child() or p.exiting or node.loop is None:
            return
        cfg = node.config
        delay = cfg["repl-diskless-sync-delay"]
        max_replicas = cfg["repl-diskless-sync-max-replicas"]
        max_idle = time.monotonic() - min(r.repl_wait_since for r in waiting)
        if (not cfg["repl-diskless-sync"] or (max_replicas > 0 and len(waiting) >= max_replicas)
                or max_idle >= delay):
            mincapa = None
            for r in waiting:
                c = set(getattr(r, "repl_capa", set()))
                mincapa = c if mincapa is None else mincapa & c
            self.start_bgsave_for_replication(mincapa or set())
        else:
            self.pending_timer = node.loop.call_later(max(0.01, delay - max_idle), self.start_pending_fork)

    def start_bgsave_for_replication(self, mincapa) -> bool:
        """startBgsaveForReplication: a child writing to the replicas' sockets, or a BGSAVE to disk."""
        node = self.node
        p = node.persistence
        socket_target = bool(node.config["repl-diskless-sync"]) and "eof" in mincapa
        node.log.notice("Starting BGSAVE for SYNC with target: %s" % ("replicas sockets" if socket_target else "disk"))
        ok = self._save_to_sockets() if socket_target else p.bgsave()
        if not ok:
            node.log.warning("BGSAVE for replication failed")
            for r in self.pending:
                self.replicas.remove(r)
                r.repl_state = None
                r.is_replica_client = False
                if _alive(r):
                    r.transport.write(b"-ERR BGSAVE failed, replication can't continue\r\n")
                r.close()
            return False
        if not socket_target:
            for r in self.pending:
                self._setup_full_resync(r, self.backlog.offset)
        return True

    def _save_to_sockets(self) -> bool:
        """rdbSaveToSlavesSockets: fork a child that writes the RDB, between EOF marks, to a pipe this
        process relays to the waiting replicas."""
        node = self.node
        p = node.persistence
        if p.has_child():
            return False
        try:
            rfd, wfd = os.pipe()
        except OSError as e:
            node.log.warning("Can't save in background: fork: %s" % e.strerror)
            return False
        exit_r, exit_w = os.pipe()
        conns = [r for r in self.pending if _alive(r)]
        offset = self.backlog.offset
        for r in conns:
            self._setup_full_resync(r, offset)
        mark = os.urandom(20).hex().encode()
        aux = p.rdb_aux()
        functions = function_codes(node)

        def work():
            # (rio's fd target: written on as it fills PROTO_IOBUF_LEN, so replicas see the RDB start at once)
            f = _FdWriter(wfd)
            f.write(b"$EOF:" + mark + b"\r\n")
            rdb.write_rdb(f, node.dbs, aux, chunk=PIPE_CHUNK, config=node.config, functions=functions,
                          on_key=p.on_key_saved)
            f.write(mark)
            os.close(wfd)
            p.report_cow()  # (sendChildCowInfo, before the wait)
            # wait until the parent read everything (it closes its end of the exit pipe) or is gone
            while os.read(exit_r, 16):
                pass

        try:
            pid = p.fork_child("rdb", work, keep=(wfd, exit_r))
        except OSError as e:
            for fd in (rfd, wfd, exit_r, exit_w):
                os.close(fd)
            node.log.warning("Can't save in background: fork: %s" % e.strerror)
            for r in conns:  # undo: the caller drops the replicas still waiting for a start
                r.repl_state = WAIT_BGSAVE_START
            return False
        os.close(wfd)
        os.close(exit_r)
        p.rdb_child_type = TARGET_SOCKET
        node.log.notice("Background RDB transfer started by pid %d" % pid)
        os.set_blocking(rfd, False)
        self.pipe = _RdbPipe(rfd, exit_w, conns)
        self._pipe_resume()
        return True

    # -- the diskless relay (rdbPipeReadHandler, rdbPipeWriteHandler) ------------------------------------

    def _pipe_resume(self) -> None:
        pipe = self.pipe
        if pipe is not None and not pipe.reading and pipe.rfd >= 0:
            pipe.reading = True
            self.node.loop.add_reader(pipe.rfd, self._pipe_readable)

    def _pipe_pause(self) -> None:
        pipe = self.pipe
        if pipe is not None and pipe.reading:
            pipe.reading = False
            self.node.loop.remove_reader(pipe.rfd)

    def _pipe_readable(self) -> None:
        pipe = self.pipe
        if pipe is None or not pipe.reading:
            return
        node = self.node
        for _ in range(PIPE_READS_PER_TURN):
            try:
                data = os.read(pipe.rfd, PIPE_READ_SIZE)
            except BlockingIOError:
                return
            except OSError as e:
                node.log.warning("Diskless rdb transfer, read error sending DB to replicas: %s" % e.strerror)
                for r in pipe.conns:
                    if r is not None:
                        r.close()
                self._pipe_pause()
                node.persistence.kill_rdb_child()
                return
            if not data:
                up = sum(1 for r in pipe.conns if r is not None and _alive(r))
                node.log.warning("Diskless rdb transfer, done reading from pipe, %d replicas still up." % up)
                self._pipe_pause()
                # the replicas read everything: the child may exit; once it is gone they are online
                if pipe.exit_w >= 0:
                    os.close(pipe.exit_w)
                    pipe.exit_w = -1
                return
            alive = 0
            blocked = False
            now = time.time()
            for i, r in enumerate(pipe.conns):
                if r is None:
                    continue
                if not _alive(r):
                    pipe.conns[i] = None
                    continue
                t = r.transport
                t.write(data)
                alive += 1
                if t.get_write_buffer_size() > SEND_HIGH_WATER:
                    r.repl_last_partial_write = now
                    blocked = True
            if alive == 0:
                node.log.warning("Diskless rdb transfer, last replica dropped, killing fork child.")
                self._pipe_pause()
                node.persistence.kill_rdb_child()
                return
            if blocked:  # wait until the slow ones took it (rdbPipeWriteHandler)
                self._pipe_pause()
                pipe.timer = node.loop.call_later(0.005, self._pipe_drained)
                return

    def _pipe_drained(self) -> None:
        pipe = self.pipe
        if pipe is None:
            return
        pipe.timer = None
        blocked = False
        for i, r in enumerate(pipe.conns):
            if r is None:
                continue
            if not _alive(r):
                pipe.conns[i] = None
                continue
            if r.transport.get_write_buffer_size() > SEND_HIGH_WATER // 2:
                blocked = True
            else:
                r.repl_last_partial_write = 0
        if blocked:
            pipe.timer = self.node.loop.call_later(0.005, self._pipe_drained)
        else:
            self._pipe_resume()

    def _pipe_close(self) -> None:
        pipe = self.pipe
        if pipe is None:
            return
        self._pipe_pause()
        if pipe.timer is not None:
            pipe.timer.cancel()
        for fd in (pipe.rfd, pipe.exit_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        pipe.rfd = pipe.exit_w = -1
        self.pipe = None

    # -- the child is done (backgroundSaveDoneHandlerSocket, updateSlavesWaitingBgsave) ---------------

    def socket_child_done(self, exitcode: int, bysignal: int) -> None:
        log = self.node.log
        if not bysignal and exitcode == 0:
            log.notice("Background RDB transfer terminated with success")
        elif not bysignal:
            log.warning("Background transfer error")
        else:
            log.warning("Background transfer terminated by signal %d" % bysignal)
        self._pipe_close()

    def update_waiting_bgsave(self, ok: bool, target: str) -> None:
        node = self.node
        for r in list(self.replicas):
            if r.repl_state != WAIT_BGSAVE_END:
                continue
            if not ok:
                r.close()
                node.log.warning("SYNC failed. BGSAVE child returned an error")
                continue
            if target == TARGET_SOCKET:
                node.log.notice("Streamed RDB transfer with replica %s succeeded (socket). Waiting for REPLCONF ACK "
                                "from slave to enable streaming" % self.replica_name(r))
                if not self._put_online(r):
                    r.close()
                    continue
                r.repl_start_on_ack = True  # its stream starts with its first REPLCONF ACK
                if getattr(r, "repl_acked_in_sync", False):  # (which came before the child was reaped)
                    r.repl_acked_in_sync = False
                    self._start_stream(r)
            else:
                try:
                    f = open(node.persistence.rdb_path, "rb")
                    size = os.fstat(f.fileno()).st_size
                except OSError as e:
                    r.close()
                    node.log.warning("SYNC failed. Can't open/stat DB after BGSAVE: %s" % e.strerror)
                    continue
                r.repl_state = SEND_BULK
                node.loop.create_task(self._send_bulk(r, f, size))

    async def _send_bulk(self, client, f, size: int) -> None:
        """sendBulkToSlave: ``$<len>`` and the RDB file, as fast as the replica takes it."""
        t = client.transport
        try:
            if t is None or t.is_closing():
                return
            t.write(b"$%d\r\n" % size)
            while True:
                if t.is_closing():
                    return
                if t.get_write_buffer_size() > SEND_HIGH_WATER:
                    await asyncio.sleep(0.005)
                    continue
                chunk = f.read(BULK_CHUNK)
                if not chunk:
                    break
                t.write(chunk)
        finally:
            f.close()
        if client.repl_state != SEND_BULK or t.is_closing():
            return
        if self._put_online(client):
            self._start_stream(client)
        else:
            client.close()

    def _put_online(self, client) -> bool:
        """replicaPutOnline"""
        if getattr(client, "repl_rdb_only", False):
            client.repl_state = RDB_TRANSMITTED
            self.node.log.notice("RDB transfer completed, rdb only replica (%s) should be disconnected asap"
                                 % self.replica_name(client))
            return False
        client.repl_state = REPL_STATE_ONLINE
        client.repl_ack_time = time.monotonic()
        self.node.log.notice("Synchronization with replica %s succeeded" % self.replica_name(client))
        return True

    def _start_stream(self, client) -> None:
        """replicaStartCommandStream: what the stream produced since the snapshot goes out."""
        client.repl_start_on_ack = False
        buffered, client.repl_buffer = client.repl_buffer, None
        client.repl_buffer_len = 0
        if buffered and _alive(client):
            client.transport.write(b"".join(buffered))

    def _add_replica(self, client) -> None:
        client.repl_state = REPL_STATE_ONLINE
        client.repl_buffer = None
        client.repl_buffer_len = 0
        client.repl_start_on_ack = False
        client.is_replica_client = True
        client.is_replica = True  # CLIENT LIST/KILL TYPE replica, INFO clients
        client.repl_ack_offset = 0
        client.repl_ack_time = time.monotonic()
        if hasattr(client, "update_slow"):
            client.update_slow()
        if client not in self.replicas:
            self.replicas.append(client)

    def replica_gone(self, client) -> None:
        if client in self.replicas:
            state = client.repl_state
            self.replicas.remove(client)
            pipe = self.pipe
            if pipe is not None and client in pipe.conns:
                pipe.conns[pipe.conns.index(client)] = None  # rdbPipeWriteHandlerConnRemoved
            p = getattr(self.node, "persistence", None)
            # a BGSAVE to disk that no replica waits for any more is not needed (unless save points want
            # it): the child goes, so that the next sync can fork at once
            if (p is not None and not self.node.config["save"] and state == WAIT_BGSAVE_END
                    and p.child_type == "rdb" and p.rdb_child_type == TARGET_DISK
                    and not any(r.repl_state == WAIT_BGSAVE_END for r in self.replicas)):
                p.kill_rdb_child()
            self.node.log.notice("Connection with replica %s lost." % self.replica_name(client))
            self.backlog.trim(self.pinned())  # (freeReplicaReferencedReplBuffer: its share goes)
        self._check_waiting()

    def disconnect_replicas(self) -> None:
        for r in list(self.replicas):
            r.close()
        self.replicas.clear()

    # -- ACKs and WAIT ---------------------------------------------------------------------------------

    def ack(self, client, offset: int) -> None:
        if getattr(client, "is_replica_client", False):
            client.repl_ack_offset = max(client.repl_ack_offset, offset)
            client.repl_ack_time = time.monotonic()
            # a diskless replica goes online with its first ACK; the ACK may come before the loop saw the
            # child exit, so look now (as replconfCommand runs checkChildrenDone)
            p = getattr(self.node, "persistence", None)
            if client.repl_state == WAIT_BGSAVE_END and p is not None and p.child_type == "rdb":
                p.check_child_done()
            if client.repl_state == WAIT_BGSAVE_END:
                # the replica has loaded the snapshot (it ACKs only then) but the child is not reaped
                # yet: this ACK is the one its stream waits for (else the stream would wait for the
                # next one, a second later)
                client.repl_acked_in_sync = True
            if client.repl_start_on_ack and client.repl_state == REPL_STATE_ONLINE:
                self._start_stream(client)
            self._check_waiting()
            if self.repl.failover.state == "waiting-for-sync":
                # updateFailoverStatus runs in beforeSleep: not here, since failing over disconnects
                # the replica clients, this one included
                self.node.loop.call_soon(self.repl.failover.cron)

    def count_acked(self, offset: int) -> int:
        return sum(1 for r in self.replicas if r.repl_ack_offset >= offset and r.repl_state == REPL_STATE_ONLINE)

    def wait(self, client, numreplicas: int, timeout_ms: int):
        target = self.backlog.offset
        acked = self.count_acked(target)
        if acked >= numreplicas or client.multi is not None:
            return acked
        node = self.node
        node.blocking.block(client, client.db, [], 0, None)
        timer = None
        if timeout_ms > 0:
            timer = node.loop.call_later(timeout_ms / 1000.0, self._wait_timeout, client)
        self.waiting.append([client, numreplicas, target, timer])
        self.request_acks()
        return NO_REPLY

    def request_acks(self) -> None:
        """replicationRequestAckFromSlaves: REPLCONF GETACK * goes into the stream."""
        if not self.get_ack_pending and self.replicas:
            self.get_ack_pending = True
            self.node.loop.call_soon(self._send_getack)

    def _send_getack(self) -> None:
        self.get_ack_pending = False
        self.feed(encode_command([b"REPLCONF", b"GETACK", b"*"]))

    def _wait_timeout(self, client) -> None:
        for w in self.waiting:
            if w[0] is client:
                self.waiting.remove(w)
                self.node.blocking.unblock(client, self.count_acked(w[2]))
                return

    def _check_waiting(self) -> None:
        for w in list(self.waiting):
            client, numreplicas, target, timer = w
            n = self.count_acked(target)
            if n >= numreplicas:
                self.waiting.remove(w)
                if timer is not None:
                    timer.cancel()
                self.node.blocking.unblock(client, n)

    def client_gone(self, client) -> None:
        for w in list(self.waiting):
            if w[0] is client:
                self.waiting.remove(w)
                if w[3] is not None:
                    w[3].cancel()
        if getattr(client, "is_replica_client", False) or client in self.replicas:
            self.replica_gone(client)

    # -- cron ------------------------------------------------------------------------------------------

    def cron(self) -> None:
        """replicationCron, master part: PING the replicas every repl-ping-replica-period seconds."""
        now = time.monotonic()
        period = self.node.config["repl-ping-replica-period"]
        cluster = self.node.cluster
        # a replica waits for a fixed offset: the cluster's manual failover, or FAILOVER with a TIMEOUT
        # while writes are paused (as Redis, which keeps pinging during a FAILOVER without one)
        manual_failover = (cluster is not None and cluster.mf_end) or (
            self.repl.failover.end_time and self.node.pause_until)
        if self.replicas and now - self.last_ping >= period and self.repl.link is None and not manual_failover:
            self.last_ping = now
            self.feed(encode_command([b"ping"]))  # part of the stream (no SELECT): keeps replicas' links alive
        self.backlog.trim(self.pinned())  # what replicas consumed since no longer needs holding
        p = getattr(self.node, "persistence", None)
        socket_child = p is not None and p.child_type == "rdb" and p.rdb_child_type == TARGET_SOCKET
        for r in self.replicas:
            # newlines keep the handshake of the replicas waiting for a snapshot alive (not of those fed
            # by the diskless child: that would corrupt the stream)
            if r.repl_state == WAIT_BGSAVE_START or (r.repl_state == WAIT_BGSAVE_END and not socket_child):
                t = r.transport
                if t is not None and not t.is_closing():
                    t.write(b"\n")
        timeout = self.node.config["repl-timeout"]
        wall = time.time()
        for r in list(self.replicas):
            if r.repl_state == REPL_STATE_ONLINE:
                if now - r.repl_ack_time > timeout and getattr(r, "repl_sends_acks", True):
                    self.node.log.warning("Disconnecting timedout replica (streaming sync): %s" % self.replica_name(r))
                    r.close()
            elif r.repl_state == WAIT_BGSAVE_END and socket_child:
                if r.repl_last_partial_write and wall - r.repl_last_partial_write > timeout:
                    self.node.log.warning("Disconnecting timedout replica (full sync): %s" % self.replica_name(r))
                    r.close()
        self.start_pending_fork()
