"""SAVE, BGSAVE, BGREWRITEAOF and DEBUG RELOAD / LOADAOF (Redis: rdb.c saveCommand, bgsaveCommand;
aof.c bgrewriteaofCommand; debug.c).  The work is done by the node's persistence object
(``server/persistence.py``, reached as ``c.node.persistence``)."""

from __future__ import annotations

from .. import errors
from ..errors import CommandError
from ..protocol.reply import OK, Status
from .admin import debug_subcommand
from .table import command


def _not_propagated(c, dirty_before: int) -> None:
    """A save resets server.dirty; Redis's call() ignores a decrease, ours propagates any change of the
    counter: an empty propagate_as says "nothing" (set only when the counter did change, so that it is
    consumed by this very command)."""
    if c.node.dirty != dirty_before:
        c.propagate_as = []


def _in_exec(c) -> bool:
    """server.in_exec: EXEC sets CLIENT_DENY_BLOCKING while it runs the queued commands."""
    return bool(getattr(c, "deny_blocking", False)) and not c.is_master


@command("save")
def save(c, argv):
    p = c.node.persistence
    if p.child_type == "rdb":
        raise CommandError("ERR Background save already in progress")
    p.rdb_saves += 1
    dirty = c.node.dirty
    ok = p.rdb_save()
    _not_propagated(c, dirty)
    if ok:
        return OK
    raise CommandError("ERR")


@command("bgsave")
def bgsave(c, argv):
    schedule = False
    if len(argv) > 1:
        if len(argv) == 2 and argv[1].lower() == b"schedule":
            schedule = True
        else:
            raise CommandError(errors.SYNTAX)
    p = c.node.persistence
    if p.child_type == "rdb":
        raise CommandError("ERR Background save already in progress")
    if p.has_child() or _in_exec(c):
        if schedule or _in_exec(c):
            p.bgsave_scheduled = True
            return Status("Background saving scheduled")
        raise CommandError("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
                           "SCHEDULE in order to schedule a BGSAVE whenever possible.")
    if p.bgsave():
        return Status("Background saving started")
    raise CommandError("ERR")


@command("bgrewriteaof")
def bgrewriteaof(c, argv):
    try:
        return Status(c.node.persistence.bgrewriteaof(_in_exec(c)))
    except ValueError as e:
        raise CommandError(str(e)) from None


@debug_subcommand("reload", lambda n: n >= 2)
def debug_reload(c, argv):
    """DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]"""
    save, flush, merge = True, True, False
    for opt in argv[2:]:
        o = opt.lower()
        if o == b"merge":
            merge = True
        elif o == b"noflush":
            flush = False
        elif o == b"nosave":
            save = False
        else:
            raise CommandError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    dirty = c.node.dirty
    try:
        c.node.persistence.debug_reload(save, flush, merge)
    except ValueError as e:
        raise CommandError(str(e)) from None
    finally:
        _not_propagated(c, dirty)
    return OK


@debug_subcommand("loadaof", lambda n: n == 2)
def debug_loadaof(c, argv):
    dirty = c.node.dirty
    try:
        c.node.persistence.debug_loadaof()
    except ValueError as e:
        raise CommandError(str(e)) from None
    finally:
        _not_propagated(c, dirty)
    return OK


@debug_subcommand("aof-flush-sleep", lambda n: n == 3)
def debug_aof_flush_sleep(c, argv):
    """DEBUG AOF-FLUSH-SLEEP <microsec>: sleep that long before each write of a non-empty AOF buffer."""
    try:
        usec = int(argv[2])
    except ValueError:
        usec = 0  # atoi
    c.node.persistence.flush_sleep_usec = max(0, usec)
    return OK


@debug_subcommand("set-skip-checksum-validation", lambda n: n == 3)
def debug_set_skip_checksum_validation(c, argv):
    """DEBUG SET-SKIP-CHECKSUM-VALIDATION <0|1>: RESTORE payloads (and RDB files) are not CRC-checked."""
    try:
        c.node.skip_checksum_validation = bool(int(argv[2]))
    except ValueError:
        c.node.skip_checksum_validation = False  # atoi
    return OK
