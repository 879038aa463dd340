/**
 * Exports of recorded histories (the committed replay fixtures, `tests/fixtures/histories`): the
 * episode, continue-as-new and resumed-run fixtures read through a {@link HistorySource} over the
 * files export with the runs of their chain named, verify intact, and give training rows whose
 * counts follow the steps, so exports keep working on episodes recorded by earlier step-hrl versions.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { collectEpisodes, headerFields } from '../../../src/export/collect';
import { chainLines } from '../../../src/export/hash-chain';
import { HIGH_LEVEL_RECORD, stepOf, type StepView } from '../../../src/export/record-fields';
import { episodeTrainingRows } from '../../../src/export/training-rows';
import { verifyExportText } from '../../../src/export/verify';
import type { History, HistorySource } from '../../../src/history-source';
import { HISTORIES_DIR } from '../../support/record-fixtures';

/** The runs in `files` (oldest first) as the histories of one workflow id; the last is the latest run. */
function fixtureSource(version: string, files: string[]): { source: HistorySource; runIds: string[] } {
  const runs = files.map(
    (file) => historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, version, file), 'utf8'))) as History,
  );
  const runIdOf = (h: History) => h.events![0].workflowExecutionStartedEventAttributes!.originalExecutionRunId!;
  return {
    runIds: runs.map(runIdOf),
    source: {
      payloadConverter: defaultPayloadConverter,
      fetch: async (_workflowId, runId) => (runId ? runs.find((h) => runIdOf(h) === runId) : runs.at(-1)),
    },
  };
}

const cases: [string, string, string[]][] = [
  ['several subtasks', 'fixture-v5-multi', ['multi-episode.json']],
  ['continue-as-new', 'fixture-v5-continue-as-new', ['can-first-run.json', 'can-continued-run.json']],
  ['a resumed run', 'fixture-v5-resume', ['resume-terminated-run.json', 'resume-resumed-run.json']],
  ['a re-drive', 'fixture-v5-redrive', ['redrive-episode.json']],
  ['one subtask in parts', 'fixture-v5-parts', ['parts-episode.json']],
];

test.each(cases)(
  'an episode with %s exports, names its runs, verifies and gives training rows',
  async (_, id, files) => {
    const { source, runIds } = fixtureSource('v5', files);
    const [episode] = await collectEpisodes(source, [id]);
    expect(episode.source.runIds).toEqual(runIds);
    expect(episode.records.length).toBeGreaterThan(0);

    const text = chainLines(headerFields('default', [episode], new Date(0)), episode.records).join('\n');
    expect(verifyExportText(text)).toMatchObject({ ok: true, count: episode.records.length });

    // The records: each subtask's high-level transition, then its steps.
    const steps = episode.records.map(stepOf).filter((s): s is StepView => s !== undefined);
    const highLevel = episode.records.filter((r) => (r as { record?: string }).record === HIGH_LEVEL_RECORD);
    expect(steps.length + highLevel.length).toBe(episode.records.length);
    expect(highLevel).toHaveLength(new Set(steps.map((s) => s.subtaskIndex)).size);
    const rows = episodeTrainingRows({ steps, config: episode.source.config, profile: episode.source.config.profile });
    expect(rows.filter((r) => r.role === 'low')).toHaveLength(steps.length);
    expect(rows.filter((r) => r.role === 'high')).toHaveLength(new Set(steps.map((s) => s.subtaskIndex)).size);
    expect(rows.filter((r) => r.role === 'progress')).toHaveLength(steps.filter((s) => s.progressUpdated).length);
  },
);
