"""Access control lists as Redis 7.0 has them (acl.c): users, selectors, permission checks, the ACL log
and the ACL file.

A **user** has flags (``on``/``off``, ``nopass``, ``[skip-]sanitize-payload``), a list of password
hashes (SHA-256, hex) and a list of **selectors**; the first one is the *root* selector (its rules
are the ones written without parentheses).  A selector allows commands (a bitmap over every command
and subcommand Redis 7.0 knows, plus "first-args" such as ``+select|0``), key patterns (``~pat``,
``%R~pat``, ``%W~pat``) and channel patterns (``&pat``).  A command is allowed if *any* selector
allows the command and all its keys and channels (``ACLCheckAllUserCommandPerm``).

Commands and categories come from the captured Redis metadata (``redis70_commands.json``, COMMAND
INFO entry index 6 holds a command's ACL categories), so ``+xadd`` is accepted exactly as Redis
accepts it even for commands pyredis-cluster does not implement.

``ACL LIST`` / ``ACL GETUSER`` describe the command rules the way Redis 7.0 does
(``ACLDescribeSelectorCommandRules``): not the rules as typed, but a description recomputed from the
bitmap -- ``+@all`` or ``-@all``, then the categories that are a better fit than not (in Redis's
category order), then single commands to fix the differences.  Redis walks its command hash table for
that last part, whose order changes from one process to the next (a random hash seed); we use the
commands' alphabetical order.

The connection calls :meth:`Acl.check` only on its slow path: a client whose user can run every
command on every key and channel (``User.restricted`` is False, as for the default user) never pays
for ACLs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time

from .. import commands as _all_commands  # noqa: F401  (every command registered before the ACL reads them)
from ..commands import table
from ..errors import CommandError
from ..store.glob import compile_pattern, stringmatchlen

CATEGORIES = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
              "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
              "transaction", "scripting")

# ACLCheckAllPerm results
ACL_OK, ACL_DENIED_CMD, ACL_DENIED_KEY, ACL_DENIED_AUTH, ACL_DENIED_CHANNEL = 0, 1, 2, 3, 4
REASONS = {ACL_DENIED_CMD: "command", ACL_DENIED_KEY: "key", ACL_DENIED_CHANNEL: "channel", ACL_DENIED_AUTH: "auth"}
CTX_TOPLEVEL, CTX_MULTI = "toplevel", "multi"

READ, WRITE = 1, 2  # key pattern permissions
ALL_PERMS = READ | WRITE
ACL_LOG_GROUPING_MAX_TIME_DELTA = 60000  # ms

# ACLSetUserStringError
ERR_WRONG_FORMAT = "Wrong format"
ERR_ENOENT = "Unknown command or category name in ACL"
ERR_EINVAL = "Syntax error"
ERR_EEXIST = ("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any "
              "effect. Try 'resetkeys' to start with an empty list of patterns")
ERR_EISDIR = ("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any "
              "effect. Try 'resetchannels' to start with an empty list of channels")
ERR_ENODEV = "The password you are trying to remove from the user does not exist"
ERR_EBADMSG = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
ERR_EALREADY = "Duplicate user found. A user can only be defined once in config files"
ERR_ECHILD = "Allowing first-arg of a subcommand is not supported"

NO_ACL_FILE = ("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the "
               "ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file "
               "set) in order to store users in the Redis configuration.")

_HEX = frozenset(b"0123456789abcdef")
_SPACES = frozenset(b" \t\n\v\f\r\0")


class AclOpError(Exception):
    """ACLSetUser / ACLSetSelector failed; ``reason`` is ACLSetUserStringError's text, ``enoent`` says
    it was an unknown command or category (errno ENOENT: some callers treat it apart)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.enoent = reason is ERR_ENOENT


class AclStartupError(SystemExit):
    """The ACL configuration is invalid at start-up: Redis logs why and exits with status 1."""


def _text(b: bytes) -> str:
    return b.decode("latin-1")


def _utf8(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def hash_password(pw: bytes) -> str:
    """ACLHashPassword: SHA-256, lower-case hex."""
    return hashlib.sha256(pw).hexdigest()


def has_spaces(name: bytes) -> bool:
    """ACLStringHasSpaces: isspace() or NUL."""
    return any(ch in _SPACES for ch in name)


# -- the command universe (server.orig_commands) ------------------------------------------------------

class AclCommand:
    __slots__ = ("name", "id", "cats", "subs", "parent", "no_auth", "bit", "subtree")

    def __init__(self, name: str, cid: int, cats: frozenset, no_auth: bool, parent=None):
        self.name = name
        self.id = cid
        self.bit = 1 << cid
        self.cats = cats
        self.no_auth = no_auth
        self.parent = parent
        self.subs: dict = {}  # lower-case sub name -> AclCommand
        self.subtree = self.bit  # this command's bit and its subcommands' bits (ACLChangeSelectorPerm)


class CommandSet:
    """Every command and subcommand, with ids for the selector bitmaps and the category masks."""

    def __init__(self):
        self.by_name: dict = {}  # "get", "config|get" -> AclCommand
        self.top: dict = {}  # "get" -> AclCommand (top-level only)
        nid = 0

        def info_of(name):
            meta = table.REDIS_META.get(name)
            return meta["info"]["v"] if meta is not None and "info" in meta else None

        def make(name, parent):
            nonlocal nid
            info = info_of(name)
            if info is not None:
                cats = frozenset(x["v"][1:] for x in info[6]["v"])
                flags = {x["v"] for x in info[2]["v"]}
            else:
                ours = _our_command(name)
                cats = frozenset()
                flags = set(ours.flags) if ours is not None else set()
            c = AclCommand(name, nid, cats, "no_auth" in flags, parent)
            nid += 1
            self.by_name[name] = c
            return c

        names = {k for k, v in table.REDIS_META.items() if "|" not in k and "info" in v}
        names.update(n.decode() for n in table.COMMANDS)
        for name in sorted(names):
            c = make(name, None)
            self.top[name] = c
            subnames = set()
            info = info_of(name)
            if info is not None:
                subnames.update(s["v"][0]["v"] for s in info[9]["v"])
            ours = table.COMMANDS.get(name.encode())
            if ours is not None:
                subnames.update(s.name for s in ours.subcommands.values())
            for sn in sorted(subnames):
                s = make(sn, c)
                c.subs[sn.split("|", 1)[1]] = s
                c.subtree |= s.bit
        self.count = nid
        self.all_bits = (1 << nid) - 1
        # per category: the commands in it (recursively) and the bits a +@cat / -@cat changes
        self.members: dict = {}
        self.effect: dict = {}
        for cat in CATEGORIES:
            members = []
            effect = 0
            for c in self.by_name.values():
                if cat in c.cats:
                    members.append(c)
                    effect |= c.subtree
            self.members[cat] = members
            self.effect[cat] = effect
        self.ordered = [self.top[n] for n in sorted(self.top)]

    def lookup(self, name: bytes):
        """ACLLookupCommand: "get" or "config|get" (case-insensitive), else None."""
        parts = name.split(b"|")
        if len(parts) > 2 or not parts[0]:
            return None
        base = self.top.get(_text(parts[0]).lower())
        if base is None:
            return None
        if len(parts) == 1:
            return base
        if not base.subs:
            return None
        return base.subs.get(_text(parts[1]).lower())

    def category_names(self):
        return CATEGORIES


def _our_command(name: str):
    if "|" in name:
        base, sub = name.split("|", 1)
        c = table.COMMANDS.get(base.encode())
        return c.subcommands.get(sub.encode()) if c is not None else None
    return table.COMMANDS.get(name.encode())


_COMMANDS: CommandSet | None = None


def commands() -> CommandSet:
    global _COMMANDS
    if _COMMANDS is None:
        _COMMANDS = CommandSet()
    return _COMMANDS


# -- selectors and users ---------------------------------------------------------------------------------


class KeyPattern:
    __slots__ = ("pattern", "flags", "match")

    def __init__(self, pattern: bytes, flags: int):
        self.pattern = pattern
        self.flags = flags
        self.match = compile_pattern(pattern)

    def describe(self) -> bytes:
        if self.flags == ALL_PERMS:
            return b"~" + self.pattern
        if self.flags == READ:
            return b"%R~" + self.pattern
        return b"%W~" + self.pattern


class Selector:
    __slots__ = ("root", "allkeys", "allchannels", "allcommands", "future", "allowed", "firstargs", "patterns",
                 "channels")

    def __init__(self, root: bool = False, allchannels: bool = False):
        self.root = root
        self.allkeys = False
        self.allchannels = allchannels  # acl-pubsub-default
        self.allcommands = False  # SELECTOR_FLAG_ALLCOMMANDS
        self.future = False  # the reserved command bit only +@all sets: "can run future commands"
        self.allowed = 0  # command bitmap
        self.firstargs: dict = {}  # command id -> [first arg, ...]
        self.patterns: list = []  # KeyPattern
        self.channels: list = []  # bytes

    def copy(self) -> "Selector":
        s = Selector(self.root, self.allchannels)
        s.allkeys = self.allkeys
        s.allcommands = self.allcommands
        s.future = self.future
        s.allowed = self.allowed
        s.firstargs = {k: list(v) for k, v in self.firstargs.items()}
        s.patterns = [KeyPattern(p.pattern, p.flags) for p in self.patterns]
        s.channels = list(self.channels)
        return s

    # -- changing (ACLSetSelector) --

    def _change_perm(self, cmd: AclCommand, allow: bool) -> None:
        """ACLChangeSelectorPerm: the command and all its subcommands; its first-args are reset."""
        if allow:
            self.allowed |= cmd.subtree
        else:
            self.allowed &= ~cmd.subtree
            self.allcommands = False
        self.firstargs.pop(cmd.id, None)

    def _set_category(self, cat: str, allow: bool) -> None:
        cs = commands()
        if allow:
            self.allowed |= cs.effect[cat]
        else:
            self.allowed &= ~cs.effect[cat]
            self.allcommands = False
        if self.firstargs:
            for c in cs.members[cat]:
                self.firstargs.pop(c.id, None)

    def set_op(self, op: bytes, pubsub_default_all: bool = False) -> None:
        """ACLSetSelector: apply one rule; raises AclOpError."""
        low = op.lower()
        cs = commands()
        if low in (b"allkeys", b"~*"):
            self.allkeys = True
            self.patterns = []
        elif low == b"resetkeys":
            self.allkeys = False
            self.patterns = []
        elif low in (b"allchannels", b"&*"):
            self.allchannels = True
            self.channels = []
        elif low == b"resetchannels":
            self.allchannels = False
            self.channels = []
        elif low in (b"allcommands", b"+@all"):
            self.allowed = cs.all_bits
            self.allcommands = True
            self.future = True
            self.firstargs = {}
        elif low in (b"nocommands", b"-@all"):
            self.allowed = 0
            self.allcommands = False
            self.future = False
            self.firstargs = {}
        elif op[:1] in (b"~", b"%"):
            if self.allkeys:
                raise AclOpError(ERR_EEXIST)
            flags = 0
            offset = 1
            if op[:1] == b"%":
                n = len(op)
                while offset < n:
                    ch = op[offset:offset + 1].upper()
                    if ch == b"R" and not flags & READ:
                        flags |= READ
                    elif ch == b"W" and not flags & WRITE:
                        flags |= WRITE
                    elif ch == b"~":
                        offset += 1
                        break
                    else:
                        raise AclOpError(ERR_EINVAL)
                    offset += 1
                if not flags:
                    raise AclOpError(ERR_EINVAL)  # ("%~pat": refused by redis-server 7.0.15 too)
            else:
                flags = ALL_PERMS
            pattern = op[offset:]
            if has_spaces(pattern):
                raise AclOpError(ERR_EINVAL)
            for p in self.patterns:
                if p.pattern == pattern:
                    p.flags |= flags
                    break
            else:
                self.patterns.append(KeyPattern(pattern, flags))
            self.allkeys = False
        elif op[:1] == b"&":
            if self.allchannels:
                raise AclOpError(ERR_EISDIR)
            pat = op[1:]
            if has_spaces(pat):
                raise AclOpError(ERR_EINVAL)
            if pat not in self.channels:
                self.channels.append(pat)
            self.allchannels = False
        elif op[:1] == b"+" and op[1:2] != b"@":
            if b"|" not in op:
                cmd = cs.lookup(op[1:])
                if cmd is None:
                    raise AclOpError(ERR_ENOENT)
                self._change_perm(cmd, True)
            else:
                base, _, sub = op[1:].rpartition(b"|")
                cmd = cs.lookup(base)
                if cmd is None:
                    raise AclOpError(ERR_ENOENT)
                if cmd.parent is not None:
                    raise AclOpError(ERR_ECHILD)
                if not sub:
                    raise AclOpError(ERR_EINVAL)
                if cmd.subs:
                    cmd = cs.lookup(op[1:])
                    if cmd is None:
                        raise AclOpError(ERR_ENOENT)
                    self._change_perm(cmd, True)
                else:
                    args = self.firstargs.setdefault(cmd.id, [])
                    if not any(a.lower() == sub.lower() for a in args):
                        args.append(sub)
        elif op[:1] == b"-" and op[1:2] != b"@":
            cmd = cs.lookup(op[1:])
            if cmd is None:
                raise AclOpError(ERR_ENOENT)
            self._change_perm(cmd, False)
        elif op[:1] in (b"+", b"-") and op[1:2] == b"@":
            cat = _text(op[2:]).lower()
            if cat not in cs.effect:
                raise AclOpError(ERR_ENOENT)
            self._set_category(cat, op[:1] == b"+")
        else:
            raise AclOpError(ERR_EINVAL)

    # -- describing (ACLDescribeSelector) --

    def describe_commands(self) -> str:
        """ACLDescribeSelectorCommandRules (Redis 7.0): recomputed from the bitmap."""
        cs = commands()
        fake = Selector()
        if self.future:
            additive = False
            rules = ["+@all"]
            fake.set_op(b"+@all")
        else:
            additive = True
            rules = ["-@all"]
            fake.set_op(b"-@all")
        # Best fit, repeatedly: among the categories not applied yet, the one with more commands in
        # common with the user than different, the fewest differences, then the most in common.  A
        # temp bitmap gets the inverse op of each category applied, so it is not counted twice.
        temp = self.allowed
        applied = set()
        while True:
            best = None
            mindiff, maxsame = 1 << 62, 0
            for cat in CATEGORIES:
                if cat in applied:
                    continue
                on = off = 0
                for c in cs.members[cat]:
                    if temp & c.bit:
                        on += 1
                    else:
                        off += 1
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (diff < mindiff or (diff == mindiff and same > maxsame)):
                    best, mindiff, maxsame = cat, diff, same
            if best is None:
                break
            rules.append(("+@" if additive else "-@") + best)
            fake._set_category(best, additive)
            if additive:
                temp &= ~cs.effect[best]
            else:
                temp |= cs.effect[best]
            applied.add(best)

        def single(cmd):
            userbit = bool(self.allowed & cmd.bit)
            fakebit = bool(fake.allowed & cmd.bit)
            if userbit != fakebit:
                rules.append(("+" if userbit else "-") + cmd.name)
                fake._change_perm(cmd, userbit)
            for sub in sorted(cmd.subs.values(), key=lambda s: s.name):
                single(sub)
            if not userbit:
                for arg in self.firstargs.get(cmd.id, ()):
                    rules.append("+%s|%s" % (cmd.name, _text(arg)))

        for cmd in cs.ordered:
            single(cmd)
        return " ".join(rules)

    def describe_keys(self) -> bytes:
        if self.allkeys:
            return b"~*"
        return b" ".join(p.describe() for p in self.patterns)

    def describe_channels(self) -> bytes:
        if self.allchannels:
            return b"&*"
        return b" ".join(b"&" + c for c in self.channels)

    def describe(self) -> bytes:
        """ACLDescribeSelector: keys, channels, commands."""
        out = []
        if self.allkeys:
            out.append(b"~*")
        else:
            out.extend(p.describe() for p in self.patterns)
        if self.allchannels:
            out.append(b"&*")
        else:
            out.append(b"resetchannels")
            out.extend(b"&" + c for c in self.channels)
        out.append(self.describe_commands().encode("latin-1"))
        return b" ".join(out)

    # -- checking (ACLSelectorCheckCmd) --

    def check_cmd(self, acmd: AclCommand, cmd, argv, keys_cache: list):
        """(result, argv index of the denied key/channel)."""
        if not self.allcommands and not acmd.no_auth and not self.allowed & acmd.bit:
            args = self.firstargs.get(acmd.id) if self.firstargs else None
            if not args or len(argv) < 2:
                return ACL_DENIED_CMD, 0
            a1 = argv[1].lower()
            if not any(a.lower() == a1 for a in args):
                return ACL_DENIED_CMD, 0
        if not self.allkeys and not cmd.no_keys:
            if not keys_cache:
                keys_cache.append(keys_with_flags(cmd, argv))
            for idx, kflags in keys_cache[0]:
                if not self.check_key(argv[idx], kflags):
                    return ACL_DENIED_KEY, idx
        if not self.allchannels:
            for idx, is_pattern in channels_of(cmd, argv):
                if not check_channel(self.channels, argv[idx], is_pattern):
                    return ACL_DENIED_CHANNEL, idx
        return ACL_OK, 0

    def has_unrestricted_key_access(self, kflags: int) -> bool:
        """ACLSelectorHasUnrestrictedKeyAccess: allkeys, or a ``*`` pattern with these permissions."""
        if self.allkeys:
            return True
        return any(p.pattern == b"*" and p.flags & kflags == kflags for p in self.patterns)

    def check_key(self, key: bytes, kflags: int) -> bool:
        """ACLSelectorCheckKey."""
        if self.allkeys:
            return True
        for p in self.patterns:
            if p.flags & kflags != kflags:
                continue
            if p.match(key):
                return True
        return False


def check_channel(patterns: list, channel: bytes, is_pattern: bool) -> bool:
    """ACLCheckChannelAgainstList: PSUBSCRIBE patterns compare literally, channels glob-match."""
    for p in patterns:
        if (is_pattern and p == channel) or (not is_pattern and stringmatchlen(p, channel)):
            return True
    return False


_KEY_READ_FLAGS = frozenset({"access"})
_KEY_WRITE_FLAGS = frozenset({"insert", "delete", "update"})


def _spec_perm(flags) -> int:
    p = 0
    if flags & _KEY_READ_FLAGS:
        p |= READ
    if flags & _KEY_WRITE_FLAGS:
        p |= WRITE
    return p


def _keys_using_specs(cmd, argv):
    """getKeysUsingKeySpecs (db.c, GET_KEYSPEC_DEFAULT): [(index, READ|WRITE)], or None for an invalid
    or incomplete spec (Redis then falls back to the command's getkeys procedure)."""
    out = []
    argc = len(argv)
    for spec in cmd.key_specs:
        if "not_key" in spec.flags:
            continue
        first = 0
        if spec.begin == "index":
            first = spec.index
        elif spec.begin == "keyword":
            sf = spec.startfrom
            start = sf if sf > 0 else argc + sf
            end = argc - 1 if sf > 0 else 1
            i = start
            kw = spec.keyword.lower()
            while i != end:
                if i >= argc or i < 1:
                    break
                if argv[i].lower() == kw:
                    first = i + 1
                    break
                i = i + 1 if start <= end else i - 1
            if not first:
                continue
        else:
            return None
        if spec.find == "range":
            step = spec.keystep
            if spec.lastkey >= 0:
                last = first + spec.lastkey
            elif not spec.limit:
                last = argc + spec.lastkey
            else:
                last = first + ((argc - first) // spec.limit + spec.lastkey)
        elif spec.find == "keynum":
            step = spec.keystep
            if spec.keynumidx >= argc or first + spec.keynumidx >= argc:
                return None
            from ..protocol.request import strict_int

            numkeys = strict_int(argv[first + spec.keynumidx])
            if numkeys is None or numkeys < 0:
                return None
            first += spec.firstkey
            last = first + numkeys - 1
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        perm = _spec_perm(spec.flags)
        i = first
        while i <= last:
            if i >= argc or i < first:
                i += step
                continue
            out.append((i, perm))
            if step <= 0:
                break
            i += step
        if "incomplete" in spec.flags:
            return None
    return out


def _set_get_keys(argv):
    """setGetKeys: the key is read too only with GET."""
    for a in argv[3:]:
        if a.lower() == b"get":
            return [(1, READ | WRITE)]
    return [(1, WRITE)]


def _bitfield_get_keys(argv):
    """bitfieldGetKeys: read-only unless SET / INCRBY (or a syntax error)."""
    readonly = True
    i, argc = 2, len(argv)
    while i < argc:
        rem = argc - i - 1
        a = argv[i].lower()
        if a == b"get" and rem >= 2:
            i += 2
        elif a in (b"set", b"incrby") and rem >= 3:
            readonly = False
            break
        elif a == b"overflow" and rem >= 1:
            i += 1
        else:
            readonly = False
            break
        i += 1
    return [(1, READ if readonly else READ | WRITE)]


def _migrate_get_keys(argv):
    """migrateGetKeys."""
    first, num = 3, 1
    argc = len(argv)
    if argc > 6:
        i = 6
        skip = {b"copy": 0, b"replace": 0, b"auth": 1, b"auth2": 2}
        while i < argc:
            a = argv[i].lower()
            if a == b"keys":
                if len(argv[3]) > 0:
                    num = 0
                else:
                    first = i + 1
                    num = argc - first
                break
            i += skip.get(a, 0) + 1
    return [(first + i, READ | WRITE) for i in range(num)]


def _sort_get_keys(argv):
    """sortGetKeys: the sorted key is read (RO ACCESS), the last STORE destination written (OW UPDATE);
    LIMIT, GET and BY skip their arguments."""
    keys = [(1, READ)]
    store = None
    i, argc = 2, len(argv)
    while i < argc:
        a = argv[i].lower()
        if a == b"limit":
            i += 2
        elif a in (b"get", b"by"):
            i += 1
        elif a == b"store" and i + 1 < argc:
            store = i + 1
        i += 1
    if store is not None:
        keys.append((store, WRITE))
    return keys


_GETKEYS_PROCS = {"set": _set_get_keys, "bitfield": _bitfield_get_keys, "migrate": _migrate_get_keys,
                  "sort": _sort_get_keys, "sort_ro": lambda argv: [(1, READ)]}  # (sortROGetKeys)


def keys_with_flags(cmd, argv) -> list:
    """getKeysFromCommandWithSpecs for the ACL: [(argv index, READ|WRITE needed)].  Key specs are used
    unless they have variable flags (SET, BITFIELD) or are invalid for these arguments; then the
    command's getkeys procedure decides (MIGRATE's incomplete spec), or there are no keys."""
    proc = _GETKEYS_PROCS.get(cmd.name)
    if proc is not None and any("variable_flags" in s.flags for s in cmd.key_specs):
        return proc(argv)
    res = _keys_using_specs(cmd, argv)
    if res is not None:
        return res
    if proc is not None:
        return proc(argv)
    return []


_PUBLISH = frozenset({"publish", "spublish"})
_SUBSCRIBE = frozenset({"subscribe", "ssubscribe"})


def channels_of(cmd, argv) -> list:
    """getChannelsFromCommand, keeping the channels that are checked (publish, subscribe)."""
    name = cmd.name
    if name in _PUBLISH:
        return [(1, False)] if len(argv) > 1 else []
    if name in _SUBSCRIBE:
        return [(i, False) for i in range(1, len(argv))]
    if name == "psubscribe":
        return [(i, True) for i in range(1, len(argv))]
    return []


USER_FLAG_NAMES = ("on", "off", "nopass", "skip-sanitize-payload", "sanitize-payload")


class User:
    __slots__ = ("name", "enabled", "nopass", "sanitize", "passwords", "selectors", "restricted")

    def __init__(self, name: bytes, pubsub_default_all: bool = False):
        self.name = name
        self.enabled = False
        self.nopass = False
        self.sanitize = None  # None | "sanitize-payload" | "skip-sanitize-payload"
        self.passwords: list = []  # hex SHA-256
        self.selectors = [Selector(root=True, allchannels=pubsub_default_all)]
        self.restricted = True

    @property
    def root(self) -> Selector:
        return self.selectors[0]

    @property
    def str_name(self) -> str:
        return _text(self.name)

    def copy_from(self, other: "User") -> None:
        """ACLCopyUser (keeps the name)."""
        self.enabled = other.enabled
        self.nopass = other.nopass
        self.sanitize = other.sanitize
        self.passwords = list(other.passwords)
        self.selectors = [s.copy() for s in other.selectors]
        self.update_restricted()

    def clone(self) -> "User":
        u = User(self.name)
        u.copy_from(self)
        return u

    def update_restricted(self) -> None:
        """Can this user run anything, anywhere?  If so its clients skip the ACL check (fast path)."""
        r = self.root
        self.restricted = not (r.allcommands and r.allkeys and r.allchannels)

    def flags(self) -> list:
        out = ["on" if self.enabled else "off"]
        if self.nopass:
            out.append("nopass")
        if self.sanitize == "skip-sanitize-payload":
            out.append("skip-sanitize-payload")
        elif self.sanitize == "sanitize-payload":
            out.append("sanitize-payload")
        return out

    def set_op(self, op: bytes, pubsub_default_all: bool = False) -> None:
        """ACLSetUser: apply one rule; raises AclOpError."""
        if not op:
            return
        low = op.lower()
        if low == b"on":
            self.enabled = True
        elif low == b"off":
            self.enabled = False
        elif low == b"skip-sanitize-payload":
            self.sanitize = "skip-sanitize-payload"
        elif low == b"sanitize-payload":
            self.sanitize = "sanitize-payload"
        elif low == b"nopass":
            self.nopass = True
            self.passwords = []
        elif low == b"resetpass":
            self.nopass = False
            self.passwords = []
        elif op[:1] in (b">", b"#"):
            if op[:1] == b">":
                h = hash_password(op[1:])
            else:
                if not _valid_hash(op[1:]):
                    raise AclOpError(ERR_EBADMSG)
                h = _text(op[1:])
            if h not in self.passwords:
                self.passwords.append(h)
            self.nopass = False
        elif op[:1] in (b"<", b"!"):
            if op[:1] == b"<":
                h = hash_password(op[1:])
            else:
                if not _valid_hash(op[1:]):
                    raise AclOpError(ERR_EBADMSG)
                h = _text(op[1:])
            if h in self.passwords:
                self.passwords.remove(h)
            else:
                raise AclOpError(ERR_ENODEV)
        elif op[:1] == b"(" and op[-1:] == b")":
            self.selectors.append(selector_from_opset(op, pubsub_default_all))
        elif low == b"clearselectors":
            del self.selectors[1:]
        elif low == b"reset":
            self.set_op(b"resetpass")
            self.set_op(b"resetkeys")
            self.set_op(b"resetchannels")
            if pubsub_default_all:
                self.set_op(b"allchannels")
            self.set_op(b"off")
            self.set_op(b"sanitize-payload")
            self.set_op(b"clearselectors")
            self.set_op(b"-@all")
        else:
            self.root.set_op(op, pubsub_default_all)

    def describe(self) -> bytes:
        """ACLDescribeUser: flags, password hashes, then the selectors."""
        parts = [f.encode() for f in self.flags()]
        parts.extend(b"#" + p.encode() for p in self.passwords)
        parts.append(self.root.describe())
        out = b" ".join(parts)
        for s in self.selectors[1:]:
            out += b" (" + s.describe() + b")"
        return out

    def check_password(self, password: bytes) -> bool:
        """ACLCheckUserCredentials (the user exists): enabled, then nopass or a matching hash."""
        if not self.enabled:
            return False
        if self.nopass:
            return True
        h = hash_password(password)
        ok = False
        for p in self.passwords:
            if hmac.compare_digest(p, h):  # time independent, like Redis's time_independent_strcmp
                ok = True
        return ok


def _valid_hash(h: bytes) -> bool:
    """ACLCheckPasswordHash."""
    return len(h) == 64 and all(ch in _HEX for ch in h)


def selector_from_opset(op: bytes, pubsub_default_all: bool = False) -> Selector:
    """aclCreateSelectorFromOpSet: "(rule rule ...)" split like sdssplitargs."""
    from ..protocol.request import split_args

    s = Selector(allchannels=pubsub_default_all)
    args = split_args(op[1:-1]) or []
    for a in args:
        s.set_op(a, pubsub_default_all)
    return s


def merge_selector_args(args: list):
    """ACLMergeSelectorArguments: join "(a" "b)" into one "(a b)" argument.  Returns (merged, None),
    or (None, index of the unmatched opening argument)."""
    out = []
    sel = None
    start = -1
    for j, op in enumerate(args):
        if op[:1] == b"(" and op[-1:] != b")":
            sel = op
            start = j
            continue
        if start != -1:
            sel += b" " + op
            if op[-1:] == b")":
                start = -1
                out.append(sel)
            continue
        out.append(op)
    if start != -1:
        return None, start
    return out, None


class LogEntry:
    __slots__ = ("count", "reason", "context", "object", "username", "ctime", "cinfo")

    def __init__(self, reason, context, obj: bytes, username: bytes, cinfo: bytes):
        self.count = 1
        self.reason = reason
        self.context = context
        self.object = obj
        self.username = username
        self.ctime = int(time.time() * 1000)
        self.cinfo = cinfo

    def matches(self, other: "LogEntry") -> bool:
        """ACLLogMatchEntry."""
        return (self.reason == other.reason and self.context == other.context
                and abs(self.ctime - other.ctime) <= ACL_LOG_GROUPING_MAX_TIME_DELTA
                and self.object == other.object and self.username == other.username)


# -- the node's ACL state ----------------------------------------------------------------------------------


class Acl:
    def __init__(self, node):
        self.node = node
        self.users: dict = {}  # name (bytes) -> User
        self.log: list = []  # newest first
        self.default_user = self._create_default_user()
        self.users[b"default"] = self.default_user
        self.denied_auth = self.denied_cmd = self.denied_key = self.denied_channel = 0

    @property
    def pubsub_default_all(self) -> bool:
        return self.node.config["acl-pubsub-default"] == "allchannels" or \
            self.node.config["acl-pubsub-default"] == 1

    def new_user(self, name: bytes) -> User:
        return User(name, self.pubsub_default_all)

    def _create_default_user(self) -> User:
        """ACLCreateDefaultUser."""
        u = self.new_user(b"default")
        for op in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
            u.set_op(op)
        u.update_restricted()
        return u

    # -- start-up --------------------------------------------------------------------------------

    def load_at_startup(self) -> None:
        """requirepass, then the ``user`` lines of the config, then the ACL file (ACLLoadUsersAtStartup).
        Raises AclStartupError after logging, as Redis exits."""
        cfg = self.node.config
        log = self.node.log
        config_users = list(cfg.users)
        if cfg["requirepass"]:
            self.update_default_password(cfg["requirepass"])
        if cfg["aclfile"] and config_users:
            log.warning("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path "
                        "is invalid. This setup is very likely to lead to configuration errors and security holes, "
                        "please define either an ACL file or declare users directly in your redis.conf, but not "
                        "both.")
            raise AclStartupError(1)
        for rules in config_users:
            rules = [r.encode("utf-8", "surrogateescape") if isinstance(r, str) else r for r in rules]
            name = rules[0]
            if has_spaces(name):
                log.warning("Spaces not allowed in ACL usernames")
                log.warning("Critical error while loading ACLs. Exiting.")
                raise AclStartupError(1)
            merged, _ = merge_selector_args(rules[1:])
            u = self.users.get(name)
            if u is None:
                u = self.users[name] = self.new_user(name)
            else:
                u.set_op(b"reset", self.pubsub_default_all)
            for op in merged or ():
                try:
                    u.set_op(op, self.pubsub_default_all)
                except AclOpError as e:
                    log.warning("Error loading ACL rule '%s' for the user named '%s': %s"
                                % (_text(op), _text(name), e.reason))
                    log.warning("Critical error while loading ACLs. Exiting.")
                    raise AclStartupError(1) from None
            u.update_restricted()
            if not u.enabled:
                log.notice("The user '%s' is disabled (there is no 'on' modifier in the user description). Make "
                           "sure this is not a configuration error." % _text(name))
        if cfg["aclfile"]:
            errors = self.load_file(cfg.resolve(cfg["aclfile"]))
            if errors is not None:
                log.warning("Aborting Redis startup because of ACL errors: %s" % errors)
                raise AclStartupError(1)
        self.sync_config()

    def sync_config(self) -> None:
        """Keep ``config.users`` (what CONFIG REWRITE writes as ``user`` lines) equal to the users."""
        cfg = self.node.config
        cfg.users = [[_utf8(u.name)] + _utf8(u.describe()).split(" ") for _, u in sorted(self.users.items())]

    def update_default_password(self, password: str) -> None:
        """ACLUpdateDefaultUserPassword (requirepass)."""
        u = self.default_user
        u.set_op(b"resetpass")
        if password:
            u.set_op(b">" + password.encode("utf-8", "surrogateescape"))
        else:
            u.set_op(b"nopass")
        self.sync_config()

    # -- authentication -------------------------------------------------------------------------

    def auth_required(self) -> bool:
        """authRequired for a client still on the default user."""
        u = self.default_user
        return not u.nopass or not u.enabled

    def authenticate(self, c, username: bytes, password: bytes, cmdname: bytes = b"auth", argv=None) -> bool:
        """checkPasswordBasedAuth: switch the client to the user, or log the failure."""
        u = self.users.get(username)
        if u is not None and u.check_password(password):
            c.authenticated = True
            c.acl_user = u
            c.user = u.str_name
            c.update_slow()
            return True
        self.denied_auth += 1
        c.last_cmd = _text(cmdname).lower()  # (Redis set c->lastcmd before running the command)
        self.add_log(c, ACL_DENIED_AUTH, CTX_MULTI if c.multi is not None else CTX_TOPLEVEL, cmdname, username,
                     argv)
        return False

    def set_default_auth(self, c) -> None:
        """clientSetDefaultAuth."""
        c.acl_user = self.default_user
        c.user = "default"
        c.authenticated = self.default_user.nopass and self.default_user.enabled

    def get_user(self, name: bytes):
        """ACLGetUserByName."""
        return self.users.get(name)

    # -- what ACL CAT / LOG / DRYRUN show ---------------------------------------------------------------

    categories = CATEGORIES

    @staticmethod
    def category_commands(cat: str):
        """ACL CAT <category>: the full names in it, or None for an unknown category.  (Redis walks its
        command hash table; we go alphabetically.)"""
        cs = commands()
        if cat not in cs.members:
            return None
        out = []
        for top in cs.ordered:
            if cat in top.cats:
                out.append(top.name)
            for sub in sorted(top.subs.values(), key=lambda s: s.name):
                if cat in sub.cats:
                    out.append(sub.name)
        return out

    @staticmethod
    def reason_name(reason: int) -> str:
        return REASONS.get(reason, "unknown")

    def dryrun(self, u: User, cmd, argv):
        """ACL DRYRUN: None if allowed, else the (bulk) explanation."""
        r, idx = self.check_user(u, cmd, argv)
        if r == ACL_OK:
            return None
        if r == ACL_DENIED_CMD:
            return ("This user has no permissions to run the '%s' command" % cmd.name).encode()
        if r == ACL_DENIED_KEY:
            return b"This user has no permissions to access the '" + argv[idx] + b"' key"
        return b"This user has no permissions to access the '" + argv[idx] + b"' channel"

    # -- permission checks -------------------------------------------------------------------------

    def check_user(self, u: User, cmd, argv):
        """ACLCheckAllUserCommandPerm: (result, argv index of the offending key or channel)."""
        acmd = commands().by_name.get(cmd.name)
        if acmd is None:
            return ACL_OK, 0
        relevant, last_idx = ACL_DENIED_CMD, 0
        cache: list = []
        for s in u.selectors:
            r, idx = s.check_cmd(acmd, cmd, argv, cache)
            if r == ACL_OK:
                return ACL_OK, 0
            if r > relevant or (r == relevant and idx > last_idx):
                relevant, last_idx = r, idx
        return relevant, last_idx

    def user_has_unrestricted_key_access(self, u: User, cmd, argv, kflags: int = READ) -> bool:
        """ACLUserCheckCmdWithUnrestrictedKeyAccess: one selector lets the user run this command and
        reach every key with these permissions (SORT's BY and GET patterns need CMD_KEY_ACCESS)."""
        acmd = commands().by_name.get(cmd.name)
        if acmd is None:
            return True
        cache: list = []
        for s in u.selectors:
            if s.check_cmd(acmd, cmd, argv, cache)[0] == ACL_OK and s.has_unrestricted_key_access(kflags):
                return True
        return False

    def check(self, c, cmd, argv, in_exec: bool = False):
        """processCommand's ACL check for a restricted client: None, or the error to reply (the
        denial is logged and counted)."""
        r, idx = self.check_user(c.acl_user, cmd, argv)
        if r == ACL_OK:
            return None
        if r == ACL_DENIED_CMD:
            self.denied_cmd += 1
        elif r == ACL_DENIED_KEY:
            self.denied_key += 1
        else:
            self.denied_channel += 1
        ctx = CTX_MULTI if in_exec or c.multi is not None else CTX_TOPLEVEL
        if r == ACL_DENIED_CMD:
            obj = cmd.name.encode()
        else:
            obj = argv[idx]
        if not in_exec:
            c.last_cmd = cmd.name  # Redis set c->lastcmd before the check: the log's client info shows it
        self.add_log(c, r, ctx, obj, None, argv)
        if in_exec:
            reason = {ACL_DENIED_CMD: "no permission to execute the command or subcommand",
                      ACL_DENIED_KEY: "no permission to touch the specified keys",
                      ACL_DENIED_CHANNEL: "no permission to access one of the channels used as arguments"}[r]
            return ("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC "
                    "call. This command is no longer allowed for the following reason: " + reason)
        return noperm_message(r, cmd)

    # -- the ACL log -------------------------------------------------------------------------------

    def add_log(self, c, reason, context, obj: bytes, username, argv=None) -> None:
        """addACLLogEntry: group with a recent similar entry (among the last 10), else add one.
        ``argv``: the command the client is running (its client-info's argv-mem)."""
        name = username if username is not None else c.acl_user.name
        le = LogEntry(reason, context, obj, name, c.describe(argv).encode("latin-1"))
        log = self.log
        for i, cur in enumerate(log[:10]):
            if cur.matches(le):
                del log[i]
                log.insert(0, cur)
                cur.cinfo = le.cinfo
                cur.ctime = le.ctime
                cur.count += 1
                return
        log.insert(0, le)
        maxlen = self.node.config["acllog-max-len"]
        if len(log) > maxlen:
            del log[maxlen:]

    # -- SETUSER / DELUSER / LOAD / SAVE ------------------------------------------------------------------

    def set_user(self, name: bytes, ops: list, current=None):
        """ACL SETUSER: all rules applied to a copy, then committed (None), or the error text."""
        merged, bad = merge_selector_args(ops)
        if merged is None:
            return "ERR Unmatched parenthesis in acl selector starting at '%s'." % _text(ops[bad])
        u = self.users.get(name)
        temp = u.clone() if u is not None else self.new_user(name)
        pda = self.pubsub_default_all
        for op in merged:
            try:
                temp.set_op(op, pda)
            except AclOpError as e:
                return "ERR Error in ACL SETUSER modifier '%s': %s" % (_text(op), e.reason)
        temp.update_restricted()
        if u is not None:
            self._kill_pubsub_clients_if_needed(temp, u, current)
            u.copy_from(temp)
        else:
            u = self.users[name] = temp
        self._users_changed(u)
        return None

    def _users_changed(self, u: User) -> None:
        for c in list(self.node.clients.values()):
            if c.acl_user is u:
                c.update_slow()
        self.sync_config()

    def _kill_pubsub_clients_if_needed(self, new: User, original: User, current) -> None:
        """ACLKillPubsubClientsIfNeeded: subscribers whose channels are no longer allowed are dropped."""
        if any(s.allchannels for s in new.selectors):
            return
        upcoming = [ch for s in new.selectors for ch in s.channels]
        if not any(s.allchannels for s in original.selectors) and all(
                ch in upcoming for s in original.selectors for ch in s.channels):
            return  # the new channels are a superset of the old ones (losing allchannels never is)
        for c in list(self.node.clients.values()):
            if c.acl_user is not original or not (c.channels or c.patterns or c.shard_channels):
                continue
            kill = any(not check_channel(upcoming, p, True) for p in c.patterns)
            kill = kill or any(not check_channel(upcoming, ch, False) for ch in c.channels)
            kill = kill or any(not check_channel(upcoming, ch, False) for ch in c.shard_channels)
            if kill:
                self._kill(c, current)

    @staticmethod
    def _kill(c, current) -> None:
        if c is current:
            c.close_after_reply = True
            c.update_slow()
            return
        from ..commands.admin import kill_client

        kill_client(c)

    def kill_clients_of(self, u: User, current) -> None:
        """ACLFreeUserAndKillClients: clients of a deleted user go (the current one after its reply)."""
        for c in list(self.node.clients.values()):
            if c.acl_user is u:
                self.set_default_auth(c)
                c.authenticated = False
                self._kill(c, current)

    def delete_users(self, names: list, current) -> int:
        deleted = 0
        for name in names:
            u = self.users.pop(name, None)
            if u is None:
                continue
            deleted += 1
            self.kill_clients_of(u, current)
        if deleted:
            self.sync_config()
        return deleted

    def load_file(self, path: str, current=None):
        """ACLLoadFromFile: None on success, else the error text (the old users stay)."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            return "Error loading ACLs, opening file '%s': %s" % (path, os.strerror(e.errno))
        shown = self.node.config["aclfile"]
        nul = data.find(b"\0")
        if nul >= 0:
            data = data[:nul]
        errors = ""
        users: dict = {}
        pda = self.pubsub_default_all
        for i, line in enumerate(data.split(b"\n")):
            linenum = i + 1
            line = line.strip(b" \t\r\n")
            if not line:
                continue
            argv = line.split(b" ")
            if argv[0] != b"user" or len(argv) < 2:
                errors += "%s:%d should start with user keyword followed by the username. " % (shown, linenum)
                continue
            name = argv[1]
            if has_spaces(name):
                errors += "'%s:%d: username '%s' contains invalid characters. " % (shown, linenum, _text(name))
                continue
            if name in users:
                errors += "WARNING: Duplicate user '%s' found on line %d. " % (_text(name), linenum)
                continue
            u = users[name] = User(name, pda)
            merged, _ = merge_selector_args(argv[2:])
            if merged is None:
                errors += "%s:%d: Unmatched parenthesis in selector definition." % (shown, linenum)
                merged = []
            syntax_error = False
            for op in merged:
                op = op.strip(b"\t\r\n")
                try:
                    u.set_op(op, pda)
                except AclOpError as e:
                    if e.enoent:
                        errors += "%s:%d: Error in applying operation '%s': %s. " % (shown, linenum, _text(op),
                                                                                     e.reason)
                    elif not syntax_error:
                        errors += "%s:%d: %s. " % (shown, linenum, e.reason)
                        syntax_error = True
        if errors:
            return errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        new_default = users.pop(b"default", None) or self._create_default_user()
        old = self.users
        self.default_user.copy_from(new_default)
        for u in users.values():
            u.update_restricted()
        self.users = {b"default": self.default_user}
        self.users.update(users)
        for name, u in old.items():
            if name != b"default":
                self.kill_clients_of(u, current)
        for c in list(self.node.clients.values()):
            c.update_slow()
        self.sync_config()
        return None

    def save_file(self, path: str) -> bool:
        """ACLSaveToFile: temp file, fsync, rename, fsync the directory."""
        content = b"".join(b"user " + name + b" " + u.describe() + b"\n" for name, u in sorted(self.users.items()))
        tmp = "%s.tmp-%d-%d" % (path, os.getpid(), int(time.time() * 1000))
        log = self.node.log
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o644)
        except OSError as e:
            log.warning("Opening temp ACL file for ACL SAVE: %s" % os.strerror(e.errno))
            return False
        try:
            try:
                os.write(fd, content)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError as e:
            log.warning("Writing ACL file for ACL SAVE: %s" % os.strerror(e.errno))
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return False
        try:
            dfd = os.open(os.path.dirname(os.path.abspath(path)) or ".", os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
        return True


def noperm_message(r: int, cmd) -> str:
    """processCommand's rejection text for an ACL denial (Redis 7.0)."""
    if r == ACL_DENIED_CMD:
        return "NOPERM this user has no permissions to run the '%s' command" % cmd.name
    if r == ACL_DENIED_KEY:
        return "NOPERM this user has no permissions to access one of the keys used as arguments"
    if r == ACL_DENIED_CHANNEL:
        return "NOPERM this user has no permissions to access one of the channels used as arguments"
    return "NOPERM no permission"


def validate_config_user(argv: list, users: list) -> None:
    """ACLAppendUserForLoading at config-reading time (``user <name> <rules...>``, ``users`` the lines
    read so far): the rules are tried on a scratch user; unknown commands are only found later (the
    node refuses to start then).  Raises ValueError with Redis's text."""
    if any(u and u[0] == argv[1] for u in users):
        raise ValueError("Error in user declaration '%s': %s" % (argv[1], ERR_EALREADY))
    args = [a.encode("utf-8", "surrogateescape") if isinstance(a, str) else a for a in argv]
    merged, bad = merge_selector_args(args[2:])
    if merged is None:
        # Redis reports the argument *before* the opening one, and a stale errno
        raise ValueError("Error in user declaration '%s': %s" % (_text(args[bad]), ERR_ENOENT))
    u = User(args[1])
    for j, op in enumerate(merged):
        try:
            u.set_op(op)
        except AclOpError as e:
            if not e.enoent:
                raise ValueError("Error in user declaration '%s': %s" % (_text(args[j]), e.reason)) from None
