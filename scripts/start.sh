#!/usr/bin/env bash
# Start a ready local Redis Cluster: 3 masters + 3 replicas on 127.0.0.1:7000-7005 (the nodes use
# conf/7000.conf ... conf/7005.conf and keep their data in data/7000 ... data/7005), created and checked,
# cluster_state:ok on every node.  Installs the package with pip first.
#
#   bash scripts/start.sh                  # then: redis-cli -c -p 7000
#   PORT=7100 bash scripts/start.sh        # another base port (configs are then written under data/)
#   bash scripts/start.sh --replicas 0     # any other `pyredis-cluster start` option
#
# Stop it with `pyredis-cluster stop`; `pyredis-cluster status` shows the nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e .
# `python3 -m` runs the very pyredis-cluster that pip just installed for this python3
exec python3 -m pyredis_cluster.cli.cluster_main start --port "${PORT:-7000}" "$@"
