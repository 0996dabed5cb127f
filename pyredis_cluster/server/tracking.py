"""Client side caching: CLIENT TRACKING and its invalidation messages (Redis: tracking.c).

Default mode: the keys a tracking client read (readonly commands) are remembered in one table for all
databases, key -> ids of the clients that may cache it; when a key is modified (signalModifiedKey) each
of those clients gets an ``invalidate`` message once, and the key is forgotten.  BCAST mode: clients
subscribe to key prefixes; the keys modified under a prefix are collected and sent to its clients once
per event-loop turn (trackingBroadcastInvalidationMessages in beforeSleep).  A flush sends a null.

Messages go as RESP3 pushes (``>2 invalidate [keys]``), or, with REDIRECT to a client subscribed in
RESP2, as Pub/Sub messages of the ``__redis__:invalidate`` channel.
"""

from __future__ import annotations

import itertools

_CHANNEL = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
_PUSH = b">2\r\n$10\r\ninvalidate\r\n"
_NULL = {False: b"$-1\r\n", True: b"_\r\n"}  # shared.null[resp]


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def _id_order(cid: int) -> bytes:
    return cid.to_bytes(8, "little")  # rax order of memcpy'd 64-bit ids (little-endian host)


class Tracking:
    def __init__(self, node):
        self.node = node
        self.active = False  # TrackingTable != NULL: some client enabled tracking once
        self.table: dict = {}  # key -> {client id}
        self.items = 0  # TrackingTableTotalItems
        self.prefixes: dict = {}  # prefix -> [{client: None} (subscribed clients), {key: client who changed it}]
        self.clients = 0  # server.tracking_clients
        self.current = None  # the client running a command (server.current_client while executing)
        self.pending: list = []  # server.tracking_pending_keys: key, or None for a flush
        self._bcast_scheduled = False

    # -- enabling ------------------------------------------------------------------------------

    def enable(self, c, redir: int, bcast: bool, optin: bool, optout: bool, noloop: bool, prefixes) -> None:
        """enableTracking"""
        if not c.tracking:
            self.clients += 1
        c.tracking = True
        c.tracking_broken = c.tracking_bcast = c.tracking_optin = c.tracking_optout = False
        c.tracking_noloop = False
        c.tracking_redir = redir
        self.active = True
        if bcast:
            c.tracking_bcast = True
            for p in (prefixes or [b""]):
                self._enable_prefix(c, p)
        c.tracking_optin = optin
        c.tracking_optout = optout
        c.tracking_noloop = noloop
        c.update_slow()

    def _enable_prefix(self, c, prefix: bytes) -> None:
        """enableBcastTrackingForPrefix"""
        bs = self.prefixes.get(prefix)
        if bs is None:
            bs = self.prefixes[prefix] = [{}, {}]
        if c not in bs[0]:
            bs[0][c] = None
            if c.tracking_prefixes is None:
                c.tracking_prefixes = set()
            c.tracking_prefixes.add(prefix)

    def disable(self, c) -> None:
        """disableTracking"""
        if c.tracking_bcast and c.tracking_prefixes:
            for p in c.tracking_prefixes:
                bs = self.prefixes.get(p)
                if bs is not None:
                    bs[0].pop(c, None)
                    if not bs[0]:
                        del self.prefixes[p]
            c.tracking_prefixes = None
        if c.tracking:
            self.clients -= 1
            c.tracking = c.tracking_broken = c.tracking_bcast = False
            c.tracking_optin = c.tracking_optout = c.tracking_caching = c.tracking_noloop = False
            c.update_slow()

    @staticmethod
    def prefix_collision(c, prefixes) -> str | None:
        """checkPrefixCollisionsOrReply: the error, or None."""
        for i, p in enumerate(prefixes):
            for q in sorted(c.tracking_prefixes or ()):
                n = min(len(p), len(q))
                if p[:n] == q[:n]:
                    return ("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client "
                            "must not overlap." % (p.decode("latin-1"), q.decode("latin-1")))
            for q in prefixes[i + 1:]:
                n = min(len(p), len(q))
                if p[:n] == q[:n]:
                    return ("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single "
                            "client must not overlap." % (p.decode("latin-1"), q.decode("latin-1")))
        return None

    # -- remembering and invalidating ------------------------------------------------------------

    def remember_keys(self, c, cmd, argv) -> None:
        """trackingRememberKeys: after a readonly command of a tracking (not BCAST) client."""
        if (c.tracking_optin and not c.tracking_caching) or (c.tracking_optout and c.tracking_caching):
            return
        try:
            idx = cmd.get_keys(argv)
        except Exception:
            return
        if not idx or "pubsub" in cmd.flags:
            return
        table = self.table
        cid = c.id
        for i in idx:
            key = argv[i]
            ids = table.get(key)
            if ids is None:
                ids = table[key] = set()
            if cid not in ids:
                ids.add(cid)
                self.items += 1

    def invalidate_key(self, key: bytes, bcast: bool = True, expired: bool = False) -> None:
        """trackingInvalidateKey (called by signalModifiedKey).  An expired key was changed by no client:
        BCAST NOLOOP clients hear of it even if their own command expired it."""
        current = self.current
        if bcast and self.prefixes:
            self._remember_for_broadcast(None if expired else current, key)
        ids = self.table.pop(key, None)
        if ids is None:
            return
        self.items -= len(ids)
        clients = self.node.clients
        for cid in sorted(ids, key=_id_order):
            target = clients.get(cid)
            if target is None or not target.tracking or target.tracking_bcast:
                continue
            if target is current:
                if target.tracking_noloop:
                    continue
                self.pending.append(key)  # sent after the command's reply
            else:
                self.send(target, b"*1\r\n" + _bulk(key))

    _limit_effort_runs = 0

    def limit_used_slots(self) -> None:
        """trackingLimitUsedSlots (cron): over tracking-table-max-keys, keys are dropped from the table,
        their clients told as if they changed; 100 keys a run, 100 more each run that was not enough."""
        max_keys = self.node.config["tracking-table-max-keys"]
        table = self.table
        if not max_keys or len(table) <= max_keys:
            self._limit_effort_runs = 0
            return
        effort = 100 * (self._limit_effort_runs + 1)
        for key in list(itertools.islice(table, effort)):
            self.invalidate_key(key, bcast=False)
            if len(table) <= max_keys:
                self._limit_effort_runs = 0
                return
        self._limit_effort_runs += 1

    def on_flush(self) -> None:
        """trackingInvalidateKeysOnFlush: a null to every tracking client; the table is emptied."""
        if self.clients:
            for c in list(self.node.clients.values()):
                if getattr(c, "tracking", False):
                    if c is self.current:
                        self.pending.append(None)
                    else:
                        self.send(c, _NULL[c.resp3])
        if self.active:
            self.table = {}
            self.items = 0

    def after_command(self, c) -> None:
        """trackingHandlePendingKeyInvalidations (afterCommand, at the top-most call)."""
        pending, self.pending = self.pending, []
        if c.closing:
            return
        for key in pending:
            self.send(c, b"*1\r\n" + _bulk(key) if key is not None else _NULL[c.resp3])

    def send(self, c, proto: bytes) -> None:
        """sendTrackingMessage: ``proto`` is the value (an array of keys, or a null)."""
        redirected = False
        if c.tracking_redir:
            r = self.node.clients.get(c.tracking_redir)
            if r is None:
                c.tracking_broken = True
                if c.resp3:
                    self._deliver(c, b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % c.tracking_redir)
                return
            c = r
            redirected = True
        if c.resp3:
            self._deliver(c, _PUSH + proto)
        elif redirected and (c.channels or c.patterns or c.shard_channels):
            self._deliver(c, _CHANNEL + proto)

    def _deliver(self, c, data: bytes) -> None:
        if c.closing:
            return
        if c is self.current or c.out:  # running a command now: after what it already has
            c.out.append(data)
        else:
            c.send_push(data)

    # -- BCAST -----------------------------------------------------------------------------------

    def _remember_for_broadcast(self, c, key: bytes) -> None:
        """trackingRememberKeyToBroadcast"""
        added = False
        for prefix, bs in self.prefixes.items():
            if key.startswith(prefix):
                bs[1][key] = c
                added = True
        if added and not self._bcast_scheduled:
            loop = getattr(self.node, "loop", None)
            if loop is None:
                return  # (no event loop: sent by the next broadcast() call)
            self._bcast_scheduled = True
            loop.call_soon(self.broadcast)

    def broadcast(self) -> None:
        """trackingBroadcastInvalidationMessages (beforeSleep)."""
        self._bcast_scheduled = False
        if not self.clients:
            for bs in self.prefixes.values():
                bs[1] = {}
            return
        for prefix in sorted(self.prefixes):
            bs = self.prefixes[prefix]
            keys = bs[1]
            if keys:
                proto = self._bcast_reply(None, keys)
                for c in list(bs[0]):
                    if c.tracking_noloop:
                        adhoc = self._bcast_reply(c, keys)
                        if adhoc is not None:
                            self.send(c, adhoc)
                    else:
                        self.send(c, proto)
            bs[1] = {}

    @staticmethod
    def _bcast_reply(c, keys: dict):
        """trackingBuildBroadcastReply: the keys (in rax order), without those ``c`` changed itself."""
        ks = [k for k in sorted(keys) if c is None or keys[k] is not c]
        if c is not None and not ks:
            return None
        return b"*%d\r\n" % len(ks) + b"".join(_bulk(k) for k in ks)
