"""Pub/sub commands (Redis: pubsub.c): SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB,
and the sharded SSUBSCRIBE SUNSUBSCRIBE SPUBLISH of Redis 7.0.

The registry of subscribers is the node's ``pubsub`` (:mod:`..server.pubsub`); each client keeps its
own ``channels`` / ``patterns`` / ``shard_channels`` sets.  Subscription confirmations are one reply
per channel, so these commands return them already encoded, joined (``Raw``) -- inside EXEC they then
land in the EXEC array as Redis's do.  In RESP2 a subscribed client may only run (P|S)SUBSCRIBE,
(P|S)UNSUBSCRIBE, PING, QUIT and RESET: the connection checks that before a command runs.

In cluster mode PUBLISH is delivered here and sent to every node over the bus; SPUBLISH (routed to the
slot's shard like a keyed command) is sent to the other nodes of my shard.  Messages from the bus
arrive through ``Node.pubsub_deliver`` and are only delivered locally.
"""

from __future__ import annotations

from ..errors import CommandError
from ..protocol.reply import NO_REPLY, Raw, Status
from ..store.glob import compile_pattern
from ..store.keyspace import now_ms
from .server import RESET_HOOKS
from .table import command


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def _msg(c, kind: bytes, name, count: int) -> bytes:
    """A (un)subscribe confirmation: ``[kind, name-or-null, count]``, a push in RESP3."""
    if name is None:
        name_b = b"_\r\n" if c.resp3 else b"$-1\r\n"
    else:
        name_b = _bulk(name)
    return b"%s3\r\n%s%s:%d\r\n" % (b">" if c.resp3 else b"*", _bulk(kind), name_b, count)


def _confirm(c, out: list):
    """The confirmations are pushes (CLIENT_PUSHING): sent even under CLIENT REPLY OFF / SKIP."""
    data = b"".join(out)
    if c.reply_mode == 0:
        return Raw(data)
    c._reply(Raw(b""))  # (a SKIP is still used up by this command)
    c.out.append(data)
    return NO_REPLY


def _subs_count(c) -> int:
    """clientSubscriptionsCount: channels + patterns (shard channels are counted apart)."""
    return len(c.channels) + len(c.patterns)


def _deny_blocking(c) -> bool:
    return getattr(c, "deny_blocking", False)


@command("subscribe")
def subscribe(c, argv):
    if _deny_blocking(c) and c.multi is None:
        raise CommandError("ERR SUBSCRIBE isn't allowed for a DENY BLOCKING client")
    ps = c.node.pubsub
    out = []
    for ch in argv[1:]:
        ps.subscribe(c, ch)
        out.append(_msg(c, b"subscribe", ch, _subs_count(c)))
    c.update_slow()
    return _confirm(c, out)


@command("psubscribe")
def psubscribe(c, argv):
    if _deny_blocking(c) and c.multi is None:
        raise CommandError("ERR PSUBSCRIBE isn't allowed for a DENY BLOCKING client")
    ps = c.node.pubsub
    out = []
    for p in argv[1:]:
        ps.psubscribe(c, p)
        out.append(_msg(c, b"psubscribe", p, _subs_count(c)))
    c.update_slow()
    return _confirm(c, out)


@command("ssubscribe")
def ssubscribe(c, argv):
    if _deny_blocking(c):
        raise CommandError("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
    ps = c.node.pubsub
    out = []
    for ch in argv[1:]:
        ps.subscribe(c, ch, True)
        out.append(_msg(c, b"ssubscribe", ch, len(c.shard_channels)))
    c.update_slow()
    return _confirm(c, out)


def _unsubscribe(c, argv, kind: bytes, current: set, remove, count) -> Raw:
    out = []
    if len(argv) == 1:
        names = list(current)
        for ch in names:
            remove(c, ch)
            out.append(_msg(c, kind, ch, count(c)))
        if not names:  # subscribed to nothing: still one reply
            out.append(_msg(c, kind, None, count(c)))
    else:
        for ch in argv[1:]:
            remove(c, ch)
            out.append(_msg(c, kind, ch, count(c)))
    c.update_slow()
    return _confirm(c, out)


@command("unsubscribe")
def unsubscribe(c, argv):
    ps = c.node.pubsub
    return _unsubscribe(c, argv, b"unsubscribe", c.channels, ps.unsubscribe, _subs_count)


@command("punsubscribe")
def punsubscribe(c, argv):
    ps = c.node.pubsub
    return _unsubscribe(c, argv, b"punsubscribe", c.patterns, ps.punsubscribe, _subs_count)


@command("sunsubscribe")
def sunsubscribe(c, argv):
    ps = c.node.pubsub
    return _unsubscribe(c, argv, b"sunsubscribe", c.shard_channels, lambda cl, ch: ps.unsubscribe(cl, ch, True),
                        lambda cl: len(cl.shard_channels))


def _propagate(node, channel: bytes, message: bytes, sharded: bool) -> None:
    """clusterPropagatePublish."""
    cluster = node.cluster
    if cluster is not None:
        cluster.publish(channel, message, now_ms(), sharded)
        node.bus.wake()


@command("publish")
def publish(c, argv):
    node = c.node
    n = node.pubsub.publish(argv[1], argv[2])
    _propagate(node, argv[1], argv[2], False)
    if not node.cluster_enabled:
        node.propagate_to_replicas(c, argv)
    return n


@command("spublish")
def spublish(c, argv):
    node = c.node
    n = node.pubsub.publish(argv[1], argv[2], True)
    _propagate(node, argv[1], argv[2], True)
    if not node.cluster_enabled:
        node.propagate_to_replicas(c, argv)
    return n


# -- PUBSUB -----------------------------------------------------------------------------------------

PUBSUB_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


def _syntax(argv):
    return CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB HELP."
                        % argv[1].decode("latin-1"))


def _channel_list(argv, reg: dict) -> list:
    if len(argv) > 3:
        raise _syntax(argv)
    if len(argv) == 2:
        return list(reg)
    match = compile_pattern(argv[2])
    return [ch for ch in reg if match(ch)]


@command("pubsub|help")
def pubsub_help(c, argv):
    return [Status(line) for line in PUBSUB_HELP]


@command("pubsub|channels")
def pubsub_channels(c, argv):
    return _channel_list(argv, c.node.pubsub.channels)


@command("pubsub|shardchannels")
def pubsub_shardchannels(c, argv):
    return _channel_list(argv, c.node.pubsub.shard_channels)


@command("pubsub|numpat")
def pubsub_numpat(c, argv):
    return len(c.node.pubsub.patterns)


def _numsub(argv, reg: dict) -> list:
    out = []
    for ch in argv[2:]:
        out.append(ch)
        subs = reg.get(ch)
        out.append(len(subs) if subs else 0)
    return out


@command("pubsub|numsub")
def pubsub_numsub(c, argv):
    return _numsub(argv, c.node.pubsub.channels)


@command("pubsub|shardnumsub")
def pubsub_shardnumsub(c, argv):
    return _numsub(argv, c.node.pubsub.shard_channels)


# -- per-client cleanup -----------------------------------------------------------------------------

def _reset(c) -> None:
    """RESET: pubsubUnsubscribeAll* without notifications."""
    if c.channels or c.patterns or c.shard_channels:
        c.node.pubsub.client_gone(c)
        c.update_slow()


RESET_HOOKS.append(_reset)
