/**
 * Per-role dataset rows from a recorded STEP-HRL rollout (an episode read from an audit export),
 * by the rules expert rows follow (`rows.ts`, docs/datasets.md §4): the policy's own subtasks are
 * the high-level targets, its actions with its subtask-done flag the low-level targets, its
 * recorded progress the progress targets. Inputs are built by the episode core's call builders from
 * the observations as the episode's prompts showed them, so a `paper` row's input is the prompt the
 * policy was served (the high level's subtask list as the rows' config windows it). Pure.
 */
import { createHash } from 'node:crypto';
import { promptOptionsOf, withDefaults, type EpisodeConfig } from '../agent/config';
import { buildPolicyCall, formatObservation, type ObservationFormat } from '../agent/prompts';
import type { RecordedTransition } from '../agent/records';
import type { EnvSpec } from '../agent/vocabulary';
import { lowLevelCall, progressCall } from '../episode/policy-calls';
import { END_PLACEHOLDERS, feedbackOf, rewardScale, UNKNOWN_ACTION_TEXT } from '../export/training-rows';
import type { RolloutEpisode } from './rollouts';
import { splitOf, taskNameOf, type DatasetRow, type RowOptions, type RowProvenance } from './rows';
import type { LabelledTrajectory } from '../episode/dataset-records';

/** Trajectory id of a rollout's rows (apart from the expert ids, which name a game or variation). */
export const rolloutTrajectoryId = (episodeId: string) => `rollout/${episodeId}`;

/** The game (or variation) a rollout played, when an expert trajectory of the job played it. */
export interface RolloutMatch {
  /** The expert trajectory id the split is decided by. */
  trajectoryId: string;
  taskName: string;
}

/**
 * An index of the job's expert trajectories by task and first observation (in every observation
 * format), to put a rollout in the split of the game it played.
 */
export function expertIndex(labelled: readonly LabelledTrajectory[]): Map<string, RolloutMatch> {
  const index = new Map<string, RolloutMatch>();
  const formats: ObservationFormat[] = ['raw', 'compact'];
  for (const lt of labelled) {
    const t = lt.trajectory;
    for (const format of formats) {
      const first = formatObservation(t.spec.env, t.initial, { format, initial: true });
      index.set(`${t.task}\u0000${first}`, { trajectoryId: t.id, taskName: taskNameOf(t) });
    }
  }
  return index;
}

/** The task and first observation (as the first prompt showed it) a rollout's episode was started with. */
function firstView(e: RolloutEpisode): { task: string; observation: string } {
  return { task: e.steps[0].task, observation: e.steps[0].observation };
}

/**
 * The key a rollout's split is decided by: the matched expert trajectory's id (so a rollout of a
 * dev game or variation is in dev), else a hash of its task and first observation (so rollouts of
 * one game stay together).
 */
export function rolloutSplitKey(e: RolloutEpisode, index: Map<string, RolloutMatch>): RolloutMatch {
  const { task, observation } = firstView(e);
  const key = `${task}\u0000${observation}`;
  return (
    index.get(key) ?? {
      trajectoryId: `rollout-game/${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}`,
      taskName: 'unmatched',
    }
  );
}

/** The config rollout rows are rendered under: the same as expert rows' (`rowConfig`). */
function rolloutConfig(e: RolloutEpisode, options: RowOptions): EpisodeConfig {
  const spec: EnvSpec = { env: e.env, task: '' };
  return withDefaults({ spec, profile: options.profile, obs: options.obs, highLevelWindow: 0 });
}

/** All rows of one rollout: high, then low, then progress, each in step order. */
export function rolloutRows(e: RolloutEpisode, options: RowOptions, match: RolloutMatch): DatasetRow[] {
  const config = rolloutConfig(e, options);
  const scale = rewardScale(e.env);
  const provenance: RowProvenance = {
    source: 'rollout',
    episodeId: e.episodeId,
    exportSha256: e.exportSha256,
    exportFinalHash: e.exportFinalHash,
  };
  const base = {
    trajectoryId: rolloutTrajectoryId(e.episodeId),
    env: e.env,
    taskName: match.taskName,
    split: splitOf(match.trajectoryId, options.devFraction ?? 0.1),
    provenance,
  };
  const last = e.steps.at(-1)!;
  const placeholder = last.done
    ? last.won
      ? END_PLACEHOLDERS.won
      : END_PLACEHOLDERS.lost
    : END_PLACEHOLDERS.unfinished;

  const groups: RecordedTransition[][] = [];
  for (const s of e.steps) {
    const group = groups.at(-1);
    if (group && group[0].subtaskIndex === s.subtaskIndex) group.push(s);
    else groups.push([s]);
  }
  const high: Omit<DatasetRow, 'next'>[] = [];
  const low: Omit<DatasetRow, 'next'>[] = [];
  const progress: Omit<DatasetRow, 'next'>[] = [];
  let finalProgress = 'None';
  for (const group of groups) {
    const first = group[0];
    const end = group.at(-1)!;
    const record = e.high.get(first.subtaskIndex);
    // What the high level saw when it issued the subtask: its record's subtask list and progress,
    // and the observation as the subtask's first prompt showed it (the record keeps it unformatted).
    high.push({
      ...base,
      role: 'high',
      subtaskIndex: first.subtaskIndex,
      stepIndex: first.stepIndex,
      input: buildPolicyCall(
        {
          role: 'high',
          input: {
            task: first.task,
            subtasks: record?.completedSubtasks ?? first.completedSubtasks,
            lastProgress: record?.lastProgress ?? finalProgress,
            observation: first.observation,
          },
        },
        config.profile,
        config.decoding.high,
        promptOptionsOf(config),
      ),
      target: record?.subtask ?? first.subtask,
      reward: group.reduce((sum, s) => sum + s.reward, 0) * scale,
      score: end.score * scale,
      done: end.done,
    });
    for (const [i, s] of group.entries()) {
      const lastOfSubtask = i === group.length - 1;
      const reward = feedbackOf(s.nextObservation) === UNKNOWN_ACTION_TEXT ? -1 : lastOfSubtask ? 1 : 0;
      const at = { ...base, subtaskIndex: s.subtaskIndex, stepIndex: s.stepIndex, reward, score: s.score * scale };
      low.push({
        ...at,
        role: 'low',
        // Version-1/2 records do not keep the admissible actions the chat profile lists (docs/export-format.md).
        input: lowLevelCall(config, s.subtask, s.observation, { text: '' }, s.progressBefore),
        target: `${s.action}; ${s.subtaskDone ? 'True' : 'False'}`,
        done: lastOfSubtask,
      });
      if (s.progress !== undefined)
        progress.push({
          ...at,
          role: 'progress',
          input: progressCall(config, s.subtask, s.progressBefore, s.action, s.nextObservation),
          target: s.progressAfter,
          done: lastOfSubtask,
        });
    }
    finalProgress = end.progressAfter;
  }
  const linked = (rows: Omit<DatasetRow, 'next'>[]): DatasetRow[] =>
    rows.map((row, i) => ({ ...row, next: rows[i + 1]?.input ?? placeholder }));
  return [...linked(high), ...linked(low), ...linked(progress)];
}
