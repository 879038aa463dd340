/**
 * How a STEP-HRL episode is printed: its summary, the end-of-run verdict both agent kinds share,
 * the one step line both live views print, and what `show` prints of a stored episode (status,
 * summary, subtask → step tree, or one step in full).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ArchivedRun } from '../archive/read';
import { fetchEpisodeRecord } from '../client';
import type { HistorySource } from '../history-source';
import { episodeTree } from './episode-tree';
import { describeWorkflowFailure } from './failure';
import type { Output } from './output';
import { stepDetail, stepDetailLines } from './step-view';
import { episodeProgressQuery } from '../episode/messages';
import type { EpisodeResult } from '../episode/records';

/** What every agent kind's result has: enough to say how the episode ended. */
export interface EndedEpisode {
  episodeId: string;
  status?: string;
  error?: string;
}

/**
 * Throws (so the command prints one `Error:` line and exits 1) when the episode could not be
 * played to an end of its own: the model failed for good (`llm-error`) or the env diverged or
 * kept losing its session (`env-error`). Budgets, cancel and a finished env are normal ends.
 */
export function failOnErrorStatus(result: EndedEpisode): void {
  if (result.status === 'llm-error' || result.status === 'env-error')
    throw new Error(`episode ${result.episodeId} ended ${result.status}: ${result.error ?? 'no message recorded'}`);
}

/** One step as both live views print it: the action, then the observation (shortened) and the score. */
export function printStepLine(
  out: Output,
  data: Record<string, unknown>,
  step: { stepIndex: number; action: string; observation: string; score: number },
  marks = '',
): void {
  const obs = step.observation.replace(/\s+/g, ' ').trim().slice(0, 110);
  out.event(
    'step',
    data,
    `    step ${String(step.stepIndex + 1).padStart(3)}  > ${step.action}${marks}\n              ${out.dim(obs)}  score ${step.score}`,
  );
}

/** Prints the end-of-episode summary of a STEP-HRL episode. */
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
  printEnvAndError(result, out);
  const fork = result.forkOf;
  if (fork)
    out.line(
      `fork of ${fork.episodeId} (run ${fork.runId}) from subtask ${fork.fromSubtask}: subtasks before it are the ` +
        `shared prefix (their steps name ${fork.episodeId})`,
    );
}

/** The env versions and the recorded error of a result, as every summary ends. */
export function printEnvAndError(result: { envVersions?: Record<string, string>; error?: string }, out: Output): void {
  const versions = Object.entries(result.envVersions ?? {}).map(([name, version]) => `${name} ${version}`);
  if (versions.length > 0) out.line(out.dim(`env: ${versions.join(', ')}`));
  if (result.error) out.line(`error: ${result.error}`);
}

/** `failed: <cause>` of a FAILED workflow. */
export async function printFailure(handle: WorkflowHandle, out: Output): Promise<void> {
  const cause = await handle.result().then(
    () => undefined,
    (err: unknown) => describeWorkflowFailure(err),
  );
  if (cause) out.line(`failed: ${cause}`);
}

/** `show` of a STEP-HRL episode on Temporal: one step in full, or summary / progress / cause and the tree. */
export async function showStepHrlEpisode(
  client: Client,
  handle: WorkflowHandle,
  status: string,
  out: Output,
  step: number | undefined,
): Promise<void> {
  if (step !== undefined) return printStep(client, handle.workflowId, step, out);
  if (status === 'COMPLETED') printEpisodeSummary((await handle.result()) as EpisodeResult, out);
  else if (status === 'RUNNING') out.line(JSON.stringify(await handle.query(episodeProgressQuery)));
  else if (status === 'FAILED') await printFailure(handle, out);
  await printTree(client, handle.workflowId, out);
}

/** `show --archive` of a STEP-HRL episode: the same summary and tree (or one step), from a bundle. */
export async function showArchivedStepHrlEpisode(
  source: HistorySource,
  run: ArchivedRun,
  episodeId: string,
  out: Output,
  step: number | undefined,
): Promise<void> {
  if (step !== undefined) return printStep(source, episodeId, step, out);
  if (run.result) printEpisodeSummary(run.result as EpisodeResult, out);
  if (run.failure) out.line(`failed: ${run.failure}`);
  await printTree(source, episodeId, out);
}

/** One decision in full. */
async function printStep(from: Client | HistorySource, episodeId: string, step: number, out: Output): Promise<void> {
  const detail = stepDetail(await fetchEpisodeRecord(from, episodeId), step);
  out.event('step', { ...detail }, stepDetailLines(detail).join('\n'));
}

/** The subtask -> step tree, every run and re-drive shown as one episode. */
async function printTree(from: Client | HistorySource, episodeId: string, out: Output): Promise<void> {
  const record = await fetchEpisodeRecord(from, episodeId);
  for (const line of episodeTree(record)) out.event(line.type, line.data, line.text);
  if (record.runs > 1 || record.redrives > 0)
    out.line(out.dim(`${record.runs} workflow run(s), ${record.redrives} re-drive(s), shown as one episode`));
}
