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
  continueAsNew,
  executeChild,
  proxyActivities,
  setHandler,
  workflowInfo,
  ActivityFailure,
  ApplicationFailure,
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

export {
  labelProgressQuery,
  type LabelDatasetInput,
  type LabelDatasetResult,
  type LabelProgress,
  type LabelStage,
  type LabelState,
  type LabelTrajectoryInput,
  type LabelTrajectoryResult,
} from '../episode/labelling-records';

// Env replays and teacher calls heartbeat: a killed worker's calls are retried after 30 s.
const envActs = proxyActivities<LabellingActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});
// Per-trajectory file work is quick: a short start-to-close, so a call in flight when the
// labelling process was killed is retried within a minute of the re-run.
const fileActs = proxyActivities<LabellingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});
// The final build may take long on thousands of trajectories: it heartbeats.
const buildActs = proxyActivities<LabellingActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});
// Teacher calls: bounded attempts with backoff (a 500 or a timeout is retried); when they run out
// the trajectory is dropped with the reason.
const teacherActs = proxyActivities<LabellingActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 4, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

function failureText(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Labels one trajectory: replay, segmentation, progress labels, saved to the work folder. */
export async function labelTrajectoryWorkflow(input: LabelTrajectoryInput): Promise<LabelTrajectoryResult> {
  const { item, workDir } = input;
  const totals = {
    teacherCalls: 0,
    cachedCalls: 0,
    promptTokens: 0,
    completionTokens: 0,
    paidPromptTokens: 0,
    paidCompletionTokens: 0,
  };
  const count = (call: { promptTokens: number; completionTokens: number; cached: boolean }) => {
    totals.teacherCalls++;
    if (call.cached) totals.cachedCalls++;
    totals.promptTokens += call.promptTokens;
    totals.completionTokens += call.completionTokens;
    if (!call.cached) {
      totals.paidPromptTokens += call.promptTokens;
      totals.paidCompletionTokens += call.completionTokens;
    }
  };
  const dropped = async (stage: DroppedTrajectory['stage'], reason: string, detail: string) => {
    const d: DroppedTrajectory = { id: item.id, stage, reason, detail };
    await fileActs.saveDropped({ workDir, dropped: d });
    return { id: item.id, labelled: false, dropped: d, ...totals };
  };

  const collected = await envActs.collectTrajectory({ workDir, id: item.id, spec: item.spec });
  if (collected.finished) return { id: item.id, labelled: !collected.dropped, dropped: collected.dropped, ...totals };

  // The `progress` stage labels the segmentation a `segment` stage saved (the parent checked there is one).
  let saved: SegmentedRecord | null = null;
  if (input.stage) {
    saved = await fileActs.loadSegmented({ workDir, id: item.id });
    if (input.stage === 'segment' && saved) return { id: item.id, labelled: true, ...totals };
    if (input.stage === 'progress' && !saved)
      throw ApplicationFailure.nonRetryable(
        `${item.id} is not segmented: run \`step-hrl label segment\` with the same flags first`,
        'NotSegmented',
      );
  }

  let segments: Segment[] | undefined = saved?.segments;
  if (input.segmenter === 'teacher' && input.stage !== 'progress') {
    let previous: { raw: string; detail: string } | undefined;
    for (let attempt = 0; attempt < 2 && !segments; attempt++) {
      let out;
      try {
        out = await teacherActs.teacherSegment({ workDir, id: item.id, previous });
      } catch (err) {
        return dropped('segment', 'teacher-error', failureText(err));
      }
      count(out.call);
      if (out.segments) segments = out.segments;
      else if (attempt === 1) return dropped('segment', out.reason ?? 'invalid', out.detail ?? '');
      else previous = { raw: out.call.raw, detail: out.detail ?? '' };
    }
  }

  if (input.stage === 'segment') {
    const record: SegmentedRecord = {
      id: item.id,
      segmenter: segments ? 'teacher' : 'rules',
      ...(segments && { segments }),
      ...(segments && input.teacherModel && { teacherModel: input.teacherModel }),
    };
    await fileActs.saveSegmented({ workDir, record });
    return { id: item.id, labelled: true, ...totals };
  }

  let progress: (ProgressLabel | null)[] | undefined;
  if (input.progress === 'teacher') {
    const plan = segments ?? (await fileActs.ruleSegments({ workDir, id: item.id }));
    progress = [];
    let step = 0;
    for (const segment of plan) {
      let previousProgress = 'None';
      for (let i = 0; i < segment.actions.length; i++, step++) {
        if (step >= (collected.labelledSteps ?? 0)) {
          progress.push(null); // the terminal step: no progress update, as in an episode
          continue;
        }
        let label: ProgressLabel | undefined;
        let previous: { raw: string; detail: string } | undefined;
        for (let attempt = 0; attempt < 2 && !label; attempt++) {
          let out;
          try {
            out = await teacherActs.teacherProgress({
              workDir,
              id: item.id,
              step,
              subtask: segment.subtask,
              previousProgress,
              previous,
            });
          } catch (err) {
            return dropped('progress', 'teacher-error', `step ${step}: ${failureText(err)}`);
          }
          count(out.call);
          if (out.label) label = out.label;
          else if (attempt === 1)
            return dropped('progress', out.reason ?? 'invalid', `step ${step}: ${out.detail ?? ''}`);
          else previous = { raw: out.call.raw, detail: out.detail ?? '' };
        }
        progress.push(label!);
        // The teacher sees its own raw text (with its Checked list), as the reference's labeller does.
        previousProgress = label!.raw;
      }
    }
  }
  const teacherModel = input.teacherModel ?? saved?.teacherModel;
  await fileActs.saveLabelled({ workDir, id: item.id, segments, progress, teacherModel });
  return { id: item.id, labelled: true, ...totals };
}

const EMPTY_STATE: LabelState = {
  cursor: 0,
  labelled: 0,
  dropped: 0,
  teacherCalls: 0,
  cachedCalls: 0,
  promptTokens: 0,
  completionTokens: 0,
  paidPromptTokens: 0,
  paidCompletionTokens: 0,
};

/** The whole job; see the file header. */
export async function labelDatasetWorkflow(input: LabelDatasetInput): Promise<LabelDatasetResult> {
  const state: LabelState = { ...EMPTY_STATE, ...input.state };
  let total = 0;
  let building = false;
  setHandler(labelProgressQuery, () => ({ ...state, total, building }));

  const items = await envActs.listLabelSpecs({ selection: input.selection });
  total = items.length;
  if (input.stage === 'progress') {
    const missing = await fileActs.unsegmented({ workDir: input.workDir, ids: items.map((i) => i.id) });
    if (missing.length > 0)
      throw ApplicationFailure.nonRetryable(
        `${missing.length} of ${items.length} trajectories are not segmented yet (first: ${missing[0]}): ` +
          'run `step-hrl label segment` with the same flags first',
        'NotSegmented',
      );
  }
  const perRun = input.trajectoriesPerRun ?? 500;
  const stopAt = Math.min(items.length, state.cursor + perRun);
  const parent = workflowInfo().workflowId;

  let next = state.cursor;
  const worker = async () => {
    while (next < stopAt) {
      const item = items[next++];
      const r = await executeChild(labelTrajectoryWorkflow, {
        workflowId: `${parent}/${item.id}`,
        args: [
          {
            item,
            workDir: input.workDir,
            ...(input.stage && { stage: input.stage }),
            segmenter: input.segmenter,
            progress: input.progress,
            teacherModel: input.teacherModel,
          },
        ],
      });
      if (r.labelled) state.labelled++;
      else state.dropped++;
      state.teacherCalls += r.teacherCalls;
      state.cachedCalls += r.cachedCalls;
      state.promptTokens += r.promptTokens;
      state.completionTokens += r.completionTokens;
      state.paidPromptTokens = (state.paidPromptTokens ?? 0) + (r.paidPromptTokens ?? 0);
      state.paidCompletionTokens = (state.paidCompletionTokens ?? 0) + (r.paidCompletionTokens ?? 0);
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
  const datasets = await buildActs.buildDatasets({
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
  });
  return { ...state, total, datasets };
}
