/**
 * The persisted records of a durable training run (src/workflows/training.ts): its input (the
 * complete resolved trainer config, frozen when the run starts), the small state carried across
 * continue-as-new, the progress query, the result, the training activities' signatures (served by
 * the Python worker, trainer/step_hrl_trainer/activities.py) and the run's search attributes.
 * Pure and workflow-safe, so the workflow, the CLI and tests share them without importing a
 * workflow or an activity implementation.
 */
import type { SearchAttributePair, SearchAttributeUpdatePair } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { EvalInput } from './eval-records';
import { StepHrlKind, StepHrlModel, StepHrlStatus, StepHrlSteps } from './search-attributes';

/** A stage of a run, in the order the trainer runs them. */
export type TrainingStage = 'bc' | 'rl';

/** Error types the Python activities raise that no retry can fix (also non-retryable there). */
export const NON_RETRYABLE_TRAINING_ERRORS = ['BadTrainingConfig'] as const;

/** Optimizer steps per `trainChunk` activity unless the input says otherwise. */
export const DEFAULT_CHUNK_STEPS = 20;
/** Heartbeat timeout of a chunk unless the input says otherwise: a killed worker's chunk is retried after it. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;
/** Chunks per workflow run before continue-as-new (each is two events plus its heartbeats' none). */
export const DEFAULT_CHUNKS_PER_RUN = 500;

/**
 * How the eval stage serves the final checkpoint: `serveCheckpoint` on the training task queue
 * (trainer/step_hrl_trainer/serve_activity.py), from the config's `evaluate` section.
 */
export interface TrainingServeSpec {
  /** The served model's name (the eval worker's `STEP_HRL_MODEL`). */
  modelName: string;
  /** Address the server listens on (the eval's worker must reach it). */
  host: string;
  /** Torch threads of the server. */
  threads?: number;
  /** Longest model load before an attempt fails. */
  loadTimeoutSeconds: number;
}

/**
 * The optional last stage: an eval of the final checkpoint, started as a child `evalWorkflow` on
 * the eval workers' task queue, linked to the run by `StepHrlParent` = the training run's id.
 * The starter plans it (the same input `step-hrl eval` builds). With `serve`, the run first serves
 * its final checkpoint (`serveCheckpoint`), waits for the served base URL
 * ({@link checkpointServedSignal}), runs the eval against it and then stops the server; without
 * it (runs started before 0.2.0 could not fill it) the eval runs against whatever endpoint the
 * eval workers of `taskQueue` use.
 */
export interface TrainingEvaluateStage {
  /** Task queue of a worker that runs `evalWorkflow` (with `serve`: the run's own, `train-<id>-eval`). */
  taskQueue: string;
  /** The eval's workflow id. @default `<training id>/eval` */
  evalId?: string;
  /** The eval's input, complete. */
  input: EvalInput;
  /** Serve the final checkpoint for the eval (the CLI always sets it). */
  serve?: TrainingServeSpec;
}

/** What `serveCheckpoint` signals once its server answers (a retried attempt signals its new URL). */
export interface ServedCheckpoint {
  /** The OpenAI-compatible base URL, ending in `/v1`. */
  baseURL: string;
  /** The served model's name. */
  model: string;
  /** The serve activity's attempt that signalled it. */
  attempt: number;
}

/** Sent by the running `serveCheckpoint` activity with its base URL. */
export const checkpointServedSignal = defineSignal<[ServedCheckpoint]>('checkpointServed');

/** Input of the training workflow. */
export interface TrainingInput {
  /** The resolved config (`python -m step_hrl_trainer resolve-config`), frozen at start. */
  config: Record<string, unknown>;
  /** Where the config came from and its sha256 (of the resolved JSON), for `train show`. */
  configSource: { path: string; sha256: string };
  /** The run dir on the training host's disk (checkpoints, metrics.jsonl, PNGs, final weights). */
  runDir: string;
  /** Task queue of the Python training worker(s). */
  trainingTaskQueue: string;
  /** @default DEFAULT_CHUNK_STEPS */
  chunkSteps?: number;
  /** @default DEFAULT_HEARTBEAT_TIMEOUT_MS */
  heartbeatTimeoutMs?: number;
  /** Longest one chunk may run, retries apart (a hung but heartbeating worker). @default 2 hours */
  chunkTimeoutMs?: number;
  /** @default DEFAULT_CHUNKS_PER_RUN */
  chunksPerRun?: number;
  /** Model label (the config's base), for the search attributes. */
  model?: string;
  /** The optional eval stage (issue 19 item 5). */
  evaluate?: TrainingEvaluateStage;
  /** Set only by continue-as-new. */
  state?: TrainingState;
}

/** What `prepareRun` answers. */
export interface PreparedRun {
  stages: TrainingStage[];
  totalSteps: Partial<Record<TrainingStage, number>>;
  rows: Record<string, number>;
}

/** What `trainChunk` answers. */
export interface ChunkResult {
  stage: TrainingStage;
  step: number;
  totalSteps: number;
  epoch: number;
  done: boolean;
  metrics: Record<string, number | null> | null;
  dev: Record<string, unknown> | null;
  checkpoint: string | null;
}

/** What `finalizeStage` answers. */
export interface FinalizedStage {
  final: string;
  sha256: Record<string, string | null>;
  selectedStep: number;
  dev: Record<string, unknown> | null;
}

/** The state carried across continue-as-new: small, whatever the run's length. */
export interface TrainingState {
  prepared?: PreparedRun;
  /** Index into `prepared.stages` of the stage being trained (or finalized). */
  stageIndex: number;
  /** Latest chunk of the current stage. */
  last?: ChunkResult;
  /** Chunks completed over the whole run (every workflow run). */
  chunks: number;
  finals: Partial<Record<TrainingStage, FinalizedStage>>;
  /** The eval stage's id, once started. */
  evalId?: string;
  /** The served final checkpoint while the eval stage runs (the eval's workers point at it). */
  served?: ServedCheckpoint;
}

/** Status of a run, as the progress query, the result and `StepHrlStatus` say it. */
export type TrainingStatus = 'running' | 'finished' | 'cancelled' | 'failed';

/** What the progress query answers. */
export interface TrainingProgress extends TrainingState {
  status: TrainingStatus;
  stage?: TrainingStage;
  runDir: string;
  trainingTaskQueue: string;
  /** `preparing`, `training`, `finalizing`, `serving` (loading the final checkpoint), `evaluating` or `done`. */
  phase: 'preparing' | 'training' | 'finalizing' | 'serving' | 'evaluating' | 'done';
}

/** Result of the training workflow. */
export interface TrainingResult extends TrainingState {
  status: Exclude<TrainingStatus, 'running'>;
  runDir: string;
  /** The eval stage's result when it ran (totals). */
  evaluation?: unknown;
}

/** Live progress of a training run. */
export const trainingProgressQuery = defineQuery<TrainingProgress>('trainingProgress');

/** The training activities as the workflow calls them (the Python worker implements them). */
export interface TrainingActivityTypes {
  prepareRun(input: { runDir: string; config: Record<string, unknown> }): Promise<PreparedRun>;
  trainChunk(input: { runDir: string; stage: TrainingStage; maxSteps: number }): Promise<ChunkResult>;
  finalizeStage(input: { runDir: string; stage: TrainingStage }): Promise<FinalizedStage>;
  /** Serves `checkpoint` until cancelled, signalling its base URL ({@link checkpointServedSignal}). */
  serveCheckpoint(input: ServeCheckpointInput): Promise<void>;
}

/** Input of `serveCheckpoint`. */
export interface ServeCheckpointInput {
  runDir: string;
  /** A stage's `final/` folder. */
  checkpoint: string;
  modelName: string;
  host: string;
  threads?: number;
  loadTimeoutSeconds: number;
}

/** The training workflow's signature (`trainingWorkflow`). */
export type TrainingWorkflow = (input: TrainingInput) => Promise<TrainingResult>;

/** The state a run starts with. */
export const EMPTY_TRAINING_STATE: TrainingState = { stageIndex: 0, chunks: 0, finals: {} };

/** The stage being trained, if any is left. */
export function currentStage(state: TrainingState): TrainingStage | undefined {
  return state.prepared?.stages[state.stageIndex];
}

/** Optimizer steps done over every stage, and the total planned. */
export function stepsOf(state: TrainingState): { done: number; total: number } {
  const stages = state.prepared?.stages ?? [];
  let done = 0;
  let total = 0;
  stages.forEach((stage, i) => {
    const stageTotal = state.prepared?.totalSteps[stage] ?? 0;
    total += stageTotal;
    if (i < state.stageIndex) done += stageTotal;
    else if (i === state.stageIndex && state.last?.stage === stage) done += state.last.step;
  });
  return { done, total };
}

/** The search attributes a training run starts with: kind `training`, status `running`, the model label. */
export function trainingStartAttributes(input: Pick<TrainingInput, 'model'>): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: StepHrlKind, value: 'training' },
    { key: StepHrlStatus, value: 'running' },
  ];
  if (input.model) pairs.push({ key: StepHrlModel, value: input.model });
  return pairs;
}

/** The upsert a training run makes when it ends: its status and the optimizer steps done. */
export function trainingEndUpdates(status: TrainingStatus, state: TrainingState): SearchAttributeUpdatePair[] {
  return [
    { key: StepHrlStatus, value: status },
    { key: StepHrlSteps, value: stepsOf(state).done },
  ];
}
