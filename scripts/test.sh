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
.venv/bin/python -m pytest -q -ra "$@"
if [ $# -eq 0 ]; then  # the whole suite: the database-backed tests once more, on a real PostgreSQL
  echo "==> registry and federated tests on PostgreSQL (a throw-away cluster, stopped afterwards)"
  source scripts/postgres.sh
  trap pg_stop EXIT
  pg_start
  .venv/bin/python -m pytest -q -ra tests/registry tests/federated
  pg_stop
  trap - EXIT
fi
