#!/usr/bin/env bash
# Set everything up, then run lint, types and the whole test suite (Python + headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export EDGEWARD_HOME="${EDGEWARD_HOME:-$PWD/.edgeward}"
echo "==> ruff"
.venv/bin/ruff check src tests bench hatch_build.py
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
.venv/bin/python -m pytest -q -ra --durations=40 "$@"
if [ $# -eq 0 ]; then  # the whole suite: the database-backed tests once more, on a real PostgreSQL
  echo "==> registry and federated tests on PostgreSQL (a throw-away cluster, stopped afterwards)"
  source scripts/postgres.sh
  trap pg_stop EXIT
  pg_start
  # only the suites that take a database URL (tests/registry/conftest.py, tests/federated/fedserver.py);
  # the pure ones (aggregators, privacy, protocol, simulate on its own SQLite) would only run again
  .venv/bin/python -m pytest -q -ra tests/test_migrations.py tests/registry tests/federated/test_api.py tests/federated/test_client.py \
    tests/federated/test_storage.py tests/federated/test_load.py
  pg_stop
  trap - EXIT
fi
