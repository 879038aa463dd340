/**
 * Dataset rows are the prompts the `paper` policy sends at inference (issue 18 item 5, "Must show"):
 * for real episodes — ALFWorld and ScienceWorld, on a real Temporal server, env server and
 * OpenAI-compatible endpoint — whose policy answers each prompt with the dataset's target for that
 * exact prompt, every high, low and progress prompt the episode sent is byte-equal to the
 * dataset's input at the same position, and the episode replays the expert to a win.
 */
import { labelByRules } from '../../../src/datasets/label';
import { collectExpertTrajectory, listExpertSpecs } from '../../../src/datasets/expert-trajectories';
import { trajectoryRows, type DatasetRow } from '../../../src/datasets/rows';
import type { ExpertTrajectory } from '../../../src/episode/dataset-records';
import { fetchEpisodeRecord, startEpisode } from '../../../src/client';
import { isCompleteTransition } from '../../../src/agent/records';
import { connectEnvServer, type EnvServerHandle } from '../../../src/envs/env-server';
import { createHttpTextEnv } from '../../../src/envs/http-text-env';
import { OpenAiLlmClient } from '../../../src/llm/openai-client';
import { mockConfig, TEST_KEY } from '../../support/mock-config';
import { MockOpenAiServer } from '../../support/mock-openai-server';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

jest.setTimeout(600_000);

let env: EnvServerHandle;
let t: TestTemporal;
beforeAll(async () => {
  env = await connectEnvServer();
  t = await connectTestTemporal();
}, 180_000);
afterAll(async () => {
  await t?.close();
  await env?.stop();
});

async function sample(): Promise<ExpertTrajectory[]> {
  const specs = [
    ...(await listExpertSpecs(env.url, { env: 'alfworld', split: 'train_sample' })).filter((_s, i) => i % 20 === 7),
    (await listExpertSpecs(env.url, { env: 'alfworld', split: 'valid_unseen', limit: 1 }))[0],
    ...(await listExpertSpecs(env.url, { env: 'scienceworld', tasks: ['find-plant'], capPerTask: 1 })),
  ];
  const out: ExpertTrajectory[] = [];
  for (const spec of specs) {
    const r = await collectExpertTrajectory(env.url, spec);
    if (!r.ok) throw new Error(`${r.dropped.id}: ${r.dropped.detail}`);
    out.push(r.trajectory);
  }
  return out;
}

test('paper rows are byte-equal to the prompts real episodes send', async () => {
  const trajectories = await sample();
  expect(trajectories.map((x) => x.spec.env)).toEqual(['alfworld', 'alfworld', 'alfworld', 'alfworld', 'scienceworld']);
  for (const traj of trajectories) {
    const rows = trajectoryRows(labelByRules(traj), { profile: 'paper', obs: 'raw' });
    // The policy answers a prompt with the dataset's target for it (in order, if a prompt repeats).
    const answers = new Map<string, string[]>();
    for (const row of rows) answers.set(row.input.prompt!, [...(answers.get(row.input.prompt!) ?? []), row.target]);
    const mock = await MockOpenAiServer.start({
      apiKey: TEST_KEY,
      responder: ({ prompt }) => answers.get(prompt)?.shift() ?? 'NOT IN THE DATASET',
    });
    try {
      const taskQueue = queueFor(`inference-prompts-${traj.id}`);
      const episodeId = `ep-${taskQueue}`;
      const result = await withWorker(
        t,
        {
          taskQueue,
          llm: new OpenAiLlmClient(mockConfig(mock.baseURL)),
          envFactory: (spec) => createHttpTextEnv(spec.env as 'alfworld' | 'scienceworld', { url: env.url }),
        },
        async () =>
          (
            await startEpisode(t.client, {
              episodeId,
              taskQueue,
              config: {
                spec: traj.spec,
                profile: 'paper',
                obs: 'raw',
                highLevelWindow: 0,
                maxSteps: traj.steps.length + 5,
              },
            })
          ).result(),
      );
      expect(result).toMatchObject({ won: true });
      const record = await fetchEpisodeRecord(t.client, episodeId);
      const transitions = record.transitions.filter(isCompleteTransition);
      const sent = {
        high: record.highLevel.map((h) => h.call!.prompt),
        low: transitions.map((tr) => tr.low.prompt),
        progress: transitions.flatMap((tr) => (tr.progress ? [tr.progress.prompt] : [])),
      };
      const inputs = (role: DatasetRow['role']) => rows.filter((r) => r.role === role).map((r) => r.input.prompt);
      expect(sent.high).toEqual(inputs('high'));
      expect(sent.low).toEqual(inputs('low'));
      expect(sent.progress).toEqual(inputs('progress'));
    } finally {
      await mock.stop();
    }
  }
});
