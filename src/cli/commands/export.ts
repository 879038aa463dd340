/**
 * `step-hrl export <episode-id...>`: the episodes' records as hash-chained JSONL (`--format records`,
 * checked by `step-hrl verify`), or per-role training rows with a dataset card
 * (`--format training-prompt|training-chat`). Reads Temporal, or an archive bundle (`--archive`).
 * Format: docs/export-format.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { recordsPath } from '../../export/output-paths';
import { writeTrainingExport } from '../../export/write-training';
import { oneOf } from '../episode-options';
import { collectForExport, writeExport } from '../export-records';
import { historySourceFor } from '../history-flags';
import { action, program } from '../program';
import { withTemporalOptions, type TemporalCliOptions } from '../temporal';

const FORMATS = ['records', 'training-prompt', 'training-chat'] as const;

/** Namespace named in an export read from an archive bundle (the live one is the cluster's). */
const ARCHIVE_NAMESPACE = 'archive';

withTemporalOptions(program.command('export'))
  .description('Export episodes as hash-chained JSONL records (check with `verify`) or as per-role training rows')
  .argument('<episode-ids...>', 'workflow ids of the episodes')
  .option(
    '--format <format>',
    'records (augmented transitions, hash-chained) | training-prompt (prompt/completion JSONL) | training-chat (chat-messages JSONL)',
    'records',
  )
  .option(
    '--profile <profile>',
    'training rows: render prompts in this profile (paper | chat; default: the one each episode ran with)',
  )
  .option('--out <dir|file>', 'output file, or a directory (records: <dir>/export.jsonl); default for records: stdout')
  .option('--archive <dir>', 'read the episodes from an archive bundle (`step-hrl archive`) instead of Temporal')
  .action(
    action(async (episodeIds: string[], flags) => {
      const format = oneOf('--format', flags.format, FORMATS);
      const profile =
        flags.profile === undefined ? undefined : oneOf('--profile', flags.profile, ['paper', 'chat'] as const);
      if (format !== 'records' && !flags.out)
        throw new Error(`--format ${format} writes one file per role and a dataset card: pass --out <dir|file>`);
      if (format === 'records' && profile)
        throw new Error('--profile renders training rows; use it with --format training-prompt or training-chat');
      const opened = await historySourceFor(flags as TemporalCliOptions & { archive?: string });
      const namespace = opened.temporal?.target.namespace ?? ARCHIVE_NAMESPACE;
      try {
        if (format === 'records') {
          const lines: string[] = [];
          const written = await writeExport(opened.source, episodeIds, (line) => lines.push(line), { namespace });
          if (!flags.out) {
            process.stdout.write(lines.join(''));
            return;
          }
          const file = recordsPath(flags.out);
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, lines.join(''));
          console.error(`wrote ${written.records} records (hash-chained) to ${file}`);
          return;
        }
        const episodes = await collectForExport(opened.source, episodeIds);
        const written = writeTrainingExport(episodes, {
          format,
          out: flags.out!,
          namespace,
          profile,
          exportedAt: new Date(),
        });
        const counts = Object.entries(written.counts)
          .map(([role, n]) => `${n} ${role}`)
          .join(', ');
        console.error(`wrote ${counts} rows to ${written.files.join(', ')}; dataset card ${written.card}`);
      } finally {
        await opened.close();
      }
    }),
  );
