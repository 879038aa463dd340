/**
 * Issue 12's must-show at full size: a 1,000-step built-in episode with the bounded high level (the
 * `chat` profile's default window) against a 50-step one, and the same two lengths unbounded
 * (`highLevelWindow` 0), on a real Temporal dev server with the looping scripted policy of
 * `tests/server/workflows/bounded-high-level.test.ts` (which runs a 200-step version in CI).
 * Writes bench/results/bounded-high-level.{json,md}. Run: `npm run bench:bounded`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_HIGH_LEVEL_WINDOW } from '../src/agent/config';
import { startDevServer } from '../src/server/dev-server';
import { freePort } from '../src/server/ports';
import { largestPrompt } from '../tests/support/bounded-episode';
import { connectTestTemporal } from '../tests/support/temporal';

const RESULTS = path.join(__dirname, 'results');
const LENGTHS = [50, 1000] as const;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bench-bounded-'));
  const server = await startDevServer({ dataDir, port: await freePort() });
  process.env.STEP_HRL_TEST_TEMPORAL_ADDRESS = server.address; // the test helpers connect here
  const t = await connectTestTemporal();
  const started = Date.now();
  const rows: { window: number; steps: number; subtasks: number; largestChars: number; largestTokens: number }[] = [];
  try {
    for (const window of [DEFAULT_HIGH_LEVEL_WINDOW, 0]) {
      for (const steps of LENGTHS) {
        const t0 = Date.now();
        const m = await largestPrompt(t, steps, window);
        if (m.result.steps !== steps) throw new Error(`episode ended after ${m.result.steps} of ${steps} steps`);
        rows.push({
          window,
          steps,
          subtasks: m.result.subtasks.length,
          largestChars: m.chars,
          largestTokens: m.tokens,
        });
        console.log(
          `window ${window}, ${steps} steps: largest prompt ${m.tokens} tokens (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
        );
      }
    }
  } finally {
    await t.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const ratio = (window: number) => {
    const [short, long] = LENGTHS.map((n) => rows.find((r) => r.window === window && r.steps === n)!);
    return { chars: long!.largestChars / short!.largestChars, tokens: long!.largestTokens / short!.largestTokens };
  };
  const bounded = ratio(DEFAULT_HIGH_LEVEL_WINDOW);
  const unbounded = ratio(0);
  const result = {
    generated: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    rows,
    ratio1000to50: { bounded, unbounded },
    goalMet: bounded.chars <= 1.1 && bounded.tokens <= 1.1,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'bounded-high-level.json'), JSON.stringify(result, null, 2) + '\n');
  const md = [
    '# Bounded high level: largest prompt of a 1,000-step episode against a 50-step one',
    '',
    `Generated ${result.generated} by \`npm run bench:bounded\` in ${result.seconds} s: built-in env (deliver-apple, never`,
    'ending first), chat profile, a looping scripted policy issuing a subtask every 4 steps (250 subtasks in 1,000 steps),',
    'real Temporal dev server and worker. Tokens by the project tokenizer over every prompt sent.',
    '',
    '| high-level window | steps | subtasks | largest prompt (chars) | largest prompt (tokens) |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.window === 0 ? 'unbounded (0)' : r.window} | ${r.steps} | ${r.subtasks} | ${r.largestChars} | ${r.largestTokens} |`,
    ),
    '',
    `- Bounded (window ${DEFAULT_HIGH_LEVEL_WINDOW}): 1,000 steps / 50 steps = ${bounded.chars.toFixed(3)}x chars, ` +
      `${bounded.tokens.toFixed(3)}x tokens — goal (within 10%) ${result.goalMet ? 'met' : 'NOT met'}.`,
    `- Unbounded: ${unbounded.chars.toFixed(2)}x chars, ${unbounded.tokens.toFixed(2)}x tokens (the "Historical subtasks" list grows).`,
    '',
  ].join('\n');
  writeFileSync(path.join(RESULTS, 'bounded-high-level.md'), md);
  console.log(md);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
