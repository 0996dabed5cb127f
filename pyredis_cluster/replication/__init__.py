"""Replication as Redis does it (replication.c): PSYNC, full sync with an RDB, the command stream,
REPLCONF ACK, WAIT.

* :mod:`.backlog` -- the replication ID(s), the offset and the backlog that partial resyncs are served from;
* :mod:`.master` -- the master side: PSYNC/SYNC, replica clients, propagation of writes, WAIT;
* :mod:`.replica` -- the replica side: the link to the master, the handshake, loading the RDB and applying
  the stream.

:class:`Replication` is what a Node owns: both sides, since a node changes roles (REPLICAOF, failover).
"""

from __future__ import annotations

from .backlog import ReplicationBacklog
from .failover import Failover
from .master import MasterSide
from .replica import ReplicaLink


class Replication:
    def __init__(self, node):
        self.node = node
        self.backlog = ReplicationBacklog(node.config["repl-backlog-size"])
        self.master = MasterSide(self)
        self.link: ReplicaLink | None = None  # set while I am a replica
        self.restored_stream_db = None  # the db of the stream saved in the RDB loaded at start (a replica)
        self.failover = Failover(self)  # the FAILOVER command's state (failover.py)

    @property
    def is_replica(self) -> bool:
        return self.link is not None

    def offset(self) -> int:
        """The offset advertised on the cluster bus: master_repl_offset, or what a replica processed
        (a replica's backlog advances with every byte of the stream it applied).  0 during a full sync:
        from +FULLRESYNC until the dataset is loaded a replica has no master client (replicationGetSlaveOffset)."""
        link = self.link
        if link is not None and link.sync_in_progress:
            return 0
        return self.backlog.offset

    def set_master(self, host, port) -> None:
        """replicationSetMaster / replicationUnsetMaster (host None: become a master)."""
        node = self.node
        # (server.masterhost: CONFIG GET / REWRITE replicaof report the current master)
        node.config.values["replicaof"] = None if host is None else (host, port)
        node.oom.set(-1)  # the replica or master class of oom-score-adj-values
        if host is None:
            if self.link is None:
                return
            link, self.link = self.link, None
            link.stop()
            node.log.role = "M"  # the role letter of the log lines
            # The history we replicated continues under a new ID; replicas and the old master can
            # PSYNC with the old ID up to here (shiftReplicationId).
            self.backlog.shift_replid()
            self.master.seldb = -1  # (replicationUnsetMaster: my stream starts with a SELECT)
            for db in node.dbs:
                db.replica_mode = False
            node.log.notice("MASTER MODE enabled")
            self.master.disconnect_replicas()
            node.refresh_clients()
            return
        if self.link is not None and self.link.host == host and self.link.port == port:
            return
        stream_db = None
        if self.link is not None:
            cached = (self.link.master_replid, self.backlog.offset)
            # the cached master keeps its db: the new master's stream may continue the same bytes
            old = self.link
            stream_db = old.client.db.id if old.client is not None and old.connected else old.stream_db
            old.stop()
        else:
            # replicationCacheMasterUsingMyself: PSYNC with my own history first
            cached = (self.backlog.replid, self.backlog.offset)
        for db in node.dbs:
            db.replica_mode = True
        self._disconnect_blocked_clients()
        node.log.role = "S"
        self.master.disconnect_replicas()
        self.link = ReplicaLink(self, host, port, cached)
        if self.restored_stream_db is not None:
            self.link.stream_db, self.restored_stream_db = self.restored_stream_db, None
        elif stream_db is not None:
            self.link.stream_db = stream_db
        node.log.notice("Connecting to MASTER %s:%d" % (host, port))
        self.link.start()
        node.refresh_clients()

    def restore_from_rdb(self, aux: dict, expired=()) -> None:
        """loadDataFromDisk: the RDB read at start names the history it was saved at (repl-id,
        repl-offset).  A master keeps it as its previous ID, so its replicas continue with a partial
        resync (the DELs of the keys that expired while it was down, ``expired`` (db, key) pairs, come
        first in its stream, RDBFLAGS_FEED_REPL); a replica takes it as its master's, to PSYNC from there."""
        try:
            replid = aux[b"repl-id"].decode("latin-1")
            offset = int(aux[b"repl-offset"])
            stream_db = int(aux.get(b"repl-stream-db", b"0"))
        except (KeyError, ValueError):
            return
        if len(replid) != 40 or offset < 0 or stream_db < 0:
            return
        bl = self.backlog
        node = self.node
        # (iAmMaster at load time: `replicaof` in the config makes it a replica before the data loads;
        # in a cluster, nodes.conf saying myself is a replica does)
        if node.cluster_enabled:
            i_am_master = node.cluster is None or not node.cluster.myself.is_replica
        else:
            i_am_master = node.config["replicaof"] is None
        if self.link is None and i_am_master:
            bl.replid2 = replid
            bl.second_replid_offset = offset + 1
            bl.offset = offset
            bl.buf = None
            bl.create()  # an empty backlog from offset + 1 on
            self.master.seldb = -1
            cmd = b"UNLINK" if self.node.config["lazyfree-lazy-expire"] else b"DEL"
            for dbn, key in expired:
                self.master.propagate(dbn, [cmd, key])
        else:
            # replicationCacheMasterUsingMyself with the loaded history: PSYNC continues from there
            bl.replid = replid
            bl.offset = offset
            if self.link is not None:
                self.link.master_replid = replid
                self.link.stream_db = stream_db
            else:
                self.restored_stream_db = stream_db

    def _disconnect_blocked_clients(self) -> None:
        """disconnectAllBlockedClients: a master turning replica releases its blocked clients (BLPOP,
        WAIT ...) with an error and closes them -- served later by the master's stream they would
        diverge from it."""
        from ..protocol.reply import Raw, error_bytes
        from ..server.blocking import BlockedState

        node = self.node
        err = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"
        for c in list(node.clients.values()):
            if type(getattr(c, "blocked", None)) is BlockedState:
                for w in [w for w in self.master.waiting if w[0] is c]:  # (a WAIT)
                    self.master.waiting.remove(w)
                    if w[3] is not None:
                        w[3].cancel()
                node.stats.error(err)
                c.close_after_reply = True
                node.blocking.unblock(c, Raw(error_bytes(err)))

    def info(self) -> list:
        """The fields of INFO replication, in Redis 7.0's order."""
        import time

        node = self.node
        bl = self.backlog
        out = []
        link = self.link
        if link is None:
            out.append(("role", "master"))
        else:
            out += [("role", "slave"), ("master_host", link.host), ("master_port", link.port),
                    ("master_link_status", "up" if link.connected else "down"),
                    ("master_last_io_seconds_ago", int(time.time() - link.last_io) if link.connected else -1),
                    ("master_sync_in_progress", 1 if link.sync_in_progress else 0),
                    ("slave_read_repl_offset", bl.offset + link.held_bytes()), ("slave_repl_offset", bl.offset)]
            if not link.connected:
                out.append(("master_link_down_since_seconds", int(time.time() - link.down_since)))
            out += [("slave_priority", node.config["replica-priority"]),
                    ("slave_read_only", 1 if node.config["replica-read-only"] else 0),
                    ("replica_announced", 1 if node.config["replica-announced"] else 0)]
        from .master import state_name

        every = self.master.replicas
        out.append(("connected_slaves", len(every)))
        for i, r in enumerate(every):
            ip = self.master.replica_ip(r)
            state = state_name(r)
            since = getattr(r, "repl_wait_since", None) if state != "online" else None
            if since is None:
                since = r.repl_ack_time
            lag = int(time.monotonic() - since)
            out.append(("slave%d" % i, "ip=%s,port=%d,state=%s,offset=%d,lag=%d"
                        % (ip, getattr(r, "repl_listening_port", 0), state, r.repl_ack_offset, lag)))
        out += [("master_failover_state", self.failover.state), ("master_replid", bl.replid),
                ("master_replid2", bl.replid2), ("master_repl_offset", bl.offset),
                ("second_repl_offset", bl.second_replid_offset), ("repl_backlog_active", 1 if bl.active else 0),
                ("repl_backlog_size", bl.size),
                ("repl_backlog_first_byte_offset", bl.first_byte_offset if bl.active else 0),
                ("repl_backlog_histlen", bl.histlen)]
        return out

    def cron(self) -> None:
        self.failover.cron()  # updateFailoverStatus first, as replicationCron does
        self.master.cron()
        if self.link is not None:
            self.link.cron()

    def stop(self) -> None:
        if self.link is not None:
            self.link.stop()
