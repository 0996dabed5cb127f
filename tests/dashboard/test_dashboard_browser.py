"""The dashboard in a real browser (headless Debian chromium driven by Playwright).

* live: a 3+3 cluster of ours; the page shows six healthy nodes and the 16384 slots; a master is killed with
  the page's own kill button; the page then shows that node FAIL and its replica a master, and the event log
  the election.  Screenshots: tests/artifacts/dashboard_live_before.png, dashboard_failover.png.
* replay: a failover recorded from the simulation plays back, stops by itself at "votes counted", and
  shows the same events on every run.  Screenshot: tests/artifacts/dashboard_replay.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from helpers import ROOT, create_cluster, free_port, start_cluster_nodes, wait_cluster_ok, wait_for_port

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (scripts/test.sh does)")
if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium; scripts/test.sh does)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def start_dashboard(*args):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "pyredis_cluster.cli.cluster_main", "dashboard", *args,
                             "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=20, proc=proc)
    except Exception:
        proc.kill()
        raise RuntimeError("dashboard did not start:\n" + proc.stdout.read().decode())
    return proc, "http://127.0.0.1:%d/" % port


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def new_page(browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: d.accept())  # the kill button asks first
    return page, errors


def test_live_failover_in_the_page(browser):
    os.makedirs(ARTIFACTS, exist_ok=True)
    nodes = start_cluster_nodes(["ours"] * 6, node_timeout=2000)
    dash = None
    try:
        create_cluster(nodes, replicas=1)
        wait_cluster_ok(nodes)
        dash, url = start_dashboard("127.0.0.1:%d" % nodes[0].port, "--interval", "0.3")
        page, errors = new_page(browser)
        page.goto(url)
        page.wait_for_function("document.querySelectorAll('#nodes tbody tr[data-health=ok]').length === 6",
                               timeout=20_000)
        assert page.inner_text("#cluster-state") == "cluster: ok"
        assert page.inner_text("#assigned") == "16384"
        assert page.locator("#graph g.node").count() == 6
        # the nodes' own event logs are there: the cluster being created
        page.wait_for_selector("#events .ev[data-kind=handshake]", state="attached", timeout=10_000)
        page.screenshot(path=os.path.join(ARTIFACTS, "dashboard_live_before.png"))

        rows = page.eval_on_selector_all("#nodes tbody tr", "rs => rs.map(r => ({id: r.dataset.nodeId, "
                                         "port: +r.dataset.port, role: r.dataset.role, master: r.dataset.master}))")
        master = next(r for r in rows if r["role"] == "master")
        replica = next(r for r in rows if r["role"] == "replica" and r["master"] == master["id"])
        # kill the master with the page's own button
        page.click("#nodes tbody tr[data-node-id='%s'] button[data-act=kill]" % master["id"])
        page.wait_for_function("document.getElementById('action-result').textContent.startsWith('SIGKILL')",
                               timeout=10_000)
        # the page shows the master FAIL (as the other nodes see it) and its replica promoted
        page.wait_for_selector("#nodes tbody tr[data-node-id='%s'][data-health=fail]" % master["id"], timeout=40_000)
        page.wait_for_selector("#nodes tbody tr[data-node-id='%s'][data-role=master]" % replica["id"], timeout=40_000)
        page.wait_for_selector("#graph g.node[data-node-id='%s'][data-health=fail]" % master["id"],
                               state="attached", timeout=10_000)
        page.wait_for_selector("#graph g.node[data-node-id='%s'][data-role=master]" % replica["id"],
                               state="attached", timeout=10_000)
        page.wait_for_function("document.getElementById('cluster-state').textContent === 'cluster: ok'",
                               timeout=20_000)
        for kind in ("pfail", "fail", "election-won", "promoted"):
            page.wait_for_selector("#events .ev[data-kind='%s']" % kind, state="attached", timeout=10_000)
        # the replica's slots are its master's now
        legend = page.inner_text("#slot-legend")
        assert "127.0.0.1:%d" % replica["port"] in legend
        page.screenshot(path=os.path.join(ARTIFACTS, "dashboard_failover.png"))
        assert errors == []
    finally:
        if dash is not None:
            stop(dash)
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


def _record(path, seed=7):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-m", "pyredis_cluster.testing.recording", "failover", "--seed", str(seed),
                    "-o", path], check=True, env=env, capture_output=True)


def _play_until_votes(browser, url):
    page, errors = new_page(browser)
    page.goto(url)
    page.wait_for_function("window.dashboard.meta && window.dashboard.renders > 0", timeout=20_000)
    # "stop at: votes counted" is on by default; play at 10x until the replay stops by itself
    page.select_option("#rp-speed", "10")
    page.click("#rp-play")
    page.wait_for_function("!window.dashboard.playing && window.dashboard.frame > 0", timeout=60_000)
    assert page.inner_text("#rp-mark") == "stopped at vote-received"
    now = page.eval_on_selector_all("#events .ev.now", "es => es.map(e => e.dataset.kind)")
    assert "vote-received" in now
    shown = page.evaluate("window.dashboard.events.filter(e => e.frame <= window.dashboard.frame)"
                          ".map(e => [e.time, e.reporter, e.kind, e.text])")
    frame = page.evaluate("window.dashboard.frame")
    assert errors == []
    return page, frame, shown


def test_replay_stops_at_votes_counted_same_on_every_run(browser, tmp_path):
    os.makedirs(ARTIFACTS, exist_ok=True)
    a, b = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    _record(a)
    _record(b)
    assert open(a).read() == open(b).read()  # same seed, same recording
    runs = []
    for path in (a, b):
        dash, url = start_dashboard("--replay", path)
        try:
            page, frame, shown = _play_until_votes(browser, url)
            if not runs:
                # the graph at that moment: the master is FAIL, the replica still a replica
                assert page.locator("#graph g.node[data-health=fail]").count() == 1
                page.screenshot(path=os.path.join(ARTIFACTS, "dashboard_replay.png"))
            # step on to the promotion
            page.click("#rp-play")
            page.wait_for_function("!window.dashboard.playing && document.getElementById('rp-mark').textContent"
                                   ".startsWith('stopped at')", timeout=60_000)
            after = page.inner_text("#rp-mark")
            page.close()
            runs.append((frame, shown, after))
        finally:
            stop(dash)
    assert runs[0] == runs[1]
    kinds = [k for _, _, k, _ in runs[0][1]]
    order = ["pfail", "fail", "election-started", "vote-requested", "vote-granted", "vote-received"]
    assert [kinds.index(k) for k in order] == sorted(kinds.index(k) for k in order)
    assert "election-won" in runs[0][2]
