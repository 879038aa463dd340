/**
 * Temporal history cost per env step of STEP-HRL and ReAct on the same expert episodes: events and
 * encoded bytes of the episode's history plus every child's, payload bytes by place, and how many
 * times one observation's text is stored. Real Temporal dev server, real env server, the scripted
 * expert through the real worker. Writes bench/results/history.{json,md}.
 * Run: npm run bench:history [-- --label after] [--quick]   (--render: only rewrite history.md from history.json)   (--label names the run inside the results;
 * results of other labels already in history.json are kept, so a before/after pair sits side by side)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { EnvSpec } from '../src/agent/vocabulary';
import { startEpisode, startReact } from '../src/client';
import { connectEnvServer } from '../src/envs/env-server';
import { listAlfWorldGames } from '../src/envs/expert';
import { createHttpTextEnv } from '../src/envs/http-text-env';
import { liveHistories } from '../src/history-source';
import { expertPlan } from '../src/llm/expert-plan';
import { ExpertRouterClient } from '../src/llm/expert-router';
import { startDevServer } from '../src/server/dev-server';
import { freePort } from '../src/server/ports';
import { bundleWorkflows, createStepHrlWorker } from '../src/worker';
import { copiesByPlace, copiesPerObservation, historyCost, historyTree } from './support/history-stats';

/** The agents measured: adding one is one entry (how to start it on an episode id and config). */
const AGENTS = [
  { id: 'step-hrl', start: startEpisode },
  { id: 'react', start: startReact },
] as const;

const SCIENCEWORLD: EnvSpec[] = [
  { env: 'scienceworld', task: 'find-living-thing', variation: 0 },
  { env: 'scienceworld', task: 'use-thermometer', variation: 0 },
  { env: 'scienceworld', task: 'boil', variation: 0 },
];
/** ALFWorld task types measured (the first valid_seen game of each). */
const ALFWORLD_TYPES = ['pick_and_place_simple', 'pick_heat_then_place_in_recep', 'pick_two_obj_and_place'];

interface EpisodeRow {
  agent: string;
  episode: string;
  env: string;
  steps: number;
  won: boolean;
  histories: number;
  events: number;
  bytes: number;
  eventsPerStep: number;
  bytesPerStep: number;
  copiesPerObservation: number;
  copiesPerRoomDescription: number;
  payloadBytes: Record<string, number>;
  /** Copies per observation (step feedback) by place; absent in runs recorded before it was measured. */
  copiesByPlace?: Record<string, number>;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  if (process.argv.includes('--render')) return render();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const label = arg('label') ?? 'current';
  const profile = (arg('profile') ?? 'paper') as 'paper' | 'chat';
  const outDir = path.join(__dirname, 'results');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bench-history-'));
  const temporal = await startDevServer({ dataDir, port: await freePort() });
  const envServer = await connectEnvServer();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const workerConnection = await NativeConnection.connect({ address: temporal.address });
  const t0 = Date.now();
  try {
    const games = await listAlfWorldGames(envServer.url, 'valid_seen');
    const quick = process.argv.includes('--quick'); // one episode per env, for a smoke run
    const onlyEnv = arg('env'); // --env scienceworld: one env only (a probe of one place)
    const specs: EnvSpec[] = [
      ...SCIENCEWORLD.slice(0, quick ? 1 : undefined),
      ...ALFWORLD_TYPES.slice(0, quick ? 1 : undefined).map((type) => {
        const g = games.find((x) => x.taskType === type);
        if (!g) throw new Error(`no valid_seen ALFWorld game of type ${type}`);
        return { env: 'alfworld' as const, task: g.task, split: g.split };
      }),
    ].filter((s) => onlyEnv === undefined || s.env === onlyEnv);
    const agents = AGENTS.filter((a) => arg('agent') === undefined || a.id === arg('agent'));
    const specOf = new Map<string, EnvSpec>();
    const taskQueue = `bench-history-${Date.now()}`;
    const worker = await createStepHrlWorker({
      connection: workerConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowBundle: await bundleWorkflows(),
      llm: new ExpertRouterClient({
        specOf: (id) => specOf.get(id),
        planOf: (spec) => expertPlan(spec, async () => envServer.url),
        profile,
      }),
      envFactory: (s) => createHttpTextEnv(s.env as 'scienceworld' | 'alfworld', { url: envServer.url }),
    });
    const running = worker.run();
    const rows: EpisodeRow[] = [];
    try {
      let n = 0;
      for (const spec of specs) {
        const name = spec.env === 'alfworld' ? spec.task.split('/')[0]! : `${spec.task} v${spec.variation}`;
        for (const agent of agents) {
          const episodeId = `${agent.id}-${name}-${n++}`.replace(/[^A-Za-z0-9_.-]/g, '-');
          specOf.set(episodeId, spec);
          const handle = await agent.start(client, { episodeId, taskQueue, config: { spec, profile, maxSteps: 100 } });
          const result = (await handle.result()) as { steps: number | unknown[]; stepCount?: number; won: boolean };
          const steps = typeof result.steps === 'number' ? result.steps : (result.stepCount ?? result.steps.length);
          const cost = historyCost(
            await historyTree(liveHistories(client), episodeId),
            client.options.loadedDataConverter.payloadConverter,
          );
          rows.push({
            agent: agent.id,
            episode: name,
            env: spec.env,
            steps,
            won: result.won,
            histories: cost.histories,
            events: cost.events,
            bytes: cost.bytes,
            eventsPerStep: cost.events / steps,
            bytesPerStep: cost.bytes / steps,
            copiesPerObservation: copiesPerObservation(cost, 'text'),
            copiesPerRoomDescription: copiesPerObservation(cost, 'look'),
            payloadBytes: cost.payloadBytes,
            copiesByPlace: copiesByPlace(cost),
          });
          const r = rows.at(-1)!;
          if (process.argv.includes('--probe'))
            console.error(
              JSON.stringify({
                copies: r.copiesPerObservation,
                copiesByPlace: r.copiesByPlace,
                payloadBytesPerStep: Object.fromEntries(
                  Object.entries(r.payloadBytes)
                    .map(([k, v]) => [k, Math.round(v / r.steps)] as const)
                    .sort((a, b) => b[1] - a[1]),
                ),
              }),
            );
          console.error(
            `[${rows.length}/${specs.length * agents.length}] ${agent.id} ${name}: ${r.steps} steps, ${r.eventsPerStep.toFixed(1)} events and ${(r.bytesPerStep / 1024).toFixed(1)} KB per step (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
          );
        }
      }
    } finally {
      worker.shutdown();
      await running;
    }

    if (process.argv.includes('--probe')) return; // a probe writes nothing
    mkdirSync(outDir, { recursive: true });
    const jsonPath = path.join(outDir, 'history.json');
    const previous = existsSync(jsonPath)
      ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as { runs: Record<string, unknown> }).runs
      : {};
    const run = {
      generated: new Date().toISOString(),
      command: `npm run bench:history -- --label ${label}`,
      profile,
      wallSeconds: Math.round((Date.now() - t0) / 1000),
      summary: summarise(rows),
      episodes: rows,
    };
    const runs = { ...previous, [label]: run } as Record<string, typeof run>;
    writeFileSync(jsonPath, JSON.stringify({ runs }, null, 1) + '\n');
    writeFileSync(path.join(outDir, 'history.md'), markdown(runs));
    console.error(`wrote bench/results/history.{json,md} (run "${label}")`);
  } finally {
    await workerConnection.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await envServer.stop();
    await temporal.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `--render`: rewrites history.md from history.json without running anything. */
function render(): void {
  const dir = path.join(__dirname, 'results');
  const { runs } = JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8')) as {
    runs: Parameters<typeof markdown>[0];
  };
  writeFileSync(path.join(dir, 'history.md'), markdown(runs));
  console.error('wrote bench/results/history.md');
}

function summarise(rows: EpisodeRow[]) {
  const groups = [...new Set(rows.map((r) => `${r.agent}|${r.env}`))];
  return groups.map((g) => {
    const [agent, env] = g.split('|') as [string, string];
    const r = rows.filter((x) => x.agent === agent && x.env === env);
    const steps = r.reduce((a, x) => a + x.steps, 0);
    const payload: Record<string, number> = {};
    for (const x of r) for (const [k, v] of Object.entries(x.payloadBytes)) payload[k] = (payload[k] ?? 0) + v / steps;
    const mean = (f: (x: EpisodeRow) => number) => r.reduce((a, x) => a + f(x), 0) / r.length;
    return {
      agent,
      env,
      episodes: r.length,
      steps,
      eventsPerStep: r.reduce((a, x) => a + x.events, 0) / steps,
      bytesPerStep: r.reduce((a, x) => a + x.bytes, 0) / steps,
      copiesPerObservation: mean((x) => x.copiesPerObservation),
      copiesPerRoomDescription: mean((x) => x.copiesPerRoomDescription),
      payloadBytesPerStep: Object.fromEntries(Object.entries(payload).sort((a, b) => b[1] - a[1])),
    };
  });
}

function markdown(
  runs: Record<
    string,
    {
      generated: string;
      command: string;
      profile: string;
      wallSeconds: number;
      summary: ReturnType<typeof summarise>;
      episodes: EpisodeRow[];
    }
  >,
): string {
  const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
  const lines = [
    '# Temporal history cost per env step',
    '',
    "Events and encoded bytes of each episode's history plus every child's, per env step; \"copies\" is how many times one observation the env returned is stored in those histories' payloads (its step feedback, and its room description: ScienceWorld's Look, ALFWorld's room paragraph), averaged over the distinct texts of at least 20 characters. Real Temporal dev server and env server, the scripted expert through the real worker.",
    '',
    ...comparisonLines(runs),
  ];
  for (const [label, run] of Object.entries(runs)) {
    lines.push(
      `## Run "${label}"`,
      '',
      `Generated ${run.generated} by \`${run.command}\` (profile ${run.profile}) in ${run.wallSeconds} s.`,
      '',
    );
    lines.push(
      '| agent | env | episodes | steps | events / step | KB / step | copies per observation | copies per room description |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of run.summary)
      lines.push(
        `| ${s.agent} | ${s.env} | ${s.episodes} | ${s.steps} | ${f1(s.eventsPerStep)} | ${f1(s.bytesPerStep / 1024)} | ${f1(s.copiesPerObservation)} | ${f1(s.copiesPerRoomDescription)} |`,
      );
    lines.push('', 'Payload bytes per step by place (largest five):', '');
    for (const s of run.summary) {
      const top = Object.entries(s.payloadBytesPerStep)
        .slice(0, 5)
        .map(([k, v]) => `${k} ${Math.round(v).toLocaleString('en-US')}`)
        .join('; ');
      lines.push(`- ${s.agent} on ${s.env}: ${top}`);
    }
    const withPlaces = run.episodes.filter((e) => e.copiesByPlace);
    if (withPlaces.length > 0) {
      lines.push('', 'Copies per observation (step feedback) by place, mean over episodes:', '');
      for (const s of run.summary) {
        const mine = withPlaces.filter((e) => e.agent === s.agent && e.env === s.env);
        const places: Record<string, number> = {};
        for (const e of mine)
          for (const [k, v] of Object.entries(e.copiesByPlace!)) places[k] = (places[k] ?? 0) + v / mine.length;
        const top = Object.entries(places)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join('; ');
        lines.push(`- ${s.agent} on ${s.env}: ${top}`);
      }
    }
    lines.push(
      '',
      '| agent | episode | steps | won | histories | events / step | KB / step |',
      '|---|---|---:|---|---:|---:|---:|',
    );
    for (const e of run.episodes)
      lines.push(
        `| ${e.agent} | ${e.episode} | ${e.steps} | ${e.won ? 'yes' : 'no'} | ${e.histories} | ${f1(e.eventsPerStep)} | ${f1(e.bytesPerStep / 1024)} |`,
      );
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * What each recorded run measured, for the comparison: runs on different code versions are not
 * the same experiment, so the table says which code each column ran.
 */
const RUN_NOTES: Record<string, string> = {
  before:
    'code before the merge of the audit trail and reference-exact prompts, `compact-subtask-outcome` off (the committed earlier run)',
  after:
    'same code as "before", `compact-subtask-outcome` on, first version of the compaction (the committed earlier run)',
  'after-merged':
    'main with everything merged (v2 call records that hold each prompt and reply, reference-exact `paper` prompts, the high-level call record in each child input) and the revised compaction (leaves out only task, completedSubtasks and an observation equal to the previous nextObservation)',
  'after-1.0':
    "0.2.0 code: the call records in a subtask's result and input hold each prompt as its SHA-256 and the prompt builder version, and the result holds its first observation as a SHA-256 too (re-rendered from the child's input and checked when read; each prompt's text stays once, in the policy activity's input); ReAct continues as new",
  'after-diet':
    'a subtask child returns a slim result (status, counts, score, last observation, calls per level) and no transitions: each step is recorded once, by the child\'s own activity events, and readers rebuild the transitions from the child\'s history. Measured on a working tree that also held another change (a worker identity naming its incarnation, host and pid, written in every event that names the worker), which adds about 100 B to each such event: the "payload KB/step" columns show this change alone',
  'after-short-identity':
    "the code of after-diet plus worker-specific env queues, the worker identity shortened to `pid@host sh:<id>:<machine>:<start>` (about 45 characters instead of about 130; it is written in every task event), env calls carrying the incarnation, and the compact re-drive log. The whole of this session's code (fixtures v9)",
};

/** One row per agent and env, one column group per run: KB, events and observation copies per step. */
function comparisonLines(runs: Parameters<typeof markdown>[0]): string[] {
  const labels = Object.keys(runs);
  if (labels.length < 2) return [];
  const f1 = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(1) : '-');
  const keys = [...new Set(labels.flatMap((l) => runs[l]!.summary.map((s) => `${s.agent}|${s.env}`)))];
  const header = (what: string) => labels.map((l) => `${what} ${l}`).join(' | ');
  const lines = [
    '## Comparison',
    '',
    'Before/after on one code version is no longer possible (a `patched()` change is on for every new history), so each column is the committed run of the code it names:',
    '',
    ...labels.map((l) => `- **${l}**: ${RUN_NOTES[l] ?? `run labelled ${l}`}.`),
    '',
    `| agent | env | ${header('KB/step')} | ${header('payload KB/step')} | ${header('events/step')} | ${header('copies/obs')} |`,
    `|---|---|${'---:|'.repeat(labels.length * 4)}`,
  ];
  for (const key of keys) {
    const [agent, env] = key.split('|') as [string, string];
    const of = (l: string) => runs[l]!.summary.find((s) => s.agent === agent && s.env === env);
    const cells = (f: (s: NonNullable<ReturnType<typeof of>>) => number) =>
      labels.map((l) => f1(of(l) && f(of(l)!))).join(' | ');
    lines.push(
      `| ${agent} | ${env} | ${cells((s) => s.bytesPerStep / 1024)} | ${cells((s) => payloadPerStep(s) / 1024)} | ${cells((s) => s.eventsPerStep)} | ${cells((s) => s.copiesPerObservation)} |`,
    );
  }
  // Against the run before the last: what the latest change did.
  lines.push('', ...growthLines(runs, labels.at(-2)!, labels.at(-1)!), '');
  return lines;
}

/** Payload bytes per step, every place together (the rest of a history's bytes is event framing). */
function payloadPerStep(s: { payloadBytesPerStep: Record<string, number> }): number {
  return Object.values(s.payloadBytesPerStep).reduce((a, b) => a + b, 0);
}

/** Per agent and env: the last run's KB/step against the first's, and the payload places that changed most. */
function growthLines(runs: Parameters<typeof markdown>[0], from: string, to: string): string[] {
  const lines = [`Where "${to}" differs from "${from}" (payload bytes per step, the three largest changes):`, ''];
  for (const b of runs[to]!.summary) {
    const a = runs[from]!.summary.find((s) => s.agent === b.agent && s.env === b.env);
    if (!a) continue;
    const places = [...new Set([...Object.keys(a.payloadBytesPerStep), ...Object.keys(b.payloadBytesPerStep)])];
    const changes = places
      .map((p) => [p, (b.payloadBytesPerStep[p] ?? 0) - (a.payloadBytesPerStep[p] ?? 0)] as const)
      .sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))
      .slice(0, 3)
      .map(([p, d]) => `${p} ${d >= 0 ? '+' : ''}${Math.round(d).toLocaleString('en-US')}`);
    lines.push(
      `- ${b.agent} on ${b.env}: ${(b.bytesPerStep / a.bytesPerStep).toFixed(2)}x the KB per step, ${(payloadPerStep(b) / payloadPerStep(a)).toFixed(2)}x the payload bytes; ${changes.join('; ')}`,
    );
  }
  return lines;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
