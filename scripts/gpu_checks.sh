#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one go: the CUDA tests, then the GPU benchmark.
#   bash scripts/gpu_checks.sh [out-folder]      (default relex-data/gpu-checks)
# Writes tests.txt and bench.txt there; the exit status is the tests'.
set -uo pipefail
out="${1:-relex-data/gpu-checks}"
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
python -m pytest -q -rs tests/ingest/test_cuda.py 2>&1 | tee "$out/tests.txt"
status=${PIPESTATUS[0]}
python -m bench.gpu "${@:2}" 2>&1 | tee "$out/bench.txt"
exit "$status"
