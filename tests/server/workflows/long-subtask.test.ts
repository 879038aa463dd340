/**
 * Temporal's limits (2 MB per payload, 50K events per history) hold however long one subtask runs:
 * a subtask child returns after `maxStepsPerChildRun` steps and the episode continues the same
 * subtask in its next part. A 400-step episode spent in a single subtask completes with every
 * transition readable; a step budget above the documented maximum is rejected with a clear error.
 */
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { PART_RESULT_BYTE_BUDGET } from '../../../src/episode/subtask-state';
import { DEFAULT_EPISODE_CONFIG, MAX_EPISODE_STEPS } from '../../../src/agent/config';
import { fetchTransitions, startEpisode } from '../../../src/client';
import type { EnvSpec } from '../../../src/envs/text-env';
import { ScriptedLlmClient, type ScriptRule } from '../../../src/llm/scripted-client';
import { subtaskWorkflowId } from '../../../src/episode/ids';
import { loopingPolicyRules } from '../../support/looping-policy';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'clean-plate', variation: 3, options: { maxSteps: 5000 } };

/** Steps of the episode: enough verbose transitions to weigh more than Temporal's 2 MB payload limit. */
const STEPS = 400;

/**
 * The looping policy with a long progress summary (a model's ~650-token summary): 400 such
 * transitions weigh more than Temporal's 2 MB payload limit, so one child returning them all at
 * once could not complete.
 */
function verboseLoopingRules(): ScriptRule[] {
  const notes = ' Notes: '.padEnd(2600, 'the room holds the same objects as before; nothing changed; ');
  return loopingPolicyRules(Number.MAX_SAFE_INTEGER).map((rule) =>
    rule.role !== 'progress'
      ? rule
      : {
          ...rule,
          reply: (prompt, request) => {
            const reply = (rule.reply as (p: string, r: typeof request) => string)(prompt, request);
            const { progress } = JSON.parse(reply) as { progress: string };
            return JSON.stringify({ progress: progress + notes });
          },
        },
  );
}

test(`a ${STEPS}-step episode spent in one subtask completes, in bounded parts, with every transition`, async () => {
  const taskQueue = queueFor('long-subtask');
  const episodeId = `ep-${taskQueue}`;
  // Never flags the subtask done and never wins: one subtask for the whole budget.
  const llm = new ScriptedLlmClient(verboseLoopingRules());
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec, maxSteps: STEPS } })).result(),
  );
  expect(result.status).toBe('step-budget');
  expect(result.steps).toBe(STEPS);
  expect(result.subtasks).toHaveLength(1);
  const transitions = await fetchTransitions(t.client, episodeId);
  expect(transitions).toHaveLength(STEPS);
  expect(transitions.map((tr) => tr.stepIndex)).toEqual([...Array(STEPS).keys()]);
  expect(new Set(transitions.map((tr) => tr.subtaskIndex))).toEqual(new Set([0]));
  // The local progress runs on across parts: the last step knows every look before it.
  expect(transitions.at(-1)!.progressAfter).toMatch(new RegExp(`^Looked ${STEPS} times `));
  expect(Buffer.byteLength(JSON.stringify(transitions))).toBeGreaterThan(2 * 1024 * 1024);
  // Parts of at most the default step count, each returning at most the byte budget (plus the
  // one transition that crossed it): these verbose steps fill the budget before 100 steps.
  const largest: number[] = [];
  for (let part = 0; ; part++) {
    const handle = t.client.workflow.getHandle(subtaskWorkflowId(episodeId, 0, part));
    const exists = await handle.describe().then(
      () => true,
      (err: unknown) => (err instanceof WorkflowNotFoundError ? false : Promise.reject(err)),
    );
    if (!exists) break;
    const history = await handle.fetchHistory();
    const completed = history.events!.at(-1)!.workflowExecutionCompletedEventAttributes!;
    largest.push(completed.result!.payloads![0]!.data!.length);
  }
  expect(largest.length).toBeGreaterThanOrEqual(STEPS / DEFAULT_EPISODE_CONFIG.maxStepsPerChildRun);
  expect(largest.length).toBeLessThan(30);
  for (const bytes of largest) expect(bytes).toBeLessThan(PART_RESULT_BYTE_BUDGET + 64 * 1024);
}, 600_000);

test('a step budget above the documented maximum is rejected with an error naming it', async () => {
  const taskQueue = queueFor('too-many-steps');
  const llm = new ScriptedLlmClient(loopingPolicyRules(3));
  const failure = await withWorker(t, { taskQueue, llm }, async () =>
    (
      await startEpisode(t.client, {
        episodeId: `ep-${taskQueue}`,
        taskQueue,
        config: { spec, maxSteps: MAX_EPISODE_STEPS + 1 },
      })
    )
      .result()
      .then(
        () => undefined,
        (err: unknown) => err,
      ),
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause?.message).toBe(
    `invalid episode config: maxSteps must be an integer from 1 to ${MAX_EPISODE_STEPS}, got ${MAX_EPISODE_STEPS + 1}`,
  );
  expect(llm.requests).toHaveLength(0); // rejected before any work
});
