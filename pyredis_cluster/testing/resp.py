"""A tiny blocking RESP2 client for the test harness and ``pyredis-cluster fault`` (no redis-py needed)."""

from __future__ import annotations

import socket

import hiredis


class ReplyError(Exception):
    """An error reply (``-ERR ...``); ``str(e)`` is the message without the ``-``."""


class Conn:
    def __init__(self, host: str, port: int, timeout: float = 5.0):
        self.host = host
        self.port = port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = hiredis.Reader()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def encode(args) -> bytes:
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, (int, float)):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, *args) -> None:
        self.sock.sendall(self.encode(args))

    def read(self, raise_errors: bool = True):
        while True:
            r = self.reader.gets()
            if r is not False:
                break
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed by %s:%d" % (self.host, self.port))
            self.reader.feed(data)
        if isinstance(r, hiredis.ReplyError):
            if raise_errors:
                raise ReplyError(str(r))
        return r

    def call(self, *args, raise_errors: bool = True):
        self.send(*args)
        return self.read(raise_errors)

    def pipeline(self, commands, raise_errors: bool = True) -> list:
        self.sock.sendall(b"".join(self.encode(c) for c in commands))
        return [self.read(raise_errors=False) if not raise_errors else self.read() for _ in commands]


def text(v) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
