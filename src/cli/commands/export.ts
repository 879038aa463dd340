/** `step-hrl export <episode-id>`: the episode's augmented transitions as JSONL (validated records). */
import { createWriteStream } from 'node:fs';
import { writeExport } from '../export-records';
import { action, program } from '../program';
import type { TemporalCliOptions } from '../temporal';
import { historySourceFor } from '../history-flags';

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
