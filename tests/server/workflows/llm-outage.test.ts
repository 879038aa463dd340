/**
 * LLM outages are waited out, not fatal (issue 9 item 3), on the real Temporal server with the
 * real OpenAI client against the project's mock endpoint taken down and up on command:
 * - a 90-second outage (connection refused) mid-episode: the episode completes with the same record
 *   as a run without it, and the waiting call took more attempts than the old cap of 6;
 * - an outage longer than a small `llmOutageBudgetSeconds`: the episode ends `llm-error` with a
 *   recorded message, the transitions before the outage kept and the env session closed.
 * (Fail-fast on a bad key / unknown model / read-only cache miss: `llm-endpoint.test.ts`.)
 */
import { fetchTransitions, startEpisode } from '../../../src/client';
import { BuiltinTextEnv, goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import type { EpisodeConfig } from '../../../src/agent/config';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { OpenAiLlmClient } from '../../../src/llm/openai-client';
import { subtaskWorkflowId } from '../../../src/episode/ids';
import { mockConfig, TEST_KEY } from '../../support/mock-config';
import { MockOpenAiServer, type OutageMode } from '../../support/mock-openai-server';
import { scriptResponder } from '../../support/script-responder';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';
import { transitionContent } from '../../support/transition-content';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };
const responder = scriptResponder(expertPolicyRules(goldSubtasks(spec), 'chat'));

/** An expert endpoint that goes down (`mode`) right after answering its `afterAnswers`-th request. */
async function endpointWithOutage(afterAnswers: number, mode: OutageMode, outageMs?: number) {
  let answered = 0;
  const mock: MockOpenAiServer = await MockOpenAiServer.start({
    apiKey: TEST_KEY,
    responder: (input) => {
      answered += 1;
      if (answered === afterAnswers) {
        // After this answer has been written: the next call meets the outage.
        setTimeout(() => {
          void mock.goDown(mode);
          if (outageMs !== undefined) setTimeout(() => void mock.comeUp(), outageMs);
        }, 20);
      }
      return responder(input);
    },
  });
  return mock;
}

/** Runs one episode on the built-in env, counting env sessions closed. */
async function runEpisode(baseURL: string, name: string, config: Partial<EpisodeConfig> = {}) {
  const taskQueue = queueFor(name);
  const episodeId = `ep-${taskQueue}`;
  let closed = 0;
  const envFactory = () => {
    const env = new BuiltinTextEnv();
    const close = env.close.bind(env);
    env.close = async () => {
      closed += 1;
      await close();
    };
    return env;
  };
  const llm = new OpenAiLlmClient(mockConfig(baseURL));
  const result = await withWorker(t, { taskQueue, llm, envFactory }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec, ...config } })).result(),
  );
  return { result, episodeId, closed, transitions: await fetchTransitions(t.client, episodeId) };
}

/** Highest attempt number of any policy call in the episode's and its children's histories. */
async function maxPolicyAttempt(episodeId: string, subtasks: number): Promise<number> {
  const ids = [episodeId, ...Array.from({ length: subtasks }, (_, k) => subtaskWorkflowId(episodeId, k, 0))];
  let max = 0;
  for (const id of ids) {
    const history = await t.client.workflow.getHandle(id).fetchHistory();
    for (const e of history.events ?? []) max = Math.max(max, e.activityTaskStartedEventAttributes?.attempt ?? 0);
  }
  return max;
}

let clean: Awaited<ReturnType<typeof runEpisode>>;
beforeAll(async () => {
  const mock = await MockOpenAiServer.start({ apiKey: TEST_KEY, responder });
  try {
    clean = await runEpisode(mock.baseURL, 'outage-clean');
  } finally {
    await mock.stop();
  }
  expect(clean.result.won).toBe(true);
});

test('a 90-second outage mid-episode is waited out: the record equals the run without it', async () => {
  const mock = await endpointWithOutage(5, 'refuse', 90_000);
  try {
    const run = await runEpisode(mock.baseURL, 'outage-90s');
    expect(mock.isDown).toBe(false); // the outage happened and ended before the episode did
    expect(run.result.status).toBe('env-done');
    expect(run.result.won).toBe(true);
    expect(run.transitions.map(transitionContent)).toEqual(clean.transitions.map(transitionContent));
    expect(run.result.tokens).toBe(clean.result.tokens);
    // Today's policy gave up after 6 attempts (~31 s); this call kept trying, with capped backoff.
    expect(await maxPolicyAttempt(run.episodeId, run.result.subtasks.length)).toBeGreaterThan(6);
    expect(run.closed).toBe(1);
  } finally {
    await mock.stop();
  }
}, 300_000);

test('an outage longer than the budget ends the episode llm-error, keeping the transitions before it', async () => {
  const mock = await endpointWithOutage(7, 'unavailable');
  try {
    const run = await runEpisode(mock.baseURL, 'outage-budget', { llmOutageBudgetSeconds: 4 });
    expect(run.result.status).toBe('llm-error');
    expect(run.result.error).toMatch(/4 s outage budget \(llmOutageBudgetSeconds\).*503/);
    expect(run.result.error).not.toContain(TEST_KEY);
    expect(mock.requests.filter((r) => r.fault === 'server-error').length).toBeGreaterThan(1); // it was retried
    // What was recorded before the outage is kept, unchanged.
    expect(run.transitions.length).toBeGreaterThan(0);
    expect(run.transitions.length).toBeLessThan(clean.transitions.length);
    expect(run.transitions.map(transitionContent)).toEqual(
      clean.transitions.slice(0, run.transitions.length).map(transitionContent),
    );
    expect(run.result.steps).toBeGreaterThanOrEqual(run.transitions.length);
    expect(run.closed).toBe(1); // the env session was closed, not leaked
  } finally {
    await mock.stop();
  }
});
