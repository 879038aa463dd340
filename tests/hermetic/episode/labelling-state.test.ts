/**
 * The labelling job's rules apart from Temporal (src/episode/labelling-state.ts), without a server:
 * teacher totals (paid only when the endpoint answered), the retry-once rule for bad teacher
 * replies, which steps get a progress label, a run's cursor window, and the records built for the
 * child, the `segment` stage and the final build.
 */
import type { LabelDatasetInput } from '../../../src/episode/labelling-records';
import {
  addTeacherTotals,
  afterBadReply,
  buildInput,
  callTotals,
  EMPTY_LABEL_STATE,
  NO_TEACHER_TOTALS,
  notSegmentedMessage,
  progressSteps,
  runEnd,
  segmentedRecord,
  trajectoryInput,
} from '../../../src/episode/labelling-state';

const input: LabelDatasetInput = {
  name: 'job',
  selection: { env: 'alfworld', split: 'train', limit: 3 },
  workDir: 'w',
  outDir: 'o',
  segmenter: 'teacher',
  progress: 'rules',
  teacherModel: 'teacher-1',
  renderings: [{ profile: 'paper', obs: 'raw' }],
  devFraction: 0.1,
  concurrency: 2,
};

test('a call counts its tokens, paid only when the endpoint answered; a trajectory adds into a job', () => {
  const trajectory = { ...NO_TEACHER_TOTALS };
  addTeacherTotals(trajectory, callTotals({ promptTokens: 10, completionTokens: 3, cached: false }));
  addTeacherTotals(trajectory, callTotals({ promptTokens: 7, completionTokens: 2, cached: true }));
  expect(trajectory).toEqual({
    teacherCalls: 2,
    cachedCalls: 1,
    promptTokens: 17,
    completionTokens: 5,
    paidPromptTokens: 10,
    paidCompletionTokens: 3,
  });
  // A job carried by a run recorded before paid counts existed starts them at 0.
  const { paidPromptTokens: _p, paidCompletionTokens: _c, ...old } = { ...EMPTY_LABEL_STATE, teacherCalls: 4 };
  addTeacherTotals(old, trajectory);
  expect(old).toMatchObject({ teacherCalls: 6, paidPromptTokens: 10, paidCompletionTokens: 3, cursor: 0 });
});

test('a bad reply is asked again once, showing it and why; the second drops the trajectory with the reason', () => {
  const reply = { call: { raw: 'junk', promptTokens: 1, completionTokens: 1, cached: false }, reason: 'no-json' };
  expect(afterBadReply({ ...reply, detail: 'no JSON object' }, 0)).toEqual({
    retry: { raw: 'junk', detail: 'no JSON object' },
  });
  expect(afterBadReply(reply, 1)).toEqual({ drop: { reason: 'no-json', detail: '' } });
  expect(afterBadReply({ call: reply.call }, 1)).toEqual({ drop: { reason: 'invalid', detail: '' } });
});

test('progress steps run across segments, each segment starting afresh, the terminal step unlabelled', () => {
  const plan = [
    { subtask: 'a', actions: ['go', 'take'] },
    { subtask: 'b', actions: ['open'] },
  ];
  expect(progressSteps(plan, 2)).toEqual([
    { step: 0, subtask: 'a', segmentStart: true, terminal: false },
    { step: 1, subtask: 'a', segmentStart: false, terminal: false },
    { step: 2, subtask: 'b', segmentStart: true, terminal: true },
  ]);
});

test("a run labels at most its share from the cursor; the child and the build get the job's settings", () => {
  expect(runEnd(input, 0, 1200)).toBe(500);
  expect(runEnd({ trajectoriesPerRun: 10 }, 995, 1000)).toBe(1000);
  const item = { id: 'alfworld/train/x', spec: { env: 'alfworld' as const, task: 'train/x' } };
  expect(trajectoryInput(input, item)).toEqual({
    item,
    workDir: 'w',
    segmenter: 'teacher',
    progress: 'rules',
    teacherModel: 'teacher-1',
  });
  expect(trajectoryInput({ ...input, stage: 'segment' }, item).stage).toBe('segment');
  const state = { ...EMPTY_LABEL_STATE, teacherCalls: 3, cachedCalls: 1, promptTokens: 30, completionTokens: 9 };
  expect(buildInput(input, state)).toEqual({
    selection: input.selection,
    workDir: 'w',
    outDir: 'o',
    renderings: input.renderings,
    devFraction: 0.1,
    name: 'job',
    teacher: { calls: 3, cachedCalls: 1, promptTokens: 30, completionTokens: 9 },
  });
  expect(buildInput({ ...input, rollouts: ['r.jsonl'], rolloutRatio: 2 }, state)).toMatchObject({
    rollouts: ['r.jsonl'],
    rolloutRatio: 2,
  });
});

test('segmented records and the not-segmented refusal', () => {
  const segments = [{ subtask: 'a', actions: ['go'] }];
  expect(segmentedRecord('t', segments, 'm')).toEqual({ id: 't', segmenter: 'teacher', segments, teacherModel: 'm' });
  expect(segmentedRecord('t', undefined, 'm')).toEqual({ id: 't', segmenter: 'rules' });
  expect(notSegmentedMessage(['a', 'b'], 5)).toBe(
    '2 of 5 trajectories are not segmented yet (first: a): run `step-hrl label segment` with the same flags first',
  );
});
