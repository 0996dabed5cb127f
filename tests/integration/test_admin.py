"""Administration commands through real clients: redis-py (sync and asyncio, RESP2 and RESP3) and redis-cli --
INFO parsing, CLIENT LIST/KILL/PAUSE, MONITOR, DEBUG, MEMORY, SHUTDOWN and SIGTERM of a separate server."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest
import redis
import redis.asyncio as aredis

from helpers import RawClient, start_server

PROTOCOLS = [2, 3]


@pytest.fixture
def server_factory():
    started = []

    def make(*args):
        srv = start_server("ours", args=list(args))
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
        shutil.rmtree(srv.workdir, ignore_errors=True)


# -- INFO -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_info_parsed_by_redis_py(ours, protocol):
    r = redis.Redis(port=ours.port, protocol=protocol)
    try:
        r.set("adm:info:a", "1")
        r.set("adm:info:b", "2", ex=100)
        info = r.info()
        assert info["redis_version"] == "7.0.15"
        assert info["redis_mode"] == "standalone" and info["role"] == "master"
        assert info["tcp_port"] == ours.port and info["process_id"] == ours.pid
        assert isinstance(info["connected_clients"], int) and info["connected_clients"] >= 1
        assert isinstance(info["used_memory"], int) and info["used_memory"] > 0
        assert info["cluster_enabled"] == 0
        assert info["db0"]["keys"] >= 2 and info["db0"]["expires"] >= 1
        assert "cmdstat_set" not in info  # not a default section
        stats = r.info("commandstats")
        assert stats["cmdstat_set"]["calls"] >= 2
        assert set(stats["cmdstat_set"]) == {"calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"}
        with pytest.raises(redis.ResponseError):
            r.execute_command("GET")
        errs = r.info("errorstats")
        assert errs["errorstat_ERR"]["count"] >= 1
        assert r.info("nosuch") == {}
        both = r.info("server", "clients")
        assert "redis_version" in both and "connected_clients" in both and "used_memory" not in both
        everything = r.info("everything")
        assert "cmdstat_info" in everything and "latency_percentiles_usec_info" in everything
        ks = r.info("keyspace")
        assert ks["db0"]["keys"] == r.dbsize()
    finally:
        r.delete("adm:info:a", "adm:info:b")
        r.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_info_asyncio(ours, protocol):
    r = aredis.Redis(port=ours.port, protocol=protocol)
    try:
        info = await r.info("server")
        assert info["redis_version"] == "7.0.15" and info["tcp_port"] == ours.port
        stats = await r.info("stats")
        before = stats["total_commands_processed"]
        await r.ping()
        assert (await r.info("stats"))["total_commands_processed"] > before
    finally:
        await r.aclose()


def test_redis_cli_info(ours):
    out = subprocess.run(["redis-cli", "-p", str(ours.port), "INFO", "server"], capture_output=True, timeout=30)
    assert out.returncode == 0
    assert b"redis_version:7.0.15" in out.stdout and out.stdout.startswith(b"# Server")


# -- CLIENT -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_client_list_info_name(ours, protocol):
    r = redis.Redis(port=ours.port, protocol=protocol, single_connection_client=True)
    try:
        my_id = r.client_id()
        assert r.client_setname("adm-lister") is True
        assert r.client_getname() in ("adm-lister", b"adm-lister")
        clients = r.client_list()
        mine = [c for c in clients if int(c["id"]) == my_id]
        assert len(mine) == 1
        assert mine[0]["name"] == "adm-lister" and mine[0]["cmd"] == "client|list"
        assert mine[0]["resp"] == str(protocol)
        assert [int(c["id"]) for c in r.client_list(client_id=[my_id])] == [my_id]
        assert my_id in [int(c["id"]) for c in r.client_list(_type="normal")]
        assert r.client_list(_type="pubsub") == []
        info = r.client_info()
        assert int(info["id"]) == my_id and info["name"] == "adm-lister" and info["cmd"] == "client|info"
        with pytest.raises(redis.ResponseError, match="Client names cannot contain spaces"):
            r.client_setname("a b")
        tracking = r.client_trackinginfo()
        if isinstance(tracking, list):
            tracking = dict(zip(tracking[::2], tracking[1::2]))
        tracking = {(k.decode() if isinstance(k, bytes) else k): v for k, v in tracking.items()}
        assert list(tracking["flags"]) == [b"off"] and tracking["redirect"] == -1 and tracking["prefixes"] == []
        assert r.client_getredir() == -1
        assert r.client_no_evict("on") in (True, b"OK", "OK")
    finally:
        r.close()


def test_client_kill_by_id_and_addr(ours):
    killer = redis.Redis(port=ours.port, single_connection_client=True)
    with RawClient(ours.port) as victim, RawClient(ours.port) as victim2:
        vid = int(victim.call("CLIENT", "ID")[1:-2])
        assert killer.client_kill_filter(_id=vid) == 1
        assert victim.read_until_close(2.0) == b""
        assert vid not in [int(c["id"]) for c in killer.client_list()]
        info = victim2.call("CLIENT", "INFO").decode()
        addr = info.split(" addr=")[1].split(" ")[0]
        assert killer.client_kill(addr) is True
        assert victim2.read_until_close(2.0) == b""
        with pytest.raises(redis.ResponseError, match="No such client"):
            killer.client_kill(addr)
        assert killer.client_kill_filter(_id=999999) == 0
    killer.close()


async def test_client_kill_asyncio(ours):
    r = aredis.Redis(port=ours.port, protocol=3, single_connection_client=True)
    other = aredis.Redis(port=ours.port, single_connection_client=True)
    try:
        oid = await other.client_id()
        assert await r.client_kill_filter(_id=oid) == 1
        await asyncio.sleep(0.05)
        # redis-py reconnects: the connection that comes back is a new one
        assert await other.client_id() != oid
    finally:
        await r.aclose()
        await other.aclose()


# -- CLIENT PAUSE -----------------------------------------------------------------------------------


def _timed(fn):
    t0 = time.monotonic()
    result = fn()
    return result, time.monotonic() - t0


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_client_pause_holds_a_write_for_the_pause_time(ours, protocol):
    admin = redis.Redis(port=ours.port, protocol=protocol)
    other = redis.Redis(port=ours.port, protocol=protocol)
    try:
        other.ping()
        assert admin.client_pause(500, all=False) is True  # CLIENT PAUSE 500 WRITE
        value, took = _timed(lambda: other.get("adm:pause"))
        assert took < 0.3  # reads go on
        ok, took = _timed(lambda: other.set("adm:pause", "1"))
        assert ok is True and 0.4 <= took < 3.0
        assert admin.client_pause(400) is True  # ALL: even reads wait
        _, took = _timed(lambda: other.get("adm:pause"))
        assert 0.3 <= took < 3.0
    finally:
        admin.client_unpause()
        admin.close()
        other.close()


def test_client_unpause_releases_held_writes(ours):
    admin = redis.Redis(port=ours.port)
    other = redis.Redis(port=ours.port)
    try:
        other.ping()
        assert admin.client_pause(10000, all=False) is True
        done = {}

        def write():
            t0 = time.monotonic()
            done["ok"] = other.set("adm:unpause", "1")
            done["took"] = time.monotonic() - t0

        t = threading.Thread(target=write)
        t.start()
        time.sleep(0.3)
        assert "ok" not in done
        assert admin.client_unpause() in (True, b"OK")
        t.join(5)
        assert done["ok"] is True and 0.25 <= done["took"] < 3.0
    finally:
        admin.client_unpause()
        admin.close()
        other.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_client_pause_asyncio(ours, protocol):
    admin = aredis.Redis(port=ours.port, protocol=protocol)
    other = aredis.Redis(port=ours.port, protocol=protocol)
    try:
        await other.ping()
        assert await admin.client_pause(300, all=False) is True
        t0 = time.monotonic()
        await other.get("adm:apause")
        assert time.monotonic() - t0 < 0.2
        await other.set("adm:apause", "1")
        assert time.monotonic() - t0 >= 0.25
    finally:
        await admin.client_unpause()
        await admin.aclose()
        await other.aclose()


# -- MONITOR ----------------------------------------------------------------------------------------


def test_monitor_with_redis_py(ours):
    r = redis.Redis(port=ours.port, single_connection_client=True)
    try:
        with r.monitor() as m:
            other = redis.Redis(port=ours.port, single_connection_client=True)
            other.set("adm:mon", "hello world")
            other.get("adm:mon")
            seen = []
            while len(seen) < 2:
                cmd = m.next_command()  # the other client's handshake (HELLO, CLIENT SETINFO) comes first
                if "adm:mon" in cmd["command"]:
                    seen.append(cmd)
            other.close()
        assert seen[0]["command"] == "SET adm:mon hello world" or seen[0]["command"] == 'SET adm:mon "hello world"'
        assert seen[0]["db"] == 0 and seen[0]["client_type"] == "tcp"
        assert seen[1]["command"] == "GET adm:mon"
        assert abs(seen[1]["time"] - time.time()) < 5
    finally:
        r.close()


def test_monitor_redacts_passwords_and_stops_on_reset(ours):
    with RawClient(ours.port) as mon, RawClient(ours.port) as c:
        assert mon.call("MONITOR") == b"+OK\r\n"
        mon.send_raw(b"*1\r\n$7\r\nMONITOR\r\n")  # a second MONITOR has no reply at all
        c.call("AUTH", "user", "pw")
        c.call("SELECT", "1")
        c.call("SET", "adm:m", "v")
        c.call("SELECT", "0")
        lines = [mon.read_reply() for _ in range(4)]
        assert b'"AUTH" "(redacted)" "(redacted)"' in lines[0]
        assert b'[1 ' in lines[1] and b'"SELECT" "1"' in lines[1]
        assert b'[1 ' in lines[2] and b'"SET" "adm:m" "v"' in lines[2]
        assert mon.call("GET", "adm:m") == b"-ERR Replica can't interact with the keyspace\r\n"
        assert mon.call("RESET") == b"+RESET\r\n"
        c.call("PING")
        assert mon.call("PING") == b"+PONG\r\n"  # no feed after RESET
        c.call("SELECT", "1")
        c.call("DEL", "adm:m")


async def test_monitor_asyncio(ours):
    r = aredis.Redis(port=ours.port)
    other = aredis.Redis(port=ours.port)
    try:
        async with r.monitor() as m:
            await other.set("adm:amon", "1")
            cmd = await m.next_command()
            while "adm:amon" not in cmd["command"]:
                cmd = await m.next_command()
            assert cmd["command"] == "SET adm:amon 1"
    finally:
        await r.aclose()
        await other.aclose()


# -- TIME, LASTSAVE, MEMORY, DEBUG ------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_time_lastsave_memory(ours, protocol):
    r = redis.Redis(port=ours.port, protocol=protocol)
    try:
        sec, usec = r.time()
        assert abs(sec + usec / 1e6 - time.time()) < 2
        assert abs(r.lastsave().timestamp() - time.time()) < 3600 * 24
        r.set("adm:mem", "x" * 100)
        assert r.memory_usage("adm:mem") == 168  # robj 16 + value sds 112 + key sds 16 + dict entry 24
        assert r.memory_usage("adm:none") is None
        stats = r.memory_stats()
        assert stats["keys.count"] >= 1 and "dataset.percentage" in stats
        assert b"Hi Sam" in r.execute_command("MEMORY", "DOCTOR")
        assert r.memory_purge() is True
    finally:
        r.delete("adm:mem")
        r.close()


def test_debug_needs_enable_debug_command(ours, server_factory):
    r = redis.Redis(port=ours.port)
    with pytest.raises(redis.ResponseError, match="DEBUG command not allowed"):
        r.execute_command("DEBUG", "SLEEP", "0")
    r.close()
    srv = server_factory("--enable-debug-command", "local")  # loopback connections may use it
    r = redis.Redis(port=srv.port)
    try:
        assert r.execute_command("DEBUG", "SLEEP", "0") in (True, b"OK")
        r.set("foo", "bar")
        obj = r.debug_object("foo")
        assert obj["encoding"] == "embstr" and obj["serializedlength"] == 4 and obj["refcount"] == 1
        assert r.execute_command("DEBUG", "DIGEST-VALUE", "foo") == [b"68467c70ae30376e7ce005bcc8827f5ba7fd67dc"]
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        r.set("short", "v", px=50)
        time.sleep(0.3)
        assert r.info("keyspace")["db0"]["expires"] == 1  # not expired in the background ...
        assert r.get("short") is None  # ... but on access
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        assert r.execute_command("DEBUG", "POPULATE", "100") in (True, b"OK")
        assert r.dbsize() == 101
    finally:
        r.close()


# -- SHUTDOWN and SIGTERM ---------------------------------------------------------------------------


def _pidfile_server(server_factory):
    import tempfile

    pidfile = os.path.join(tempfile.mkdtemp(prefix="pyredis-pid-"), "server.pid")
    srv = server_factory("--pidfile", pidfile)
    deadline = time.monotonic() + 5
    while not os.path.exists(pidfile) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert int(open(pidfile).read()) == srv.pid
    return srv, pidfile


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_shutdown_with_redis_py(server_factory, protocol):
    srv, pidfile = _pidfile_server(server_factory)
    r = redis.Redis(port=srv.port, protocol=protocol)
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match="No shutdown in progress"):
        r.shutdown(abort=True)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SHUTDOWN", "NOSAVE", "SAVE")
    assert r.shutdown(nosave=True) is None  # redis-py expects the connection to drop
    assert srv.proc.wait(10) == 0
    assert not os.path.exists(pidfile)
    assert "User requested shutdown" in srv.log()
    r.close()


async def test_shutdown_asyncio(server_factory):
    srv, pidfile = _pidfile_server(server_factory)
    r = aredis.Redis(port=srv.port, protocol=3)
    await r.ping()
    await r.shutdown(now=True, nosave=True)
    assert await asyncio.to_thread(srv.proc.wait, 10) == 0
    assert not os.path.exists(pidfile)
    await r.aclose()


def test_sigterm_shuts_down_gracefully(server_factory):
    srv, pidfile = _pidfile_server(server_factory)
    with RawClient(srv.port) as c:
        assert c.call("SET", "k", "v") == b"+OK\r\n"
        os.kill(srv.pid, signal.SIGTERM)
        assert srv.proc.wait(10) == 0
        assert c.read_until_close(2.0) == b""
    assert not os.path.exists(pidfile)
    log = srv.log()
    assert "Received SIGTERM scheduling shutdown" in log and "ready to exit, bye bye" in log
