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
from .master import MasterSide
from .replica import ReplicaLink


class Replication:
    def __init__(self, node):
        self.node = node
        self.backlog = ReplicationBacklog(node.config["repl-backlog-size"])
        self.master = MasterSide(self)
        self.link: ReplicaLink | None = None  # set while I am a replica

    @property
    def is_replica(self) -> bool:
        return self.link is not None

    def offset(self) -> int:
        """The offset advertised on the cluster bus: master_repl_offset, or what a replica processed
        (a replica's backlog advances with every byte of the stream it applied)."""
        return self.backlog.offset

    def set_master(self, host, port) -> None:
        """replicationSetMaster / replicationUnsetMaster (host None: become a master)."""
        node = self.node
        if host is None:
            if self.link is None:
                return
            link, self.link = self.link, None
            link.stop()
            # The history we replicated continues under a new ID; replicas and the old master can
            # PSYNC with the old ID up to here (shiftReplicationId).
            self.backlog.shift_replid()
            for db in node.dbs:
                db.replica_mode = False
            node.log.notice("MASTER MODE enabled")
            self.master.disconnect_replicas()
            node.refresh_clients()
            return
        if self.link is not None and self.link.host == host and self.link.port == port:
            return
        if self.link is not None:
            cached = (self.link.master_replid, self.backlog.offset)
            self.link.stop()
        else:
            # replicationCacheMasterUsingMyself: PSYNC with my own history first
            cached = (self.backlog.replid, self.backlog.offset)
        for db in node.dbs:
            db.replica_mode = True
        self.master.disconnect_replicas()
        self.link = ReplicaLink(self, host, port, cached)
        node.log.notice("Connecting to MASTER %s:%d" % (host, port))
        self.link.start()
        node.refresh_clients()

    def cron(self) -> None:
        self.master.cron()
        if self.link is not None:
            self.link.cron()

    def stop(self) -> None:
        if self.link is not None:
            self.link.stop()
