"""The Redis Cluster core, sans-IO: no sockets, no asyncio, no clock (see DESIGN.md rule 1)."""
