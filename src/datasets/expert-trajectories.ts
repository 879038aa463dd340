/**
 * Expert trajectories for the datasets: which specs to label (ScienceWorld train variations of the
 * paper's tasks, capped per task; ALFWorld games of any split folder), and the replay of each
 * expert action sequence through the env server, recording every observation, reward and score.
 * A replay that does not reach the recorded end (a win) is dropped with its reason; actions after the
 * win (ScienceWorld gold paths often hold some) are left out and counted in the trajectory's source.
 */
import { createHash } from 'node:crypto';
import { getExpertActions, getScienceWorldVariations, listAlfWorldGames } from '../envs/expert';
import { createHttpTextEnv } from '../envs/http-text-env';
import { SCIENCEWORLD_PAPER_TASKS } from '../envs/splits';
import type { EnvSpec, Observation } from '../envs/text-env';
import {
  DATASET_RECORD_VERSION,
  type DroppedTrajectory,
  type ExpertSourceKind,
  type ExpertTrajectory,
  type TrajectoryStep,
} from '../episode/dataset-records';

/**
 * Train variations per ScienceWorld task when no cap is given: the first 10 of the simulator's
 * `train` split, in its order (the reference samples at random without a seed; a prefix is
 * reproducible). Set `capPerTask: 0` for all of them.
 */
export const DEFAULT_SCIENCEWORLD_CAP_PER_TASK = 10;

/** What to collect. */
export type { ExpertSelection } from '../episode/labelling-records';
import type { ExpertSelection } from '../episode/labelling-records';

/** Stable id of a spec's trajectory. */
export function trajectoryId(spec: EnvSpec): string {
  if (spec.env === 'scienceworld') return `scienceworld/${spec.task}/${spec.variation ?? 0}`;
  const task = spec.split && !spec.task.startsWith(`${spec.split}/`) ? `${spec.split}/${spec.task}` : spec.task;
  return `${spec.env}/${task}`;
}

/** The specs a selection covers, in a stable order (task order then variation; game path). */
export async function listExpertSpecs(url: string, selection: ExpertSelection): Promise<EnvSpec[]> {
  if (selection.env === 'scienceworld') {
    const split = selection.split ?? 'train';
    const cap = selection.capPerTask ?? DEFAULT_SCIENCEWORLD_CAP_PER_TASK;
    const specs: EnvSpec[] = [];
    for (const task of selection.tasks ?? SCIENCEWORLD_PAPER_TASKS) {
      const variations = await getScienceWorldVariations(url, task, split);
      for (const variation of cap > 0 ? variations.slice(0, cap) : variations)
        specs.push({ env: 'scienceworld', task, variation, split });
    }
    return specs;
  }
  const games = await listAlfWorldGames(url, selection.split);
  const specs = games.map((g): EnvSpec => ({ env: 'alfworld', task: g.task, split: g.split }));
  return selection.limit !== undefined ? specs.slice(0, selection.limit) : specs;
}

/** sha256 (hex) of an action sequence, one action per line. */
export function actionsSha256(actions: readonly string[]): string {
  return createHash('sha256').update(actions.join('\n')).digest('hex');
}

/** Keeps what prompts use of an observation (the admissible-action lists are large and unused). */
function kept(o: Observation): Observation {
  return {
    text: o.text,
    ...(o.look !== undefined && { look: o.look }),
    ...(o.inventory !== undefined && { inventory: o.inventory }),
  };
}

/** Result of one replay: the trajectory, or why it was dropped. */
export type ReplayResult = { ok: true; trajectory: ExpertTrajectory } | { ok: false; dropped: DroppedTrajectory };

/**
 * Gets the expert actions of `spec` from the env server and replays them in a fresh session.
 * Dropped (never thrown) when the sequence is empty, the env ends the episode before the last
 * action, or the last action does not win; env errors other than a bad spec propagate, so a
 * caller's retry policy sees them.
 */
export async function collectExpertTrajectory(url: string, spec: EnvSpec): Promise<ReplayResult> {
  return replayExpertActions(url, spec, await getExpertActions(url, spec));
}

/** Replays a given expert action sequence for `spec` (see {@link collectExpertTrajectory}). */
export async function replayExpertActions(
  url: string,
  spec: EnvSpec,
  actions: readonly string[],
): Promise<ReplayResult> {
  const id = trajectoryId(spec);
  const kind: ExpertSourceKind = spec.env === 'scienceworld' ? 'scienceworld-gold' : 'alfworld-walkthrough';
  const drop = (reason: string, detail: string): ReplayResult => ({
    ok: false,
    dropped: { id, stage: 'replay', reason, detail },
  });
  if (actions.length === 0) return drop('no-expert-actions', 'the env server gave an empty expert sequence');
  // The simulator's own step limit must not end a long gold path early.
  const replaySpec: EnvSpec =
    spec.env === 'scienceworld'
      ? { ...spec, options: { ...spec.options, envStepLimit: Math.max(100, actions.length + 1) } }
      : spec;
  const env = createHttpTextEnv(spec.env as 'scienceworld' | 'alfworld', { url });
  try {
    const reset = await env.reset(replaySpec);
    const envVersions = (await env.versions?.()) ?? {};
    const steps: TrajectoryStep[] = [];
    for (const [i, action] of actions.entries()) {
      const r = await env.step(action, { stepIndex: i });
      steps.push({
        action,
        observation: kept(r.observation),
        reward: r.reward,
        score: r.score,
        done: r.done,
        won: r.won,
      });
      // ScienceWorld gold paths often hold a few actions after the win (the simulator ends the
      // episode there): the trajectory ends at the win. Ending before the last action any other way
      // means the replay diverged.
      if (r.done && r.won) break;
      if (r.done && i < actions.length - 1)
        return drop(
          'ended-early',
          `the env ended the episode after action ${i + 1} of ${actions.length} (score ${r.score})`,
        );
    }
    const last = steps.at(-1)!;
    if (!last.won)
      return drop(
        'not-won',
        `after all ${actions.length} expert actions the score is ${last.score} and the task is not won`,
      );
    return {
      ok: true,
      trajectory: {
        version: DATASET_RECORD_VERSION,
        id,
        spec,
        task: reset.taskDescription,
        initial: kept(reset.observation),
        steps,
        envVersions,
        source: {
          kind,
          actionsSha256: actionsSha256(actions),
          ...(steps.length < actions.length && { actionsAfterWin: actions.length - steps.length }),
        },
      },
    };
  } finally {
    await env.close();
  }
}
