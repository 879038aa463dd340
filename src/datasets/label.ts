/**
 * Labelling one trajectory: by rules (no model, synchronous) or by assembling a teacher's
 * segmentation and labels. Pure.
 */
import { RULES_VERSION, ruleProgressLabels, segmentByRules } from './segment-rules';
import type {
  ExpertTrajectory,
  LabelProvenance,
  LabelledTrajectory,
  ProgressLabel,
  Segment,
} from '../episode/dataset-records';

/** Labels a trajectory with the rule-based segmenter and progress labeller. */
export function labelByRules(trajectory: ExpertTrajectory): LabelledTrajectory {
  const segments = segmentByRules(
    trajectory.spec.env,
    trajectory.steps.map((s) => s.action),
  );
  return {
    trajectory,
    segments,
    progress: ruleProgressLabels(segments, trajectory.steps.at(-1)?.done ?? true),
    provenance: { segmenter: 'rules', progress: 'rules', promptSha256: {}, rulesVersion: RULES_VERSION },
  };
}

/** The steps that get a progress label: all but the episode's terminal one. */
export function labelledStepCount(trajectory: ExpertTrajectory): number {
  const n = trajectory.steps.length;
  return trajectory.steps.at(-1)?.done ? n - 1 : n;
}

/** Assembles a labelled trajectory from given segments and labels (teacher or rules). */
export function labelledTrajectory(
  trajectory: ExpertTrajectory,
  segments: Segment[],
  progress: (ProgressLabel | undefined)[],
  provenance: LabelProvenance,
): LabelledTrajectory {
  return { trajectory, segments, progress, provenance };
}
