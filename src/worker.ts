/**
 * Starts a step-hrl worker: one Worker on the shared task queue (workflows + policy activities +
 * `acquireEnvQueue`), one on this worker's own env queue (env activities, session pinning) and a
 * tiny one on `<envQueue>.alive` answering liveness pings with slots of its own, so a busy env
 * worker is never mistaken for a dead one. The env queue is this process's alone: it is named with a
 * fresh incarnation id (Temporal's worker-specific task queue pattern), so no two processes ever
 * share it and nothing has to guard it. Slot limits are explicit: work beyond them waits in
 * Temporal's queues, where nothing times it out, instead of inside this process.
 */
import type { DataConverter, Duration } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import {
  createEnvActivities,
  createLivenessActivities,
  createPolicyActivities,
  heartbeatWhileRunning,
  HEARTBEAT_THROTTLE_MS,
  livenessQueue,
  type CallCounter,
  type EnvCounters,
  type EnvFactory,
} from './activities';
import { createEvalActivities } from './activities/eval-episodes';
import { createFenceActivities, openSessionCount } from './activities/env';
import type { LlmClient } from './llm/types';
import { dataConverterFromEnv } from './codec/data-converter';
import { stopOnUndecryptable } from './codec/worker-guard';
import { incarnationIdentity, newIncarnation, type WorkerIncarnation } from './worker-incarnation';
import { buildIdOfCode, deploymentNameFromEnv, promoteVersion, type VersioningMode } from './versioning';
import { bundleCacheKey, readCachedBundle, writeCachedBundle } from './workflow-bundle-cache';

/** Default shared task queue. */
export const DEFAULT_TASK_QUEUE = 'step-hrl';

/**
 * Default slot limits of {@link createStepHrlWorker} (see {@link StepHrlWorkerOptions}). 64 LLM
 * calls: one full batch of a batching server; at 128 concurrent episodes a cap of 16 held the calls
 * in flight at 16 (34 with 64; bench/results/throughput-slots.md).
 */
export const DEFAULT_WORKER_SLOTS = {
  maxConcurrentLlmCalls: 64,
  maxConcurrentEnvActivities: 8,
  maxConcurrentWorkflowTasks: 8,
} as const;

/**
 * How long a workflow task waits on its worker's sticky queue before any worker may take it (and
 * replay the whole history to run it). The SDK's default: a loaded worker whose workflow task
 * slots are busy for a few seconds keeps its cached workflows (3 s sent those tasks to other
 * workers, which replayed the whole history each time); a worker killed with -9 costs at most this
 * long before another worker continues its episodes.
 */
export const STICKY_QUEUE_TIMEOUT = '10s';

/**
 * How long a stopping worker lets its running activities finish (the SDK's `shutdownGraceTime`)
 * before it cancels them: an env step or an LLM call in flight completes instead of being retried
 * elsewhere after a heartbeat timeout.
 */
export const SHUTDOWN_GRACE_TIME = '30s';

/** How long {@link StepHrlWorker.drain} keeps serving open env sessions by default, in seconds. */
export const DEFAULT_SESSION_DRAIN_SECONDS = 60;

/** Options of {@link createStepHrlWorker}. */
export interface StepHrlWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** @default {@link DEFAULT_TASK_QUEUE} */
  taskQueue?: string;
  llm: LlmClient;
  envFactory: EnvFactory;
  /**
   * A label for this worker, shown in its env queue `<taskQueue>.env.<workerId>.<incarnation>`; the
   * incarnation is fresh in every process, so the label need not be unique or stable (letters,
   * digits, `-` and `_`). @default none: `<taskQueue>.env.<incarnation>`
   */
  workerId?: string;
  /** Env server health check of `acquireEnvQueue` (see `EnvActivitiesOptions.envHealth`). @default none */
  envHealth?: (env: string) => Promise<void>;
  /** @default {@link SHUTDOWN_GRACE_TIME} */
  shutdownGraceTime?: Duration;
  /**
   * Env queues of incarnations known to be gone (`resume` after a kill -9): this worker also polls
   * them and answers every env call there `SessionLost` at once (a fence), so an episode that still
   * sends a call to its dead worker re-drives without waiting for the queue's timeouts.
   */
  fenceEnvQueues?: string[];
  /**
   * Pre-built workflow bundle (tests bundle once per run); build it with
   * `bundleWorkflows(dataConverter)` when the data converter encrypts.
   */
  workflowBundle?: WorkflowBundle;
  /**
   * LLM calls (`callPolicy`) this worker runs at once; more wait in the shared task queue, untimed.
   * Set it to the backend's real parallelism (its batch size; 1-2 for a serial embedded model,
   * which the CLI does by itself).
   * @default 64
   */
  maxConcurrentLlmCalls?: number;
  /** Env activities (reset, step, re-drive, close) run at once on this worker's env queue. @default 8 */
  maxConcurrentEnvActivities?: number;
  /** Workflow tasks processed at once (at least 2). @default 8 */
  maxConcurrentWorkflowTasks?: number;
  /** Counters for tests and diagnostics. */
  counters?: { calls?: CallCounter; env?: EnvCounters };
  /** Poller and cache settings of the shared-queue worker; unset ones keep the SDK's defaults. */
  tuning?: WorkerTuning;
  /**
   * Build id of the workflow code (every workflow task this worker completes records it).
   * @default STEP_HRL_BUILD_ID, else the project version and a hash of the bundle ({@link buildIdOfCode})
   */
  buildId?: string;
  /** Worker Versioning of the shared-queue worker (docs/versioning.md). @default `{ mode: 'off' }` */
  versioning?: {
    /** @default 'off' */
    mode?: VersioningMode;
    /** @default STEP_HRL_DEPLOYMENT_NAME, else `step-hrl` */
    deploymentName?: string;
  };
  /**
   * Payload conversion and encryption; must match the clients'. A payload this worker cannot
   * decrypt stops it (`run()` rejects with the key id to configure) instead of failing that task
   * over and over. @default {@link dataConverterFromEnv}()
   */
  dataConverter?: DataConverter;
}

/** Poller and cache settings of the shared-queue worker (see the SDK's `WorkerOptions`). */
export interface WorkerTuning {
  /** Concurrent long polls for activity tasks. */
  maxConcurrentActivityTaskPolls?: number;
  /** Concurrent long polls for workflow tasks. */
  maxConcurrentWorkflowTaskPolls?: number;
  /** Workflows kept in memory between tasks (the sticky cache); 0 replays every task from history. */
  maxCachedWorkflows?: number;
  /** @default {@link STICKY_QUEUE_TIMEOUT} */
  stickyQueueScheduleToStartTimeout?: Duration;
}

/** A running pair of workers. */
export interface StepHrlWorker {
  readonly envQueue: string;
  /** This worker process's incarnation (its id ends `envQueue`; its identity names it to Temporal). */
  readonly incarnation: WorkerIncarnation;
  /** Build id of the workflow code this worker runs. */
  readonly buildId: string;
  /** The deployment version it polls as (Worker Versioning `on`/`promote`); undefined when `off`. */
  readonly version?: { deploymentName: string; buildId: string };
  /** Runs both workers until `shutdown()` (or until `until` settles). */
  run<T>(until?: Promise<T>): Promise<T | void>;
  /** Stops polling; running activities get the shutdown grace time to finish. */
  shutdown(): void;
  /**
   * Stops taking new episodes, sessions and calls (the shared-queue worker stops), keeps serving the
   * env sessions it holds until their episodes close them or `seconds` pass, then shuts down: a
   * deploy lets pinned episodes finish instead of making each re-drive on another worker.
   */
  drain(seconds?: number): Promise<void>;
}

/** The failure converter each {@link bundleWorkflows} bundle was built with (workflow failures are converted inside). */
const bundleFailureConverters = new WeakMap<WorkflowBundle, string | undefined>();

/**
 * Bundles the workflow code (a few seconds; do it once and pass it to every worker). Workflow
 * failures are converted inside the bundle, so a bundle for workers that encrypt must be built with
 * their data converter (its `failureConverterPath`); replay needs no converter. `workflowsPath`:
 * another workflow module for a job's own worker (labelling, training), bundled the same way.
 */
export async function bundleWorkflows(
  dataConverter?: DataConverter,
  workflowsPath: string = require.resolve('./workflows'),
): Promise<WorkflowBundle> {
  const failureConverterPath = dataConverter?.failureConverterPath;
  const bundle = await bundleWorkflowCode({
    workflowsPath,
    failureConverterPath,
    logger: quietBundlerLogger,
  });
  bundleFailureConverters.set(bundle, failureConverterPath);
  return bundle;
}

/**
 * @throws when `bundle` came from {@link bundleWorkflows} with another failure converter than the
 * worker's: with a key, workflow failure messages would be written in plain text (or, the other
 * way round, encoded for workers that do not encrypt).
 */
function assertBundleMatches(bundle: WorkflowBundle, dataConverter: DataConverter): void {
  if (!bundleFailureConverters.has(bundle)) return; // built elsewhere: the caller's responsibility
  const built = bundleFailureConverters.get(bundle);
  if (built === dataConverter.failureConverterPath) return;
  throw new Error(
    `the workflow bundle was built ${built ? 'with' : 'without'} the encrypting failure converter, but this ` +
      `worker's data converter ${dataConverter.failureConverterPath ? 'has' : 'has not'} one; ` +
      'build it with bundleWorkflows(dataConverter) for the same data converter',
  );
}

const bundleBuildIds = new WeakMap<WorkflowBundle, string>();

/** The build id of `bundle`'s code ({@link buildIdOfCode}: STEP_HRL_BUILD_ID, else version + hash). */
export function buildIdOfBundle(bundle: WorkflowBundle): string {
  if (process.env.STEP_HRL_BUILD_ID?.trim()) return buildIdOfCode(bundle.code);
  let id = bundleBuildIds.get(bundle);
  if (id === undefined) bundleBuildIds.set(bundle, (id = buildIdOfCode(bundle.code)));
  return id;
}

/**
 * This process's bundles, one per failure converter (a worker without `workflowBundle` gets it once):
 * from the disk cache when the same code was bundled before (src/workflow-bundle-cache.ts), else built.
 */
const processBundles = new Map<string, Promise<WorkflowBundle>>();
function processBundle(dataConverter: DataConverter): Promise<WorkflowBundle> {
  const key = dataConverter.failureConverterPath ?? '';
  let bundle = processBundles.get(key);
  if (!bundle) {
    bundle = cachedOrBuiltBundle(dataConverter);
    bundle.catch(() => processBundles.delete(key));
    processBundles.set(key, bundle);
  }
  return bundle;
}

/**
 * The bundle of `workflowsPath` (the episode workflows by default; a job's own module for labelling
 * and training) for `dataConverter`: from the disk cache when the same code was bundled before
 * (src/workflow-bundle-cache.ts), else built and cached.
 */
export async function cachedOrBuiltBundle(
  dataConverter: DataConverter = {},
  workflowsPath: string = require.resolve('./workflows'),
): Promise<WorkflowBundle> {
  const key = bundleCacheKey(workflowsPath, dataConverter.failureConverterPath);
  const cached = readCachedBundle(key);
  if (cached) {
    bundleFailureConverters.set(cached, dataConverter.failureConverterPath);
    return cached;
  }
  const built = await bundleWorkflows(dataConverter, workflowsPath);
  writeCachedBundle(key, built);
  return built;
}

/** Build id of the last worker this process created. */
let lastWorkerBuildId: string | undefined;

/**
 * The build id of the workflow code this process runs, as recorded at the start of each episode
 * and eval (`StepHrlBuildId`) and compared by `resume`: STEP_HRL_BUILD_ID, else the build id of the
 * last worker this process created, else that of this process's bundle (built here once, a few
 * seconds, and reused by its worker).
 */
export async function currentBuildId(dataConverter: DataConverter = dataConverterFromEnv()): Promise<string> {
  const override = process.env.STEP_HRL_BUILD_ID?.trim();
  if (override) return override;
  return lastWorkerBuildId ?? buildIdOfBundle(await processBundle(dataConverter));
}

const noop = (): void => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The env queue of incarnation `incarnation` on `taskQueue`, with an optional label before it.
 * @throws naming the label when it holds anything but letters, digits, `-` and `_`
 */
export function envQueueName(taskQueue: string, incarnation: string, label?: string): string {
  if (label !== undefined && !/^[A-Za-z0-9_-]+$/.test(label)) {
    throw new Error(
      `worker id ${JSON.stringify(label)} is not a label of letters, digits, '-' and '_'; it only labels the ` +
        'env queue (each process gets its own), e.g. --worker-id host-a',
    );
  }
  return `${taskQueue}.env.${label ? `${label}.` : ''}${incarnation}`;
}

/** Creates the workers; call `run()` to poll. */
export async function createStepHrlWorker(options: StepHrlWorkerOptions): Promise<StepHrlWorker> {
  const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  const incarnation = newIncarnation();
  const envQueue = envQueueName(taskQueue, incarnation.id, options.workerId);
  const identity = incarnationIdentity(incarnation);
  const shutdownGraceTime = options.shutdownGraceTime ?? SHUTDOWN_GRACE_TIME;
  const envActivities = createEnvActivities({
    envFactory: options.envFactory,
    envQueue,
    incarnation: incarnation.id,
    identity,
    envHealth: options.envHealth,
    counters: options.counters?.env,
  });
  // Every activity heartbeats progress (interceptor); the capped throttle leaves each heartbeat
  // timeout (HEARTBEAT_TIMEOUT_MS) several heartbeats of margin.
  const interceptors = { activity: [heartbeatWhileRunning] };
  const maxHeartbeatThrottleInterval = HEARTBEAT_THROTTLE_MS;
  const workers: Worker[] = [];
  let stopped: Error | undefined;
  let rejectStopped: (err: Error) => void = () => undefined;
  const stoppedByKey = new Promise<never>((_, reject) => (rejectStopped = reject));
  stoppedByKey.catch(() => undefined); // observed through run()
  const dataConverter = stopOnUndecryptable(options.dataConverter ?? dataConverterFromEnv(), (err) => {
    if (stopped) return;
    stopped = new Error(`worker stopped: ${err.message}`);
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    rejectStopped(stopped);
  });
  if (options.workflowBundle) assertBundleMatches(options.workflowBundle, dataConverter);
  // Bundled here when not given (with the data converter's failureConverterPath): its hash is the build id.
  const workflowBundle = options.workflowBundle ?? (await processBundle(dataConverter));
  const buildId = options.buildId ?? buildIdOfBundle(workflowBundle);
  lastWorkerBuildId = buildId;
  const mode = options.versioning?.mode ?? 'off';
  const version =
    mode === 'off'
      ? undefined
      : { deploymentName: options.versioning?.deploymentName ?? deploymentNameFromEnv(), buildId };
  // `off`: the build id only labels this worker's completions, and the workflows declare no
  // behaviour (src/workflows/versioning.ts sees no deployment name), as an unversioned worker requires.
  const versioning = version
    ? {
        workerDeploymentOptions: {
          version,
          useWorkerVersioning: true as const,
          defaultVersioningBehavior: 'PINNED' as const,
        },
      }
    : { buildId };
  const main = await Worker.create({
    connection: options.connection,
    dataConverter,
    namespace: options.namespace,
    taskQueue,
    identity,
    shutdownGraceTime,
    workflowBundle,
    ...versioning,
    activities: {
      ...createPolicyActivities(options.llm, options.counters?.calls),
      acquireEnvQueue: envActivities.acquireEnvQueue,
      ...createEvalActivities(),
    },
    interceptors,
    maxHeartbeatThrottleInterval,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentLlmCalls ?? DEFAULT_WORKER_SLOTS.maxConcurrentLlmCalls,
    maxConcurrentWorkflowTaskExecutions:
      options.maxConcurrentWorkflowTasks ?? DEFAULT_WORKER_SLOTS.maxConcurrentWorkflowTasks,
    stickyQueueScheduleToStartTimeout: STICKY_QUEUE_TIMEOUT,
    ...definedOnly(options.tuning ?? {}),
  });
  const env = await Worker.create({
    connection: options.connection,
    dataConverter,
    namespace: options.namespace,
    taskQueue: envQueue,
    identity,
    shutdownGraceTime,
    activities: envActivities,
    interceptors,
    maxHeartbeatThrottleInterval,
    maxConcurrentActivityTaskExecutions:
      options.maxConcurrentEnvActivities ?? DEFAULT_WORKER_SLOTS.maxConcurrentEnvActivities,
  });
  const alive = await Worker.create({
    connection: options.connection,
    dataConverter,
    namespace: options.namespace,
    taskQueue: livenessQueue(envQueue),
    identity,
    shutdownGraceTime,
    activities: createLivenessActivities(envQueue),
    maxConcurrentActivityTaskExecutions: 4, // pings return at once; a few slots never run out
  });
  workers.push(main, env, alive);
  for (const queue of new Set(options.fenceEnvQueues ?? [])) {
    if (queue === envQueue) continue;
    const fence = await Worker.create({
      connection: options.connection,
      dataConverter,
      namespace: options.namespace,
      taskQueue: queue,
      identity,
      activities: createFenceActivities(queue),
      maxConcurrentActivityTaskExecutions: 4,
    });
    workers.push(fence);
  }
  // Before the first poll: tasks queued meanwhile (the caller may start its episode first) follow it.
  if (mode === 'promote') await promoteVersion(options.connection.workflowService, options.namespace, version!);
  const stopAll = (): void => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    envQueue,
    incarnation,
    buildId,
    version,
    async run<T>(until?: Promise<T>): Promise<T | void> {
      const all = Promise.all(workers.map((w) => w.run()));
      if (!until) {
        await all;
        if (stopped) throw stopped;
        return;
      }
      try {
        return await Promise.race([until, stoppedByKey]);
      } finally {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await all;
      }
    },
    shutdown: stopAll,
    async drain(seconds = DEFAULT_SESSION_DRAIN_SECONDS): Promise<void> {
      if (main.getState() === 'RUNNING') main.shutdown();
      const deadline = Date.now() + seconds * 1000;
      while (openSessionCount(envActivities) > 0 && Date.now() < deadline && env.getState() === 'RUNNING') {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      stopAll();
    },
  };
}
