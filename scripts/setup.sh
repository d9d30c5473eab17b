#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv and install snnforge with its
# test extras from PyPI. Needs only Python >= 3.11 with venv; no system packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "setup: snnforge needs Python >= 3.11; '$PY' is $("$PY" --version 2>&1 || echo missing)." >&2
    echo "setup: install Python 3.11+ or point PYTHON=/path/to/python3.11 at one." >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PY" -m venv .venv
fi
stamp=.venv/.snnforge-installed
want=$(cat pyproject.toml setup.py | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing snnforge and its dependencies from PyPI (first time: about 1-2 minutes)"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[test,fast]"
    echo "$want" > "$stamp"
else
    echo "setup: .venv is up to date"
fi
