#!/usr/bin/env bash
# Install IRS and run the server with the Xiamen demo catalog on the embedded default.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
cd "$root"
export IRS_DATA_DIR="${IRS_DATA_DIR:-$root/.irs-data}"
exec .venv/bin/irs serve --demo "$@"
