/**
 * Worker Versioning (Temporal's Worker Deployments) for step-hrl's workers: the build id of the
 * workflow code, the deployment it belongs to, when a worker polls as a version of it, and making
 * a version current. Episode, subtask and ReAct workflows are PINNED to the version that started
 * them and the eval is AUTO_UPGRADE (`src/workflows/versioning.ts`); see docs/versioning.md.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { projectRoot } from './project';

/** Overrides the build id derived from the workflow code. */
export const BUILD_ID_ENV = 'STEP_HRL_BUILD_ID';
/** Overrides the deployment name {@link DEFAULT_DEPLOYMENT_NAME}. */
export const DEPLOYMENT_NAME_ENV = 'STEP_HRL_DEPLOYMENT_NAME';
/** `off` | `on` | `promote`: overrides the {@link VersioningMode} the CLI picks (see {@link cliVersioningMode}). */
export const VERSIONING_ENV = 'STEP_HRL_WORKER_VERSIONING';

/** The Worker Deployment step-hrl's versioned workers belong to. */
export const DEFAULT_DEPLOYMENT_NAME = 'step-hrl';

/**
 * How a worker takes part in Worker Versioning:
 * - `off`: it takes any workflow task of its queue and only reports its build id (in every workflow
 *   task it completes); the workflows carry no versioning behaviour;
 * - `on`: it polls as version `<deployment>.<buildId>` and gets only the tasks routed to that version:
 *   the workflows it starts while the version is current (episodes stay on it, PINNED) and the evals
 *   (AUTO_UPGRADE) while it is current. Someone else makes it current (the rollout, docs/versioning.md);
 * - `promote`: `on`, and the version is made the deployment's current version when the worker starts.
 */
export type VersioningMode = 'off' | 'on' | 'promote';

/** The build id of a worker that sets none: the project version and the first 16 hex digits of the bundle's sha256. */
export function buildIdOfCode(code: string, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[BUILD_ID_ENV]?.trim();
  if (override) return override;
  return `${packageVersion()}+${createHash('sha256').update(code).digest('hex').slice(0, 16)}`;
}

let cachedVersion: string | undefined;
function packageVersion(): string {
  cachedVersion ??= (JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
  return cachedVersion;
}

/** The deployment name: {@link DEPLOYMENT_NAME_ENV}, else {@link DEFAULT_DEPLOYMENT_NAME}. @throws when it holds a `.` (Temporal's separator) */
export function deploymentNameFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const name = env[DEPLOYMENT_NAME_ENV]?.trim() || DEFAULT_DEPLOYMENT_NAME;
  if (name.includes('.'))
    throw new Error(`${DEPLOYMENT_NAME_ENV}=${name} holds a "."; Temporal separates deployment and build id with it`);
  return name;
}

/** The shared task queue's name (`DEFAULT_TASK_QUEUE` of src/worker.ts, which imports this module). */
const SHARED_QUEUE = 'step-hrl';

/**
 * True for the queues the CLI makes up for one process (`run`, `demo`, `fork`: `step-hrl.run.<uuid>`)
 * or one eval (`step-hrl.eval.<id>`): no long-lived `worker` polls them.
 */
export function isPrivateTaskQueue(taskQueue: string): boolean {
  return isProcessTaskQueue(taskQueue) || taskQueue.startsWith(`${SHARED_QUEUE}.eval.`);
}

/** True for a queue only the one process that made it polls (`run`, `demo`, `fork`). */
function isProcessTaskQueue(taskQueue: string): boolean {
  return taskQueue.startsWith(`${SHARED_QUEUE}.run.`);
}

/**
 * The versioning mode of a CLI worker. A queue only one process polls (run, demo, fork) is `off`:
 * no other build takes its tasks, and the deployment's current version, which holds for every
 * queue of the deployment, must not depend on which process started last. An eval's queue is
 * polled by every process that runs the eval (one per host): `off` unless {@link VERSIONING_ENV}
 * says otherwise, which a rolling upgrade across hosts needs (docs/deploy.md). On the shared queue:
 * `promote` on the embedded server (one machine, one build at a time), `off` on an existing cluster
 * unless {@link VERSIONING_ENV} says `on` (the operator's rollout makes versions current) or
 * `promote`. See the decision log in docs/architecture.md.
 * @throws when {@link VERSIONING_ENV} holds another value
 */
export function cliVersioningMode(
  taskQueue: string,
  embedded: boolean,
  env: NodeJS.ProcessEnv = process.env,
): VersioningMode {
  if (isProcessTaskQueue(taskQueue)) return 'off';
  const chosen = env[VERSIONING_ENV]?.trim();
  if (!chosen) return embedded && !isPrivateTaskQueue(taskQueue) ? 'promote' : 'off';
  if (chosen === 'off' || chosen === 'on' || chosen === 'promote') return chosen;
  throw new Error(`${VERSIONING_ENV}=${chosen} is not a versioning mode; use off, on or promote`);
}

type WorkflowService = temporal.api.workflowservice.v1.WorkflowService;

/**
 * Makes `<deploymentName>.<buildId>` the deployment's current version, so new workflows of every
 * queue of the deployment go to its workers (tasks already queued without a version follow too).
 * A no-op when it already is. Accepted before the worker first polls (`allowNoPollers`) and even when
 * the previous current version polled queues this one does not (`ignoreMissingTaskQueues`): on one
 * machine the previous build's worker is gone, which is why it is being replaced.
 */
export async function promoteVersion(
  service: WorkflowService,
  namespace: string,
  version: { deploymentName: string; buildId: string },
  identity = 'step-hrl',
): Promise<void> {
  const current = await service
    .describeWorkerDeployment({ namespace, deploymentName: version.deploymentName })
    .then((d) => d.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId)
    .catch(() => undefined); // no deployment yet: setting the version creates it
  if (current === version.buildId) return;
  await service.setWorkerDeploymentCurrentVersion({
    namespace,
    deploymentName: version.deploymentName,
    buildId: version.buildId,
    allowNoPollers: true,
    ignoreMissingTaskQueues: true,
    identity,
  });
}

/**
 * `resume` of an episode that another build started: its workflow code may differ from this one's,
 * so this build cannot continue it; a fork re-drives its recorded prefix on this build instead.
 */
export class BuildMismatchError extends Error {
  override name = 'BuildMismatchError';
  constructor(
    readonly episodeId: string,
    readonly startedBy: string,
    readonly current: string,
    /** Steps the episode recorded (the fork's `--from-step`); undefined for a ReAct episode (no fork). */
    readonly recordedSteps: number | undefined,
  ) {
    super(
      `episode ${episodeId} was started by build ${startedBy} and this is build ${current}, which does not ` +
        (recordedSteps === undefined
          ? `continue it; run it again on this build with \`step-hrl run --agent react --episode-id ${episodeId} --rerun\``
          : `continue it; run \`step-hrl fork ${episodeId} --from-step ${recordedSteps}\` to go on from its ` +
            'recorded steps on this build (or resume it with the other build)'),
    );
  }
}
