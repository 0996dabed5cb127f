"""The request parser, without sockets: any split of a valid stream parses to the same commands, and
the exact path and the hiredis fast path agree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyredis_cluster.protocol.request import RequestParser, split_args, strict_int


def encode(cmd):
    return b"*%d\r\n" % len(cmd) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in cmd)


commands = st.lists(st.lists(st.binary(max_size=40), min_size=1, max_size=6), min_size=1, max_size=20)


@settings(max_examples=300, deadline=None)
@given(commands, st.lists(st.integers(min_value=1, max_value=64), max_size=30))
def test_any_split_parses_the_same(cmds, cuts):
    data = b"".join(encode(c) for c in cmds)
    p = RequestParser()
    got = []
    pos = 0
    for n in cuts + [len(data)]:
        if pos >= len(data):
            break
        out, err = p.feed(data[pos:pos + n])
        assert err is None
        got.extend(out)
        pos += n
    assert got == cmds
    assert p.pending == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="abcxyz0123 ", min_size=1, max_size=8).filter(lambda s: s.strip() == s
                                                                                        and " " not in s),
                         min_size=1, max_size=4), min_size=1, max_size=10))
def test_inline_and_multibulk_mixed(cmds):
    data = b""
    for i, c in enumerate(cmds):
        words = [w.encode() for w in c]
        data += encode(words) if i % 2 else b" ".join(words) + b"\r\n"
    out, err = RequestParser().feed(data)
    assert err is None
    assert out == [[w.encode() for w in c] for c in cmds]


def test_strict_int_is_string2ll():
    assert strict_int(b"0") == 0
    assert strict_int(b"-12") == -12
    assert strict_int(b"9223372036854775807") == 2**63 - 1
    for bad in (b"", b"+1", b" 1", b"01", b"1 ", b"-0x1", b"9223372036854775808", b"1e3", b"-", b"-0"):
        assert strict_int(bad) is None, bad


def test_split_args_like_sdssplitargs():
    assert split_args(b'set "a b" c') == [b"set", b"a b", b"c"]
    assert split_args(b'"\\x41\\x4a\\n\\t"') == [b"AJ\n\t"]
    assert split_args(b"'a\\'b'") == [b"a'b"]
    assert split_args(b'"unterminated') is None
    assert split_args(b'"a"b') is None  # a closing quote must be followed by a space
    assert split_args(b"   ") == []
    assert split_args(b'""') == [b""]


def test_bulk_length_limit_is_configurable():
    p = RequestParser(max_bulk_len=1024 * 1024)
    out, err = p.feed(b"*2\r\n$3\r\nGET\r\n$1048577\r\n")
    assert err == "Protocol error: invalid bulk length"
