#!/usr/bin/env bash
# Set everything up, then run lint, types and the whole test suite (Python + headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export EDGEWARD_HOME="${EDGEWARD_HOME:-$PWD/.edgeward}"
echo "==> ruff"
.venv/bin/ruff check src tests bench
echo "==> mypy"
.venv/bin/mypy
echo "==> pytest"
exec .venv/bin/python -m pytest -q -ra "$@"
