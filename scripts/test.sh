#!/usr/bin/env bash
# The whole test suite (the README's test command): set-up, then the three tiers of jest.config.js
# by folder: tests/hermetic (no servers), tests/server (real Temporal and envs, in parallel) and
# tests/slow (every ALFWorld evaluation game, every ScienceWorld task, the kill -9 chaos and load
# runs) one file at a time, since each of those already spreads its work over both cores.
# With arguments, runs just `jest <args>` after set-up. STEP_HRL_TEST_REPORT_DIR=<dir> makes each
# jest run also write its counts to <dir>/<tier>.json (used by .ci/run).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

if [ "$#" -gt 0 ]; then
  exec npx jest "$@"
fi

report() { [ -n "${STEP_HRL_TEST_REPORT_DIR:-}" ] && echo "--json --outputFile=$STEP_HRL_TEST_REPORT_DIR/$1.json"; }
status=0
# The tiers are folders (jest.config.js projects): hermetic first (no servers), then the
# real-server tier in parallel, then the slow tier one file at a time.
# shellcheck disable=SC2046 # report expands to separate flags on purpose
npx jest --selectProjects hermetic $(report hermetic) || status=1
# shellcheck disable=SC2046
npx jest --selectProjects server $(report server) || status=1
# shellcheck disable=SC2046
npx jest --selectProjects slow --runInBand $(report slow) || status=1
exit $status
