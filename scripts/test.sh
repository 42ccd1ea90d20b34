#!/usr/bin/env bash
# The test command: set up (venv, install, Graphviz), then run the whole test suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" dev,progress,plot,docs
# Headless Chromium drives the step-by-step page in the tests (skipped without it); only
# the tests need it, so only this command installs it
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
    && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing Chromium (Debian package chromium) for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "setup: Chromium could not be installed; the browser tests will be skipped" >&2
fi
cd "$ROOT"
# compiled modules cached as Python does by default, even where the environment says not
# to: the suite starts Python again in many subprocesses (the CLI, examples, notebooks),
# each importing the package anew (measured: benchmarks/README.md, thirty-third round)
unset PYTHONDONTWRITEBYTECODE
# every core (pytest-xdist), a test file to a worker: a file's tests run in their order
exec "$PY" -m pytest -n auto --dist loadfile "$@"
