#!/usr/bin/env python3
"""Run the docs/testing.md recipe suite N times in a row (default 20) and report flakes.

    python3 bench/recipes_20x.py                    # 20 runs of tests/testing/test_recipes.py
    python3 bench/recipes_20x.py --runs 5 --mode process
    python3 bench/recipes_20x.py --markdown         # a table for bench/RESULTS.md

Each run is a fresh ``pytest`` process (its own clusters, its own free ports); outcomes are read from
its JUnit XML.  Exit status 1 if any test failed in any run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = "tests/testing/test_recipes.py"


def one_run(mode: str, extra: list) -> tuple:
    fd, xml = tempfile.mkstemp(suffix=".xml", prefix="recipes-")
    os.close(fd)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", SUITE,
                           "--redis-cluster-mode", mode, "--junitxml", xml, *extra],
                          cwd=ROOT, capture_output=True, text=True)
    took = time.monotonic() - t0
    results = {}
    try:
        for case in ET.parse(xml).getroot().iter("testcase"):
            name = case.get("name")
            bad = case.find("failure") is not None or case.find("error") is not None
            skipped = case.find("skipped") is not None
            results[name] = "failed" if bad else ("skipped" if skipped else "passed")
    except (ET.ParseError, FileNotFoundError):
        pass
    finally:
        os.unlink(xml)
    return results, took, proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--mode", default="inprocess", choices=("inprocess", "process"))
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("pytest_args", nargs="*")
    a = ap.parse_args()
    failures: dict = {}
    names: list = []
    times = []
    for i in range(a.runs):
        results, took, proc = one_run(a.mode, a.pytest_args)
        times.append(took)
        for n in results:
            if n not in names:
                names.append(n)
        bad = [n for n, r in results.items() if r == "failed"]
        if not results:
            bad = ["<the run itself>"]
        for n in bad:
            failures[n] = failures.get(n, 0) + 1
        print("run %2d/%d: %d tests, %d failed, %.1fs%s" % (i + 1, a.runs, len(results), len(bad), took,
                                                             (" -- " + ", ".join(bad)) if bad else ""), flush=True)
        if bad:
            out = proc.stdout
            i = out.find("= FAILURES =")
            text = out[i:] if i >= 0 else out[-4000:]
            # the failure's own lines, without the (long) event log sections
            print("\n".join(line for line in text.split("\n") if not line[:1].isdigit())[-12000:], flush=True)
    total = len(names) * a.runs
    flaky = sum(failures.values())
    print()
    if a.markdown:
        print("| suite | mode | runs | tests per run | test runs | failed | mean run time |")
        print("|---|---|---|---|---|---|---|")
        print("| %s | %s | %d | %d | %d | %d | %.1f s |" % (SUITE, a.mode, a.runs, len(names), total, flaky,
                                                            sum(times) / len(times)))
    else:
        print("%d runs x %d tests = %d test runs, %d failed; mean run %.1fs, max %.1fs"
              % (a.runs, len(names), total, flaky, sum(times) / len(times), max(times)))
    for n, k in sorted(failures.items()):
        print("  FLAKY %s: failed %d of %d runs" % (n, k, a.runs))
    return 1 if flaky else 0


if __name__ == "__main__":
    sys.exit(main())
