/** `step-hrl export <episode-id>`: the episode's augmented transitions as JSONL (validated records). */
import { createWriteStream } from 'node:fs';
import { AugmentedTransition } from '../../agent/records';
import { fetchTransitions } from '../../client';
import type { HistorySource } from '../../history-source';
import { action, program } from '../program';
import { REACT_WORKFLOW_TYPE, reactExportError } from '../react-show';
import type { TemporalCliOptions } from '../temporal';
import { historySourceFor } from '../history-flags';

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

program
  .command('export')
  .description('Export the augmented step-level transitions of episodes as JSONL')
  .argument('<episode-ids...>', 'workflow ids of the episodes')
  .option('--out <file>', 'output file (default: stdout)')
  .option('--archive <dir>', 'read the episodes from an archive bundle (`step-hrl archive`) instead of Temporal')
  .option('--data-dir <dir>', 'data dir of the embedded server')
  .option('--port <port>', 'port of the embedded server')
  .action(
    action(async (episodeIds, flags) => {
      const { source, close } = await historySourceFor(flags as TemporalCliOptions & { archive?: string });
      const sink = flags.out ? createWriteStream(flags.out) : process.stdout;
      let count = 0;
      try {
        count = await writeExport(source, episodeIds, (line) => sink.write(line));
      } finally {
        if (sink !== process.stdout) await new Promise<void>((resolve) => sink.end(() => resolve()));
        await close();
      }
      if (flags.out) console.error(`wrote ${count} transitions to ${flags.out}`);
    }),
  );
