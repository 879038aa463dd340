/**
 * Load on the real stack: N concurrent episodes on real ALFWorld games through one real env
 * server, served by ONE `step-hrl worker` process and a slow serial LLM (an OpenAI-compatible
 * endpoint answering one request at a time after a fixed latency, like a single GPU slot). The
 * policy is scripted and simple (it looks around until the step budget ends): the point is whether
 * every episode completes without failures, re-drives or timeouts, not whether it wins. Afterwards
 * it reads each episode's histories: statuses, activity retries and failures by type and cause,
 * re-drives. The caller passes Temporal; the env server, endpoint and worker are started here.
 * Shared by `bench/load.ts` and `tests/chaos/load.test.ts`.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import type { Client } from '@temporalio/client';
import { startEpisode } from '../../src/client';
import { startEnvServer } from '../../src/envs/env-server';
import { listAlfWorldGames } from '../../src/envs/expert';
import { DEFAULT_WORKER_SLOTS } from '../../src/worker';
import { BIN, cleanEnv, ensureBuilt, ROOT } from './cli-harness';
import { envServerStats } from './chaos-harness';
import { episodeActivityTally, type ActivityTally } from './episode-histories';
import { MockOpenAiServer } from './mock-openai-server';
import { roleOfPrompt } from './script-responder';
import { serialEndpoint } from './serial-endpoint';

/** Options of {@link runLoad}. */
export interface LoadOptions {
  client: Client;
  temporalAddress: string;
  episodes: number;
  maxSteps: number;
  llmLatencyMs: number;
  /** ALFWorld split to take games from, in listing order. */
  split: string;
}

/** What a load run produced. */
export interface LoadResult {
  date: string;
  machine: { cores: number; memGiB: number; node: string };
  loadavg1: { before: number; after: number };
  setup: Record<string, unknown>;
  episodes: {
    started: number;
    completed: number;
    failed: number;
    byWorkflowStatus: Record<string, number>;
    byEpisodeStatus: Record<string, number>;
  };
  redrives: number;
  activitiesCompleted: Record<string, number>;
  activityRetries: Record<string, number>;
  activityFailures: Record<string, number>;
  llmRequests: number;
  /** The env server's `GET /stats` after the run (null where it has none). */
  envServerStats: Record<string, unknown> | null;
  wallMs: number;
  allStartedMs: number;
  errors: string[];
}

/** A policy that needs no knowledge of the game: one subtask, looks around each step. */
function lookAroundReply(prompt: string): string {
  const role = roleOfPrompt(prompt);
  if (role === 'high') return JSON.stringify({ subtask: 'look around the room' });
  if (role === 'low') return JSON.stringify({ action: 'look', subtask_done: false });
  return JSON.stringify({ progress: 'Looked around.' });
}

/** Runs the load and reads the histories; stops everything it started. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { client, episodes, maxSteps, llmLatencyMs, split } = options;
  ensureBuilt();
  const envServer = await startEnvServer({ startupTimeoutMs: 120_000 });
  const llm = await MockOpenAiServer.start({ responder: ({ prompt }) => lookAroundReply(prompt) });
  const serial = await serialEndpoint(llm.baseURL, llmLatencyMs);
  const taskQueue = `load-${process.pid}-${Date.now()}`;
  const worker = spawn(process.execPath, [BIN, 'worker', '--llm', 'openai', '--task-queue', taskQueue], {
    cwd: ROOT,
    env: cleanEnv({
      TEMPORAL_ADDRESS: options.temporalAddress,
      STEP_HRL_ENV_URL: envServer.url,
      OPENAI_BASE_URL: serial.baseURL,
      OPENAI_API_KEY: 'sk-load-bench',
      STEP_HRL_MODEL: 'serial-mock',
    }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let workerOutput = '';
  worker.stdout!.on('data', (d: Buffer) => (workerOutput = (workerOutput + d.toString()).slice(-20_000)));
  worker.stderr!.on('data', (d: Buffer) => (workerOutput = (workerOutput + d.toString()).slice(-20_000)));
  const load0 = os.loadavg()[0]!;
  const t0 = Date.now();
  try {
    const games = (await listAlfWorldGames(envServer.url, split)).slice(0, episodes);
    if (games.length < episodes) throw new Error(`only ${games.length} games in ${split}; pass fewer episodes`);
    const ids = games.map((_, i) => `${taskQueue}-${i}`);
    const handles = await Promise.all(
      games.map((game, i) =>
        startEpisode(client, {
          episodeId: ids[i]!,
          taskQueue,
          config: { spec: { env: 'alfworld', split, task: game.task }, profile: 'chat', maxSteps },
        }),
      ),
    );
    const allStartedMs = Date.now() - t0;
    let settled = 0;
    // A line every 30 s, so a long run shows where it is.
    const progress = setInterval(
      () =>
        console.log(
          `load: ${Math.round((Date.now() - t0) / 1000)} s, ${settled}/${handles.length} episodes settled, ` +
            `${serial.served} LLM requests served, ${serial.queued} queued`,
        ),
      30_000,
    ).unref();
    const outcomes = await Promise.all(
      handles.map((h) =>
        h
          .result()
          .finally(() => (settled += 1))
          .then(
            (r) => ({ ok: true as const, status: r.status, redrives: r.redrives }),
            (e: Error) => ({
              ok: false as const,
              error: causeChain(e),
            }),
          ),
      ),
    );
    clearInterval(progress);
    const wallMs = Date.now() - t0;
    const byWorkflowStatus: Record<string, number> = {};
    const tallies: ActivityTally[] = [];
    for (const id of ids) {
      const name = (await client.workflow.getHandle(id).describe()).status.name;
      byWorkflowStatus[name] = (byWorkflowStatus[name] ?? 0) + 1;
      tallies.push(await episodeActivityTally(client, id));
    }
    const merge = (pick: (t: ActivityTally) => Record<string, number>): Record<string, number> =>
      mergeCounts(tallies.map(pick));
    const completed = outcomes.flatMap((o) => (o.ok ? [o] : []));
    return {
      date: new Date().toISOString(),
      machine: { cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      loadavg1: { before: load0, after: os.loadavg()[0]! },
      setup: {
        env: 'alfworld',
        split,
        envServers: 1,
        workerProcesses: 1,
        workerSlots: DEFAULT_WORKER_SLOTS,
        llm: `OpenAI-compatible mock behind a serial proxy: one request at a time, ${llmLatencyMs} ms each`,
        policy: 'scripted: one subtask, "look" every step',
        maxSteps,
      },
      episodes: {
        started: handles.length,
        completed: completed.length,
        failed: outcomes.length - completed.length,
        byWorkflowStatus,
        byEpisodeStatus: mergeCounts(completed.map((o) => ({ [o.status]: 1 }))),
      },
      // Scheduled, not completed: a failed episode's re-drives count too.
      redrives: merge((t) => t.scheduled)['envRedrive'] ?? 0,
      activitiesCompleted: merge((t) => t.completed),
      activityRetries: merge((t) => t.retries),
      activityFailures: merge((t) => t.failures),
      llmRequests: serial.served,
      envServerStats: (await envServerStats(envServer.url)) ?? null,
      wallMs,
      allStartedMs,
      errors: [...new Set(outcomes.flatMap((o) => (o.ok ? [] : [o.error])))].slice(0, 10),
    };
  } finally {
    await stopGroup(worker.pid!);
    if (process.env.STEP_HRL_LOAD_VERBOSE) console.log(workerOutput);
    await serial.stop();
    await llm.stop();
    await envServer.stop();
  }
}

/** Markdown table of a result. */
export function loadMarkdown(s: LoadResult): string {
  const table = (rows: [string, unknown][]): string[] => [
    '| what | value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${typeof v === 'object' ? JSON.stringify(v) : String(v)} |`),
  ];
  return [
    `# Load: ${s.episodes.started} concurrent episodes (${s.date})`,
    '',
    `${s.machine.cores} cores (shared), ${s.machine.memGiB} GiB, Node ${s.machine.node}; 1-min load ${s.loadavg1.before.toFixed(1)} before, ${s.loadavg1.after.toFixed(1)} after.`,
    '`npx ts-node bench/load.ts` reproduces it. Goal (issue 9): all complete, 0 re-drives, 0 failures, no timeouts.',
    '',
    ...table([
      ...Object.entries(s.setup),
      ...Object.entries(s.episodes),
      ['re-drives', s.redrives],
      ['activity retries (type: cause of the failed attempt)', s.activityRetries],
      ['activity failures (type: cause)', s.activityFailures],
      ['LLM requests served', s.llmRequests],
      ['env server /stats', s.envServerStats ? { ...s.envServerStats, envs: undefined } : 'not available'],
      ['all started after s', (s.allStartedMs / 1000).toFixed(1)],
      ['wall time s', (s.wallMs / 1000).toFixed(1)],
      ['errors', s.errors],
    ]),
    '',
  ].join('\n');
}

/** "message: cause: cause ..." down an error's cause chain. */
function causeChain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    parts.push(e.message ?? String(e));
  return parts.join(': ');
}

function mergeCounts(maps: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** SIGTERM the worker's process group, SIGKILL what is left after a grace period. */
async function stopGroup(pid: number): Promise<void> {
  const signal = (s: NodeJS.Signals): boolean => {
    try {
      process.kill(-pid, s);
      return true;
    } catch {
      return false; // gone
    }
  };
  if (!signal('SIGTERM')) return;
  for (let i = 0; i < 50 && signal(0 as unknown as NodeJS.Signals); i++) await new Promise((r) => setTimeout(r, 200));
  signal('SIGKILL');
}
