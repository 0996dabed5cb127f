"""Transactions (Redis: multi.c): MULTI EXEC DISCARD WATCH UNWATCH.

While ``client.multi`` is a list the connection queues every command (except EXEC DISCARD MULTI WATCH
QUIT RESET) as ``(Command, argv)`` and answers ``+QUEUED``; a command rejected while queuing (unknown,
wrong arity, not allowed in the pub/sub context, redirected ...) sets ``client.multi_error`` and EXEC
then answers ``-EXECABORT``.  EXEC runs the queued commands through the connection's ``call`` -- so
MONITOR, command statistics and errors are those of ordinary calls -- with ``deny_blocking`` set:
blocking commands answer like their non-blocking forms.  Keys made ready for blocked clients are served
once EXEC is over (the connection calls ``serve_ready`` after each top-level command).

WATCH (Redis 7.0 semantics): ``client.watched`` maps ``(db id, key)`` to whether the key was already
expired when it was watched; ``node.watched_keys`` maps the same pair to the watching clients.  Any
modification of the key (``Node.signal_modified``: writes by anyone, deletion, expiry, FLUSHALL /
FLUSHDB, SWAPDB) sets ``client.dirty_cas``, except the deletion of a key that was already expired when
watched ("logically no change").  EXEC also treats a watched key that has expired since WATCH as
touched (``isWatchedKeyExpired``).
"""

from __future__ import annotations

from ..errors import CommandError
from ..protocol.reply import NO_REPLY, NULL_ARRAY, OK, Raw
from ..store import keyspace
from ..store.keyspace import now_ms
from .server import RESET_HOOKS
from .table import command

EXECABORT = "EXECABORT Transaction discarded because of previous errors."


# -- WATCH bookkeeping ------------------------------------------------------------------------------

def _key_is_expired(db, key: bytes, now: int) -> bool:
    """keyIsExpired: the key exists and its TTL has passed (it is not deleted here)."""
    when = db.expires.get(key)
    return when is not None and when <= now and key in db.data


def watch_key(c, key: bytes) -> None:
    """watchForKey."""
    wk = (c.db.id, key)
    if c.watched is None:
        c.watched = {}
    elif wk in c.watched:
        return
    c.watched[wk] = _key_is_expired(c.db, key, now_ms())
    watchers = c.node.watched_keys.get(wk)
    if watchers is None:
        c.node.watched_keys[wk] = {c}
    else:
        watchers.add(c)


def unwatch_all(c) -> None:
    """unwatchAllKeys."""
    watched = c.watched
    if not watched:
        return
    registry = c.node.watched_keys
    for wk in watched:
        watchers = registry.get(wk)
        if watchers is not None:
            watchers.discard(c)
            if not watchers:
                del registry[wk]
    c.watched = None


def watched_key_expired(c) -> bool:
    """isWatchedKeyExpired: a key watched while alive has expired since (deleted or not)."""
    if not c.watched:
        return False
    now = now_ms()
    dbs = c.node.dbs
    for (dbid, key), was_expired in c.watched.items():
        if not was_expired and dbid < len(dbs) and _key_is_expired(dbs[dbid], key, now):
            return True
    return False


def discard_transaction(c) -> None:
    """discardTransaction: forget the queued commands, the error flags and the WATCHes."""
    c.multi = None
    c.multi_error = False
    c.dirty_cas = False
    unwatch_all(c)
    c.update_slow()


_REDIRECTS = ("MOVED ", "ASK ", "TRYAGAIN ", "CROSSSLOT ", "CLUSTERDOWN ")


def exec_abort(c, message: str, argv) -> str:
    """The error to answer when EXEC itself is rejected before running (connection.execute_slow).

    A cluster redirection just discards the transaction.  Any other rejection (wrong arity, NOAUTH,
    the RESP2 pub/sub context ...) is Redis's ``execCommandAbort``: the transaction is discarded (even
    without MULTI), the answer is ``EXECABORT Transaction discarded because of: <error without ERR>``
    and MONITOR still sees the EXEC."""
    discard_transaction(c)
    if message.startswith(_REDIRECTS):
        return message
    if message.startswith("ERR "):
        message = message[4:]
    node = c.node
    if node.monitors:
        node.feed_monitors(c, argv)
    return "EXECABORT Transaction discarded because of: " + message


# -- commands ---------------------------------------------------------------------------------------

@command("multi")
def multi(c, argv):
    if c.multi is not None:
        raise CommandError("ERR MULTI calls can not be nested")
    c.multi = []
    c.multi_error = False
    c.update_slow()
    return OK


@command("discard")
def discard(c, argv):
    if c.multi is None:
        raise CommandError("ERR DISCARD without MULTI")
    discard_transaction(c)
    return OK


@command("exec")
def exec_(c, argv):
    queued = c.multi
    if queued is None:
        raise CommandError("ERR EXEC without MULTI")
    if not c.dirty_cas and watched_key_expired(c):
        c.dirty_cas = True
    if c.multi_error:
        discard_transaction(c)
        raise CommandError(EXECABORT)
    if c.dirty_cas:
        discard_transaction(c)
        return NULL_ARRAY
    old_deny = getattr(c, "deny_blocking", False)
    c.deny_blocking = True  # CLIENT_DENY_BLOCKING: blocking commands must not block inside EXEC
    unwatch_all(c)
    c._reply(Raw(b"*%d\r\n" % len(queued)))
    node = c.node
    dirty = node.dirty
    call = c.call
    node.exec_depth += 1  # the queued commands' writes wait, to go out in MULTI/EXEC (node.propagate)
    frozen = keyspace.FROZEN_MS
    if frozen is None:  # server.fixed_time_expire: the whole transaction sees keys expire at one time
        keyspace.FROZEN_MS = now_ms()
    try:
        acl_check = c.acl_user.restricted and not c.is_master
        for cmd, qargv in queued:
            if acl_check:  # ACLs are checked again at EXEC time (they may have changed since queuing)
                denied = node.acl.check(c, cmd, qargv, in_exec=True)
                if denied is not None:
                    node.stats.error(denied)
                    c._reply(b"-" + denied.encode("latin-1") + b"\r\n")
                    continue
            call(cmd, qargv)
    finally:
        keyspace.FROZEN_MS = frozen
        node.exec_depth -= 1
        c.deny_blocking = old_deny
        discard_transaction(c)
    if node.dirty != dirty:
        c.propagate_as = []  # the queued writes go out (in MULTI/EXEC if several), not EXEC itself
    return NO_REPLY


@command("watch")
def watch(c, argv):
    if c.multi is not None:
        raise CommandError("ERR WATCH inside MULTI is not allowed")
    if c.dirty_cas:  # no point in watching more: EXEC will fail anyway
        return OK
    for key in argv[1:]:
        watch_key(c, key)
    return OK


@command("unwatch")
def unwatch(c, argv):
    unwatch_all(c)
    c.dirty_cas = False
    return OK


def _reset(c) -> None:
    """RESET: discardTransaction + unwatchAllKeys."""
    if c.multi is not None or c.watched or c.dirty_cas:
        discard_transaction(c)


RESET_HOOKS.append(_reset)
