/**
 * Long episodes on the built-in env with a scripted looping policy that never finishes the task,
 * and what their histories weigh: every run of the episode's chain and of every child, its event
 * count and its largest payload. Shared by the long-episode tests and `bench/long-episodes.ts`.
 */
import type { Client } from '@temporalio/client';
import type { EpisodeConfig } from '../../src/agent/config';
import { fetchEpisodeRecord, startEpisode, startReact } from '../../src/client';
import type { AgentKind } from '../../src/episode/eval-types';
import type { EnvSpec } from '../../src/envs/text-env';
import type { LlmClient } from '../../src/llm/types';
import { ScriptedLlmClient } from '../../src/llm/scripted-client';
import { readReactRecord } from '../../src/react-record';
import { loopingPolicyRules } from './looping-policy';

/** A built-in task whose env never ends the episode before the step budget (the policy only looks). */
export function longEpisodeSpec(steps: number): EnvSpec {
  return { env: 'builtin', task: 'clean-plate', variation: 3, options: { maxSteps: steps * 2 } };
}

/** The looping policy: STEP-HRL subtasks of `perSubtask` steps, ReAct alternating look and wait. */
export function loopingLlm(perSubtask = 50): ScriptedLlmClient {
  return new ScriptedLlmClient(loopingPolicyRules(perSubtask));
}

/** What one workflow run's history weighs. */
export interface RunWeight {
  workflowId: string;
  runId: string;
  events: number;
  /** Bytes of its largest payload (data and metadata). */
  largestPayload: number;
  /** The event type holding it. */
  largestPayloadIn: string;
}

/** What an episode's histories weigh: every run of its chain and of every child workflow. */
export interface ChainWeight {
  /** Runs of the episode's own chain. */
  runs: number;
  /** Child workflow executions (subtask parts), each counted once. */
  children: number;
  largestPayload: RunWeight;
  largestHistory: RunWeight;
  /** Events of every history together. */
  totalEvents: number;
}

/** Bytes of the largest payload anywhere in `node` (an event), with the key path's event type. */
function largestPayloadIn(node: unknown): number {
  if (!node || typeof node !== 'object') return 0;
  const payload = node as { data?: unknown; metadata?: Record<string, Uint8Array> };
  if (payload.data instanceof Uint8Array) {
    const meta = Object.entries(payload.metadata ?? {}).reduce((n, [k, v]) => n + k.length + (v?.length ?? 0), 0);
    return payload.data.length + meta;
  }
  let largest = 0;
  for (const value of Object.values(node)) largest = Math.max(largest, largestPayloadIn(value));
  return largest;
}

/** The weights of one run, and the children it started. */
async function weighRun(
  client: Client,
  workflowId: string,
  runId: string | undefined,
): Promise<{ weight: RunWeight; previousRunId?: string; children: Array<{ workflowId: string; runId?: string }> }> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const weight: RunWeight = {
    workflowId,
    runId: runId ?? started?.originalExecutionRunId ?? '',
    events: events.length,
    largestPayload: 0,
    largestPayloadIn: '',
  };
  const children: Array<{ workflowId: string; runId?: string }> = [];
  for (const event of events) {
    const bytes = largestPayloadIn(event);
    if (bytes > weight.largestPayload) {
      weight.largestPayload = bytes;
      weight.largestPayloadIn =
        Object.keys(event).find((k) => k.endsWith('EventAttributes') && (event as Record<string, unknown>)[k]) ?? '?';
    }
    const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    if (child?.workflowId) children.push({ workflowId: child.workflowId, runId: child.runId ?? undefined });
  }
  return { weight, previousRunId: started?.continuedExecutionRunId || undefined, children };
}

/** Weighs every run of `workflowId`'s chain (latest back to the first) and of every child, recursively. */
export async function weighEpisode(client: Client, workflowId: string): Promise<ChainWeight> {
  const weights: RunWeight[] = [];
  let runs = 0;
  let children = 0;
  const chains: Array<{ workflowId: string; runId?: string; own: boolean }> = [{ workflowId, own: true }];
  while (chains.length > 0) {
    const chain = chains.pop()!;
    let runId = chain.runId;
    do {
      const weighed = await weighRun(client, chain.workflowId, runId);
      weights.push(weighed.weight);
      if (chain.own) runs += 1;
      children += weighed.children.length;
      chains.push(...weighed.children.map((c) => ({ ...c, own: false })));
      runId = weighed.previousRunId;
    } while (runId);
  }
  const max = (key: 'largestPayload' | 'events'): RunWeight =>
    weights.reduce((best, w) => (w[key] > best[key] ? w : best), weights[0]!);
  return {
    runs,
    children,
    largestPayload: max('largestPayload'),
    largestHistory: max('events'),
    totalEvents: weights.reduce((n, w) => n + w.events, 0),
  };
}

/** Runs a worker on `taskQueue` answering with `llm` while `body` runs (the test's or the bench's). */
export type RunWorker = <T>(taskQueue: string, llm: LlmClient, body: () => Promise<T>) => Promise<T>;

/** What one long episode did and weighed. */
export interface LongEpisodeRun {
  agent: AgentKind;
  episodeId: string;
  status: string;
  /** Steps the result reports. */
  steps: number;
  /** Steps the record reads back (ReAct: across its run chain; STEP-HRL: transitions of every part). */
  recordSteps: number;
  /** Step indexes the record reads back are 0..steps-1, in order. */
  recordInOrder: boolean;
  wallSeconds: number;
  weight: ChainWeight;
}

/**
 * Plays one `steps`-step episode of `agent` with the looping policy on the built-in env, then
 * weighs its histories and reads its record back.
 */
export async function runLongEpisode(
  client: Client,
  runWorker: RunWorker,
  agent: AgentKind,
  steps: number,
  name: string,
  config: Partial<EpisodeConfig> = {},
): Promise<LongEpisodeRun> {
  const taskQueue = `${name}-${agent}-${Date.now()}`;
  const episodeId = `long-${taskQueue}`;
  const options = { episodeId, taskQueue, config: { spec: longEpisodeSpec(steps), maxSteps: steps, ...config } };
  const started = Date.now();
  const result = await runWorker(taskQueue, loopingLlm(), async () =>
    agent === 'react'
      ? await (await startReact(client, options)).result()
      : await (await startEpisode(client, options)).result(),
  );
  const wallSeconds = (Date.now() - started) / 1000;
  const indexes =
    agent === 'react'
      ? (await readReactRecord(client, episodeId)).steps.map((s) => s.stepIndex)
      : (await fetchEpisodeRecord(client, episodeId)).transitions.map((t) => t.stepIndex);
  return {
    agent,
    episodeId,
    status: result.status,
    steps: typeof result.steps === 'number' ? result.steps : (result as { stepCount: number }).stepCount,
    recordSteps: indexes.length,
    recordInOrder: indexes.every((index, i) => index === i),
    wallSeconds,
    weight: await weighEpisode(client, episodeId),
  };
}
