"""GEO commands against redis-server 7.0, byte for byte: the 52-bit geohash scores GEOADD stores,
GEOPOS / GEOHASH / GEODIST formatting, GEORADIUS* and GEOSEARCH* results (order, distances,
coordinates, hashes, COUNT / ANY / ASC / DESC, STORE / STOREDIST), errors, RESP3, and DUMP /
RESTORE of a geo key between the two servers."""

from __future__ import annotations

import random

import pytest

SICILY = ("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
          "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2")


def _bulk(reply: bytes) -> bytes:
    head, _, rest = reply.partition(b"\r\n")
    assert head[:1] == b"$", reply
    return rest[:int(head[1:])]


def test_geoadd_scores_pos_hash_dist(diff):
    diff.run(
        SICILY,
        ("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"),
        ("GEOPOS", "Sicily", "Palermo", "Catania", "missing"),
        ("GEOPOS", "nokey", "a"),
        ("GEOHASH", "Sicily", "Palermo", "Catania", "missing"),
        ("GEOHASH", "nokey", "a"),
        ("GEODIST", "Sicily", "Palermo", "Catania"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "km"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "MI"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "ft"),
        ("GEODIST", "Sicily", "Palermo", "Palermo"),
        ("GEODIST", "Sicily", "Palermo", "missing"),
        ("GEODIST", "nokey", "a", "b"),
        ("GEOADD", "g", "-180", "-85.05112878", "sw", "180", "85.05112878", "ne", "0", "0", "zero"),
        ("GEOPOS", "g", "sw", "ne", "zero"),
        ("GEOHASH", "g", "sw", "ne", "zero"),
        ("ZADD", "g", "-1", "neg", "9007199254740993", "huge"),  # scores that are no geohash
        ("GEOPOS", "g", "neg", "huge"),
        ("GEOHASH", "g", "neg", "huge"),
    )


def test_geoadd_options(diff):
    diff.run(
        ("GEOADD", "k", "NX", "1", "1", "a"),
        ("GEOADD", "k", "NX", "2", "2", "a", "3", "3", "b"),
        ("GEOADD", "k", "XX", "4", "4", "a", "5", "5", "c"),
        ("GEOADD", "k", "XX", "CH", "6", "6", "a", "5", "5", "c"),
        ("GEOADD", "k", "CH", "6", "6", "a", "7", "7", "b", "8", "8", "d"),
        ("ZRANGE", "k", "0", "-1", "WITHSCORES"),
        ("GEOADD", "k", "NX", "XX", "1", "1", "a"),
        ("GEOADD", "k", "1", "1"),
        ("GEOADD", "k", "GT", "1", "1", "a"),
        ("GEOADD", "k", "181", "1", "a"),
        ("GEOADD", "k", "1", "86", "a"),
        ("GEOADD", "k", "x", "1", "a"),
        ("GEOADD", "k", "1", "nan", "a"),
        ("SET", "str", "x"),
        ("GEOADD", "str", "1", "1", "a"),
        ("GEOPOS", "str", "a"),
        ("GEOHASH", "str", "a"),
        ("GEODIST", "str", "a", "b"),
        ("GEODIST", "str", "a", "b", "parsec"),
        ("GEODIST", "k", "a", "b", "km", "extra"),
        ("GEORADIUS", "str", "1", "1", "1", "km"),
        ("GEOSEARCH", "str", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"),
    )


def test_georadius_and_geosearch(diff):
    diff.run(
        SICILY,
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "DESC"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "2"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY"),
        ("GEORADIUS", "Sicily", "15", "37", "100", "km"),
        ("GEORADIUS", "Sicily", "15", "37", "0", "m"),
        ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHCOORD"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST"),
        ("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200000", "m", "WITHHASH", "DESC"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "300", "100", "mi", "WITHDIST"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1000", "ft"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "10", "km"),
        ("GEORADIUSBYMEMBER", "nokey", "x", "10", "km"),
        ("GEORADIUS", "nokey", "15", "37", "10", "km"),
    )


def test_georadius_store(diff):
    diff.run(
        SICILY,
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d1"),
        ("ZRANGE", "d1", "0", "-1", "WITHSCORES"),
        ("OBJECT", "ENCODING", "d1"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "d2", "COUNT", "1"),
        ("ZRANGE", "d2", "0", "-1", "WITHSCORES"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "1", "m", "STORE", "d3"),
        ("ZRANGE", "d3", "0", "-1", "WITHSCORES"),
        ("SET", "d4", "x"),
        ("GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "d4"),
        ("EXISTS", "d4"),
        ("GEOSEARCHSTORE", "d5", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "STOREDIST"),
        ("ZRANGE", "d5", "0", "-1", "WITHSCORES"),
        ("GEOSEARCHSTORE", "d6", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "2", "DESC"),
        ("ZRANGE", "d6", "0", "-1", "WITHSCORES"),
        ("SET", "d7", "x"),
        ("GEOSEARCHSTORE", "d7", "nokey", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ("EXISTS", "d7"),
        ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "d8"),
    )


@pytest.mark.parametrize("cmd", [
    ("GEORADIUS", "Sicily", "15", "37", "-1", "km"),
    ("GEORADIUS", "Sicily", "15", "37", "1", "parsec"),
    ("GEORADIUS", "Sicily", "15", "37", "x", "km"),
    ("GEORADIUS", "Sicily", "200", "37", "1", "km"),
    ("GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "0"),
    ("GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "x"),
    ("GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT"),
    ("GEORADIUS", "Sicily", "15", "37", "1", "km", "ANY"),
    ("GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE", "x", "WITHDIST"),
    ("GEORADIUS", "Sicily", "15", "37", "1", "km", "FOO"),
    ("GEORADIUSBYMEMBER", "Sicily", "missing", "1", "km"),
    ("GEOSEARCH", "Sicily", "BYBOX", "1", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1"),
    ("geosearch", "Sicily", "FROMLONLAT", "1", "1"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYBOX", "-1", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYBOX", "x", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYBOX", "1", "y", "km"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "missing", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "STORE", "x"),
    ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "WITHDIST"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "STOREDIST"),
], ids=" ".join)
def test_geo_errors(diff, cmd):
    diff.run(SICILY, cmd)


def test_random_points_and_searches(diff):
    r = random.Random(7)
    args = []
    for i in range(200):
        args += ["%.6f" % r.uniform(-180, 180), "%.6f" % r.uniform(-85, 85), "p%d" % i]
    diff.same("GEOADD", "w", *args)
    for i in range(40):
        lon, lat = "%.4f" % r.uniform(-180, 180), "%.4f" % r.uniform(-85, 85)
        rad = r.choice(["1", "100", "1000", "3000", "8000"])
        diff.same("GEORADIUS", "w", lon, lat, rad, "km", "WITHDIST", "WITHCOORD", "WITHHASH")
        diff.same("GEOSEARCH", "w", "FROMLONLAT", lon, lat, "BYBOX", rad, str(int(rad) * 2), "km", "WITHDIST", "DESC")
        diff.same("GEOSEARCH", "w", "FROMMEMBER", "p%d" % i, "BYRADIUS", rad, "mi", "COUNT", "5", "WITHDIST")
        diff.same("GEOPOS", "w", "p%d" % i)
        diff.same("GEOHASH", "w", "p%d" % i)
        diff.same("GEODIST", "w", "p%d" % i, "p%d" % (i + 100), "ft")


def test_resp3(diff):
    diff.both("HELLO", "3")
    diff.run(
        SICILY,
        ("GEOPOS", "Sicily", "Palermo", "missing"),
        ("GEOHASH", "Sicily", "Palermo", "missing"),
        ("GEODIST", "Sicily", "Palermo", "Catania"),
        ("GEODIST", "Sicily", "Palermo", "missing"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"),
    )


def test_dump_restore_geo_key(diff):
    diff.run(SICILY)
    payload = _bulk(diff.same("DUMP", "Sicily"))
    for src, dst in ((diff.a, diff.b), (diff.b, diff.a)):
        assert _bulk(src.call("DUMP", "Sicily")) == payload
        assert dst.call("RESTORE", "copy", "0", payload, "REPLACE") == b"+OK\r\n"
    diff.run(
        ("GEOPOS", "copy", "Palermo", "Catania"),
        ("GEORADIUS", "copy", "15", "37", "200", "km", "WITHDIST", "ASC"),
    )


def test_propagation(debug_servers):
    """GEOADD reaches replicas as the ZADD it turned into (only when it changed something);
    GEORADIUS ... STORE and GEOSEARCHSTORE as themselves."""
    from .test_propagation import same_stream

    cmds = same_stream(debug_servers, [
        SICILY, ("GEOADD", "Sicily", "NX", "CH", "13.361389", "38.115556", "Palermo", "1", "2", "new"),
        ("GEOADD", "Sicily", "NX", "13.361389", "38.115556", "Palermo"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d1"),
        ("GEOSEARCHSTORE", "d2", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km"),
    ])
    names = [c[0].lower() for c in cmds]
    assert b"zadd" in names and b"geoadd" not in names
