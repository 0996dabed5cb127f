"""SLOWLOG GET / LEN / RESET / HELP and LATENCY LATEST / HISTORY / RESET / DOCTOR / GRAPH / HISTOGRAM / HELP
(Redis 7.0: slowlog.c, latency.c).  The data is kept by the node's ``timer``
(:class:`pyredis_cluster.server.limits.Timing`)."""

from __future__ import annotations

import time

from ..errors import CommandError
from ..protocol.reply import OK, Map, Status, Verbatim
from .table import command

SLOWLOG_HELP = [
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
]

LATENCY_HELP = [
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command "
    "names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
]


def _syntax(container: str, sub: bytes) -> CommandError:
    return CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
                        % (sub[:128].decode("latin-1"), container))


# -- SLOWLOG ------------------------------------------------------------------------------------------------


@command("slowlog|get")
def slowlog_get(c, argv):
    if len(argv) > 3:
        raise _syntax("SLOWLOG", argv[1])
    timer = c.node.timer
    count = 10
    if len(argv) == 3:
        from ..protocol.request import strict_int

        count = strict_int(argv[2])
        if count is None or count < -1:
            raise CommandError("ERR count should be greater than or equal to -1")
        if count == -1:
            count = len(timer.slowlog)
    out = []
    for i, (eid, when, usec, args, peer, name) in enumerate(timer.slowlog):
        if i >= count:
            break
        out.append([eid, when, usec, list(args), peer, name])
    return out


@command("slowlog|len")
def slowlog_len(c, argv):
    return len(c.node.timer.slowlog)


@command("slowlog|reset")
def slowlog_reset(c, argv):
    c.node.timer.slowlog.clear()
    return OK


@command("slowlog|help")
def slowlog_help(c, argv):
    return [Status(line) for line in SLOWLOG_HELP]


# -- LATENCY ------------------------------------------------------------------------------------------------


def _event(c, name: bytes):
    return c.node.timer.events.get(name.decode("latin-1"))


@command("latency|latest")
def latency_latest(c, argv):
    out = []
    for name, ev in c.node.timer.events.items():
        when, ms = ev["samples"][-1] if ev["samples"] else (0, 0)
        out.append([name.encode(), when, ms, ev["max"]])
    return out


@command("latency|history")
def latency_history(c, argv):
    if len(argv) != 3:
        raise _syntax("LATENCY", argv[1])
    ev = _event(c, argv[2])
    if ev is None:
        return []
    return [[when, ms] for when, ms in ev["samples"]]


@command("latency|reset")
def latency_reset(c, argv):
    events = c.node.timer.events
    if len(argv) == 2:
        n = len(events)
        events.clear()
        return n
    n = 0
    for name in argv[2:]:
        key = name.decode("latin-1").lower()
        for ev in [e for e in events if e.lower() == key]:
            del events[ev]
            n += 1
    return n


@command("latency|graph")
def latency_graph(c, argv):
    if len(argv) != 3:
        raise _syntax("LATENCY", argv[1])
    ev = _event(c, argv[2])
    if ev is None:
        raise CommandError("ERR No samples available for event '%s'" % argv[2].decode("latin-1"))
    return Verbatim(sparkline_graph(argv[2].decode("latin-1"), ev).encode())


def _command_cdf(cmd):
    """fillCommandCDF: {calls, histogram_usec: {micros: cumulative count}}."""
    h = cmd.latency_histogram
    return Map([(b"calls", h.total), (b"histogram_usec", Map(h.cdf()))])


@command("latency|histogram")
def latency_histogram(c, argv):
    """LATENCY HISTOGRAM [command ...]: each command's latency distribution (latency-tracking), for
    all commands that have one, or for the named ones (a container names its subcommands too)."""
    from .table import COMMANDS

    out = []
    if len(argv) == 2:
        def walk(cmds):
            for cmd in cmds:
                if cmd.latency_histogram is not None:
                    out.append((cmd.name.encode(), _command_cdf(cmd)))
                if cmd.subcommands:
                    walk(cmd.subcommands.values())

        walk(COMMANDS.values())
        return Map(out)
    for name in argv[2:]:
        parts = name.lower().split(b"|")
        cmd = COMMANDS.get(parts[0])
        if cmd is not None and len(parts) == 2:
            cmd = cmd.subcommands.get(parts[1])
        elif len(parts) > 2:
            cmd = None
        if cmd is None:
            continue
        if cmd.latency_histogram is not None:
            out.append((cmd.name.encode(), _command_cdf(cmd)))
        for sub in cmd.subcommands.values():
            if sub.latency_histogram is not None:
                out.append((sub.name.encode(), _command_cdf(sub)))
    return Map(out)


@command("latency|doctor")
def latency_doctor(c, argv):
    return Verbatim(latency_report(c.node).encode())


@command("latency|help")
def latency_help(c, argv):
    return [Status(line) for line in LATENCY_HELP]


def _analyze(ev):
    """analyzeLatencyForEvent."""
    samples = list(ev["samples"])
    n = len(samples)
    if not n:
        return 0, 0, 0, 0
    total = sum(ms for _, ms in samples)
    avg = total // n
    oldest = min(t for t, _ in samples)
    period = int(time.time()) - oldest or 1
    mad = sum(abs(avg - ms) for _, ms in samples) // n
    return n, avg, mad, period


def latency_report(node) -> str:
    """createLatencyReport (the events we record: command, fast-command, expire-cycle, eviction-*)."""
    timer = node.timer
    cfg = node.config
    if not timer.events and cfg["latency-monitor-threshold"] == 0:
        return ("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may "
                "use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't "
                "in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
    report = ""
    advices = 0
    adv = set()
    for eventnum, (name, ev) in enumerate(timer.events.items(), 1):
        if eventnum == 1:
            report += ("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about "
                       "it, do you Dave?\n\n")
        n, avg, mad, period = _analyze(ev)
        report += ("%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time "
                   "event %dms." % (eventnum, name, n, avg, mad, period / n if n else 0, ev["max"]))
        low = name.lower()
        if low == "command":
            if cfg["slowlog-log-slower-than"] < 0:
                adv.add("slowlog_enabled")
                advices += 1
            elif cfg["slowlog-log-slower-than"] // 1000 > cfg["latency-monitor-threshold"]:
                adv.add("slowlog_tuning")
                advices += 1
            adv.update(("slowlog_inspect", "large_objects"))
            advices += 2
        elif low == "fast-command":
            adv.add("scheduler")
            advices += 1
        elif low == "expire-cycle":
            adv.update(("hz", "large_objects"))
            advices += 2
        elif low == "eviction-del":
            adv.add("large_objects")
            advices += 1
        elif low == "eviction-cycle":
            adv.add("mass_eviction")
            advices += 1
        report += "\n"
    if not timer.events and advices == 0:
        return report + ("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the "
                         "slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think "
                         "things over.\n")
    if advices == 0:
        return report + ("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use "
                         "the Redis community to get some help, providing this report in your help request.\n")
    report += "\nI have a few advices for you:\n\n"
    thr = cfg["latency-monitor-threshold"] * 1000
    if "slowlog_enabled" in adv:
        report += ("- There are latency issues with potentially slow commands you are using. Try to enable the Slow "
                   "Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is "
                   "disabled Redis is not able to log slow commands execution for you.\n" % thr)
    if "slowlog_tuning" in adv:
        report += ("- Your current Slow Log configuration only logs events that are slower than your configured "
                   "latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n" % thr)
    if "slowlog_inspect" in adv:
        report += ("- Check your Slow Log to understand what are the commands you are running which are too slow to "
                   "execute. Please check https://redis.io/commands/slowlog for more information.\n")
    if "scheduler" in adv:
        report += ("- The system is slow to execute Redis code paths not containing system calls. This usually "
                   "means the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                   "  1) Lower the system load.\n"
                   "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                   "  3) Check if you have a \"noisy neighbour\" problem.\n"
                   "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your "
                   "system.\n"
                   "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are "
                   "using Jemalloc. However this may create fragmentation problems.\n")
    if "hz" in adv and cfg["hz"] < 100:
        report += ("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' "
                   "configuration parameter to 100 using 'CONFIG SET hz 100'.\n")
    if "large_objects" in adv:
        report += ("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking "
                   "operation. If you have very large objects that are often deleted, expired, or evicted, try to "
                   "fragment those objects into multiple smaller objects.\n")
    if "mass_eviction" in adv:
        report += ("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via "
                   "sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations "
                   "(RESTORE command), may create sudden memory pressure forcing the server to block trying to evict "
                   "keys. \n")
    return report


# -- LATENCY GRAPH (sparkline.c) ------------------------------------------------------------------------------

_CHARSET = "_-`"
_CHARSET_FILL = "|"
_GRAPH_ROWS = 4


def sparkline_graph(event: str, ev) -> str:
    """latencyCommandGenSparkeline + sparklineRender (4 rows, the charset "_-`", '|' fill)."""
    samples = list(ev["samples"])
    now = int(time.time())
    seq = []
    lo = hi = None
    for when, ms in samples:
        lo = ms if lo is None else min(lo, ms)
        hi = ms if hi is None else max(hi, ms)
        elapsed = now - when
        if elapsed < 60:
            label = "%ds" % elapsed
        elif elapsed < 3600:
            label = "%dm" % (elapsed // 60)
        elif elapsed < 3600 * 24:
            label = "%dh" % (elapsed // 3600)
        else:
            label = "%dd" % (elapsed // (3600 * 24))
        seq.append((ms, label))
    lo = lo or 0
    hi = hi or 0
    out = "%s - high %d ms, low %d ms (all time high %d ms)\n" % (event, hi, lo, ev["max"])
    out += "-" * 80 + "\n"
    out += _render(seq, lo, hi)
    return out


def _render(seq, lo, hi) -> str:
    """sparklineRenderRange over the whole sequence (80 columns at most per chunk)."""
    out = ""
    for start in range(0, len(seq), 80):
        chunk = seq[start:start + 80]
        rows = _GRAPH_ROWS
        relmax = hi - lo
        steps = len(_CHARSET) * rows
        grid = [[" "] * len(chunk) for _ in range(rows)]
        for j, (val, _) in enumerate(chunk):
            v = val - lo
            step = int(v * steps / relmax) if relmax else 0
            if step == steps:
                step -= 1
            row = rows - 1
            while row >= 0:
                if step < len(_CHARSET):
                    grid[row][j] = _CHARSET[step]
                    break
                grid[row][j] = _CHARSET_FILL
                step -= len(_CHARSET)
                row -= 1
        for r in grid:
            out += "".join(r) + "\n"
        labels = [lab for _, lab in chunk]
        width = max((len(x) for x in labels), default=0)
        for i in range(width):
            line = "".join(lab[i] if i < len(lab) else " " for lab in labels)
            out += line + "\n"
        out += "\n"
    return out
