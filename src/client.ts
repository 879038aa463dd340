/**
 * Starts and queries episodes, and reads their record back from Temporal: the transitions live in
 * the results of the subtask child workflows, read from the completion events in the episode's
 * own history chain (so two runs that reused one id never mix).
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { withDefaults, type EpisodeConfig } from './agent/config';
import type { AugmentedTransition } from './agent/records';
import type { EnvSpec } from './envs/text-env';
import { episodeWorkflow, reactWorkflow } from './workflows';
import type { EpisodeInput } from './workflows/episode';
import { subtaskWorkflow, type SubtaskInput, type SubtaskOutcome } from './workflows/subtask';
import { expandOutcome } from './workflows/outcome-compaction';
import { historySourceOf, type HistorySource } from './history-source';
import { DEFAULT_TASK_QUEUE } from './worker';

/** Options of {@link startEpisode}. */
export interface StartEpisodeOptions {
  episodeId: string;
  config: Partial<EpisodeConfig> & { spec: EnvSpec };
  taskQueue?: string;
  /** Id of the episode this one re-runs; recorded in the memo as `rerunOf`. */
  rerunOf?: string;
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
export function startEpisode(
  client: Client,
  options: StartEpisodeOptions,
): Promise<WorkflowHandle<typeof episodeWorkflow>> {
  return rejectingDuplicates(client, options.episodeId, () =>
    client.workflow.start(episodeWorkflow, startOptions(options)),
  );
}

/** Starts the ReAct baseline for the same kind of episode (same id rule as {@link startEpisode}). */
export function startReact(
  client: Client,
  options: StartEpisodeOptions,
): Promise<WorkflowHandle<typeof reactWorkflow>> {
  return rejectingDuplicates(client, options.episodeId, () =>
    client.workflow.start(reactWorkflow, startOptions(options)),
  );
}

/**
 * Starts a re-run of `episodeId` under the first free id `<episodeId>.rerun-<n>` (n from 2),
 * linked to it through the `rerunOf` memo. Starts `episodeId` itself when it does not exist yet.
 * `start` picks the agent: {@link startEpisode} (default) or {@link startReact}.
 */
export async function startEpisodeRerun<
  W extends typeof episodeWorkflow | typeof reactWorkflow = typeof episodeWorkflow,
>(
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
function startOptions(options: StartEpisodeOptions) {
  return {
    workflowId: options.episodeId,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    args: [{ config: withDefaults(options.config) }] as [{ config: StartEpisodeOptions['config'] }],
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    workflowIdConflictPolicy: 'FAIL' as const,
    ...(options.rerunOf ? { memo: { [RERUN_OF_MEMO]: options.rerunOf } } : {}),
  };
}

/** Runs `start`, turning Temporal's "already started" into {@link EpisodeExistsError} with the id's status. */
async function rejectingDuplicates<T>(client: Client, episodeId: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
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

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Subtask outcomes of an episode in order (all parts of every subtask), read from the
 * ChildWorkflowExecutionCompleted events of the episode's latest run and the runs it continued
 * from (continue-as-new). A run resumed from a failed one (`resume`) starts with the subtasks it
 * kept of that run's record (`state.resumedFrom`), read the same way. Children of an earlier,
 * separate run under the same id are not included.
 */
export async function fetchSubtaskOutcomes(from: Client | HistorySource, episodeId: string): Promise<SubtaskOutcome[]> {
  return (await readRunChain(historySourceOf(from), episodeId)).map((part) => part.outcome);
}

/** One finished subtask child of an episode run. */
interface RecordedPart {
  subtaskIndex: number;
  outcome: SubtaskOutcome;
}

/** The parts recorded by the run chain that ends at `lastRunId` (default: the latest run). */
async function readRunChain(source: HistorySource, episodeId: string, lastRunId?: string): Promise<RecordedPart[]> {
  const converter = source.payloadConverter;
  const decode = <T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T | undefined => {
    const payload = payloads?.payloads?.[0];
    return payload ? (converter.fromPayload(payload) as T) : undefined;
  };
  const runs: HistoryEvent[][] = [];
  let runId = lastRunId;
  do {
    const history = await source.fetch(episodeId, runId);
    if (!history) break; // no such episode (or that run is past retention)
    const events = history.events ?? [];
    runs.unshift(events);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  } while (runId);

  const first = decode<EpisodeInput>(runs[0]?.[0]?.workflowExecutionStartedEventAttributes?.input);
  const resumedFrom = first?.state?.resumedFrom;
  const parts: RecordedPart[] = resumedFrom
    ? (await readRunChain(source, episodeId, resumedFrom.runId)).filter((p) => p.subtaskIndex < resumedFrom.subtasks)
    : [];
  for (const events of runs) {
    const subtaskInitiations = new Map<string, SubtaskInput>();
    for (const event of events) {
      const initiated = event.startChildWorkflowExecutionInitiatedEventAttributes;
      if (initiated?.workflowType?.name === subtaskWorkflow.name) {
        const input = decode<SubtaskInput>(initiated.input);
        if (input) subtaskInitiations.set(String(event.eventId), input);
      }
      const completed = event.childWorkflowExecutionCompletedEventAttributes;
      if (!completed) continue;
      const input = subtaskInitiations.get(String(completed.initiatedEventId));
      if (input === undefined) continue;
      const outcome = decode<SubtaskOutcome>(completed.result);
      if (outcome) parts.push({ subtaskIndex: input.subtaskIndex, outcome: expandOutcome(input, outcome) });
    }
  }
  return parts;
}

/** Every augmented transition of an episode, in step order. */
export async function fetchTransitions(
  from: Client | HistorySource,
  episodeId: string,
): Promise<AugmentedTransition[]> {
  return (await fetchSubtaskOutcomes(from, episodeId)).flatMap((o) => o.transitions);
}
