"""Regressions found by running redis-py's own cluster test suite (tests/test_cluster.py,
tests/test_asyncio/test_cluster.py, ``-m onlycluster`` and the rest of its cluster-mode selection) against a
cluster of ours and one of Debian's redis-server 7.0: each test here drives redis-py's RedisCluster against
both (real processes) and expects what redis-server does."""

from __future__ import annotations

import shutil

import pytest
import redis
from redis.cluster import RedisCluster
from helpers import create_cluster, start_cluster_nodes, wait_cluster_ok

REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture(scope="module", params=["ours", "redis"])
def cluster(request):
    """A 3-master cluster of processes (ours, then redis-server's), created by redis-cli, stopped by PID."""
    if request.param == "redis" and REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    nodes = start_cluster_nodes([request.param] * 3)
    try:
        create_cluster(nodes)
        wait_cluster_ok(nodes, timeout=20)
        yield nodes
    finally:
        for n in nodes:
            n.stop()
            shutil.rmtree(n.workdir, ignore_errors=True)


@pytest.fixture
def rc(cluster):
    client = RedisCluster(host="127.0.0.1", port=cluster[0].port, socket_timeout=10)
    yield client
    client.close()


def _user_client(rc, key, **kwargs):
    node = rc.get_node_from_key(key)
    return redis.Redis(host=node.host, port=node.port, socket_timeout=10, **kwargs)


def test_acl_log_client_info_argv_mem(rc):
    """redis-py test_acl_log: an ACL LOG entry's client-info is the denied client with the command it was
    running -- argv-mem is the length of its arguments (Redis's argv_len_sum), also for AUTH failures and
    for scripts (the EVAL's arguments); ours said argv-mem=0."""
    key = "{h7}k"
    node = rc.get_node_from_key(key)
    admin = redis.Redis(host=node.host, port=node.port, socket_timeout=10)
    try:
        admin.acl_log_reset()
        admin.acl_setuser("h7user", enabled=True, reset=True, passwords=["+pw"], commands=["+get", "+eval"],
                          keys=["{h7}k*"])
        user = _user_client(rc, key, username="h7user", password="pw")
        with pytest.raises(redis.exceptions.NoPermissionError):
            user.hset(key, "f", "v")  # command denied
        with pytest.raises(redis.exceptions.NoPermissionError):
            user.get("{h7}other")  # key denied
        with pytest.raises(redis.ResponseError):
            user.eval("return redis.call('set', KEYS[1], 'x')", 1, key)  # inside a script
        with pytest.raises(redis.AuthenticationError):
            user.execute_command("AUTH", "h7user", "wrong")
        user.close()
        entries = admin.acl_log()
        got = [(e["reason"], e["context"], e["client-info"]["cmd"], e["client-info"]["argv-mem"]) for e in entries]
        assert got == [
            ("auth", "toplevel", "auth", len("AUTH" "h7user" "wrong")),
            ("command", "lua", "eval", len("EVAL" "return redis.call('set', KEYS[1], 'x')" "1" "{h7}k")),
            ("key", "toplevel", "get", len("GET" "{h7}other")),
            ("command", "toplevel", "hset", len("HSET" "{h7}k" "f" "v")),
        ]
    finally:
        admin.acl_deluser("h7user")
        admin.acl_log_reset()
        admin.close()


def test_client_info_and_list_argv_mem(rc):
    """CLIENT INFO / CLIENT LIST show the calling client's own command in argv-mem; other idle clients 0."""
    node = rc.get_default_node()
    assert rc.client_info(target_nodes=node)["argv-mem"] == len("CLIENT" "INFO")
    other = redis.Redis(host=node.host, port=node.port, socket_timeout=10)
    try:
        other.client_setname("h7idle")
        mine = rc.client_list(target_nodes=node)
        by_name = {c["name"]: c for c in mine}
        assert by_name["h7idle"]["argv-mem"] == "0"
        me = [c for c in mine if c["cmd"] == "client|list"]
        assert [c["argv-mem"] for c in me] == [str(len("CLIENT" "LIST"))]
    finally:
        other.close()
