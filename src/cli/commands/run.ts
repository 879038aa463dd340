/**
 * `step-hrl run` and `step-hrl demo`: start (or reuse) Temporal, run a worker in this process,
 * run one STEP-HRL episode and print it live. Ctrl-C cancels the episode cleanly (the record
 * stays); a second Ctrl-C exits at once, and `step-hrl resume <id>` continues later.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { startEpisode, startEpisodeRerun } from '../../client';
import { checksAlfWorldDataLocally, findAlfWorldData } from '../../envs/alfworld-data';
import { DEMO_GAME, DEMO_SPLIT } from '../../envs/demo-game';
import { AGENT_KINDS, type AgentKind } from '../../eval/types';
import { DEFAULT_TASK_QUEUE } from '../../worker';
import type { EpisodeResult, episodeWorkflow } from '../../workflows/episode';
import { episodeFailure, withSigintCancel } from '../sigint-cancel';
import { DEMO_MAX_STEPS, demoFlagsWithFallback } from '../demo-fallback';
import {
  defaultEpisodeId,
  HIGH_LEVEL_WINDOW_HELP,
  MAX_STEPS_LIMIT,
  OBS_HELP,
  parseEpisodeFlags,
  type EpisodeFlags,
} from '../episode-options';
import { followEpisode } from '../live';
import { runReactEpisode } from '../react-run';
import { LLM_SLOTS_HELP } from '../llm-slots';
import { createOutput, type Output } from '../output';
import { action, program } from '../program';
import { modelLabel, withSession, type WorkerCliOptions } from '../session';
import { DATA_DIR_WITH_CACHE, withTemporalOptions } from '../temporal';
import { failOnErrorStatus, printEpisodeSummary } from './show';

/** Flags of `run` and `demo`. */
export interface RunFlags extends EpisodeFlags, Omit<WorkerCliOptions, 'taskQueue'> {
  taskQueue?: string;
  episodeId?: string;
  rerun?: boolean;
  json?: boolean;
  /** `step-hrl` (default) or `react` (the full-history ReAct baseline). */
  agent?: string;
}

/**
 * A task queue only this process polls, so its policy (e.g. a scripted expert for one task) never
 * answers another process's episodes.
 */
export function processTaskQueue(): string {
  return `${DEFAULT_TASK_QUEUE}.run.${randomUUID()}`;
}

/** Runs one episode end to end with an in-process worker. */
export async function runEpisode(runFlags: RunFlags, out: Output): Promise<void> {
  const flags = { ...runFlags, taskQueue: runFlags.taskQueue ?? processTaskQueue() };
  if (parseAgent(flags.agent) === 'react') return runReactEpisode(flags, out);
  const { config } = parseEpisodeFlags(flags);
  if (flags.rerun && !flags.episodeId) {
    throw new Error('--rerun needs --episode-id <id> of the episode to run again (default ids are always new)');
  }
  if (config.spec.env === 'alfworld' && checksAlfWorldDataLocally()) {
    // Before Temporal or the env server start: the same error the server would give, sooner.
    const lookup = findAlfWorldData();
    if (!lookup.found) throw lookup.error;
  }
  await withSession(flags, async (session) => {
    const llm = await session.llm(flags, config.spec, config.profile);
    out.line(`policy: ${llm.description}`);
    const worker = await session.worker(flags, llm);
    const server = session.temporal.target.devServer;
    const where = server ? `embedded Temporal at ${server.address}` : 'Temporal';
    const requestedId = flags.episodeId ?? defaultEpisodeId(config.spec);
    const start = flags.rerun ? startEpisodeRerun : startEpisode;
    let handle: WorkflowHandle<typeof episodeWorkflow> | undefined;

    // Started and followed inside worker.run, so a refused start still shuts the worker down
    // (a created worker that never runs keeps the process alive).
    const startAndFollow = async (): Promise<EpisodeResult> => {
      handle = await start(session.temporal.client, {
        episodeId: requestedId,
        taskQueue: flags.taskQueue,
        config,
        model: modelLabel(flags.llm),
      });
      const episodeId = handle.workflowId;
      const rerunOf = episodeId !== requestedId ? requestedId : undefined;
      out.event(
        'started',
        { episodeId, spec: config.spec, ...(rerunOf ? { rerunOf } : {}) },
        `episode ${out.bold(episodeId)} on ${where} (${config.spec.env} ${config.spec.task})` +
          (rerunOf ? `, a re-run of ${rerunOf}` : ''),
      );
      return followEpisode(session.temporal.client, handle, out).catch((err: unknown) => {
        throw episodeFailure(episodeId, err);
      });
    };

    await withSigintCancel(
      () => handle,
      out,
      'cancelling after the current step (Ctrl-C again to quit now; `step-hrl resume` continues)...',
      async () => {
        const result = await worker.run(startAndFollow());
        if (result) {
          printEpisodeSummary(result, out);
          failOnErrorStatus(result);
        }
      },
    );
  });
}

/** The `--agent` value, checked. */
function parseAgent(agent = 'step-hrl'): AgentKind {
  if (!AGENT_KINDS.includes(agent as AgentKind))
    throw new Error(`--agent ${JSON.stringify(agent)} is not valid; choose one of: ${AGENT_KINDS.join(', ')}`);
  return agent as AgentKind;
}

/** Adds the flags `run` and `demo` share. */
function episodeCommand(
  name: string,
  description: string,
  defaults: { env: string; task: string; split?: string; llm: string; maxSteps: string },
  adjust: (flags: RunFlags, out: Output) => RunFlags = (flags) => flags,
) {
  return withTemporalOptions(program.command(name), DATA_DIR_WITH_CACHE)
    .description(description)
    .option('--env <env>', 'environment: builtin | scienceworld | alfworld', defaults.env)
    .option('--task <task>', 'task name (ScienceWorld), game path (ALFWorld) or built-in task id', defaults.task)
    .option('--variation <n>', 'variation (ScienceWorld) or seed (built-in)', '0')
    .option(
      '--split <split>',
      'split the task belongs to (alfworld: valid_seen | valid_unseen | train_sample)',
      defaults.split,
    )
    .option('--agent <agent>', 'agent: step-hrl | react (full-history ReAct baseline, AgentGym format)', 'step-hrl')
    .option('--profile <profile>', 'prompt profile: chat (JSON, instruct models) | paper (reference raw text)', 'chat')
    .option('--obs <format>', OBS_HELP)
    .option('--high-level-window <n>', HIGH_LEVEL_WINDOW_HELP)
    .option(
      '--llm <backend>',
      'policy backend: auto | openai | local | expert (scripted, follows the expert solution)',
      defaults.llm,
    )
    .option('--model-path <file>', 'GGUF file for the local model (default: the one installed by setup)')
    .option('--llm-slots <n>', LLM_SLOTS_HELP)
    .option('--max-steps <n>', `environment steps per episode, at most ${MAX_STEPS_LIMIT}`, defaults.maxSteps)
    .option('--max-subtasks <n>', 'subtasks per episode, 0 = no cap', '0')
    .option('--max-tokens <n>', 'token budget per episode, 0 = no cap', '0')
    .option('--repair-attempts <n>', 'extra model calls to repair an unparseable reply', '2')
    .option(
      '--episode-id <id>',
      'workflow id of the episode (default: <env>-<task>-v<n>-<time>-<random>); an id runs once',
    )
    .option('--rerun', 'run --episode-id again under a new linked id <id>.rerun-<n> (recorded as rerunOf)')
    .option(
      '--task-queue <queue>',
      `Temporal task queue (default: one only this process polls, ${DEFAULT_TASK_QUEUE}.run.<uuid>)`,
    )
    .option('--ui', 'serve the Temporal Web UI from the embedded server (port + 1000)')
    .option('--json', 'print JSON lines instead of text')
    .action(
      action(async (flags) => {
        const out = createOutput(Boolean(flags.json));
        return runEpisode(adjust(flags as RunFlags, out), out);
      }),
    );
}

episodeCommand('run', 'Run one STEP-HRL episode and print it live', {
  env: 'builtin',
  task: 'boil-water',
  llm: 'auto',
  maxSteps: '50',
});

episodeCommand(
  'demo',
  'Run the embedded-defaults demo: one STEP-HRL episode on a real ALFWorld game with the embedded local model ' +
    '(or the OpenAI-compatible endpoint when configured); a short step budget because a CPU model is slow',
  { env: 'alfworld', task: DEMO_GAME, split: DEMO_SPLIT, llm: 'auto', maxSteps: DEMO_MAX_STEPS },
  demoFlagsWithFallback,
);
