/**
 * Load: N concurrent episodes (default 128) on real ALFWorld games through the real env server,
 * served by ONE `step-hrl worker` process and a slow serial LLM (an OpenAI-compatible endpoint that
 * answers one request at a time after a fixed latency, like a single GPU slot). The policy is
 * scripted and simple (it looks around until the step budget ends): the point is whether every
 * episode completes without failures, re-drives or timeouts, not whether it wins.
 * Reads each episode's histories afterwards: statuses, activity retries and failures by type and
 * cause, re-drives. Starts its own Temporal dev server (temp data dir) and env server.
 * Writes bench/results/load.json and bench/results/load.md.
 * Run: npx ts-node bench/load.ts [--episodes 128] [--max-steps 4] [--llm-latency-ms 100] [--split valid_seen]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startEpisode } from '../src/client';
import { startEnvServer } from '../src/envs/env-server';
import { listAlfWorldGames } from '../src/envs/expert';
import { startDevServer } from '../src/server/dev-server';
import { freePort } from '../src/server/ports';
import { BIN, cleanEnv, ensureBuilt, ROOT } from '../tests/foundation/cli-harness';
import { episodeActivityTally, type ActivityTally } from '../tests/support/episode-histories';
import { MockOpenAiServer } from '../tests/support/mock-openai-server';
import { roleOfPrompt } from '../tests/support/script-responder';
import { serialEndpoint } from '../tests/support/serial-endpoint';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

/** A policy that needs no knowledge of the game: one subtask, looks around each step. */
function lookAroundReply(prompt: string): string {
  const role = roleOfPrompt(prompt);
  if (role === 'high') return JSON.stringify({ subtask: 'look around the room' });
  if (role === 'low') return JSON.stringify({ action: 'look', subtask_done: false });
  return JSON.stringify({ progress: 'Looked around.' });
}

async function main(): Promise<void> {
  const episodes = Number(flag('episodes', '128'));
  const maxSteps = Number(flag('max-steps', '4'));
  const latencyMs = Number(flag('llm-latency-ms', '100'));
  const split = flag('split', 'valid_seen');
  console.log(
    `load: ${episodes} ALFWorld episodes (${split}), ${maxSteps} steps each, serial LLM ${latencyMs} ms/call`,
  );
  ensureBuilt();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bench-load-'));
  const temporal = await startDevServer({ dataDir, port: await freePort() });
  const envServer = await startEnvServer({ startupTimeoutMs: 120_000 });
  const llm = await MockOpenAiServer.start({ responder: ({ prompt }) => lookAroundReply(prompt) });
  const serial = await serialEndpoint(llm.baseURL, latencyMs);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const taskQueue = `load-${Date.now()}`;
  const worker = spawn(process.execPath, [BIN, 'worker', '--llm', 'openai', '--task-queue', taskQueue], {
    cwd: ROOT,
    env: cleanEnv({
      TEMPORAL_ADDRESS: temporal.address,
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
  const load0 = os.loadavg()[0];
  const t0 = Date.now();
  try {
    const games = (await listAlfWorldGames(envServer.url, split)).slice(0, episodes);
    if (games.length < episodes) throw new Error(`only ${games.length} games in ${split}; pass --episodes`);
    const ids = games.map((_, i) => `load-${taskQueue}-${i}`);
    const handles = await Promise.all(
      games.map((game, i) =>
        startEpisode(client, {
          episodeId: ids[i]!,
          taskQueue,
          config: { spec: { env: 'alfworld', split, task: game.task }, profile: 'chat', maxSteps },
        }),
      ),
    );
    const startedMs = Date.now() - t0;
    const outcomes = await Promise.all(
      handles.map((h) =>
        h.result().then(
          (r) => ({ ok: true as const, status: r.status, steps: r.steps, redrives: r.redrives, at: Date.now() - t0 }),
          (e: Error) => ({ ok: false as const, error: e.message, at: Date.now() - t0 }),
        ),
      ),
    );
    const wallMs = Date.now() - t0;
    const statuses: Record<string, number> = {};
    for (const id of ids) {
      const name = (await client.workflow.getHandle(id).describe()).status.name;
      statuses[name] = (statuses[name] ?? 0) + 1;
    }
    const tallies: ActivityTally[] = [];
    for (const id of ids) tallies.push(await episodeActivityTally(client, id));
    const merge = (pick: (t: ActivityTally) => Record<string, number>): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const t of tallies) for (const [k, v] of Object.entries(pick(t))) out[k] = (out[k] ?? 0) + v;
      return out;
    };
    const completed = outcomes.filter((o) => o.ok);
    const summary = {
      date: new Date().toISOString(),
      machine: { cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      loadavg1: { before: load0, after: os.loadavg()[0] },
      setup: {
        env: 'alfworld',
        split,
        envServers: 1,
        workerProcesses: 1,
        workerSlots: 'as `step-hrl worker` sets them (see src/worker.ts)',
        llm: `OpenAI-compatible mock, one request at a time, ${latencyMs} ms each`,
        maxSteps,
      },
      episodes: {
        started: handles.length,
        completed: completed.length,
        failed: outcomes.length - completed.length,
        byStatus: statuses,
        episodeStatuses: countBy(completed.map((o) => (o.ok ? o.status : ''))),
      },
      redrives: completed.reduce((n, o) => n + (o.ok ? o.redrives : 0), 0),
      redriveActivities: merge((t) => t.completed)['envRedrive'] ?? 0,
      activitiesCompleted: merge((t) => t.completed),
      activityRetries: merge((t) => t.retries),
      activityFailures: merge((t) => t.failures),
      llmRequests: serial.served,
      wallMs,
      allStartedMs: startedMs,
      lastCompletionMs: Math.max(0, ...outcomes.map((o) => o.at)),
      errors: outcomes.flatMap((o) => (o.ok ? [] : [o.error])).slice(0, 10),
    };
    const out = path.join(__dirname, 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'load.json'), JSON.stringify(summary, null, 2) + '\n');
    writeFileSync(path.join(out, 'load.md'), markdown(summary));
    console.log(markdown(summary));
  } finally {
    try {
      process.kill(-worker.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await new Promise((r) => setTimeout(r, 3000));
    try {
      process.kill(-worker.pid!, 'SIGKILL');
    } catch {
      // stopped
    }
    if (process.env.STEP_HRL_BENCH_VERBOSE) console.log(workerOutput);
    await serial.stop();
    await llm.stop();
    await connection.close();
    await envServer.stop();
    await temporal.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function markdown(s: {
  date: string;
  machine: { cores: number; memGiB: number; node: string };
  loadavg1: { before: number; after: number };
  setup: Record<string, unknown>;
  episodes: Record<string, unknown>;
  redrives: number;
  activityRetries: Record<string, number>;
  activityFailures: Record<string, number>;
  llmRequests: number;
  wallMs: number;
}): string {
  const table = (rows: [string, unknown][]): string[] => [
    '| what | value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${typeof v === 'object' ? JSON.stringify(v) : String(v)} |`),
  ];
  return [
    `# Load: ${String(s.episodes.started)} concurrent episodes (${s.date})`,
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
      ['wall time s', (s.wallMs / 1000).toFixed(1)],
    ]),
    '',
  ].join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
