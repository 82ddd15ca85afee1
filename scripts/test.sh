#!/usr/bin/env bash
# Install IRS and run the whole suite: lint, types, schema freshness, tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
cd "$root"
. .venv/bin/activate
echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy
echo "== schema"
irs schema export --check
echo "== pytest"
python -m pytest "$@"
