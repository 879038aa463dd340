/** `step-hrl export <episode-id>`: the episode's augmented transitions as JSONL (validated records). */
import { createWriteStream } from 'node:fs';
import type { Client } from '@temporalio/client';
import { AugmentedTransition } from '../../agent/records';
import { fetchTransitions } from '../../client';
import { action, program } from '../program';
import { REACT_WORKFLOW_TYPE, reactExportError } from '../react-show';
import { openTemporal, withTemporalOptions, type TemporalCliOptions } from '../temporal';

/** The workflow type of `id`, or undefined when there is no such workflow. */
function workflowType(client: Client, id: string): Promise<string | undefined> {
  return client.workflow
    .getHandle(id)
    .describe()
    .then(
      (d) => d.type,
      () => undefined,
    );
}

withTemporalOptions(program.command('export'))
  .description('Export the augmented step-level transitions of episodes as JSONL')
  .argument('<episode-ids...>', 'workflow ids of the episodes')
  .option('--out <file>', 'output file (default: stdout)')
  .action(
    action(async (episodeIds, flags) => {
      const temporal = await openTemporal(flags as TemporalCliOptions);
      const sink = flags.out ? createWriteStream(flags.out) : process.stdout;
      let count = 0;
      try {
        for (const id of episodeIds) {
          const transitions = await fetchTransitions(temporal.client, id);
          if (transitions.length === 0 && (await workflowType(temporal.client, id)) === REACT_WORKFLOW_TYPE)
            throw reactExportError(id);
          if (transitions.length === 0)
            throw new Error(`episode ${JSON.stringify(id)} has no recorded transitions; check the id and --data-dir`);
          for (const tr of transitions) {
            sink.write(JSON.stringify(AugmentedTransition.parse(tr)) + '\n');
            count += 1;
          }
        }
      } finally {
        if (sink !== process.stdout) await new Promise<void>((resolve) => sink.end(() => resolve()));
        await temporal.close();
      }
      if (flags.out) console.error(`wrote ${count} transitions to ${flags.out}`);
    }),
  );
