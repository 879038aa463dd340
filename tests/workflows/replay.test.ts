/**
 * Replay safety: saved histories of a multi-subtask episode (the episode workflow and one subtask
 * child) replay on the current workflow code without nondeterminism, and a deliberately corrupted
 * history is caught — proving the check can fail. Fixture names carry the producing record version.
 * Regenerate after an intended workflow change with UPDATE_FIXTURES=1 (and keep the old ones for
 * patched() code paths).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { startEpisode } from '../../src/client';
import { goldSubtasks } from '../../src/envs/builtin';
import type { EnvSpec } from '../../src/envs/text-env';
import { expertPolicyRules } from '../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../src/llm/scripted-client';
import { subtaskWorkflowId } from '../../src/workflows';
import { connectTestTemporal, queueFor, sharedBundle, withWorker, type TestTemporal } from '../support/temporal';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const EPISODE_FIXTURE = path.join(FIXTURES, 'episode-history-v1.json');
const SUBTASK_FIXTURE = path.join(FIXTURES, 'subtask-history-v1.json');
/** Replay needs the recorded workflow id (child ids derive from it). */
const FIXTURE_EPISODE_ID = 'replay-fixture-episode';

async function recordFixtures(): Promise<void> {
  const t: TestTemporal = await connectTestTemporal();
  try {
    const spec: EnvSpec = { env: 'builtin', task: 'find-key-open-chest', variation: 4 };
    const llm = new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), 'chat'));
    const taskQueue = queueFor('replay-fixture');
    await withWorker(t, { taskQueue, llm }, async () =>
      (await startEpisode(t.client, { episodeId: FIXTURE_EPISODE_ID, taskQueue, config: { spec } })).result(),
    ).then(async (result) => {
      const episode = await t.client.workflow.getHandle(result.episodeId).fetchHistory();
      const subtask = await t.client.workflow.getHandle(subtaskWorkflowId(result.episodeId, 1, 0)).fetchHistory();
      writeFileSync(EPISODE_FIXTURE, historyToJSON(episode));
      writeFileSync(SUBTASK_FIXTURE, historyToJSON(subtask));
    });
  } finally {
    await t.close();
  }
}

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(file, 'utf8')));
}

beforeAll(async () => {
  if (process.env.UPDATE_FIXTURES === '1' || !existsSync(EPISODE_FIXTURE)) await recordFixtures();
});

test('the saved multi-subtask episode history replays without nondeterminism', async () => {
  const history = load(EPISODE_FIXTURE);
  const children = history.events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length;
  expect(children).toBeGreaterThan(2); // really a multi-subtask episode
  await Worker.runReplayHistory({ workflowBundle: await sharedBundle() }, history, FIXTURE_EPISODE_ID);
});

test('the saved subtask history replays without nondeterminism', async () => {
  await Worker.runReplayHistory(
    { workflowBundle: await sharedBundle() },
    load(SUBTASK_FIXTURE),
    subtaskWorkflowId(FIXTURE_EPISODE_ID, 1, 0),
  );
});

test('a corrupted history (an activity renamed) is reported as a determinism violation', async () => {
  const history = load(EPISODE_FIXTURE);
  const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'somethingElse' };
  await expect(
    Worker.runReplayHistory({ workflowBundle: await sharedBundle() }, history, FIXTURE_EPISODE_ID),
  ).rejects.toThrow(DeterminismViolationError);
});
