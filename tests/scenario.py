"""Multi-connection scenarios played on ours and on redis-server: the transcripts must be identical.

A step function gets a :class:`Scenario` and drives named connections (created on first use); every
reply read goes into ``log``; :func:`both` runs the same steps on both servers and compares the logs
byte for byte (pushes included)."""

from __future__ import annotations

import socket
import time

from helpers import RawClient, encode_command


class Scenario:
    def __init__(self, port: int, kind: str):
        self.port = port
        self.kind = kind  # "ours" | "redis"
        self.conns: dict = {}
        self.log: list = []

    def conn(self, name: str) -> RawClient:
        c = self.conns.get(name)
        if c is None:
            c = self.conns[name] = RawClient(self.port, timeout=5)
        return c

    def send(self, name: str, *args) -> None:
        self.conn(name).send_raw(encode_command(*args))

    def send_raw(self, name: str, data: bytes) -> None:
        self.conn(name).send_raw(data)

    def read(self, name: str, n: int = 1) -> list:
        out = []
        for _ in range(n):
            r = self.conn(name).read_reply()
            self.log.append((name, r))
            out.append(r)
        return out

    def call(self, name: str, *args) -> bytes:
        r = self.conn(name).call(*args)
        self.log.append((name, args, r))
        return r

    def quiet(self, name: str, *args) -> bytes:
        """A call whose reply is not compared (ids, timings ...)."""
        return self.conn(name).call(*args)

    def nothing(self, name: str, wait: float = 0.1) -> None:
        """Assert the connection has no reply pending."""
        c = self.conn(name)
        assert not c.buf, "%s has %r buffered" % (name, c.buf)
        c.sock.settimeout(wait)
        try:
            data = c.sock.recv(1000)
        except (socket.timeout, TimeoutError):
            data = None
        finally:
            c.sock.settimeout(5)
        assert data is None, "%s got %r" % (name, data)
        self.log.append((name, "nothing"))

    def close(self, name: str | None = None) -> None:
        if name is not None:
            self.conns.pop(name).close()
            return
        for c in self.conns.values():
            c.close()
        self.conns.clear()


def settle(wait: float = 0.05) -> None:
    time.sleep(wait)


def both(ours, theirs, steps, flush: bool = True) -> list:
    logs = []
    for srv in (ours, theirs):
        s = Scenario(srv.port, srv.kind)
        try:
            if flush:
                s.quiet("ctl", "FLUSHALL")
            steps(s)
            logs.append(s.log)
        finally:
            s.close()
    for i, (a, b) in enumerate(zip(logs[0], logs[1])):
        assert a == b, "step %d differs:\n  ours:  %r\n  redis: %r" % (i, a, b)
    assert len(logs[0]) == len(logs[1])
    return logs[0]
