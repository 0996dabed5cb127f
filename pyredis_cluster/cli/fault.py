"""``pyredis-cluster fault ...``: break a running cluster on purpose, from the shell.

Every node must run with ``pyredis-admin-commands yes``; this tool only sends the ``PYREDIS FAULT``
and ``PYREDIS EVENTS`` commands (docs/testing.md), so anything it does can be done with redis-cli too.
A node is named by ``host:port``, by its node id, or by an unambiguous prefix of the id; a group is a
comma-separated list of nodes.

    pyredis-cluster fault partition 127.0.0.1:7000 7000,7003 7001,7002,7004,7005
    pyredis-cluster fault cut 127.0.0.1:7000 127.0.0.1:7000 127.0.0.1:7001 --one-way
    pyredis-cluster fault delay 127.0.0.1:7000 127.0.0.1:7000 127.0.0.1:7001 500
    pyredis-cluster fault heal 127.0.0.1:7000
    pyredis-cluster fault inject 127.0.0.1:7000 866 TRYAGAIN --count 3
    pyredis-cluster fault inject 127.0.0.1:7000 user:42 MOVED --key
    pyredis-cluster fault clients 127.0.0.1:7001 drop --seconds 10
    pyredis-cluster fault pause 127.0.0.1:7001 5000
    pyredis-cluster fault list 127.0.0.1:7000
    pyredis-cluster fault events 127.0.0.1:7000 --count 50 --kind election-won
"""

from __future__ import annotations

import argparse
import socket
import sys

import hiredis


class FaultError(Exception):
    pass


class _Conn:
    def __init__(self, host: str, port: int, timeout: float = 5.0):
        self.addr = "%s:%d" % (host, port)
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as e:
            raise FaultError("Could not connect to %s: %s" % (self.addr, e.strerror or e)) from None
        self.reader = hiredis.Reader()

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        while True:
            r = self.reader.gets()
            if r is not False:
                break
            data = self.sock.recv(65536)
            if not data:
                raise FaultError("%s closed the connection" % self.addr)
            self.reader.feed(data)
        if isinstance(r, hiredis.ReplyError):
            raise FaultError("%s: %s" % (self.addr, r))
        return r

    def close(self) -> None:
        self.sock.close()


def _addr(s: str):
    host, _, port = s.rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError:
        raise FaultError("bad address %r (host:port)" % s) from None


class Cluster:
    """The nodes of a running cluster, discovered from one of them (CLUSTER NODES)."""

    def __init__(self, seed: str):
        host, port = _addr(seed)
        c = _Conn(host, port)
        try:
            text = c.call("CLUSTER", "NODES").decode()
        finally:
            c.close()
        self.nodes = []  # (id, host, port, flags)
        for line in text.strip().split("\n"):
            f = line.split(" ")
            addr = f[1].split(",")[0]
            h, _, ports = addr.rpartition(":")
            self.nodes.append((f[0], h or host, int(ports.split("@")[0]), f[2]))
        self._conns: dict = {}

    def find(self, name: str):
        for n in self.nodes:
            if name in ("%s:%d" % (n[1], n[2]), n[0], str(n[2])):
                return n
        found = [n for n in self.nodes if len(name) >= 4 and n[0].startswith(name)]
        if len(found) == 1:
            return found[0]
        raise FaultError("no single node matches %r" % name)

    def group(self, spec: str) -> list:
        return [self.find(x) for x in spec.split(",") if x]

    def call(self, node, *args):
        c = self._conns.get(node[0])
        if c is None:
            c = self._conns[node[0]] = _Conn(node[1], node[2])
        return c.call(*args)

    def running(self) -> list:
        return [n for n in self.nodes if "fail" not in n[3].split(",") and "noaddr" not in n[3]]

    def close(self) -> None:
        for c in self._conns.values():
            c.close()


def _cut(cl: Cluster, src: list, dst: list, one_way: bool) -> None:
    for x in src:
        cl.call(x, "PYREDIS", "FAULT", "PARTITION", "OUT", *[y[0] for y in dst])
    for y in dst:
        cl.call(y, "PYREDIS", "FAULT", "PARTITION", "IN", *[x[0] for x in src])
    if not one_way:
        _cut(cl, dst, src, True)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyredis-cluster fault", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("partition", help="split the cluster bus into groups (nodes in no group form one more)")
    s.add_argument("seed")
    s.add_argument("groups", nargs="+")
    s = sub.add_parser("cut", help="drop bus messages between two groups of nodes")
    s.add_argument("seed")
    s.add_argument("src")
    s.add_argument("dst")
    s.add_argument("--one-way", action="store_true", help="only from src to dst")
    s = sub.add_parser("delay", help="delay bus messages between two groups of nodes")
    s.add_argument("seed")
    s.add_argument("src")
    s.add_argument("dst")
    s.add_argument("ms", type=int)
    s.add_argument("--one-way", action="store_true", help="only from src to dst")
    s = sub.add_parser("heal", help="lift the faults (all, on every node; or the bus faults between two groups)")
    s.add_argument("seed")
    s.add_argument("src", nargs="?")
    s.add_argument("dst", nargs="?")
    s = sub.add_parser("inject", help="scripted errors for the next commands on a slot or key of one node")
    s.add_argument("node")
    s.add_argument("where", help="a slot number, or a key with --key")
    s.add_argument("reply", type=str.upper, choices=("MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "LOADING"))
    s.add_argument("--key", action="store_true", help="WHERE is a key (default: a slot if it is a number)")
    s.add_argument("--count", type=int, default=1, help="how many commands (-1: until healed; default 1)")
    s.add_argument("--to", help="MOVED/ASK target host:port (default: the slot's owner)")
    s = sub.add_parser("clients", help="isolate one node from its clients (the bus keeps working)")
    s.add_argument("node")
    s.add_argument("mode", type=str.lower, choices=("drop", "refuse", "allow"))
    s.add_argument("--seconds", type=int, default=0)
    s = sub.add_parser("pause", help="freeze one node for MS milliseconds (as SIGSTOP would)")
    s.add_argument("node")
    s.add_argument("ms", type=int)
    s = sub.add_parser("list", help="the faults in force on every node")
    s.add_argument("seed")
    s = sub.add_parser("events", help="the event log of every node, merged in time order")
    s.add_argument("seed")
    s.add_argument("--count", type=int, default=100, help="last N events per node (default 100)")
    s.add_argument("--kind", help="only this kind (pfail, fail, election-won, role, slots, fault ...)")
    return p


def run(a, out) -> int:
    if a.what in ("inject", "clients", "pause"):
        host, port = _addr(a.node)
        c = _Conn(host, port)
        try:
            if a.what == "inject":
                where = ["KEY", a.where] if a.key or not a.where.isdigit() else [a.where]
                args = ["INJECT", *where, a.reply, "COUNT", a.count] + (["TO", a.to] if a.to else [])
            elif a.what == "clients":
                args = ["CLIENTS", a.mode.upper()] + ([a.seconds] if a.seconds else [])
            else:
                args = ["PAUSE", a.ms]
            c.call("PYREDIS", "FAULT", *args)
        finally:
            c.close()
        print("OK", file=out)
        return 0
    cl = Cluster(a.seed)
    try:
        if a.what == "partition":
            groups = [cl.group(g) for g in a.groups]
            listed = {n[0] for g in groups for n in g}
            rest = [n for n in cl.nodes if n[0] not in listed]
            if rest:
                groups.append(rest)
            for i, g in enumerate(groups):
                others = [n for j, h in enumerate(groups) if j != i for n in h]
                for x in g:
                    if others:
                        cl.call(x, "PYREDIS", "FAULT", "PARTITION", "BOTH", *[y[0] for y in others])
        elif a.what == "cut":
            _cut(cl, cl.group(a.src), cl.group(a.dst), a.one_way)
        elif a.what == "delay":
            src, dst = cl.group(a.src), cl.group(a.dst)
            for x in src:
                cl.call(x, "PYREDIS", "FAULT", "DELAY", "OUT", a.ms, *[y[0] for y in dst])
            if not a.one_way:
                for y in dst:
                    cl.call(y, "PYREDIS", "FAULT", "DELAY", "OUT", a.ms, *[x[0] for x in src])
        elif a.what == "heal":
            if a.src and a.dst:
                src, dst = cl.group(a.src), cl.group(a.dst)
                for x in src:
                    cl.call(x, "PYREDIS", "FAULT", "HEAL", *[y[0] for y in dst])
                for y in dst:
                    cl.call(y, "PYREDIS", "FAULT", "HEAL", *[x[0] for x in src])
            else:
                for n in cl.running():
                    cl.call(n, "PYREDIS", "FAULT", "HEAL", "ALL")
        elif a.what == "list":
            for n in cl.running():
                lines = cl.call(n, "PYREDIS", "FAULT", "LIST")
                print("%s:%d (%s) %s" % (n[1], n[2], n[0][:8], "none" if not lines else ""), file=out)
                for line in lines:
                    print("    " + (line.decode() if isinstance(line, bytes) else str(line)), file=out)
            return 0
        elif a.what == "events":
            evs = []
            for n in cl.running():
                for t, k, about, txt in cl.call(n, "PYREDIS", "EVENTS", a.count):
                    k = k.decode()
                    if a.kind is None or k == a.kind:
                        evs.append((t, "%s:%d" % (n[1], n[2]), k, txt.decode("utf-8", "replace")))
            for t, who, k, txt in sorted(evs):
                print("%d.%03d %s %-18s %s" % (t // 1000, t % 1000, who, k, txt), file=out)
            return 0
    finally:
        cl.close()
    print("OK", file=out)
    return 0


def main(argv=None, out=None) -> int:
    out = out or sys.stdout
    args = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        a = parser.parse_args(args)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        return run(a, out)
    except FaultError as e:
        print("[ERR] %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("[ERR] %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
