#!/usr/bin/env bash
# Create .venv and install jingmin with its test tools; re-runs only when pyproject changes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "jingmin needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
  exit 1
}
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev,wechat]'
  rm -f .venv/.installed-* && touch "$stamp"
fi
