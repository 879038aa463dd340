/**
 * `step-hrl show <episode-id>`: an episode's status, summary and its subtask → step tree;
 * `--step N` prints one decision in full instead.
 */
import { fetchEpisodeRecord } from '../../client';
import type { EpisodeResult } from '../../workflows/episode';
import { episodeProgressQuery } from '../../workflows/messages';
import { episodeTree } from '../episode-tree';
import { describeWorkflowFailure } from '../failure';
import { createOutput, type Output } from '../output';
import { action, program } from '../program';
import { REACT_WORKFLOW_TYPE, showReactEpisode } from '../react-show';
import { stepDetail, stepDetailLines } from '../step-view';
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
  .description('Show an episode: status, summary and its subtask -> step tree (--step N: one decision in full)')
  .argument('<episode-id>', 'workflow id of the episode')
  .option('--data-dir <dir>', 'data dir of the embedded server')
  .option('--port <port>', 'port of the embedded server')
  .option('--step <n>', 'print step N (1-based, as the tree numbers it) in full: prompts, raw replies, observations')
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
        if (description.type === REACT_WORKFLOW_TYPE) {
          if (flags.step !== undefined)
            throw new Error(
              `--step: episode ${episodeId} is a ReAct baseline episode; its steps are in plain \`show\``,
            );
          return await showReactEpisode(handle, status, out, Boolean(flags.json));
        }
        if (flags.step !== undefined) {
          const detail = stepDetail(await fetchEpisodeRecord(temporal.client, episodeId), parseStep(flags.step));
          out.event('step', { ...detail }, stepDetailLines(detail).join('\n'));
          return;
        }
        if (status === 'COMPLETED') printEpisodeSummary((await handle.result()) as EpisodeResult, out);
        else if (status === 'RUNNING') out.line(JSON.stringify(await handle.query(episodeProgressQuery)));
        else if (status === 'FAILED') {
          const cause = await handle.result().then(
            () => undefined,
            (err: unknown) => describeWorkflowFailure(err),
          );
          if (cause) out.line(`failed: ${cause}`);
        }
        const record = await fetchEpisodeRecord(temporal.client, episodeId);
        for (const line of episodeTree(record)) out.event(line.type, line.data, line.text);
        if (record.runs > 1 || record.redrives > 0)
          out.line(out.dim(`${record.runs} workflow run(s), ${record.redrives} re-drive(s), shown as one episode`));
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
