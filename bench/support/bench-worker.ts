/**
 * The throughput bench's worker process: a step-hrl worker (the OpenAI-compatible backend from
 * OPENAI_BASE_URL / STEP_HRL_MODEL, the env provider) and the no-op floor's workers with the same
 * slot and poller settings, so both are measured on equal terms. Config: one JSON argument
 * ({@link BenchWorkerConfig}). Prints "ready" once polling; SIGTERM stops it.
 * Run: npx ts-node --transpile-only bench/support/bench-worker.ts '<json>'
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { EnvProvider } from '../../src/envs/factory';
import { loadOpenAiConfigFromEnv } from '../../src/llm/config';
import { OpenAiLlmClient } from '../../src/llm/openai-client';
import { createStepHrlWorker, STICKY_QUEUE_TIMEOUT, type WorkerTuning } from '../../src/worker';
import { createFloorActivities } from './floor-activities';

/** What the bench passes to its worker process. */
export interface BenchWorkerConfig {
  address: string;
  taskQueue: string;
  floorTaskQueue: string;
  llmSlots: number;
  envSlots: number;
  workflowTaskSlots: number;
  tuning: WorkerTuning;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = JSON.parse(process.argv[2] ?? '') as BenchWorkerConfig;
  const openai = loadOpenAiConfigFromEnv(process.env);
  if (!openai) throw new Error('bench worker: set OPENAI_BASE_URL and STEP_HRL_MODEL');
  const connection = await NativeConnection.connect({ address: config.address });
  const envs = new EnvProvider();
  const stepHrl = await createStepHrlWorker({
    connection,
    namespace: 'default',
    taskQueue: config.taskQueue,
    llm: new OpenAiLlmClient(openai),
    envFactory: envs.create,
    maxConcurrentLlmCalls: config.llmSlots,
    maxConcurrentEnvActivities: config.envSlots,
    maxConcurrentWorkflowTasks: config.workflowTaskSlots,
    tuning: config.tuning,
  });
  const floorEnvQueue = `${config.floorTaskQueue}.env`;
  const { stickyQueueScheduleToStartTimeout, ...pollers } = config.tuning;
  const floor = await Worker.create({
    connection,
    taskQueue: config.floorTaskQueue,
    workflowsPath: require.resolve('./floor-workflows'),
    activities: createFloorActivities(floorEnvQueue),
    maxConcurrentActivityTaskExecutions: config.llmSlots,
    maxConcurrentWorkflowTaskExecutions: config.workflowTaskSlots,
    stickyQueueScheduleToStartTimeout: stickyQueueScheduleToStartTimeout ?? STICKY_QUEUE_TIMEOUT,
    ...pollers,
  });
  const floorEnv = await Worker.create({
    connection,
    taskQueue: floorEnvQueue,
    activities: createFloorActivities(floorEnvQueue),
    maxConcurrentActivityTaskExecutions: config.envSlots,
  });
  const stop = (): void => {
    stepHrl.shutdown();
    for (const w of [floor, floorEnv]) if (w.getState() === 'RUNNING') w.shutdown();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  console.log('ready');
  await Promise.all([stepHrl.run(), floor.run(), floorEnv.run()]);
  await envs.close();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
