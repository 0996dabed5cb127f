"""PYREDIS: pyredis-cluster's own admin commands -- fault injection and the event log.

They exist only with ``pyredis-admin-commands yes`` (an immutable directive, default no).  Otherwise
the command is not even in the command table: ``PYREDIS ...`` answers exactly as any unknown command
(``-ERR unknown command 'PYREDIS', with args beginning with: ...``), COMMAND COUNT and COMMAND INFO do
not know it, and INFO commandstats never shows it.  When enabled it is resolved by the node's
:class:`~..server.faults.Faults` before the command table (see ``Faults.resolve``).

    PYREDIS FAULT PARTITION [IN|OUT|BOTH] <node-id|*> [<node-id> ...]
    PYREDIS FAULT DELAY [IN|OUT|BOTH] <ms> <node-id|*> [<node-id> ...]
    PYREDIS FAULT HEAL [ALL|BUS|CLIENTS|INJECT|PAUSE|<node-id> ...]
    PYREDIS FAULT INJECT <slot>|KEY <key> MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING [COUNT <n>] [TO <host:port>]
    PYREDIS FAULT CLIENTS DROP|REFUSE|ALLOW [<seconds>]
    PYREDIS FAULT PAUSE <ms>
    PYREDIS FAULT LIST
    PYREDIS EVENTS [<count>]
    PYREDIS HELP

docs/testing.md describes each one with examples.
"""

from __future__ import annotations

import time

from .. import errors
from ..cluster.nodes import verify_node_name
from ..errors import CommandError
from ..protocol.reply import OK, Status
from .table import Command

HELP = [
    "PYREDIS <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "FAULT PARTITION [IN|OUT|BOTH] <node-id|*> [<node-id> ...]",
    "    Drop cluster bus messages exchanged with these nodes (* = every node).",
    "FAULT DELAY [IN|OUT|BOTH] <ms> <node-id|*> [<node-id> ...]",
    "    Delay cluster bus messages exchanged with these nodes by <ms> (0 = no delay).",
    "FAULT HEAL [ALL|BUS|CLIENTS|INJECT|PAUSE|<node-id> ...]",
    "    Lift faults: all of them (default), one kind, or the bus faults with some nodes.",
    "FAULT INJECT <slot>|KEY <key> MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING [COUNT <n>] [TO <host:port>]",
    "    The next <n> (default 1, -1 = until healed) commands on the slot or key get this error.",
    "FAULT CLIENTS DROP|REFUSE|ALLOW [<seconds>]",
    "    Stop reading client connections (DROP) or close them (REFUSE); the bus keeps working.",
    "FAULT PAUSE <ms>",
    "    Freeze the whole node for <ms>, as SIGSTOP would.",
    "FAULT LIST",
    "    The faults in force.",
    "EVENTS [<count>]",
    "    The last <count> (default 100) cluster events: [time-ms, kind, node-id, reason].",
    "HELP",
    "    Print this help.",
]


def _int(arg: bytes) -> int:
    try:
        return int(arg)
    except ValueError:
        raise CommandError(errors.NOT_INTEGER) from None


def _peers(args) -> list:
    if not args:
        raise CommandError(errors.SYNTAX)
    out = []
    for a in args:
        s = a.decode("latin-1")
        if s != "*" and not verify_node_name(s):
            raise CommandError("ERR Invalid node id '%s'" % s)
        out.append(s)
    return out


def _direction(argv, i):
    if i < len(argv) and argv[i].lower() in (b"in", b"out", b"both"):
        return argv[i].lower().decode(), i + 1
    return "both", i


def pyredis(c, argv):
    faults = c.node.faults
    faults.control.add(c.id)  # a control connection: never isolated from clients
    sub = argv[1].lower()
    if sub == b"help":
        return [Status(line) for line in HELP]
    if sub == b"events":
        if len(argv) > 3:
            raise CommandError(errors.SYNTAX)
        count = _int(argv[2]) if len(argv) == 3 else 100
        cs = c.node.cluster
        evs = cs.events[-count:] if cs is not None and count > 0 else []
        return [[ev.time, ev.kind.encode(), ev.node.encode(), ev.text.encode("utf-8", "replace")] for ev in evs]
    if sub == b"fault" and len(argv) >= 3:
        return _fault(c, faults, argv)
    raise CommandError(errors.unknown_subcommand(argv[0], argv[1] if sub != b"fault" else b" ".join(argv[1:3])))


def _fault(c, faults, argv):
    what = argv[2].lower()
    cluster = c.node.cluster
    if what in (b"partition", b"delay", b"inject") and cluster is None:
        raise CommandError("ERR This instance has cluster support disabled")
    if what == b"partition":
        direction, i = _direction(argv, 3)
        faults.set_bus(_peers(argv[i:]), direction, drop=True)
        return OK
    if what == b"delay":
        direction, i = _direction(argv, 3)
        if i >= len(argv):
            raise CommandError(errors.SYNTAX)
        ms = _int(argv[i])
        if ms < 0:
            raise CommandError("ERR delay must be >= 0")
        faults.set_bus(_peers(argv[i + 1:]), direction, delay=ms)
        return OK
    if what == b"heal":
        kinds = [a.lower() for a in argv[3:]]
        if not kinds or kinds == [b"all"]:
            faults.heal()
        elif all(k in (b"bus", b"clients", b"inject", b"pause") for k in kinds):
            if b"bus" in kinds:
                faults.heal_bus()
            if b"clients" in kinds:
                faults.isolate_clients(None)
            if b"inject" in kinds:
                faults.clear_injections()
            if b"pause" in kinds:
                faults.thaw()
        else:
            faults.heal_bus(_peers(argv[3:]))
        return OK
    if what == b"inject":
        return _inject(faults, argv)
    if what == b"clients":
        if len(argv) not in (4, 5):
            raise CommandError(errors.SYNTAX)
        mode = argv[3].lower()
        if mode not in (b"drop", b"refuse", b"allow"):
            raise CommandError(errors.SYNTAX)
        seconds = float(_int(argv[4])) if len(argv) == 5 else None
        faults.isolate_clients(None if mode == b"allow" else mode.decode(), seconds)
        return OK
    if what == b"pause":
        if len(argv) != 4:
            raise CommandError(errors.SYNTAX)
        ms = _int(argv[3])
        if ms <= 0:
            raise CommandError("ERR pause must be > 0 ms")
        if faults.shared_loop:
            faults.freeze(ms / 1000.0)
        else:
            # the whole process stops once this reply is written: exactly what SIGSTOP would do
            c.node.loop.call_soon(time.sleep, ms / 1000.0)
        return OK
    if what == b"list":
        return [Status(line) for line in faults.describe()]
    raise CommandError(errors.unknown_subcommand(b"PYREDIS", b"FAULT " + argv[2]))


def _inject(faults, argv):
    i = 3
    key = None
    slot = None
    if i < len(argv) and argv[i].lower() == b"key":
        if i + 1 >= len(argv):
            raise CommandError(errors.SYNTAX)
        key = argv[i + 1]
        i += 2
    elif i < len(argv):
        slot = _int(argv[i])
        if not 0 <= slot < 16384:
            raise CommandError("ERR Invalid or out of range slot")
        i += 1
    if i >= len(argv):
        raise CommandError(errors.SYNTAX)
    reply = argv[i].upper().decode("latin-1")
    if reply not in ("MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "LOADING"):
        raise CommandError("ERR reply must be MOVED, ASK, TRYAGAIN, CLUSTERDOWN or LOADING")
    i += 1
    count, target = 1, None
    while i < len(argv):
        opt = argv[i].lower()
        if opt == b"count" and i + 1 < len(argv):
            count = _int(argv[i + 1])
            if count == 0:
                raise CommandError("ERR count must not be 0")
        elif opt == b"to" and i + 1 < len(argv):
            host, _, port = argv[i + 1].decode("latin-1").rpartition(":")
            try:
                target = (host, int(port))
            except ValueError:
                raise CommandError("ERR Invalid address '%s'" % argv[i + 1].decode("latin-1")) from None
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    faults.inject(slot, reply, count, key=key, target=target)
    return OK


# Not registered in the command table (see the module docstring): Faults.resolve hands it out.
PYREDIS = Command(name="pyredis", handler=pyredis, arity=-2,
                  flags=frozenset({"admin", "noscript", "loading", "stale", "no_multi"}))
