#!/usr/bin/env bash
# Regenerate requirements/action.lock: what the GitHub action installs (ttgate's dependencies and the
# github extra), and requirements/operations.lock (the same and the aws extra, for the rollback
# workflow), every version pinned and every file hashed, so that `pip install --require-hashes`
# installs exactly what was reviewed. Run after changing [project] dependencies or the github extra in
# pyproject.toml; tests/action/test_action_lock.py fails until the lock agrees with pyproject.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m piptools compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
  --no-emit-find-links --extra github --output-file requirements/action.lock pyproject.toml
# requirements/operations.lock: the same with the aws extra, what .github/workflows/rollback.yml installs
# from the commit it runs. Seeded with action.lock so that the packages both hold keep the same pins.
[ -f requirements/operations.lock ] || cp requirements/action.lock requirements/operations.lock
python -m piptools compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
  --no-emit-find-links --extra github --extra aws --output-file requirements/operations.lock pyproject.toml
