/**
 * Episodes through a real HTTP server speaking the OpenAI API (the project's own mock, with fault
 * injection): transient faults (429 + Retry-After, 500, timeout, truncated body, non-JSON) are
 * retried by the activity policy and leave the record with no duplicated or lost transition; bad
 * configuration ends the episode fast as `llm-error` with a clear recorded message and no key; and
 * a multi-episode run repeated with the response cache in read-only mode, with the endpoint stopped, records identically and spends
 * zero tokens.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { RecordedTransition } from '../../../src/agent/records';
import { fetchTransitions, startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { CachedLlmClient } from '../../../src/llm/cache';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { OpenAiLlmClient } from '../../../src/llm/openai-client';
import type { LlmClient } from '../../../src/llm/types';
import { mockConfig, TEST_KEY } from '../../support/mock-config';
import { MockOpenAiServer, type MockFault } from '../../support/mock-openai-server';
import { scriptResponder } from '../../support/script-responder';
import { subtaskWorkflowId } from '../../../src/episode/ids';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';
import { transitionContent } from '../../support/transition-content';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };
const plan = goldSubtasks(spec);

async function runEpisode(llm: LlmClient, name: string, s: EnvSpec = spec) {
  const taskQueue = queueFor(name);
  const episodeId = `ep-${taskQueue}`;
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec: s } })).result(),
  );
  return { result, episodeId, transitions: await fetchTransitions(t.client, episodeId) };
}

/** The decoded text of every payload in a history JSON (payload data is base64). */
function payloadTexts(historyJson: string): string {
  const texts: string[] = [];
  JSON.parse(historyJson, (key, value) => {
    if (key === 'data' && typeof value === 'string') texts.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return texts.join('\n');
}

describe('OpenAI-compatible endpoint', () => {
  let mock: MockOpenAiServer;
  beforeAll(async () => {
    mock = await MockOpenAiServer.start({
      responder: scriptResponder(expertPolicyRules(plan, 'chat')),
      apiKey: TEST_KEY,
      models: ['mock-model'],
    });
  });
  afterAll(async () => mock?.stop());

  test('transient faults are retried: the record has no duplicated or lost transition', async () => {
    const clean = await runEpisode(new OpenAiLlmClient(mockConfig(mock.baseURL)), 'clean');
    expect(clean.result.won).toBe(true);
    // The key lives in the worker's client only: no history (episode or subtask) holds it.
    for (const id of [clean.episodeId, subtaskWorkflowId(clean.episodeId, 0, 0)]) {
      const history = historyToJSON(await t.client.workflow.getHandle(id).fetchHistory());
      const decoded = payloadTexts(history);
      expect(decoded).toContain('mock-model'); // payloads really were decoded and searched
      expect(decoded + history).not.toContain(TEST_KEY);
    }

    const faults: MockFault[] = [
      { kind: 'rate-limit', retryAfterSeconds: 1 },
      { kind: 'server-error' },
      { kind: 'hang' },
      { kind: 'truncated' },
      { kind: 'non-json' },
    ];
    // Spread the faults over the episode: every third answered request arms the next one.
    let answered = 0;
    const responder = scriptResponder(expertPolicyRules(plan, 'chat'));
    const faulty = await MockOpenAiServer.start({
      apiKey: TEST_KEY,
      responder: (input) => {
        answered += 1;
        if (answered % 3 === 0 && faults.length > 0) faulty.injectFaults(faults.shift()!);
        return responder(input);
      },
    });
    try {
      const run = await runEpisode(new OpenAiLlmClient(mockConfig(faulty.baseURL, { timeoutMs: 1500 })), 'faulty');
      expect(faults).toHaveLength(0); // every fault was served
      expect(faulty.requests.filter((r) => r.fault).map((r) => r.fault)).toEqual([
        'rate-limit',
        'server-error',
        'hang',
        'truncated',
        'non-json',
      ]);
      expect(run.result.won).toBe(true);
      expect(run.transitions.map((tr) => tr.stepIndex)).toEqual([...run.transitions.keys()]);
      expect(run.transitions.map(transitionContent)).toEqual(clean.transitions.map(transitionContent));
      // Each fault cost exactly one extra request, nothing else was re-sent.
      expect(faulty.requestCount).toBe(mock.requests.filter((r) => r.path.endsWith('/chat/completions')).length + 5);
    } finally {
      await faulty.stop();
    }
  });

  test.each([
    ['a bad key', { perRole: { low: { apiKey: 'sk-wrong-key-123456' } } }, /OPENAI_API_KEY/],
    ['an unknown model', { model: 'no-such-model' }, /no-such-model/],
  ])(
    '%s ends the episode fast as llm-error with a clear recorded message that holds no key',
    async (_name, options, pattern) => {
      const started = Date.now();
      const run = await runEpisode(new OpenAiLlmClient(mockConfig(mock.baseURL, options)), `bad-${_name}`);
      // Recorded, not a workflow failure: the episode completes with the status and the cause.
      expect(run.result.status).toBe('llm-error');
      expect(run.result.error).toMatch(/not retryable/);
      expect(run.result.error).toMatch(pattern);
      expect(run.result.error).not.toContain('sk-wrong-key-123456');
      expect(run.result.error).not.toContain(TEST_KEY);
      expect(Date.now() - started).toBeLessThan(20_000); // not retried for minutes
    },
  );
});

test('a multi-episode run re-run in read-only cache mode: identical records, zero tokens, no request', async () => {
  const specs: EnvSpec[] = [spec, { env: 'builtin', task: 'boil-water', variation: 1 }];
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'cache-'));
  // Episodes run one after the other; the responder follows the current one's expert plan.
  let current = scriptResponder(expertPolicyRules(goldSubtasks(specs[0]), 'chat'));
  const mock = await MockOpenAiServer.start({ apiKey: TEST_KEY, responder: (input) => current(input) });
  try {
    const first = [];
    for (const [i, s] of specs.entries()) {
      current = scriptResponder(expertPolicyRules(goldSubtasks(s), 'chat'));
      const llm = new CachedLlmClient(new OpenAiLlmClient(mockConfig(mock.baseURL)), {
        mode: 'read-write',
        dir: cacheDir,
      });
      first.push(await runEpisode(llm, `cache-rw-${i}`, s));
    }
    expect(first.every((r) => r.result.won)).toBe(true);
    expect(first.every((r) => r.result.spentTokens > 0)).toBe(true);
    const requestsBefore = mock.requestCount;
    await mock.stop(); // any request now would fail

    for (const [i, s] of specs.entries()) {
      const llm = new CachedLlmClient(new OpenAiLlmClient(mockConfig(mock.baseURL)), {
        mode: 'read-only',
        dir: cacheDir,
      });
      const again = await runEpisode(llm, `cache-ro-${i}`, s);
      expect(again.result.spentTokens).toBe(0);
      expect(again.result.tokens).toBe(first[i].result.tokens);
      // Byte-identical but for the run's name, the env's wall time and the cache flag: cached calls keep their
      // recorded tokens and latency.
      const uncached = <C extends object | undefined>(call: C) => call && { ...call, cached: undefined };
      const named = (tr: RecordedTransition) =>
        JSON.stringify({
          ...tr,
          episodeId: '',
          envLatencyMs: 0,
          low: uncached(tr.low),
          progress: uncached(tr.progress),
        });
      expect(again.transitions.map(named)).toEqual(first[i].transitions.map(named));
    }
    expect(mock.requestCount).toBe(requestsBefore);

    // A read-only miss is a clear, non-retried error.
    const miss = new CachedLlmClient(new OpenAiLlmClient(mockConfig(mock.baseURL)), {
      mode: 'read-only',
      dir: cacheDir,
    });
    const missed = await runEpisode(miss, 'cache-miss', { env: 'builtin', task: 'clean-plate', variation: 0 });
    expect(missed.result.status).toBe('llm-error');
    expect(missed.result.error).toMatch(/not retryable.*read-only/);
  } finally {
    await mock.stop();
  }
});
