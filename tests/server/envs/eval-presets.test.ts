/** The paper's presets resolve to the paper's episode counts on the real env server. */
import { resolvePlan } from '../../../src/eval/plan';
import { SCIENCEWORLD_PAPER_TASKS, SCIENCEWORLD_PAPER_VARIATIONS } from '../../../src/envs/splits';
import { useEnvServer } from '../../support/env-server-fixture';

const server = useEnvServer();
const url = async () => server.url;

test('ALFWorld presets: 140 valid_seen and 134 valid_unseen games in 6 task types, 50 steps', async () => {
  const seen = await resolvePlan({ preset: 'alfworld-seen' }, url);
  const unseen = await resolvePlan({ preset: 'alfworld-unseen' }, url);
  expect([seen.episodes.length, unseen.episodes.length]).toEqual([140, 134]);
  expect(new Set(seen.episodes.map((e) => e.group)).size).toBe(6);
  expect(seen.maxSteps).toBe(50);
  expect(new Set(seen.episodes.map((e) => e.spec.task)).size).toBe(140);
  expect(seen.episodes.every((e) => e.spec.split === 'valid_seen')).toBe(true);
}, 120_000);

test('ScienceWorld presets: the 24 paper tasks, the reference dev (195) / test (211) counts, its simulator step limit', async () => {
  const seen = await resolvePlan({ preset: 'scienceworld-seen' }, url);
  const unseen = await resolvePlan({ preset: 'scienceworld-unseen' }, url);
  expect([seen.episodes.length, unseen.episodes.length]).toEqual([195, 211]);
  expect([...new Set(seen.episodes.map((e) => e.group))]).toEqual([...SCIENCEWORLD_PAPER_TASKS]);
  const countPerTask = (plan: typeof seen) =>
    Object.fromEntries(SCIENCEWORLD_PAPER_TASKS.map((t) => [t, plan.episodes.filter((e) => e.group === t).length]));
  const paper = (split: 'dev' | 'test') =>
    Object.fromEntries(SCIENCEWORLD_PAPER_TASKS.map((t) => [t, SCIENCEWORLD_PAPER_VARIATIONS[t]![split]]));
  expect(countPerTask(seen)).toEqual(paper('dev'));
  expect(countPerTask(unseen)).toEqual(paper('test'));
  // The reference's ScienceWorldEnv("", envStepLimit=50), on every preset episode; 50 agent steps.
  expect([...seen.episodes, ...unseen.episodes].every((e) => e.spec.options?.envStepLimit === 50)).toBe(true);
  expect([seen.maxSteps, unseen.maxSteps]).toEqual([50, 50]);
  // boil: dev variations 14..20 (7), test 21..29 (9) in scienceworld 1.1.3.
  expect(seen.episodes.filter((e) => e.group === 'boil').map((e) => e.spec.variation)).toEqual([
    14, 15, 16, 17, 18, 19, 20,
  ]);
  expect(unseen.episodes.filter((e) => e.group === 'boil')).toHaveLength(9);
}, 300_000);

test('a selection: tasks, limit and clear errors', async () => {
  const plan = await resolvePlan({ env: 'scienceworld', tasks: ['melt'], split: 'test', perTask: 3 }, url);
  expect(plan.episodes.map((e) => e.spec.variation)).toEqual([21, 22, 23]);
  expect(plan.episodes.every((e) => e.spec.options === undefined)).toBe(true); // not a preset: server defaults
  const limited = await resolvePlan(
    { env: 'alfworld', split: 'valid_unseen', tasks: ['pick_and_place_simple'], limit: 2 },
    url,
  );
  expect(limited.episodes).toHaveLength(2);
  expect(limited.episodes.every((e) => e.group === 'pick_and_place_simple')).toBe(true);
  await expect(resolvePlan({ env: 'scienceworld', split: 'valid' }, url)).rejects.toThrow(
    /--split "valid" is not a ScienceWorld split/,
  );
  await expect(resolvePlan({ env: 'builtin', tasks: ['nope'] }, url)).rejects.toThrow(/unknown built-in task/);
  await expect(resolvePlan({}, url)).rejects.toThrow(/--preset <name> or --env/);
}, 120_000);
