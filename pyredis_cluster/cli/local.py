"""A ready local cluster in one command: ``pyredis-cluster start | stop | status | restart | kill | logs``.

``start`` does what the Redis Cluster tutorial (and Redis's ``utils/create-cluster``) does by hand:

1. pick the nodes: ``--masters`` x (1 + ``--replicas``) nodes on ports ``--port``, ``--port``+1, ...,
   spread round-robin over the ``--host`` addresses (several loopback addresses such as 127.0.0.2 and
   127.0.0.3 play "several hosts": each node binds to its own address);
2. configure them: ``conf/<port>.conf`` when the repository's files match (the default 7000-7005), else a
   generated redis.conf per node under ``--dir`` (``DIR/<port>/redis.conf``, data beside it);
3. start them as daemons (``daemonize yes`` + pidfile + logfile), wait until each answers PING;
4. create the cluster with the manager (:meth:`ClusterManager.cmd_create`: slots, config epochs, MEET,
   REPLICATE), unless the nodes already form one (a restart: their nodes.conf remembers it);
5. wait for ``cluster_state:ok`` on every node and print the addresses.

What was started is recorded in ``DIR/pyredis-cluster.json`` (DIR = ``--dir``, default ``data``), which
the other commands read: ``stop`` (SIGTERM by pidfile), ``status`` (a table of nodes, roles, slots,
state), ``restart NODE``, ``kill NODE`` (SIGKILL, to watch a failover), ``logs NODE``.  NODE is a port or
``host:port``.  Processes are only ever signalled by the PID in their pidfile, after checking that the
PID still belongs to that node.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time

from .manager import ClusterManager, Options
from .nodes import Link, ReplyError, info_field, text
from .output import Reporter, emit_json

STATE_FILE = "pyredis-cluster.json"
DEFAULT_DIR = "data"
DEFAULT_NODE_TIMEOUT = 5000

CONFIG_TEMPLATE = """\
# Written by `pyredis-cluster start` for node {host}:{port} of a local cluster.
# The node runs as `{server} <this file> --daemonize yes --pidfile ... --logfile ...`.
port {port}
bind {host}
protected-mode yes
dir {dir}
cluster-enabled yes
cluster-config-file nodes-{port}.conf
cluster-node-timeout {node_timeout}
{announce}appendonly yes
save 3600 1 300 100 60 10000
dbfilename dump.rdb
repl-diskless-sync-delay 0
"""


class LocalError(Exception):
    pass


def server_command(server: str | None) -> list:
    """The node program: ours from this very Python installation by default, or any redis-server."""
    if not server or server == "pyredis-server":
        return [sys.executable, "-m", "pyredis_cluster.cli.server_main"]
    return shlex.split(server)


def port_free(host: str, port: int) -> bool:
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def conf_dir_setting(path: str) -> str | None:
    """The last ``dir`` directive of a redis.conf file (relative to the directory the node starts in)."""
    value = None
    with open(path) as f:
        for line in f:
            parts = line.strip().split(None, 1)
            if len(parts) == 2 and parts[0].lower() == "dir":
                value = parts[1].strip().strip('"').strip("'")
    return value


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (our own child not yet reaped) is gone for our purposes
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class LocalNode:
    """One node of the local cluster as recorded in the state file."""

    def __init__(self, d: dict):
        self.host = d["host"]
        self.port = d["port"]
        self.dir = d["dir"]
        self.config = d["config"]
        self.pidfile = d["pidfile"]
        self.logfile = d["logfile"]
        self.argv = d["argv"]
        self.cwd = d["cwd"]

    def to_dict(self) -> dict:
        return {"host": self.host, "port": self.port, "dir": self.dir, "config": self.config,
                "pidfile": self.pidfile, "logfile": self.logfile, "argv": self.argv, "cwd": self.cwd}

    @property
    def addr(self) -> str:
        return "%s:%d" % (self.host, self.port)

    def pid(self) -> int | None:
        """The PID in the pidfile if that process is alive and is this node."""
        try:
            with open(self.pidfile) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            return None
        if pid <= 0 or not pid_alive(pid):
            return None
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return pid  # no /proc: trust the pidfile
        if self.config in cmdline or ":%d" % self.port in cmdline or str(self.port) in cmdline:
            return pid
        return None  # the PID was recycled by another process

    def link(self, timeout: float = 2.0) -> Link | None:
        link = Link(self.host, self.port, io_timeout=timeout, connect_timeout=timeout)
        try:
            link.connect()
        except Exception:
            return None
        return link

    def ping(self) -> bool:
        link = self.link(0.5)
        if link is None:
            return False
        try:
            r = link.call("PING")
            return not isinstance(r, ReplyError)
        finally:
            link.close()

    def call(self, *args, timeout: float = 2.0):
        link = self.link(timeout)
        if link is None:
            return ReplyError("I/O error: connection refused", io=True)
        try:
            return link.call(*args)
        finally:
            link.close()

    def spawn(self) -> None:
        """Start the node (it daemonizes itself; the pidfile says when it listens)."""
        os.makedirs(self.dir, exist_ok=True)
        try:
            os.unlink(self.pidfile)
        except FileNotFoundError:
            pass
        with open(os.devnull, "rb") as devnull, open(self.logfile, "ab") as log:
            proc = subprocess.Popen(self.argv, cwd=self.cwd, stdin=devnull, stdout=log,
                                                  stderr=log, start_new_session=True)
        self._launcher = proc

    def reap_launcher(self) -> None:
        proc = getattr(self, "_launcher", None)
        if proc is not None and proc.poll() is None:
            try:
                proc.wait(0.05)
            except Exception:
                pass

    def wait_up(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.reap_launcher()
            if self.pid() is not None and self.ping():
                return True
            time.sleep(0.1)
        return False

    def stop(self, sig=signal.SIGTERM, timeout: float = 15.0) -> int | None:
        """Signal the node by its pidfile and wait until it is gone; SIGKILL if SIGTERM is not enough.
        Returns the PID signalled (None if it was not running)."""
        pid = self.pid()
        if pid is None:
            return None
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return pid
        deadline = time.monotonic() + timeout
        while pid_alive(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
            time.sleep(0.05)
        if sig == signal.SIGKILL:  # nothing removes the pidfile of a killed node
            try:
                os.unlink(self.pidfile)
            except OSError:
                pass
        return pid

    def log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.logfile, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class LocalCluster:
    """The nodes recorded in ``DIR/pyredis-cluster.json``."""

    def __init__(self, directory: str):
        self.dir = os.path.abspath(directory)
        self.state_path = os.path.join(self.dir, STATE_FILE)
        self.nodes: list[LocalNode] = []
        self.info: dict = {}

    def load(self) -> "LocalCluster":
        try:
            with open(self.state_path) as f:
                self.info = json.load(f)
        except FileNotFoundError:
            raise LocalError("no local cluster was started with --dir %s (no %s)" % (self.dir, self.state_path))
        self.nodes = [LocalNode(d) for d in self.info["nodes"]]
        return self

    def save(self) -> None:
        os.makedirs(self.dir, exist_ok=True)
        data = dict(self.info, nodes=[n.to_dict() for n in self.nodes])
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, self.state_path)

    def find(self, spec: str) -> LocalNode:
        for n in self.nodes:
            if spec in (str(n.port), n.addr):
                return n
        raise LocalError("no node %s in this cluster (nodes: %s)" % (spec, ", ".join(n.addr for n in self.nodes)))


# -- start --------------------------------------------------------------------------------------------------------


def plan_nodes(args, rep: Reporter) -> tuple:
    """The LocalNodes ``start`` will run, and whether they use the repository's conf/ files."""
    hosts = args.host or ["127.0.0.1"]
    count = args.masters * (1 + args.replicas)
    ports = [args.port + i for i in range(count)]
    cwd = os.getcwd()
    server = server_command(args.server)
    conf_files = [os.path.join(cwd, "conf", "%d.conf" % p) for p in ports]
    use_conf = (args.dir is None and hosts == ["127.0.0.1"] and not args.no_conf
                and all(os.path.isfile(c) for c in conf_files))
    directory = os.path.abspath(args.dir or DEFAULT_DIR)
    nodes = []
    for i, port in enumerate(ports):
        host = hosts[i % len(hosts)]
        if use_conf:
            conf = conf_files[i]
            node_dir = os.path.abspath(os.path.join(cwd, conf_dir_setting(conf) or "."))
        else:
            node_dir = os.path.join(directory, str(port))
            conf = os.path.join(node_dir, "redis.conf")
        pidfile = os.path.join(node_dir, "redis_%d.pid" % port)
        logfile = os.path.join(node_dir, "redis_%d.log" % port)
        argv = server + [conf, "--daemonize", "yes", "--pidfile", pidfile, "--logfile", logfile]
        if use_conf and args.node_timeout is not None:
            argv += ["--cluster-node-timeout", str(args.node_timeout)]
        if getattr(args, "admin_commands", False):
            argv += ["--pyredis-admin-commands", "yes"]
        nodes.append(LocalNode({"host": host, "port": port, "dir": node_dir, "config": conf, "pidfile": pidfile,
                                "logfile": logfile, "argv": argv, "cwd": cwd}))
    return nodes, use_conf, directory


def write_config(node: LocalNode, args, several_hosts: bool) -> None:
    os.makedirs(node.dir, exist_ok=True)
    # with several loopback "hosts" each node announces its own address, so that peers reach it there
    # whatever source address its outgoing bus connections use
    announce = ("cluster-announce-ip {0}\nreplica-announce-ip {0}\n".format(node.host) if several_hosts else "")
    body = CONFIG_TEMPLATE.format(host=node.host, port=node.port, dir=node.dir, announce=announce,
                                  node_timeout=args.node_timeout or DEFAULT_NODE_TIMEOUT,
                                  server=os.path.basename(node.argv[0]))
    with open(node.config, "w") as f:
        f.write(body)


def wait_cluster_ok(nodes: list, timeout: float) -> list:
    """Poll CLUSTER INFO until every node says cluster_state:ok; returns the nodes that did not."""
    deadline = time.monotonic() + timeout
    pending = list(nodes)
    while pending and time.monotonic() < deadline:
        still = []
        for n in pending:
            r = n.call("CLUSTER", "INFO")
            if isinstance(r, ReplyError) or "cluster_state:ok\r\n" not in text(r):
                still.append(n)
        pending = still
        if pending:
            time.sleep(0.2)
    return pending


def topology(node: LocalNode):
    """(id, role, master id) of every node in ``node``'s CLUSTER NODES, or None if it is unreachable or
    some entry is still in handshake / flagged failing."""
    r = node.call("CLUSTER", "NODES")
    if isinstance(r, ReplyError):
        return None
    out = []
    for line in text(r).split("\n"):
        f = line.split(" ")
        if len(f) < 8:
            continue
        flags = f[2].split(",")
        if "handshake" in flags or "fail" in flags or "fail?" in flags or "noaddr" in flags:
            return None
        out.append((f[0], "replica" if "slave" in flags else "master", f[3]))
    return sorted(out)


def wait_settled(nodes: list, timeout: float) -> bool:
    """Wait until every node lists the same nodes with the same roles (a REPLICATE reaches the others
    through gossip, a moment after cluster_state:ok)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        views = [topology(n) for n in nodes]
        if views[0] is not None and len(views[0]) == len(nodes) and all(v == views[0] for v in views):
            return True
        time.sleep(0.2)
    return False


def preflight(args, rep: Reporter) -> bool:
    """Our node program fails after daemonizing (stderr already /dev/null) if it cannot even be imported:
    try the import in the foreground first, so the reason is shown."""
    if args.server and args.server != "pyredis-server":
        return True
    res = subprocess.run([sys.executable, "-c", "import pyredis_cluster.server.node"], capture_output=True,
                         text=True)
    if res.returncode != 0:
        rep.err("[ERR] pyredis-server cannot start:\n%s" % res.stderr.strip())
        return False
    return True


def cmd_start(args, rep: Reporter) -> int:
    if args.masters < 3:
        rep.err("[ERR] A Redis Cluster needs at least 3 masters (--masters %d)." % args.masters)
        return 1
    if args.replicas < 0:
        rep.err("[ERR] --replicas must be 0 or more.")
        return 1
    if getattr(args, "admin_commands", False) and args.server and os.path.basename(args.server.split()[0]) \
            != "pyredis-server":
        rep.err("[ERR] --admin-commands needs pyredis-server nodes (%s has no PYREDIS command)." % args.server)
        return 1
    nodes, use_conf, directory = plan_nodes(args, rep)
    cluster = LocalCluster(directory)
    if os.path.exists(cluster.state_path):
        try:
            running = [n for n in LocalCluster(directory).load().nodes if n.pid() is not None]
        except (LocalError, ValueError, KeyError):
            running = []
        if running:
            rep.err("[ERR] A cluster started from %s is already running (%s). Stop it first: %s"
                    % (directory, ", ".join(n.addr for n in running), hint_command("stop", args)))
            return 1
    busy = [(n.host, p) for n in nodes for p in (n.port, n.port + 10000) if not port_free(n.host, p)]
    if busy:
        rep.err("[ERR] Ports in use: %s. Pick another base port with --port." % ", ".join("%s:%d" % b for b in busy))
        return 1
    several_hosts = len(set(n.host for n in nodes)) > 1
    rep.info(">>> Starting %d nodes (%d masters, %d replica(s) each)%s" % (
        len(nodes), args.masters, args.replicas, " from conf/" if use_conf else " in %s" % directory))
    cluster.nodes = nodes
    cluster.info = {"version": 1, "masters": args.masters, "replicas": args.replicas,
                    "conf": use_conf, "created": time.strftime("%Y-%m-%d %H:%M:%S")}
    for n in nodes:
        if not use_conf:
            write_config(n, args, several_hosts)
        else:
            os.makedirs(n.dir, exist_ok=True)
    if not preflight(args, rep):
        return 1
    cluster.save()
    for n in nodes:
        n.spawn()
    deadline = time.monotonic() + args.wait
    failed = [n for n in nodes if not n.wait_up(max(deadline - time.monotonic(), 0.5))]
    for n in nodes:
        n.reap_launcher()
    if failed:
        for n in failed:
            rep.err("[ERR] Node %s did not start. Last lines of %s:\n%s" % (n.addr, n.logfile, n.log_tail()))
        for n in nodes:
            n.stop()
        return 1
    for n in nodes:
        rep.out("  %-22s pid %-7d config %s" % (n.addr, n.pid() or 0, display_path(n.config)))
    # empty nodes -> create the cluster; nodes that know each other -> it exists already (a restart)
    known = []
    for n in nodes:
        r = n.call("CLUSTER", "INFO")
        if isinstance(r, ReplyError):
            rep.err("[ERR] %s: %s" % (n.addr, r))
            return 1
        known.append(info_field(text(r), "cluster_known_nodes"))
    if all(k == 1 for k in known):
        opts = Options(replicas=args.replicas, yes=True)
        mgr = ClusterManager(opts, rep)
        try:
            ok = mgr.cmd_create([n.addr for n in nodes])
        finally:
            mgr.close()
        if not ok:
            rep.err("[ERR] Creating the cluster failed; the nodes are still running (%s)."
                    % hint_command("stop", args))
            return 1
    elif all(k == len(nodes) for k in known):
        rep.info(">>> The nodes already form a cluster (their nodes-<port>.conf remember it): not creating it again")
    else:
        rep.err("[ERR] Some nodes already belong to a cluster and others do not (cluster_known_nodes: %s). "
                "Remove the nodes' files (nodes-<port>.conf, appendonlydir, dump.rdb) under %s, or pick another "
                "--dir / --port." % (", ".join(map(str, known)), directory))
        return 1
    rep.info(">>> Waiting for cluster_state:ok on every node, and for every node to know every role")
    pending = wait_cluster_ok(nodes, args.wait)
    if pending:
        rep.err("[ERR] cluster_state is not ok on %s after %ds." % (", ".join(n.addr for n in pending), args.wait))
        return 1
    if not wait_settled(nodes, args.wait):
        rep.err("[ERR] The nodes do not agree about who replicates whom after %ds." % args.wait)
        return 1
    rep.ok("[OK] Cluster ready: cluster_state:ok on all %d nodes." % len(nodes))
    rows = status_rows(cluster)
    print_status(rows, rep)
    first = nodes[0]
    host_opt = "" if first.host == "127.0.0.1" else "-h %s " % first.host
    rep.out("")
    rep.out("Connect:  redis-cli -c %s-p %d" % (host_opt, first.port))
    rep.out("Status:   %s" % hint_command("status", args))
    rep.out("Stop:     %s" % hint_command("stop", args))
    rep.out("Logs:     %s" % hint_command("logs %d" % first.port, args))
    if rep.json_mode:
        emit_json({"command": "start", "ok": True, "dir": directory, "nodes": rows})
    return 0


def display_path(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def hint_command(what: str, args) -> str:
    d = getattr(args, "dir", None)
    return "pyredis-cluster %s%s" % (what, " --dir %s" % shlex.quote(d) if d else "")


# -- status -------------------------------------------------------------------------------------------------------


def _slots_of(fields: list) -> tuple:
    """(``"0-5460 7000"``, count) from the slot tokens of a CLUSTER NODES line (open-slot markers left out)."""
    slots = [t for t in fields[8:] if t and not t.startswith("[")]
    count = 0
    for t in slots:
        a, _, b = t.partition("-")
        count += (int(b) if b else int(a)) - int(a) + 1
    return " ".join(slots), count


def status_rows(cluster: LocalCluster) -> list:
    """What every node says about itself (role, slots, cluster_state, keys) and what the others say
    about the nodes that are down (e.g. ``master,fail``)."""
    rows, views = [], {}
    for n in cluster.nodes:
        row = {"address": n.addr, "host": n.host, "port": n.port, "pid": n.pid(), "up": False, "id": None,
               "role": None, "state": None, "slots": "", "slots_count": 0, "keys": None, "master": None,
               "flags": ""}
        nodes_reply = n.call("CLUSTER", "NODES")
        if not isinstance(nodes_reply, ReplyError):
            row["up"] = True
            for line in text(nodes_reply).split("\n"):
                f = line.split(" ")
                if len(f) < 8:
                    continue
                views.setdefault(f[1].split("@")[0].split(",")[0], f)
                if "myself" in f[2]:
                    row["id"] = f[0]
                    row["role"] = "replica" if "slave" in f[2] else "master"
                    row["flags"] = f[2]
                    row["master"] = None if f[3] == "-" else f[3]
                    row["slots"], row["slots_count"] = _slots_of(f)
            info = n.call("CLUSTER", "INFO")
            if not isinstance(info, ReplyError):
                t = text(info)
                row["state"] = t.split("cluster_state:", 1)[1].split("\r", 1)[0] if "cluster_state:" in t else None
            keys = n.call("DBSIZE")
            row["keys"] = keys if isinstance(keys, int) else None
        rows.append(row)
    for row in rows:
        if not row["up"]:
            seen = views.get(row["address"])
            if seen:
                row["id"] = seen[0]
                row["flags"] = seen[2]
                row["role"] = "replica" if "slave" in seen[2] else "master"
                row["master"] = None if seen[3] == "-" else seen[3]
                row["slots"], row["slots_count"] = _slots_of(seen)
    ids = {r["id"]: r["address"] for r in rows if r["id"]}
    for row in rows:
        if row["master"]:
            row["master_address"] = ids.get(row["master"], row["master"][:8])
    return rows


def healthy(rows: list) -> bool:
    """Usable: every running node says cluster_state:ok and no slot belongs to a master that is down
    (so after a master is killed this turns true once its replica has taken over)."""
    up = [r for r in rows if r["up"]]
    return bool(up) and all(r["state"] == "ok" for r in up) and \
        not any(not r["up"] and r["role"] == "master" and r["slots_count"] for r in rows)


def failed(rows: list) -> bool:
    """Every running node says cluster_state:fail (e.g. after a majority of masters was killed)."""
    up = [r for r in rows if r["up"]]
    return bool(up) and all(r["state"] == "fail" for r in up)


def print_status(rows: list, rep: Reporter) -> None:
    """The status table, columns sized to their content."""
    table = [("NODE", "PID", "ROLE", "STATE", "SLOTS", "#SLOTS", "KEYS", "REPLICATES", "FLAGS")]
    for r in rows:
        flags = ",".join(f for f in r["flags"].split(",") if f and f != "myself")
        table.append((r["address"], str(r["pid"] or "-"), r["role"] or "?",
                      (r["state"] or "?") if r["up"] else "down",
                      r["slots"] if r["up"] and r["slots"] else "-",
                      str(r["slots_count"]) if r["up"] else "-",
                      "-" if r["keys"] is None else str(r["keys"]),
                      r.get("master_address") or "-", flags or "-"))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        rep.out("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def cmd_status(args, rep: Reporter) -> int:
    cluster = LocalCluster(args.dir or DEFAULT_DIR).load()
    goal = failed if args.until == "fail" else healthy
    deadline = time.monotonic() + (args.wait or 0)
    rows = status_rows(cluster)
    if args.wait:
        rep.info(">>> Waiting up to %ds for %s" % (args.wait, "cluster_state:fail on every running node"
                                                   if args.until == "fail" else
                                                   "cluster_state:ok on every running node, every slot on a "
                                                   "running master"))
        while not goal(rows) and time.monotonic() < deadline:
            time.sleep(0.25)
            rows = status_rows(cluster)
    print_status(rows, rep)
    reached = goal(rows)
    if args.wait and not reached:
        rep.err("[ERR] Not reached within %ds." % args.wait)
    if rep.json_mode:
        emit_json({"command": "status", "ok": reached, "healthy": healthy(rows), "dir": cluster.dir, "nodes": rows})
    return 0 if reached else 1


# -- stop / kill / restart / logs --------------------------------------------------------------------------------


def cmd_stop(args, rep: Reporter) -> int:
    cluster = LocalCluster(args.dir or DEFAULT_DIR).load()
    stopped = []
    for n in cluster.nodes:
        pid = n.stop()
        if pid is None:
            rep.out("  %-22s not running" % n.addr)
        else:
            rep.out("  %-22s stopped (pid %d)" % (n.addr, pid))
            stopped.append(n.addr)
    rep.ok("[OK] %d node(s) stopped; their data stays in place (start again with the same options to resume)."
           % len(stopped))
    if rep.json_mode:
        emit_json({"command": "stop", "ok": True, "stopped": stopped})
    return 0


def cmd_kill(args, rep: Reporter) -> int:
    cluster = LocalCluster(args.dir or DEFAULT_DIR).load()
    node = cluster.find(args.node)
    pid = node.stop(signal.SIGKILL)
    if pid is None:
        rep.err("[ERR] %s is not running." % node.addr)
        return 1
    rep.ok("[OK] %s killed with SIGKILL (pid %d)." % (node.addr, pid))
    rep.out("Watch the cluster notice it (after cluster-node-timeout): %s" % hint_command("status", args))
    if rep.json_mode:
        emit_json({"command": "kill", "ok": True, "node": node.addr, "pid": pid})
    return 0


def cmd_restart(args, rep: Reporter) -> int:
    cluster = LocalCluster(args.dir or DEFAULT_DIR).load()
    node = cluster.find(args.node)
    pid = node.stop()
    if pid is not None:
        rep.out("  %-22s stopped (pid %d)" % (node.addr, pid))
    node.spawn()
    if not node.wait_up(args.wait):
        rep.err("[ERR] %s did not come back. Last lines of %s:\n%s" % (node.addr, node.logfile, node.log_tail()))
        return 1
    node.reap_launcher()
    rep.ok("[OK] %s is running again (pid %d); it rejoins the cluster from its nodes-%d.conf."
           % (node.addr, node.pid() or 0, node.port))
    if rep.json_mode:
        emit_json({"command": "restart", "ok": True, "node": node.addr, "pid": node.pid()})
    return 0


def cmd_logs(args, rep: Reporter) -> int:
    cluster = LocalCluster(args.dir or DEFAULT_DIR).load()
    node = cluster.find(args.node)
    try:
        f = open(node.logfile, errors="replace")
    except OSError as e:
        rep.err("[ERR] %s: %s" % (node.logfile, e.strerror))
        return 1
    with f:
        lines = f.readlines()
        out = sys.stdout
        out.write("".join(lines[-args.lines:] if args.lines > 0 else lines))
        out.flush()
        while args.follow:
            line = f.readline()
            if line:
                out.write(line)
                out.flush()
            else:
                time.sleep(0.2)
    return 0
