/**
 * Per-role dataset rows from labelled expert trajectories, as the STEP-HRL reference's
 * `convert_data_memory.py` builds them. Inputs come from the episode core's own call builders
 * (`src/episode/policy-calls.ts`), so a `paper` row's prompt is byte for byte what the policy sends
 * at inference in the same state. Every input holds one step: no row carries more history. Pure.
 *
 * - high: one row per subtask, input at the subtask's start, target = the subtask, reward = the env
 *   rewards inside the subtask on a 0-1 scale (ScienceWorld /100), done = env done at its end.
 * - low: one row per step, target `<action>; True|False` (True only on the subtask's last action),
 *   reward 1 on the subtask's last step, -1 when the env answered "No known action matches that
 *   input.", else 0; done = the subtask's last step.
 * - progress: one row per labelled step (all but the terminal one), target = the stored label, same
 *   reward and done as the low row.
 * - next: the next row's input of the same role in the trajectory, or the reference's placeholder.
 */
import { createHash } from 'node:crypto';
import { withDefaults, type EpisodeConfig } from '../agent/config';
import { formatObservation, observationContext, type ObservationFormat } from '../agent/prompts';
import type { PolicyCallInput, PromptProfile } from '../agent/vocabulary';
import type { EpisodeState } from '../episode/records';
import { highLevelCall, lowLevelCall, progressCall } from '../episode/policy-calls';
import { END_PLACEHOLDERS, feedbackOf, rewardScale, UNKNOWN_ACTION_TEXT } from '../export/training-rows';
import type { LabelledTrajectory, LabelProvenance } from '../episode/dataset-records';

/** The three roles. */
export type DatasetRole = 'high' | 'low' | 'progress';
/** Roles in the order files are written. */
export const DATASET_ROLES: readonly DatasetRole[] = ['high', 'low', 'progress'];
/** Train or held-out dev. */
export type DatasetSplit = 'train' | 'dev';

/** One row of a dataset. */
export interface DatasetRow {
  role: DatasetRole;
  trajectoryId: string;
  env: string;
  /** Task name (ScienceWorld) or task type (ALFWorld). */
  taskName: string;
  split: DatasetSplit;
  subtaskIndex: number;
  stepIndex: number;
  input: PolicyCallInput;
  target: string;
  /** Progress rows: the labeller's raw text (target = it with the empty bookkeeping suffix stripped). */
  rawTarget?: string;
  reward: number;
  /** Env score after the row's step (high: at the subtask's end), on a 0-1 scale. */
  score: number;
  done: boolean;
  next: PolicyCallInput | string;
  provenance: RowProvenance;
}

/**
 * Where a row came from: an expert trajectory (how it was labelled, its sha256 and env versions) or
 * a recorded rollout (its episode id and the export it was read from).
 */
export type RowProvenance =
  | ({ source: 'expert' } & LabelProvenance & { trajectorySha256: string; envVersions: Record<string, string> })
  | { source: 'rollout'; episodeId: string; exportSha256: string; exportFinalHash: string };

/** How rows are rendered. */
export interface RowOptions {
  profile: PromptProfile;
  obs: ObservationFormat;
  /** Fraction of trajectories held out as dev, by trajectory id (variation or game). @default 0.1 */
  devFraction?: number;
}

/**
 * The split of a trajectory: dev when the first 4 bytes of sha256(id), as a fraction of 2^32, fall
 * below `devFraction`. Held out by ScienceWorld variation or ALFWorld game, never by row.
 */
export function splitOf(trajectoryId: string, devFraction: number): DatasetSplit {
  const h = createHash('sha256').update(trajectoryId).digest().readUInt32BE(0);
  return h / 2 ** 32 < devFraction ? 'dev' : 'train';
}

/** Task name of a trajectory: ScienceWorld task, ALFWorld task type (the part before the first `-`). */
export function taskNameOf(t: LabelledTrajectory['trajectory']): string {
  return t.spec.env === 'alfworld' ? t.spec.task.split('/')[0].split('-')[0] : t.spec.task;
}

/** sha256 of a trajectory record's canonical content (its steps and source). */
export function trajectorySha256(t: LabelledTrajectory['trajectory']): string {
  return createHash('sha256')
    .update(JSON.stringify({ id: t.id, spec: t.spec, task: t.task, initial: t.initial, steps: t.steps }))
    .digest('hex');
}

/** The episode config the rows' prompts are built under (the same builders an episode uses). */
export function rowConfig(lt: LabelledTrajectory, options: RowOptions): EpisodeConfig {
  return withDefaults({ spec: lt.trajectory.spec, profile: options.profile, obs: options.obs, highLevelWindow: 0 });
}

/** All rows of one labelled trajectory: high, then low, then progress, each in step order. */
export function trajectoryRows(lt: LabelledTrajectory, options: RowOptions): DatasetRow[] {
  const t = lt.trajectory;
  const config = rowConfig(lt, options);
  const env = t.spec.env;
  const scale = rewardScale(env);
  const split = splitOf(t.id, options.devFraction ?? 0.1);
  const provenance: RowProvenance = {
    source: 'expert',
    ...lt.provenance,
    trajectorySha256: trajectorySha256(t),
    envVersions: t.envVersions,
  };
  const base = { trajectoryId: t.id, env, taskName: taskNameOf(t), split, provenance };
  const last = t.steps.at(-1);
  const placeholder = last?.done
    ? last.won
      ? END_PLACEHOLDERS.won
      : END_PLACEHOLDERS.lost
    : END_PLACEHOLDERS.unfinished;

  const high: Omit<DatasetRow, 'next'>[] = [];
  const low: Omit<DatasetRow, 'next'>[] = [];
  const progress: Omit<DatasetRow, 'next'>[] = [];
  const issued: string[] = [];
  let lastProgress = 'None';
  let step = 0;
  for (const [k, segment] of lt.segments.entries()) {
    const startObs = step === 0 ? t.initial : t.steps[step - 1].observation;
    const state = { task: t.task, subtasks: [...issued], lastProgress, observation: startObs, stepIndex: step };
    const end = t.steps[step + segment.actions.length - 1];
    const inside = t.steps.slice(step, step + segment.actions.length);
    high.push({
      ...base,
      role: 'high',
      subtaskIndex: k,
      stepIndex: step,
      input: highLevelCall(state as EpisodeState, config),
      target: segment.subtask,
      reward: inside.reduce((sum, s) => sum + s.reward, 0) * scale,
      score: end.score * scale,
      done: end.done,
    });
    issued.push(segment.subtask);
    let progressText = 'None';
    let previous: ReturnType<typeof observationContext> | undefined;
    for (const [i, action] of segment.actions.entries()) {
      const before = step === 0 ? t.initial : t.steps[step - 1].observation;
      const after = t.steps[step];
      const obsText = formatObservation(env, before, { format: config.obs, initial: step === 0, previous });
      const nextObsText = formatObservation(env, after.observation, {
        format: config.obs,
        previous: observationContext(before),
      });
      const lastOfSubtask = i === segment.actions.length - 1;
      const reward = feedbackOf(nextObsText) === UNKNOWN_ACTION_TEXT ? -1 : lastOfSubtask ? 1 : 0;
      const at = { ...base, subtaskIndex: k, stepIndex: step, reward, score: after.score * scale, done: lastOfSubtask };
      low.push({
        ...at,
        role: 'low',
        input: lowLevelCall(config, segment.subtask, obsText, before, progressText),
        target: `${action}; ${lastOfSubtask ? 'True' : 'False'}`,
      });
      const label = lt.progress[step];
      if (label) {
        progress.push({
          ...at,
          role: 'progress',
          input: progressCall(config, segment.subtask, progressText, action, nextObsText),
          target: label.label,
          rawTarget: label.raw,
        });
        progressText = label.label;
      }
      previous = observationContext(before);
      step++;
    }
    lastProgress = progressText;
  }
  const linked = (rows: Omit<DatasetRow, 'next'>[]): DatasetRow[] =>
    rows.map((row, i) => ({ ...row, next: rows[i + 1]?.input ?? placeholder }));
  return [...linked(high), ...linked(low), ...linked(progress)];
}

/** The text of a row's input: the raw prompt (paper) or the messages as JSON (chat). */
export function inputText(input: PolicyCallInput | string): string {
  if (typeof input === 'string') return input;
  return input.prompt ?? JSON.stringify(input.messages ?? []);
}
