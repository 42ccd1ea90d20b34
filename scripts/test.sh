#!/usr/bin/env bash
# The test command: set up (venv, install, Graphviz), then run the whole test suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" dev,progress,plot,docs
cd "$ROOT"
exec "$PY" -m pytest "$@"
