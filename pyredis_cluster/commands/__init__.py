"""Command families.  Importing this package registers every command in :mod:`.table`."""

from . import admin, cluster, configcmd, replication, hashes, keys, lists, server, sets, strings, zsets, transactions, pubsub, migrate, acl, slowlog, scripting, sort, hyperloglog, geo, lolwut  # noqa: F401
from . import streams  # noqa: F401,E402
