/** `step-hrl show <episode-id>`: an episode's status, summary and its transitions as a table. */
import { transitionTokens } from '../../agent/record-tokens';
import type { AugmentedTransition } from '../../agent/records';
import { archivedRun, archiveHistories, type ArchiveSource } from '../../archive/read';
import { fetchTransitions } from '../../client';
import { PayloadDecryptionError } from '../../codec/aes-gcm-codec';
import type { EpisodeResult } from '../../workflows/episode';
import { episodeProgressQuery } from '../../workflows/messages';
import { describeWorkflowFailure } from '../failure';
import { createOutput, type Output } from '../output';
import { action, program } from '../program';
import { REACT_WORKFLOW_TYPE, showReactEpisode } from '../react-show';
import { openTemporal, type TemporalCliOptions } from '../temporal';

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

program
  .command('show')
  .description('Show an episode: status, summary and every recorded step')
  .argument('<episode-id>', 'workflow id of the episode')
  .option('--archive <dir>', 'read the episode from an archive bundle (`step-hrl archive`) instead of Temporal')
  .option('--data-dir <dir>', 'data dir of the embedded server')
  .option('--port <port>', 'port of the embedded server')
  .option('--json', 'print JSON lines instead of text')
  .action(
    action(async (episodeId, flags) => {
      const out = createOutput(Boolean(flags.json));
      if (flags.archive)
        return showArchivedEpisode(archiveHistories(flags.archive), episodeId, out, Boolean(flags.json));
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
        if (description.type === REACT_WORKFLOW_TYPE)
          return await showReactEpisode(handle, status, out, Boolean(flags.json));
        if (status === 'COMPLETED') printEpisodeSummary((await handle.result()) as EpisodeResult, out);
        else if (status === 'RUNNING') out.line(JSON.stringify(await handle.query(episodeProgressQuery)));
        else if (status === 'FAILED') {
          const cause = await handle.result().then(
            () => undefined,
            (err: unknown) => describeWorkflowFailure(err),
          );
          if (cause) out.line(`failed: ${cause}`);
        }
        printTransitions(await fetchTransitions(temporal.client, episodeId), out, Boolean(flags.json));
      } finally {
        await temporal.close();
      }
    }),
  );

/** The transitions table (text) or one JSON line per transition. */
function printTransitions(transitions: AugmentedTransition[], out: Output, json: boolean): void {
  const table = out.table(['step', 'subtask', 'action', 'done?', 'reward', 'score', 'tokens']);
  for (const tr of transitions) {
    const tokens = transitionTokens(tr);
    table.push([
      tr.stepIndex + 1,
      `${tr.subtaskIndex + 1}. ${tr.subtask.slice(0, 40)}`,
      tr.action.slice(0, 40),
      tr.subtaskDone ? 'yes' : '',
      tr.reward,
      tr.score,
      tokens,
    ]);
    out.event('transition', { ...tr }, '');
  }
  if (!json) console.log(table.toString());
}

/** `show --archive`: the same summary and table, read from a bundle (no server). */
async function showArchivedEpisode(
  source: ArchiveSource,
  episodeId: string,
  out: Output,
  json: boolean,
): Promise<void> {
  const run = await archivedRun(source, episodeId);
  if (!run)
    throw new Error(
      `archive ${source.dir} has no episode ${JSON.stringify(episodeId)}; it holds ${source.manifest.rootId}`,
    );
  out.line(`episode ${episodeId}: ${run.status} (archived ${source.manifest.created})`);
  if (run.workflowType === REACT_WORKFLOW_TYPE)
    return void out.event('result', { ...(run.result as object) }, JSON.stringify(run.result));
  if (run.result) printEpisodeSummary(run.result as EpisodeResult, out);
  if (run.failure) out.line(`failed: ${run.failure}`);
  printTransitions(await fetchTransitions(source, episodeId), out, json);
}
