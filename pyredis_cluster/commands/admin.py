"""Server administration: INFO, CLIENT, MONITOR, DEBUG, MEMORY, TIME, LASTSAVE, SHUTDOWN (Redis: server.c,
networking.c, debug.c, object.c).

Replies and errors follow redis-server 7.0.15 byte for byte where they are deterministic.  Where Redis
reports numbers we cannot have (jemalloc statistics, per-call microseconds ...), INFO keeps Redis's
field names and order and fills in our own values.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import platform
import re
import resource
import signal
import struct
import sys
import time

from .. import errors
from ..config import REDIS_VERSION, memtoull
from ..errors import CommandError
from ..protocol.reply import NO_REPLY, OK, Map, Raw, SetReply, Status, Verbatim
from ..store import types
from ..store.types import HashValue, ListValue, SetValue, StreamValue, ZSetValue, string_encoding
from .server import _check_client_name
from .table import COMMANDS, command

# -- small C-library helpers ------------------------------------------------------------------------


def _strtod(s: bytes) -> float:
    """strtod(s, NULL): the longest numeric prefix, 0 when there is none."""
    s = s.strip()
    for end in range(len(s), 0, -1):
        try:
            v = float(s[:end])
        except ValueError:
            continue
        return v
    return 0.0


def _atoi(s: bytes) -> int:
    """atoi(): optional sign and leading digits, 0 when there are none."""
    s = s.lstrip()
    i = 0
    if s[:1] in (b"+", b"-"):
        i = 1
    j = i
    while j < len(s) and 48 <= s[j] <= 57:
        j += 1
    if j == i:
        return 0
    return int(s[:j])


_LL_RE = re.compile(rb"-?[1-9][0-9]{0,19}|0")


def _parse_ll(arg: bytes, message: str = errors.NOT_INTEGER) -> int:
    """getLongLongFromObjectOrReply (string2ll): a strict 64-bit decimal integer."""
    if _LL_RE.fullmatch(arg) is None:
        raise CommandError(message)
    v = int(arg)
    if not -(2**63) <= v < 2**63:
        raise CommandError(message)
    return v


def _bytes_to_human(n: int) -> str:
    """bytesToHuman (server.c)."""
    if n < 1024:
        return "%dB" % n
    for i, unit in enumerate("KMGTP", 1):
        if n < 1024 ** (i + 1):
            return "%.2f%s" % (n / 1024**i, unit)
    return "%dB" % n


def _is_local(c) -> bool:
    """islocalClient: a unix socket or a loopback address."""
    addr = c.addr
    if not addr or addr == "?" or addr.startswith("/") or addr.startswith("unix"):
        return True
    host = addr.rsplit(":", 1)[0]
    return host.startswith("127.") or host == "::1" or host.startswith("::ffff:127.")


# -- memory accounting ------------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _total_system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


_STARTUP_RSS = _rss()


def je_size(n: int) -> int:
    """The jemalloc size class that serves a request of ``n`` bytes (zmalloc_size)."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) & ~15
    group = 1 << (n - 1).bit_length()  # next power of two >= n
    spacing = group >> 3  # four classes per doubling: base + k * base/4, base = group/2
    return (n + spacing - 1) // spacing * spacing


def _sds_hdr(n: int) -> int:
    if n < 32:
        return 1
    if n < 256:
        return 3
    if n < 65536:
        return 5
    if n < 2**32:
        return 9
    return 17


def sds_alloc(n: int) -> int:
    """sdsZmallocSize of an sds holding ``n`` bytes created with sdsnewlen."""
    return je_size(_sds_hdr(n) + n + 1)


_ROBJ = 16
_DICT_ENTRY = 24


def _string_size(v) -> int:
    enc = string_encoding(v)
    if enc == b"int":
        return _ROBJ
    if enc == b"embstr":
        return je_size(_ROBJ + 3 + len(v) + 1)
    n = len(v)
    if type(v) is bytearray:  # grown in place (APPEND, SETRANGE): sds keeps some room
        return _ROBJ + je_size(_sds_hdr(n) + n + n // 2 + 1) if n < 1024 * 1024 else _ROBJ + sds_alloc(n)
    return _ROBJ + sds_alloc(n)


def _lp_entry_size(e) -> int:
    """The bytes of one listpack entry (encoding + data + backlen)."""
    if isinstance(e, (int, float)) and not isinstance(e, bool):
        e = repr(e).encode()
    n = len(e)
    if n <= 20:
        try:
            v = int(e)
            if str(v).encode() == e:
                if 0 <= v <= 127:
                    return 2
                if -4096 <= v < 4096:
                    return 3
                if -(2**15) <= v < 2**15:
                    return 4
                if -(2**23) <= v < 2**23:
                    return 5
                if -(2**31) <= v < 2**31:
                    return 6
                return 10
        except ValueError:
            pass
    hdr = 1 if n < 64 else 2 if n < 4096 else 5
    body = hdr + n
    return body + (1 if body < 128 else 2 if body < 16384 else 3 if body < 2097152 else 4 if body < 268435456 else 5)


def _lp_size(items) -> int:
    return 7 + sum(_lp_entry_size(e) for e in items)


def _dict_size(n: int) -> int:
    """A dict (hash table) of n entries: the struct, the bucket array and the entries."""
    buckets = 4
    while buckets < n:
        buckets *= 2
    return 56 + je_size(buckets * 8) + n * _DICT_ENTRY


def _sampled(items, samples: int, size_of) -> float:
    """objectComputeSize's sampling: the average size of the first ``samples`` items times their count."""
    total = 0
    n = 0
    count = len(items)
    for it in items:
        if n >= samples:
            break
        total += size_of(it)
        n += 1
    return total / n * count if n else 0


def object_size(value, samples: int = 5, config=None) -> int:
    """objectComputeSize (object.c): an estimate of the memory used by a value, exact for strings."""
    t = type(value)
    if t is bytes or t is bytearray:
        return _string_size(value)
    enc = object_encoding(value, config)
    if t is ListValue:
        fill = 8192
        total = _lp_size(value)
        nodes = max(1, -(-total // fill))
        return _ROBJ + 40 + nodes * (40 + je_size(-(-total // nodes)))
    if t is HashValue:
        if enc == b"listpack":
            return _ROBJ + je_size(_lp_size([x for kv in value.items() for x in kv]))
        return _ROBJ + _dict_size(len(value)) + int(
            _sampled(value.items(), samples, lambda kv: sds_alloc(len(kv[0])) + sds_alloc(len(kv[1]))))
    if t is SetValue:
        if enc == b"intset":
            return _ROBJ + je_size(_intset_bytes(value))
        return _ROBJ + _dict_size(len(value)) + int(_sampled(value, samples, lambda m: sds_alloc(len(m))))
    if t is ZSetValue:
        scores = value.scores
        if enc == b"listpack":
            return _ROBJ + je_size(_lp_size([x for kv in scores.items() for x in kv]))
        return _ROBJ + 16 + _dict_size(len(scores)) + int(
            _sampled(scores, samples, lambda m: sds_alloc(len(m)) + je_size(32 + 16)))
    if t is StreamValue:
        return value.memory_usage(samples, je_size)
    return _ROBJ + sys.getsizeof(value)


def key_memory_usage(db, key: bytes, value, samples: int = 5, config=None, cluster: bool = False) -> int:
    """MEMORY USAGE: the value, the key's sds and its dict entry (plus the cluster slot-list metadata)."""
    return object_size(value, samples, config) + sds_alloc(len(key)) + _DICT_ENTRY + (16 if cluster else 0)


def object_encoding(value, config=None) -> bytes:
    """The OBJECT ENCODING name of a value (each type module registers its own in store.types)."""
    return types.object_encoding(value, config)


def _dataset_estimate(node) -> int:
    """A cheap estimate of the dataset size (for MEMORY DOCTOR / STATS): O(databases), not O(keys)."""
    total = 0
    for db in node.dbs:
        total += len(db.data) * 80 + len(db.expires) * 40
    return total


# -- INFO -------------------------------------------------------------------------------------------

DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "module_list",
                    "errorstats", "cluster", "keyspace")


def _section_set(args: list):
    """genInfoSectionDict: (sections, all, everything)."""
    if not args:
        return set(DEFAULT_SECTIONS), False, False
    sections = set()
    all_ = everything = False
    for a in args:
        s = a.decode("latin-1").lower()
        if s == "default":
            sections.update(DEFAULT_SECTIONS)
        elif s == "all":
            all_ = True
        elif s == "everything":
            all_ = everything = True
        else:
            sections.add(s)
    return sections, all_, everything


def _os_name() -> str:
    u = os.uname()
    return "%s %s %s" % (u.sysname, u.release, u.machine)


def _gcc_version() -> str:
    comp = platform.python_compiler()  # "GCC 12.2.0"
    for word in comp.split():
        if word[:1].isdigit():
            return word
    return "0.0.0"


_BUILD_ID = hashlib.sha1(("pyredis-cluster " + REDIS_VERSION).encode()).hexdigest()[:15]


def replid(node) -> str:
    """The node's replication ID (40 hex characters)."""
    rid = getattr(node, "replid", None)
    if rid is None:
        rid = getattr(node, "_admin_replid", None)
        if rid is None:
            rid = os.urandom(20).hex()
            node._admin_replid = rid
    return rid


def _server_section(node) -> list:
    now = time.time()
    uptime = int(node.uptime)
    cfg = node.config
    exe = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    out = [
        ("redis_version", REDIS_VERSION),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", _BUILD_ID),
        ("redis_mode", "cluster" if node.cluster_enabled else "standalone"),
        ("os", _os_name()),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", "epoll" if sys.platform.startswith("linux") else "kqueue"),
        ("atomicvar_api", "c11-builtin"),
        ("gcc_version", _gcc_version()),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", node.run_id),
        ("tcp_port", node.port),
        ("server_time_usec", int(now * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", cfg["hz"]),
        ("configured_hz", cfg["hz"]),
        ("lru_clock", int(now) & ((1 << 24) - 1)),
        ("executable", exe),
        ("config_file", cfg.config_file or ""),
        ("io_threads_active", 0),
    ]
    p = getattr(node, "persistence", None)
    left = p.shutdown_in_ms() if p is not None else None
    if left is not None:  # only while a shutdown waits for lagging replicas
        out.append(("shutdown_in_milliseconds", left))
    return out


def _repl_buffer_mem(node) -> int:
    """server.repl_buffer_mem: the replication stream held in memory -- the backlog plus what the replicas
    have not read yet (their sockets' user-space buffers)."""
    repl = getattr(node, "repl", None)
    if repl is None:
        return 0
    # (one buffer shared by the backlog and the replicas: the backlog holds what any replica still needs)
    return max(repl.backlog.histlen, repl.master.pinned())


def _cluster_links(node) -> int:
    """getClusterConnectionsCount: two bus connections (in and out) per other known node."""
    cluster = node.cluster
    if cluster is None:
        return 0
    nodes = getattr(cluster, "nodes", None)
    if nodes is not None:
        return max(len(nodes) - 1, 0) * 2
    return len(getattr(cluster, "links", ()))


def _clients_section(node) -> list:
    clients = list(node.clients.values())
    replicas = sum(1 for c in clients if getattr(c, "is_replica", False))
    max_in = max((c.parser.pending for c in clients), default=0)
    return [
        ("connected_clients", len(clients) - replicas),
        ("cluster_connections", _cluster_links(node)),
        ("maxclients", node.config["maxclients"]),
        ("client_recent_max_input_buffer", max_in),
        ("client_recent_max_output_buffer", 0),
        # a client whose command waits for CLIENT PAUSE to end is blocked too (BLOCKED_POSTPONE)
        ("blocked_clients", sum(1 for c in clients if c.blocked is not None
                                or node.pause_until and c.blocked is None and c.paused_queue)),
        ("tracking_clients", node.tracking.clients),
        ("clients_in_timeout_table", sum(1 for c in clients if c.blocked is not None and c.blocked != "shutdown")),
    ]


def _memory_section(node) -> list:
    cfg = node.config
    rss = _rss()
    used = rss
    memory = getattr(node, "memory", None)
    if memory is not None:  # maxmemory set: the estimate eviction works with (server/memory.py)
        memory.check_counts()
        used = memory.used()
    peak = max(_peak_rss(), used)
    startup = min(_STARTUP_RSS, used) if memory is None else min(memory.used() - memory.dataset(), used)
    overhead = startup
    dataset = max(used - overhead, 0)
    net = used - startup
    maxmemory = cfg["maxmemory"]
    total_sys = _total_system_memory()
    from .scripting import memory_stats

    lua = memory_stats(node)
    return [
        ("used_memory", used),
        ("used_memory_human", _bytes_to_human(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", _bytes_to_human(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", _bytes_to_human(peak)),
        ("used_memory_peak_perc", "%.2f%%" % (used * 100 / peak if peak else 0)),
        ("used_memory_overhead", overhead),
        ("used_memory_startup", startup),
        ("used_memory_dataset", dataset),
        ("used_memory_dataset_perc", "%.2f%%" % (dataset * 100 / net if net > 0 else 0)),
        ("allocator_allocated", used),
        ("allocator_active", used),
        ("allocator_resident", rss),
        ("total_system_memory", total_sys),
        ("total_system_memory_human", _bytes_to_human(total_sys)),
        ("used_memory_lua", lua["vm_eval"]),
        ("used_memory_vm_eval", lua["vm_eval"]),
        ("used_memory_lua_human", _bytes_to_human(lua["vm_eval"])),
        ("used_memory_scripts_eval", lua["scripts_eval"]),
        ("number_of_cached_scripts", lua["scripts"]),
        ("number_of_functions", lua["functions"]),
        ("number_of_libraries", lua["libraries"]),
        ("used_memory_vm_functions", lua["vm_functions"]),
        ("used_memory_vm_total", lua["vm_eval"] + lua["vm_functions"]),
        ("used_memory_vm_total_human", _bytes_to_human(lua["vm_eval"] + lua["vm_functions"])),
        ("used_memory_functions", lua["functions_mem"]),
        ("used_memory_scripts", lua["scripts_eval"] + lua["functions_mem"]),
        ("used_memory_scripts_human", _bytes_to_human(lua["scripts_eval"] + lua["functions_mem"])),
        ("maxmemory", maxmemory),
        ("maxmemory_human", _bytes_to_human(maxmemory)),
        ("maxmemory_policy", cfg["maxmemory-policy"]),
        ("allocator_frag_ratio", "1.00"),
        ("allocator_frag_bytes", 0),
        ("allocator_rss_ratio", "1.00"),
        ("allocator_rss_bytes", 0),
        ("rss_overhead_ratio", "1.00"),
        ("rss_overhead_bytes", 0),
        ("mem_fragmentation_ratio", "1.00"),
        ("mem_fragmentation_bytes", 0),
        ("mem_not_counted_for_evict", 0),
        ("mem_replication_backlog", 0),
        ("mem_total_replication_buffers", _repl_buffer_mem(node)),
        ("mem_clients_slaves", 0),
        ("mem_clients_normal", sum(c.parser.pending for c in node.clients.values())),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", 0),
        ("mem_allocator", "libc"),
        ("active_defrag_running", 0),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", getattr(node.stats, "lazyfreed_objects", 0)),
    ]


def _persistence_section(node) -> list:
    p = getattr(node, "persistence", None)
    if p is not None:
        return p.info_fields()  # server/persistence.py: the real values, in Redis's order
    g = lambda name, default=0: getattr(node, name, default)  # noqa: E731
    return [
        ("loading", g("loading")),
        ("async_loading", g("async_loading")),
        ("current_cow_peak", 0),
        ("current_cow_size", 0),
        ("current_cow_size_age", 0),
        ("current_fork_perc", "0.00"),
        ("current_save_keys_processed", 0),
        ("current_save_keys_total", 0),
        ("rdb_changes_since_last_save", node.dirty),
        ("rdb_bgsave_in_progress", g("rdb_bgsave_in_progress")),
        ("rdb_last_save_time", node.lastsave),
        ("rdb_last_bgsave_status", g("rdb_last_bgsave_status", "ok")),
        ("rdb_last_bgsave_time_sec", g("rdb_last_bgsave_time_sec", -1)),
        ("rdb_current_bgsave_time_sec", -1),
        ("rdb_saves", g("rdb_saves")),
        ("rdb_last_cow_size", 0),
        ("rdb_last_load_keys_expired", g("rdb_last_load_keys_expired")),
        ("rdb_last_load_keys_loaded", g("rdb_last_load_keys_loaded")),
        ("aof_enabled", 1 if node.config["appendonly"] else 0),
        ("aof_rewrite_in_progress", g("aof_rewrite_in_progress")),
        ("aof_rewrite_scheduled", 0),
        ("aof_last_rewrite_time_sec", g("aof_last_rewrite_time_sec", -1)),
        ("aof_current_rewrite_time_sec", -1),
        ("aof_last_bgrewrite_status", g("aof_last_bgrewrite_status", "ok")),
        ("aof_rewrites", g("aof_rewrites")),
        ("aof_rewrites_consecutive_failures", 0),
        ("aof_last_write_status", g("aof_last_write_status", "ok")),
        ("aof_last_cow_size", 0),
        ("module_fork_in_progress", 0),
        ("module_fork_last_cow_size", 0),
    ]


def _net_bytes(node):
    stats = node.stats
    net_in = getattr(stats, "net_input_bytes", 0)
    net_out = getattr(stats, "net_output_bytes", 0)
    for c in node.clients.values():
        net_in += c.tot_net_in
        net_out += c.tot_net_out
    return net_in, net_out


def _pubsub_counts(node):
    channels, patterns, shard = set(), set(), set()
    for c in node.clients.values():
        channels.update(c.channels)
        patterns.update(c.patterns)
        shard.update(c.shard_channels)
    return len(channels), len(patterns), len(shard)


def _stats_section(node) -> list:
    stats = node.stats
    net_in, net_out = _net_bytes(node)
    nchan, npat, nshard = _pubsub_counts(node)
    hits = stats.keyspace_hits + sum(db.hits for db in node.dbs)
    misses = stats.keyspace_misses + sum(db.misses for db in node.dbs)
    return [
        ("total_connections_received", stats.total_connections_received),
        ("total_commands_processed", stats.commands),
        ("instantaneous_ops_per_sec", stats.instantaneous_ops),
        ("total_net_input_bytes", net_in),
        ("total_net_output_bytes", net_out),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("instantaneous_input_kbps", "0.00"),
        ("instantaneous_output_kbps", "0.00"),
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
        ("rejected_connections", stats.rejected_connections),
        ("sync_full", getattr(stats, "sync_full", 0)),
        ("sync_partial_ok", getattr(stats, "sync_partial_ok", 0)),
        ("sync_partial_err", getattr(stats, "sync_partial_err", 0)),
        ("expired_keys", sum(db.expired_keys for db in node.dbs)),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", 0),
        ("expire_cycle_cpu_milliseconds", 0),
        ("evicted_keys", getattr(stats, "evicted_keys", 0)),
        ("evicted_clients", getattr(stats, "evicted_clients", 0)),
        ("total_eviction_exceeded_time", 0),
        ("current_eviction_exceeded_time", 0),
        ("keyspace_hits", hits),
        ("keyspace_misses", misses),
        ("pubsub_channels", nchan),
        ("pubsub_patterns", npat),
        ("pubsubshard_channels", nshard),
        ("latest_fork_usec", 0),
        ("total_forks", getattr(getattr(node, "persistence", None), "total_forks", 0)),
        ("migrate_cached_sockets", len(node.migrate_sockets.cache) if getattr(node, "migrate_sockets", None) else 0),
        ("slave_expires_tracked_keys", 0),
        ("active_defrag_hits", 0),
        ("active_defrag_misses", 0),
        ("active_defrag_key_hits", 0),
        ("active_defrag_key_misses", 0),
        ("total_active_defrag_time", 0),
        ("current_active_defrag_time", 0),
        ("tracking_total_keys", len(node.tracking.table)),
        ("tracking_total_items", node.tracking.items),
        ("tracking_total_prefixes", len(node.tracking.prefixes)),
        ("unexpected_error_replies", getattr(stats, "unexpected_error_replies", 0)),
        ("total_error_replies", stats.total_error_replies),
        ("dump_payload_sanitizations", node.sanitizations.n),
        ("total_reads_processed", getattr(stats, "reads_processed", stats.commands)),
        ("total_writes_processed", getattr(stats, "writes_processed", stats.commands)),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
        ("reply_buffer_shrinks", getattr(stats, "reply_buffer_shrinks", 0)),
        ("reply_buffer_expands", getattr(stats, "reply_buffer_expands", 0)),
    ]


def _replication_section(node) -> list:
    custom = getattr(node, "replication_info", None)
    if callable(custom):  # the replication work supplies the real section
        return custom()
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", replid(node)),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", node.config["repl-backlog-size"]),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def _tv(seconds: float) -> str:
    return "%.6f" % seconds


def _cpu_section(node) -> list:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    th = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return [
        ("used_cpu_sys", _tv(me.ru_stime)),
        ("used_cpu_user", _tv(me.ru_utime)),
        ("used_cpu_sys_children", _tv(ch.ru_stime)),
        ("used_cpu_user_children", _tv(ch.ru_utime)),
        ("used_cpu_sys_main_thread", _tv(th.ru_stime)),
        ("used_cpu_user_main_thread", _tv(th.ru_utime)),
    ]


def _all_commands_with_subs():
    for name in sorted(COMMANDS):
        cmd = COMMANDS[name]
        yield cmd
        for sub in cmd.subcommands.values():
            yield sub


def _commandstats_section(node) -> list:
    out = []
    for cmd in _all_commands_with_subs():
        if cmd.calls or cmd.failed_calls or cmd.rejected_calls:
            per_call = cmd.usec / cmd.calls if cmd.calls else 0
            out.append(("cmdstat_" + cmd.name, "calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d"
                        % (cmd.calls, cmd.usec, per_call, cmd.rejected_calls, cmd.failed_calls)))
    return out


def _errorstats_section(node) -> list:
    return [("errorstat_" + code, "count=%d" % n) for code, n in sorted(node.stats.errorstats.items())]


def _latencystats_section(node) -> list:
    """genRedisInfoStringLatencyStats: each command's latency-tracking-info-percentiles (none while
    latency-tracking is off)."""
    from ..server.latency_hist import percentile_name

    out = []
    if not node.config["latency-tracking"]:
        return out
    percentiles = node.config["latency-tracking-info-percentiles"]
    names = [percentile_name(p) for p in percentiles]
    for cmd in _all_commands_with_subs():
        h = cmd.latency_histogram
        if h is not None:
            out.append(("latency_percentiles_usec_" + cmd.name, ",".join(
                "p%s=%.3f" % (n, h.value_at_percentile(p) / 1000.0) for n, p in zip(names, percentiles))))
    return out


def _keyspace_section(node) -> list:
    out = []
    for db in node.dbs:
        if db.data:
            out.append(("db%d" % db.id, "keys=%d,expires=%d,avg_ttl=%d" % (len(db.data), len(db.expires), db.avg_ttl)))
    return out


# (section name in the reply, names that select it, builder), in Redis's order
INFO_SECTIONS = [
    ("Server", ("server",), _server_section),
    ("Clients", ("clients",), _clients_section),
    ("Memory", ("memory",), _memory_section),
    ("Persistence", ("persistence",), _persistence_section),
    ("Stats", ("stats",), _stats_section),
    ("Replication", ("replication",), _replication_section),
    ("CPU", ("cpu",), _cpu_section),
    ("Modules", ("module_list", "modules"), lambda node: []),
    ("Commandstats", ("commandstats",), _commandstats_section),
    ("Errorstats", ("errorstats",), _errorstats_section),
    ("Latencystats", ("latencystats",), _latencystats_section),
    ("Cluster", ("cluster",), lambda node: [("cluster_enabled", 1 if node.cluster_enabled else 0)]),
    ("Keyspace", ("keyspace",), _keyspace_section),
]


def info_string(node, args: list = ()) -> bytes:
    """genRedisInfoString: the INFO text for the selected sections."""
    sections, all_, _everything = _section_set(list(args))
    parts = []
    for title, names, builder in INFO_SECTIONS:
        if not (all_ or any(n in sections for n in names)):
            continue
        lines = ["# %s\r\n" % title]
        for k, v in builder(node):
            lines.append("%s:%s\r\n" % (k, v))
        parts.append("".join(lines))
    return "\r\n".join(parts).encode("utf-8", "surrogateescape")


@command("info")
def info(c, argv):
    return Verbatim(info_string(c.node, argv[1:]))


# -- CLIENT -----------------------------------------------------------------------------------------

CLIENT_TYPES = {b"normal": "normal", b"slave": "replica", b"replica": "replica", b"pubsub": "pubsub",
                b"master": "master"}


def client_type(c) -> str:
    """getClientType: MONITOR clients count as normal ones."""
    if c.is_master:
        return "master"
    if getattr(c, "is_replica", False):
        return "replica"
    if c.channels or c.patterns or c.shard_channels:
        return "pubsub"
    return "normal"


def _type_by_name(name: bytes) -> str:
    t = CLIENT_TYPES.get(name.lower())
    if t is None:
        raise CommandError("ERR Unknown client type '%s'" % name.decode("latin-1"))
    return t


def _live_clients(node):
    return [cl for cl in node.clients.values() if not cl.closing]


@command("client|id")
def client_id(c, argv):
    return c.id


@command("client|setname")
def client_setname(c, argv):
    _check_client_name(argv[2])
    c.name = argv[2]
    return OK


@command("client|getname")
def client_getname(c, argv):
    return c.name or None


@command("client|info")
def client_info(c, argv):
    c.last_cmd = "client|info"
    return Verbatim((c.describe(argv) + "\n").encode("latin-1", "replace"))


@command("client|list")
def client_list(c, argv):
    c.last_cmd = "client|list"
    node = c.node
    n = len(argv)
    if n == 4 and argv[2].lower() == b"type":
        kind = _type_by_name(argv[3])
        chosen = [cl for cl in _live_clients(node) if client_type(cl) == kind]
    elif n > 3 and argv[2].lower() == b"id":
        chosen = []
        for a in argv[3:]:
            cid = _parse_ll(a, "ERR Invalid client ID")
            cl = node.clients.get(cid)
            if cl is not None and not cl.closing:
                chosen.append(cl)
    elif n != 2:
        raise CommandError(errors.SYNTAX)
    else:
        chosen = _live_clients(node)
    lines = (cl.describe(argv if cl is c else None) + "\n" for cl in chosen)
    return Verbatim("".join(lines).encode("latin-1", "replace"))


def _user_exists(node, name: bytes) -> bool:
    if name == b"default":
        return True
    acl = getattr(node, "acl", None)
    if acl is not None and hasattr(acl, "get_user"):
        return acl.get_user(name) is not None
    return False


def kill_client(target) -> None:
    """freeClient for another connection: it disappears from CLIENT LIST at once."""
    target.closing = True
    target.paused_queue.clear()
    target.update_slow()
    if target.transport is not None:
        target.transport.close()
    elif getattr(target, "on_kill", None) is not None:  # the master client of a replica
        target.on_kill()


@command("client|kill")
def client_kill(c, argv):
    node = c.node
    addr = laddr = user = ctype = None
    cid = 0
    skipme = True
    n = len(argv)
    if n == 3:
        addr = argv[2].decode("latin-1")
        skipme = False  # with the old form a client may kill itself
    else:
        i = 2
        while i < n:
            opt = argv[i].lower()
            more = n > i + 1
            if opt == b"id" and more:
                try:
                    cid = _parse_ll(argv[i + 1])
                except CommandError:
                    cid = 0
                if cid < 1:
                    raise CommandError("ERR client-id should be greater than 0")
            elif opt == b"type" and more:
                ctype = _type_by_name(argv[i + 1])
            elif opt == b"addr" and more:
                addr = argv[i + 1].decode("latin-1")
            elif opt == b"laddr" and more:
                laddr = argv[i + 1].decode("latin-1")
            elif opt == b"user" and more:
                if not _user_exists(node, argv[i + 1]):
                    raise CommandError("ERR No such user '%s'" % argv[i + 1].decode("latin-1"))
                user = argv[i + 1].decode("latin-1")
            elif opt == b"skipme" and more:
                v = argv[i + 1].lower()
                if v == b"yes":
                    skipme = True
                elif v == b"no":
                    skipme = False
                else:
                    raise CommandError(errors.SYNTAX)
            else:
                raise CommandError(errors.SYNTAX)
            i += 2
    killed = 0
    close_me = False
    for cl in _live_clients(node):
        if addr is not None and cl.addr != addr:
            continue
        if laddr is not None and cl.laddr != laddr:
            continue
        if ctype is not None and client_type(cl) != ctype:
            continue
        if cid and cl.id != cid:
            continue
        if user is not None and cl.user != user:
            continue
        if cl is c and skipme:
            continue
        if cl is c:
            close_me = True
        else:
            kill_client(cl)
        killed += 1
    if close_me:
        c.close_after_reply = True
        c.update_slow()
    if n == 3:
        if not killed:
            raise CommandError("ERR No such client")
        return OK
    return killed


def _schedule_unpause(node) -> None:
    loop = node.loop
    if loop is None or not node.pause_until:
        return

    def check():
        if node.pause_until and time.monotonic() >= node.pause_until:
            node.unpause_clients()

    loop.call_later(max(0.0, node.pause_until - time.monotonic()) + 0.0005, check)


@command("client|pause")
def client_pause(c, argv):
    n = len(argv)
    if n not in (3, 4):
        raise CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try CLIENT HELP."
                           % argv[1].decode("latin-1"))
    writes_only = False
    if n == 4:
        mode = argv[3].lower()
        if mode == b"write":
            writes_only = True
        elif mode != b"all":
            raise CommandError("ERR CLIENT PAUSE mode must be WRITE or ALL")
    ms = _parse_ll(argv[2], "ERR timeout is not an integer or out of range")
    if ms < 0:
        raise CommandError("ERR timeout is negative")
    now_ms = int(time.time() * 1000)
    if ms > 2**63 - 1 - now_ms:
        return OK  # Redis 7.0 adds the time without an overflow check: the end wraps negative, no pause
    node = c.node
    now = time.monotonic()
    deadline = now + ms / 1000.0
    if node.pause_until:
        # pauseClients: the most restrictive type and the latest end win
        deadline = max(deadline, node.pause_until)
        writes_only = writes_only and node.pause_writes_only
    node.pause_clients(max(deadline - now, 0.0), writes_only)
    _schedule_unpause(node)
    return OK


@command("client|unpause")
def client_unpause(c, argv):
    c.node.unpause_clients()
    return OK


@command("client|reply")
def client_reply(c, argv):
    from ..server.connection import REPLY_OFF, REPLY_ON, REPLY_SKIP_NEXT

    mode = argv[2].lower()
    if mode == b"on":
        c.reply_mode = REPLY_ON
    elif mode == b"off":
        c.reply_mode = REPLY_OFF
    elif mode == b"skip":
        if c.reply_mode != REPLY_OFF:
            c.reply_mode = REPLY_SKIP_NEXT
    else:
        raise CommandError(errors.SYNTAX)
    c.update_slow()
    return OK  # dropped by the connection unless the mode is ON


@command("client|no-evict")
def client_no_evict(c, argv):
    v = argv[2].lower()
    if v == b"on":
        c.no_evict = True
    elif v == b"off":
        c.no_evict = False
    else:
        raise CommandError(errors.SYNTAX)
    return OK


@command("client|tracking")
def client_tracking(c, argv):
    """CLIENT TRACKING (clientCommand): options checked in Redis's order; the tracking itself is
    server/tracking.py."""
    node = c.node
    n = len(argv)
    redir = 0
    bcast = optin = optout = noloop = False
    prefixes = []
    j = 3
    while j < n:
        opt = argv[j].lower()
        more = n - 1 - j
        if opt == b"redirect" and more:
            j += 1
            if redir != 0:
                raise CommandError("ERR A client can only redirect to a single other client")
            redir = _parse_ll(argv[j])
            if node.clients.get(redir) is None:
                raise CommandError("ERR The client ID you want redirect to does not exist")
        elif opt == b"bcast":
            bcast = True
        elif opt == b"optin":
            optin = True
        elif opt == b"optout":
            optout = True
        elif opt == b"noloop":
            noloop = True
        elif opt == b"prefix" and more:
            j += 1
            prefixes.append(argv[j])
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    mode = argv[2].lower()
    if mode == b"on":
        if not bcast and prefixes:
            raise CommandError("ERR PREFIX option requires BCAST mode to be enabled")
        if c.tracking and c.tracking_bcast != bcast:
            raise CommandError("ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
                               "and then re-enabling it with a different mode.")
        if bcast and (optin or optout):
            raise CommandError("ERR OPTIN and OPTOUT are not compatible with BCAST")
        if optin and optout:
            raise CommandError("ERR You can't specify both OPTIN mode and OPTOUT mode")
        if (optin and c.tracking_optout) or (optout and c.tracking_optin):
            raise CommandError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
                               "and then re-enabling it with a different mode.")
        if bcast:
            err = node.tracking.prefix_collision(c, prefixes)
            if err is not None:
                raise CommandError(err)
        node.tracking.enable(c, redir, bcast, optin, optout, noloop, prefixes)
        return OK
    if mode == b"off":
        node.tracking.disable(c)
        return OK
    raise CommandError(errors.SYNTAX)


@command("client|caching")
def client_caching(c, argv):
    if not c.tracking:
        raise CommandError("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
                           "OPTOUT mode enabled")
    opt = argv[2].lower()
    if opt == b"yes":
        if not c.tracking_optin:
            raise CommandError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    elif opt == b"no":
        if not c.tracking_optout:
            raise CommandError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    else:
        raise CommandError(errors.SYNTAX)
    c.tracking_caching = True
    return OK


@command("client|getredir")
def client_getredir(c, argv):
    return c.tracking_redir if c.tracking else -1


@command("client|trackinginfo")
def client_trackinginfo(c, argv):
    flags = [b"on" if c.tracking else b"off"]
    if c.tracking_bcast:
        flags.append(b"bcast")
    if c.tracking_optin:
        flags.append(b"optin")
        if c.tracking_caching:
            flags.append(b"caching-yes")
    if c.tracking_optout:
        flags.append(b"optout")
        if c.tracking_caching:
            flags.append(b"caching-no")
    if c.tracking_noloop:
        flags.append(b"noloop")
    if c.tracking_broken:
        flags.append(b"broken_redirect")
    prefixes = sorted(c.tracking_prefixes) if c.tracking_prefixes else []
    return Map([(b"flags", SetReply(flags)), (b"redirect", c.tracking_redir if c.tracking else -1),
                (b"prefixes", prefixes)])


@command("client|unblock")
def client_unblock(c, argv):
    n = len(argv)
    if n not in (3, 4):
        raise CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try CLIENT HELP."
                           % argv[1].decode("latin-1"))
    as_error = False
    if n == 4:
        reason = argv[3].lower()
        if reason == b"timeout":
            as_error = False
        elif reason == b"error":
            as_error = True
        else:
            raise CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    cid = _parse_ll(argv[2])
    target = c.node.clients.get(cid)
    if target is None or target.blocked is None or target.blocked == "shutdown":
        return 0
    # The blocking commands' work gives its wait object a ``client_unblock(client, as_error)`` method.
    unblock = getattr(target.blocked, "client_unblock", None)
    if unblock is None:
        return 0
    return 1 if unblock(target, as_error) is not False else 0


@command("client|help")
def client_help(c, argv):
    return [Status(line) for line in CLIENT_HELP]


CLIENT_HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
]


# -- MONITOR, TIME, LASTSAVE ------------------------------------------------------------------------


@command("monitor")
def monitor(c, argv):
    if c.multi is not None or getattr(c, "deny_blocking", False):
        raise CommandError("ERR MONITOR isn't allowed for DENY BLOCKING client")
    if c.monitor or getattr(c, "is_replica", False):
        return NO_REPLY  # already a monitor (or a replica): Redis ignores it without a reply
    c.monitor = True
    node = c.node
    node.monitors.append(c)
    node._refresh_slow()
    return OK


@command("time")
def time_(c, argv):
    now = time.time_ns() // 1000
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


@command("lastsave")
def lastsave(c, argv):
    return c.node.lastsave


# -- SHUTDOWN ---------------------------------------------------------------------------------------


@command("shutdown")
def shutdown(c, argv):
    flags = set()
    abort = False
    for a in argv[1:]:
        opt = a.lower()
        if opt in (b"nosave", b"save", b"now", b"force"):
            flags.add(opt.decode())
        elif opt == b"abort":
            abort = True
        else:
            raise CommandError(errors.SYNTAX)
    if (abort and flags) or ("nosave" in flags and "save" in flags):
        raise CommandError(errors.SYNTAX)
    node = c.node
    p = node.persistence
    if abort:
        if p.abort_shutdown():
            return OK
        raise CommandError("ERR No shutdown in progress.")
    if "now" not in flags and getattr(c, "deny_blocking", False):
        raise CommandError("ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client")
    node.shutdown_flags = flags  # for the persistence work: SAVE / NOSAVE / FORCE
    dirty = node.dirty
    c.blocked = "shutdown"  # like blockClient(BLOCKED_SHUTDOWN): nothing more runs for this client
    c.update_slow()
    # prepareForShutdown: the node stops, or waits for lagging replicas (shutdown-timeout; the client stays
    # blocked), or fails (cancelShutdown has answered the blocked clients with the error)
    p.prepare_for_shutdown(p.shutdown_flags_of(flags))
    if node.dirty != dirty:
        c.propagate_as = []  # the final save reset the change counter: nothing to propagate
    return NO_REPLY


# -- DEBUG ------------------------------------------------------------------------------------------

DEBUG_NOT_ALLOWED = (
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a '
    "local connection, otherwise you need to set this option in the configuration file, and then restart the "
    "server."
)

# DEBUG subcommand (lower case) -> (handler(c, argv), arity check(argc) -> bool).  Other work may add
# entries (e.g. persistence: "reload", "loadaof").
DEBUG_SUBCOMMANDS: dict = {}


def debug_subcommand(name: str, argc_ok):
    def register(fn):
        DEBUG_SUBCOMMANDS[name.encode()] = (fn, argc_ok)
        return fn

    return register


@command("debug")
def debug(c, argv):
    allowed = c.node.config["enable-debug-command"]
    if allowed != "yes" and not (allowed == "local" and _is_local(c)):
        raise CommandError(DEBUG_NOT_ALLOWED)
    sub = argv[1].lower()
    entry = DEBUG_SUBCOMMANDS.get(sub)
    if entry is None or not entry[1](len(argv)):
        raise CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."
                           % argv[1][:128].decode("latin-1"))
    return entry[0](c, argv)


@debug_subcommand("help", lambda n: n == 2)
def debug_help(c, argv):
    return [Status(line) for line in DEBUG_HELP]


@debug_subcommand("sleep", lambda n: n == 3)
def debug_sleep(c, argv):
    usec = int(_strtod(argv[2]) * 1_000_000)
    if usec > 0:
        time.sleep(usec / 1_000_000)  # the whole server stops, as in Redis
    return OK


@debug_subcommand("replicate", lambda n: n >= 3)
def debug_replicate(c, argv):
    """DEBUG REPLICATE <command...>: feed a command to the replicas only (not run here), so that a
    test can make master and replicas diverge."""
    master = c.node.repl.master
    if master.active():
        master.propagate(master.seldb if master.seldb >= 0 else c.db.id, list(argv[2:]))
    return OK


def _crash(c, argv, sig: int, first_lines: list):
    """bugReportStart ... bugReportEnd: the crash report in the log, then the process dies of ``sig``
    (SIGSEGV re-raised as Redis's handler does; SIGABRT for a panic), so supervisors, the cluster and
    ``wait`` see a crash and not an exit.  A node that shares its process (the in-process test clusters)
    dies alone: sockets closed at once, nothing saved."""
    node = c.node
    node.log.warning("\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===")
    for line in first_lines:
        node.log.warning(line)
    node.log.warning("Crashed running the command: %s" % " ".join(a.decode("latin-1") for a in argv))
    node.log.warning("\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n")
    if getattr(node, "owns_process", False):
        pidfile = getattr(node, "pidfile", None)
        if node.config["daemonize"] and pidfile:
            try:
                os.unlink(pidfile)
            except OSError:
                pass
        sys.stdout.flush()
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        time.sleep(1)  # the signal is delivered before this returns
        os._exit(128 + sig)
    # in-process: the node vanishes as a killed process would (no final save, no goodbye)
    node.persistence.on_stop = lambda *a, **k: None
    for cl in list(node.clients.values()):
        if cl.transport is not None:
            cl.transport.abort()
    asyncio.get_running_loop().create_task(node.stop())
    node.repl.stop()
    return NO_REPLY


@debug_subcommand("segfault", lambda n: n == 2)
def debug_segfault(c, argv):
    return _crash(c, argv, signal.SIGSEGV, ["Redis %s crashed by signal: 11, si_code: 2" % REDIS_VERSION,
                                            "Accessing address: (DEBUG SEGFAULT)"])


@debug_subcommand("panic", lambda n: n == 2)
def debug_panic(c, argv):
    node = c.node
    node.log.warning("------------------------------------------------")
    node.log.warning("!!! Software Failure. Press left mouse button to continue")
    node.log.warning("Guru Meditation: DEBUG PANIC called at Unix time %d #debug.c:506" % int(time.time()))
    return _crash(c, argv, signal.SIGABRT, [])


@debug_subcommand("set-active-expire", lambda n: n == 3)
def debug_set_active_expire(c, argv):
    c.node.active_expire_enabled = bool(_atoi(argv[2]))
    return OK


@debug_subcommand("clusterlink", lambda n: n == 5)
def debug_clusterlink(c, argv):
    """DEBUG CLUSTERLINK KILL <to|from|all> <node-id>: free the bus link(s) to a peer, as a network
    fault would (the cron connects the outbound one again within 100 ms; the peer reconnects the other)."""
    if argv[2].lower() != b"kill":
        raise CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."
                           % argv[1][:128].decode("latin-1"))
    if not c.node.cluster_enabled:
        raise CommandError("ERR Debug option only available for cluster mode enabled setup!")
    cs = c.node.cluster
    n = cs.lookup(argv[4].decode("latin-1"))
    if n is None:
        raise CommandError("ERR Unknown node %s" % argv[4].decode("latin-1"))
    direction = argv[3].lower()
    if direction not in (b"to", b"from", b"all"):
        raise CommandError("ERR Unknown direction %s" % argv[3].decode("latin-1"))
    now = int(time.time() * 1000)
    if direction in (b"to", b"all"):
        cs.free_link(n.link, now)
    if direction in (b"from", b"all"):
        cs.free_link(n.inbound_link, now)
    c.node.bus.wake()
    return OK


@debug_subcommand("htstats", lambda n: n == 3)
def debug_htstats(c, argv):
    """DEBUG HTSTATS <dbid>: the (simulated) sizes and chains of a database's hash tables."""
    from ..server.htstats import htstats

    try:
        dbid = int(argv[2])
    except ValueError:
        raise CommandError("ERR value is not an integer or out of range") from None
    if not 0 <= dbid < len(c.node.dbs):
        raise CommandError("ERR Out of range database")
    return Verbatim(htstats(c.node, c.node.dbs[dbid]).encode())


@debug_subcommand("htstats-key", lambda n: n == 3)
def debug_htstats_key(c, argv):
    from ..server.htstats import htstats_key

    v = c.db.lookup_read_notouch(argv[2], notify=False)
    if v is None:
        raise CommandError(errors.NO_SUCH_KEY)
    text = htstats_key(v, object_encoding(v, c.node.config))
    if text is None:
        raise CommandError("ERR The value stored at the specified key is not represented using an hash table")
    return Verbatim(text.encode())


@debug_subcommand("replybuffer", lambda n: n == 4)
def debug_replybuffer(c, argv):
    """DEBUG REPLYBUFFER PEAK-RESET-TIME <never||reset|ms> / RESIZING <0|1>: the reply buffer resizing of
    the clients cron (Connection.reply_buffer_cron)."""
    node = c.node
    what = argv[2].lower()
    if what == b"peak-reset-time":
        v = argv[3].lower()
        if v == b"never":
            node.reply_buffer_peak_reset_ms = -1
        elif v == b"reset":
            node.reply_buffer_peak_reset_ms = 5000  # REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME
        else:
            try:
                node.reply_buffer_peak_reset_ms = int(argv[3])
            except ValueError:
                raise CommandError("ERR value is not an integer or out of range") from None
    elif what == b"resizing":
        node.reply_buffer_resizing = bool(_atoi(argv[3]))
    else:
        raise CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."
                           % argv[1][:128].decode("latin-1"))
    return OK


@debug_subcommand("config-rewrite-force-all", lambda n: n == 2)
def debug_config_rewrite_force_all(c, argv):
    """CONFIG REWRITE that also writes every directive still at its default."""
    try:
        c.node.config.rewrite(force_write=True)
    except ValueError as e:
        msg = str(e)
        if msg.startswith("ERR Rewriting config file: "):
            msg = "ERR CONFIG-REWRITE-FORCE-ALL failed: " + msg[len("ERR Rewriting config file: "):]
        raise CommandError(msg) from None
    return OK


@debug_subcommand("quicklist-packed-threshold", lambda n: n == 3)
def debug_quicklist_packed_threshold(c, argv):
    """quicklistisSetPackedThreshold: our lists have no plain nodes, so only the argument is checked
    (a memory value up to 4GB - 1MB; 0 restores the default)."""
    sz = memtoull(argv[2].decode("latin-1"))
    if sz is None or sz > (1 << 32) - (1 << 20):
        raise CommandError("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
    return OK


def _rdb_len_size(n: int) -> int:
    return 1 if n < 64 else 2 if n < 16384 else 5 if n <= 0xFFFFFFFF else 9


_LZF_HLOG = 16
_LZF_HSIZE = 1 << _LZF_HLOG
_LZF_MAX_LIT = 1 << 5
_LZF_MAX_OFF = 1 << 13
_LZF_MAX_REF = (1 << 8) + (1 << 3)


def lzf_compress(data: bytes, out_len: int):
    """liblzf 3.6 ``lzf_compress`` as Redis builds it (HLOG 16, VERY_FAST): the compressed bytes, or None
    when they would not fit in ``out_len`` bytes."""
    in_len = len(data)
    if not in_len or not out_len:
        return None
    htab: dict = {}
    out = bytearray(out_len + 1)
    ip = 0
    op = 1  # start run
    lit = 0
    in_end = in_len

    def idx(h):
        return ((h >> (3 * 8 - _LZF_HLOG)) - h * 5) & (_LZF_HSIZE - 1)

    hval = (data[0] << 8) | data[1] if in_len > 1 else 0
    while ip < in_end - 2:
        hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
        slot = idx(hval)
        ref = htab.get(slot, -1)
        htab[slot] = ip
        off = ip - ref - 1
        if (ref > 0 and off < _LZF_MAX_OFF and data[ref + 2] == data[ip + 2]
                and data[ref] == data[ip] and data[ref + 1] == data[ip + 1]):
            length = 2
            maxlen = in_end - ip - length
            if maxlen > _LZF_MAX_REF:
                maxlen = _LZF_MAX_REF
            if op + 3 + 1 >= out_len and op - (0 if lit else 1) + 3 + 1 >= out_len:
                return None
            out[op - lit - 1] = lit - 1 & 0xFF  # stop run
            if not lit:
                op -= 1  # undo run if length is zero
            done = False
            if maxlen > 16:
                for _ in range(16):
                    length += 1
                    if data[ref + length] != data[ip + length]:
                        done = True
                        break
            if not done:
                while True:
                    length += 1
                    if not (length < maxlen and data[ref + length] == data[ip + length]):
                        break
            length -= 2  # octets - 1
            ip += 1
            if length < 7:
                out[op] = ((off >> 8) + (length << 5)) & 0xFF
                op += 1
            else:
                out[op] = ((off >> 8) + (7 << 5)) & 0xFF
                out[op + 1] = (length - 7) & 0xFF
                op += 2
            out[op] = off & 0xFF
            op += 1
            lit = 0
            op += 1  # start run
            ip += length + 1
            if ip >= in_end - 2:
                break
            ip -= 2
            hval = (data[ip] << 8) | data[ip + 1]
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[idx(hval)] = ip
            ip += 1
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[idx(hval)] = ip
            ip += 1
        else:
            if op >= out_len:
                return None
            lit += 1
            out[op] = data[ip]
            op += 1
            ip += 1
            if lit == _LZF_MAX_LIT:
                out[op - lit - 1] = lit - 1
                lit = 0
                op += 1
    if op + 3 > out_len:
        return None
    while ip < in_end:
        lit += 1
        out[op] = data[ip]
        op += 1
        ip += 1
        if lit == _LZF_MAX_LIT:
            out[op - lit - 1] = lit - 1
            lit = 0
            op += 1
    out[op - lit - 1] = lit - 1 & 0xFF  # end run
    if not lit:
        op -= 1
    return bytes(out[:op])


def _rdb_string_len(s: bytes) -> int:
    """The bytes rdbSaveRawString writes for ``s`` (integer encoding, LZF, or length + bytes)."""
    if len(s) <= 11:
        try:
            v = int(s)
            if str(v).encode() == s:
                if -(2**7) <= v < 2**7:
                    return 2
                if -(2**15) <= v < 2**15:
                    return 3
                if -(2**31) <= v < 2**31:
                    return 5
        except ValueError:
            pass
    if len(s) > 20:  # rdbcompression yes: LZF when it saves at least four bytes
        comp = lzf_compress(s, len(s) - 4)
        if comp is not None:
            return 1 + _rdb_len_size(len(comp)) + _rdb_len_size(len(s)) + len(comp)
    return _rdb_len_size(len(s)) + len(s)


def _intset_bytes(value) -> int:
    width = 2
    for m in value:
        i = int(m)
        if not -(2**15) <= i < 2**15:
            width = max(width, 4 if -(2**31) <= i < 2**31 else 8)
    return 8 + width * len(value)


def _serialized_length(value, config=None) -> int:
    """rdbSavedObjectLen (without LZF for the encoded blobs, whose bytes we do not build)."""
    t = type(value)
    if t is bytes or t is bytearray:
        return _rdb_string_len(bytes(value))
    enc = object_encoding(value, config)
    blob = lambda n: _rdb_len_size(n) + n  # noqa: E731  (a listpack / intset saved as a string)
    if t is ListValue:
        lp = _lp_size(value)
        nodes = max(1, -(-lp // 8192))
        return _rdb_len_size(nodes) + nodes * (1 + blob(-(-lp // nodes)))
    if t is HashValue:
        if enc == b"listpack":
            return blob(_lp_size([x for kv in value.items() for x in kv]))
        return _rdb_len_size(len(value)) + sum(_rdb_string_len(k) + _rdb_string_len(v) for k, v in value.items())
    if t is SetValue:
        if enc == b"intset":
            return blob(_intset_bytes(value))
        return _rdb_len_size(len(value)) + sum(_rdb_string_len(m) for m in value)
    if t is ZSetValue:
        if enc == b"listpack":
            return blob(_lp_size([x for kv in value.scores.items() for x in kv]))
        return _rdb_len_size(len(value.scores)) + sum(_rdb_string_len(m) + 8 for m in value.scores)
    if t is StreamValue:
        from ..store.rdb import dump_value
        return len(dump_value(value, config, bool(config["rdbcompression"]) if config is not None else True)) - 1
    return 0


@debug_subcommand("object", lambda n: n == 3)
def debug_object(c, argv):
    value = c.db.data.get(argv[2])  # dictFind: no expiry check
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    enc = object_encoding(value, c.node.config)
    refcount = 1
    if enc == b"int" and c.node.config["maxmemory"] == 0:
        try:
            if 0 <= int(value) < 10000:
                refcount = 2147483647  # a shared integer
        except ValueError:
            pass
    extra = ""
    if type(value) is ListValue:
        lp = _lp_size(value)
        nodes = max(1, -(-lp // 8192))
        extra = " ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%d" % (
            nodes, len(value) / nodes, c.node.config["list-max-listpack-size"], 0, lp)
    db = c.db
    idle = db.idle_seconds(argv[2]) if hasattr(db, "idle_seconds") else 0
    lru = (int(time.time()) - idle) & ((1 << 24) - 1)
    addrs = getattr(c.node, "value_addrs", 0)
    if addrs is None:
        addrs = c.node.value_addrs = {}  # from now on INCR records the values it changes in place
    alias = addrs.get((db.id, argv[2])) if addrs else None
    addr = alias[1] if alias is not None and alias[0] == id(value) else id(value)
    return Status("Value at:0x%x refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s" % (
        addr, refcount, enc.decode(), _serialized_length(value, c.node.config), lru, idle, extra))


@debug_subcommand("error", lambda n: n == 3)
def debug_error(c, argv):
    msg = argv[2].replace(b"\r", b" ").replace(b"\n", b" ")
    return Raw(b"-" + msg + b"\r\n")


@debug_subcommand("log", lambda n: n == 3)
def debug_log(c, argv):
    c.node.log.warning("DEBUG LOG: %s" % argv[2].decode("utf-8", "replace"))
    return OK


@debug_subcommand("change-repl-id", lambda n: n == 2)
def debug_change_repl_id(c, argv):
    node = c.node
    backlog = getattr(getattr(node, "repl", None), "backlog", None)
    if backlog is not None:  # changeReplicationId + clearReplicationId2
        backlog.replid = os.urandom(20).hex()
        backlog.replid2 = "0" * 40
        backlog.second_replid_offset = -1
    else:
        node._admin_replid = os.urandom(20).hex()
    return OK


@debug_subcommand("pause-cron", lambda n: n == 3)
def debug_pause_cron(c, argv):
    c.node.pause_cron = bool(_atoi(argv[2]))
    return OK


@debug_subcommand("structsize", lambda n: n == 2)
def debug_structsize(c, argv):
    return b"bits:64 robj:16 dictentry:24 sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 "


def _parse_positive(arg: bytes) -> int:
    """getPositiveLongFromObjectOrReply."""
    try:
        v = _parse_ll(arg)
    except CommandError:
        raise CommandError("ERR value is out of range, must be positive") from None
    if v < 0:
        raise CommandError("ERR value is out of range, must be positive")
    return v


@debug_subcommand("populate", lambda n: 3 <= n <= 5)
def debug_populate(c, argv):
    count = _parse_positive(argv[2])
    size = _parse_positive(argv[4]) if len(argv) == 5 else 0
    prefix = argv[3] if len(argv) >= 4 else b"key"
    db = c.db
    node = c.node
    dirty = node.dirty  # (Redis's populate leaves server.dirty alone: nothing is propagated to replicas/AOF)
    for j in range(count):
        key = (b"%s:%d" % (prefix, j))[:127]
        if db.lookup(key) is not None:
            continue
        val = b"value:%d" % j
        if size:
            val = val[:size] + b"\x00" * max(0, size - len(val))
        db.add(key, val)
    node.dirty = dirty
    return OK


_PROTOCOL_TYPES = "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"


@debug_subcommand("protocol", lambda n: n == 3)
def debug_protocol(c, argv):
    name = argv[2].lower()
    r3 = c.resp3
    if name == b"string":
        return b"Hello World"
    if name == b"integer":
        return 12345
    if name == b"double":
        return 3.141
    if name == b"bignum":
        num = b"1234567999999999999999999999999999999"
        return Raw(b"(%s\r\n" % num) if r3 else num
    if name == b"null":
        return None
    if name == b"array":
        return [0, 1, 2]
    if name == b"set":
        return SetReply([0, 1, 2])
    if name == b"map":
        return Map([(0, False), (1, True), (2, False)])
    if name == b"attrib":
        follow = b"$39\r\nSome real reply following the attribute\r\n"
        if r3:
            return Raw(b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n" + follow)
        return Raw(follow)
    if name == b"push":
        if not r3:
            raise CommandError("ERR RESP2 is not supported by this command")
        return Raw(b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n")
    if name == b"verbatim":
        return Verbatim(b"This is a verbatim\nstring")
    if name == b"true":
        return True
    if name == b"false":
        return False
    raise CommandError("ERR Wrong protocol type name. Please use one of the following: " + _PROTOCOL_TYPES)


# DEBUG DIGEST / DIGEST-VALUE (debug.c xorDigest / mixDigest / xorObjectDigest)

_OBJ_TYPES = {bytes: 0, bytearray: 0, ListValue: 1, SetValue: 2, ZSetValue: 3, HashValue: 4}


def _xor_digest(digest: bytearray, data: bytes) -> None:
    h = hashlib.sha1(data).digest()
    for i in range(20):
        digest[i] ^= h[i]


def _mix_digest(digest: bytearray, data: bytes) -> None:
    _xor_digest(digest, data)
    digest[:] = hashlib.sha1(bytes(digest)).digest()


def _as_bytes(x) -> bytes:
    if isinstance(x, (bytes, bytearray)):
        return bytes(x)
    if isinstance(x, float):
        return b"%.17g" % x
    return str(x).encode()


def object_digest(digest: bytearray, db, key: bytes, value) -> None:
    """xorObjectDigest: mix one value (its type, contents and expire flag) into ``digest``."""
    t = type(value)
    _mix_digest(digest, struct.pack(">I", _OBJ_TYPES.get(t, 6)))
    if t is bytes or t is bytearray:
        _mix_digest(digest, bytes(value))
    elif t is ListValue:
        for e in value:
            _mix_digest(digest, _as_bytes(e))
    elif t is SetValue:  # unordered: plain xor
        for m in value:
            _xor_digest(digest, _as_bytes(m))
    elif t is ZSetValue:
        for m, score in value.scores.items():
            ele = bytearray(20)
            _mix_digest(ele, _as_bytes(m))
            _mix_digest(ele, b"%.17g" % score)
            _xor_digest(digest, bytes(ele))
    elif t is HashValue:
        for f, v in value.items():
            ele = bytearray(20)
            _mix_digest(ele, _as_bytes(f))
            _mix_digest(ele, _as_bytes(v))
            _xor_digest(digest, bytes(ele))
    elif t is StreamValue:
        for eid, vals in value.range():
            _mix_digest(digest, b"%d.%d" % eid)
            for x in vals:
                _mix_digest(digest, bytes(x))
    if key in db.expires:
        _xor_digest(digest, b"!!expire!!")


def dataset_digest(node) -> bytes:
    """computeDatasetDigest: independent of the order of keys within a database."""
    final = bytearray(20)
    for db in node.dbs:
        if not db.data:
            continue
        _mix_digest(final, struct.pack(">I", db.id))
        for key, value in db.data.items():
            digest = bytearray(20)
            _mix_digest(digest, key)
            object_digest(digest, db, key, value)
            _xor_digest(final, bytes(digest))
    return bytes(final)


@debug_subcommand("digest", lambda n: n == 2)
def debug_digest(c, argv):
    return Status(dataset_digest(c.node).hex())


@debug_subcommand("digest-value", lambda n: n >= 2)
def debug_digest_value(c, argv):
    out = []
    db = c.db
    for key in argv[2:]:
        value = db.data.get(key)
        digest = bytearray(20)
        if value is not None:
            object_digest(digest, db, key, value)
        out.append(Status(bytes(digest).hex()))
    return out


DEBUG_HELP = [
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
    "HELP",
    "    Prints this help.",
]


# -- MEMORY -----------------------------------------------------------------------------------------


@command("memory|usage")
def memory_usage(c, argv):
    samples = 5
    j = 3
    n = len(argv)
    while j < n:
        if argv[j].lower() == b"samples" and j + 1 < n:
            samples = _parse_ll(argv[j + 1])
            if samples < 0:
                raise CommandError(errors.SYNTAX)
            if samples == 0:
                samples = 2**63 - 1
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    value = c.db.data.get(argv[2])  # dictFind: no expiry check, as in Redis
    if value is None:
        return None
    return key_memory_usage(c.db, argv[2], value, samples, c.node.config, c.node.cluster_enabled)


SAM_EMPTY = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these "
    "conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be "
    "back to our programming as soon as I finished rebooting.\n"
)
SAM_OK = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"


@command("memory|doctor")
def memory_doctor(c, argv):
    text = SAM_EMPTY if _dataset_estimate(c.node) < 5 * 1024 * 1024 else SAM_OK
    return Verbatim(text.encode())


@command("memory|malloc-stats")
def memory_malloc_stats(c, argv):
    return Verbatim(b"Stats not supported for the current allocator")


@command("memory|purge")
def memory_purge(c, argv):
    gc.collect()
    return OK


@command("memory|stats")
def memory_stats(c, argv):
    node = c.node
    rss = _rss()
    peak = max(_peak_rss(), rss)
    startup = min(_STARTUP_RSS, rss)
    clients_normal = sum(cl.parser.pending for cl in node.clients.values())
    pairs = [
        (b"peak.allocated", peak),
        (b"total.allocated", rss),
        (b"startup.allocated", startup),
        (b"replication.backlog", 0),
        (b"clients.slaves", 0),
        (b"clients.normal", clients_normal),
        (b"cluster.links", 0),
        (b"aof.buffer", 0),
        (b"lua.caches", 0),
        (b"functions.caches", 0),
    ]
    overhead = startup + clients_normal
    keys = 0
    for db in node.dbs:
        if not db.data:
            continue
        keys += len(db.data)
        main = _dict_size(len(db.data)) - 56
        exp = _dict_size(len(db.expires)) - 56 if db.expires else 0
        slot = len(db.data) * 16 if node.cluster_enabled else 0
        overhead += main + exp + slot
        pairs.append((b"db.%d" % db.id, Map([
            (b"overhead.hashtable.main", main),
            (b"overhead.hashtable.expires", exp),
            (b"overhead.hashtable.slot-to-keys", slot),
        ])))
    dataset = max(rss - overhead, 0)
    net = rss - startup
    pairs += [
        (b"overhead.total", overhead),
        (b"keys.count", keys),
        (b"keys.bytes-per-key", (net // keys) if keys else 0),
        (b"dataset.bytes", dataset),
        (b"dataset.percentage", dataset * 100.0 / net if net > 0 else 0.0),
        (b"peak.percentage", rss * 100.0 / peak if peak else 0.0),
        (b"allocator.allocated", rss),
        (b"allocator.active", rss),
        (b"allocator.resident", rss),
        (b"allocator-fragmentation.ratio", 1.0),
        (b"allocator-fragmentation.bytes", 0),
        (b"allocator-rss.ratio", 1.0),
        (b"allocator-rss.bytes", 0),
        (b"rss-overhead.ratio", 1.0),
        (b"rss-overhead.bytes", 0),
        (b"fragmentation", 1.0),
        (b"fragmentation.bytes", 0),
    ]
    return Map(pairs)


@command("memory|help")
def memory_help(c, argv):
    return [Status(line) for line in MEMORY_HELP]


MEMORY_HELP = [
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
]


# -- MONITOR feed -----------------------------------------------------------------------------------


def monitor_args(argv: list) -> list:
    """The arguments MONITOR shows: passwords replaced by "(redacted)" (redactClientCommandArgument)."""
    name = argv[0].lower()
    if name == b"auth":
        return argv[:1] + [b"(redacted)"] * (len(argv) - 1)
    if name in (b"hello", b"migrate"):
        out = list(argv)
        i = 1
        while i < len(out):
            opt = out[i].lower()
            if opt == b"auth" and name == b"hello" and i + 2 < len(out):
                out[i + 1] = out[i + 2] = b"(redacted)"
                i += 3
                continue
            if opt == b"auth" and name == b"migrate" and i + 1 < len(out):
                out[i + 1] = b"(redacted)"
                i += 2
                continue
            if opt == b"auth2" and name == b"migrate" and i + 2 < len(out):
                out[i + 1] = out[i + 2] = b"(redacted)"
                i += 3
                continue
            i += 1
        return out
    return argv


# -- MODULE -------------------------------------------------------------------------------------------
# No module can be loaded into this server: MODULE LIST is empty, and LOAD / LOADEX fail as
# redis-server does when the library cannot be opened (moduleLoad).  LOAD, LOADEX and UNLOAD are
# protected commands (enable-module-command, checked in processCommand: server/connection.py).

MODULE_NOT_ALLOWED = (
    'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a '
    "local connection, otherwise you need to set this option in the configuration file, and then restart the "
    "server."
)
MODULE_PROTECTED = frozenset({"module|load", "module|loadex", "module|unload"})

MODULE_HELP = [
    "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
    "HELP",
    "    Prints this help.",
]


def module_denied(c):
    """The protected-command error for MODULE LOAD/LOADEX/UNLOAD, or None when allowed."""
    from .configcmd import protected_action_allowed

    if protected_action_allowed(c.node.config["enable-module-command"], c):
        return None
    return MODULE_NOT_ALLOWED


@command("module|help")
def module_help(c, argv):
    return [Status(line) for line in MODULE_HELP]


def _module_load_failed(c, path: bytes):
    c.node.log.warning("Module %s failed to load: %s: cannot open shared object file: No such file or directory"
                       % (path.decode("latin-1"), path.decode("latin-1")))
    raise CommandError("ERR Error loading the extension. Please check the server logs.")


@command("module|load")
def module_load(c, argv):
    _module_load_failed(c, argv[2])


@command("module|loadex")
def module_loadex(c, argv):
    _module_load_failed(c, argv[2])


@command("module|unload")
def module_unload(c, argv):
    raise CommandError("ERR Error unloading module: no such module with that name")


@command("module|list")
def module_list(c, argv):
    return []
