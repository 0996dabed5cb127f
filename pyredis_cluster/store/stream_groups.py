"""Consumer groups of a stream (Redis: streamCG, streamConsumer, streamNACK in stream.h)."""

from __future__ import annotations

from sortedcontainers import SortedDict


class Nack:
    """A pending entry: its owner, last delivery time (ms) and delivery count."""

    __slots__ = ("consumer", "delivery_time", "delivery_count")

    def __init__(self, consumer, delivery_time: int, delivery_count: int = 1):
        self.consumer = consumer
        self.delivery_time = delivery_time
        self.delivery_count = delivery_count


class Consumer:
    __slots__ = ("name", "seen_time", "pel")

    def __init__(self, name: bytes, seen_time: int):
        self.name = name
        self.seen_time = seen_time
        self.pel = SortedDict()  # id -> Nack (shared with the group's PEL)


class Group:
    __slots__ = ("last_id", "entries_read", "pel", "consumers")

    def __init__(self, last_id, entries_read: int):
        self.last_id = last_id
        self.entries_read = entries_read  # -1: SCG_INVALID_ENTRIES_READ
        self.pel = SortedDict()  # id -> Nack
        self.consumers = SortedDict()  # name -> Consumer (rax order: bytewise)

    def dup(self):
        g = Group(self.last_id, self.entries_read)
        for name, c in self.consumers.items():
            nc = Consumer(name, c.seen_time)
            g.consumers[name] = nc
            for eid, nack in c.pel.items():
                nn = Nack(nc, nack.delivery_time, nack.delivery_count)
                nc.pel[eid] = nn
                g.pel[eid] = nn
        for eid, nack in self.pel.items():
            if eid not in g.pel:
                g.pel[eid] = Nack(None, nack.delivery_time, nack.delivery_count)
        return g


def estimate_distance(s, eid) -> int:
    """streamEstimateDistanceFromFirstEverEntry: the entries_read a group at ``eid`` has, or -1."""
    if not s.entries_added:
        return 0
    if not s.length and eid < s.last_id:
        return s.entries_added
    if eid == s.last_id:
        return s.entries_added
    if eid > s.last_id:
        return -1
    from .stream import MIN_ID
    if s.max_deleted == MIN_ID or s.max_deleted < s.first_id:
        if eid < s.first_id:
            return s.entries_added - s.length
        if eid == s.first_id:
            return s.entries_added - s.length + 1
    return -1
