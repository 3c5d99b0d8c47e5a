#!/usr/bin/env bash
# One entry point for the README, CI (.ci/run) and the Dockerfile, so all three install and
# build the same way.
#
#   scripts/setup.sh install        create .venv (CPU torch first), install the project with all extras
#   scripts/setup.sh model          install, then train and promote the default model if none is current
#   scripts/setup.sh serve [ARGS]   install, build the model if needed, then `stance serve ARGS`
#   scripts/setup.sh test [ARGS]    install (and chromium for the browser tests), then run all tests (pytest ARGS),
#                                   a file per worker on STANCE_TEST_WORKERS (default 2) pytest-xdist workers
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${STANCE_VENV:-.venv}"
PY="$VENV/bin/python"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

install() {
  if [ ! -x "$PY" ]; then
    echo "==> creating $VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
  fi
  "$PY" -m pip install --quiet --upgrade pip
  if ! "$PY" -c "import torch" 2>/dev/null; then
    echo "==> installing CPU torch (before anything else, so nothing pulls a CUDA build)"
    # TORCH_INSTALL_ARGS lets an image builder point pip at a CPU-only wheel index.
    "$PY" -m pip install ${TORCH_INSTALL_ARGS:-torch==2.13.0}
  fi
  echo "==> installing summit-stance with [serve,train,dev,scale]"
  "$PY" -m pip install --quiet -e ".[serve,train,dev,scale]"
}

model() {
  if "$VENV/bin/stance" models --json 2>/dev/null | "$PY" -c "import json,sys; sys.exit(0 if any(r['current'] and r['status']=='ok' for r in json.load(sys.stdin)) else 1)"; then
    echo "==> a current model is present: $("$VENV/bin/stance" models | grep '^\*' || true)"
  else
    echo "==> no current model: training the default one from data/annotations (about 15 minutes on 2 cores)"
    "$VENV/bin/stance" train --promote
  fi
}

browser() {
  # The workbench's browser tests drive Debian's chromium through its own chromedriver (no download).
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    if ! command -v apt-get >/dev/null; then
      echo "==> no chromium and no apt-get: the browser tests will be skipped"
      return
    fi
    echo "==> installing chromium and chromium-driver for the browser tests"
    $([ "$(id -u)" = 0 ] || echo sudo) apt-get install -y chromium chromium-driver
  fi
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  install) install ;;
  model) install; model ;;
  serve) install; model; exec "$VENV/bin/stance" serve "$@" ;;
  test) install; browser; exec "$PY" -m pytest -n "${STANCE_TEST_WORKERS:-2}" --dist loadfile "$@" ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
