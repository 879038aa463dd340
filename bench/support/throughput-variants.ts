/**
 * Worker settings the throughput bench compares. Each runs on its own Temporal dev server
 * (eager activity dispatch is a server setting) and its own worker process.
 */
import { DEFAULT_WORKER_SLOTS, type WorkerTuning } from '../../src/worker';

/** One set of worker and server settings. */
export interface Variant {
  name: string;
  description: string;
  llmSlots: number;
  envSlots: number;
  workflowTaskSlots: number;
  tuning: WorkerTuning;
  /** Server hands activity tasks to the worker completing the workflow task that scheduled them. */
  eager: boolean;
}

const base = {
  llmSlots: DEFAULT_WORKER_SLOTS.maxConcurrentLlmCalls,
  envSlots: DEFAULT_WORKER_SLOTS.maxConcurrentEnvActivities,
  workflowTaskSlots: DEFAULT_WORKER_SLOTS.maxConcurrentWorkflowTasks,
  tuning: {},
  eager: false,
};

/** The variants by name (`--variants a,b`). */
export const VARIANTS: Record<string, Variant> = {
  defaults: { ...base, name: 'defaults', description: 'the worker and dev server defaults of this build' },
  'llm-16': { ...base, name: 'llm-16', description: '16 LLM slots (the default before issue 10)', llmSlots: 16 },
  'llm-64': { ...base, name: 'llm-64', description: '64 LLM slots (one full batch)', llmSlots: 64 },
  'llm-128': { ...base, name: 'llm-128', description: '128 LLM slots', llmSlots: 128 },
  eager: {
    ...base,
    name: 'eager',
    description: 'defaults plus eager activity dispatch (server dynamic config)',
    eager: true,
  },
  pollers: {
    ...base,
    name: 'pollers',
    description: 'defaults plus 16 workflow task slots, 32 activity and 16 workflow task pollers (SDK default 10 each)',
    workflowTaskSlots: 16,
    tuning: { maxConcurrentActivityTaskPolls: 32, maxConcurrentWorkflowTaskPolls: 16 },
  },
  'no-cache': {
    ...base,
    name: 'no-cache',
    description: 'defaults without the sticky cache (every workflow task replays from history)',
    tuning: { maxCachedWorkflows: 0 },
  },
};
