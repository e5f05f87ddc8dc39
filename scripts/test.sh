#!/usr/bin/env bash
# Set up (first time) and run every check: lint, format, types, and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The WeChat tests talk to a Node Wechaty gateway pinned by a committed lock file.
if [ ! -d tests/wechat_gateway/node_modules ]; then
  echo "== npm ci (WeChat test gateway)"
  npm ci --prefix tests/wechat_gateway --no-audit --no-fund --loglevel=error
fi
echo "== ruff check" && .venv/bin/ruff check .
echo "== ruff format --check" && .venv/bin/ruff format --check .
echo "== mypy (strict)" && .venv/bin/mypy
echo "== pytest (all markers, slow and e2e included)" && exec .venv/bin/pytest -q "$@"
