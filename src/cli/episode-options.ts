/** Turns `run`/`demo` flags into an episode config, with errors that name the flag and the fix. */
import { randomBytes } from 'node:crypto';
import { MAX_EPISODE_STEPS, type EpisodeConfig } from '../agent/config';
import { OBSERVATION_FORMATS, type ObservationFormat } from '../agent/observation';
import type { EnvKind, EnvSpec } from '../envs/text-env';
import { parseLlmChoice, type LlmChoice } from '../llm/select';

/** Raw flags shared by `run` and `demo`. */
export interface EpisodeFlags {
  env: string;
  task: string;
  variation: string;
  split?: string;
  profile: string;
  maxSteps: string;
  maxSubtasks: string;
  maxTokens: string;
  repairAttempts: string;
  llm: string;
  /** `--obs raw|compact` (absent: raw). */
  obs?: string;
  /** `--high-level-window N` (absent: the profile's default). */
  highLevelWindow?: string;
}

/** The prompt-option flags shared by `run` and `eval`, validated; absent flags stay absent. */
export function parsePromptFlags(flags: { obs?: string; highLevelWindow?: string }): {
  obs?: ObservationFormat;
  highLevelWindow?: number;
} {
  return {
    ...(flags.obs !== undefined && { obs: oneOf('--obs', flags.obs, OBSERVATION_FORMATS) }),
    ...(flags.highLevelWindow !== undefined && {
      highLevelWindow: int('--high-level-window', flags.highLevelWindow, 0),
    }),
  };
}

/** Help of `--obs`. */
export const OBS_HELP =
  'observation format: raw (the reference: Look and Inventory every time) | compact (room and inventory only when changed or at a subtask start)';
/** Help of `--high-level-window`. */
export const HIGH_LEVEL_WINDOW_HELP =
  'bounded high level: list only the last N subtasks plus a count of earlier ones; 0 = all (default: chat 10, paper 0)';

const ENVS: readonly EnvKind[] = ['builtin', 'scienceworld', 'alfworld'];

/** Most env steps one episode may take (`--max-steps`): the workflow's own bound, checked early. */
export const MAX_STEPS_LIMIT = MAX_EPISODE_STEPS;

/** Parses an integer flag in a range. @throws naming the flag and the valid range. */
export function int(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new Error(`${flag} ${JSON.stringify(text)} is not valid; pass an integer ${range}`);
  }
  return value;
}

/** Parses a flag with fixed choices. @throws naming the flag and the choices. */
export function oneOf<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if (!choices.includes(text as T)) {
    throw new Error(`${flag} ${JSON.stringify(text)} is not valid; choose one of: ${choices.join(', ')}`);
  }
  return text as T;
}

/** Validated episode config and LLM choice. */
export function parseEpisodeFlags(flags: EpisodeFlags): {
  config: Partial<EpisodeConfig> & { spec: EnvSpec };
  llm: LlmChoice;
} {
  const spec: EnvSpec = {
    env: oneOf('--env', flags.env, ENVS),
    task: flags.task,
    variation: int('--variation', flags.variation, 0),
    ...(flags.split ? { split: flags.split } : {}),
  };
  return {
    config: {
      spec,
      profile: oneOf('--profile', flags.profile, ['chat', 'paper'] as const),
      maxSteps: int('--max-steps', flags.maxSteps, 1, MAX_STEPS_LIMIT),
      maxSubtasks: int('--max-subtasks', flags.maxSubtasks, 0),
      maxTokens: int('--max-tokens', flags.maxTokens, 0),
      repairAttempts: int('--repair-attempts', flags.repairAttempts, 0),
      ...parsePromptFlags(flags),
    },
    llm: parseLlmChoice(flags.llm),
  };
}

/**
 * A readable, unique default episode id: env, task, variation, start time, and a short random
 * suffix so two runs of one task started in the same second do not claim the same id.
 */
export function defaultEpisodeId(spec: EnvSpec): string {
  const task = spec.task
    .split('/')[0]
    .replace(/[^A-Za-z0-9]+/g, '-')
    .slice(0, 60);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${spec.env}-${task}-v${spec.variation ?? 0}-${stamp}-${randomBytes(2).toString('hex')}`;
}
