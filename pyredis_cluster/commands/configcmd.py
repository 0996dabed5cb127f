"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP (Redis: config.c configGetCommand, configSetCommand ...)."""

from __future__ import annotations

from .. import errors
from ..errors import CommandError
from ..protocol.reply import OK, Map, Status
from . import table
from .table import command

CONFIG_HELP = [
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
]


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def is_local_client(c) -> bool:
    """islocalClient: a unix socket, or a peer on 127.0.0.0/8 or ::1."""
    transport = getattr(c, "transport", None)
    peer = transport.get_extra_info("peername") if transport is not None else None
    if not isinstance(peer, tuple):
        return True
    host = peer[0]
    return host.startswith("127.") or host == "::1" or host.startswith("::ffff:127.")


def protected_action_allowed(setting: str, c) -> bool:
    """allowProtectedAction: "yes", or "local" for a local client."""
    return setting == "yes" or (setting == "local" and is_local_client(c))


@command("config|get")
def config_get(c, argv):
    pairs = c.node.config.get_pairs([_text(a) for a in argv[2:]])
    return Map([(_bytes(k), _bytes(v)) for k, v in pairs])


@command("config|set")
def config_set(c, argv):
    if len(argv) & 1:
        raise CommandError("ERR syntax error")
    cfg = c.node.config
    pairs = [(_text(argv[i]), _text(argv[i + 1])) for i in range(2, len(argv), 2)]
    node = c.node
    if node.loading or getattr(node, "async_loading", 0):
        # DENY_LOADING_CONFIG (appendonly, dir, repl-diskless-load ...): refused while loading, as LOADING
        from ..config import lookup as _lookup_config

        for name, _value in pairs:
            entry = _lookup_config(name)
            if entry is not None and "deny_loading" in entry[0].flags:
                raise CommandError(errors.LOADING)
    try:
        cfg.set_many(pairs, protected_ok=protected_action_allowed(cfg["enable-protected-configs"], c))
    except ValueError as e:
        raise CommandError(str(e)) from None
    return OK


@command("config|resetstat")
def config_resetstat(c, argv):
    """resetServerStats + resetCommandTableStats + resetErrorTableStats."""
    node = c.node
    node.stats.reset()
    node.stats.reply_buffer_shrinks = node.stats.reply_buffer_expands = 0
    node.stats.lazyfreed_objects = 0  # lazyfreeResetStats
    node.sanitizations.n = 0  # stat_dump_payload_sanitizations
    for cmd in table.COMMANDS.values():
        _reset_command_stats(cmd)
    for hook in getattr(node, "resetstat_hooks", ()):
        hook(node)
    return OK


def _reset_command_stats(cmd) -> None:
    cmd.calls = 0
    cmd.usec = 0
    cmd.rejected_calls = 0
    cmd.failed_calls = 0
    cmd.latency_histogram = None
    for sub in cmd.subcommands.values():
        _reset_command_stats(sub)


@command("config|rewrite")
def config_rewrite(c, argv):
    node = c.node
    try:
        node.config.rewrite()
    except ValueError as e:
        msg = str(e)
        if msg.startswith("ERR Rewriting config file: "):
            node.log.warning("CONFIG REWRITE failed: %s" % msg[len("ERR Rewriting config file: "):])
        raise CommandError(msg) from None
    node.log.warning("CONFIG REWRITE executed with success.")
    return OK


@command("config|help")
def config_help(c, argv):
    return [Status(line) for line in CONFIG_HELP]
