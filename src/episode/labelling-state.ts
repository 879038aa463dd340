/**
 * The labelling job's rules apart from Temporal: teacher call and token totals (one sum for a
 * trajectory's calls and for a job's trajectories), what to do with a teacher reply (take it,
 * retry once showing it, or drop the trajectory), which steps get a progress label, the cursor
 * window of one workflow run, and the records the workflows build (a child's input, a dropped or
 * segmented record, the build's input). Pure: the labelling workflows (src/workflows/labelling.ts)
 * only call activities and children with it, and it is unit-tested without a server.
 */
import { ActivityFailure, ApplicationFailure, type ActivityOptions } from '@temporalio/common';
import type { DroppedTrajectory, Segment } from './dataset-records';
import type {
  LabelDatasetInput,
  LabellingActivityTypes,
  LabelSpec,
  LabelState,
  LabelTrajectoryInput,
  LabelTrajectoryResult,
  SegmentedRecord,
  TeacherCallRecord,
  TeacherTotals,
} from './labelling-records';

/** The labelling activities' options, by kind of work. */
export const LABELLING_ACTIVITY_OPTIONS = {
  // Env replays heartbeat: a killed worker's calls are retried after 30 s.
  env: {
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { maximumAttempts: 5, initialInterval: '1 second' },
  },
  // Per-trajectory file work is quick: a short start-to-close, so a call in flight when the
  // labelling process was killed is retried within a minute of the re-run.
  file: { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } },
  // The final build may take long on thousands of trajectories: it heartbeats.
  build: { startToCloseTimeout: '2 hours', heartbeatTimeout: '1 minute', retry: { maximumAttempts: 3 } },
  // Teacher calls heartbeat too, with bounded attempts and backoff (a 500 or a timeout is retried);
  // when they run out the trajectory is dropped with the reason.
  teacher: {
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { maximumAttempts: 4, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  },
} as const satisfies Record<string, ActivityOptions>;

/** No teacher call yet. */
export const NO_TEACHER_TOTALS: Required<TeacherTotals> = {
  teacherCalls: 0,
  cachedCalls: 0,
  promptTokens: 0,
  completionTokens: 0,
  paidPromptTokens: 0,
  paidCompletionTokens: 0,
};

/** A job before its first trajectory. */
export const EMPTY_LABEL_STATE: LabelState = { cursor: 0, labelled: 0, dropped: 0, ...NO_TEACHER_TOTALS };

/** One teacher call's totals: its tokens, paid for unless the response cache answered. */
export function callTotals(call: Pick<TeacherCallRecord, 'promptTokens' | 'completionTokens' | 'cached'>) {
  const paid = call.cached ? 0 : 1;
  return {
    teacherCalls: 1,
    cachedCalls: 1 - paid,
    promptTokens: call.promptTokens,
    completionTokens: call.completionTokens,
    paidPromptTokens: paid * call.promptTokens,
    paidCompletionTokens: paid * call.completionTokens,
  };
}

/** Adds `more` into `totals` (a call into a trajectory's, a trajectory's into a job's; old records lack the paid counts). */
export function addTeacherTotals(totals: TeacherTotals, more: TeacherTotals): void {
  totals.teacherCalls += more.teacherCalls;
  totals.cachedCalls += more.cachedCalls;
  totals.promptTokens += more.promptTokens;
  totals.completionTokens += more.completionTokens;
  totals.paidPromptTokens = (totals.paidPromptTokens ?? 0) + (more.paidPromptTokens ?? 0);
  totals.paidCompletionTokens = (totals.paidCompletionTokens ?? 0) + (more.paidCompletionTokens ?? 0);
}

/** What a teacher call answers besides its value: the call, and why a reply was refused. */
export interface TeacherReply {
  call: Pick<TeacherCallRecord, 'raw' | 'promptTokens' | 'completionTokens' | 'cached'>;
  reason?: string;
  detail?: string;
}

/** The first bad reply and why, shown to the teacher on its second attempt. */
export interface PreviousReply {
  raw: string;
  detail: string;
}

/** Why a trajectory is dropped. */
export type TrajectoryDrop = { drop: { reason: string; detail: string } };

/**
 * What to do with a reply that gave no value on attempt `attempt` (0 or 1): ask again showing it,
 * or (the second bad reply) drop the trajectory with the reason.
 */
export function afterBadReply(reply: TeacherReply, attempt: number): { retry: PreviousReply } | TrajectoryDrop {
  if (attempt >= 1) return { drop: { reason: reply.reason ?? 'invalid', detail: reply.detail ?? '' } };
  return { retry: { raw: reply.call.raw, detail: reply.detail ?? '' } };
}

/** One step of a trajectory in the progress pass. */
export interface ProgressStep {
  step: number;
  subtask: string;
  /** The first step of its segment: the teacher's previous progress starts at `None`. */
  segmentStart: boolean;
  /** The terminal step (and any after it): no progress update, as in an episode. */
  terminal: boolean;
}

/** The drop of a trajectory whose teacher call failed past its retries: the activity's own message. */
export function teacherErrorDrop(err: unknown): TrajectoryDrop {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return { drop: { reason: 'teacher-error', detail: cause instanceof Error ? cause.message : String(cause) } };
}

/** The steps of `plan` in order, the ones from `labelledSteps` on terminal. */
export function progressSteps(plan: readonly Segment[], labelledSteps: number): ProgressStep[] {
  let step = 0;
  return plan.flatMap((segment) =>
    segment.actions.map((_, i) => {
      const current = step++;
      return { step: current, subtask: segment.subtask, segmentStart: i === 0, terminal: current >= labelledSteps };
    }),
  );
}

/** A trajectory dropped at `stage` with its reason. */
export function droppedTrajectory(
  id: string,
  stage: DroppedTrajectory['stage'],
  reason: string,
  detail: string,
): DroppedTrajectory {
  return { id, stage, reason, detail };
}

/** What the `segment` stage saves: the teacher's segments, or the rules (recomputed when needed). */
export function segmentedRecord(id: string, segments: Segment[] | undefined, teacherModel?: string): SegmentedRecord {
  return {
    id,
    segmenter: segments ? 'teacher' : 'rules',
    ...(segments && { segments }),
    ...(segments && teacherModel && { teacherModel }),
  };
}

/** The end (exclusive) of the trajectories one workflow run labels, from the cursor. */
export function runEnd(input: Pick<LabelDatasetInput, 'trajectoriesPerRun'>, cursor: number, total: number): number {
  return Math.min(total, cursor + (input.trajectoriesPerRun ?? 500));
}

/** The input of the child that labels `item`. */
export function trajectoryInput(input: LabelDatasetInput, item: LabelSpec): LabelTrajectoryInput {
  return {
    item,
    workDir: input.workDir,
    ...(input.stage && { stage: input.stage }),
    segmenter: input.segmenter,
    progress: input.progress,
    teacherModel: input.teacherModel,
  };
}

/** The workflow id of the child that labels trajectory `id` of job `jobId`. */
export function trajectoryWorkflowId(jobId: string, id: string): string {
  return `${jobId}/${id}`;
}

/** Counts a finished child's trajectory (labelled or dropped) and its teacher totals into the job's. */
export function absorbTrajectory(state: LabelState, result: LabelTrajectoryResult): void {
  if (result.labelled) state.labelled++;
  else state.dropped++;
  addTeacherTotals(state, result);
}

/** The failure of a `progress` stage's child whose trajectory has no saved segmentation. */
export function trajectoryNotSegmented(id: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${id} is not segmented: run \`step-hrl label segment\` with the same flags first`,
    'NotSegmented',
  );
}

/** The job's message when the `progress` stage finds trajectories not segmented yet. */
export function notSegmentedMessage(missing: readonly string[], total: number): string {
  return (
    `${missing.length} of ${total} trajectories are not segmented yet (first: ${missing[0]}): ` +
    'run `step-hrl label segment` with the same flags first'
  );
}

/** The input of the final build: the job's folders and renderings, and its teacher totals for the card. */
export function buildInput(
  input: LabelDatasetInput,
  state: LabelState,
): Parameters<LabellingActivityTypes['buildDatasets']>[0] {
  return {
    selection: input.selection,
    workDir: input.workDir,
    outDir: input.outDir,
    renderings: input.renderings,
    devFraction: input.devFraction,
    name: input.name,
    teacher: {
      calls: state.teacherCalls,
      cachedCalls: state.cachedCalls,
      promptTokens: state.promptTokens,
      completionTokens: state.completionTokens,
    },
    ...(input.rollouts?.length && { rollouts: input.rollouts, rolloutRatio: input.rolloutRatio }),
  };
}
