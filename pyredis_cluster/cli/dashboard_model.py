"""What the dashboard shows, computed from what any Redis Cluster node exposes (no I/O here).

An *observation* is what one poll of one node returned (or, in a replay, what the simulation recorded for
it)::

    {"addr": "127.0.0.1:7000", "up": True, "nodes": "<CLUSTER NODES text>", "info": {CLUSTER INFO fields},
     "server": {INFO fields}, "ops": 12.5, "events": [[time-ms, kind, node-id, reason], ...] or None}

:func:`build_snapshot` turns the observations of every node into one *snapshot*: the nodes with their
roles, epochs, PFAIL/FAIL flags (as the other nodes see them), bus links, replication offsets and lag,
ops/s, and the 16384-slot map (each slot's owner by majority of the reachable nodes' views).
:func:`observed_events` compares two snapshots and describes what changed -- the event log of a cluster
whose nodes keep none (redis-server); nodes of ours report their own with ``PYREDIS EVENTS``.
"""

from __future__ import annotations

import bisect
from collections import Counter

CLUSTER_SLOTS = 16384


def parse_cluster_nodes(text: str) -> list:
    """CLUSTER NODES -> one dict per line."""
    out = []
    for line in (text or "").splitlines():
        f = line.split()
        if len(f) < 8:
            continue
        addr = f[1]
        hostname = ""
        if "," in addr:
            addr, hostname = addr.split(",", 1)
        hostport, _, cport = addr.partition("@")
        ip, _, port = hostport.rpartition(":")
        slots, migrating, importing = [], {}, {}
        for s in f[8:]:
            if s.startswith("["):
                body = s[1:-1]
                if "->-" in body:
                    slot, other = body.split("->-", 1)
                    migrating[int(slot)] = other
                elif "-<-" in body:
                    slot, other = body.split("-<-", 1)
                    importing[int(slot)] = other
                continue
            a, _, b = s.partition("-")
            slots.append([int(a), int(b or a)])
        flags = set(f[2].split(","))
        out.append({
            "id": f[0], "ip": ip, "port": int(port or 0), "cport": int(cport or 0), "hostname": hostname,
            "flags": flags, "master": None if f[3] == "-" else f[3], "ping_sent": int(f[4]), "pong_recv": int(f[5]),
            "config_epoch": int(f[6]), "link": f[7], "slots": slots, "migrating": migrating,
            "importing": importing,
        })
    return out


def parse_info(text: str) -> dict:
    """INFO / CLUSTER INFO -> {field: value} (numbers as int or float)."""
    out = {}
    for line in (text or "").splitlines():
        if not line or line.startswith("#") or ":" not in line:
            continue
        k, _, v = line.partition(":")
        v = v.strip()
        try:
            out[k] = int(v)
        except ValueError:
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def _is_loopback(ip: str) -> bool:
    return ip.startswith("127.") or ip in ("::1", "localhost", "")


def build_snapshot(observations: list, now_ms: int) -> dict:
    """One picture of the cluster from every node's observation (see the module docstring)."""
    views = {}  # observer id -> parsed CLUSTER NODES
    selfs = {}  # id -> (observation, its own line)
    for ob in observations:
        if not ob.get("up") or not ob.get("nodes"):
            continue
        lines = parse_cluster_nodes(ob["nodes"])
        me = next((ln for ln in lines if "myself" in ln["flags"]), None)
        if me is None:
            continue
        views[me["id"]] = lines
        selfs[me["id"]] = (ob, me)
    addr_of_down = {ob["addr"]: ob for ob in observations if not ob.get("up")}

    # Every node any reachable node knows (handshakes and address-less placeholders left out).
    known: dict = {}
    for observer, lines in views.items():
        for ln in lines:
            if ln["flags"] & {"handshake", "noaddr"}:
                continue
            known.setdefault(ln["id"], {})[observer] = ln

    nodes = []
    for nid, seen in known.items():
        own = selfs.get(nid)
        others = {o: ln for o, ln in seen.items() if o != nid}
        ref = own[1] if own else _majority_line(others)
        addr = "%s:%d" % (ref["ip"] or "127.0.0.1", ref["port"])
        ob = own[0] if own else addr_of_down.get(addr, {})
        info = ob.get("info") or {}
        server = ob.get("server") or {}
        role = "master" if "master" in ref["flags"] else "replica" if "slave" in ref["flags"] else "unknown"
        seen_fail = sum(1 for ln in others.values() if "fail" in ln["flags"])
        seen_pfail = sum(1 for ln in others.values() if "fail?" in ln["flags"])
        health = "fail" if seen_fail else "pfail" if seen_pfail else "ok"
        if role == "replica":
            offset = server.get("slave_repl_offset")
        else:
            offset = server.get("master_repl_offset")
        node = {
            "id": nid, "addr": addr, "ip": ref["ip"], "port": ref["port"], "hostname": ref["hostname"],
            "role": role, "master": ref["master"] if role == "replica" else None,
            "config_epoch": max([ref["config_epoch"]] + [ln["config_epoch"] for ln in others.values()]),
            "current_epoch": info.get("cluster_current_epoch"), "cluster_state": info.get("cluster_state"),
            "reachable": own is not None, "health": health, "seen_fail": seen_fail, "seen_pfail": seen_pfail,
            "observers": len(others), "links": {o: ln["link"] for o, ln in others.items()},
            "slot_ranges": ref["slots"] if role == "master" else [],
            "slots": sum(b - a + 1 for a, b in ref["slots"]) if role == "master" else 0,
            "migrating": ref["migrating"], "importing": ref["importing"],
            "repl_offset": offset, "master_link_status": server.get("master_link_status"), "lag": None,
            "ops": ob.get("ops"), "impl": ob.get("impl") or ("" if own else None),
            "version": server.get("redis_version"), "pid": server.get("process_id"),
            "local": _is_loopback(ref["ip"]), "events": own is not None and ob.get("events") is not None,
        }
        nodes.append(node)

    by_id = {n["id"]: n for n in nodes}
    for n in nodes:
        m = by_id.get(n["master"]) if n["master"] else None
        if m is not None and m["reachable"] and n["reachable"] and m["repl_offset"] is not None and \
                n["repl_offset"] is not None:
            n["lag"] = max(0, m["repl_offset"] - n["repl_offset"])
    # shard: the master id, for colours (a replica shares its master's)
    for n in nodes:
        n["shard"] = n["id"] if n["role"] == "master" else (n["master"] or n["id"])
    nodes.sort(key=lambda n: (by_id.get(n["shard"], n)["port"], n["role"] != "master", n["port"]))

    slots, disputed = _slot_map(views, by_id)
    states = {nid: ob.get("info", {}).get("cluster_state") for nid, (ob, _) in selfs.items()}
    state_values = set(v for v in states.values() if v)
    return {
        "time": now_ms,
        "nodes": nodes,
        "slots": slots,
        "disputed": disputed,
        "cluster": {
            "state": state_values.pop() if len(state_values) == 1 else ("mixed" if state_values else "unknown"),
            "states": states,
            "current_epoch": max([n["current_epoch"] or 0 for n in nodes] or [0]),
            "masters": sum(1 for n in nodes if n["role"] == "master" and n["slots"]),
            "assigned": sum(b - a + 1 for a, b, o in slots if o),
            "reachable": sum(1 for n in nodes if n["reachable"]),
            "known": len(nodes),
        },
    }


def _majority_line(lines: dict) -> dict:
    """The most common description of a node among the views of others (ties: the newest configEpoch)."""
    best = Counter((("master" in ln["flags"]), ln["master"], ln["config_epoch"]) for ln in lines.values())
    key = max(best, key=lambda k: (best[k], k[2]))
    for ln in lines.values():
        if (("master" in ln["flags"]), ln["master"], ln["config_epoch"]) == key:
            return ln
    return next(iter(lines.values()))


def _slot_map(views: dict, by_id: dict):
    """Slot ranges [[first, last, owner-id or None], ...] by majority of views; and how many slots the
    views disagree about."""
    per_view = []
    bounds = {0, CLUSTER_SLOTS}
    for lines in views.values():
        ranges = []
        for ln in lines:
            if "master" in ln["flags"]:
                for a, b in ln["slots"]:
                    ranges.append((a, b, ln["id"]))
                    bounds.add(a)
                    bounds.add(b + 1)
        ranges.sort()
        per_view.append(ranges)
    bounds = sorted(bounds)
    out = []
    disputed = 0
    for s, e in zip(bounds, bounds[1:]):
        owners = Counter()
        for ranges in per_view:
            i = bisect.bisect_right(ranges, (s, CLUSTER_SLOTS, "\xff")) - 1
            owner = ranges[i][2] if i >= 0 and ranges[i][0] <= s <= ranges[i][1] else None
            owners[owner] += 1
        if not owners:
            owner = None
        else:
            if len(owners) > 1:
                disputed += e - s
            owner = max(owners, key=lambda o: (owners[o], (by_id.get(o) or {}).get("config_epoch", -1)))
        if out and out[-1][2] == owner and out[-1][1] == s - 1:
            out[-1][1] = e - 1
        else:
            out.append([s, e - 1, owner])
    return out, disputed


# -- what changed between two snapshots ------------------------------------------------------------------------

def observed_events(prev: dict | None, cur: dict, only_without_log: bool = True) -> list:
    """[kind, node-id, text] for each change the dashboard itself saw between two snapshots.  With
    ``only_without_log``, changes to nodes that keep their own event log (ours) are left to that log,
    except whether the dashboard can reach them."""
    if prev is None:
        return []
    out = []
    before = {n["id"]: n for n in prev["nodes"]}
    have_logs = all(n["events"] for n in cur["nodes"] if n["reachable"])
    quiet = only_without_log and have_logs
    for n in cur["nodes"]:
        p = before.get(n["id"])
        name = "%s (%s)" % (n["addr"], n["id"][:8])
        if p is None:
            if not quiet:
                out.append(["discovered", n["id"], "node %s appeared in the cluster" % name])
            continue
        if p["reachable"] != n["reachable"]:
            out.append(["unreachable" if not n["reachable"] else "reachable", n["id"],
                        "the dashboard %s node %s" % ("cannot reach" if not n["reachable"] else "reaches again", name)])
        if quiet:
            continue
        if p["health"] != n["health"]:
            kind = {"fail": "fail", "pfail": "pfail"}.get(n["health"], "fail-cleared" if p["health"] == "fail"
                                                          else "pfail-cleared")
            out.append([kind, n["id"], "node %s is %s as seen by %d of %d nodes" % (
                name, n["health"].upper(), n["seen_fail"] if n["health"] == "fail" else n["seen_pfail"]
                if n["health"] == "pfail" else n["observers"], n["observers"])])
        if p["role"] != n["role"]:
            out.append(["promoted" if n["role"] == "master" else "role", n["id"], "node %s is now a %s%s" % (
                name, n["role"], (" of %s" % n["master"][:8]) if n["master"] else "")])
        if p["config_epoch"] != n["config_epoch"]:
            out.append(["epoch", n["id"], "node %s configEpoch %d -> %d" % (name, p["config_epoch"],
                                                                           n["config_epoch"])])
        if p["cluster_state"] != n["cluster_state"] and n["cluster_state"]:
            out.append(["state", n["id"], "node %s says cluster_state:%s" % (name, n["cluster_state"])])
    if not quiet:
        moved = Counter()
        for a, b, o in cur["slots"]:
            for s, e, old in _split(prev["slots"], a, b):
                if old != o:
                    moved[(old, o)] += e - s + 1
        names = {n["id"]: "%s (%s)" % (n["addr"], n["id"][:8]) for n in cur["nodes"] + prev["nodes"]}
        for (old, new), count in sorted(moved.items(), key=lambda kv: -kv[1]):
            out.append(["slots", new or "", "%d slots moved from %s to %s" % (
                count, names.get(old, "nobody") if old else "nobody", names.get(new, "nobody") if new else "nobody")])
    return out


def _split(slots: list, a: int, b: int):
    """The parts of [a, b] with their owner in ``slots`` (ranges)."""
    for s, e, o in slots:
        if e < a or s > b:
            continue
        yield max(s, a), min(e, b), o
