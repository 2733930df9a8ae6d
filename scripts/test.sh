#!/usr/bin/env bash
# Sets up a virtualenv with ttgate and its test tools, then runs linters, type checks and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TTGATE_VENV:-.venv}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[dev,github,aws]"
"$venv/bin/ruff" check src tests benchmarks
"$venv/bin/mypy"
export TTGATE_CACHE_DIR="$(mktemp -d)"
"$venv/bin/pytest" -q -p no:cacheprovider "$@"
