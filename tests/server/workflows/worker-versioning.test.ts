/**
 * Worker Versioning on the embedded server (issue 17 item 2, docs/versioning.md): two builds of
 * the workflow code, A and B, poll one task queue as versions of one deployment. An episode
 * started while A is current stays PINNED to A (its worker makes every call; its subtask children
 * and continue-as-new runs stay on A too) while B, made current, takes the new episodes. `resume` of an A episode by build B alone
 * is refused in one line that names both builds and the fork that goes on from its recorded
 * steps; `fork --from-step N` onto B completes. Which worker ran what is counted per episode by
 * each worker's policy and read back from the executions' versioning info.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { forkEpisode } from '../../../src/fork/fork';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import type { CallOptions, LlmClient, LlmRequest, LlmResponse } from '../../../src/llm/types';
import { resumeEpisode } from '../../../src/resume';
import { evalTaskQueue } from '../../../src/eval/client';
import { StepHrlBuildId, StepHrlParent } from '../../../src/episode/search-attributes';
import {
  BuildMismatchError,
  buildIdOfCode,
  cliVersioningMode,
  deploymentNameFromEnv,
  isPrivateTaskQueue,
} from '../../../src/versioning';
import { buildIdOfBundle, createStepHrlWorker, DEFAULT_TASK_QUEUE, type StepHrlWorker } from '../../../src/worker';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';
import {
  builtinFactory,
  connectTestTemporal,
  queueFor,
  sharedBundle,
  testAddress,
  type TestTemporal,
} from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 }; // subtasks of 6, 2 and 1 steps
const FIRST_SUBTASK_STEPS = 6;

/**
 * The expert policy of one worker: counts its calls per episode, and for the episodes in `held`
 * holds the second high-level call (subtask 1 recorded, subtask 2 not decided) until released or
 * cancelled.
 */
class CountingExpert implements LlmClient {
  readonly modelId = 'expert';
  readonly calls = new Map<string, number>();
  readonly held = new Set<string>();
  readonly waiting = new Set<string>();
  private readonly highCalls = new Map<string, number>();
  private readonly inner = new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), 'chat'));
  private readonly releases = new Map<string, () => void>();
  async complete(request: LlmRequest, options?: CallOptions): Promise<LlmResponse> {
    const id = options?.episodeId ?? '?';
    this.calls.set(id, (this.calls.get(id) ?? 0) + 1);
    if (request.role === 'high') {
      const n = (this.highCalls.get(id) ?? 0) + 1;
      this.highCalls.set(id, n);
      if (n === 2 && this.held.has(id)) {
        this.waiting.add(id);
        await new Promise<void>((resolve, reject) => {
          this.releases.set(id, resolve);
          options?.signal?.addEventListener('abort', () => reject(new Error('cancelled')), { once: true });
        });
      }
    }
    return this.inner.complete(request);
  }
  release(id: string): void {
    this.held.delete(id);
    this.releases.get(id)?.();
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const taskQueue = queueFor('worker-versioning');
// One deployment for this file alone: its current version holds for every queue of the deployment.
const deploymentName = `t-versioning-${process.pid}-${Date.now()}`;

/** A worker of build `buildId` on the shared queue, its version made current. */
async function versionedWorker(
  buildId: string,
  llm: LlmClient,
): Promise<{ worker: StepHrlWorker; done: Promise<unknown> }> {
  const worker = await createStepHrlWorker({
    connection: t.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await sharedBundle(),
    envFactory: builtinFactory,
    llm,
    buildId,
    versioning: { mode: 'promote', deploymentName },
  });
  return { worker, done: worker.run() };
}

function pinnedTo(d: WorkflowExecutionDescription): { behavior?: unknown; buildId?: string } {
  const info = d.raw.workflowExecutionInfo?.versioningInfo;
  return { behavior: info?.behavior, buildId: info?.deploymentVersion?.buildId ?? undefined };
}
const PINNED = 1; // temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED

/** Ids of the subtask children every run of an episode (continue-as-new chain) started. */
async function childIds(episodeId: string): Promise<string[]> {
  const ids: string[] = [];
  let runId: string | undefined;
  do {
    const events = (await t.client.workflow.getHandle(episodeId, runId).fetchHistory()).events ?? [];
    for (const e of events) {
      const id = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
      if (id) ids.push(id);
    }
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  } while (runId);
  return ids;
}

describe('Worker Versioning on the embedded server', () => {
  const llmA = new CountingExpert();
  const llmB = new CountingExpert();
  let a: { worker: StepHrlWorker; done: Promise<unknown> } | undefined;
  let b: { worker: StepHrlWorker; done: Promise<unknown> } | undefined;
  const inFlight = `ep-${taskQueue}-a`; // started on A, finishes on A while B is current
  const newer = `ep-${taskQueue}-b`; // started once B is current
  const stranded = `ep-${taskQueue}-stranded`; // started on A, left running when A's worker is gone

  afterAll(async () => {
    for (const w of [a, b]) w?.worker.shutdown();
    await Promise.allSettled([a?.done, b?.done]);
    await t.client.workflow
      .getHandle(stranded)
      .terminate('test done')
      .catch(() => undefined);
  });

  test('an episode started on build A keeps running on A while build B takes new episodes', async () => {
    a = await versionedWorker('A', llmA);
    expect(a.worker.version).toEqual({ deploymentName, buildId: 'A' });
    llmA.held.add(inFlight).add(stranded);
    // A small history budget: it continues as new on the way, and the new runs stay on A too.
    const first = await startEpisode(t.client, {
      episodeId: inFlight,
      taskQueue,
      config: { spec, historyEventLimit: 5 },
      buildId: 'A',
    });
    const third = await startEpisode(t.client, { episodeId: stranded, taskQueue, config: { spec }, buildId: 'A' });
    await until(() => llmA.waiting.has(inFlight) && llmA.waiting.has(stranded), 'both A episodes mid-way');

    b = await versionedWorker('B', llmB); // now current: new episodes go to B
    const second = await startEpisode(t.client, { episodeId: newer, taskQueue, config: { spec }, buildId: 'B' });
    expect((await second.result()).won).toBe(true);

    llmA.release(inFlight); // A's episode goes on, on A, with B current
    const firstResult = await first.result();
    expect(firstResult.won).toBe(true);
    expect(firstResult.runs).toBeGreaterThan(1);

    expect(llmA.calls.get(inFlight)).toBeGreaterThan(0);
    expect(llmB.calls.get(inFlight)).toBeUndefined();
    expect(llmB.calls.get(newer)).toBeGreaterThan(0);
    expect(llmA.calls.get(newer)).toBeUndefined();
    expect(llmB.calls.get(stranded)).toBeUndefined();

    expect(pinnedTo(await first.describe())).toEqual({ behavior: PINNED, buildId: 'A' });
    expect(pinnedTo(await second.describe())).toEqual({ behavior: PINNED, buildId: 'B' });
    expect(pinnedTo(await third.describe())).toEqual({ behavior: PINNED, buildId: 'A' });
    const children = await childIds(inFlight);
    expect(children).toHaveLength(3); // one per subtask, across the runs
    for (const child of children)
      expect(pinnedTo(await t.client.workflow.getHandle(child).describe())).toEqual({ behavior: PINNED, buildId: 'A' });
    expect((await first.describe()).typedSearchAttributes.get(StepHrlBuildId)).toEqual(['A']);
    expect((await second.describe()).typedSearchAttributes.get(StepHrlBuildId)).toEqual(['B']);
  }, 180_000);

  test("resume of A's episode by build B alone is refused with the fork hint", async () => {
    a!.worker.shutdown(); // A is gone: its held call is cancelled, the episode waits for an A worker
    await a!.done;
    expect((await t.client.workflow.getHandle(stranded).describe()).status.name).toBe('RUNNING');

    const refusal = resumeEpisode(t.client, stranded, 'B');
    await expect(refusal).rejects.toBeInstanceOf(BuildMismatchError);
    await expect(refusal).rejects.toThrow(
      `episode ${stranded} was started by build A and this is build B, which does not continue it; ` +
        `run \`step-hrl fork ${stranded} --from-step ${FIRST_SUBTASK_STEPS}\``,
    );

    // The CLI says it in one line and exits 1, having started nothing.
    ensureBuilt();
    const run = await runCli(
      ['resume', stranded, '--llm', 'expert'],
      cleanEnv({ TEMPORAL_ADDRESS: testAddress(), STEP_HRL_BUILD_ID: 'B' }),
      90_000,
    );
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/started by build A and this is build B/);
    expect(lines[0]).toContain(`step-hrl fork ${stranded} --from-step ${FIRST_SUBTASK_STEPS}`);
    expect((await t.client.workflow.getHandle(stranded).describe()).status.name).toBe('RUNNING');
  }, 180_000);

  test('fork --from-step onto build B re-drives the recorded prefix and completes on B', async () => {
    const fork = await forkEpisode(t.client, {
      episodeId: stranded,
      fromStep: FIRST_SUBTASK_STEPS + 1, // mid-subtask: the boundary at or before it
      forkId: `${stranded}.fork`,
      taskQueue,
      buildId: 'B',
    });
    expect(fork.fromSubtask).toBe(2);
    expect(fork.prefixSteps).toBe(FIRST_SUBTASK_STEPS);
    const result = await fork.handle.result();
    expect(result.won).toBe(true);
    expect(result.steps).toBeGreaterThan(FIRST_SUBTASK_STEPS); // the prefix, then its own steps
    const description = await fork.handle.describe();
    expect(pinnedTo(description)).toEqual({ behavior: PINNED, buildId: 'B' });
    expect(description.typedSearchAttributes.get(StepHrlBuildId)).toEqual(['B']);
    expect(description.typedSearchAttributes.get(StepHrlParent)).toBe(stranded);
    expect(llmB.calls.get(fork.handle.workflowId)).toBeGreaterThan(0);
    expect(llmA.calls.get(fork.handle.workflowId)).toBeUndefined();
  }, 180_000);

  test("`step-hrl fork --from-step N` (the command the refusal names) completes on the CLI's build", async () => {
    ensureBuilt();
    const forkId = `${stranded}.cli-fork`;
    const run = await runCli(
      ['fork', stranded, '--from-step', String(FIRST_SUBTASK_STEPS), '--id', forkId, '--llm', 'expert'],
      cleanEnv({ TEMPORAL_ADDRESS: testAddress(), STEP_HRL_BUILD_ID: 'B' }),
      120_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/from subtask 2: re-driving 6 recorded steps/);
    const description = await t.client.workflow.getHandle(forkId).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(StepHrlBuildId)).toEqual(['B']);
    expect(description.typedSearchAttributes.get(StepHrlParent)).toBe(stranded);
  }, 180_000);
});

describe('build ids and modes', () => {
  test('the build id is the version and a hash of the bundle, unless STEP_HRL_BUILD_ID sets it', async () => {
    const bundle = await sharedBundle();
    expect(buildIdOfBundle(bundle)).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{16}$/);
    expect(buildIdOfBundle(bundle)).toBe(buildIdOfCode(bundle.code, {}));
    expect(buildIdOfCode(`${bundle.code}\n`, {})).not.toBe(buildIdOfBundle(bundle));
    expect(buildIdOfCode(bundle.code, { STEP_HRL_BUILD_ID: 'mine' })).toBe('mine');
    expect(deploymentNameFromEnv({})).toBe('step-hrl');
    expect(() => deploymentNameFromEnv({ STEP_HRL_DEPLOYMENT_NAME: 'a.b' })).toThrow(/"\."/);
  });

  test('CLI workers: private queues unversioned; shared ones promoted on the embedded server, opt-in on a cluster', () => {
    // `processTaskQueue()` of src/cli/session.ts (the CLI module graph does not load under jest).
    const processTaskQueue = () => `${DEFAULT_TASK_QUEUE}.run.${randomUUID()}`;
    expect(isPrivateTaskQueue(processTaskQueue())).toBe(true);
    expect(isPrivateTaskQueue(evalTaskQueue('eval-1'))).toBe(true);
    expect(isPrivateTaskQueue(DEFAULT_TASK_QUEUE)).toBe(false);
    expect(cliVersioningMode(processTaskQueue(), true, {})).toBe('off');
    expect(cliVersioningMode(processTaskQueue(), false, { STEP_HRL_WORKER_VERSIONING: 'on' })).toBe('off');
    // An eval's queue is shared by the hosts that run it: unversioned unless told, versioned when told.
    expect(cliVersioningMode(evalTaskQueue('eval-1'), true, {})).toBe('off');
    expect(cliVersioningMode(evalTaskQueue('eval-1'), false, { STEP_HRL_WORKER_VERSIONING: 'on' })).toBe('on');
    expect(cliVersioningMode(DEFAULT_TASK_QUEUE, true, {})).toBe('promote');
    expect(cliVersioningMode(DEFAULT_TASK_QUEUE, false, {})).toBe('off');
    expect(cliVersioningMode(DEFAULT_TASK_QUEUE, false, { STEP_HRL_WORKER_VERSIONING: 'on' })).toBe('on');
    expect(cliVersioningMode(DEFAULT_TASK_QUEUE, true, { STEP_HRL_WORKER_VERSIONING: 'off' })).toBe('off');
    expect(() => cliVersioningMode(DEFAULT_TASK_QUEUE, false, { STEP_HRL_WORKER_VERSIONING: 'yes' })).toThrow(
      /off, on or promote/,
    );
  });
});
