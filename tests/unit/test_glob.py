"""The glob matcher against Redis's stringmatchlen: fixed cases, then random patterns checked
against redis-server's own KEYS on the same keys."""

from __future__ import annotations

import random

import pytest
import redis

from pyredis_cluster.store.glob import compile_pattern, stringmatchlen

CASES = [
    # (pattern, string, match?)
    (b"", b"", True),
    (b"", b"a", False),
    (b"a", b"", False),
    (b"*", b"", False),  # '*' needs a byte (KEYS/SCAN special-case "*" before matching)
    (b"**", b"", False),
    (b"*", b"anything", True),
    (b"a*", b"a", True),
    (b"a*", b"abc", True),
    (b"a*", b"ba", False),
    (b"*a", b"a", True),
    (b"*a", b"ba", True),
    (b"*a", b"ab", False),
    (b"*a*", b"xax", True),
    (b"*a*", b"", False),
    (b"a*b*c", b"abc", True),
    (b"a*b*c", b"aXbYc", True),
    (b"a*b*c", b"aXbYcZ", False),
    (b"a*b*c", b"acb", False),
    (b"*ab", b"aab", True),
    (b"*aab", b"aaab", True),
    (b"?", b"a", True),
    (b"?", b"", False),
    (b"??", b"a", False),
    (b"h?llo", b"hello", True),
    (b"h?llo", b"hllo", False),
    (b"h*llo", b"hllo", True),
    (b"h[ae]llo", b"hello", True),
    (b"h[ae]llo", b"hallo", True),
    (b"h[ae]llo", b"hillo", False),
    (b"h[^e]llo", b"hallo", True),
    (b"h[^e]llo", b"hello", False),
    (b"h[a-b]llo", b"hbllo", True),
    (b"h[a-b]llo", b"hcllo", False),
    (b"h[b-a]llo", b"hallo", True),  # reversed range
    (b"[a-]", b"-", False),  # "a-]" is the range a..] (reversed: ] ^ _ ` a)
    (b"[a-]", b"]", True),
    (b"[a-]", b"_", True),
    (b"[a-]", b"b", False),
    (b"[a-]b]", b"-", False),
    (b"[-a]", b"-", True),
    (b"[]", b"]", False),
    (b"[]a]", b"a", False),  # "[]" is an empty class, then "a]"
    (b"[\\]]", b"]", True),  # escaped "]" inside a class
    (b"[\\-]", b"-", True),
    (b"[", b"[", False),  # unterminated class: matches nothing ...
    (b"[^", b"x", True),  # ... unless negated: then any byte
    (b"[^", b"", False),
    (b"[ab", b"a", True),  # class closed by the end of the pattern
    (b"[a-", b"a", True),
    (b"[a-", b"-", True),
    (b"\\*", b"*", True),
    (b"\\*", b"a", False),
    (b"\\?", b"?", True),
    (b"\\[a]", b"[a]", True),
    (b"\\", b"\\", True),  # a trailing backslash is literal
    (b"a\\", b"a\\", True),
    (b"\\a", b"a", True),
    (b"*\\*", b"ab*", True),
    (b"*\\*", b"ab", False),
    (b"[*]", b"*", True),
    (b"[?]", b"a", False),
    (b"a[", b"a[", False),
    (b"a[", b"ab", False),
    (b"\xff", b"\xff", True),
    (b"[a-\xff]", b"\xff", True),  # signed chars: the range is -1 .. 97
    (b"[a-\xff]", b"\x80", False),
    (b"[a-\xff]", b"A", True),
    (b"[\x80-\xff]", b"\x90", True),
    (b"[\x00-\x7f]", b"\x80", False),
    (b"a\x00b", b"a\x00b", True),
    (b"*\x00", b"x\x00", True),
    (b"*[", b"ab", False),
    (b"*[^", b"ab", True),
    (b"foo*bar*baz*qux", b"foo--bar--baz--qux", True),
    (b"foo*bar*baz*qux", b"foo--bar--baz--qu", False),
]


@pytest.mark.parametrize("pattern,string,expected", CASES)
def test_cases(pattern, string, expected):
    assert stringmatchlen(pattern, string) is expected
    assert compile_pattern(pattern)(string) is expected


def test_nocase():
    assert stringmatchlen(b"HELLO", b"hello", nocase=True)
    assert stringmatchlen(b"h[A-C]llo", b"hbllo", nocase=True)
    assert stringmatchlen(b"h[a-c]llo", b"hBllo", nocase=True)
    assert stringmatchlen(b"h[B]llo", b"hbllo", nocase=True)
    assert not stringmatchlen(b"h[^B]llo", b"hbllo", nocase=True)
    assert not stringmatchlen(b"HELLO", b"hello")
    assert compile_pattern(b"A*", nocase=True)(b"abc")


def test_no_recursion_limit_and_no_blowup():
    # Redis's matcher is linear-ish on these thanks to skipLongerMatches; so is ours.
    pattern = b"a*" * 2000 + b"b"
    assert not stringmatchlen(pattern, b"a" * 3000)
    assert stringmatchlen(pattern, b"a" * 3000 + b"b")
    assert not stringmatchlen(b"*a*a*a*a*a*a*a*a*a*a*b", b"a" * 5000)


def test_fast_paths_agree_with_the_matcher():
    rng = random.Random(7)
    strings = [bytes(rng.choice(b"ab*") for _ in range(rng.randrange(0, 5))) for _ in range(200)]
    for core in (b"", b"a", b"ab", b"ba", b"aa"):
        for left in range(3):
            for right in range(3):
                pattern = b"*" * left + core + b"*" * right
                fast = compile_pattern(pattern)
                for s in strings:
                    assert fast(s) == stringmatchlen(pattern, s), (pattern, s)


@pytest.fixture
def real(theirs):
    r = redis.Redis(port=theirs.port)
    r.flushall()
    yield r
    r.flushall()
    r.close()


def test_random_patterns_against_redis_keys(real):
    """Random keys and patterns over a small alphabet full of metacharacters: our matcher selects
    exactly the keys redis-server's KEYS returns."""
    rng = random.Random(1234)
    alphabet = b"ab-]\\^[*?\xe9"
    keys = set()
    for _ in range(300):
        keys.add(bytes(rng.choice(b"ab-]\\^[*?\xe9") for _ in range(rng.randrange(0, 6))))
    pipe = real.pipeline(transaction=False)
    for k in keys:
        pipe.set(k, b"1")
    pipe.execute()
    patterns = set()
    for _ in range(600):
        patterns.add(bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 7))))
    patterns = sorted(patterns)
    pipe = real.pipeline(transaction=False)
    for p in patterns:
        pipe.keys(p)
    results = pipe.execute()
    for p, got in zip(patterns, results):
        expected = set(got)
        if p == b"*":
            mine = set(keys)  # KEYS special-cases "*"
        else:
            mine = {k for k in keys if stringmatchlen(p, k)}
        assert mine == expected, p
        if p != b"*":
            assert {k for k in keys if compile_pattern(p)(k)} == expected, p
