/**
 * `step-hrl worker` and `step-hrl resume`: a long-lived worker, or a worker that finishes one
 * existing episode (after a crash or Ctrl-C) and prints it live from where it stopped.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { EnvProvider } from '../../envs/factory';
import type { EnvSpec } from '../../envs/text-env';
import { expertPlan } from '../../llm/expert-plan';
import { selectLlm, type LlmChoice } from '../../llm/select';
import { defaultDataDir } from '../../server/paths';
import { createStepHrlWorker, DEFAULT_TASK_QUEUE } from '../../worker';
import type { EpisodeInput, episodeWorkflow } from '../../workflows/episode';
import { followEpisode } from '../live';
import { createOutput } from '../output';
import { action, program } from '../program';
import { openTemporal, type TemporalCliOptions } from '../temporal';
import { printEpisodeSummary } from './show';

/** The input an episode was started with, read from the first event of its history. */
async function episodeInput(client: Client, episodeId: string): Promise<EpisodeInput> {
  const history = await client.workflow.getHandle(episodeId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload)
    throw new Error(`episode ${JSON.stringify(episodeId)} has no recorded input; is it a step-hrl episode?`);
  return defaultPayloadConverter.fromPayload(payload) as EpisodeInput;
}

interface WorkerFlags extends TemporalCliOptions {
  llm: string;
  modelPath?: string;
  taskQueue: string;
  workerId?: string;
}

function llmFor(
  flags: WorkerFlags,
  dataDir: string,
  plan?: Awaited<ReturnType<typeof expertPlan>>,
  profile?: 'paper' | 'chat',
) {
  const choice = flags.llm as LlmChoice;
  if (!['auto', 'openai', 'local', 'expert'].includes(choice))
    throw new Error(`--llm ${JSON.stringify(flags.llm)} is not valid; choose auto, openai, local or expert`);
  return selectLlm({
    choice,
    expertPlan: plan,
    profile,
    modelPath: flags.modelPath,
    cacheDir: process.env.STEP_HRL_CACHE_DIR ?? path.join(dataDir, 'cache'),
  });
}

program
  .command('worker')
  .description('Run a step-hrl worker (workflows, policy and env activities) until Ctrl-C')
  .option('--llm <backend>', 'policy backend: auto | openai | local', 'auto')
  .option('--model-path <file>', 'GGUF file for the local model')
  .option('--task-queue <queue>', 'Temporal task queue', DEFAULT_TASK_QUEUE)
  .option('--worker-id <id>', 'stable worker id (its env queue); keep it across restarts of the same worker')
  .option('--data-dir <dir>', 'data dir of the embedded server and cache')
  .option('--port <port>', 'port of the embedded server')
  .action(
    action(async (flags) => {
      if (flags.llm === 'expert')
        throw new Error("--llm expert needs one episode's plan; use `step-hrl run --llm expert` instead");
      const dataDir = flags.dataDir ?? defaultDataDir();
      const temporal = await openTemporal({ ...flags, dataDir });
      const envs = new EnvProvider();
      try {
        const llm = llmFor(flags as WorkerFlags, dataDir);
        const worker = await createStepHrlWorker({
          connection: temporal.native,
          namespace: temporal.target.namespace,
          taskQueue: flags.taskQueue,
          llm: llm.client,
          envFactory: envs.create,
          workerId: flags.workerId ?? randomUUID(),
        });
        console.log(
          `worker on task queue ${flags.taskQueue} (env queue ${worker.envQueue}); policy: ${llm.description}; Ctrl-C stops`,
        );
        process.once('SIGINT', () => worker.shutdown());
        process.once('SIGTERM', () => worker.shutdown());
        await worker.run();
      } finally {
        await envs.close();
        await temporal.close();
      }
    }),
  );

program
  .command('resume')
  .description('Finish an interrupted episode with a worker in this process, printing it from where it stopped')
  .argument('<episode-id>', 'workflow id of the episode')
  .option('--llm <backend>', 'policy backend: auto | openai | local | expert', 'auto')
  .option('--model-path <file>', 'GGUF file for the local model')
  .option('--task-queue <queue>', 'Temporal task queue', DEFAULT_TASK_QUEUE)
  .option('--data-dir <dir>', 'data dir of the embedded server and cache')
  .option('--port <port>', 'port of the embedded server')
  .option('--json', 'print JSON lines instead of text')
  .action(
    action(async (episodeId, flags) => {
      const out = createOutput(Boolean(flags.json));
      const dataDir = flags.dataDir ?? defaultDataDir();
      const temporal = await openTemporal({ ...flags, dataDir });
      const envs = new EnvProvider();
      try {
        const handle = temporal.client.workflow.getHandle<typeof episodeWorkflow>(episodeId);
        const input = await episodeInput(temporal.client, episodeId);
        const spec: EnvSpec = input.config.spec;
        const plan = flags.llm === 'expert' ? await expertPlan(spec, () => envs.serverUrl()) : undefined;
        const llm = llmFor(flags as WorkerFlags, dataDir, plan, input.config.profile);
        const worker = await createStepHrlWorker({
          connection: temporal.native,
          namespace: temporal.target.namespace,
          taskQueue: flags.taskQueue,
          llm: llm.client,
          envFactory: envs.create,
          workerId: randomUUID(),
        });
        out.line(`resuming ${episodeId}; policy: ${llm.description}`);
        const result = await worker.run(followEpisode(temporal.client, handle, out));
        if (result) printEpisodeSummary(result, out);
      } finally {
        await envs.close();
        await temporal.close();
      }
    }),
  );
