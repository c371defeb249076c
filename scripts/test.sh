#!/usr/bin/env bash
# The project's checks: lint, format, types, then the test suite, with the Neo4j suites run
# against a real local Neo4j (scripts/neo4j.sh) in its own folder, NEO4J_TEST_HOME_DIR
# (default relex-data/neo4j-test): the tests wipe its database. A server this script started
# is stopped when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source .venv/bin/activate
ruff check .
ruff format --check .
mypy
export NEO4J_HOME_DIR=${NEO4J_TEST_HOME_DIR:-relex-data/neo4j-test}
unset NEO4J_DATABASE
if ! bash scripts/neo4j.sh status >/dev/null; then
    trap 'bash scripts/neo4j.sh stop' EXIT
fi
neo4j_env=$(bash scripts/neo4j.sh start) # an assignment, so that a failed start stops the script
eval "$neo4j_env"
pytest -q "$@"
