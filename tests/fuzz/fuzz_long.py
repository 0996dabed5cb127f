#!/usr/bin/env python3
"""The long fuzz run: every target for N seconds, random inputs and mutations of the corpus, with a
count of the cases tried and of the crashes (contract violations) found.

    python3 tests/fuzz/fuzz_long.py --seconds 60            # one minute per target
    python3 tests/fuzz/fuzz_long.py --seconds 10 --only resp,bus --seed 7

A crash is printed with its input (repr) and saved under --out (default: a temporary directory) so it can
be replayed with ``--replay FILE --only TARGET``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)

import fuzzers  # noqa: E402


def one_input(name: str, corpus: list, rng: random.Random) -> bytes:
    r = rng.random()
    if name == "redis.conf" and r < 0.4:
        return fuzzers.random_conf(rng)
    if r < 0.15 or not corpus:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    if r < 0.25 and name in ("resp",):  # structured noise: RESP tokens
        toks = [b"*", b"$", b"\r\n", b"\n", b"-1", b"0", b"3", b"10", b"2147483648", b"536870912", b"x", b" ",
                b'"', b"'", b"\\x4", b"PING", b"SET"]
        return b"".join(rng.choice(toks) for _ in range(rng.randint(1, 40)))
    return fuzzers.mutate(rng.choice(corpus), rng, corpus)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0, help="per target")
    ap.add_argument("--only", default="", help="comma-separated targets (default: all)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--out", default=None, help="directory for crashing inputs")
    ap.add_argument("--replay", default=None)
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n] or list(fuzzers.TARGETS)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    if args.replay:
        data = open(args.replay, "rb").read()
        for n in names:
            fuzzers.TARGETS[n][0](data, rng)
        print("replayed without a crash")
        return 0
    out = args.out or tempfile.mkdtemp(prefix="fuzz-crashes-")
    print("seed %d, %.0f s per target, crashes saved in %s" % (seed, args.seconds, out))
    total_cases = total_crashes = 0
    print("%-12s %10s %8s %10s" % ("target", "cases", "crashes", "cases/s"))
    for name in names:
        fn, corpus = fuzzers.TARGETS[name]
        corpus = list(corpus)
        cases = crashes = 0
        seen = set()
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.seconds:
            data = one_input(name, corpus, rng)
            cases += 1
            try:
                fn(data, rng)
            except fuzzers.Crash as e:
                key = (type(e.exc).__name__, str(e.exc)[:60])
                crashes += 1
                if key not in seen:
                    seen.add(key)
                    path = os.path.join(out, "%s-%d.bin" % (name.replace(".", "_"), crashes))
                    with open(path, "wb") as f:
                        f.write(data)
                    print("  CRASH %s: %r (input saved in %s)" % (name, e.exc if e.exc else str(e), path))
            else:
                if rng.random() < 0.01 and len(corpus) < 500:
                    corpus.append(data)  # keep some survivors: deeper mutations
        dt = time.monotonic() - t0
        print("%-12s %10d %8d %10.0f" % (name, cases, crashes, cases / dt))
        total_cases += cases
        total_crashes += crashes
    print("%-12s %10d %8d" % ("total", total_cases, total_crashes))
    return 1 if total_crashes else 0


if __name__ == "__main__":
    sys.exit(main())
