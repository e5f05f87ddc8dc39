#!/usr/bin/env bash
# Set up (first time) and run every check: lint, format, types, and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# The guard reads pictures with Debian's Tesseract and its Simplified Chinese data; the
# picture tests render Chinese with a Debian CJK font. Installed here when missing.
missing=()
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
[ -f /usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata ] \
  || [ -f /usr/share/tesseract-ocr/4.00/tessdata/chi_sim.traineddata ] \
  || missing+=(tesseract-ocr-chi-sim)
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] \
  || [ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] \
  || missing+=(fonts-wqy-zenhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
bash scripts/setup.sh
# The WeChat tests talk to a Node Wechaty gateway pinned by a committed lock file.
if [ ! -d tests/wechat_gateway/node_modules ]; then
  echo "== npm ci (WeChat test gateway)"
  npm ci --prefix tests/wechat_gateway --no-audit --no-fund --loglevel=error
fi
# The browser tests drive Debian's chromium and chromedriver (never a downloaded browser);
# where they cannot be installed, those tests skip.
if ! command -v chromium >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "== apt-get install chromium chromium-driver (browser tests)"
  apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; } \
    || echo "chromium could not be installed: the browser tests will skip"
fi
echo "== ruff check" && .venv/bin/ruff check .
echo "== ruff format --check" && .venv/bin/ruff format --check .
echo "== mypy (strict)" && .venv/bin/mypy
echo "== import-linter (layers, no cycles)" && .venv/bin/lint-imports --no-cache
echo "== pytest (all markers, slow and e2e included)" && exec .venv/bin/pytest -q "$@"
