#!/usr/bin/env bash
# The whole training loop end to end on CPU with SmolLM2-135M-Instruct (issue 19, "Must show"):
#   label (ALFWorld train subset, rules segmenter) -> step-hrl train (BC, then offline RL, then its eval stage:
#   the trained checkpoint served by the training worker and evaluated on the dev games, in the same command)
#   -> the base model served by hand and evaluated on the same games (before) -> bench/results/training.{md,json}.
#
#   bash bench/training-e2e.sh                 # the documented sizes below
#   GAMES=80 BC_STEPS=40 bash bench/training-e2e.sh
#   DATASETS=<folder label build wrote> WORK=<new folder> bash bench/training-e2e.sh   # skip labelling
#
# Sized for a shared 2-core host (see the md for what one run took). Every size is an env var; the work folder
# (datasets, run dir, eval results, logs) is $WORK. Re-running resumes the label and train jobs (same ids).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

GAMES="${GAMES:-40}"                          # ALFWorld train games labelled (the first N by path)
EVAL_TASKS="${EVAL_TASKS:-look_at_obj_in_light}" # the task type the first train games are (docs/datasets.md)
EVAL_EPISODES="${EVAL_EPISODES:-2}"           # first N valid_seen games of that type
EVAL_MAX_STEPS="${EVAL_MAX_STEPS:-8}"         # the preset's 50 steps cut (an expert needs 3-5 here)
BC_STEPS="${BC_STEPS:-6}"
RL_STEPS="${RL_STEPS:-2}"
BATCH="${BATCH:-4}"                           # rows per role per optimizer step
BC_LR="${BC_LR:-1.0e-3}"                      # above the reference's 1e-4: a handful of steps must move the model
MAX_SEQ_LEN="${MAX_SEQ_LEN:-384}"
DEV_ROWS="${DEV_ROWS:-8}"                     # dev rows per role for checkpoint selection
THREADS="${THREADS:-1}"                       # torch threads (training and serving)
WORK="${WORK:-$ROOT/.step-hrl/bench/training-e2e}"
OUT="${OUT:-$ROOT/bench/results/training}"
PY="${STEP_HRL_TRAINER_PYTHON:-$ROOT/.tools/trainer-venv/bin/python}"
CLI=(node "$ROOT/bin/step-hrl.js")

mkdir -p "$WORK/logs"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TEMPORAL_PORT="${TEMPORAL_PORT:-$(free_port)}"
CONN=(--data-dir "$WORK/data" --port "$TEMPORAL_PORT")
TIMES="$WORK/times.env"
: >"$TIMES"
say() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
# Runs a phase with its wall time and peak RSS (GNU time: the process and the children it reaped) recorded.
phase() {
  local name="$1"
  shift
  say "$name: $*"
  local t0
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$WORK/logs/$name.rss" "$@" >"$WORK/logs/$name.log" 2>&1 || {
    say "$name FAILED; last lines of $WORK/logs/$name.log:"
    tail -20 "$WORK/logs/$name.log" >&2
    return 1
  }
  echo "${name}_seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" >>"$TIMES"
  echo "${name}_peak_rss_kb=$(tail -1 "$WORK/logs/$name.rss")" >>"$TIMES"
}

# 1. Datasets: rule-based labels of the first $GAMES ALFWorld train games, paper prompts (or $DATASETS, reused).
if [ -n "${DATASETS:-}" ]; then
  [ -e "$WORK/datasets" ] || ln -s "$(cd "$DATASETS" && pwd)" "$WORK/datasets"
else
  phase label "${CLI[@]}" label build --env alfworld --split train --limit "$GAMES" --out "$WORK/datasets" \
    --profile paper "${CONN[@]}"
fi

# 2. Training config: the reference recipe (trainer/configs/bc-rl.yaml) with the sizes above, and the eval stage
#    (the dev games: the first valid_seen games of the task type the training games are).
cat >"$WORK/train.yaml" <<EOF
base: {kind: gguf, path: $ROOT/.tools/models/smollm2-135m-instruct-q4_1.gguf}
data: {dataset: $WORK/datasets, profile: paper, obs: raw, max_seq_len: $MAX_SEQ_LEN}
stages: [bc, rl]
seed: 0
threads: $THREADS
bc: {lr: $BC_LR, epochs: 5, global_batch: $BATCH, micro_batch: $BATCH, eval_every: 1000, max_steps: $BC_STEPS}
rl: {epochs: 3, global_batch: $BATCH, micro_batch: $BATCH, critic_warmup_steps: 1, eval_every: 1000, max_steps: $RL_STEPS}
selection: {dev_max_rows: $DEV_ROWS}
evaluate: {env: alfworld, split: valid_seen, tasks: [$EVAL_TASKS], limit: $EVAL_EPISODES, max_steps: $EVAL_MAX_STEPS,
  profile: paper, concurrency: 1, model_name: smollm2-step-hrl, threads: $THREADS}
EOF
RUN_DIR="$WORK/run"
TRAIN_ID="${TRAIN_ID:-training-e2e-loop}"
phase train "${CLI[@]}" train --config "$WORK/train.yaml" --run-dir "$RUN_DIR" --id "$TRAIN_ID" --chunk-steps 2 \
  --json "${CONN[@]}"
# The eval stage's results as files (it finished inside `train`: this only writes them), and its server's counters.
rm -rf "$WORK/eval-after"
"${CLI[@]}" eval --eval-id "$TRAIN_ID/eval" --out "$WORK/eval-after" "${CONN[@]}" >"$WORK/logs/eval_after.log" 2>&1
cp "$RUN_DIR/serve/last.json" "$WORK/serve-after.health.json"
"${CLI[@]}" train show "$TRAIN_ID" "${CONN[@]}" >"$WORK/logs/train-show.log" 2>&1

# 3. Serve the base model alone and evaluate it on the same games with the project's CLI (before training).
serve_and_eval() { # name, model name, serve args...
  local name="$1" model="$2"
  shift 2
  local port
  port=$(free_port)
  "$PY" -m step_hrl_trainer.serve "$@" --port "$port" --model-name "$model" --threads "$THREADS" \
    >"$WORK/logs/serve-$name.log" 2>&1 &
  local pid=$!
  local t0
  t0=$(date +%s)
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { say "server $name died:"; tail -5 "$WORK/logs/serve-$name.log" >&2; return 1; }
    sleep 2
  done
  echo "serve_${name}_load_seconds=$(($(date +%s) - t0))" >>"$TIMES"
  rm -rf "$WORK/eval-$name"
  phase "eval_$name" env OPENAI_BASE_URL="http://127.0.0.1:$port/v1" STEP_HRL_MODEL="$model" \
    "${CLI[@]}" eval --preset alfworld-seen --tasks "$EVAL_TASKS" --limit "$EVAL_EPISODES" \
    --max-steps "$EVAL_MAX_STEPS" --llm openai --profile paper --concurrency 1 --eval-id "training-e2e-$name" \
    --out "$WORK/eval-$name" "${CONN[@]}" || { kill "$pid"; return 1; }
  curl -sf "http://127.0.0.1:$port/health" >"$WORK/serve-$name.health.json"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
(cd trainer && serve_and_eval before smollm2-base --base "{\"kind\": \"gguf\"}")

# 5. The report.
COMMAND="bash bench/training-e2e.sh"
[ "$GAMES$BC_STEPS$RL_STEPS$EVAL_EPISODES" = "40622" ] || COMMAND="GAMES=$GAMES BC_STEPS=$BC_STEPS RL_STEPS=$RL_STEPS \
EVAL_EPISODES=$EVAL_EPISODES EVAL_MAX_STEPS=$EVAL_MAX_STEPS BATCH=$BATCH $COMMAND"
"$PY" bench/training_e2e_report.py --work "$WORK" --out "$OUT" --command "$COMMAND" \
  --sizes "games=$GAMES eval_tasks=$EVAL_TASKS eval_episodes=$EVAL_EPISODES eval_max_steps=$EVAL_MAX_STEPS \
bc_steps=$BC_STEPS rl_steps=$RL_STEPS batch=$BATCH bc_lr=$BC_LR max_seq_len=$MAX_SEQ_LEN dev_rows=$DEV_ROWS threads=$THREADS"
say "done: $OUT.md"
