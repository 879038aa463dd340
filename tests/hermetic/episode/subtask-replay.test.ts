/**
 * A subtask run's transitions rebuilt from the activities its history completed (its result holds
 * none): decisions with repairs, a decision carried from the part before, a progress call the run
 * dropped, and a history that lacks a step the result counts.
 */
import type { EnvStepOutput, PolicyCallResult } from '../../../src/activities/types';
import { recordedConfig } from '../../../src/agent/config';
import { AugmentedTransition } from '../../../src/agent/records';
import { lowLevelCall, progressCall } from '../../../src/episode/policy-calls';
import type { SubtaskInput } from '../../../src/episode/records';
import { rebuildTransitions, type RecordedActivity } from '../../../src/episode/subtask-replay';
import { nextObservationText, observationText } from '../../../src/episode/subtask-state';
import type { PolicyOutput } from '../../../src/agent/schemas';

const config = recordedConfig({ spec: { env: 'builtin', task: 'boil-water' }, profile: 'paper', repairAttempts: 1 });
const input: SubtaskInput = {
  episodeId: 'ep',
  config,
  envQueue: 'q',
  task: 'boil water',
  subtaskIndex: 2,
  subtask: 'heat the pot',
  completedSubtasks: ['find pot', 'fill pot'],
  progress: 'None',
  observation: { text: 'You are in the kitchen.' },
  stepIndex: 4,
  stepsInSubtask: 0,
  tokensBefore: 100,
  score: 10,
};

const answer = (text: string, value?: PolicyOutput): PolicyCallResult => ({
  text,
  parsed: value ? { ok: true, value } : { ok: false, error: 'not JSON' },
  usage: { promptTokens: 10, completionTokens: 2, source: 'api' },
  spentTokens: 12,
  model: 'm',
  latencyMs: 5,
  cached: false,
});
const low = (action: string, subtaskDone = false): PolicyOutput => ({ role: 'low', decision: { action, subtaskDone } });
const stepResult = (text: string, done = false): EnvStepOutput => ({
  observation: { text },
  reward: 1,
  score: 20,
  done,
  won: done,
  obsHash: `h-${text.length}`,
  latencyMs: 3,
});
const lowCall = (obs: string, progress: string) => ({
  type: 'callPolicy' as const,
  input: { ...lowLevelCall(config, input.subtask, obs, { text: '' }, progress), outageBudgetSeconds: 60 },
});
const progressInput = (previous: string, action: string, nextObs: string) => ({
  ...progressCall(config, input.subtask, previous, action, nextObs),
  outageBudgetSeconds: 60,
});

test('two steps: a repaired low decision, the progress it led to, and a last progress the run dropped', () => {
  const obs0 = observationText(config, { ...input, previous: undefined });
  const obs1 = nextObservationText(config, input.observation, { text: 'The stove is on.' });
  const obs2 = nextObservationText(config, { text: 'The stove is on.' }, { text: 'The pot is hot.' });
  const activities: RecordedActivity[] = [
    { ...lowCall(obs0, 'None'), result: answer('garbage') },
    { ...lowCall(obs0, 'None'), result: answer('{"action":"turn on stove"}', low('turn on stove')) },
    { type: 'envStep', input: { stepIndex: 4, action: 'turn on stove' }, result: stepResult('The stove is on.') },
    {
      type: 'callPolicy',
      input: progressInput('None', 'turn on stove', obs1),
      result: answer('stove on', { role: 'progress', progress: 'stove on' }),
    },
    { ...lowCall(obs1, 'stove on'), result: answer('wait', low('wait', true)) },
    { type: 'envStep', input: { stepIndex: 5, action: 'wait' }, result: stepResult('The pot is hot.') },
    // Answered after the run was cancelled: the run kept its progress, so the record does too.
    {
      type: 'callPolicy',
      input: progressInput('stove on', 'wait', obs2),
      result: answer('hot', { role: 'progress', progress: 'hot' }),
    },
  ];
  const steps = [
    { action: 'turn on stove', obsHash: 'a' },
    { action: 'wait', obsHash: 'b' },
  ];
  const [t0, t1, ...rest] = rebuildTransitions(input, { steps, lastProgressDropped: true }, activities);
  expect(rest).toEqual([]);
  for (const t of [t0!, t1!]) expect(AugmentedTransition.parse(t)).toEqual(t);
  expect(t0).toMatchObject({
    stepIndex: 4,
    task: 'boil water',
    completedSubtasks: ['find pot', 'fill pot'],
    observation: obs0,
    action: 'turn on stove',
    nextObservation: obs1,
    progressBefore: 'None',
    progressAfter: 'stove on',
    invalid: false,
    subtaskDone: false,
  });
  expect(t0!.low.repairs).toEqual([{ reply: 'garbage', error: 'not JSON' }]);
  expect(t0!.low.reply).toBe('{"action":"turn on stove"}');
  expect(t0!.low.tokens).toEqual({ prompt: 20, completion: 4 }); // both attempts
  expect(t0!.low.prompt).toBe(lowCall(obs0, 'None').input.prompt);
  expect(t0!.progress?.reply).toBe('stove on');
  expect(t1).toMatchObject({ stepIndex: 5, observation: obs1, nextObservation: obs2, subtaskDone: true });
  expect(t1!.progress).toBeUndefined();
  expect(t1!.progressAfter).toBe('stove on');
});

test('a decision carried from the part before is the first step; an env step the history lacks is named', () => {
  const obs0 = observationText(config, input);
  const pendingRecord = {
    role: 'low' as const,
    model: 'm',
    tokens: { prompt: 1, completion: 1 },
    latencyMs: 1,
    promptChars: 3,
    prompt: 'abc',
    decoding: { maxTokens: 10, temperature: 0 },
    reply: 'x',
    output: low('open door'),
    cached: false,
    repairs: [],
  };
  const carried = {
    ...input,
    pending: { decision: { action: 'open door', subtaskDone: false }, record: pendingRecord },
  };
  const done = stepResult('The door is open. You win.', true);
  const [t] = rebuildTransitions(carried, { steps: [{ action: 'open door', obsHash: 'x' }] }, [
    { type: 'envStep', input: { stepIndex: 4, action: 'open door' }, result: done },
  ]);
  expect(t!.low).toEqual(pendingRecord);
  expect(t!.observation).toBe(obs0);
  expect(t!.done).toBe(true);
  expect(t!.progress).toBeUndefined(); // none after the terminal step

  expect(() =>
    rebuildTransitions(input, { steps: [{ action: 'open door', obsHash: 'x' }] }, [
      { ...lowCall(obs0, 'None'), result: answer('ok', low('open door')) },
    ]),
  ).toThrow(/subtask 3 of ep holds no env step for step 5/);
});
