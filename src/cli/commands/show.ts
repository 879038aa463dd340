/** `step-hrl show <episode-id>`: an episode's status, summary and its transitions as a table. */
import { transitionTokens } from '../../agent/record-tokens';
import { fetchTransitions } from '../../client';
import type { EpisodeResult } from '../../workflows/episode';
import { episodeProgressQuery } from '../../workflows/messages';
import { describeWorkflowFailure } from '../failure';
import { createOutput, type Output } from '../output';
import { action, program } from '../program';
import { REACT_WORKFLOW_TYPE, showReactEpisode } from '../react-show';
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
  .description('Show an episode: status, summary and every recorded step')
  .argument('<episode-id>', 'workflow id of the episode')
  .option('--json', 'print JSON lines instead of text')
  .action(
    action(async (episodeId, flags) => {
      const out = createOutput(Boolean(flags.json));
      const temporal = await openTemporal(flags as TemporalCliOptions);
      try {
        const handle = temporal.client.workflow.getHandle(episodeId);
        const description = await handle.describe().catch(() => {
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
        const transitions = await fetchTransitions(temporal.client, episodeId);
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
        if (!flags.json) console.log(table.toString());
      } finally {
        await temporal.close();
      }
    }),
  );
