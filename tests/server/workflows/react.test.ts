/**
 * The ReAct baseline workflow on the real Temporal test server (issue 10 item 5): the scripted
 * expert's react role wins every built-in task in both prompt profiles; and the workflow survives
 * what the STEP-HRL episode survives — a cancel signal or Temporal's cancellation ends it
 * `cancelled` with its steps, a lost env session is re-driven through the recorded steps (same
 * steps as an uninterrupted run), a session lost again and again ends `env-error` after
 * `maxRedrives`, a model that cannot answer ends it `llm-error`, `maxTokens` ends it `token-budget`
 * — and the env session is closed on every way out.
 */
import type { EnvFactory } from '../../../src/activities';
import { startReact } from '../../../src/client';
import { BUILTIN_TASKS, BuiltinTextEnv, goldActions, goldSubtasks } from '../../../src/envs/builtin';
import { EnvError, type EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { LlmError, type LlmClient } from '../../../src/llm/types';
import { cancelSignal } from '../../../src/workflows';
import { reactStepsQuery, type ReactResult } from '../../../src/workflows/react';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const expert = (spec: EnvSpec, profile: 'paper' | 'chat' = 'chat') =>
  new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), profile));

/** Built-in envs whose sessions count closes; `lose(session, index)` makes a step lose the session. */
function probeFactory(lose?: (session: number, index: number) => boolean) {
  const probe = { sessions: 0, closed: 0, factory: undefined as unknown as EnvFactory };
  probe.factory = () => {
    const inner = new BuiltinTextEnv();
    const session = probe.sessions++;
    let steps = 0;
    return {
      reset: (s: EnvSpec) => inner.reset(s),
      step: async (a: string) => {
        if (lose?.(session, steps)) throw new EnvError('env server restarted; session unknown', 'SessionLost');
        steps += 1;
        return inner.step(a);
      },
      close: async () => {
        probe.closed += 1;
        await inner.close();
      },
    };
  };
  return probe;
}

async function runReact(
  name: string,
  spec: EnvSpec,
  llm: LlmClient,
  config: object = {},
  envFactory?: EnvFactory,
  during?: (handle: Awaited<ReturnType<typeof startReact>>) => Promise<void>,
): Promise<ReactResult> {
  const taskQueue = queueFor(`react-${name}`);
  return withWorker(t, { taskQueue, llm, ...(envFactory && { envFactory }) }, async () => {
    const handle = await startReact(t.client, {
      episodeId: `react-${taskQueue}`,
      taskQueue,
      config: { spec, ...config },
    });
    await during?.(handle);
    return handle.result();
  });
}

const slow = (llm: LlmClient, ms: number): LlmClient => ({
  modelId: llm.modelId,
  complete: async (request, options) => {
    await new Promise((r) => setTimeout(r, ms));
    return llm.complete(request, options);
  },
});

test.each(['chat', 'paper'] as const)(
  'the expert react agent wins every built-in task (%s profile)',
  async (profile) => {
    for (const task of BUILTIN_TASKS) {
      const spec: EnvSpec = { env: 'builtin', task, variation: 1 };
      const result = await runReact(`win-${profile}-${task}`, spec, expert(spec, profile), { profile });
      const gold = goldActions(spec);
      expect({ task, status: result.status, won: result.won }).toEqual({ task, status: 'env-done', won: true });
      expect(result.steps.map((s) => s.action)).toEqual(gold);
      expect(result.stepCount).toBe(gold.length);
      expect(result.redrives).toBe(0);
      expect(result.envVersions).not.toEqual({});
      // One call per step; the level's tokens are the steps' tokens.
      const sum = (f: (s: ReactResult['steps'][number]) => number) => result.steps.reduce((n, s) => n + f(s), 0);
      expect(result.tokensByLevel.react).toEqual({
        calls: gold.length,
        prompt: sum((s) => s.promptTokens),
        completion: sum((s) => s.completionTokens),
      });
      expect(result.tokens).toBe(result.tokensByLevel.react.prompt + result.tokensByLevel.react.completion);
      if (profile === 'chat') expect(result.steps[0].thought).toBe('step 1 of the expert plan.');
    }
  },
  120_000,
);

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };

test('a lost env session is re-driven through the recorded steps: same steps as an uninterrupted run', async () => {
  const reference = await runReact('reference', spec, expert(spec));
  const probe = probeFactory((session, index) => session === 0 && index === 3);
  const result = await runReact('redrive', spec, expert(spec), {}, probe.factory);
  expect(result).toMatchObject({ status: 'env-done', won: true, redrives: 1 });
  const seen = (r: ReactResult) =>
    r.steps.map(({ action, observation, score, done }) => ({ action, observation, score, done }));
  expect(seen(result)).toEqual(seen(reference));
  expect(probe.sessions).toBe(2);
});

test('a session lost at every try ends env-error after maxRedrives, record kept, env closed', async () => {
  const probe = probeFactory((session, index) => index === 2 || session > 0);
  const result = await runReact('flapping', spec, expert(spec), { maxRedrives: 2 }, probe.factory);
  expect(result.status).toBe('env-error');
  expect(result.error).toMatch(/gave up after 2 re-drives \(maxRedrives\)/);
  expect(result.steps).toHaveLength(2);
  expect(result.redrives).toBe(2);
});

test('a cancel signal ends the episode cancelled with its steps, and closes the env', async () => {
  const longSpec: EnvSpec = { env: 'builtin', task: 'clean-plate', variation: 2, options: { maxSteps: 1000 } };
  const probe = probeFactory();
  const looping = new ScriptedLlmClient([{ role: 'react', match: '', reply: 'Action: look' }]);
  const result = await runReact('cancel', longSpec, slow(looping, 50), { maxSteps: 500 }, probe.factory, async (h) => {
    while ((await h.query(reactStepsQuery)).length < 3) await new Promise((r) => setTimeout(r, 50));
    await h.signal(cancelSignal, 'test');
  });
  expect(result.status).toBe('cancelled');
  expect(result.steps.length).toBeGreaterThanOrEqual(3);
  expect(result.steps.length).toBeLessThan(500);
  expect(probe.closed).toBe(1);
});

test("Temporal's cancellation ends the episode cancelled with its steps, and closes the env", async () => {
  const longSpec: EnvSpec = { env: 'builtin', task: 'clean-plate', variation: 2, options: { maxSteps: 1000 } };
  const probe = probeFactory();
  const looping = new ScriptedLlmClient([{ role: 'react', match: '', reply: 'Action: look' }]);
  const result = await runReact('tcancel', longSpec, slow(looping, 50), { maxSteps: 500 }, probe.factory, async (h) => {
    while ((await h.query(reactStepsQuery)).length < 3) await new Promise((r) => setTimeout(r, 50));
    await h.cancel();
  });
  expect(result.status).toBe('cancelled');
  expect(result.steps.length).toBeGreaterThanOrEqual(3);
  expect(probe.closed).toBe(1);
});

test('a model that cannot answer ends the episode llm-error with its steps, and closes the env', async () => {
  const probe = probeFactory();
  const inner = expert(spec);
  let calls = 0;
  const failing: LlmClient = {
    modelId: 'failing',
    complete: async (request) => {
      if (++calls === 4) throw new LlmError('endpoint rejected the API key (401); set OPENAI_API_KEY', false);
      return inner.complete(request);
    },
  };
  const result = await runReact('llm-error', spec, failing, {}, probe.factory);
  expect(result.status).toBe('llm-error');
  expect(result.error).toMatch(/401/);
  expect(result.steps).toHaveLength(3);
  expect(probe.closed).toBe(1);
});

test('maxTokens ends the episode token-budget before the next call', async () => {
  const result = await runReact('token-budget', spec, expert(spec), { maxTokens: 1 });
  expect(result.status).toBe('token-budget');
  expect(result.steps).toHaveLength(1);
  expect(result.tokensByLevel.react.calls).toBe(1);
});
