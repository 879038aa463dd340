/**
 * The rule-based segmenter and progress labeller (issue 18 item 2a): a subtask per ALFWorld
 * `go to X` with the actions at X; ScienceWorld navigation runs, closed by `focus on`; every
 * action kept in order; labels in the reference's three modes, starting at None per subtask,
 * none on the terminal step; the stored target strips only the empty bookkeeping suffix.
 */
import {
  progressMode,
  ruleProgressLabel,
  ruleProgressLabels,
  segmentByRules,
  stripProgressSuffix,
} from '../../../src/datasets/segment-rules';

const ALF = [
  'go to countertop 1',
  'take apple 1 from countertop 1',
  'go to microwave 1',
  'heat apple 1 with microwave 1',
  'go to fridge 1',
  'open fridge 1',
  'put apple 1 in/on fridge 1',
];

const SCI = [
  'open door to kitchen',
  'go to kitchen',
  'pick up thermometer',
  'focus on water',
  'move metal pot to stove',
  'activate stove',
  'open door to hallway',
  'go to hallway',
  'wait1',
];

describe('segmentByRules', () => {
  test('ALFWorld: one subtask per "go to X" with the actions done at X', () => {
    const segments = segmentByRules('alfworld', ALF);
    expect(segments.map((s) => s.actions)).toEqual([
      ['go to countertop 1', 'take apple 1 from countertop 1'],
      ['go to microwave 1', 'heat apple 1 with microwave 1'],
      ['go to fridge 1', 'open fridge 1', 'put apple 1 in/on fridge 1'],
    ]);
    expect(segments[0].subtask).toBe('Go to countertop 1 and take apple 1 from countertop 1');
  });

  test('ALFWorld: actions before the first "go to" join the first subtask', () => {
    expect(
      segmentByRules('alfworld', ['look', 'go to desk 1', 'take pen 1 from desk 1']).map((s) => s.actions),
    ).toEqual([['look', 'go to desk 1', 'take pen 1 from desk 1']]);
  });

  test('ScienceWorld: move runs are navigation subtasks and "focus on" closes a subtask', () => {
    const segments = segmentByRules('scienceworld', SCI);
    expect(segments.map((s) => s.actions)).toEqual([
      ['open door to kitchen', 'go to kitchen'],
      ['pick up thermometer', 'focus on water'],
      ['move metal pot to stove', 'activate stove'],
      ['open door to hallway', 'go to hallway'],
      ['wait1'],
    ]);
  });

  test('every action is kept once, in order, and equal labels never stand for different actions', () => {
    const actions = ['go to desk 1', 'look', 'go to desk 2', 'look', 'go to desk 1', 'look'];
    const segments = segmentByRules('alfworld', actions);
    expect(segments.flatMap((s) => s.actions)).toEqual(actions);
    const byLabel = new Map<string, string>();
    for (const s of segments) {
      const key = s.actions.join('|');
      expect(byLabel.get(s.subtask) ?? key).toBe(key);
      byLabel.set(s.subtask, key);
    }
  });
});

describe('rule progress labels', () => {
  test('navigation subtasks carry a Route, search subtasks a growing Checked list, others one sentence', () => {
    expect(progressMode(['open door to kitchen', 'go to kitchen'])).toBe('navigation');
    expect(ruleProgressLabel(['open door to kitchen', 'go to kitchen'], 2).raw).toBe(
      'Done 2 of 2 actions; last: go to kitchen. || [Route: kitchen]',
    );
    const search = ['go to drawer 1', 'open drawer 1', 'close drawer 1', 'go to drawer 2', 'open drawer 2'];
    expect(progressMode(search)).toBe('search');
    expect(ruleProgressLabel(search, 2).raw).toBe('Done 2 of 5 actions; last: open drawer 1. || [Checked: drawer 1]');
    expect(ruleProgressLabel(search, 5).raw).toBe(
      'Done 5 of 5 actions; last: open drawer 2. || [Checked: drawer 1, drawer 2]',
    );
    expect(ruleProgressLabel(ALF.slice(0, 2), 2).raw).toBe(
      'Done 2 of 2 actions; last: take apple 1 from countertop 1.',
    );
  });

  test('one label per step but the terminal one, and each subtask counts from its own start', () => {
    const segments = segmentByRules('alfworld', ALF);
    const labels = ruleProgressLabels(segments);
    expect(labels).toHaveLength(ALF.length);
    expect(labels.at(-1)).toBeUndefined();
    expect(labels[2]?.label).toBe('Done 1 of 2 actions; last: go to microwave 1.');
  });

  test('the stored target strips an empty Checked list or a bare "||" and keeps a filled one', () => {
    expect(stripProgressSuffix('Looked in the fridge. || [Checked: ]')).toBe('Looked in the fridge.');
    expect(stripProgressSuffix('Looked in the fridge. ||')).toBe('Looked in the fridge.');
    expect(stripProgressSuffix('Looked. || [Checked: fridge 1]')).toBe('Looked. || [Checked: fridge 1]');
  });
});
