#!/usr/bin/env bash
# Set everything up, then serve the pose playground at http://127.0.0.1:8000/apps/playground/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export EDGEWARD_HOME="${EDGEWARD_HOME:-$PWD/.edgeward}"
exec .venv/bin/edgeward serve --host 127.0.0.1 --port "${PORT:-8000}"
