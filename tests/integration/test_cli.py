"""pyredis-server as a program: config file + ``--directive`` overrides, stdin, ``-v``/``-h``,
``--test-config``, fatal config errors (exit code 1, Redis's report on stderr, checked against Debian's
redis-server on the same files), daemonize + pidfile + logfile, CONFIG REWRITE of a real file, and the
conf/700X.conf cluster configs.  Every server is stopped by its PID."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from helpers import ROOT, RawClient, free_port, wait_for_port

SERVER = [sys.executable, "-m", "pyredis_cluster.cli.server_main"]
ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
REDIS = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(REDIS is None, reason="Debian's redis-server is not installed")


def run(args, cwd=None, stdin=None, timeout=30, exe=None):
    """Run pyredis-server (or ``exe``) to completion: (returncode, stdout, stderr)."""
    p = subprocess.run((exe or SERVER) + list(args), cwd=cwd, env=ENV, input=stdin, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class Server:
    """A pyredis-server started in the foreground, stopped by its PID."""

    def __init__(self, args, cwd, port, stdin=None):
        self.port = port
        fd, self.log_path = tempfile.mkstemp(prefix="pyredis-cli-", suffix=".out")
        os.close(fd)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(SERVER + list(args), cwd=cwd, env=ENV, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.PIPE if stdin else None)
        if stdin:
            self.proc.stdin.write(stdin.encode())
            self.proc.stdin.close()
        try:
            wait_for_port(port, proc=self.proc)
        except Exception:
            out = self.output()
            self.stop()
            raise RuntimeError("server failed to start:\n" + out)

    def output(self) -> str:
        with open(self.log_path) as f:
            return f.read()

    def call(self, *args) -> bytes:
        with RawClient(self.port) as c:
            return c.call(*args)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


def bulk(value: str) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value.encode())


def get_reply(name: str, value: str) -> bytes:
    return b"*2\r\n" + bulk(name) + bulk(value)


# -- -v, -h --------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["-v", "--version"])
def test_version(flag):
    rc, out, err = run([flag])
    assert rc == 0 and err == ""
    assert re.fullmatch(r"Redis server v=7\.0\.15 sha=00000000:0 malloc=libc bits=64 build=[0-9a-f]+\n", out)


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_goes_to_stderr_with_exit_code_1_like_redis(flag):
    rc, out, err = run([flag])
    assert (rc, out) == (1, "")
    assert err.startswith("Usage: pyredis-server [/path/to/redis.conf] [options] [-]\n")
    assert "--test-config" in err
    if REDIS:
        assert subprocess.run([REDIS, flag], capture_output=True).returncode == rc


# -- config file and overrides --------------------------------------------------------------------


def test_config_file_then_overrides(tmp_path):
    port = free_port()
    conf = tmp_path / "node.conf"
    conf.write_text("# a test node\nport 1\nbind 127.0.0.1\nmaxmemory 1mb\nsave 900 1\n"
                    "requirepass \"secret pass\"\nappendonly no\ntimeout 7\n")
    srv = Server([str(conf), "--port", str(port), "--maxmemory", "2mb", "--save", "900", "1", "300", "10",
                  "--loglevel", "verbose", "--dir", str(tmp_path)], tmp_path, port)
    try:
        with RawClient(port) as c:
            assert c.call("AUTH", "secret pass") == b"+OK\r\n"
            assert c.call("CONFIG", "GET", "port") == get_reply("port", str(port))
            assert c.call("CONFIG", "GET", "maxmemory") == get_reply("maxmemory", "2097152")
            # "save" lines of the file and of the command line add up (Redis 7.0 does the same)
            assert c.call("CONFIG", "GET", "save") == get_reply("save", "900 1 900 1 300 10")
            assert c.call("CONFIG", "GET", "loglevel") == get_reply("loglevel", "verbose")
            assert c.call("CONFIG", "GET", "timeout") == get_reply("timeout", "7")
            assert c.call("CONFIG", "GET", "dir") == get_reply("dir", os.path.realpath(tmp_path))
        assert "Configuration loaded" in srv.output()
    finally:
        srv.stop()
    assert srv.proc.returncode == 0


@pytest.mark.parametrize("save_args,expected", [(["--save", ""], ""), (["--save"], ""),
                                                (["--save", "--appendonly", "no"], ""),
                                                (["--save", "60 5"], "60 5")])
def test_save_on_the_command_line(tmp_path, save_args, expected):
    port = free_port()
    srv = Server(["--port", str(port), "--dir", str(tmp_path)] + save_args, tmp_path, port)
    try:
        assert srv.call("CONFIG", "GET", "save") == get_reply("save", expected)
    finally:
        srv.stop()


def test_config_from_stdin(tmp_path):
    port = free_port()
    srv = Server(["-", "--maxmemory", "3mb"], tmp_path, port, stdin="port %d\nmaxmemory 1mb\n" % port)
    try:
        assert srv.call("CONFIG", "GET", "maxmemory") == get_reply("maxmemory", str(3 * 1024 * 1024))
    finally:
        srv.stop()


def test_config_set_and_rewrite_of_the_real_file(tmp_path):
    port = free_port()
    conf = tmp_path / "node.conf"
    conf.write_text("# keep me\nport %d\nmaxmemory 1mb\nsave \"\"\n" % port)
    srv = Server([str(conf), "--dir", str(tmp_path)], tmp_path, port)
    try:
        assert srv.call("CONFIG", "SET", "maxmemory", "5mb", "timeout", "9") == b"+OK\r\n"
        assert srv.call("CONFIG", "REWRITE") == b"+OK\r\n"
        text = conf.read_text()
        assert text.startswith("# keep me\nport %d\nmaxmemory 5mb\nsave \"\"\n" % port)
        assert "\n# Generated by CONFIG REWRITE\n" in text and "\ntimeout 9\n" in text
        assert "CONFIG REWRITE executed with success." in srv.output()
    finally:
        srv.stop()
    # the rewritten file starts the same node again
    srv = Server([str(conf)], tmp_path, port)
    try:
        assert srv.call("CONFIG", "GET", "timeout") == get_reply("timeout", "9")
    finally:
        srv.stop()


@needs_redis
def test_rewrite_matches_redis(tmp_path):
    """The same file and CONFIG SETs, rewritten by both servers: identical up to the order of the lines
    Redis appends (its hash-table order) and the port/dir values."""
    files = []
    servers = []
    base = ("# header comment\nport {port}\nsave 900 1\nsave 300 10\n\nrename-command FLUSHDB \"\"\n"
            "maxmemory 100mb\nslave-priority 50\nloglevel notice\nloglevel warning\n# trailing comment\n"
            "requirepass \"a b\"\ndir {dir}\n")
    try:
        for kind in ("ours", "redis"):
            d = tmp_path / kind
            d.mkdir()
            port = free_port()
            f = d / "r.conf"
            f.write_text(base.format(port=port, dir=d))
            files.append((f, port, d))
            if kind == "ours":
                servers.append(Server([str(f)], d, port))
            else:
                log = open(d / "server.out", "w")
                p = subprocess.Popen([REDIS, str(f)], cwd=d, stdout=log, stderr=subprocess.STDOUT)
                servers.append(p)
                wait_for_port(port, proc=p)
        for f, port, d in files:
            with RawClient(port) as c:
                assert c.call("AUTH", "a b") == b"+OK\r\n"
                assert c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "hz", "20",
                              "notify-keyspace-events", "KEg", "client-output-buffer-limit",
                              "pubsub 64mb 16mb 120", "maxmemory-clients", "10%", "save", "60 1",
                              "bind", "127.0.0.1", "latency-tracking-info-percentiles", "50 99.99",
                              "shutdown-on-sigterm", "now") == b"+OK\r\n"
                assert c.call("CONFIG", "REWRITE") == b"+OK\r\n"
        texts = []
        for f, port, d in files:
            t = f.read_text().replace("port %d\n" % port, "port X\n").replace('dir "%s"' % d, 'dir "D"')
            head, sig, tail = t.partition("# Generated by CONFIG REWRITE\n")
            texts.append((head, sig, sorted(tail.splitlines())))
        ours, theirs = texts
        assert ours[0] == theirs[0]
        assert ours[1] == theirs[1]
        # ours binds 127.0.0.1 by default, so "bind 127.0.0.1" is a default we do not write
        assert [x for x in ours[2]] == [x for x in theirs[2] if x != "bind 127.0.0.1"]
    finally:
        for s in servers:
            if isinstance(s, Server):
                s.stop()
            elif s.poll() is None:
                os.kill(s.pid, signal.SIGTERM)
                s.wait(10)


# -- fatal configuration errors ---------------------------------------------------------------------

BAD_LINES = [
    "foo bar", "port", "port abc", "port 70000", "port 1 2", "daemonize maybe", "maxmemory 10x", "maxmemory -1",
    "maxmemory 1.5gb", "loglevel loud", "appendfsync sometimes", "save 900", "save 0 1", "save abc 1",
    "dir /nonexistent/dir", "rename-command NOSUCH foo", "unixsocketperm 999", "shutdown-on-sigint save nosave",
    "maxmemory-clients 200%", "maxmemory-clients abc", "notify-keyspace-events Q",
    "client-output-buffer-limit foo 1 2 3", "client-output-buffer-limit normal 1 2", "oom-score-adj-values 1 2",
    "replicaof localhost", "replicaof localhost abc", 'port "7000', "dbfilename /a/b", 'appendfilename ""',
    "timeout -1", "activedefrag yes", "latency-tracking-info-percentiles 50 200", "sentinel monitor x",
    "cluster-announce-hostname a_b", "proc-title-template {bad}", "port 0x10", "port +5", "port 007",
    "logfile /nonexistent/x.log", "include /nonexistent.conf", "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
    "maxclients 0", "masterauth 'a'b", "cluster-enabled yes\nslaveof 127.0.0.1 7000",
]


def strip_ours(text: str) -> str:
    """Our report without the line naming the file (Redis's report does not name it)."""
    return re.sub(r"\(in (file '[^']*', line \d+|the command line options|the configuration read from stdin, "
                  r"line \d+)\)\n$", "", text)


def strip_log_prefix(text: str) -> str:
    return re.sub(r"^\d+:[CM] \d\d \w\w\w \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] ", "", text, flags=re.M)


@pytest.mark.parametrize("line", BAD_LINES)
def test_bad_config_exits_1_with_the_fatal_report(tmp_path, line):
    conf = tmp_path / "bad.conf"
    conf.write_text("# comment\nport %d\n%s\n" % (free_port(), line))
    rc, out, err = run([str(conf)], cwd=tmp_path)
    assert rc == 1
    if line.startswith("include"):
        assert "Fatal error, can't open config file '/nonexistent.conf': No such file or directory" in out
    elif line.startswith("logfile") or line.startswith("cluster-enabled"):
        assert err.startswith("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n")
    else:
        n = 3
        assert err.startswith("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
                              "Reading the configuration file, at line %d\n>>> '%s'\n" % (n, line))
        assert err.endswith("(in file '%s', line 3)\n" % conf)
    assert "Ready to accept" not in out
    if REDIS:
        r = subprocess.run([REDIS, str(conf)], cwd=tmp_path, capture_output=True, text=True, timeout=10)
        assert r.returncode == 1
        assert strip_ours(err) == r.stderr
        assert strip_log_prefix(out) == strip_log_prefix(r.stdout)


@pytest.mark.parametrize("args_fmt,line_no", [
    (["{conf}", "--port", "abc"], 3),  # the file ends with "\n": the options start after an empty line
    (["{conf_nonl}", "--save", "900", "--port", "abc"], 2),
    (["--port", "abc"], 2),
    (["{conf}", "foo"], 3),
    (["{conf}", "--maxmemory", "1", "2"], 3),
])
def test_bad_command_line_options(tmp_path, args_fmt, line_no):
    conf = tmp_path / "ok.conf"
    conf.write_text("port %d\n" % free_port())
    conf_nonl = tmp_path / "ok2.conf"
    conf_nonl.write_text("port %d" % free_port())
    args = [a.format(conf=conf, conf_nonl=conf_nonl) for a in args_fmt]
    rc, out, err = run(args, cwd=tmp_path)
    assert rc == 1
    assert "Reading the configuration file, at line %d\n" % line_no in err
    assert err.endswith("(in the command line options)\n")
    if REDIS:
        r = subprocess.run([REDIS] + args, cwd=tmp_path, capture_output=True, text=True, timeout=10)
        assert r.returncode == 1
        assert strip_ours(err) == r.stderr


def test_missing_config_file(tmp_path):
    rc, out, err = run(["nope.conf"], cwd=tmp_path)
    assert rc == 1
    assert out.endswith(" # Fatal error, can't open config file '%s': No such file or directory\n"
                        % os.path.join(os.path.realpath(tmp_path), "nope.conf"))


def test_error_in_an_included_file_names_it(tmp_path):
    inc = tmp_path / "inc.conf"
    inc.write_text("maxmemory 1mb\nmaxmemory lots\n")
    conf = tmp_path / "main.conf"
    conf.write_text("port %d\ninclude inc.conf\n" % free_port())
    rc, out, err = run([str(conf)], cwd=tmp_path)
    assert rc == 1
    assert "Reading the configuration file, at line 2\n>>> 'maxmemory lots'\nargument must be a memory value\n" in err
    assert err.endswith("(in file '%s', line 2)\n" % inc)


# -- --test-config ------------------------------------------------------------------------------------


def test_test_config(tmp_path):
    good = tmp_path / "good.conf"
    good.write_text("port 7777\ndir %s\nmaxmemory 1gb\n" % tmp_path)
    assert run(["--test-config", str(good)]) == (0, "Configuration test passed\n", "")
    assert run(["--test-config", str(good), "--maxmemory", "1gb"])[0] == 0
    rc, out, err = run(["--test-config", str(good), "--maxmemory", "lots"])
    assert rc == 1 and "argument must be a memory value" in err
    bad = tmp_path / "bad.conf"
    bad.write_text("port 7777\nappendonly maybe\n")
    rc, out, err = run(["--test-config", str(bad)])
    assert rc == 1
    assert err == ("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n"
                   ">>> 'appendonly maybe'\nargument must be 'yes' or 'no'\n(in file '%s', line 2)\n" % bad)


# -- daemonize ----------------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/status" % pid) as f:
            return "\nState:\tZ" not in f.read()  # a zombie nobody reaped yet is gone for us
    except OSError:
        return True


def test_daemonize_pidfile_logfile(tmp_path):
    port = free_port()
    pidfile = tmp_path / "node.pid"
    logfile = tmp_path / "node.log"
    conf = tmp_path / "d.conf"
    conf.write_text("port %d\ndaemonize yes\npidfile %s\nlogfile %s\ndir %s\nsave \"\"\n"
                    % (port, pidfile, logfile, tmp_path))
    t0 = time.monotonic()
    rc, out, err = run([str(conf)], timeout=20)
    elapsed = time.monotonic() - t0
    assert (rc, out, err) == (0, "", "")
    assert elapsed < 10  # the launching process returns at once; the daemon carries on
    pid = None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if pidfile.exists() and pidfile.read_text().endswith("\n"):
            pid = int(pidfile.read_text())
            break
        time.sleep(0.05)
    assert pid is not None, "no pidfile; log:\n" + (logfile.read_text() if logfile.exists() else "")
    try:
        assert _alive(pid)
        wait_for_port(port)
        with RawClient(port) as c:
            assert c.call("PING") == b"+PONG\r\n"
            assert c.call("CONFIG", "GET", "daemonize") == get_reply("daemonize", "yes")
            assert c.call("CONFIG", "GET", "pidfile") == get_reply("pidfile", str(pidfile))
        log = logfile.read_text()
        assert "Configuration loaded" in log and "Ready to accept connections" in log
        assert "pid=%d," % pid in log
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert not pidfile.exists()  # removed at shutdown, as redis-server does
    assert "Redis is now ready to exit, bye bye..." in logfile.read_text()


# -- the cluster configs in conf/ ---------------------------------------------------------------------


@pytest.mark.parametrize("n", range(6))
def test_repo_cluster_configs_pass_test_config(n):
    rc, out, err = run(["--test-config", "conf/700%d.conf" % n], cwd=ROOT)
    assert (rc, out, err) == (0, "Configuration test passed\n", "")


def test_repo_cluster_config_starts_from_the_repo_root(tmp_path):
    """pyredis-server conf/7000.conf, run from the repository root (port/dir/pidfile moved aside so the
    test neither collides with a running local cluster nor writes into data/7000)."""
    port = free_port()
    srv = Server(["conf/7000.conf", "--port", str(port), "--dir", str(tmp_path), "--pidfile",
                  str(tmp_path / "p.pid")], ROOT, port)
    try:
        with RawClient(port) as c:
            assert c.call("PING") == b"+PONG\r\n"
            for name, value in (("cluster-enabled", "yes"), ("cluster-config-file", "nodes-7000.conf"),
                                ("cluster-node-timeout", "5000"), ("appendonly", "yes"),
                                ("bind", "127.0.0.1 -::1")):
                assert c.call("CONFIG", "GET", name) == get_reply(name, value)
        assert (tmp_path / "p.pid").read_text() == "%d\n" % srv.proc.pid
    finally:
        srv.stop()
    assert srv.proc.returncode == 0
