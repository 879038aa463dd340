/**
 * Replay safety (issue 9 item 4): every history of every released history version listed in
 * `tests/fixtures/histories/manifest.json` replays on the current workflow code without
 * nondeterminism: episodes with several subtasks, continue-as-new, a re-drive, repair attempts,
 * cancel, an `llm-error` end, a resumed run and a ReAct baseline episode. A fixture the manifest lists but the folder lacks
 * fails the test: fixtures are recorded by hand (`npx ts-node tests/support/record-fixtures.ts
 * <version>`, see docs/versioning.md), never silently here. A deliberately corrupted history is caught,
 * proving the check can fail.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { HISTORIES_DIR, readManifest, type FixtureEntry } from '../support/record-fixtures';
import { sharedBundle } from '../support/temporal';

const manifest = readManifest();
const cases = Object.entries(manifest).flatMap(([version, entries]) =>
  entries.map((entry) => [version, entry.file, entry] as [string, string, FixtureEntry]),
);
const newest = Object.keys(manifest)
  .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
  .at(-1)!;

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

test('the manifest lists at least the v1 histories and a newer version', () => {
  expect(manifest.v1?.map((e) => e.file)).toEqual(['multi-episode.json', 'multi-subtask.json']);
  expect(newest).not.toBe('v1');
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

test(`the newest version (${newest}) covers continue-as-new, re-drive, repair, cancel, llm-error and resume`, () => {
  const files = new Set(manifest[newest]!.map((e) => e.file));
  const covers = (file: string, text: string): boolean => files.has(file) && contents(newest, file).includes(text);
  expect(covers('can-first-run.json', 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW')).toBe(true);
  expect(covers('redrive-episode.json', '"name": "envRedrive"')).toBe(true);
  expect(covers('redrive-subtask-part0.json', '"status":"session-lost"')).toBe(true);
  expect(covers('repair-subtask.json', '"repairs":[{')).toBe(true);
  expect(covers('cancel-episode.json', '"signalName": "cancel"')).toBe(true);
  expect(covers('cancel-subtask.json', '"status":"cancelled"')).toBe(true);
  expect(covers('llm-error-episode.json', '"status":"llm-error"')).toBe(true);
  expect(covers('llm-error-subtask.json', '"id":"llm-error-outcome"')).toBe(true); // the patch marker
  expect(covers('resume-resumed-run.json', '"id":"resume-from-prefix"')).toBe(true);
  expect(covers('resume-resumed-run.json', '"needsRedrive":true')).toBe(true);
});

test('a ReAct baseline history (reactWorkflow, recorded before it was made durable) is among the fixtures', () => {
  // Recorded by the code before the react-* patches: it must keep replaying after them.
  expect(manifest.v4?.find((e) => e.file === 'react-episode.json')).toBeDefined();
  expect(contents('v4', 'react-episode.json')).toContain('"name": "reactWorkflow"');
});

test('a corrupted history (an activity renamed) is reported as a determinism violation', async () => {
  const entry = manifest.v1![0]!;
  const history = load('v1', entry.file);
  const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'somethingElse' };
  await expect(
    Worker.runReplayHistory({ workflowBundle: await sharedBundle() }, history, entry.workflowId),
  ).rejects.toThrow(DeterminismViolationError);
});
