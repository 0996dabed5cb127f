"""Lua scripting and functions (Redis: eval.c, script.c, functions.c, function_lua.c).

EVAL EVALSHA EVAL_RO EVALSHA_RO, SCRIPT LOAD|EXISTS|FLUSH|KILL|DEBUG|HELP, FUNCTION LOAD|LIST|
DELETE|FLUSH|DUMP|RESTORE|STATS|KILL|HELP, FCALL FCALL_RO.  The Lua side (sandbox, ``redis.*`` API,
type conversions) is :mod:`.lua_engine`; this module is the Redis side.

Theory of operation
-------------------
A script runs inside the command that started it, in the event loop's thread, so nothing else runs
meanwhile: scripts are atomic for free.  ``redis.call`` arrives in :meth:`Scripting.call`
(``scriptCall``): the checks Redis makes (unknown command, arity, ``noscript``, ACL, read-only
script, read-only replica, cluster slot), then the command's handler runs against a
:class:`ScriptClient` -- the script's own client, with its own database (SELECT in a script does not
change the caller's), RESP version (``redis.setresp``) and reply buffer -- and the reply goes back to
Lua as RESP bytes.

Replication is by effects, as in Redis 7.0: the write commands a script executed (or what their
handlers chose to propagate) are collected, and at the end of the script sent to the replicas and the
AOF -- wrapped in MULTI/EXEC when there is more than one -- instead of the EVAL/FCALL itself.  Scripts
are a cache (SCRIPT FLUSH empties it, nothing is persisted); function libraries are data: FUNCTION
LOAD/DELETE/FLUSH/RESTORE are propagated as they are, and FUNCTION DUMP/RESTORE use Redis's payload
(RDB ``function2`` records, RDB version, CRC64).

A script that runs longer than ``busy-reply-threshold`` (lua-time-limit) makes the server "busy": a
Lua count hook, every 100000 instructions, reads what the other clients sent straight from their
sockets (the event loop itself is blocked by the script) and answers BUSY to everything but the
commands flagged ``allow_busy`` -- SCRIPT KILL, FUNCTION KILL, FUNCTION STATS, SHUTDOWN NOSAVE ...  A
killed script gets "Script killed by user with SCRIPT KILL..." on its next line.  New connections wait
until the script ends.
"""

from __future__ import annotations

import hashlib
import os
import select
import struct
import time

from .. import errors
from ..server.latency_hist import record as record_latency
from ..cluster.slots import key_hash_slot
from ..errors import CommandError
from ..protocol.reply import NO_REPLY, OK, Map, Raw, SetReply, Status, encode, error_bytes
from ..store import keyspace
from ..store.glob import stringmatchlen
from .admin import debug_subcommand
from .keys import string2ll
from .table import COMMANDS, command, lookup as table_lookup

NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."
NOTBUSY = "NOTBUSY No scripts in execution right now."
NOREPLICAS = "NOREPLICAS Not enough good replicas to write."
BUSY_EVAL = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
UNKILLABLE_WRITES = ("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either "
                     "wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
UNKILLABLE_MASTER = ("UNKILLABLE The busy script was sent by a master instance in the context of replication and "
                     "cannot be killed.")

# script flags (Redis: SCRIPT_FLAG_*), in scripts_flags_def order
NO_WRITES, ALLOW_OOM, ALLOW_STALE, NO_CLUSTER, ALLOW_CROSS_SLOT, EVAL_COMPAT = 1, 2, 4, 8, 16, 32
FLAG_NAMES = (("no-writes", NO_WRITES), ("allow-oom", ALLOW_OOM), ("allow-stale", ALLOW_STALE),
              ("no-cluster", NO_CLUSTER), ("allow-cross-slot-keys", ALLOW_CROSS_SLOT))
_FLAG_BY_NAME = {n.encode(): f for n, f in FLAG_NAMES}

PROPAGATE_AOF, PROPAGATE_REPL = 1, 2
EVICT_FAIL = 2  # server/memory.py: perform_evictions could not get under maxmemory

# Commands with Redis's CMD_MAY_REPLICATE flag: a read-only script may not call them either.
_MAY_REPLICATE = frozenset({"publish", "spublish", "pfcount"})

_ACL_SCRIPT_MESSAGES = {
    1: "can't run this command or subcommand",
    2: "can't access at least one of the keys mentioned in the command",
    4: "can't publish to the channel mentioned in the command",
}

OP_FUNCTION2 = 245


# -- the script's client ----------------------------------------------------------------------------

class ScriptClient:
    """The client a script's commands run as (Redis: the Lua client).  It reads through to the caller
    (user, node, cluster flags ...) but has its own database, RESP version and replies, and may not
    block (CLIENT_DENY_BLOCKING)."""

    def __init__(self, caller):
        self.caller = caller
        self.db = caller.db
        self.resp3 = False
        self.out: list = []
        self.multi = None
        self.watched = None
        self.blocked = None
        self.deny_blocking = True
        self.propagate_as = None
        self.addr = "lua"
        self.name = b""
        self.reply_mode = 0
        self.monitor = False
        self.in_script = True

    def __getattr__(self, name):
        return getattr(self.caller, name)

    def select(self, db_id: int) -> None:
        self.db = self.node.dbs[db_id]

    def _reply(self, data) -> None:
        self.out.append(data)

    def send_push(self, data: bytes) -> None:
        pass

    def update_slow(self) -> None:
        pass

    def flush(self) -> None:
        pass


class Run:
    """One script invocation (Redis: scriptRunCtx)."""

    __slots__ = ("caller", "client", "funcname", "read_only", "allow_oom", "allow_cross_slot", "repl",
                 "write_dirty", "slot", "writes", "start", "eval_mode", "argv", "timedout", "killed", "engine",
                 "oom", "dirty_at_start", "tracked")

    def __init__(self, caller, funcname: bytes, flags: int, ro: bool, eval_mode: bool, slot: int, argv):
        self.caller = caller
        self.client = ScriptClient(caller)
        self.funcname = funcname
        compat = bool(flags & EVAL_COMPAT)
        self.read_only = ro or (not compat and bool(flags & NO_WRITES))
        self.allow_oom = not compat and bool(flags & ALLOW_OOM)
        self.allow_cross_slot = compat or bool(flags & ALLOW_CROSS_SLOT)
        self.repl = PROPAGATE_AOF | PROPAGATE_REPL
        self.write_dirty = False
        self.slot = slot
        self.writes: list = []  # (db id, argv, repl flags) of the effects to propagate
        self.start = time.monotonic()
        self.eval_mode = eval_mode
        self.argv = argv
        self.tracked = False  # the caller's keys were remembered for client side caching
        self.timedout = False  # past busy-reply-threshold: other clients get BUSY
        self.killed = False  # SCRIPT KILL / FUNCTION KILL asked to stop it
        self.engine = None
        self.oom = False  # used memory was over maxmemory when the script started


class Script:
    __slots__ = ("body", "flags", "function")

    def __init__(self, body, flags, function):
        self.body = body
        self.flags = flags
        self.function = function


class Function:
    __slots__ = ("name", "callback", "desc", "flags", "library")

    def __init__(self, name, callback, desc, flags, library):
        self.name = name
        self.callback = callback
        self.desc = desc
        self.flags = flags
        self.library = library


class Library:
    __slots__ = ("name", "code", "functions")

    def __init__(self, name: bytes, code: bytes):
        self.name = name
        self.code = code
        self.functions: dict = {}


# -- the per-node scripting state -------------------------------------------------------------------

class Scripting:
    """The script cache, the function libraries and their two Lua engines, for one node."""

    def __init__(self, node):
        self.node = node
        self._eval_engine = None
        self._func_engine = None
        self.scripts: dict = {}  # sha (lower-case hex bytes) -> Script
        self.libraries: dict = {}  # name -> Library
        self.functions: dict = {}  # name -> Function
        self.run = None  # the Run in progress
        self.loading = None  # the Library whose code FUNCTION LOAD is running
        from .lua_engine import Rand48

        self.rand = Rand48()  # one generator for the process, as Redis's redisLrand48
        self.disable_deny_script = False  # DEBUG SET-DISABLE-DENY-SCRIPTS (tests: noscript commands allowed)

    @property
    def eval_engine(self):
        if self._eval_engine is None:
            from .lua_engine import LuaEngine

            self._eval_engine = LuaEngine(self, self.node.version, self.rand)
        return self._eval_engine

    @property
    def func_engine(self):
        if self._func_engine is None:
            from .lua_engine import LuaEngine

            self._func_engine = LuaEngine(self, self.node.version, self.rand, functions=True)
        return self._func_engine

    # -- EVAL scripts -----------------------------------------------------------------------------

    def create_script(self, body: bytes):
        """luaCreateFunction: the sha of ``body``, compiled and cached (raises CommandError)."""
        sha = hashlib.sha1(body).hexdigest().encode()
        if sha in self.scripts:
            return sha
        flags, shebang_len = shebang_flags(body)
        f, err = self.eval_engine.compile(body[shebang_len:], b"@user_script")
        if f is None:
            raise CommandError("ERR Error compiling script (new function): %s" % err.decode("latin-1"))
        self.scripts[sha] = Script(body, flags, f)
        return sha

    def flush_scripts(self) -> None:
        self.scripts = {}
        self._eval_engine = None  # scriptingReset: a new Lua state

    # -- running ------------------------------------------------------------------------------------

    def execute(self, c, function, eval_mode: bool, funcname: bytes, flags: int, ro: bool, keys, args, argv):
        """scriptPrepareForRun + the engine's call + scriptResetRun: the RESP reply of the script."""
        node = self.node
        oom = (node.memory is not None and not c.is_master
               and node.memory.perform_evictions() == EVICT_FAIL)  # server.pre_command_oom_state
        if not flags & EVAL_COMPAT:
            if flags & NO_CLUSTER and node.cluster is not None:
                raise CommandError("ERR Can not run script on cluster, 'no-cluster' flag is set.")
            if not flags & NO_WRITES:
                if (node.repl.link is not None and node.config["replica-read-only"] and not c.is_master):
                    raise CommandError("READONLY Can not run script with write flag on readonly replica")
                if ro:
                    raise CommandError("ERR Can not execute a script with write flag using *_ro command.")
            if not flags & NO_WRITES and not _enough_good_replicas(node):
                raise CommandError(NOREPLICAS)
            if oom and not flags & (ALLOW_OOM | NO_WRITES):
                raise CommandError("OOM allow-oom flag is not set on the script, can not run it when used memory > "
                                   "'maxmemory'")
        slot = key_hash_slot(keys[0]) if keys and node.cluster is not None else -1
        run = Run(c, funcname, flags, ro, eval_mode, slot, argv)
        run.oom = oom
        run.dirty_at_start = node.dirty
        self.run = run
        engine = self.eval_engine if eval_mode else self.func_engine
        run.engine = engine
        hook = self.check_busy if node.config["busy-reply-threshold"] > 0 else None
        count_error = True
        frozen = keyspace.FROZEN_MS
        keyspace.FROZEN_MS = int(time.time() * 1000)  # lua_time_snapshot (also inside EXEC)
        try:
            reply, count_error = engine.run(function, keys, args, eval_mode, funcname,
                                            lambda: 3 if run.client.resp3 else 2, 3 if c.resp3 else 2, hook)
        except Exception as e:  # a failure of the engine itself (not of the script)
            node.log.warning("Lua engine error: %r" % (e,))
            msg = " ".join(str(e).split())[:100]
            reply = error_bytes("ERR Error running script %s, %s" % (funcname.decode("latin-1"), msg))
        finally:
            keyspace.FROZEN_MS = frozen
            self.run = None
            self._propagate(run)
            if run.timedout:
                node.log.warning("Slow script detected: script finished after %d milliseconds."
                                 % int((time.monotonic() - run.start) * 1000))
        if reply[:1] == b"-":
            if count_error:
                node.stats.error(reply[1:-2].decode("latin-1", "replace"))
            cmd = table_lookup(argv[0])
            if cmd is not None:
                cmd.failed_calls += 1
        return Raw(reply)

    def _propagate(self, run) -> None:
        """The script's effects go to replicas and AOF, in MULTI/EXEC when more than one; the
        EVAL/FCALL itself is not propagated."""
        c = run.caller
        if self.node.dirty != run.dirty_at_start:
            c.propagate_as = []  # (the caller's call() propagates when dirty moved: not the EVAL itself)
        writes = run.writes
        if not writes:
            return
        node = self.node
        if len(writes) > 1:
            db0 = writes[0][0]
            writes = [(db0, [b"MULTI"], run.repl)] + writes + [(writes[-1][0], [b"EXEC"], run.repl)]
        aof = node.aof_feed
        master = node.repl.master
        active = not c.is_master and master.active()
        for db_id, argv, repl in writes:
            if active and repl & PROPAGATE_REPL:
                master.propagate(db_id, argv)
            if aof is not None and repl & PROPAGATE_AOF:
                aof(db_id, argv)

    # -- busy scripts (Redis: scriptInterrupt, processEventsWhileBlocked) --------------------------

    def check_busy(self, *_):
        """The Lua count hook: past busy-reply-threshold, serve the other clients (BUSY to all but
        SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE and other allow_busy commands).  Once the script
        is killed, returns the error the hook raises in the script."""
        run = self.run
        if run is None:
            return None
        if not run.killed:
            if not run.timedout:
                elapsed = (time.monotonic() - run.start) * 1000
                if elapsed < self.node.config["busy-reply-threshold"]:
                    return None
                run.timedout = True
                self.node.log.warning(
                    "Slow script detected: still in execution after %d milliseconds. You can try killing the script "
                    "using the %s command. Script name is: %s."
                    % (elapsed, "SCRIPT KILL" if run.eval_mode else "FUNCTION KILL", run.funcname.decode("latin-1")))
            self._serve_while_busy(run)
        if run.killed:
            self.node.log.warning("Lua script killed by user with SCRIPT KILL.")
            run.engine.hook_lines(self.check_busy)
            return run.engine.error_table(b"Script killed by user with SCRIPT KILL...")
        return None

    def _serve_while_busy(self, run) -> None:
        """Read what the other clients sent, straight from their sockets (the event loop is blocked by
        the script), and answer it; replies are written at once (transport.write sends what it can)."""
        node = self.node
        fds = {}
        for c in list(node.clients.values()):
            if c is run.caller or c.transport is None or c.closing or c.is_master or getattr(c, "is_replica", False):
                continue
            sock = c.transport.get_extra_info("socket")
            if sock is not None:
                fds[sock.fileno()] = c
        if not fds:
            return
        try:
            readable, _, _ = select.select(list(fds), [], [], 0)
        except (OSError, ValueError):
            return
        for fd in readable:
            c = fds[fd]
            try:
                data = os.read(fd, 65536)
            except OSError:
                continue
            if not data:
                continue
            c.tot_net_in += len(data)
            cmds, err = c.parser.feed(data)
            for argv in cmds:
                if c.blocked is not None or c.paused_queue:
                    c.paused_queue.append(argv)
                else:
                    self._busy_command(c, argv, run)
            c.flush()

    def _busy_command(self, c, argv, run) -> None:
        node = self.node
        cmd = node.cmd_lookup.get(argv[0]) or node.cmd_lookup.get(argv[0].lower())
        if cmd is not None and cmd.subcommands and len(argv) >= 2:
            cmd = cmd.subcommands.get(argv[1].lower())
        loading = node.loading and cmd is not None and "loading" not in cmd.flags
        if cmd is None or "allow_busy" not in cmd.flags or loading:
            # processCommand checks "loading" before a busy script (a script run from the AOF being loaded)
            msg = errors.LOADING if loading else BUSY_EVAL if run.eval_mode else BUSY_FUNCTION
            if cmd is not None and cmd.name == "exec":  # rejectCommand on EXEC: execCommandAbort
                from .transactions import exec_abort

                msg = exec_abort(c, msg, argv)
            elif c.multi is not None:
                c.multi_error = True  # rejectCommand's flagTransaction: EXEC will answer EXECABORT
            node.stats.error(msg)
            c._reply(error_bytes(msg))
            return
        if cmd.name == "shutdown":
            if any(a.lower() == b"nosave" for a in argv[1:]):
                node.log.warning("User requested shutdown while a script was running (SHUTDOWN NOSAVE)...")
                os._exit(0)
            c._reply(error_bytes("ERR Errors trying to SHUTDOWN. Check logs."))
            return
        c.execute_slow(argv)

    def kill(self, is_eval: bool) -> None:
        """scriptKill: SCRIPT KILL / FUNCTION KILL (raises the refusal)."""
        run = self.run
        if run is None:
            raise CommandError(NOTBUSY)
        if run.caller.is_master:
            raise CommandError(UNKILLABLE_MASTER)
        if run.write_dirty:
            raise CommandError(UNKILLABLE_WRITES)
        if is_eval and not run.eval_mode:
            raise CommandError(BUSY_FUNCTION)
        if not is_eval and run.eval_mode:
            raise CommandError(BUSY_EVAL)
        run.killed = True

    # -- the host side of the Lua API (called by lua_engine) -------------------------------------

    def call(self, *argv):
        """redis.call / redis.pcall (scriptCall): (0, RESP reply) or (1, error text)."""
        run = self.run
        if run is None:
            return 1, b"redis.call/pcall can only be called inside a script invocation"
        node = self.node
        argv = list(argv)
        cmd = node.cmd_lookup.get(argv[0])
        if cmd is None:
            cmd = node.cmd_lookup.get(argv[0].lower())
        if cmd is not None and cmd.subcommands and len(argv) >= 2:
            cmd = cmd.subcommands.get(argv[1].lower())
        if cmd is None:
            node.stats.error("ERR Unknown Redis command called from script")
            return 1, b"Unknown Redis command called from script"
        err = self._verify(run, cmd, argv)
        if err is not None:
            cmd.rejected_calls += 1
            node.stats.error(err[1:].decode("latin-1") if err[:1] == b"-" else "ERR " + err.decode("latin-1"))
            return 1, err
        return self._call(run, cmd, argv)

    def _verify(self, run, cmd, argv):
        """scriptCall's checks before running ``cmd``: None, or the error."""
        node = self.node
        n = len(argv)
        if (cmd.arity > 0 and n != cmd.arity) or n < -cmd.arity:
            return b"Wrong number of args calling Redis command from script"
        if "noscript" in cmd.flags and not self.disable_deny_script:
            return b"This Redis command is not allowed from script"
        if (node.repl.link is not None and not node.repl.link.connected  # scriptVerifyAllowStale
                and not node.config["replica-serve-stale-data"] and "stale" not in cmd.flags):
            return b"Can not execute the command on a stale replica"
        caller = run.caller
        sc = run.client
        if caller.acl_user.restricted and not caller.is_master:
            r, idx = node.acl.check_user(caller.acl_user, cmd, argv)
            if r:
                try:  # the caller's client-info shows the script's command (Redis set c->lastcmd before it ran)
                    caller.last_cmd = run.argv[0].decode("latin-1").lower()
                    node.acl.add_log(caller, r, "lua", cmd.name.encode() if r == 1 else argv[idx], None, run.argv)
                except Exception:
                    pass
                return ("The user executing the script %s" % _ACL_SCRIPT_MESSAGES.get(r, "no permission")).encode()
        is_write = cmd.is_write
        if run.read_only and (is_write or cmd.name in _MAY_REPLICATE):
            return b"Write commands are not allowed from read-only scripts."
        if is_write and not run.write_dirty:
            if node.repl.link is not None and node.config["replica-read-only"] and not caller.is_master:
                return b"-" + errors.READONLY.encode()
            if node.disk_error is not None:
                return b"-" + node.disk_error.encode("latin-1")
            if not caller.is_master and not _enough_good_replicas(node):
                return b"-" + NOREPLICAS.encode()
        if run.oom and not run.allow_oom and not run.write_dirty and cmd.denyoom:
            return b"-OOM command not allowed when used memory > 'maxmemory'."
        if is_write:
            run.write_dirty = True
        if node.cluster is not None and not caller.is_master and not cmd.no_keys:
            err = node.cluster_route(sc, cmd, argv)
            if err is not None:
                if err.startswith("CLUSTERDOWN The cluster is down and only"):
                    return b"Script attempted to execute a write command while the cluster is down and readonly"
                if err.startswith("CLUSTERDOWN The cluster is down"):
                    return b"Script attempted to execute a command while the cluster is down"
                return b"Script attempted to access a non local key in a cluster node"
            if not run.allow_cross_slot:
                idx = cmd.get_keys(argv)
                if idx:
                    slot = key_hash_slot(argv[idx[0]])
                    if run.slot == -1:
                        run.slot = slot
                    elif run.slot != slot:
                        return b"Script attempted to access keys that do not hash to the same slot"
        return None

    def _call(self, run, cmd, argv):
        """call() for a command of the script: (0, its reply in RESP)."""
        node = self.node
        sc = run.client
        dirty = node.dirty
        out = sc.out
        t0 = time.perf_counter()
        try:
            r = cmd.handler(sc, argv)
        except CommandError as e:
            cmd.failed_calls += 1
            node.stats.error(e.message)
            reply = error_bytes(e.message)
        except Exception as e:
            node.log.warning("Internal error running %r from a script: %r" % (argv[:3], e))
            reply = error_bytes("ERR internal error: %s" % type(e).__name__)
        else:
            if r is NO_REPLY:
                reply = b"".join(out)
            elif type(r) is Raw:
                reply = bytes(r)
            else:
                reply = encode(r, sc.resp3)
        out.clear()
        cmd.calls += 1
        if cmd.is_readonly and not run.tracked:
            caller = run.caller
            if caller.tracking and not caller.tracking_bcast:
                # call(): a read by the script makes its caller remember the keys the script was given
                # (trackingRememberKeys on the EVAL / FCALL command itself)
                run.tracked = True
                outer = table_lookup(run.argv[0])
                if outer is not None:
                    node.tracking.remember_keys(caller, outer, run.argv)
        if node.config.values["latency-tracking"]:
            us = int((time.perf_counter() - t0) * 1e6)
            cmd.usec += us
            record_latency(cmd, us)
        node.stats.commands += 1
        if node.dirty != dirty:
            override = sc.propagate_as
            sc.propagate_as = None
            for a in (override if override is not None else (argv,)):
                run.writes.append((sc.db.id, a, run.repl))
            if node.memory is not None:
                node.memory.after_write(sc, cmd, argv)
        if node.monitors and not cmd.flags & {"admin", "skip_monitor"}:
            node.feed_monitors(sc, argv)
        if not reply:
            reply = b"_\r\n" if sc.resp3 else b"$-1\r\n"
        return 0, reply

    def log(self, level, text) -> None:
        log = self.node.log
        msg = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        (log.debug, log.verbose, log.notice, log.warning)[int(level)](msg)

    def setresp(self, n) -> None:
        if self.run is not None:
            self.run.client.resp3 = int(n) == 3

    def set_repl(self, flags) -> None:
        if self.run is not None:
            self.run.repl = int(flags)

    def acl_check(self, *argv):
        """redis.acl_check_cmd: may the caller's user run this command?  None: no such command."""
        run = self.run
        argv = list(argv)
        cmd = table_lookup(argv[0])
        if cmd is not None and cmd.subcommands and len(argv) >= 2:
            cmd = cmd.subcommands.get(argv[1].lower())
        if cmd is None:
            return None
        if run is None:
            return True
        r, _ = self.node.acl.check_user(run.caller.acl_user, cmd, argv)
        return not r

    def register_function(self, name, callback, desc, flags):
        """redis.register_function while FUNCTION LOAD runs a library: None, or the error text."""
        lib = self.loading
        if lib is None:
            return b"redis.register_function can only be called on FUNCTION LOAD command"
        if not _valid_name(name):
            return (b"Library names can only contain letters, numbers, or underscores(_) and must be at "
                    b"least one character long")
        if name in lib.functions:
            return b"Function already exists in the library"
        f = 0
        for v in flags.values():
            f |= _FLAG_BY_NAME[v]
        lib.functions[name] = Function(name, callback, desc, f, lib)
        return None

    # -- function libraries ---------------------------------------------------------------------------

    def build_library(self, code: bytes) -> Library:
        """Compile a library and run its code to collect its functions (not linked yet)."""
        name, engine_name, body = library_metadata(code)
        if not _valid_name(name):
            raise CommandError("ERR Library names can only contain letters, numbers, or underscores(_) and must be "
                               "at least one character long")
        if engine_name.lower() != b"lua":
            raise CommandError("ERR Engine '%s' not found" % engine_name.decode("latin-1"))
        engine = self.func_engine
        f, err = engine.compile(body, b"@user_function")
        if f is None:
            raise CommandError("ERR Error compiling function: %s" % err.decode("latin-1"))
        lib = Library(name, code)
        self.loading = lib
        try:
            err = engine.load_library(f)
        finally:
            self.loading = None
        if err is not None:
            raise CommandError("ERR Error registering functions: %s" % err.decode("latin-1"))
        if not lib.functions:
            raise CommandError("ERR No functions registered")
        return lib

    def create_library(self, code: bytes, replace: bool) -> bytes:
        """functionsCreateWithLibraryCtx: load (or replace) a library; its name, or CommandError."""
        name, engine_name, _ = library_metadata(code)
        if not _valid_name(name):
            raise CommandError("ERR Library names can only contain letters, numbers, or underscores(_) and must be "
                               "at least one character long")
        if engine_name.lower() != b"lua":
            raise CommandError("ERR Engine '%s' not found" % engine_name.decode("latin-1"))
        old = self.libraries.get(name)
        if old is not None and not replace:
            raise CommandError("ERR Library '%s' already exists" % name.decode("latin-1"))
        lib = self.build_library(code)
        for fname in lib.functions:
            existing = self.functions.get(fname.lower())
            if existing is not None and existing.library is not old:
                raise CommandError("ERR Function %s already exists" % fname.decode("latin-1"))
        if old is not None:
            self._unlink(old)
        self._link(lib)
        return name

    def _link(self, lib) -> None:
        self.libraries[lib.name] = lib
        for fname, f in lib.functions.items():
            self.functions[fname.lower()] = f

    def _unlink(self, lib) -> None:
        del self.libraries[lib.name]
        for fname in lib.functions:
            f = self.functions.get(fname.lower())
            if f is not None and f.library is lib:
                del self.functions[fname.lower()]

    def restore(self, codes: list, policy: bytes) -> None:
        """FUNCTION RESTORE: build every library of the payload, then swap them in (FLUSH) or join them
        to the current ones (libraryJoin: APPEND aborts on a collision, REPLACE replaces)."""
        new: dict = {}
        new_functions: dict = {}
        for code in codes:
            name = library_metadata(code)[0]
            if name in new:
                raise CommandError("ERR Library '%s' already exists" % name.decode("latin-1"))
            lib = self.build_library(code)
            for fname in lib.functions:
                if fname.lower() in new_functions:
                    raise CommandError("ERR Function %s already exists" % fname.decode("latin-1"))
                new_functions[fname.lower()] = lib.functions[fname]
            new[name] = lib
        if policy == b"flush":
            self.libraries, self.functions = {}, {}
            for lib in new.values():
                self._link(lib)
            return
        replaced = []
        for name in new:
            old = self.libraries.get(name)
            if old is not None:
                if policy != b"replace":
                    raise CommandError("ERR Library %s already exists" % name.decode("latin-1"))
                replaced.append(old)
        remaining = {k: f for k, f in self.functions.items() if f.library not in replaced}
        for key, f in new_functions.items():
            if key in remaining:
                raise CommandError("ERR Function %s already exists" % f.name.decode("latin-1"))
        for old in replaced:
            self._unlink(old)
        for lib in new.values():
            self._link(lib)

    def flush_functions(self) -> None:
        self.libraries = {}
        self.functions = {}
        self._func_engine = None

    def dump_functions(self) -> bytes:
        from ..store.rdb import RDB_VERSION, _string, crc64

        compress = self.node.config["rdbcompression"]
        body = b"".join(bytes((OP_FUNCTION2,)) + _string(lib.code, compress) for lib in self.libraries.values())
        body += struct.pack("<H", RDB_VERSION)
        return body + struct.pack("<Q", crc64(body))


def memory_stats(node) -> dict:
    """The scripting fields of INFO memory (used_memory_lua, number_of_cached_scripts ...)."""
    s = node.__dict__.get("scripting")
    empty_vm = 31744  # what a fresh Lua state uses, as redis-server 7.0 reports it
    if s is None:
        return {"vm_eval": empty_vm, "scripts_eval": 0, "scripts": 0, "functions": 0, "libraries": 0,
                "vm_functions": empty_vm, "functions_mem": 0}
    vm_eval = s._eval_engine.memory() if s._eval_engine is not None else empty_vm
    vm_functions = s._func_engine.memory() if s._func_engine is not None else empty_vm
    scripts_eval = sum(len(x.body) + 96 for x in s.scripts.values())
    functions_mem = sum(len(lib.code) + 64 + 96 * len(lib.functions) for lib in s.libraries.values())
    return {"vm_eval": vm_eval, "scripts_eval": scripts_eval, "scripts": len(s.scripts),
            "functions": len(s.functions), "libraries": len(s.libraries), "vm_functions": vm_functions,
            "functions_mem": functions_mem}


def function_codes(node) -> list:
    """The code of every function library (what RDB files and full syncs carry)."""
    s = node.__dict__.get("scripting")
    return [lib.code for lib in s.libraries.values()] if s is not None else []


def load_functions(node, codes, replace: bool = False) -> None:
    """rdbFunctionLoad for each library of an RDB file (``replace``: RDBFLAGS_ALLOW_DUP); raises
    CommandError, e.g. for a library that exists already."""
    s = scripting(node)
    for code in codes:
        s.create_library(code, replace)


def flush_functions(node) -> None:
    s = node.__dict__.get("scripting")
    if s is not None:
        s.flush_functions()


def scripting(node) -> Scripting:
    """The node's scripting state, created on first use."""
    s = node.__dict__.get("scripting")
    if s is None:
        s = node.__dict__["scripting"] = Scripting(node)
    return s


@debug_subcommand("set-disable-deny-scripts", lambda n: n == 3)
def debug_set_disable_deny_scripts(c, argv):
    scripting(c.node).disable_deny_script = argv[2] not in (b"0", b"")
    return OK


def _enough_good_replicas(node) -> bool:
    """checkGoodReplicasStatus (min-replicas-to-write / min-replicas-max-lag), on a master."""
    cfg = node.config
    need = cfg["min-replicas-to-write"]
    max_lag = cfg["min-replicas-max-lag"]
    if node.repl.link is not None or not need or not max_lag:
        return True
    now = time.monotonic()
    good = sum(1 for r in node.repl.master.online_replicas() if int(now - r.repl_ack_time) <= max_lag)
    return good >= need


def _valid_name(name: bytes) -> bool:
    """functionsVerifyName: letters, digits and underscores, at least one."""
    if not name:
        return False
    for ch in name:
        if not (48 <= ch <= 57 or 65 <= ch <= 90 or 97 <= ch <= 122 or ch == 95):
            return False
    return True


def _split_args(line: bytes):
    """sdssplitargs (simplified: words separated by spaces, double or single quotes group);
    None for unbalanced quotes."""
    out = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \n\r\t\f\v":
            i += 1
        if i >= n:
            return out
        cur = bytearray()
        quote = None
        while i < n:
            ch = line[i]
            if quote is not None:
                if ch == 0x5C and quote == 0x22 and i + 1 < n:
                    i += 1
                    cur.append(line[i])
                elif ch == quote:
                    quote = None
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\f\v":
                        return None
                    i += 1
                    break
                else:
                    cur.append(ch)
            elif ch in b" \n\r\t\f\v":
                break
            elif ch in (0x22, 0x27):
                quote = ch
            else:
                cur.append(ch)
            i += 1
        else:
            if quote is not None:
                return None
        out.append(bytes(cur))


def shebang_flags(body: bytes):
    """evalExtractShebangFlags: (flags, length of the shebang line) of an EVAL script."""
    if not body.startswith(b"#!"):
        return EVAL_COMPAT, 0
    end = body.find(b"\n")
    if end < 0:
        raise CommandError("ERR Invalid script shebang")
    parts = _split_args(body[:end])
    if not parts:
        raise CommandError("ERR Invalid engine in script shebang")
    if parts[0] != b"#!lua":
        raise CommandError("ERR Unexpected engine in script shebang: %s" % parts[0].decode("latin-1"))
    flags = 0
    for p in parts[1:]:
        if p.startswith(b"flags="):
            for fl in p[6:].split(b","):
                if not fl and not p[6:]:
                    continue
                f = _FLAG_BY_NAME.get(fl)
                if f is None:
                    raise CommandError("ERR Unexpected flag in script shebang: %s" % fl.decode("latin-1"))
                flags |= f
        else:
            raise CommandError("ERR Unknown lua shebang option: %s" % p.decode("latin-1"))
    return flags, end


def library_metadata(code: bytes):
    """functionExtractLibMetaData: (name, engine, code after the shebang line)."""
    if not code.startswith(b"#!"):
        raise CommandError("ERR Missing library metadata")
    end = code.find(b"\n")
    if end < 0:
        raise CommandError("ERR Invalid library metadata")
    parts = _split_args(code[:end])
    if not parts:
        raise CommandError("ERR Invalid library metadata")
    engine = parts[0][2:]
    name = None
    for p in parts[1:]:
        if p[:5].lower() == b"name=":
            if name is not None:
                raise CommandError("ERR Invalid metadata value, name argument was given multiple times")
            name = p[5:]
            continue
        raise CommandError("ERR Invalid metadata value given: %s" % p.decode("latin-1"))
    if name is None:
        raise CommandError("ERR Library name was not given")
    return name, engine, code[end:]


def _subcommand_syntax(argv) -> str:
    """addReplySubcommandSyntaxError."""
    return "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP." % (
        argv[1][:128].decode("latin-1"), argv[0].decode("latin-1").upper())


def _numkeys(argv, msg: str | None = None) -> int:
    n = string2ll(argv[2])
    if n is None:
        raise CommandError(msg or errors.NOT_INTEGER)
    if n > len(argv) - 3:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    if n < 0:
        raise CommandError("ERR Number of keys can't be negative")
    return n


# -- EVAL ---------------------------------------------------------------------------------------------

def _eval(c, argv, evalsha: bool, ro: bool):
    node = c.node
    if node.monitors:  # fed before the script's own commands (evalCommand)
        node.feed_monitors(c, argv)
    if evalsha and len(argv[1]) != 40:
        raise CommandError(NOSCRIPT)
    numkeys = _numkeys(argv)
    s = scripting(node)
    if evalsha:
        sha = argv[1].lower()
        script = s.scripts.get(sha)
        if script is None:
            raise CommandError(NOSCRIPT)
    else:
        sha = s.create_script(argv[1])
        script = s.scripts[sha]
    return s.execute(c, script.function, True, sha, script.flags, ro, argv[3:3 + numkeys], argv[3 + numkeys:], argv)


def _declares_write(script_flags: int) -> bool:
    """scriptFlagsToCmdFlags, the write part: a script that declared flags writes unless no-writes."""
    return not script_flags & NO_WRITES


def _eval_declared_flags(c, argv, evalsha: bool):
    """evalGetCommandFlags: the flags the script declared (the cached script's, else the shebang of the
    body), or None when it declared none (no shebang, unknown script): the command's own flags apply."""
    if len(argv) < 2 or (evalsha and len(argv[1]) != 40):
        return None
    s = scripting(c.node)
    if evalsha:
        script = s.scripts.get(argv[1].lower())
        if script is None:
            return None
        flags = script.flags
    else:
        script = s.scripts.get(hashlib.sha1(argv[1]).hexdigest().encode())
        if script is not None:
            flags = script.flags
        else:
            try:
                flags, _ = shebang_flags(argv[1])
            except CommandError:
                return None
    return None if flags & EVAL_COMPAT else flags


def script_declared_flags(c, cmd, argv):
    """The flags the script or function this EVAL* / FCALL* call runs declared, or None.  Declared flags
    replace the command's write, stale, deny-oom and may-replicate flags (scriptFlagsToCmdFlags)."""
    name = cmd.name
    if name.startswith("fcall"):
        f = scripting(c.node).functions.get(argv[1].lower()) if len(argv) >= 2 else None
        return None if f is None else f.flags
    return _eval_declared_flags(c, argv, name.startswith("evalsha"))


def script_declares_flags(c, cmd, argv) -> bool:
    return script_declared_flags(c, cmd, argv) is not None


def script_allows_stale(c, cmd, argv) -> bool:
    """CMD_STALE of getCommandFlags for EVAL* / FCALL*: only a script that declared allow-stale runs
    on a stale replica (redis-server 7.0.15 answers MASTERDOWN to an EVAL without a shebang too)."""
    flags = script_declared_flags(c, cmd, argv)
    return flags is not None and bool(flags & ALLOW_STALE)


def _eval_write_for(evalsha: bool):
    def write_for(c, argv) -> bool:
        """evalGetCommandFlags: a script without a shebang keeps the command's own flags (no write
        flag)."""
        flags = _eval_declared_flags(c, argv, evalsha)
        return False if flags is None else _declares_write(flags)
    return write_for


def _fcall_write_for(c, argv) -> bool:
    """fcallGetCommandFlags: the flags the function was registered with."""
    if len(argv) < 2:
        return False
    f = scripting(c.node).functions.get(argv[1].lower())
    return False if f is None else _declares_write(f.flags)


@command("eval")
def eval_(c, argv):
    return _eval(c, argv, False, False)


@command("evalsha")
def evalsha(c, argv):
    return _eval(c, argv, True, False)


@command("eval_ro")
def eval_ro(c, argv):
    return _eval(c, argv, False, True)


@command("evalsha_ro")
def evalsha_ro(c, argv):
    return _eval(c, argv, True, True)


# -- SCRIPT -------------------------------------------------------------------------------------------

@command("script|load")
def script_load(c, argv):
    return scripting(c.node).create_script(argv[2])


@command("script|exists")
def script_exists(c, argv):
    scripts = scripting(c.node).scripts
    return [1 if a.lower() in scripts else 0 for a in argv[2:]]


@command("script|flush")
def script_flush(c, argv):
    if len(argv) == 3 and argv[2].lower() in (b"sync", b"async"):
        pass
    elif len(argv) != 2:
        raise CommandError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    scripting(c.node).flush_scripts()
    return OK


@command("script|kill")
def script_kill(c, argv):
    scripting(c.node).kill(True)
    return OK


@command("script|debug")
def script_debug(c, argv):
    mode = argv[2].lower()
    if mode == b"no":
        return OK
    if mode in (b"yes", b"sync"):
        raise CommandError("ERR The Lua debugger (SCRIPT DEBUG) is not supported by this server")
    raise CommandError("ERR Use SCRIPT DEBUG YES/SYNC/NO")


@command("script|help")
def script_help(c, argv):
    return [Status(line) for line in SCRIPT_HELP]


SCRIPT_HELP = [
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
]


# -- FUNCTION and FCALL -------------------------------------------------------------------------------

@command("function|load")
def function_load(c, argv):
    i = 2
    replace = False
    while i < len(argv) - 1:
        a = argv[i]
        i += 1
        if a.lower() == b"replace":
            replace = True
            continue
        raise CommandError("ERR Unknown option given: %s" % a.decode("latin-1"))
    if i >= len(argv):
        raise CommandError("ERR Function code is missing")
    name = scripting(c.node).create_library(argv[i], replace)
    c.node.dirty += 1
    return name


@command("function|delete")
def function_delete(c, argv):
    s = scripting(c.node)
    lib = s.libraries.get(argv[2])
    if lib is None:
        raise CommandError("ERR Library not found")
    s._unlink(lib)
    c.node.dirty += 1
    return OK


@command("function|flush")
def function_flush(c, argv):
    if len(argv) > 3:
        raise CommandError(_subcommand_syntax(argv))
    if len(argv) == 3 and argv[2].lower() in (b"sync", b"async"):
        pass
    elif len(argv) != 2:
        raise CommandError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    scripting(c.node).flush_functions()
    c.node.dirty += 1
    return OK


@command("function|kill")
def function_kill(c, argv):
    scripting(c.node).kill(False)
    return OK


@command("function|stats")
def function_stats(c, argv):
    s = scripting(c.node)
    run = s.run
    if run is not None and run.eval_mode:
        raise CommandError(BUSY_EVAL)
    running = None
    if run is not None:
        running = Map([(b"name", run.funcname), (b"command", list(run.argv)),
                       (b"duration_ms", int((time.monotonic() - run.start) * 1000))])
    return Map([
        (b"running_script", running),
        (b"engines", Map([(b"LUA", Map([(b"libraries_count", len(s.libraries)),
                                         (b"functions_count", len(s.functions))]))])),
    ])


@command("function|list")
def function_list(c, argv):
    with_code = False
    pattern = None
    i = 2
    while i < len(argv):
        a = argv[i].lower()
        if not with_code and a == b"withcode":
            with_code = True
        elif pattern is None and a == b"libraryname":
            if i >= len(argv) - 1:
                raise CommandError("ERR library name argument was not given")
            i += 1
            pattern = argv[i]
        else:
            raise CommandError("ERR Unknown argument %s" % argv[i].decode("latin-1"))
        i += 1
    out = []
    for lib in scripting(c.node).libraries.values():
        if pattern is not None and not stringmatchlen(pattern, lib.name, True):
            continue
        funcs = [Map([(b"name", f.name), (b"description", f.desc),
                      (b"flags", SetReply(Status(n) for n, bit in FLAG_NAMES if f.flags & bit))])
                 for f in lib.functions.values()]
        pairs = [(b"library_name", lib.name), (b"engine", b"LUA"), (b"functions", funcs)]
        if with_code:
            pairs.append((b"library_code", lib.code))
        out.append(Map(pairs))
    return out


@command("function|dump")
def function_dump(c, argv):
    return scripting(c.node).dump_functions()


@command("function|restore")
def function_restore(c, argv):
    from ..store.rdb import RDB_VERSION, _Reader, crc64

    policy = b"append"
    if len(argv) > 4:
        raise CommandError(_subcommand_syntax(argv))
    if len(argv) == 4:
        policy = argv[3].lower()
        if policy not in (b"flush", b"append", b"replace"):
            raise CommandError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    payload = argv[2]
    if (len(payload) < 10 or struct.unpack_from("<H", payload, len(payload) - 10)[0] > RDB_VERSION
            or struct.unpack_from("<Q", payload, len(payload) - 8)[0] != crc64(payload[:-8])):
        raise CommandError("ERR DUMP payload version or checksum are wrong")
    codes = []
    r = _Reader(payload[:-10])
    try:
        while r.pos < len(payload) - 10:
            op = r.byte()
            if op != OP_FUNCTION2:
                raise CommandError("ERR given type is not a function")
            codes.append(r.string())
    except CommandError:
        raise
    except Exception:
        raise CommandError("ERR failed loading the given functions payload") from None
    scripting(c.node).restore(codes, policy)
    c.node.dirty += 1
    return OK


@command("function|help")
def function_help(c, argv):
    return [Status(line) for line in FUNCTION_HELP]


FUNCTION_HELP = [
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION "
    "RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
]


def _fcall(c, argv, ro: bool):
    node = c.node
    if node.monitors:
        node.feed_monitors(c, argv)
    s = scripting(node)
    f = s.functions.get(argv[1].lower())
    if f is None:
        raise CommandError("ERR Function not found")
    numkeys = _numkeys(argv, "ERR Bad number of keys provided")
    return s.execute(c, f.callback, False, f.name, f.flags, ro, argv[3:3 + numkeys], argv[3 + numkeys:], argv)


@command("fcall")
def fcall(c, argv):
    return _fcall(c, argv, False)


@command("fcall_ro")
def fcall_ro(c, argv):
    return _fcall(c, argv, True)


# getCommandFlags: whether EVAL / FCALL write depends on the script (routing on READONLY replicas,
# -READONLY, MISCONF, NOREPLICAS before the script runs)
for _name, _sha in ((b"eval", False), (b"evalsha", True), (b"eval_ro", False), (b"evalsha_ro", True)):
    COMMANDS[_name].write_for = _eval_write_for(_sha)
for _name in (b"fcall", b"fcall_ro"):
    COMMANDS[_name].write_for = _fcall_write_for
