/**
 * Episode lifecycle on the real server: continue-as-new keeps the record unbroken, the live
 * progress query answers mid-episode, a cancel signal ends cleanly with every recorded step kept,
 * also when it arrives during the high-level call or as Temporal's own cancellation, the env session
 * is closed on every way out (failure included), and malformed model output is repaired (recorded)
 * or becomes a recorded invalid step — never a crash.
 */
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { EnvFactory } from '../../../src/activities';
import { fetchTransitions, startEpisode } from '../../../src/client';
import { BuiltinTextEnv, goldSubtasks } from '../../../src/envs/builtin';
import { EnvError, type EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient, type ScriptRule } from '../../../src/llm/scripted-client';
import { LlmError, type LlmClient } from '../../../src/llm/types';
import { cancelSignal, episodeProgressQuery } from '../../../src/workflows';
import { subtaskWorkflowId } from '../../../src/episode/ids';
import { loopingPolicyRules } from '../../support/looping-policy';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const longSpec: EnvSpec = { env: 'builtin', task: 'clean-plate', variation: 2, options: { maxSteps: 1000 } };

test('continue-as-new (low history limit) keeps the record unbroken across runs', async () => {
  const taskQueue = queueFor('can');
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(loopingPolicyRules(3));
  const result = await withWorker(t, { taskQueue, llm }, async () => {
    const handle = await startEpisode(t.client, {
      episodeId,
      taskQueue,
      config: { spec: longSpec, maxSteps: 24, historyEventLimit: 40 },
    });
    return handle.result();
  });
  expect(result.runs).toBeGreaterThan(2);
  expect(result.steps).toBe(24);
  expect(result.subtasks).toHaveLength(8);
  const transitions = await fetchTransitions(t.client, episodeId);
  expect(transitions.map((tr) => tr.stepIndex)).toEqual([...Array(24).keys()]);
  expect(new Set(transitions.map((tr) => tr.subtaskIndex)).size).toBe(8);
  // The high level saw every subtask issued before, across runs.
  expect(transitions.at(-1)!.completedSubtasks).toHaveLength(7);
  // The history was really cut: the first run's history is short.
  const firstRun = await t.client.workflow
    .getHandle(episodeId, undefined, { firstExecutionRunId: undefined })
    .fetchHistory();
  expect(firstRun.events!.length).toBeLessThan(80);
});

test('progress query answers mid-episode and a cancel signal ends it cleanly with the record intact', async () => {
  const taskQueue = queueFor('cancel');
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(loopingPolicyRules(4));
  await withWorker(t, { taskQueue, llm }, async () => {
    const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec: longSpec, maxSteps: 500 } });
    let progress = await handle.query(episodeProgressQuery);
    while (progress.stepIndex < 6) {
      await new Promise((r) => setTimeout(r, 200));
      progress = await handle.query(episodeProgressQuery);
    }
    expect(progress.status).toBe('running');
    expect(progress.subtask).toBe('Survey the room once more');
    expect(progress.tokens).toBeGreaterThan(0);
    await handle.signal(cancelSignal, 'test says stop');
    const result = await handle.result();
    expect(result.status).toBe('cancelled');
    expect(result.steps).toBeLessThan(500);
    const transitions = await fetchTransitions(t.client, episodeId);
    expect(transitions).toHaveLength(result.steps);
    expect(transitions.map((tr) => tr.stepIndex)).toEqual([...Array(result.steps).keys()]);
  });
});

/** The built-in env, counting sessions opened and closed. */
/** Built-in env sessions that count opens and closes; `failAtStep` makes that step a non-retryable env error. */
function closeCountingFactory(failAtStep?: number): {
  factory: EnvFactory;
  opened: () => number;
  closed: () => number;
} {
  let opened = 0;
  let closed = 0;
  const factory: EnvFactory = () => {
    opened += 1;
    const inner = new BuiltinTextEnv();
    let steps = 0;
    return {
      reset: (spec) => inner.reset(spec),
      step: async (action) => {
        if (++steps === failAtStep) throw new EnvError(`simulator crashed on ${JSON.stringify(action)}`, 'BadAction');
        return inner.step(action);
      },
      versions: () => inner.versions(),
      close: async () => {
        closed += 1;
        await inner.close();
      },
    };
  };
  return { factory, opened: () => opened, closed: () => closed };
}

/** Waits until the episode has recorded at least `steps` steps. */
async function untilStep(handle: Awaited<ReturnType<typeof startEpisode>>, steps: number): Promise<void> {
  while ((await handle.query(episodeProgressQuery)).stepIndex < steps) await new Promise((r) => setTimeout(r, 200));
}

test('a cancel signal that arrives during the high-level call stops the episode before the next subtask', async () => {
  const taskQueue = queueFor('cancel-during-high');
  const episodeId = `ep-${taskQueue}`;
  const scripted = new ScriptedLlmClient(loopingPolicyRules(3));
  let highCalls = 0;
  let reachedSecondHigh!: () => void;
  const atSecondHigh = new Promise<void>((r) => (reachedSecondHigh = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const llm: LlmClient = {
    modelId: scripted.modelId,
    async complete(request) {
      if (request.role === 'high' && ++highCalls === 2) {
        reachedSecondHigh();
        await gate; // the high level is "thinking" while the cancel arrives
      }
      return scripted.complete(request);
    },
  };
  const result = await withWorker(t, { taskQueue, llm }, async () => {
    const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec: longSpec, maxSteps: 500 } });
    await atSecondHigh;
    await handle.signal(cancelSignal, 'stop during the high-level call');
    release();
    return handle.result();
  });
  expect(result.status).toBe('cancelled');
  expect(result.steps).toBe(3); // the first subtask only
  expect(result.subtasks).toEqual(['Survey the room once more']);
  await expect(t.client.workflow.getHandle(subtaskWorkflowId(episodeId, 1, 0)).describe()).rejects.toThrow(
    WorkflowNotFoundError,
  );
  expect((await fetchTransitions(t.client, episodeId)).map((tr) => tr.stepIndex)).toEqual([0, 1, 2]);
});

test("Temporal's cancellation ends the episode as cancelled: record kept, child stopped, env session closed", async () => {
  const taskQueue = queueFor('temporal-cancel');
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(loopingPolicyRules(4));
  const env = closeCountingFactory();
  const { result, status } = await withWorker(t, { taskQueue, llm, envFactory: env.factory }, async () => {
    const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec: longSpec, maxSteps: 500 } });
    await untilStep(handle, 6);
    await handle.cancel(); // what the Web UI and `temporal workflow cancel` do
    const result = await handle.result();
    return { result, status: (await handle.describe()).status.name };
  });
  expect(status).toBe('COMPLETED');
  expect(result.status).toBe('cancelled');
  expect(result.steps).toBeGreaterThanOrEqual(6);
  expect(result.steps).toBeLessThan(500);
  const transitions = await fetchTransitions(t.client, episodeId);
  expect(transitions.map((tr) => tr.stepIndex)).toEqual([...Array(result.steps).keys()]);
  for (const tr of transitions) expect(tr.progress).toBeDefined(); // every applied step recorded whole
  const lastChild = await t.client.workflow
    .getHandle(subtaskWorkflowId(episodeId, result.subtasks.length - 1, 0))
    .describe()
    .then((d) => d.status.name)
    .catch((err: unknown) => (err instanceof WorkflowNotFoundError ? 'never started' : Promise.reject(err)));
  expect(lastChild).not.toBe('RUNNING');
  expect(env.opened()).toBe(1);
  expect(env.closed()).toBe(1);
});

test("Temporal's cancellation stops an in-flight model call: the call's abort signal fires and the episode ends cancelled", async () => {
  const taskQueue = queueFor('cancel-aborts-llm');
  const episodeId = `ep-${taskQueue}`;
  const scripted = new ScriptedLlmClient(loopingPolicyRules(4));
  let lowCalls = 0;
  let aborted = false;
  let hanging: (() => void) | undefined;
  const hangs = new Promise<void>((resolve) => (hanging = resolve));
  const llm: LlmClient = {
    modelId: scripted.modelId,
    async complete(request, options) {
      if (request.role !== 'low' || ++lowCalls !== 3) return scripted.complete(request);
      hanging!();
      // A model that never answers: only the activity's cancellation can end this call.
      return new Promise((_resolve, reject) => {
        options?.signal?.addEventListener('abort', () => {
          aborted = true;
          reject(new LlmError('aborted', true));
        });
      });
    },
  };
  const result = await withWorker(t, { taskQueue, llm }, async () => {
    const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec: longSpec, maxSteps: 50 } });
    await hangs;
    await handle.cancel();
    return handle.result();
  });
  expect(aborted).toBe(true);
  expect(result.status).toBe('cancelled');
  expect(result.steps).toBe(2);
  expect(await fetchTransitions(t.client, episodeId)).toHaveLength(2);
});

test('a non-retryable LLM error mid-subtask ends the episode llm-error with its record kept and the env closed', async () => {
  const taskQueue = queueFor('llm-error-closes-env');
  const episodeId = `ep-${taskQueue}`;
  const scripted = new ScriptedLlmClient(loopingPolicyRules(4));
  let lowCalls = 0;
  const llm: LlmClient = {
    modelId: scripted.modelId,
    async complete(request) {
      if (request.role === 'low' && ++lowCalls === 3) throw new LlmError('the endpoint rejected the API key', false);
      return scripted.complete(request);
    },
  };
  const env = closeCountingFactory();
  await withWorker(t, { taskQueue, llm, envFactory: env.factory }, async () => {
    const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec: longSpec, maxSteps: 50 } });
    const result = await handle.result();
    expect(result.status).toBe('llm-error');
    expect(result.error).toMatch(/API key/);
    expect(result.steps).toBe(2);
    expect(await fetchTransitions(t.client, episodeId)).toHaveLength(2);
  });
  expect(env.opened()).toBe(1);
  expect(env.closed()).toBe(1);
});

test('an episode that fails (non-retryable env error mid-subtask) still closes its env session', async () => {
  const taskQueue = queueFor('fail-closes-env');
  const episodeId = `ep-${taskQueue}`;
  const env = closeCountingFactory(3);
  await withWorker(
    t,
    { taskQueue, llm: new ScriptedLlmClient(loopingPolicyRules(4)), envFactory: env.factory },
    async () => {
      const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec: longSpec, maxSteps: 50 } });
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    },
  );
  expect(env.opened()).toBe(1);
  expect(env.closed()).toBe(1);
});

describe('malformed model output', () => {
  const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 0 };
  const plan = goldSubtasks(spec);

  /** Wraps expert rules so the low level's first reply for each step is broken in a given way. */
  function flaky(broken: string, everyTime = false): ScriptRule[] {
    const expert = expertPolicyRules(plan, 'chat');
    const seen = new Set<string>();
    return expert.map((rule) =>
      rule.role !== 'low'
        ? rule
        : {
            ...rule,
            reply: (prompt, request) => {
              const isRepair = (request.messages ?? []).some((m) => m.content.startsWith('Your reply was rejected'));
              const key = prompt;
              if (everyTime || (!isRepair && !seen.has(key))) {
                seen.add(key);
                return broken;
              }
              return (rule.reply as (p: string, r: typeof request) => string)(
                request
                  .messages!.slice(0, 2)
                  .map((m) => m.content)
                  .join('\n'),
                request,
              );
            },
          },
    );
  }

  test.each([
    ['not JSON', 'I think I should go to the kitchen'],
    ['missing field', '{"action": "look"}'],
    ['empty action', '{"action": "  ", "subtask_done": false}'],
    ['wrong flag type', '{"action": "look", "subtask_done": "maybe"}'],
  ])('%s: repaired within the attempt budget, each attempt recorded', async (_name, broken) => {
    const taskQueue = queueFor(`repair-${_name}`);
    const episodeId = `ep-${taskQueue}`;
    const llm = new ScriptedLlmClient(flaky(broken), { allowMalformedJson: true });
    const result = await withWorker(t, { taskQueue, llm }, async () =>
      (await startEpisode(t.client, { episodeId, taskQueue, config: { spec, repairAttempts: 1 } })).result(),
    );
    expect(result.won).toBe(true);
    const transitions = await fetchTransitions(t.client, episodeId);
    expect(transitions.map((tr) => tr.action)).toEqual(plan.flatMap((p) => p.actions));
    for (const tr of transitions) {
      expect(tr.invalid).toBe(false);
      expect(tr.low.repairs).toEqual([{ reply: broken, error: expect.any(String) }]);
    }
  });

  test('still broken after the repair budget: a recorded invalid step ("None"), then the episode goes on', async () => {
    const taskQueue = queueFor('invalid');
    const episodeId = `ep-${taskQueue}`;
    const llm = new ScriptedLlmClient(flaky('nonsense', true), { allowMalformedJson: true });
    const result = await withWorker(t, { taskQueue, llm }, async () =>
      (
        await startEpisode(t.client, { episodeId, taskQueue, config: { spec, repairAttempts: 2, maxSteps: 3 } })
      ).result(),
    );
    expect(result.status).toBe('step-budget');
    const transitions = await fetchTransitions(t.client, episodeId);
    expect(transitions).toHaveLength(3);
    for (const tr of transitions) {
      expect(tr.invalid).toBe(true);
      expect(tr.action).toBe('None');
      expect(tr.low.repairs).toHaveLength(3);
      expect(tr.nextObservation).toContain('No known action matches that input.');
    }
  });
});

test.each([
  ['subtask', { maxSubtasks: 2 }, 'subtask-budget'],
  ['token', { maxTokens: 3000 }, 'token-budget'],
  ['per-subtask step cap', { maxStepsPerSubtask: 2, maxSubtasks: 3 }, 'subtask-budget'],
] as const)('the %s budget ends the episode with its status and the record intact', async (name, budget, status) => {
  const taskQueue = queueFor(`budget-${name}`);
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(loopingPolicyRules(4));
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (
      await startEpisode(t.client, { episodeId, taskQueue, config: { spec: longSpec, maxSteps: 100, ...budget } })
    ).result(),
  );
  expect(result.status).toBe(status);
  const transitions = await fetchTransitions(t.client, episodeId);
  expect(transitions).toHaveLength(result.steps);
  if (name === 'subtask') expect(result.subtasks).toHaveLength(2);
  if (name === 'token') {
    expect(result.tokens).toBeGreaterThanOrEqual(3000);
    expect(result.tokens).toBeLessThan(3000 + 1500); // stops within one step of the budget
  }
  if (name === 'per-subtask step cap') {
    const perSubtask = new Map<number, number>();
    for (const tr of transitions) perSubtask.set(tr.subtaskIndex, (perSubtask.get(tr.subtaskIndex) ?? 0) + 1);
    expect([...perSubtask.values()]).toEqual([2, 2, 2]);
  }
});
