"""The master side of replication (Redis: syncCommand, masterTryPartialResynchronization,
replicationFeedSlaves, replconfCommand, waitCommand, replicationCron).

Every write a client makes is *propagated*: encoded as the RESP command that reproduces it (after the
rewrites that make it deterministic: expiry as DEL, SPOP as SREM ...), appended to the backlog and
written to every online replica.  A replica joins with PSYNC: a partial resync from the backlog when
it can, else a full sync -- ``+FULLRESYNC <replid> <offset>`` followed by an RDB snapshot in the
``$<len>`` framing that every Redis 7.0 replica accepts -- after which it receives the stream.
"""

from __future__ import annotations

import time

from ..commands.scripting import function_codes
from ..protocol.reply import NO_REPLY
from ..store import rdb

REPL_STATE_ONLINE = "online"


def encode_command(argv) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv)


class MasterSide:
    def __init__(self, repl):
        self.repl = repl
        self.node = repl.node
        self.replicas: list = []  # Client objects that completed PSYNC
        # replicas waiting for a diskless full sync to start (SLAVE_STATE_WAIT_BGSAVE_START): Redis waits
        # repl-diskless-sync-delay seconds for more replicas, so that one snapshot serves them all
        self.pending: list = []
        self.pending_timer = None
        self.transfers = 0  # snapshots being sent slowly (rdb-key-save-delay): INFO rdb_bgsave_in_progress
        self.seldb = -1  # the db the stream last SELECTed (-1: emit SELECT before the next command)
        self.waiting: list = []  # (client, numreplicas, target offset, timer) of clients in WAIT
        self.last_ping = time.monotonic()
        self.get_ack_pending = False

    @staticmethod
    def replica_ip(client) -> str:
        """The address a replica is known by: REPLCONF ip-address, else its peer IP (replicationGetSlaveName)."""
        return getattr(client, "repl_ip", None) or client.addr.rsplit(":", 1)[0]

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
        for r in self.replicas:
            buf = getattr(r, "repl_buffer", None)
            if buf is not None:  # still receiving its snapshot
                buf.append(data)
                r.repl_buffer_len = getattr(r, "repl_buffer_len", 0) + len(data)
                pinned = max(pinned, r.repl_buffer_len)
                continue
            t = r.transport
            if t is not None and not t.is_closing():
                t.write(data)
                pinned = max(pinned, t.get_write_buffer_size())
        self.backlog.feed(data, pinned)

    def pinned(self) -> int:
        """The most stream bytes one replica has not consumed yet (Redis: the oldest replication buffer
        block still referenced by a replica)."""
        n = 0
        for r in self.replicas:
            if getattr(r, "repl_buffer", None) is not None:
                n = max(n, getattr(r, "repl_buffer_len", 0))
                continue
            t = r.transport
            if t is not None and not t.is_closing():
                n = max(n, t.get_write_buffer_size())
        return n

    # -- PSYNC / SYNC ------------------------------------------------------------------------------

    def psync(self, client, replid: str, offset: int, is_sync: bool = False):
        node = self.node
        repl = self.repl
        if repl.link is not None and not repl.link.connected:
            return "NOMASTERLINK Can't SYNC while not connected with my master"
        if client.out:
            client.flush()
        bl = self.backlog
        if not is_sync and bl.can_continue(replid, offset):
            data = bl.read_from(offset)
            psync2 = "psync2" in getattr(client, "repl_capa", ())
            head = b"+CONTINUE %s\r\n" % bl.replid.encode() if psync2 else b"+CONTINUE\r\n"
            client.transport.write(head + data)
            self._add_replica(client)
            node.stats.sync_partial_ok += 1
            node.log.notice("Partial resynchronization request from %s accepted. Sending %d bytes of backlog "
                            "starting from offset %d." % (client.addr, len(data), offset))
            return NO_REPLY
        if not is_sync and replid != "?":
            node.stats.sync_partial_err += 1
        node.stats.sync_full += 1
        # Full resynchronization.
        if not bl.active:
            # the first replica ever: a new history starts (changeReplicationId + createReplicationBacklog)
            from .backlog import random_replid

            bl.replid = random_replid()
            bl.replid2 = "0" * 40
            bl.second_replid_offset = -1
            bl.create()
        node.log.notice("Replica %s asks for synchronization" % client.addr)
        client.repl_sends_acks = not is_sync
        cfg = node.config
        delay = cfg["repl-diskless-sync-delay"] if cfg["repl-diskless-sync"] else 0
        if delay > 0 or self.pending:
            client.repl_state = "wait_bgsave"
            client.is_replica = True  # (CLIENT LIST flags S from SYNC on)
            client.repl_ack_offset = 0
            client.repl_wait_since = time.monotonic()
            client.repl_is_sync = is_sync
            if client not in self.pending:
                self.pending.append(client)
            if len(self.pending) == 1:
                node.log.notice("Delay next BGSAVE for diskless SYNC")
            self._check_pending()
            return NO_REPLY
        self._full_sync([client], [is_sync])
        return NO_REPLY

    def _check_pending(self) -> None:
        """replicationStartPendingFork: start the delayed sync once the first waiting replica waited
        repl-diskless-sync-delay seconds, or repl-diskless-sync-max-replicas of them are waiting."""
        self.pending_timer = None
        if not self.pending:
            return
        cfg = self.node.config
        delay = cfg["repl-diskless-sync-delay"] if cfg["repl-diskless-sync"] else 0
        max_replicas = cfg["repl-diskless-sync-max-replicas"]
        waited = time.monotonic() - min(c.repl_wait_since for c in self.pending)
        if waited >= delay or (max_replicas and len(self.pending) >= max_replicas):
            clients, self.pending = self.pending, []
            self._full_sync(clients, [c.repl_is_sync for c in clients])
        else:
            self.pending_timer = self.node.loop.call_later(max(0.01, delay - waited), self._check_pending)

    def _full_sync(self, clients, is_syncs) -> None:
        """One snapshot of the dataset for every replica in ``clients``, then the stream."""
        node = self.node
        bl = self.backlog
        clients = [c for c in clients if c.transport is not None and not c.transport.is_closing()]
        if not clients:
            return
        offset_now = bl.offset
        aux = {b"repl-stream-db": b"0", b"repl-id": bl.replid.encode(), b"repl-offset": b"%d" % offset_now}
        payload = rdb.dump_rdb(node.dbs, aux, functions=function_codes(node))
        delay = node.config["rdb-key-save-delay"]  # (a test knob: microseconds per key, < 0 nanoseconds)
        nkeys = sum(len(db) for db in node.dbs)
        for client, is_sync in zip(clients, is_syncs):
            out = b""
            if not is_sync:
                out += b"+FULLRESYNC %s %d\r\n" % (bl.replid.encode(), offset_now)
            out += b"$%d\r\n" % len(payload)
            self._add_replica(client)
            if delay and nkeys:
                # the snapshot trickles out as a slow fork child would write it; the stream produced
                # meanwhile waits in the replica's buffer (SLAVE_STATE_WAIT_BGSAVE_END)
                client.repl_buffer = []
                client.repl_state = "wait_bgsave"  # (a diskless transfer: the child still writes it)
                node.loop.create_task(self._send_slowly(client, out, payload, nkeys, delay))
                continue
            client.transport.write(out + payload)
            node.log.notice("Synchronization with replica %s succeeded" % client.addr)
        self.seldb = -1  # the stream after a snapshot starts with SELECT

    async def _send_slowly(self, client, head: bytes, payload: bytes, nkeys: int, delay: int) -> None:
        import asyncio

        per_key = abs(delay) / (1e6 if delay > 0 else 1e9)
        step = max(1, len(payload) // nkeys)
        t = client.transport
        t.write(head)
        pos = 0
        owed = 0.0
        self.transfers += 1  # (the rdb child of a diskless sync, as INFO persistence shows it)
        try:
            while pos < len(payload):
                if t.is_closing():
                    return
                t.write(payload[pos:pos + step])
                pos += step
                owed += per_key
                if owed >= 0.01:
                    await asyncio.sleep(owed)
                    owed = 0.0
        finally:
            self.transfers -= 1
        if t.is_closing():
            return
        buffered, client.repl_buffer = client.repl_buffer, None
        client.repl_buffer_len = 0
        client.repl_state = REPL_STATE_ONLINE
        client.repl_ack_time = time.monotonic()
        if buffered:
            t.write(b"".join(buffered))
        self.node.log.notice("Synchronization with replica %s succeeded" % client.addr)

    def _add_replica(self, client) -> None:
        client.repl_state = REPL_STATE_ONLINE
        client.is_replica_client = True
        client.is_replica = True  # CLIENT LIST/KILL TYPE replica, INFO clients
        client.repl_ack_offset = 0
        client.repl_ack_time = time.monotonic()
        if client not in self.replicas:
            self.replicas.append(client)

    def replica_gone(self, client) -> None:
        if client in self.replicas:
            self.replicas.remove(client)
            self.node.log.notice("Connection with replica %s lost." % client.addr)
            self.backlog.trim(self.pinned())  # (freeReplicaReferencedReplBuffer: its share goes)
        self._check_waiting()

    def disconnect_replicas(self) -> None:
        for r in list(self.replicas) + self.pending:
            r.close()
        self.replicas.clear()
        self.pending.clear()

    # -- ACKs and WAIT ---------------------------------------------------------------------------------

    def ack(self, client, offset: int) -> None:
        if getattr(client, "is_replica_client", False):
            client.repl_ack_offset = max(client.repl_ack_offset, offset)
            client.repl_ack_time = time.monotonic()
            self._check_waiting()
            if self.repl.failover.state == "waiting-for-sync":
                # updateFailoverStatus runs in beforeSleep: not here, since failing over disconnects
                # the replica clients, this one included
                self.node.loop.call_soon(self.repl.failover.cron)

    def count_acked(self, offset: int) -> int:
        return sum(1 for r in self.replicas if r.repl_ack_offset >= offset)

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
        if getattr(client, "is_replica_client", False):
            self.replica_gone(client)
        elif client in self.pending:
            self.pending.remove(client)

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
        for r in self.pending:  # newlines keep the waiting replicas' handshake alive
            t = r.transport
            if t is not None and not t.is_closing():
                t.write(b"\n")
        timeout = self.node.config["repl-timeout"]
        for r in list(self.replicas):
            if (now - r.repl_ack_time > timeout and getattr(r, "repl_sends_acks", True)
                    and getattr(r, "repl_state", REPL_STATE_ONLINE) == REPL_STATE_ONLINE):
                self.node.log.warning("Disconnecting timedout replica: %s" % r.addr)
                r.close()
