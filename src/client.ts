/**
 * Starts and queries episodes, and reads their record back from Temporal: the transitions live in
 * the results of the subtask child workflows, read from the completion events in the episode's
 * own history chain (so two runs that reused one id never mix).
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { withDefaults, type EpisodeConfig } from './agent/config';
import type { RecordedTransition } from './agent/records';
import type { EnvSpec } from './envs/text-env';
import { readRunChain } from './episode-record';
import { historySourceOf, type HistorySource } from './history-source';
import { currentBuildId, DEFAULT_TASK_QUEUE } from './worker';
import {
  episodeStartAttributes,
  episodeStartFacts,
  SUMMARY_MEMO,
  type EpisodeStartContext,
} from './episode/search-attributes';
import { explainSearchAttributeError } from './server/errors';
import type { EpisodeWorkflow, ReactWorkflow } from './episode/messages';
import type { SubtaskOutcome } from './episode/records';

/** Options of {@link startEpisode}. */
export interface StartEpisodeOptions {
  episodeId: string;
  config: Partial<EpisodeConfig> & { spec: EnvSpec };
  taskQueue?: string;
  /** Id of the episode this one re-runs; recorded in the memo as `rerunOf`. */
  rerunOf?: string;
  /** Model label of the policy, for the `StepHrlModel` search attribute. */
  model?: string;
  /** Episode this one was forked from (`StepHrlParent`). */
  parentEpisodeId?: string;
  /** Build id recorded as `StepHrlBuildId`. @default {@link currentBuildId}: this process's workflow code */
  buildId?: string;
}

/** Memo key linking a re-run to the episode it repeats. */
export const RERUN_OF_MEMO = 'rerunOf';

/** Starting an episode id that is already taken (running or closed): one id means one run. */
export class EpisodeExistsError extends Error {
  override name = 'EpisodeExistsError';
  constructor(
    readonly episodeId: string,
    readonly status: string,
  ) {
    super(`episode ${episodeId} already exists (${status}); use \`step-hrl resume ${episodeId}\` or \`--rerun\``);
  }
}

/**
 * Starts an episode workflow. An episode id means one run: an id that exists, running or closed,
 * is rejected with {@link EpisodeExistsError}.
 */
export function startEpisode(client: Client, options: StartEpisodeOptions): Promise<WorkflowHandle<EpisodeWorkflow>> {
  return rejectingDuplicates(client, options.episodeId, async () =>
    client.workflow.start<EpisodeWorkflow>(
      'episodeWorkflow',
      startOptions(options, 'step-hrl', await buildIdOf(client, options)),
    ),
  );
}

/** Starts the ReAct baseline for the same kind of episode (same id rule as {@link startEpisode}). */
export function startReact(client: Client, options: StartEpisodeOptions): Promise<WorkflowHandle<ReactWorkflow>> {
  return rejectingDuplicates(client, options.episodeId, async () =>
    client.workflow.start<ReactWorkflow>(
      'reactWorkflow',
      startOptions(options, 'react', await buildIdOf(client, options)),
    ),
  );
}

/**
 * Starts a re-run of `episodeId` under the first free id `<episodeId>.rerun-<n>` (n from 2),
 * linked to it through the `rerunOf` memo. Starts `episodeId` itself when it does not exist yet.
 * `start` picks the agent: {@link startEpisode} (default) or {@link startReact}.
 */
export async function startEpisodeRerun<W extends EpisodeWorkflow | ReactWorkflow = EpisodeWorkflow>(
  client: Client,
  options: StartEpisodeOptions,
  start: (client: Client, options: StartEpisodeOptions) => Promise<WorkflowHandle<W>> = startEpisode as never,
): Promise<WorkflowHandle<W>> {
  const original = options.episodeId;
  try {
    return await start(client, options);
  } catch (err) {
    if (!(err instanceof EpisodeExistsError)) throw err;
  }
  for (let n = 2; ; n++) {
    try {
      return await start(client, { ...options, episodeId: `${original}.rerun-${n}`, rerunOf: original });
    } catch (err) {
      if (!(err instanceof EpisodeExistsError)) throw err; // taken (maybe just now): try the next one
    }
  }
}

/**
 * Both workflows take the same `{ config }` input and are keyed by the episode id. Defaults are
 * resolved here, once, so the full config is recorded in the input: changing a default later
 * never changes what a running episode does.
 */
function startOptions(options: StartEpisodeOptions, agent: EpisodeStartContext['agent'], buildId: string) {
  const config = withDefaults(options.config);
  const context: EpisodeStartContext = {
    agent,
    model: options.model,
    parentEpisodeId: options.parentEpisodeId,
    buildId,
  };
  return {
    workflowId: options.episodeId,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    args: [{ config }] as [{ config: StartEpisodeOptions['config'] }],
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    workflowIdConflictPolicy: 'FAIL' as const,
    typedSearchAttributes: episodeStartAttributes(config, context),
    memo: {
      [SUMMARY_MEMO]: episodeStartFacts(config, context),
      ...(options.rerunOf ? { [RERUN_OF_MEMO]: options.rerunOf } : {}),
    },
  };
}

/** The build id to record: the given one, else this process's (bundled with the client's failure converter). */
function buildIdOf(client: Client, options: StartEpisodeOptions): Promise<string> {
  return options.buildId !== undefined
    ? Promise.resolve(options.buildId)
    : currentBuildId(client.options.dataConverter ?? {});
}

/** Runs `start`, turning Temporal's "already started" into {@link EpisodeExistsError} with the id's status. */
async function rejectingDuplicates<T>(client: Client, episodeId: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError))
      throw explainSearchAttributeError(err, client.options.namespace);
    const status = await client.workflow
      .getHandle(episodeId)
      .describe()
      .then(
        (d) => d.status.name.toLowerCase(),
        () => 'status unknown',
      );
    throw new EpisodeExistsError(episodeId, status);
  }
}

/**
 * Subtask outcomes of an episode in order (all parts of every subtask), read from the
 * ChildWorkflowExecutionCompleted events of the episode's latest run and the runs it continued
 * from (continue-as-new). A run resumed from a failed one (`resume`) starts with the subtasks it
 * kept of that run's record (`state.resumedFrom`), read the same way; a fork starts with its
 * parent's (their transitions keep the parent's episode id: that marks the shared prefix).
 * Children of an earlier, separate run under the same id are not included.
 * {@link fetchEpisodeRecord} reads the same chain with the high-level transitions and the run /
 * re-drive markers.
 */
export async function fetchSubtaskOutcomes(from: Client | HistorySource, episodeId: string): Promise<SubtaskOutcome[]> {
  return (await readRunChain(historySourceOf(from), episodeId)).parts.map((part) => part.outcome);
}

/**
 * Every augmented transition of an episode, in step order. Histories recorded before record v2
 * hold v1 transitions (`version: 1`, no prompts or replies): check `version` before reading v2 fields.
 */
export async function fetchTransitions(from: Client | HistorySource, episodeId: string): Promise<RecordedTransition[]> {
  return (await fetchSubtaskOutcomes(from, episodeId)).flatMap((o) => o.transitions as RecordedTransition[]);
}

export { fetchEpisodeRecord, type EpisodeRecord, type RecordMarker, type RecordedPart } from './episode-record';
/** Every step of a ReAct episode, across the runs it continued as new into. */
export { readReactRecord, type ReactRecord } from './react-record';
