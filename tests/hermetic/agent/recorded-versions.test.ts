/**
 * Records written before v2 stay readable (issue 11 item 2): every episode history of every
 * committed fixture version (v1-v5 hold v1 records, v6 on v2) reads back through `fetchEpisodeRecord` with each step listed
 * once, every transition validates as a recorded version, high-level transitions are assembled
 * per subtask, and `show`'s tree and `--step` views say what such old records do not hold.
 */
import { parseRecordedTransition } from '../../../src/agent/records';
import { episodeTree } from '../../../src/cli/episode-tree';
import { NOT_STORED_BEFORE_V2, stepDetail, stepDetailLines } from '../../../src/cli/step-view';
import { fetchEpisodeRecord } from '../../../src/client';
import { fixtureHistories, fixtureHistorySource } from '../../support/fixture-histories';
import { readManifest } from '../../support/record-fixtures';

const versions = Object.keys(readManifest());
const episodes = versions.flatMap((version) =>
  [
    ...new Set(
      fixtureHistories(version)
        .filter((h) => h.workflowType === 'episodeWorkflow')
        .map((h) => h.workflowId),
    ),
  ].map((workflowId) => [version, workflowId] as const),
);

test('the fixtures hold episode histories of every version', () => {
  expect(new Set(episodes.map(([version]) => version))).toEqual(new Set(versions));
});

/** Fixture versions recorded with record v2 (complete call records). */
const recordsV2 = (version: string) => Number(version.slice(1)) >= 6;

test.each(episodes)(
  '%s %s reads back whole: steps once, versioned transitions, one high-level record per subtask',
  async (version, id) => {
    const v2 = recordsV2(version);
    const record = await fetchEpisodeRecord(fixtureHistorySource(version), id);
    expect(record.parts.length).toBeGreaterThan(0);
    record.transitions.forEach((tr, i) => {
      expect(parseRecordedTransition(tr)).toEqual(tr);
      expect(tr.version).toBe(v2 ? 2 : 1);
      expect(tr.stepIndex).toBe(i);
    });
    const subtaskIndexes = [...new Set(record.parts.map((p) => p.subtaskIndex))];
    expect(record.highLevel.map((h) => h.subtaskIndex)).toEqual(subtaskIndexes);
    for (const high of record.highLevel) {
      if (v2) expect(high.call?.role).toBe('high');
      else expect(high.call).toBeUndefined(); // not recorded before v2
      const steps = record.transitions.filter((tr) => tr.subtaskIndex === high.subtaskIndex);
      expect(high.steps).toBe(steps.length);
      expect(high.subtask).toBe(steps[0]?.subtask ?? high.subtask);
      if (steps.length > 0) {
        expect(high.observation).toBe(steps[0]!.observation);
        expect(high.nextObservation).toBe(steps.at(-1)!.nextObservation);
        expect(high.return.reward).toBe(steps.reduce((n, tr) => n + tr.reward, 0));
      }
    }
    // Each high level saw the previous subtask's final progress.
    record.highLevel.slice(1).forEach((high, k) => expect(high.lastProgress).toBe(record.highLevel[k]!.finalProgress));

    const tree = episodeTree(record);
    const listed = tree.filter((l) => l.type === 'transition').map((l) => l.data.stepIndex);
    expect(listed).toEqual(record.transitions.map((tr) => tr.stepIndex));
    expect(
      tree
        .filter((l) => l.type === 'subtask')
        .map((l) => l.text)
        .join('\n'),
    ).toContain(v2 ? (record.highLevel[0]?.subtask ?? '') : 'high-level call not stored (recorded before v2)');

    if (record.transitions.length > 0 && !v2) {
      const detail = stepDetail(record, 1);
      expect(detail.missing).toContain(`low-level call: ${NOT_STORED_BEFORE_V2}`);
      const text = stepDetailLines(detail).join('\n');
      expect(text).toContain(`low-level call: ${NOT_STORED_BEFORE_V2}`);
      expect(text).toContain(record.transitions[0]!.observation.split('\n')[1] ?? record.transitions[0]!.observation);
    }
  },
);

test.each(versions.filter((v) => v !== 'v1'))(
  '%s: continue-as-new, re-drive, resume and parts show as markers of one episode',
  async (version) => {
    const source = fixtureHistorySource(version);
    const ids = new Set(fixtureHistories(version).map((h) => h.workflowId));
    const kinds = async (suffix: string) => {
      const id = `fixture-${version}${suffix}`;
      const record = await fetchEpisodeRecord(source, id);
      return {
        record,
        kinds: episodeTree(record)
          .filter((l) => l.type === 'marker')
          .map((l) => l.data.kind),
      };
    };
    const can = await kinds('-continue-as-new');
    expect(can.kinds).toContain('continued-as-new');
    expect(can.record.runs).toBeGreaterThanOrEqual(2); // every run committed as a fixture (two before v9)
    const redrive = await kinds('-redrive');
    expect(redrive.kinds).toContain('redrive');
    expect(redrive.record.redrives).toBeGreaterThanOrEqual(1);
    expect(redrive.kinds).toContain('part'); // the re-driven subtask goes on in its next child run
    expect((await kinds('-resume')).kinds).toContain('resumed');
    if (ids.has(`fixture-${version}-parts`)) expect((await kinds('-parts')).kinds).toContain('part');
  },
);

test('--step out of range names the flag and the valid range', async () => {
  const id = fixtureHistories('v5').find((h) => h.file === 'multi-episode.json')!.workflowId;
  const record = await fetchEpisodeRecord(fixtureHistorySource('v5'), id);
  expect(() => stepDetail(record, record.transitions.length + 1)).toThrow(
    `--step ${record.transitions.length + 1}: episode ${id} has steps 1 to ${record.transitions.length}; pass one of them`,
  );
});
