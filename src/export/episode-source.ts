/**
 * Where an episode's record came from, read from its workflow histories: the runs of its chain
 * (continue-as-new, and the run a `resume` continued from), its recorded config and env versions.
 * Works on any {@link HistorySource}, so an archive on disk identifies itself like the live cluster.
 */
import type { temporal } from '@temporalio/proto';
import { recordedConfig, type EpisodeConfig } from '../agent/config';
import { decode as decodeFirst } from '../history-payloads';
import type { HistorySource } from '../history-source';
import type { EpisodeInput, EpisodeResult } from '../episode/records';

/** An episode's provenance, as an export records it. */
export interface EpisodeSource {
  episodeId: string;
  /** Workflow run ids whose histories hold the record, oldest first. */
  runIds: string[];
  /** The config recorded in the first run's input (defaults resolved). */
  config: EpisodeConfig;
  /** Env package versions (from the result, or the latest state carried across runs). */
  envVersions: Record<string, string>;
  /** Status and outcome when the episode has finished. */
  result?: Pick<EpisodeResult, 'status' | 'won' | 'score' | 'steps'>;
}

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** The provenance of `episodeId`, or undefined when there is no such workflow. */
export async function readEpisodeSource(source: HistorySource, episodeId: string): Promise<EpisodeSource | undefined> {
  const decode = <T>(payloads: Payloads): T | undefined => decodeFirst<T>(payloads, source.payloadConverter);
  const runIds: string[] = [];
  let input: EpisodeInput | undefined;
  let latest: EpisodeInput | undefined;
  let result: EpisodeResult | undefined;
  let runId: string | undefined;
  do {
    const history = await source.fetch(episodeId, runId);
    const events = history?.events ?? [];
    const started = events[0]?.workflowExecutionStartedEventAttributes;
    if (!started) break; // no such episode, or that run is past retention
    result ??= decode<EpisodeResult>(events.at(-1)?.workflowExecutionCompletedEventAttributes?.result);
    input = decode<EpisodeInput>(started.input);
    latest ??= input;
    if (started.originalExecutionRunId) runIds.unshift(started.originalExecutionRunId);
    // The previous run of a continue-as-new chain, else the run a `resume` continued from.
    runId = started.continuedExecutionRunId || input?.state?.resumedFrom?.runId || undefined;
  } while (runId);
  if (!input) return undefined;
  return {
    episodeId,
    runIds,
    config: recordedConfig(input.config), // what the episode ran under (old configs: unbounded high level)
    envVersions: result?.envVersions ?? latest?.state?.envVersions ?? {},
    ...(result && { result: { status: result.status, won: result.won, score: result.score, steps: result.steps } }),
  };
}
