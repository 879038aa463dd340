/**
 * Runs a labelling job (`src/workflows/labelling.ts`) from a process: an in-process worker on the
 * job's own task queue with the labelling activities (env servers started on demand: the
 * project's unpacked data folder for ALFWorld train games, the default one otherwise; the teacher
 * behind the response cache), then starts the job's workflow under a fixed id or attaches to the
 * running one, reporting progress until it ends. Re-running the same job after a crash resumes it:
 * the workflow is still there (or, if it ended, a new run finds all work done).
 */
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { runJobWorkflow } from '../job-workflow';
import { createLabellingActivities } from '../activities/labelling';
import type { EnvSpec } from '../agent/vocabulary';
import { EnvProvider } from '../envs/factory';
import { CachedLlmClient } from '../llm/cache';
import { POLICY_ROLES, type OpenAiClientConfig, type RoleConfig } from '../llm/config';
import { OpenAiLlmClient } from '../llm/openai-client';
import type { LlmClient } from '../llm/types';
import {
  labelProgressQuery,
  type LabelDatasetInput,
  type LabelDatasetResult,
  type LabelProgress,
} from '../episode/labelling-records';
import { prepareAlfWorldTrainData } from './alfworld-train';

/** The teacher endpoint (any OpenAI-compatible server); the key stays in this process. */
export interface TeacherEndpoint {
  baseURL: string;
  model: string;
  apiKey: string;
  /** @default 120000 */
  timeoutMs?: number;
}

/** Options of {@link runLabelJob}. */
export interface LabelJobOptions {
  client: Client;
  native: NativeConnection;
  namespace: string;
  dataConverter?: DataConverter;
  workflowId: string;
  input: Omit<LabelDatasetInput, 'state'>;
  teacher?: TeacherEndpoint;
  /** Response cache folder of teacher calls (keyed by the prompt's hash). */
  cacheDir: string;
  /** Env server URL to use instead of spawning one (all splits but ALFWorld train). */
  envUrl?: string;
  /** Called about twice a second with the job's totals. */
  onProgress?: (p: LabelProgress) => void;
  /** @default `label-<workflowId>` */
  taskQueue?: string;
}

/** The teacher client: every role on the one endpoint, behind the response cache. */
export function teacherClient(t: TeacherEndpoint, cacheDir: string): LlmClient {
  const role: RoleConfig = {
    baseURL: t.baseURL,
    apiKey: t.apiKey,
    apiKeyVar: 'teacher key',
    model: t.model,
    modelVar: '--teacher-model',
  };
  const config: OpenAiClientConfig = {
    roles: Object.fromEntries(POLICY_ROLES.map((r) => [r, role])) as OpenAiClientConfig['roles'],
    timeoutMs: t.timeoutMs ?? 120_000,
  };
  return new CachedLlmClient(new OpenAiLlmClient(config), { mode: 'read-write', dir: cacheDir });
}

/** Runs (or resumes) a labelling job to its end. */
export async function runLabelJob(o: LabelJobOptions): Promise<LabelDatasetResult> {
  const defaultEnvs = new EnvProvider();
  let trainEnvs: EnvProvider | undefined;
  const envUrl = async (spec: EnvSpec): Promise<string> => {
    if (spec.env === 'alfworld' && spec.split === 'train') {
      trainEnvs ??= new EnvProvider({ alfworldData: await prepareAlfWorldTrainData() });
      return trainEnvs.serverUrl();
    }
    return o.envUrl ?? defaultEnvs.serverUrl();
  };
  try {
    return await runJobWorkflow<LabelDatasetResult>({
      client: o.client,
      native: o.native,
      namespace: o.namespace,
      dataConverter: o.dataConverter,
      workflowsPath: require.resolve('../workflows/labelling'),
      workflowId: o.workflowId,
      taskQueue: o.taskQueue ?? `label-${o.workflowId}`,
      workflowType: 'labelDatasetWorkflow',
      args: [o.input],
      worker: {
        activities: createLabellingActivities({
          envUrl,
          teacher: o.teacher ? teacherClient(o.teacher, o.cacheDir) : undefined,
        }),
        maxConcurrentActivityTaskExecutions: Math.max(4, o.input.concurrency * 2),
      },
      poll: o.onProgress
        ? async () => o.onProgress?.(await o.client.workflow.getHandle(o.workflowId).query(labelProgressQuery))
        : undefined,
    });
  } finally {
    await defaultEnvs.close();
    await trainEnvs?.close();
  }
}
