/**
 * Reads a ReAct episode's step records back from its workflow histories, across its run chain: a
 * run that continued as new closes with its steps in the next run's input (`previousRunSteps`),
 * the last run with its result (`steps`); a ReAct episode recorded before continue-as-new existed
 * is one run whose result holds every step. Works on any {@link HistorySource}.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { decode as decodeFirst } from './history-payloads';
import { fetchRunChain, historySourceOf, type HistorySource } from './history-source';
import type { ReactInput, ReactResult, ReactStep } from './episode/records';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A ReAct episode's record: every step its runs recorded, in step order. */
export interface ReactRecord {
  episodeId: string;
  steps: ReactStep[];
  /** Workflow runs the record spans (continue-as-new included); 0 when there is no such episode. */
  runs: number;
  /** The last run's result, when it completed. */
  result?: ReactResult;
}

/**
 * The record of ReAct episode `episodeId` (its run chain ending at `lastRunId`, default the latest
 * run). A running episode's current run has no closing payload yet: merge its live steps with
 * {@link mergeReactSteps}.
 */
export async function readReactRecord(
  from: Client | HistorySource,
  episodeId: string,
  lastRunId?: string,
): Promise<ReactRecord> {
  const source = historySourceOf(from);
  const runs: HistoryEvent[][] = await fetchRunChain(source, episodeId, lastRunId);

  let steps: ReactStep[] = [];
  let result: ReactResult | undefined;
  for (const events of runs) {
    const input = decodeFirst<ReactInput>(
      events[0]?.workflowExecutionStartedEventAttributes?.input,
      source.payloadConverter,
    );
    steps = mergeReactSteps(steps, input?.previousRunSteps ?? []);
    const completed = events.at(-1)?.workflowExecutionCompletedEventAttributes;
    result = completed ? decodeFirst<ReactResult>(completed.result, source.payloadConverter) : undefined;
    if (result) steps = mergeReactSteps(steps, result.steps);
  }
  return { episodeId, steps, runs: runs.length, ...(result && { result }) };
}

/** Step records of two sources as one list in step order, each step once (the later source wins). */
export function mergeReactSteps(earlier: readonly ReactStep[], later: readonly ReactStep[]): ReactStep[] {
  const byIndex = new Map<number, ReactStep>(earlier.map((s) => [s.stepIndex, s]));
  for (const step of later) byIndex.set(step.stepIndex, step);
  return [...byIndex.values()].sort((a, b) => a.stepIndex - b.stepIndex);
}
