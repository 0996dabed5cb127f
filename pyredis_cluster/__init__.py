"""pyredis-cluster: a Redis Cluster node in Python, wire-compatible with redis-server 7.0."""

__version__ = "0.1.0"
