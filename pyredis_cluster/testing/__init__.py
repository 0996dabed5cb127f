"""Controllable clusters for tests (docs/testing.md).

* :func:`start_cluster` -- a real cluster (in-process Node objects or pyredis-server processes) with a
  handle to break it on purpose: kill, restart, pause, partition, heal, delay_bus, isolate_clients,
  failover, migrate_slot, inject, wait_stable, wait_for, events;
* ``start_cluster(mode="sim")`` -- the same API on the deterministic simulation (:mod:`.simulation`):
  virtual clock, seeded, ``step()`` / ``advance(ms)``;
* the pytest plugin (:mod:`.pytest_plugin`): the ``redis_cluster`` fixtures and marker.
"""

from .cluster import (ClusterEvent, InProcessCluster, Migration, NodeRef, ProcessCluster, free_port, keys_in_slot,
                      slot_of, start_cluster, tag_for_slot)
from .resp import ReplyError

__all__ = ["start_cluster", "InProcessCluster", "ProcessCluster", "NodeRef", "ClusterEvent", "Migration",
           "ReplyError", "free_port", "keys_in_slot", "slot_of", "tag_for_slot"]
