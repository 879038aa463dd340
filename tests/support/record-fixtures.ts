/**
 * Records the replay fixtures of one history version, by hand and never from the tests:
 * `npx ts-node tests/support/record-fixtures.ts v3` (see docs/versioning.md). Each scenario runs a
 * real episode on a fresh dev server with the current workflow code and saves the histories named
 * in the manifest under `tests/fixtures/histories/<version>/`. Scenarios cover the commands a
 * workflow change can break: several subtasks, continue-as-new, a re-drive after a lost session,
 * repair attempts, cancel, an `llm-error` end, a run resumed from a recorded prefix and a ReAct
 * baseline episode.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { startEpisode, startReact } from '../../src/client';
import { liveHistories } from '../../src/history-source';
import { collectHistories } from '../../src/replay/collect';
import { startOrAttachEval } from '../../src/eval/client';
import { ExpertRouterClient } from '../../src/llm/expert-router';
import { BuiltinTextEnv, goldActions, goldSubtasks } from '../../src/envs/builtin';
import { EnvError, type EnvSpec } from '../../src/envs/text-env';
import { expertPolicyRules } from '../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../src/llm/scripted-client';
import { LlmError, type LlmClient, type LlmRequest, type LlmResponse } from '../../src/llm/types';
import { resumeEpisode } from '../../src/resume';
import { startDevServer } from '../../src/server/dev-server';
import { freePort } from '../../src/server/ports';
import { cancelSignal, episodeProgressQuery, transitionsQuery } from '../../src/workflows';
import { subtaskWorkflowId } from '../../src/episode/ids';
import { evalEpisodeId, evalProgressQuery } from '../../src/workflows/eval';
import { reactStepsQuery } from '../../src/workflows/react';
import { Worker } from '@temporalio/worker';
import type { TrainingInput } from '../../src/episode/training-records';
import { longEpisodeSpec, loopingLlm } from './long-episodes';
import { loopingPolicyRules } from './looping-policy';
import { fakeTrainingActivities } from './training-fakes';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from './temporal';

/** Where the fixtures of every history version live. */
export const HISTORIES_DIR = path.join(__dirname, '..', 'fixtures', 'histories');
/** The manifest: for each released history version, the histories it must have. */
export const MANIFEST_FILE = path.join(HISTORIES_DIR, 'manifest.json');

/** One required history: its file (in the version's folder) and the workflow id it was recorded under. */
export interface FixtureEntry {
  file: string;
  workflowId: string;
  /** What the history shows (for readers of the manifest). */
  covers: string;
}

/** `{ "<version>": FixtureEntry[] }` */
export type FixtureManifest = Record<string, FixtureEntry[]>;

/** Reads the manifest. */
export function readManifest(): FixtureManifest {
  return JSON.parse(readFileSync(MANIFEST_FILE, 'utf8')) as FixtureManifest;
}

type History = temporal.api.history.v1.IHistory;
interface Recorded {
  file: string;
  workflowId: string;
  covers: string;
  history: History;
}

/** The expert for `spec`; call number `failAt` (1-based) behaves as `fail` says. */
class ExpertWithFault implements LlmClient {
  readonly modelId = 'fixture-expert';
  calls = 0;
  blocked = false;
  private release: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  private readonly inner: ScriptedLlmClient;
  constructor(
    spec: EnvSpec,
    private readonly failAt = Infinity,
    private readonly fail: 'garbage' | 'bad-key' | 'block' = 'garbage',
  ) {
    this.inner = new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), 'chat'));
  }
  async complete(request: LlmRequest): Promise<LlmResponse> {
    this.calls += 1;
    if (this.calls === this.failAt) {
      if (this.fail === 'garbage') return { text: 'not json at all', usage: zero, model: this.modelId, latencyMs: 1 };
      if (this.fail === 'bad-key') throw new LlmError('endpoint rejected the API key (401); set OPENAI_API_KEY', false);
    }
    if (this.fail === 'block' && this.calls >= this.failAt) {
      this.blocked = true;
      await this.gate;
    }
    return this.inner.complete(request);
  }
  open(): void {
    this.release();
  }
}
/** `llm` answering each call after `ms`, so a test can act between steps. */
function slow(llm: LlmClient, ms: number): LlmClient {
  return {
    modelId: llm.modelId,
    complete: async (request) => {
      await new Promise((r) => setTimeout(r, ms));
      return llm.complete(request);
    },
  };
}
const zero = { promptTokens: 0, completionTokens: 0, source: 'tokenizer' as const };

async function history(t: TestTemporal, workflowId: string, runId?: string): Promise<History> {
  return t.client.workflow.getHandle(workflowId, runId).fetchHistory();
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('fixture scenario: condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs every scenario against `t` and returns the histories to save. */
export async function recordScenarios(t: TestTemporal, version: string): Promise<Recorded[]> {
  const out: Recorded[] = [];
  const id = (name: string) => `fixture-${version}-${name}`;
  const run = async (name: string, spec: EnvSpec, llm: LlmClient, config: object = {}, envFactory?: () => unknown) => {
    const taskQueue = queueFor(`fixture-${name}`);
    return withWorker(t, { taskQueue, llm, ...(envFactory && { envFactory: envFactory as never }) }, async () =>
      (await startEpisode(t.client, { episodeId: id(name), taskQueue, config: { spec, ...config } })).result(),
    );
  };

  // Several subtasks, nothing unusual.
  const multi: EnvSpec = { env: 'builtin', task: 'find-key-open-chest', variation: 4 };
  await run('multi', multi, new ExpertWithFault(multi));
  out.push({
    file: 'multi-episode.json',
    workflowId: id('multi'),
    covers: 'episode, 3+ subtasks',
    history: await history(t, id('multi')),
  });
  out.push({
    file: 'multi-subtask.json',
    workflowId: subtaskWorkflowId(id('multi'), 1, 0),
    covers: 'subtask child',
    history: await history(t, subtaskWorkflowId(id('multi'), 1, 0)),
  });

  // Continue-as-new after every subtask (a tiny history limit): the first run and the continued one.
  const can: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 3 };
  const canResult = await run('continue-as-new', can, new ExpertWithFault(can), { historyEventLimit: 20 });
  if (canResult.runs < 2) throw new Error('continue-as-new scenario did not continue as new');
  const first = await t.client.workflow.getHandle(id('continue-as-new')).describe();
  const firstRun = await history(t, id('continue-as-new'), first.raw.workflowExecutionInfo?.firstRunId ?? undefined);
  const next = firstRun.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  if (!next) throw new Error('continue-as-new scenario: first run did not end in continue-as-new');
  out.push({
    file: 'can-first-run.json',
    workflowId: id('continue-as-new'),
    covers: 'episode run ending in continue-as-new',
    history: firstRun,
  });
  out.push({
    file: 'can-continued-run.json',
    workflowId: id('continue-as-new'),
    covers: 'episode run started from carried state',
    history: await history(t, id('continue-as-new'), next),
  });

  // A session lost at the 4th step of subtask 0: the child returns early, the episode re-drives.
  const redrive: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };
  let sessions = 0;
  const losesOnce = () => {
    const inner = new BuiltinTextEnv();
    const lose = ++sessions === 1;
    let steps = 0;
    return {
      reset: (s: EnvSpec) => inner.reset(s),
      step: async (a: string) => {
        if (lose && ++steps > 3) throw new EnvError('env server restarted; session unknown', 'SessionLost');
        return inner.step(a);
      },
      close: () => inner.close(),
    };
  };
  const redriven = await run('redrive', redrive, new ExpertWithFault(redrive), {}, losesOnce);
  if (redriven.redrives !== 1) throw new Error('re-drive scenario did not re-drive');
  out.push({
    file: 'redrive-episode.json',
    workflowId: id('redrive'),
    covers: 'episode with envRedrive',
    history: await history(t, id('redrive')),
  });
  for (const part of [0, 1]) {
    const child = subtaskWorkflowId(id('redrive'), 0, part);
    out.push({
      file: `redrive-subtask-part${part}.json`,
      workflowId: child,
      covers: part === 0 ? 'subtask ending session-lost' : 'subtask continued with a pending decision',
      history: await history(t, child),
    });
  }

  // An unparseable low-level reply, repaired by one extra call.
  const repair: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 1 };
  await run('repair', repair, new ExpertWithFault(repair, 2, 'garbage'));
  out.push({
    file: 'repair-subtask.json',
    workflowId: subtaskWorkflowId(id('repair'), 0, 0),
    covers: 'subtask with a repair attempt',
    history: await history(t, subtaskWorkflowId(id('repair'), 0, 0)),
  });

  /** Starts a long episode, and once its running child has 3 steps, stops it with `stop`; returns that child's id. */
  const cancelMidSubtask = async (
    name: string,
    stop: (handle: Awaited<ReturnType<typeof startEpisode>>) => Promise<unknown>,
  ): Promise<string> => {
    const taskQueue = queueFor(`fixture-${name}`);
    let childId = '';
    await withWorker(t, { taskQueue, llm: slow(new ScriptedLlmClient(loopingPolicyRules(1000)), 100) }, async () => {
      const handle = await startEpisode(t.client, {
        episodeId: id(name),
        taskQueue,
        config: { spec: { env: 'builtin', task: 'boil-water', variation: 0 } },
      });
      // The episode's step count moves when a child returns: watch the running child's transitions.
      await until(async () => {
        childId = (await handle.query(episodeProgressQuery)).subtaskWorkflowId ?? '';
        return childId !== '';
      });
      const child = t.client.workflow.getHandle(childId);
      await until(async () => (await child.query(transitionsQuery)).length >= 3);
      await stop(handle);
      return handle.result();
    });
    return childId;
  };

  // Cancel by signal in the middle of a long subtask.
  const cancelledChild = await cancelMidSubtask('cancel', (handle) => handle.signal(cancelSignal, 'fixture'));
  out.push({
    file: 'cancel-episode.json',
    workflowId: id('cancel'),
    covers: 'episode cancelled by signal',
    history: await history(t, id('cancel')),
  });
  out.push({
    file: 'cancel-subtask.json',
    workflowId: cancelledChild,
    covers: 'subtask cancelled',
    history: await history(t, cancelledChild),
  });

  // A long subtask in parts (maxStepsPerChildRun 3): the child returns part-limit, the next part goes on.
  const partsResult = await run(
    'parts',
    { env: 'builtin', task: 'boil-water', variation: 0 },
    new ScriptedLlmClient(loopingPolicyRules(7)),
    { maxStepsPerChildRun: 3, maxSteps: 8 },
  );
  if (partsResult.steps !== 8) throw new Error('parts scenario ended after ' + partsResult.steps + ' steps');
  out.push({
    file: 'parts-episode.json',
    workflowId: id('parts'),
    covers: 'episode running one subtask in several parts',
    history: await history(t, id('parts')),
  });
  out.push({
    file: 'parts-subtask-part1.json',
    workflowId: subtaskWorkflowId(id('parts'), 0, 1),
    covers: 'subtask part ending part-limit',
    history: await history(t, subtaskWorkflowId(id('parts'), 0, 1)),
  });

  // Temporal's own cancellation (UI, `temporal workflow cancel`) in the middle of a long subtask.
  const temporalCancelledChild = await cancelMidSubtask('temporal-cancel', (handle) => handle.cancel());
  out.push({
    file: 'temporal-cancel-episode.json',
    workflowId: id('temporal-cancel'),
    covers: "episode cancelled by Temporal's cancellation",
    history: await history(t, id('temporal-cancel')),
  });
  out.push({
    file: 'temporal-cancel-subtask.json',
    workflowId: temporalCancelledChild,
    covers: "subtask cancelled by Temporal's cancellation",
    history: await history(t, temporalCancelledChild),
  });

  // A non-retryable model error at the 5th call (inside subtask 0): the episode ends llm-error.
  const llmError: EnvSpec = { env: 'builtin', task: 'clean-plate', variation: 0 };
  const failed = await run('llm-error', llmError, new ExpertWithFault(llmError, 5, 'bad-key'));
  if (failed.status !== 'llm-error') throw new Error('llm-error scenario ended ' + failed.status);
  out.push({
    file: 'llm-error-episode.json',
    workflowId: id('llm-error'),
    covers: 'episode ending llm-error',
    history: await history(t, id('llm-error')),
  });
  const failedChild = subtaskWorkflowId(id('llm-error'), failed.subtasks.length - 1, 0);
  out.push({
    file: 'llm-error-subtask.json',
    workflowId: failedChild,
    covers: 'subtask ending llm-error',
    history: await history(t, failedChild),
  });

  // Terminated in subtask 1, then resumed from its recorded prefix.
  const resumed: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };
  const resumeQueue = queueFor('fixture-resume');
  const gated = new ExpertWithFault(resumed, 16, 'block');
  await withWorker(t, { taskQueue: resumeQueue, llm: gated }, async () => {
    const handle = await startEpisode(t.client, {
      episodeId: id('resume'),
      taskQueue: resumeQueue,
      config: { spec: resumed },
    });
    await until(() => gated.blocked);
    await handle.terminate('fixture: interrupted');
    gated.open();
  });
  const terminatedRun = (await t.client.workflow.getHandle(id('resume')).describe()).runId;
  await withWorker(t, { taskQueue: resumeQueue, llm: new ExpertWithFault(resumed) }, async () =>
    (await resumeEpisode(t.client, id('resume'))).handle.result(),
  );
  out.push({
    file: 'resume-terminated-run.json',
    workflowId: id('resume'),
    covers: 'episode run terminated mid-subtask',
    history: await history(t, id('resume'), terminatedRun),
  });
  out.push({
    file: 'resume-resumed-run.json',
    workflowId: id('resume'),
    covers: 'run resumed from a prefix',
    history: await history(t, id('resume')),
  });

  // An evaluation of 4 episodes, 2 at a time, continuing as new after 2: its first and last run.
  const evalId = id('eval');
  const evalEpisodes = ['boil-water', 'clean-plate', 'deliver-apple', 'water-plant'].map((task) => ({
    spec: { env: 'builtin' as const, task, variation: 1 },
    group: task,
  }));
  const evalSpecs = new Map(evalEpisodes.map((e, i) => [evalEpisodeId(evalId, i), e.spec]));
  const evalLlm = new ExpertRouterClient({
    specOf: (episodeId) => evalSpecs.get(episodeId),
    planOf: async (spec) => goldSubtasks(spec),
    profile: 'chat',
  });
  const evalQueue = queueFor('fixture-eval');
  const evalResult = await withWorker(t, { taskQueue: evalQueue, llm: evalLlm }, async () => {
    const input = { agent: 'step-hrl' as const, selection: 'fixture', env: 'builtin' as const, config: {} };
    const opened = await startOrAttachEval(
      t.client,
      evalId,
      { ...input, episodes: evalEpisodes, concurrency: 2, episodesPerRun: 2 },
      evalQueue,
    );
    return opened.handle.result();
  });
  if (evalResult.runs < 2 || evalResult.totals?.won !== evalEpisodes.length)
    throw new Error('eval scenario did not play out');
  const evalFirstRun = (await t.client.workflow.getHandle(evalId).describe()).raw.workflowExecutionInfo?.firstRunId;
  out.push({
    file: 'eval-first-run.json',
    workflowId: evalId,
    covers: 'evaluation run ending in continue-as-new (2 children at a time)',
    history: await history(t, evalId, evalFirstRun ?? undefined),
  });
  out.push({
    file: 'eval-last-run.json',
    workflowId: evalId,
    covers: 'evaluation run continued from carried outcomes',
    history: await history(t, evalId),
  });

  // One of that eval's episodes: an eval child records its complete config (frozen at the eval's start).
  out.push({
    file: 'eval-child-episode.json',
    workflowId: evalEpisodeId(evalId, 1),
    covers: 'episode started by an eval (complete config in its input)',
    history: await history(t, evalEpisodeId(evalId, 1)),
  });

  // An eval cancelled through Temporal while 2 episodes run: they end `cancelled`, the eval returns.
  const cancelEvalId = id('eval-cancel');
  const cancelEpisodes = evalEpisodes.map((e) => ({ ...e, spec: { ...e.spec, variation: 2 } }));
  const cancelSpecs = new Map(cancelEpisodes.map((e, i) => [evalEpisodeId(cancelEvalId, i), e.spec]));
  const cancelLlm = slow(
    new ExpertRouterClient({
      specOf: (episodeId) => cancelSpecs.get(episodeId),
      planOf: async (spec) => goldSubtasks(spec),
      profile: 'chat',
    }),
    100,
  );
  const cancelQueue = queueFor('fixture-eval-cancel');
  await withWorker(t, { taskQueue: cancelQueue, llm: cancelLlm }, async () => {
    const input = { agent: 'step-hrl' as const, selection: 'fixture', env: 'builtin' as const, config: {} };
    const opened = await startOrAttachEval(
      t.client,
      cancelEvalId,
      { ...input, episodes: cancelEpisodes, concurrency: 2 },
      cancelQueue,
    );
    await until(async () => (await opened.handle.query(evalProgressQuery)).running.length === 2);
    await opened.handle.cancel();
    const result = await opened.handle.result();
    if (!result.cancelled) throw new Error('eval cancel scenario did not end cancelled');
  });
  out.push({
    file: 'eval-cancel.json',
    workflowId: cancelEvalId,
    covers: 'evaluation cancelled through Temporal: its running episodes cancelled through their scopes',
    history: await history(t, cancelEvalId),
  });

  // The ReAct baseline (reactWorkflow): a whole won episode, one call and one env step per step.
  const react: EnvSpec = { env: 'builtin', task: 'find-key-open-chest', variation: 4 };
  const reactId = id('react');
  const reactQueue = queueFor('fixture-react');
  await withWorker(t, { taskQueue: reactQueue, llm: reactExpert(react) }, async () => {
    const result = await (
      await startReact(t.client, { episodeId: reactId, taskQueue: reactQueue, config: { spec: react } })
    ).result();
    if (!result.won) throw new Error('react scenario did not win');
  });
  out.push({
    file: 'react-episode.json',
    workflowId: reactId,
    covers: 'ReAct baseline episode (reactWorkflow), won',
    history: await history(t, reactId),
  });

  // ReAct: a session lost at the 4th step, re-driven.
  const reactRedriveId = id('react-redrive');
  const reactRedriveQueue = queueFor('fixture-react-redrive');
  sessions = 0;
  await withWorker(
    t,
    { taskQueue: reactRedriveQueue, llm: reactExpert(redrive), envFactory: losesOnce as never },
    async () => {
      const result = await (
        await startReact(t.client, {
          episodeId: reactRedriveId,
          taskQueue: reactRedriveQueue,
          config: { spec: redrive },
        })
      ).result();
      if (result.redrives !== 1 || !result.won) throw new Error('react re-drive scenario did not re-drive and win');
    },
  );
  out.push({
    file: 'react-redrive-episode.json',
    workflowId: reactRedriveId,
    covers: 'ReAct episode re-driven after a lost session',
    history: await history(t, reactRedriveId),
  });

  // ReAct: cancelled by signal after 3 steps.
  const reactCancelId = id('react-cancel');
  const reactCancelQueue = queueFor('fixture-react-cancel');
  const looping = slow(new ScriptedLlmClient([{ role: 'react', match: '', reply: 'Action: look' }]), 50);
  await withWorker(t, { taskQueue: reactCancelQueue, llm: looping }, async () => {
    const handle = await startReact(t.client, {
      episodeId: reactCancelId,
      taskQueue: reactCancelQueue,
      config: { spec: { env: 'builtin', task: 'boil-water', variation: 0 }, maxSteps: 1000 },
    });
    await until(async () => (await handle.query(reactStepsQuery)).length >= 3);
    await handle.signal(cancelSignal, 'fixture');
    const result = await handle.result();
    if (result.status !== 'cancelled') throw new Error('react cancel scenario ended ' + result.status);
  });
  out.push({
    file: 'react-cancel-episode.json',
    workflowId: reactCancelId,
    covers: 'ReAct episode cancelled by signal',
    history: await history(t, reactCancelId),
  });

  // A ReAct episode that continues as new (low event limit) with a capped transcript.
  const reactCanId = id('react-can');
  const reactCanQueue = queueFor('fixture-react-can');
  const reactCanConfig = {
    spec: longEpisodeSpec(120),
    profile: 'chat' as const,
    maxSteps: 120,
    historyEventLimit: 400,
    reactContextChars: 2_000,
  };
  await withWorker(t, { taskQueue: reactCanQueue, llm: loopingLlm() }, async () =>
    (await startReact(t.client, { episodeId: reactCanId, taskQueue: reactCanQueue, config: reactCanConfig })).result(),
  );
  const reactRuns = await runChainBack(t, reactCanId);
  if (reactRuns.length < 2) throw new Error('react continue-as-new scenario did not continue as new');
  out.push({
    file: 'react-can-first-run.json',
    workflowId: reactCanId,
    covers: 'ReAct run ending in continue-as-new (transcript window carried)',
    history: reactRuns[0]!,
  });
  out.push({
    file: 'react-can-last-run.json',
    workflowId: reactCanId,
    covers: 'ReAct run started from carried state, to its step budget',
    history: reactRuns.at(-1)!,
  });

  // A training run (fake activities on its training queue, no Python): two stages, continue-as-new.
  const trainingId = id('training');
  const trainingQueue = queueFor('fixture-training');
  const trainingInput: TrainingInput = {
    config: { seed: 0 },
    configSource: { path: 'fixture.yaml', sha256: 'fixture' },
    runDir: 'runs/fixture',
    trainingTaskQueue: `${trainingQueue}-py`,
    chunkSteps: 2,
    chunksPerRun: 2,
    model: 'tiny',
  };
  const trainer = await Worker.create({
    connection: t.nativeConnection,
    taskQueue: trainingInput.trainingTaskQueue,
    activities: fakeTrainingActivities(5).acts,
  });
  const firstTrainingRun = await withWorker(t, { taskQueue: trainingQueue, llm: new ScriptedLlmClient([]) }, () =>
    trainer.runUntil(async () => {
      const handle = await t.client.workflow.start('trainingWorkflow', {
        workflowId: trainingId,
        taskQueue: trainingQueue,
        args: [trainingInput],
      });
      await handle.result();
      return handle.firstExecutionRunId;
    }),
  );
  const trainingRuns = await runChain(t, trainingId, firstTrainingRun);
  if (trainingRuns.length < 2) throw new Error('training scenario did not continue as new');
  out.push({
    file: 'training-first-run.json',
    workflowId: trainingId,
    covers: 'training run: prepare, chunks, continue-as-new',
    history: trainingRuns[0]!,
  });
  out.push({
    file: 'training-last-run.json',
    workflowId: trainingId,
    covers: 'training run continued from carried state: chunks, finalize both stages',
    history: trainingRuns.at(-1)!,
  });
  return out;
}

/** The histories of every run of `workflowId`, first to last, walked back from the latest run. */
async function runChainBack(t: TestTemporal, workflowId: string): Promise<History[]> {
  const runs: History[] = [await history(t, workflowId)];
  for (;;) {
    const started = runs[0]!.events?.[0]?.workflowExecutionStartedEventAttributes;
    const previous = started?.continuedExecutionRunId;
    if (!previous) return runs;
    runs.unshift(await history(t, workflowId, previous));
  }
}

/** The histories of every run of `workflowId`, first to last (following continue-as-new). */
async function runChain(t: TestTemporal, workflowId: string, firstRunId: string): Promise<History[]> {
  const runs: History[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const h = await history(t, workflowId, runId);
    runs.push(h);
    const last = h.events?.at(-1);
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

/**
 * A ReAct expert that does not read the prompt: the n-th call gets the n-th gold action (chat
 * profile JSON), so it works with any ReAct prompt format.
 */
function reactExpert(spec: EnvSpec): LlmClient {
  const actions = goldActions(spec);
  let calls = 0;
  return new ScriptedLlmClient([
    {
      role: 'react',
      match: '',
      reply: () => JSON.stringify({ action: actions[Math.min(calls++, actions.length - 1)] }),
    },
  ]);
}

/**
 * Every run and subtask child of each recorded episode that no scenario saved: the record readers
 * rebuild a subtask's steps from its child history, so a fixture episode reads back whole only with
 * all of them (tests/hermetic/agent/recorded-versions.test.ts).
 */
async function restOfEachEpisode(t: TestTemporal, recorded: Recorded[]): Promise<Recorded[]> {
  const runIdOf = (h: History) => h.events?.[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId;
  const typeOf = (h: History) => h.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  const saved = new Set(recorded.map((r) => runIdOf(r.history)));
  const more: Recorded[] = [];
  for (const r of recorded.filter((r) => typeOf(r.history) === 'episodeWorkflow')) {
    const collected = await collectHistories(liveHistories(t.client), r.workflowId);
    let k = 0;
    for (const h of collected.histories) {
      if (saved.has(h.runId)) continue;
      saved.add(h.runId);
      more.push({
        file: `${r.file.replace(/\.json$/, '')}-more-${k++}.json`,
        workflowId: h.workflowId,
        covers: `${h.workflowType} of ${r.workflowId} (for the record readers)`,
        history: h.history as History,
      });
    }
  }
  return more;
}

/** Records `version` on a fresh dev server and adds it to the manifest (refuses to overwrite one). */
export async function recordVersion(version: string, options: { overwrite?: boolean } = {}): Promise<void> {
  const manifest = readManifest();
  if (manifest[version] && !options.overwrite) {
    throw new Error(`history version ${version} is already recorded; released fixtures are never re-recorded`);
  }
  const server = await startDevServer({
    dataDir: mkdtempSync(path.join(os.tmpdir(), 'step-hrl-fixtures-')),
    port: await freePort(),
  });
  process.env.STEP_HRL_TEST_TEMPORAL_ADDRESS = server.address;
  const t = await connectTestTemporal();
  try {
    const recorded = await recordScenarios(t, version);
    recorded.push(...(await restOfEachEpisode(t, recorded)));
    const dir = path.join(HISTORIES_DIR, version);
    mkdirSync(dir, { recursive: true });
    for (const r of recorded) {
      // Stack traces name this machine's paths and play no part in replay.
      const json = historyToJSON(r.history).replace(/"stackTrace": "(?:[^"\\]|\\.)*"/g, '"stackTrace": ""');
      writeFileSync(path.join(dir, r.file), json + '\n');
    }
    manifest[version] = recorded.map(({ file, workflowId, covers }) => ({ file, workflowId, covers }));
    writeFileSync(MANIFEST_FILE, JSON.stringify(manifest, null, 2) + '\n');
  } finally {
    await t.close();
    await server.stop();
  }
}

// By hand: `npx ts-node tests/support/record-fixtures.ts v3` (see docs/versioning.md).
if (require.main === module) {
  const version = process.argv[2];
  if (!version || !/^v\d+$/.test(version)) {
    console.error('usage: npx ts-node tests/support/record-fixtures.ts <new history version, e.g. v3>');
    process.exit(2);
  }
  recordVersion(version).then(
    () => console.log(`recorded history version ${version} under tests/fixtures/histories/${version}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
