"""Generic key commands (Redis: db.c, expire.c)."""

from __future__ import annotations

from .. import errors
from ..errors import CommandError
from ..protocol.reply import OK
from .table import command


@command("del")
def del_(c, argv):
    db = c.db
    n = 0
    for k in argv[1:]:
        if db.lookup(k) is not None and db.delete(k):
            n += 1
    return n


def _flush_mode(argv, pos: int) -> None:
    if len(argv) > pos + 1:
        raise CommandError(errors.SYNTAX)
    if len(argv) == pos + 1 and argv[pos].lower() not in (b"sync", b"async"):
        raise CommandError(errors.SYNTAX)


@command("flushdb")
def flushdb(c, argv):
    _flush_mode(argv, 1)
    c.db.clear()
    c.node.dirty += 1
    return OK


@command("flushall")
def flushall(c, argv):
    _flush_mode(argv, 1)
    for db in c.node.dbs:
        db.clear()
    c.node.dirty += 1
    return OK


@command("dbsize")
def dbsize(c, argv):
    return len(c.db.data)
