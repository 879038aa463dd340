/**
 * Recovery after kill -9: ScienceWorld episodes through the env server, each played once without
 * interruption (the baseline) and once with `step-hrl run` SIGKILLed at random moments and
 * `step-hrl resume` finishing it (the chaos of tests/slow/chaos at a larger size). Measures, over all
 * kills, the time from spawning `resume` to its first new step and to its exit, against the same
 * episode's uninterrupted duration, and counts kills, re-drives, steps applied twice and extra LLM
 * requests. Starts its own Temporal dev server (temp data dir) and env server.
 * Writes bench/results/recovery.json and bench/results/recovery.md: every process uses one env server
 * that outlives them (a worker host's). With --own-env-servers each process spawns its own, which
 * dies with it, as for a user who runs `step-hrl run` alone: bench/results/recovery-own-env-server.*.
 * With --llm-latency-ms M each model answer takes M ms (as a served model's do; kills then land less
 * often inside a workflow task): bench/results/recovery[-own-env-server]-llm-latency.*.
 * Run: npx ts-node bench/chaos-recovery.ts [--episodes N] [--kills K] [--parallel P] [--seed S] [--own-env-servers]
 *      [--llm-latency-ms M]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startEnvServer } from '../src/envs/env-server';
import { startDevServer } from '../src/server/dev-server';
import { freePort } from '../src/server/ports';
import { ensureBuilt } from '../tests/support/cli-harness';
import {
  envServerStats,
  killAllCliProcesses,
  percentile,
  pool,
  prepareEpisode,
  runReference,
  runWithKills,
  serverAppliedTwice,
  type ChaosStack,
} from '../tests/support/chaos-harness';
import { CHAOS_EPISODES } from '../tests/support/chaos-episodes';
import { CountingEnvProxy } from '../tests/support/counting-env-proxy';
import { ExpertEndpoint } from '../tests/support/expert-endpoint';
import { episodeHistories } from '../tests/support/episode-histories';
import { transitionContent } from '../tests/support/transition-content';
import { recoveryPhases, type RecoveryPhases } from './support/recovery-phases';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const episodes = flag('episodes', CHAOS_EPISODES.length);
  const killsPerEpisode = flag('kills', 2);
  const parallel = flag('parallel', 3);
  const seed = flag('seed', Math.floor(Math.random() * 2 ** 31));
  const ownEnvServers = process.argv.includes('--own-env-servers');
  const llmLatencyMs = flag('llm-latency-ms', 0);
  const resultName = `recovery${ownEnvServers ? '-own-env-server' : ''}${llmLatencyMs > 0 ? '-llm-latency' : ''}`;
  console.log(`chaos-recovery: ${episodes} episodes, ${killsPerEpisode} kills each, ${parallel} at once, seed ${seed}`);
  ensureBuilt();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bench-recovery-'));
  const temporal = await startDevServer({ dataDir, port: await freePort() });
  const envServer = await startEnvServer({ startupTimeoutMs: 120_000 });
  const connection = await Connection.connect({ address: temporal.address });
  const stack: ChaosStack = {
    client: new Client({ connection }),
    temporalAddress: temporal.address,
    envServerUrl: envServer.url,
    proxy: await CountingEnvProxy.start(envServer.url),
    endpoint: await ExpertEndpoint.start({ profile: 'chat', latencyMs: llmLatencyMs }),
    runFlags: ['--max-steps', '16'],
    ownEnvServers,
  };
  const t0 = Date.now();
  try {
    // Episodes are taken round-robin from the chaos set, so N > 21 repeats tasks under new ids.
    const specs = Array.from({ length: episodes }, (_, i) => CHAOS_EPISODES[i % CHAOS_EPISODES.length]!);
    const runs = await pool(specs, parallel, async (spec, i) => {
      const episode = await prepareEpisode(stack, spec);
      const name = `b${seed}-${i}-${spec.task}-v${spec.variation}`;
      const reference = await runReference(stack, episode, `ref-${name}`);
      const chaos = await runWithKills(stack, episode, `chaos-${name}`, {
        plannedKills: killsPerEpisode,
        seed: seed + i,
        recordSteps: reference.transitions.length,
      });
      const identical =
        JSON.stringify(chaos.transitions.map(transitionContent)) ===
        JSON.stringify(reference.transitions.map(transitionContent));
      console.log(
        `${name}: ${chaos.kills.length} kills, identical ${identical}, first new step ${chaos.kills.map((k) => k.resumeToFirstNewStepMs ?? '-').join('/')} ms`,
      );
      // Where each recovery's time went, from the histories (only recoveries that reached a new step).
      const histories = await episodeHistories(stack.client, `chaos-${name}`);
      const phases: RecoveryPhases[] = chaos.kills.flatMap((k) =>
        k.resumeStartedAt === undefined || k.resumeToFirstNewStepMs === undefined
          ? []
          : [recoveryPhases(histories, k.resumeStartedAt, k.resumeStartedAt + k.resumeToFirstNewStepMs)],
      );
      return { spec, reference, chaos, identical, phases };
    });
    const phases = runs.flatMap((r) => r.phases);

    const kills = runs.flatMap((r) => r.chaos.kills);
    const firstNew = kills.flatMap((k) => (k.resumeToFirstNewStepMs === undefined ? [] : [k.resumeToFirstNewStepMs]));
    // The resume that finished the episode: time from its start to its exit.
    const toFinish = runs.flatMap((r) => (r.chaos.kills.length ? [r.chaos.kills.at(-1)!.resumeDurationMs] : []));
    const sum = (f: (r: (typeof runs)[number]) => number): number => runs.reduce((n, r) => n + f(r), 0);
    const summary = {
      date: new Date().toISOString(),
      seed,
      envServers: ownEnvServers ? 'one per process (dies with it)' : 'one shared, outliving the processes',
      llmLatencyMs,
      machine: { cores: os.cpus().length, node: process.version, loadavg1: os.loadavg()[0] },
      episodes: runs.length,
      killsPerEpisode,
      parallel,
      wallMs: Date.now() - t0,
      counts: {
        kills: kills.length,
        killsWithoutNewStep: kills.length - firstNew.length,
        finishedBeforeKill: runs.filter((r) => r.chaos.finishedBeforeKill).length,
        identicalRecords: runs.filter((r) => r.identical).length,
        failedResumes: runs.filter((r) => r.chaos.finalExit.code !== 0).length,
        redrives: sum((r) => r.chaos.activities.scheduled['envRedrive'] ?? 0),
        // Counted only where the processes share the bench's env server (behind the counting proxy).
        appliedTwiceAtProxy: ownEnvServers ? null : sum((r) => r.chaos.appliedTwice),
        appliedTwiceAtServer: ownEnvServers ? null : ((await serverAppliedTwice(envServer.url)) ?? null),
        envSessionsOpenAfter: ownEnvServers ? null : ((await envServerStats(envServer.url))?.['sessions_open'] ?? null),
        // Which ones (key = episode, owner = the worker incarnation that created it), when any is left.
        envSessionsLeft: ownEnvServers ? null : await openSessions(envServer.url),
        extraLlmRequests: sum((r) => r.chaos.llmRequests - (r.chaos.activities.completed['callPolicy'] ?? 0)),
        activityRetries: mergeCounts(runs.map((r) => r.chaos.activities.retries)),
        activityFailures: mergeCounts(runs.map((r) => r.chaos.activities.failures)),
      },
      resumeToFirstNewStepMs: stats(firstNew),
      resumeStartupMs: stats(kills.flatMap((k) => (k.resumeStartupMs === undefined ? [] : [k.resumeStartupMs]))),
      resumeToFinishMs: stats(toFinish),
      resumeToRedriveMs: stats(phases.flatMap((p) => (p.toRedriveMs === undefined ? [] : [p.toRedriveMs]))),
      redriveMs: stats(phases.flatMap((p) => (p.redriveMs === undefined ? [] : [p.redriveMs]))),
      recoveriesWaitingOnDeadTask: phases.filter((p) => p.timedOutTasks > 0).length,
      deadTasksOnStickyQueue: phases.reduce((n, p) => n + p.timedOutOnStickyQueue, 0),
      deadTaskStartedBeforeResumeMs: phases.flatMap((p) => p.deadTaskStartedBeforeResumeMs),
      // The recoveries no dead workflow task held up: what the recovery itself takes.
      firstNewStepWithoutDeadTaskMs: stats(phases.filter((p) => p.timedOutTasks === 0).map((p) => p.totalMs)),
      uninterruptedEpisodeMs: stats(runs.map((r) => r.reference.durationMs)),
      chaosEpisodeTotalMs: stats(runs.map((r) => r.chaos.totalMs)),
      perEpisode: runs.map((r) => ({
        episode: `${r.spec.task}/${r.spec.variation}`,
        steps: r.chaos.transitions.length,
        identical: r.identical,
        uninterruptedMs: r.reference.durationMs,
        chaosTotalMs: r.chaos.totalMs,
        kills: r.chaos.kills,
        redrives: r.chaos.activities.scheduled['envRedrive'] ?? 0,
        extraLlmRequests: r.chaos.llmRequests - (r.chaos.activities.completed['callPolicy'] ?? 0),
        finalExit: r.chaos.finalExit,
        // What the last process printed, where the record differs.
        ...(r.identical ? {} : { lastOutput: r.chaos.output.slice(-3000) }),
      })),
    };
    const out = path.join(__dirname, 'results');
    mkdirSync(out, { recursive: true });
    // The figures of the run before this one stay beside the new ones, for comparison.
    const previous = readPrevious(path.join(out, `${resultName}.json`));
    if (previous) Object.assign(summary, { previous });
    writeFileSync(path.join(out, `${resultName}.json`), JSON.stringify(summary, null, 2) + '\n');
    writeFileSync(path.join(out, `${resultName}.md`), markdown(summary));
    console.log(markdown(summary));
  } finally {
    killAllCliProcesses();
    await stack.endpoint.stop();
    await stack.proxy.stop();
    await connection.close();
    await envServer.stop();
    await temporal.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What a comparison needs of the previous results file (its own `previous` dropped: one level). */
interface Previous {
  date: string;
  episodes: number;
  counts: { kills: number };
  resumeToFirstNewStepMs: Stats;
  resumeStartupMs: Stats;
  resumeToFinishMs: Stats;
}

function readPrevious(file: string): Previous | undefined {
  if (!existsSync(file)) return undefined;
  const p = JSON.parse(readFileSync(file, 'utf8')) as Previous;
  return {
    date: p.date,
    episodes: p.episodes,
    counts: { kills: p.counts.kills },
    resumeToFirstNewStepMs: p.resumeToFirstNewStepMs,
    resumeStartupMs: p.resumeStartupMs,
    resumeToFinishMs: p.resumeToFinishMs,
  };
}

interface Stats {
  n: number;
  p50: number | null;
  p90: number | null;
  max: number | null;
}

function stats(values: number[]): Stats {
  return {
    n: values.length,
    p50: percentile(values, 50) ?? null,
    p90: percentile(values, 90) ?? null,
    max: percentile(values, 100) ?? null,
  };
}

function mergeCounts(maps: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function markdown(s: {
  date: string;
  seed: number;
  envServers: string;
  llmLatencyMs: number;
  machine: { cores: number; node: string; loadavg1?: number };
  episodes: number;
  killsPerEpisode: number;
  parallel: number;
  wallMs: number;
  counts: Record<string, unknown>;
  resumeToFirstNewStepMs: Stats;
  resumeStartupMs: Stats;
  resumeToFinishMs: Stats;
  resumeToRedriveMs: Stats;
  redriveMs: Stats;
  recoveriesWaitingOnDeadTask: number;
  deadTasksOnStickyQueue: number;
  firstNewStepWithoutDeadTaskMs: Stats;
  uninterruptedEpisodeMs: Stats;
  chaosEpisodeTotalMs: Stats;
  previous?: Previous;
}): string {
  const sec = (ms: number | null): string => (ms === null ? '-' : (ms / 1000).toFixed(1));
  const row = (name: string, x: Stats): string =>
    `| ${name} | ${x.n} | ${sec(x.p50)} | ${sec(x.p90)} | ${sec(x.max)} |`;
  return [
    `# Recovery after kill -9 (${s.date})`,
    '',
    `ScienceWorld through the env server (${s.envServers}), scripted expert over an OpenAI-compatible endpoint`,
    `(${s.llmLatencyMs ? `each answer held ${s.llmLatencyMs} ms, as a served model takes` : 'answering at once'}); ${s.episodes} episodes,`,
    `${s.killsPerEpisode} SIGKILLs of the running \`step-hrl\` process per episode at random moments (seed ${s.seed}),`,
    `${s.parallel} episodes at once; ${s.machine.cores} cores (shared), Node ${s.machine.node}; wall ${sec(s.wallMs)} s.`,
    '`npx ts-node bench/chaos-recovery.ts` reproduces it.',
    '',
    '| time | n | p50 s | p90 s | max s |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('`resume` start → first new step', s.resumeToFirstNewStepMs),
    row('`resume` start → its first output (start-up)', s.resumeStartupMs),
    row('`resume` start → episode finished', s.resumeToFinishMs),
    row('… where no workflow task of the killed process had to time out', s.firstNewStepWithoutDeadTaskMs),
    row('… of which `resume` start → re-drive scheduled', s.resumeToRedriveMs),
    row('… of which the re-drive (new env session, recorded steps replayed)', s.redriveMs),
    row('uninterrupted episode (baseline)', s.uninterruptedEpisodeMs),
    row('chaos episode, first `run` → finished', s.chaosEpisodeTotalMs),
    '',
    ...(s.previous
      ? [
          `Previous run (${s.previous.date}, ${s.previous.episodes} episodes, ${s.previous.counts.kills} kills), for comparison:`,
          '',
          '| time | n | p50 s | p90 s | max s |',
          '| --- | ---: | ---: | ---: | ---: |',
          row('`resume` start → first new step', s.previous.resumeToFirstNewStepMs),
          row('`resume` start → its first output (start-up)', s.previous.resumeStartupMs),
          row('`resume` start → episode finished', s.previous.resumeToFinishMs),
          '',
        ]
      : []),
    `Recoveries that waited out a workflow task the killed process had started (10 s each): ${s.recoveriesWaitingOnDeadTask} of ${s.resumeToFirstNewStepMs.n}; tasks that timed out waiting on a dead worker's sticky queue instead: ${s.deadTasksOnStickyQueue}.`,
    '',
    '| count | value |',
    '| --- | --- |',
    ...Object.entries(s.counts).map(
      ([k, v]) => `| ${k} | ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)} |`,
    ),
    '',
  ].join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/** The env server's open sessions (`GET /sessions`), or null where the server does not list them. */
async function openSessions(url: string): Promise<unknown[] | null> {
  const response = await fetch(`${url}/sessions`).catch(() => undefined);
  return response?.ok ? ((await response.json()) as unknown[]) : null;
}
