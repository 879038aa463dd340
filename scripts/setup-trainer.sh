#!/usr/bin/env bash
# Installs the trainer's Python environment into $STEP_HRL_TOOLS_DIR/trainer-venv (default .tools/trainer-venv;
# idempotent). Creates the venv when missing; runs pip only when trainer/requirements.txt (the hash-pinned
# lock) changed since the last successful install (a stamp file holds its sha256), so re-runs are instant.
# PyPI's x86_64 torch is the CUDA build (~3 GB with its nvidia-* wheels, a few minutes); it runs on the CPU.
# Set STEP_HRL_SKIP_TRAINER=1 to skip this component.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${STEP_HRL_TOOLS_DIR:-$ROOT/.tools}/trainer-venv"
REQ="$ROOT/trainer/requirements.txt"
STAMP="$VENV/.trainer-requirements.sha256"
PYTHON="${STEP_HRL_PYTHON:-$(command -v python3.11 || command -v python3)}"

if [ "${STEP_HRL_SKIP_TRAINER:-0}" = "1" ]; then
  echo "setup-trainer: skipped (STEP_HRL_SKIP_TRAINER=1)"
  exit 0
fi
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || {
  echo "setup-trainer: need Python >= 3.10, found $("$PYTHON" --version 2>&1) at $PYTHON (set STEP_HRL_PYTHON)" >&2
  exit 1
}

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "setup-trainer: requirements unchanged, nothing to install"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup-trainer: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "setup-trainer: installing trainer/requirements.txt (first time: ~3 GB, several minutes)"
# The lock's hashes are of the x86_64 Linux CPython 3.11 wheels; elsewhere install trainer/requirements.in.
if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$REQ"; then
  echo "setup-trainer: pip failed; on a platform other than x86_64 Linux with CPython 3.11 the lock's hashes" >&2
  echo "  cannot match: run '$VENV/bin/python -m pip install -r trainer/requirements.in' instead" >&2
  exit 1
fi
echo "$want" >"$STAMP"
echo "setup-trainer: done"
