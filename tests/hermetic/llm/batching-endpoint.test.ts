/**
 * The simulated batching endpoint of the throughput bench: the latency model interpolates the
 * measured GPU table, and calls arriving while a batch runs form the next batch (static batching,
 * capped), counted at the endpoint. No timing assertions: batch formation and counts only.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { BatchingEndpoint, BatchScheduler } from '../../support/batching-endpoint';
import { GpuCostModel, interpolate, readGpuCostTable, type GpuCostCell } from '../../support/gpu-cost-table';

const cell = (prompt: number, n: number, batch: number, s: number): GpuCostCell => ({ prompt, new: n, batch, s });

describe('GPU cost model', () => {
  const model = new GpuCostModel([
    cell(512, 8, 1, 0.2),
    cell(512, 8, 16, 0.4),
    cell(512, 8, 64, 1.0),
    cell(512, 48, 1, 1.0),
    cell(512, 48, 16, 1.4),
    cell(512, 48, 64, 2.0),
    cell(1024, 8, 1, 0.3),
    cell(1024, 8, 16, 0.8),
    cell(1024, 8, 64, 2.0),
    cell(1024, 48, 1, 1.2),
    cell(1024, 48, 16, 1.6),
    cell(1024, 48, 64, 3.0),
  ]);

  it('returns measured cells exactly', () => {
    expect(model.seconds(512, 8, 16)).toBeCloseTo(0.4);
    expect(model.seconds(1024, 48, 64)).toBeCloseTo(3.0);
  });

  it('interpolates linearly in batch size, new tokens and prompt length', () => {
    expect(model.seconds(512, 8, 40)).toBeCloseTo(0.7); // halfway between batch 16 and 64
    expect(model.seconds(512, 28, 1)).toBeCloseTo(0.6); // halfway between 8 and 48 new tokens
    expect(model.seconds(768, 8, 64)).toBeCloseTo(1.5); // halfway between prompt 512 and 1024
  });

  it('clamps below the table and extrapolates above it', () => {
    expect(model.seconds(100, 1, 1)).toBeCloseTo(0.2); // shorter prompt, fewer tokens: the smallest cell
    expect(model.seconds(512, 8, 128)).toBeCloseTo(2.0); // beyond the largest batch: same time per call
    expect(model.seconds(512, 88, 1)).toBeCloseTo(1.8); // decode keeps its per-token slope
  });

  it('reads the shared measured table: one 768-token call 0.25 s, 64 of them 1.54 s', () => {
    const real = new GpuCostModel(readGpuCostTable());
    expect(real.seconds(768, 8, 1)).toBeCloseTo(0.25);
    expect(real.seconds(768, 8, 64)).toBeCloseTo(1.5353);
  });

  it('names the missing table file and the fix', () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'table.jsonl');
    expect(() => readGpuCostTable(missing)).toThrow(/GPU cost table not found at .*table\.jsonl.*--gpu-table/);
  });

  it('interpolate() handles a single point and exact ends', () => {
    expect(interpolate([[1, 5]], 10)).toBe(5);
    expect(
      interpolate(
        [
          [1, 1],
          [3, 3],
        ],
        3,
      ),
    ).toBe(3);
  });
});

/** A sleep released by hand, so batches end exactly when the test says. */
function manualSleep(): { sleep: (ms: number) => Promise<void>; release: () => void; pending: () => number[] } {
  const waiting: { ms: number; resolve: () => void }[] = [];
  return {
    sleep: (ms) => new Promise<void>((resolve) => waiting.push({ ms, resolve })),
    release: () => waiting.shift()!.resolve(),
    pending: () => waiting.map((w) => w.ms),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('BatchScheduler (static batching)', () => {
  it('calls arriving while a batch runs wait for the next batch, capped at maxBatch', async () => {
    const clock = manualSleep();
    const seen: number[] = [];
    const scheduler = new BatchScheduler({
      seconds: (_p, _n, b) => {
        seen.push(b);
        return b;
      },
      maxBatch: 64,
      sleep: clock.sleep,
    });
    const call = { promptTokens: 100, newTokens: 8 };
    const first = scheduler.submit(call);
    await tick();
    expect(seen).toEqual([1]); // an idle GPU starts at once with what it has
    const rest = Array.from({ length: 70 }, () => scheduler.submit(call));
    await tick();
    expect(seen).toEqual([1]); // the 70 wait: the batch is running
    clock.release();
    await first;
    await tick();
    expect(seen).toEqual([1, 64]);
    clock.release();
    await Promise.all(rest.slice(0, 64));
    await tick();
    expect(seen).toEqual([1, 64, 6]);
    clock.release();
    await Promise.all(rest);
    const stats = scheduler.stats();
    expect(stats.requests).toBe(71);
    expect(stats.batches).toBe(3);
    expect(stats.batchSizes).toEqual({ 1: 1, 64: 1, 6: 1 });
    expect(stats.meanBatchSize).toBeCloseTo(71 / 3);
    expect(stats.inFlightMax).toBe(71);
  });

  it('a batch costs its longest prompt and longest reply', async () => {
    const clock = manualSleep();
    const args: number[][] = [];
    const scheduler = new BatchScheduler({
      seconds: (p, n, b) => (args.push([p, n, b]), 1),
      sleep: clock.sleep,
    });
    const all = [
      scheduler.submit({ promptTokens: 300, newTokens: 5 }),
      scheduler.submit({ promptTokens: 900, newTokens: 2 }),
      scheduler.submit({ promptTokens: 10, newTokens: 40 }),
    ];
    await tick();
    expect(args).toEqual([[900, 40, 3]]);
    expect(clock.pending()).toEqual([1000]);
    clock.release();
    await Promise.all(all);
  });

  it('time-weights the calls in flight and counts GPU busy time on its clock', async () => {
    let now = 0;
    const clock = manualSleep();
    const scheduler = new BatchScheduler({ seconds: () => 1, sleep: clock.sleep, now: () => now });
    const a = scheduler.submit({ promptTokens: 1, newTokens: 1 });
    const b = scheduler.submit({ promptTokens: 1, newTokens: 1 });
    await tick();
    now = 1000; // 2 in flight for 1 s, GPU busy throughout
    clock.release();
    await Promise.all([a, b]);
    now = 3000; // then idle for 2 s
    const stats = scheduler.stats();
    expect(stats.inFlightMean).toBeCloseTo(2 / 3);
    expect(stats.busyMs).toBe(1000);
    expect(stats.gpuBusyFraction).toBeCloseTo(1 / 3);
    scheduler.resetStats();
    expect(scheduler.stats()).toMatchObject({ requests: 0, batches: 0, inFlightMax: 0 });
  });
});

describe('BatchingEndpoint over HTTP', () => {
  it('answers with the responder text and counts requests and batches at the endpoint', async () => {
    const endpoint = await BatchingEndpoint.start({ responder: ({ prompt }) => `echo ${prompt}`, timeScale: 0.001 });
    try {
      const ask = (i: number): Promise<string> =>
        fetch(`${endpoint.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `q${i}` }] }),
        })
          .then((r) => r.json() as Promise<{ choices: { message: { content: string } }[] }>)
          .then((j) => j.choices[0]!.message.content);
      const answers = await Promise.all([0, 1, 2, 3, 4].map(ask));
      expect(answers).toEqual(['echo q0', 'echo q1', 'echo q2', 'echo q3', 'echo q4']);
      const stats = endpoint.scheduler.stats();
      expect(stats.requests).toBe(5);
      const calls = Object.entries(stats.batchSizes).reduce((sum, [size, n]) => sum + Number(size) * n, 0);
      expect(calls).toBe(5);
      expect(stats.inFlightMax).toBeGreaterThanOrEqual(1);
    } finally {
      await endpoint.stop();
    }
  });
});
