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
    for j in range(16384):
        if slots[j >> 3] >> (j & 7) & 1:
            sender_slots += 1
            owner = cs.slots[j]
            if owner is sender:
                cs.owner_not_claiming_slot.discard(j)
                continue
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
        elif cs.slots[j] is sender:
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
    for j in range(16384):
        if slots[j >> 3] >> (j & 7) & 1:
            owner = cs.slots[j]
            if owner is sender or cs.slot_unclaimed(j):
                continue
            if owner.config_epoch > sender_config_epoch:
                cs.log(now, "update-sent", sender, "node %s has old slots configuration, sending an UPDATE "
                       "message about %s" % (sender.name, owner.name))
                cs.send_update(sender.link, owner, now)
                break  # like Redis: one UPDATE per received packet


def _ranges_text(slots: list) -> str:
    from .nodes import slot_ranges

    return " ".join("%d" % a if a == b else "%d-%d" % (a, b) for a, b in slot_ranges(slots))
