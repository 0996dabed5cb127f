"""Reply encoding for RESP2 and RESP3."""

from pyredis_cluster.protocol.reply import (NULL_ARRAY, OK, ErrorReply, Map, Push, SetReply, Status, Verbatim,
                                            encode, format_double)


def test_scalars():
    assert encode(b"ab", False) == b"$2\r\nab\r\n"
    assert encode(bytearray(b"ab"), True) == b"$2\r\nab\r\n"
    assert encode(-5, False) == b":-5\r\n"
    assert encode(None, False) == b"$-1\r\n"
    assert encode(None, True) == b"_\r\n"
    assert encode(NULL_ARRAY, False) == b"*-1\r\n"
    assert encode(NULL_ARRAY, True) == b"_\r\n"
    assert encode(Status("OK"), False) == b"+OK\r\n"
    assert encode(OK, True) == b"+OK\r\n"
    assert encode(ErrorReply("ERR x"), True) == b"-ERR x\r\n"
    assert encode(True, False) == b":1\r\n"
    assert encode(True, True) == b"#t\r\n"


def test_doubles_like_redis_7_0():
    assert format_double(1.5) == b"1.5"
    assert format_double(1000.0) == b"1000"
    assert format_double(0.1) == b"0.10000000000000001"
    assert format_double(float("inf")) == b"inf"
    assert format_double(float("-inf")) == b"-inf"
    assert encode(1.5, False) == b"$3\r\n1.5\r\n"
    assert encode(1.5, True) == b",1.5\r\n"


def test_aggregates():
    m = Map([(b"a", 1), (b"b", [b"x"])])
    assert encode(m, False) == b"*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*1\r\n$1\r\nx\r\n"
    assert encode(m, True) == b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*1\r\n$1\r\nx\r\n"
    assert encode(SetReply([b"a"]), True) == b"~1\r\n$1\r\na\r\n"
    assert encode(SetReply([b"a"]), False) == b"*1\r\n$1\r\na\r\n"
    assert encode(Push([b"message"]), True) == b">1\r\n$7\r\nmessage\r\n"
    assert encode(Verbatim(b"hi"), True) == b"=6\r\ntxt:hi\r\n"
    assert encode(Verbatim(b"hi"), False) == b"$2\r\nhi\r\n"
