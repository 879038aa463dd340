/** The JSONL export of episodes' records: one writer for `export` and `archive`. */
import { AugmentedTransition } from '../agent/records';
import { fetchTransitions } from '../client';
import type { HistorySource } from '../history-source';
import { REACT_WORKFLOW_TYPE, reactExportError } from './react-show';

/** The workflow type of `id` (its latest run), or undefined when there is no such workflow. */
async function workflowType(source: HistorySource, id: string): Promise<string | undefined> {
  const history = await source.fetch(id);
  return history?.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? undefined;
}

/**
 * Writes the records of `episodeIds` as JSONL lines through `write`; returns how many. The one
 * export writer: `archive` calls it too.
 */
export async function writeExport(
  source: HistorySource,
  episodeIds: readonly string[],
  write: (line: string) => void,
): Promise<number> {
  let count = 0;
  for (const id of episodeIds) {
    const transitions = await fetchTransitions(source, id);
    if (transitions.length === 0 && (await workflowType(source, id)) === REACT_WORKFLOW_TYPE)
      throw reactExportError(id);
    if (transitions.length === 0)
      throw new Error(`episode ${JSON.stringify(id)} has no recorded transitions; check the id and --data-dir`);
    for (const tr of transitions) {
      write(JSON.stringify(AugmentedTransition.parse(tr)) + '\n');
      count += 1;
    }
  }
  return count;
}
