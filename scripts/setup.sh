#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install everything the
# demo and the tests need. Safe to run again: an up-to-date environment is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
stamp="$venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if [ ! -f "$stamp" ]; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    # torch and torchvision first, as one pinned pair (a CPU or CUDA build, whichever pip offers).
    "$venv/bin/python" -m pip install --quiet "torch==2.14.1" "torchvision==0.29.1"
    "$venv/bin/python" -m pip install --quiet -e ".[test]"
    rm -f "$venv"/.installed-*
    touch "$stamp"
fi
