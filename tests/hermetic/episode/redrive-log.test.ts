/**
 * The compact re-drive log: what it keeps per step (action, short observation hash), what it reads
 * back, how it converts a step list recorded before it, how a re-drive compares hashes with it, the
 * bytes it costs per step, and the clear refusal of a log whose parts disagree.
 */
import type { RecordedStep } from '../../../src/activities/types';
import {
  appendRedriveSteps,
  emptyRedriveLog,
  obsHashMatches,
  REDRIVE_HASH_CHARS,
  redriveLogLength,
  redriveLogSteps,
  shortObsHash,
} from '../../../src/episode/redrive-log';

/** A 16-hex observation hash, as `observationHash` writes it. */
const hex32 = (n: number) => (Math.imul(n, 2654435761) >>> 0).toString(16).padStart(8, '0');
const hashOf = (i: number) => `${hex32(i + 1)}${hex32(i + 7)}`;
const stepsOf = (n: number, actions = ['look around', 'wait', 'open door to kitchen']): RecordedStep[] =>
  Array.from({ length: n }, (_, i) => ({ action: actions[i % actions.length]!, obsHash: hashOf(i) }));

test('a log keeps every step in order: its action and the first 8 hex digits of its observation hash', () => {
  const steps = stepsOf(40);
  const log = appendRedriveSteps(emptyRedriveLog(), steps.slice(0, 25));
  expect(appendRedriveSteps(log, steps.slice(25))).toBe(log); // extended in place
  expect(redriveLogLength(log)).toBe(40);
  expect(redriveLogSteps(log)).toEqual(steps.map((s) => ({ action: s.action, obsHash: s.obsHash.slice(0, 8) })));
  expect(log.actions).toEqual(['look around', 'wait', 'open door to kitchen']); // each distinct action once
  expect(redriveLogSteps(emptyRedriveLog())).toEqual([]);
});

test('more than 36 distinct actions still read back (multi-digit indexes)', () => {
  const actions = Array.from({ length: 100 }, (_, i) => `go to room ${i}`);
  const steps = stepsOf(300, actions);
  expect(redriveLogSteps(appendRedriveSteps(emptyRedriveLog(), steps)).map((s) => s.action)).toEqual(
    steps.map((s) => s.action),
  );
});

test('a step list recorded before the compact form reads as is and turns compact when appended to', () => {
  const legacy = stepsOf(3);
  expect(redriveLogLength(legacy)).toBe(3);
  expect(redriveLogSteps(legacy)).toBe(legacy);
  const log = appendRedriveSteps(legacy, stepsOf(5).slice(3));
  expect(Array.isArray(log)).toBe(false);
  expect(redriveLogSteps(log).map((s) => s.action)).toEqual(stepsOf(5).map((s) => s.action));
});

test('hash checks: a short recorded hash matches its full hash only; a full one must match whole', () => {
  const full = hashOf(1);
  expect(obsHashMatches(full, shortObsHash(full))).toBe(true);
  expect(obsHashMatches(hashOf(2), shortObsHash(full))).toBe(false);
  expect(obsHashMatches(full, full)).toBe(true); // a step list's whole hash
  expect(obsHashMatches(`${full.slice(0, 15)}0`, full)).toBe(false);
  expect(obsHashMatches(full, '')).toBe(false);
  expect(shortObsHash(full)).toHaveLength(REDRIVE_HASH_CHARS);
});

test('10,000 looping steps cost under 11 bytes each in JSON (a step list costs about 45)', () => {
  const steps = stepsOf(10_000, ['look', 'wait']);
  const compact = JSON.stringify(appendRedriveSteps(emptyRedriveLog(), steps)).length;
  const list = JSON.stringify(steps).length;
  expect(compact / 10_000).toBeLessThan(11);
  expect(list / compact).toBeGreaterThan(4);
});

test('a log whose parts disagree is refused, naming what is wrong', () => {
  const log = appendRedriveSteps(emptyRedriveLog(), stepsOf(3));
  expect(() => redriveLogSteps({ ...log, obsHashes: `${log.obsHashes}abc` })).toThrow(/not a multiple of 8/);
  expect(() => redriveLogSteps({ ...log, actionIndexes: '0,1' })).toThrow(/2 action indexes but 3 observation hashes/);
  expect(() => redriveLogSteps({ ...log, actionIndexes: '0,1,z' })).toThrow(/step 2 names action z/);
  expect(() => redriveLogSteps({ steps: [] } as never)).toThrow(/re-drive log: expected/);
});
