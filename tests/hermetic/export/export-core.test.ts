/**
 * The pure parts of the export: canonical JSON, the verifier's less common findings (appended lines,
 * an edited end line, an edit re-hashed in place) and the training rows' edge cases (an unparseable
 * step, an unknown action, an unfinished episode, ALFWorld's 0/1 rewards).
 */
import { DEFAULT_EPISODE_CONFIG } from '../../../src/agent/config';
import { canonicalJson } from '../../../src/export/canonical-json';
import { chainLines, hashOf, recordHash, type HeaderFields } from '../../../src/export/hash-chain';
import type { StepView } from '../../../src/export/record-fields';
import { END_PLACEHOLDERS, episodeTrainingRows, feedbackOf } from '../../../src/export/training-rows';
import { verifyExportText } from '../../../src/export/verify';

describe('canonical JSON', () => {
  test('sorts keys at every depth, writes no whitespace, drops undefined like JSON.stringify', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }], e: undefined })).toBe('{"a":[{"c":null,"d":"x"}],"b":1}');
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
    // RFC 8785's ordering is by UTF-16 code units, which is what Array.prototype.sort does.
    expect(canonicalJson({ é: 1, z: 2, Z: 3 })).toBe('{"Z":3,"z":2,"é":1}');
  });
  test('the SHA-256 is over the canonical text', () => {
    expect(hashOf({ b: 1, a: 2 })).toBe(hashOf({ a: 2, b: 1 }));
    expect(hashOf({ a: 2, b: 1 })).toBe('d3626ac30a87e6f7a6428233b3c68299976865fa5508e4267c5415c76af7a772'); // sha256 of {"a":2,"b":1}
  });
});

const fields: HeaderFields = {
  identity: { namespace: 'default', episodes: [{ episodeId: 'ep', runIds: ['r1'] }] },
  stepHrlVersion: '0.1.0',
  recordVersions: [1],
  exportedAt: '2026-01-01T00:00:00.000Z',
};
const records = [
  { version: 1, n: 0 },
  { version: 1, n: 1 },
  { version: 1, n: 2 },
];

describe('verify', () => {
  test('an intact chain verifies; an empty one too', () => {
    expect(verifyExportText(chainLines(fields, records).join('\n'))).toMatchObject({ ok: true, count: 3 });
    expect(verifyExportText(chainLines(fields, []).join('\n'))).toMatchObject({ ok: true, count: 0 });
  });
  test('an edit re-hashed in place is caught by the next record', () => {
    const lines = chainLines(fields, records);
    const line = JSON.parse(lines[2]);
    line.record.n = 99;
    line.hash = recordHash(1, line.prevHash, fields.identity, line.record);
    lines[2] = JSON.stringify(line);
    expect(verifyExportText(lines.join('\n'))).toMatchObject({ ok: false, problem: 'edited', seq: 1 });
  });
  test('appended lines and an edited end line are named', () => {
    const lines = chainLines(fields, records);
    expect(verifyExportText([...lines, '{"more":1}'].join('\n'))).toMatchObject({
      ok: false,
      message: 'line 6 follows the end line: content was appended',
    });
    const end = JSON.parse(lines.at(-1)!);
    end.count = 2;
    expect(verifyExportText([...lines.slice(0, -1), JSON.stringify(end)].join('\n'))).toMatchObject({
      ok: false,
      problem: 'edited',
      message: expect.stringContaining('end line (line 5) was edited'),
    });
  });
  test('an empty file is not an export', () => {
    expect(verifyExportText('', 'x.jsonl')).toMatchObject({ ok: false, problem: 'not-export' });
  });
});

const step = (over: Partial<StepView>): StepView => ({
  episodeId: 'ep',
  subtaskIndex: 0,
  stepIndex: 0,
  task: 'Your task is to boil water.',
  subtask: 'go to kitchen',
  completedSubtasks: [],
  progressBefore: 'None',
  progressAfter: 'went',
  observation: '\nObs: a\nLook: room\nInventory: none',
  action: 'go kitchen',
  nextObservation: '\nObs: b\nLook: kitchen\nInventory: none',
  reward: 0,
  done: false,
  won: false,
  subtaskDone: false,
  invalid: false,
  progressUpdated: true,
  ...over,
});
const config = { spec: { env: 'scienceworld' as const, task: 'boil' }, decoding: DEFAULT_EPISODE_CONFIG.decoding };

describe('training rows', () => {
  test('an unparseable step and an unknown action earn -1; an unfinished episode ends with its placeholder', () => {
    const rows = episodeTrainingRows({
      profile: 'paper',
      config,
      steps: [
        step({
          stepIndex: 0,
          action: 'None',
          invalid: true,
          nextObservation: '\nObs: No known action matches that input.\nLook: x\nInventory: y',
        }),
        step({
          stepIndex: 1,
          action: 'fly',
          nextObservation: '\nObs: No known action matches that input.\nLook: x\nInventory: y',
        }),
        step({ stepIndex: 2, reward: 25, subtaskDone: true }),
        step({ stepIndex: 3, subtaskIndex: 1, subtask: 'boil', completedSubtasks: ['go to kitchen'], reward: 10 }),
      ],
    });
    const low = rows.filter((r) => r.role === 'low');
    expect(low.map((r) => [r.reward, r.done, r.invalid])).toEqual([
      [-1, false, true],
      [-1, false, false],
      [1, true, false],
      [0, true, false], // cut short: the subtask ends here but was not completed
    ]);
    const high = rows.filter((r) => r.role === 'high');
    expect(high.map((r) => r.reward)).toEqual([0.25, 0.1]);
    // The second subtask's high level saw the first one's final progress.
    expect(high[1].call.prompt).toContain('Last subtask progress: went\n');
    expect(high[1].call.prompt).toContain("Historical subtasks: ['go to kitchen']");
    expect(rows.at(-1)!.next).toBe(END_PLACEHOLDERS.unfinished);
  });
  test('ALFWorld rewards are 0/1 already; a lost episode ends with "Task failed."', () => {
    const rows = episodeTrainingRows({
      profile: 'chat',
      config: { ...config, spec: { env: 'alfworld', task: 'g' } },
      steps: [step({ reward: 1, done: true, observation: 'You see a desk.\n', nextObservation: 'Nothing happens.\n' })],
    });
    expect(rows.find((r) => r.role === 'high')!.reward).toBe(1);
    expect(rows.find((r) => r.role === 'low')!.next).toBe(END_PLACEHOLDERS.lost);
    expect(feedbackOf('Nothing happens. You are in a room.\n')).toBe('Nothing happens. You are in a room.');
  });
});
