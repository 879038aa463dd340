/**
 * `step-hrl export <episode-id...>`: the episodes' records as hash-chained JSONL (`--format records`,
 * checked by `step-hrl verify`), or per-role training rows with a dataset card
 * (`--format training-prompt|training-chat`). Format: docs/export-format.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { collectEpisodes, headerFields, NoRecordError, type CollectedEpisode } from '../../export/collect';
import { chainLines } from '../../export/hash-chain';
import { recordsPath } from '../../export/output-paths';
import { writeTrainingExport } from '../../export/write-training';
import { liveHistories } from '../../history-source';
import { oneOf } from '../episode-options';
import { action, program } from '../program';
import { REACT_WORKFLOW_TYPE, reactExportError } from '../react-show';
import { openTemporal, type TemporalCliOptions } from '../temporal';

const FORMATS = ['records', 'training-prompt', 'training-chat'] as const;

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

/** Reads the episodes, turning "no record" for a ReAct episode into the message that explains it. */
async function collect(client: Client, episodeIds: string[]): Promise<CollectedEpisode[]> {
  try {
    return await collectEpisodes(liveHistories(client), episodeIds);
  } catch (err) {
    if (err instanceof NoRecordError && (await workflowType(client, err.episodeId)) === REACT_WORKFLOW_TYPE)
      throw reactExportError(err.episodeId);
    throw err;
  }
}

program
  .command('export')
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
  .option('--data-dir <dir>', 'data dir of the embedded server')
  .option('--port <port>', 'port of the embedded server')
  .action(
    action(async (episodeIds, flags) => {
      const format = oneOf('--format', flags.format, FORMATS);
      const profile =
        flags.profile === undefined ? undefined : oneOf('--profile', flags.profile, ['paper', 'chat'] as const);
      if (format !== 'records' && !flags.out)
        throw new Error(`--format ${format} writes one file per role and a dataset card: pass --out <dir|file>`);
      if (format === 'records' && profile)
        throw new Error('--profile renders training rows; use it with --format training-prompt or training-chat');
      const temporal = await openTemporal(flags as TemporalCliOptions);
      let episodes: CollectedEpisode[];
      try {
        episodes = await collect(temporal.client, episodeIds);
      } finally {
        await temporal.close();
      }
      const namespace = temporal.target.namespace;
      const exportedAt = new Date();
      if (format === 'records') {
        const records = episodes.flatMap((e) => e.records);
        const text = chainLines(headerFields(namespace, episodes, exportedAt), records).join('\n') + '\n';
        if (!flags.out) {
          process.stdout.write(text);
          return;
        }
        const file = recordsPath(flags.out);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, text);
        console.error(`wrote ${records.length} records (hash-chained) to ${file}`);
        return;
      }
      const written = writeTrainingExport(episodes, { format, out: flags.out!, namespace, profile, exportedAt });
      const counts = Object.entries(written.counts)
        .map(([role, n]) => `${n} ${role}`)
        .join(', ');
      console.error(`wrote ${counts} rows to ${written.files.join(', ')}; dataset card ${written.card}`);
    }),
  );
