/**
 * `step-hrl fork` (issue 11 item 6). A recorded ALFWorld episode (real env server, scripted expert,
 * one subtask per walkthrough leg) is forked from subtask 2: the fork's fresh env session is
 * re-driven through the parent's first subtask (same actions, identical observations, checked by
 * hash), then another scripted policy (its own model id, the rest of the walkthrough as one
 * subtask) finishes and wins. The fork's record holds the shared prefix (transitions naming the
 * parent) followed by its own; it links to its parent by input, memo and the `StepHrlParent`
 * search attribute, and replays. The CLI forks a built-in episode the same way.
 */
import type { EnvCounters, EnvFactory } from '../../../src/activities';
import { fetchTransitions, startEpisode } from '../../../src/client';
import { startEnvServer, type EnvServerHandle } from '../../../src/envs/env-server';
import { getExpertActions } from '../../../src/envs/expert';
import { createHttpTextEnv } from '../../../src/envs/http-text-env';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec, ResetResult, StepResult, TextEnv } from '../../../src/envs/text-env';
import { forkEpisode, FORK_OF_MEMO } from '../../../src/fork/fork';
import { liveHistories } from '../../../src/history-source';
import { segmentByMoves } from '../../../src/llm/expert-plan';
import { expertPolicyRules, type ExpertSubtask } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { collectHistories } from '../../../src/replay/collect';
import { replayRecorded } from '../../../src/replay/replay';
import { StepHrlParent } from '../../../src/episode/search-attributes';
import { freePort } from '../../../src/server/ports';
import type { EpisodeResult } from '../../../src/workflows/episode';
import { temporal } from '@temporalio/proto';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';
import {
  connectTestTemporal,
  queueFor,
  sharedBundle,
  testAddress,
  withWorker,
  type TestTemporal,
} from '../../support/temporal';

const GAME: EnvSpec = {
  env: 'alfworld',
  split: 'valid_seen',
  task: 'pick_two_obj_and_place-SprayBottle-None-GarbageCan-419/trial_T20190908_164236_518264',
};

/** What one env session was asked and answered, in order. */
interface Journal {
  reset?: string;
  steps: { action: string; text: string }[];
}

/** A TextEnv that journals its session. */
class JournalingEnv implements TextEnv {
  constructor(
    private readonly inner: TextEnv,
    readonly journal: Journal,
  ) {}
  async reset(...args: Parameters<TextEnv['reset']>): Promise<ResetResult> {
    const result = await this.inner.reset(...args);
    this.journal.reset = result.observation.text;
    return result;
  }
  async step(...args: Parameters<TextEnv['step']>): Promise<StepResult> {
    const result = await this.inner.step(...args);
    this.journal.steps.push({ action: args[0], text: result.observation.text });
    return result;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

let t: TestTemporal;
let server: EnvServerHandle;
let plan: ExpertSubtask[];
let parent: { episodeId: string; result: EpisodeResult; sessions: Journal[] };

/** A worker with a journaling ALFWorld env factory; returns what `body` returns and the sessions. */
async function withAlfWorker<T>(name: string, llm: ScriptedLlmClient, body: (taskQueue: string) => Promise<T>) {
  const sessions: Journal[] = [];
  const envFactory: EnvFactory = () => {
    const journal: Journal = { steps: [] };
    sessions.push(journal);
    return new JournalingEnv(createHttpTextEnv('alfworld', { url: server.url }), journal);
  };
  const taskQueue = queueFor(name);
  const counters: EnvCounters = { applied: new Map(), redriveSteps: 0, redrives: 0 };
  const value = await withWorker(t, { taskQueue, llm, envFactory, counters: { env: counters } }, () => body(taskQueue));
  return { value, sessions, counters };
}

beforeAll(async () => {
  t = await connectTestTemporal();
  // The search-attributes setup registers it on the embedded server; the test server needs it too.
  await t.client.connection.operatorService
    .addSearchAttributes({
      namespace: 'default',
      searchAttributes: { StepHrlParent: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    })
    .catch((err: Error) => {
      if (!/already exists/i.test(err.message)) throw err;
    });
  server = await startEnvServer({ port: await freePort() });
  plan = segmentByMoves(await getExpertActions(server.url, GAME));
  const expert = new ScriptedLlmClient(expertPolicyRules(plan, 'chat'));
  const { value, sessions } = await withAlfWorker('fork-parent', expert, async (taskQueue) => {
    const episodeId = `ep-${taskQueue}`;
    const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec: GAME, profile: 'chat' } });
    return { episodeId, result: await handle.result() };
  });
  parent = { ...value, sessions };
  expect(parent.result.won).toBe(true);
  expect(parent.result.subtasks).toEqual(plan.map((p) => p.subtask));
  ensureBuilt();
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await t?.close();
}, 60_000);

test('a fork from subtask 2 re-drives the same prefix (identical observations) and completes with another policy', async () => {
  expect(plan.length).toBeGreaterThanOrEqual(3);
  // Another policy: its own model id, and the rest of the walkthrough as one subtask.
  const rest: ExpertSubtask = { subtask: 'finish the task', actions: plan.slice(1).flatMap((p) => p.actions) };
  const other = new ScriptedLlmClient(expertPolicyRules([plan[0]!, rest], 'chat'), { modelId: 'fork-policy' });
  const {
    value: fork,
    sessions,
    counters,
  } = await withAlfWorker('fork-child', other, async (taskQueue) => {
    const started = await forkEpisode(t.client, { episodeId: parent.episodeId, fromSubtask: 2, taskQueue });
    return { ...started, result: await started.handle.result() };
  });
  const forkId = fork.handle.workflowId;
  expect(forkId).toBe(`${parent.episodeId}.fork-2-1`);
  expect(fork.result).toMatchObject({ status: 'env-done', won: true, redrives: 1 });
  expect(fork.result.subtasks).toEqual([plan[0]!.subtask, rest.subtask]);
  expect(fork.result.forkOf).toEqual({ episodeId: parent.episodeId, runId: expect.any(String), fromSubtask: 2 });

  // The re-drive: one fresh session that replayed the parent's first subtask, observation for observation.
  const prefix = plan[0]!.actions.length;
  expect(counters.redriveSteps).toBe(prefix);
  expect(sessions).toHaveLength(1);
  expect(sessions[0]!.reset).toBe(parent.sessions[0]!.reset);
  expect(sessions[0]!.steps.slice(0, prefix)).toEqual(parent.sessions[0]!.steps.slice(0, prefix));
  // ... then the other policy played the rest of the walkthrough in the same session.
  expect(sessions[0]!.steps.slice(prefix).map((s) => s.action)).toEqual(rest.actions);

  // The record: the parent's prefix (naming the parent), then the fork's own steps.
  const parentRecord = await fetchTransitions(t.client, parent.episodeId);
  const record = await fetchTransitions(t.client, forkId);
  expect(record.slice(0, prefix)).toEqual(parentRecord.slice(0, prefix));
  expect(record.slice(prefix).every((tr) => tr.episodeId === forkId && tr.low.model === 'fork-policy')).toBe(true);
  expect(record.slice(prefix).map((tr) => tr.action)).toEqual(rest.actions);
  expect(record.map((tr) => tr.stepIndex)).toEqual([...record.keys()]);

  // The link: memo and search attribute set at start.
  const description = await fork.handle.describe();
  expect(await description.memo?.[FORK_OF_MEMO]).toEqual(fork.forkOf);
  expect(description.typedSearchAttributes.get(StepHrlParent)).toBe(parent.episodeId);
  // `list --parent` finds it, and only it (visibility is eventually consistent: poll).
  expect(await listedChildren(parent.episodeId, forkId)).toEqual([forkId]);

  // Its histories (the parent's are not among them) replay.
  const collected = await collectHistories(liveHistories(t.client), forkId);
  expect(collected.histories.every((h) => h.workflowId.startsWith(forkId))).toBe(true);
  expect((await replayRecorded(collected.histories, await sharedBundle())).ok).toBe(true);
});

/** Ids `step-hrl list --parent <parentId>` prints, polled until `expected` shows up (30 s at most). */
async function listedChildren(parentId: string, expected: string): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await runCli(['list', '--parent', parentId, '--address', testAddress(), '--json'], cleanEnv(), 60_000);
    expect(run.code).toBe(0);
    const ids = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; id: string })
      .filter((e) => e.type === 'listed')
      .map((e) => e.id);
    if (ids.includes(expected) || Date.now() > deadline) return ids;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

test('a subtask the parent never finished cannot be forked from; the error names the range', async () => {
  await expect(forkEpisode(t.client, { episodeId: parent.episodeId, fromSubtask: plan.length + 2 })).rejects.toThrow(
    `finished ${plan.length} subtasks, so it has no state before subtask ${plan.length + 2}; pass --from-subtask from 1 to ${plan.length + 1}`,
  );
  await expect(forkEpisode(t.client, { episodeId: 'no-such-episode', fromSubtask: 1 })).rejects.toThrow(
    /no episode with id/,
  );
});

test('`step-hrl fork` forks a built-in episode with the expert and shows the link', async () => {
  const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };
  const expert = new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), 'chat'));
  const taskQueue = queueFor('fork-cli');
  const episodeId = `ep-${taskQueue}`;
  await withWorker(t, { taskQueue, llm: expert }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec } })).result(),
  );
  const env = cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
  const run = await runCli(
    ['fork', episodeId, '--from-subtask', '3', '--llm', 'expert', '--id', `${episodeId}-f`],
    env,
    120_000,
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(
    new RegExp(`fork ${episodeId}-f of ${episodeId} from subtask 3: re-driving \\d+ recorded steps`),
  );
  const show = await runCli(['show', `${episodeId}-f`], env);
  expect(show.stdout).toContain(`fork of ${episodeId} (run `);
  expect(show.stdout).toMatch(/env-done/);
});
