"""``pyredis-server [config-file] [--directive value ...]``: start one node, like redis-server (server.c main).

    pyredis-server conf/7000.conf
    pyredis-server --port 7000 --cluster-enabled no
    pyredis-server conf/7000.conf --port 7010 --loglevel verbose
    echo 'maxmemory 128mb' | pyredis-server -
    pyredis-server --test-config conf/7000.conf     (check the configuration and exit; ours, not Redis's)

The command line is redis-server's: an optional config file first ("-" reads it from stdin), then
``--name value ...`` options appended to it as config lines (a value may be several words:
``--save 900 1 300 10``; ``--save ''`` or a bare ``--save`` disables snapshots).  A bad configuration
prints Redis's FATAL CONFIG FILE ERROR report on stderr and exits with code 1.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sys

from .. import __version__
from ..config import DEFAULT_PIDFILE, REDIS_VERSION, Config, ConfigError, adjust_open_files_limit
from ..server.log import Log

PROG = "pyredis-server"

USAGE = """Usage: {p} [/path/to/redis.conf] [options] [-]
       {p} - (read config from stdin)
       {p} -v or --version
       {p} -h or --help
       {p} --test-config [/path/to/redis.conf] [options] [-]

Examples:
       {p} (run the server with default conf)
       echo 'maxmemory 128mb' | {p} -
       {p} conf/7000.conf
       {p} --port 7777
       {p} --port 7777 --replicaof 127.0.0.1 8888
       {p} /etc/myredis.conf --loglevel verbose -
       {p} /etc/myredis.conf --loglevel verbose
       {p} --test-config conf/7000.conf

""".format(p=PROG)


def version_line() -> str:
    """version() in server.c, with our allocator and a build id derived from our version."""
    build = int(hashlib.sha1(("pyredis-cluster-" + __version__).encode()).hexdigest()[:15], 16)
    return "Redis server v=%s sha=00000000:0 malloc=libc bits=64 build=%x" % (REDIS_VERSION, build)


def daemonize() -> None:
    """Detach like redis-server's daemonize(), with a second fork so the daemon can never reacquire a
    terminal: the launching process returns at once; stdin/stdout/stderr go to /dev/null."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    fd = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(fd, std)
    if fd > 2:
        os.close(fd)


def is_supervised(mode: str, log: Log) -> bool:
    """redisIsSupervised: only when the supervisor's environment is really there."""
    upstart = "UPSTART_JOB" in os.environ
    systemd = "NOTIFY_SOCKET" in os.environ
    if mode == "auto":
        return upstart or systemd
    if mode == "upstart":
        if not upstart:
            log.warning("upstart supervision requested, but UPSTART_JOB not found!")
        return upstart
    if mode == "systemd":
        if not systemd:
            log.warning("systemd supervision requested or auto-detected, but NOTIFY_SOCKET not found!")
        return systemd
    return False


def install_crash_handler(node) -> None:
    """sigsegvHandler for a SIGABRT sent to the process (kill -ABRT): the bug report in the log, then the
    signal again with its default action, so the process dies of it as redis-server does.  (A Python
    handler cannot serve a real SIGSEGV/SIGBUS: the faulting instruction would run again; those keep the
    default action.)"""
    def handler(sig, frame):
        log = node.log
        try:
            log.warning("\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===")
            log.warning("Redis %s crashed by signal: %d, si_code: 0" % (REDIS_VERSION, sig))
            log.warning("\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n"
                        "       Please report the crash by opening an issue on github:\n\n"
                        "           http://github.com/redis/redis/issues\n")
            pidfile = getattr(node, "pidfile", None)
            if node.config["daemonize"] and pidfile:
                os.unlink(pidfile)
            sys.stdout.flush()
        except BaseException:  # noqa: B902 - dying anyway
            pass
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)

    signal.signal(signal.SIGABRT, handler)


def main(argv: list | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-v", "--version"):
        print(version_line())
        return 0
    if args and args[0] in ("-h", "--help"):
        sys.stderr.write(USAGE)  # redis-server prints its usage on stderr and exits with 1
        return 1
    if args and args[0] in ("--test-memory", "--check-system"):
        sys.stderr.write("%s: %s is not supported by pyredis-cluster\n" % (PROG, args[0]))
        return 1
    if "--sentinel" in args:
        sys.stderr.write("%s: Sentinel mode is not supported by pyredis-cluster\n" % PROG)
        return 1
    test_only = bool(args) and args[0] == "--test-config"
    if test_only:
        args = args[1:]
    early = Log("notice", "", role="C")
    try:
        config = Config.from_args(args, chdir=not test_only)
    except ConfigError as e:
        if e.log:
            early.warning(e.reason)  # serverLog, as Redis does for a file it cannot open
        else:
            sys.stderr.write(e.report())
        return 1
    problems = config.startup_errors()
    if problems:
        for p in problems:
            early.warning(p)
        return 1
    if test_only:
        print("Configuration test passed")
        return 0
    return run(config, no_args=not args)


def run(config: Config, no_args: bool = False) -> int:
    early = Log(config["loglevel"], config["logfile"], role="C")
    background = config["daemonize"] and not is_supervised(config["supervised"], early)
    if background:
        daemonize()
    early.warning("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    early.warning("Redis version=%s, bits=64, commit=00000000, modified=0, pid=%d, just started"
                  % (REDIS_VERSION, os.getpid()))
    if no_args:
        early.warning("Warning: no config file specified, using the default config. In order to specify a config "
                      "file use %s /path/to/redis.conf" % PROG)
    else:
        early.warning("Configuration loaded")
    config.values["maxclients"] = adjust_open_files_limit(config["maxclients"], early)
    if not config["bind"].split() and not config["unixsocket"]:
        early.warning("Configured to not listen anywhere, exiting.")
        return 1
    pidfile = config["pidfile"]
    if background and not pidfile:
        pidfile = config.values["pidfile"] = DEFAULT_PIDFILE
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency; plain asyncio still works
        pass
    from ..cluster.nodes_conf import NodesConfError
    from ..server.node import Node

    try:
        node = Node(config)
    except NodesConfError as e:  # a corrupt or locked nodes.conf: refuse to run on half a state
        early.warning(str(e))
        return 1
    node.pidfile = pidfile
    node.owns_process = True  # DEBUG SEGFAULT / PANIC may kill the process (commands/admin.py)

    async def amain():
        node.install_signal_handlers()
        install_crash_handler(node)
        try:
            await node.start()
        except OSError:
            node.log.warning("Failed listening on port %d (TCP), aborting." % config["port"])
            raise
        if pidfile:
            try:
                with open(pidfile, "w") as f:
                    f.write("%d\n" % os.getpid())
            except OSError as e:
                node.log.warning("Failed to write PID file: %s" % e.strerror)
        try:
            await node.shutdown_event.wait()
        finally:
            await node.stop()

    from ..server.persistence import PersistenceError

    started = False
    try:
        asyncio.run(amain())
        started = True
    except PersistenceError:  # a data file that cannot be trusted: refuse to run on half a state
        return 1
    except OSError:
        return 1
    except KeyboardInterrupt:
        started = True
    finally:
        if pidfile and started:
            try:
                os.unlink(pidfile)
            except OSError:
                pass
    node.log.warning("Redis is now ready to exit, bye bye...")
    return getattr(node, "exit_code", 0)


if __name__ == "__main__":
    sys.exit(main())
