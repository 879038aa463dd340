/**
 * The project's own client, unchanged, against the trainer's OpenAI-compatible server
 * (`python -m step_hrl_trainer.serve`, issue 19 item 5): `step-hrl eval --llm openai --profile paper`
 * on a built-in task, served by a tiny random model. The eval finishes without a model error, and
 * the tokens it records are exactly the tokens the server reports having processed (usage flows
 * from the server's `usage` field, not the client's estimate).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readResults } from '../../../src/eval/write';
import { freePort } from '../../../src/server/ports';
import { ROOT, cleanEnv, ensureBuilt, processesMentioning, runCli } from '../../support/cli-harness';

/** The trainer's venv Python (installed by scripts/setup-trainer.sh, part of setup). */
const PYTHON = process.env['STEP_HRL_TRAINER_PYTHON'] ?? path.join(ROOT, '.tools', 'trainer-venv', 'bin', 'python');
const MODEL = 'tiny-policy';
const TINY_BASE = JSON.stringify({
  kind: 'tiny',
  vocab_size: 512,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 4096,
  seed: 0,
});

interface Health {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}

let dataDir: string;
let server: ChildProcess | undefined;
let baseURL: string;

async function health(): Promise<Health> {
  const res = await fetch(`${baseURL.replace(/\/v1$/, '')}/health`);
  return (await res.json()) as Health;
}

beforeAll(async () => {
  ensureBuilt();
  if (!existsSync(PYTHON))
    throw new Error(`${PYTHON} is missing: run \`bash scripts/setup.sh\` (installs the trainer)`);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-serve-eval-'));
  const port = await freePort();
  baseURL = `http://127.0.0.1:${port}/v1`;
  const args = ['-m', 'step_hrl_trainer.serve', '--base', TINY_BASE, '--port', String(port), '--model-name', MODEL];
  server = spawn(PYTHON, [...args, '--threads', '1'], {
    cwd: path.join(ROOT, 'trainer'),
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited ${server.exitCode}: ${output}`);
    try {
      await health();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`the server did not answer /health within 120 s: ${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}, 180_000);

afterAll(() => {
  if (server?.pid && server.exitCode === null) server.kill('SIGKILL');
  for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('step-hrl eval --profile paper runs against the served model; its tokens are the server’s', async () => {
  const out = path.join(dataDir, 'results');
  const args = ['eval', '--env', 'builtin', '--tasks', 'boil-water', '--limit', '1', '--max-steps', '3'];
  args.push('--llm', 'openai', '--profile', 'paper', '--concurrency', '1', '--json', '--out', out);
  args.push('--port', String(await freePort()), '--data-dir', dataDir);
  const env = cleanEnv({ OPENAI_BASE_URL: baseURL, STEP_HRL_MODEL: MODEL });

  const run = await runCli(args, env, 600_000);
  expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) });

  const { table } = await readResults(out);
  expect(table.done).toBe(1);
  expect(table.mean).toMatchObject({ episodes: 1, failed: 0, errored: 0, meanSteps: 3 });
  expect(table.mean.tokens.high?.calls).toBeGreaterThanOrEqual(1);
  expect(table.mean.tokens.low?.calls).toBeGreaterThanOrEqual(3);
  // Every token the eval recorded came from the server's `usage` (a client-side estimate would differ).
  const served = await health();
  expect(served.requests).toBeGreaterThanOrEqual(4);
  expect(table.mean.spentTokens).toBe(served.prompt_tokens + served.completion_tokens);
}, 660_000);
