/**
 * Drives `step-hrl train` (the compiled CLI, its supervised Python worker) on the tiny CPU config
 * and kills the Python worker with SIGKILL at chosen optimizer steps, for the kill-and-resume tests
 * (issue 19, "Kill and resume"). Steps are read from the stage's metrics.jsonl, which the trainer
 * appends after every optimizer step and truncates back to the checkpoint when it resumes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cleanEnv, processesMentioning, ROOT, spawnCli } from './cli-harness';

/** Python of the trainer venv (the tests skip without it). */
export const TRAINER_PYTHON = path.join(ROOT, '.tools', 'trainer-venv', 'bin', 'python');

/** Whether the trainer's venv is installed (`bash scripts/setup-trainer.sh`). */
export function trainerInstalled(): boolean {
  return existsSync(TRAINER_PYTHON);
}

/**
 * Writes the trainer's fixture dataset and a tiny config on it under `dir`: 6 optimizer steps per
 * epoch, `bcEpochs` and `rlEpochs` epochs. Returns the config's path.
 */
export function writeTinyRun(dir: string, bcEpochs = 2, rlEpochs = 2): string {
  mkdirSync(dir, { recursive: true });
  const data = path.join(dir, 'data');
  const made = spawnSync(
    TRAINER_PYTHON,
    [
      '-c',
      `import sys; sys.path[:0] = ['trainer/tests', 'trainer']; from fixture_data import write_dataset; write_dataset(${JSON.stringify(data)})`,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`fixture dataset: ${made.stderr}`);
  const tiny = readFileSync(path.join(ROOT, 'trainer', 'configs', 'tiny-test.yaml'), 'utf8')
    .replace(/dataset: .*/, `dataset: ${JSON.stringify(data)}`)
    .replace(/(\nbc:[\s\S]*?epochs: )\d+/, `$1${bcEpochs}`)
    .replace(/(\nrl:[\s\S]*?epochs: )\d+/, `$1${rlEpochs}`);
  const file = path.join(dir, 'tiny.yaml');
  writeFileSync(file, tiny);
  return file;
}

/** Where to kill the worker: once `stage` has run `step` optimizer steps. */
export interface KillPoint {
  stage: 'bc' | 'rl';
  step: number;
}

/** The last optimizer step written to a stage's metrics.jsonl (0 before any). */
export function lastStep(runDir: string, stage: string): number {
  const file = path.join(runDir, stage, 'metrics.jsonl');
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const line = JSON.parse(lines[i]!) as { kind?: string; step?: number };
      if (line.kind === 'train') return line.step ?? 0;
    } catch {
      // a line being written
    }
  }
  return 0;
}

/** What one `step-hrl train` run did. */
export interface TrainOutcome {
  code: number | null;
  output: string;
  /** The step each kill happened at (the last step in metrics.jsonl when the signal was sent). */
  killedAt: KillPoint[];
  runDir: string;
}

/** Runs `step-hrl train` to its end, SIGKILLing its Python worker at each of `kills` (in order). */
export async function trainWithKills(o: {
  id: string;
  config: string;
  dataDir: string;
  address: string;
  kills?: KillPoint[];
  chunkSteps?: number;
  /** Seconds; short enough for a quick retry, long enough for a loaded CI machine. @default 10 */
  heartbeatTimeoutS?: number;
  timeoutMs?: number;
}): Promise<TrainOutcome> {
  const runDir = path.join(o.dataDir, 'runs', o.id);
  const cli = spawnCli(
    [
      'train',
      '--config',
      o.config,
      '--id',
      o.id,
      '--address',
      o.address,
      '--run-dir',
      runDir,
      '--chunk-steps',
      String(o.chunkSteps ?? 4),
      '--heartbeat-timeout',
      String(o.heartbeatTimeoutS ?? 10),
      '--json',
    ],
    cleanEnv(),
  );
  const killedAt: KillPoint[] = [];
  const pending = [...(o.kills ?? [])];
  const deadline = Date.now() + (o.timeoutMs ?? 240_000);
  let done = false;
  void cli.exited.then(() => (done = true));
  while (!done && pending.length > 0 && Date.now() < deadline) {
    const next = pending[0]!;
    const step = lastStep(runDir, next.stage);
    const workers = processesMentioning(`train-${o.id}-py`).filter((p) =>
      p.cmdline.includes('step_hrl_trainer.worker'),
    );
    if (step >= next.step && workers.length > 0) {
      for (const w of workers) process.kill(w.pid, 'SIGKILL');
      killedAt.push({ stage: next.stage, step });
      pending.shift();
      continue;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), Math.max(1000, deadline - Date.now()));
  const { code } = await cli.exited;
  clearTimeout(timer);
  return { code, output: cli.output(), killedAt, runDir };
}

/** The final result line `--json` prints. */
export function resultOf(outcome: TrainOutcome): {
  status: string;
  finals: Record<string, { sha256: Record<string, string | null>; selectedStep: number }>;
} {
  const line = outcome.output
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"workflowId"'));
  if (!line) throw new Error(`no result line; output:\n${outcome.output}`);
  return JSON.parse(line);
}

/**
 * The uninterrupted reference: the trainer's own CLI, one process per stage (no Temporal, no kill).
 * Returns each stage's final sha256s and the run dir.
 */
export function referenceRun(
  runDir: string,
  config: string,
): { finals: Record<string, Record<string, string | null>>; runDir: string } {
  const py = (args: string[]) => {
    const out = spawnSync(TRAINER_PYTHON, ['-W', 'ignore', '-m', 'step_hrl_trainer', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: path.join(ROOT, 'trainer') },
      timeout: 600_000,
    });
    if (out.status !== 0) throw new Error(`step_hrl_trainer ${args.join(' ')}: ${out.stderr}`);
    return JSON.parse(out.stdout) as Record<string, unknown>;
  };
  py(['prepare', runDir, config]);
  const finals: Record<string, Record<string, string | null>> = {};
  for (const stage of ['bc', 'rl']) {
    py(['train', runDir, stage]);
    finals[stage] = py(['finalize', runDir, stage]).sha256 as Record<string, string | null>;
  }
  return { finals, runDir };
}
