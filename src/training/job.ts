/**
 * Runs a training run (src/workflows/training.ts) from a process: an in-process worker with the
 * training workflow on the run's own workflow task queue, and (unless the training activities are
 * served elsewhere) a supervised Python training worker on the training task queue; then starts
 * the run under its id or attaches to the running one, reporting progress until it ends. Re-running
 * the same run after a crash or Ctrl-C resumes it from its last checkpoint.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type DataConverter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { runJobWorkflow } from '../job-workflow';
import {
  trainingProgressQuery,
  trainingStartAttributes,
  type TrainingInput,
  type TrainingProgress,
  type TrainingResult,
  type ServedCheckpoint,
} from '../episode/training-records';
import { SUMMARY_MEMO } from '../episode/search-attributes';
import { superviseTrainingWorker, type SupervisedWorker } from './python';

/** Options of {@link runTrainingJob}. */
export interface TrainingJobOptions {
  client: Client;
  native: NativeConnection;
  namespace: string;
  /** Address the Python worker connects to. */
  address: string;
  dataConverter?: DataConverter;
  workflowId: string;
  input: TrainingInput;
  /** Run a local Python worker on `input.trainingTaskQueue` (false: a shared queue served elsewhere). */
  localWorker: boolean;
  /** Called about twice a second; `live` is the chunk in flight's latest heartbeat, when there is one. */
  onProgress?: (p: TrainingProgress, live?: Record<string, unknown>) => void;
  /** One line per supervisor event. */
  onEvent?: (line: string) => void;
  /** The supervised Python worker, once started (tests kill it). */
  onWorker?: (w: SupervisedWorker) => void;
  /**
   * Called when the run reports a served checkpoint (its eval stage), again when the URL changes;
   * the eval stage's worker starts here (src/training/eval-stage.ts).
   */
  onServed?: (served: ServedCheckpoint) => Promise<void> | void;
}

/** The workflow task queue of a run (its own, like a labelling job's). */
export function trainingWorkflowQueue(workflowId: string): string {
  return `train-${workflowId}`;
}

/** The memo a run starts with: what `train show` needs when no process answers its query. */
export function trainingMemo(input: TrainingInput): Record<string, unknown> {
  return {
    [SUMMARY_MEMO]: {
      kind: 'training',
      status: 'running',
      runDir: input.runDir,
      trainingTaskQueue: input.trainingTaskQueue,
      config: input.configSource.path,
      configSha256: input.configSource.sha256,
    },
  };
}

/** The latest heartbeat of the chunk in flight, decoded with the client's codec. */
export async function liveChunk(
  handle: WorkflowHandle,
  dataConverter?: DataConverter,
): Promise<Record<string, unknown> | undefined> {
  const description = await handle.describe();
  const payloads = description.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads;
  if (!payloads?.length) return undefined;
  let decoded = payloads;
  for (const codec of [...(dataConverter?.payloadCodecs ?? [])].reverse()) decoded = await codec.decode(decoded);
  return defaultPayloadConverter.fromPayload<Record<string, unknown>>(decoded[0]!);
}

/** Runs (or resumes) a training run to its end. */
export async function runTrainingJob(o: TrainingJobOptions): Promise<TrainingResult> {
  const taskQueue = trainingWorkflowQueue(o.workflowId);
  const python = o.localWorker
    ? superviseTrainingWorker({
        taskQueue: o.input.trainingTaskQueue,
        address: o.address,
        namespace: o.namespace,
        onEvent: o.onEvent,
      })
    : undefined;
  if (python) o.onWorker?.(python);
  try {
    const current = o.client.workflow.getHandle(o.workflowId);
    let servedUrl: string | undefined;
    let evalWorkerFailed: ((err: Error) => void) | undefined;
    const evalWorkerFailure = new Promise<never>((_, reject) => (evalWorkerFailed = reject));
    evalWorkerFailure.catch(() => undefined);
    const poll = async () => {
      const [p, live] = await Promise.all([current.query(trainingProgressQuery), liveChunk(current, o.dataConverter)]);
      o.onProgress?.(p, live);
      if (p.served && p.served.baseURL !== servedUrl && o.onServed) {
        servedUrl = p.served.baseURL;
        Promise.resolve(o.onServed(p.served)).catch((err: Error) => evalWorkerFailed?.(err));
      }
    };
    return await runJobWorkflow<TrainingResult>({
      client: o.client,
      native: o.native,
      namespace: o.namespace,
      dataConverter: o.dataConverter,
      workflowsPath: require.resolve('../workflows/training'),
      taskQueue,
      workflowType: 'trainingWorkflow',
      workflowId: o.workflowId,
      args: [o.input],
      start: { typedSearchAttributes: trainingStartAttributes(o.input), memo: trainingMemo(o.input) },
      poll: o.onProgress || o.onServed ? poll : undefined,
      // A local Python worker that keeps dying, or an eval worker that cannot start, ends the command.
      failures: [evalWorkerFailure, ...(python ? [python.failed] : [])],
    });
  } finally {
    await python?.stop();
  }
}
