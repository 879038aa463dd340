/**
 * Throughput benchmark: how well one step-hrl worker feeds a batching LLM server. Built-in env
 * episodes (fast, deterministic) with the scripted expert policy behind a simulated batching
 * endpoint whose latency follows the measured H200 7B table (tests/support/batching-endpoint.ts),
 * at several concurrency levels. Per level: episodes/min, steps/s, LLM calls in flight and mean
 * batch size (counted at the endpoint), the simulated GPU's busy fraction, and the no-op floor (a
 * workflow running the same activities on the same queues, answering at once, same server and
 * worker settings, same run) as the orchestration cost per step.
 *
 * Each variant (worker tuning, eager activity dispatch) gets its own Temporal dev server and worker
 * process. Writes bench/results/throughput.{json,md} (or `--out <name>`).
 * Run: npm run bench:throughput [-- --quick] [--levels 1,8,32,128] [--variants defaults,llm-16@128!]
 * (a variant as name[@c1+c2][!]: its own levels; ! skips its floor)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { BUILTIN_TASKS } from '../src/envs/builtin';
import { startDevServer } from '../src/server/dev-server';
import { freePort } from '../src/server/ports';
import { DEFAULT_WORKER_SLOTS } from '../src/worker';
import { BatchingEndpoint } from '../tests/support/batching-endpoint';
import type { BenchWorkerConfig } from './support/bench-worker';
import {
  cleanups,
  episodeJobs,
  flag,
  floorJobs,
  line,
  machineInfo,
  startBenchWorker,
  stopGroup,
  stopOnSignals,
  summarise,
  writeReport,
  type LevelResult,
} from './support/bench-run';
import { builtinExpertResponder, type ExpertEpisode } from './support/builtin-expert-responder';
import { ClientSideDriver, EvalWorkflowDriver, type EpisodeDriver } from './support/episode-driver';
import { VARIANTS, type Variant } from './support/throughput-variants';

stopOnSignals();

interface VariantResult {
  variant: Variant;
  levels: LevelResult[];
}

/**
 * Episodes run at a level: one full wave (at least 4, so level 1 is not one sample); quick mode
 * (a smoke test) runs fewer levels and at least 2.
 */
function episodesFor(concurrency: number, quick: boolean): number {
  return Math.max(concurrency, quick ? 2 : 4);
}

async function runVariant(
  variant: Variant,
  levels: number[],
  quick: boolean,
  withFloor: boolean,
  plans: ExpertEpisode[],
  endpoint: BatchingEndpoint,
  driverKind: 'eval' | 'client',
): Promise<VariantResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bench-throughput-'));
  const temporal = await startDevServer({ dataDir, port: await freePort(), eagerActivities: variant.eager });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const driver: EpisodeDriver = driverKind === 'eval' ? new EvalWorkflowDriver(client) : new ClientSideDriver();
  const run = `tp-${variant.name}-${Date.now()}`;
  const config: BenchWorkerConfig = {
    address: temporal.address,
    taskQueue: `${run}`,
    floorTaskQueue: `${run}-floor`,
    llmSlots: variant.llmSlots,
    envSlots: variant.envSlots,
    workflowTaskSlots: variant.workflowTaskSlots,
    tuning: variant.tuning,
  };
  const cleanup = async (): Promise<void> => {
    await connection.close().catch(() => undefined);
    await temporal.stop();
  };
  cleanups.add(cleanup);
  const worker = await startBenchWorker(config, endpoint.baseURL).catch(async (err: unknown) => {
    await cleanup();
    throw err;
  });
  const stopWorker = (): Promise<void> => stopGroup(worker);
  cleanups.add(stopWorker);
  try {
    // Warm-up (bundles loaded, connections open), not measured.
    await driver.run(episodeJobs(client, `${run}-warm`, config.taskQueue, plans, 1), 1);
    await driver.run(floorJobs(client, `${run}-warm-floor`, config.floorTaskQueue, plans, 1), 1);
    const out: LevelResult[] = [];
    for (const c of levels) {
      const n = episodesFor(c, quick);
      endpoint.scheduler.resetStats();
      const real = await driver.run(episodeJobs(client, `${run}-c${c}`, config.taskQueue, plans, n), c);
      const stats = endpoint.scheduler.stats();
      const floor = withFloor
        ? await driver.run(floorJobs(client, `${run}-c${c}-floor`, config.floorTaskQueue, plans, n), c)
        : undefined;
      const level = summarise(c, real, floor, stats);
      console.log(`${variant.name} c=${c}: ${line(level)}`);
      out.push(level);
    }
    return { variant, levels: out };
  } finally {
    await stopWorker();
    await cleanup();
    cleanups.delete(stopWorker);
    cleanups.delete(cleanup);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function markdown(report: {
  date: string;
  machine: Record<string, unknown>;
  quick: boolean;
  driver: string;
  variants: VariantResult[];
}): string {
  const m = report.machine;
  const lines = [
    `# Throughput: one worker feeding a simulated batching GPU (${report.date})`,
    '',
    `${String(m.cores)} cores (${String(m.cpu)}), shared; Node ${String(m.node)}; 1-min load ${String(m.loadBefore)} before, ${String(m.loadAfter)} after.` +
      (report.quick ? ' **Quick mode** (smoke test).' : ''),
    report.driver === 'eval'
      ? 'Episodes run as the children of one `evalWorkflow` per level (as `step-hrl eval` runs them); the floor is started from the client.'
      : 'Episodes are started one by one from the bench process (`--driver client`).',
    '`npm run bench:throughput` reproduces it. Built-in env, scripted expert policy through an OpenAI-compatible',
    'endpoint whose answers wait for a simulated H200 running static batches of up to 64 calls (latency interpolated',
    'from the measured 7B HF `generate` table in the shared data folder). In flight, batch size and GPU busy are',
    'counted at the endpoint; the floor runs the same activities per step as an episode (no-op, same queues, same worker',
    'settings, same server, same run); floor ratio = floor wall time per step / real wall time per step.',
    '',
  ];
  for (const v of report.variants) {
    lines.push(`## ${v.variant.name}: ${v.variant.description}`, '');
    lines.push(
      '| concurrency | episodes (won/failed) | wall s | episodes/min | steps/s | LLM calls/s | ms/step (episode latency) | LLM in flight mean / max | mean batch | GPU busy | floor ms/step | floor ratio |',
      '| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    );
    for (const l of v.levels) {
      lines.push(
        `| ${l.concurrency} | ${l.episodes} (${l.won}/${l.failed}) | ${l.wallS.toFixed(1)} | ${l.episodesPerMin.toFixed(1)} | ` +
          `${l.stepsPerS.toFixed(2)} | ${l.llmCallsPerS.toFixed(1)} | ${l.episodeMsPerStep.toFixed(0)} | ${l.endpoint.inFlightMean.toFixed(1)} / ${l.endpoint.inFlightMax} | ` +
          `${l.endpoint.meanBatchSize.toFixed(1)} | ${(100 * l.endpoint.gpuBusyFraction).toFixed(0)}% | ${l.floor?.msPerStep.toFixed(0) ?? '-'} | ${l.floorRatio?.toFixed(2) ?? '-'} |`,
      );
    }
    const errors = v.levels.flatMap((l) => l.errors);
    if (errors.length) lines.push('', `Errors: ${errors.join('; ')}`);
    lines.push('');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  // `eval` (default): episodes as the children of one evaluation, as `step-hrl eval` runs them;
  // `client`: started one by one from this process.
  const driverKind = (flag('driver') ?? 'eval') as 'eval' | 'client';
  if (driverKind !== 'eval' && driverKind !== 'client') throw new Error('--driver: choose eval or client');
  const levels = (flag('levels') ?? (quick ? '1,8' : '1,8,32,128')).split(',').map(Number);
  // `name` or `name@c1+c2` (its own levels) or `name!` (no floor), e.g. defaults,llm-16@128!
  const variants = (flag('variants') ?? 'defaults').split(',').map((item) => {
    const m = /^([\w-]+)(?:@([\d+]+))?(!?)$/.exec(item);
    const v = m && VARIANTS[m[1]!];
    if (!v)
      throw new Error(
        `--variants: bad item ${JSON.stringify(item)}; use name[@c1+c2][!] with a name from: ${Object.keys(VARIANTS).join(', ')}`,
      );
    return { v, levels: m[2] ? m[2].split('+').map(Number) : levels, withFloor: m[3] !== '!' };
  });
  const specs = BUILTIN_TASKS.map((task) => ({ env: 'builtin' as const, task, variation: 0 }));
  const { responder, episodes: plans } = await builtinExpertResponder(specs);
  const endpoint = await BatchingEndpoint.start({
    responder,
    tableFile: flag('gpu-table'),
    maxBatch: Number(flag('max-batch') ?? 64),
  });
  const loadBefore = os.loadavg()[0]!;
  const results: VariantResult[] = [];
  try {
    for (const { v, levels: own, withFloor } of variants)
      results.push(await runVariant(v, own, quick, withFloor, plans, endpoint, driverKind));
  } finally {
    await endpoint.stop();
  }
  const report = {
    date: new Date().toISOString(),
    machine: machineInfo(loadBefore),
    quick,
    driver: driverKind,
    tasks: plans.map((p) => p.spec.task),
    defaults: DEFAULT_WORKER_SLOTS,
    variants: results,
  };
  writeReport('throughput', report, markdown(report));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
