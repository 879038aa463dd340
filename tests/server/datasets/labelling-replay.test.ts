/**
 * Replay safety of the labelling workflows. A labelling job's worker is unversioned and a job
 * resumes on whatever code the re-run command brings, so every recorded labelling history (the job
 * and its trajectory children, of every history version) must replay on the current code. Recorded
 * by hand with `npx ts-node --transpile-only tests/support/record-labelling-fixtures.ts <version>`.
 * A corrupted history is caught, proving the check can fail.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflows } from '../../../src/worker';
import { HISTORIES_DIR, readManifest } from '../../support/record-fixtures';

jest.setTimeout(120_000);

const cases = Object.entries(readManifest()).flatMap(([version, entries]) =>
  entries.filter((e) => e.file.startsWith('label-')).map((e) => [version, e.file, e.workflowId] as const),
);

function load(version: string, file: string) {
  const full = path.join(HISTORIES_DIR, version, file);
  if (!existsSync(full))
    throw new Error(`fixture ${version}/${file} listed in the manifest is missing: restore it from git`);
  return historyFromJSON(JSON.parse(readFileSync(full, 'utf8')));
}

let bundle: WorkflowBundle;
beforeAll(async () => {
  bundle = await bundleWorkflows(undefined, require.resolve('../../../src/workflows/labelling'));
});

test('labelling fixtures exist: a job and its children, one with a segmentation retried', () => {
  const files = cases.map(([version, file]) => `${version}/${file}`);
  expect(files).toEqual(expect.arrayContaining(['v8/label-job.json', 'v8/label-trajectory-0.json']));
  const manifest = readManifest();
  expect(manifest.v8!.some((e) => e.covers.includes('retried'))).toBe(true);
});

test.each(cases)('%s/%s replays without nondeterminism', async (version, file, workflowId) => {
  await Worker.runReplayHistory({ workflowBundle: bundle }, load(version, file), workflowId);
});

test('a corrupted labelling history (an activity renamed) is reported as a determinism violation', async () => {
  const [version, file, workflowId] = cases.find(([, f]) => f.startsWith('label-trajectory'))!;
  const history = load(version, file);
  const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'somethingElse' };
  await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).rejects.toThrow(
    DeterminismViolationError,
  );
});
