/**
 * `step-hrl show <episode-id>`: an episode's status, summary and its steps (STEP-HRL: the subtask →
 * step tree; `--step N` prints one decision in full), for either agent kind: the kind's view comes
 * from `agents.ts`. Reads Temporal, or an archive bundle (`--archive`).
 */
import { archivedRun, archiveHistories, type ArchiveSource } from '../../archive/read';
import { PayloadDecryptionError } from '../../codec/aes-gcm-codec';
import { agentOfWorkflowType, type ShowView } from '../agents';
import type { Output } from '../output';
import { program } from '../program';
import { outputAction } from '../output-action';
import { openTemporal, withTemporalOptions, type TemporalCliOptions } from '../temporal';

withTemporalOptions(program.command('show'))
  .description('Show an episode: status, summary and its subtask -> step tree (--step N: one decision in full)')
  .argument('<episode-id>', 'workflow id of the episode')
  .option('--archive <dir>', 'read the episode from an archive bundle (`step-hrl archive`) instead of Temporal')
  .option('--step <n>', 'print step N (1-based, as the tree numbers it) in full: prompts, raw replies, observations')
  .option('--json', 'print JSON lines instead of text')
  .action(
    outputAction(async (out, episodeId, flags) => {
      const view: ShowView = {
        json: Boolean(flags.json),
        step: flags.step === undefined ? undefined : parseStep(flags.step),
      };
      if (flags.archive) return showArchivedEpisode(archiveHistories(flags.archive), episodeId, out, view);
      const temporal = await openTemporal(flags as TemporalCliOptions);
      try {
        const handle = temporal.client.workflow.getHandle(episodeId);
        const description = await handle.describe().catch((err: unknown) => {
          if (err instanceof PayloadDecryptionError) throw err; // its memo is encrypted: say which key is missing
          throw new Error(
            `no episode with id ${JSON.stringify(episodeId)}; list runs in the Temporal UI or check --data-dir`,
          );
        });
        const status = description.status.name;
        out.line(`episode ${episodeId}: ${status}`);
        await agentOfWorkflowType(description.type).show(temporal.client, handle, status, out, view);
      } finally {
        await temporal.close();
      }
    }),
  );

/** `--step` as a 1-based step number, or an error naming the flag. */
function parseStep(text: string): number {
  const step = Number(text);
  if (!Number.isInteger(step) || step < 1)
    throw new Error(
      `--step ${JSON.stringify(text)} is not a step number; pass an integer from 1 (the tree's numbering)`,
    );
  return step;
}

/** `show --archive`: the same view, read from a bundle (no server). */
async function showArchivedEpisode(
  source: ArchiveSource,
  episodeId: string,
  out: Output,
  view: ShowView,
): Promise<void> {
  const run = await archivedRun(source, episodeId);
  if (!run)
    throw new Error(
      `archive ${source.dir} has no episode ${JSON.stringify(episodeId)}; it holds ${source.manifest.rootId}`,
    );
  out.line(`episode ${episodeId}: ${run.status} (archived ${source.manifest.created})`);
  await agentOfWorkflowType(run.workflowType).showArchived(source, run, episodeId, out, view);
}
