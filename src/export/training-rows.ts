/**
 * Per-role training rows (high, low, progress) from an episode's steps, as the STEP-HRL reference's
 * `convert_data_memory.py` builds its three datasets: prompt -> target, reward, done, next prompt.
 * Prompts come from the project's own builders (`buildPolicyCall`), so a row's prompt is what the
 * model was served, and the same steps can be rendered in the other profile. Pure.
 */
import type { PolicyCallInput, PromptProfile } from '../activities/types';
import type { EpisodeConfig } from '../agent/config';
import { buildPolicyCall, type RoleInput } from '../agent/prompts';
import type { EnvKind } from '../envs/text-env';
import type { StepView } from './record-fields';

/** The three STEP-HRL roles a dataset holds. */
export type TrainingRole = 'high' | 'low' | 'progress';
/** Every role, in the order rows are written. */
export const TRAINING_ROLES: readonly TrainingRole[] = ['high', 'low', 'progress'];

/** One training example, before it is written in a file format. */
export interface TrainingRow {
  role: TrainingRole;
  episodeId: string;
  subtaskIndex: number;
  /** The step (low, progress) or the subtask's first step (high). */
  stepIndex: number;
  /** The call as the model is served it under the row's profile. */
  call: PolicyCallInput;
  /** What the model should answer, in the profile's output format. */
  target: string;
  reward: number;
  done: boolean;
  /** The next row's call of the same role in the episode, or the reference's end placeholder. */
  next: PolicyCallInput | string;
  /** The low-level reply was unparseable and "None" was sent (the target is then "None"). */
  invalid: boolean;
}

/** The reference's `next_obs` placeholders after a trajectory's last sample. */
export const END_PLACEHOLDERS = {
  won: 'Task successfully finished',
  lost: 'Task failed.',
  unfinished: 'Task not fully completed.',
} as const;

/** The env's answer to an action it does not know (ScienceWorld, built-in): reward -1 in the reference. */
export const UNKNOWN_ACTION_TEXT = 'No known action matches that input.';

/** What the rows of one episode are built from. */
export interface EpisodeSteps {
  steps: readonly StepView[];
  config: Pick<EpisodeConfig, 'spec' | 'decoding'> & Partial<Pick<EpisodeConfig, 'highLevelWindow'>>;
  profile: PromptProfile;
}

/** Env rewards on a 0-100 scale are divided by 100, as the reference does for ScienceWorld. */
export function rewardScale(env: EnvKind): number {
  return env === 'alfworld' ? 1 : 1 / 100;
}

/** The step feedback inside a formatted observation (`\nObs: <text>\nLook: ...` or ALFWorld's `<text> <room>\n`). */
export function feedbackOf(formatted: string): string {
  const match = /^\nObs: ([\s\S]*?)\nLook: /.exec(formatted);
  return match ? match[1] : formatted.trim();
}

/** The target text a profile's parser reads back. */
function target(profile: PromptProfile, which: RoleInput['role'], step: StepView): string {
  if (which === 'high') return profile === 'paper' ? step.subtask : JSON.stringify({ subtask: step.subtask });
  if (which === 'low')
    return profile === 'paper'
      ? `${step.action}; ${step.subtaskDone ? 'True' : 'False'}`
      : JSON.stringify({ action: step.action, subtask_done: step.subtaskDone });
  return profile === 'paper' ? step.progressAfter : JSON.stringify({ progress: step.progressAfter });
}

/** Rows of one episode, grouped by role (high, low, progress), each group in step order. */
export function episodeTrainingRows({ steps, config, profile }: EpisodeSteps): TrainingRow[] {
  const ordered = [...steps].sort((a, b) => a.stepIndex - b.stepIndex);
  if (ordered.length === 0) return [];
  const options = { env: config.spec.env, highLevelWindow: config.highLevelWindow };
  const build = (which: RoleInput) => buildPolicyCall(which, profile, config.decoding[which.role], options);
  const last = ordered.at(-1)!;
  const placeholder = last.done
    ? last.won
      ? END_PLACEHOLDERS.won
      : END_PLACEHOLDERS.lost
    : END_PLACEHOLDERS.unfinished;
  const scale = rewardScale(config.spec.env);

  // Subtask boundaries: the steps of each subtask, in order.
  const subtasks: StepView[][] = [];
  for (const step of ordered) {
    const group = subtasks.at(-1);
    if (group && group[0].subtaskIndex === step.subtaskIndex) group.push(step);
    else subtasks.push([step]);
  }
  const lastOfSubtask = new Set(subtasks.map((group) => group.at(-1)!));

  const high = subtasks.map((group, k): Omit<TrainingRow, 'next'> => {
    const first = group[0];
    const end = group.at(-1)!;
    const previous = k > 0 && subtasks[k - 1][0].subtaskIndex === first.subtaskIndex - 1 ? subtasks[k - 1] : undefined;
    return {
      role: 'high',
      episodeId: first.episodeId,
      subtaskIndex: first.subtaskIndex,
      stepIndex: first.stepIndex,
      // The high level saw the final progress of the subtask before (None for the first or an empty one).
      call: build({
        role: 'high',
        input: {
          task: first.task,
          subtasks: first.completedSubtasks,
          lastProgress: previous?.at(-1)!.progressAfter ?? 'None',
          observation: first.observation,
        },
      }),
      target: target(profile, 'high', first),
      reward: group.reduce((sum, s) => sum + s.reward, 0) * scale,
      done: end.done,
      invalid: false,
    };
  });

  // Low and progress share the reference's reward: 1 when the subtask is completed on this step,
  // -1 for an action the env did not know, else 0; done on the subtask's last step.
  const stepReward = (s: StepView) =>
    s.invalid || feedbackOf(s.nextObservation) === UNKNOWN_ACTION_TEXT
      ? -1
      : lastOfSubtask.has(s) && (s.subtaskDone || s.won)
        ? 1
        : 0;
  const low = ordered.map((s): Omit<TrainingRow, 'next'> => ({
    role: 'low',
    episodeId: s.episodeId,
    subtaskIndex: s.subtaskIndex,
    stepIndex: s.stepIndex,
    call: build({ role: 'low', input: { subtask: s.subtask, observation: s.observation, progress: s.progressBefore } }),
    target: target(profile, 'low', s),
    reward: stepReward(s),
    done: lastOfSubtask.has(s),
    invalid: s.invalid,
  }));
  const progress = ordered
    .filter((s) => s.progressUpdated)
    .map((s): Omit<TrainingRow, 'next'> => ({
      role: 'progress',
      episodeId: s.episodeId,
      subtaskIndex: s.subtaskIndex,
      stepIndex: s.stepIndex,
      call: build({
        role: 'progress',
        input: {
          subtask: s.subtask,
          previousProgress: s.progressBefore,
          action: s.action,
          observation: s.nextObservation,
        },
      }),
      target: target(profile, 'progress', s),
      reward: stepReward(s),
      done: lastOfSubtask.has(s),
      invalid: s.invalid,
    }));
  const linked = (rows: Omit<TrainingRow, 'next'>[]): TrainingRow[] =>
    rows.map((row, i) => ({ ...row, next: rows[i + 1]?.call ?? placeholder }));
  return [...linked(high), ...linked(low), ...linked(progress)];
}
