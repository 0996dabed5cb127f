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
    kind: str  # "meet", "handshake", "pfail", "fail", "fail-report", "epoch", "slots", "role", "state" ...
    node: str  # the node it is about ("" for the cluster)
    text: str  # what happened and why, in words
