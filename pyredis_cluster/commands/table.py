"""The command table (DESIGN rule 4): one registry drives arity errors, COMMAND replies, key
extraction for slot routing, write propagation and the read-only check on replicas.

Each command is a plain function registered with :func:`command`::

    @command("get")
    def get(client, argv):
        return client.db.get_string(argv[1])

Arity, flags and key positions default to Redis 7.0's own values, captured from a real redis-server
into ``redis70_commands.json`` by ``tools/gen_command_meta.py`` (so COMMAND INFO answers byte for
byte as Redis does).  A registration may still state them (``arity=2, flags="readonly fast"``); they
are then checked against Redis's table when the module is imported.

Keys are found the way Redis 7.0 finds them (``getKeysUsingKeySpecs``): each *key spec* begins its
search at an index or after a keyword, then takes a range of keys or a count read from an argument.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from .. import errors
from ..errors import CommandError
from ..protocol.reply import Map, SetReply, Status

_META_PATH = os.path.join(os.path.dirname(__file__), "redis70_commands.json")
with open(_META_PATH) as _f:
    REDIS_META: dict = json.load(_f)


def _flatten_subcommands() -> None:
    """Subcommands ("config|get") sit inside their container's entry; index them by full name too."""
    for meta in list(REDIS_META.values()):
        info = meta.get("info")
        if info is not None:
            for sub in info["v"][9]["v"]:
                REDIS_META.setdefault(sub["v"][0]["v"], {})["info"] = sub
        docs = meta.get("docs")
        if docs is not None:
            for k, v in docs["v"]:
                if k["v"] == "subcommands":
                    for name, sub_docs in v["v"]:
                        REDIS_META.setdefault(name["v"], {})["docs"] = sub_docs


_flatten_subcommands()


def _tree_to_reply(node):
    """Turn a typed tree from redis70_commands.json into reply values (Map, SetReply, Status ...)."""
    t = node["t"]
    if t == "bulk":
        return node["v"].encode()
    if t == "int":
        return node["v"]
    if t == "status":
        return Status(node["v"])
    if t == "array":
        return [_tree_to_reply(x) for x in node["v"]]
    if t == "set":
        return SetReply(_tree_to_reply(x) for x in node["v"])
    if t == "map":
        return Map([(_tree_to_reply(k), _tree_to_reply(v)) for k, v in node["v"]])
    if t == "null":
        return None
    if t == "bool":
        return bool(node["v"])
    raise ValueError(t)


def _plain(node):
    """A typed tree as plain Python (dicts for maps) for reading key specs."""
    t = node["t"]
    if t in ("array", "set"):
        return [_plain(x) for x in node["v"]]
    if t == "map":
        return {_plain(k): _plain(v) for k, v in node["v"]}
    return node.get("v")


@dataclass(eq=False)
class KeySpec:
    """One Redis 7.0 key spec: where the search begins and how the keys are found from there."""

    flags: frozenset
    begin: str  # "index" | "keyword" | "unknown"
    index: int = 0  # begin index
    keyword: bytes = b""
    startfrom: int = 0
    find: str = "range"  # "range" | "keynum" | "unknown"
    lastkey: int = 0
    keystep: int = 1
    limit: int = 0
    keynumidx: int = 0
    firstkey: int = 0


@dataclass(eq=False)
class Command:
    name: str  # lower case; "container|sub" for subcommands
    handler: object
    arity: int
    flags: frozenset
    first_key: int = 0
    last_key: int = 0
    key_step: int = 0
    key_specs: list = field(default_factory=list)
    getkeys: object = None  # a function(argv) -> key indexes, for commands whose keys move
    subcommands: dict = field(default_factory=dict)  # bytes (lower) -> Command
    parent: "Command | None" = None
    # behaviour flags, precomputed for the hot path
    is_write: bool = False
    write_for: object = None  # EVAL/FCALL: a function(client, argv) -> is this call a write (getCommandFlags)
    is_readonly: bool = False
    denyoom: bool = False
    no_keys: bool = True
    single_key: int = 0  # argv index of the one key, for commands with exactly one key (cluster fast path)
    # statistics (INFO commandstats)
    calls: int = 0
    usec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0
    latency_histogram: object = None  # server/latency_hist.Histogram once called with latency-tracking on

    @property
    def info(self):
        """The COMMAND INFO entry for this command (subcommands limited to those we implement)."""
        meta = REDIS_META.get(self.name)
        if meta is None or "info" not in meta:
            return [
                self.name.encode(), self.arity, SetReply(Status(f) for f in sorted(self.flags)),
                self.first_key, self.last_key, self.key_step, SetReply(), SetReply(), SetReply(), [],
            ]
        entry = _tree_to_reply(meta["info"])
        if self.subcommands:  # Redis: an array of the subcommands, or an empty *set* when none
            entry[9] = [sub.info for sub in self.subcommands.values()]
        return entry

    @property
    def docs(self):
        meta = REDIS_META.get(self.name, {}).get("docs")
        if meta is None:
            return Map([(b"summary", b""), (b"since", b""), (b"group", b"server")])
        docs = _tree_to_reply(meta)
        if self.subcommands:
            pairs = [(k, v) for k, v in docs.pairs if k != b"subcommands"]
            pairs.append((b"subcommands", Map([(s.name.encode(), s.docs) for s in self.subcommands.values()])))
            docs = Map(pairs)
        return docs

    def writes(self, client, argv) -> bool:
        """is_write_command for this call (getCommandFlags): the write flag, or for EVAL / FCALL the flags
        their script declared (``write_for``, set by commands/scripting.py)."""
        f = self.write_for
        return self.is_write if f is None else f(client, argv)

    def get_keys(self, argv: list) -> list:
        """Indexes of the key arguments in ``argv`` (Redis: getKeysFromCommandWithSpecs)."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        return keys_from_specs(self.key_specs, argv)


# The registry: lower-case name -> Command.  `lookup` also holds upper-case spellings so that the
# hot path finds "GET" and "get" with one dict access.
COMMANDS: dict[bytes, Command] = {}
_LOOKUP: dict[bytes, Command] = {}


def lookup(name: bytes):
    cmd = _LOOKUP.get(name)
    if cmd is None:
        cmd = _LOOKUP.get(name.lower())
    return cmd


def _parse_meta(name: str):
    meta = REDIS_META.get(name)
    if meta is None or "info" not in meta:
        return None
    info = _plain(meta["info"])
    specs = []
    for s in info[8]:
        bs, fk = s["begin_search"], s["find_keys"]
        spec = KeySpec(flags=frozenset(s["flags"]), begin=bs["type"])
        if bs["type"] == "index":
            spec.index = bs["spec"]["index"]
        elif bs["type"] == "keyword":
            spec.keyword = bs["spec"]["keyword"].encode()
            spec.startfrom = bs["spec"]["startfrom"]
        spec.find = fk["type"]
        if fk["type"] == "range":
            spec.lastkey, spec.keystep, spec.limit = fk["spec"]["lastkey"], fk["spec"]["keystep"], fk["spec"]["limit"]
        elif fk["type"] == "keynum":
            spec.keynumidx = fk["spec"]["keynumidx"]
            spec.firstkey = fk["spec"]["firstkey"]
            spec.keystep = fk["spec"]["keystep"]
        specs.append(spec)
    return {
        "arity": info[1],
        "flags": frozenset(info[2]),
        "first_key": info[3],
        "last_key": info[4],
        "key_step": info[5],
        "key_specs": specs,
    }


def command(name: str, arity: int | None = None, flags: str | None = None, keys=None, getkeys=None):
    """Register ``handler(client, argv)`` as command ``name`` ("config|get" for a subcommand).

    Values left out come from Redis 7.0's table; values given must agree with it."""
    name = name.lower()

    def register(handler):
        meta = _parse_meta(name)
        if meta is None:
            if arity is None:
                raise ValueError(f"command {name!r} is unknown to Redis 7.0: give its arity and flags")
            meta = {"arity": arity, "flags": frozenset((flags or "").split()), "first_key": 0, "last_key": 0,
                    "key_step": 0, "key_specs": []}
            if keys:
                meta["first_key"], meta["last_key"], meta["key_step"] = keys
                meta["key_specs"] = [KeySpec(frozenset(), "index", index=keys[0], lastkey=keys[1] - keys[0]
                                             if keys[1] >= 0 else keys[1], keystep=keys[2])]
        else:
            if arity is not None and arity != meta["arity"]:
                raise ValueError(f"{name}: arity {arity} differs from Redis's {meta['arity']}")
            if flags is not None and frozenset(flags.split()) != meta["flags"]:
                raise ValueError(f"{name}: flags {flags!r} differ from Redis's {sorted(meta['flags'])}")
            if keys is not None and tuple(keys) != (meta["first_key"], meta["last_key"], meta["key_step"]):
                raise ValueError(f"{name}: keys {keys} differ from Redis's")
        cmd = Command(name=name, handler=handler, getkeys=getkeys, **meta)
        cmd.is_write = "write" in cmd.flags
        cmd.is_readonly = "readonly" in cmd.flags
        cmd.denyoom = "denyoom" in cmd.flags
        cmd.no_keys = not cmd.key_specs and getkeys is None
        if getkeys is None and len(cmd.key_specs) == 1:
            ks = cmd.key_specs[0]
            if ks.begin == "index" and ks.find == "range" and ks.lastkey == 0 and ks.index > 0:
                cmd.single_key = ks.index
        if "|" in name:
            container_name, sub = name.split("|", 1)
            container = COMMANDS.get(container_name.encode())
            if container is None:
                container = _make_container(container_name)
            cmd.parent = container
            container.subcommands[sub.encode()] = cmd
        else:
            existing = COMMANDS.get(name.encode())
            if existing is not None and existing.subcommands:
                cmd.subcommands = existing.subcommands
                for s in cmd.subcommands.values():
                    s.parent = cmd
            COMMANDS[name.encode()] = cmd
            _LOOKUP[name.encode()] = cmd
            _LOOKUP[name.upper().encode()] = cmd
        return handler

    return register


def _make_container(name: str) -> Command:
    """A command made of subcommands (CONFIG, CLIENT ...): dispatches on argv[1]."""
    meta = _parse_meta(name) or {"arity": -2, "flags": frozenset(), "first_key": 0, "last_key": 0, "key_step": 0,
                                 "key_specs": []}
    cmd = Command(name=name, handler=None, **meta)
    COMMANDS[name.encode()] = cmd
    _LOOKUP[name.encode()] = cmd
    _LOOKUP[name.upper().encode()] = cmd
    return cmd


def resolve(argv: list):
    """Find the Command for ``argv`` (descending into subcommands) and check its arity.

    Raises CommandError with Redis's text for unknown commands/subcommands and wrong arity."""
    cmd = _LOOKUP.get(argv[0])
    if cmd is None:
        cmd = _LOOKUP.get(argv[0].lower())
        if cmd is None:
            raise CommandError(errors.unknown_command(argv))
    if cmd.subcommands and len(argv) >= 2:  # a container (CONFIG, CLIENT ...): find the subcommand
        sub = cmd.subcommands.get(argv[1])
        if sub is None:
            sub = cmd.subcommands.get(argv[1].lower())
            if sub is None:
                raise CommandError(errors.unknown_subcommand(argv[0], argv[1]))
        cmd = sub
    n = len(argv)
    ar = cmd.arity
    if (ar > 0 and n != ar) or n < -ar:
        raise CommandError(errors.wrong_arity(cmd.name))
    return cmd


def keys_from_specs(specs: list, argv: list) -> list:
    """getKeysUsingKeySpecs (db.c): the key indexes of argv according to Redis 7.0 key specs."""
    out: list = []
    argc = len(argv)
    for spec in specs:
        if spec.begin == "index":
            first = spec.index
        elif spec.begin == "keyword":
            first = 0
            if spec.startfrom >= 0:
                rng = range(spec.startfrom, argc)
            else:
                rng = range(argc + spec.startfrom, 0, -1)
            for i in rng:
                if i >= argc or i <= 0:
                    break
                if argv[i].lower() == spec.keyword.lower():
                    first = i + 1
                    break
            if not first:
                continue
        else:
            continue
        if spec.find == "range":
            if spec.lastkey >= 0:
                last = first + spec.lastkey
            elif spec.limit <= 1:
                last = argc + spec.lastkey
            else:
                last = first + ((argc - first) // spec.limit + spec.lastkey)
            step = spec.keystep
        elif spec.find == "keynum":
            idx = first + spec.keynumidx
            if idx >= argc:
                raise CommandError(errors.SYNTAX)
            try:
                numkeys = int(argv[idx])
            except ValueError:
                raise CommandError(errors.NOT_INTEGER) from None
            if numkeys < 0:
                raise CommandError(errors.SYNTAX)
            first = idx + spec.firstkey
            step = spec.keystep
            last = first + (numkeys - 1) * step
        else:
            continue
        i = first
        while i <= last:
            if i >= argc or i < 0:
                break  # an incomplete command; Redis stops here too
            out.append(i)
            i += step
    return out
