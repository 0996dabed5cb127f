"""String commands (Redis: t_string.c)."""

from __future__ import annotations

from .. import errors
from ..errors import CommandError
from ..protocol.reply import OK
from .table import command


def get_string(c, key: bytes):
    """The string at ``key`` (bytes or bytearray), None if absent; WRONGTYPE for other types."""
    v = c.db.lookup(key)
    if v is None:
        return None
    t = type(v)
    if t is not bytes and t is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    return v


@command("get")
def get(c, argv):
    v = c.db.lookup(argv[1])
    if v is None:
        return None
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray:
        return bytes(v)
    raise CommandError(errors.WRONGTYPE)


@command("set")
def set_(c, argv):
    if len(argv) == 3:
        c.db.set(argv[1], argv[2])
        return OK
    raise CommandError(errors.SYNTAX)  # options: filled in by the strings work
