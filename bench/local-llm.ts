/**
 * Embedded local model speed on this machine: load time, prompt-processing and generation
 * tokens/s, and per-call latency for a STEP-HRL-sized low-level policy call (~400 prompt tokens,
 * 32 generated, JSON-schema constrained), through the same LocalLlamaClient the worker uses.
 *
 *   npx ts-node bench/local-llm.ts [--reps N] [--threads N] [--model PATH ...]
 *
 * Writes bench/results/local-llm.json and bench/results/local-llm.md. Every measured prompt starts
 * with a unique line, so no call reuses another's KV cache (cold prompt, the worst case).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalLlamaClient } from '../src/llm/local-llama';
import { DEFAULT_LOCAL_MODEL_FILE, localModelsDir, TINY_LOCAL_MODEL_FILE } from '../src/llm/local-model-files';
import type { LlmRequest } from '../src/llm/types';

interface CallSample {
  promptTokens: number;
  completionTokens: number;
  /** Latency of a 1-token call: prompt processing (plus one sampled token). */
  prefillMs: number;
  /** Latency of the full call with maxTokens 32. */
  callMs: number;
}

interface ModelResult {
  modelId: string;
  file: string;
  sizeBytes: number;
  quantization: string;
  threads: number;
  loadMs: number;
  samples: CallSample[];
  /** The text of the last 32-token call, to see what the model answers. */
  sampleText: string;
  median: {
    promptTokens: number;
    completionTokens: number;
    prefillMs: number;
    callMs: number;
    promptTokensPerSec: number;
    genTokensPerSec: number;
  };
}

const SCHEMA = {
  type: 'object',
  properties: { action: { type: 'string' }, subtask_done: { type: 'boolean' } },
  required: ['action', 'subtask_done'],
  additionalProperties: false,
};

/** A low-level policy request shaped like the STEP-HRL prompt (subtask, local progress, last transition). */
function stepHrlRequest(nonce: number, maxTokens: number): LlmRequest {
  const inventory = ['a mug', 'a key', 'a apple', 'a knife', 'a towel', 'a soapbar', 'a pen', 'a book'];
  const seen = Array.from(
    { length: 8 },
    (_, i) => `a ${['cabinet', 'drawer', 'shelf', 'countertop'][i % 4]} ${i + 1}`,
  ).join(', ');
  return {
    role: 'low',
    maxTokens,
    temperature: 0,
    jsonSchema: SCHEMA,
    messages: [
      {
        role: 'system',
        content:
          `Run ${nonce}. You are the low-level policy of a hierarchical agent in a household text game. ` +
          'Given the current subtask, the local progress summary and the last transition, output the next ' +
          'environment action and whether the subtask is now complete. Use only admissible commands such as ' +
          '"go to X", "open X", "close X", "take X from Y", "put X in/on Y", "clean X with Y", "heat X with Y", ' +
          '"cool X with Y", "use X", "examine X", "inventory", "look". Reply with a JSON object ' +
          '{"action": string, "subtask_done": boolean} and nothing else.',
      },
      {
        role: 'user',
        content:
          'Task: put a clean mug in coffeemachine.\n' +
          'Completed subtasks: find a mug; take the mug.\n' +
          'Current subtask: clean the mug with the sinkbasin.\n' +
          `Local progress: The agent took mug 1 from countertop 2 and carries it. It has visited ${seen}. ` +
          'The sinkbasin has not been visited yet; the mug is still dirty. ' +
          `Inventory holds ${inventory.slice(0, 2).join(' and ')}.\n` +
          'Last transition:\n' +
          '  observation: You are in the middle of a room. Looking quickly around you, you see ' +
          `${seen}, a coffeemachine 1, a fridge 1, a garbagecan 1, a microwave 1, a sinkbasin 1, a stoveburner 1, ` +
          'and a toaster 1.\n' +
          '  action: take mug 1 from countertop 2\n' +
          '  next observation: You pick up the mug 1 from the countertop 2.\n' +
          '  reward: 0\n' +
          `Admissible actions: go to sinkbasin 1, go to coffeemachine 1, go to fridge 1, examine mug 1, ` +
          `inventory, look, put mug 1 in/on countertop 2, ${inventory.map((x) => `examine ${x.slice(2)} 1`).join(', ')}.\n` +
          'Next action?',
      },
    ],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function arg(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => {
    if (a === name && process.argv[i + 1]) out.push(process.argv[i + 1]!);
  });
  return out;
}

async function benchModel(modelPath: string, reps: number, threads: number): Promise<ModelResult> {
  const client = new LocalLlamaClient({ modelPath, threads });
  try {
    const info = await client.load();
    await client.complete(stepHrlRequest(-1, 4)); // warm-up: grammar compile, page-in of the weights
    const samples: CallSample[] = [];
    let sampleText = '';
    for (let r = 0; r < reps; r++) {
      const prefill = await client.complete(stepHrlRequest(2 * r, 1));
      const call = await client.complete(stepHrlRequest(2 * r + 1, 32));
      sampleText = call.text;
      samples.push({
        promptTokens: call.usage.promptTokens,
        completionTokens: call.usage.completionTokens,
        prefillMs: prefill.latencyMs,
        callMs: call.latencyMs,
      });
      process.stderr.write(
        `  ${client.modelId} rep ${r + 1}/${reps}: prefill ${prefill.latencyMs} ms, call ${call.latencyMs} ms\n`,
      );
    }
    const m = {
      promptTokens: median(samples.map((s) => s.promptTokens)),
      completionTokens: median(samples.map((s) => s.completionTokens)),
      prefillMs: median(samples.map((s) => s.prefillMs)),
      callMs: median(samples.map((s) => s.callMs)),
    };
    const genMs = Math.max(1, m.callMs - m.prefillMs);
    return {
      modelId: client.modelId,
      file: path.basename(modelPath),
      sizeBytes: info.sizeBytes,
      quantization: info.quantization,
      threads,
      loadMs: info.loadMs,
      samples,
      sampleText,
      median: {
        ...m,
        promptTokensPerSec: +(m.promptTokens / (m.prefillMs / 1000)).toFixed(1),
        genTokensPerSec: +((m.completionTokens - 1) / (genMs / 1000)).toFixed(1),
      },
    };
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const reps = Number(arg('--reps')[0] ?? 3);
  const threads = Number(arg('--threads')[0] ?? Math.min(2, os.availableParallelism()));
  const requested = arg('--model');
  const models = requested.length
    ? requested.map((p) => path.resolve(p))
    : [DEFAULT_LOCAL_MODEL_FILE, TINY_LOCAL_MODEL_FILE]
        .map((f) => path.join(localModelsDir(), f))
        .filter((p) => fs.existsSync(p));
  if (models.length === 0)
    throw new Error('no local model installed; run `npm run setup` (or bash scripts/setup-model.sh) first');

  const loadBefore = os.loadavg();
  const results: ModelResult[] = [];
  for (const m of models) results.push(await benchModel(m, reps, threads)); // one model process at a time
  const machine = {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    // Other work on a shared machine slows every number here; the load average says how much.
    loadAvg1mBefore: +loadBefore[0]!.toFixed(2),
    loadAvg1mAfter: +os.loadavg()[0]!.toFixed(2),
  };
  const out = { benchmark: 'local-llm', date: new Date().toISOString(), reps, machine, results };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'local-llm.json'), `${JSON.stringify(out, null, 2)}\n`);

  const rows = results.map(
    (r) =>
      `| ${r.modelId} | ${r.quantization} | ${(r.sizeBytes / 2 ** 20).toFixed(0)} MiB | ${r.threads} | ${(r.loadMs / 1000).toFixed(1)} s | ` +
      `${r.median.promptTokens} | ${r.median.promptTokensPerSec} | ${r.median.completionTokens} | ${r.median.genTokensPerSec} | ` +
      `${(r.median.prefillMs / 1000).toFixed(2)} s | ${(r.median.callMs / 1000).toFixed(2)} s |`,
  );
  const md = [
    '# Local LLM speed (bench/local-llm.ts)',
    '',
    `${out.date}: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memGiB} GiB, Node ${machine.node}; ` +
      `1-min load average ${machine.loadAvg1mBefore} before, ${machine.loadAvg1mAfter} after (other work shares these cores).`,
    '',
    `One STEP-HRL low-level policy call: chat template + JSON-schema grammar, cold prompt (no KV reuse), ` +
      `maxTokens 32, temperature 0, through LocalLlamaClient (child-process host). Medians of ${reps} runs.`,
    '',
    '| model | quant | size | threads | load | prompt tok | prompt tok/s | gen tok | gen tok/s | prefill latency | call latency |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...results.map((r) => `${r.modelId} answered: \`${r.sampleText.replace(/\s+/g, ' ')}\``),
    '',
    'prompt tok/s = prompt tokens / latency of the same request with maxTokens 1; gen tok/s = (generated - 1) / ' +
      '(call latency - prefill latency). The JSON object may end before 32 tokens (the grammar closes it).',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'local-llm.md'), md);
  process.stdout.write(md);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
