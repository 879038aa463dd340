/**
 * Chaos on real episodes through the real CLI: `step-hrl run` is SIGKILLed at random moments
 * (seeded) and `step-hrl resume` finishes the episode; the record is then compared with an
 * uninterrupted run of the same episode. Everything the processes share lives in the caller's
 * process so it survives the kills: Temporal (`TEMPORAL_ADDRESS`), the env server behind a
 * counting proxy (`STEP_HRL_ENV_URL`) and one expert-playing OpenAI-compatible endpoint
 * (`OPENAI_BASE_URL`, one model name per episode). Shared by `tests/chaos` and `bench/chaos-recovery.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import type { Client } from '@temporalio/client';
import type { RecordedTransition } from '../../src/agent/records';
import { fetchTransitions } from '../../src/client';
import { getExpertActions } from '../../src/envs/expert';
import { ScienceWorldTextEnv } from '../../src/envs/http-text-env';
import type { EnvSpec } from '../../src/envs/text-env';
import { segmentByMoves } from '../../src/llm/expert-plan';
import { BIN, cleanEnv, ROOT } from './cli-harness';
import { appliedTwice, type CountingEnvProxy } from './counting-env-proxy';
import { episodeActivityTally, type ActivityTally } from './episode-histories';
import type { ExpertEndpoint } from './expert-endpoint';

/** What every CLI process of a chaos run shares. */
export interface ChaosStack {
  client: Client;
  temporalAddress: string;
  /** The real env server (for gold paths and `/stats`). */
  envServerUrl: string;
  proxy: CountingEnvProxy;
  endpoint: ExpertEndpoint;
  /** Extra `run` flags, e.g. `--max-steps`. */
  runFlags?: string[];
  /**
   * Each CLI process spawns its own env server, which dies with it (the default for a user), instead
   * of sharing the one behind the counting proxy; the proxy then counts nothing.
   */
  ownEnvServers?: boolean;
}

/** One episode to play: its spec and the endpoint model that plays its expert. */
export interface ChaosEpisode {
  spec: EnvSpec;
  /** `STEP_HRL_MODEL` for its processes; picks its expert plan at the endpoint. */
  model: string;
  goldSteps: number;
}

/** A small deterministic RNG (mulberry32), so a failing chaos run can be repeated from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Registers the episode's expert plan (the simulator's gold path, one subtask per move) at the
 * endpoint. ScienceWorld's gold path is generated in a fresh session of its own: the server's shared
 * catalog simulator answers differently from call to call, and not always with a winning path.
 */
export async function prepareEpisode(stack: ChaosStack, spec: EnvSpec): Promise<ChaosEpisode> {
  const gold = await goldPath(stack.envServerUrl, spec);
  const name = `${spec.task}-v${spec.variation ?? 0}`;
  const model = `chaos-${name}`;
  stack.endpoint.addEpisode(model, segmentByMoves(gold));
  return { spec, model, goldSteps: gold.length };
}

const live = new Set<CliProcess>();

/** SIGKILLs every chaos child still running (for `afterAll` and error paths). */
export function killAllCliProcesses(): void {
  for (const proc of live) proc.kill();
}

async function goldPath(envServerUrl: string, spec: EnvSpec): Promise<string[]> {
  if (spec.env !== 'scienceworld') return getExpertActions(envServerUrl, spec);
  const env = new ScienceWorldTextEnv({ url: envServerUrl });
  try {
    return await env.goldActions(spec);
  } finally {
    await env.close();
  }
}

/** A `step-hrl` child process with its `--json` events parsed as they arrive. */
export class CliProcess {
  readonly startedAt = Date.now();
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Step indexes printed, in order, with the time each was seen. */
  readonly steps: { step: number; at: number }[] = [];
  started = false;
  /** When the process printed its first `--json` event (its worker and connections are up). */
  firstEventAt: number | undefined;
  output = '';
  private readonly listeners = new Set<() => void>();

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    // Own process group, so a kill takes anything it started with it.
    this.child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20_000)));
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.output = (this.output + line + '\n').slice(-20_000);
      let event: { type?: string; step?: number };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return; // not one of ours
      }
      this.firstEventAt ??= Date.now();
      if (event.type === 'started') this.started = true;
      if (event.type === 'step' && typeof event.step === 'number')
        this.steps.push({ step: event.step, at: Date.now() });
      this.listeners.forEach((l) => l());
    });
    live.add(this);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      }),
    );
    void this.exited.then(() => this.listeners.forEach((l) => l()));
  }

  /** Resolves when `check` holds (checked on every event) or the process exits; true if it held. */
  async until(check: () => boolean): Promise<boolean> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    return new Promise((resolve) => {
      const test = (): void => {
        if (check()) done(true);
        else if (exited || this.child.exitCode !== null || this.child.signalCode !== null) done(false);
      };
      const done = (held: boolean): void => {
        this.listeners.delete(test);
        resolve(held);
      };
      this.listeners.add(test);
      test();
    });
  }

  /** The first printed step with index >= `fromStep`, if any. */
  firstStepFrom(fromStep: number): { step: number; at: number } | undefined {
    return this.steps.find((s) => s.step >= fromStep);
  }

  /** SIGKILLs the process group. */
  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Environment of the CLI children: the shared stack, nothing else of the caller's Temporal/step-hrl settings. */
export function chaosEnv(stack: ChaosStack, episode: ChaosEpisode): NodeJS.ProcessEnv {
  return cleanEnv({
    TEMPORAL_ADDRESS: stack.temporalAddress,
    ...(!stack.ownEnvServers && { STEP_HRL_ENV_URL: stack.proxy.url }),
    OPENAI_BASE_URL: stack.endpoint.baseURL,
    OPENAI_API_KEY: 'sk-chaos-test',
    STEP_HRL_MODEL: episode.model,
  });
}

/** `run` arguments of an episode under an id. */
export function runArgs(stack: ChaosStack, episode: ChaosEpisode, episodeId: string): string[] {
  const { spec } = episode;
  return [
    'run',
    ...['--env', spec.env, '--task', spec.task, '--variation', String(spec.variation ?? 0)],
    // No --task-queue: each `run` process polls its own queue, and `resume` finds it from the episode.
    ...['--llm', 'openai', '--profile', 'chat', '--episode-id', episodeId],
    ...(stack.runFlags ?? []),
    '--json',
  ];
}

/** `resume` arguments. */
export function resumeArgs(episodeId: string): string[] {
  // resume finds the episode's task queue itself
  return ['resume', episodeId, '--llm', 'openai', '--json'];
}

/** An uninterrupted run: its record and wall time. */
export interface ReferenceRun {
  episodeId: string;
  transitions: RecordedTransition[];
  durationMs: number;
  llmRequests: number;
}

/** Runs the episode once without interruption through `step-hrl run`. */
export async function runReference(stack: ChaosStack, episode: ChaosEpisode, episodeId: string): Promise<ReferenceRun> {
  const before = stack.endpoint.requestsFor(episode.model);
  const proc = new CliProcess(runArgs(stack, episode, episodeId), chaosEnv(stack, episode));
  const exit = await withTimeout(proc.exited, 240_000, () => proc.kill());
  if (exit.code !== 0)
    throw new Error(`reference run of ${episodeId} failed (${JSON.stringify(exit)}):\n${proc.output}`);
  return {
    episodeId,
    transitions: await fetchTransitions(stack.client, episodeId),
    durationMs: Date.now() - proc.startedAt,
    llmRequests: stack.endpoint.requestsFor(episode.model) - before,
  };
}

/** One kill and the resume after it. */
export interface KillRecord {
  /** Which process was killed: the first `run`, or the n-th `resume`. */
  killed: 'run' | 'resume';
  /** Steps recorded (completed `envStep`s in the histories) when it died. */
  recordedStepsAtKill: number;
  /** From spawning `resume` to its first printed step past the recorded ones; absent if it printed none. */
  resumeToFirstNewStepMs?: number;
  /** From spawning `resume` to its first printed event (process start-up, connections, worker). */
  resumeStartupMs?: number;
  /** From spawning `resume` to its exit (or to its own kill). */
  resumeDurationMs: number;
  /** When `resume` was spawned (epoch ms), to line its phases up with the histories' event times. */
  resumeStartedAt?: number;
}

/** Everything one chaos run of an episode produced. */
export interface ChaosRun {
  episodeId: string;
  seed: number;
  kills: KillRecord[];
  /** The episode finished before a planned kill fired. */
  finishedBeforeKill: boolean;
  transitions: RecordedTransition[];
  /** From the first `run` to the end of the last `resume`. */
  totalMs: number;
  llmRequests: number;
  activities: ActivityTally;
  /** Steps applied twice in one env session, counted at the proxy. */
  appliedTwice: number;
  finalExit: { code: number | null; signal: NodeJS.Signals | null };
  output: string;
}

/**
 * Runs the episode with `plannedKills` SIGKILLs at random moments: each after a random number of
 * new steps (0 .. steps left - 3, out of the uninterrupted record's `recordSteps`) and a random
 * extra delay (0-0.8 s), so kills land in LLM calls, env steps and recovery alike; then `resume`
 * finishes it.
 */
export async function runWithKills(
  stack: ChaosStack,
  episode: ChaosEpisode,
  episodeId: string,
  options: { plannedKills: number; seed: number; recordSteps: number },
): Promise<ChaosRun> {
  const { plannedKills, seed, recordSteps } = options;
  const random = seededRandom(seed);
  const before = stack.endpoint.requestsFor(episode.model);
  const firstSegment = stack.proxy.segments.length; // env sessions before this run belong to others
  const started = Date.now();
  const env = chaosEnv(stack, episode);
  const kills: KillRecord[] = [];
  let proc = new CliProcess(runArgs(stack, episode, episodeId), env);
  let fromStep = 0;
  let finishedBeforeKill = false;
  for (let k = 0; k < plannedKills; k++) {
    const afterSteps = Math.floor(random() * Math.max(1, recordSteps - fromStep - 2));
    const delayMs = Math.floor(random() * 800);
    const since = fromStep;
    const armed = await proc.until(
      () => (k > 0 || proc.started) && proc.steps.filter((s) => s.step >= since).length >= afterSteps,
    );
    if (armed) await sleep(delayMs);
    if (!armed || proc.child.exitCode !== null || proc.child.signalCode !== null) {
      finishedBeforeKill = true;
      break;
    }
    proc.kill();
    await proc.exited;
    const recorded = (await episodeActivityTally(stack.client, episodeId)).completed['envStep'] ?? 0;
    const killRecord: KillRecord = {
      killed: k === 0 ? 'run' : 'resume',
      recordedStepsAtKill: recorded,
      resumeDurationMs: 0,
    };
    kills.push(killRecord);
    const resumed = new CliProcess(resumeArgs(episodeId), env);
    killRecord.resumeStartedAt = resumed.startedAt;
    // Measured on every resume, also on one that is killed later.
    void resumed
      .until(() => resumed.firstStepFrom(recorded) !== undefined)
      .then((held) => {
        if (held) killRecord.resumeToFirstNewStepMs = resumed.firstStepFrom(recorded)!.at - resumed.startedAt;
      });
    void resumed
      .until(() => resumed.firstEventAt !== undefined)
      .then((held) => {
        if (held) killRecord.resumeStartupMs = resumed.firstEventAt! - resumed.startedAt;
      });
    void resumed.exited.then(() => (killRecord.resumeDurationMs = Date.now() - resumed.startedAt));
    proc = resumed;
    fromStep = recorded;
  }
  const finalExit = await withTimeout(proc.exited, 300_000, () => proc.kill());
  await sleep(50); // let the exit handlers above record their times
  const transitions = await fetchTransitions(stack.client, episodeId);
  const actions = transitions.map((t) => t.action);
  const appliedTwiceCount = stack.proxy.segments
    .slice(firstSegment)
    .filter((s) => s.task === episode.spec.task && s.variation === (episode.spec.variation ?? 0))
    .reduce((sum, segment) => sum + appliedTwice(segment, actions), 0);
  return {
    episodeId,
    seed,
    kills,
    finishedBeforeKill,
    transitions,
    totalMs: Date.now() - started,
    llmRequests: stack.endpoint.requestsFor(episode.model) - before,
    activities: await episodeActivityTally(stack.client, episodeId),
    appliedTwice: appliedTwiceCount,
    finalExit,
    output: proc.output,
  };
}

/** The env server's own counters (`GET /stats`), or undefined where the server has none. */
export async function envServerStats(envServerUrl: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(`${envServerUrl}/stats`);
    return response.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The env server's own double-application counter (`GET /stats` `applied_twice`), if it has one. */
export async function serverAppliedTwice(envServerUrl: string): Promise<number | undefined> {
  const count = (await envServerStats(envServerUrl))?.['applied_twice'];
  return typeof count === 'number' ? count : undefined;
}

/** Runs `work` over `items` with at most `limit` at a time, in order of start. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!, i);
    }),
  );
  return results;
}

/** p-th percentile (nearest rank) of numbers. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  const timer = setTimeout(onTimeout, ms);
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
  }
}
