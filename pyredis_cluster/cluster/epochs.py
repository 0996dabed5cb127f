"""Epochs: the cluster's logical clock and who may claim what (Redis: clusterGetMaxEpoch,
clusterBumpConfigEpochWithoutConsensus, clusterHandleConfigEpochCollision, clusterSendFailoverAuthIfNeeded).

``currentEpoch`` is a Lamport clock every node raises to the highest it sees.  ``configEpoch`` is a
master's version of its slot claims: when two masters claim a slot, the higher configEpoch wins.  So
configEpochs must be unique: after an election the winner's epoch is unique by construction (a
majority voted for it in that epoch), and for every other case -- nodes created at the same epoch --
the *collision* rule fixes it: of two masters with the same configEpoch, the one with the smaller
node id takes a new epoch.  The node with the greatest id never moves, so the process ends.

Voting lives here too: a master grants at most one vote per epoch, and not twice within
2 x node timeout for replicas of the same master.
"""

from __future__ import annotations

from .messages import MFLAG_FORCEACK, FailoverAuthAck


def max_epoch(cs) -> int:
    """clusterGetMaxEpoch."""
    return max([cs.current_epoch] + [n.config_epoch for n in cs.nodes.values()])


def bump_config_epoch_without_consensus(cs, now: int) -> bool:
    """clusterBumpConfigEpochWithoutConsensus: True if bumped ("BUMPED"), False ("STILL")."""
    from .state import TODO_FSYNC_CONFIG, TODO_SAVE_CONFIG

    maxe = max_epoch(cs)
    me = cs.myself
    if me.config_epoch == 0 or me.config_epoch != maxe:
        cs.current_epoch += 1
        me.config_epoch = cs.current_epoch
        cs.todo(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG)
        cs.log(now, "epoch", me, "new configEpoch set to %d (bumped without consensus)" % me.config_epoch)
        return True
    return False


def handle_config_epoch_collision(cs, sender, now: int) -> None:
    """clusterHandleConfigEpochCollision."""
    me = cs.myself
    if sender.config_epoch != me.config_epoch or not sender.is_master or not me.is_master:
        return
    if sender.name <= me.name:
        return  # the node with the smaller id moves; that is not me
    cs.current_epoch += 1
    me.config_epoch = cs.current_epoch
    from .actions import SaveConfig

    cs.outbox.append(SaveConfig(True))
    cs.log(now, "epoch", me, "configEpoch collision with node %s: configEpoch set to %d"
           % (sender.name, me.config_epoch))


def send_failover_auth_if_needed(cs, node, msg, now: int) -> None:
    """clusterSendFailoverAuthIfNeeded: should I (a master) vote for this replica?"""
    from .state import TODO_FSYNC_CONFIG, TODO_SAVE_CONFIG

    me = cs.myself
    h = msg.header
    master = node.replicaof
    req_epoch = h.current_epoch
    force_ack = h.mflags & MFLAG_FORCEACK
    nt = cs.config.node_timeout
    if me.is_replica or me.numslots == 0:
        return
    if req_epoch < cs.current_epoch:
        cs.log(now, "vote-refused", node, "failover auth denied to %s: reqEpoch (%d) < curEpoch(%d)"
               % (node.name, req_epoch, cs.current_epoch))
        return
    if cs.last_vote_epoch == cs.current_epoch:
        cs.log(now, "vote-refused", node, "failover auth denied to %s: already voted for epoch %d"
               % (node.name, cs.current_epoch))
        return
    if node.is_master or master is None or (not master.failed and not force_ack):
        if node.is_master:
            why = "it is a master node"
        elif master is None:
            why = "I don't know its master"
        else:
            why = "its master is up"
        cs.log(now, "vote-refused", node, "failover auth denied to %s: %s" % (node.name, why))
        return
    if now - master.voted_time < nt * 2:
        cs.log(now, "vote-refused", node, "failover auth denied to %s: can't vote about this master before %d ms"
               % (node.name, nt * 2 - (now - master.voted_time)))
        return
    for j in range(16384):
        if not h.myslots[j >> 3] >> (j & 7) & 1:
            continue
        if cs.slot_unclaimed(j):
            continue
        if cs.slots[j].config_epoch <= h.config_epoch:
            continue
        cs.log(now, "vote-refused", node, "failover auth denied to %s: slot %d epoch (%d) > reqEpoch (%d)"
               % (node.name, j, cs.slots[j].config_epoch, h.config_epoch))
        return
    cs.last_vote_epoch = cs.current_epoch
    master.voted_time = now
    cs.todo(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG)
    cs.send(node.link, FailoverAuthAck(cs.header(now)))
    cs.log(now, "vote-granted", node, "failover auth granted to %s for epoch %d" % (node.name, cs.current_epoch))
