#!/usr/bin/env bash
# The whole test suite (the README's test command): set-up, then the fast tiers in parallel, then
# the slow tiers (every ALFWorld evaluation game, every ScienceWorld task, the kill -9 chaos run and
# the concurrent-load run) one file at a time, since each of those already spreads its work over
# both cores.
# With arguments, runs just `jest <args>` after set-up. STEP_HRL_TEST_REPORT_DIR=<dir> makes each
# jest run also write its counts to <dir>/<tier>.json (used by .ci/run).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

if [ "$#" -gt 0 ]; then
  exec npx jest "$@"
fi

slow='tests/(envs/(alfworld-all-games|scienceworld-all-tasks)|chaos/[^/]+)\.test\.ts$'
report() { [ -n "${STEP_HRL_TEST_REPORT_DIR:-}" ] && echo "--json --outputFile=$STEP_HRL_TEST_REPORT_DIR/$1.json"; }
status=0
# shellcheck disable=SC2046 # report expands to separate flags on purpose
npx jest --testPathIgnorePatterns "$slow" $(report fast) || status=1
# shellcheck disable=SC2046
npx jest --runInBand "$slow" $(report slow) || status=1
exit $status
