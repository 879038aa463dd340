/**
 * The committed replay fixtures (`tests/fixtures/histories/<version>/`) as a {@link HistorySource},
 * so the record readers can be run on histories recorded by every released version of the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { History, HistorySource } from '../../src/history-source';
import { HISTORIES_DIR } from './record-fixtures';

/** One fixture history with the ids it was recorded under. */
export interface FixtureHistory {
  file: string;
  workflowId: string;
  workflowType: string;
  /** This run's id (`originalExecutionRunId` of its start event). */
  runId: string;
  startedAt: string;
  history: History;
}

/** Every history of one fixture version. */
export function fixtureHistories(version: string): FixtureHistory[] {
  const dir = path.join(HISTORIES_DIR, version);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const raw = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { events?: { eventTime?: string }[] };
      const history = historyFromJSON(raw) as History;
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      return {
        file,
        workflowId: started?.workflowId ?? '',
        workflowType: started?.workflowType?.name ?? '',
        runId: started?.originalExecutionRunId ?? '',
        startedAt: raw.events?.[0]?.eventTime ?? '', // RFC 3339 in UTC: sorts as text
        history,
      };
    });
}

/** The fixtures of `version` read like a cluster: by workflow id (latest run) or by run id. */
export function fixtureHistorySource(version: string): HistorySource {
  const all = fixtureHistories(version);
  return {
    payloadConverter: defaultPayloadConverter,
    async fetch(workflowId, runId) {
      const runs = all.filter((h) => h.workflowId === workflowId);
      if (runId) return runs.find((h) => h.runId === runId)?.history;
      return runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt)).at(-1)?.history;
    },
  };
}
