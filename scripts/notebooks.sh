#!/usr/bin/env bash
# The tutorial as notebooks: set up (venv, install with the notebooks extra: JupyterLab,
# jupytext, ipykernel), then make notebooks/<chapter>.ipynb from docs/tutorial/*.md, the
# pages being their only source (docs/notebooks.py). Open them with
# `.venv/bin/jupyter lab notebooks/`, or pass `lab` to open them right away.
# A notebook you changed or ran is kept, never replaced (one line names it): delete it, or
# pass --force (`bash scripts/notebooks.sh --force [lab]`), to get a fresh one.
#
#   bash scripts/notebooks.sh [--force] [lab [JUPYTERLAB-OPTION...]]
#
# --force is this script's wherever it stands (`lab --force` too: JupyterLab has none);
# what follows `lab` otherwise goes to JupyterLab (`lab --no-browser --port 8890`; `lab
# --help` is JupyterLab's help, --help before `lab` this script's). The
# arguments are read before anything is installed: a wrong one costs nothing.
set -euo pipefail
USAGE="usage: bash scripts/notebooks.sh [--force] [lab [JUPYTERLAB-OPTION...]]"
usage_in_full() {
  echo "$USAGE"
  echo "  (no argument)  make the tutorial's notebooks in notebooks/"
  echo "  --force        replace the notebooks you changed or ran too (your changes are lost)"
  echo "  lab            then open them in JupyterLab; the options after it are JupyterLab's"
  echo "  -h, --help     this help (after lab: JupyterLab's)"
}
FORCE=()
LAB=()  # `lab` and the options for JupyterLab after it
while (($#)); do
  case "$1" in
    --force) FORCE=(--force) ;;
    *) if ((${#LAB[@]})); then
         LAB+=("$1")  # (after `lab`: JupyterLab's, its --help too)
       elif [[ "$1" == lab ]]; then
         LAB=(lab)
       elif [[ "$1" == -h || "$1" == --help ]]; then
         usage_in_full
         exit 0
       else
         echo "scripts/notebooks.sh: unknown argument '$1'; $USAGE" \
              "(--help says what each does)" >&2
         exit 2
       fi ;;
  esac
  shift
done
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" notebooks,progress,plot
cd "$ROOT"
"$PY" docs/notebooks.py ${FORCE[@]+"${FORCE[@]}"} notebooks
if ((${#LAB[@]})); then
  if [[ ! -x "$VENV/bin/jupyter" ]]; then  # (the notebooks extra's install left it out)
    echo "scripts/notebooks.sh: the notebooks are made, but JupyterLab is not in $VENV;" \
         "install it ($PY -m pip install jupyterlab) or open notebooks/ with your own" \
         "Jupyter" >&2
    exit 1
  fi
  exec "$VENV/bin/jupyter" lab notebooks/ "${LAB[@]:1}"
fi
echo "notebooks: open them with .venv/bin/jupyter lab notebooks/" \
     "(or: bash scripts/notebooks.sh lab)"
