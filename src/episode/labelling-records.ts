/**
 * The persisted records of a labelling job (the durable dataset build): its input, carried totals,
 * result and progress, one trajectory's input and result, and the labelling activities' signatures.
 * Type-only plus the progress query, so the labelling workflows, the CLI and the job runner share
 * them without importing a workflow or an activity implementation.
 */
import { defineQuery } from '@temporalio/workflow';
import type { ObservationFormat } from '../agent/observation';
import type { ChatMessage, EnvSpec, PromptProfile } from '../agent/vocabulary';
import type { DroppedTrajectory, ProgressLabel, Segment } from './dataset-records';

/** Which expert trajectories a job labels. */
export type ExpertSelection =
  | { env: 'scienceworld'; tasks?: readonly string[]; capPerTask?: number; split?: 'train' | 'dev' | 'test' }
  | { env: 'alfworld'; split: string; limit?: number };

/** What one dataset folder holds after a build. */
export interface BuildSummary {
  dir: string;
  /** Expert trajectories. */
  trajectories: number;
  /** Rollout trajectories mixed in (when rollouts were given). */
  rollouts?: number;
  dropped: number;
  rows: Record<string, number>;
  files: { name: string; rows: number; sha256: string }[];
}

/** One spec to label, with its trajectory id (workflow code cannot compute it). */
export interface LabelSpec {
  id: string;
  spec: EnvSpec;
}

/** Result of `collectTrajectory`. */
export interface CollectOutcome {
  id: string;
  /** Already labelled or dropped by an earlier run: nothing left to do. */
  finished: boolean;
  dropped?: DroppedTrajectory;
  /** Actions per step, and which steps get a progress label (all but the terminal one). */
  actions?: string[];
  labelledSteps?: number;
}

/** One teacher call as recorded in the history: prompt, raw reply, tokens. */
export interface TeacherCallRecord {
  messages: ChatMessage[];
  raw: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  cached: boolean;
}

/** Result of a segmentation call. */
export interface SegmentOutcome {
  call: TeacherCallRecord;
  segments?: Segment[];
  reason?: string;
  detail?: string;
}

/** Result of a progress call. */
export interface ProgressOutcome {
  call: TeacherCallRecord;
  label?: ProgressLabel;
  reason?: string;
  detail?: string;
}

/** One dataset rendering. */
export interface DatasetRendering {
  profile: PromptProfile;
  obs: ObservationFormat;
}

/**
 * Which stages a job runs: `segment` collects and segments the trajectories and stops (the work
 * folder keeps them); `progress` labels progress on trajectories segmented before and builds the
 * datasets; absent: everything (`label build`).
 */
export type LabelStage = 'segment' | 'progress';

/** Input of the dataset job workflow. */
export interface LabelDatasetInput {
  name: string;
  selection: ExpertSelection;
  workDir: string;
  outDir: string;
  /** @default both stages and the build */
  stage?: LabelStage;
  /** The segmenter (the `progress` stage takes each trajectory's from its segmented file). */
  segmenter: 'rules' | 'teacher';
  progress: 'rules' | 'teacher';
  teacherModel?: string;
  renderings: DatasetRendering[];
  devFraction: number;
  /** Audit export files (absolute paths) whose STEP-HRL episodes are mixed in as rollouts. */
  rollouts?: string[];
  /** Rollout trajectories per expert trajectory; absent: every rollout found. */
  rolloutRatio?: number;
  concurrency: number;
  /** Children per workflow run before continue-as-new. @default 500 */
  trajectoriesPerRun?: number;
  /** Carried across continue-as-new. */
  state?: LabelState;
}

/** Teacher calls and tokens, of one trajectory or of a whole job. */
export interface TeacherTotals {
  teacherCalls: number;
  cachedCalls: number;
  promptTokens: number;
  completionTokens: number;
  /** Tokens of calls the endpoint answered (not the response cache): what was paid for. */
  paidPromptTokens?: number;
  paidCompletionTokens?: number;
}

/** Totals of a job so far. */
export interface LabelState extends TeacherTotals {
  cursor: number;
  labelled: number;
  dropped: number;
}

/** What the progress query answers. */
export interface LabelProgress extends LabelState {
  total: number;
  building: boolean;
}

/** Result of the job. */
export interface LabelDatasetResult extends LabelState {
  total: number;
  datasets: BuildSummary[];
}

/** Live totals of a labelling job. */
export const labelProgressQuery = defineQuery<LabelProgress>('labelProgress');

/** Input of the trajectory workflow. */
export interface LabelTrajectoryInput {
  item: LabelSpec;
  workDir: string;
  stage?: LabelStage;
  segmenter: 'rules' | 'teacher';
  progress: 'rules' | 'teacher';
  teacherModel?: string;
}

/** Result of one trajectory. */
export interface LabelTrajectoryResult extends TeacherTotals {
  id: string;
  labelled: boolean;
  dropped?: DroppedTrajectory;
}

/** A segmentation saved by the `segment` stage, for the `progress` stage to label. */
export interface SegmentedRecord {
  id: string;
  segmenter: 'rules' | 'teacher';
  /** The teacher's segments; absent for rules (recomputed, deterministic). */
  segments?: Segment[];
  teacherModel?: string;
}

/** The labelling activities as the workflows call them (the worker's implementation is checked against it). */
export interface LabellingActivityTypes {
  listLabelSpecs(input: { selection: ExpertSelection }): Promise<LabelSpec[]>;
  collectTrajectory(input: { workDir: string; id: string; spec: EnvSpec }): Promise<CollectOutcome>;
  ruleSegments(input: { workDir: string; id: string }): Promise<Segment[]>;
  teacherSegment(input: {
    workDir: string;
    id: string;
    previous?: { raw: string; detail: string };
  }): Promise<SegmentOutcome>;
  teacherProgress(input: {
    workDir: string;
    id: string;
    step: number;
    subtask: string;
    previousProgress: string;
    previous?: { raw: string; detail: string };
  }): Promise<ProgressOutcome>;
  saveLabelled(input: {
    workDir: string;
    id: string;
    segments?: Segment[];
    progress?: (ProgressLabel | null)[];
    teacherModel?: string;
  }): Promise<void>;
  saveDropped(input: { workDir: string; dropped: DroppedTrajectory }): Promise<void>;
  saveSegmented(input: { workDir: string; record: SegmentedRecord }): Promise<void>;
  loadSegmented(input: { workDir: string; id: string }): Promise<SegmentedRecord | null>;
  /** The ids among `ids` that are neither segmented nor finished (labelled or dropped). */
  unsegmented(input: { workDir: string; ids: string[] }): Promise<string[]>;
  buildDatasets(input: {
    selection?: ExpertSelection;
    workDir: string;
    outDir: string;
    renderings: DatasetRendering[];
    devFraction: number;
    name: string;
    teacher: { calls: number; cachedCalls: number; promptTokens: number; completionTokens: number };
    rollouts?: string[];
    rolloutRatio?: number;
  }): Promise<BuildSummary[]>;
}

/** The dataset job workflow's signature (`labelDatasetWorkflow`). */
export type LabelDatasetWorkflow = (input: LabelDatasetInput) => Promise<LabelDatasetResult>;
