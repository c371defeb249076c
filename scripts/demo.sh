#!/usr/bin/env bash
# The main job on a fresh machine: set up the environment (scripts/setup.sh), then `relex demo`:
# synthetic shapes in two variants, the small CNN trained on them (cached in relex-data/ after the
# first time), both datasets explained into the embedded graph store (relex.kuzu) with a progress
# bar, then the API and web page, with four Cypher queries to try. Ctrl-C stops the server; a
# demo stopped during ingest resumes where it stopped. Arguments go to `relex demo`, e.g.
# --no-serve, --port 8001, or --imagenet PATH (VGG16 on an Imagenette/Imagewoof folder).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/relex demo "$@"
