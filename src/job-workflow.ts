/**
 * What a labelling job and a training run share when run from a process: an in-process worker on
 * the job's own task queue, with its workflows bundled with the data converter's failure converter
 * (with a codec key, their failure messages are encrypted too), then the job's workflow started
 * under its fixed id or attached to (a re-run resumes it), polled for progress until it ends.
 */
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { cachedOrBuiltBundle } from './worker';

/** Options of {@link runJobWorkflow}. */
export interface JobWorkflowOptions {
  client: Client;
  native: NativeConnection;
  namespace: string;
  dataConverter?: DataConverter;
  /** The workflow module the job's worker bundles (`require.resolve`d). */
  workflowsPath: string;
  taskQueue: string;
  workflowType: string;
  workflowId: string;
  args: unknown[];
  /** Start options besides id, queue and args (search attributes, memo). */
  start?: Pick<WorkflowStartOptions, 'typedSearchAttributes' | 'memo'>;
  /** Worker options besides connection, queue, converter and bundle (activities). */
  worker?: Pick<WorkerOptions, 'activities' | 'maxConcurrentActivityTaskExecutions'>;
  /** Called about twice a second while the job runs; its errors are ignored (the next poll retries). */
  poll?: () => Promise<void>;
  /** Promises that end the job early by rejecting (a helper process that keeps dying). */
  failures?: Promise<never>[];
}

/** Runs (or resumes) a job's workflow to its end and answers its result. */
export async function runJobWorkflow<R>(o: JobWorkflowOptions): Promise<R> {
  const worker = await Worker.create({
    connection: o.native,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    dataConverter: o.dataConverter,
    workflowBundle: await cachedOrBuiltBundle(o.dataConverter, o.workflowsPath),
    ...o.worker,
  });
  return worker.runUntil(async () => {
    const handle = await o.client.workflow.start(o.workflowType, {
      workflowId: o.workflowId,
      taskQueue: o.taskQueue,
      args: o.args,
      workflowIdConflictPolicy: 'USE_EXISTING',
      ...o.start,
    });
    const { poll } = o;
    const timer = poll ? setInterval(() => void poll().catch(() => undefined), 500) : undefined;
    try {
      return await Promise.race([handle.result() as Promise<R>, ...(o.failures ?? [])]);
    } finally {
      if (timer) clearInterval(timer);
    }
  });
}
