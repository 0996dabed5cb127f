"""What the sans-IO cluster core asks its shell to do (DESIGN.md rule 1).

The core never touches a socket or a clock: it appends actions to ``ClusterState.outbox`` and the
shell (``server/bus.py``, or the simulator in ``testing/simulation.py``) performs them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Connect:
    """Open an outbound bus connection for ``link`` to ``ip:port`` (the node's bus port)."""

    link: object
    ip: str
    port: int


@dataclass(frozen=True, slots=True)
class Send:
    """Send one message (a dataclass of :mod:`.messages`) on ``link``."""

    link: object
    msg: object


@dataclass(frozen=True, slots=True)
class CloseLink:
    link: object


@dataclass(frozen=True, slots=True)
class SaveConfig:
    """Write nodes.conf now (``fsync``: also flush it to the disk before going on)."""

    fsync: bool


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the event log: a state change and the reason for it."""

    time: int  # ms
    kind: str  # one of EVENT_KINDS
    node: str  # the node it is about ("" for the cluster)
    text: str  # what happened and why, in words


# Every kind of event the core records, in the order a learner meets them, with what it means
# (the dashboard's legend and docs/tour.md use these words).
EVENT_KINDS = {
    "meet": "CLUSTER MEET, or a MEET received: a handshake starts",
    "handshake": "handshake done: the node is known under its real id",
    "handshake-timeout": "a handshake did not complete in time; the placeholder node is dropped",
    "discovered": "a node learnt from another node's gossip",
    "address": "a node's address changed",
    "slots": "slot ownership changed (ADDSLOTS, SETSLOT NODE, or a claim with a higher configEpoch)",
    "migration": "a slot migration step (SETSLOT MIGRATING / IMPORTING / STABLE)",
    "epoch": "currentEpoch or configEpoch changed (bump, collision, election, message from a newer node)",
    "role": "a node became a master or a replica",
    "pfail": "no reply within cluster-node-timeout: PFAIL (possibly failing), my opinion only",
    "pfail-cleared": "a PFAIL node answered again",
    "fail-report": "a master's gossip says a node is PFAIL/FAIL (or back online)",
    "fail-report-expired": "a failure report older than 2 x node timeout was dropped",
    "fail": "a node is FAIL: a majority of masters agreed, or a FAIL message said so",
    "fail-sent": "FAIL broadcast to every node",
    "fail-cleared": "a FAIL flag was lifted",
    "election-scheduled": "a replica of a FAIL master schedules its election (delay and rank)",
    "election-started": "the replica bumps currentEpoch and starts the election",
    "vote-requested": "FAILOVER_AUTH_REQUEST broadcast",
    "vote-granted": "a master voted for a replica",
    "vote-refused": "a master refused its vote, with the rule that decided it",
    "vote-received": "the replica counted a vote",
    "election-won": "a majority of masters voted: the replica wins",
    "failover-blocked": "a replica cannot fail over right now, and why",
    "promoted": "the replica took its master's slots and is a master now",
    "update": "an UPDATE message (or my own slots) changed a node's configuration",
    "update-sent": "an UPDATE sent to a node with a stale slot configuration",
    "state": "cluster_state changed between ok and fail",
    "manual-failover": "a CLUSTER FAILOVER step",
    "replica-migration": "a replica moved to an orphaned master",
    "forget": "CLUSTER FORGET",
    "reset": "CLUSTER RESET",
    "bus": "an unexpected bus message",
    "fault": "a fault injected by a test (PYREDIS FAULT)",
}
