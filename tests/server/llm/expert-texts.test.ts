/**
 * The scripted expert writes texts like the reference's labels and within its generation caps: a
 * subtask within 32 tokens and a local progress within 150 (counted with the project's tokenizer),
 * on every ALFWorld task type and several ScienceWorld gold paths, played teacher-forced through
 * the real prompt builders on the real env server's observations, and the expert still follows the
 * gold path to the win.
 */
import { countTokens } from '../../../src/agent/tokens';
import { listAlfWorldGames, type AlfWorldGame } from '../../../src/envs/expert';
import type { EnvSpec } from '../../../src/envs/text-env';
import { SUBTASK_TOKEN_CAP, segmentByMoves } from '../../../src/llm/expert-plan';
import { forcedStepHrl, recordExpertTrajectory } from '../../../bench/support/teacher-forced';
import { useEnvServer } from '../../support/env-server-fixture';

const PROGRESS_TOKEN_CAP = 150;
const server = useEnvServer();

const SCIENCEWORLD: EnvSpec[] = ['boil', 'use-thermometer', 'test-conductivity', 'find-living-thing', 'melt'].map(
  (task) => ({ env: 'scienceworld', task, variation: 0 }),
);

async function oneGamePerTaskType(): Promise<AlfWorldGame[]> {
  const byType = new Map<string, AlfWorldGame>();
  for (const g of await listAlfWorldGames(server.url, 'valid_seen'))
    if (!byType.has(g.taskType)) byType.set(g.taskType, g);
  return [...byType.values()];
}

async function checkSpec(spec: EnvSpec): Promise<void> {
  const traj = await recordExpertTrajectory(server.url, spec);
  expect(traj.steps.at(-1)).toMatchObject({ won: true });
  for (const profile of ['paper', 'chat'] as const) {
    const run = await forcedStepHrl(traj, { profile });
    expect(run.actions).toEqual(traj.steps.map((s) => s.action)); // the expert still plays the gold path
    expect(run.subtasks).toEqual(traj.plan.map((p) => p.subtask));
    const longSubtasks = run.subtasks.filter((s) => countTokens(s) > SUBTASK_TOKEN_CAP);
    const longProgress = run.progressTexts.filter((p) => countTokens(p) > PROGRESS_TOKEN_CAP);
    expect({ task: spec.task, longSubtasks, longProgress }).toEqual({
      task: spec.task,
      longSubtasks: [],
      longProgress: [],
    });
  }
  // Reference style: a short imperative label, not the leg's actions strung together.
  for (const { subtask, actions } of traj.plan) {
    expect(subtask).toMatch(/^[A-Z]/);
    if (actions.length > 1) expect(subtask).not.toBe(actions.join(', then '));
  }
}

describe('scripted expert texts fit the reference caps', () => {
  test('every ALFWorld task type (valid_seen)', async () => {
    const games = await oneGamePerTaskType();
    expect(games).toHaveLength(6);
    for (const g of games) await checkSpec({ env: 'alfworld', task: g.task, split: g.split });
  }, 900_000);

  test.each(SCIENCEWORLD)('ScienceWorld $task variation $variation', async (spec) => checkSpec(spec), 600_000);

  test('labels: where the leg goes, then the first and last thing done there; repeats of a different leg get an ordinal', () => {
    const plan = segmentByMoves([
      'look around',
      'go to kitchen',
      'pick up thermometer',
      'look at thermometer',
      'focus on thermometer',
      'go to hallway',
      'go to kitchen',
      'look around',
      'pick up thermometer',
      'focus on thermometer',
    ]);
    expect(plan.map((p) => p.subtask)).toEqual([
      'Look around',
      'Go to kitchen and pick up thermometer, then focus on thermometer',
      'Go to hallway',
      'Go to kitchen and pick up thermometer, then focus on thermometer (2)',
    ]);
  });
});
