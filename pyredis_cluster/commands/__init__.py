"""Command families.  Importing this package registers every command in :mod:`.table`."""

from . import admin, cluster, configcmd, keys, server, strings  # noqa: F401
