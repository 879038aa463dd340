/**
 * The STEP-HRL paper's evaluation protocol: named splits, the episode step budget and the metrics.
 *
 * - ScienceWorld `seen` = the simulator's **dev** variations, `unseen` = its **test** variations,
 *   on the 24 tasks the paper uses (all 30 minus the 3 inclined-plane tasks,
 *   measure-melting-point-unknown-substance and the 2 mendelian-genetics tasks).
 * - ALFWorld `valid_seen` (140 games) / `valid_unseen` (134 games), listed from the data folder.
 * - 50 environment steps per episode.
 * - Metric: mean of max(0, final score) for ScienceWorld (0..100), mean success for ALFWorld.
 */
import { DEFAULT_MAX_STEPS } from '../agent/config';
import { AlfWorldGame, getScienceWorldVariations, listAlfWorldGames } from './expert';
import { EnvSpec } from './text-env';

/** Environment steps per evaluation episode in the paper. */
export const EPISODE_STEP_LIMIT = DEFAULT_MAX_STEPS;

/**
 * The simulator's own step limit in the paper's ScienceWorld evaluation (`ScienceWorldEnv("",
 * envStepLimit=50)`); the env server's default is 100. The simulator ends the episode (`done`) when
 * its step counter reaches it.
 */
export const SCIENCEWORLD_ENV_STEP_LIMIT = 50;

/**
 * Evaluated variations per ScienceWorld task in the paper (the reference's `task_nums.csv`, columns
 * `dev` = seen: 195 in all, `test` = unseen: 211). The reference draws that many at random from the
 * simulator's split without a fixed seed; presets take the first ones, so a preset is reproducible.
 */
export const SCIENCEWORLD_PAPER_VARIATIONS: Readonly<Record<string, { dev: number; test: number }>> = {
  boil: { dev: 7, test: 9 },
  'change-the-state-of-matter-of': { dev: 7, test: 9 },
  'chemistry-mix': { dev: 8, test: 8 },
  'chemistry-mix-paint-secondary-color': { dev: 9, test: 9 },
  'chemistry-mix-paint-tertiary-color': { dev: 9, test: 9 },
  'find-animal': { dev: 10, test: 10 },
  'find-living-thing': { dev: 10, test: 10 },
  'find-non-living-thing': { dev: 10, test: 10 },
  'find-plant': { dev: 10, test: 10 },
  freeze: { dev: 7, test: 9 },
  'grow-fruit': { dev: 10, test: 10 },
  'grow-plant': { dev: 10, test: 10 },
  'identify-life-stages-1': { dev: 3, test: 5 },
  'identify-life-stages-2': { dev: 2, test: 4 },
  'lifespan-longest-lived': { dev: 10, test: 10 },
  'lifespan-longest-lived-then-shortest-lived': { dev: 10, test: 10 },
  'lifespan-shortest-lived': { dev: 10, test: 10 },
  'measure-melting-point-known-substance': { dev: 10, test: 10 },
  melt: { dev: 7, test: 9 },
  'power-component': { dev: 3, test: 5 },
  'power-component-renewable-vs-nonrenewable-energy': { dev: 3, test: 5 },
  'test-conductivity': { dev: 10, test: 10 },
  'test-conductivity-of-unknown-substances': { dev: 10, test: 10 },
  'use-thermometer': { dev: 10, test: 10 },
};

/** ScienceWorld tasks the paper leaves out of evaluation. */
export const SCIENCEWORLD_EXCLUDED_TASKS: readonly string[] = [
  'inclined-plane-determine-angle',
  'inclined-plane-friction-named-surfaces',
  'inclined-plane-friction-unnamed-surfaces',
  'measure-melting-point-unknown-substance',
  'mendelian-genetics-known-plant',
  'mendelian-genetics-unknown-plant',
];

/** All 30 ScienceWorld task names (scienceworld 1.1.3), in task-id order. */
export const SCIENCEWORLD_ALL_TASKS: readonly string[] = [
  'boil', 'melt', 'freeze', 'change-the-state-of-matter-of',
  'use-thermometer', 'measure-melting-point-known-substance', 'measure-melting-point-unknown-substance',
  'power-component', 'power-component-renewable-vs-nonrenewable-energy',
  'test-conductivity', 'test-conductivity-of-unknown-substances',
  'find-living-thing', 'find-non-living-thing', 'find-plant', 'find-animal',
  'grow-plant', 'grow-fruit',
  'chemistry-mix', 'chemistry-mix-paint-secondary-color', 'chemistry-mix-paint-tertiary-color',
  'lifespan-longest-lived', 'lifespan-shortest-lived', 'lifespan-longest-lived-then-shortest-lived',
  'identify-life-stages-1', 'identify-life-stages-2',
  'inclined-plane-determine-angle', 'inclined-plane-friction-named-surfaces', 'inclined-plane-friction-unnamed-surfaces',
  'mendelian-genetics-known-plant', 'mendelian-genetics-unknown-plant',
]; // prettier-ignore

/** The 24 ScienceWorld tasks the paper evaluates on. */
export const SCIENCEWORLD_PAPER_TASKS: readonly string[] = SCIENCEWORLD_ALL_TASKS.filter(
  (t) => !SCIENCEWORLD_EXCLUDED_TASKS.includes(t),
);

/** Named evaluation splits. */
export type EvalSplitName =
  'scienceworld:seen' | 'scienceworld:unseen' | 'alfworld:valid_seen' | 'alfworld:valid_unseen';

/** All named evaluation splits. */
export const EVAL_SPLITS: readonly EvalSplitName[] = [
  'scienceworld:seen',
  'scienceworld:unseen',
  'alfworld:valid_seen',
  'alfworld:valid_unseen',
];

/** Simulator variation split behind each ScienceWorld evaluation split. */
const SCIENCEWORLD_SPLIT = { 'scienceworld:seen': 'dev', 'scienceworld:unseen': 'test' } as const;

/**
 * The episodes of a named split as env specs, in a stable order (task order, then variation /
 * game path). Needs a running env server (variations and games come from the simulator and the
 * data folder).
 */
export async function listSplitSpecs(url: string, split: EvalSplitName): Promise<EnvSpec[]> {
  if (split === 'scienceworld:seen' || split === 'scienceworld:unseen') {
    const simSplit = SCIENCEWORLD_SPLIT[split];
    const specs: EnvSpec[] = [];
    for (const task of SCIENCEWORLD_PAPER_TASKS) {
      for (const variation of await getScienceWorldVariations(url, task, simSplit)) {
        specs.push({ env: 'scienceworld', task, variation, split: simSplit });
      }
    }
    return specs;
  }
  const alfSplit = split === 'alfworld:valid_seen' ? 'valid_seen' : 'valid_unseen';
  const games: AlfWorldGame[] = await listAlfWorldGames(url, alfSplit);
  return games.map((g) => ({ env: 'alfworld', task: g.task, split: g.split }));
}

/** ScienceWorld metric: mean over episodes of max(0, final score), on the 0..100 scale. */
export function scienceWorldMetric(finalScores: readonly number[]): number {
  if (finalScores.length === 0) return 0;
  return finalScores.reduce((s, x) => s + Math.max(0, x), 0) / finalScores.length;
}

/** ALFWorld metric: success rate in 0..1 (an episode succeeds when the game is won). */
export function alfWorldMetric(won: readonly boolean[]): number {
  if (won.length === 0) return 0;
  return won.filter(Boolean).length / won.length;
}
