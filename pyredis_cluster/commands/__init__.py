"""Command families.  Importing this package registers every command in :mod:`.table`."""

from . import server, strings, keys  # noqa: F401
