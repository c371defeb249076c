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
say() { echo "setup ($((SECONDS / 60)) min $((SECONDS % 60)) s): $*" >&2; }
if [ ! -f "$stamp" ]; then
    say "installing into $venv: pip, then torch 2.14.1 + torchvision 0.29.1 (about 3 GB the first" \
        "time on a machine, a few minutes; from pip's cache after that), then the project with its" \
        "test tools (FastAPI, kuzu, neo4j driver, zennit, captum, pytest, Playwright)"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    # torch and torchvision first, as one pinned pair (a CPU or CUDA build, whichever pip offers).
    "$venv/bin/python" -m pip install --quiet "torch==2.14.1" "torchvision==0.29.1"
    say "torch installed; installing the project"
    "$venv/bin/python" -m pip install --quiet -e ".[test]"
    say "Python environment ready"
    rm -f "$venv"/.installed-*
    touch "$stamp"
fi

# The web page's JavaScript (cytoscape.js) and /docs' Swagger UI come from the npm registry,
# pinned by package-lock.json, and are served by the API from api/web/vendor: never from a CDN.
web_stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$web_stamp" ] || [ ! -f api/web/vendor/cytoscape.esm.min.mjs ] \
    || [ ! -f api/web/vendor/swagger-ui-bundle.js ]; then
    if ! command -v npm >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
    fi
    say "fetching the page's JavaScript (cytoscape.js) from the npm registry"
    npm ci --no-audit --no-fund --loglevel=error
    mkdir -p api/web/vendor
    cp node_modules/cytoscape/dist/cytoscape.esm.min.mjs api/web/vendor/
    cp node_modules/cytoscape/LICENSE api/web/vendor/cytoscape.LICENSE
    cp node_modules/swagger-ui-dist/swagger-ui-bundle.js api/web/vendor/
    cp node_modules/swagger-ui-dist/swagger-ui.css api/web/vendor/
    cp node_modules/swagger-ui-dist/favicon-32x32.png api/web/vendor/
    cp node_modules/swagger-ui-dist/LICENSE api/web/vendor/swagger-ui.LICENSE
    touch "$web_stamp"
fi

# The browser tests drive Debian's chromium headless (never a browser downloaded by a test tool).
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -eq 0 ]; then
        say "installing Debian's chromium for the browser tests"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
    else
        echo "setup: /usr/bin/chromium is missing and this is not root; the browser tests will skip" >&2
    fi
fi
