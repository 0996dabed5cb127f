"""LOLWUT against redis-server 7.0: the default reply, the VERSION argument and its errors, and
the art of versions 5 and 6 where it is not random (Schotter's first two rows of squares; the
sizes of the randomised pictures)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("cmd", [
    ("LOLWUT",), ("LOLWUT", "10"), ("LOLWUT", "VERSION"), ("LOLWUT", "VERSION", "7"), ("LOLWUT", "VERSION", "x"),
    ("LOLWUT", "VERSION", "-1"), ("LOLWUT", "VERSION", "5", "x"), ("LOLWUT", "VERSION", "6", "1", "y"),
    ("LOLWUT", "VERSION", "5", "66", "8", "2"), ("LOLWUT", "VERSION", "5", "10", "3", "1"),
    ("LOLWUT", "VERSION", "5", "1", "1", "1"), ("LOLWUT", "VERSION", "5", "0", "0", "0"),
    ("LOLWUT", "VERSION", "5", "2000", "300", "1"), ("LOLWUT", "VERSION", "5", "33", "7", "2"),
    ("LOLWUT", "VERSION", "6", "1", "1"),
], ids=" ".join)
def test_lolwut(diff, cmd):
    diff.same(*cmd)


def test_lolwut_random_art_sizes_and_resp3(diff):
    a, b = diff.both("LOLWUT", "VERSION", "5")
    assert len(a) == len(b) and a.endswith(b"Redis ver. 7.0.15\n\r\n")
    a, b = diff.both("LOLWUT", "VERSION", "6", "40", "10")
    assert a.count(b"\n") == b.count(b"\n") and a.endswith(b"Redis ver. 7.0.15\n\r\n")
    diff.both("HELLO", "3")
    diff.same("LOLWUT")
    diff.same("LOLWUT", "VERSION", "5", "20", "4", "2")
