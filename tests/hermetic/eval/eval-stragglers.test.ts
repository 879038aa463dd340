/**
 * The eval book's rules for running episodes that outlive their run (no Temporal server): a run
 * hands over at once with episodes running, the next one awaits them without starting them again,
 * and an outcome counts once however many ways it arrives. Plus the id parsing an episode uses to
 * find its eval, and how `eval show --follow` tells an eval of an older build (no long-poll).
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { isUnknownUpdate } from '../../../src/cli/commands/eval-follow';
import { EvalBook } from '../../../src/episode/eval-book';
import { evalEpisodeIndex } from '../../../src/episode/eval-records';
import type { SlimOutcome } from '../../../src/episode/eval-types';
import { evalEpisodeId } from '../../../src/episode/ids';

const won = (index: number): SlimOutcome => ({
  index,
  episodeId: `e/ep-${index}`,
  status: 'env-done',
  score: 100,
  won: true,
  steps: 3,
  tokens: {},
  spentTokens: 10,
});

test('a run that has played its share hands over with episodes running, which the next run awaits and never starts', () => {
  const first = new EvalBook(5, undefined, 2, 1);
  const slow = first.start();
  const fast = first.start();
  expect(first.handsOver(false)).toBe(false);
  expect(first.settle(fast, won(fast))).toBe(true);
  expect(first.handsOver(false)).toBe(true); // one played, episodes left: at once, `slow` still running
  expect(first.over()).toBe(false);
  const carried = first.carried();
  expect(carried).toMatchObject({ finished: [[1, 2]], running: [[0, 1]] });

  const next = new EvalBook(5, carried, 2, 1);
  expect(next.carriedRunning).toEqual([slow]);
  expect(next.queue).toEqual([2, 3, 4]); // neither finished nor running ones again
  expect(next.mayLaunch(next.running.size, false)).toBe(true);
  expect(next.settle(slow, won(slow))).toBe(true);
  expect(next.settle(slow, won(slow))).toBe(false); // its signal and the poll both seen: counted once
  expect(next.settle(fast, won(fast))).toBe(false); // counted by the earlier run
  expect(next.totals).toMatchObject({ done: 2, won: 2 });
});

test('the eval is over only when nothing runs: a cancel waits for the stragglers, a last straggler too', () => {
  const book = new EvalBook(2, { runs: 1, finished: [[1, 2]], running: [[0, 1]] }, 2, 10);
  expect(book.queue).toEqual([]);
  expect(book.handsOver(false)).toBe(false); // nothing left to start: no new run just to wait
  expect(book.handsOver(true)).toBe(true); // unless Temporal asks for one
  expect(book.over()).toBe(false);
  book.cancelled = true;
  expect(book.over()).toBe(false);
  expect(book.needsNextRun()).toBe(false);
  book.settle(0, { ...won(0), status: 'cancelled', won: false });
  expect(book.over()).toBe(true);
  expect(book.totals).toMatchObject({ done: 1, cancelled: 1 }); // the carried state had no totals
});

test('an episode finds its eval and index from its id; other ids are not an eval episode', () => {
  expect(evalEpisodeIndex('eval-a', evalEpisodeId('eval-a', 12))).toBe(12);
  expect(evalEpisodeIndex('eval-a', evalEpisodeId('eval-a', 12345))).toBe(12345);
  expect(evalEpisodeIndex('eval-a', evalEpisodeId('eval-b', 1))).toBeUndefined();
  expect(evalEpisodeIndex('eval-a', 'eval-a/ep-1/subtask-0.0')).toBeUndefined();
  expect(evalEpisodeIndex('eval-a', 'fork-1')).toBeUndefined();
});

test('an eval without the long-poll (an older build) is recognised by the update failure', () => {
  const unknown = ApplicationFailure.nonRetryable('No registered handler for update: waitForEvalChange');
  expect(isUnknownUpdate(new WorkflowUpdateFailedError('Workflow Update failed', unknown))).toBe(true);
  expect(isUnknownUpdate(new WorkflowUpdateFailedError('Workflow Update failed', new Error('boom')))).toBe(false);
  expect(isUnknownUpdate(new Error('No registered handler for update'))).toBe(false);
});
