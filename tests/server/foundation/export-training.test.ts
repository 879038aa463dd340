/**
 * Training rows through the real bin (issue 11 item 4, issue 12 item 3's last sentence): for a
 * recorded episode, every role's rows hold the prompts the scripted model actually received, the
 * targets parse back with the profile's parser and equal what was decided, the counts match the
 * episode's steps and subtasks, and the chat form is valid chat-messages JSONL. The same steps
 * rendered in the other profile give that profile's served prompts; a dataset card lists the sources.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fetchTransitions, startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { parsePolicyOutput } from '../../../src/agent/schemas';
import type { RecordedTransition } from '../../../src/agent/records';
import type { EpisodeResult } from '../../../src/workflows/episode';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import type { ChatMessage, LlmRequest } from '../../../src/llm/types';
import { connectTestTemporal, queueFor, testAddress, withWorker, type TestTemporal } from '../../support/temporal';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

const ROLES = ['high', 'low', 'progress'] as const;
type Role = (typeof ROLES)[number];
interface Recorded {
  episodeId: string;
  requests: LlmRequest[];
  result: EpisodeResult;
  transitions: RecordedTransition[];
}

let t: TestTemporal;
let dir: string;
const episodes: Partial<Record<'paper' | 'chat', Recorded>> = {};
const env = () => cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 3 };
const readJsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const served = (r: Recorded, role: Role) => r.requests.filter((q) => q.role === role);

async function record(profile: 'paper' | 'chat'): Promise<Recorded> {
  const llm = new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), profile));
  const taskQueue = queueFor(`export-training-${profile}`);
  const episodeId = `ep-${taskQueue}`;
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec, profile } })).result(),
  );
  expect(result).toMatchObject({ status: 'env-done', won: true });
  return { episodeId, requests: llm.requests, result, transitions: await fetchTransitions(t.client, episodeId) };
}

beforeAll(async () => {
  ensureBuilt();
  t = await connectTestTemporal();
  dir = mkdtempSync(path.join(tmpdir(), 'step-hrl-training-'));
  episodes.paper = await record('paper');
  episodes.chat = await record('chat');
}, 240_000);
afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('prompt/completion rows (paper): the prompts served, targets that parse back, counts per role, rewards, next prompts, card', async () => {
  const ep = episodes.paper!;
  const out = path.join(dir, 'paper-rows');
  const run = await runCli(['export', ep.episodeId, '--format', 'training-prompt', '--out', out], env());
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('dataset card') });
  expect(readdirSync(out).sort()).toEqual([
    'training-prompt.card.md',
    'training-prompt.high.jsonl',
    'training-prompt.low.jsonl',
    'training-prompt.progress.jsonl',
  ]);
  const rows = Object.fromEntries(
    ROLES.map((role) => [role, readJsonl(path.join(out, `training-prompt.${role}.jsonl`))]),
  );

  // Counts: a high row per subtask, a low row per step, a progress row per step but the terminal one.
  const steps = ep.transitions.length;
  expect(rows.high).toHaveLength(ep.result.subtasks.length);
  expect(rows.low).toHaveLength(steps);
  expect(rows.progress).toHaveLength(steps - 1);

  for (const role of ROLES) {
    // Byte for byte what the model was served, in order.
    expect(rows[role].map((r) => r.prompt)).toEqual(served(ep, role).map((q) => q.prompt));
    expect(rows[role].every((r) => r.role === role && typeof r.completion === 'string')).toBe(true);
    // Each row links to the next one's prompt; the last to the reference's placeholder for a won episode.
    expect(rows[role].map((r) => r.next_prompt)).toEqual([
      ...rows[role].slice(1).map((r) => r.prompt),
      'Task successfully finished',
    ]);
  }
  // Targets parse back with the paper parser and are what was decided.
  expect(rows.low.map((r) => parsePolicyOutput('low', 'paper', r.completion as string))).toEqual(
    ep.transitions.map((tr) => ({
      ok: true,
      value: { role: 'low', decision: { action: tr.action, subtaskDone: tr.subtaskDone } },
    })),
  );
  expect(rows.high.map((r) => parsePolicyOutput('high', 'paper', r.completion as string))).toEqual(
    ep.result.subtasks.map((subtask) => ({ ok: true, value: { role: 'high', subtask } })),
  );
  expect(rows.progress.map((r) => parsePolicyOutput('progress', 'paper', r.completion as string))).toEqual(
    ep.transitions.slice(0, -1).map((tr) => ({ ok: true, value: { role: 'progress', progress: tr.progressAfter } })),
  );
  // Rewards as the reference converts them: the high level's add up to the final score / 100; the
  // low level earns 1 once per subtask, on the step that completes it, which also ends it (done).
  expect(rows.high.reduce((n, r) => n + (r.reward as number), 0)).toBeCloseTo(ep.result.score / 100);
  expect(rows.high.at(-1)!.done).toBe(true);
  expect(rows.low.filter((r) => r.reward === 1)).toHaveLength(ep.result.subtasks.length);
  expect(rows.low.filter((r) => r.done).map((r) => r.step_index)).toEqual(
    ep.transitions.filter((tr) => tr.subtaskDone).map((tr) => tr.stepIndex),
  );

  const card = readFileSync(path.join(out, 'training-prompt.card.md'), 'utf8');
  expect(card).toContain(`| high | ${rows.high.length} |`);
  expect(card).toContain(`| low | ${steps} |`);
  expect(card).toContain(`| progress | ${steps - 1} |`);
  expect(card).toContain(`| ${ep.episodeId} |`);
  expect(card).toContain('builtin');
  expect(card).toContain('record version(s) 1');
  expect(card).toContain('`paper` profile');
  const lowFile = readFileSync(path.join(out, 'training-prompt.low.jsonl'), 'utf8');
  expect(card).toContain(createHash('sha256').update(lowFile).digest('hex'));
});

test('chat-messages rows (chat): only `messages`, system/user/assistant, the served messages, JSON targets; metadata aligned', async () => {
  const ep = episodes.chat!;
  const out = path.join(dir, 'chat', 'rows.jsonl');
  const run = await runCli(['export', ep.episodeId, '--format', 'training-chat', '--out', out], env());
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('dataset card') });
  for (const role of ROLES) {
    const rows = readJsonl(path.join(dir, 'chat', `rows.${role}.jsonl`));
    const meta = readJsonl(path.join(dir, 'chat', `rows.${role}.meta.jsonl`));
    expect(rows.length).toBeGreaterThan(0);
    expect(meta.map((m) => m.role)).toEqual(rows.map(() => role));
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['messages']);
      const messages = row.messages as ChatMessage[];
      expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
      expect(messages.every((m) => typeof m.content === 'string' && m.content.length > 0)).toBe(true);
      expect(parsePolicyOutput(role, 'chat', messages[2].content).ok).toBe(true);
    }
    // The served messages; the low level's list of admissible actions is not in the record (left out).
    const withoutValidActions = (messages: ChatMessage[]) =>
      messages.map((m) => ({ ...m, content: m.content.replace(/\nValid actions: .*$/s, '') }));
    expect(rows.map((r) => (r.messages as ChatMessage[]).slice(0, 2))).toEqual(
      served(ep, role).map((q) => withoutValidActions(q.messages!)),
    );
  }
  expect(readFileSync(path.join(dir, 'chat', 'rows.card.md'), 'utf8')).toContain('chat-messages JSONL');
});

test('--profile renders the same steps in the other profile: the chat episode as paper prompts equals what the paper episode was served', async () => {
  const out = path.join(dir, 'as-paper.jsonl');
  const run = await runCli(
    ['export', episodes.chat!.episodeId, '--format', 'training-prompt', '--profile', 'paper', '--out', out],
    env(),
  );
  expect(run.code).toBe(0);
  for (const role of ROLES) {
    expect(readJsonl(path.join(dir, `as-paper.${role}.jsonl`)).map((r) => r.prompt)).toEqual(
      served(episodes.paper!, role).map((q) => q.prompt),
    );
  }
});

test('training formats need --out; unknown formats, profiles and episode ids are named', async () => {
  const id = episodes.paper!.episodeId;
  const noOut = await runCli(['export', id, '--format', 'training-chat'], env());
  expect(noOut.code).toBe(1);
  expect(noOut.stderr).toContain('--format training-chat writes one file per role and a dataset card: pass --out');
  const badFormat = await runCli(['export', id, '--format', 'sft'], env());
  expect(badFormat.code).toBe(1);
  expect(badFormat.stderr).toContain(
    '--format "sft" is not valid; choose one of: records, training-prompt, training-chat',
  );
  const badProfile = await runCli(['export', id, '--format', 'training-chat', '--profile', 'x', '--out', dir], env());
  expect(badProfile.stderr).toContain('--profile "x" is not valid; choose one of: paper, chat');
  const unknown = await runCli(['export', `no-such-episode-${process.pid}`], env());
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain(`no episode "no-such-episode-${process.pid}" in this namespace; check the id`);
});
