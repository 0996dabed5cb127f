"""Fixtures shared by every test: real servers on free loopback ports, stopped by PID."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpers import RawClient, start_server  # noqa: E402


@pytest.fixture(scope="session")
def ours():
    """One pyredis-server (standalone) for the whole session."""
    srv = start_server("ours")
    yield srv
    srv.stop()
    shutil.rmtree(srv.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def theirs():
    """Debian's redis-server 7.0 for the whole session, to compare against."""
    srv = start_server("redis")
    yield srv
    srv.stop()
    shutil.rmtree(srv.workdir, ignore_errors=True)


class Differ:
    """Sends the same commands to both servers and compares raw reply bytes."""

    def __init__(self, ours_port: int, theirs_port: int):
        self.a = RawClient(ours_port)
        self.b = RawClient(theirs_port)

    def close(self):
        self.a.close()
        self.b.close()

    def both(self, *args):
        return self.a.call(*args), self.b.call(*args)

    def same(self, *args) -> bytes:
        """Run one command on both servers; assert identical bytes; return them."""
        mine, real = self.both(*args)
        assert mine == real, "reply differs for %r:\n  ours:  %r\n  redis: %r" % (args, mine, real)
        return mine

    def same_unordered(self, *args) -> bytes:
        """Like :meth:`same` for replies whose element order Redis leaves open (KEYS, SMEMBERS ...)."""
        mine, real = self.both(*args)
        assert _sorted_elems(mine) == _sorted_elems(real), "reply differs for %r:\n  ours:  %r\n  redis: %r" % (
            args, mine, real)
        return mine

    def run(self, *commands):
        """Check a sequence of commands: each a tuple of arguments."""
        for cmd in commands:
            self.same(*cmd)


def _sorted_elems(reply: bytes):
    """The multiset of top-level elements of an array reply (header kept)."""
    if reply[:1] not in (b"*", b"~"):
        return reply
    head, _, rest = reply.partition(b"\r\n")
    elems = []
    import io  # noqa: F401

    i = 0
    while i < len(rest):
        j = rest.index(b"\r\n", i)
        t = rest[i:i + 1]
        if t == b"$" and int(rest[i + 1:j]) >= 0:
            n = int(rest[i + 1:j])
            elems.append(rest[i:j + 2 + n + 2])
            i = j + 2 + n + 2
        else:
            elems.append(rest[i:j + 2])
            i = j + 2
    return head, sorted(elems)


@pytest.fixture
def diff(ours, theirs):
    """A Differ on freshly flushed servers."""
    d = Differ(ours.port, theirs.port)
    d.both("FLUSHALL")
    yield d
    d.close()


@pytest.fixture(scope="session")
def debug_servers():
    """Ours and redis-server with DEBUG enabled (DEBUG SET-ACTIVE-EXPIRE, SLEEP ...) and diskless full
    syncs without delay (fake replicas), for the whole session."""
    args = ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"]
    a = start_server("ours", args=args)
    b = start_server("redis", args=args)
    yield a, b
    for s in (a, b):
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)


@pytest.fixture
def ddiff(debug_servers):
    """A Differ on freshly flushed DEBUG-enabled servers (active expiry turned back on after)."""
    d = Differ(debug_servers[0].port, debug_servers[1].port)
    d.both("FLUSHALL")
    yield d
    d.both("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    d.close()
