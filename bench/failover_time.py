#!/usr/bin/env python3
"""Failover time: a 3-master/3-replica cluster of pyredis-server nodes and one of Debian redis-server
nodes, same cluster-node-timeout, same run.  A master is killed with SIGKILL; we measure

* detect: kill -> every other node shows it ``fail``;
* promote: kill -> its replica reports itself ``master``;
* ok: kill -> every surviving node reports ``cluster_state:ok`` again.

    python3 bench/failover_time.py                 # node timeout 3000 ms, 3 rounds per kind
    python3 bench/failover_time.py --node-timeout 5000 --rounds 5 --markdown

Loopback only, free ports, every process stopped by PID.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

from helpers import (RawClient, cluster_info, cluster_nodes, create_cluster, start_cluster_nodes,  # noqa: E402
                     wait_cluster_ok, wait_until)


def me(n):
    return next(e for e in cluster_nodes(n.port) if "myself" in e["flags"])


def synced(n) -> bool:
    with RawClient(n.port) as c:
        return b"master_link_status:up" in c.call("INFO", "replication")


def one_round(kind: str, nt: int) -> dict:
    nodes = start_cluster_nodes([kind] * 6, nt)
    try:
        create_cluster(nodes, replicas=1)
        wait_cluster_ok(nodes, timeout=60)
        for n in nodes:
            if "slave" in me(n)["flags"]:
                wait_until(lambda n=n: synced(n), timeout=60, what="replica synced")
        victim = next(n for n in nodes if "master" in me(n)["flags"])
        vid = me(victim)["id"]
        heir = next(n for n in nodes if me(n)["master"] == vid)
        others = [n for n in nodes if n is not victim]
        victim.kill()
        t0 = time.monotonic()
        res = {}
        deadline = t0 + 10 * nt / 1000 + 30
        while time.monotonic() < deadline and len(res) < 3:
            now = time.monotonic() - t0
            if "detect" not in res and all(
                    any(e["id"] == vid and "fail" in e["flags"] for e in cluster_nodes(n.port)) for n in others
                    if n is not heir or "slave" in me(heir)["flags"]):
                res["detect"] = now
            if "promote" not in res and "master" in me(heir)["flags"]:
                res["promote"] = now
            if "promote" in res and "ok" not in res and all(
                    cluster_info(n.port)["cluster_state"] == "ok" for n in others):
                res["ok"] = now
            time.sleep(0.02)
        return res
    finally:
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--node-timeout", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    rows = []
    for kind in ("ours", "redis"):
        results = [one_round(kind, args.node_timeout) for _ in range(args.rounds)]
        for step in ("detect", "promote", "ok"):
            vals = [r[step] for r in results if step in r]
            rows.append((kind, step, vals))
            print("%-5s %-8s %s" % (kind, step, " ".join("%.2f" % v for v in vals)), file=sys.stderr)
    if args.markdown:
        print("| server | step | median s | min s | max s | rounds |")
        print("|---|---|---|---|---|---|")
        for kind, step, vals in rows:
            if vals:
                print("| %s | %s | %.2f | %.2f | %.2f | %d |" % (
                    "pyredis-server" if kind == "ours" else "redis-server 7.0", step, statistics.median(vals),
                    min(vals), max(vals), len(vals)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
