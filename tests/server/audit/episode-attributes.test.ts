/**
 * Search attributes and memo on the real server (issue 11 item 1): an episode started through the
 * client carries what is known at start and upserts its outcome when it ends, also after
 * continue-as-new and for the ReAct baseline; a fork's parent is set at start; a workflow started
 * without step-hrl's attributes upserts nothing (an unknown attribute would fail its workflow task
 * on a cluster without them). Histories with the new upserts replay on the current code.
 */
import type { TypedSearchAttributes } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { startEpisode, startReact } from '../../../src/client';
import { buildListQuery } from '../../../src/cli/list-query';
import { resumeEpisode } from '../../../src/resume';
import { BuiltinTextEnv, goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import {
  factsOfAttributes,
  StepHrlKind,
  STEP_HRL_SEARCH_ATTRIBUTES,
  SUMMARY_MEMO,
} from '../../../src/episode/search-attributes';
import { episodeWorkflow } from '../../../src/workflows';
import { buildIdOfBundle } from '../../../src/worker';
import { loopingPolicyRules } from '../../support/looping-policy';
import { connectTestTemporal, queueFor, sharedBundle, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const longSpec: EnvSpec = { env: 'builtin', task: 'clean-plate', variation: 2, options: { maxSteps: 1000 } };

async function describe(id: string) {
  const d = await t.client.workflow.getHandle(id).describe();
  return { facts: factsOfAttributes(d.typedSearchAttributes), memo: await d.memo, attributes: d.typedSearchAttributes };
}

async function replays(id: string): Promise<void> {
  const history = await t.client.workflow.getHandle(id).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: await sharedBundle() }, history, id);
}

test('a continued-as-new episode ends with its outcome in search attributes and memo', async () => {
  const taskQueue = queueFor('sa-can');
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(loopingPolicyRules(3));
  const result = await withWorker(t, { taskQueue, llm }, async () => {
    const handle = await startEpisode(t.client, {
      episodeId,
      taskQueue,
      model: 'scripted-looper',
      config: { spec: longSpec, maxSteps: 24, historyEventLimit: 40 },
    });
    expect((await describe(episodeId)).facts.status).toBe('running');
    return handle.result();
  });
  expect(result.runs).toBeGreaterThan(1);
  const expected = {
    kind: 'episode',
    status: 'step-budget',
    env: 'builtin',
    task: 'clean-plate',
    agent: 'step-hrl',
    profile: 'chat',
    model: 'scripted-looper',
    buildId: buildIdOfBundle(await sharedBundle()), // the code of the worker this test runs
    won: false,
    score: result.score,
    steps: 24,
    tokens: result.tokens,
  };
  const { facts, memo } = await describe(episodeId);
  expect(facts).toEqual(expected);
  expect(memo?.[SUMMARY_MEMO]).toEqual(expected);
  await replays(episodeId);

  // `list` shows it once (its continued runs carry the same start attributes but are left out).
  const query = buildListQuery({ task: 'clean-plate', query: `WorkflowId = '${episodeId}'` });
  const rows = async () => {
    const found: string[] = [];
    for await (const info of t.client.workflow.list({ query })) found.push(info.status.name);
    return found;
  };
  const deadline = Date.now() + 30_000;
  let found = await rows();
  while (found[0] !== 'COMPLETED' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    found = await rows();
  }
  expect(found).toEqual(['COMPLETED']);
});

test('a resumed episode starts its new run with the same attributes, running again, then records its end', async () => {
  const taskQueue = queueFor('sa-resume');
  const episodeId = `ep-${taskQueue}`;
  // Started with no worker polling, then terminated: a run that never recorded its end.
  const first = await startEpisode(t.client, {
    episodeId,
    taskQueue,
    model: 'm',
    config: { spec: longSpec, maxSteps: 2 },
  });
  await first.terminate('test: interrupted');
  expect((await describe(episodeId)).facts).toMatchObject({ status: 'running', model: 'm' });
  const llm = new ScriptedLlmClient(loopingPolicyRules(2));
  await withWorker(t, { taskQueue, llm }, async () => {
    const resumed = await resumeEpisode(t.client, episodeId);
    expect(resumed.started).toBe(true);
    expect((await describe(episodeId)).facts).toEqual({
      kind: 'episode',
      status: 'running',
      env: 'builtin',
      task: 'clean-plate',
      agent: 'step-hrl',
      profile: 'chat',
      model: 'm',
      buildId: buildIdOfBundle(await sharedBundle()),
    });
    await resumed.handle.result();
  });
  expect((await describe(episodeId)).facts).toMatchObject({ status: 'step-budget', steps: 2, model: 'm' });
});

test('a ReAct episode, and a fork whose parent is set at start', async () => {
  const spec: EnvSpec = { env: 'builtin', task: 'boil-water' };
  const taskQueue = queueFor('sa-react');
  const reactId = `react-${taskQueue}`;
  const forkId = `fork-${taskQueue}`;
  const llm = new ScriptedLlmClient([...expertPolicyRules(goldSubtasks(spec), 'chat'), ...loopingPolicyRules(2)]);
  await withWorker(t, { taskQueue, llm, envFactory: () => new BuiltinTextEnv() }, async () => {
    const react = await startReact(t.client, { episodeId: reactId, taskQueue, config: { spec, maxSteps: 3 } });
    const fork = await startEpisode(t.client, {
      episodeId: forkId,
      taskQueue,
      parentEpisodeId: reactId,
      config: { spec: longSpec, maxSteps: 2 },
    });
    await Promise.all([react.result(), fork.result()]);
  });
  expect((await describe(reactId)).facts).toMatchObject({ kind: 'episode', agent: 'react', env: 'builtin' });
  expect((await describe(reactId)).facts.status).not.toBe('running');
  expect((await describe(reactId)).facts.steps).toBeGreaterThan(0);
  expect((await describe(forkId)).facts).toMatchObject({
    parentEpisodeId: reactId,
    status: 'step-budget',
    steps: 2,
    won: false,
  });
  await replays(reactId);
});

test('a workflow started without step-hrl attributes upserts none', async () => {
  const taskQueue = queueFor('sa-raw');
  const episodeId = `raw-${taskQueue}`;
  const llm = new ScriptedLlmClient(loopingPolicyRules(2));
  await withWorker(t, { taskQueue, llm }, async () => {
    const handle = await t.client.workflow.start(episodeWorkflow, {
      workflowId: episodeId,
      taskQueue,
      args: [{ config: { spec: longSpec, maxSteps: 2 } }],
    });
    await handle.result();
  });
  const { attributes, memo } = await describe(episodeId);
  const names = (a: TypedSearchAttributes) => a.getAll().map((p) => p.key.name);
  expect(names(attributes).filter((n) => STEP_HRL_SEARCH_ATTRIBUTES.some((k) => k.name === n))).toEqual([]);
  expect(attributes.get(StepHrlKind)).toBeUndefined();
  expect(memo?.[SUMMARY_MEMO]).toBeUndefined();
});
