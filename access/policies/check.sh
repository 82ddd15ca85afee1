#!/usr/bin/env bash
# Check the IRS policies with the real OPA: formatting, v1 syntax + strict mode + the input
# JSON Schema (type check), the `opa test` suite, and coverage of the policy files (tests
# excluded) against a threshold.
#
# Usage: access/policies/check.sh [MIN_COVERAGE]     (default 90)
# Environment: OPA=/path/to/opa (default: scripts/opa.sh path, which builds v1.22.3 if needed)
# Prints a JSON summary on the last line; exits non-zero on any failure.
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd -- "${here}/../.." && pwd -P)"
min="${1:-90}"
opa="${OPA:-$(bash "${root}/scripts/opa.sh" path)}"

work="$(mktemp -d)"
trap 'rm -rf -- "${work}"' EXIT
mkdir -p "${work}/schemas"
cp -- "${here}/call_input.schema.json" "${work}/schemas/"
# Only the Rego files: a JSON file in the directory would be loaded as data.
mapfile -t rego < <(find "${here}" -maxdepth 1 -name '*.rego' | sort)

echo "== opa fmt --diff" >&2
if ! diff_out="$("${opa}" fmt --diff "${rego[@]}")" || [[ -n "${diff_out}" ]]; then
    printf '%s\n' "${diff_out}" >&2
    echo "check.sh: policies are not formatted (run: opa fmt -w access/policies)" >&2
    exit 1
fi

echo "== opa check --v1-compatible --strict -s call_input.schema.json" >&2
"${opa}" check --v1-compatible --strict -s "${work}/schemas" "${rego[@]}"

echo "== opa test -v" >&2
"${opa}" test -v "${rego[@]}" >&2

echo "== opa test --coverage (policy files, threshold ${min}%)" >&2
"${opa}" test --coverage "${rego[@]}" >"${work}/coverage.json"
python3 - "${work}/coverage.json" "${min}" <<'EOF'
import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
minimum = float(sys.argv[2])
covered = missed = 0
per_file = {}
for name, info in report.get("files", {}).items():
    if name.endswith("_test.rego"):
        continue
    c = sum(r["end"]["row"] - r["start"]["row"] + 1 for r in info.get("covered", []))
    m = sum(r["end"]["row"] - r["start"]["row"] + 1 for r in info.get("not_covered", []))
    covered, missed = covered + c, missed + m
    per_file[name.rsplit("/", 1)[-1]] = round(100.0 * c / (c + m), 2) if c + m else 100.0
total = round(100.0 * covered / (covered + missed), 2) if covered + missed else 0.0
print(json.dumps({"coverage": total, "minimum": minimum, "files": per_file}))
sys.exit(0 if total >= minimum else 1)
EOF
