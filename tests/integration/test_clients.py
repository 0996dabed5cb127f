"""Real clients against our server: redis-py (sync and asyncio, RESP2 and RESP3) and Debian's redis-cli."""

from __future__ import annotations

import subprocess

import pytest
import redis
import redis.asyncio as aredis

from helpers import encode_command


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_sync(ours, protocol):
    r = redis.Redis(port=ours.port, protocol=protocol)
    try:
        assert r.ping() is True
        assert r.set("cli:a", "1") is True
        assert r.get("cli:a") == b"1"
        assert r.get("cli:none") is None
        assert r.delete("cli:a", "cli:none") == 1
        with r.pipeline(transaction=False) as p:
            for i in range(1000):
                p.set("cli:p:%d" % i, i)
            for i in range(1000):
                p.get("cli:p:%d" % i)
            res = p.execute()
        assert res[:1000] == [True] * 1000
        assert res[1000:] == [str(i).encode() for i in range(1000)]
        info = r.command_info() if False else None  # redis-py's COMMAND parsing is exercised below
        cmds = r.command()
        assert cmds["get"]["arity"] == 2 and cmds["get"]["first_key_pos"] == 1
        with pytest.raises(redis.ResponseError, match="unknown command"):
            r.execute_command("NOSUCH", "x")
        with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'get' command"):
            r.execute_command("GET")
        assert info is None
    finally:
        r.close()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_redis_py_asyncio(ours, protocol):
    r = aredis.Redis(port=ours.port, protocol=protocol)
    try:
        assert await r.ping() is True
        assert await r.set("acli:a", "x") is True
        assert await r.get("acli:a") == b"x"
        async with r.pipeline(transaction=False) as p:
            for i in range(200):
                p.set("acli:%d" % i, i)
            assert await p.execute() == [True] * 200
        hello = await r.execute_command("HELLO", str(protocol))
        if protocol == 3:
            assert hello[b"proto"] == 3 and hello[b"server"] == b"redis"
    finally:
        await r.aclose()


def cli(port, *args, stdin=None):
    return subprocess.run(["redis-cli", "-p", str(port), *args], input=stdin, capture_output=True, timeout=30)


def test_redis_cli(ours, theirs):
    assert cli(ours.port, "PING").stdout == b"PONG\n"
    assert cli(ours.port, "SET", "rc:k", "hello world").stdout == b"OK\n"
    assert cli(ours.port, "GET", "rc:k").stdout == b"hello world\n"
    cli(theirs.port, "SET", "rc:k", "hello world")
    for args in (("--raw", "GET", "rc:k"), ("-3", "GET", "rc:none"), ("-3", "HELLO", "3", "SETNAME", "x"),
                 ("--no-raw", "GET", "rc:k"), ("--no-raw", "COMMAND", "INFO", "get"), ("NOSUCH", "a"),
                 ("-3", "--no-raw", "COMMAND", "DOCS", "get"), ("--no-raw", "-3", "GET", "rc:none")):
        mine, real = cli(ours.port, *args), cli(theirs.port, *args)
        if "HELLO" in args:  # the client id differs
            mine.stdout, real.stdout = mine.stdout.split(b"id")[0], real.stdout.split(b"id")[0]
        assert (mine.stdout, mine.returncode) == (real.stdout, real.returncode), args


def test_redis_cli_pipe_mass_insertion(ours):
    # redis-cli --pipe: the mass-insertion protocol of the Redis docs (a big stream split anywhere).
    n = 20000
    data = b"".join(encode_command("SET", "mass:%d" % i, "value-%d" % i) for i in range(n))
    res = cli(ours.port, "--pipe", stdin=data)
    assert res.returncode == 0, res.stderr
    assert b"errors: 0, replies: %d" % n in res.stdout + res.stderr
    r = redis.Redis(port=ours.port)
    assert r.get("mass:12345") == b"value-12345"
    r.close()
