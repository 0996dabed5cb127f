"""The RESP layer against real sockets: inline commands, pipelining, protocol errors and hostile input.

Where Redis answers a malformed request with an error and closes, we send the same input to Debian's
redis-server and to ours and compare everything each sends back until it closes."""

from __future__ import annotations

import socket
import time

import pytest
import redis

from helpers import RawClient, encode_command


def exchange(port: int, data: bytes, timeout: float = 3.0) -> bytes:
    """Send raw bytes, return everything received until the server closes (or the timeout)."""
    with RawClient(port) as c:
        c.send_raw(data)
        return c.read_until_close(timeout)


def ping_ok(port: int) -> bool:
    with RawClient(port) as c:
        return c.call("PING") == b"+PONG\r\n"


BAD_INPUTS = {
    "negative multibulk length then ping": b"*-10\r\n*1\r\n$4\r\nPING\r\n",
    "out of range multibulk length": b"*3000000000\r\n",
    "wrong multibulk payload header": b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
    "negative multibulk payload length": b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n",
    "out of range multibulk payload length": b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n",
    "non-number multibulk payload length": b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n",
    "multibulk not followed by bulk": b"*1\r\nfoo\r\n",
    "non-number multibulk length": b"*blabla\r\n",
    "unbalanced quotes inline": b'set """test-key""" test-value\r\nping\r\n',
    "nested array": b"*1\r\n*1\r\n$4\r\nPING\r\n",
    "integer argument": b"*2\r\n$4\r\nECHO\r\n:5\r\n",
    "good then bad": b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$-1\r\n",
    "leading zero bulk length": b"*1\r\n$04\r\nPING\r\n",
    "plus sign count": b"*+1\r\n$4\r\nPING\r\n",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_protocol_errors_match_redis(ours, theirs, name):
    data = BAD_INPUTS[name]
    mine = exchange(ours.port, data)
    real = exchange(theirs.port, data)
    assert mine == real, "%s:\n ours:  %r\n redis: %r" % (name, mine, real)
    assert ping_ok(ours.port)


def test_too_big_inline_request(ours, theirs):
    data = b"a" * (64 * 1024 + 10)  # no newline: the inline limit
    assert exchange(ours.port, data) == exchange(theirs.port, data) == (
        b"-ERR Protocol error: too big inline request\r\n")
    data = b"*" + b"1" * (64 * 1024 + 10)
    assert exchange(ours.port, data) == exchange(theirs.port, data)


def test_inline_commands(ours, theirs):
    lines = (b"PING\r\n", b"ECHO hello\r\n", b'ECHO "a b\\x41\\n"\r\n', b"ECHO 'it''s'\r\n",
             b"\r\n\r\nPING\n", b"SET k 'v w'\r\nGET k\r\n", b"   PING   \r\n", b'ECHO "\\"q\\""\r\n',
             b"ECHO 'a\\'b'\r\n", b'ECHO "unterminated\r\n', b"*1\r\n$4\r\nPING\r\nPING\r\n")
    for line in lines:
        data = line + b"QUIT\r\n"  # the server closes after its reply to QUIT (or after an error)
        assert exchange(ours.port, data) == exchange(theirs.port, data), line


def test_pipeline_of_thousands_in_one_write(ours):
    n = 10000
    payload = b"".join(encode_command("SET", "p:%d" % i, "v%d" % i) for i in range(n))
    payload += b"".join(encode_command("GET", "p:%d" % i) for i in range(n))
    with RawClient(ours.port) as c:
        c.send_raw(payload)
        replies = [c.read_reply() for _ in range(2 * n)]
    assert replies[:n] == [b"+OK\r\n"] * n
    assert replies[n:] == [b"$%d\r\nv%d\r\n" % (len(b"v%d" % i), i) for i in range(n)]


def test_command_split_across_many_writes(ours):
    value = b"x" * 300000
    data = encode_command("SET", "big", value) + encode_command("STRLEN", "big")
    with RawClient(ours.port) as c:
        for i in range(0, len(data), 7001):  # odd-sized pieces, cutting headers and bulks anywhere
            c.send_raw(data[i:i + 7001])
            time.sleep(0.001)
        assert c.read_reply() == b"+OK\r\n"
        assert c.read_reply() == b":300000\r\n"
        assert c.call("GET", "big") == b"$300000\r\n" + value + b"\r\n"


def test_pipeline_split_byte_by_byte(ours):
    data = encode_command("SET", "a", "1") + b"PING\r\n" + encode_command("ECHO", "x\r\ny")
    with RawClient(ours.port) as c:
        for i in range(len(data)):
            c.send_raw(data[i:i + 1])
        assert [c.read_reply() for _ in range(3)] == [b"+OK\r\n", b"+PONG\r\n", b"$4\r\nx\r\ny\r\n"]


def test_server_survives_hostile_clients(ours):
    # A 2 GB bulk header, binary garbage, a client that disconnects mid-command: others keep working.
    victims = []
    s1 = socket.create_connection(("127.0.0.1", ours.port))
    s1.sendall(b"*2\r\n$3\r\nGET\r\n$2147483648\r\n")
    victims.append(s1)
    s2 = socket.create_connection(("127.0.0.1", ours.port))
    s2.sendall(bytes(range(256)) * 20)
    victims.append(s2)
    s3 = socket.create_connection(("127.0.0.1", ours.port))
    s3.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc")
    s3.close()
    for s in victims:
        s.settimeout(3)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass
        s.close()
    r = redis.Redis(port=ours.port)
    assert r.ping()
    assert r.set("alive", "yes") and r.get("alive") == b"yes"
    r.close()


def test_query_buffer_limit_closes_client(ours, theirs):
    for srv in (ours, theirs):
        with RawClient(srv.port) as admin:
            assert admin.call("CONFIG", "SET", "client-query-buffer-limit", "1mb") == b"+OK\r\n"
        try:
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"*2\r\n$3\r\nGET\r\n$10000000\r\n")
            closed = False
            try:
                for _ in range(40):  # 2.5 MB in 64 KB pieces, bounded
                    s.sendall(b"x" * 65536)
            except OSError:
                closed = True
            s.settimeout(5)
            try:
                closed = closed or s.recv(100) == b""
            except OSError:
                closed = True
            s.close()
            assert closed, srv.kind
            assert ping_ok(srv.port)
        finally:
            with RawClient(srv.port) as admin:
                admin.call("CONFIG", "SET", "client-query-buffer-limit", "1gb")


def test_resp3_types(diff):
    diff.same("HELLO", "3", "SETNAME", "x") if False else None  # id differs; compared below field by field
    for c in (diff.a, diff.b):
        c.call("HELLO", "3")
    diff.run(("SET", "k", "v"), ("GET", "k"), ("GET", "nokey"), ("COMMAND", "INFO", "get", "nosuch"),
             ("COMMAND", "DOCS", "get"), ("PING",), ("ECHO", "x"))


def test_hello_replies(ours, theirs):
    for srv in (ours, theirs):
        with RawClient(srv.port) as c:
            assert c.call("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
            assert c.call("HELLO", "x") == b"-ERR Protocol version is not an integer or out of range\r\n"
            reply = c.call("HELLO", "3")
            assert reply.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                                    b"$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:")
            assert reply.endswith(b"$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                                  b"$7\r\nmodules\r\n*0\r\n")
            assert c.call("HELLO", "2", "SETNAME", "bad name") == (
                b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n")
            assert c.call("HELLO", "2", "FOO") == b"-ERR Syntax error in HELLO option 'FOO'\r\n"
