/**
 * Load benchmark: N concurrent episodes (default 128) on real ALFWorld games, one env server, one
 * `step-hrl worker` process and a slow serial LLM (see tests/support/load-harness.ts). Starts its
 * own Temporal dev server in a temp data dir. Writes bench/results/load.json and load.md.
 * Run: npx ts-node bench/load.ts [--episodes 128] [--max-steps 4] [--llm-latency-ms 100] [--split valid_seen]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../src/server/dev-server';
import { freePort } from '../src/server/ports';
import { loadMarkdown, runLoad } from '../tests/support/load-harness';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const episodes = Number(flag('episodes', '128'));
  const maxSteps = Number(flag('max-steps', '4'));
  const llmLatencyMs = Number(flag('llm-latency-ms', '100'));
  const split = flag('split', 'valid_seen');
  console.log(
    `load: ${episodes} ALFWorld episodes (${split}), ${maxSteps} steps each, serial LLM ${llmLatencyMs} ms/call`,
  );
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bench-load-'));
  const temporal = await startDevServer({ dataDir, port: await freePort() });
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const result = await runLoad({
      client: new Client({ connection }),
      temporalAddress: temporal.address,
      episodes,
      maxSteps,
      llmLatencyMs,
      split,
    });
    const out = path.join(__dirname, 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'load.json'), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(path.join(out, 'load.md'), loadMarkdown(result));
    console.log(loadMarkdown(result));
  } finally {
    await connection.close();
    await temporal.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
