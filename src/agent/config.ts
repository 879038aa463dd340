/**
 * Episode configuration: budgets, prompt profile and decoding parameters. Plain data with defaults
 * (no secrets: model endpoints and keys are worker configuration). Pure, workflow-safe.
 */
import type { EnvSpec, PolicyRole, PromptProfile } from './vocabulary';
import { OBSERVATION_FORMATS, type ObservationFormat } from './observation';

/** Decoding parameters of one role. */
export interface RoleDecoding {
  maxTokens: number;
  temperature: number;
}

/** Everything an episode needs besides its id. */
export interface EpisodeConfig {
  spec: EnvSpec;
  /** @default 'chat' */
  profile: PromptProfile;
  /**
   * How observations appear in prompts: `raw` = the reference's format (Look and Inventory in every
   * ScienceWorld prompt); `compact` = room description and inventory only when they changed or a
   * subtask starts. @default 'raw'
   */
  obs: ObservationFormat;
  /**
   * Bounded high level: the high-level prompt lists only the last N issued subtasks plus a count of
   * the earlier ones; 0 = all (the reference). @default 0 with the `paper` profile,
   * {@link DEFAULT_HIGH_LEVEL_WINDOW} with `chat`
   */
  highLevelWindow: number;
  /** Environment steps per episode (the paper evaluates with 50). @default 50 */
  maxSteps: number;
  /** Subtasks per episode; 0 = no cap. @default 0 */
  maxSubtasks: number;
  /** Steps per subtask; 0 = no cap (the reference has none). @default 0 */
  maxStepsPerSubtask: number;
  /** Total tokens (prompt + completion) per episode; 0 = no cap. @default 0 */
  maxTokens: number;
  /** Extra model calls allowed to repair an unparseable reply (recorded); 0 = reference behaviour. */
  repairAttempts: number;
  /** Continue-as-new once the history has this many events (besides Temporal's own suggestion). */
  historyEventLimit: number;
  /** Re-drives of lost env sessions allowed per episode before it ends with `env-error`. @default 3 */
  maxRedrives: number;
  /**
   * How long an env activity may wait on its pinned worker's queue before the worker's liveness is
   * checked (a ping on `<envQueue>.alive`): a live, busy worker gets the activity scheduled again,
   * a dead one means the session is lost. Short, since waiting here is not a failure. @default 10
   */
  envQueueTimeoutSeconds: number;
  /** How long a liveness ping may wait for the pinned worker before it counts as dead. @default 5 */
  envPingTimeoutSeconds: number;
  /**
   * Steps one subtask child run takes before it returns and the episode starts the next part of the
   * same subtask, so a child's history and result stay within Temporal's limits. @default 100
   */
  maxStepsPerChildRun: number;
  /**
   * How long one model call may keep failing with retryable errors (endpoint down, 5xx, 429,
   * timeouts) before the episode ends with status `llm-error`: the policy activity's
   * schedule-to-close timeout. @default 1800
   */
  llmOutageBudgetSeconds: number;
  /**
   * ReAct's context budget, in prompt characters: past it the transcript drops its oldest turns (as
   * a model's context window forces), keeping the instruction, task and first observation. The
   * default is about 32K tokens, above any 50-step episode's prompt, so it bounds only long
   * episodes (and what each continue-as-new carries). At most {@link MAX_REACT_CONTEXT_CHARS}.
   * @default 131072
   */
  reactContextChars: number;
  decoding: Record<PolicyRole, RoleDecoding>;
}

/**
 * Subtasks the `chat` profile's high level lists by default: a 50-step episode's usually all fit,
 * and a 1,000-step one's prompt stays as large as a 50-step one's.
 */
export const DEFAULT_HIGH_LEVEL_WINDOW = 10;

/** The bounded-high-level default of a profile: off in `paper` (the reference's text), on in `chat`. */
export function defaultHighLevelWindow(profile: PromptProfile): number {
  return profile === 'paper' ? 0 : DEFAULT_HIGH_LEVEL_WINDOW;
}

/** Environment steps per episode: the paper's evaluation budget, and the default everywhere. */
export const DEFAULT_MAX_STEPS = 50;

/** Defaults: the paper's evaluation protocol (50 steps, greedy, 32 tokens for actions/subtasks, 150 for progress). */
export const DEFAULT_EPISODE_CONFIG: Omit<EpisodeConfig, 'spec' | 'highLevelWindow'> = {
  profile: 'chat',
  obs: 'raw',
  maxSteps: DEFAULT_MAX_STEPS,
  maxSubtasks: 0,
  maxStepsPerSubtask: 0,
  maxTokens: 0,
  repairAttempts: 2,
  historyEventLimit: 10_000,
  maxRedrives: 3,
  envQueueTimeoutSeconds: 10,
  envPingTimeoutSeconds: 5,
  maxStepsPerChildRun: 100,
  llmOutageBudgetSeconds: 1800,
  reactContextChars: 131_072,
  decoding: {
    high: { maxTokens: 64, temperature: 0 },
    low: { maxTokens: 64, temperature: 0 },
    progress: { maxTokens: 150, temperature: 0 },
    react: { maxTokens: 96, temperature: 0 },
  },
};

/**
 * Largest accepted `maxSteps`: with {@link EpisodeConfig.maxStepsPerChildRun} parts and
 * continue-as-new every history stays bounded, but the episode's re-drive log (one short entry per
 * step) is carried in its state, so the budget itself is bounded too.
 */
export const MAX_EPISODE_STEPS = 10_000;

/**
 * Largest accepted `reactContextChars`: the transcript window is carried across continue-as-new
 * next to the re-drive log, and together they stay under 1 MB at {@link MAX_EPISODE_STEPS}.
 */
export const MAX_REACT_CONTEXT_CHARS = 262_144;

/** Largest accepted `maxStepsPerChildRun` (about 2 MB of transitions per child result above it). */
export const MAX_STEPS_PER_CHILD_RUN = 500;

/**
 * Problems with a config's bounds, each naming the field and the fix; empty when valid. Pure, so
 * workflows (which fail the episode with these) and the CLI can share it.
 */
export function configProblems(config: EpisodeConfig): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(config.maxSteps) || config.maxSteps < 1 || config.maxSteps > MAX_EPISODE_STEPS)
    problems.push(`maxSteps must be an integer from 1 to ${MAX_EPISODE_STEPS}, got ${config.maxSteps}`);
  if (
    !Number.isInteger(config.maxStepsPerChildRun) ||
    config.maxStepsPerChildRun < 1 ||
    config.maxStepsPerChildRun > MAX_STEPS_PER_CHILD_RUN
  )
    problems.push(
      `maxStepsPerChildRun must be an integer from 1 to ${MAX_STEPS_PER_CHILD_RUN}, got ${config.maxStepsPerChildRun}`,
    );
  if (!OBSERVATION_FORMATS.includes(config.obs))
    problems.push(`obs must be one of ${OBSERVATION_FORMATS.join(', ')}, got ${JSON.stringify(config.obs)}`);
  if (!Number.isInteger(config.highLevelWindow) || config.highLevelWindow < 0)
    problems.push(
      `highLevelWindow must be an integer >= 0 (0 = list every subtask), got ${JSON.stringify(config.highLevelWindow)}`,
    );
  if (
    !Number.isInteger(config.reactContextChars) ||
    config.reactContextChars < 1 ||
    config.reactContextChars > MAX_REACT_CONTEXT_CHARS
  )
    problems.push(
      `reactContextChars must be an integer from 1 to ${MAX_REACT_CONTEXT_CHARS} (prompt characters), got ${JSON.stringify(config.reactContextChars)}`,
    );
  if (!(config.llmOutageBudgetSeconds >= 1))
    problems.push(`llmOutageBudgetSeconds must be at least 1 (seconds), got ${config.llmOutageBudgetSeconds}`);
  return problems;
}

/**
 * Fills defaults, deep enough for `decoding`. Clients call it once at start so the input records
 * the full config; workflows call it again only for inputs recorded before that (a no-op on full ones).
 */
export function withDefaults(config: Partial<EpisodeConfig> & { spec: EnvSpec }): EpisodeConfig {
  const profile = config.profile ?? DEFAULT_EPISODE_CONFIG.profile;
  return {
    ...DEFAULT_EPISODE_CONFIG,
    ...config,
    obs: config.obs ?? DEFAULT_EPISODE_CONFIG.obs,
    highLevelWindow: config.highLevelWindow ?? defaultHighLevelWindow(profile),
    decoding: { ...DEFAULT_EPISODE_CONFIG.decoding, ...(config.decoding ?? {}) },
  };
}

/**
 * The config a workflow runs under: {@link withDefaults}, except that a config recorded before
 * `highLevelWindow` existed keeps the unbounded list it was started with (clients record the full
 * config, so a new episode always carries the window it uses).
 */
export function recordedConfig(config: Partial<EpisodeConfig> & { spec: EnvSpec }): EpisodeConfig {
  return withDefaults({ ...config, highLevelWindow: config.highLevelWindow ?? 0 });
}

/**
 * The complete config an eval shares with its episodes, resolved once at start (as
 * {@link recordedConfig} resolves an episode's): every field present, so episodes started later
 * never pick up a default changed since.
 */
export function resolveSharedConfig(config: Partial<Omit<EpisodeConfig, 'spec'>>): Omit<EpisodeConfig, 'spec'> {
  const { spec: _spec, ...shared } = recordedConfig({ ...config, spec: { env: 'builtin', task: '' } });
  return shared;
}

/** The prompt options of an episode's config (see `buildPolicyCall`). */
export function promptOptionsOf(config: EpisodeConfig): { env: EnvSpec['env']; highLevelWindow: number } {
  return { env: config.spec.env, highLevelWindow: config.highLevelWindow };
}
