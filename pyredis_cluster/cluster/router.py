"""The one routing gate (DESIGN.md rule 5; Redis: getNodeByQuery + clusterRedirectClient).

Before a command with keys runs in cluster mode, :func:`route` decides: serve it here, or answer
MOVED / ASK / TRYAGAIN / CROSSSLOT / CLUSTERDOWN.  No other code redirects clients.

The decision, for all the keys of the command (or of every command queued in a MULTI, at EXEC):

1. the first key's slot fixes the owner; an unowned slot is ``CLUSTERDOWN Hash slot not served``;
2. every other key must hash to the same slot (``CROSSSLOT``);
3. a slot I am migrating away answers ``ASK`` for keys I no longer have (``TRYAGAIN`` if some of a
   multi-key request are here and some are gone); a slot I am importing serves clients that sent
   ASKING (``TRYAGAIN`` for multi-key requests with missing keys);
4. with the cluster down, ``CLUSTERDOWN`` (reads may be allowed by cluster-allow-reads-when-down);
5. a READONLY client may read from a replica of the slot's master;
6. otherwise a slot owned by another node answers ``MOVED``.
"""

from __future__ import annotations

from .slots import key_hash_slot
from .state import CLUSTER_OK

CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"
TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot"
DOWN_STATE = "CLUSTERDOWN The cluster is down"
DOWN_RO_STATE = "CLUSTERDOWN The cluster is down and only accepts read commands"
DOWN_UNBOUND = "CLUSTERDOWN Hash slot not served"

_PUBSUB_SHARD = ("ssubscribe", "sunsubscribe", "spublish")


def endpoint(cs, node) -> str:
    """clusterNodePreferredEndpoint."""
    kind = cs.config.preferred_endpoint_type
    if kind == "hostname":
        return node.hostname or "?"
    if kind == "unknown-endpoint":
        return ""
    return node.ip


def route(cs, cmd, argv, client, key_exists) -> str | None:
    """The error line to answer instead of running the command, or None to run it here.

    ``key_exists(key)`` tells whether a live key is held here (without touching it: no expiry, no
    statistics), for slots in migration."""
    me = cs.myself
    if cmd.name == "exec":
        if client.multi is None:
            return None
        commands = client.multi
    else:
        commands = ((cmd, argv),)
    is_pubsubshard = cmd.name in _PUBSUB_SHARD
    firstkey = None
    slot = 0
    n = None
    multiple_keys = migrating_slot = importing_slot = False
    missing_keys = existing_keys = 0
    for mcmd, margv in commands:
        for i in mcmd.get_keys(margv):
            key = margv[i]
            if firstkey is None:
                firstkey = key
                slot = key_hash_slot(key)
                n = cs.slots[slot]
                if n is None:
                    return DOWN_UNBOUND
                if n is me and slot in cs.migrating_slots_to:
                    migrating_slot = True
                elif slot in cs.importing_slots_from:
                    importing_slot = True
            elif key != firstkey:
                if key_hash_slot(key) != slot:
                    return CROSSSLOT
                multiple_keys = True
            if (migrating_slot or importing_slot) and not is_pubsubshard:
                # (a shard channel is served by the source until the slot is closed)
                if key_exists(key):
                    existing_keys += 1
                else:
                    missing_keys += 1
    if n is None:
        return None  # no keys at all
    if cs.state != CLUSTER_OK:
        if is_pubsubshard:
            if not cs.config.allow_pubsubshard_when_down:
                return DOWN_STATE
        elif not cs.config.allow_reads_when_down:
            return DOWN_STATE
        elif cmd.writes(client, argv):
            return DOWN_RO_STATE
    if (migrating_slot or importing_slot) and cmd.name == "migrate":
        return None
    if migrating_slot and missing_keys:
        if existing_keys:
            return TRYAGAIN
        target = cs.migrating_slots_to[slot]
        if target is me:  # "migrating" to myself: getNodeByQuery answers myself, so it is served
            return None
        return "ASK %d %s:%d" % (slot, endpoint(cs, target), target.port)
    if importing_slot and (client.asking or "asking" in cmd.flags):
        if multiple_keys and missing_keys:
            return TRYAGAIN
        return None
    is_write = any(c.writes(client, a) for c, a in commands)
    if (client.readonly or is_pubsubshard) and not is_write and me.is_replica and me.replicaof is n:
        return None
    if n is not me:
        return "MOVED %d %s:%d" % (slot, endpoint(cs, n), n.port)
    return None


def blocked_redirect(cs, keys, client) -> str | None:
    """clusterRedirectBlockedClientIfNeeded: the error that releases a client blocked on ``keys``
    (BLPOP ...) once the cluster is down or their slot is served elsewhere, or None to keep it waiting."""
    if cs.state != CLUSTER_OK:
        return DOWN_STATE
    if not keys:
        return None
    slot = key_hash_slot(keys[0])  # all the keys of a blocking command are in one slot
    node = cs.slots[slot]
    me = cs.myself
    last = getattr(client, "last_cmd_obj", None)
    if client.readonly and not (last is not None and last.is_write) and me.is_replica and me.replicaof is node:
        node = me
    if node is not me and slot not in cs.importing_slots_from:
        if node is None:
            return DOWN_UNBOUND
        return "MOVED %d %s:%d" % (slot, endpoint(cs, node), node.port)
    return None
