"""Clients blocked on keys (Redis: blocked.c).

A blocking command that finds nothing to serve (BLPOP on empty lists ...) calls :meth:`Blocking.block`:
the client is appended to the FIFO of waiters of each of its keys, its ``blocked`` attribute holds a
:class:`BlockedState`, and the command answers nothing (``NO_REPLY``).  The connection then stops running
the client's further commands: they wait in ``client.paused_queue``.

The client is released in one of four ways, each ending in :meth:`Blocking.unblock`:

* **a key becomes ready** -- commands that create a key the waiters may pop from (LPUSH on a new key,
  LMOVE's destination ...) call :meth:`Blocking.signal` (Redis: ``signalKeyAsReady``).  That only
  records ``(db, key)`` in :attr:`Blocking.ready`; the connection calls :meth:`Blocking.serve_ready`
  after each top-level command it executed (``handleClientsBlockedOnKeys``), so pushes inside
  MULTI/EXEC are served once EXEC is over.  For each ready key the waiters are tried in the order they
  blocked; each one's ``serve`` callback pops what it needs and returns its reply (or ``None`` to keep
  waiting, e.g. the key now holds another type), until the key is gone;
* **its timeout expires** -- a timer on the event loop replies the state's ``timeout_reply`` (a null
  array for the list commands); timeout 0 waits forever;
* **CLIENT UNBLOCK id [TIMEOUT|ERROR]** -- :meth:`BlockedState.client_unblock` (called by admin's
  CLIENT UNBLOCK) replies as on timeout or with ``-UNBLOCKED client unblocked via CLIENT UNBLOCK``;
* **the connection closes** -- :meth:`Blocking.client_gone` forgets the client without a trace.

The reply is written at once with the client's ``flush()``; the commands it pipelined behind the
blocking one run on the next loop turn (Redis: ``processUnblockedClients`` in beforeSleep), never from
inside another client's command.

Other families use the same machinery: ``block(client, db, keys, timeout_ms, serve, data)`` with their
own ``serve(client, state, key)``; commands that create keys by other means (RENAME, MOVE, COPY,
RESTORE, SORT ... STORE) call ``node.blocking.signal(db, key)`` like Redis's ``dbAdd`` does.
"""

from __future__ import annotations

import asyncio
import time

from ..protocol.reply import NULL_ARRAY, Raw, encode, error_bytes
from .latency_hist import record as record_latency

UNBLOCKED_ERROR = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

# Timeouts longer than this are treated as "forever": Redis adds them to the current time in a 64-bit
# integer, which wraps for the absurd ones, and no event loop timer should be asked to wait centuries.
MAX_TIMER_MS = 100 * 365 * 86400 * 1000


class BlockedState:
    """What a blocked client waits for (Redis: ``client->bpop``); lives in ``client.blocked``."""

    __slots__ = ("client", "db", "keys", "serve", "data", "timeout_ms", "timer", "timeout_reply", "cmd", "t0",
                 "argv")

    def __init__(self, client, db, keys, serve, data, timeout_ms, timeout_reply, cmd):
        self.client = client
        self.db = db
        self.keys = keys  # distinct keys, in the order given
        self.serve = serve  # serve(client, state, key) -> reply value, or None to keep waiting
        self.data = data  # the command's own parameters (where to pop, destination, count ...)
        self.timeout_ms = timeout_ms  # 0: forever
        self.timer = None
        self.timeout_reply = timeout_reply
        self.cmd = cmd  # the blocked Command (statistics), or None
        self.t0 = time.perf_counter()  # (latency-tracking: a blocked command's time runs until it is served)
        self.argv = None  # the blocked command (SLOWLOG, when served)

    def client_unblock(self, client, as_error: bool) -> bool:
        """CLIENT UNBLOCK (admin.py calls this): reply as on timeout, or with the UNBLOCKED error."""
        blocking = client.node.blocking
        if as_error:
            client.node.stats.error(UNBLOCKED_ERROR)
            if self.cmd is not None:
                self.cmd.failed_calls += 1
            blocking.unblock(client, Raw(error_bytes(UNBLOCKED_ERROR)))
        else:
            blocking.unblock(client, self.timeout_reply)
        return True

    def __repr__(self):
        return "<BlockedState client=%s keys=%r>" % (getattr(self.client, "id", "?"), self.keys)


class Blocking:
    """The node's blocked clients: keys -> FIFO of waiting clients per db, and the ready keys."""

    def __init__(self, node):
        self.node = node
        # (db id, key) -> {client: None}: insertion order is the FIFO order, O(1) removal anywhere
        self.waiting: dict = {}
        # (db, key) signalled since the last serve_ready().  The list object is never replaced: the
        # connection's hot loop keeps a reference and tests its truthiness after every command.
        self.ready: list = []
        self._ready_set: set = set()  # (db id, key) already in ``ready``
        self.blocked_clients = 0  # INFO clients: blocked_clients
        self.in_timeout_table = 0  # INFO clients: clients_in_timeout_table
        self._serving = False

    # -- blocking ---------------------------------------------------------------------------------

    def block(self, client, db, keys, timeout_ms: int, serve, data=None, timeout_reply=NULL_ARRAY,
              cmd=None, argv=None) -> BlockedState:
        """blockForKeys: make ``client`` wait for any of ``keys`` of ``db``.  Duplicate keys count once."""
        distinct = list(dict.fromkeys(keys))
        state = BlockedState(client, db, distinct, serve, data, timeout_ms, timeout_reply, cmd)
        state.argv = argv
        waiting = self.waiting
        for key in distinct:
            wk = (db.id, key)
            fifo = waiting.get(wk)
            if fifo is None:
                waiting[wk] = {client: None}
            else:
                fifo[client] = None
        if 0 < timeout_ms <= MAX_TIMER_MS:
            loop = self.node.loop or asyncio.get_event_loop()
            state.timer = loop.call_later(timeout_ms / 1000.0, self._timed_out, client, state)
            self.in_timeout_table += 1
        self.blocked_clients += 1
        client.blocked = state
        client.update_slow()
        return state

    def unblock(self, client, reply=None, served: bool = False) -> None:
        """unblockClient: forget the client's wait; write ``reply`` (a reply value, or Raw bytes) if
        given; its pipelined commands run on the next loop turn."""
        state = client.blocked
        if type(state) is not BlockedState:
            return
        waiting = self.waiting
        db_id = state.db.id
        for key in state.keys:
            wk = (db_id, key)
            fifo = waiting.get(wk)
            if fifo is not None:
                fifo.pop(client, None)
                if not fifo:
                    del waiting[wk]
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
            self.in_timeout_table -= 1
        self.blocked_clients -= 1
        client.blocked = None
        if state.cmd is not None and not client.closing and self.node.config.values["latency-tracking"]:
            record_latency(state.cmd, int((time.perf_counter() - state.t0) * 1e6))  # updateStatsOnUnblock
        if reply is not None and not client.closing:
            t_reply = time.perf_counter()  # (served: the reply was made just before)
            client._reply(reply if type(reply) is Raw else Raw(encode(reply, client.resp3)))
            client.flush()
            node = self.node
            if served and state.argv is not None and node.timing_threshold is not None:
                # updateStatsOnUnblock: the command goes to the SLOWLOG when served (7.0: not on timeout),
                # with the time it took to reply (not the time it waited), under its original arguments
                d = time.perf_counter() - t_reply
                if d >= node.timing_threshold:
                    node.timer.record(client, state.cmd, state.argv, d)
        client.update_slow()
        if client.paused_queue and not client.closing:
            loop = self.node.loop or asyncio.get_event_loop()
            loop.call_soon(_resume, client)

    def _timed_out(self, client, state) -> None:
        if client.blocked is state:
            state.timer = None
            self.in_timeout_table -= 1
            self.unblock(client, state.timeout_reply)

    def client_gone(self, client) -> None:
        """The connection of a blocked client closed: no reply, no trace."""
        if type(client.blocked) is BlockedState:
            self.unblock(client, None)

    def redirect_blocked(self, decide) -> int:
        """Cluster mode (Redis: clusterRedirectBlockedClientIfNeeded, from the cron): ``decide(client,
        state)`` returns the error line for a client whose keys' slot is no longer served here (MOVED,
        CLUSTERDOWN ...) or None; such clients are released with that error.  Returns how many."""
        released = 0
        for client in [c for fifo in self.waiting.values() for c in fifo]:
            state = client.blocked
            if type(state) is not BlockedState:
                continue
            err = decide(client, state)
            if err is not None:
                self.node.stats.error(err)
                self.unblock(client, Raw(error_bytes(err)))
                released += 1
        return released

    # -- ready keys -------------------------------------------------------------------------------

    def signal(self, db, key) -> None:
        """signalKeyAsReady: ``key`` of ``db`` may now serve waiting clients (called on creation)."""
        if not self.waiting:
            return
        wk = (db.id, key)
        if wk in self.waiting and wk not in self._ready_set:
            self._ready_set.add(wk)
            self.ready.append((db, key))

    def stream_gone(self, db, key, old_data=None, new_data=None) -> None:
        """A stream was deleted or overwritten (``key``), or the streams of ``old_data`` waited for in
        ``db`` are no stream in ``new_data`` (FLUSHDB, SWAPDB: scanDatabaseForDeletedStreams): signal
        them, so that blocked XREADGROUP clients are released."""
        if not self.waiting:
            return
        if key is not None:
            self.signal(db, key)
            return
        from ..store.stream import StreamValue
        for db_id, k in list(self.waiting):
            if db_id == db.id and type(old_data.get(k)) is StreamValue \
                    and type(new_data.get(k)) is not StreamValue:
                self.signal(db, k)

    def signal_db(self, db) -> None:
        """scanDatabaseForReadyKeys (SWAPDB): every waited-for key of ``db`` that now exists is ready
        (dictFind: an expired key counts; it is expired, and its DEL propagated, when served)."""
        if not self.waiting:
            return
        data = db.data
        for db_id, key in list(self.waiting):
            if db_id == db.id and key in data:
                self.signal(db, key)

    def serve_ready(self) -> None:
        """handleClientsBlockedOnKeys: serve the waiters of every ready key, first blocked first served,
        until the key is gone.  Keys signalled meanwhile (BLMOVE's destination) are served too."""
        if self._serving:  # never re-entered; the outer loop picks up new ready keys
            return
        self._serving = True
        try:
            ready = self.ready
            while ready:
                batch = ready[:]
                ready.clear()
                for db, key in batch:
                    wk = (db.id, key)
                    self._ready_set.discard(wk)
                    fifo = self.waiting.get(wk)
                    if not fifo:
                        continue
                    for client in list(fifo):
                        state = client.blocked
                        if type(state) is not BlockedState or client not in fifo:
                            continue
                        if db.peek(key) is None and not getattr(state.serve, "serves_deleted_keys", False):
                            continue  # emptied (and deleted) by the clients served before
                            # (a serve marked serves_deleted_keys answers a deleted key: XREADGROUP)
                        # the served client runs its command now: invalidations of keys it changes
                        # (BLMOVE's destination) reach it after its reply, as after any command
                        tracking = self.node.tracking
                        prev_current, prev_pending = tracking.current, tracking.pending
                        tracking.current, tracking.pending = client, []
                        try:
                            reply = state.serve(client, state, key)
                        except Exception as e:  # a bug must not break the command that woke the client
                            self.node.log.warning("Internal error serving a blocked client: %r" % (e,))
                            reply = Raw(error_bytes("ERR internal error: %s" % type(e).__name__))
                        finally:
                            mine = tracking.pending
                            tracking.current, tracking.pending = prev_current, prev_pending
                        if reply is not None:
                            self.unblock(client, reply, served=True)
                        if mine:
                            tracking.pending = mine
                            tracking.after_command(client)
                            tracking.pending = prev_pending
                    if self.node.pending_props:  # the key had expired: its DEL goes out now
                        self.node.flush_pending_props()
        finally:
            self._serving = False


def _resume(client) -> None:
    if not client.closing and client.blocked is None:
        client.resume()
