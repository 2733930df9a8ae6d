#!/usr/bin/env bash
# Sets up a virtualenv with ttgate and its test tools, then runs linters, type checks and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TTGATE_VENV:-.venv}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[dev,github,aws]"
"$venv/bin/ruff" check src tests benchmarks
"$venv/bin/ruff" format --check src tests benchmarks
"$venv/bin/mypy"
# The composite action and the workflows: zizmor's audits (offline) and GitHub's schemas (vendored).
workflows=(action.yml .github/workflows/*.yml examples/workflows/*.yml)
"$venv/bin/zizmor" --offline --no-progress "${workflows[@]}"
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml examples/workflows/*.yml
# The whole suite, slow tests included, on every core (pytest-xdist; --dist loadgroup keeps the tests that
# share an expensive fixture on one worker). More pytest arguments follow: `bash scripts/test.sh -m "not
# slow"`, `bash scripts/test.sh tests/gate -n 0`. One parse cache per run, shared by the workers.
TTGATE_CACHE_DIR="$(mktemp -d)"
export TTGATE_CACHE_DIR
trap 'rm -rf "$TTGATE_CACHE_DIR"' EXIT
"$venv/bin/pytest" -q -p no:cacheprovider -n auto --dist loadgroup "$@"
