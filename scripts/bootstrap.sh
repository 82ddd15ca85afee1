#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install IRS with its dev tools. Idempotent and quick when
# nothing changed. Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${IRS_PYTHON:-}"
if [ -z "$py" ]; then
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      py="$candidate"; break
    fi
  done
fi
[ -n "$py" ] || { echo "IRS needs Python >= 3.11 / 需要 Python 3.11 或更高版本" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
stamp=.venv/.irs-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip uv >/dev/null
  .venv/bin/uv pip install -q --python .venv/bin/python -e '.[dev]'
  touch "$stamp"
fi
