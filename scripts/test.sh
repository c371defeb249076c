#!/usr/bin/env bash
# The project's checks: lint, format, types, then the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source .venv/bin/activate
ruff check .
ruff format --check .
mypy
pytest -q "$@"
