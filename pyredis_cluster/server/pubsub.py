"""The node's pub/sub registry (Redis: pubsub.c ``server.pubsub_channels`` / ``pubsub_patterns`` /
``pubsubshard_channels``) and keyspace notifications (notify.c).

Each registry maps a channel (or a pattern) to the clients subscribed to it, in subscription order
(an insertion-ordered ``dict`` used as a set: O(1) removal anywhere).  The client keeps its own side in
``client.channels`` / ``client.patterns`` / ``client.shard_channels`` (sets read by
``Client.update_slow`` and CLIENT LIST).

Messages are encoded once per protocol and written to each receiver: appended to its pending replies
when it is in the middle of running commands (so that the order of its replies is kept), written to
its transport at once otherwise.  Nothing here propagates to the cluster: PUBLISH does that itself
(``node.cluster.publish``), and messages from the bus come in through :meth:`PubSub.publish`.
"""

from __future__ import annotations

from ..cluster.slots import key_hash_slot
from ..store.glob import compile_pattern

_MESSAGE = b"$7\r\nmessage\r\n"
_SMESSAGE = b"$8\r\nsmessage\r\n"
_PMESSAGE = b"$8\r\npmessage\r\n"


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def _deliver(client, resp2: bytes, resp3: bytes) -> None:
    if client.closing:  # (CLIENT REPLY OFF does not silence pushes: CLIENT_PUSHING)
        return
    data = resp3 if client.resp3 else resp2
    if client.out:  # it is running commands now: keep its replies in order
        client.out.append(data)
    else:
        client.send_push(data)


class PubSub:
    def __init__(self, node):
        self.node = node
        self.channels: dict = {}  # channel -> {client: None}
        self.patterns: dict = {}  # pattern -> {client: None}
        self.shard_channels: dict = {}  # shard channel -> {client: None}
        self._matchers: dict = {}  # pattern -> compiled matcher

    # -- subscriptions ---------------------------------------------------------------------------

    def subscribe(self, client, channel: bytes, shard: bool = False) -> bool:
        """pubsubSubscribeChannel: True if newly subscribed."""
        mine = client.shard_channels if shard else client.channels
        if channel in mine:
            return False
        mine.add(channel)
        reg = self.shard_channels if shard else self.channels
        subs = reg.get(channel)
        if subs is None:
            reg[channel] = {client: None}
        else:
            subs[client] = None
        return True

    def unsubscribe(self, client, channel: bytes, shard: bool = False) -> bool:
        """pubsubUnsubscribeChannel: True if the client was subscribed."""
        mine = client.shard_channels if shard else client.channels
        if channel not in mine:
            return False
        mine.discard(channel)
        reg = self.shard_channels if shard else self.channels
        subs = reg.get(channel)
        if subs is not None:
            subs.pop(client, None)
            if not subs:
                del reg[channel]
        return True

    def psubscribe(self, client, pattern: bytes) -> bool:
        if pattern in client.patterns:
            return False
        client.patterns.add(pattern)
        subs = self.patterns.get(pattern)
        if subs is None:
            self.patterns[pattern] = {client: None}
            self._matchers[pattern] = compile_pattern(pattern)
        else:
            subs[client] = None
        return True

    def punsubscribe(self, client, pattern: bytes) -> bool:
        if pattern not in client.patterns:
            return False
        client.patterns.discard(pattern)
        subs = self.patterns.get(pattern)
        if subs is not None:
            subs.pop(client, None)
            if not subs:
                del self.patterns[pattern]
                self._matchers.pop(pattern, None)
        return True

    def client_gone(self, client) -> None:
        """A closed (or RESET) client leaves every channel, pattern and shard channel silently."""
        for ch in list(client.channels):
            self.unsubscribe(client, ch)
        for ch in list(client.shard_channels):
            self.unsubscribe(client, ch, True)
        for p in list(client.patterns):
            self.punsubscribe(client, p)

    # -- publishing ------------------------------------------------------------------------------

    def publish(self, channel: bytes, message: bytes, shard: bool = False) -> int:
        """pubsubPublishMessage: deliver locally; the number of receivers."""
        receivers = 0
        subs = (self.shard_channels if shard else self.channels).get(channel)
        if subs:
            tail = _bulk(channel) + _bulk(message)
            kind = _SMESSAGE if shard else _MESSAGE
            r2 = b"*3\r\n" + kind + tail
            r3 = b">3\r\n" + kind + tail
            for c in list(subs):
                _deliver(c, r2, r3)
                receivers += 1
        if shard or not self.patterns:
            return receivers
        tail = None
        for pattern, subs in list(self.patterns.items()):
            if not self._matchers[pattern](channel):
                continue
            if tail is None:
                tail = _bulk(channel) + _bulk(message)
            head = _PMESSAGE + _bulk(pattern)
            r2 = b"*4\r\n" + head + tail
            r3 = b">4\r\n" + head + tail
            for c in list(subs):
                _deliver(c, r2, r3)
                receivers += 1
        return receivers

    def has_subscribers(self) -> bool:
        return bool(self.channels or self.patterns)

    # -- cluster: shard channels of a slot I no longer serve -------------------------------------

    def unsubscribe_slot(self, slot: int) -> None:
        """removeChannelsInSlot: every client subscribed to a shard channel of ``slot`` is unsubscribed
        from it with an ``sunsubscribe`` message (the cluster core calls this when a slot leaves my
        shard)."""
        if not self.shard_channels:
            return
        for channel in sorted(ch for ch in self.shard_channels if key_hash_slot(ch) == slot):  # rax order
            for c in list(self.shard_channels.get(channel, ())):
                c.shard_channels.discard(channel)
                count = len(c.shard_channels)
                msg = b"$12\r\nsunsubscribe\r\n" + _bulk(channel) + b":%d\r\n" % count
                _deliver(c, b"*3\r\n" + msg, b">3\r\n" + msg)
                c.update_slow()
            self.shard_channels.pop(channel, None)

    # -- keyspace notifications (notify.c) -------------------------------------------------------

    def notify(self, flags: int, event: bytes, key: bytes, dbid: int) -> None:
        """notifyKeyspaceEvent, the class already checked against ``flags``."""
        if not (self.channels or self.patterns):
            return
        if flags & 1:  # NOTIFY_KEYSPACE
            self.publish(b"__keyspace@%d__:%s" % (dbid, key), event)
        if flags & 2:  # NOTIFY_KEYEVENT
            self.publish(b"__keyevent@%d__:%s" % (dbid, event), key)
