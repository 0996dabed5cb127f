"""Cluster state evaluation: ``cluster_state:ok`` or ``fail`` (Redis: clusterUpdateState).

The state is *fail* when a slot has no owner or its owner is FAIL (with
``cluster-require-full-coverage yes``), or when this node cannot reach a majority of the masters
serving slots -- a minority partition must stop accepting writes, since the majority side may elect
replacements for the masters it cannot see.  Two delays guard the way back to *ok*: a master that has
just started waits ``CLUSTER_WRITABLE_DELAY`` (2 s) so the cluster can tell it it was replaced, and a
master that was in a minority waits the rejoin delay (node timeout clamped to 0.5-5 s) before serving
again.
"""

from __future__ import annotations

from .messages import NODE_FAIL, NODE_PFAIL

CLUSTER_OK, CLUSTER_FAIL = 0, 1
CLUSTER_MAX_REJOIN_DELAY = 5000
CLUSTER_MIN_REJOIN_DELAY = 500
CLUSTER_WRITABLE_DELAY = 2000
CLUSTER_SLOTS = 16384


def update_state(cs, now: int) -> None:
    """clusterUpdateState."""
    from .state import TODO_UPDATE_STATE

    cs.todo_before_sleep &= ~TODO_UPDATE_STATE
    if cs.first_update_time == 0:
        cs.first_update_time = now
    if cs.myself.is_master and cs.state == CLUSTER_FAIL and now - cs.first_update_time < CLUSTER_WRITABLE_DELAY:
        return
    new_state = CLUSTER_OK
    reason = ""
    if cs.config.require_full_coverage:
        # Every node counts its slots (numslots, kept with cs.slots by add_slot/del_slot): when the
        # counts add up to 16384 and no owner is failing, every slot is served -- known without
        # looking at 16384 slots on each call.  The slot-by-slot loop runs only when that is not so.
        nodes = cs.nodes.values()
        if sum(n.numslots for n in nodes) != CLUSTER_SLOTS or any(n.numslots and n.flags & NODE_FAIL
                                                                   for n in nodes):
            for j, n in enumerate(cs.slots):
                if n is None or n.flags & NODE_FAIL:
                    new_state = CLUSTER_FAIL
                    reason = "slot %d is %s" % (j, "not served" if n is None else "served by a failing node")
                    break
    size = reachable = 0
    for node in cs.nodes.values():
        if node.is_master and node.numslots:
            size += 1
            if not node.flags & (NODE_FAIL | NODE_PFAIL):
                reachable += 1
    cs.size = size
    needed_quorum = size // 2 + 1
    if reachable < needed_quorum:
        new_state = CLUSTER_FAIL
        cs.among_minority_time = now
        reason = reason or "only %d of %d masters reachable (need %d)" % (reachable, size, needed_quorum)
    if new_state != cs.state:
        rejoin_delay = min(max(cs.config.node_timeout, CLUSTER_MIN_REJOIN_DELAY), CLUSTER_MAX_REJOIN_DELAY)
        if new_state == CLUSTER_OK and cs.myself.is_master and now - cs.among_minority_time < rejoin_delay:
            return
        cs.state = new_state
        cs.log(now, "state", "", "cluster state changed: %s%s"
               % ("ok" if new_state == CLUSTER_OK else "fail", (" (%s)" % reason) if reason else ""))
