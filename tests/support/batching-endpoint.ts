/**
 * A simulated batching LLM server: the project's mock OpenAI server whose answers wait for a
 * simulated GPU running static batches. Requests that arrive while a batch runs wait for the next
 * one (up to `maxBatch` calls, in arrival order); a batch of b calls whose longest prompt is p
 * tokens and longest reply n tokens takes `s(p, n, b)` from the measured cost table
 * (`gpu-cost-table.ts`). The reply text comes from a pluggable responder. It counts requests,
 * calls in flight (received, not yet answered: time-weighted mean and max) and batch sizes, so a
 * benchmark can tell how well a worker feeds a batching backend.
 */
import { GpuCostModel, readGpuCostTable } from './gpu-cost-table';
import { MockOpenAiServer, type MockResponder } from './mock-openai-server';

/** One call as the simulated GPU sees it. */
export interface GpuCall {
  promptTokens: number;
  newTokens: number;
}

/** What the endpoint counted over a measurement window (see {@link BatchScheduler.resetStats}). */
export interface BatchingStats {
  /** Completion requests received. */
  requests: number;
  /** Calls received and not yet answered: time-weighted mean over the window, and maximum. */
  inFlightMean: number;
  inFlightMax: number;
  /** Batches run, mean calls per batch, and how many batches had each size. */
  batches: number;
  meanBatchSize: number;
  batchSizes: Record<number, number>;
  /** Time the simulated GPU spent running batches, and the window's length. */
  busyMs: number;
  windowMs: number;
  /** busyMs / windowMs: the GPU-utilisation proxy. */
  gpuBusyFraction: number;
}

/** Options of {@link BatchScheduler}. */
export interface BatchSchedulerOptions {
  /** Seconds one batch takes: `(promptTokens, newTokens, batchSize)`. */
  seconds: (promptTokens: number, newTokens: number, batch: number) => number;
  /** Most calls in one batch. @default 64 */
  maxBatch?: number;
  /** Multiplies every batch's time (tests use a tiny one). @default 1 */
  timeScale?: number;
  /** Waits `ms` (tests pass one they release by hand). @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Clock in ms. @default Date.now */
  now?: () => number;
}

interface Waiting {
  call: GpuCall;
  done: () => void;
}

/** Static batching over a latency model: {@link submit} resolves when the call's batch is done. */
export class BatchScheduler {
  private readonly queue: Waiting[] = [];
  private running = false;
  private kicked = false;
  private readonly maxBatch: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  // window counters
  private requests = 0;
  private inFlight = 0;
  private inFlightMax = 0;
  private inFlightArea = 0;
  private lastChange = 0;
  private windowStart = 0;
  private busyMs = 0;
  private batchSizes: Record<number, number> = {};

  constructor(private readonly options: BatchSchedulerOptions) {
    this.maxBatch = options.maxBatch ?? 64;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.resetStats();
  }

  /** Queues a call; resolves when the batch it ran in has finished. */
  submit(call: GpuCall): Promise<void> {
    this.requests += 1;
    this.changeInFlight(+1);
    return new Promise<void>((done) => {
      this.queue.push({ call, done });
      this.kick();
    });
  }

  /** Starts a new measurement window (calls in flight now stay counted). */
  resetStats(): void {
    const now = this.now();
    this.requests = 0;
    this.inFlightMax = this.inFlight;
    this.inFlightArea = 0;
    this.lastChange = now;
    this.windowStart = now;
    this.busyMs = 0;
    this.batchSizes = {};
  }

  /** The window's counts so far. */
  stats(): BatchingStats {
    const now = this.now();
    const windowMs = Math.max(now - this.windowStart, 0);
    const area = this.inFlightArea + this.inFlight * (now - this.lastChange);
    const sizes = Object.entries(this.batchSizes).map(([size, count]) => [Number(size), count] as const);
    const batches = sizes.reduce((sum, [, count]) => sum + count, 0);
    const calls = sizes.reduce((sum, [size, count]) => sum + size * count, 0);
    return {
      requests: this.requests,
      inFlightMean: windowMs > 0 ? area / windowMs : 0,
      inFlightMax: this.inFlightMax,
      batches,
      meanBatchSize: batches > 0 ? calls / batches : 0,
      batchSizes: { ...this.batchSizes },
      busyMs: this.busyMs,
      windowMs,
      gpuBusyFraction: windowMs > 0 ? Math.min(this.busyMs / windowMs, 1) : 0,
    };
  }

  private changeInFlight(delta: number): void {
    const now = this.now();
    this.inFlightArea += this.inFlight * (now - this.lastChange);
    this.lastChange = now;
    this.inFlight += delta;
    this.inFlightMax = Math.max(this.inFlightMax, this.inFlight);
  }

  // Waits one macrotask before forming a batch, so calls arriving together share it.
  private kick(): void {
    if (this.running || this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      void this.runBatch();
    });
  }

  private async runBatch(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.maxBatch);
    const prompt = Math.max(...batch.map((w) => w.call.promptTokens));
    const newTokens = Math.max(...batch.map((w) => w.call.newTokens));
    const ms = this.options.seconds(prompt, newTokens, batch.length) * 1000 * (this.options.timeScale ?? 1);
    const started = this.now();
    try {
      await this.sleep(ms);
    } finally {
      this.busyMs += this.now() - started;
      this.batchSizes[batch.length] = (this.batchSizes[batch.length] ?? 0) + 1;
      this.running = false;
      for (const w of batch) {
        this.changeInFlight(-1);
        w.done();
      }
      this.kick();
    }
  }
}

/** Rough token count of a text (4 characters a token, as for English with a BPE vocabulary). */
export function roughTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Options of {@link BatchingEndpoint.start}. */
export interface BatchingEndpointOptions {
  /** Computes each reply's text (e.g. the scripted expert). */
  responder: MockResponder;
  /** The measured table. @default the shared H200 7B table beside the repository */
  tableFile?: string;
  /** @default 64 */
  maxBatch?: number;
  /** @default 1 */
  timeScale?: number;
}

/** The endpoint: an OpenAI-compatible URL whose answers take the simulated GPU's time. */
export class BatchingEndpoint {
  private constructor(
    readonly mock: MockOpenAiServer,
    readonly scheduler: BatchScheduler,
  ) {}

  /** Reads the cost table (throws a clear error when it is missing) and starts on a free loopback port. */
  static async start(options: BatchingEndpointOptions): Promise<BatchingEndpoint> {
    const model = new GpuCostModel(readGpuCostTable(options.tableFile));
    const scheduler = new BatchScheduler({
      seconds: (p, n, b) => model.seconds(p, n, b),
      maxBatch: options.maxBatch,
      timeScale: options.timeScale,
    });
    const mock = await MockOpenAiServer.start({
      responder: options.responder,
      holdReply: ({ prompt, text }) =>
        scheduler.submit({ promptTokens: roughTokens(prompt), newTokens: roughTokens(text) }),
    });
    return new BatchingEndpoint(mock, scheduler);
  }

  /** `OPENAI_BASE_URL` for clients. */
  get baseURL(): string {
    return this.mock.baseURL;
  }

  async stop(): Promise<void> {
    await this.mock.stop();
  }
}
