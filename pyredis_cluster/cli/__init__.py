"""Command-line entry points: ``pyredis-server`` (one node) and ``pyredis-cluster`` (the manager)."""
