#!/usr/bin/env bash
# Installs the env server's Python dependencies into $STEP_HRL_TOOLS_DIR/venv (default .tools/venv; idempotent).
# Creates the venv when missing; runs pip only when envserver/requirements.txt changed since the
# last successful install (a stamp file holds its hash). Needs python3.11+ and Java 17 (ScienceWorld).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${STEP_HRL_TOOLS_DIR:-$ROOT/.tools}/venv"
REQ="$ROOT/envserver/requirements.txt"
STAMP="$VENV/.envserver-requirements.sha256"
PYTHON="${STEP_HRL_PYTHON:-$(command -v python3.11 || command -v python3)}"

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || {
  echo "setup-envserver: need Python >= 3.10, found $("$PYTHON" --version 2>&1) at $PYTHON (set STEP_HRL_PYTHON)" >&2
  exit 1
}
command -v java >/dev/null || echo "setup-envserver: warning: java not found; ScienceWorld needs Java 17" >&2

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup-envserver: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "setup-envserver: requirements unchanged, nothing to install"
  exit 0
fi

echo "setup-envserver: installing envserver/requirements.txt (first time takes a few minutes)"
"$VENV/bin/python" -m pip install --quiet -r "$REQ"
echo "$want" > "$STAMP"
echo "setup-envserver: done"
