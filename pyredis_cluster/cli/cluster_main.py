"""``pyredis-cluster``: the cluster manager (redis-trib / ``redis-cli --cluster``) and a local launcher.

    pyredis-cluster create 127.0.0.1:7000 ... 127.0.0.1:7005 --replicas 1 --yes
    pyredis-cluster check 127.0.0.1:7000            (exit code 1 when the cluster has a problem)
    pyredis-cluster reshard 127.0.0.1:7000 --from all --to <id> --slots 1000 --yes
    pyredis-cluster start                           (a ready 3+3 local cluster on 7000-7005)

Every ``redis-cli --cluster`` option is accepted under its own name (``--cluster-replicas``,
``--cluster-yes`` ...) as well as under ours without the prefix (``--replicas``, ``--yes`` ...).
``--json`` prints one JSON document on stdout (the human-readable lines go to stderr).
Exit codes: 0 success, 1 the operation failed or the check found problems, 2 wrong usage.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from .manager import MIGRATE_PIPELINE, MIGRATE_TIMEOUT, REBALANCE_THRESHOLD, ClusterManager, ManagerAbort, Options
from .output import Reporter, emit_json

PROG = "pyredis-cluster"

DESCRIPTION = """\
Manage a Redis Cluster (of pyredis-server nodes, redis-server nodes, or both) like `redis-cli --cluster`,
or run a ready local cluster.  For check, fix, reshard, rebalance, info, del-node, call, set-timeout,
import and backup, host:port may be any working node of the cluster."""

EPILOG = """\
exit codes: 0 success, 1 failure (or problems found by check/fix), 2 wrong usage.
Options are also accepted with redis-cli's names: --cluster-replicas, --cluster-yes, --cluster-from ...
See the cluster think in a browser: pyredis-cluster dashboard [host:port] [--port 8080] [--replay FILE];
on a terminal: pyredis-cluster events host:port [--all] [--kind k1,k2].
"""


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("connection and output")
    g.add_argument("-a", "--pass", dest="password", metavar="PASSWORD", help="password (AUTH) for every node")
    g.add_argument("--user", help="ACL user name (AUTH user password)")
    g.add_argument("--askpass", action="store_true", help="read the password from the terminal")
    g.add_argument("--json", action="store_true", help="print the result as JSON on stdout (log on stderr)")
    g.add_argument("--verbose", action="store_true", help="more detail (rebalance: each node's balance)")


def _migration(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", "--cluster-timeout", type=int, default=MIGRATE_TIMEOUT, metavar="MS",
                   help="MIGRATE timeout in milliseconds (default %(default)s)")
    p.add_argument("--pipeline", "--cluster-pipeline", type=int, default=MIGRATE_PIPELINE, metavar="N",
                   help="keys per GETKEYSINSLOT/MIGRATE batch (default %(default)s)")
    p.add_argument("--replace", "--cluster-replace", action="store_true",
                   help="overwrite keys that already exist on the target (MIGRATE ... REPLACE)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name, help_, **kw):
        p = sub.add_parser(name, help=help_, description=help_, **kw)
        _common(p)
        return p

    p = add("create", "create a cluster from empty nodes (ADDSLOTS, SET-CONFIG-EPOCH, MEET, REPLICATE)")
    p.add_argument("addresses", nargs="+", metavar="host:port")
    p.add_argument("--replicas", "--cluster-replicas", type=int, default=0, metavar="N",
                   help="replicas per master (masters and their replicas go on different hosts when possible)")
    p.add_argument("--yes", "--cluster-yes", action="store_true", help="do not ask for confirmation")

    p = add("check", "check the cluster: slot agreement, open slots, coverage (exit 1 on problems)")
    p.add_argument("address", nargs="+", metavar="host:port")
    p.add_argument("--search-multiple-owners", "--cluster-search-multiple-owners", action="store_true",
                   help="also look for slots with keys on more than one master")

    p = add("info", "keys, slots and replicas of every master")
    p.add_argument("address", nargs="+", metavar="host:port")

    p = add("fix", "repair open slots, uncovered slots (and with --search-multiple-owners, shared slots)")
    p.add_argument("address", nargs="+", metavar="host:port")
    p.add_argument("--search-multiple-owners", "--cluster-search-multiple-owners", action="store_true")
    p.add_argument("--fix-with-unreachable-masters", "--cluster-fix-with-unreachable-masters",
                   action="store_true", help="fix even though some masters cannot be reached (dangerous)")
    p.add_argument("--yes", "--cluster-yes", action="store_true",
                   help="answer the fix prompts with yes (redis-cli always asks)")
    _migration(p)

    p = add("reshard", "move slots (and their keys) from some masters to one master")
    p.add_argument("address", nargs="+", metavar="host:port")
    p.add_argument("--from", "--cluster-from", dest="from_", metavar="IDS",
                   help="source node IDs, comma separated, or 'all'")
    p.add_argument("--to", "--cluster-to", metavar="ID", help="the receiving node ID")
    p.add_argument("--slots", "--cluster-slots", type=int, default=0, metavar="N", help="how many slots to move")
    p.add_argument("--yes", "--cluster-yes", action="store_true", help="do not ask for confirmation")
    _migration(p)

    p = add("rebalance", "even out the slots among the masters (by weight)")
    p.add_argument("address", nargs="+", metavar="host:port")
    p.add_argument("--weight", "--cluster-weight", nargs="+", action="extend", default=[], metavar="ID=W",
                   help="weight of a master (ID may be a prefix); default 1")
    p.add_argument("--use-empty-masters", "--cluster-use-empty-masters", action="store_true",
                   help="give slots to masters that have none")
    p.add_argument("--threshold", "--cluster-threshold", type=float, default=REBALANCE_THRESHOLD, metavar="PCT",
                   help="only rebalance when a master is off by more than this percentage (default 2)")
    p.add_argument("--simulate", "--cluster-simulate", action="store_true", help="show the moves, do nothing")
    _migration(p)

    p = add("add-node", "add an empty node as a master (or --replica) of the cluster")
    p.add_argument("new", metavar="new_host:new_port")
    p.add_argument("existing", metavar="existing_host:existing_port")
    p.add_argument("--replica", "--slave", "--cluster-slave", "--cluster-replica", dest="replica",
                   action="store_true", help="add it as a replica")
    p.add_argument("--master-id", "--cluster-master-id", metavar="ID",
                   help="the master to replicate (default: the one with fewest replicas)")

    p = add("del-node", "remove a node without slots (FORGET everywhere, then RESET SOFT on it)")
    p.add_argument("address", metavar="host:port")
    p.add_argument("node_id")

    p = add("call", "run a command on every node (options go before the command)")
    p.add_argument("address", metavar="host:port")
    p.add_argument("--only-masters", "--cluster-only-masters", action="store_true")
    p.add_argument("--only-replicas", "--cluster-only-replicas", action="store_true")
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="command arg ...")

    p = add("set-timeout", "CONFIG SET cluster-node-timeout (and CONFIG REWRITE) on every node")
    p.add_argument("address", metavar="host:port")
    p.add_argument("milliseconds")

    p = add("import", "copy the keys of a standalone Redis into the cluster (MIGRATE from the source)")
    p.add_argument("address", nargs="+", metavar="host:port")
    p.add_argument("--from", "--cluster-from", dest="from_", metavar="HOST:PORT", required=True)
    p.add_argument("--from-user", "--cluster-from-user", metavar="USER")
    p.add_argument("--from-pass", "--cluster-from-pass", metavar="PASSWORD")
    p.add_argument("--from-askpass", "--cluster-from-askpass", action="store_true")
    p.add_argument("--copy", "--cluster-copy", action="store_true", help="leave the keys on the source")
    p.add_argument("--replace", "--cluster-replace", action="store_true", help="overwrite existing keys")
    p.add_argument("--timeout", "--cluster-timeout", type=int, default=MIGRATE_TIMEOUT, metavar="MS")

    p = add("backup", "save nodes.json and an RDB of every master (fetched with SYNC) into a directory")
    p.add_argument("address", metavar="host:port")
    p.add_argument("directory")

    # -- the local cluster ------------------------------------------------------------------------------------
    p = add("start", "start a ready local cluster (nodes as daemons, cluster created, state ok)")
    p.add_argument("--masters", type=int, default=3)
    p.add_argument("--replicas", type=int, default=1, help="replicas per master (default 1)")
    p.add_argument("--port", type=int, default=7000, help="first port; nodes use PORT, PORT+1, ... (default 7000)")
    p.add_argument("--dir", help="where configs, data, pidfiles, logs and the state file go (default: data/, "
                                 "with conf/<port>.conf when those files match the ports)")
    p.add_argument("--host", nargs="+", action="extend", metavar="ADDR",
                   help="loopback addresses to spread the nodes over, e.g. 127.0.0.1 127.0.0.2 127.0.0.3")
    p.add_argument("--node-timeout", type=int, metavar="MS", help="cluster-node-timeout (default 5000)")
    p.add_argument("--server", metavar="CMD", help="node program (default: pyredis-server; e.g. redis-server)")
    p.add_argument("--no-conf", action="store_true", help="write configs even when conf/ matches the ports")
    p.add_argument("--admin-commands", action="store_true",
                   help="run the nodes with pyredis-admin-commands yes (PYREDIS FAULT ..., pyredis-cluster fault)")
    p.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                   help="how long to wait for the nodes and for cluster_state:ok (default 60)")

    p = add("stop", "stop the local cluster's nodes (SIGTERM by pidfile)")
    p.add_argument("--dir", help="the --dir given to start (default data/)")
    p = add("status", "a table of the local nodes: roles, slots, state (exit 0 when every running node is ok "
                      "and every slot's master runs)")
    p.add_argument("--dir", help="the --dir given to start (default data/)")
    p.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                   help="first wait (up to SECONDS) until the cluster is usable again, e.g. after a failover")
    p.add_argument("--until", choices=("ok", "fail"), default="ok",
                   help="with --wait: wait for 'ok' (the default) or for cluster_state:fail everywhere")
    for name, help_ in (("restart", "restart one node of the local cluster"),
                        ("kill", "kill one node of the local cluster with SIGKILL"),
                        ("logs", "show the log of one node of the local cluster")):
        p = add(name, help_)
        p.add_argument("node", metavar="NODE", help="port or host:port")
        p.add_argument("--dir", help="the --dir given to start (default data/)")
        if name == "restart":
            p.add_argument("--wait", type=float, default=30.0, metavar="SECONDS")
        if name == "logs":
            p.add_argument("-n", "--lines", type=int, default=50, help="last N lines (0: all; default 50)")
            p.add_argument("-f", "--follow", action="store_true")
    add("help", "show this help")
    return parser


MANAGER_COMMANDS = {"create", "check", "info", "fix", "reshard", "rebalance", "add-node", "del-node", "call",
                    "set-timeout", "import", "backup"}
LOCAL_COMMANDS = {"start", "stop", "status", "restart", "kill", "logs"}
CALL_FLAGS = {"--only-masters", "--cluster-only-masters", "--only-replicas", "--cluster-only-replicas", "--json"}


def options_from_args(a) -> Options:
    o = Options()
    for name in ("replicas", "yes", "from_", "to", "slots", "timeout", "pipeline", "replace", "use_empty_masters",
                 "threshold", "simulate", "replica", "master_id", "search_multiple_owners",
                 "fix_with_unreachable_masters", "only_masters", "only_replicas", "copy", "from_user", "from_pass",
                 "user", "password", "verbose"):
        if hasattr(a, name):
            setattr(o, name, getattr(a, name))
    o.weights = getattr(a, "weight", []) or []
    if getattr(a, "askpass", False):
        o.password = getpass.getpass("Please input password: ")
    if getattr(a, "from_askpass", False):
        o.from_pass = getpass.getpass("Please input import source node password: ")
    return o


def run_manager(a, rep: Reporter) -> int:
    mgr = ClusterManager(options_from_args(a), rep)
    c = a.command
    try:
        if c == "create":
            ok = mgr.cmd_create(a.addresses)
        elif c == "check":
            ok = mgr.cmd_check(a.address)
        elif c == "info":
            ok = mgr.cmd_info(a.address)
        elif c == "fix":
            ok = mgr.cmd_fix(a.address)
        elif c == "reshard":
            ok = mgr.cmd_reshard(a.address)
        elif c == "rebalance":
            ok = mgr.cmd_rebalance(a.address)
        elif c == "add-node":
            ok = mgr.cmd_add_node(a.new, a.existing)
        elif c == "del-node":
            ok = mgr.cmd_del_node(a.address, a.node_id)
        elif c == "call":
            if not a.argv:
                rep.write("[ERR] call: no command given\n", "err")
                return 2
            ok = mgr.cmd_call(a.address, a.argv)
        elif c == "set-timeout":
            ok = mgr.cmd_set_timeout(a.address, a.milliseconds)
        elif c == "import":
            ok = mgr.cmd_import(a.address)
        elif c == "backup":
            ok = mgr.cmd_backup(a.address, a.directory)
        else:  # pragma: no cover - argparse only lets known commands through
            return 2
    except ManagerAbort:
        ok = False
    except KeyboardInterrupt:
        rep.err("\n*** Interrupted")
        ok = False
    finally:
        mgr.close()
    if rep.json_mode:
        result = {"command": c, "ok": bool(ok)}
        result.update(mgr.result)
        result["problems"] = list(rep.errors)  # what check found (cluster_manager.errors)
        result["errors"] = [line["text"] for line in rep.log if line["level"] == "err"]
        result["warnings"] = [line["text"] for line in rep.log if line["level"] == "warn"]
        emit_json(result)
    return 0 if ok else 1


def run_local(a, rep: Reporter) -> int:
    from . import local

    fn = {"start": local.cmd_start, "stop": local.cmd_stop, "status": local.cmd_status,
          "restart": local.cmd_restart, "kill": local.cmd_kill, "logs": local.cmd_logs}[a.command]
    try:
        return fn(a, rep)
    except local.LocalError as e:
        rep.err("[ERR] %s" % e)
        return 2


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "fault":  # fault injection for tests: cli/fault.py (docs/testing.md)
        from .fault import main as fault_main

        return fault_main(args[1:])
    if args and args[0] == "dashboard":  # the live web dashboard and scenario replays: cli/dashboard.py
        from .dashboard import main as dashboard_main

        return dashboard_main(args[1:])
    if args and args[0] == "events":  # the nodes' event logs (PYREDIS EVENTS): cli/dashboard.py
        from .dashboard import events_main

        return events_main(args[1:])
    parser = build_parser()
    if not args or args[0] in ("-h", "--help", "help"):
        parser.print_help()
        return 0
    try:
        a = parser.parse_args(args)
    except SystemExit as e:
        return int(e.code or 0)
    if a.command == "call":  # options between host:port and the command
        while a.argv and a.argv[0] in CALL_FLAGS:
            flag = a.argv.pop(0)
            if flag == "--json":
                a.json = True
            elif "masters" in flag:
                a.only_masters = True
            else:
                a.only_replicas = True
    rep = Reporter(json_mode=getattr(a, "json", False))
    if a.command in MANAGER_COMMANDS:
        return run_manager(a, rep)
    if a.command in LOCAL_COMMANDS:
        return run_local(a, rep)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
