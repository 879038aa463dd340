/**
 * The eval stage of `step-hrl train` (issue 19 item 5), on the CLI's side: planning it from the
 * resolved config's `evaluate` section (the same plan and complete episode config `step-hrl eval`
 * builds, frozen in the run's input), and the episode worker of the run's own eval queue, whose
 * policy is the checkpoint the run serves. Model endpoints are worker configuration (never in an
 * episode's input), so that worker is started, or restarted, once the run reports the served base
 * URL (`TrainingState.served`).
 */
import { configProblems, resolveSharedConfig, type EpisodeConfig } from '../agent/config';
import { compactPlan } from '../episode/eval-state';
import type { AgentKind } from '../episode/eval-types';
import type { ServedCheckpoint, TrainingEvaluateStage } from '../episode/training-records';
import { evalTaskQueue } from '../eval/client';
import { resolvePlan } from '../eval/plan';
import { POLICY_ROLES } from '../llm/config';
import { selectLlm } from '../llm/select';
import type { CliSession, WorkerCliOptions } from '../cli/session';
import type { StepHrlWorker } from '../worker';

/** The `evaluate` section of a resolved training config (trainer/step_hrl_trainer/eval_config.py). */
export interface EvaluateSection {
  env: 'builtin' | 'alfworld' | 'scienceworld';
  split: string | null;
  tasks: string[];
  per_task: number | null;
  limit: number | null;
  max_steps: number;
  profile: 'paper' | 'chat';
  agent: AgentKind;
  concurrency: number;
  repair_attempts: number;
  model_name: string;
  host: string;
  threads: number;
  load_timeout_seconds: number;
  final_report: boolean;
}

/**
 * The eval stage's task queue: the eval's own (as `step-hrl eval` names it, a private queue), so
 * only this run's served-checkpoint worker runs those episodes.
 */
export function evalStageQueue(trainingId: string): string {
  return evalTaskQueue(evalStageId(trainingId));
}

/** The eval stage's workflow id. */
export function evalStageId(trainingId: string): string {
  return `${trainingId}/eval`;
}

/** The worker id of the eval stage's worker (fixed: a resumed run serves the env queues its episodes are pinned to). */
const EVAL_STAGE_WORKER_ID = 'eval';

/**
 * The eval stage of run `trainingId` from its config's section: the plan on the section's split
 * and the complete episode config, so a default changed later never reaches it.
 * @throws Error naming the `evaluate` field when the selection or the config is invalid.
 */
export async function planEvalStage(
  section: EvaluateSection,
  trainingId: string,
  envServerUrl: () => Promise<string>,
): Promise<TrainingEvaluateStage> {
  const plan = await resolvePlan(
    {
      env: section.env,
      ...(section.tasks.length > 0 && { tasks: section.tasks }),
      ...(section.split !== null && { split: section.split }),
      ...(section.per_task !== null && { perTask: section.per_task }),
      ...(section.limit !== null && { limit: section.limit }),
    },
    envServerUrl,
  ).catch((err: unknown) => {
    throw new Error(`the training config's evaluate section: ${err instanceof Error ? err.message : String(err)}`);
  });
  if (plan.episodes.length === 0)
    throw new Error("the training config's evaluate section selects no episode: check evaluate.tasks and limit");
  const flags: Partial<Omit<EpisodeConfig, 'spec'>> = {
    profile: section.profile,
    maxSteps: section.max_steps,
    repairAttempts: section.repair_attempts,
  };
  const config = resolveSharedConfig(flags);
  const problems = configProblems({ ...config, spec: plan.episodes[0]!.spec });
  if (problems.length > 0) throw new Error(`the training config's evaluate section: ${problems.join('; ')}`);
  return {
    taskQueue: evalStageQueue(trainingId),
    evalId: evalStageId(trainingId),
    input: {
      agent: section.agent,
      selection: plan.selection,
      env: plan.env,
      ...(plan.split !== undefined && { split: plan.split }),
      model: `${section.model_name} (${trainingId})`,
      config,
      plan: compactPlan(plan.episodes),
      concurrency: section.concurrency,
    },
    serve: {
      modelName: section.model_name,
      host: section.host,
      threads: section.threads,
      loadTimeoutSeconds: section.load_timeout_seconds,
    },
  };
}

/**
 * The LLM environment of the eval stage's worker: `env` pointed at the served checkpoint, with
 * every other endpoint, model and key setting removed (the user's API key never reaches it) and
 * the response cache off (another model's cached replies must not answer).
 */
export function servedLlmEnv(served: ServedCheckpoint, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, OPENAI_BASE_URL: served.baseURL, STEP_HRL_MODEL: served.model };
  delete out.OPENAI_API_KEY;
  for (const role of POLICY_ROLES) {
    const R = role.toUpperCase();
    for (const name of [`STEP_HRL_BASE_URL_${R}`, `STEP_HRL_API_KEY_${R}`, `STEP_HRL_MODEL_${R}`]) delete out[name];
  }
  out.STEP_HRL_CACHE = 'off';
  return out;
}

/**
 * Runs the eval stage's episode worker against whichever checkpoint the run serves now: started
 * on the first {@link ServedCheckpoint}, restarted when a retried serve attempt moves the server.
 */
export function servedEvalWorker(
  session: CliSession,
  trainingId: string,
  onEvent: (line: string) => void,
): { onServed(served: ServedCheckpoint): Promise<void>; stop(): Promise<void> } {
  let current: { url: string; worker: StepHrlWorker; running: Promise<unknown> } | undefined;
  let chain: Promise<void> = Promise.resolve();
  const stopCurrent = async () => {
    if (!current) return;
    current.worker.shutdown();
    await current.running.catch(() => undefined);
    current = undefined;
  };
  const start = async (served: ServedCheckpoint) => {
    if (current?.url === served.baseURL) return;
    await stopCurrent();
    const llm = selectLlm({ choice: 'openai', env: servedLlmEnv(served), cacheMode: 'off' });
    const flags = { taskQueue: evalStageQueue(trainingId), llm: 'openai' } as WorkerCliOptions;
    const worker = await session.worker(flags, llm, EVAL_STAGE_WORKER_ID);
    onEvent(`eval stage: episodes run against the served checkpoint at ${served.baseURL} (model ${served.model})`);
    const running = worker.run().catch((err: unknown) => {
      onEvent(`eval stage worker stopped: ${err instanceof Error ? err.message : String(err)}`);
    });
    current = { url: served.baseURL, worker, running };
  };
  return {
    onServed(served) {
      chain = chain.then(() => start(served));
      return chain;
    },
    async stop() {
      await chain.catch(() => undefined);
      await stopCurrent();
    },
  };
}
