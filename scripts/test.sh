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
# Two workers (pytest-xdist), a test file per worker at a time: about 7 minutes instead of 14 in one
# process on the 2-core CI machine.  Tests pick random free ports below the ephemeral range and retry
# a start whose port was taken meanwhile; cluster tests wait for conditions, never for fixed times.
# `bash scripts/test.sh -n 0` runs everything in one process.
exec python3 -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"
