/**
 * `step-hrl fork <id> --from-subtask k` (or `--from-step N`): a new episode that starts from the
 * parent's state before its subtask k (1-based, as `show` numbers them), or at the last subtask
 * boundary at or before step N (forks start at subtask boundaries only: the state inside a subtask,
 * the child's, is not recorded as a whole until the subtask ends). Like `resume` it is started with the recorded
 * prefix as its state (`prefixState`), so its first act is to re-drive a fresh env session through
 * the prefix's actions with the observation-hash check; then the policy the fork's worker serves
 * (same or another model, profile, budgets) decides from subtask k on. Unlike `resume` it runs under
 * a new id, linked to its parent by input, memo and the `StepHrlParent` search attribute, and its
 * record reads the shared prefix from the parent's histories. The fork runs on the code of the
 * worker that takes it (the current build), whatever build recorded the parent: the way to go on
 * with an episode another build started (`resume` refuses it).
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { configProblems, withDefaults, type EpisodeConfig } from '../agent/config';
import type { HistoryEvent } from '../history-payloads';
import { liveHistories, type HistorySource } from '../history-source';
import { prefixState } from '../resume';
import { episodeStartAttributes, episodeStartFacts, SUMMARY_MEMO } from '../episode/search-attributes';
import { explainSearchAttributeError } from '../server/errors';
import { currentBuildId, DEFAULT_TASK_QUEUE } from '../worker';
import type { EpisodeWorkflow } from '../episode/messages';
import type { EpisodeInput, EpisodeState, ForkOf } from '../episode/records';
import { redriveLogLength } from '../episode/redrive-log';

/** Memo key of a fork's link to its parent. */
export const FORK_OF_MEMO = 'forkOf';

/** Options of {@link forkEpisode}. */
export interface ForkOptions {
  /** The parent episode. */
  episodeId: string;
  /** 1-based subtask the fork re-decides; the subtasks before it are the shared prefix. Give this or `fromStep`. */
  fromSubtask?: number;
  /**
   * Steps of the parent to keep, at most: the fork starts at the last subtask boundary at or before
   * step N (N = the parent's recorded steps keeps every finished subtask). Give this or `fromSubtask`.
   */
  fromStep?: number;
  /** Id of the fork. @default the first free `<episodeId>.fork-<k>-<n>`, n from 1 */
  forkId?: string;
  /** @default {@link DEFAULT_TASK_QUEUE} */
  taskQueue?: string;
  /** Settings of the continuing policy (profile, budgets, ...) over the parent's config. */
  config?: Partial<Omit<EpisodeConfig, 'spec'>>;
  /** Build id recorded as the fork's `StepHrlBuildId`. @default this process's (`currentBuildId`) */
  buildId?: string;
}

/** What {@link forkEpisode} started. */
export interface ForkedEpisode {
  handle: WorkflowHandle<EpisodeWorkflow>;
  forkOf: ForkOf;
  /** The fork's config (the parent's with the overrides). */
  config: EpisodeConfig;
  /** Steps of the shared prefix (what the fork re-drives). */
  prefixSteps: number;
  /** The subtask the fork decides anew (`fromStep` resolved to its subtask boundary). */
  fromSubtask: number;
}

/** One run of an episode, oldest first. */
interface Run {
  runId: string;
  events: HistoryEvent[];
  input?: EpisodeInput;
}

/** Every run of `episodeId`'s record, oldest first: continue-as-new runs and the runs `resume` continued. */
async function recordedRuns(source: HistorySource, episodeId: string, lastRunId?: string): Promise<Run[]> {
  const runs: Run[] = [];
  let runId = lastRunId;
  do {
    const events = (await source.fetch(episodeId, runId))?.events ?? [];
    const started = events[0]?.workflowExecutionStartedEventAttributes;
    if (!started) break;
    const payload = started.input?.payloads?.[0];
    runs.unshift({
      runId: started.originalExecutionRunId ?? '',
      events,
      input: payload ? (source.payloadConverter.fromPayload(payload) as EpisodeInput) : undefined,
    });
    runId = started.continuedExecutionRunId || undefined;
  } while (runId);
  const resumedFrom = runs[0]?.input?.state?.resumedFrom;
  if (resumedFrom && !resumedFrom.episodeId)
    return [...(await recordedRuns(source, episodeId, resumedFrom.runId)), ...runs];
  return runs;
}

/** The state after the first `subtasks` finished subtasks of `runs` (undefined when there are fewer). */
function stateAfter(runs: Run[], subtasks: number): EpisodeState | undefined {
  // The last run that started with at most that many subtasks holds the end of the prefix.
  const run = runs.filter((r) => (r.input?.state?.subtasks.length ?? 0) <= subtasks).at(-1);
  if (!run) return undefined;
  const state = prefixState(run.events, run.input?.state, run.runId, subtasks);
  return state?.subtasks.length === subtasks ? state : undefined;
}

/**
 * The number of whole subtasks of `runs` whose steps fit in `steps`: the prefix a fork from step
 * `steps` keeps.
 */
function subtasksWithin(runs: Run[], steps: number): number {
  let kept = 0;
  for (let k = 1; ; k++) {
    const state = stateAfter(runs, k);
    if (!state || redriveLogLength(state.log) > steps) return kept;
    kept = k;
  }
}

/**
 * Starts a fork of `options.episodeId` from before its subtask `options.fromSubtask` (or from the
 * subtask boundary at or before step `options.fromStep`). A worker on the fork's task queue runs it
 * (its LLM is the continuing policy).
 * @throws when the parent does not exist, is not a STEP-HRL episode, or has not finished the
 * subtasks before `fromSubtask`.
 */
export async function forkEpisode(client: Client, options: ForkOptions): Promise<ForkedEpisode> {
  const { episodeId, fromStep } = options;
  if ((options.fromSubtask === undefined) === (fromStep === undefined))
    throw new Error('give one of --from-subtask <k> and --from-step <n>');
  if (fromStep !== undefined && (!Number.isInteger(fromStep) || fromStep < 0))
    throw new Error(`--from-step ${fromStep} is not valid; pass a step count from 0`);
  if (options.fromSubtask !== undefined && (!Number.isInteger(options.fromSubtask) || options.fromSubtask < 1))
    throw new Error(
      `--from-subtask ${options.fromSubtask} is not valid; pass a subtask number from 1 (as \`show\` numbers them)`,
    );
  const source = liveHistories(client);
  const runs = await recordedRuns(source, episodeId);
  const latest = runs.at(-1);
  if (!latest)
    throw new Error(`no episode with id ${JSON.stringify(episodeId)} to fork; check the id, --data-dir and --port`);
  const type = latest.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (type !== 'episodeWorkflow' || !latest.input?.config)
    throw new Error(
      `${JSON.stringify(episodeId)} is a ${type ?? 'workflow'} without subtasks: only a STEP-HRL episode can be forked`,
    );
  const fromSubtask = options.fromSubtask ?? subtasksWithin(runs, fromStep!) + 1;
  const kept = fromSubtask - 1;
  const prefix = stateAfter(runs, kept);
  if (!prefix) {
    const finished = prefixState(latest.events, latest.input.state, latest.runId)?.subtasks.length ?? 0;
    throw new Error(
      `episode ${episodeId} finished ${finished} subtasks, so it has no state before subtask ${fromSubtask}; ` +
        `pass --from-subtask from 1 to ${finished + 1}`,
    );
  }
  const forkOf: ForkOf = { episodeId, runId: latest.runId, fromSubtask };
  const config = withDefaults({ ...latest.input.config, ...options.config });
  const problems = configProblems(config);
  if (problems.length > 0) throw new Error(`invalid settings for the fork: ${problems.join('; ')}`);
  // A new episode from the parent's prefix: the re-drive the first run does (resume-from-prefix).
  const state: EpisodeState = {
    ...prefix,
    runs: 1,
    redrives: 0,
    generation: 0,
    spentTokens: 0, // the prefix's tokens were spent by the parent
    resumedFrom: { episodeId, runId: latest.runId, subtasks: kept },
  };
  const buildId = options.buildId ?? (await currentBuildId(client.options.dataConverter ?? {}));
  const start = (workflowId: string) =>
    client.workflow.start<EpisodeWorkflow>('episodeWorkflow', {
      workflowId,
      taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
      args: [{ config, state, forkOf }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      memo: {
        [FORK_OF_MEMO]: forkOf,
        [SUMMARY_MEMO]: episodeStartFacts(config, { parentEpisodeId: episodeId, buildId }),
      },
      // All of an episode's attributes (so its outcome is upserted when it ends), the parent among them.
      typedSearchAttributes: episodeStartAttributes(config, { parentEpisodeId: episodeId, buildId }),
    });
  const explain = (err: unknown) => explainSearchAttributeError(err, client.options.namespace);
  const handle = await startUnderFreeId(start, options.forkId, `${episodeId}.fork-${fromSubtask}`, explain);
  return { handle, forkOf, config, prefixSteps: redriveLogLength(state.log), fromSubtask };
}

/** Starts under `forkId` (taken: an error), else under the first free `<base>-<n>`. */
async function startUnderFreeId<T>(
  start: (workflowId: string) => Promise<T>,
  forkId: string | undefined,
  base: string,
  explain: (err: unknown) => unknown,
): Promise<T> {
  try {
    if (forkId) return await start(forkId);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new Error(`--id ${forkId} is already taken; pass another id or leave --id out for <id>.fork-<k>-<n>`);
    throw explain(err);
  }
  for (let n = 1; ; n++) {
    try {
      return await start(`${base}-${n}`);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw explain(err);
    }
  }
}
