#!/usr/bin/env bash
# The tutorial as notebooks: set up (venv, install with the notebooks extra: JupyterLab,
# jupytext, ipykernel), then make notebooks/<chapter>.ipynb from docs/tutorial/*.md, the
# pages being their only source (docs/notebooks.py). Open them with
# `.venv/bin/jupyter lab notebooks/`, or pass `lab` to open them right away.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" notebooks,progress,plot
cd "$ROOT"
"$PY" docs/notebooks.py notebooks
case "${1:-}" in
  "") echo "notebooks: open them with .venv/bin/jupyter lab notebooks/" \
           "(or: bash scripts/notebooks.sh lab)" ;;
  lab) shift; exec "$VENV/bin/jupyter" lab notebooks/ "$@" ;;
  *) echo "scripts/notebooks.sh: unknown command '$1'; use 'bash scripts/notebooks.sh' to" \
          "make the notebooks or 'bash scripts/notebooks.sh lab' to make and open them" >&2
     exit 2 ;;
esac
