/**
 * Scale-out benchmark (issue 20): one evaluation on the production-style cluster of
 * scripts/cluster.sh (four Temporal services and PostgreSQL as separate processes) served by 1, 2
 * and 4 worker processes polling the same task queue, built-in env episodes with the scripted
 * expert behind the simulated batching H200 of bench/throughput.ts. Per configuration: steps/s,
 * episodes/min, LLM calls/s, mean batch at the endpoint, and the CPU seconds of every worker
 * process, of every Temporal service, of PostgreSQL (postmaster and its children) and of this
 * process (endpoint and driver) from /proc; beside it, on the same cluster, the no-op floor with
 * the same processes. From those: CPU seconds per step by component, a model of steps/s for N
 * hosts of C cores and of how many worker hosts keep one H200 busy.
 *
 * Writes bench/results/scale-out.{json,md} (or `--out <name>`).
 * Run: npm run bench:scale-out [-- --quick] [--episodes 64] [--concurrency 64] [--processes 1,2,4]
 * (`--markdown-from bench/results/scale-out.json` rewrites the .md of an earlier run)
 * (the cluster's frontend on STEP_HRL_MULTIHOST_CLUSTER_PORT, default 30233; it is reset at the end)
 */
import { type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { BUILTIN_TASKS } from '../src/envs/builtin';
import { DEFAULT_WORKER_SLOTS } from '../src/worker';
import { BatchingEndpoint } from '../tests/support/batching-endpoint';
import * as bench from './support/bench-run';
import type { BenchWorkerConfig } from './support/bench-worker';
import { builtinExpertResponder, type ExpertEpisode } from './support/builtin-expert-responder';
import { EvalWorkflowDriver } from './support/episode-driver';
import { machineCpuSeconds, treeCpuSeconds } from './support/proc-cpu';

bench.stopOnSignals();

/** The Temporal server's services, each its own process in the cluster. */
const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
/** Calls/s one H200 serves a 7B model at batch 64 (768 prompt tokens, 8 new; ../shared/data/gpu-cost). */
const H200_CALLS_PER_S = 42;

/** CPU seconds by component over one drive. */
interface CpuWindow {
  wallS: number;
  /** Each worker process. */
  workers: number[];
  /** Each Temporal service (`temporal-<service>`), PostgreSQL, this process. */
  services: Record<string, number>;
  postgres: number | undefined;
  /** This process: the simulated endpoint and the driver (not part of a deployment). */
  bench: number;
  /** The whole machine (all processes, any user): busy core-seconds and the busy share of all cores. */
  machineBusy: number;
  machineBusyFraction: number;
  /** 1-min load average at the end of the window. */
  loadAfter: number;
}

/** One configuration: N worker processes, the real eval and the floor. */
interface ConfigResult {
  processes: number;
  real: bench.LevelResult;
  realCpu: CpuWindow;
  floorCpu: CpuWindow;
}

interface Snapshot {
  at: number;
  trees: Record<string, number | undefined>;
  self: number;
  machine: { busy: number; idle: number };
}

function postgresPid(clusterDir: string): number | undefined {
  try {
    return Number(readFileSync(path.join(clusterDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

function servicePid(clusterDir: string, service: string): number | undefined {
  const file = path.join(clusterDir, 'run', `${service}.pid`);
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
}

function snapshot(clusterDir: string, workers: ChildProcess[]): Snapshot {
  const roots: Record<string, number | undefined> = { postgres: postgresPid(clusterDir) };
  for (const s of SERVICES) roots[`temporal-${s}`] = servicePid(clusterDir, s);
  workers.forEach((w, i) => (roots[`worker-${i + 1}`] = w.pid));
  const usage = process.cpuUsage();
  return {
    at: Date.now(),
    trees: treeCpuSeconds(roots),
    self: (usage.user + usage.system) / 1e6,
    machine: machineCpuSeconds(),
  };
}

function cpuWindow(a: Snapshot, b: Snapshot, workers: number): CpuWindow {
  const d = (key: string): number => (b.trees[key] ?? NaN) - (a.trees[key] ?? NaN);
  const busy = b.machine.busy - a.machine.busy;
  const all = busy + b.machine.idle - a.machine.idle;
  return {
    wallS: (b.at - a.at) / 1000,
    workers: Array.from({ length: workers }, (_, i) => d(`worker-${i + 1}`)),
    services: Object.fromEntries(SERVICES.map((s) => [`temporal-${s}`, d(`temporal-${s}`)])),
    postgres: a.trees.postgres === undefined ? undefined : d('postgres'),
    bench: b.self - a.self,
    machineBusy: busy,
    machineBusyFraction: busy / Math.max(all, 1e-9),
    loadAfter: os.loadavg()[0]!,
  };
}

const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);

/** `a–b` (or `a` when all are equal at this precision). */
function range(xs: readonly number[], digits: number): string {
  const lo = Math.min(...xs).toFixed(digits);
  const hi = Math.max(...xs).toFixed(digits);
  return lo === hi ? lo : `${lo}–${hi}`;
}

/** Core-seconds of this bench's processes (workers, services, PostgreSQL, this one) in a window. */
const ours = (c: CpuWindow): number => sum(c.workers) + sum(Object.values(c.services)) + (c.postgres ?? 0) + c.bench;

async function runConfig(
  processes: number,
  client: Client,
  clusterDir: string,
  address: string,
  endpoint: BatchingEndpoint,
  plans: ExpertEpisode[],
  episodes: number,
  concurrency: number,
): Promise<ConfigResult> {
  const run = `so-n${processes}-${Date.now()}`;
  const config: BenchWorkerConfig = {
    address,
    taskQueue: run,
    floorTaskQueue: `${run}-floor`,
    llmSlots: DEFAULT_WORKER_SLOTS.maxConcurrentLlmCalls,
    envSlots: DEFAULT_WORKER_SLOTS.maxConcurrentEnvActivities,
    workflowTaskSlots: DEFAULT_WORKER_SLOTS.maxConcurrentWorkflowTasks,
    tuning: {},
  };
  const workers: ChildProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(workers.map((w) => bench.stopGroup(w)));
  };
  bench.cleanups.add(stopAll);
  const driver = new EvalWorkflowDriver(client);
  try {
    // One at a time: four ts-node starts at once on two cores take longer than in a row.
    for (let i = 0; i < processes; i++) workers.push(await bench.startBenchWorker(config, endpoint.baseURL));
    // Warm-up (bundles loaded, connections open, sticky caches in use), not measured.
    await driver.run(bench.episodeJobs(client, `${run}-warm`, config.taskQueue, plans, 2 * processes), 2 * processes);
    await driver.run(
      bench.floorJobs(client, `${run}-warm-floor`, config.floorTaskQueue, plans, 2 * processes),
      2 * processes,
    );
    const s0 = snapshot(clusterDir, workers);
    endpoint.scheduler.resetStats();
    const real = await driver.run(bench.episodeJobs(client, run, config.taskQueue, plans, episodes), concurrency);
    const stats = endpoint.scheduler.stats();
    const s1 = snapshot(clusterDir, workers);
    const floor = await driver.run(
      bench.floorJobs(client, `${run}-floor`, config.floorTaskQueue, plans, episodes),
      concurrency,
    );
    const s2 = snapshot(clusterDir, workers);
    const result: ConfigResult = {
      processes,
      real: bench.summarise(concurrency, real, floor, stats),
      realCpu: cpuWindow(s0, s1, processes),
      floorCpu: cpuWindow(s1, s2, processes),
    };
    console.log(`${processes} process(es): ${bench.line(result.real)}`);
    console.log(`  CPU s real: ${JSON.stringify(result.realCpu)}`);
    console.log(`  CPU s floor: ${JSON.stringify(result.floorCpu)}`);
    return result;
  } finally {
    await stopAll();
    bench.cleanups.delete(stopAll);
  }
}

/** CPU seconds per step of each component, over a set of windows and their steps. */
interface PerStep {
  worker: number;
  services: Record<string, number>;
  temporal: number;
  postgres: number | undefined;
  bench: number;
  /** worker + Temporal + PostgreSQL: what a deployment pays per step. */
  deployment: number;
}

function perStep(windows: { cpu: CpuWindow; steps: number }[]): PerStep {
  const steps = Math.max(sum(windows.map((w) => w.steps)), 1);
  const worker = sum(windows.map((w) => sum(w.cpu.workers))) / steps;
  const services = Object.fromEntries(
    SERVICES.map((s) => [`temporal-${s}`, sum(windows.map((w) => w.cpu.services[`temporal-${s}`]!)) / steps]),
  );
  const temporal = sum(Object.values(services));
  const pg = windows.every((w) => w.cpu.postgres !== undefined)
    ? sum(windows.map((w) => w.cpu.postgres!)) / steps
    : undefined;
  const bench = sum(windows.map((w) => w.cpu.bench)) / steps;
  return { worker, services, temporal, postgres: pg, bench, deployment: worker + temporal + (pg ?? 0) };
}

interface Model {
  real: PerStep;
  floor: PerStep;
  /** LLM calls per step (high-level, low-level and progress calls over steps). */
  callsPerStep: number;
  /** CPU one worker process used on average (core-seconds per wall second) in the one-process run. */
  workerCoresOneProcess: number;
  /** Steps/s one H200 at batch 64 needs: 42 calls/s over calls per step. */
  stepsPerSForH200: number;
}

function model(configs: ConfigResult[]): Model {
  const real = perStep(configs.map((c) => ({ cpu: c.realCpu, steps: c.real.steps })));
  const floor = perStep(configs.map((c) => ({ cpu: c.floorCpu, steps: c.real.floor?.steps ?? 0 })));
  const calls = sum(configs.map((c) => c.real.endpoint.requests));
  const callsPerStep = calls / Math.max(sum(configs.map((c) => c.real.steps)), 1);
  const one = configs.find((c) => c.processes === 1);
  return {
    real,
    floor,
    callsPerStep,
    workerCoresOneProcess: one ? sum(one.realCpu.workers) / one.realCpu.wallS : NaN,
    stepsPerSForH200: H200_CALLS_PER_S / callsPerStep,
  };
}

const f = (x: number | undefined, digits = 1): string =>
  x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
const ms = (s: number | undefined): string => (s === undefined ? '-' : (1000 * s).toFixed(1));

interface Report {
  date: string;
  machine: Record<string, unknown>;
  quick: boolean;
  episodes: number;
  concurrency: number;
  clusterPort: number;
  benchWallS: number;
  configs: ConfigResult[];
  model: Model;
}

function markdown(r: Report): string {
  const m = r.machine;
  const md = r.model;
  const cores = Number(m.cores);
  const lines = [
    `# Scale-out: one evaluation, 1 to ${Math.max(...r.configs.map((c) => c.processes))} worker processes on the cluster (${r.date})`,
    '',
    `${String(m.cores)} cores (${String(m.cpu)}), shared; Node ${String(m.node)}; 1-min load average ${String(m.loadBefore)} before, ${String(m.loadAfter)} after; ` +
      `the whole bench took ${(r.benchWallS / 60).toFixed(1)} min.` +
      (r.quick ? ' **Quick mode** (smoke run, few episodes: the numbers are noisy).' : ''),
    '',
    `Temporal: the production-style cluster of \`scripts/cluster.sh\` (frontend, history, matching and worker services`,
    `as separate processes, PostgreSQL with SQL visibility; frontend on 127.0.0.1:${r.clusterPort}), all on this machine.`,
    `Per configuration one \`evalWorkflow\` of ${r.episodes} built-in env episodes at concurrency ${r.concurrency}, N worker`,
    "processes (bench/support/bench-worker.ts, this build's default slots) polling the same task queue; the scripted",
    'expert answers through an OpenAI-compatible endpoint that simulates one H200 serving a 7B model in static batches',
    'of up to 64 (the measured table of bench/throughput.ts). Then the no-op floor (the same activities per step, each',
    'answering at once) on the same workers and cluster. CPU seconds from /proc/<pid>/stat (utime + stime, plus reaped',
    "children's) of each worker process, each Temporal service (`<cluster>/run/<service>.pid`) and PostgreSQL",
    '(postmaster and its children), read before and after each drive (warm-up excluded). `npm run bench:scale-out` reproduces it.',
    '',
    '## Measured',
    '',
    '| worker processes | episodes (won/failed) | wall s | steps/s | episodes/min | LLM calls/s | mean batch | GPU busy | CPU s: workers (each) | frontend | history | matching | t-worker | PostgreSQL | bench (endpoint) | machine busy | CPU s of other jobs |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  // Core-seconds the machine spent on processes outside this bench (other users' jobs) in a window.
  const others = (c: CpuWindow): number => c.machineBusy - ours(c);
  const cpuCells = (c: CpuWindow): string =>
    `${f(sum(c.workers))} (${c.workers.map((w) => f(w)).join(' + ')}) | ${SERVICES.map((s) => f(c.services[`temporal-${s}`])).join(' | ')} | ` +
    `${f(c.postgres)} | ${f(c.bench)} | ${(100 * c.machineBusyFraction).toFixed(0)}% | ${f(others(c), 0)} |`;
  for (const c of r.configs) {
    const l = c.real;
    lines.push(
      `| ${c.processes} | ${l.episodes} (${l.won}/${l.failed}) | ${f(l.wallS)} | ${f(l.stepsPerS, 2)} | ${f(l.episodesPerMin)} | ${f(l.llmCallsPerS)} | ` +
        `${f(l.endpoint.meanBatchSize)} | ${(100 * l.endpoint.gpuBusyFraction).toFixed(0)}% | ${cpuCells(c.realCpu)}`,
    );
  }
  lines.push(
    '',
    'The no-op floor on the same cluster, same processes, same episode shapes and concurrency:',
    '',
    '| worker processes | floor steps | wall s | steps/s | ms/step | floor ratio | CPU s: workers (each) | frontend | history | matching | t-worker | PostgreSQL | bench | machine busy | CPU s of other jobs |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const c of r.configs) {
    const fl = c.real.floor!;
    lines.push(
      `| ${c.processes} | ${fl.steps} | ${f(fl.wallS)} | ${f(fl.steps / fl.wallS, 2)} | ${f(fl.msPerStep, 0)} | ${f(c.real.floorRatio, 2)} | ${cpuCells(c.floorCpu)}`,
    );
  }
  const errors = r.configs.flatMap((c) => c.real.errors);
  if (errors.length) lines.push('', `Errors: ${errors.join('; ')}`);

  // The model.
  const p = md.real;
  const pg = p.postgres ?? 0;
  const onHost = (n: number, c: number): number => (n * c) / p.worker;
  const clusterCores = (s: number): number => s * (p.temporal + pg);
  const allOnHosts = (n: number, c: number): number => (n * c) / p.deployment;
  const predictedHere = cores / (p.deployment + p.bench);
  lines.push(
    '',
    '## Model (calibrated on the real runs above)',
    '',
    `CPU milliseconds per step (the ${r.configs.length} configurations pooled: CPU seconds over steps), real episodes and floor:`,
    '',
    '| component | real ms CPU/step | floor ms CPU/step |',
    '| --- | ---: | ---: |',
    `| worker processes (all) | ${ms(p.worker)} | ${ms(md.floor.worker)} |`,
    ...SERVICES.map(
      (s) =>
        `| Temporal ${s} service | ${ms(p.services[`temporal-${s}`])} | ${ms(md.floor.services[`temporal-${s}`])} |`,
    ),
    `| Temporal, four services | ${ms(p.temporal)} | ${ms(md.floor.temporal)} |`,
    `| PostgreSQL | ${ms(p.postgres)} | ${ms(md.floor.postgres)} |`,
    `| **deployment (worker + Temporal + PostgreSQL)** | **${ms(p.deployment)}** | **${ms(md.floor.deployment)}** |`,
    `| this process (simulated endpoint, driver; not deployed) | ${ms(p.bench)} | ${ms(md.floor.bench)} |`,
    '',
    `Per configuration (real): ` +
      r.configs
        .map((c) => {
          const one = perStep([{ cpu: c.realCpu, steps: c.real.steps }]);
          return `N=${c.processes}: worker ${ms(one.worker)}, Temporal ${ms(one.temporal)}, PostgreSQL ${ms(one.postgres)} ms/step`;
        })
        .join('; ') +
      '.',
    '',
    `LLM calls per step: ${f(md.callsPerStep, 2)} (high-level, low-level and progress calls over env steps). ` +
      `The one worker process of N=1 used ${f(md.workerCoresOneProcess, 2)} cores on average.`,
    '',
    'With w = worker CPU-s/step, t = Temporal (four services) CPU-s/step, g = PostgreSQL CPU-s/step, and a core',
    'kept busy (u = 1, an upper bound; the machine-busy column says how close this run came):',
    '',
    `- N worker hosts of C cores (Temporal and PostgreSQL elsewhere): **steps/s = N·C / w = N·C / ${f(p.worker, 4)}**;`,
    `  the cluster then needs steps/s · (t + g) = steps/s · ${f(p.temporal + pg, 4)} cores, PostgreSQL alone steps/s · ${f(pg, 4)}.`,
    `- Everything on N hosts of C cores (workers, services and PostgreSQL spread over them): steps/s = N·C / (w + t + g) = N·C / ${f(p.deployment, 4)},`,
    `  as long as PostgreSQL (one primary) fits one host: steps/s ≤ C / g = C / ${f(pg, 4)}.`,
    `- LLM calls/s = ${f(md.callsPerStep, 2)} · steps/s; one H200 at batch 64 serves about ${H200_CALLS_PER_S} calls/s.`,
    '',
    '| C cores per host | N hosts | worker hosts only: steps/s | cluster cores it needs | all on the N hosts: steps/s | PostgreSQL cap C/g | LLM calls/s (worker hosts only) | H200s busy |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const c of [2, 8, 16])
    for (const n of [1, 4, 16]) {
      const s = onHost(n, c);
      lines.push(
        `| ${c} | ${n} | ${f(s, 0)} | ${f(clusterCores(s))} | ${f(allOnHosts(n, c), 0)} | ${pg > 0 ? f(c / pg, 0) : '-'} | ${f(s * md.callsPerStep, 0)} | ${f((s * md.callsPerStep) / H200_CALLS_PER_S)} |`,
      );
    }
  const need = md.stepsPerSForH200;
  lines.push(
    '',
    `**One H200 (7B, batch 64, about ${H200_CALLS_PER_S} calls/s)** needs ${H200_CALLS_PER_S} / ${f(md.callsPerStep, 2)} = ${f(need)} steps/s. ` +
      `The workers then use ${f(need * p.worker)} cores: ` +
      [2, 8, 16].map((c) => `${Math.ceil((need * p.worker) / c)} host(s) of ${c} cores`).join(', ') +
      ` (at u = 1; at u = 0.7, ${[2, 8, 16].map((c) => Math.ceil((need * p.worker) / (0.7 * c))).join(', ')}); ` +
      `the Temporal services ${f(need * p.temporal)} cores and PostgreSQL ${f(need * pg)} cores beside them: ${f(need * p.deployment)} cores in all per H200. ` +
      'Batches of 64 also need 64 calls in flight, one per episode at most (Little: calls in flight = 42 calls/s × 1.5 s per batch-64 call = 63; ' +
      'a call that arrives while a batch runs waits up to one more batch): an eval concurrency of about 64 to 128 over those hosts, ' +
      `against the measured mean of ${f(Math.max(...r.configs.map((c) => c.real.endpoint.inFlightMean)))} in flight at concurrency ${r.concurrency} here.`,
    '',
    '## What bounds these figures',
    '',
    `- This machine has ${cores} cores, shared, and everything ran on it: the workers, the four Temporal services, PostgreSQL, the simulated`,
    `  endpoint and the driver. More worker processes cannot add cores: they share the same ${cores}, so steps/s across N = 1, 2, 4 measures`,
    '  contention, not scale-out; the machine-busy column (all processes on the machine, any user) shows how close to saturation each run was.',
    `- Cores this bench got: ` +
      r.configs
        .map(
          (c) =>
            `N=${c.processes} ${f(ours(c.realCpu) / c.realCpu.wallS, 2)} (other jobs ${f(others(c.realCpu) / c.realCpu.wallS, 2)})`,
        )
        .join(', ') +
      ` of ${cores}, real episodes; the 1-min load average at the end of each window: ` +
      r.configs.map((c) => `N=${c.processes} ${f(c.realCpu.loadAfter, 2)}`).join(', ') +
      '.',
    `- Check of the model on this machine: steps/s = cores this bench got / (deployment + this process) = cores got / ${f(p.deployment + p.bench, 4)}: ` +
      r.configs
        .map(
          (c) =>
            `N=${c.processes} ${f(ours(c.realCpu) / c.realCpu.wallS / (p.deployment + p.bench), 2)} predicted, ${f(c.real.stepsPerS, 2)} measured`,
        )
        .join('; ') +
      `; with both cores ours, ${f(predictedHere, 1)} steps/s.`,
    `- On this machine the Temporal services and PostgreSQL take ${f((100 * (p.temporal + pg)) / p.deployment, 0)}% of the deployment's CPU per step and the`,
    `  worker ${f((100 * p.worker) / p.deployment, 0)}%, all on the same ${cores} cores, so 2 or 4 worker processes cannot beat 1 here: they add no cores and`,
    `  the worker is the smaller part. The cores were ${range(
      r.configs.map((c) => 100 * c.realCpu.machineBusyFraction),
      0,
    )}% busy; the rest of the bound is the simulated GPU,`,
    `  busy ${range(
      r.configs.map((c) => 100 * c.real.endpoint.gpuBusyFraction),
      0,
    )}% of the time in static batches of ${range(
      r.configs.map((c) => c.real.endpoint.meanBatchSize),
      1,
    )}, because only`,
    `  ${range(
      r.configs.map((c) => c.real.endpoint.inFlightMean),
      1,
    )} of the ${r.concurrency} episodes had a call in flight on average: the others were between calls (workflow tasks,`,
    '  activity dispatch and env steps on the busy cores), so batches stay small and each runs back to back. The floor (no GPU wait)',
    `  reached ${range(
      r.configs.map((c) => c.real.floor!.steps / c.real.floor!.wallS),
      1,
    )} steps/s on the same cores: about the ceiling of this machine for this cluster.`,
    `- Worker CPU per step grows with the number of processes (${r.configs
      .map((c) => `N=${c.processes} ${ms(sum(c.realCpu.workers) / Math.max(c.real.steps, 1))}`)
      .join(
        ', ',
      )} ms): each process keeps its own pollers and sticky cache; the model pools the ${r.configs.length}, so one process per host costs less than assumed.`,
    '- CPU per step was measured on a busy machine (the machine-busy column): context switches, polling and cache misses under contention',
    '  inflate it, so the per-step costs are more likely high than low, and the host counts above more likely high than low.',
    "  Temporal's and PostgreSQL's cost per step is taken as constant; a cluster running hundreds of steps/s batches more",
    '  (group commit, fewer idle polls), while a history shard count (4 here) or one PostgreSQL primary caps it at some point',
    '  this run cannot reach. The steps/s column is a CPU bound: it does not model network latency between hosts.',
    '- The GPU is simulated (static batches over the measured HF `generate` table, a floor for a vLLM-style server); the',
    `  endpoint's CPU (this process) is not part of a deployment and is left out of the per-step deployment cost.`,
    `- 1-min load average before the run ${String(m.loadBefore)}, after ${String(m.loadAfter)} (it counts this bench's own processes; the other-jobs column is the better measure of outside load).`,
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const from = bench.flag('markdown-from');
  if (from) {
    // Rewrites the markdown of an earlier run from its JSON (no new measurement).
    const report = JSON.parse(readFileSync(from, 'utf8')) as Report;
    bench.writeReport(path.basename(from, '.json'), report, markdown(report));
    return;
  }
  const started = Date.now();
  const quick = process.argv.includes('--quick');
  const episodes = Number(bench.flag('episodes') ?? (quick ? 16 : 64));
  const concurrency = Number(bench.flag('concurrency') ?? (quick ? 16 : 64));
  const counts = (bench.flag('processes') ?? (quick ? '1,2' : '1,2,4')).split(',').map(Number);
  // The cluster of scripts/cluster.sh on its own ports in a temp folder (tests/support/scale-out.ts).
  process.env.STEP_HRL_MULTIHOST_CLUSTER = '1';
  process.env.STEP_HRL_MULTIHOST_CLUSTER_PORT ??= '30233';
  const { startSharedTemporal } = await import('../tests/support/scale-out');

  const specs = BUILTIN_TASKS.map((task) => ({ env: 'builtin' as const, task, variation: 0 }));
  const { responder, episodes: plans } = await builtinExpertResponder(specs);
  const endpoint = await BatchingEndpoint.start({ responder, maxBatch: 64 });
  const loadBefore = os.loadavg()[0]!;
  const work = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bench-scale-out-'));
  // As root, PostgreSQL runs as the 'postgres' user (scripts/cluster.sh), which must reach its folder.
  chmodSync(work, 0o755);
  const clusterDir = path.join(work, 'cluster');
  const configs: ConfigResult[] = [];
  let port = 0;
  try {
    const temporal = await startSharedTemporal(work);
    port = temporal.port;
    const stopTemporal = (): Promise<void> => temporal.stop();
    bench.cleanups.add(stopTemporal);
    const address = `127.0.0.1:${temporal.port}`;
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    try {
      for (const n of counts)
        configs.push(await runConfig(n, client, clusterDir, address, endpoint, plans, episodes, concurrency));
    } finally {
      await connection.close().catch(() => undefined);
      await stopTemporal();
      bench.cleanups.delete(stopTemporal);
    }
  } finally {
    await endpoint.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const report: Report = {
    date: new Date().toISOString(),
    machine: bench.machineInfo(loadBefore),
    quick,
    episodes,
    concurrency,
    clusterPort: port,
    benchWallS: (Date.now() - started) / 1000,
    configs,
    model: model(configs),
  };
  bench.writeReport('scale-out', report, markdown(report));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
