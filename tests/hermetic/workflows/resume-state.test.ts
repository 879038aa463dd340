/**
 * The state `resume` rebuilds from a recorded run (`prefixState`) matches what the workflow itself
 * computed: for v2 episode histories (fresh start, a run with a carried state that continued as
 * new, a re-drive, cancel, llm-error), rebuilding from the whole history gives the counters of the
 * run's own result (or of the state it handed on); for the terminated run, only the subtasks it
 * finished are kept.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { redriveLogLength } from '../../../src/episode/redrive-log';
import { prefixState } from '../../../src/resume';
import type { EpisodeInput, EpisodeResult } from '../../../src/workflows/episode';
import { HISTORIES_DIR } from '../../support/record-fixtures';

function load(file: string) {
  const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, 'v2', file), 'utf8')));
  const events = history.events!;
  const decode = <T>(p: { payloads?: unknown[] | null } | null | undefined) =>
    defaultPayloadConverter.fromPayload(p!.payloads![0] as never) as T;
  const input = decode<EpisodeInput>(events[0].workflowExecutionStartedEventAttributes!.input);
  const done = events.find((e) => e.workflowExecutionCompletedEventAttributes);
  const continued = events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes);
  // A run that continued as new: its "result" is the state it handed on.
  const carried =
    continued && decode<EpisodeInput>(continued.workflowExecutionContinuedAsNewEventAttributes!.input).state!;
  const result: EpisodeResult | undefined = done
    ? decode<EpisodeResult>(done.workflowExecutionCompletedEventAttributes!.result)
    : carried && {
        ...({} as EpisodeResult),
        subtasks: carried.subtasks,
        steps: carried.stepIndex,
        score: carried.score,
        won: carried.won,
        tokens: carried.tokens,
        spentTokens: carried.spentTokens,
        redrives: carried.redrives ?? 0,
        runs: carried.runs - 1,
      };
  return { events, input, result };
}

test.each([
  'multi-episode.json',
  'can-continued-run.json',
  'redrive-episode.json',
  'cancel-episode.json',
  'llm-error-episode.json',
])('rebuilt from the whole of %s, the state has the counters of its result', (file) => {
  const { events, input, result } = load(file);
  const state = prefixState(events, input.state, 'run-x')!;
  expect({
    subtasks: state.subtasks,
    steps: state.stepIndex,
    score: state.score,
    won: state.won,
    tokens: state.tokens,
    spentTokens: state.spentTokens,
    redrives: state.redrives,
  }).toEqual({
    subtasks: result!.subtasks,
    steps: result!.steps,
    score: result!.score,
    won: result!.won,
    tokens: result!.tokens,
    spentTokens: result!.spentTokens,
    redrives: result!.redrives,
  });
  expect(redriveLogLength(state.log)).toBe(result!.steps); // read from the step list, carried on compact
  expect(state.runs).toBe(result!.runs + 1);
  expect(state.needsRedrive).toBe(true);
  expect(state.resumedFrom).toEqual({ runId: 'run-x', subtasks: result!.subtasks.length });
  if (file === 'can-continued-run.json') expect(input.state).toBeDefined(); // really a carried state
});

test('a run terminated in its second subtask keeps the first subtask only', () => {
  const { events, input } = load('resume-terminated-run.json');
  const state = prefixState(events, input.state, 'run-y')!;
  expect(state.subtasks).toHaveLength(1);
  expect(state.stepIndex).toBe(6);
  expect(redriveLogLength(state.log)).toBe(6);
  expect(state.generation).toBe(1);
  expect(state.envQueue).toBe(''); // the new run acquires a live queue
});
