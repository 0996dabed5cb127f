"""The keyspace (:mod:`.keyspace`), value types (:mod:`.types`), and later the RDB codec and AOF."""
