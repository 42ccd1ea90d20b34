#!/usr/bin/env bash
# The tutorial as notebooks: set up (venv, install with the notebooks extra: JupyterLab,
# jupytext, ipykernel), then make notebooks/<chapter>.ipynb from docs/tutorial/*.md, the
# pages being their only source (docs/notebooks.py). Open them with
# `.venv/bin/jupyter lab notebooks/`, or pass `lab` to open them right away.
# A notebook you changed or ran is kept, never replaced (one line names it): delete it, or
# pass --force first (`bash scripts/notebooks.sh --force [lab]`), to get a fresh one.
set -euo pipefail
FORCE=()
if [[ "${1:-}" == "--force" ]]; then FORCE=(--force); shift; fi
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" notebooks,progress,plot
cd "$ROOT"
"$PY" docs/notebooks.py ${FORCE[@]+"${FORCE[@]}"} notebooks
case "${1:-}" in
  "") echo "notebooks: open them with .venv/bin/jupyter lab notebooks/" \
           "(or: bash scripts/notebooks.sh lab)" ;;
  lab) shift; exec "$VENV/bin/jupyter" lab notebooks/ "$@" ;;
  *) echo "scripts/notebooks.sh: unknown command '$1'; use 'bash scripts/notebooks.sh' to" \
          "make the notebooks, 'bash scripts/notebooks.sh lab' to make and open them, and" \
          "--force first to replace the notebooks you changed" >&2
     exit 2 ;;
esac
