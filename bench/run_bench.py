#!/usr/bin/env python3
"""redis-benchmark against pyredis-server and Debian's redis-server in the same run.

Both servers are pinned to one CPU (taskset), redis-benchmark to the other.  For every test the
script reports requests/s of each server, the ratio ours/redis-server, and the server's CPU time per
request (utime+stime read from /proc/<pid>/stat before and after the test), a figure less noisy than
requests/s.

    python3 bench/run_bench.py                          # the foundation set: set,get,incr,lpush,mset
    python3 bench/run_bench.py -t lpush,lpop,sadd -n 100000 -P 1 16
    python3 bench/run_bench.py --markdown >> bench/RESULTS.md

Only loopback addresses and free ports are used; both servers are stopped by PID at the end.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from helpers import free_port, start_server  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def run_benchmark(port: int, test: str, n: int, clients: int, pipeline: int, bench_cpu: str) -> float:
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", test, "-n", str(n), "-c", str(clients),
           "-P", str(pipeline), "--csv", "-q"]
    if bench_cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", bench_cpu] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
    rows = list(csv.reader(io.StringIO(out)))
    for row in rows[1:]:
        return float(row[1])
    raise RuntimeError("redis-benchmark gave no result: %r" % out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-t", "--tests", default="set,get,incr,lpush,mset")
    ap.add_argument("-n", "--requests", type=int, default=200000)
    ap.add_argument("-c", "--clients", type=int, default=50)
    ap.add_argument("-P", "--pipeline", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--bench-cpu", default="1")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--extra-args", default="", help="extra --directive args for both servers")
    args = ap.parse_args()

    extra = args.extra_args.split() if args.extra_args else []
    servers = {}
    try:
        for kind in ("ours", "redis"):
            srv = start_server(kind, port=free_port(), args=extra, workdir=tempfile.mkdtemp(prefix="bench-"))
            if shutil.which("taskset"):
                subprocess.run(["taskset", "-a", "-p", "-c", args.server_cpu, str(srv.pid)],
                               capture_output=True, check=False)
            servers[kind] = srv
        results = []
        for pipeline in args.pipeline:
            for test in args.tests.split(","):
                row = {"test": test, "P": pipeline}
                for kind, srv in servers.items():
                    subprocess.run(["redis-cli", "-p", str(srv.port), "FLUSHALL"], capture_output=True)
                    c0 = cpu_seconds(srv.pid)
                    t0 = time.monotonic()
                    rps = run_benchmark(srv.port, test, args.requests, args.clients, pipeline, args.bench_cpu)
                    dt = time.monotonic() - t0
                    c1 = cpu_seconds(srv.pid)
                    row[kind] = rps
                    row[kind + "_us"] = (c1 - c0) * 1e6 / args.requests
                    row[kind + "_wall"] = dt
                row["ratio"] = row["ours"] / row["redis"] if row["redis"] else 0.0
                results.append(row)
                print("%-8s P=%-3d ours %10.0f req/s  redis %10.0f req/s  ratio %.2f   cpu/req ours %.2f us, redis %.2f us"
                      % (test, pipeline, row["ours"], row["redis"], row["ratio"], row["ours_us"], row["redis_us"]),
                      file=sys.stderr, flush=True)
    finally:
        for srv in servers.values():
            srv.stop()
            shutil.rmtree(srv.workdir, ignore_errors=True)

    if args.markdown:
        print("| test | -P | ours req/s | redis-server req/s | ratio | ours CPU µs/req | redis CPU µs/req |")
        print("|---|---|---|---|---|---|---|")
        for r in results:
            print("| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f |" % (
                r["test"], r["P"], r["ours"], r["redis"], r["ratio"], r["ours_us"], r["redis_us"]))
    else:
        for r in results:
            print("%s,%d,%.0f,%.0f,%.3f,%.2f,%.2f" % (r["test"], r["P"], r["ours"], r["redis"], r["ratio"],
                                                      r["ours_us"], r["redis_us"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
