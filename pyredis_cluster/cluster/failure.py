"""Failure detection: PFAIL -> FAIL and back (Redis: markNodeAsFailingIfNeeded,
clearNodeFailureIfNeeded).

A node that does not answer a PING within ``cluster-node-timeout`` is PFAIL -- *possibly* failing --
in the eyes of one node only (clusterCron).  That opinion travels in gossip; masters' opinions are
recorded as *failure reports*, each valid for 2 x node timeout.  When the reports of a majority of the
masters that serve slots agree (counting myself if I am a master), the node is FAIL: this is Redis's
"weak agreement" -- the reports were collected over a time window, not in one round -- and the FAIL
message then forces the decision on every reachable node, so that the replicas of a failed master can
start an election.

FAIL is undone only when the node is reachable again *and* either it is a replica or a master without
slots, or it is a master whose slots nobody took over within 2 x node timeout.
"""

from __future__ import annotations

from .messages import NODE_FAIL, NODE_PFAIL

CLUSTER_FAIL_UNDO_TIME_MULT = 2


def count_failure_reports(cs, node, now: int) -> int:
    """clusterNodeFailureReportsCount: drop (and log) the expired reports, count the valid ones."""
    for name in node.clean_failure_reports(now, cs.config.node_timeout):
        cs.log(now, "fail-report-expired", node, "failure report about %s from %s expired (older than %d ms)"
               % (node.name, name, cs.config.node_timeout * 2))
    return len(node.fail_reports)


def mark_node_as_failing_if_needed(cs, node, now: int) -> None:
    """markNodeAsFailingIfNeeded."""
    needed_quorum = cs.size // 2 + 1
    if not node.timed_out or node.failed:
        return
    failures = count_failure_reports(cs, node, now)
    if cs.myself.is_master:
        failures += 1  # myself is a voter too
    if failures < needed_quorum:
        return
    node.flags &= ~NODE_PFAIL
    node.flags |= NODE_FAIL
    node.fail_time = now
    cs.log(now, "fail", node, "marking node %s as failing (quorum reached: %d of %d needed)"
           % (node.name, failures, needed_quorum))
    cs.send_fail(node, now)
    from .state import TODO_SAVE_CONFIG, TODO_UPDATE_STATE

    cs.todo(TODO_UPDATE_STATE | TODO_SAVE_CONFIG)


def clear_node_failure_if_needed(cs, node, now: int) -> None:
    """clearNodeFailureIfNeeded (called when a FAIL node answers our PING)."""
    from .state import TODO_SAVE_CONFIG, TODO_UPDATE_STATE

    if node.is_replica or node.numslots == 0:
        node.flags &= ~NODE_FAIL
        cs.todo(TODO_UPDATE_STATE | TODO_SAVE_CONFIG)
        cs.log(now, "fail-cleared", node, "clear FAIL state for node %s: %s is reachable again"
               % (node.name, "replica" if node.is_replica else "master without slots"))
    if node.is_master and node.numslots > 0 and now - node.fail_time > cs.config.node_timeout * CLUSTER_FAIL_UNDO_TIME_MULT:
        node.flags &= ~NODE_FAIL
        cs.todo(TODO_UPDATE_STATE | TODO_SAVE_CONFIG)
        cs.log(now, "fail-cleared", node, "clear FAIL state for node %s: is reachable again and nobody is "
               "serving its slots after some time" % node.name)
