/**
 * What every worker-running command opens: Temporal (embedded or configured), the env provider,
 * the LLM backend and an in-process worker — and closes again in the right order.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { waitForHealth } from '../envs/env-server';
import { EnvProvider } from '../envs/factory';
import type { EnvSpec } from '../envs/text-env';
import { loadCacheConfigFromEnv, loadOpenAiConfigFromEnv } from '../llm/config';
import { expertPlan } from '../llm/expert-plan';
import { parseLlmChoice, selectLlm, type SelectedLlm } from '../llm/select';
import { defaultDataDir } from '../server/paths';
import { createStepHrlWorker, DEFAULT_TASK_QUEUE, type StepHrlWorker } from '../worker';
import { cliVersioningMode } from '../versioning';
import { checkLlmEndpoints } from './endpoint-check';
import { resolveLlmSlots } from './llm-slots';
import { ExitNow } from './exit-now';
import { openTemporal, type OpenTemporal, type TemporalCliOptions } from './temporal';

/** Flags of commands that run a worker. */
export interface WorkerCliOptions extends TemporalCliOptions {
  llm: string;
  modelPath?: string;
  taskQueue: string;
  /** `--llm-slots`: LLM calls the worker runs at once (see {@link resolveLlmSlots}). */
  llmSlots?: string;
}

/** An open Temporal connection, env provider and data dir. */
export interface CliSession {
  temporal: OpenTemporal;
  envs: EnvProvider;
  dataDir: string;
  /**
   * The LLM backend for the flags; the expert policy follows `spec`'s expert solution, or with
   * `specOf` (many episodes) the solution of the episode each call decides for.
   */
  llm(
    flags: WorkerCliOptions,
    spec?: EnvSpec,
    profile?: 'paper' | 'chat',
    specOf?: (episodeId: string) => EnvSpec | undefined,
  ): Promise<SelectedLlm>;
  /** A worker in this process on the flags' task queue. */
  worker(
    flags: WorkerCliOptions,
    llm: SelectedLlm,
    workerId?: string,
    fenceEnvQueues?: string[],
  ): Promise<StepHrlWorker>;
}

/** How long `acquireEnvQueue` waits for this worker's env server to answer `/health` before refusing. */
const ENV_HEALTH_TIMEOUT_MS = 3_000;

/**
 * A task queue only this process polls (`run`, `demo`, `fork`), so its policy (e.g. a scripted
 * expert for one task) never answers another process's episodes.
 */
export function processTaskQueue(): string {
  return `${DEFAULT_TASK_QUEUE}.run.${randomUUID()}`;
}

/**
 * The model label recorded in the `StepHrlModel` search attribute for an `--llm` choice: the
 * endpoint's model id (STEP_HRL_MODEL) when one is set, else the backend name (as `eval` labels results).
 */
export function modelLabel(llm: string, env: NodeJS.ProcessEnv = process.env): string {
  return llm === 'expert' ? 'expert' : (env.STEP_HRL_MODEL ?? llm);
}

/** Opens a session, runs `body`, and closes the env server and Temporal whatever happens. */
export async function withSession<T>(flags: TemporalCliOptions, body: (session: CliSession) => Promise<T>): Promise<T> {
  const dataDir = flags.dataDir ?? defaultDataDir();
  const temporal = await openTemporal(flags);
  const envs = new EnvProvider();
  const session: CliSession = {
    temporal,
    envs,
    dataDir,
    async llm(options, spec, profile, specOf) {
      const choice = parseLlmChoice(options.llm);
      if (choice === 'expert' && !spec && !specOf) {
        throw new Error("--llm expert follows one episode's expert solution; use it with `run`, `demo` or `resume`");
      }
      const planOf = (s: EnvSpec) => expertPlan(s, () => envs.serverUrl());
      const plan = choice === 'expert' && spec && !specOf ? await planOf(spec) : undefined;
      // A read-only cache answers every call itself, so the endpoint need not be up.
      if ((choice === 'auto' || choice === 'openai') && loadCacheConfigFromEnv().mode !== 'read-only') {
        const endpoints = loadOpenAiConfigFromEnv();
        if (endpoints) await checkLlmEndpoints(endpoints);
      }
      return selectLlm({
        choice,
        expertPlan: plan,
        ...(specOf && { expertRouter: { specOf, planOf } }),
        profile,
        modelPath: options.modelPath,
        cacheDir: process.env.STEP_HRL_CACHE_DIR ?? path.join(dataDir, 'cache'),
      });
    },
    worker(options, llm, workerId, fenceEnvQueues) {
      return createStepHrlWorker({
        connection: temporal.native,
        namespace: temporal.target.namespace,
        dataConverter: temporal.dataConverter,
        taskQueue: options.taskQueue,
        llm: llm.client,
        envFactory: envs.create,
        workerId,
        fenceEnvQueues,
        // A worker whose env server is broken takes no new session (another worker's acquire does).
        envHealth: async (env) => {
          if (env !== 'builtin') await waitForHealth(await envs.serverUrl(), ENV_HEALTH_TIMEOUT_MS);
        },
        maxConcurrentLlmCalls: resolveLlmSlots({ flag: options.llmSlots, serial: llm.serial }),
        // Versioned on shared queues: promoted on the embedded server, by the rollout on a cluster.
        versioning: { mode: cliVersioningMode(options.taskQueue, temporal.target.devServer !== undefined) },
      });
    },
  };
  let exitingNow = false;
  try {
    return await body(session);
  } catch (err) {
    exitingNow = err instanceof ExitNow;
    throw err;
  } finally {
    await envs.close();
    // A command that exits at once (Ctrl-C, Temporal gone) leaves its connections to the process's
    // end: closing a channel under calls still retrying would crash it with a gRPC stack trace.
    if (exitingNow) await temporal.target.devServer?.stop();
    else await temporal.close();
  }
}
