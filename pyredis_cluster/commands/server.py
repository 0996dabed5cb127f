"""Connection and introspection commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET, COMMAND.

(INFO, CONFIG, CLIENT, DEBUG, MEMORY, SHUTDOWN ... live in :mod:`.admin`.)
"""

from __future__ import annotations

import fnmatch

from .. import errors
from ..errors import CommandError
from ..protocol.reply import NULL_ARRAY, OK, PONG, Map, Raw, SetReply, Status
from . import table
from .table import COMMANDS, command


@command("ping")
def ping(c, argv):
    if len(argv) > 2:
        raise CommandError(errors.wrong_arity("ping"))
    subscribed = c.channels or c.patterns or c.shard_channels
    if subscribed and not c.resp3:
        # In RESP2 pub/sub mode PING answers with a "pong" message array.
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    if len(argv) == 2:
        return argv[1]
    return PONG


@command("echo")
def echo(c, argv):
    return argv[1]


@command("quit")
def quit_(c, argv):
    c.close_after_reply = True
    c.update_slow()
    return OK


@command("hello")
def hello(c, argv):
    """HELLO [protover [AUTH username password] [SETNAME clientname]]"""
    ver = None
    if len(argv) >= 2:
        from ..protocol.request import strict_int

        ver = strict_int(argv[1])  # getLongLongFromObjectOrReply: string2ll, no "+3" nor " 3"
        if ver is None:
            raise CommandError("ERR Protocol version is not an integer or out of range")
        if ver < 2 or ver > 3:
            raise CommandError(errors.NOPROTO)
    i = 2
    while i < len(argv):  # each option takes effect as it is read, as in Redis (AUTH before a later error)
        opt = argv[i].lower()
        more = len(argv) - i - 1
        if opt == b"auth" and more >= 2:
            _authenticate(c, argv[i + 1], argv[i + 2], argv[0], argv)
            i += 3
        elif opt == b"setname" and more >= 1:
            _check_client_name(argv[i + 1])
            c.name = argv[i + 1]
            i += 2
        else:
            raise CommandError("ERR Syntax error in HELLO option '%s'" % argv[i].decode("latin-1"))
    if not c.authenticated:
        raise CommandError("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                           "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                           "select the RESP protocol version at the same time")
    if ver is not None:
        c.resp3 = ver == 3
    c.update_slow()
    node = c.node
    role = b"master"
    if node.cluster is not None and getattr(node.cluster, "is_replica", False):
        role = b"replica"
    elif getattr(node, "replication", None) is not None and getattr(node.replication, "is_replica", False):
        role = b"replica"
    return Map([
        (b"server", b"redis"),
        (b"version", node.version.encode()),
        (b"proto", 3 if c.resp3 else 2),
        (b"id", c.id),
        (b"mode", b"cluster" if node.cluster_enabled else b"standalone"),
        (b"role", role),
        (b"modules", []),
    ])


def _check_client_name(name: bytes) -> None:
    for ch in name:
        if ch < 33 or ch > 126:
            raise CommandError("ERR Client names cannot contain spaces, newlines or special characters.")


def _authenticate(c, user: bytes, password: bytes, cmdname: bytes = b"auth", argv=None) -> None:
    """ACLAuthenticateUser (server/acl.py): a failure is logged in the ACL LOG as Redis does."""
    if not c.node.acl.authenticate(c, user, password, cmdname, argv):
        raise CommandError(errors.WRONGPASS)


@command("auth")
def auth(c, argv):
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        if c.node.acl.default_user.nopass:
            raise CommandError(errors.AUTH_NOT_CONFIGURED)
        _authenticate(c, b"default", argv[1], argv[0], argv)
    else:
        _authenticate(c, argv[1], argv[2], argv[0], argv)
    return OK


@command("select")
def select(c, argv):
    try:
        idx = int(argv[1])
    except ValueError:
        raise CommandError(errors.NOT_INTEGER) from None
    if c.node.cluster_enabled and idx != 0:
        raise CommandError(errors.SELECT_NOT_ALLOWED_IN_CLUSTER)
    if idx < 0 or idx >= len(c.node.dbs):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    c.select(idx)
    return OK


@command("reset")
def reset(c, argv):
    """RESET: back to a fresh connection's state (clearClientConnectionState)."""
    for hook in RESET_HOOKS:
        hook(c)
    c.multi = None
    c.multi_error = False
    c.select(0)
    c.resp3 = False
    c.name = b""
    c.readonly = False
    c.asking = False
    c.reply_mode = 0
    if c.monitor:
        c.monitor = False
        if c in c.node.monitors:
            c.node.monitors.remove(c)
        c.node._refresh_slow()
    c.authenticated = not c.node.requires_auth()
    c.user = "default"
    if c.tracking:
        c.node.tracking.disable(c)
    c.update_slow()
    return Raw(b"+RESET\r\n")


RESET_HOOKS: list = []  # families register their per-client cleanup (unwatch, unsubscribe ...)


# -- COMMAND ----------------------------------------------------------------------------------------


def _all_commands():
    return sorted(COMMANDS.values(), key=lambda cmd: cmd.name)


@command("command")
def command_(c, argv):
    return [cmd.info for cmd in _all_commands()]


@command("command|count")
def command_count(c, argv):
    return len(COMMANDS)


def _find(name: bytes):
    """lookupCommandBySds: "get" or "config|get"."""
    parts = name.lower().split(b"|")
    cmd = COMMANDS.get(parts[0])
    if cmd is None or len(parts) > 2:
        return None
    if len(parts) == 2:
        return cmd.subcommands.get(parts[1])
    return cmd


@command("command|info")
def command_info(c, argv):
    if len(argv) == 2:
        return [cmd.info for cmd in _all_commands()]
    out = []
    for name in argv[2:]:
        cmd = _find(name)
        out.append(cmd.info if cmd is not None else None)
    return out


@command("command|docs")
def command_docs(c, argv):
    if len(argv) == 2:
        return Map([(cmd.name.encode(), cmd.docs) for cmd in _all_commands()])
    pairs = []
    for name in argv[2:]:
        cmd = _find(name)
        if cmd is not None:
            pairs.append((cmd.name.encode(), cmd.docs))
    return Map(pairs)


@command("command|list")
def command_list(c, argv):
    names = []
    for cmd in _all_commands():
        names.append(cmd.name.encode())
        names.extend(s.name.encode() for s in cmd.subcommands.values())
    if len(argv) == 2:
        return names
    if len(argv) != 5 or argv[2].lower() != b"filterby":
        raise CommandError(errors.SYNTAX)
    kind, arg = argv[3].lower(), argv[4]
    if kind == b"pattern":
        pat = arg.decode("latin-1").lower()
        return [n for n in names if fnmatch.fnmatchcase(n.decode("latin-1"), pat)]
    if kind == b"aclcat":
        cat = "@" + arg.decode("latin-1").lower()
        out = []
        for n in names:
            cmd = _find(n)
            info = table.REDIS_META.get(cmd.name, {}).get("info")
            cats = [x["v"] for x in info["v"][6]["v"]] if info else []
            if cat in cats:
                out.append(n)
        return out
    if kind == b"module":
        return []
    raise CommandError(errors.SYNTAX)


def _getkeys(argv):
    cmd = _find(argv[2])
    if cmd is None:
        raise CommandError("ERR Invalid command specified")
    if cmd.subcommands and len(argv) > 3:
        sub = cmd.subcommands.get(argv[3].lower())
        if sub is not None:
            cmd = sub
    if cmd.no_keys:
        raise CommandError("ERR The command has no key arguments")
    args = argv[2:]
    n = len(args)
    if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
        raise CommandError("ERR Invalid number of arguments specified for command")
    idx = cmd.get_keys(args)
    if not idx:
        if "no_mandatory_keys" in cmd.flags:
            return cmd, args, []
        raise CommandError("ERR Invalid arguments specified for command")
    return cmd, args, idx


@command("command|getkeys")
def command_getkeys(c, argv):
    cmd, args, idx = _getkeys(argv)
    return [args[i] for i in idx]


_KEY_FLAG_ORDER = ("RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete",
                   "variable_flags")  # (the order addReplyFlagsForKeyArgs writes them in)


def _key_flags(cmd, args, idx) -> list:
    """The flags of each key, as getKeysFromCommandWithSpecs finds them: the spec that found the key;
    SET and BITFIELD (variable_flags) decide from their arguments (setGetKeys, bitfieldGetKeys)."""
    if cmd.name == "set":
        get = any(a.lower() == b"get" for a in args[3:])
        return [{"RW", "access", "update"} if get else {"OW", "update"}]
    if cmd.name == "bitfield":
        readonly = True
        i, n = 2, len(args)
        while i < n:
            rem, a = n - i - 1, args[i].lower()
            if a == b"get" and rem >= 2:
                i += 3
            elif a in (b"set", b"incrby") and rem >= 3 or not (a == b"overflow" and rem >= 1):
                readonly = False
                break
            else:
                i += 2
        return [{"RO", "access"} if readonly else {"RW", "access", "update"}]
    found = {}
    for spec in cmd.key_specs:
        if spec.begin in ("index", "keyword"):
            for i in table.keys_from_specs([spec], args):
                found.setdefault(i, spec.flags)
    if cmd.getkeys is None and all(i in found for i in idx):
        return [found[i] for i in idx]
    # a command that finds its keys itself (sortGetKeys, migrateGetKeys ...): a key no spec finds has
    # the flags of the spec Redis cannot follow (begin_search unknown)
    unknown = [s.flags for s in cmd.key_specs if s.begin not in ("index", "keyword")]
    other = next((f for f in unknown if f & {"OW", "RW", "RM"}), unknown[0] if unknown else None)
    out = []
    for i in idx:
        flags = found.get(i, other)
        if flags is None:
            flags = set().union(*(s.flags for s in cmd.key_specs))
        out.append(set(flags) - {"incomplete"} if cmd.getkeys is not None else flags)
    return out


@command("command|getkeysandflags")
def command_getkeysandflags(c, argv):
    cmd, args, idx = _getkeys(argv)
    return [[args[i], SetReply(Status(f) for f in _KEY_FLAG_ORDER if f in flags)]
            for i, flags in zip(idx, _key_flags(cmd, args, idx))]


@command("command|help")
def command_help(c, argv):
    return [Status(line) for line in COMMAND_HELP]


COMMAND_HELP = [
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Print this help.",
]
