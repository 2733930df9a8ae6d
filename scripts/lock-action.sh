#!/usr/bin/env bash
# Regenerate requirements/action.lock: what the GitHub action installs (ttgate's dependencies and the
# github extra), every version pinned and every file hashed, so that `pip install --require-hashes`
# installs exactly what was reviewed. Run after changing [project] dependencies or the github extra in
# pyproject.toml; tests/action/test_action_lock.py fails until the lock agrees with pyproject.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m piptools compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
  --no-emit-find-links --extra github --output-file requirements/action.lock pyproject.toml
