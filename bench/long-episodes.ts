/**
 * Long episodes within the payload and history budgets (issue 17 item 6): one N-step episode of
 * each agent kind (STEP-HRL and ReAct) on the built-in env with a scripted looping policy that
 * never finishes the task, on the embedded server. Measured per episode: steps completed, steps
 * the record reads back, runs in the episode's chain, child workflows, the largest payload and the
 * largest single history (events) over every run of the chain and every child, and wall time.
 *
 * Usage: `npx ts-node --transpile-only bench/long-episodes.ts [--steps 10000] [--agents react,step-hrl] [--note text]`;
 * writes bench/results/long-episodes.{json,md}: each agent's newest episode, and the ones it replaced
 * (`previous`), so a change's figures stand beside the ones before it.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { BuiltinTextEnv } from '../src/envs/builtin';
import type { AgentKind } from '../src/episode/eval-types';
import { RECORD_READER_CHANNEL_ARGS } from '../src/history-source';
import { startDevServer } from '../src/server/dev-server';
import { freePort } from '../src/server/ports';
import { bundleWorkflows, createStepHrlWorker } from '../src/worker';
import { runLongEpisode, type LongEpisodeRun, type RunWorker } from '../tests/support/long-episodes';

const PAYLOAD_BUDGET = 1024 * 1024;
const HISTORY_BUDGET = 10_000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

/** A measured episode as the results file keeps it: when, on what machine, and why (a note). */
type Measured = LongEpisodeRun & { date: string; machine: string; note?: string };

/** The results file: the newest episode of each agent kind, and the ones each replaced. */
interface Results {
  runs: Measured[];
  /** Earlier measurements of the same agent kind, newest first (the figures a change is compared with). */
  previous: Measured[];
}

function table(runs: Measured[]): string[] {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const rows = runs.map((r) =>
    [
      r.agent,
      r.date.slice(0, 16).replace('T', ' '),
      r.status,
      r.steps.toLocaleString('en'),
      `${r.recordSteps.toLocaleString('en')}${r.recordInOrder ? '' : ' (out of order)'}`,
      r.weight.runs,
      r.weight.children,
      `${kb(r.weight.largestPayload.largestPayload)} (${r.weight.largestPayload.largestPayloadIn})`,
      r.weight.largestHistory.events.toLocaleString('en'),
      r.weight.totalEvents.toLocaleString('en'),
      r.wallSeconds.toFixed(0),
      (r.steps / r.wallSeconds).toFixed(1),
      r.weight.largestPayload.largestPayload <= PAYLOAD_BUDGET && r.weight.largestHistory.events <= HISTORY_BUDGET
        ? 'yes'
        : 'NO',
    ].join(' | '),
  );
  return [
    '| agent | measured (UTC) | status | steps | steps read back | runs in chain | children | largest payload | largest history (events) | events in all | wall s | steps/s | within budgets |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r} |`),
  ];
}

function notes(runs: Measured[]): string[] {
  return runs.flatMap((r) => [`- ${r.agent}, ${r.date.slice(0, 10)}, ${r.machine}${r.note ? `: ${r.note}` : ''}`]);
}

function markdown(results: Results): string {
  return [
    `# Long episodes within the budgets`,
    '',
    '`npx ts-node --transpile-only bench/long-episodes.ts --steps N [--agents react,step-hrl] [--note text]` (bench/long-episodes.ts): one N-step episode of each agent kind on the built-in env (clean-plate, variation 3), scripted looping policy that never finishes the task (STEP-HRL: 50-step subtasks of look/wait; ReAct: look/wait), default config otherwise, embedded Temporal dev server.',
    '',
    "Budgets (issue 17 item 6): no payload above 1 MB, no single history above 10,000 events, over every run of the episode's chain and every child workflow.",
    '',
    '## Now',
    '',
    ...table(results.runs),
    '',
    ...notes(results.runs),
    '',
    ...(results.previous.length > 0
      ? [
          '## Before (the measurements the ones above replaced)',
          '',
          ...table(results.previous),
          '',
          ...notes(results.previous),
          '',
        ]
      : []),
  ].join('\n');
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const steps = Number(arg('steps', '10000'));
  const agents = arg('agents', 'react,step-hrl').split(',') as AgentKind[];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bench-long-episodes-'));
  const temporal = await startDevServer({ dataDir, port: await freePort() });
  const connection = await Connection.connect({ address: temporal.address, channelArgs: RECORD_READER_CHANNEL_ARGS });
  const client = new Client({ connection, namespace: temporal.namespace });
  const workerConnection = await NativeConnection.connect({ address: temporal.address });
  const workflowBundle = await bundleWorkflows();
  const runWorker: RunWorker = async (taskQueue, llm, body) => {
    const worker = await createStepHrlWorker({
      connection: workerConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowBundle,
      envFactory: () => new BuiltinTextEnv(),
      llm,
    });
    return (await worker.run(body())) as Awaited<ReturnType<typeof body>>;
  };
  const note = process.argv.includes('--note') ? arg('note', '') : undefined;
  const replaced = readResults().runs.filter((r) => agents.includes(r.agent));
  const runs: Measured[] = [];
  try {
    for (const agent of agents) {
      const run = await runLongEpisode(client, runWorker, agent, steps, 'bench-long');
      console.log(JSON.stringify(run));
      runs.push({ ...run, date: new Date().toISOString(), machine: machine(), ...(note && { note }) });
      write(runs, replaced); // after each episode, so a long run keeps what it measured
    }
  } catch (err) {
    console.error(err); // the first error (closing below may raise others)
    throw err;
  } finally {
    await connection.close().catch(() => undefined);
    await workerConnection.close().catch(() => undefined); // a failed worker may still hold it
    await temporal.stop();
  }
}

/**
 * Writes bench/results/long-episodes.{json,md} from the episodes measured so far: each replaces the
 * same agent's earlier episode, which moves to `previous` (the figures a change is compared with);
 * the other agent's episode stays (the two kinds may be measured by two processes, at two lengths).
 */
function write(measured: Measured[], replaced: Measured[]): void {
  const out = path.join(__dirname, 'results');
  const before = readResults();
  const kept = before.runs.filter((r) => !measured.some((m) => m.agent === r.agent));
  const results: Results = {
    runs: [...kept, ...measured].sort((a, b) => a.agent.localeCompare(b.agent)),
    previous: [...replaced, ...before.previous.filter((p) => !replaced.includes(p))].slice(0, 4),
  };
  writeFileSync(path.join(out, 'long-episodes.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(out, 'long-episodes.md'), markdown(results));
  console.log(markdown(results));
}

/** The results file as it is; one written before per-run dates (one `steps`, `date`, `machine` for all) reads too. */
function readResults(): Results {
  const file = path.join(__dirname, 'results', 'long-episodes.json');
  if (!existsSync(file)) return { runs: [], previous: [] };
  const json = JSON.parse(readFileSync(file, 'utf8')) as Partial<Results> & { date?: string; machine?: string };
  const dated = (r: Measured): Measured => ({
    ...r,
    date: r.date ?? json.date ?? '',
    machine: r.machine ?? json.machine ?? '',
  });
  return { runs: (json.runs ?? []).map(dated), previous: (json.previous ?? []).map(dated) };
}

function machine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')} when written`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
