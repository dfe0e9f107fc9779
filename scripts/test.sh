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
echo "==> ESLint (web/)"
(cd web && npm run --silent lint)
echo "==> tsc --noEmit (web/: JSDoc types of the runtime)"
(cd web && npm run --silent typecheck)
echo "==> JS unit tests: node --test web/test/, on fixtures the Python oracle writes"
FIXTURES="$(mktemp -d)"
trap 'rm -rf "$FIXTURES"' EXIT
.venv/bin/python -m tests.web.write_fixtures "$FIXTURES" >/dev/null
EDGEWARD_FIXTURES="$FIXTURES" node --test web/test/
rm -rf "$FIXTURES"
trap - EXIT
echo "==> pytest"
exec .venv/bin/python -m pytest -q -ra "$@"
