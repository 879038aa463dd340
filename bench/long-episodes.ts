/**
 * Long episodes within the payload and history budgets (issue 17 item 6): one N-step episode of
 * each agent kind (STEP-HRL and ReAct) on the built-in env with a scripted looping policy that
 * never finishes the task, on the embedded server. Measured per episode: steps completed, steps
 * the record reads back, runs in the episode's chain, child workflows, the largest payload and the
 * largest single history (events) over every run of the chain and every child, and wall time.
 *
 * Usage: `npx ts-node --transpile-only bench/long-episodes.ts [--steps 10000] [--agents react,step-hrl]`;
 * writes bench/results/long-episodes.{json,md}.
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

function markdown(runs: LongEpisodeRun[], steps: number, machine: string): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const rows = runs.map((r) =>
    [
      r.agent,
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
    `# Long episodes within the budgets (${new Date().toISOString()})`,
    '',
    `\`npx ts-node --transpile-only bench/long-episodes.ts --steps ${steps}\` (bench/long-episodes.ts): one ${steps.toLocaleString('en')}-step episode of each agent kind on the built-in env (clean-plate, variation 3), scripted looping policy that never finishes the task (STEP-HRL: 50-step subtasks of look/wait; ReAct: look/wait), default config otherwise, embedded Temporal dev server, ${machine}.`,
    '',
    "Budgets (issue 17 item 6): no payload above 1 MB, no single history above 10,000 events, over every run of the episode's chain and every child workflow.",
    '',
    '| agent | status | steps | steps read back | runs in chain | children | largest payload | largest history (events) | events in all | wall s | steps/s | within budgets |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r} |`),
    '',
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
  const runs: LongEpisodeRun[] = [];
  try {
    for (const agent of agents) {
      const run = await runLongEpisode(client, runWorker, agent, steps, 'bench-long');
      console.log(JSON.stringify(run));
      runs.push(run);
      write(runs, steps); // after each episode, so a long run keeps what it measured
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
 * Writes bench/results/long-episodes.{json,md} from the episodes measured so far, keeping the other
 * agent's episode of the same length already there (the two kinds may be measured by two processes).
 */
function write(measured: LongEpisodeRun[], steps: number): void {
  const file = path.join(__dirname, 'results', 'long-episodes.json');
  const before = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { steps: number; runs: LongEpisodeRun[] })
    : undefined;
  const kept = before?.steps === steps ? before.runs.filter((r) => !measured.some((m) => m.agent === r.agent)) : [];
  const runs = [...kept, ...measured].sort((a, b) => a.agent.localeCompare(b.agent));
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')} when written`;
  const out = path.join(__dirname, 'results');
  writeFileSync(
    path.join(out, 'long-episodes.json'),
    JSON.stringify({ date: new Date().toISOString(), steps, machine, runs }, null, 2) + '\n',
  );
  writeFileSync(path.join(out, 'long-episodes.md'), markdown(runs, steps, machine));
  console.log(markdown(runs, steps, machine));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
