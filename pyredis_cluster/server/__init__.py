"""The asyncio shell: the Node (composition root), client connections, and later bus and replication links."""
