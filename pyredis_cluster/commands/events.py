"""``PYREDIS EVENTS [<count>]``: the cluster event log, readable without the admin commands.

Every state change of the cluster core is recorded with its reason (``ClusterState.events``, see
``cluster/actions.py`` EVENT_KINDS).  Reading it changes nothing, so in cluster mode ``PYREDIS EVENTS``
answers even when ``pyredis-admin-commands`` is off -- unless ``cluster-events-command no``.  The rest of
the PYREDIS family (``commands/pyredis.py``) stays behind ``pyredis-admin-commands``; with it off, any
other ``PYREDIS ...`` (and ``PYREDIS EVENTS`` on a node without cluster support) is an unknown command,
exactly as redis-server answers.

The reply: one array per event, oldest first: ``[time-ms, kind, node-id, reason]``.
"""

from __future__ import annotations

from .. import errors
from ..errors import CommandError
from . import table
from .table import Command

DEFAULT_COUNT = 100


def events_reply(cs, argv) -> list:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    try:
        count = int(argv[2]) if len(argv) == 3 else DEFAULT_COUNT
    except ValueError:
        raise CommandError(errors.NOT_INTEGER) from None
    evs = cs.events[-count:] if cs is not None and count > 0 else []
    return [[ev.time, ev.kind.encode(), ev.node.encode(), ev.text.encode("utf-8", "replace")] for ev in evs]


def _events(c, argv):
    return events_reply(c.node.cluster, argv)


EVENTS = Command(name="pyredis", handler=_events, arity=-2, flags=frozenset({"loading", "stale", "no_multi"}))


def resolve(node, argv: list):
    """``table.resolve``, plus ``PYREDIS EVENTS`` in cluster mode (while ``cluster-events-command yes``)."""
    if (len(argv) >= 2 and type(argv[0]) is bytes and type(argv[1]) is bytes and argv[0].lower() == b"pyredis"
            and argv[1].lower() == b"events" and node.cluster is not None and node.config["cluster-events-command"]):
        return EVENTS
    return table.resolve(argv)
