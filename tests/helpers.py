"""Test helpers: start real servers (ours and Debian's redis-server) on free loopback ports, and a raw
RESP client that returns reply *bytes*, so replies can be compared byte for byte."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from pyredis_cluster.testing.cluster import free_port as _testing_free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    """A free TCP port on 127.0.0.1 whose +10000 (cluster bus) is free as well: drawn at random below the
    kernel's ephemeral range (so no outgoing connection takes it meanwhile) and never handed out twice by
    this process (so parallel workers and tests rarely collide; start_server retries when they do)."""
    return _testing_free_port()


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 10.0, proc=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with code %s" % proc.returncode)
        try:
            with socket.create_connection((host, port), timeout=0.2) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                s.settimeout(1.0)
                reply = s.recv(100)
                if reply.startswith(b"-LOADING"):  # listening, still loading its data: not ready yet
                    time.sleep(0.05)
                    continue
                if reply:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("port %d did not open" % port)


class ServerProcess:
    """A server process we started; always stopped by its PID."""

    def __init__(self, kind: str, port: int, args: list, workdir: str, proc: subprocess.Popen):
        self.kind = kind
        self.port = port
        self.args = args
        self.workdir = workdir
        self.proc = proc

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, sig=signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        try:
            with open(os.path.join(self.workdir, "server.log")) as f:
                return f.read()
        except OSError:
            return ""


def start_server(kind: str = "ours", port: int | None = None, args: list | None = None,
                 workdir: str | None = None, config_file: str | None = None, wait: bool = True) -> ServerProcess:
    """Start ``pyredis-server`` (kind="ours") or Debian's ``redis-server`` (kind="redis")."""
    if port is None and wait:
        # a free port can be taken by a parallel test between our check and the server's bind: retry
        for attempt in range(3):
            try:
                return start_server(kind, free_port(), args, workdir, config_file, wait)
            except RuntimeError as e:
                if "already in use" not in str(e) or attempt == 2:
                    raise
    port = port or free_port()
    workdir = workdir or tempfile.mkdtemp(prefix="pyredis-test-")
    base = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", workdir]
    if kind == "ours":
        cmd = [sys.executable, "-m", "pyredis_cluster.cli.server_main"]
    else:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        cmd = [exe]
    if config_file:
        cmd.append(config_file)
    cmd += base + list(args or [])
    log = open(os.path.join(workdir, "server.log"), "w")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, env=env)
    srv = ServerProcess(kind, port, cmd, workdir, proc)
    if wait:
        try:
            wait_for_port(port, proc=proc)
        except Exception:
            srv.stop()
            raise RuntimeError("server failed to start:\n" + srv.log())
    return srv


def encode_command(*args) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, (int, float)):
            a = str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


class RawClient:
    """Sends commands and returns the exact bytes of each reply."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def call(self, *args) -> bytes:
        self.sock.sendall(encode_command(*args))
        return self.read_reply()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line(self, pos: int) -> int:
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _skip(self, pos: int) -> int:
        """Return the end offset of the reply starting at ``pos`` (reading more as needed)."""
        while len(self.buf) <= pos:
            self._fill()
        t = self.buf[pos:pos + 1]
        nl = self._line(pos)
        head = self.buf[pos + 1:nl]
        end = nl + 2
        if t in (b"$", b"=", b"!"):
            n = int(head)
            if n < 0:
                return end
            while len(self.buf) < end + n + 2:
                self._fill()
            return end + n + 2
        if t in (b"*", b"~", b">"):
            n = int(head)
            for _ in range(max(n, 0)):
                end = self._skip(end)
            return end
        if t == b"%" or t == b"|":
            n = int(head)
            for _ in range(2 * n):
                end = self._skip(end)
            return end
        return end  # + - : _ , # (

    def read_reply(self) -> bytes:
        end = self._skip(0)
        out, self.buf = self.buf[:end], self.buf[end:]
        return out

    def read_until_close(self, timeout: float = 5.0) -> bytes:
        """Everything the server sends until it closes the connection."""
        self.sock.settimeout(timeout)
        data = self.buf
        self.buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
        return data


# -- clusters of real processes -------------------------------------------------------------------------


def cluster_args(port: int, node_timeout: int = 3000) -> list:
    return ["--cluster-enabled", "yes", "--cluster-config-file", "nodes-%d.conf" % port,
            "--cluster-node-timeout", str(node_timeout)]


def run_to_exit(kind: str, workdir: str, args: list, timeout: float = 20.0, must_exit: bool = True) -> tuple:
    """Start a server ("ours" or "redis") that is expected to exit by itself (a bad file, a failed
    check ...); returns (exit code, its output).  One still running after ``timeout`` is killed: an
    AssertionError if ``must_exit``, else its code is the kill's."""
    if kind == "ours":
        cmd = [sys.executable, "-m", "pyredis_cluster.cli.server_main"]
    else:
        cmd = [shutil.which("redis-server")]
    cmd += ["--port", str(free_port()), "--bind", "127.0.0.1", "--dir", workdir] + list(args)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=workdir, env=env)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(5)
        if must_exit:
            raise AssertionError("the server did not exit:\n" + out.decode("latin-1"))
    return proc.returncode, out.decode("latin-1")


def start_cluster_nodes(kinds: list, node_timeout: int = 3000, config_files: list | None = None,
                        extra_args: list | None = None) -> list:
    """Start one process per entry of ``kinds`` ("ours" or "redis") in cluster mode, each on free ports
    in its own directory."""
    nodes = []
    try:
        for i, kind in enumerate(kinds):
            for attempt in range(3):  # a parallel test may take the port between the check and the bind
                port = free_port()
                args = cluster_args(port, node_timeout) + list(extra_args or [])
                cfg = config_files[i] if config_files else None
                workdir = tempfile.mkdtemp(prefix="pyredis-cluster-")
                if cfg:
                    # conf/700X.conf says "dir ./data/700X" relative to where the node starts
                    os.makedirs(os.path.join(workdir, "data", os.path.basename(cfg)[:-5]), exist_ok=True)
                    args += ["--pidfile", "", "--appendonly", "no", "--logfile", ""]
                try:
                    nodes.append(start_server(kind, port=port, args=args, config_file=cfg, workdir=workdir))
                    break
                except RuntimeError as e:
                    if "already in use" not in str(e) or attempt == 2:
                        raise
    except Exception:
        for n in nodes:
            n.stop()
        raise
    return nodes


def redis_cli(*args, timeout: float = 120, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["redis-cli", *map(str, args)], capture_output=True, timeout=timeout, input=input)


def create_cluster(nodes: list, replicas: int = 0) -> subprocess.CompletedProcess:
    """Debian's ``redis-cli --cluster create`` over the given nodes."""
    addrs = ["127.0.0.1:%d" % n.port for n in nodes]
    res = redis_cli("--cluster", "create", *addrs, "--cluster-replicas", replicas, "--cluster-yes")
    if res.returncode != 0:
        raise RuntimeError("redis-cli --cluster create failed:\n%s\n%s" % (res.stdout.decode(), res.stderr.decode()))
    return res


def cluster_info(port: int) -> dict:
    with RawClient(port) as c:
        raw = c.call("CLUSTER", "INFO")
    body = raw.split(b"\r\n", 1)[1]
    return dict(line.split(":", 1) for line in body.decode().split("\r\n") if ":" in line)


def cluster_nodes(port: int) -> list:
    """CLUSTER NODES as a list of dicts (id, addr, flags, master, epoch, link, slots)."""
    with RawClient(port) as c:
        raw = c.call("CLUSTER", "NODES")
    body = raw.split(b"\r\n", 1)[1][:-2].decode()
    out = []
    for line in body.strip("\n").split("\n"):
        f = line.split(" ")
        out.append({"id": f[0], "addr": f[1], "flags": set(f[2].split(",")), "master": f[3], "epoch": int(f[6]),
                    "link": f[7], "slots": f[8:]})
    return out


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, ConnectionError) as e:
            last = e
        time.sleep(interval)
    raise TimeoutError("timed out waiting for %s (last: %r)" % (what, last))


def wait_cluster_ok(nodes: list, timeout: float = 30.0) -> None:
    for n in nodes:
        wait_until(lambda n=n: cluster_info(n.port).get("cluster_state") == "ok", timeout,
                   what="cluster_state:ok on %d" % n.port)
