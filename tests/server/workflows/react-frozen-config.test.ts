/**
 * A ReAct episode runs under the config recorded at its start (issue 17 item 3): every start path
 * (`run`, an eval's child, continue-as-new) records the complete config, so a default changed by
 * the next release never changes, or breaks the replay of, a ReAct episode in flight. The next
 * release is played by a workflow bundle whose `maxTokens` default is 1 instead of 0 (no cap): a
 * workflow that filled that default at run time would stop after its first step on replay.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { DEFAULT_EPISODE_CONFIG } from '../../../src/agent/config';
import { startReact } from '../../../src/client';
import { goldActions, goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { fetchEvalResults, startOrAttachEval } from '../../../src/eval/client';
import { evalEpisodeId } from '../../../src/episode/ids';
import type { ReactResult } from '../../../src/episode/records';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
let changedBundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
beforeAll(async () => {
  t = await connectTestTemporal();
  changedBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../../src/workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    webpackConfigHook: (config) => {
      config.module!.rules!.unshift({
        test: /agent[\\/]config\.ts$/,
        enforce: 'pre',
        use: [
          {
            loader: path.resolve(__dirname, '../../support/changed-default-loader.js'),
            options: { from: 'maxTokens: 0,', to: 'maxTokens: 1,' }, // the next release caps tokens
          },
        ],
      });
      return config;
    },
  });
}, 120_000);
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 0 };
const expert = () => new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), 'chat'));

/** Every run of `workflowId`'s chain, newest last, with the config its start event recorded. */
async function runsOf(client: Client, workflowId: string) {
  const runs: { history: temporal.api.history.v1.IHistory; config: Record<string, unknown> }[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  // Walk back from the latest run through the continued-from links.
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const started: temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes =
      history.events![0]!.workflowExecutionStartedEventAttributes!;
    const input = JSON.parse(Buffer.from(started.input!.payloads![0]!.data!).toString('utf8'));
    runs.unshift({ history, config: input.config as Record<string, unknown> });
    runId = started.continuedExecutionRunId ?? undefined;
  }
  return runs;
}

/** Replays every run of the chain on the changed bundle after checking its input's config is complete. */
async function replaysOnChangedRelease(workflowId: string): Promise<number> {
  const runs = await runsOf(t.client, workflowId);
  for (const { history, config } of runs) {
    for (const key of [...Object.keys(DEFAULT_EPISODE_CONFIG), 'spec']) expect(config).toHaveProperty(key);
    await Worker.runReplayHistory({ workflowBundle: changedBundle }, history, workflowId);
  }
  return runs.length;
}

test('a ReAct episode started by `run` and continued as new replays on a release with a changed default', async () => {
  const taskQueue = queueFor('react-frozen-run');
  const episodeId = `react-frozen-${taskQueue}`;
  // A low event limit makes the episode continue as new after a few steps: its later runs are
  // started by the workflow itself, from the config it runs under.
  const result: ReactResult = await withWorker(t, { taskQueue, llm: expert() }, async () =>
    (await startReact(t.client, { episodeId, taskQueue, config: { spec, historyEventLimit: 100 } })).result(),
  );
  expect(result).toMatchObject({ status: 'env-done', won: true, stepCount: goldActions(spec).length });
  expect(result.runs).toBeGreaterThan(1);
  expect(await replaysOnChangedRelease(episodeId)).toBe(result.runs);
}, 300_000);

test('a ReAct eval episode records its complete config and replays on that release', async () => {
  const taskQueue = queueFor('react-frozen-eval');
  const evalId = `eval-${taskQueue}`;
  await withWorker(t, { taskQueue, llm: expert() }, async () =>
    (
      await startOrAttachEval(
        t.client,
        evalId,
        {
          agent: 'react',
          selection: 'frozen config',
          env: 'builtin',
          config: {},
          episodes: [{ spec, group: spec.task }],
          concurrency: 1,
        },
        taskQueue,
      )
    ).handle.result(),
  );
  const { results } = await fetchEvalResults(t.client, evalId);
  expect(results.outcomes.map((o) => o.status)).toEqual(['env-done']);
  expect(await replaysOnChangedRelease(evalEpisodeId(evalId, 0))).toBe(1);
}, 300_000);

test('control: a ReAct episode recorded with a partial config fails that replay', async () => {
  const taskQueue = queueFor('react-partial-config');
  const workflowId = `react-partial-${taskQueue}`;
  await withWorker(t, { taskQueue, llm: expert() }, async () =>
    t.client.workflow.execute('reactWorkflow', { workflowId, taskQueue, args: [{ config: { spec } }] }),
  );
  const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
  await expect(Worker.runReplayHistory({ workflowBundle: changedBundle }, history, workflowId)).rejects.toThrow(
    DeterminismViolationError,
  );
}, 300_000);
