"""The one-command local cluster: ``pyredis-cluster start | status | kill | restart | logs | stop`` on free
ports (never 7000-7005: ``--port`` takes a free base port whose whole range is checked), the README's
tutorial tour run command by command, and the README quick start (``bash scripts/start.sh``) in a fresh
virtualenv.  Every process is stopped by the PID in its pidfile."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

from helpers import ROOT, RawClient, cluster_info, cluster_nodes, wait_until

README = os.path.join(ROOT, "README.md")

pytestmark = pytest.mark.timeout(300)


# -- ports, processes ---------------------------------------------------------------------------------------------


def _free(host: str, port: int) -> bool:
    s = socket.socket()
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_base(count: int, hosts=("127.0.0.1",)) -> int:
    """A base port such that base .. base+count-1 and their bus ports (+10000) are free on every host.

    Taken below the ephemeral range: the nodes start seconds later (the tour adds two more after a minute),
    and meanwhile any outgoing connection on the machine could be given a free port of that range."""
    rnd = random.Random()
    top = _ephemeral_low() - 10000 - count - 1
    for _ in range(1000):
        base = rnd.randint(10000, max(top, 10001))
        if all(_free(h, base + i) and _free(h, base + i + 10000) for i in range(count) for h in hosts):
            return base
    raise RuntimeError("no free port range")


def manager(*args, cwd=None, timeout: float = 300, env=None) -> subprocess.CompletedProcess:
    env = dict(env or os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "pyredis_cluster.cli.cluster_main", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


def pidfile_pids(directory) -> list:
    """PIDs found in the pidfiles under ``directory``."""
    pids = []
    for root, _dirs, files in os.walk(str(directory)):
        for f in files:
            if f.endswith(".pid"):
                try:
                    with open(os.path.join(root, f)) as fh:
                        pids.append(int(fh.read().strip()))
                except (OSError, ValueError):
                    pass
    return pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def kill_leftovers(directory) -> None:
    """Last resort after a failed test: SIGKILL what the pidfiles under ``directory`` name, if it is one of
    our nodes."""
    for pid in pidfile_pids(directory):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if b"pyredis_cluster" in cmd or b"redis-server" in cmd or b"pyredis-server" in cmd:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def status_json(directory, cwd=None) -> dict:
    res = manager("status", "--dir", directory, "--json", cwd=cwd)
    return json.loads(res.stdout)


def row(doc: dict, port: int) -> dict:
    return next(r for r in doc["nodes"] if r["port"] == port)


# -- start / status / kill / restart / logs / stop -------------------------------------------------------------------


def test_start_status_kill_restart_stop(tmp_path):
    base = free_base(6)
    d = tmp_path / "cluster"
    try:
        res = manager("start", "--port", base, "--dir", d, "--node-timeout", 3000)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "[OK] Cluster ready: cluster_state:ok on all 6 nodes." in res.stdout
        assert "Connect:  redis-cli -c -p %d" % base in res.stdout
        ports = [base + i for i in range(6)]
        for p in ports:
            assert cluster_info(p)["cluster_state"] == "ok"
            assert cluster_info(p)["cluster_known_nodes"] == "6"
            assert os.path.exists(d / str(p) / "redis.conf") and os.path.exists(d / str(p) / ("redis_%d.pid" % p))
        state = json.loads((d / "pyredis-cluster.json").read_text())
        assert [n["port"] for n in state["nodes"]] == ports and state["conf"] is False
        pids = pidfile_pids(d)
        assert len(pids) == 6 and all(alive(p) for p in pids)

        res = manager("status", "--dir", d)
        assert res.returncode == 0, res.stdout
        assert res.stdout.splitlines()[0].split() == ["NODE", "PID", "ROLE", "STATE", "SLOTS", "#SLOTS", "KEYS",
                                                      "REPLICATES", "FLAGS"]
        assert res.stdout.count(" master ") == 3 and res.stdout.count(" replica ") == 3
        doc = status_json(d)
        assert doc["ok"] and doc["healthy"] and sum(r["slots_count"] for r in doc["nodes"]) == 16384

        # kill the master of 10923-16383, watch its replica take over
        victim = base + 2
        assert row(doc, victim)["role"] == "master" and row(doc, victim)["slots"] == "10923-16383"
        replica = next(r["port"] for r in doc["nodes"] if r["master"] == row(doc, victim)["id"])
        res = manager("kill", victim, "--dir", d)
        assert res.returncode == 0 and "killed with SIGKILL" in res.stdout
        doc = status_json(d)
        assert not row(doc, victim)["up"] and not doc["healthy"]
        res = manager("status", "--dir", d)
        assert res.returncode == 1 and re.search(r"127\.0\.0\.1:%d\s+-\s+master\s+down" % victim, res.stdout)
        res = manager("status", "--dir", d, "--wait", 30)
        assert res.returncode == 0, res.stdout + res.stderr
        doc = status_json(d)
        assert row(doc, replica)["role"] == "master" and row(doc, replica)["slots"] == "10923-16383"
        assert "fail" in row(doc, victim)["flags"]

        res = manager("restart", victim, "--dir", d)
        assert res.returncode == 0 and "is running again" in res.stdout
        wait_until(lambda: row(status_json(d), victim)["role"] == "replica", 30, what="old master back as replica")
        assert manager("status", "--dir", d, "--wait", 30).returncode == 0

        res = manager("logs", victim, "--dir", d, "-n", 3)
        assert res.returncode == 0 and len(res.stdout.splitlines()) == 3
        assert "Ready to accept connections" in manager("logs", str(victim), "--dir", d, "-n", 0).stdout
        assert manager("logs", 1, "--dir", d).returncode == 2  # no such node

        pids = pidfile_pids(d)
        res = manager("stop", "--dir", d)
        assert res.returncode == 0 and res.stdout.count(" stopped (pid ") == 6
        assert not any(alive(p) for p in pids)
        assert manager("status", "--dir", d).returncode == 1

        # start again: the nodes remember the cluster, nothing is created anew
        res = manager("start", "--port", base, "--dir", d, "--node-timeout", 3000)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "The nodes already form a cluster" in res.stdout
        assert "[OK] Cluster ready" in res.stdout
        res = manager("start", "--port", base, "--dir", d)
        assert res.returncode == 1 and "is already running" in res.stderr + res.stdout
        assert manager("stop", "--dir", d).returncode == 0
    finally:
        manager("stop", "--dir", d, timeout=60)
        kill_leftovers(d)


def test_several_loopback_hosts(tmp_path):
    hosts = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
    base = free_base(6, hosts)
    d = tmp_path / "hosts"
    try:
        res = manager("start", "--port", base, "--dir", d, "--host", *hosts, "--node-timeout", 3000)
        assert res.returncode == 0, res.stdout + res.stderr
        doc = status_json(d)
        by_id = {r["id"]: r for r in doc["nodes"]}
        ms = [r for r in doc["nodes"] if r["role"] == "master"]
        assert sorted(r["host"] for r in ms) == list(hosts)  # one master per "host"
        for r in doc["nodes"]:
            assert r["state"] == "ok"
            if r["role"] == "replica":
                assert r["host"] != by_id[r["master"]]["host"]  # never on its master's host
        for r in doc["nodes"]:  # each node listens on its own address only
            if r["host"] != "127.0.0.1":
                with pytest.raises(OSError):
                    socket.create_connection(("127.0.0.1", r["port"]), timeout=1).close()
                with RawClient(r["port"], host=r["host"]) as c:
                    assert c.call("PING") == b"+PONG\r\n"
        res = manager("check", "%s:%d" % (hosts[1], base + 1))
        assert res.returncode == 0 and "%s:%d" % (hosts[2], base + 2) in res.stdout
    finally:
        manager("stop", "--dir", d, timeout=60)
        kill_leftovers(d)


def test_repository_conf_files_used_when_the_ports_match(tmp_path):
    """Like the default 7000-7005 with conf/, on free ports: a directory with conf/<port>.conf files."""
    base = free_base(6)
    (tmp_path / "conf").mkdir()
    for i in range(6):
        port = base + i
        with open(os.path.join(ROOT, "conf", "%d.conf" % (7000 + i))) as f:
            text = f.read()
        text = re.sub(r"\b700%d\b" % i, str(port), text).replace(str(7000 + i + 10000), str(port + 10000))
        (tmp_path / "conf" / ("%d.conf" % port)).write_text(text)
        (tmp_path / "data" / str(port)).mkdir(parents=True)
    try:
        res = manager("start", "--port", base, "--node-timeout", 3000, cwd=tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "from conf/" in res.stdout
        state = json.loads((tmp_path / "data" / "pyredis-cluster.json").read_text())
        assert state["conf"] is True
        assert [n["config"] for n in state["nodes"]] == [str(tmp_path / "conf" / ("%d.conf" % (base + i)))
                                                         for i in range(6)]
        for i in range(6):
            assert (tmp_path / "data" / str(base + i) / ("nodes-%d.conf" % (base + i))).exists()
            assert cluster_info(base + i)["cluster_state"] == "ok"
        assert manager("status", cwd=tmp_path).returncode == 0  # default --dir: data/
    finally:
        manager("stop", cwd=tmp_path, timeout=60)
        kill_leftovers(tmp_path / "data")


def test_start_with_redis_server_nodes(tmp_path):
    base = free_base(3)
    d = tmp_path / "rs"
    try:
        res = manager("start", "--port", base, "--dir", d, "--replicas", 0, "--server", "redis-server")
        assert res.returncode == 0, res.stdout + res.stderr
        with RawClient(base) as c:
            assert b"redis_version:7.0" in c.call("INFO", "server")
            assert b"pyredis" not in c.call("INFO", "server")
        doc = status_json(d)
        assert doc["ok"] and [r["role"] for r in doc["nodes"]] == ["master"] * 3
        assert manager("kill", base + 1, "--dir", d).returncode == 0
        assert not row(status_json(d), base + 1)["up"]
        assert manager("restart", base + 1, "--dir", d).returncode == 0
        assert manager("status", "--dir", d, "--wait", 30).returncode == 0
    finally:
        manager("stop", "--dir", d, timeout=60)
        kill_leftovers(d)


def test_start_refuses_busy_ports_and_bad_layouts(tmp_path):
    base = free_base(6)
    s = socket.socket()
    s.bind(("127.0.0.1", base + 4))
    s.listen(1)
    try:
        res = manager("start", "--port", base, "--dir", tmp_path / "x")
        assert res.returncode == 1 and "Ports in use: 127.0.0.1:%d" % (base + 4) in res.stdout
    finally:
        s.close()
    res = manager("start", "--port", base, "--dir", tmp_path / "y", "--masters", 2)
    assert res.returncode == 1 and "at least 3 masters" in res.stdout
    res = manager("status", "--dir", tmp_path / "nothing")
    assert res.returncode == 2 and "no local cluster was started" in res.stdout


# -- the README: tour and quick start ---------------------------------------------------------------------------------


def readme_tour() -> list:
    """The commands of the README's tour, in order, without their comments."""
    with open(README) as f:
        text = f.read()
    section = text.split("<!-- tour -->", 1)[1].split("<!-- /tour -->", 1)[0]
    out = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def _ok(res):
    assert res.returncode == 0, res.stdout + res.stderr


def _out(expected):
    def check(res):
        _ok(res)
        assert expected in res.stdout, res.stdout + res.stderr
    return check


def _role(port_offset, role):
    def check(res, ctx):
        _ok(res)
        port = ctx["base"] + port_offset
        wait_until(lambda: row(status_json(ctx["dir"]), port)["role"] == role, 30, what="%d is a %s" % (port, role))
    return check


def _serving(port_offset):
    def check(res, ctx):
        _ok(res)
        wait_until(lambda: _ping(ctx["base"] + port_offset), 20, what="node answers")
    return check


def _ping(port):
    try:
        with RawClient(port, timeout=1) as c:
            return c.call("PING") == b"+PONG\r\n"
    except OSError:
        return False


def _gone(port_offset):
    def check(res, ctx):
        wait_until(lambda: not _ping(ctx["base"] + port_offset), 20, what="node shut down")
    return check


TOUR = [  # (command as in the README, check)
    ("bash scripts/start.sh", _out("[OK] Cluster ready: cluster_state:ok on all 6 nodes.")),
    ("redis-cli -c -p 7000 set foo bar", _out("OK")),
    ("redis-cli -c -p 7000 get foo", _out("bar")),
    ("pyredis-cluster check 127.0.0.1:7000", _out("[OK] All 16384 slots covered.")),
    ("pyredis-cluster status", _out("10923-16383")),
    ("pyredis-cluster kill 7002", _out("killed with SIGKILL")),
    ("pyredis-cluster status --wait 30", _ok),
    ("redis-cli -c -p 7000 get foo", _out("bar")),
    ("pyredis-cluster restart 7002", _out("is running again")),
    ("pyredis-cluster status --wait 30", _role(2, "replica")),
    ("pyredis-cluster kill 7000", _ok),
    ("pyredis-cluster kill 7001", _ok),
    ("pyredis-cluster status --wait 30 --until fail", _ok),
    ("redis-cli -c -p 7002 get foo", _out("CLUSTERDOWN The cluster is down")),
    ("pyredis-cluster restart 7000", _ok),
    ("pyredis-cluster restart 7001", _ok),
    ("pyredis-cluster status --wait 30", _ok),
    ("pyredis-cluster reshard 127.0.0.1:7000 --from all --to $(redis-cli -p 7000 cluster myid) --slots 300 --yes",
     _out("Ready to move 300 slots.")),
    ("pyredis-cluster check 127.0.0.1:7000", _out("[OK] All nodes agree about slots configuration.")),
    ("pyredis-cluster rebalance 127.0.0.1:7000", _out(">>> Rebalancing across 3 nodes.")),
    ("mkdir -p data/7006 data/7007", _ok),
    ("pyredis-server --port 7006 --cluster-enabled yes --dir data/7006 --daemonize yes --pidfile redis.pid "
     "--logfile redis.log", _serving(6)),
    ("pyredis-server --port 7007 --cluster-enabled yes --dir data/7007 --daemonize yes --pidfile redis.pid "
     "--logfile redis.log", _serving(7)),
    ("pyredis-cluster add-node 127.0.0.1:7006 127.0.0.1:7000", _out("[OK] New node added correctly.")),
    ("pyredis-cluster add-node 127.0.0.1:7007 127.0.0.1:7000 --replica --master-id $(redis-cli -p 7006 cluster myid)",
     _out("[OK] New node added correctly.")),
    ("pyredis-cluster reshard 127.0.0.1:7000 --from all --to $(redis-cli -p 7006 cluster myid) --slots 100 --yes",
     _ok),
    ("pyredis-cluster info 127.0.0.1:7000", _out("| 100 slots | 1 slaves.")),
    ("pyredis-cluster reshard 127.0.0.1:7000 --from $(redis-cli -p 7006 cluster myid) "
     "--to $(redis-cli -p 7000 cluster myid) --slots 100 --yes", _ok),
    ("pyredis-cluster del-node 127.0.0.1:7000 $(redis-cli -p 7007 cluster myid)",
     _out(">>> Sending CLUSTER RESET SOFT to the deleted node.")),
    ("pyredis-cluster del-node 127.0.0.1:7000 $(redis-cli -p 7006 cluster myid)",
     _out(">>> Sending CLUSTER RESET SOFT to the deleted node.")),
    ("redis-cli -p 7006 shutdown nosave", _gone(6)),
    ("redis-cli -p 7007 shutdown nosave", _gone(7)),
    ("pyredis-cluster check 127.0.0.1:7000", _out("[OK] All 16384 slots covered.")),
    ("pyredis-cluster stop", _out("[OK] 6 node(s) stopped")),
]


def test_readme_tour_lists_exactly_the_commands_this_test_runs():
    assert readme_tour() == [cmd for cmd, _ in TOUR]


@pytest.mark.timeout(600)
def test_readme_tour(tmp_path):
    """Every command of the README's tour, in order, in a scratch directory on free ports (7000+i becomes
    base+i; the quick-start line becomes the `pyredis-cluster start` it runs, with a 3 s node timeout)."""
    base = free_base(8)
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
    ctx = {"base": base, "dir": work / "data"}

    def ports(cmd: str) -> str:
        return re.sub(r"\b700([0-7])\b", lambda m: str(base + int(m.group(1))), cmd)

    try:
        for cmd, check in TOUR:
            run = "pyredis-cluster start --port %d --node-timeout 3000" % base if cmd == "bash scripts/start.sh" \
                else ports(cmd)
            res = subprocess.run(["bash", "-c", run], cwd=work, env=env, capture_output=True, text=True, timeout=300)
            try:
                if check.__code__.co_argcount == 2:
                    check(res, ctx)
                else:
                    check(res)
            except AssertionError as e:
                raise AssertionError("tour step failed: %s\n%s\n--- stdout ---\n%s\n--- stderr ---\n%s"
                                     % (run, e, res.stdout, res.stderr)) from None
    finally:
        subprocess.run([str(bindir / "pyredis-cluster"), "stop"], cwd=work, env=env, capture_output=True, timeout=60)
        kill_leftovers(work / "data")


@pytest.mark.timeout(900)
def test_quick_start_in_a_fresh_venv(tmp_path):
    """Exactly the README's quick-start command, `bash scripts/start.sh`, in a fresh virtualenv with a copy
    of the repository (so pip installs it and its dependencies from scratch), on a free base port given
    through PORT; then `pyredis-cluster stop`."""
    base = free_base(6)
    repo = tmp_path / "repo"
    repo.mkdir()
    if os.path.isdir(os.path.join(ROOT, ".git")):  # the committed tree (as CI's fresh clone has it)
        archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(repo)], input=archive, check=True)
    else:
        shutil.copytree(ROOT, repo, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("data", "*.egg-info", "__pycache__", ".pytest_cache"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PIP_USER")}
    env.update(PATH="%s%s%s" % (venv / "bin", os.pathsep, os.environ["PATH"]), VIRTUAL_ENV=str(venv),
               PORT=str(base))
    try:
        t0 = time.monotonic()
        res = subprocess.run(["bash", "scripts/start.sh"], cwd=repo, env=env, capture_output=True, text=True,
                             timeout=900)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "[OK] Cluster ready: cluster_state:ok on all 6 nodes." in res.stdout
        assert "redis-cli -c -p %d" % base in res.stdout
        for i in range(6):
            assert cluster_info(base + i)["cluster_state"] == "ok"
        masters = [e for e in cluster_nodes(base) if "master" in e["flags"]]
        assert len(masters) == 3
        for pid in pidfile_pids(repo / "data"):  # the nodes run on the venv's Python
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                assert str(venv).encode() in f.read()
        res = subprocess.run(["pyredis-cluster", "stop"], cwd=repo, env=env, capture_output=True, text=True,
                             timeout=120)
        assert res.returncode == 0 and "[OK] 6 node(s) stopped" in res.stdout, res.stdout + res.stderr
        assert time.monotonic() - t0 < 900
    finally:
        subprocess.run([str(venv / "bin" / "pyredis-cluster"), "stop"], cwd=repo, env=env, capture_output=True,
                       timeout=120)
        kill_leftovers(repo / "data")
