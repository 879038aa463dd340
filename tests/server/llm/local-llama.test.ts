/**
 * The embedded local model, for real: node-llama-cpp loads a GGUF installed by
 * `scripts/setup-model.sh` in a child process, chat output is grammar-constrained JSON that
 * validates against a zod schema, raw completions stop at stop sequences, usage is counted by
 * the model's tokenizer, and a missing model file fails with the path and the fix.
 *
 * Runs on the tiny SmolLM2-135M model when installed (fast on 2 shared cores), else on the
 * default model; STEP_HRL_TEST_MODEL_PATH picks another GGUF.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { LocalLlamaClient, sharedLocalLlamaClient } from '../../../src/llm/local-llama';
import {
  DEFAULT_LOCAL_MODEL_FILE,
  localModelsDir,
  resolveLocalModelPath,
  TINY_LOCAL_MODEL_FILE,
} from '../../../src/llm/local-model-files';
import { LlmError } from '../../../src/llm/types';
import { runLlmConformance } from '../../support/llm-conformance';

const modelPath =
  process.env.STEP_HRL_TEST_MODEL_PATH ??
  [TINY_LOCAL_MODEL_FILE, DEFAULT_LOCAL_MODEL_FILE]
    .map((f) => path.join(localModelsDir(), f))
    .find((p) => fs.existsSync(p)) ??
  path.join(localModelsDir(), TINY_LOCAL_MODEL_FILE);

const quiet = { log: () => undefined, progress: false };

runLlmConformance({
  name: 'LocalLlamaClient',
  create: async () => {
    const client = new LocalLlamaClient({ modelPath, ...quiet });
    await client.load();
    return client;
  },
  destroy: (client) => client.close(),
  deterministicAtZeroTemperature: true,
});

describe('LocalLlamaClient', () => {
  const logs: string[] = [];
  const client = new LocalLlamaClient({ modelPath, progress: false, log: (line) => logs.push(line) });
  afterAll(() => client.close());

  it('loads the model once and logs one line naming path, size and quantization', async () => {
    const [a, b] = await Promise.all([client.load(), client.load()]);
    expect(b).toBe(a);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(modelPath);
    expect(logs[0]).toMatch(/\d+(\.\d+)? (MiB|GiB)/);
    expect(logs[0]).toContain(a.quantization);
    expect(a.quantization).toMatch(/^Q\d/);
    expect(a.sizeBytes).toBeGreaterThan(0);
    expect(client.modelId).toBe(`local/${path.basename(modelPath, '.gguf')}`);
  });

  it('constrains chat output to a zod-generated JSON schema', async () => {
    const Step = z.object({
      action: z.string(),
      subtaskDone: z.boolean(),
      direction: z.enum(['north', 'south', 'east', 'west']),
    });
    const res = await client.complete({
      role: 'low',
      messages: [
        { role: 'system', content: 'You control a player in a text game. Reply with JSON only.' },
        { role: 'user', content: 'Subtask: leave the room.\nObservation: Exits are north and east.\nNext step?' },
      ],
      jsonSchema: z.toJSONSchema(Step) as Record<string, unknown>,
      maxTokens: 48,
    });
    const parsed = Step.safeParse(JSON.parse(res.text));
    expect(parsed.success).toBe(true);
    expect(res.usage.source).toBe('tokenizer');
    expect(res.usage.promptTokens).toBeGreaterThan(20);
    expect(res.usage.completionTokens).toBeGreaterThan(0);
    expect(res.usage.completionTokens).toBeLessThanOrEqual(48);
    expect(res.latencyMs).toBeGreaterThan(0);
    expect(res.model).toBe(client.modelId);
  });

  it('cuts raw completions at the stop sequence and caps them at maxTokens', async () => {
    const stopped = await client.complete({
      role: 'low',
      prompt: 'Count: 1, 2, 3, 4, 5, 6, 7, 8,',
      stop: [','],
      maxTokens: 8,
    });
    expect(stopped.text).not.toContain(',');
    expect(stopped.text.trim()).toBe('9');

    const capped = await client.complete({ role: 'low', prompt: 'Count: 1, 2, 3, 4, 5,', maxTokens: 4 });
    expect(capped.usage.completionTokens).toBe(4);
    expect(capped.usage.promptTokens).toBeGreaterThan(5);
  });

  it('rejects a prompt that cannot fit the context window, naming the fix', async () => {
    const small = new LocalLlamaClient({ modelPath, contextSize: 256, ...quiet });
    try {
      const err: unknown = await small
        .complete({ role: 'low', prompt: 'word '.repeat(400), maxTokens: 8 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LlmError);
      expect((err as LlmError).retryable).toBe(false);
      expect((err as Error).message).toMatch(/context of 256 tokens.*contextSize/);
    } finally {
      await small.close();
    }
  });

  it('sharedLocalLlamaClient returns one client per model and settings', () => {
    const a = sharedLocalLlamaClient({ modelPath, ...quiet });
    expect(sharedLocalLlamaClient({ modelPath, ...quiet })).toBe(a);
    expect(sharedLocalLlamaClient({ modelPath, contextSize: 1024, ...quiet })).not.toBe(a);
  });
});

describe('LocalLlamaClient model path', () => {
  it('fails with the missing path and the fix, without retry', async () => {
    const missing = path.join(localModelsDir(), 'no-such-model.gguf');
    const client = new LocalLlamaClient({ modelPath: missing, ...quiet });
    const err: unknown = await client.complete({ role: 'high', prompt: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).retryable).toBe(false);
    expect((err as Error).message).toContain(missing);
    expect((err as Error).message).toContain('npm run setup');
    expect((err as Error).message).toContain('STEP_HRL_MODEL_PATH');
  });

  it('resolves option over STEP_HRL_MODEL_PATH over the installed default', () => {
    expect(resolveLocalModelPath('/m/a.gguf', { STEP_HRL_MODEL_PATH: '/m/b.gguf' })).toBe('/m/a.gguf');
    expect(resolveLocalModelPath(undefined, { STEP_HRL_MODEL_PATH: '/m/b.gguf' })).toBe('/m/b.gguf');
    expect(resolveLocalModelPath(undefined, { STEP_HRL_TOOLS_DIR: '/t' })).toBe(
      `/t/models/${DEFAULT_LOCAL_MODEL_FILE}`,
    );
  });
});
