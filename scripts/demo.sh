#!/usr/bin/env bash
# Set up the environment and run the end-to-end demo on the built-in default
# (`snnforge demo`); extra arguments go to it, e.g. `scripts/demo.sh --out runs/my-demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source .venv/bin/activate
exec snnforge demo "$@"
