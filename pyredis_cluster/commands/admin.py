"""Server administration: INFO, CLIENT, MONITOR, DEBUG, MEMORY, TIME, LASTSAVE, SHUTDOWN (Redis: server.c,
networking.c, debug.c, object.c)."""

from __future__ import annotations
