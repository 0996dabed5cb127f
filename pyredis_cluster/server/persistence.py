"""Persistence: the AOF and RDB snapshots of a Node (Redis: aof.c, rdb.c and their parts of server.c --
loadDataFromDisk, serverCron's save points and automatic rewrites, prepareForShutdown, checkChildrenDone).

What is promised, and how it is kept:

* **AOF** (``appendonly yes``): every write the node propagates (``Node.propagate``: the command itself or
  the deterministic rewrite its handler chose -- PEXPIREAT, SET ... PXAT, SREM for SPOP ...) is appended
  to an in-memory buffer.  While that buffer is not empty no reply leaves the node: ``Client.flush``
  hands the client to :meth:`Persistence.hold`, and one callback per event-loop turn (Redis's
  ``beforeSleep``: ``flushAppendOnlyFile`` before ``handleClientsWithPendingWrites``) writes the buffer
  with a single ``write()``, fdatasyncs it when ``appendfsync always``, and only then sends the held
  replies.  So an acknowledged write is in the file (``everysec``/``no``: in the kernel, safe from a
  crash of the process) or on the disk (``always``: one fsync per loop turn for every client, a group
  commit).  ``everysec`` fsyncs in a background thread once a second.
* **Rewrites** (BGREWRITEAOF, auto-aof-rewrite-*), **BGSAVE** and save points fork a child, as Redis does:
  ``os.fork()`` gives the child a frozen copy of the dataset, which it writes to a temp file (the
  parent keeps serving; copy-on-write keeps the cost of the fork itself low).  A rewrite first opens a
  new incr file, so the writes made while the child runs are already where they belong; when the child
  is done, its file becomes the new base and the manifest is switched atomically (temp + fsync +
  rename).  A crash at any point leaves a manifest that names complete files only.
* **Loading**: manifest -> base (RDB or commands) -> incr files, the commands executed by a pseudo
  client; a file that ends inside a command is truncated back to the last complete one when
  ``aof-load-truncated yes`` (else the node refuses to start), anything else malformed is refused with
  the file, the offset and the reason.  Without AOF, dump.rdb is loaded.
"""

from __future__ import annotations

import gc
import os
import signal
import struct
import sys
import time

from ..commands import persistence as _commands  # noqa: F401  (registers SAVE, BGSAVE, BGREWRITEAOF ...)
from ..store import aof as aofmod
from ..store import rdb
from .oom import OOM_BGCHILD
from ..commands.scripting import flush_functions, function_codes, load_functions
from ..errors import CommandError
from ..protocol.reply import error_bytes
from ..replication.master import state_name
from ..store.aof import AofError, AofFormatError, AofTruncated, AofWriter, Manifest

AOF_OFF, AOF_ON, AOF_WAIT_REWRITE = "off", "on", "wait_rewrite"
CHILD_RDB, CHILD_AOF = "rdb", "aof"
BGSAVE_RETRY_DELAY = 5  # CONFIG_BGSAVE_RETRY_DELAY
AOF_REWRITE_LIMIT_THRESHOLD = 3  # AOF_REWRITE_LIMITE_THRESHOLD
AOF_REWRITE_LIMIT_MAX_MINUTES = 60
SHUTDOWN_SAVE, SHUTDOWN_NOSAVE, SHUTDOWN_NOW, SHUTDOWN_FORCE = 1, 2, 4, 8

MISCONF_RDB = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
               "Commands that may modify the data set are disabled, because this instance is configured to report "
               "errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check "
               "the Redis logs for details about the RDB error.")


class PersistenceError(RuntimeError):
    """Loading failed: the node must not start (Redis exits with 1)."""


def _load_functions(node, path: str, info: dict, replace: bool) -> None:
    """The function libraries of a loaded RDB (rdbFunctionLoad); one that exists already is fatal
    unless ``replace`` (DEBUG RELOAD MERGE)."""
    codes = info.get("functions")
    if not codes:
        return
    try:
        load_functions(node, codes, replace)
    except CommandError as e:
        msg = "Failed loading library from %s: %s" % (path, e.message)
        node.log.warning(msg)
        raise PersistenceError(msg) from None


class Persistence:
    def __init__(self, node):
        self.node = node
        cfg = node.config
        self.aof_state = AOF_OFF
        self.manifest = Manifest(cfg["appendfilename"])
        self.writer: AofWriter | None = None
        self.buf: list = []  # the AOF buffer (aof_buf), shared with the writer; also node.aof_buf
        node.aof_buf = self.buf
        node.aof_feed = None  # set while the AOF records writes (Node.propagate feeds it)
        node.loading = 0
        self.held: dict = {}  # clients whose replies wait for the AOF write (insertion-ordered)
        self.before_sleep_scheduled = False
        # the forked child (BGSAVE / BGREWRITEAOF), Redis's child_pid / child_type
        self.child_pid = -1
        self.child_type = None
        self.child_start = 0.0
        self.rdb_child_type = None  # an RDB child's target: "disk" (BGSAVE, disk-based sync) or "socket"
        # RDB state and INFO fields
        self.lastbgsave_status_ok = True
        self.lastbgsave_try = 0
        self.dirty_before_bgsave = 0
        self.rdb_save_time_last = -1
        self.rdb_saves = 0
        self.bgsave_scheduled = False
        self.rdb_last_load_keys_loaded = 0
        self.rdb_last_load_keys_expired = 0
        # AOF state and INFO fields
        self.aof_rewrite_scheduled = False
        self.aof_rewrite_time_last = -1
        self.aof_lastbgrewrite_ok = True
        self.aof_rewrites = 0
        self.aofrw_consecutive_failures = 0
        self.aof_rewrite_base_size = 0
        self.aof_other_size = 0  # sizes of the AOF files other than the one being appended to
        self._rw_next_delay = 0
        self._rw_next_time = 0
        self.shutdown_prepared = False
        self.exiting = False
        self.flush_sleep_usec = 0  # DEBUG AOF-FLUSH-SLEEP (server.aof_flush_sleep)
        self.total_forks = 0  # INFO stats total_forks
        # the shutdown sequence (server.shutdown_asap, shutdown_mstime, shutdown_flags, last_sig_received)
        self.shutdown_asap = 0  # the signal received, to be handled by the cron
        self.shutdown_mstime = 0  # when the wait for lagging replicas ends (0: no shutdown initiated)
        self.shutdown_flag_bits = 0
        self._pause_before_shutdown = None
        # what the child reports through its info pipe (childinfo.c), and INFO's fields from it
        self.child_info_fd = -1
        self._child_info_buf = b""
        self._child_report = None  # in the child: its reporter (keys processed, CoW)
        self.cow_current = 0  # stat_current_cow_bytes
        self.cow_peak = 0  # stat_current_cow_peak
        self.cow_updated = 0.0  # stat_current_cow_updated (time.time())
        self.save_keys_processed = 0  # stat_current_save_keys_processed
        self.save_keys_total = 0  # stat_current_save_keys_total
        self.rdb_last_cow_size = 0  # stat_rdb_cow_bytes
        self.aof_last_cow_size = 0  # stat_aof_cow_bytes

    # =====================================================================================================
    # Paths
    # =====================================================================================================

    @property
    def dir(self) -> str:
        """``dir``: the process's working directory (pyredis-server chdirs there), else the setting."""
        try:
            return self.node.config.cwd
        except OSError:  # the directory was removed under us: saving will fail and say so
            return self.node.config.values["dir"]

    @property
    def rdb_path(self) -> str:
        return os.path.join(self.dir, self.node.config["dbfilename"])  # dbfilename is never a path

    @property
    def aof_dir(self) -> str:
        return os.path.join(self.dir, self.node.config["appenddirname"])

    def aof_path(self, name: str) -> str:
        return os.path.join(self.aof_dir, name)

    @property
    def aof_filename(self) -> str:
        return self.node.config["appendfilename"]

    # =====================================================================================================
    # Loading at start (loadDataFromDisk, aofOpenIfNeededOnServerStart)
    # =====================================================================================================

    def load_at_start(self) -> None:
        """Load the dataset from the AOF (appendonly yes) or dump.rdb, then open the AOF for appending.
        Raises PersistenceError (the node must not start) on a file it cannot trust."""
        _drain(self.load_at_start_steps())

    def load_at_start_steps(self):
        """:meth:`load_at_start` as a generator that yields now and then (after each key of an RDB, each
        batch of AOF commands), so that the node can serve events while loading (it answers -LOADING)."""
        node = self.node
        cfg = node.config
        start = time.monotonic()
        try:
            self.manifest = aofmod.load_manifest(self.aof_dir, self.aof_filename)  # aofLoadManifestFromDisk
        except AofError as e:
            node.log.warning(str(e))
            raise PersistenceError(str(e)) from None
        if cfg["appendonly"]:
            try:
                loaded = yield from self.load_aof_steps(self.manifest)
            except AofError as e:
                node.log.warning(str(e))
                raise PersistenceError(str(e)) from None
            if loaded:
                node.log.notice("DB loaded from append only file: %.3f seconds" % (time.monotonic() - start))
            self._reset_stats_after_load()
            self.open_aof_on_start()
        else:
            path = self.rdb_path
            if os.path.exists(path):
                yield from self.load_rdb_file_steps(path, at_start=True)
                node.log.notice("DB loaded from disk: %.3f seconds" % (time.monotonic() - start))
                self._reset_stats_after_load()

    def _reset_stats_after_load(self) -> None:
        """Redis's AOF pseudo client runs command procs directly: nothing it does is counted."""
        from ..commands import table

        node = self.node
        node.stats.reset()
        for db in node.dbs:
            db.hits = db.misses = 0

        def reset(cmd):
            cmd.calls = cmd.failed_calls = cmd.rejected_calls = 0
            if hasattr(cmd, "usec"):
                cmd.usec = 0
            for sub in cmd.subcommands.values():
                reset(sub)

        for cmd in table.COMMANDS.values():
            reset(cmd)

    def load_rdb_file(self, path: str, merge: bool = False) -> None:
        """rdbLoad for dump.rdb (a starting master drops the keys already expired)."""
        _drain(self.load_rdb_file_steps(path, merge))

    def _report_corrupt_rdb(self, e, blob: bytes) -> None:
        """rdbReportError while loading a file at start: the reason, then the RDB checker's report on
        stdout (redis_check_rdb_main), after which redis-server exits."""
        log = self.node.log
        msg = str(e)
        reason = getattr(e, "reason", None)
        if reason is not None:  # a wrong checksum
            log.warning(msg)
            line = 3225
        elif msg in ("unexpected end of data", "Short read or OOM loading DB. Unrecoverable error, aborting now."):
            log.warning("Short read or OOM loading DB. Unrecoverable error, aborting now.")
            reason, line = "Unexpected EOF reading RDB file", 3254
        else:
            reason, line = msg, getattr(e, "line", 3252)
        log.warning("Internal error in RDB reading offset 0, function at rdb.c:%d -> %s" % (line, reason))
        _ok, lines = rdb.check_rdb(blob, self.node.config["dbfilename"])
        try:
            sys.stdout.write("".join(ln + "\n" for ln in lines))
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        if getattr(e, "line", None) is not None:  # the checker met the corrupt value: rdbReportError again
            log.warning("Terminating server after rdb file reading failure.")

    def load_rdb_file_steps(self, path: str, merge: bool = False, at_start: bool = False):
        node = self.node
        try:
            with open(path, "rb") as f:
                blob = f.read()
        except OSError as e:
            msg = "Fatal error loading the DB: %s. Exiting." % e.strerror
            node.log.warning(msg)
            raise PersistenceError(msg) from None
        dirty = node.dirty
        node.loading = 1
        info: dict = {}
        try:
            aux = yield from rdb.load_into_steps(
                blob, node.dbs, skip_expired=_i_am_master(node), info=info, merge=merge,
                zset_limits=(node.config["zset-max-listpack-entries"], node.config["zset-max-listpack-value"]),
                key_load_delay=node.config["key-load-delay"],
                deep=node.config["sanitize-dump-payload"] == "yes",  # (clients: not when loading)
                tally=node.sanitizations)
        except rdb.RDBError as e:
            if at_start:
                self._report_corrupt_rdb(e, blob)
            msg = "Fatal error loading the DB %s: %s (at offset %d of %d bytes). Exiting." % (
                path, e, getattr(e, "offset", 0), len(blob))
            if not at_start:
                node.log.warning(msg)
            raise PersistenceError(msg) from None
        finally:
            node.loading = 0
            node.dirty = dirty  # dbAdd does not count as a change
        empty = info.get("empty_keys", ())
        for key in empty[:10]:
            node.log.notice("rdbLoadObject skipping empty key: %s" % key.decode("latin-1"))
        if empty:
            node.log.notice("Done loading RDB, keys loaded: %d, keys expired: %d, empty keys skipped: %d."
                            % (info.get("keys_loaded", 0), info.get("keys_expired", 0), len(empty)))
        else:
            node.log.notice("Done loading RDB, keys loaded: %d, keys expired: %d."
                            % (info.get("keys_loaded", 0), info.get("keys_expired", 0)))
        if at_start and aux:
            node.repl.restore_from_rdb(aux, info.get("expired", ()))  # the history it was saved at
        self.rdb_last_load_keys_loaded = info.get("keys_loaded", 0)
        self.rdb_last_load_keys_expired = info.get("keys_expired", 0)
        _load_functions(node, path, info, merge)

    def load_aof(self, manifest: Manifest) -> bool:
        """loadAppendOnlyFiles: False when there is no AOF at all.  Raises AofError."""
        return _drain(self.load_aof_steps(manifest))

    def load_aof_steps(self, manifest: Manifest):
        node = self.node
        old = os.path.join(self.dir, self.aof_filename)
        if os.path.isfile(old) and (not os.path.isdir(self.aof_dir) or manifest.empty or (
                manifest.base is not None and not manifest.incr and manifest.base.name == self.aof_filename
                and not os.path.exists(self.aof_path(self.aof_filename)))):
            self._upgrade_old_aof(manifest, old)
        if manifest.empty:
            return False
        files = manifest.files()
        total = 0
        for info in files:
            try:
                total += os.stat(self.aof_path(info.name)).st_size
            except OSError as e:
                raise AofError("Unable to obtain the AOF file %s length. stat: %s" % (info.name, e.strerror))
        if total == 0:
            return True  # AOF_EMPTY
        node.loading = 1
        for db in node.dbs:
            db.master_executing = True  # nothing expires while loading (keyIsExpired: server.loading)
        client = self._pseudo_client()
        base_size = 0
        try:
            for i, info in enumerate(files):
                last = i == len(files) - 1
                t0 = time.monotonic()
                truncated = yield from self._load_one(info.name, client, last)
                if info is manifest.base:
                    base_size = os.path.getsize(self.aof_path(info.name))
                if not truncated or last:
                    node.log.notice("DB loaded from %s file %s: %.3f seconds" % (
                        "base" if info is manifest.base else "incr", info.name, time.monotonic() - t0))
        finally:
            node.loading = 0
            for db in node.dbs:
                db.master_executing = False
            node.client_gone(client)
        self.aof_rewrite_base_size = base_size
        return True

    def _upgrade_old_aof(self, manifest: Manifest, old: str) -> None:
        """aofUpgradePrepare: an appendonly.aof of Redis < 7.0 moves into the AOF directory as its base."""
        os.makedirs(self.aof_dir, exist_ok=True)
        manifest.base = aofmod.AofInfo(self.aof_filename, 1, aofmod.TYPE_BASE)
        manifest.curr_base_seq = 1
        manifest.dirty = True
        aofmod.write_manifest(self.aof_dir, manifest)
        os.replace(old, self.aof_path(self.aof_filename))
        self.node.log.notice("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s)."
                             % (self.aof_filename, self.node.config["appenddirname"]))

    def _pseudo_client(self):
        """createAOFClient: executes the file's commands; never blocks, never replies, never redirected."""
        from .connection import Client

        c = Client(self.node)
        c.is_master = True  # like the master link: no routing, no read-only check, no propagation
        c.authenticated = True
        c.deny_blocking = True
        c.addr = "AOF"
        c.update_slow()
        return c

    def _load_one(self, name: str, client, last: bool) -> bool:
        """loadSingleAppendOnlyFile (a generator: it yields after each batch of commands): returns True
        when the file was truncated (only allowed for the last file and with aof-load-truncated yes).
        Raises AofError."""
        from ..commands import table

        node = self.node
        path = self.aof_path(name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            if e.errno == 2:
                raise AofError("The append log file %s doesn't exist: %s" % (name, e.strerror)) from None
            raise AofError("Fatal error: can't open the append log file %s for reading: %s"
                           % (name, e.strerror)) from None
        if not data:
            return False
        pos = 0
        if data[:5] == b"REDIS":
            node.log.notice("Reading RDB base file on AOF loading..." if name != self.aof_filename
                            else "Reading RDB preamble from AOF file...")
            info: dict = {}
            dirty = node.dirty
            try:
                yield from rdb.load_into_steps(data, node.dbs, skip_expired=False, info=info, zset_limits=(
                    node.config["zset-max-listpack-entries"], node.config["zset-max-listpack-value"]),
                    key_load_delay=node.config["key-load-delay"],
                    deep=node.config["sanitize-dump-payload"] == "yes", tally=node.sanitizations)
            except rdb.RDBError as e:
                node.log.warning("Error reading the RDB base file %s, AOF loading aborted" % name)
                raise AofError("Bad RDB data in the append only file %s at offset %d: %s"
                               % (name, getattr(e, "offset", 0), e)) from None
            finally:
                node.dirty = dirty
            pos = info["end"]
            _load_functions(node, name, info, False)
            self.rdb_last_load_keys_loaded = info.get("keys_loaded", 0)
            self.rdb_last_load_keys_expired = 0
        batch: list = []
        lookup = table._LOOKUP
        try:
            for argv, _end in aofmod.iter_commands(data, pos):
                if lookup.get(argv[0]) is None and lookup.get(argv[0].lower()) is None:
                    self._run(client, batch)
                    raise AofError("Unknown command '%s' reading the append only file %s"
                                   % (argv[0].decode("latin-1"), name))
                batch.append(argv)
                if len(batch) >= 1024:
                    self._run(client, batch)
                    yield
            self._run(client, batch)
        except AofTruncated as e:
            self._run(client, batch)
            if e.reason.startswith("Revert"):
                node.log.warning("Revert incomplete MULTI/EXEC transaction in AOF file %s" % name)
            if client.multi is not None:  # queued commands of the unfinished transaction are dropped
                client.multi = None
                client.update_slow()
            if node.config["aof-load-truncated"]:
                node.log.warning("!!! Warning: short read while loading the AOF file %s!!!" % name)
                node.log.warning("!!! Truncating the AOF %s at offset %d !!!" % (name, e.valid_up_to))
                try:
                    os.truncate(path, e.valid_up_to)
                except OSError as err:
                    raise AofError("Error truncating the AOF file %s: %s" % (name, err.strerror)) from None
                node.log.warning("AOF %s loaded anyway because aof-load-truncated is enabled" % name)
                if not last:
                    node.log.warning("Fatal error: the truncated file is not the last file")
                    raise AofError("Fatal error: the truncated file %s is not the last file" % name) from None
                return True
            raise AofError(
                "Unexpected end of file reading the append only file %s (at offset %d, last complete command "
                "ends at offset %d). You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix "
                "<filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option "
                "to yes and restart the server." % (name, len(data), e.valid_up_to)) from None
        except AofFormatError as e:
            self._run(client, batch)
            raise AofError("Bad file format reading the append only file %s at offset %d (%s): make a backup of "
                           "your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
                           % (name, e.offset, e.reason)) from None
        return False

    @staticmethod
    def _run(client, batch: list) -> None:
        if batch:
            client.run_commands(batch)
            client.out.clear()
            batch.clear()

    def open_aof_on_start(self) -> None:
        """aofOpenIfNeededOnServerStart: create the directory, a base file for an empty dataset, open the
        last incr file (or a new one) and persist the manifest."""
        node = self.node
        m = self.manifest
        try:
            os.makedirs(self.aof_dir, exist_ok=True)
        except OSError as e:
            raise PersistenceError("Can't open or create append-only dir %s: %s"
                                   % (node.config["appenddirname"], e.strerror)) from None
        if m.base is None and not m.incr:
            name = m.new_base_name(node.config["aof-use-rdb-preamble"])
            try:
                self._write_base_sync(self.aof_path(name))
            except OSError as e:
                raise PersistenceError("Write error writing append only file on disk: %s" % e) from None
            node.log.notice("Creating AOF base file %s on server start" % name)
        had_incr = bool(m.incr)
        name = m.last_incr_name()
        try:
            self.writer = AofWriter(self.aof_path(name), node.config["appendfsync"], node.log)
            self.writer.timestamps = node.config["aof-timestamp-enabled"]
            if m.dirty:
                aofmod.write_manifest(self.aof_dir, m)
        except OSError as e:
            raise PersistenceError("Can't open the append-only file %s: %s" % (name, e.strerror)) from None
        self.writer.buf = self.buf
        self.writer.wake = self._wake
        self.aof_other_size = sum(self._size(a.name) for a in m.files()[:-1])
        node.log.notice("%s AOF incr file %s on server start" % ("Opening" if had_incr else "Creating", name))
        self.aof_state = AOF_ON
        node.aof_feed = self.writer.feed
        self._delete_history()

    def _size(self, name: str) -> int:
        try:
            return os.path.getsize(self.aof_path(name))
        except OSError:
            return 0

    # =====================================================================================================
    # The AOF buffer and the replies that wait for it (beforeSleep)
    # =====================================================================================================

    def _wake(self) -> None:
        """The buffer just became non-empty: write it before this event-loop turn ends."""
        if not self.before_sleep_scheduled:
            loop = self.node.loop
            if loop is not None:
                self.before_sleep_scheduled = True
                loop.call_soon(self.before_sleep)

    def hold(self, client) -> bool:
        """Client.flush with AOF data not yet written: the reply goes out after :meth:`before_sleep`
        (True), or now (False) when the buffer cannot be written at the moment (a write error with
        everysec / no: Redis answers, keeps the data buffered and refuses further writes with MISCONF)."""
        w = self.writer
        if w is None or w.write_error is not None:
            return False
        self.held[client] = None
        if not self.before_sleep_scheduled:
            self._wake()
            if not self.before_sleep_scheduled:  # no event loop (in-process use): write now
                self.before_sleep()
        return True

    def before_sleep(self) -> None:
        """flushAppendOnlyFile, then the replies held meanwhile (handleClientsWithPendingWrites)."""
        self.before_sleep_scheduled = False
        self.flush_aof()
        w = self.writer
        if w is not None and (w.write_error is not None) != (self.node.disk_error is not None):
            self._refresh_disk_error()  # MISCONF from the very next write command, as Redis
        held = self.held
        if held:
            self.held = {}
            for c in held:
                c.flush()

    def flush_aof(self, force_fsync: bool = False) -> None:
        w = self.writer
        if w is None:
            self.buf.clear()
            return
        if self.flush_sleep_usec and self.buf:
            time.sleep(self.flush_sleep_usec / 1_000_000)  # the whole server stops, as in Redis
        try:
            w.flush(force_fsync)
        except OSError as e:
            # appendfsync always: the writes are applied in memory but cannot be made durable, and their
            # replies must not go out -- Redis exits rather than run on
            self.node.log.warning("Can't recover from AOF write error when the AOF fsync policy is 'always': "
                                  "%s. Exiting..." % e)
            os._exit(1)

    # =====================================================================================================
    # The forked child (redisFork, checkChildrenDone)
    # =====================================================================================================

    def has_child(self) -> bool:
        return self.child_pid != -1

    def _fork(self, kind: str, work, keep=()) -> int:
        """Fork a child that runs ``work()`` on a frozen copy of the dataset and exits (0 on success).
        The child keeps only its info pipe and the descriptors in ``keep`` open."""
        node = self.node
        rfd, wfd = os.pipe()  # the child info pipe (openChildInfoPipe)
        try:
            pid = os.fork()
        except OSError:
            os.close(rfd)
            os.close(wfd)
            raise
        if pid == 0:  # -- the child --
            code = 1
            try:
                gc.disable()
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
                    signal.signal(sig, signal.SIG_DFL)
                try:
                    signal.set_wakeup_fd(-1)
                except (ValueError, OSError):
                    pass
                # Sockets, the nodes.conf lock, the AOF: none of the parent's files stay open here (Redis:
                # closeChildUnusedResourceAfterFork), so a parent that dies leaves its port and lock free.
                try:
                    soft = os.sysconf("SC_OPEN_MAX")
                except (ValueError, OSError):
                    soft = 65536
                low = 3
                for fd in sorted({wfd, *keep}):
                    os.closerange(low, fd)
                    low = fd + 1
                os.closerange(low, max(soft, 1024))
                node.log.role = "C"
                node.oom.set(OOM_BGCHILD)  # redisFork: the child's own class of oom-score-adj-values
                reporter = _ChildReporter(wfd, node, kind, self._key_save_delay())
                self._child_report = reporter
                work()
                if not reporter.final_sent:
                    reporter.send(CHILD_INFO_COW_SIZE)
                code = 0
            except BaseException as e:  # noqa: B902 - the child must never return into the event loop
                try:
                    node.log.warning("%s child failed: %s" % (kind, e))
                except BaseException:  # noqa: B902
                    pass
            finally:
                os._exit(code)
        os.close(wfd)
        self.total_forks += 1  # stat_total_forks
        os.set_blocking(rfd, False)
        self._close_child_info()
        self.child_info_fd = rfd
        self.child_pid = pid
        self.child_type = kind
        self.child_start = time.time()
        self.save_keys_total = sum(len(db.data) for db in node.dbs)  # dbTotalServerKeyCount
        return pid

    fork_child = _fork  # (replication/master.py forks the diskless-sync child with it)

    def _key_save_delay(self) -> int:
        return self.node.config["rdb-key-save-delay"]

    def _on_key_saved(self) -> None:
        """Called after each key the child writes: rdb-key-save-delay and the progress reports."""
        r = self._child_report
        if r is not None:
            r.key_done()

    on_key_saved = _on_key_saved

    def report_cow(self) -> None:
        """In the child: the final copy-on-write report (sendChildCowInfo)."""
        if self._child_report is not None:
            self._child_report.send(CHILD_INFO_COW_SIZE)

    def receive_child_info(self) -> None:
        """receiveChildInfo: read what the child reported (non-blocking)."""
        fd = self.child_info_fd
        if fd < 0:
            return
        while True:
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                break
            self._child_info_buf += chunk
        buf = self._child_info_buf
        n = _CHILD_INFO.size
        while len(buf) >= n:
            kind, keys, cow, cow_updated, _progress = _CHILD_INFO.unpack_from(buf)
            buf = buf[n:]
            if kind == CHILD_INFO_CURRENT:
                self.cow_current = cow
                self.cow_updated = cow_updated
                self.cow_peak = max(self.cow_peak, cow)
                self.save_keys_processed = keys
            elif kind == CHILD_INFO_COW_SIZE:
                if self.child_type == CHILD_AOF:
                    self.aof_last_cow_size = cow
                else:
                    self.rdb_last_cow_size = cow
        self._child_info_buf = buf

    def _close_child_info(self) -> None:
        """closeChildInfoPipe + resetChildState's counters."""
        if self.child_info_fd >= 0:
            try:
                os.close(self.child_info_fd)
            except OSError:
                pass
        self.child_info_fd = -1
        self._child_info_buf = b""
        self.cow_current = self.cow_peak = 0
        self.cow_updated = 0.0
        self.save_keys_processed = self.save_keys_total = 0

    def _kill_child(self) -> None:
        """killRDBChild / killAppendOnlyChild: SIGUSR1, wait, remove its temp file."""
        pid, kind = self.child_pid, self.child_type
        if pid == -1:
            return
        self.node.log.notice("Killing running %s child: %d" % ("AOF rewrite" if kind == CHILD_AOF else "RDB", pid))
        try:
            os.kill(pid, signal.SIGUSR1)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self._remove_temp_files(pid)
        self._close_child_info()
        self.child_pid = -1
        self.child_type = None
        if kind == CHILD_RDB and self.rdb_child_type == "socket":
            self.node.repl.master._pipe_close()
        self.rdb_child_type = None
        self.aof_rewrite_time_last = int(time.time() - self.child_start) if kind == CHILD_AOF \
            else self.aof_rewrite_time_last

    def kill_rdb_child(self) -> None:
        """killRDBChild: SIGUSR1 only; checkChildrenDone reaps the child and runs the done handler
        (replicas waiting for its snapshot fail, a pending sync forks)."""
        if self.child_type == CHILD_RDB and self.child_pid != -1:
            try:
                os.kill(self.child_pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass

    def _remove_temp_files(self, pid: int) -> None:
        for name in ("temp-%d.rdb" % pid, "temp-rewriteaof-bg-%d.aof" % pid, "temp-rewriteaof-%d.aof" % pid):
            try:
                os.unlink(os.path.join(self.dir, name))
            except OSError:
                pass

    def check_child_done(self) -> None:
        pid = self.child_pid
        if pid == -1:
            return
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 1 << 8
        if done == 0:
            return
        self.receive_child_info()
        kind = self.child_type
        self.child_pid = -1
        self.child_type = None
        if os.WIFSIGNALED(status):
            exitcode, bysignal = 0, os.WTERMSIG(status)
        else:
            exitcode, bysignal = os.WEXITSTATUS(status), 0
        if kind == CHILD_RDB:
            target, self.rdb_child_type = self.rdb_child_type, None
            master = self.node.repl.master
            if target == "socket":
                master.socket_child_done(exitcode, bysignal)
                self.rdb_save_time_last = int(time.time() - self.child_start)
            else:
                self._bgsave_done(exitcode, bysignal, pid)
            self._close_child_info()
            # replicas waiting for this snapshot (updateSlavesWaitingBgsave)
            master.update_waiting_bgsave(not bysignal and exitcode == 0, target or "disk")
        else:
            self._rewrite_done(exitcode, bysignal, pid)
            self._close_child_info()
        self.node.repl.master.start_pending_fork()  # a sync that waited for this child forks now

    # =====================================================================================================
    # RDB: SAVE, BGSAVE, save points
    # =====================================================================================================

    def _rdb_aux(self, aof_base: bool = False) -> dict:
        """rdbSaveInfoAuxFields (+ rdbPopulateSaveInfo: the replication ID/offset of a master with a backlog)."""
        node = self.node
        aux = {b"ctime": b"%d" % int(time.time()), b"used-mem": b"%d" % self._used_memory()}
        repl = node.repl
        bl = repl.backlog
        if repl.link is None and bl.active:
            seldb = repl.master.seldb
            aux[b"repl-stream-db"] = b"%d" % (seldb if seldb >= 0 else 0)
            aux[b"repl-id"] = bl.replid.encode()
            aux[b"repl-offset"] = b"%d" % bl.offset
        elif repl.link is not None and repl.link.master_replid:
            client = repl.link.client
            aux[b"repl-stream-db"] = b"%d" % (client.db.id if client is not None else 0)
            aux[b"repl-id"] = repl.link.master_replid.encode()
            aux[b"repl-offset"] = b"%d" % bl.offset
        aux[b"aof-base"] = b"1" if aof_base else b"0"
        return aux

    @staticmethod
    def _used_memory() -> int:
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    rdb_aux = _rdb_aux

    def _rdb_write(self, path: str, tmp: str, aof_base: bool = False) -> None:
        """rdbSave's file part: temp file, fsync, rename, fsync of the directory (raises OSError)."""
        try:
            with open(tmp, "wb") as f:
                # Strings are written uncompressed whatever rdbcompression says: the pure-Python LZF costs
                # about half a millisecond per string, and every RDB reader accepts plain strings.
                rdb.write_rdb(f, self.node.dbs, self._rdb_aux(aof_base), config=self.node.config,
                              functions=function_codes(self.node),
                              on_key=self._on_key_saved if self._child_report is not None else None)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        aofmod.fsync_dir(os.path.dirname(path) or ".")

    def rdb_save(self) -> bool:
        """rdbSave (SAVE, SHUTDOWN, FLUSHALL): in the foreground."""
        node = self.node
        tmp = os.path.join(self.dir, "temp-%d.rdb" % os.getpid())
        try:
            self._rdb_write(self.rdb_path, tmp)
        except OSError as e:
            if e.filename == tmp and not os.path.exists(tmp):
                node.log.warning("Failed opening the temp RDB file %s (in server root dir %s) for saving: %s"
                                 % (os.path.basename(tmp), self.dir, e.strerror))
            else:
                node.log.warning("Write error saving DB on disk: %s" % (e.strerror or e))
            self.lastbgsave_status_ok = False
            return False
        node.log.notice("DB saved on disk")
        node.dirty = 0
        node.lastsave = int(time.time())
        self.lastbgsave_status_ok = True
        return True

    def bgsave(self) -> bool:
        """rdbSaveBackground"""
        if self.has_child():
            return False
        node = self.node
        self.rdb_saves += 1
        self.dirty_before_bgsave = node.dirty
        self.lastbgsave_try = int(time.time())
        path = self.rdb_path

        def work():
            tmp = os.path.join(self.dir, "temp-%d.rdb" % os.getpid())
            self._rdb_write(path, tmp)
            node.log.notice("DB saved on disk")

        try:
            pid = self._fork(CHILD_RDB, work)
        except OSError as e:
            self.lastbgsave_status_ok = False
            node.log.warning("Can't save in background: fork: %s" % e.strerror)
            return False
        self.rdb_child_type = "disk"
        node.log.notice("Background saving started by pid %d" % pid)
        self._refresh_disk_error()
        return True

    def _bgsave_done(self, exitcode: int, bysignal: int, pid: int) -> None:
        """backgroundSaveDoneHandlerDisk"""
        node = self.node
        if not bysignal and exitcode == 0:
            node.log.notice("Background saving terminated with success")
            node.dirty -= self.dirty_before_bgsave
            node.lastsave = int(time.time())
            self.lastbgsave_status_ok = True
        elif not bysignal:
            node.log.warning("Background saving error")
            self.lastbgsave_status_ok = False
        else:
            node.log.warning("Background saving terminated by signal %d" % bysignal)
            self._remove_temp_files(pid)
            if bysignal != signal.SIGUSR1:
                self.lastbgsave_status_ok = False
        self.rdb_save_time_last = int(time.time() - self.child_start)
        self._refresh_disk_error()

    def flushall_save(self) -> None:
        """flushAllDataAndResetRDB: kill an RDB child; with save points, save the (empty) dataset at once
        so that it cannot come back after a restart (rdbSave resets server.dirty to 0; Redis 7.0.15 no
        longer counts FLUSHALL itself: FLUSHALL forces its propagation instead)."""
        node = self.node
        if node.loading or node.loop is None:  # loading an AOF, or a Node object that is not serving
            return
        if self.child_type == CHILD_RDB:
            self.kill_rdb_child()  # (reaped by the cron: the replicas of a sync in progress start over)
        if node.config["save"]:
            self.rdb_save()

    # =====================================================================================================
    # AOF: BGREWRITEAOF, automatic rewrites, switching on and off
    # =====================================================================================================

    def _write_base_sync(self, final: str) -> None:
        """rewriteAppendOnlyFile in the foreground (an empty dataset at start)."""
        tmp = os.path.join(self.dir, "temp-rewriteaof-%d.aof" % os.getpid())
        self._write_base(tmp)
        os.replace(tmp, final)
        aofmod.fsync_dir(os.path.dirname(final))

    def _write_base(self, tmp: str) -> None:
        node = self.node
        try:
            with open(tmp, "wb") as f:
                if node.config["aof-use-rdb-preamble"]:
                    rdb.write_rdb(f, node.dbs, self._rdb_aux(aof_base=True), config=node.config,
                                  functions=function_codes(node),
                                  on_key=self._on_key_saved if self._child_report is not None else None)
                else:
                    for chunk in aofmod.rewrite_commands(
                            node.dbs, timestamp=node.config["aof-timestamp-enabled"], functions=function_codes(node),
                            on_key=self._on_key_saved if self._child_report is not None else None):
                        f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def rewrite_background(self) -> bool:
        """rewriteAppendOnlyFileBackground: start a new incr file, fork the child that writes the base."""
        node = self.node
        if self.has_child():
            return False
        try:
            os.makedirs(self.aof_dir, exist_ok=True)
        except OSError as e:
            node.log.warning("Can't open or create append-only dir %s: %s"
                             % (node.config["appenddirname"], e.strerror))
            self.aof_lastbgrewrite_ok = False
            return False
        if self.writer is not None:
            self.writer.selected_db = -1
            self.flush_aof()
        if not self._open_new_incr():
            self.aof_lastbgrewrite_ok = False
            return False
        self.aof_rewrites += 1

        def work():
            tmp = os.path.join(self.dir, "temp-rewriteaof-bg-%d.aof" % os.getpid())
            self._write_base(tmp)
            node.log.notice("Successfully created the temporary AOF base file %s" % os.path.basename(tmp))

        try:
            pid = self._fork(CHILD_AOF, work)
        except OSError as e:
            self.aof_lastbgrewrite_ok = False
            node.log.warning("Can't rewrite append only file in background: fork: %s" % e.strerror)
            return False
        node.log.notice("Background append only file rewriting started by pid %d" % pid)
        self.aof_rewrite_scheduled = False
        return True

    def _open_new_incr(self) -> bool:
        """openNewIncrAofForAppend: switch the writer to a new incr file listed in a new manifest (written
        atomically); while AOF_WAIT_REWRITE, to the temp incr file instead."""
        node = self.node
        if self.aof_state == AOF_OFF:
            return True
        temp_m = None
        if self.aof_state == AOF_WAIT_REWRITE:
            name = aofmod.temp_incr_name(self.aof_filename)
        else:
            temp_m = self.manifest.copy()
            name = temp_m.new_incr_name()
        path = self.aof_path(name)
        try:
            if self.writer is None:
                self.writer = AofWriter(path, node.config["appendfsync"], node.log)
                self.writer.timestamps = node.config["aof-timestamp-enabled"]
                os.ftruncate(self.writer.fd, 0)
                self.writer.size = self.writer.fsynced_size = 0
                self.writer.buf = self.buf
                self.writer.wake = self._wake
            else:
                old_size = self.writer.size
                self.writer.switch_to(path)
                self.aof_other_size += old_size
            if temp_m is not None:
                aofmod.write_manifest(self.aof_dir, temp_m)
        except OSError as e:
            node.log.warning("Can't open the append-only file %s: %s" % (name, e.strerror))
            return False
        node.log.notice("Creating AOF incr file %s on background rewrite" % name)
        if temp_m is not None:
            self.manifest = temp_m
        return True

    def _rewrite_done(self, exitcode: int, bysignal: int, pid: int) -> None:
        """backgroundRewriteDoneHandler"""
        node = self.node
        ok = False
        if not bysignal and exitcode == 0:
            node.log.notice("Background AOF rewrite terminated with success")
            tmp = os.path.join(self.dir, "temp-rewriteaof-bg-%d.aof" % pid)
            temp_m = self.manifest.copy()
            base_name = temp_m.new_base_name(node.config["aof-use-rdb-preamble"])
            base_path = self.aof_path(base_name)
            incr_path = None
            try:
                os.replace(tmp, base_path)
                node.log.notice("Successfully renamed the temporary AOF base file %s into %s"
                                % (os.path.basename(tmp), base_name))
                if self.aof_state == AOF_WAIT_REWRITE:
                    temp_incr = aofmod.temp_incr_name(self.aof_filename)
                    incr_name = temp_m.new_incr_name()
                    incr_path = self.aof_path(incr_name)
                    os.replace(self.aof_path(temp_incr), incr_path)
                    if self.writer is not None:
                        self.writer.path = incr_path
                    node.log.notice("Successfully renamed the temporary AOF incr file %s into %s"
                                    % (temp_incr, incr_name))
                temp_m.mark_rewritten_incr_as_history(keep_last=self.writer is not None)
                aofmod.write_manifest(self.aof_dir, temp_m)
            except OSError as e:
                node.log.warning("Error trying to switch to the rewritten AOF: %s" % e)
                for p in (base_path,):
                    try:
                        os.unlink(p)
                    except OSError:
                        pass
                self.aof_lastbgrewrite_ok = False
                self.aofrw_consecutive_failures += 1
            else:
                self.manifest = temp_m
                base_size = self._size(base_name)
                if self.aof_state != AOF_OFF:
                    self.aof_other_size = base_size
                    self.aof_rewrite_base_size = base_size + (self.writer.size if self.writer else 0)
                self._delete_history()
                self.aof_lastbgrewrite_ok = True
                self.aofrw_consecutive_failures = 0
                node.log.notice("Background AOF rewrite finished successfully")
                if self.aof_state == AOF_WAIT_REWRITE:
                    self.aof_state = AOF_ON
                ok = True
        elif not bysignal:
            self.aof_lastbgrewrite_ok = False
            self.aofrw_consecutive_failures += 1
            node.log.warning("Background AOF rewrite terminated with error")
        else:
            if bysignal != signal.SIGUSR1:
                self.aof_lastbgrewrite_ok = False
                self.aofrw_consecutive_failures += 1
            node.log.warning("Background AOF rewrite terminated by signal %d" % bysignal)
        self._remove_temp_files(pid)
        self._rewrite_cleanup(ok)
        self.aof_rewrite_time_last = int(time.time() - self.child_start)

    def _rewrite_cleanup(self, ok: bool) -> None:
        if self.aof_state == AOF_WAIT_REWRITE and not ok:
            # the temp incr file is discarded; a new rewrite will start from the dataset again
            self.buf.clear()
            if self.writer is not None:
                w, self.writer = self.writer, None
                try:
                    w.close()
                except OSError:
                    pass
            temp_incr = aofmod.temp_incr_name(self.aof_filename)
            self.node.log.notice("Removing the temp incr aof file %s in the background" % temp_incr)
            try:
                os.unlink(self.aof_path(temp_incr))
            except OSError:
                pass
            self.node.aof_feed = None
            self.aof_rewrite_scheduled = True

    def _delete_history(self, force: bool = False) -> None:
        """aofDelHistoryFiles (``force``: aof-disable-auto-gc is being switched off)"""
        m = self.manifest
        if (self.node.config["aof-disable-auto-gc"] and not force) or not m.history:
            return
        for a in m.history:
            self.node.log.notice("Removing the history file %s in the background" % a.name)
            try:
                os.unlink(self.aof_path(a.name))
            except OSError:
                pass
        m.history = []
        m.dirty = True
        try:
            aofmod.write_manifest(self.aof_dir, m)
        except OSError as e:
            self.node.log.warning("Can't persist the AOF manifest: %s" % e)

    def _rewrite_limited(self) -> bool:
        """aofRewriteLimited: after 3 failures in a row, wait 1, 2, 4 ... 60 minutes between attempts."""
        if self.aofrw_consecutive_failures < AOF_REWRITE_LIMIT_THRESHOLD:
            self._rw_next_delay = 0
            self._rw_next_time = 0
            return False
        now = time.time()
        if self._rw_next_time:
            if now < self._rw_next_time:
                return True
            self._rw_next_time = 0
            return False
        self._rw_next_delay = min(AOF_REWRITE_LIMIT_MAX_MINUTES, self._rw_next_delay * 2 or 1)
        self._rw_next_time = now + self._rw_next_delay * 60
        self.node.log.warning("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in "
                              "%d minutes" % self._rw_next_delay)
        return True

    def start_aof(self) -> bool:
        """startAppendOnly (CONFIG SET appendonly yes, after a full sync): the first rewrite creates the
        base; writes meanwhile go to a temp incr file that becomes the first incr file."""
        node = self.node
        if self.aof_state != AOF_OFF:
            return True
        self.aof_state = AOF_WAIT_REWRITE
        if self.has_child() and self.child_type != CHILD_AOF:
            self.aof_rewrite_scheduled = True
            node.log.warning("AOF was enabled but there is already another background operation. An AOF background "
                             "was scheduled to start when possible.")
        elif node.exec_depth:  # (server.in_exec: the rewrite starts from the cron, after the transaction)
            self.aof_rewrite_scheduled = True
            node.log.warning("AOF was enabled during a transaction. An AOF background was scheduled to start "
                             "when possible.")
        else:
            if self.child_type == CHILD_AOF:
                node.log.warning("AOF was enabled but there is already an AOF rewriting in background. Stopping "
                                 "background AOF and starting a rewrite now.")
                self._kill_child()
            if not self.rewrite_background():
                self.aof_state = AOF_OFF
                if self.writer is not None:
                    self.writer.close()
                    self.writer = None
                node.log.warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite "
                                 "operation. Check the above logs for more info about the error.")
                return False
        node.aof_feed = self.writer.feed if self.writer is not None else None
        return True

    def stop_aof(self) -> None:
        """stopAppendOnly (CONFIG SET appendonly no)."""
        if self.aof_state == AOF_OFF:
            return
        w = self.writer
        self.writer = None
        self.node.aof_feed = None
        if w is not None:
            try:
                w.close()
            except OSError as e:
                self.node.log.warning("Fail to fsync the AOF file: %s" % e)
        self.buf.clear()
        self.aof_state = AOF_OFF
        self.aof_rewrite_scheduled = False
        if self.child_type == CHILD_AOF:
            self._kill_child()
        self._refresh_disk_error()
        self._release_held()

    def _release_held(self) -> None:
        held, self.held = self.held, {}
        for c in held:
            c.flush()

    def after_full_sync(self) -> None:
        """A replica loaded its master's dataset: the AOF starts again from it (Redis: stopAppendOnly before
        loading, restartAOFAfterSYNC after)."""
        if self.aof_state != AOF_OFF:
            self.stop_aof()
        if self.node.config["appendonly"]:
            self.start_aof()

    def bgrewriteaof(self, in_exec: bool) -> str:
        """bgrewriteaofCommand: a status to reply, or raises ValueError with the error."""
        if self.child_type == CHILD_AOF:
            raise ValueError("ERR Background append only file rewriting already in progress")
        if self.has_child() or in_exec:
            self.aof_rewrite_scheduled = True
            self.aofrw_consecutive_failures = 0
            return "Background append only file rewriting scheduled"
        if self.rewrite_background():
            return "Background append only file rewriting started"
        raise ValueError("ERR Can't execute an AOF background rewriting. Please check the server logs for more "
                         "information.")

    def config_changed(self, name: str, old, new) -> None:
        """updateAppendonly / updateAppendFsync (raises ValueError to refuse CONFIG SET)."""
        if name == "appendonly":
            if not new and self.aof_state != AOF_OFF:
                self.stop_aof()
            elif new and self.aof_state == AOF_OFF:
                if not self.start_aof():
                    raise ValueError("Unable to turn on AOF. Check server logs.")
        elif name == "appendfsync":
            if self.writer is not None:
                self.writer.set_policy(new)
        elif name == "aof-timestamp-enabled":
            if self.writer is not None:
                self.writer.timestamps = bool(new)
        elif name == "aof-disable-auto-gc":
            if not new:  # updateAofAutoGCEnabled: the history files go at once
                self._delete_history(force=True)

    # =====================================================================================================
    # Cron, disk errors, shutdown
    # =====================================================================================================

    def cron(self) -> None:
        """The persistence part of serverCron."""
        node = self.node
        cfg = node.config
        if self.shutdown_asap or self.shutdown_mstime:
            self.shutdown_cron()
        if not self.has_child() and self.aof_rewrite_scheduled and not self._rewrite_limited():
            if self.aof_state == AOF_WAIT_REWRITE and self.writer is None:
                self.aof_state = AOF_OFF
                self.start_aof()
            else:
                self.rewrite_background()
        if self.has_child():
            self.receive_child_info()
            self.check_child_done()
        else:
            now = int(time.time())
            for seconds, changes in cfg["save"]:
                if (node.dirty >= changes and now - node.lastsave > seconds and
                        (now - self.lastbgsave_try > BGSAVE_RETRY_DELAY or self.lastbgsave_status_ok)):
                    node.log.notice("%d changes in %d seconds. Saving..." % (changes, seconds))
                    self.bgsave()
                    break
            w = self.writer
            perc = cfg["auto-aof-rewrite-percentage"]
            if (self.aof_state == AOF_ON and not self.has_child() and perc and w is not None
                    and self.aof_current_size > cfg["auto-aof-rewrite-min-size"]):
                base = self.aof_rewrite_base_size or 1
                growth = self.aof_current_size * 100 // base - 100
                if growth >= perc and not self._rewrite_limited():
                    node.log.notice("Starting automatic rewriting of AOF on %d%% growth" % growth)
                    self.rewrite_background()
        w = self.writer
        if w is not None:
            if self.buf and not self.before_sleep_scheduled:
                self.before_sleep()  # a write error retried, or writes made outside any loop turn
            elif w.write_error is not None or (w.policy == aofmod.FSYNC_ALWAYS and w.fsynced_size != w.size):
                self.flush_aof()
            self._refresh_disk_error()
        if not self.has_child() and self.bgsave_scheduled and (
                int(time.time()) - self.lastbgsave_try > BGSAVE_RETRY_DELAY or self.lastbgsave_status_ok):
            if self.bgsave():
                self.bgsave_scheduled = False

    @property
    def aof_current_size(self) -> int:
        return self.aof_other_size + (self.writer.size if self.writer is not None else 0)

    def disk_error(self):
        """writeCommandsDeniedByDiskError: the MISCONF error text while writes must be refused, else None."""
        cfg = self.node.config
        if cfg["stop-writes-on-bgsave-error"] and cfg["save"] and not self.lastbgsave_status_ok:
            return MISCONF_RDB
        w = self.writer
        if self.aof_state != AOF_OFF and w is not None:
            err = w.write_error or w.fsync_error
            if err is not None:
                return "MISCONF Errors writing to the AOF file: %s" % err
        return None

    def _refresh_disk_error(self) -> None:
        node = self.node
        err = self.disk_error()
        if err != getattr(node, "disk_error", None):
            node.disk_error = err
            node.refresh_clients()

    # =====================================================================================================
    # The shutdown sequence (prepareForShutdown, finishShutdown, abortShutdown, serverCron's part)
    # =====================================================================================================

    def _all_replicas(self) -> list:
        m = self.node.repl.master
        return list(m.replicas)

    def ready_to_shutdown(self) -> bool:
        """isReadyToShutdown: every replica acknowledged the whole replication stream."""
        target = self.node.repl.backlog.offset
        return all(getattr(r, "repl_ack_offset", 0) == target for r in self._all_replicas())

    def shutdown_in_ms(self):
        """INFO's shutdown_in_milliseconds, or None when no shutdown is initiated."""
        if not self.shutdown_mstime:
            return None
        return max(self.shutdown_mstime - int(time.time() * 1000), 0)

    def shutdown_flags_of(self, words) -> int:
        return (SHUTDOWN_SAVE if "save" in words else 0) | (SHUTDOWN_NOSAVE if "nosave" in words else 0) \
            | (SHUTDOWN_NOW if "now" in words else 0) | (SHUTDOWN_FORCE if "force" in words else 0)

    def prepare_for_shutdown(self, flags: int) -> str:
        """prepareForShutdown: "exit" (the node is stopping), "wait" (waiting for lagging replicas, up to
        shutdown-timeout seconds, with writes paused), or "error" (the shutdown failed: it was cancelled)."""
        node = self.node
        if self.shutdown_mstime:
            return "wait"  # already initiated: this SHUTDOWN waits with the first one
        if node.loading:
            flags = (flags & ~SHUTDOWN_SAVE) | SHUTDOWN_NOSAVE
        self.shutdown_flag_bits = flags
        node.log.warning("User requested shutdown...")
        timeout = node.config["shutdown-timeout"]
        if not flags & SHUTDOWN_NOW and timeout != 0 and not self.ready_to_shutdown():
            self.shutdown_mstime = int(time.time() * 1000) + timeout * 1000
            if not node.pause_until:
                node.repl.master.request_acks()  # sendGetackToReplicas
            self._pause_before_shutdown = (node.pause_until, getattr(node, "pause_writes_only", False))
            node.pause_clients(10 ** 9, True)  # PAUSE_DURING_SHUTDOWN, CLIENT_PAUSE_WRITE
            node.log.notice("Waiting for replicas before shutting down.")
            return "wait"
        return self.finish_shutdown()

    def finish_shutdown(self) -> str:
        """finishShutdown: report lagging replicas, then the persistence work; "exit" or "error"."""
        node = self.node
        flags = self.shutdown_flag_bits
        replicas = self._all_replicas()
        target = node.repl.backlog.offset
        lagging = 0
        for r in replicas:
            ack = getattr(r, "repl_ack_offset", 0)
            if ack != target:
                lagging += 1
                state = state_name(r)
                lag = int(time.monotonic() - r.repl_ack_time) if state == "online" and \
                    getattr(r, "repl_ack_time", None) else 0
                ip = node.repl.master.replica_ip(r)
                port = getattr(r, "repl_listening_port", None) or getattr(r, "repl_port", None)
                name = "%s:%s" % (ip, port) if port else r.addr
                node.log.warning("Lagging replica %s reported offset %d behind master, lag=%d, state=%s."
                                 % (name, target - ack, lag, state))
        if replicas:
            node.log.notice("%d of %d replicas are in sync when shutting down."
                            % (len(replicas) - lagging, len(replicas)))
        if not self.prepare_shutdown(flags):
            node.log.warning("Errors trying to shut down the server. Check the logs for more information.")
            self.cancel_shutdown()
            return "error"
        if getattr(node, "pidfile", None):
            node.log.notice("Removing the pid file.")
        node.request_shutdown()
        return "exit"

    def cancel_shutdown(self) -> None:
        """cancelShutdown: the SHUTDOWN clients get an error, writes are no longer paused."""
        node = self.node
        self.shutdown_asap = 0
        self.shutdown_flag_bits = 0
        self.shutdown_mstime = 0
        self.shutdown_prepared = False
        for c in list(node.clients.values()):  # replyToClientsBlockedOnShutdown
            if c.blocked == "shutdown" and not c.closing:
                c.blocked = None
                c._reply(error_bytes("ERR Errors trying to SHUTDOWN. Check logs."))
                c.flush()
                c.update_slow()
                if c.paused_queue and node.loop is not None:
                    node.loop.call_soon(_resume_client, c)
        before = self._pause_before_shutdown
        if before is not None:
            self._pause_before_shutdown = None
            until, writes_only = before
            if until and until > time.monotonic():
                node.pause_clients(until - time.monotonic(), writes_only)
            else:
                node.unpause_clients()

    def abort_shutdown(self) -> bool:
        """abortShutdown (SHUTDOWN ABORT): False when there was no shutdown to abort."""
        if self.shutdown_mstime:
            self.cancel_shutdown()
        elif self.shutdown_asap:
            self.shutdown_asap = 0
        else:
            return False
        self.node.log.notice("Shutdown manually aborted.")
        return True

    def on_shutdown_signal(self, sig: int) -> None:
        """sigShutdownHandler: a second SIGINT while shutting down exits at once; else the cron does it."""
        node = self.node
        name = "SIGINT" if sig == signal.SIGINT else "SIGTERM"
        if self.shutdown_asap and sig == signal.SIGINT:
            node.log.warning("You insist... exiting now.")
            os._exit(1)
        elif node.loading:
            msg = "Received shutdown signal during loading, scheduling shutdown."
            node.log.warning(msg)
        else:
            node.log.warning("Received %s scheduling shutdown..." % name)
        self.shutdown_asap = sig

    def shutdown_cron(self) -> None:
        """serverCron's shutdown part."""
        if self.shutdown_asap and not self.shutdown_mstime:
            sig = self.shutdown_asap
            words = str(self.node.config["shutdown-on-sigint" if sig == signal.SIGINT
                                          else "shutdown-on-sigterm"]).split()
            if self.prepare_for_shutdown(self.shutdown_flags_of(words)) == "error":
                self.node.log.warning("SIGTERM received but errors trying to shut down the server, check the logs "
                                      "for more information")
                self.shutdown_asap = 0
        elif self.shutdown_mstime and not self.shutdown_prepared:
            if int(time.time() * 1000) >= self.shutdown_mstime or self.ready_to_shutdown():
                self.finish_shutdown()

    def prepare_shutdown(self, flags: int) -> bool:
        """prepareForShutdown's persistence part: kill the child, fsync the AOF, save the RDB when there
        are save points (or SAVE) unless NOSAVE.  False (with FORCE ignored) when saving failed."""
        node = self.node
        if self.child_type == CHILD_RDB:
            node.log.warning("There is a child saving an .rdb. Killing it!")
            self._kill_child()
        elif self.child_type == CHILD_AOF:
            if self.aof_state == AOF_WAIT_REWRITE:  # the dataset is not in any AOF yet
                if flags & SHUTDOWN_FORCE:
                    node.log.warning("Writing initial AOF. Exit anyway.")
                else:
                    node.log.warning("Writing initial AOF, can't exit.")
                    return False
            node.log.warning("There is a child rewriting the AOF. Killing it!")
            self._kill_child()
        if self.aof_state != AOF_OFF and self.writer is not None:
            node.log.notice("Calling fsync() on the AOF file.")
            try:
                self.writer.flush(force_fsync=True)
            except OSError as e:
                node.log.warning("Fail to fsync the AOF file: %s" % e)
        if (node.config["save"] and not flags & SHUTDOWN_NOSAVE) or flags & SHUTDOWN_SAVE:
            node.log.notice("Saving the final RDB snapshot before exiting.")
            if not self.rdb_save():
                if flags & SHUTDOWN_FORCE:
                    node.log.warning("Error trying to save the DB. Exit anyway.")
                else:
                    node.log.warning("Error trying to save the DB, can't exit.")
                    return False
        self.shutdown_prepared = True
        return True

    def on_stop(self) -> None:
        """Node.stop: the shutdown work if SHUTDOWN did not do it (a signal), then close the AOF."""
        if not self.shutdown_prepared:
            flags = getattr(self.node, "shutdown_flags", None)
            if isinstance(flags, set):
                bits = (SHUTDOWN_SAVE if "save" in flags else 0) | (SHUTDOWN_NOSAVE if "nosave" in flags else 0) \
                    | (SHUTDOWN_FORCE if "force" in flags else 0)
            else:  # a signal: shutdown-on-sigterm ("default", or words among save nosave now force)
                words = str(self.node.config["shutdown-on-sigterm"]).split()
                bits = (SHUTDOWN_SAVE if "save" in words else 0) | (SHUTDOWN_NOSAVE if "nosave" in words else 0) \
                    | (SHUTDOWN_FORCE if "force" in words else 0)
            self.prepare_shutdown(bits | SHUTDOWN_FORCE)
        if self.writer is not None:
            w, self.writer = self.writer, None
            self.node.aof_feed = None
            try:
                w.close()
            except OSError:
                pass
        self._release_held()

    # =====================================================================================================
    # INFO persistence
    # =====================================================================================================

    def info_fields(self) -> list:
        node = self.node
        now = time.time()
        rdb_child = self.child_type == CHILD_RDB
        aof_child = self.child_type == CHILD_AOF
        w = self.writer
        write_ok = w is None or (w.write_error is None and w.fsync_error is None)
        out = [
            ("loading", 1 if node.loading else 0),
            ("async_loading", getattr(node, "async_loading", 0)),
            ("current_cow_peak", self.cow_peak),
            ("current_cow_size", self.cow_current),
            ("current_cow_size_age", int(now - self.cow_updated) if self.cow_updated else 0),
            ("current_fork_perc", "%.2f" % (self.save_keys_processed * 100.0 / self.save_keys_total
                                            if self.save_keys_total else 0.0)),
            ("current_save_keys_processed", self.save_keys_processed),
            ("current_save_keys_total", self.save_keys_total),
            ("rdb_changes_since_last_save", node.dirty),
            ("rdb_bgsave_in_progress", 1 if rdb_child else 0),
            ("rdb_last_save_time", node.lastsave),
            ("rdb_last_bgsave_status", "ok" if self.lastbgsave_status_ok else "err"),
            ("rdb_last_bgsave_time_sec", self.rdb_save_time_last),
            ("rdb_current_bgsave_time_sec", int(now - self.child_start) if rdb_child else -1),
            ("rdb_saves", self.rdb_saves),
            ("rdb_last_cow_size", self.rdb_last_cow_size),
            ("rdb_last_load_keys_expired", self.rdb_last_load_keys_expired),
            ("rdb_last_load_keys_loaded", self.rdb_last_load_keys_loaded),
            ("aof_enabled", 0 if self.aof_state == AOF_OFF else 1),
            ("aof_rewrite_in_progress", 1 if aof_child else 0),
            ("aof_rewrite_scheduled", 1 if self.aof_rewrite_scheduled else 0),
            ("aof_last_rewrite_time_sec", self.aof_rewrite_time_last),
            ("aof_current_rewrite_time_sec", int(now - self.child_start) if aof_child else -1),
            ("aof_last_bgrewrite_status", "ok" if self.aof_lastbgrewrite_ok else "err"),
            ("aof_rewrites", self.aof_rewrites),
            ("aof_rewrites_consecutive_failures", self.aofrw_consecutive_failures),
            ("aof_last_write_status", "ok" if write_ok else "err"),
            ("aof_last_cow_size", self.aof_last_cow_size),
            ("module_fork_in_progress", 0),
            ("module_fork_last_cow_size", 0),
        ]
        if node.config["appendonly"]:
            out += [
                ("aof_current_size", self.aof_current_size),
                ("aof_base_size", self.aof_rewrite_base_size),
                ("aof_pending_rewrite", 1 if self.aof_rewrite_scheduled else 0),
                ("aof_buffer_length", sum(len(b) for b in self.buf)),
                ("aof_pending_bio_fsync", 0),
                ("aof_delayed_fsync", w.delayed_fsync if w is not None else 0),
            ]
        return out

    # =====================================================================================================
    # DEBUG RELOAD / DEBUG LOADAOF
    # =====================================================================================================

    def debug_reload(self, save: bool = True, flush: bool = True, merge: bool = False) -> None:
        """DEBUG RELOAD: save dump.rdb, empty the dataset, load it back (raises ValueError)."""
        node = self.node
        if save and not self.rdb_save():
            raise ValueError("ERR Error trying to save the DB")
        dirty = node.dirty
        try:
            if flush:
                for db in node.dbs:
                    db.clear()
                flush_functions(node)  # emptyData: the function libraries go too
            self.load_rdb_file(self.rdb_path, merge)
        except PersistenceError:
            raise ValueError("ERR Error trying to load the RDB dump, check server logs.") from None
        finally:
            node.dirty = dirty  # emptying and loading are not changes
        node.log.notice("DB reloaded by DEBUG RELOAD")

    def debug_loadaof(self) -> None:
        """DEBUG LOADAOF: flush the AOF, empty the dataset and load the AOF back."""
        node = self.node
        if self.aof_state == AOF_ON:
            self.flush_aof(force_fsync=True)
        feed, node.aof_feed = node.aof_feed, None
        try:
            for db in node.dbs:
                db.clear()
            flush_functions(node)  # emptyData: the function libraries go too
            # aofLoadManifestFromDisk (what the last BGREWRITEAOF left, AOF on or off), aofDelHistoryFiles
            self.manifest = aofmod.load_manifest(self.aof_dir, self.aof_filename)
            self._delete_history()
            self.load_aof(self.manifest)
        except AofError as e:
            node.log.warning(str(e))
            raise ValueError("ERR Error loading the AOF, check server logs.") from None
        finally:
            node.aof_feed = feed
            node.dirty = 0  # Redis: "Prevent AOF / replication"
        node.log.notice("Append Only File loaded by DEBUG LOADAOF")


CHILD_INFO_CURRENT, CHILD_INFO_AOF_COW_SIZE, CHILD_INFO_COW_SIZE = 0, 1, 2
_CHILD_INFO = struct.Struct("<iQQdd")  # type, keys processed, CoW bytes, when CoW was read, progress
CHILD_COW_DUTY_CYCLE = 100


def _private_dirty() -> int:
    """zmalloc_get_private_dirty(-1): the bytes of this process's pages that are private and dirty."""
    try:
        with open("/proc/self/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class _ChildReporter:
    """The child's side of the info pipe (sendChildInfoGeneric): every 1024 keys, at most once a second,
    the keys processed and the copy-on-write size; the final CoW size when done."""

    def __init__(self, fd: int, node, kind: str, key_save_delay: int):
        self.fd = fd
        self.node = node
        self.pname = "RDB" if kind == CHILD_RDB else "AOF rewrite"
        self.delay = key_save_delay
        self.keys = 0
        self.last_report = float("-inf")  # (the first key is reported at once: info_updated_time = 0)
        self.cow = self.peak = self.sum = self.count = 0
        self.cow_updated = 0.0
        self.cow_cost = 0.0
        self.final_sent = False

    def key_done(self) -> None:
        if self.delay:
            rdb.debug_delay(self.delay)
        keys = self.keys
        self.keys = keys + 1
        if keys & 1023 == 0:
            now = time.monotonic()
            if now - self.last_report >= 1.0:
                self.send(CHILD_INFO_CURRENT)
                self.last_report = now

    def send(self, kind: int) -> None:
        now = time.monotonic()
        if kind != CHILD_INFO_CURRENT or not self.cow_updated or \
                now - self.cow_updated > self.cow_cost * CHILD_COW_DUTY_CYCLE:
            self.cow = _private_dirty()
            self.cow_updated = time.monotonic()
            self.cow_cost = self.cow_updated - now
            self.peak = max(self.peak, self.cow)
            self.sum += self.cow
            self.count += 1
            final = kind != CHILD_INFO_CURRENT
            self.final_sent = self.final_sent or final
            if self.cow or final:
                msg = "Fork CoW for %s: current %d MB, peak %d MB, average %d MB" % (
                    self.pname, self.cow >> 20, self.peak >> 20, (self.sum // self.count) >> 20)
                if final:
                    self.node.log.notice(msg)
                else:
                    self.node.log.verbose(msg)
        try:
            os.write(self.fd, _CHILD_INFO.pack(kind, self.keys, self.cow, time.time(), 0.0))
        except OSError as e:
            # the parent is gone (killed): nobody needs this child any more
            self.node.log.warning("Child failed reporting info to parent, exiting. %s" % e.strerror)
            os._exit(1)


def _resume_client(client) -> None:
    if not client.closing and client.blocked is None:
        client.resume()


def _i_am_master(node) -> bool:
    """iAmMaster: in cluster mode the role nodes.conf gave myself (loaded before the data), else whether a
    master is configured.  Only a master drops the keys an RDB holds already expired."""
    cluster = getattr(node, "cluster", None)
    if cluster is not None:
        return cluster.myself.is_master
    return node.config["replicaof"] is None and node.repl.link is None


def _drain(steps):
    """Run a loading generator to its end and return its value."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
