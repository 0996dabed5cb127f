"""``pyredis-cluster dashboard``: watch a cluster think, live in a browser, or replay a recorded scenario.

    pyredis-cluster dashboard                          # the local cluster on 127.0.0.1:7000, page on :8080
    pyredis-cluster dashboard 127.0.0.1:7000 --port 8080
    pyredis-cluster dashboard --replay failover.json   # a scenario recorded from the simulation

Live, the dashboard polls every node of the cluster (found from the seed's CLUSTER NODES, and followed as
nodes come and go) with what any Redis node answers -- CLUSTER NODES, CLUSTER INFO, INFO -- plus, on
nodes of ours, ``PYREDIS EVENTS`` (the node's own event log).  So it works against clusters of ours, of
redis-server, or mixed; for nodes without an event log it describes the changes it sees itself.
From the page a node on this machine can be killed (SIGKILL, like ``pyredis-cluster kill``) and a replica
told to fail over (CLUSTER FAILOVER), unless ``--read-only``.

A replay (``--replay``) is a file written by ``python -m pyredis_cluster.testing.recording``: the
deterministic simulation's nodes, frame by frame, with their event logs; the page shows it with the same
views, and can step, play, and stop at chosen kinds of events ("votes counted").

The page itself is static (``dashboard_static/``, no build step) and reads ``/api/...`` JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time

import hiredis

from ..cluster.actions import EVENT_KINDS
from .dashboard_model import build_snapshot, observed_events, parse_info

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboard_static")
MAX_EVENTS = 20_000
EVENTS_PER_POLL = 500
DASHBOARD_KINDS = {"reachable": "the dashboard reaches a node again",
                   "unreachable": "the dashboard cannot reach a node (killed, paused, or cut off)",
                   "action": "something done from the dashboard (kill, failover)"}


# -- a small asyncio RESP client (hiredis parses) ------------------------------------------------------------

class NodeConn:
    def __init__(self, host: str, port: int, user=None, password=None, timeout: float = 1.0):
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.timeout = timeout
        self.reader = self.writer = None
        self.parser = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
        self.parser = hiredis.Reader()
        if self.password:
            args = ["AUTH"] + ([self.user] if self.user else []) + [self.password]
            (r,) = await self.pipeline([args])
            if isinstance(r, Exception):
                raise ConnectionError("AUTH failed: %s" % r)

    async def pipeline(self, cmds: list) -> list:
        if self.writer is None:
            await self.connect()
        out = bytearray()
        for args in cmds:
            out += b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.writer.write(bytes(out))
        replies = []
        try:
            while len(replies) < len(cmds):
                r = self.parser.gets()
                if r is False:
                    data = await asyncio.wait_for(self.reader.read(1 << 16), self.timeout)
                    if not data:
                        raise ConnectionError("connection closed")
                    self.parser.feed(data)
                    continue
                replies.append(r)
        except BaseException:
            self.close()
            raise
        return replies

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _text(r) -> str:
    return r.decode("utf-8", "replace") if isinstance(r, bytes) else ""


def _is_error(r) -> bool:
    return isinstance(r, hiredis.ReplyError) or isinstance(r, Exception)


# -- live: polling the cluster -------------------------------------------------------------------------------

class _Tracked:
    """What the poller remembers about one node address."""

    def __init__(self, addr: str, conn: NodeConn):
        self.addr = addr
        self.conn = conn
        self.events_ok = None  # PYREDIS EVENTS answers? (None: not asked yet)
        self.last_event_time = -1
        self.last_event_keys: set = set()
        self.last_total = None  # (time, total_commands_processed)
        self.pid = None
        self.obs = None


class LiveSource:
    mode = "live"

    def __init__(self, seeds: list, interval: float = 0.5, user=None, password=None, timeout: float = 1.0):
        self.seeds = seeds
        self.interval = interval
        self.user, self.password = user, password
        self.timeout = timeout
        self.tracked: dict = {}
        for s in seeds:
            self._track(s)
        self.snapshot = None
        self.events: list = []
        self.seq = 0
        self.polls = 0
        self._task = None

    def _track(self, addr: str) -> None:
        if addr in self.tracked:
            return
        host, _, port = addr.rpartition(":")
        self.tracked[addr] = _Tracked(addr, NodeConn(host or "127.0.0.1", int(port), self.user, self.password,
                                                     self.timeout))

    def add_event(self, t: int, reporter: str, reporter_addr: str, kind: str, node: str, text: str) -> None:
        self.seq += 1
        self.events.append({"seq": self.seq, "time": t, "reporter": reporter, "reporter_addr": reporter_addr,
                            "kind": kind, "node": node, "text": text})
        if len(self.events) > MAX_EVENTS:
            del self.events[: MAX_EVENTS // 10]

    async def _poll_node(self, tr: _Tracked) -> dict:
        cmds = [["CLUSTER", "NODES"], ["CLUSTER", "INFO"], ["INFO", "server"], ["INFO", "replication"],
                ["INFO", "stats"]]
        if tr.events_ok is not False:
            cmds.append(["PYREDIS", "EVENTS", EVENTS_PER_POLL])
        t0 = time.time()
        try:
            replies = await tr.conn.pipeline(cmds)
        except (OSError, ConnectionError, asyncio.TimeoutError, hiredis.ProtocolError):
            tr.conn.close()
            tr.last_total = None
            return {"addr": tr.addr, "up": False}
        now = time.time()
        nodes, cinfo, server, repl, stats = replies[:5]
        if _is_error(nodes):  # not a cluster node, or LOADING ...
            return {"addr": tr.addr, "up": False, "error": str(nodes)}
        server_info = {}
        for r in (server, repl, stats):
            if not _is_error(r):
                server_info.update(parse_info(_text(r)))
        events = None
        if len(replies) > 5:
            ev = replies[5]
            if _is_error(ev):
                tr.events_ok = False
            else:
                tr.events_ok = True
                events = ev
        # ops/s: commands processed since the last poll, less the ones this dashboard sent
        ops = None
        total = server_info.get("total_commands_processed")
        if isinstance(total, int):
            if tr.last_total is not None and now > tr.last_total[0]:
                ops = max(0.0, (total - tr.last_total[1] - len(cmds)) / (now - tr.last_total[0]))
            tr.last_total = (now, total)
        tr.pid = server_info.get("process_id")
        return {"addr": tr.addr, "up": True, "nodes": _text(nodes),
                "info": {} if _is_error(cinfo) else parse_info(_text(cinfo)),
                "server": server_info, "ops": ops, "events": events, "impl": "pyredis" if tr.events_ok else "redis",
                "latency_ms": int((now - t0) * 1000)}

    async def poll_once(self) -> dict:
        tracked = list(self.tracked.values())
        obs = list(await asyncio.gather(*(self._poll_node(tr) for tr in tracked)))
        now = int(time.time() * 1000)
        for _ in range(3):
            snap = build_snapshot(obs, now)
            new = [n["addr"] for n in snap["nodes"] if n["port"] and n["addr"] not in self.tracked]
            if not new:
                break
            for addr in new:  # nodes the seed knows: poll them now, so the first picture is whole
                self._track(addr)
            more = [self.tracked[a] for a in new]
            tracked += more
            obs += await asyncio.gather(*(self._poll_node(tr) for tr in more))
        prev = self.snapshot
        ids_by_addr = {n["addr"]: n["id"] for n in snap["nodes"]}
        # the nodes' own event logs
        for tr, ob in zip(tracked, obs):
            tr.obs = ob
            evs = ob.get("events")
            if not evs:
                continue
            reporter = ids_by_addr.get(tr.addr, "")
            fresh = []
            for e in evs:
                t, kind, node, text = int(e[0]), _text(e[1]), _text(e[2]), _text(e[3])
                key = (kind, node, text)
                if t > tr.last_event_time or (t == tr.last_event_time and key not in tr.last_event_keys):
                    fresh.append((t, kind, node, text))
            for t, kind, node, text in fresh:
                self.add_event(t, reporter, tr.addr, kind, node, text)
                if t > tr.last_event_time:
                    tr.last_event_time = t
                    tr.last_event_keys = set()
                tr.last_event_keys.add((kind, node, text))
        # what the dashboard saw change (everything, for nodes without an event log)
        for kind, node, text in observed_events(prev, snap):
            self.add_event(now, "dashboard", "", kind, node, text)
        # follow the cluster: nodes disappear (FORGET)
        known = set(ids_by_addr)
        for addr in list(self.tracked):
            if addr not in known and addr not in self.seeds and self.tracked[addr].obs is not None \
                    and not self.tracked[addr].obs.get("up"):
                self.tracked.pop(addr).conn.close()
        self.snapshot = snap
        self.polls += 1
        return snap

    async def run(self) -> None:
        while True:
            t0 = time.monotonic()
            try:
                await self.poll_once()
            except Exception as e:  # keep polling whatever happens
                self.add_event(int(time.time() * 1000), "dashboard", "", "action", "", "poll error: %r" % (e,))
            await asyncio.sleep(max(0.05, self.interval - (time.monotonic() - t0)))

    def state(self, since: int) -> dict:
        evs = [e for e in self.events if e["seq"] > since]
        return {"mode": "live", "title": ", ".join(self.seeds), "snapshot": self.snapshot, "events": evs,
                "seq": self.seq, "polls": self.polls}

    # -- actions -------------------------------------------------------------------------------------------

    def _node(self, node_id: str) -> dict:
        for n in (self.snapshot or {}).get("nodes", []):
            if n["id"] == node_id or n["addr"] == node_id or str(n["port"]) == node_id:
                return n
        raise ValueError("unknown node %s" % node_id)

    async def action(self, what: str, node_id: str, option: str = "") -> str:
        n = self._node(node_id)
        now = int(time.time() * 1000)
        if what == "kill":
            if not n["local"]:
                raise ValueError("node %s is not on this machine" % n["addr"])
            if not n["reachable"]:
                raise ValueError("node %s is not running (or does not answer)" % n["addr"])
            pid = n.get("pid")
            if not isinstance(pid, int) or pid <= 1:
                raise ValueError("node %s did not say its process id" % n["addr"])
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    cmdline = f.read()
            except OSError:
                cmdline = b"redis"  # no /proc: trust INFO
            if b"redis" not in cmdline:
                raise ValueError("process %d does not look like a Redis node" % pid)
            os.kill(pid, signal.SIGKILL)
            text = "SIGKILL sent to node %s (%s), process %d" % (n["addr"], n["id"][:8], pid)
        elif what == "failover":
            if n["role"] != "replica":
                raise ValueError("CLUSTER FAILOVER goes to a replica")
            args = ["CLUSTER", "FAILOVER"] + ([option.upper()] if option else [])
            tr = self.tracked.get(n["addr"])
            conn = NodeConn(tr.conn.host, tr.conn.port, self.user, self.password, 5.0)
            try:
                (r,) = await conn.pipeline([args])
            finally:
                conn.close()
            if _is_error(r):
                raise ValueError(str(r))
            text = "%s sent to replica %s (%s)" % (" ".join(args), n["addr"], n["id"][:8])
        else:
            raise ValueError("unknown action %s" % what)
        self.add_event(now, "dashboard", "", "action", n["id"], text)
        return text


# -- replay: a recorded scenario -----------------------------------------------------------------------------

class ReplaySource:
    mode = "replay"

    def __init__(self, path: str):
        with open(path) as f:
            data = json.load(f)
        if data.get("format") != "pyredis-cluster-scenario":
            raise ValueError("%s is not a scenario recorded by pyredis_cluster.testing.recording" % path)
        self.data = data
        self.title = data.get("title", os.path.basename(path))
        self.nodes = data["nodes"]
        self.frames = []  # full observations per frame
        self.events = []
        self.t0 = data["frames"][0]["t"] if data["frames"] else 0
        current = [None] * len(self.nodes)
        seq = 0
        for fi, fr in enumerate(data["frames"]):
            for i, ob in enumerate(fr["obs"]):
                if ob is not None:
                    current[i] = ob
            self.frames.append({"t": fr["t"], "obs": list(current), "mark": fr.get("mark")})
            for t, idx, kind, node, text in fr.get("events", []):
                seq += 1
                self.events.append({"seq": seq, "time": t, "reporter": self.nodes[idx]["id"],
                                    "reporter_addr": self.nodes[idx]["addr"], "kind": kind, "node": node,
                                    "text": text, "frame": fi})
        self._cache: dict = {}

    def snapshot(self, i: int) -> dict:
        snap = self._cache.get(i)
        if snap is None:
            fr = self.frames[i]
            snap = self._cache[i] = build_snapshot([ob for ob in fr["obs"] if ob is not None], fr["t"])
            snap["frame"] = i
            snap["mark"] = fr["mark"]
        return snap

    def colors(self) -> dict:
        """Each node's colour (palette index) for the whole replay, so that seeking anywhere shows the same
        colours: the page's rule (a master serving slots gets the next colour, a replica its master's),
        applied frame by frame from the start."""
        colors: dict = {}
        for i in range(len(self.frames)):
            nodes = sorted(self.snapshot(i)["nodes"], key=lambda n: n["port"])
            for n in nodes:
                if n["role"] == "master" and n["slots"] and n["id"] not in colors:
                    colors[n["id"]] = len(set(colors.values()))
            for n in nodes:
                if n["role"] == "replica" and n["id"] not in colors and n["master"] in colors:
                    colors[n["id"]] = colors[n["master"]]
        return colors

    def meta(self) -> dict:
        return {"mode": "replay", "title": self.title, "description": self.data.get("description", ""),
                "seed": self.data.get("seed"), "node_timeout": self.data.get("node_timeout"), "t0": self.t0,
                "frames": [{"t": f["t"], "mark": f["mark"]} for f in self.frames], "events": self.events,
                "colors": self.colors()}


# -- the web server ------------------------------------------------------------------------------------------

def make_app(source):
    from aiohttp import web

    routes = web.RouteTableDef()

    @routes.get("/")
    async def index(request):
        return web.FileResponse(os.path.join(STATIC, "index.html"))

    @routes.get("/api/kinds")
    async def kinds(request):
        return web.json_response(dict(EVENT_KINDS, **DASHBOARD_KINDS))

    @routes.get("/api/state")
    async def state(request):
        if source.mode != "live":
            return web.json_response({"mode": source.mode, "title": source.title})
        since = int(request.query.get("since", "0") or 0)
        body = source.state(since)
        body["actions"] = request.app["actions"]
        return web.json_response(body)

    @routes.get("/api/replay")
    async def replay(request):
        if source.mode != "replay":
            raise web.HTTPNotFound(text="not a replay")
        return web.json_response(source.meta())

    @routes.get(r"/api/frame/{i:\d+}")
    async def frame(request):
        if source.mode != "replay":
            raise web.HTTPNotFound(text="not a replay")
        i = int(request.match_info["i"])
        if i >= len(source.frames):
            raise web.HTTPNotFound(text="no such frame")
        return web.json_response(source.snapshot(i))

    @routes.post("/api/action")
    async def action(request):
        if source.mode != "live" or not request.app["actions"]:
            return web.json_response({"ok": False, "error": "actions are disabled"}, status=403)
        try:
            body = await request.json()
            text = await source.action(body.get("action", ""), str(body.get("node", "")), body.get("option", ""))
        except (ValueError, OSError, ConnectionError, asyncio.TimeoutError) as e:
            return web.json_response({"ok": False, "error": str(e)}, status=400)
        return web.json_response({"ok": True, "text": text})

    app = web.Application()
    app.add_routes(routes)
    app.router.add_static("/static/", STATIC)
    return app


async def serve(source, host: str, port: int, actions: bool, ready=None) -> None:
    from aiohttp import web

    app = make_app(source)
    app["actions"] = actions
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    task = None
    if source.mode == "live":
        await source.poll_once()
        task = asyncio.get_running_loop().create_task(source.run())
    if ready is not None:
        ready()
    try:
        await asyncio.Event().wait()
    finally:
        if task is not None:
            task.cancel()
        await runner.cleanup()


# -- pyredis-cluster events: the event logs on a terminal ----------------------------------------------------

def events_main(argv=None) -> int:
    """``pyredis-cluster events host:port [--all] [-n N] [--kind k1,k2]``: a node's event log (PYREDIS EVENTS),
    or with ``--all`` every node's, merged in time order; node ids are shown as ports."""
    p = argparse.ArgumentParser(prog="pyredis-cluster events",
                                description="Print the cluster event log of a node of ours (PYREDIS EVENTS), or "
                                            "of every node of its cluster (--all), oldest first.")
    p.add_argument("address", metavar="host:port")
    p.add_argument("--all", action="store_true", help="every node of the cluster, merged by time")
    p.add_argument("-n", "--count", type=int, default=EVENTS_PER_POLL, help="last N events per node")
    p.add_argument("--kind", default="", help="only these kinds, comma separated (e.g. pfail,fail,promoted)")
    p.add_argument("-a", "--pass", dest="password")
    p.add_argument("--user")
    a = p.parse_args(argv)
    host, _, port = a.address.rpartition(":")
    if not port.isdigit():
        sys.stderr.write("[ERR] expected host:port, got %r\n" % a.address)
        return 2
    kinds = set(k for k in a.kind.split(",") if k)

    async def fetch():
        seed = NodeConn(host or "127.0.0.1", int(port), a.user, a.password, 5.0)
        try:
            (nodes,) = await seed.pipeline([["CLUSTER", "NODES"]])
        finally:
            seed.close()
        if _is_error(nodes):
            raise ValueError(str(nodes))
        from .dashboard_model import parse_cluster_nodes

        lines = [ln for ln in parse_cluster_nodes(_text(nodes)) if ln["port"]]
        ports = {ln["id"]: str(ln["port"]) for ln in lines}
        targets = lines if a.all else [ln for ln in lines if "myself" in ln["flags"]]
        out = []
        for ln in targets:
            c = NodeConn(ln["ip"] or host or "127.0.0.1", ln["port"], a.user, a.password, 2.0)
            try:
                (evs,) = await c.pipeline([["PYREDIS", "EVENTS", a.count]])
            except (OSError, ConnectionError, asyncio.TimeoutError):
                sys.stderr.write("# %s:%d does not answer\n" % (ln["ip"], ln["port"]))
                continue
            finally:
                c.close()
            if _is_error(evs):
                sys.stderr.write("# %s:%d keeps no event log (%s)\n" % (ln["ip"], ln["port"], evs))
                continue
            for e in evs:
                out.append((int(e[0]), str(ln["port"]), _text(e[1]), _text(e[3])))
        return sorted(out), ports

    try:
        evs, ports = asyncio.run(fetch())
    except (OSError, ConnectionError, asyncio.TimeoutError, ValueError) as e:
        sys.stderr.write("[ERR] %s: %s\n" % (a.address, e))
        return 1
    for t, who, kind, text in evs:
        if kinds and kind not in kinds:
            continue
        for nid, p_ in ports.items():
            text = text.replace(nid, ":" + p_)
        sys.stdout.write("%s.%03d :%s %-18s %s\n" % (time.strftime("%H:%M:%S", time.localtime(t / 1000)), t % 1000,
                                                      who, kind, text))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyredis-cluster dashboard",
                                description="A live web dashboard of a cluster (ours, redis-server, or mixed), "
                                            "or the replay of a recorded scenario.")
    p.add_argument("seed", nargs="*", metavar="host:port",
                   help="any node(s) of the cluster (default 127.0.0.1:7000, the local cluster)")
    p.add_argument("--port", type=int, default=8080, help="the web page's port (default 8080)")
    p.add_argument("--bind", default="127.0.0.1", help="the web page's address (default 127.0.0.1)")
    p.add_argument("--interval", type=float, default=0.5, metavar="SECONDS", help="poll period (default 0.5)")
    p.add_argument("--replay", metavar="SCENARIO.json",
                   help="play a scenario recorded with python -m pyredis_cluster.testing.recording")
    p.add_argument("--read-only", action="store_true", help="no kill/failover buttons")
    p.add_argument("-a", "--pass", dest="password", help="password for every node")
    p.add_argument("--user", help="ACL user for every node")
    return p


def main(argv=None) -> int:
    a = build_parser().parse_args(argv)
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        sys.stderr.write("pyredis-cluster dashboard needs aiohttp: pip install aiohttp\n")
        return 1
    if a.replay:
        try:
            source = ReplaySource(a.replay)
        except (OSError, ValueError, KeyError) as e:
            sys.stderr.write("[ERR] cannot replay %s: %s\n" % (a.replay, e))
            return 1
    else:
        seeds = a.seed or ["127.0.0.1:7000"]
        for s in seeds:
            if ":" not in s or not s.rpartition(":")[2].isdigit():
                sys.stderr.write("[ERR] expected host:port, got %r\n" % s)
                return 2
        source = LiveSource(seeds, a.interval, a.user, a.password)

    def ready():
        what = "replay of %s" % a.replay if a.replay else "cluster of %s" % ", ".join(source.seeds)
        sys.stderr.write("Dashboard of the %s: http://%s:%d/\n" % (what, a.bind, a.port))
        sys.stderr.flush()

    try:
        asyncio.run(serve(source, a.bind, a.port, not a.read_only and not a.replay, ready))
    except KeyboardInterrupt:
        pass
    except OSError as e:
        sys.stderr.write("[ERR] %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
