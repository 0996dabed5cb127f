"""bitmap_ranges (CLUSTER NODES / nodes.conf slot ranges straight from a node's slot bitmap) against the
plain definition, on the shapes a cluster produces: none, all, one, contiguous blocks and the thousands
of runs of Redis's test suite (cluster_allocate_slots gives every slot to a random master)."""

from __future__ import annotations

import random

from pyredis_cluster.cluster.nodes import bitmap_ranges, slot_ranges
from pyredis_cluster.cluster.slots import CLUSTER_SLOTS


def _bitmap(slots) -> bytearray:
    bm = bytearray(CLUSTER_SLOTS // 8)
    for s in slots:
        bm[s >> 3] |= 1 << (s & 7)
    return bm


def test_bitmap_ranges_matches_slot_ranges():
    rng = random.Random(7)
    cases = [[], list(range(CLUSTER_SLOTS)), [0], [CLUSTER_SLOTS - 1], list(range(5461, 10923)),
             [7, 8, 15, 16, 17, 4095, 4096]]
    for owners in (2, 5, 10):
        cases.append([s for s in range(CLUSTER_SLOTS) if rng.randrange(owners) == 0])
    for slots in cases:
        assert bitmap_ranges(_bitmap(slots)) == slot_ranges(slots)
