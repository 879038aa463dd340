/**
 * Complete decision records (issue 11 items 2 and 3) on real episodes: every model call's record
 * holds exactly what the model received (the messages the OpenAI-compatible endpoint got, or the
 * prompt the scripted client got), the decoding parameters and the raw reply it sent; a re-run
 * served from the response cache records cache hits; one high-level transition per subtask
 * matches the episode's subtasks; and the real `show` command prints the episode as a tree with
 * every step once across continue-as-new runs and subtask parts, and `--step N` in full.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isCompleteTransition, type CallRecord, type RecordedTransition } from '../../../src/agent/records';
import { fetchEpisodeRecord, startEpisode, type EpisodeRecord } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { CachedLlmClient } from '../../../src/llm/cache';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { OpenAiLlmClient } from '../../../src/llm/openai-client';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import type { ChatMessage, LlmClient } from '../../../src/llm/types';
import type { EpisodeConfig } from '../../../src/agent/config';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';
import { mockConfig, TEST_KEY } from '../../support/mock-config';
import { MockOpenAiServer } from '../../support/mock-openai-server';
import { scriptResponder } from '../../support/script-responder';
import { connectTestTemporal, queueFor, testAddress, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => {
  ensureBuilt();
  t = await connectTestTemporal();
});
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 3 };
const plan = goldSubtasks(spec);
const cliEnv = () => cleanEnv({ TEMPORAL_ADDRESS: testAddress() });

async function runEpisode(llm: LlmClient, name: string, config: Partial<EpisodeConfig> = {}) {
  const taskQueue = queueFor(name);
  const episodeId = `ep-${taskQueue}`;
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec, ...config } })).result(),
  );
  return { result, episodeId, record: await fetchEpisodeRecord(t.client, episodeId) };
}

/** Every v2 transition (a new episode records nothing older). */
function complete(transitions: RecordedTransition[]) {
  return transitions.map((tr) => {
    if (!isCompleteTransition(tr)) throw new Error(`step ${tr.stepIndex} recorded as v${tr.version}, expected v2`);
    return tr;
  });
}

/** The episode's calls in the order they were made: per subtask its high-level call, then low and progress per step. */
function callsInOrder(record: EpisodeRecord): CallRecord[] {
  const transitions = complete(record.transitions);
  return record.highLevel.flatMap((high) => [
    high.call!,
    ...transitions
      .filter((tr) => tr.subtaskIndex === high.subtaskIndex)
      .flatMap((tr) => (tr.progress ? [tr.low, tr.progress] : [tr.low])),
  ]);
}

const events = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test('chat profile via an OpenAI-compatible endpoint: records hold the messages sent and raw replies; a cached re-run records cache hits', async () => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'records-cache-'));
  const replies: string[] = [];
  const answer = scriptResponder(expertPolicyRules(plan, 'chat'));
  const mock = await MockOpenAiServer.start({
    apiKey: TEST_KEY,
    responder: (input) => {
      const text = answer(input) as string;
      replies.push(text);
      return text;
    },
  });
  try {
    const cached = (mode: 'read-write' | 'read-only') =>
      new CachedLlmClient(new OpenAiLlmClient(mockConfig(mock.baseURL)), { mode, dir: cacheDir });
    const first = await runEpisode(cached('read-write'), 'records-chat');
    expect(first.result.won).toBe(true);

    const sent = mock.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body!);
    const calls = callsInOrder(first.record);
    expect(calls).toHaveLength(sent.length);
    expect(calls.map((c) => c.messages)).toEqual(sent.map((body) => body['messages'] as ChatMessage[]));
    expect(calls.map((c) => c.prompt)).toEqual(sent.map(() => undefined)); // chat: stored once, as messages
    expect(calls.map((c) => c.reply)).toEqual(replies);
    expect(calls.map((c) => c.decoding.maxTokens)).toEqual(sent.map((body) => body['max_tokens']));
    expect(calls.map((c) => c.decoding.temperature)).toEqual(sent.map((body) => body['temperature']));
    expect(calls.every((c) => c.cached === false && c.model === 'mock-model')).toBe(true);
    for (const tr of complete(first.record.transitions)) {
      expect(tr.low.role).toBe('low');
      expect(tr.low.output).toEqual({ role: 'low', decision: { action: tr.action, subtaskDone: tr.subtaskDone } });
      if (tr.progress) expect(tr.progress.output).toEqual({ role: 'progress', progress: tr.progressAfter });
    }

    // High-level transitions: one per subtask, as issued, with its return and the subtask's steps.
    const { highLevel, transitions } = first.record;
    expect(highLevel.map((h) => h.subtask)).toEqual(first.result.subtasks);
    expect(highLevel.map((h) => h.call!.output)).toEqual(plan.map((p) => ({ role: 'high', subtask: p.subtask })));
    expect(highLevel.map((h) => h.steps)).toEqual(plan.map((p) => p.actions.length));
    expect(highLevel.reduce((n, h) => n + h.return.scoreDelta, 0)).toBe(first.result.score);
    expect(highLevel.at(-1)!.done).toBe(true);
    highLevel.forEach((h, k) => {
      expect(h.lastProgress).toBe(k === 0 ? 'None' : highLevel[k - 1]!.finalProgress);
      expect(h.call!.messages!.map((m) => m.content).join('\n')).toContain(h.observation.trim());
      const own = transitions.filter((tr) => tr.subtaskIndex === k);
      expect(h.nextObservation).toBe(own.at(-1)!.nextObservation);
    });

    // Re-run from the cache with the endpoint stopped: same records, every call a cache hit.
    await mock.stop();
    const again = await runEpisode(cached('read-only'), 'records-chat-cached');
    expect(again.result.spentTokens).toBe(0);
    const replayed = callsInOrder(again.record);
    expect(replayed.map((c) => c.cached)).toEqual(calls.map(() => true));
    expect(replayed.map((c) => [c.messages, c.reply])).toEqual(calls.map((c) => [c.messages, c.reply]));

    // `show --step N` prints that decision in full: the low prompt, the raw reply, the progress call.
    const n = 2;
    const step = complete(first.record.transitions)[n - 1]!;
    const shown = await runCli(['show', first.episodeId, '--step', String(n)], cliEnv());
    expect(shown.code).toBe(0);
    const userMessage = step.low.messages!.find((m) => m.role === 'user')!.content;
    expect(shown.stdout).toContain(userMessage.split('\n').find((line) => line.includes('Obs:'))!);
    expect(shown.stdout).toContain(step.low.reply);
    expect(shown.stdout).toContain(step.progress!.reply);
    expect(shown.stdout).toContain(`subtask ${step.subtaskIndex + 1} ${JSON.stringify(step.subtask)}`);
    expect(shown.stdout).toContain('cache hit no');
    const json = await runCli(['show', first.episodeId, '--step', String(n), '--json'], cliEnv());
    const detail = events(json.stdout).find((e) => e.type === 'step') as {
      transition: RecordedTransition;
      highLevel: { subtask: string };
      missing: string[];
    };
    expect(detail.transition).toEqual(step);
    expect(detail.highLevel.subtask).toBe(step.subtask);
    expect(detail.missing).toEqual([]);
    const bad = await runCli(['show', first.episodeId, '--step', '999'], cliEnv());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`--step 999: episode ${first.episodeId} has steps 1 to ${transitions.length}`);
  } finally {
    await mock.stop();
  }
}, 300_000);

test('paper profile across continue-as-new and subtask parts: prompts as sent; `show` lists every step once with markers', async () => {
  const llm = new ScriptedLlmClient(expertPolicyRules(plan, 'paper'));
  const { result, episodeId, record } = await runEpisode(llm, 'records-paper', {
    profile: 'paper',
    historyEventLimit: 20,
    maxStepsPerChildRun: 2,
  });
  expect(result.won).toBe(true);
  expect(result.runs).toBeGreaterThan(1);
  expect(record.runs).toBe(result.runs);

  const calls = callsInOrder(record);
  const request = (c: {
    role: string;
    prompt?: string;
    maxTokens?: number;
    temperature?: number;
    stop?: string[];
  }) => ({
    role: c.role,
    prompt: c.prompt,
    maxTokens: c.maxTokens,
    temperature: c.temperature,
    stop: c.stop,
  });
  expect(calls.map((c) => request({ ...c, ...c.decoding }))).toEqual(llm.requests.map(request));
  expect(calls.every((c) => c.messages === undefined && c.reply.length > 0)).toBe(true);
  expect(record.highLevel.map((h) => h.subtask)).toEqual(result.subtasks);

  const shown = await runCli(['show', episodeId], cliEnv());
  expect(shown.code).toBe(0);
  const listed = [...shown.stdout.matchAll(/^ {2}step (\d+) /gm)].map((m) => Number(m[1]));
  expect(listed).toEqual([...Array(result.steps).keys()].map((i) => i + 1));
  expect(shown.stdout).toMatch(/-- workflow run 2 \(continued as new\) --/);
  expect(shown.stdout).toMatch(/-- part 2 of subtask \d+ --/);
  for (const [k, p] of plan.entries())
    expect(shown.stdout).toContain(`subtask ${k + 1}/${plan.length}: ${JSON.stringify(p.subtask)}`);

  const json = events((await runCli(['show', episodeId, '--json'], cliEnv())).stdout);
  expect(json.filter((e) => e.type === 'transition').map((e) => e.stepIndex)).toEqual([...Array(result.steps).keys()]);
  expect(json.filter((e) => e.type === 'subtask')).toHaveLength(plan.length);
  expect(json.some((e) => e.type === 'marker' && e.kind === 'continued-as-new')).toBe(true);

  const step = complete(record.transitions)[0]!;
  const detail = await runCli(['show', episodeId, '--step', '1'], cliEnv());
  expect(detail.stdout).toContain(
    step.low
      .prompt!.split('\n')
      .filter((line) => line.trim())
      .at(-1)!,
  );
  expect(detail.stdout).toContain(`stop ["\\n"]`);
  expect(detail.stdout).toContain(record.highLevel[0]!.call!.reply);
}, 300_000);
