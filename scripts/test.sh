#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: installs what the tests need, then runs pytest.
#   - Debian's redis-server and redis-tools (the differential and interop tests compare against them)
#   - Debian's chromium (the dashboard's browser tests drive it with Playwright; never a downloaded browser)
#   - this package with its test extras (pip), and playwright (pip)
# Each only when missing, so a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
APT=""
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null || ! command -v redis-benchmark >/dev/null; then
  APT="redis-server redis-tools"
fi
[ -x /usr/bin/chromium ] || APT="$APT chromium"
if [ -n "$APT" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $APT >/dev/null
fi
# Debian starts a redis-server service on 6379 when installed; the tests never use it.
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
python3 -c 'import playwright' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check playwright
# One process: the cluster tests measure failure-detection and failover times and wait for gossip to
# converge; run beside each other on two cores they became timing-sensitive.  (pytest-xdist is installed:
# `bash scripts/test.sh -n 2 --dist loadfile` runs the suite in about 7 minutes instead of ~12.)
exec python3 -m pytest -q -p no:cacheprovider "$@"
