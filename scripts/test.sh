#!/usr/bin/env bash
# Run the default test suite (fast tier + cocotb/Verilator tier) on all cores.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k ssnn` or `scripts/test.sh -m slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source .venv/bin/activate
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
jobs=${SNNFORGE_TEST_JOBS:-$(python -c 'import os; print(max(1, len(os.sched_getaffinity(0))))')}
set +e
python -m pytest -n "$jobs" --durations=15 "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "test: pytest collected no tests" >&2
    exit 0
fi
exit "$status"
