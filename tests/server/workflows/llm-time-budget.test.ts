/**
 * The outage budget is time, not a count of attempts (issue 17 item 7), on the real server with
 * the real OpenAI client: an endpoint that keeps answering 429 with a short Retry-After is retried
 * for the whole `llmOutageBudgetSeconds`, then the episode ends `llm-error` with the budget in its
 * message. Before, the budget was the number of attempts whose backoff fit in it (3 for 4 s), and
 * short Retry-After delays spent those attempts in about a second.
 */
import { startEpisode } from '../../../src/client';
import { BuiltinTextEnv, goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { OpenAiLlmClient } from '../../../src/llm/openai-client';
import { mockConfig, TEST_KEY } from '../../support/mock-config';
import { MockOpenAiServer } from '../../support/mock-openai-server';
import { scriptResponder } from '../../support/script-responder';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };
const BUDGET_SECONDS = 4;

test('a rate-limited endpoint is retried for the whole time budget, then the episode ends llm-error', async () => {
  const mock = await MockOpenAiServer.start({
    apiKey: TEST_KEY,
    responder: scriptResponder(expertPolicyRules(goldSubtasks(spec), 'chat')),
  });
  try {
    mock.injectFaults(...Array.from({ length: 200 }, () => ({ kind: 'rate-limit' as const, retryAfterSeconds: 0.2 })));
    const taskQueue = queueFor('llm-time-budget');
    const started = Date.now();
    const result = await withWorker(
      t,
      { taskQueue, llm: new OpenAiLlmClient(mockConfig(mock.baseURL)), envFactory: () => new BuiltinTextEnv() },
      async () =>
        (
          await startEpisode(t.client, {
            episodeId: `ep-${taskQueue}`,
            taskQueue,
            config: { spec, llmOutageBudgetSeconds: BUDGET_SECONDS },
          })
        ).result(),
    );
    const elapsedMs = Date.now() - started;
    expect(result.status).toBe('llm-error');
    expect(result.error).toMatch(
      /^model endpoint still failing after the 4 s outage budget \(llmOutageBudgetSeconds\); last error: rate limited .*\(429\)/,
    );
    const limited = mock.requests.filter((r) => r.fault === 'rate-limit').length;
    expect(limited).toBeGreaterThan(3); // the count budget of 4 s allowed 3 attempts
    expect(elapsedMs).toBeGreaterThanOrEqual(BUDGET_SECONDS * 1000);
    expect(elapsedMs).toBeLessThan(BUDGET_SECONDS * 1000 + 30_000);
  } finally {
    await mock.stop();
  }
});
