/**
 * `step-hrl archive <id> --out <dir>` (or `--eval <id>`): writes a self-contained bundle of an
 * episode or eval (manifest, every workflow history, the export) that `show`, `export` and
 * `replay` read with `--archive <dir>` after the namespace has forgotten the run.
 */
import { writeArchive } from '../../archive/write';
import { liveHistories } from '../../history-source';
import { program } from '../program';
import { outputAction } from '../output-action';
import { withTemporalOptions, openTemporal, type TemporalCliOptions } from '../temporal';
import { writeExport } from '../export-records';

withTemporalOptions(program.command('archive'))
  .description('Write an episode or eval (histories, export, manifest) to a self-contained folder')
  .argument('[episode-id]', 'workflow id of the episode')
  .option('--eval <id>', 'archive an eval (every episode of it) instead of one episode')
  .requiredOption('--out <dir>', 'new or empty folder to write the bundle to')
  .option('--json', 'print JSON lines instead of text')
  .action(
    outputAction(async (out, episodeId, flags) => {
      if (Boolean(episodeId) === Boolean(flags.eval))
        throw new Error('pass either an episode id or --eval <id> (exactly one) to archive');
      const id = (episodeId ?? flags.eval)!;
      const temporal = await openTemporal(flags as TemporalCliOptions);
      try {
        // The export writer is `export`'s own, so the bundle's export.jsonl is what `export` would write.
        const namespace = temporal.target.namespace;
        const manifest = await writeArchive(liveHistories(temporal.client), id, flags.out, {
          writeExport: (source, ids, write) => writeExport(source, ids, write, { namespace, skipMissing: true }),
        });
        if (flags.eval && manifest.kind !== 'eval')
          out.line(`note: ${id} is an episode, not an eval; archived it as an episode`);
        out.event(
          'archived',
          { ...manifest, histories: manifest.histories.length },
          `archived ${manifest.kind} ${id}: ${manifest.histories.length} histories, ${manifest.exportRecords} ` +
            `export records -> ${flags.out}` +
            (manifest.missing.length > 0 ? ` (${manifest.missing.length} histories missing: past retention?)` : ''),
        );
      } finally {
        await temporal.close();
      }
    }),
  );
