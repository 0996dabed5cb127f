"""Command-line entry points: ``pyredis-server`` (one node) and ``pyredis-cluster`` (the manager).

Layout:

- ``server_main.py``  ``pyredis-server``: one node, redis-server's command line;
- ``cluster_main.py`` ``pyredis-cluster``: argument parsing and dispatch;
- ``manager.py``      the cluster manager, redis-cli's ``--cluster`` commands (create, check, fix, reshard,
  rebalance, add-node, del-node, call, set-timeout, import, backup, info);
- ``nodes.py``        the manager's view of one node and its redis-py connection;
- ``local.py``        the local cluster launcher (start, stop, status, restart, kill, logs);
- ``output.py``       log lines as redis-cli prints them, prompts, the progress bar, ``--json``;
- ``dashboard.py``, ``dashboard_model.py``, ``dashboard_static/``  ``pyredis-cluster dashboard`` and ``events``.
"""
