/**
 * The CLI's fault lines from successive looks at an episode's pending calls: one line as a fault
 * begins, one as it ends, and a re-drive the episode finished before the next look still closed.
 */
import { FaultReporter, type PendingCall } from '../../../src/cli/fault-watch';

const redrive: PendingCall = { activity: 'envRedrive', attempt: 1 };

test('a re-drive seen once and gone at the next look: begin and end lines', () => {
  const lines: string[] = [];
  const reporter = new FaultReporter((line) => lines.push(line));
  reporter.update([redrive]);
  reporter.update([]);
  expect(lines).toEqual([expect.stringMatching(/^env session lost/), expect.stringMatching(/^env session re-driven/)]);
});

test('a re-drive still shown when the episode ended normally is closed by ended()', () => {
  const lines: string[] = [];
  const reporter = new FaultReporter((line) => lines.push(line));
  reporter.update([redrive]);
  reporter.ended();
  reporter.ended(); // once only
  expect(lines).toEqual([expect.stringMatching(/^env session lost/), expect.stringMatching(/^env session re-driven/)]);
  expect(reporter.activeKinds()).toEqual([]);
});

test('a re-drive that began and ended between two looks still gets its lines, from the count', () => {
  const lines: string[] = [];
  const reporter = new FaultReporter((line) => lines.push(line));
  reporter.update([], true, 0);
  reporter.update([], true, 1); // never seen pending
  expect(lines).toEqual([expect.stringMatching(/^env session lost/), expect.stringMatching(/^env session re-driven/)]);
});

test('a re-drive seen pending is not told twice when the count catches up, nor earlier ones of a resumed run', () => {
  const lines: string[] = [];
  const reporter = new FaultReporter((line) => lines.push(line));
  reporter.update([], true, 3); // re-drives before this process looked: not this run's news
  reporter.update([redrive], true, 3);
  reporter.update([], true, 4);
  reporter.update([], true, 4);
  expect(lines).toEqual([expect.stringMatching(/^env session lost/), expect.stringMatching(/^env session re-driven/)]);
});
