"""HyperLogLog, SORT and GEO in cluster mode against a redis-server in cluster mode owning every slot:
multi-key PFCOUNT / PFMERGE and the STORE destinations of SORT and GEORADIUS / GEOSEARCHSTORE need
one slot (CROSSSLOT otherwise), and SORT refuses BY / GET patterns."""

from __future__ import annotations

import pytest

from .test_cluster_keyspace import cluster_pair  # noqa: F401  (the module-scoped pair of servers)


@pytest.fixture
def cdiff(cluster_pair):  # noqa: F811
    cluster_pair.both("FLUSHALL")
    return cluster_pair


@pytest.mark.parametrize("cmd", [
    ("PFCOUNT", "a", "b"), ("PFCOUNT", "{t}a", "{t}b"), ("PFMERGE", "a", "b"), ("PFMERGE", "{t}m", "{t}a", "{t}b"),
    ("SORT", "{t}l", "BY", "w_*"), ("SORT", "{t}l", "GET", "#"), ("SORT", "{t}l", "GET", "h_*->f"),
    ("SORT", "{t}l", "BY", "nosort"), ("SORT_RO", "{t}l", "BY", "x_*"), ("SORT", "{t}l", "STORE", "other"),
    ("SORT", "{t}l", "STORE", "{t}d"), ("SORT", "{t}l", "LIMIT", "0", "1", "STORE", "{t}d", "ALPHA"),
    ("GEORADIUS", "{t}g", "15", "37", "200", "km", "STORE", "other"),
    ("GEORADIUS", "{t}g", "15", "37", "200", "km", "STOREDIST", "{t}d"),
    ("GEOSEARCHSTORE", "other", "{t}g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
    ("GEOSEARCHSTORE", "{t}d", "{t}g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
    ("GEORADIUSBYMEMBER", "{t}g", "Palermo", "200", "km", "STORE", "{t}d"),
], ids=" ".join)
def test_cluster_mode(cdiff, cmd):
    cdiff.run(
        ("PFADD", "{t}a", "x", "y"), ("PFADD", "{t}b", "z"), ("RPUSH", "{t}l", "3", "1", "2"),
        ("GEOADD", "{t}g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
        cmd,
    )
