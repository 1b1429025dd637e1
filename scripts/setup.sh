#!/usr/bin/env bash
# Set up a development machine: the Debian packages the project needs, a virtualenv in .venv, and Arrears
# installed into it. Safe to run again; it only installs what is missing.
#   scripts/setup.sh          runtime only (enough for `arrears demo`)
#   scripts/setup.sh --dev    plus test and lint tools, Chromium and CJK fonts for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

need_apt=()
if [ "$dev" = 1 ]; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "Installing Debian packages: ${need_apt[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "$dev" = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
fi
