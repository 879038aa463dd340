/**
 * The ReAct episode core without a Temporal server: the transcript's context budget (oldest turns
 * dropped, header kept, counted exactly as the built prompt's characters), the step and token
 * budgets, when a run continues as new, and the config bounds of the budget and of `maxSteps`.
 */
import { configProblems, MAX_EPISODE_STEPS, MAX_REACT_CONTEXT_CHARS, withDefaults } from '../../../src/agent/config';
import { buildReactCall, reactHeaderChars, reactTurnChars, type ReactTurn } from '../../../src/agent/prompts/react';
import type { ReactStep } from '../../../src/episode/records';
import { redriveLogLength } from '../../../src/episode/redrive-log';
import {
  absorbReactStep,
  initialReactState,
  newReactRun,
  reactActionOf,
  reactBudgetStatus,
  reactContinueInput,
  reactEndUpdates,
  reactProgressOf,
  reactShouldContinueAsNew,
  reactStepBytes,
  reactStepOf,
  recordRunStep,
  REACT_RUN_STEPS_BYTE_BUDGET,
  REACT_STEP_EVENT_MARGIN,
} from '../../../src/episode/react-state';

const spec = { env: 'builtin' as const, task: 'boil-water' };
const reset = {
  taskDescription: 'Boil the water.',
  observation: { text: 'You are in the kitchen. Boil the water.' },
  obsHash: 'h0',
  score: 0,
  done: false,
  won: false,
  reward: 0,
} as unknown as Parameters<typeof initialReactState>[0];

const stepOf = (stepIndex: number, observation = `You look around. Step ${stepIndex}.`): ReactStep => ({
  stepIndex,
  action: stepIndex % 2 ? 'wait' : 'look',
  ...(stepIndex % 3 === 0 ? { thought: `thinking about ${stepIndex}` } : {}),
  invalid: false,
  observation,
  reward: 0,
  score: stepIndex,
  done: false,
  promptChars: 0,
  promptTokens: 0,
  completionTokens: 0,
});

/** The env's answer to step `i`, as the state keeps it. */
const answer = (i: number) => ({ obsHash: `h${i}`, won: false });

/** Characters of the prompt text a call carries (the paper prompt, or every chat message's content). */
function promptChars(call: ReturnType<typeof buildReactCall>): number {
  return call.prompt !== undefined
    ? call.prompt.length
    : call.messages!.reduce((sum, m) => sum + (m.content as string).length, 0);
}

describe.each(['paper', 'chat'] as const)('the %s transcript', (profile) => {
  const decoding = { maxTokens: 32, temperature: 0 };
  const turns: ReactTurn[] = [0, 1, 2, 3].map((i) => ({ ...stepOf(i), observation: `  obs ${i}\n` }));

  test('header and turn characters add up to the built prompt exactly', () => {
    const call = buildReactCall(reset.taskDescription, ' first ', turns, profile, decoding);
    const counted =
      reactHeaderChars(reset.taskDescription, ' first ', profile) +
      turns.reduce((sum, t) => sum + reactTurnChars(t, profile), 0);
    expect(counted).toBe(promptChars(call));
  });

  test('past the budget the oldest turns go, the header stays, the prompt fits the budget', () => {
    const config = { profile, reactContextChars: 700 };
    const s = initialReactState(reset, 'q');
    for (let i = 0; i < 40; i++) absorbReactStep(s, stepOf(i), answer(i + 1), config);
    expect(s.stepIndex).toBe(40);
    expect(redriveLogLength(s.log)).toBe(40); // the re-drive log keeps every step
    expect(s.droppedTurns).toBeGreaterThan(0);
    expect(s.droppedTurns + s.turns.length).toBe(40);
    expect(s.turns.at(-1)!.action).toBe(stepOf(39).action);
    expect(s.turns[0]!.observation).toBe(stepOf(s.droppedTurns).observation); // the oldest went first
    const call = buildReactCall(s.task, s.initialObservation, s.turns, profile, decoding);
    expect(promptChars(call)).toBeLessThanOrEqual(700);
    // One more turn would not have fitted: the window is as long as the budget allows.
    const { thought, action, observation } = stepOf(s.droppedTurns - 1);
    const longer = [{ ...(thought ? { thought } : {}), action, observation }, ...s.turns];
    expect(promptChars(buildReactCall(s.task, s.initialObservation, longer, profile, decoding))).toBeGreaterThan(700);
    const text = call.prompt ?? call.messages!.map((m) => m.content).join('\n');
    expect(text).toContain('Task: Boil the water.');
  });

  test('under the budget nothing is dropped (the prompt is the full transcript)', () => {
    const s = initialReactState(reset, 'q');
    for (let i = 0; i < 40; i++) absorbReactStep(s, stepOf(i), answer(i + 1), withDefaults({ spec, profile }));
    expect(s.turns).toHaveLength(40);
    expect(s.droppedTurns).toBe(0);
  });

  test('the newest turn stays even when it alone is over the budget', () => {
    const s = initialReactState(reset, 'q');
    absorbReactStep(s, stepOf(0), answer(1), { profile, reactContextChars: 10 });
    absorbReactStep(s, stepOf(1, 'x'.repeat(500)), answer(2), { profile, reactContextChars: 10 });
    expect(s.turns.map((t) => t.observation)).toEqual(['x'.repeat(500)]);
    expect(s.droppedTurns).toBe(1);
  });
});

test('step and token budgets stop the episode before its next step', () => {
  expect(reactBudgetStatus({ stepIndex: 10, tokens: 0 }, { maxSteps: 10, maxTokens: 0 })).toBe('step-budget');
  expect(reactBudgetStatus({ stepIndex: 9, tokens: 500 }, { maxSteps: 10, maxTokens: 500 })).toBe('token-budget');
  expect(reactBudgetStatus({ stepIndex: 9, tokens: 499 }, { maxSteps: 10, maxTokens: 500 })).toBeUndefined();
});

test('a run continues as new on Temporal’s suggestion, near the event limit, or past the step-record bytes', () => {
  const config = { historyEventLimit: 1000 };
  const quiet = { continueAsNewSuggested: false, historyLength: 100 };
  expect(reactShouldContinueAsNew(quiet, 0, config)).toBe(false);
  expect(reactShouldContinueAsNew({ ...quiet, continueAsNewSuggested: true }, 0, config)).toBe(true);
  expect(reactShouldContinueAsNew({ ...quiet, historyLength: 1000 - REACT_STEP_EVENT_MARGIN }, 0, config)).toBe(true);
  expect(reactShouldContinueAsNew({ ...quiet, historyLength: 999 - REACT_STEP_EVENT_MARGIN }, 0, config)).toBe(false);
  expect(reactShouldContinueAsNew(quiet, REACT_RUN_STEPS_BYTE_BUDGET, config)).toBe(true);
});

test('the config refuses a context budget or a step budget beyond what the runtime supports', () => {
  const ok = withDefaults({ spec });
  expect(configProblems(ok)).toEqual([]);
  expect(configProblems({ ...ok, maxSteps: MAX_EPISODE_STEPS })).toEqual([]);
  expect(configProblems({ ...ok, maxSteps: MAX_EPISODE_STEPS + 1 }).join()).toMatch(
    new RegExp(`maxSteps must be an integer from 1 to ${MAX_EPISODE_STEPS}`),
  );
  expect(configProblems({ ...ok, reactContextChars: MAX_REACT_CONTEXT_CHARS + 1 }).join()).toMatch(
    /reactContextChars must be an integer from 1 to 262144/,
  );
  expect(configProblems({ ...ok, reactContextChars: 0 }).join()).toMatch(/reactContextChars/);
});

test('a decision becomes a step: the model’s action and thought, or an invalid `None` step without a reply', () => {
  expect(reactActionOf({ role: 'react', action: 'look', thought: 'where am I' })).toEqual({
    action: 'look',
    thought: 'where am I',
    invalid: false,
  });
  expect(reactActionOf({ role: 'react', action: 'wait' })).toEqual({ action: 'wait', invalid: false });
  expect(reactActionOf(undefined)).toEqual({ action: 'None', invalid: true });
  expect(reactActionOf({ role: 'high', subtask: 'boil' })).toEqual({ action: 'None', invalid: true });
  const record = { promptChars: 120, tokens: { prompt: 30, completion: 4 } } as Parameters<typeof reactStepOf>[2];
  const result = { observation: { text: 'It is hot.' }, reward: 1, score: 5, done: false };
  expect(reactStepOf(3, { action: 'look', invalid: false }, record, result)).toEqual({
    stepIndex: 3,
    action: 'look',
    invalid: false,
    observation: 'It is hot.',
    reward: 1,
    score: 5,
    done: false,
    promptChars: 120,
    promptTokens: 30,
    completionTokens: 4,
  });
});

test('absorbing steps counts the run’s record bytes, the win, and hands the next run state, config and steps', () => {
  const config = withDefaults({ spec });
  const s = initialReactState(reset, 'q');
  const run = newReactRun();
  for (let i = 0; i < 3; i++) {
    absorbReactStep(s, stepOf(i), { obsHash: `h${i}`, won: i === 2 }, config);
    recordRunStep(run, stepOf(i));
  }
  expect(s.won).toBe(true);
  expect(run.bytes).toBe([0, 1, 2].reduce((sum, i) => sum + reactStepBytes(stepOf(i)), 0));
  const next = reactContinueInput(config, s, run);
  expect(next).toEqual({ config, state: { ...s, runs: 2 }, previousRunSteps: run.steps });
  expect(s.runs).toBe(1); // the running state is not changed by handing it over
  expect(reactProgressOf(s, undefined)).toEqual({
    status: 'running',
    subtaskIndex: -1,
    stepIndex: 3,
    score: 2,
    tokens: 0,
    redrives: 0,
  });
  expect(reactProgressOf(undefined, 'cancelled')).toMatchObject({ status: 'cancelled', stepIndex: 0 });
  const updates = Object.fromEntries(reactEndUpdates(s, 'env-done').map((u) => [u.key.name, u.value]));
  expect(updates).toMatchObject({ StepHrlStatus: 'env-done', StepHrlWon: true });
});
