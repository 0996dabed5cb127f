"""ACL CAT / DELUSER / DRYRUN / GENPASS / GETUSER / LIST / LOAD / LOG / SAVE / SETUSER / USERS / WHOAMI / HELP
(Redis 7.0: acl.c ``aclCommand``).  The users, rules and checks live in the node's ``acl`` object
(:mod:`pyredis_cluster.server.acl`); these functions only parse arguments and shape replies."""

from __future__ import annotations

import os

from .. import errors
from ..errors import CommandError
from ..protocol.reply import OK, Map, SetReply, Status
from . import table
from .server import RESET_HOOKS
from .table import command

ACL_HELP = [
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
]

NO_ACL_FILE = ("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the "
               "ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file "
               "set) in order to store users in the Redis configuration.")


def _text(b: bytes) -> str:
    return b.decode("latin-1")


def _long(arg: bytes) -> int:
    """getLongFromObjectOrReply."""
    from ..protocol.request import strict_int

    v = strict_int(arg)
    if v is None:
        raise CommandError(errors.NOT_INTEGER)
    return v


def _sub_error(sub: bytes) -> CommandError:
    """addReplySubcommandSyntaxError: the subcommand as typed."""
    return CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try ACL HELP."
                        % _text(sub[:128]))


@command("acl|setuser")
def acl_setuser(c, argv):
    name = argv[2]
    acl = c.node.acl
    if any(ch in b" \t\n\v\f\r\0" for ch in name):
        raise CommandError("ERR Usernames can't contain spaces or null characters")
    err = acl.set_user(name, list(argv[3:]), current=c)
    if err is not None:
        raise CommandError(err)
    return OK


@command("acl|getuser")
def acl_getuser(c, argv):
    u = c.node.acl.users.get(argv[2])
    if u is None:
        return None

    def selector_fields(s):
        return [(b"commands", s.describe_commands().encode("latin-1")), (b"keys", s.describe_keys()),
                (b"channels", s.describe_channels())]

    pairs = [
        (b"flags", SetReply(f.encode() for f in u.flags())),
        (b"passwords", [p.encode() for p in u.passwords]),
    ]
    pairs.extend(selector_fields(u.root))
    pairs.append((b"selectors", [Map(selector_fields(s)) for s in u.selectors[1:]]))
    return Map(pairs)


@command("acl|deluser")
def acl_deluser(c, argv):
    acl = c.node.acl
    for name in argv[2:]:
        if name == b"default":
            raise CommandError("ERR The 'default' user cannot be removed")
    return acl.delete_users(list(argv[2:]), current=c)


@command("acl|list")
def acl_list(c, argv):
    return [b"user " + name + b" " + u.describe() for name, u in sorted(c.node.acl.users.items())]


@command("acl|users")
def acl_users(c, argv):
    return [name for name in sorted(c.node.acl.users)]


@command("acl|whoami")
def acl_whoami(c, argv):
    u = getattr(c, "acl_user", None)
    return u.name if u is not None else None


@command("acl|cat")
def acl_cat(c, argv):
    if len(argv) > 3:
        raise _sub_error(argv[1])
    acl = c.node.acl
    if len(argv) == 2:
        return [cat.encode() for cat in acl.categories]
    names = acl.category_commands(_text(argv[2]).lower())
    if names is None:
        raise CommandError("ERR Unknown category '%s'" % _text(argv[2][:128]))
    return [n.encode() for n in names]


@command("acl|genpass")
def acl_genpass(c, argv):
    if len(argv) > 3:
        raise _sub_error(argv[1])
    bits = 256
    if len(argv) == 3:
        bits = _long(argv[2])
        if bits <= 0 or bits > 4096:
            raise CommandError("ERR ACL GENPASS argument must be the number of bits for the output password, a "
                               "positive number up to 4096")
    chars = (bits + 3) // 4
    return os.urandom((chars + 1) // 2).hex()[:chars].encode()


@command("acl|log")
def acl_log(c, argv):
    import time

    if len(argv) > 3:
        raise _sub_error(argv[1])
    acl = c.node.acl
    count = 10
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            acl.log.clear()
            return OK
        count = _long(argv[2])
        if count < 0:
            count = 0
    now = int(time.time() * 1000)
    out = []
    for le in acl.log[:count]:
        out.append(Map([
            (b"count", le.count),
            (b"reason", acl.reason_name(le.reason).encode()),
            (b"context", le.context.encode()),
            (b"object", le.object),
            (b"username", le.username),
            (b"age-seconds", (now - le.ctime) / 1000),
            (b"client-info", le.cinfo),
        ]))
    return out


@command("acl|dryrun")
def acl_dryrun(c, argv):
    acl = c.node.acl
    u = acl.users.get(argv[2])
    if u is None:
        raise CommandError("ERR User '%s' not found" % _text(argv[2]))
    args = list(argv[3:])
    cmd = table.lookup(args[0])
    if cmd is not None and cmd.subcommands and len(args) > 1:
        cmd = cmd.subcommands.get(args[1].lower())
    if cmd is None:
        raise CommandError("ERR Command '%s' not found" % _text(argv[3]))
    n = len(args)
    if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
        raise CommandError("ERR wrong number of arguments for '%s' command" % cmd.name)
    denied = acl.dryrun(u, cmd, args)
    return OK if denied is None else denied


@command("acl|load")
def acl_load(c, argv):
    node = c.node
    path = node.config["aclfile"]
    if not path:
        raise CommandError(NO_ACL_FILE)
    errs = node.acl.load_file(node.config.resolve(path), current=c)
    if errs is not None:
        raise CommandError("ERR " + errs)
    return OK


@command("acl|save")
def acl_save(c, argv):
    node = c.node
    path = node.config["aclfile"]
    if not path:
        raise CommandError(NO_ACL_FILE)
    if not node.acl.save_file(node.config.resolve(path)):
        raise CommandError("ERR There was an error trying to save the ACLs. Please check the server logs for more "
                           "information")
    return OK


@command("acl|help")
def acl_help(c, argv):
    return [Status(line) for line in ACL_HELP]


def _reset(c) -> None:
    """RESET: back to the default user (clientSetDefaultAuth; the RESET command then sets
    ``authenticated`` from the default user)."""
    acl = getattr(c.node, "acl", None)
    if acl is not None:
        acl.set_default_auth(c)


RESET_HOOKS.append(_reset)
