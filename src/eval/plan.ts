/**
 * What an evaluation plays: the paper's presets or a selection by env, tasks, split and limit,
 * resolved to an ordered episode list. Needs the env server for ScienceWorld variations and
 * ALFWorld games; the built-in env needs nothing.
 */
import { BUILTIN_TASKS } from '../envs/builtin';
import { getScienceWorldVariations, listAlfWorldGames } from '../envs/expert';
import {
  EPISODE_STEP_LIMIT,
  SCIENCEWORLD_ENV_STEP_LIMIT,
  SCIENCEWORLD_PAPER_TASKS,
  SCIENCEWORLD_PAPER_VARIATIONS,
} from '../envs/splits';
import type { EnvKind, EnvSpec } from '../envs/text-env';
import type { EvalPlanEpisode } from '../episode/eval-types';

/** The paper's evaluation splits as presets. */
export const EVAL_PRESETS = {
  'scienceworld-seen': { env: 'scienceworld', split: 'dev', label: 'seen' },
  'scienceworld-unseen': { env: 'scienceworld', split: 'test', label: 'unseen' },
  'alfworld-seen': { env: 'alfworld', split: 'valid_seen', label: 'valid_seen' },
  'alfworld-unseen': { env: 'alfworld', split: 'valid_unseen', label: 'valid_unseen' },
} as const satisfies Record<string, { env: EnvKind; split: string; label: string }>;

/** A preset name. */
export type EvalPresetName = keyof typeof EVAL_PRESETS;

/** Preset names, in the order the CLI lists them. */
export const EVAL_PRESET_NAMES = Object.keys(EVAL_PRESETS) as EvalPresetName[];

/**
 * ScienceWorld variations per task for a selection without `--per-task` or a preset (presets take
 * the paper's own counts per task, {@link SCIENCEWORLD_PAPER_VARIATIONS}).
 */
export const SCIENCEWORLD_VARIATIONS_PER_TASK = 10;

/** A selection: a preset, or an env with optional tasks, split and limits. */
export interface EvalSelection {
  preset?: EvalPresetName;
  env?: EnvKind;
  /** ScienceWorld task names, ALFWorld task types (or game path prefixes), built-in task ids. */
  tasks?: string[];
  /** ScienceWorld `train|dev|test`, ALFWorld `valid_seen|valid_unseen|train_sample`. */
  split?: string;
  /** ScienceWorld variations (built-in: seeds) per task; 0 = all. */
  perTask?: number;
  /** At most this many episodes in all (the first in plan order); 0 = all. */
  limit?: number;
}

/** A resolved plan. */
export interface EvalPlan {
  /** The preset name or a readable description of the selection. */
  selection: string;
  env: EnvKind;
  split?: string;
  /** The paper's step budget for presets; undefined = the episode default. */
  maxSteps?: number;
  episodes: EvalPlanEpisode[];
}

/** Resolves a selection to its episodes, in a stable order (task, then variation or game path). */
export async function resolvePlan(selection: EvalSelection, envServerUrl: () => Promise<string>): Promise<EvalPlan> {
  const preset = selection.preset ? EVAL_PRESETS[selection.preset] : undefined;
  if (selection.preset && !preset) {
    throw new Error(
      `--preset ${JSON.stringify(selection.preset)} is not valid; choose one of: ${EVAL_PRESET_NAMES.join(', ')}`,
    );
  }
  const env = preset?.env ?? selection.env;
  if (!env) throw new Error('choose what to evaluate: --preset <name> or --env <env> (with --tasks/--split/--limit)');
  const split = preset?.split ?? selection.split;
  let episodes: EvalPlanEpisode[];
  if (env === 'builtin') episodes = builtinEpisodes(selection);
  else if (env === 'scienceworld')
    episodes = await scienceWorldEpisodes(selection, split ?? 'dev', await envServerUrl(), Boolean(preset));
  else episodes = await alfWorldEpisodes(selection, split ?? 'valid_seen', await envServerUrl());
  if (selection.limit && selection.limit > 0) episodes = episodes.slice(0, selection.limit);
  if (episodes.length === 0) {
    throw new Error(`the selection (${describe(selection, env, split)}) has no episodes; check --tasks and --split`);
  }
  return {
    selection: selection.preset ?? describe(selection, env, split),
    env,
    ...((preset?.label ?? split) !== undefined && { split: preset?.label ?? split }),
    ...(preset && { maxSteps: EPISODE_STEP_LIMIT }),
    episodes,
  };
}

function describe(selection: EvalSelection, env: EnvKind, split: string | undefined): string {
  const parts: string[] = [env];
  if (selection.tasks?.length) parts.push(`tasks=${selection.tasks.join(',')}`);
  if (split) parts.push(`split=${split}`);
  if (selection.perTask !== undefined) parts.push(`per-task=${selection.perTask}`);
  if (selection.limit) parts.push(`limit=${selection.limit}`);
  return parts.join(' ');
}

function builtinEpisodes(selection: EvalSelection): EvalPlanEpisode[] {
  const tasks = selection.tasks?.length ? selection.tasks : [...BUILTIN_TASKS];
  const unknown = tasks.filter((t) => !BUILTIN_TASKS.includes(t));
  if (unknown.length) {
    throw new Error(
      `--tasks: unknown built-in task(s) ${unknown.join(', ')}; choose from: ${BUILTIN_TASKS.join(', ')}`,
    );
  }
  const seeds = selection.perTask || 1;
  return tasks.flatMap((task) =>
    Array.from({ length: seeds }, (_, variation) => ({
      spec: { env: 'builtin' as const, task, variation },
      group: task,
    })),
  );
}

/**
 * ScienceWorld episodes: per task the first `--per-task` variations of the split, for a preset the
 * paper's count per task and its simulator step limit (the episode's `envStepLimit` option).
 */
async function scienceWorldEpisodes(
  selection: EvalSelection,
  split: string,
  url: string,
  paperProtocol: boolean,
): Promise<EvalPlanEpisode[]> {
  if (!['train', 'dev', 'test'].includes(split)) {
    throw new Error(`--split ${JSON.stringify(split)} is not a ScienceWorld split; choose one of: train, dev, test`);
  }
  const tasks = selection.tasks?.length ? selection.tasks : [...SCIENCEWORLD_PAPER_TASKS];
  const episodes: EvalPlanEpisode[] = [];
  for (const task of tasks) {
    const paperCount = paperProtocol ? SCIENCEWORLD_PAPER_VARIATIONS[task]?.[split as 'dev' | 'test'] : undefined;
    const perTask = selection.perTask ?? paperCount ?? SCIENCEWORLD_VARIATIONS_PER_TASK;
    const variations = await getScienceWorldVariations(url, task, split as 'train' | 'dev' | 'test');
    for (const variation of perTask > 0 ? variations.slice(0, perTask) : variations) {
      const spec: EnvSpec = {
        env: 'scienceworld',
        task,
        variation,
        split,
        ...(paperProtocol && { options: { envStepLimit: SCIENCEWORLD_ENV_STEP_LIMIT } }),
      };
      episodes.push({ spec, group: task });
    }
  }
  return episodes;
}

async function alfWorldEpisodes(selection: EvalSelection, split: string, url: string): Promise<EvalPlanEpisode[]> {
  const games = await listAlfWorldGames(url, split);
  const wanted = selection.tasks ?? [];
  const picked = wanted.length
    ? games.filter((g) => wanted.some((t) => g.taskType === t || g.task.startsWith(t)))
    : games;
  return picked.map((g) => ({ spec: { env: 'alfworld', task: g.task, split: g.split }, group: g.taskType }));
}
