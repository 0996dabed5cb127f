"""Cluster nodes and links: what one node knows about every other (Redis: ``clusterNode``,
``clusterLink`` and the "Node API" section of cluster.c: createClusterNode, clusterNodeAddFailureReport,
clusterNodeRemoveSlave, clusterRenameNode ...).

A :class:`ClusterNode` is a *view*: the flags, epochs, slots and addresses that this process believes
of a node, learnt from its own messages and from other nodes' gossip.  A :class:`Link` is one TCP
connection of the bus, as the sans-IO core sees it: the shell owns the socket and only tells the core
"connected", "message", "closed".
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .messages import (NODE_FAIL, NODE_HANDSHAKE, NODE_MASTER, NODE_MIGRATE_TO, NODE_MYSELF, NODE_NOADDR,
                       NODE_NOFAILOVER, NODE_PFAIL, NODE_SLAVE, SLOTS_BYTES)

CLUSTER_NAMELEN = 40


def random_node_name(rng=None) -> str:
    """getRandomHexChars: a new 40-character lowercase hex node id."""
    if rng is not None:
        return "%040x" % rng.getrandbits(160)
    return os.urandom(20).hex()


def verify_node_name(name: str) -> bool:
    """verifyClusterNodeId: 40 chars of [a-z0-9]."""
    return len(name) == CLUSTER_NAMELEN and all("a" <= c <= "z" or "0" <= c <= "9" for c in name)


@dataclass(eq=False)
class Link:
    """One bus connection.  ``node`` is None for an inbound link until its sender is known."""

    id: int
    ctime: int
    inbound: bool
    node: "ClusterNode | None" = None
    connected: bool = False  # outbound: the TCP connect completed
    closed: bool = False
    send_buffer: int = 0  # bytes queued (reported by the shell, for CLUSTER LINKS)

    def __repr__(self):
        return "<Link %d %s %s>" % (self.id, "from" if self.inbound else "to", self.node.name[:8] if self.node else "?")


@dataclass(eq=False)
class ClusterNode:
    name: str
    flags: int
    ctime: int = 0
    config_epoch: int = 0
    slots: bytearray = field(default_factory=lambda: bytearray(SLOTS_BYTES))
    numslots: int = 0
    replicas: list = field(default_factory=list)
    replicaof: "ClusterNode | None" = None
    ping_sent: int = 0  # ms of the PING in flight, 0 if none
    pong_received: int = 0  # ms of the last PONG
    data_received: int = 0  # ms of the last bus data of any kind
    fail_time: int = 0
    voted_time: int = 0  # last time I voted for a replica of this master
    repl_offset_time: int = 0
    orphaned_time: int = 0
    repl_offset: int = 0
    ip: str = ""
    port: int = 0
    cport: int = 0
    pport: int = 0
    hostname: str = ""
    link: Link | None = None  # my outbound link to it
    inbound_link: Link | None = None  # its link to me
    fail_reports: dict = field(default_factory=dict)  # reporter name -> time (ms)

    def __repr__(self):
        return "<ClusterNode %s %s:%d %s>" % (self.name[:8], self.ip, self.port, flags_text(self.flags))

    # -- flags -------------------------------------------------------------------------------
    @property
    def is_master(self) -> bool:
        return bool(self.flags & NODE_MASTER)

    @property
    def is_replica(self) -> bool:
        return bool(self.flags & NODE_SLAVE)

    @property
    def is_myself(self) -> bool:
        return bool(self.flags & NODE_MYSELF)

    @property
    def in_handshake(self) -> bool:
        return bool(self.flags & NODE_HANDSHAKE)

    @property
    def has_addr(self) -> bool:
        return not self.flags & NODE_NOADDR

    @property
    def timed_out(self) -> bool:  # nodeTimedOut: PFAIL
        return bool(self.flags & NODE_PFAIL)

    @property
    def failed(self) -> bool:  # nodeFailed: FAIL
        return bool(self.flags & NODE_FAIL)

    @property
    def cant_failover(self) -> bool:
        return bool(self.flags & NODE_NOFAILOVER)

    # -- slots ---------------------------------------------------------------------------------
    def has_slot(self, slot: int) -> bool:
        return bool(self.slots[slot >> 3] >> (slot & 7) & 1)

    def add_slot(self, slot: int) -> bool:
        """clusterNodeSetSlotBit: True if the bit was not set."""
        i, bit = slot >> 3, 1 << (slot & 7)
        if self.slots[i] & bit:
            return False
        self.slots[i] |= bit
        self.numslots += 1
        # A master with slots is a candidate target for replica migration (MIGRATE_TO) once it has
        # at least one replica of its own (clusterNodeSetSlotBit in Redis 7.0).
        if self.numslots == 1 and self.replicas:
            self.flags |= NODE_MIGRATE_TO
        return True

    def del_slot(self, slot: int) -> bool:
        i, bit = slot >> 3, 1 << (slot & 7)
        if not self.slots[i] & bit:
            return False
        self.slots[i] &= ~bit
        self.numslots -= 1
        return True

    def slot_list(self) -> list:
        out = []
        for i, byte in enumerate(self.slots):
            if byte:
                base = i << 3
                for bit in range(8):
                    if byte >> bit & 1:
                        out.append(base + bit)
        return out

    # -- replicas (clusterNodeAddSlave / clusterNodeRemoveSlave) -----------------------------------
    def add_replica(self, replica: "ClusterNode") -> bool:
        if replica in self.replicas:
            return False
        self.replicas.append(replica)
        self.flags |= NODE_MIGRATE_TO
        return True

    def remove_replica(self, replica: "ClusterNode") -> bool:
        if replica not in self.replicas:
            return False
        self.replicas.remove(replica)
        if not self.replicas:
            self.flags &= ~NODE_MIGRATE_TO
        return True

    def count_ok_replicas(self) -> int:
        return sum(1 for r in self.replicas if not r.failed)

    # -- failure reports (clusterNodeAddFailureReport ...) --------------------------------------------
    def add_failure_report(self, sender: "ClusterNode", now: int) -> bool:
        """True if this is a new report (not a refresh of an existing one)."""
        new = sender.name not in self.fail_reports
        self.fail_reports[sender.name] = now
        return new

    def clean_failure_reports(self, now: int, node_timeout: int) -> list:
        """clusterNodeCleanupFailureReports: reports older than 2 x node timeout are void.  Returns the
        names of the nodes whose reports expired."""
        maxtime = node_timeout * 2  # CLUSTER_FAIL_REPORT_VALIDITY_MULT
        expired = [name for name, t in self.fail_reports.items() if now - t > maxtime]
        for name in expired:
            del self.fail_reports[name]
        return expired

    def del_failure_report(self, sender: "ClusterNode") -> bool:
        return self.fail_reports.pop(sender.name, None) is not None

    def failure_reports_count(self, now: int, node_timeout: int) -> int:
        self.clean_failure_reports(now, node_timeout)
        return len(self.fail_reports)


_FLAG_TEXT = (
    (NODE_MYSELF, "myself"), (NODE_MASTER, "master"), (NODE_SLAVE, "slave"), (NODE_PFAIL, "fail?"),
    (NODE_FAIL, "fail"), (NODE_HANDSHAKE, "handshake"), (NODE_NOADDR, "noaddr"), (NODE_NOFAILOVER, "nofailover"),
)


def flags_text(flags: int) -> str:
    """representClusterNodeFlags: "myself,master", or "noflags"."""
    words = [name for bit, name in _FLAG_TEXT if flags & bit]
    return ",".join(words) if words else "noflags"


def flags_from_text(text: str) -> int:
    flags = 0
    for word in text.split(","):
        if word == "noflags":
            continue
        for bit, name in _FLAG_TEXT:
            if name == word:
                flags |= bit
                break
        else:
            raise ValueError("unknown node flag %r" % word)
    return flags


_RUN_OF_ONES = re.compile("1+")
_NONZERO_BYTES = re.compile(rb"[^\x00]+")


def bitmap_ranges(bitmap) -> list:
    """[(start, end), ...] of the runs of set bits of a slot bitmap (bit j of byte j >> 3 is slot j):
    ``slot_ranges(node.slot_list())`` without a Python loop over every slot (CLUSTER NODES and nodes.conf
    are rewritten on every slot change of a reshard, and randomly allocated slots make thousands of runs).

    Only the stretches of non-zero bytes are looked at (a node's slots are usually a few ranges); each
    becomes its bits as text, slot order (``bin`` of the stretch as a little-endian integer, reversed),
    where a regex finds the runs of ones."""
    stretches = [(m.start(), m.group()) for m in _NONZERO_BYTES.finditer(bitmap)]
    if len(stretches) > 32:  # scattered slots: one pass over the whole bitmap is cheaper
        stretches = [(0, bytes(bitmap))]
    out = []
    for start, chunk in stretches:
        base = start * 8
        bits = bin(int.from_bytes(chunk, "little"))[:1:-1]  # bit 0 (the stretch's first slot) first
        out += [(base + m.start(), base + m.end() - 1) for m in _RUN_OF_ONES.finditer(bits)]
    return out


def slot_ranges(slot_list: list) -> list:
    """[(start, end), ...] of consecutive runs."""
    ranges = []
    start = prev = None
    for s in slot_list:
        if start is None:
            start = prev = s
        elif s == prev + 1:
            prev = s
        else:
            ranges.append((start, prev))
            start = prev = s
    if start is not None:
        ranges.append((start, prev))
    return ranges
