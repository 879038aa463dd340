/**
 * Replay safety: every history the current workflow code may meet replays on it without
 * nondeterminism. Since 0.2.0 episodes, subtasks and ReAct episodes run PINNED to the build that
 * started them (Worker Versioning), so only the fixtures of the current history version (`v9`,
 * recorded by this code: several subtasks, parts, continue-as-new, a re-drive, repairs, cancel by
 * signal and by Temporal, an `llm-error` end, a resumed run, an eval, an eval child, a cancelled eval
 * and ReAct episodes) and every released EVAL history (evals upgrade across builds) must replay;
 * older episode histories stay fixtures of the record readers. A fixture the manifest lists but the
 * folder lacks fails the test: fixtures are recorded by hand (`npx ts-node --transpile-only
 * tests/support/record-fixtures.ts <version>`, see docs/versioning.md), never silently here. A
 * deliberately corrupted history is caught, proving the check can fail.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { HISTORIES_DIR, readManifest, type FixtureEntry } from '../../support/record-fixtures';
import { sharedBundle } from '../../support/temporal';

const manifest = readManifest();
const newest = Object.keys(manifest)
  .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
  .at(-1)!;
/** The history's workflow type, from its first event. */
function workflowTypeOf(version: string, file: string): string {
  return load(version, file).events![0]!.workflowExecutionStartedEventAttributes!.workflowType!.name!;
}
/** Workflows that upgrade across builds (AUTO_UPGRADE): every released history of theirs must replay. */
const UPGRADING = new Set(['evalWorkflow', 'trainingWorkflow']);
/** Workflows of their own bundle, replayed by their own test (tests/server/datasets/labelling-replay). */
const OWN_BUNDLE = new Set(['labelDatasetWorkflow', 'labelTrajectoryWorkflow']);
const cases = Object.entries(manifest).flatMap(([version, entries]) =>
  entries
    .filter((entry) => !OWN_BUNDLE.has(workflowTypeOf(version, entry.file)))
    .filter((entry) => version === newest || UPGRADING.has(workflowTypeOf(version, entry.file)))
    .map((entry) => [version, entry.file, entry] as [string, string, FixtureEntry]),
);

function load(version: string, file: string) {
  const full = path.join(HISTORIES_DIR, version, file);
  if (!existsSync(full)) {
    throw new Error(
      `fixture ${version}/${file} listed in the manifest is missing; a released history is never re-recorded ` +
        `silently: restore it from git (or record a NEW version with tests/support/record-fixtures.ts)`,
    );
  }
  return historyFromJSON(JSON.parse(readFileSync(full, 'utf8')));
}

test('the newest version and every released eval history are replayed', () => {
  expect(newest).toBe('v9');
  const evalCases = cases.filter(([version]) => version !== newest);
  expect(evalCases.map(([version, file]) => `${version}/${file}`)).toEqual([
    'v5/eval-first-run.json',
    'v5/eval-last-run.json',
    'v6/eval-first-run.json',
    'v6/eval-last-run.json',
    'v7/eval-first-run.json',
    'v7/eval-last-run.json',
    'v7/eval-cancel.json',
    'v8/eval-first-run.json',
    'v8/eval-last-run.json',
    'v8/eval-cancel.json',
    'v8/training-first-run.json',
    'v8/training-last-run.json',
  ]);
});

test.each(cases)('%s/%s replays without nondeterminism', async (version, file, entry) => {
  await Worker.runReplayHistory({ workflowBundle: await sharedBundle() }, load(version, file), entry.workflowId);
});

/** A fixture's raw JSON (event type names, activity names) plus its decoded payloads. */
function contents(version: string, file: string): string {
  const raw = readFileSync(path.join(HISTORIES_DIR, version, file), 'utf8');
  const texts: string[] = [raw];
  JSON.parse(raw, (key, value) => {
    if (key === 'data' && typeof value === 'string') texts.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return texts.join('\n');
}

test(`the newest version (${newest}) covers continue-as-new, parts, re-drive, repair, cancel, llm-error, resume, evals and ReAct`, () => {
  const files = new Set(manifest[newest]!.map((e) => e.file));
  const covers = (file: string, text: string): boolean => files.has(file) && contents(newest, file).includes(text);
  expect(covers('can-first-run.json', 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW')).toBe(true);
  expect(covers('parts-subtask-part1.json', '"status":"part-limit"')).toBe(true);
  expect(covers('redrive-episode.json', '"name": "envRedrive"')).toBe(true);
  expect(covers('redrive-subtask-part0.json', '"status":"session-lost"')).toBe(true);
  // A reply that did not parse, asked again (the steps are recorded by the activities, not the result).
  expect(covers('repair-subtask.json', '"parsed":{"ok":false')).toBe(true);
  expect(covers('cancel-episode.json', '"signalName": "cancel"')).toBe(true);
  expect(covers('temporal-cancel-episode.json', 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED')).toBe(true);
  expect(covers('llm-error-episode.json', '"status":"llm-error"')).toBe(true);
  expect(covers('resume-resumed-run.json', '"needsRedrive":true')).toBe(true);
  expect(covers('eval-child-episode.json', '"llmOutageBudgetSeconds"')).toBe(true); // a complete config
  expect(covers('eval-cancel.json', 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED')).toBe(true);
  // Its running episodes are cancelled as Temporal cancels children (not signalled, as 0.1 did).
  expect(covers('eval-cancel.json', 'EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED')).toBe(true);
  expect(covers('eval-cancel.json', 'EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED')).toBe(false);
  expect(covers('react-episode.json', '"name": "reactWorkflow"')).toBe(true);
  expect(covers('react-cancel-episode.json', '"status":"cancelled"')).toBe(true);
  expect(covers('react-can-first-run.json', 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW')).toBe(true);
  expect(covers('eval-first-run.json', 'eval-abandoned-stragglers')).toBe(true);
  expect(covers('training-first-run.json', 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW')).toBe(true);
  expect(covers('training-last-run.json', '"name": "finalizeStage"')).toBe(true);
  // 1.0 collapsed the patch stack: no episode, subtask or ReAct history holds a patch marker.
  for (const entry of manifest[newest]!) {
    const type = workflowTypeOf(newest, entry.file);
    if (!UPGRADING.has(type) && !OWN_BUNDLE.has(type)) expect(contents(newest, entry.file)).not.toContain('core_patch');
  }
});

test('a corrupted history (an activity renamed) is reported as a determinism violation', async () => {
  const entry = manifest[newest]![0]!;
  const history = load(newest, entry.file);
  const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'somethingElse' };
  await expect(
    Worker.runReplayHistory({ workflowBundle: await sharedBundle() }, history, entry.workflowId),
  ).rejects.toThrow(DeterminismViolationError);
});
