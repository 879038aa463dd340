/**
 * Records of the dataset builder: expert trajectories replayed through the env server, their
 * segmentation into subtasks, their local-progress labels, and what was dropped and why. Plain
 * serializable data, so activities return them and workflows carry them unchanged.
 */
import type { EnvSpec, Observation } from '../agent/vocabulary';

/** Format version of {@link ExpertTrajectory} and {@link LabelledTrajectory}. */
export const DATASET_RECORD_VERSION = 1;

/** One replayed expert step: the action and what the env answered. */
export interface TrajectoryStep {
  action: string;
  observation: Observation;
  /** The env's reward for this step (ScienceWorld: score delta on 0..100; ALFWorld: 0/1). */
  reward: number;
  /** Score after the step (ScienceWorld 0..100, ALFWorld 0/1). */
  score: number;
  done: boolean;
  won: boolean;
}

/** Where an expert action sequence came from. */
export type ExpertSourceKind = 'scienceworld-gold' | 'alfworld-walkthrough';

/** An expert action sequence replayed through the env server, with everything the env answered. */
export interface ExpertTrajectory {
  version: number;
  /** Stable id: `scienceworld/<task>/<variation>` or `alfworld/<split>/<task-dir>/<trial-dir>`. */
  id: string;
  spec: EnvSpec;
  /** Task description as the env client gives it (the episode's `task`). */
  task: string;
  /** The reset observation. */
  initial: Observation;
  steps: TrajectoryStep[];
  envVersions: Record<string, string>;
  /**
   * The expert sequence's origin and sha256 (of the whole sequence); `actionsAfterWin`: actions the
   * sequence holds after the env already declared the win, left out of `steps`.
   */
  source: { kind: ExpertSourceKind; actionsSha256: string; actionsAfterWin?: number };
}

/** Which stage dropped a trajectory. */
export type DropStage = 'replay' | 'segment' | 'progress';

/** A trajectory left out of the dataset, with the reason (counted in the dataset card). */
export interface DroppedTrajectory {
  id: string;
  stage: DropStage;
  /** Short stable reason code, e.g. `not-won`, `ended-early`, `segment-mismatch`, `empty-label`. */
  reason: string;
  /** What was observed, for the card and logs. */
  detail: string;
}

/** One subtask of a segmentation: its text and the expert actions it covers, in order. */
export interface Segment {
  subtask: string;
  actions: string[];
}

/** A local-progress label after a step: the text as written and the stored training target. */
export interface ProgressLabel {
  /** The labeller's text, unchanged (the teacher's raw reply line). */
  raw: string;
  /** The stored target: `raw` with the reference's empty bookkeeping suffix stripped. */
  label: string;
}

/** How a trajectory was labelled, for each row's provenance. */
export interface LabelProvenance {
  /** `rules` (no model) or `teacher`. */
  segmenter: 'rules' | 'teacher';
  progress: 'rules' | 'teacher';
  /** Teacher model id, when a teacher labelled anything. */
  teacherModel?: string;
  /** sha256 of each teacher prompt file used (name -> hash). */
  promptSha256: Record<string, string>;
  /** Version of the rule set, when rules labelled anything. */
  rulesVersion?: string;
}

/** A trajectory with its segmentation and one progress label per non-terminal step. */
export interface LabelledTrajectory {
  trajectory: ExpertTrajectory;
  segments: Segment[];
  /** Index i labels the progress after step i; the episode's terminal step has none (`undefined`). */
  progress: (ProgressLabel | undefined)[];
  provenance: LabelProvenance;
}
