"""Our files and Debian's redis-server 7.0's, both ways: redis-server starts from our dump.rdb and our
appendonlydir with every key, type and TTL intact, we start from theirs (listpacks, intsets, quicklists,
LZF strings, MULTI/EXEC in the AOF, SET ... PXAT), a torn AOF of theirs is truncated where Redis
truncates it, an old single-file appendonly.aof is migrated into the directory as Redis does, and
redis-check-aof / redis-check-rdb accept what we write."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile

import pytest
import redis

from helpers import RawClient, encode_command, start_server, wait_until
from persist_helpers import fill, same_dataset, snapshot

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None or shutil.which("redis-check-aof") is None,
                                reason="Debian's redis-server / redis-tools are not installed")

DBS = (0, 3, 15)


@pytest.fixture
def servers():
    started = []
    yield started
    for s in started:
        s.stop(signal.SIGKILL)
        shutil.rmtree(s.workdir, ignore_errors=True)


def _start(servers, kind, args, workdir=None):
    srv = start_server(kind, args=args, workdir=workdir)
    servers.append(srv)
    return srv


def _info(port: int) -> dict:
    with RawClient(port) as c:
        raw = c.call("INFO", "persistence").decode()
    return dict(line.split(":", 1) for line in raw.split("\r\n") if ":" in line and not line.startswith("$"))


def _wait_rewrite(port: int, n: int) -> None:
    wait_until(lambda: _info(port)["aof_rewrite_in_progress"] == "0" and int(_info(port)["aof_rewrites"]) >= n, 60,
               what="BGREWRITEAOF")


def _more_writes(port: int) -> None:
    """Writes after a rewrite, so that the incr file has work in it: expiries, deletions, a transaction."""
    r = redis.Redis(port=port)
    r.set("later:ex", "v", ex=3000)
    r.expire("list:small", 4000)
    r.delete("str:neg")
    r.lpush("list:big", "head")
    r.incrbyfloat("later:float", "2.5")
    r.zincrby("zset:small", 10, "a")
    r.hdel("hash:big", "f1", "f2")
    r.spop("set:small")
    with r.pipeline(transaction=True) as p:
        p.incr("later:tx")
        p.rpush("later:txlist", "a", "b")
        p.execute()


def _copy_dir(src: str, what: list) -> str:
    dst = tempfile.mkdtemp(prefix="pyredis-interop-")
    for name in what:
        s = os.path.join(src, name)
        if os.path.isdir(s):
            shutil.copytree(s, os.path.join(dst, name))
        else:
            shutil.copy(s, os.path.join(dst, name))
    return dst


def _check_aof(workdir: str) -> None:
    res = subprocess.run(["redis-check-aof", os.path.join(workdir, "appendonlydir", "appendonly.aof.manifest")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "All AOF files and manifest are valid" in res.stdout


def _check_rdb(path: str) -> None:
    res = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "RDB looks OK" in res.stdout


def test_redis_server_loads_our_dump_rdb(servers):
    ours = _start(servers, "ours", ["--save", ""])
    fill(ours.port, dbs=DBS)
    before = snapshot(ours.port, dbs=DBS)
    assert redis.Redis(port=ours.port).save()
    _check_rdb(os.path.join(ours.workdir, "dump.rdb"))
    theirs = _start(servers, "redis", ["--save", ""], workdir=_copy_dir(ours.workdir, ["dump.rdb"]))
    same_dataset(before, snapshot(theirs.port, dbs=DBS))
    assert "DB loaded from disk" in theirs.log()


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redis_server_loads_our_aof(servers, preamble):
    args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]
    ours = _start(servers, "ours", args)
    fill(ours.port, dbs=DBS)
    assert redis.Redis(port=ours.port).bgrewriteaof()
    _wait_rewrite(ours.port, 1)
    _more_writes(ours.port)
    before = snapshot(ours.port, dbs=DBS)
    ours.stop()
    _check_aof(ours.workdir)
    theirs = _start(servers, "redis", args, workdir=_copy_dir(ours.workdir, ["appendonlydir"]))
    same_dataset(before, snapshot(theirs.port, dbs=DBS))
    log = theirs.log()
    assert "DB loaded from append only file" in log and "Bad file format" not in log


def test_redis_server_loads_our_aof_without_a_rewrite(servers):
    """The base of an empty dataset (created at start) and everything in the first incr file."""
    ours = _start(servers, "ours", ["--appendonly", "yes"])
    fill(ours.port, dbs=DBS)
    _more_writes(ours.port)
    before = snapshot(ours.port, dbs=DBS)
    ours.kill()
    _check_aof(ours.workdir)
    theirs = _start(servers, "redis", ["--appendonly", "yes"], workdir=_copy_dir(ours.workdir, ["appendonlydir"]))
    same_dataset(before, snapshot(theirs.port, dbs=DBS))


def test_we_load_redis_servers_dump_rdb(servers):
    theirs = _start(servers, "redis", ["--save", ""])
    fill(theirs.port, dbs=DBS)
    before = snapshot(theirs.port, dbs=DBS)
    assert redis.Redis(port=theirs.port).save()
    ours = _start(servers, "ours", ["--save", ""], workdir=_copy_dir(theirs.workdir, ["dump.rdb"]))
    same_dataset(before, snapshot(ours.port, dbs=DBS))
    # and what we save from it again loads in redis-server
    assert redis.Redis(port=ours.port).save()
    _check_rdb(os.path.join(ours.workdir, "dump.rdb"))
    again = _start(servers, "redis", ["--save", ""], workdir=_copy_dir(ours.workdir, ["dump.rdb"]))
    same_dataset(before, snapshot(again.port, dbs=DBS))


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_we_load_redis_servers_aof(servers, preamble):
    args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]
    theirs = _start(servers, "redis", args)
    fill(theirs.port, dbs=DBS)
    assert redis.Redis(port=theirs.port).bgrewriteaof()
    _wait_rewrite(theirs.port, 1)
    _more_writes(theirs.port)
    before = snapshot(theirs.port, dbs=DBS)
    theirs.stop()
    incr = open(os.path.join(theirs.workdir, "appendonlydir", "appendonly.aof.2.incr.aof"), "rb").read()
    assert b"MULTI" in incr and b"PXAT" in incr  # what we must understand
    ours = _start(servers, "ours", args, workdir=_copy_dir(theirs.workdir, ["appendonlydir"]))
    same_dataset(before, snapshot(ours.port, dbs=DBS))
    # we go on appending to their incr file; redis-server reads the result back
    redis.Redis(port=ours.port).set("ours:after", "1")
    before = snapshot(ours.port, dbs=DBS)
    ours.stop()
    _check_aof(ours.workdir)
    again = _start(servers, "redis", args, workdir=_copy_dir(ours.workdir, ["appendonlydir"]))
    same_dataset(before, snapshot(again.port, dbs=DBS))


def test_torn_redis_aof_is_truncated_where_redis_truncates_it(servers):
    theirs = _start(servers, "redis", ["--appendonly", "yes"])
    r = redis.Redis(port=theirs.port)
    for i in range(50):
        r.set("k%d" % i, i)
    theirs.stop()
    incr = os.path.join("appendonlydir", "appendonly.aof.1.incr.aof")
    with open(os.path.join(theirs.workdir, incr), "ab") as f:
        f.write(encode_command("SET", "torn", "value")[:-7])
    a = _copy_dir(theirs.workdir, ["appendonlydir"])
    b = _copy_dir(theirs.workdir, ["appendonlydir"])
    ours = _start(servers, "ours", ["--appendonly", "yes"], workdir=a)
    again = _start(servers, "redis", ["--appendonly", "yes"], workdir=b)
    assert os.path.getsize(os.path.join(a, incr)) == os.path.getsize(os.path.join(b, incr))
    same_dataset(snapshot(again.port), snapshot(ours.port))
    assert redis.Redis(port=ours.port).get("torn") is None


def test_old_single_file_aof_is_migrated(servers):
    """An appendonly.aof of Redis 6 in dir: moved into appendonlydir as the base, as Redis 7.0 does."""
    workdir = tempfile.mkdtemp(prefix="pyredis-interop-")
    with open(os.path.join(workdir, "appendonly.aof"), "wb") as f:
        f.write(encode_command("SELECT", "0") + encode_command("SET", "old", "1") + encode_command("RPUSH", "l", "a"))
    b = _copy_dir(workdir, ["appendonly.aof"])
    ours = _start(servers, "ours", ["--appendonly", "yes"], workdir=workdir)
    theirs = _start(servers, "redis", ["--appendonly", "yes"], workdir=b)
    assert redis.Redis(port=ours.port).get("old") == b"1"
    same_dataset(snapshot(theirs.port), snapshot(ours.port))
    for d in (workdir, b):
        assert not os.path.exists(os.path.join(d, "appendonly.aof"))
        assert sorted(os.listdir(os.path.join(d, "appendonlydir"))) == [
            "appendonly.aof", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]
    assert open(os.path.join(workdir, "appendonlydir", "appendonly.aof.manifest")).read() == \
        open(os.path.join(b, "appendonlydir", "appendonly.aof.manifest")).read()
    assert "Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory" in ours.log()


def test_check_tools_accept_our_files_after_rewrites(servers):
    ours = _start(servers, "ours", ["--appendonly", "yes", "--save", "3600 1"])
    port = ours.port
    for round_ in range(3):
        fill(port, seed=round_, dbs=DBS)
        _more_writes(port)
        assert redis.Redis(port=port).bgrewriteaof()
        _wait_rewrite(port, round_ + 1)
        redis.Redis(port=port).set("round", round_)
    assert redis.Redis(port=port).bgsave()
    wait_until(lambda: _info(port)["rdb_bgsave_in_progress"] == "0" and _info(port)["rdb_saves"] == "1", 30,
               what="BGSAVE")
    ours.stop()
    _check_aof(ours.workdir)
    _check_rdb(os.path.join(ours.workdir, "dump.rdb"))
    manifest = open(os.path.join(ours.workdir, "appendonlydir", "appendonly.aof.manifest")).read()
    assert manifest == ("file appendonly.aof.4.base.rdb seq 4 type b\n"
                        "file appendonly.aof.4.incr.aof seq 4 type i\n")
