/**
 * `step-hrl show <episode-id>`: an episode's status, summary and its subtask → step tree;
 * `--step N` prints one decision in full instead. Reads Temporal, or an archive bundle (`--archive`).
 */
import { archivedRun, archiveHistories, type ArchiveSource } from '../../archive/read';
import { fetchEpisodeRecord } from '../../client';
import { PayloadDecryptionError } from '../../codec/aes-gcm-codec';
import type { HistorySource } from '../../history-source';
import type { EpisodeResult } from '../../workflows/episode';
import { episodeProgressQuery } from '../../workflows/messages';
import { episodeTree } from '../episode-tree';
import { describeWorkflowFailure } from '../failure';
import { createOutput, type Output } from '../output';
import { action, program } from '../program';
import { REACT_WORKFLOW_TYPE, showReactEpisode } from '../react-show';
import { stepDetail, stepDetailLines } from '../step-view';
import { openTemporal, withTemporalOptions, type TemporalCliOptions } from '../temporal';

/** Prints the end-of-episode summary. */
export function printEpisodeSummary(result: EpisodeResult, out: Output): void {
  const table = out.table([
    'episode',
    'status',
    'won',
    'score',
    'steps',
    'subtasks',
    'tokens',
    'spent',
    'runs',
    're-drives',
  ]);
  table.push([
    result.episodeId,
    result.status,
    result.won ? 'yes' : 'no',
    result.score,
    result.steps,
    result.subtasks.length,
    result.tokens,
    result.spentTokens,
    result.runs,
    result.redrives,
  ]);
  out.event('result', { ...result }, table.toString());
  const versions = Object.entries(result.envVersions ?? {}).map(([name, version]) => `${name} ${version}`);
  if (versions.length > 0) out.line(out.dim(`env: ${versions.join(', ')}`));
  if (result.error) out.line(`error: ${result.error}`);
  const fork = result.forkOf;
  if (fork)
    out.line(
      `fork of ${fork.episodeId} (run ${fork.runId}) from subtask ${fork.fromSubtask}: subtasks before it are the ` +
        `shared prefix (their steps name ${fork.episodeId})`,
    );
}

/**
 * Throws (so the command prints one `Error:` line and exits 1) when the episode could not be
 * played to an end of its own: the model failed for good (`llm-error`) or the env diverged or
 * kept losing its session (`env-error`). Budgets, cancel and a finished env are normal ends.
 */
export function failOnErrorStatus(result: Pick<EpisodeResult, 'status' | 'episodeId' | 'error'>): void {
  if (result.status === 'llm-error' || result.status === 'env-error')
    throw new Error(`episode ${result.episodeId} ended ${result.status}: ${result.error ?? 'no message recorded'}`);
}

withTemporalOptions(program.command('show'))
  .description('Show an episode: status, summary and its subtask -> step tree (--step N: one decision in full)')
  .argument('<episode-id>', 'workflow id of the episode')
  .option('--archive <dir>', 'read the episode from an archive bundle (`step-hrl archive`) instead of Temporal')
  .option('--step <n>', 'print step N (1-based, as the tree numbers it) in full: prompts, raw replies, observations')
  .option('--json', 'print JSON lines instead of text')
  .action(
    action(async (episodeId, flags) => {
      const out = createOutput(Boolean(flags.json));
      const step = flags.step === undefined ? undefined : parseStep(flags.step);
      if (flags.archive) return showArchivedEpisode(archiveHistories(flags.archive), episodeId, out, step);
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
        if (description.type === REACT_WORKFLOW_TYPE) {
          if (step !== undefined) throw reactStepError(episodeId);
          return await showReactEpisode(handle, status, out, Boolean(flags.json));
        }
        if (step !== undefined) return await printStep(temporal.client, episodeId, step, out);
        if (status === 'COMPLETED') printEpisodeSummary((await handle.result()) as EpisodeResult, out);
        else if (status === 'RUNNING') out.line(JSON.stringify(await handle.query(episodeProgressQuery)));
        else if (status === 'FAILED') {
          const cause = await handle.result().then(
            () => undefined,
            (err: unknown) => describeWorkflowFailure(err),
          );
          if (cause) out.line(`failed: ${cause}`);
        }
        await printTree(temporal.client, episodeId, out);
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

function reactStepError(episodeId: string): Error {
  return new Error(`--step: episode ${episodeId} is a ReAct baseline episode; its steps are in plain \`show\``);
}

/** One decision in full. */
async function printStep(
  from: Parameters<typeof fetchEpisodeRecord>[0],
  episodeId: string,
  step: number,
  out: Output,
): Promise<void> {
  const detail = stepDetail(await fetchEpisodeRecord(from, episodeId), step);
  out.event('step', { ...detail }, stepDetailLines(detail).join('\n'));
}

/** The subtask -> step tree, every run and re-drive shown as one episode. */
async function printTree(
  from: Parameters<typeof fetchEpisodeRecord>[0] | HistorySource,
  episodeId: string,
  out: Output,
): Promise<void> {
  const record = await fetchEpisodeRecord(from, episodeId);
  for (const line of episodeTree(record)) out.event(line.type, line.data, line.text);
  if (record.runs > 1 || record.redrives > 0)
    out.line(out.dim(`${record.runs} workflow run(s), ${record.redrives} re-drive(s), shown as one episode`));
}

/** `show --archive`: the same summary and tree (or one step), read from a bundle (no server). */
async function showArchivedEpisode(
  source: ArchiveSource,
  episodeId: string,
  out: Output,
  step: number | undefined,
): Promise<void> {
  const run = await archivedRun(source, episodeId);
  if (!run)
    throw new Error(
      `archive ${source.dir} has no episode ${JSON.stringify(episodeId)}; it holds ${source.manifest.rootId}`,
    );
  out.line(`episode ${episodeId}: ${run.status} (archived ${source.manifest.created})`);
  if (run.workflowType === REACT_WORKFLOW_TYPE) {
    if (step !== undefined) throw reactStepError(episodeId);
    return void out.event('result', { ...(run.result as object) }, JSON.stringify(run.result));
  }
  if (step !== undefined) return printStep(source, episodeId, step, out);
  if (run.result) printEpisodeSummary(run.result as EpisodeResult, out);
  if (run.failure) out.line(`failed: ${run.failure}`);
  await printTree(source, episodeId, out);
}
