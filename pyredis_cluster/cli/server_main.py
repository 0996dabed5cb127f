"""``pyredis-server [config-file] [--directive value ...]``: start one node, like redis-server.

    pyredis-server conf/7000.conf
    pyredis-server --port 7000 --cluster-enabled no
    pyredis-server conf/7000.conf --port 7010 --loglevel verbose
    pyredis-server --test-config conf/7000.conf     (check the file and exit)
"""

from __future__ import annotations

import asyncio
import os
import sys

from .. import __version__
from ..config import REDIS_VERSION, Config, ConfigError

USAGE = """Usage: pyredis-server [/path/to/redis.conf] [options] [-]
       pyredis-server - (read config from stdin)
       pyredis-server -v or --version
       pyredis-server -h or --help
       pyredis-server --test-config [/path/to/redis.conf] [options]

Examples:
       pyredis-server (run the server with default conf)
       pyredis-server conf/7000.conf
       pyredis-server --port 7777
       pyredis-server --port 7777 --replicaof 127.0.0.1 8888
       pyredis-server /etc/myredis.conf --loglevel verbose -
       pyredis-server /etc/myredis.conf --loglevel verbose
"""


def version_line() -> str:
    return "Redis server v=%s sha=00000000:0 malloc=libc bits=64 build=pyredis-cluster-%s" % (
        REDIS_VERSION, __version__)


def daemonize() -> None:
    """A real double-fork daemon, as redis-server's daemonize(): detach from the terminal and the
    session, and send stdin/stdout/stderr to /dev/null."""
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


def main(argv: list | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-v", "--version"):
        print(version_line())
        return 0
    if args and args[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0
    test_only = False
    if args and args[0] == "--test-config":
        test_only = True
        args = args[1:]
    try:
        config = Config.from_args(args)
    except ConfigError as e:
        sys.stderr.write(e.report())
        return 1
    if test_only:
        print("Configuration test passed")
        return 0
    return run(config)


def run(config: Config) -> int:
    from ..server.node import Node

    if config.values["dir"]:
        try:
            os.chdir(config.values["dir"])
        except OSError as e:
            sys.stderr.write("Can't chdir to '%s': %s\n" % (config.values["dir"], e.strerror))
            return 1
    if config["daemonize"]:
        daemonize()
    pidfile = config["pidfile"]
    if not pidfile and config["daemonize"]:
        pidfile = "/var/run/redis_%d.pid" % config["port"]
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency; plain asyncio still works
        pass
    node = Node(config)
    node.pidfile = pidfile

    async def amain():
        node.install_signal_handlers()
        await node.start()
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

    try:
        asyncio.run(amain())
    except OSError:
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        if pidfile:
            try:
                os.unlink(pidfile)
            except OSError:
                pass
    node.log.warning("Redis is now ready to exit, bye bye...")
    return getattr(node, "exit_code", 0)


if __name__ == "__main__":
    sys.exit(main())
