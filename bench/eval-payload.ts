/**
 * Eval payload sizes (issue 17 item 5): the largest payload an evaluation of N built-in episodes
 * writes into its histories (inputs, continue-as-new inputs, results, child inputs and results), as
 * real runs on the embedded server with the scripted expert.
 *
 * Playing all N episodes on a 2-core machine takes about an hour at N = 5,000, so the bench plays the
 * two runs whose payloads depend on N and stops: the FIRST run of a fresh N-episode eval (its input
 * holds the plan) up to its continue-as-new (whose input carries the state), and the LAST run, started
 * from the state a real run hands over after N - `perRun` finished episodes (one failed, a few gaps
 * from out-of-order finishes), played to the end (its result). Every payload of both runs' histories
 * and of their episodes' histories is measured. Beside them, in the same run, the size the 0.1 eval
 * carried for the same eval (the plan as a list plus one outcome per finished episode, as it wrote
 * them) is computed from the same outcomes: the baseline the ratio is against.
 *
 * Usage: `npx ts-node --transpile-only bench/eval-payload.ts [--episodes 5000] [--per-run 100]`;
 * writes bench/results/eval-payload.{json,md}.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startOrAttachEval } from '../src/eval/client';
import { addOutcome, NO_TOTALS, rangesOf, type EvalState } from '../src/episode/eval-state';
import type { SlimOutcome } from '../src/episode/eval-outcome';
import { evalEpisodeId, type EvalInput } from '../src/episode/eval-records';
import type { EvalPlanEpisode } from '../src/episode/eval-types';
import { BuiltinTextEnv, BUILTIN_TASKS, goldSubtasks } from '../src/envs/builtin';
import { ExpertRouterClient } from '../src/llm/expert-router';
import { startDevServer } from '../src/server/dev-server';
import { freePort } from '../src/server/ports';
import { bundleWorkflows, createStepHrlWorker } from '../src/worker';
import { evalProgressQuery } from '../src/workflows/eval';
import { resolveSharedConfig } from '../src/agent/config';
import { compactPlan } from '../src/episode/eval-state';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Largest payload (bytes of its data) and its place, over the histories of `ids`. */
async function largestPayload(client: Client, ids: Array<{ workflowId: string; runId?: string }>) {
  let largest = { bytes: 0, where: '' };
  let events = 0;
  for (const { workflowId, runId } of ids) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    events += history.events?.length ?? 0;
    for (const event of history.events ?? []) {
      const visit = (node: unknown, where: string): void => {
        if (!node || typeof node !== 'object') return;
        const data = (node as { data?: Uint8Array }).data;
        if (data instanceof Uint8Array && data.length > largest.bytes) largest = { bytes: data.length, where };
        for (const [k, v] of Object.entries(node)) if (k !== 'data') visit(v, where);
      };
      const type = Object.keys(event).find((k) => k.endsWith('EventAttributes') && (event as never)[k]) ?? '?';
      visit(event, `${workflowId}: ${type}`);
    }
  }
  return { ...largest, events };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const total = arg('episodes', 5000);
  const perRun = arg('per-run', 100);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bench-eval-payload-'));
  const temporal = await startDevServer({ dataDir, port: await freePort() });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const workerConnection = await NativeConnection.connect({ address: temporal.address });
  const episodes: EvalPlanEpisode[] = Array.from({ length: total }, (_, i) => {
    const task = BUILTIN_TASKS[Math.floor(i / Math.ceil(total / BUILTIN_TASKS.length))]!;
    return { spec: { env: 'builtin' as const, task, variation: i }, group: task };
  });
  const specs = new Map<string, EvalPlanEpisode['spec']>();
  const taskQueue = `bench-eval-payload-${Date.now()}`;
  const worker = await createStepHrlWorker({
    connection: workerConnection,
    namespace: temporal.namespace,
    taskQueue,
    workflowBundle: await bundleWorkflows(),
    envFactory: () => new BuiltinTextEnv(),
    llm: new ExpertRouterClient({
      specOf: (id) => specs.get(id),
      planOf: async (s) => goldSubtasks(s),
      profile: 'chat',
    }),
  });
  const running = worker.run();
  const t0 = Date.now();
  try {
    const base: EvalInput = {
      agent: 'step-hrl',
      selection: `builtin ${total}`,
      env: 'builtin',
      config: resolveSharedConfig({ maxSteps: 50 }),
      plan: compactPlan(episodes),
      concurrency: 16,
      episodesPerRun: perRun,
    };
    // First run: fresh, up to its continue-as-new.
    const firstId = 'bench-eval-payload-first';
    for (let i = 0; i < total; i++) specs.set(evalEpisodeId(firstId, i), episodes[i]!.spec);
    const first = await startOrAttachEval(client, firstId, base, taskQueue);
    const firstRunId = (await first.handle.describe()).runId;
    for (;;) {
      const p = await first.handle.query(evalProgressQuery);
      if (p.runs >= 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await first.handle.terminate('bench: the first run and its continue-as-new are measured');
    const firstEpisodes = Array.from({ length: perRun + 16 }, (_, i) => ({ workflowId: evalEpisodeId(firstId, i) }));
    const firstRun = await largestPayload(client, [{ workflowId: firstId, runId: firstRunId }]);
    const firstChildren = await largestPayload(client, firstEpisodes.slice(0, 20));
    console.error(`first run measured (${((Date.now() - t0) / 1000).toFixed(0)} s)`);

    // Last run: from the state after total - perRun finished (gaps and one failure, as real runs leave).
    const lastId = 'bench-eval-payload-last';
    for (let i = 0; i < total; i++) specs.set(evalEpisodeId(lastId, i), episodes[i]!.spec);
    const level = { calls: 12, prompt: 4800, completion: 240 };
    const finishedIndexes = Array.from({ length: total - perRun }, (_, i) => i).filter((i) => i % 997 !== 5);
    const outcomes: SlimOutcome[] = finishedIndexes.map((index) => ({
      index,
      episodeId: evalEpisodeId(lastId, index),
      status: index === 7 ? 'failed' : 'env-done',
      score: index === 7 ? 0 : 100,
      won: index !== 7,
      steps: 9,
      tokens: { high: level, low: level, progress: level },
      spentTokens: 15_120,
      redrives: 0,
      ...(index === 7 && { error: 'activity task failed: env server answered 500 (example failure text)' }),
    }));
    const state: EvalState = {
      runs: Math.ceil((total - perRun) / perRun),
      finished: rangesOf(finishedIndexes),
      failed: rangesOf([7]),
      totals: outcomes.reduce(addOutcome, NO_TOTALS),
    };
    const last = await startOrAttachEval(client, lastId, { ...base, state }, taskQueue);
    const lastRunId = (await last.handle.describe()).runId;
    const result = await last.handle.result();
    const lastRun = await largestPayload(client, [{ workflowId: lastId, runId: lastRunId }]);
    console.error(`last run measured (${((Date.now() - t0) / 1000).toFixed(0)} s)`);

    // Baseline: what the 0.1 eval carried for the same eval at the same point.
    const legacyInput = {
      ...base,
      plan: undefined,
      episodes,
      config: { maxSteps: 50 },
      state: { outcomes, runs: state.runs },
    };
    const legacyResult = {
      ...result,
      outcomes: outcomes.map((o) => ({ ...o, spec: episodes[o.index]!.spec, group: episodes[o.index]!.group })),
    };
    const legacyBytes = Buffer.byteLength(JSON.stringify(legacyInput));
    const legacyResultBytes = Buffer.byteLength(JSON.stringify(legacyResult));
    const largest = Math.max(firstRun.bytes, lastRun.bytes, firstChildren.bytes);
    const report = {
      date: new Date().toISOString(),
      episodes: total,
      perRun,
      playedEpisodes: perRun + (result.totals?.done ?? 0) - state.totals!.done,
      seconds: Math.round((Date.now() - t0) / 1000),
      firstRun,
      lastRun,
      episodeHistories: firstChildren,
      largestPayloadBytes: largest,
      resultTotals: result.totals,
      legacyCarriedInputBytes: legacyBytes,
      legacyResultBytes,
      evalOwnLargestBytes: Math.max(firstRun.bytes, lastRun.bytes),
      ratioLegacyToEvalOwn: legacyBytes / Math.max(firstRun.bytes, lastRun.bytes),
    };
    const out = path.join(__dirname, 'results');
    writeFileSync(path.join(out, 'eval-payload.json'), `${JSON.stringify(report, null, 2)}\n`);
    const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
    writeFileSync(
      path.join(out, 'eval-payload.md'),
      [
        `# Eval payload sizes: ${total} built-in episodes`,
        '',
        `Measured ${report.date.slice(0, 10)} with \`npx ts-node --transpile-only bench/eval-payload.ts --episodes ${total} --per-run ${perRun}\``,
        `(embedded server, scripted expert, ${report.seconds} s). Real runs: the first run of a fresh eval up to its`,
        `continue-as-new, and the last run from the state a run hands over after ${total - perRun} finished, played to the end.`,
        '',
        '| what | largest payload | where | events |',
        '| --- | --- | --- | --- |',
        `| first run (input = plan, continue-as-new input = state) | ${kb(firstRun.bytes)} | ${firstRun.where} | ${firstRun.events} |`,
        `| last run (input = state, result = totals) | ${kb(lastRun.bytes)} | ${lastRun.where} | ${lastRun.events} |`,
        `| episode histories (20 of the first run) | ${kb(firstChildren.bytes)} | ${firstChildren.where} | ${firstChildren.events} |`,
        `| **largest of all** | **${kb(largest)}** | | |`,
        '',
        `Baseline, computed in the same run from the same outcomes: the 0.1 eval carried the plan as a list and one`,
        `outcome per finished episode in every continue-as-new input: ${kb(legacyBytes)} at this point (its result:`,
        `${kb(legacyResultBytes)}), over Temporal's 2 MB payload limit from about 4,000 episodes. The eval's own largest payload now: ${kb(report.evalOwnLargestBytes)}, ${report.ratioLegacyToEvalOwn.toFixed(0)}x smaller; the largest
`,
        `payload of all is an episode's subtask result, the same size whatever N is.`,
        '',
      ].join('\n'),
    );
    console.log(`largest payload ${kb(largest)}; 0.1 carried ${kb(legacyBytes)}`);
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await workerConnection.close();
    await temporal.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
