#!/usr/bin/env python3
"""How long until a 3-master/3-replica test cluster is ready for clients.

"Ready" is what ``start_cluster()`` waits for before returning: every node reports cluster_state:ok,
all agree on roles and slots, nobody is suspected, every replica's link is up.  A redis-py
RedisCluster then does a SET/GET (not timed) to prove it.

* in-process, cold: a fresh interpreter, timed from before ``import pyredis_cluster.testing``;
* in-process, warm: another cluster in the same interpreter;
* process: six pyredis-server processes (interpreter start-up included).

    python3 bench/start_time.py                 # 5 rounds of each
    python3 bench/start_time.py --rounds 10 --markdown
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, sys, time
t0 = time.monotonic()
from pyredis_cluster.testing import start_cluster
out = {}
for mode, key in (("inprocess", "cold"), ("inprocess", "warm"), ("process", "process")):
    if key not in sys.argv[1:]:
        continue
    t = t0 if key == "cold" else time.monotonic()
    with start_cluster(3, 1, mode=mode) as c:
        out[key] = time.monotonic() - t
        rc = c.client()
        rc.set("bench", "1")
        assert rc.get("bench") == b"1"
print(json.dumps(out))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    res = {"cold": [], "warm": [], "process": []}
    for i in range(a.rounds):
        p = subprocess.run([sys.executable, "-c", CHILD, "cold", "warm", "process"], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
        if p.returncode != 0:
            print(p.stdout, p.stderr)
            return 1
        r = json.loads(p.stdout.strip().split("\n")[-1])
        for k, v in r.items():
            res[k].append(v)
        print("round %d: in-process cold %.3fs, warm %.3fs; process %.3fs" % (i + 1, r["cold"], r["warm"], r["process"]),
              flush=True)
    labels = {"cold": "in-process 3+3, cold (imports included)", "warm": "in-process 3+3, warm",
              "process": "process 3+3 (pyredis-server x6)"}
    print()
    if a.markdown:
        print("| cluster | rounds | min | median | max |")
        print("|---|---|---|---|---|")
    for k, v in res.items():
        if a.markdown:
            print("| %s | %d | %.2f s | %.2f s | %.2f s |" % (labels[k], len(v), min(v), statistics.median(v), max(v)))
        else:
            print("%-42s min %.3fs  median %.3fs  max %.3fs" % (labels[k], min(v), statistics.median(v), max(v)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
