"""Persistence on real processes: what a node acknowledged is there after kill -9 and restart.

* appendfsync always / everysec: a writer pipelines writes, the node is killed -9 at a random moment (a
  bounded number of rounds), restarted from its AOF: every acknowledged write is there (everysec: at most
  about a second of writes may be missing -- none is, as the writes reach the kernel before the reply);
* a torn last record is truncated as Redis does (aof-load-truncated yes), or the node refuses to start
  (no); a malformed file is refused with the file, the offset and the reason;
* BGREWRITEAOF under load, automatic rewrites, CONFIG SET appendonly yes, SAVE / BGSAVE / save points /
  SHUTDOWN, MISCONF when snapshots fail, a replica's AOF, and a cluster node that keeps its identity and
  its data across a restart.

Every loop is bounded; servers are stopped by PID.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import tempfile
import threading
import time

import pytest
import redis

from helpers import RawClient, cluster_args, encode_command, free_port, start_server, wait_until
from persist_helpers import fill, same_dataset, snapshot


def _info(port: int, section: str = "persistence") -> dict:
    with RawClient(port) as c:
        raw = c.call("INFO", section).decode()
    return dict(line.split(":", 1) for line in raw.split("\r\n") if ":" in line and not line.startswith("$"))


def _aof_dir(srv) -> str:
    return os.path.join(srv.workdir, "appendonlydir")


def _manifest(srv) -> str:
    with open(os.path.join(_aof_dir(srv), "appendonly.aof.manifest")) as f:
        return f.read()


def _incr_file(srv) -> str:
    lines = [line.split() for line in _manifest(srv).splitlines()]
    return os.path.join(_aof_dir(srv), [f[1] for f in lines if f[-1] == "i"][-1])


def _restart(srv, args=None, wait=True):
    """The same node again: same port, same directory (and so the same files)."""
    args = srv.args_extra if args is None else args
    new = start_server("ours", port=srv.port, args=args, workdir=srv.workdir, wait=wait)
    new.args_extra = args
    return new


def _start(args, workdir=None):
    srv = start_server("ours", args=args, workdir=workdir)
    srv.args_extra = args
    return srv


@pytest.fixture
def cleanup():
    servers = []
    yield servers
    for s in servers:
        s.stop(signal.SIGKILL)
        shutil.rmtree(s.workdir, ignore_errors=True)


# -- AOF restarts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_aof_restart_keeps_every_type(cleanup, preamble):
    args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]
    srv = _start(args)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    fill(srv.port, dbs=(0, 5))
    before = snapshot(srv.port, dbs=(0, 5))
    assert r.bgrewriteaof() in (True, b"Background append only file rewriting started")
    wait_until(lambda: _info(srv.port)["aof_rewrite_in_progress"] == "0" and
               _info(srv.port)["aof_rewrites"] == "1", 30, what="the rewrite")
    r.set("after:rewrite", "1")  # lands in the new incr file
    r.lpush("list:small", "z")
    before = snapshot(srv.port, dbs=(0, 5))
    assert ".base.rdb" in _manifest(srv) if preamble == "yes" else ".base.aof" in _manifest(srv)
    srv.kill()
    srv = _restart(srv)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    same_dataset(before, snapshot(srv.port, dbs=(0, 5)))
    # a graceful restart too
    srv.stop()
    srv = _restart(srv)
    cleanup.append(srv)
    same_dataset(before, snapshot(srv.port, dbs=(0, 5)))


def test_relative_expires_are_stored_absolute(cleanup):
    srv = _start(["--appendonly", "yes"])
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    r.set("a", "v", ex=100)
    r.execute_command("SETEX", "b", 100, "v")
    r.set("c", "v")
    r.expire("c", 100)
    r.set("d", "v")
    r.getex("d", ex=100)
    r.incrbyfloat("f", "1.5")
    data = open(_incr_file(srv), "rb").read()
    assert b"PXAT" in data and b"PEXPIREAT" in data and b"EX\r\n" not in data and b"SETEX" not in data
    assert b"KEEPTTL" in data  # INCRBYFLOAT as SET <result> KEEPTTL
    time.sleep(2.2)
    srv.kill()
    srv = _restart(srv)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    for k in "abcd":
        assert 90 <= r.ttl(k) <= 98, k  # the clock kept running while the node was down
    assert r.get("f") == b"1.5"


# -- crash tests ---------------------------------------------------------------------------------------------


class Writer(threading.Thread):
    """Pipelines SET w:<i> <i> and INCR counter in batches until the connection dies; remembers what was
    acknowledged (and when)."""

    def __init__(self, port: int, batch: int = 20, tag: str = ""):
        super().__init__(daemon=True)
        self.port = port
        self.counter = "counter:" + tag
        self.batch = batch
        self.acked: list = []  # (i, monotonic time of the reply)
        self.incr_acked = 0
        self.incr_sent = 0
        self.stop_flag = False

    def run(self):
        try:
            c = RawClient(self.port, timeout=5)
        except OSError:
            return
        i = 0
        try:
            while not self.stop_flag and i < 2_000_000:
                cmds = []
                for j in range(self.batch):
                    cmds.append(encode_command("SET", "w:%d" % (i + j), i + j))
                cmds.append(encode_command("INCR", self.counter))
                self.incr_sent += 1
                c.send_raw(b"".join(cmds))
                for j in range(self.batch):
                    assert c.read_reply() == b"+OK\r\n"
                    self.acked.append((i + j, time.monotonic()))
                assert c.read_reply().startswith(b":")
                self.incr_acked += 1
                i += self.batch
        except (OSError, ConnectionError, AssertionError):
            pass
        finally:
            c.close()


def _check_after_crash(port: int, w: Writer, kill_time: float, lost_window: float) -> int:
    """Every acknowledged write is there, except (lost_window > 0) those acknowledged in the last
    ``lost_window`` seconds before the kill.  Returns how many were missing."""
    r = redis.Redis(port=port)
    p = r.pipeline(transaction=False)
    for i, _ in w.acked:
        p.get("w:%d" % i)
    values = p.execute()
    missing = [(i, t) for (i, t), v in zip(w.acked, values) if v != b"%d" % i]
    for i, t in missing:
        assert kill_time - t <= lost_window, "acknowledged write w:%d lost (acked %.3fs before the kill)" % (
            i, kill_time - t)
    counter = int(r.get(w.counter) or 0)
    if not lost_window:
        assert w.incr_acked <= counter <= w.incr_sent
    return len(missing)


@pytest.mark.parametrize("fsync,lost_window", [("always", 0.0), ("everysec", 1.5)])
def test_kill_9_loses_no_acknowledged_write(cleanup, fsync, lost_window):
    rnd = random.Random(fsync)
    args = ["--appendonly", "yes", "--appendfsync", fsync]
    srv = _start(args)
    cleanup.append(srv)
    total_acked = 0
    for round_ in range(4):
        writers = [Writer(srv.port, batch=rnd.choice([1, 10, 50]), tag="%d:%d" % (round_, k)) for k in range(3)]
        for w in writers:
            w.start()
        time.sleep(rnd.uniform(0.2, 1.0))
        if round_ == 2:  # a rewrite in progress when the node dies
            with RawClient(srv.port) as c:
                c.call("BGREWRITEAOF")
            time.sleep(rnd.uniform(0.0, 0.2))
        kill_time = time.monotonic()
        os.kill(srv.pid, signal.SIGKILL)
        srv.proc.wait(10)
        for w in writers:
            w.stop_flag = True
            w.join(10)
        srv = _restart(srv)
        cleanup.append(srv)
        for w in writers:
            # writers used the same key space: check the highest acknowledged value of each key
            _check_after_crash(srv.port, w, kill_time, lost_window)
            total_acked += len(w.acked)
    assert total_acked > 100
    # the file is still one redis-check-aof accepts
    import subprocess

    srv.stop()
    res = subprocess.run(["redis-check-aof", os.path.join(_aof_dir(srv), "appendonly.aof.manifest")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


# -- damaged files -------------------------------------------------------------------------------------------


def _aof_node_with_data(cleanup, extra=()):
    args = ["--appendonly", "yes"] + list(extra)
    srv = _start(args)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    for i in range(100):
        r.set("k%d" % i, i)
    r.rpush("l", *range(10))
    srv.stop()  # SIGTERM: everything written and fsynced
    return srv


def test_torn_last_record_is_truncated_like_redis(cleanup):
    srv = _aof_node_with_data(cleanup)
    path = _incr_file(srv)
    good = os.path.getsize(path)
    with open(path, "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$10\r\nonly5")  # the node died in the middle of a write
    srv = _restart(srv)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    assert r.dbsize() == 101 and r.get("k99") == b"99" and r.get("torn") is None
    assert os.path.getsize(path) == good
    log = srv.log()
    assert "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!" in log
    assert "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset %d !!!" % good in log
    assert "AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled" in log
    r.set("after", "1")  # appended after the truncation point: the file stays readable
    srv.kill()
    srv = _restart(srv)
    cleanup.append(srv)
    assert redis.Redis(port=srv.port).get("after") == b"1"


def test_torn_record_refused_without_aof_load_truncated(cleanup):
    srv = _aof_node_with_data(cleanup, ["--aof-load-truncated", "no"])
    path = _incr_file(srv)
    with open(path, "ab") as f:
        f.write(b"*2\r\n$3\r\nDEL\r\n$2\r\nk")
    size = os.path.getsize(path)
    srv2 = _restart(srv, wait=False)
    assert srv2.proc.wait(30) == 1
    log = srv2.log()
    assert "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof" in log
    assert os.path.getsize(path) == size  # nothing touched


def test_unfinished_transaction_is_reverted(cleanup):
    srv = _aof_node_with_data(cleanup)
    path = _incr_file(srv)
    good = os.path.getsize(path)
    with open(path, "ab") as f:
        f.write(encode_command("MULTI") + encode_command("SET", "k1", "changed") + encode_command("DEL", "k2"))
    srv = _restart(srv)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    assert r.get("k1") == b"1" and r.get("k2") == b"2"
    assert "Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof" in srv.log()
    assert os.path.getsize(path) == good


def test_corrupt_file_refused_with_file_offset_and_reason(cleanup):
    srv = _aof_node_with_data(cleanup)
    path = _incr_file(srv)
    data = open(path, "rb").read()
    cut = data.index(b"*3\r\n$3\r\nSET\r\n$2\r\nk5\r\n")
    with open(path, "wb") as f:
        f.write(data[:cut] + b"GARBAGE\r\n" + data[cut:])
    srv2 = _restart(srv, wait=False)
    assert srv2.proc.wait(30) == 1
    log = srv2.log()
    assert ("Bad file format reading the append only file appendonly.aof.1.incr.aof at offset %d" % cut) in log
    # a base file cut short is refused too
    srv3 = _aof_node_with_data(cleanup)
    base = os.path.join(_aof_dir(srv3), _manifest(srv3).split()[1])
    with open(base, "r+b") as f:
        f.truncate(os.path.getsize(base) - 12)
    srv4 = _restart(srv3, wait=False)
    assert srv4.proc.wait(30) == 1
    assert "appendonly.aof.1.base.rdb" in srv4.log()


def test_manifest_naming_a_missing_file_is_refused(cleanup):
    srv = _aof_node_with_data(cleanup)
    os.unlink(_incr_file(srv))
    srv2 = _restart(srv, wait=False)
    assert srv2.proc.wait(30) == 1
    assert "appendonly.aof.1.incr.aof" in srv2.log()


def _set_fsize(pid: int, limit) -> None:
    """The soft RLIMIT_FSIZE of a running node: its AOF writes fail with EFBIG past ``limit`` bytes."""
    import subprocess

    subprocess.run(["prlimit", "--pid", str(pid), "--fsize=%s:" % limit], check=True, timeout=10)


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="prlimit (util-linux) is not installed")
def test_aof_write_error_everysec_refuses_writes_then_recovers(cleanup):
    srv = _start(["--appendonly", "yes", "--appendfsync", "everysec"])
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    r.set("before", "1")
    _set_fsize(srv.pid, os.path.getsize(_incr_file(srv)) + 3000)
    acked = []
    with RawClient(srv.port) as c:
        for i in range(200):
            reply = c.call("SET", "k:%d" % i, "v" * 100)
            if reply != b"+OK\r\n":
                assert reply.startswith(b"-MISCONF Errors writing to the AOF file: File too large"), reply
                break
            acked.append(i)
        else:
            pytest.fail("writes never failed")
        assert _info(srv.port)["aof_last_write_status"] == "err"
        assert c.call("PING").startswith(b"-MISCONF")
        assert c.call("GET", "before") == b"$1\r\n1\r\n"
        _set_fsize(srv.pid, "unlimited")
        wait_until(lambda: _info(srv.port)["aof_last_write_status"] == "ok", 15, what="the write retried")
        assert c.call("SET", "after", "1") == b"+OK\r\n"
    assert "AOF write error looks solved, Redis can write again." in srv.log()
    srv.kill()
    srv = _restart(srv)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    assert len(acked) > 5 and all(r.get("k:%d" % i) == b"v" * 100 for i in acked)
    assert r.get("after") == b"1" and r.get("before") == b"1"
    assert "short read" not in srv.log()


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="prlimit (util-linux) is not installed")
def test_aof_write_error_with_always_exits_before_answering(cleanup):
    srv = _start(["--appendonly", "yes", "--appendfsync", "always"])
    cleanup.append(srv)
    _set_fsize(srv.pid, os.path.getsize(_incr_file(srv)) + 3000)
    acked = []
    with RawClient(srv.port) as c:
        for i in range(200):
            try:
                reply = c.call("SET", "k:%d" % i, "v" * 100)
            except (ConnectionError, OSError):
                break
            assert reply == b"+OK\r\n"
            acked.append(i)
    assert srv.proc.wait(10) == 1
    assert "Can't recover from AOF write error when the AOF fsync policy is 'always'" in srv.log()
    srv = _restart(srv)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    assert len(acked) > 5 and all(r.get("k:%d" % i) == b"v" * 100 for i in acked)
    assert r.get("k:%d" % len(acked)) is None  # the write that failed was never acknowledged
    assert "short read" not in srv.log()  # the partial write was cut off before exiting


# -- rewrites ------------------------------------------------------------------------------------------------


def test_bgrewriteaof_under_load_keeps_every_write(cleanup):
    srv = _start(["--appendonly", "yes", "--appendfsync", "everysec"])
    cleanup.append(srv)
    stop = threading.Event()
    acked = {"n": 0}

    def load():
        with RawClient(srv.port) as c:
            n = 0
            while not stop.is_set() and n < 200_000:
                c.send_raw(encode_command("INCR", "n") + encode_command("RPUSH", "log", n)
                           + encode_command("SET", "k:%d" % (n % 500), n))
                c.read_reply(), c.read_reply(), c.read_reply()
                n += 1
                acked["n"] = n

    t = threading.Thread(target=load, daemon=True)
    t.start()
    try:
        for round_ in range(3):
            time.sleep(0.3)
            with RawClient(srv.port) as c:
                reply = c.call("BGREWRITEAOF")
            assert reply in (b"+Background append only file rewriting started\r\n",
                             b"+Background append only file rewriting scheduled\r\n")
            wait_until(lambda: _info(srv.port)["aof_rewrites"] == str(round_ + 1)
                       and _info(srv.port)["aof_rewrite_in_progress"] == "0", 60, what="rewrite %d" % round_)
    finally:
        stop.set()
        t.join(30)
    r = redis.Redis(port=srv.port)
    n = acked["n"]
    assert int(r.get("n")) == n and r.llen("log") == n and n > 100
    assert r.lrange("log", 0, -1) == [b"%d" % i for i in range(n)]
    before = snapshot(srv.port)
    info = _info(srv.port)
    assert info["aof_last_bgrewrite_status"] == "ok" and info["aof_rewrites_consecutive_failures"] == "0"
    m = _manifest(srv)
    assert m.startswith("file appendonly.aof.4.base.rdb seq 4 type b\n") and " type h" not in m
    assert sorted(os.listdir(_aof_dir(srv))) == sorted([line.split()[1] for line in m.splitlines()]
                                                       + ["appendonly.aof.manifest"])
    srv.kill()
    srv = _restart(srv)
    cleanup.append(srv)
    same_dataset(before, snapshot(srv.port))


def test_automatic_rewrite_on_growth(cleanup):
    srv = _start(["--appendonly", "yes", "--auto-aof-rewrite-min-size", "200kb",
                  "--auto-aof-rewrite-percentage", "100"])
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    for i in range(60):
        r.set("k", "x" * 10_000)  # the same key again and again: the rewrite shrinks the AOF
        if _info(srv.port)["aof_rewrites"] != "0":
            break
    wait_until(lambda: _info(srv.port)["aof_rewrites"] == "1" and _info(srv.port)["aof_rewrite_in_progress"] == "0",
               30, what="an automatic rewrite")
    info = _info(srv.port)
    assert int(info["aof_current_size"]) < 200 * 1024
    assert "Starting automatic rewriting of AOF on" in srv.log()
    srv.kill()
    srv = _restart(srv)
    cleanup.append(srv)
    assert redis.Redis(port=srv.port).get("k") == b"x" * 10_000


def test_config_set_appendonly_yes_creates_the_base(cleanup):
    srv = _start(["--appendonly", "no"])
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    fill(srv.port)
    assert r.config_set("appendonly", "yes")
    r.set("during", "1")  # while the first rewrite runs: into the temp incr file
    wait_until(lambda: _info(srv.port)["aof_rewrite_in_progress"] == "0" and
               _info(srv.port)["aof_enabled"] == "1" and _info(srv.port)["aof_rewrites"] == "1", 30,
               what="the first rewrite")
    r.set("after", "1")
    assert _manifest(srv) == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                              "file appendonly.aof.1.incr.aof seq 1 type i\n")
    before = snapshot(srv.port)
    srv.kill()
    srv = _restart(srv, ["--appendonly", "yes"])
    cleanup.append(srv)
    same_dataset(before, snapshot(srv.port))
    # and off again: the files stay, writes stop going there
    r = redis.Redis(port=srv.port)
    assert r.config_set("appendonly", "no")
    size = os.path.getsize(_incr_file(srv))
    r.set("not-logged", "1")
    assert os.path.getsize(_incr_file(srv)) == size and _info(srv.port)["aof_enabled"] == "0"


# -- RDB -----------------------------------------------------------------------------------------------------


def test_save_bgsave_lastsave_and_restart(cleanup):
    srv = _start(["--save", ""])
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    fill(srv.port, dbs=(0, 2))
    assert _info(srv.port)["rdb_changes_since_last_save"] != "0"
    assert r.save()
    info = _info(srv.port)
    assert info["rdb_changes_since_last_save"] == "0" and info["rdb_last_bgsave_status"] == "ok"
    last = r.lastsave()
    time.sleep(1.1)
    r.set("more", "1")
    with RawClient(srv.port) as c:
        assert c.call("BGSAVE") == b"+Background saving started\r\n"
        assert c.call("BGSAVE", "FOO") == b"-ERR syntax error\r\n"
    wait_until(lambda: _info(srv.port)["rdb_bgsave_in_progress"] == "0" and r.lastsave() != last, 30,
               what="BGSAVE")
    info = _info(srv.port)
    assert info["rdb_saves"] == "2" and info["rdb_changes_since_last_save"] == "0"
    before = snapshot(srv.port, dbs=(0, 2))
    srv.kill()
    srv = _restart(srv)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    same_dataset(before, snapshot(srv.port, dbs=(0, 2)))
    info = _info(srv.port)
    assert int(info["rdb_last_load_keys_loaded"]) == len(before)
    assert "DB loaded from disk" in srv.log()


def test_save_points_in_the_cron(cleanup):
    srv = _start(["--save", "1 1"])
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    time.sleep(1.1)
    r.set("k", "v")
    wait_until(lambda: _info(srv.port)["rdb_changes_since_last_save"] == "0", 15, what="a save point")
    assert "1 changes in 1 seconds. Saving..." in srv.log()
    assert os.path.exists(os.path.join(srv.workdir, "dump.rdb"))
    srv.kill()
    srv = _restart(srv)
    cleanup.append(srv)
    assert redis.Redis(port=srv.port).get("k") == b"v"


def test_shutdown_saves_when_there_are_save_points(cleanup):
    dump = lambda s: os.path.join(s.workdir, "dump.rdb")  # noqa: E731
    srv = _start(["--save", "3600 1"])
    cleanup.append(srv)
    redis.Redis(port=srv.port).set("a", "1")
    with RawClient(srv.port) as c:
        c.send_raw(encode_command("SHUTDOWN"))
        assert c.read_until_close(10) == b""
    assert srv.proc.wait(10) == 0 and os.path.exists(dump(srv))
    assert "Saving the final RDB snapshot before exiting." in srv.log()
    srv = _restart(srv)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    assert r.get("a") == b"1"
    r.set("b", "1")
    with RawClient(srv.port) as c:
        c.send_raw(encode_command("SHUTDOWN", "NOSAVE"))
        c.read_until_close(10)
    srv.proc.wait(10)
    srv = _restart(srv)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    assert r.get("b") is None
    # SIGTERM saves as well
    r.set("c", "1")
    srv.stop()
    srv = _restart(srv)
    cleanup.append(srv)
    assert redis.Redis(port=srv.port).get("c") == b"1"
    # no save points: nothing saved, unless SHUTDOWN SAVE
    srv.stop()
    os.unlink(dump(srv))
    srv = _restart(srv, ["--save", ""])
    cleanup.append(srv)
    redis.Redis(port=srv.port).set("d", "1")
    srv.stop()
    assert not os.path.exists(dump(srv))
    srv = _restart(srv, ["--save", ""])
    cleanup.append(srv)
    redis.Redis(port=srv.port).set("d", "1")
    with RawClient(srv.port) as c:
        c.send_raw(encode_command("SHUTDOWN", "SAVE"))
        c.read_until_close(10)
    srv.proc.wait(10)
    assert os.path.exists(dump(srv))


def test_flushall_is_saved_at_once_with_save_points(cleanup):
    srv = _start(["--save", "3600 1"])
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    r.set("a", "1")
    assert r.save()
    r.flushall()
    assert _info(srv.port)["rdb_changes_since_last_save"] == "0"  # (7.0.15: FLUSHALL itself is not counted)
    srv.kill()
    srv = _restart(srv)
    cleanup.append(srv)
    assert redis.Redis(port=srv.port).dbsize() == 0  # the flushed data did not come back


def test_misconf_when_snapshots_fail(cleanup):
    workdir = tempfile.mkdtemp(prefix="pyredis-misconf-")
    srv = _start(["--save", "3600 1", "--enable-protected-configs", "yes"], workdir=workdir)
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    r.set("a", "1")
    # the node's directory disappears: the snapshot cannot be written
    logcopy = os.path.join(tempfile.mkdtemp(prefix="pyredis-misconf-log-"), "keep")
    shutil.rmtree(workdir)
    with RawClient(srv.port) as c:
        assert c.call("BGSAVE") == b"+Background saving started\r\n"
        wait_until(lambda: _info(srv.port)["rdb_last_bgsave_status"] == "err", 15, what="the failed BGSAVE")
        err = c.call("SET", "b", "1")
        assert err.startswith(b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
                              b"persist to disk.")
        assert c.call("PING").startswith(b"-MISCONF")
        assert c.call("GET", "a") == b"$1\r\n1\r\n"  # reads still work
        newdir = os.path.dirname(logcopy)
        assert c.call("CONFIG", "SET", "dir", newdir) == b"+OK\r\n"
        assert c.call("BGSAVE") == b"+Background saving started\r\n"
        wait_until(lambda: _info(srv.port)["rdb_last_bgsave_status"] == "ok", 15, what="a good BGSAVE")
        assert c.call("SET", "b", "1") == b"+OK\r\n"
    srv.workdir = newdir


# -- replicas and cluster nodes --------------------------------------------------------------------------------


def test_replica_aof_records_the_masters_stream(cleanup):
    master = _start([])
    cleanup.append(master)
    rm = redis.Redis(port=master.port)
    rm.set("before-sync", "1")
    replica = _start(["--appendonly", "yes"])
    cleanup.append(replica)
    rr = redis.Redis(port=replica.port)
    rr.set("replica-only", "1")  # gone after the full sync: the AOF restarts from the master's data
    rr.replicaof("127.0.0.1", master.port)
    wait_until(lambda: rr.get("before-sync") == b"1", 30, what="the full sync")
    wait_until(lambda: _info(replica.port)["aof_rewrite_in_progress"] == "0"
               and int(_info(replica.port)["aof_rewrites"]) >= 1, 30, what="the AOF restarted after the sync")
    for i in range(50):
        rm.set("k%d" % i, i)
    rm.expire("k1", 1000)
    wait_until(lambda: rr.get("k49") == b"49" and rr.ttl("k1") > 0, 30, what="the stream")
    replica.kill()
    replica = _restart(replica, ["--appendonly", "yes"])
    cleanup.append(replica)
    rr = redis.Redis(port=replica.port)
    assert rr.get("before-sync") == b"1" and rr.get("k49") == b"49" and rr.get("replica-only") is None
    assert 900 < rr.ttl("k1") <= 1000


def test_cluster_node_restart_keeps_identity_and_data(cleanup):
    port = free_port()
    args = cluster_args(port) + ["--appendonly", "yes", "--appendfsync", "always"]
    srv = start_server("ours", port=port, args=args)
    srv.args_extra = args
    cleanup.append(srv)
    with RawClient(port) as c:
        myid = c.call("CLUSTER", "MYID")[5:-2]
        assert c.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == b"+OK\r\n"
    wait_until(lambda: b"cluster_state:ok" in RawClient(port).call("CLUSTER", "INFO"), 30, what="cluster ok")
    r = redis.Redis(port=port)
    for i in range(200):
        r.set("key:{%d}" % i, i)
    r.hset("h", "f", "v")
    before = snapshot(srv.port)
    srv.kill()
    files = set(os.listdir(srv.workdir))
    assert {"appendonlydir", "nodes-%d.conf" % port} <= files and "dump.rdb" not in files
    srv = _restart(srv)
    cleanup.append(srv)
    with RawClient(port) as c:
        assert c.call("CLUSTER", "MYID")[5:-2] == myid
        assert c.call("CLUSTER", "COUNTKEYSINSLOT", "866").startswith(b":")
    wait_until(lambda: b"cluster_state:ok" in RawClient(port).call("CLUSTER", "INFO"), 30, what="cluster ok")
    same_dataset(before, snapshot(port))
    with RawClient(port) as c:
        assert c.call("DBSIZE") == b":%d\r\n" % len(before)
        # the slot index was rebuilt from the AOF
        total = sum(int(c.call("CLUSTER", "COUNTKEYSINSLOT", s)[1:-2]) for s in range(0, 16384, 1))
        assert total == len(before)


def test_debug_reload_and_loadaof(cleanup):
    srv = _start(["--appendonly", "yes", "--enable-debug-command", "yes"])
    cleanup.append(srv)
    r = redis.Redis(port=srv.port)
    fill(srv.port)
    before = snapshot(srv.port)
    assert r.execute_command("DEBUG", "RELOAD") == b"OK"
    same_dataset(before, snapshot(srv.port))
    assert r.execute_command("DEBUG", "LOADAOF") == b"OK"
    same_dataset(before, snapshot(srv.port))
    data = open(_incr_file(srv), "rb").read()
    assert b"DEBUG" not in data and b"debug" not in data  # nothing of it was logged


def test_port_and_lock_free_while_a_child_runs(cleanup):
    """A node killed while its rewrite child runs: the child holds neither the port nor nodes.conf."""
    port = free_port()
    args = cluster_args(port) + ["--appendonly", "yes"]
    srv = start_server("ours", port=port, args=args)
    srv.args_extra = args
    cleanup.append(srv)
    r = redis.Redis(port=port)
    with RawClient(port) as c:
        c.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
    wait_until(lambda: b"cluster_state:ok" in RawClient(port).call("CLUSTER", "INFO"), 30, what="cluster ok")
    p = r.pipeline(transaction=False)
    for i in range(30000):
        p.set("k:%d" % i, "v" * 50)
    p.execute()
    r.bgrewriteaof()
    srv.kill()  # the child may still be writing its temp file
    srv = _restart(srv)
    cleanup.append(srv)
    assert redis.Redis(port=port).dbsize() == 30000
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
    finally:
        s.close()
