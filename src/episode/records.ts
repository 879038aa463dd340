/**
 * The persisted records of an episode, for both agent kinds: what a workflow takes as input,
 * carries over continue-as-new and returns. Type-only, so workflows, record readers, the CLI, eval
 * and fork share them without importing a workflow file.
 */
import type { RecordedStep, RedriveLog } from '../activities/types';
import type { EpisodeConfig } from '../agent/config';
import type { LowDecision, ObservationContext } from '../agent/prompts';
import type { ReactTurn } from '../agent/prompts/react';
import type { AugmentedTransition, CallRecord, EpisodeStatus, SubtaskStatus } from '../agent/records';
import type { EnvSpec, Observation } from '../agent/vocabulary';
import type { LevelTokens } from './eval-types';
import type { LevelTokenTotals } from './level-tokens';

/** Bounded state that survives continue-as-new. */
export interface EpisodeState {
  task: string;
  envQueue: string;
  subtasks: string[];
  lastProgress: string;
  observation: Observation;
  stepIndex: number;
  score: number;
  won: boolean;
  tokens: number;
  /** Tokens actually spent (response-cache hits cost none). */
  spentTokens: number;
  /** Actions + observation hashes of every step so far: what a re-drive replays (`src/episode/redrive-log.ts`). */
  log: RedriveLog;
  resetObsHash: string;
  /** Number of workflow runs so far (continue-as-new count + 1). */
  runs: number;
  /** Re-drives so far (absent in states saved before this field existed). */
  redrives?: number;
  /** Hosts of the env workers that held the session, in order: the reset's, then each re-drive's. */
  envHosts?: string[];
  /** Env package versions reported at reset. */
  envVersions?: Record<string, string>;
  /** Recorded calls and tokens per level (absent in states saved before this field existed). */
  levels?: LevelTokenTotals;
  /**
   * Set by `resume` (see `src/resume.ts`): this run continues a failed or terminated one from its
   * recorded prefix, so it first re-drives a fresh env session through `log`.
   */
  needsRedrive?: boolean;
  /** The prefix ended with the env done (the old run stopped before closing). */
  envDone?: boolean;
  /** 0 for the episode's first run chain, +1 per resume. */
  generation?: number;
  /**
   * The run this one was resumed from and how many subtasks of it form the prefix of the record;
   * `episodeId` is set when that run belongs to another episode (a fork's parent).
   */
  resumedFrom?: { runId: string; subtasks: number; episodeId?: string };
}

/** The episode run a fork continues from (`step-hrl fork`): its state before subtask `fromSubtask`. */
export interface ForkOf {
  episodeId: string;
  /** The parent's latest run when the fork was made (its record is read from there). */
  runId: string;
  /** 1-based, as `show` numbers subtasks: the fork re-decides this subtask and keeps the ones before. */
  fromSubtask: number;
}

/** Input of the episode workflow. */
export interface EpisodeInput {
  config: Partial<EpisodeConfig> & { spec: EnvSpec };
  /** Set only by continue-as-new, `resume` and `fork`. */
  state?: EpisodeState;
  /** Set by `fork`: the episode this one branched from (read by the record, not by the workflow). */
  forkOf?: ForkOf;
}

/** Final record of an episode (transitions live in the subtask workflows' results). */
export interface EpisodeResult {
  episodeId: string;
  status: EpisodeStatus;
  task: string;
  subtasks: string[];
  steps: number;
  score: number;
  won: boolean;
  /** Tokens of every recorded call (what the decisions cost when they were made). */
  tokens: number;
  /** Tokens this execution actually spent: 0 for a re-run served from the response cache. */
  spentTokens: number;
  /**
   * Recorded calls and tokens per level (high, low, progress). Counted from this episode's runs;
   * a run resumed from a prefix counts only from the prefix on.
   */
  tokensByLevel: LevelTokenTotals;
  runs: number;
  redrives: number;
  /** Hosts of the env workers that held the session, in order (absent when unknown). */
  envHosts?: string[];
  /** Versions of the env packages the episode ran on (e.g. scienceworld, alfworld, textworld). */
  envVersions: Record<string, string>;
  error?: string;
  /** Set on a fork: its first subtasks are the parent's recorded prefix. */
  forkOf?: ForkOf;
}

/** Input of the subtask workflow: bounded episode context plus where to resume. */
export interface SubtaskInput {
  episodeId: string;
  config: EpisodeConfig;
  envQueue: string;
  task: string;
  subtaskIndex: number;
  subtask: string;
  /** Subtasks issued before this one. */
  completedSubtasks: string[];
  /** Local progress to start from ("None" for a fresh subtask). */
  progress: string;
  observation: Observation;
  /** Episode step index of the next env step. */
  stepIndex: number;
  /** Steps already taken inside this subtask (a continuation after a re-drive). */
  stepsInSubtask: number;
  /** Tokens spent by the episode before this child. */
  tokensBefore: number;
  score: number;
  /** A low-level decision made before the session was lost; used instead of asking the model again. */
  pending?: PendingDecision;
  /**
   * The high-level call that issued this subtask, recorded here (first part only) so the record
   * reader can rebuild the high-level transition; the child itself does not use it.
   */
  highCall?: CallRecord;
  /**
   * The last progress the high-level call showed; set when `highCall` holds its prompt by hash
   * (readers render the prompt again from this input, see `highCallOf`).
   */
  lastProgress?: string;
  /**
   * Look and inventory of the observation before `observation` in this subtask (a later part of a
   * long subtask); absent when the subtask starts. The `compact` format shows what changed.
   */
  previous?: ObservationContext;
}

/** A decided but not yet applied low-level step. */
export interface PendingDecision {
  decision?: LowDecision;
  record: CallRecord;
}

/**
 * Why a subtask child run returned: a {@link SubtaskStatus}, or `part-limit` when it took
 * `maxStepsPerChildRun` steps and the episode must start the next part of the same subtask.
 */
export type SubtaskRunStatus = SubtaskStatus | 'part-limit';

/** What a subtask returns to the high level. */
export interface SubtaskOutcome {
  status: SubtaskRunStatus;
  transitions: AugmentedTransition[];
  /** Actions and observation hashes, appended to the episode's re-drive log. */
  steps: RecordedStep[];
  finalProgress: string;
  observation: Observation;
  stepIndex: number;
  stepsInSubtask: number;
  score: number;
  won: boolean;
  envDone: boolean;
  tokens: number;
  /** Tokens actually spent (response-cache hits cost none). */
  spentTokens: number;
  /** Set with status `session-lost` when the lost step's decision was already made. */
  pending?: PendingDecision;
  /** Set with status `llm-error`: why the model could not be called. */
  error?: string;
  /** Look and inventory of the observation before `observation` (passed to the next part). */
  previous?: ObservationContext;
  /**
   * True when the transitions leave out what the child's input and the previous transition hold
   * (see `outcome-compaction.ts`); readers expand them with `expandOutcome`.
   */
  compacted?: boolean;
}

/**
 * What a subtask child run returns to the episode (0.2.0 on): what the episode needs to go on,
 * without the transitions. They are recorded once, by the child's own history (each policy call's
 * input and result, each env step's input and result), and readers rebuild them from it
 * (`rebuildTransitions`, `src/episode/subtask-replay.ts`), so a step is no longer stored again in
 * the child's result and in the episode's history. Results recorded before hold `transitions`
 * ({@link SubtaskOutcome}).
 */
export interface SubtaskPartResult extends Omit<SubtaskOutcome, 'transitions' | 'compacted'> {
  /** Marks a result whose transitions are read from the child's history events. */
  record: 'events';
  /** Calls and tokens of this run per level (low, progress): what the episode counts. */
  levels: LevelTokenTotals;
  /**
   * Set when the run's last step kept its progress unchanged because the progress call after it
   * did not finish (LLM outage, cancel): readers then leave any reply of that call out, as the run did.
   */
  lastProgressDropped?: true;
}

/** One ReAct step's record. */
export interface ReactStep {
  stepIndex: number;
  action: string;
  /** The model's reasoning before the action (chat profile), when it gave one. */
  thought?: string;
  invalid: boolean;
  /** The env's raw observation text after the action (what the next prompt shows). */
  observation: string;
  reward: number;
  score: number;
  done: boolean;
  promptChars: number;
  promptTokens: number;
  completionTokens: number;
}

/** Result of the ReAct workflow. */
export interface ReactResult {
  episodeId: string;
  /** Why it ended (absent in results recorded before the workflow was made durable). */
  status: EpisodeStatus;
  task: string;
  score: number;
  won: boolean;
  /**
   * The step records of the episode's last run (every step when it never continued as new; the
   * earlier runs' are in their continue-as-new inputs: read them with `readReactRecord`).
   */
  steps: ReactStep[];
  /** Env steps the episode took, every run's. */
  stepCount: number;
  tokens: number;
  /** Tokens actually spent (response-cache hits cost none). */
  spentTokens: number;
  /** Calls and tokens of the single ReAct level, as recorded (repairs included). */
  tokensByLevel: { react: LevelTokens };
  redrives: number;
  /** Hosts of the env workers that held the session, in order (absent when unknown). */
  envHosts?: string[];
  /** Versions of the env packages the episode ran on. */
  envVersions: Record<string, string>;
  /** Workflow runs of the episode, continue-as-new included (absent in results from before 0.2.0: 1). */
  runs?: number;
  /** Oldest transcript turns the context budget dropped from the prompt by the end (absent when none). */
  droppedTurns?: number;
  error?: string;
}

/**
 * Bounded state of a ReAct episode that survives continue-as-new: counts, the env session, the
 * re-drive log and the transcript window the next prompt shows (not the step records: each run's
 * close its run, see {@link ReactInput.previousRunSteps}).
 */
export interface ReactState {
  task: string;
  /** The env's first observation as the prompt shows it (the header, never dropped). */
  initialObservation: string;
  envQueue: string;
  resetObsHash: string;
  envVersions: Record<string, string>;
  /** The newest transcript turns, within `reactContextChars`. */
  turns: ReactTurn[];
  /** Oldest turns dropped from the transcript so far. */
  droppedTurns: number;
  /** Episode index of the next env step (= steps taken). */
  stepIndex: number;
  score: number;
  won: boolean;
  tokens: number;
  /** Tokens actually spent (response-cache hits cost none). */
  spentTokens: number;
  level: LevelTokens;
  redrives: number;
  /** Hosts of the env workers that held the session, in order. */
  envHosts?: string[];
  /** Workflow runs so far (continue-as-new count + 1). */
  runs: number;
  /** Actions + observation hashes of every step so far: what a re-drive replays (`src/episode/redrive-log.ts`). */
  log: RedriveLog;
}

/** Live view of an episode. */
export interface EpisodeProgress {
  status: 'running' | EpisodeStatus;
  subtaskIndex: number;
  subtask?: string;
  /** Child workflow running the current subtask, for a finer-grained query. */
  subtaskWorkflowId?: string;
  stepIndex: number;
  score: number;
  tokens: number;
  /** Lost env sessions re-driven so far (absent from episodes of older builds). */
  redrives?: number;
}

/** Input of the ReAct workflow. */
export interface ReactInput {
  /**
   * Complete: every start path (`run`, an eval's child, continue-as-new) resolves the defaults
   * before it starts the workflow, so a default changed later never reaches a running episode. Only
   * inputs recorded by older clients lack fields; the workflow fills those as it did then.
   */
  config: Partial<EpisodeConfig> & { spec: EnvSpec };
  /** Set only by continue-as-new. */
  state?: ReactState;
  /**
   * Set only by continue-as-new: the step records of the run that continued (read back by the
   * record, shown by the live query; the workflow does not use them).
   */
  previousRunSteps?: ReactStep[];
}
