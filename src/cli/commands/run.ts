/**
 * `step-hrl run` and `step-hrl demo`: start (or reuse) Temporal, run a worker in this process,
 * run one episode of either agent kind (`--agent step-hrl|react`) and print it live. Input is
 * checked before anything starts; Ctrl-C stops the process and leaves the episode open for
 * `step-hrl resume <id>` (see `follow.ts`).
 */
import { agentByKind } from '../agents';
import { DEMO_GAME, DEMO_SPLIT } from '../../envs/demo-game';
import { DEFAULT_TASK_QUEUE } from '../../worker';
import { DEMO_MAX_STEPS, demoFlagsWithFallback } from '../demo-fallback';
import {
  defaultEpisodeId,
  HIGH_LEVEL_WINDOW_HELP,
  MAX_STEPS_LIMIT,
  OBS_HELP,
  parseEpisodeFlags,
  type EpisodeFlags,
} from '../episode-options';
import { followToEnd } from '../follow';
import { LLM_SLOTS_HELP } from '../llm-slots';
import { createOutput, type Output } from '../output';
import { checkEpisodeIdFree, checkTask } from '../preflight';
import { action, program } from '../program';
import { modelLabel, processTaskQueue, withSession, type WorkerCliOptions } from '../session';
import { DATA_DIR_WITH_CACHE, withTemporalOptions } from '../temporal';

/** Flags of `run` and `demo`. */
export interface RunFlags extends EpisodeFlags, Omit<WorkerCliOptions, 'taskQueue'> {
  taskQueue?: string;
  episodeId?: string;
  rerun?: boolean;
  json?: boolean;
  /** `step-hrl` (default) or `react` (the full-history ReAct baseline). */
  agent?: string;
}

/** Runs one episode end to end with an in-process worker. */
export async function runEpisode(runFlags: RunFlags, out: Output): Promise<void> {
  const flags = { ...runFlags, taskQueue: runFlags.taskQueue ?? processTaskQueue() };
  const agent = agentByKind(flags.agent);
  const { config } = parseEpisodeFlags(flags);
  if (flags.rerun && !flags.episodeId) {
    throw new Error('--rerun needs --episode-id <id> of the episode to run again (default ids are always new)');
  }
  checkTask(config.spec); // before Temporal or the env server start
  await withSession(flags, async (session) => {
    const client = session.temporal.client;
    const requestedId = flags.episodeId ?? defaultEpisodeId(config.spec);
    // An id runs once: refused before the env server or the model start (the start refuses it again).
    if (flags.episodeId && !flags.rerun) await checkEpisodeIdFree(client, requestedId);
    const llm = await session.llm(flags, config.spec, config.profile);
    out.line(`policy: ${llm.description}${agent.policyNote}`);
    const worker = await session.worker(flags, llm);
    const server = session.temporal.target.devServer;
    const where = server ? `embedded Temporal at ${server.address}` : 'Temporal';

    // Started and followed inside worker.run, so a refused start still shuts the worker down
    // (a created worker that never runs keeps the process alive).
    await followToEnd({
      client,
      worker,
      agent,
      out,
      async start() {
        const options = { episodeId: requestedId, taskQueue: flags.taskQueue, config, model: modelLabel(flags.llm) };
        const handle = await agent.start(client, options, Boolean(flags.rerun));
        const episodeId = handle.workflowId;
        const rerunOf = episodeId !== requestedId ? requestedId : undefined;
        out.event(
          'started',
          {
            episodeId,
            ...(agent.kind !== 'step-hrl' && { agent: agent.kind }),
            spec: config.spec,
            ...(rerunOf ? { rerunOf } : {}),
          },
          `${agent.noun} ${out.bold(episodeId)} on ${where} (${config.spec.env} ${config.spec.task})` +
            (rerunOf ? `, a re-run of ${rerunOf}` : ''),
        );
        return handle;
      },
    });
  });
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
