#!/usr/bin/env bash
# Set up (first time) and start the bot. With no platform token this is the console demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/jingmin run "$@"
