"""Replica election, manual failover and replica migration (Redis: clusterHandleSlaveFailover,
clusterGetSlaveRank, clusterRequestFailoverAuth, clusterFailoverReplaceYourMaster,
clusterHandleManualFailover, clusterHandleSlaveMigration).

When a master is FAIL, its replicas compete to replace it.  Each waits

    500 ms (fixed, so the FAIL message reaches everybody)
  + random 0..499 ms (so replicas do not start at the same instant)
  + rank x 1000 ms (rank 0 = the replica with the most replicated data)

then bumps currentEpoch and asks every master for a vote (FAILOVER_AUTH_REQUEST).  A master grants
one vote per epoch (epochs.send_failover_auth_if_needed).  A replica with the votes of a majority of
the masters serving slots wins: it takes the failed master's slots with configEpoch = the election
epoch -- unique, because a majority voted in that epoch only once -- and tells everybody with a PONG.
Losers time out and may retry after 2 x node timeout.  The rank delay makes the replica with the
freshest data win almost always, which bounds the writes lost in a failover.
"""

from __future__ import annotations

from .messages import MFLAG_FORCEACK, FailoverAuthRequest, MfStart

CLUSTER_MF_TIMEOUT = 5000
CLUSTER_SLAVE_MIGRATION_DELAY = 5000

# reasons a replica cannot fail over (clusterLogCantFailover)
CANT_FAILOVER_NONE = 0
CANT_FAILOVER_DATA_AGE = 1
CANT_FAILOVER_WAITING_DELAY = 2
CANT_FAILOVER_EXPIRED = 3
CANT_FAILOVER_WAITING_VOTES = 4

_CANT_TEXT = {
    CANT_FAILOVER_DATA_AGE: "Disconnected from master for longer than allowed. Please check the "
                            "'cluster-replica-validity-factor' configuration option.",
    CANT_FAILOVER_WAITING_DELAY: "Waiting the delay before I can start a new failover.",
    CANT_FAILOVER_EXPIRED: "Failover attempt expired.",
    CANT_FAILOVER_WAITING_VOTES: "Waiting for votes, but majority still not reached.",
}


def replica_rank(cs) -> int:
    """clusterGetSlaveRank: how many other replicas of my master have a better replication offset."""
    me = cs.myself
    master = me.replicaof
    if master is None:
        return 0
    my_offset = cs.host.repl_offset()
    return sum(1 for r in master.replicas if r is not me and not r.cant_failover and r.repl_offset > my_offset)


def log_cant_failover(cs, reason: int, now: int) -> None:
    """clusterLogCantFailover: say why only when the reason changes (or every 5 minutes)."""
    if reason == cs.cant_failover_reason and now - getattr(cs, "last_cant_failover_log", 0) < 300_000:
        return
    cs.cant_failover_reason = reason
    cs.last_cant_failover_log = now
    cs.log(now, "failover-blocked", cs.myself.replicaof, "currently unable to failover: %s" % _CANT_TEXT[reason])


def handle_replica_failover(cs, now: int) -> None:
    """clusterHandleSlaveFailover."""
    from .state import TODO_FSYNC_CONFIG, TODO_SAVE_CONFIG, TODO_UPDATE_STATE

    me = cs.myself
    master = me.replicaof
    nt = cs.config.node_timeout
    needed_quorum = cs.size // 2 + 1
    manual = cs.mf_end != 0 and cs.mf_can_start
    auth_timeout = max(nt * 2, 2000)
    auth_retry_time = auth_timeout * 2

    # Preconditions: I am a replica of a FAIL master that serves slots (or a manual failover runs).
    if (me.is_master or master is None or (not master.failed and not manual)
            or (cs.config.replica_no_failover and not manual) or master.numslots == 0):
        cs.cant_failover_reason = CANT_FAILOVER_NONE
        return

    # How old is my data?  (A replica disconnected for too long must not win.)
    data_age = cs.host.master_link_down_ms(now) if hasattr(cs.host, "master_link_down_ms") else 0
    if data_age > nt:
        data_age -= nt
    factor = cs.config.replica_validity_factor
    if factor and data_age > cs.config.repl_ping_replica_period * 1000 + nt * factor and not manual:
        log_cant_failover(cs, CANT_FAILOVER_DATA_AGE, now)
        return

    # Schedule an election if the previous attempt is old enough.
    if now - cs.failover_auth_time > auth_retry_time:
        cs.failover_auth_time = now + 500 + cs.rng.randrange(500)
        cs.failover_auth_count = 0
        cs.failover_auth_sent = False
        cs.failover_auth_rank = replica_rank(cs)
        cs.failover_auth_time += cs.failover_auth_rank * 1000
        if cs.mf_end:
            cs.failover_auth_time = now
            cs.failover_auth_rank = 0
            cs.todo(TODO_HANDLE_FAILOVER_FLAG())
        cs.log(now, "election-scheduled", master, "start of election delayed for %d milliseconds (rank #%d, "
               "offset %d)" % (cs.failover_auth_time - now, cs.failover_auth_rank, cs.host.repl_offset()))
        # Tell my fellow replicas my offset, so that their ranks are right.
        cs.broadcast_pong(now, local_replicas_only=True)
        return

    # The rank may have improved or worsened since the election was scheduled.
    if not cs.failover_auth_sent and not cs.mf_end:
        newrank = replica_rank(cs)
        if newrank > cs.failover_auth_rank:
            added = (newrank - cs.failover_auth_rank) * 1000
            cs.failover_auth_time += added
            cs.failover_auth_rank = newrank
            cs.log(now, "election-scheduled", master, "replica rank updated to #%d, added %d milliseconds of delay"
                   % (newrank, added))

    if now < cs.failover_auth_time:
        log_cant_failover(cs, CANT_FAILOVER_WAITING_DELAY, now)
        return
    if now - cs.failover_auth_time > auth_timeout:
        log_cant_failover(cs, CANT_FAILOVER_EXPIRED, now)
        return

    # Ask for votes.
    if not cs.failover_auth_sent:
        cs.current_epoch += 1
        cs.failover_auth_epoch = cs.current_epoch
        cs.log(now, "election-started", master, "starting a failover election for epoch %d" % cs.current_epoch)
        request_failover_auth(cs, now)
        cs.failover_auth_sent = True
        cs.todo(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG)
        return

    if cs.failover_auth_count >= needed_quorum:
        cs.log(now, "election-won", master, "failover election won (%d votes of %d needed): I'm the new master"
               % (cs.failover_auth_count, needed_quorum))
        if me.config_epoch < cs.failover_auth_epoch:
            me.config_epoch = cs.failover_auth_epoch
            cs.log(now, "epoch", me, "configEpoch set to %d after successful failover" % me.config_epoch)
        failover_replace_your_master(cs, now)
    else:
        log_cant_failover(cs, CANT_FAILOVER_WAITING_VOTES, now)


def TODO_HANDLE_FAILOVER_FLAG():
    from .state import TODO_HANDLE_FAILOVER

    return TODO_HANDLE_FAILOVER


def request_failover_auth(cs, now: int) -> None:
    """clusterRequestFailoverAuth: broadcast the request (FORCEACK during a manual failover)."""
    mflags = MFLAG_FORCEACK if cs.mf_end else 0
    cs.log(now, "vote-requested", cs.myself.replicaof, "FAILOVER_AUTH_REQUEST sent to every node for epoch %d%s: "
           "%d master votes needed" % (cs.current_epoch, " (FORCEACK)" if mflags else "", cs.size // 2 + 1))
    cs.broadcast(FailoverAuthRequest(cs.header(now, mflags)))


def failover_replace_your_master(cs, now: int) -> None:
    """clusterFailoverReplaceYourMaster: take the old master's place and tell everybody."""
    from .actions import SaveConfig
    from .state import TODO_UPDATE_STATE

    me = cs.myself
    old = me.replicaof
    if me.is_master or old is None:
        return
    cs.set_node_as_master(me)
    cs.host.replicate_from(None)  # stop replicating; the replication side switches replid
    taken = old.slot_list()
    for j in taken:
        cs.del_slot(j)
        cs.add_slot(me, j)
    cs.log(now, "promoted", me, "replica promoted: I am a master now, serving the %d slots of %s with configEpoch %d"
           % (len(taken), old.name, me.config_epoch))
    state_update(cs, now)
    cs.outbox.append(SaveConfig(True))
    cs.broadcast_pong(now)
    cs.reset_manual_failover()
    cs.todo(TODO_UPDATE_STATE)


def state_update(cs, now: int) -> None:
    from .state_eval import update_state

    update_state(cs, now)


# -- manual failover ---------------------------------------------------------------------------------


def manual_failover(cs, now: int, force: bool, takeover: bool) -> None:
    """CLUSTER FAILOVER [FORCE|TAKEOVER] on a replica."""
    from .epochs import bump_config_epoch_without_consensus

    cs.reset_manual_failover()
    cs.mf_end = now + CLUSTER_MF_TIMEOUT
    me = cs.myself
    if takeover:
        # No votes: claim a new configEpoch on our own and take over the slots.
        cs.log(now, "manual-failover", me.replicaof, "taking over the master (user request)")
        bump_config_epoch_without_consensus(cs, now)
        failover_replace_your_master(cs, now)
    elif force:
        cs.log(now, "manual-failover", me.replicaof, "forced failover user request accepted")
        cs.mf_can_start = True
        cs.todo(TODO_HANDLE_FAILOVER_FLAG())
    else:
        cs.log(now, "manual-failover", me.replicaof, "manual failover user request accepted")
        cs.send(me.replicaof.link, MfStart(cs.header(now)))


def manual_failover_check_timeout(cs, now: int) -> None:
    """manualFailoverCheckTimeout."""
    if cs.mf_end and cs.mf_end < now:
        cs.log(now, "manual-failover", "", "manual failover timed out")
        cs.reset_manual_failover()


def handle_manual_failover(cs, now: int) -> None:
    """clusterHandleManualFailover: start the election once my offset caught up with the paused master."""
    if cs.mf_end == 0 or cs.mf_can_start or cs.mf_master_offset == -1:
        return
    if cs.mf_master_offset == cs.host.repl_offset():
        cs.mf_can_start = True
        cs.log(now, "manual-failover", cs.myself.replicaof, "all master replication stream processed, manual "
               "failover can start")
        cs.todo(TODO_HANDLE_FAILOVER_FLAG())


# -- replica migration ---------------------------------------------------------------------------------


def handle_replica_migration(cs, max_replicas: int, now: int) -> None:
    """clusterHandleSlaveMigration: move to an orphaned master if my master has replicas to spare."""
    me = cs.myself
    master = me.replicaof
    if master is None or cs.state != 0:
        return
    ok_replicas = master.count_ok_replicas()
    if ok_replicas <= cs.config.migration_barrier:
        return
    # Only the replica with the smallest name among my master's ok replicas migrates.
    candidate = me
    target = None
    for node in cs.nodes.values():
        ok = 0
        is_orphaned = True
        if node.is_replica or node.failed:
            is_orphaned = False
        if not node.flags & 0x0100:  # MIGRATE_TO
            is_orphaned = False
        if node.is_master:
            ok = node.count_ok_replicas()
        if ok > 0:
            is_orphaned = False
        if is_orphaned:
            if target is None and node.numslots > 0:
                target = node
            if not node.orphaned_time:
                node.orphaned_time = now
        else:
            node.orphaned_time = 0
        if ok == max_replicas:
            for r in node.replicas:
                if r.name < candidate.name:
                    candidate = r
    if target is not None and candidate is me and now - target.orphaned_time > CLUSTER_SLAVE_MIGRATION_DELAY:
        cs.log(now, "replica-migration", target, "migrating to orphaned master %s" % target.name)
        cs.set_my_master(target, now)


class FailoverHooks:
    """The election entry points the cron and before_sleep call (kept apart so that the core can be
    read without the election first)."""

    @staticmethod
    def handle_manual_failover(cs, now):
        handle_manual_failover(cs, now)

    @staticmethod
    def handle_replica_failover(cs, now):
        handle_replica_failover(cs, now)

    @staticmethod
    def manual_failover(cs, now, force, takeover):
        manual_failover(cs, now, force, takeover)

    @staticmethod
    def cron(cs, now, orphaned_masters, max_replicas, this_replicas):
        manual_failover_check_timeout(cs, now)
        if cs.myself.is_replica:
            handle_manual_failover(cs, now)
            handle_replica_failover(cs, now)
            if (orphaned_masters and max_replicas >= 2 and this_replicas == max_replicas
                    and cs.config.allow_replica_migration):
                handle_replica_migration(cs, max_replicas, now)

