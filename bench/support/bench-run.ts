/**
 * What the benches that drive built-in expert episodes through a worker process share
 * (bench/throughput.ts, bench/scale-out.ts): command-line flags, cleanup on a signal, the episode
 * and no-op floor jobs, and starting and stopping a bench worker process (bench-worker.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { startEpisode } from '../../src/client';
import type { EpisodeResult } from '../../src/workflows/episode';
import type { BatchingStats } from '../../tests/support/batching-endpoint';
import type { BenchWorkerConfig } from './bench-worker';
import type { ExpertEpisode } from './builtin-expert-responder';
import type { DriveResult, EpisodeJob } from './episode-driver';
import { floorEpisodeWorkflow } from './floor-workflows';

const ROOT = path.resolve(__dirname, '..', '..');

/** What must be stopped if the bench is interrupted (worker processes, Temporal). */
export const cleanups = new Set<() => Promise<void>>();

/** On SIGINT or SIGTERM: runs every cleanup, then exits 130. */
export function stopOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
    });
  }
}

/** The value after `--<name>` on the command line. */
export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** `n` expert episodes (`<prefix>-<i>`) over `plans`, round robin, on `taskQueue`. */
export function episodeJobs(client: Client, prefix: string, taskQueue: string, plans: ExpertEpisode[], n: number) {
  return Array.from({ length: n }, (_, i): EpisodeJob => {
    const workflowId = `${prefix}-${i}`;
    const spec = plans[i % plans.length]!.spec;
    const episode = { episodeId: workflowId, taskQueue, config: { spec, profile: 'chat' as const, maxSteps: 50 } };
    return { workflowId, episode, start: () => startEpisode(client, episode) };
  });
}

/** `n` no-op floor episodes mirroring {@link episodeJobs}' plans, on `taskQueue`. */
export function floorJobs(client: Client, prefix: string, taskQueue: string, plans: ExpertEpisode[], n: number) {
  return Array.from({ length: n }, (_, i): EpisodeJob => {
    const workflowId = `${prefix}-${i}`;
    const input = { stepsPerSubtask: plans[i % plans.length]!.stepsPerSubtask };
    return {
      workflowId,
      start: () => client.workflow.start(floorEpisodeWorkflow, { workflowId, taskQueue, args: [input] }),
    };
  });
}

/** Starts a bench worker process (its own process group) and resolves once it polls. */
export async function startBenchWorker(config: BenchWorkerConfig, baseURL: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      require.resolve('ts-node/dist/bin'),
      '--transpile-only',
      path.join(__dirname, 'bench-worker.ts'),
      JSON.stringify(config),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: 'sk-bench', STEP_HRL_MODEL: 'bench-expert' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      output = (output + d.toString()).slice(-5000);
      if (output.includes('ready')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bench worker exited (${code}) before ready:\n${output}`)));
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[worker] ${d.toString()}`));
  return child;
}

/** Stops a bench worker's process group: SIGTERM, then SIGKILL after 10 s. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid!;
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 200));
  if (alive()) process.kill(-pid, 'SIGKILL');
}

/** One measured drive: the real episodes at one concurrency, and the no-op floor beside them. */
export interface LevelResult {
  concurrency: number;
  episodes: number;
  won: number;
  failed: number;
  errors: string[];
  wallS: number;
  episodesPerMin: number;
  steps: number;
  stepsPerS: number;
  /** LLM calls answered per second (the simulated GPU's table peaks near 42/s for 768-token prompts). */
  llmCallsPerS: number;
  /** Mean over episodes of (episode duration / its steps). */
  episodeMsPerStep: number;
  endpoint: BatchingStats;
  /** Absent for a variant run without the floor (`--no-floor`). */
  floor?: { wallS: number; steps: number; msPerStep: number; failed: number };
  /** Floor wall time per step / real wall time per step: the share of a step that is orchestration. */
  floorRatio?: number;
}

/** A {@link LevelResult} from a drive of real episodes, its floor (if run) and the endpoint's counts. */
export function summarise(
  concurrency: number,
  real: DriveResult,
  floor: DriveResult | undefined,
  endpoint: BatchingStats,
): LevelResult {
  const results = real.outcomes.flatMap((o) => (o.ok ? [{ r: o.result as EpisodeResult, ms: o.ms }] : []));
  const steps = results.reduce((s, { r }) => s + r.steps, 0);
  const floorSteps = floor?.outcomes.reduce((s, o) => s + (o.ok ? (o.result as number) : 0), 0) ?? 0;
  const realMsPerStep = real.wallMs / Math.max(steps, 1);
  const floorMsPerStep = floor && floor.wallMs / Math.max(floorSteps, 1);
  return {
    concurrency,
    episodes: real.outcomes.length,
    won: results.filter(({ r }) => r.won).length,
    failed: real.outcomes.length - results.length,
    errors: [...new Set(real.outcomes.flatMap((o) => (o.ok ? [] : [o.error ?? ''])))].slice(0, 5),
    wallS: real.wallMs / 1000,
    episodesPerMin: (real.outcomes.length / real.wallMs) * 60_000,
    steps,
    stepsPerS: (steps / real.wallMs) * 1000,
    llmCallsPerS: (endpoint.requests / real.wallMs) * 1000,
    episodeMsPerStep: results.reduce((s, { r, ms }) => s + ms / Math.max(r.steps, 1), 0) / Math.max(results.length, 1),
    endpoint,
    floor: floor && {
      wallS: floor.wallMs / 1000,
      steps: floorSteps,
      msPerStep: floorMsPerStep!,
      failed: floor.outcomes.filter((o) => !o.ok).length,
    },
    floorRatio: floorMsPerStep && floorMsPerStep / realMsPerStep,
  };
}

/** One line saying what a {@link LevelResult} measured. */
export function line(l: LevelResult): string {
  return (
    `${l.episodes} episodes (${l.won} won, ${l.failed} failed) in ${l.wallS.toFixed(1)} s: ` +
    `${l.episodesPerMin.toFixed(1)} episodes/min, ${l.stepsPerS.toFixed(2)} steps/s, ` +
    `in flight mean ${l.endpoint.inFlightMean.toFixed(1)} max ${l.endpoint.inFlightMax}, ` +
    `batch ${l.endpoint.meanBatchSize.toFixed(1)}, GPU busy ${(100 * l.endpoint.gpuBusyFraction).toFixed(0)}%, ` +
    (l.floor
      ? `floor ${l.floor.msPerStep.toFixed(0)} ms/step vs ${(1000 / Math.max(l.stepsPerS, 1e-9)).toFixed(0)} (ratio ${l.floorRatio!.toFixed(2)})`
      : 'no floor')
  );
}

/** The machine a report ran on; `loadBefore` is the 1-min load average at the start (both to one decimal). */
export function machineInfo(loadBefore: number) {
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadBefore: loadBefore.toFixed(1),
    loadAfter: os.loadavg()[0]!.toFixed(1),
  };
}

/** Writes bench/results/<name>.json and .md (`--out <name>` overrides `name`) and prints the markdown. */
export function writeReport(name: string, report: unknown, markdown: string): void {
  const out = path.join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const file = flag('out') ?? name;
  writeFileSync(path.join(out, `${file}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(out, `${file}.md`), markdown);
  console.log(markdown);
}
