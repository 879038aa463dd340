/**
 * `step-hrl train --config <file>`: a durable, exactly-resumable training run (issue 19;
 * src/workflows/training.ts). The config is resolved by the trainer and frozen in the run's input;
 * the run id is derived from it (or `--id`), so re-running the same command after a crash or
 * Ctrl-C resumes the run from its last checkpoint. The training activities run on a Python worker
 * this command starts and restarts if it dies, unless `--task-queue` names a queue served elsewhere
 * (`step-hrl train worker` on a GPU host). `train show <id>` reports a run; see docs/training.md.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { canonicalJson } from '../../llm/cache';
import { defaultDataDir } from '../../server/paths';
import {
  stepsOf,
  trainingProgressQuery,
  type TrainingInput,
  type TrainingProgress,
  type TrainingResult,
  type TrainingState,
  type ServedCheckpoint,
} from '../../episode/training-records';
import { runTrainingJob } from '../../training/job';
import { planEvalStage, servedEvalWorker, type EvaluateSection } from '../../training/eval-stage';
import { withSession, type CliSession } from '../session';
import { resolveTrainingConfig, superviseTrainingWorker, trainerPython } from '../../training/python';
import { SUMMARY_MEMO } from '../../episode/search-attributes';
import type { EvalWorkflowResult } from '../../episode/eval-records';
import { action, program } from '../program';
import { openTemporal, withTemporalOptions, type TemporalCliOptions } from '../temporal';

const train = withTemporalOptions(program.command('train'))
  .description('Train the policy (behaviour cloning, then offline RL) as a durable, resumable run')
  .option('--config <file>', 'training config (YAML or JSON; see docs/training.md)')
  .option('--id <id>', 'run id (default: derived from the resolved config, so the same config resumes the same run)')
  .option(
    '--task-queue <name>',
    'a shared training task queue served by `step-hrl train worker` elsewhere (default: a local worker)',
  )
  .option('--run-dir <dir>', "the run's folder on the training host (default <data dir>/runs/<id>)")
  .option('--chunk-steps <n>', 'optimizer steps per activity (what a killed worker can lose)', '20')
  .option('--heartbeat-timeout <s>', 'seconds without a heartbeat before a chunk is retried elsewhere', '30')
  .option('--json', 'print the result as JSON');

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} ${JSON.stringify(text)} must be a positive integer`);
  return n;
}

function address(temporal: { target: { connectionOptions: { address?: string } } }): string {
  return temporal.target.connectionOptions.address ?? 'localhost:7233';
}

train.action(
  action(async (flags) => {
    if (!flags.config) throw new Error('train needs --config <file> (see docs/training.md), or `train show <id>`');
    const configPath = path.resolve(flags.config);
    const config = resolveTrainingConfig(configPath);
    const sha256 = createHash('sha256').update(canonicalJson(config)).digest('hex');
    const workflowId = flags.id ?? `train-${sha256.slice(0, 16)}`;
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(workflowId))
      throw new Error(`--id ${JSON.stringify(workflowId)}: use 1-100 letters, digits, '.', '_' or '-'`);
    const input: TrainingInput = {
      config,
      configSource: { path: configPath, sha256 },
      runDir: path.resolve(flags.runDir ?? path.join(flags.dataDir ?? defaultDataDir(), 'runs', workflowId)),
      trainingTaskQueue: flags.taskQueue ?? `train-${workflowId}-py`,
      chunkSteps: positiveInt('--chunk-steps', flags.chunkSteps),
      heartbeatTimeoutMs: positiveInt('--heartbeat-timeout', flags.heartbeatTimeout) * 1000,
      model: modelLabel(config),
    };
    await withSession(flags as TemporalCliOptions, (session) => runTraining(session, flags, input, workflowId, sha256));
  }),
);

/** Starts or resumes the run in an open session (its env provider runs the eval stage's episodes). */
async function runTraining(
  session: CliSession,
  flags: { taskQueue?: string; json?: boolean },
  input: TrainingInput,
  workflowId: string,
  sha256: string,
): Promise<void> {
  const { temporal } = session;
  const section = input.config.evaluate as EvaluateSection | undefined;
  const evalWorker = section ? servedEvalWorker(session, workflowId, (line) => console.error(line)) : undefined;
  const bar =
    process.stderr.isTTY && !flags.json
      ? new SingleBar({
          format: 'training {stage} |{bar}| {value}/{total} steps | epoch {epoch} | {metric} | chunks {chunks}',
          hideCursor: true,
        })
      : undefined;
  let barStarted = false;
  const onProgress = (p: TrainingProgress, live?: Record<string, unknown>) => {
    if (!bar || !p.prepared) return;
    const { done, total } = stepsOf(p);
    const liveStep = typeof live?.step === 'number' && live.stage === p.stage ? live.step : undefined;
    const value =
      liveStep !== undefined ? done - (p.last?.stage === p.stage ? (p.last?.step ?? 0) : 0) + liveStep : done;
    const payload = {
      stage: p.phase === 'training' ? (p.stage ?? '') : p.phase,
      epoch: (live?.epoch as number | undefined) ?? p.last?.epoch ?? 0,
      metric: metricText(live ?? p.last?.metrics ?? undefined),
      chunks: p.chunks,
    };
    if (!barStarted) {
      bar.start(total, value, payload);
      barStarted = true;
    }
    bar.setTotal(total);
    bar.update(value, payload);
  };
  let stopping = false;
  const onSigint = () => {
    if (stopping) return;
    stopping = true;
    bar?.stop();
    console.error(`\ninterrupted: run ${workflowId} stays resumable; run the same command again to resume it`);
    // The Python worker gets SIGINT too (same process group): it abandons its chunk at the next step.
    setTimeout(() => process.exit(130), 3000).unref();
  };
  process.once('SIGINT', onSigint);
  try {
    const existing = await describeRun(temporal.client, workflowId);
    const runningSha = (existing?.memo?.[SUMMARY_MEMO] as { configSha256?: string } | undefined)?.configSha256;
    if (existing?.status === 'RUNNING' && runningSha && runningSha !== sha256)
      throw new Error(
        `run ${workflowId} is running with another config (sha256 ${runningSha.slice(0, 12)}, this one ` +
          `${sha256.slice(0, 12)}); pass another --id to start a new run, or cancel it first (\`step-hrl cancel ${workflowId}\`)`,
      );
    if (existing?.status === 'COMPLETED') {
      const done = (await temporal.client.workflow.getHandle(workflowId).result()) as TrainingResult;
      if (done.status === 'finished') {
        console.error(`run ${workflowId} already finished (\`step-hrl train show ${workflowId}\`)`);
        printResult(workflowId, done, Boolean(flags.json));
        return;
      }
    }
    console.error(
      existing
        ? `resuming training run ${workflowId} (${existing.status.toLowerCase()}; run dir ${input.runDir})`
        : `training run ${workflowId} (run dir ${input.runDir}; re-run this command to resume it)`,
    );
    // Planned every time (cheap): a closed run started again needs its input whole.
    if (section) input.evaluate = await planEvalStage(section, workflowId, () => session.envs.serverUrl());
    const result = await runTrainingJob({
      client: temporal.client,
      native: temporal.native,
      namespace: temporal.target.namespace,
      address: address(temporal),
      dataConverter: temporal.dataConverter,
      workflowId,
      input,
      localWorker: !flags.taskQueue,
      onProgress,
      ...(evalWorker && { onServed: (served: ServedCheckpoint) => evalWorker.onServed(served) }),
      onEvent: (line) => {
        bar?.stop();
        barStarted = false;
        console.error(line);
      },
    }).catch((err: unknown) => {
      if (!(err instanceof WorkflowFailedError)) throw err;
      const cause = err.cause?.cause instanceof Error ? err.cause.cause : err.cause;
      throw new Error(
        `training run ${workflowId} failed: ${cause?.message ?? err.message}; fix the cause and run the same ` +
          'command again to resume it from its last checkpoint',
      );
    });
    bar?.stop();
    printResult(workflowId, result, Boolean(flags.json));
    if (result.status !== 'finished') process.exitCode = 1;
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onSigint);
    await evalWorker?.stop();
  }
}

async function describeRun(client: Client, id: string) {
  const d = await client.workflow
    .getHandle(id)
    .describe()
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
  if (d && d.type !== 'trainingWorkflow')
    throw new Error(`${id} is a ${d.type}, not a training run; pass another --id`);
  return d ? { status: d.status.name, memo: d.memo } : undefined;
}

/** The config's base model as a label (`StepHrlModel`). */
function modelLabel(config: Record<string, unknown>): string | undefined {
  const base = config.base as { kind?: string; path?: string } | undefined;
  if (!base?.kind) return undefined;
  return base.path ? `${base.kind}:${path.basename(base.path)}` : base.kind;
}

function metricText(metrics: Record<string, unknown> | undefined): string {
  if (!metrics) return '';
  return Object.entries(metrics)
    .filter(([k, v]) => typeof v === 'number' && /loss|value|q_|v_/i.test(k))
    .slice(0, 3)
    .map(([k, v]) => `${k} ${(v as number).toPrecision(4)}`)
    .join(' ');
}

function printResult(id: string, r: TrainingResult, json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ workflowId: id, ...r }));
    return;
  }
  console.log(`run ${id}: ${r.status}`);
  printStages(r, r.runDir);
  printEvaluation(r);
}

/** The eval stage: its totals once it ended, else where it stands. */
function printEvaluation(s: TrainingState & { evaluation?: unknown; phase?: string }): void {
  if (!s.evalId) return;
  const r = s.evaluation as Partial<EvalWorkflowResult> | undefined;
  const t = r?.totals;
  if (!t) {
    const where = s.served ? ` against ${s.served.baseURL}` : s.phase === 'serving' ? ' (loading the checkpoint)' : '';
    console.log(`  eval ${s.evalId}: running${where}; \`step-hrl eval show ${s.evalId}\` shows it`);
    return;
  }
  const rate = t.done ? (100 * t.won) / t.done : 0;
  const score = t.done ? t.scoreSum / t.done : 0;
  console.log(
    `  eval ${s.evalId} (${r.selection ?? r.split ?? ''}): ${t.done}/${r.total} episodes, ` +
      `won ${t.won} (success ${rate.toFixed(1)}%), mean score ${score.toFixed(2)}${r.cancelled ? ', cancelled' : ''}`,
  );
}

function printStages(s: TrainingState, runDir: string): void {
  for (const [i, stage] of (s.prepared?.stages ?? []).entries()) {
    const total = s.prepared?.totalSteps[stage] ?? 0;
    const final = s.finals[stage];
    const step = final ? total : i === s.stageIndex && s.last?.stage === stage ? s.last.step : 0;
    console.log(`  ${stage}: step ${step}/${total}${final ? ' (finished)' : i === s.stageIndex ? ' (current)' : ''}`);
    if (i === s.stageIndex && s.last?.metrics) console.log(`    last metrics: ${JSON.stringify(s.last.metrics)}`);
    if (final) {
      console.log(`    dev selection: step ${final.selectedStep}${final.dev ? ` ${JSON.stringify(final.dev)}` : ''}`);
      console.log(`    final weights: ${final.final}`);
      for (const [name, hash] of Object.entries(final.sha256)) if (hash) console.log(`      ${name} sha256 ${hash}`);
    }
    const stageDir = path.join(runDir, stage);
    const metrics = path.join(stageDir, 'metrics.jsonl');
    if (existsSync(metrics)) console.log(`    metrics: ${metrics}`);
    for (const png of pngs(stageDir)) console.log(`    curves: ${png}`);
  }
}

function pngs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 2 || !existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'checkpoints' && e.name !== 'snapshots') walk(path.join(d, e.name), depth + 1);
      else if (e.isFile() && e.name.endsWith('.png')) out.push(path.join(d, e.name));
    }
  };
  walk(dir, 0);
  return out.sort();
}

withTemporalOptions(train.command('show'))
  .description('Show a training run: stages, step/total, last metrics, dev selection, final weight hashes, files')
  .argument('<id>', 'training run id')
  .option('--json', 'print a JSON object')
  .action(
    action(async (id: string, flags: TemporalCliOptions & { json?: boolean }) => {
      const temporal = await openTemporal(flags);
      try {
        const d = await describeRun(temporal.client, id);
        if (!d) throw new Error(`no training run with id ${JSON.stringify(id)}; \`step-hrl list\` lists workflows`);
        const handle = temporal.client.workflow.getHandle(id);
        const memo = (d.memo?.[SUMMARY_MEMO] ?? {}) as { runDir?: string };
        let state: (TrainingState & { status: string; runDir: string; phase?: string }) | undefined;
        if (d.status === 'COMPLETED') state = (await handle.result()) as TrainingResult;
        else if (d.status === 'RUNNING')
          state = await Promise.race([
            handle.query(trainingProgressQuery),
            new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000).unref()),
          ]).catch(() => undefined);
        const status = state?.status ?? d.status.toLowerCase();
        if (flags.json) {
          console.log(JSON.stringify({ workflowId: id, temporalStatus: d.status, ...memo, ...state, status }));
          return;
        }
        console.log(`run ${id}: ${status}${state?.phase && status === 'running' ? ` (${state.phase})` : ''}`);
        const runDir = state?.runDir ?? memo.runDir ?? '';
        console.log(`  run dir: ${runDir}`);
        if (state) {
          const { done, total } = stepsOf(state);
          console.log(`  steps: ${done}/${total} over ${state.chunks} chunks`);
          printStages(state, runDir);
          printEvaluation(state);
        } else if (d.status === 'RUNNING') {
          console.log(
            '  progress unavailable: no `step-hrl train` process runs this workflow now; re-run it to resume',
          );
        } else {
          console.log('  the run ended without a result; re-run `step-hrl train` with its config to resume it');
        }
      } finally {
        await temporal.close();
      }
    }),
  );

withTemporalOptions(train.command('worker'))
  .description('Run the Python training worker on a shared task queue (on the GPU host); restarts it if it dies')
  .requiredOption('--task-queue <name>', 'the training task queue `step-hrl train --task-queue` names')
  .action(
    action(async (flags) => {
      trainerPython(); // a clear error before connecting when the venv is missing
      const temporal = await openTemporal(flags as TemporalCliOptions);
      const worker = superviseTrainingWorker({
        taskQueue: flags.taskQueue,
        address: address(temporal),
        namespace: temporal.target.namespace,
      });
      const stop = new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      try {
        await worker.ready;
        console.error(`training worker polling ${flags.taskQueue}; Ctrl-C stops it (a chunk in flight resumes later)`);
        await Promise.race([stop, worker.failed]);
      } finally {
        await worker.stop();
        await temporal.close();
      }
    }),
  );
