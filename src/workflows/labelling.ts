/**
 * The durable labelling job: `labelDatasetWorkflow` replays the expert trajectories of a selection
 * and labels each in a child `labelTrajectoryWorkflow` (at most `concurrency` at a time), then
 * builds the dataset folders. Every env replay and every teacher call is an activity, so a crashed
 * worker or CLI resumes from the last recorded call, and re-running the same command after the job
 * ended finds every trajectory's work in files and every teacher reply in the response cache: zero
 * tokens for what is done. A bad teacher reply is retried once with the reason shown; a second bad
 * reply, or a teacher that keeps failing past its retries, drops that trajectory with the reason
 * (counted in the card), never the job. It continues as new every `trajectoriesPerRun` children
 * (after the running ones finish), carrying only a cursor and totals.
 *
 * Stages (`input.stage`): `segment` stops each trajectory after its segmentation (saved to the work
 * folder) and builds nothing; `progress` first checks every trajectory is segmented (else fails,
 * naming `step-hrl label segment`) and labels from the saved segmentation. Without a stage the
 * workflows issue the same commands as before stages existed.
 */
import {
  ApplicationFailure,
  continueAsNew,
  executeChild,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { DroppedTrajectory, ProgressLabel, Segment } from '../episode/dataset-records';
import {
  labelProgressQuery,
  type LabelDatasetInput,
  type LabelDatasetResult,
  type LabellingActivityTypes as LabellingActivities,
  type SegmentedRecord,
  type LabelState,
  type LabelTrajectoryInput,
  type LabelTrajectoryResult,
} from '../episode/labelling-records';
import {
  absorbTrajectory,
  addTeacherTotals,
  afterBadReply,
  buildInput,
  callTotals,
  droppedTrajectory,
  EMPTY_LABEL_STATE,
  LABELLING_ACTIVITY_OPTIONS,
  NO_TEACHER_TOTALS,
  notSegmentedMessage,
  progressSteps,
  runEnd,
  segmentedRecord,
  teacherErrorDrop,
  trajectoryInput,
  trajectoryNotSegmented,
  trajectoryWorkflowId,
  type PreviousReply,
  type TeacherReply,
  type TrajectoryDrop,
} from '../episode/labelling-state';

export type { LabelDatasetInput } from '../episode/labelling-records';

const envActs = proxyActivities<LabellingActivities>(LABELLING_ACTIVITY_OPTIONS.env);
const fileActs = proxyActivities<LabellingActivities>(LABELLING_ACTIVITY_OPTIONS.file);
const buildActs = proxyActivities<LabellingActivities>(LABELLING_ACTIVITY_OPTIONS.build);
const teacherActs = proxyActivities<LabellingActivities>(LABELLING_ACTIVITY_OPTIONS.teacher);

/**
 * Asks the teacher at most twice, the second time showing its first bad reply and why; a second
 * bad reply, or a call that fails past its retries, drops the trajectory. Every reply is counted.
 */
async function askTwice<R extends TeacherReply, V>(
  totals: LabelTrajectoryResult,
  ask: (previous?: PreviousReply) => Promise<R>,
  valueOf: (reply: R) => V | undefined,
): Promise<{ value: V } | TrajectoryDrop> {
  let previous: PreviousReply | undefined;
  for (let attempt = 0; ; attempt++) {
    let reply;
    try {
      reply = await ask(previous);
    } catch (err) {
      return teacherErrorDrop(err);
    }
    addTeacherTotals(totals, callTotals(reply.call));
    const value = valueOf(reply);
    if (value) return { value };
    const next = afterBadReply(reply, attempt);
    if ('drop' in next) return next;
    previous = next.retry;
  }
}

/** Labels one trajectory: replay, segmentation, progress labels, saved to the work folder. */
export async function labelTrajectoryWorkflow(input: LabelTrajectoryInput): Promise<LabelTrajectoryResult> {
  const { item, workDir } = input;
  const id = item.id;
  const result: LabelTrajectoryResult = { id, labelled: true, ...NO_TEACHER_TOTALS };
  const dropped = async (stage: DroppedTrajectory['stage'], { drop }: TrajectoryDrop, prefix = '') => {
    const d = droppedTrajectory(id, stage, drop.reason, prefix + drop.detail);
    await fileActs.saveDropped({ workDir, dropped: d });
    return { ...result, labelled: false, dropped: d };
  };

  const collected = await envActs.collectTrajectory({ workDir, id, spec: item.spec });
  if (collected.finished) return { ...result, labelled: !collected.dropped, dropped: collected.dropped };

  // The `progress` stage labels the segmentation a `segment` stage saved (the parent checked there is one).
  let saved: SegmentedRecord | null = null;
  if (input.stage) {
    saved = await fileActs.loadSegmented({ workDir, id });
    if (input.stage === 'segment' && saved) return result;
    if (input.stage === 'progress' && !saved) throw trajectoryNotSegmented(id);
  }

  let segments: Segment[] | undefined = saved?.segments;
  if (input.segmenter === 'teacher' && input.stage !== 'progress') {
    const asked = await askTwice(
      result,
      (previous) => teacherActs.teacherSegment({ workDir, id, previous }),
      (reply) => reply.segments,
    );
    if ('drop' in asked) return dropped('segment', asked);
    segments = asked.value;
  }

  if (input.stage === 'segment') {
    await fileActs.saveSegmented({ workDir, record: segmentedRecord(id, segments, input.teacherModel) });
    return result;
  }

  let progress: (ProgressLabel | null)[] | undefined;
  if (input.progress === 'teacher') {
    const plan = segments ?? (await fileActs.ruleSegments({ workDir, id }));
    progress = [];
    let previousProgress = 'None';
    for (const { step, subtask, segmentStart, terminal } of progressSteps(plan, collected.labelledSteps ?? 0)) {
      if (segmentStart) previousProgress = 'None';
      if (terminal) {
        progress.push(null); // the terminal step: no progress update, as in an episode
        continue;
      }
      const asked = await askTwice(
        result,
        (previous) => teacherActs.teacherProgress({ workDir, id, step, subtask, previousProgress, previous }),
        (reply) => reply.label,
      );
      if ('drop' in asked) return dropped('progress', asked, `step ${step}: `);
      progress.push(asked.value);
      // The teacher sees its own raw text (with its Checked list), as the reference's labeller does.
      previousProgress = asked.value.raw;
    }
  }
  const teacherModel = input.teacherModel ?? saved?.teacherModel;
  await fileActs.saveLabelled({ workDir, id, segments, progress, teacherModel });
  return result;
}

/** The whole job; see the file header. */
export async function labelDatasetWorkflow(input: LabelDatasetInput): Promise<LabelDatasetResult> {
  const state: LabelState = { ...EMPTY_LABEL_STATE, ...input.state };
  let total = 0;
  let building = false;
  setHandler(labelProgressQuery, () => ({ ...state, total, building }));

  const items = await envActs.listLabelSpecs({ selection: input.selection });
  total = items.length;
  if (input.stage === 'progress') {
    const missing = await fileActs.unsegmented({ workDir: input.workDir, ids: items.map((i) => i.id) });
    if (missing.length > 0) throw ApplicationFailure.nonRetryable(notSegmentedMessage(missing, total), 'NotSegmented');
  }
  const stopAt = runEnd(input, state.cursor, items.length);
  const parent = workflowInfo().workflowId;

  let next = state.cursor;
  const worker = async () => {
    while (next < stopAt) {
      const item = items[next++]!;
      const r = await executeChild(labelTrajectoryWorkflow, {
        workflowId: trajectoryWorkflowId(parent, item.id),
        args: [trajectoryInput(input, item)],
      });
      absorbTrajectory(state, r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency) }, worker));
  state.cursor = stopAt;
  if (stopAt < items.length) {
    // Every child of this run has finished (none outlives it): only the cursor and totals carry over.
    await continueAsNew<typeof labelDatasetWorkflow>({ ...input, state });
  }

  if (input.stage === 'segment') return { ...state, total, datasets: [] }; // no datasets yet

  building = true;
  const datasets = await buildActs.buildDatasets(buildInput(input, state));
  return { ...state, total, datasets };
}
