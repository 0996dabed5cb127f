"""redis.conf: the parser, the typed settings, and CONFIG GET / SET / REWRITE (Redis: config.c).

The file format is Redis's: one directive per line, ``#`` comments, arguments split like
``sdssplitargs`` ("double quotes" with escapes, 'single quotes'), ``include other.conf``, memory
units (``1k``/``1kb``/``5mb``/``1gb`` ...) and ``yes``/``no``.  Command-line options (``--port 7000``)
are appended as more lines, exactly as redis-server does.  Any error stops the node with Redis's
``*** FATAL CONFIG FILE ERROR ***`` report naming the file, line and reason (:class:`ConfigError`).

Every directive is declared once in :data:`DIRECTIVES` with its type and Redis 7.0 default; names
kept for compatibility (``slaveof``, ``hash-max-ziplist-entries`` ...) are aliases of the new ones.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass

from .protocol.request import split_args

REDIS_VERSION = "7.0.15"  # the Redis version whose behaviour we reproduce (and report in INFO)


class ConfigError(Exception):
    """A bad directive: ``reason`` as Redis words it, with where it was found."""

    def __init__(self, reason: str, file: str | None = None, line_no: int | None = None, line: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.file = file
        self.line_no = line_no
        self.line = line

    def report(self) -> str:
        """The text redis-server prints before exiting with code 1."""
        out = ["", "*** FATAL CONFIG FILE ERROR (Redis %s) ***" % REDIS_VERSION]
        if self.line_no is not None:
            where = "the configuration file" if not self.file else "the configuration file '%s'" % self.file
            if self.file == "<command line>":
                where = "the command line arguments"
            out.append("Reading %s, at line %d" % (where, self.line_no))
            out.append(">>> '%s'" % self.line)
        out.append(self.reason)
        return "\n".join(out) + "\n"


# -- value types ---------------------------------------------------------------------------------

_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3,
}


def parse_memory(text: str):
    """memtoull (util.c): ``1k`` = 1000, ``1kb`` = 1024 ... case-insensitive.  None if invalid."""
    t = text.lower()
    i = len(t)
    while i > 0 and t[i - 1].isalpha():
        i -= 1
    num, unit = t[:i], t[i:]
    if unit not in _UNITS or not num or not (num.isdigit() or (num[0] == "-" and num[1:].isdigit())):
        return None
    return int(num) * _UNITS[unit]


@dataclass
class Directive:
    name: str
    kind: str  # bool | int | memory | enum | string | special
    default: object
    lo: int = -(2**63)
    hi: int = 2**63 - 1
    choices: tuple = ()
    mutable: bool = True
    protected: bool = False  # needs enable-protected-configs to CONFIG SET
    aliases: tuple = ()
    multi: bool = False  # takes several arguments (bind, save ...)

    def parse(self, args: list):
        """Parse the argument strings of one occurrence; raise ValueError(reason) if bad."""
        if self.kind == "special" or self.multi:
            return " ".join(args) if self.name not in ("bind",) else " ".join(args)
        if len(args) != 1:
            raise ValueError("wrong number of arguments")
        v = args[0]
        if self.kind == "bool":
            if v.lower() == "yes":
                return True
            if v.lower() == "no":
                return False
            raise ValueError("argument must be 'yes' or 'no'")
        if self.kind in ("int", "memory"):
            if self.kind == "memory":
                n = parse_memory(v)
                if n is None:
                    raise ValueError("argument must be a memory value")
            else:
                try:
                    if not v.lstrip("-").isdigit():
                        raise ValueError
                    n = int(v)
                except ValueError:
                    raise ValueError("argument couldn't be parsed into an integer") from None
            if not self.lo <= n <= self.hi:
                raise ValueError("argument must be between %d and %d inclusive" % (self.lo, self.hi))
            return n
        if self.kind == "enum":
            if v.lower() not in self.choices:
                raise ValueError("argument(s) must be one of the following: %s" % ", ".join(self.choices))
            return v.lower()
        return v

    def format(self, value) -> str:
        if self.kind == "bool":
            return "yes" if value else "no"
        return str(value)


def _d(name, kind, default, **kw):
    return Directive(name, kind, default, **kw)


_INT_MAX = 2**31 - 1
_LONG_MAX = 2**63 - 1
_YESNO = ("yes", "no")

DIRECTIVE_LIST = [
    # network
    _d("port", "int", 6379, lo=0, hi=65535, mutable=True),
    _d("bind", "special", "127.0.0.1", multi=True),
    _d("bind-source-addr", "string", ""),
    _d("protected-mode", "bool", True),
    _d("tcp-backlog", "int", 511, lo=0, hi=_INT_MAX, mutable=False),
    _d("timeout", "int", 0, lo=0, hi=_INT_MAX),
    _d("tcp-keepalive", "int", 300, lo=0, hi=_INT_MAX),
    _d("unixsocket", "string", "", mutable=False),
    _d("unixsocketperm", "int", 0, lo=0, hi=0o777, mutable=False),
    _d("socket-mark-id", "int", 0, lo=0, hi=2**32 - 1),
    _d("tls-port", "int", 0, lo=0, hi=65535),
    # general
    _d("daemonize", "bool", False, mutable=False),
    _d("supervised", "enum", "no", choices=("upstart", "systemd", "auto", "no"), mutable=False),
    _d("pidfile", "string", "", mutable=False),
    _d("loglevel", "enum", "notice", choices=("debug", "verbose", "notice", "warning", "nothing")),
    _d("logfile", "string", "", mutable=False),
    _d("syslog-enabled", "bool", False, mutable=False),
    _d("syslog-ident", "string", "redis", mutable=False),
    _d("syslog-facility", "enum", "local0", choices=("user", "local0", "local1", "local2", "local3", "local4",
                                                     "local5", "local6", "local7"), mutable=False),
    _d("databases", "int", 16, lo=1, hi=_INT_MAX, mutable=False),
    _d("always-show-logo", "bool", False, mutable=False),
    _d("set-proc-title", "bool", True, mutable=False),
    _d("proc-title-template", "string", "{title} {listen-addr} {server-mode}"),
    _d("hz", "int", 10, lo=0, hi=_INT_MAX),
    _d("dynamic-hz", "bool", True),
    _d("enable-protected-configs", "enum", "no", choices=("no", "yes", "local"), mutable=False),
    _d("enable-debug-command", "enum", "no", choices=("no", "yes", "local"), mutable=False),
    _d("enable-module-command", "enum", "no", choices=("no", "yes", "local"), mutable=False),
    _d("io-threads", "int", 1, lo=1, hi=128, mutable=False),
    _d("io-threads-do-reads", "bool", False, mutable=False),
    _d("shutdown-timeout", "int", 10, lo=0, hi=_INT_MAX),
    _d("shutdown-on-sigint", "string", "default"),
    _d("shutdown-on-sigterm", "string", "default"),
    _d("crash-log-enabled", "bool", True),
    _d("crash-memcheck-enabled", "bool", True),
    _d("disable-thp", "bool", True, mutable=False),
    _d("oom-score-adj", "enum", "no", choices=("no", "yes", "relative", "absolute")),
    _d("oom-score-adj-values", "special", "0 200 800", multi=True),
    _d("ignore-warnings", "string", ""),
    _d("jemalloc-bg-thread", "bool", True),
    _d("activerehashing", "bool", True),
    _d("latency-monitor-threshold", "int", 0, lo=0, hi=_LONG_MAX),
    _d("latency-tracking", "bool", True),
    _d("latency-tracking-info-percentiles", "special", "50 99 99.9", multi=True),
    _d("slowlog-log-slower-than", "int", 10000, lo=-1, hi=_LONG_MAX),
    _d("slowlog-max-len", "int", 128, lo=0, hi=_LONG_MAX),
    _d("busy-reply-threshold", "int", 5000, lo=0, hi=_LONG_MAX, aliases=("lua-time-limit",)),
    _d("notify-keyspace-events", "string", ""),
    _d("active-expire-effort", "int", 1, lo=1, hi=10),
    # snapshotting
    _d("save", "special", "3600 1 300 100 60 10000", multi=True),
    _d("stop-writes-on-bgsave-error", "bool", True),
    _d("rdbcompression", "bool", True),
    _d("rdbchecksum", "bool", True, mutable=False),
    _d("sanitize-dump-payload", "enum", "no", choices=("no", "yes", "clients")),
    _d("dbfilename", "string", "dump.rdb", protected=True),
    _d("rdb-del-sync-files", "bool", False),
    _d("rdb-save-incremental-fsync", "bool", True),
    _d("dir", "special", "", protected=True),
    # replication
    _d("replicaof", "special", "", multi=True, aliases=("slaveof",)),
    _d("masterauth", "string", ""),
    _d("masteruser", "string", ""),
    _d("replica-serve-stale-data", "bool", True, aliases=("slave-serve-stale-data",)),
    _d("replica-read-only", "bool", True, aliases=("slave-read-only",)),
    _d("repl-diskless-sync", "bool", True),
    _d("repl-diskless-sync-delay", "int", 5, lo=0, hi=_INT_MAX),
    _d("repl-diskless-sync-max-replicas", "int", 0, lo=0, hi=_INT_MAX),
    _d("repl-diskless-load", "enum", "disabled", choices=("disabled", "on-empty-db", "swapdb")),
    _d("repl-ping-replica-period", "int", 10, lo=1, hi=_INT_MAX, aliases=("repl-ping-slave-period",)),
    _d("repl-timeout", "int", 60, lo=1, hi=_INT_MAX),
    _d("repl-disable-tcp-nodelay", "bool", False),
    _d("repl-backlog-size", "memory", 1024 * 1024, lo=1, hi=_LONG_MAX),
    _d("repl-backlog-ttl", "int", 3600, lo=0, hi=_INT_MAX),
    _d("replica-priority", "int", 100, lo=0, hi=_INT_MAX, aliases=("slave-priority",)),
    _d("replica-announced", "bool", True),
    _d("replica-announce-ip", "string", "", aliases=("slave-announce-ip",)),
    _d("replica-announce-port", "int", 0, lo=0, hi=65535, aliases=("slave-announce-port",)),
    _d("min-replicas-to-write", "int", 0, lo=0, hi=_INT_MAX, aliases=("min-slaves-to-write",)),
    _d("min-replicas-max-lag", "int", 10, lo=0, hi=_INT_MAX, aliases=("min-slaves-max-lag",)),
    _d("replica-lazy-flush", "bool", False, aliases=("slave-lazy-flush",)),
    _d("replica-ignore-maxmemory", "bool", True, aliases=("slave-ignore-maxmemory",)),
    _d("replica-ignore-disk-write-errors", "bool", False),
    _d("propagation-error-behavior", "enum", "ignore", choices=("ignore", "panic", "panic-on-replicas")),
    # security and clients
    _d("requirepass", "string", ""),
    _d("aclfile", "string", "", mutable=False),
    _d("acllog-max-len", "int", 128, lo=0, hi=_LONG_MAX),
    _d("acl-pubsub-default", "enum", "resetchannels", choices=("allchannels", "resetchannels")),
    _d("maxclients", "int", 10000, lo=1, hi=_INT_MAX),
    _d("client-query-buffer-limit", "memory", 1024**3, lo=1024 * 1024, hi=_LONG_MAX),
    _d("proto-max-bulk-len", "memory", 512 * 1024**2, lo=1024 * 1024, hi=_LONG_MAX),
    _d("client-output-buffer-limit", "special", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
       multi=True),
    _d("tracking-table-max-keys", "int", 1000000, lo=0, hi=_LONG_MAX),
    # memory
    _d("maxmemory", "memory", 0, lo=0, hi=_LONG_MAX),
    _d("maxmemory-policy", "enum", "noeviction", choices=(
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu",
        "allkeys-random", "noeviction")),
    _d("maxmemory-samples", "int", 5, lo=1, hi=_INT_MAX),
    _d("maxmemory-eviction-tenacity", "int", 10, lo=0, hi=100),
    _d("maxmemory-clients", "string", "0"),
    _d("lazyfree-lazy-eviction", "bool", False),
    _d("lazyfree-lazy-expire", "bool", False),
    _d("lazyfree-lazy-server-del", "bool", False),
    _d("lazyfree-lazy-user-del", "bool", False),
    _d("lazyfree-lazy-user-flush", "bool", False),
    _d("lfu-log-factor", "int", 10, lo=0, hi=_INT_MAX),
    _d("lfu-decay-time", "int", 1, lo=0, hi=_INT_MAX),
    _d("activedefrag", "bool", False),
    _d("active-defrag-ignore-bytes", "memory", 100 * 1024 * 1024, lo=1, hi=_LONG_MAX),
    _d("active-defrag-threshold-lower", "int", 10, lo=0, hi=1000),
    _d("active-defrag-threshold-upper", "int", 100, lo=0, hi=1000),
    _d("active-defrag-cycle-min", "int", 1, lo=1, hi=99),
    _d("active-defrag-cycle-max", "int", 25, lo=1, hi=99),
    _d("active-defrag-max-scan-fields", "int", 1000, lo=1, hi=_LONG_MAX),
    # append only file
    _d("appendonly", "bool", False),
    _d("appendfilename", "string", "appendonly.aof", mutable=False),
    _d("appenddirname", "string", "appendonlydir", mutable=False),
    _d("appendfsync", "enum", "everysec", choices=("always", "everysec", "no")),
    _d("no-appendfsync-on-rewrite", "bool", False),
    _d("auto-aof-rewrite-percentage", "int", 100, lo=0, hi=_INT_MAX),
    _d("auto-aof-rewrite-min-size", "memory", 64 * 1024 * 1024, lo=0, hi=_LONG_MAX),
    _d("aof-load-truncated", "bool", True),
    _d("aof-use-rdb-preamble", "bool", True),
    _d("aof-timestamp-enabled", "bool", False),
    _d("aof-rewrite-incremental-fsync", "bool", True),
    _d("aof-disable-auto-gc", "bool", False),
    # cluster
    _d("cluster-enabled", "bool", False, mutable=False),
    _d("cluster-config-file", "string", "nodes.conf", mutable=False),
    _d("cluster-node-timeout", "int", 15000, lo=0, hi=_LONG_MAX),
    _d("cluster-port", "int", 0, lo=0, hi=65535, mutable=False),
    _d("cluster-replica-validity-factor", "int", 10, lo=0, hi=_INT_MAX, aliases=("cluster-slave-validity-factor",)),
    _d("cluster-migration-barrier", "int", 1, lo=0, hi=_INT_MAX),
    _d("cluster-allow-replica-migration", "bool", True),
    _d("cluster-require-full-coverage", "bool", True),
    _d("cluster-replica-no-failover", "bool", False, aliases=("cluster-slave-no-failover",)),
    _d("cluster-allow-reads-when-down", "bool", False),
    _d("cluster-allow-pubsubshard-when-down", "bool", True),
    _d("cluster-link-sendbuf-limit", "memory", 0, lo=0, hi=_LONG_MAX),
    _d("cluster-announce-ip", "string", ""),
    _d("cluster-announce-port", "int", 0, lo=0, hi=65535),
    _d("cluster-announce-bus-port", "int", 0, lo=0, hi=65535),
    _d("cluster-announce-tls-port", "int", 0, lo=0, hi=65535),
    _d("cluster-announce-hostname", "string", ""),
    _d("cluster-preferred-endpoint-type", "enum", "ip", choices=("ip", "hostname", "unknown-endpoint")),
    # data structure thresholds
    _d("hash-max-listpack-entries", "memory", 512, lo=0, hi=_LONG_MAX, aliases=("hash-max-ziplist-entries",)),
    _d("hash-max-listpack-value", "memory", 64, lo=0, hi=_LONG_MAX, aliases=("hash-max-ziplist-value",)),
    _d("list-max-listpack-size", "int", -2, lo=-(2**31), hi=_INT_MAX, aliases=("list-max-ziplist-size",)),
    _d("list-compress-depth", "int", 0, lo=0, hi=_INT_MAX),
    _d("set-max-intset-entries", "memory", 512, lo=0, hi=_LONG_MAX),
    _d("zset-max-listpack-entries", "memory", 128, lo=0, hi=_LONG_MAX, aliases=("zset-max-ziplist-entries",)),
    _d("zset-max-listpack-value", "memory", 64, lo=0, hi=_LONG_MAX, aliases=("zset-max-ziplist-value",)),
    _d("hll-sparse-max-bytes", "memory", 3000, lo=0, hi=_LONG_MAX),
    _d("stream-node-max-bytes", "memory", 4096, lo=0, hi=_LONG_MAX),
    _d("stream-node-max-entries", "int", 100, lo=0, hi=_LONG_MAX),
    # pyredis-cluster's own: the fault-injection admin commands (issue: controllable cluster)
    _d("pyredis-admin-commands", "bool", False, mutable=False),
]

DIRECTIVES: dict[str, Directive] = {}
ALIASES: dict[str, str] = {}
for _dir in DIRECTIVE_LIST:
    DIRECTIVES[_dir.name] = _dir
    for _a in _dir.aliases:
        ALIASES[_a] = _dir.name

# Directives that may appear many times, each adding to a list rather than replacing.
REPEATABLE = {"save", "user", "rename-command", "loadmodule", "include", "client-output-buffer-limit"}


class Config:
    """The node's settings.  ``config["port"]`` reads a value; ``config.set(...)`` changes it."""

    def __init__(self):
        self.values: dict = {d.name: d.default for d in DIRECTIVE_LIST}
        self.config_file: str | None = None
        self.users: list = []  # "user" lines (ACL issue)
        self.renamed: list = []  # rename-command pairs
        self.on_change = None  # callback(name, old, new) installed by the node

    def __getitem__(self, name: str):
        return self.values[ALIASES.get(name, name)]

    def get(self, name: str, default=None):
        return self.values.get(ALIASES.get(name, name), default)

    # -- loading -----------------------------------------------------------------------------------

    @classmethod
    def from_args(cls, argv: list) -> "Config":
        """Parse redis-server's command line: ``[config-file] [--directive value ...]``."""
        cfg = cls()
        options = list(argv)
        if options and not options[0].startswith("--"):
            cfg.config_file = os.path.abspath(options.pop(0)) if options[0] != "-" else "-"
        if cfg.config_file:
            if cfg.config_file == "-":
                import sys

                cfg.load_string(sys.stdin.read(), "<stdin>")
            else:
                cfg.load_file(cfg.config_file)
        # The options become config lines: "--port 7000 --save '' " -> 'port 7000', 'save ""'
        lines = []
        for opt in options:
            if opt.startswith("--") and len(opt) > 2:
                lines.append([opt[2:]])
            elif lines:
                lines[-1].append(opt)
            else:
                raise ConfigError("Invalid option '%s'" % opt)
        for n, words in enumerate(lines, 1):
            cfg._apply_line(words, "<command line>", n, " ".join(words))
        return cfg

    def load_file(self, path: str, depth: int = 0) -> None:
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except OSError as e:
            raise ConfigError("Fatal error, can't open config file '%s': %s" % (path, e.strerror)) from None
        self.load_string(text, path, depth)

    def load_string(self, text: str, source: str, depth: int = 0) -> None:
        for n, raw in enumerate(text.split("\n"), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            words = split_args(line.encode("utf-8", "surrogateescape"))
            if words is None:
                raise ConfigError("Unbalanced quotes in configuration line", source, n, line)
            if not words:
                continue
            words = [w.decode("utf-8", "surrogateescape") for w in words]
            if words[0].lower() == "include":
                if len(words) != 2:
                    raise ConfigError("Bad directive or wrong number of arguments", source, n, line)
                if depth > 10:
                    raise ConfigError("Too many nested include files", source, n, line)
                inc = words[1]
                if not os.path.isabs(inc) and source not in ("<command line>", "<stdin>"):
                    inc_rel = os.path.join(os.path.dirname(source), inc)
                    inc = inc if os.path.exists(inc) else inc_rel
                self.load_file(inc, depth + 1)
                continue
            self._apply_line(words, source, n, line)

    def _apply_line(self, words: list, source: str, n: int, line: str) -> None:
        name = words[0].lower()
        args = words[1:]
        try:
            self._apply(name, args)
        except ValueError as e:
            raise ConfigError(str(e), source, n, line) from None

    def _apply(self, name: str, args: list) -> None:
        if name == "user":
            self.users.append(" ".join(args))
            return
        if name == "rename-command":
            if len(args) != 2:
                raise ValueError("Bad directive or wrong number of arguments")
            self.renamed.append((args[0], args[1]))
            return
        if name == "loadmodule":
            raise ValueError("Modules are not supported by pyredis-cluster")
        name = ALIASES.get(name, name)
        d = DIRECTIVES.get(name)
        if d is None or (not args and d.kind != "special"):
            raise ValueError("Bad directive or wrong number of arguments")
        if name == "save":
            # "save 900 1" lines accumulate; 'save ""' clears
            cur = self.values["save"] if getattr(self, "_save_seen", False) else ""
            self._save_seen = True
            value = _parse_save(args)
            self.values["save"] = (cur + " " + value).strip() if value else ""
            return
        if name == "client-output-buffer-limit":
            self.values[name] = _merge_obuf(self.values[name], args)
            return
        if name == "replicaof":
            if len(args) != 2:
                raise ValueError("Bad directive or wrong number of arguments")
            if args[0].lower() == "no" and args[1].lower() == "one":
                self.values[name] = ""
                return
            try:
                port = int(args[1])
            except ValueError:
                raise ValueError("Invalid master port") from None
            self.values[name] = "%s %d" % (args[0], port)
            return
        if name == "dir":
            if len(args) != 1:
                raise ValueError("Bad directive or wrong number of arguments")
            self.values[name] = args[0]
            return
        if name == "bind":
            self.values[name] = " ".join(args)
            return
        if d.kind != "special" and not d.multi and len(args) != 1:
            raise ValueError("Bad directive or wrong number of arguments")
        self.values[name] = d.parse(args)

    # -- CONFIG GET / SET --------------------------------------------------------------------------

    def get_pairs(self, patterns: list) -> list:
        """CONFIG GET: (name, value) for every parameter matching one of the glob patterns."""
        out = {}
        for pat in patterns:
            pat_l = pat.lower()
            if not any(c in pat_l for c in "*?["):
                name = ALIASES.get(pat_l, pat_l)
                if name in self.values:
                    out[pat_l] = self.format(name)
                continue
            for name in self.values:
                if fnmatch.fnmatchcase(name, pat_l):
                    out[name] = self.format(name)
            for alias, name in ALIASES.items():
                if fnmatch.fnmatchcase(alias, pat_l):
                    out[alias] = self.format(name)
        return list(out.items())

    def format(self, name: str) -> str:
        name = ALIASES.get(name, name)
        v = self.values[name]
        if name == "dir":
            return os.getcwd()
        return DIRECTIVES[name].format(v)

    def set_many(self, pairs: list, protected_ok: bool = False) -> None:
        """CONFIG SET name value [name value ...]: all or nothing.  Raises ValueError(reply text)."""
        seen = set()
        parsed = []
        for name, value in pairs:
            key = ALIASES.get(name.lower(), name.lower())
            d = DIRECTIVES.get(key)
            if d is None:
                raise ValueError("ERR Unknown option or number of arguments for CONFIG SET - '%s'" % name)
            if key in seen:
                raise ValueError("ERR CONFIG SET failed (possibly related to argument '%s') - duplicate parameter"
                                 % name)
            seen.add(key)
            if not d.mutable:
                raise ValueError("ERR CONFIG SET failed (possibly related to argument '%s') - can't set immutable "
                                 "config" % name)
            if d.protected and not protected_ok:
                raise ValueError("ERR CONFIG SET failed (possibly related to argument '%s') - can't set protected "
                                 "config" % name)
            try:
                if key == "save":
                    v = _parse_save(split_value(value))
                elif key == "client-output-buffer-limit":
                    v = _merge_obuf(self.values[key], split_value(value))
                elif d.kind == "special" or d.multi:
                    v = value
                else:
                    v = d.parse([value])
            except ValueError as e:
                raise ValueError("ERR Invalid argument '%s' for CONFIG SET '%s' - %s" % (value, name, e)) from None
            parsed.append((key, v))
        old = {k: self.values[k] for k, _ in parsed}
        try:
            for key, v in parsed:
                prev = self.values[key]
                self.values[key] = v
                if self.on_change is not None:
                    self.on_change(key, prev, v)
        except ValueError as e:
            for k, v in old.items():
                self.values[k] = v
            raise ValueError("ERR CONFIG SET failed (possibly related to argument '%s') - %s" % (key, e)) from None

    # -- CONFIG REWRITE ----------------------------------------------------------------------------

    def rewrite(self) -> None:
        """rewriteConfig: update the file in place, keeping comments and unknown lines' order.

        Each directive's first line is replaced by its current value and later duplicates are
        dropped; directives that differ from the default and are not in the file are appended
        after a ``# Generated by CONFIG REWRITE`` marker.  Written atomically (temp file + rename)."""
        if not self.config_file or self.config_file == "-":
            raise ValueError("ERR The server is running without a config file")
        try:
            with open(self.config_file, encoding="utf-8", errors="surrogateescape") as f:
                old_lines = f.read().split("\n")
        except FileNotFoundError:
            old_lines = []
        if old_lines and old_lines[-1] == "":
            old_lines.pop()
        marker = "# Generated by CONFIG REWRITE"
        out: list = []
        done: set = set()
        for raw in old_lines:
            line = raw.strip()
            if line == marker:
                continue
            if not line or line.startswith("#"):
                out.append(raw)
                continue
            words = split_args(line.encode("utf-8", "surrogateescape")) or [b""]
            name = words[0].decode("utf-8", "surrogateescape").lower()
            name = ALIASES.get(name, name)
            if name not in DIRECTIVES:
                out.append(raw)  # include, user, rename-command ...: kept as they are
                continue
            if name in done:
                continue
            done.add(name)
            out.extend(self._rewrite_lines(name))
        added = [n for n in self.values if n not in done and self._differs(n)]
        if added:
            out.append(marker)
            for n in added:
                out.extend(self._rewrite_lines(n))
        tmp = self.config_file + ".tmp-%d" % os.getpid()
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write("\n".join(out) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.config_file)

    def _differs(self, name: str) -> bool:
        if name == "dir":
            return False
        return self.values[name] != DIRECTIVES[name].default

    def _rewrite_lines(self, name: str) -> list:
        d = DIRECTIVES[name]
        v = self.values[name]
        if name == "save":
            if not v:
                return ['save ""']
            nums = v.split()
            return ["save %s %s" % (nums[i], nums[i + 1]) for i in range(0, len(nums), 2)]
        if name == "client-output-buffer-limit":
            w = v.split()
            return ["client-output-buffer-limit %s" % " ".join(w[i:i + 4]) for i in range(0, len(w), 4)]
        if name == "dir":
            return ['dir "%s"' % os.getcwd()]
        text = d.format(v)
        if d.kind in ("string",) and (text == "" or any(c in text for c in ' "\'\\')):
            text = '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')
        if text == "" and d.kind == "special":
            return ['%s ""' % name] if name != "replicaof" else []
        return ["%s %s" % (name, text)]


def split_value(value: str) -> list:
    words = split_args(value.encode("utf-8", "surrogateescape"))
    if words is None:
        raise ValueError("Unbalanced quotes")
    return [w.decode("utf-8", "surrogateescape") for w in words]


def _parse_save(args: list) -> str:
    """``save <seconds> <changes> [<seconds> <changes> ...]``; ``save ""`` disables."""
    if len(args) == 1 and args[0] == "":
        return ""
    if len(args) % 2:
        raise ValueError("Invalid save parameters")
    for a in args:
        try:
            if int(a) < 0:
                raise ValueError
        except ValueError:
            raise ValueError("Invalid save parameters") from None
    return " ".join(str(int(a)) for a in args)


def _merge_obuf(current: str, args: list) -> str:
    """client-output-buffer-limit <class> <hard> <soft> <soft-seconds> [<class> ...]"""
    if len(args) % 4:
        raise ValueError("Wrong number of arguments in buffer limit configuration.")
    w = current.split()
    limits = {w[i]: w[i + 1:i + 4] for i in range(0, len(w), 4)}
    for i in range(0, len(args), 4):
        cls = args[i].lower()
        if cls == "replica":
            cls = "slave"
        if cls not in limits:
            raise ValueError("Invalid client class specified in buffer limit configuration.")
        hard, soft = parse_memory(args[i + 1]), parse_memory(args[i + 2])
        try:
            secs = int(args[i + 3])
        except ValueError:
            secs = -1
        if hard is None or soft is None or secs < 0:
            raise ValueError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        limits[cls] = [str(hard), str(soft), str(secs)]
    return " ".join("%s %s" % (c, " ".join(limits[c])) for c in ("normal", "slave", "pubsub"))
