#!/usr/bin/env python3
"""Resharding time: ``redis-cli --cluster reshard`` moving N slots between two masters of a 3-master
cluster of pyredis-server nodes and of one of Debian redis-server nodes, same run.

For every slot redis-cli sends six commands, each waiting for its reply: SETSLOT IMPORTING on the
target, SETSLOT MIGRATING and GETKEYSINSLOT (then MIGRATE for the keys) on the source, SETSLOT NODE
on the target, the source and every other master.  Each SETSLOT NODE rewrites nodes.conf, and the
target's new config epoch makes every node rewrite it with fsync -- so the figure is mostly the
per-command latency plus the fsync of a small file.

    python3 bench/reshard_time.py                    # 1000 empty slots, 3 rounds per kind
    python3 bench/reshard_time.py --slots 2000 --keys 20000 --markdown

``--keys`` fills the cluster first (SET over the whole keyspace), so MIGRATE moves keys too.
Loopback only, free ports, every process stopped by PID.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

from helpers import (RawClient, cluster_nodes, create_cluster, start_cluster_nodes,  # noqa: E402
                     wait_cluster_ok)


def myid(node) -> str:
    return next(e["id"] for e in cluster_nodes(node.port) if "myself" in e["flags"])


def fill(nodes, keys: int) -> None:
    """SET key:<i> on its owner, by redis-benchmark-like pipelining through redis-cli -c."""
    if not keys:
        return
    text = "".join("SET key:%d v%d\n" % (i, i) for i in range(keys))
    for n in nodes:  # each node gets the whole list and keeps what it owns (MOVED errors are ignored)
        subprocess.run(["redis-cli", "-p", str(n.port)], input=text.encode(), stdout=subprocess.DEVNULL,
                       check=False)


def one_round(kind: str, slots: int, keys: int) -> float:
    nodes = start_cluster_nodes([kind] * 3, 5000)
    try:
        create_cluster(nodes)
        wait_cluster_ok(nodes, timeout=60)
        fill(nodes, keys)
        src, dst = nodes[0], nodes[1]
        t0 = time.monotonic()
        res = subprocess.run(["redis-cli", "--cluster", "reshard", "127.0.0.1:%d" % src.port,
                              "--cluster-from", myid(src), "--cluster-to", myid(dst),
                              "--cluster-slots", str(slots), "--cluster-yes"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        elapsed = time.monotonic() - t0
        if res.returncode != 0:
            raise RuntimeError(res.stdout.decode()[-2000:])
        me = next(e for e in cluster_nodes(dst.port) if "myself" in e["flags"])
        owned = sum(int(r.split("-")[-1]) - int(r.split("-")[0]) + 1 for r in me["slots"] if not r.startswith("["))
        assert owned >= 16384 // 3 + slots - 1, owned  # the target now serves the moved slots
        with RawClient(dst.port) as c:
            assert c.call("PING") == b"+PONG\r\n"
        return elapsed
    finally:
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slots", type=int, default=1000)
    ap.add_argument("--keys", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    results = {}
    for kind in ("ours", "redis"):
        results[kind] = [one_round(kind, args.slots, args.keys) for _ in range(args.rounds)]
    ours, redis = statistics.median(results["ours"]), statistics.median(results["redis"])
    if args.markdown:
        print("| server | slots | keys | rounds | median s | ms per slot |")
        print("|---|---|---|---|---|---|")
        for kind, med in (("pyredis-server", ours), ("redis-server", redis)):
            print("| %s | %d | %d | %d | %.2f | %.2f |" % (kind, args.slots, args.keys, args.rounds, med,
                                                          med * 1000 / args.slots))
        print("\nratio (ours / redis-server): %.1fx" % (ours / redis))
    else:
        for kind in ("ours", "redis"):
            print("%-6s %s s" % (kind, " ".join("%.2f" % t for t in results[kind])))
        print("ours/redis: %.1fx" % (ours / redis))


if __name__ == "__main__":
    main()
