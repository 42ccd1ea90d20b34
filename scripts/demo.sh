#!/usr/bin/env bash
# The main job: set up (venv, install, Graphviz), then train every network of the source
# documents, print their tables and write their computation-graph diagrams.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" progress,plot
cd "$ROOT"
exec "$VENV/bin/tinygrad-gd" demo "$@"
