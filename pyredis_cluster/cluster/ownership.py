"""Slot ownership from heartbeats and UPDATE messages (Redis: clusterUpdateSlotsConfigWith and the
UPDATE logic of clusterProcessPacket).

The rule is "the highest configEpoch wins": a master advertising a slot takes it when the slot is
unbound, its owner stopped claiming it, or the owner's configEpoch is lower.  Slots being imported are
left alone (only CLUSTER SETSLOT closes them).  When I lose my last slot to a node -- I was failed over
-- I become its replica.  And when a node advertises slots that I know belong to someone with a
higher configEpoch, I send it an UPDATE, so that a master returning from a partition learns at once
that it was replaced.
"""

from __future__ import annotations


def update_slots_config_with(cs, sender, sender_config_epoch: int, slots: bytes, now: int) -> None:
    """clusterUpdateSlotsConfigWith."""
    from .state import TODO_FSYNC_CONFIG, TODO_SAVE_CONFIG, TODO_UPDATE_STATE

    me = cs.myself
    curmaster = me if me.is_master else me.replicaof
    if sender is me:
        cs.log(now, "update", me, "discarding UPDATE message about myself")
        return
    newmaster = None
    dirty_slots = []
    sender_slots = migrated_our_slots = 0
    changed = []
    # Only the slots where the sender's claim and my view of its slots differ can change (a reshard
    # makes every node run this for every heartbeat of a node whose slots moved: no 16384-slot loop).
    claimed = int.from_bytes(slots, "little")
    held = int.from_bytes(sender.slots, "little")  # the slots I think it serves (cs.slots[j] is sender)
    sender_slots = bin(claimed).count("1")
    if cs.owner_not_claiming_slot:
        for j in [j for j in cs.owner_not_claiming_slot if claimed >> j & held >> j & 1]:
            cs.owner_not_claiming_slot.discard(j)  # it claims it again
    for j in _set_bits(claimed ^ held):
        if claimed >> j & 1:
            owner = cs.slots[j]
            if j in cs.importing_slots_from:
                continue
            if cs.slot_unclaimed(j) or owner.config_epoch < sender_config_epoch:
                if owner is me and cs.host.count_keys_in_slot(j) and sender is not me:
                    dirty_slots.append(j)
                if owner is not None and owner is curmaster:
                    newmaster = sender
                    migrated_our_slots += 1
                cs.del_slot(j)
                cs.add_slot(sender, j)
                cs.owner_not_claiming_slot.discard(j)
                changed.append(j)
                cs.todo(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG)
        else:  # mine says it serves the slot, it does not claim it any more
            cs.owner_not_claiming_slot.add(j)
    if changed:
        cs.log(now, "slots", sender, "%d slots now served by %s (configEpoch %d): %s"
               % (len(changed), sender.name, sender_config_epoch, _ranges_text(changed)))
    if newmaster is not None and curmaster.numslots == 0 and (
            cs.config.allow_replica_migration or sender_slots == migrated_our_slots):
        cs.log(now, "role", sender, "configuration change detected: reconfiguring myself as a replica of %s"
               % sender.name)
        cs.set_my_master(sender, now)
        cs.todo(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG)
    elif (me.replicaof is not None and me.replicaof.replicaof is not None
          and me.replicaof.replicaof is not me):
        grand = me.replicaof.replicaof
        cs.log(now, "role", grand, "I'm a sub-replica: reconfiguring myself as a replica of grandmaster %s"
               % grand.name)
        cs.set_my_master(grand, now)
        cs.todo(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG)
    elif dirty_slots:
        for j in dirty_slots:
            cs.host.delete_keys_in_slot(j)


def send_update_if_stale(cs, sender, sender_config_epoch: int, slots: bytes, now: int) -> None:
    """The sender claims slots that belong to a node with a greater configEpoch: tell it."""
    held = int.from_bytes(sender.slots, "little")
    for j in _set_bits(int.from_bytes(slots, "little") & ~held):  # claimed, and not its own in my view
        if cs.slot_unclaimed(j):
            continue
        owner = cs.slots[j]
        if owner.config_epoch > sender_config_epoch:
            cs.log(now, "update-sent", sender, "node %s has old slots configuration, sending an UPDATE "
                   "message about %s" % (sender.name, owner.name))
            cs.send_update(sender.link, owner, now)
            break  # like Redis: one UPDATE per received packet


def _set_bits(x: int):
    """The positions of the set bits of ``x``, ascending (slot numbers of a slot bitmap)."""
    data = x.to_bytes(2048, "little")
    for i, byte in enumerate(data):
        if byte:
            base = i << 3
            for b in range(8):
                if byte >> b & 1:
                    yield base + b


def _ranges_text(slots: list) -> str:
    from .nodes import slot_ranges

    return " ".join("%d" % a if a == b else "%d-%d" % (a, b) for a, b in slot_ranges(slots))
