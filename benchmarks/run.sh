#!/usr/bin/env bash
# The benchmarks of issue 6, one command: `bash benchmarks/run.sh [--quick] [--only tiny,mlp] ...`
# Sets up its own virtual environment, .venv-bench (never the project's .venv: PyTorch and
# micrograd are references to measure against, not dependencies), then runs
# `python -m benchmarks` with the arguments given (`--help` lists them).
# BENCH_NO_TORCH=1 skips installing PyTorch: its rows are then skipped with a note.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV="${BENCH_VENV:-.venv-bench}"  # BENCH_VENV: another place for it
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
fi
# keep the environment out of git whatever the top .gitignore says (Python 3.13's venv does the same)
[ -f "$VENV/.gitignore" ] || echo '*' > "$VENV/.gitignore"

if ! "$PY" -c "import tinygrad_gd, numpy, threadpoolctl, micrograd" 2>/dev/null; then
    echo "setting up $VENV: tinygrad_gd (editable), numpy, threadpoolctl, micrograd" >&2
    "$VENV/bin/pip" install -q -e . numpy threadpoolctl micrograd
fi
if [ "${BENCH_NO_TORCH:-0}" != 1 ] && ! "$PY" -c "import torch" 2>/dev/null; then
    # exactly 2.13.0: a CPU build is on this workplace's disk; a bare `torch` pulls a multi-GB CUDA build
    echo "setting up $VENV: torch==2.13.0 (CPU)" >&2
    "$VENV/bin/pip" install -q "torch==2.13.0" \
        || echo "PyTorch could not be installed: its rows will be skipped" >&2
fi

exec "$PY" -m benchmarks "$@"
