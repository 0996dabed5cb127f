"""Every command of docs/*.md runs: the fenced ``sh`` blocks of each page, in order, in a scratch directory.

* ports 7000-7009 become a free range (base+0 ...), the dashboard's 8080/8081 free ports;
* ``bash scripts/start.sh`` becomes the ``pyredis-cluster start`` it runs (3 s node timeout), so the test
  needs no pip install;
* a line ending in ``# expect: TEXT`` must print TEXT (stdout or stderr); every line must exit 0;
* ``pyredis-cluster dashboard ...`` starts in the background; its page and API must answer; it is stopped
  when the page is done.
"""

from __future__ import annotations

import glob
import json
import os
import random
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request

import pytest

from helpers import ROOT, free_port

DOCS = sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
# Pages whose shell lines are examples against a cluster the page does not start (they are not a script):
NOT_A_SCRIPT: dict = {}
FENCE = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def sh_commands(path: str) -> list:
    """(command, expected text or None) for each line of the page's ``sh`` blocks."""
    out = []
    with open(path) as f:
        text = f.read()
    for block in FENCE.findall(text):
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            expect = None
            m = re.search(r"#\s*expect:\s*(.+)$", line)
            if m:
                expect = m.group(1).strip()
            out.append((line, expect))
    return out


def _free(port: int) -> bool:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_base(count: int) -> int:
    for _ in range(1000):
        base = random.randint(12000, 20000)
        if all(_free(base + i) and _free(base + i + 10000) for i in range(count)):
            return base
    raise RuntimeError("no free port range")


def test_every_page_has_commands():
    assert DOCS, "no docs/*.md"
    names = {os.path.basename(p) for p in DOCS}
    assert {"tour.md", "gossip.md", "failure-detection.md", "election.md", "epochs.md",
            "resharding.md"} <= names
    for p in DOCS:
        if os.path.basename(p) not in NOT_A_SCRIPT:
            assert sh_commands(p), "%s has no sh block" % p


def _wait_http(url: str, proc, timeout: float = 30.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("the dashboard exited: %s" % proc.stdout.read().decode())
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read()
        except OSError:
            time.sleep(0.2)
    raise AssertionError("no answer from %s" % url)


def _kill_leftovers(directory: str) -> None:
    for pidfile in glob.glob(os.path.join(directory, "**", "*.pid"), recursive=True):
        try:
            pid = int(open(pidfile).read().strip())
            cmd = open("/proc/%d/cmdline" % pid, "rb").read()
        except (OSError, ValueError):
            continue
        if b"pyredis" in cmd or b"redis-server" in cmd:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.timeout(900)
@pytest.mark.parametrize("page", [os.path.basename(p) for p in DOCS])
def test_docs_commands(page, tmp_path):
    if page in NOT_A_SCRIPT:
        pytest.skip(NOT_A_SCRIPT[page])
    commands = sh_commands(os.path.join(ROOT, "docs", page))
    base = free_base(10)
    web = {"8080": str(free_port()), "8081": str(free_port())}
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, module in (("pyredis-cluster", "pyredis_cluster.cli.cluster_main"),
                         ("pyredis-server", "pyredis_cluster.cli.server_main")):
        path = bindir / name
        path.write_text('#!/bin/sh\nexec "%s" -m %s "$@"\n' % (sys.executable, module))
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, PATH="%s%s%s" % (bindir, os.pathsep, os.environ["PATH"]),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def subst(s: str) -> str:
        s = re.sub(r"\b700([0-9])\b", lambda m: str(base + int(m.group(1))), s)
        return re.sub(r"\b(8080|8081)\b", lambda m: web[m.group(1)], s)

    background = []
    try:
        for cmd, expect in commands:
            run = subst(cmd)
            if cmd.startswith("bash scripts/start.sh"):
                run = "pyredis-cluster start --port %d --node-timeout 3000" % base
            if cmd.startswith("pyredis-cluster dashboard"):
                proc = subprocess.Popen(["bash", "-c", "exec " + run.split("#")[0]], cwd=work, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                background.append(proc)
                port = re.search(r"--port (\d+)", run).group(1)
                page_html = _wait_http("http://127.0.0.1:%s/" % port, proc)
                assert b"pyredis-cluster dashboard" in page_html
                if "--replay" in run:
                    meta = json.loads(_wait_http("http://127.0.0.1:%s/api/replay" % port, proc))
                    assert meta["frames"] and meta["events"]
                else:
                    st = json.loads(_wait_http("http://127.0.0.1:%s/api/state" % port, proc))
                    assert st["snapshot"]["nodes"], st
                continue
            res = subprocess.run(["bash", "-c", run], cwd=work, env=env, capture_output=True, text=True,
                                 timeout=300)
            output = res.stdout + res.stderr
            assert res.returncode == 0, "%s: %s\nexit %d\n%s" % (page, run, res.returncode, output[-3000:])
            if expect is not None:
                assert subst(expect) in output, "%s: %s\nexpected %r in:\n%s" % (page, run, subst(expect),
                                                                                 output[-3000:])
    finally:
        for proc in background:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if (work / "data").exists():
            subprocess.run([str(bindir / "pyredis-cluster"), "stop"], cwd=work, env=env, capture_output=True,
                           timeout=60)
        _kill_leftovers(str(work))
