#!/usr/bin/env bash
# Start a ready local node on 127.0.0.1:7000 (installs the package first).
# When the cluster issues land this becomes the 6-node local cluster (`pyredis-cluster start`).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e .
exec pyredis-server --port "${PORT:-7000}" "$@"
