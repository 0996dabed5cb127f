"""FAILOVER: a coordinated switch of roles between a master and one of its replicas, without a cluster
(Redis: failoverCommand, updateFailoverStatus, abortFailover in replication.c).

The happy path, step by step:

1. ``FAILOVER [TO host port [FORCE]] [TIMEOUT ms]`` on the master pauses writes, so the replication
   stream stops growing (state ``waiting-for-sync``).
2. The replication cron watches the replicas' ACKs until one of them (the named one, if TO was given)
   has acknowledged the whole stream.
3. The master then makes itself a replica of that one (state ``failover-in-progress``) and sends it
   ``PSYNC <replid> <offset> FAILOVER``.
4. The target sees its own replication ID in that PSYNC, becomes a master (``REPLICAOF NO ONE`` as far as
   its data goes: a new ID, the old one kept as ``master_replid2``) and serves the PSYNC, normally as a
   partial resync (``+CONTINUE``).  On that reply the old master ends the failover and unpauses writes.

With a TIMEOUT the master gives up (``FAILOVER ABORT`` does so at any time) and stays master -- unless
FORCE was given: then it fails over to the named replica at the deadline even if it has not caught up.
"""

from __future__ import annotations

import time

from ..errors import CommandError

NO_FAILOVER = "no-failover"
WAIT_FOR_SYNC = "waiting-for-sync"
IN_PROGRESS = "failover-in-progress"

# CLIENT_PAUSE_WRITE until the failover ends (Redis pauses until LLONG_MAX)
FOREVER = 10 ** 9


def _now_ms() -> int:
    return int(time.time() * 1000)


class Failover:
    def __init__(self, repl):
        self.repl = repl
        self.node = repl.node
        self.state = NO_FAILOVER
        self.end_time = 0  # ms; 0: no timeout
        self.force = False
        self.target_host: str | None = None
        self.target_port = 0

    # -- the command -------------------------------------------------------------------------------

    def command(self, c, argv) -> None:
        """FAILOVER [TO <host> <port> [FORCE]] [ABORT] [TIMEOUT <ms>] (raises CommandError)."""
        node = self.node
        if node.cluster_enabled:
            raise CommandError("ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.")
        if len(argv) == 2 and argv[1].lower() == b"abort":
            if self.state == NO_FAILOVER:
                raise CommandError("ERR No failover in progress.")
            self.abort("Failover manually aborted")
            return
        timeout = 0
        force = False
        host = None
        port = 0
        j = 1
        while j < len(argv):
            opt = argv[j].lower()
            if opt == b"timeout" and j + 1 < len(argv) and timeout == 0:
                timeout = _long(argv[j + 1])
                if timeout <= 0:
                    raise CommandError("ERR FAILOVER timeout must be greater than 0")
                j += 2
            elif opt == b"to" and j + 2 < len(argv) and host is None:
                port = _long(argv[j + 2])
                host = argv[j + 1].decode("latin-1")
                j += 3
            elif opt == b"force" and not force:
                force = True
                j += 1
            else:
                raise CommandError("ERR syntax error")
        if self.state != NO_FAILOVER:
            raise CommandError("ERR FAILOVER already in progress.")
        if self.repl.link is not None:
            raise CommandError("ERR FAILOVER is not valid when server is a replica.")
        if not self.repl.master.replicas:
            raise CommandError("ERR FAILOVER requires connected replicas.")
        if force and (not timeout or host is None):
            raise CommandError("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
        if host is not None:
            if self.find_replica(host, port) is None:
                raise CommandError("ERR FAILOVER target HOST and PORT is not a replica.")
            # (a replica in our list is online: we add it once its sync is under way)
            self.target_host, self.target_port = host, port
            node.log.notice("FAILOVER requested to %s:%d." % (host, port))
        else:
            node.log.notice("FAILOVER requested to any replica.")
        if timeout:
            self.end_time = _now_ms() + timeout
        self.force = force
        self.state = WAIT_FOR_SYNC
        node.pause_clients(FOREVER, writes_only=True)

    # -- the cron ----------------------------------------------------------------------------------

    def cron(self) -> None:
        """updateFailoverStatus: time out, or fail over to a replica that acknowledged everything."""
        if self.state != WAIT_FOR_SYNC:
            return
        node = self.node
        if self.end_time and self.end_time <= _now_ms():
            if self.force:
                node.log.notice("FAILOVER to %s:%d time out exceeded, failing over."
                                % (self.target_host, self.target_port))
                self._start()
            else:
                self.abort("Replica never caught up before timeout")
            return
        offset = self.repl.backlog.offset
        replica = None
        if self.target_host is not None:
            replica = self.find_replica(self.target_host, self.target_port)
        else:
            for r in self.repl.master.replicas:
                if r.repl_ack_offset == offset:
                    self.target_host = self.repl.master.replica_ip(r)
                    self.target_port = getattr(r, "repl_listening_port", 0)
                    replica = r
                    break
        if replica is not None and replica.repl_ack_offset == offset:
            node.log.notice("Failover target %s:%d is synced, failing over." % (self.target_host, self.target_port))
            self._start()

    def _start(self) -> None:
        self.state = IN_PROGRESS
        self.repl.set_master(self.target_host, self.target_port)

    # -- the end -----------------------------------------------------------------------------------

    def psync_reply(self, accepted: bool) -> bool:
        """The target answered our PSYNC FAILOVER: the failover is over either way.  Returns False when
        it was refused (we are a master again)."""
        if self.state != IN_PROGRESS:
            return True
        if accepted:
            self.clear()
            return True
        self.abort("Failover target rejected psync request")
        return False

    def clear(self) -> None:
        """clearFailoverState (with the unpause)."""
        self.end_time = 0
        self.force = False
        self.target_host = None
        self.target_port = 0
        self.state = NO_FAILOVER
        self.node.unpause_clients()

    def abort(self, why: str) -> None:
        if self.state == NO_FAILOVER:
            return
        if self.target_host is not None:
            self.node.log.notice("FAILOVER to %s:%d aborted: %s" % (self.target_host, self.target_port, why))
        else:
            self.node.log.notice("FAILOVER to any replica aborted: %s" % why)
        if self.state == IN_PROGRESS:
            self.repl.set_master(None, None)
        self.clear()

    # -- helpers -----------------------------------------------------------------------------------

    def find_replica(self, host: str, port: int):
        for r in self.repl.master.replicas:
            if self.repl.master.replica_ip(r).lower() == host.lower() and getattr(r, "repl_listening_port", 0) == port:
                return r
        return None


def _long(arg: bytes) -> int:
    """getLongFromObjectOrReply."""
    from ..commands.keys import parse_ll

    return parse_ll(arg)
