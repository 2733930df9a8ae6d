#!/usr/bin/env bash
# Sets up a virtualenv with ttgate and runs `ttgate check` on both example trees.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TTGATE_VENV:-.venv}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e .
echo "== examples/passing: a compliant tree =="
"$venv/bin/ttgate" check examples/passing
echo
echo "== examples/failing: the same tree with the mistakes people make =="
"$venv/bin/ttgate" check examples/failing || status=$?
# Exit 1 here means "findings found", which is what the failing example is for.
[ "${status:-0}" -le 1 ]
