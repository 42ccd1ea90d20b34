#!/usr/bin/env bash
# The documentation command: set up (venv, install with the docs extra, Graphviz), then
# build the site and serve it at http://127.0.0.1:8000 (`bash scripts/docs.sh`), or only
# build it into site/ (`bash scripts/docs.sh build`). Extra arguments go to mkdocs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" docs,progress,plot
cd "$ROOT"
export MPLBACKEND="${MPLBACKEND:-Agg}"  # the pictures are drawn without a display
case "${1:-serve}" in
  build) shift || true; exec "$VENV/bin/mkdocs" build --strict "$@" ;;
  serve) shift || true; exec "$VENV/bin/mkdocs" serve "$@" ;;
  *) echo "scripts/docs.sh: unknown command '$1'; use 'bash scripts/docs.sh' to build and serve" \
          "the site or 'bash scripts/docs.sh build' to build it into site/" >&2; exit 2 ;;
esac
