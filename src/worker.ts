/**
 * Starts a step-hrl worker: one Worker on the shared task queue (workflows + policy activities +
 * `acquireEnvQueue`) and one on this worker's own env queue (env activities, session pinning).
 */
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import {
  createEnvActivities,
  createPolicyActivities,
  type CallCounter,
  type EnvCounters,
  type EnvFactory,
} from './activities';
import type { LlmClient } from './llm/types';

/** Default shared task queue. */
export const DEFAULT_TASK_QUEUE = 'step-hrl';

/** Options of {@link createStepHrlWorker}. */
export interface StepHrlWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** @default {@link DEFAULT_TASK_QUEUE} */
  taskQueue?: string;
  llm: LlmClient;
  envFactory: EnvFactory;
  /**
   * Stable id of this worker; its env queue is `<taskQueue>.env.<workerId>`. A worker restarted with
   * the same id picks up its pinned tasks at once (and reports the lost session); a new id makes
   * them time out on the old queue first. @default a random UUID
   */
  workerId?: string;
  /** Pre-built workflow bundle (tests bundle once per run). */
  workflowBundle?: WorkflowBundle;
  /** Counters for tests and diagnostics. */
  counters?: { calls?: CallCounter; env?: EnvCounters };
}

/** A running pair of workers. */
export interface StepHrlWorker {
  readonly envQueue: string;
  /** Runs both workers until `shutdown()` (or until `until` settles). */
  run<T>(until?: Promise<T>): Promise<T | void>;
  shutdown(): void;
}

/** Bundles the workflow code (a few seconds; do it once and pass it to every worker). */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quietBundlerLogger });
}

const noop = (): void => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/** Creates the workers; call `run()` to poll. */
export async function createStepHrlWorker(options: StepHrlWorkerOptions): Promise<StepHrlWorker> {
  const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  const envQueue = `${taskQueue}.env.${options.workerId ?? randomUUID()}`;
  const envActivities = createEnvActivities({
    envFactory: options.envFactory,
    envQueue,
    counters: options.counters?.env,
  });
  const workflowSource = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : { workflowsPath: require.resolve('./workflows') };
  const main = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue,
    ...workflowSource,
    activities: {
      ...createPolicyActivities(options.llm, options.counters?.calls),
      acquireEnvQueue: envActivities.acquireEnvQueue,
    },
  });
  const env = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: envQueue,
    activities: envActivities,
  });
  return {
    envQueue,
    async run<T>(until?: Promise<T>): Promise<T | void> {
      const both = Promise.all([main.run(), env.run()]);
      if (!until) return void (await both);
      try {
        return await until;
      } finally {
        main.shutdown();
        env.shutdown();
        await both;
      }
    },
    shutdown(): void {
      if (main.getState() === 'RUNNING') main.shutdown();
      if (env.getState() === 'RUNNING') env.shutdown();
    },
  };
}
