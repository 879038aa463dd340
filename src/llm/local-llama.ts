/**
 * The embedded default LLM backend: a small GGUF instruct model on CPU through node-llama-cpp,
 * used when no OpenAI-compatible endpoint is configured. See docs/local-model.md for the model
 * choice and for why the model runs in a child process by default.
 *
 * ```ts
 * const llm = new LocalLlamaClient();            // default model under .tools/models/
 * await llm.load();                              // optional: load eagerly (progress bar + one log line)
 * const res = await llm.complete({ role: 'low', messages, jsonSchema, maxTokens: 48 });
 * await llm.close();
 * ```
 * May import: node built-ins, cli-progress, `./local-*`, `./types`, `./request-utils`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import type { HostReply, HostRequest } from './local-llama-host';
import { LocalLlamaEngine, type EngineCompletion, type LoadedModelInfo } from './local-llama-engine';
import { assertModelFile, formatBytes, localModelId, projectRoot, resolveLocalModelPath } from './local-model-files';
import { assertValidRequest, untilAborted } from './request-utils';
import { LlmError, type CallOptions, type LlmClient, type LlmRequest, type LlmResponse } from './types';

/** Options of {@link LocalLlamaClient}; every field has a default. */
export interface LocalLlamaClientOptions {
  /** GGUF file. @default `$STEP_HRL_MODEL_PATH`, else `.tools/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf` */
  modelPath?: string;
  /** CPU threads. @default min(2, available cores) */
  threads?: number;
  /** Context window in tokens; prompt + maxTokens must fit. @default 4096 */
  contextSize?: number;
  /**
   * `'child'` runs the model in a forked Node process (works under jest, ts-node and compiled
   * code alike, and isolates native crashes); `'in-process'` loads it into this process (plain
   * Node only, or jest with `--experimental-vm-modules`).
   * @default 'child'
   */
  mode?: 'child' | 'in-process';
  /** Show a loading progress bar on stderr. @default process.stderr.isTTY */
  progress?: boolean;
  /** Receives the one-line "loaded ..." message. @default writes the line to stderr */
  log?: (line: string) => void;
}

/** Sum of what {@link LocalLlamaClient} needs to start a model host. */
interface ResolvedOptions {
  modelPath: string;
  threads: number;
  contextSize: number;
  mode: 'child' | 'in-process';
  progress: boolean;
  log: (line: string) => void;
}

/** The LlmClient for the embedded local model. Loads the model once, on first use or {@link load}. */
export class LocalLlamaClient implements LlmClient {
  /** `local/<gguf file name>`, e.g. `local/qwen2.5-coder-1.5b-instruct-q4_k_m`. */
  readonly modelId: string;
  private readonly opts: ResolvedOptions;
  private backend?: Promise<Backend>;
  private loadedInfo?: LoadedModelInfo;

  constructor(options: LocalLlamaClientOptions = {}) {
    const modelPath = resolveLocalModelPath(options.modelPath);
    this.opts = {
      modelPath,
      threads: options.threads ?? Math.max(1, Math.min(2, os.availableParallelism())),
      contextSize: options.contextSize ?? 4096,
      mode: options.mode ?? 'child',
      progress: options.progress ?? Boolean(process.stderr.isTTY),
      log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
    };
    this.modelId = localModelId(modelPath);
  }

  /** Absolute path of the GGUF file this client uses. */
  get modelPath(): string {
    return this.opts.modelPath;
  }

  /** What was loaded (undefined before the load finished). */
  get info(): LoadedModelInfo | undefined {
    return this.loadedInfo;
  }

  /**
   * Loads the model if not loaded yet (idempotent; concurrent callers share one load). Rejects
   * with a non-retryable {@link LlmError} naming the path and the fix when the file is missing.
   */
  async load(): Promise<LoadedModelInfo> {
    this.backend ??= this.start().catch((err: unknown) => {
      this.backend = undefined; // a later call may retry, e.g. after `npm run setup`
      throw err;
    });
    return (await this.backend).info;
  }

  /** Runs one request on the local model; see {@link LlmClient.complete}. */
  async complete(request: LlmRequest, options: CallOptions = {}): Promise<LlmResponse> {
    assertValidRequest(request);
    await this.load();
    const backend = await this.backend!;
    const started = performance.now();
    const out = await untilAborted(backend.complete(request), options.signal);
    return {
      text: out.text,
      usage: { promptTokens: out.promptTokens, completionTokens: out.completionTokens, source: 'tokenizer' },
      model: this.modelId,
      latencyMs: Math.round(performance.now() - started),
    };
  }

  /** Frees the model (ends the host process). The client may be loaded again afterwards. */
  async close(): Promise<void> {
    const backend = this.backend;
    this.backend = undefined;
    if (backend) await (await backend.catch(() => undefined))?.close();
  }

  private async start(): Promise<Backend> {
    const sizeBytes = assertModelFile(this.opts.modelPath);
    const bar = this.opts.progress
      ? new SingleBar({
          format: `loading ${path.basename(this.opts.modelPath)} [{bar}] {percentage}% | {size}`,
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        })
      : undefined;
    bar?.start(100, 0, { size: formatBytes(sizeBytes) });
    const onProgress = (f: number): void => bar?.update(Math.round(f * 100));
    const engineOptions = {
      modelPath: this.opts.modelPath,
      threads: this.opts.threads,
      contextSize: this.opts.contextSize,
    };
    let backend: Backend;
    try {
      backend =
        this.opts.mode === 'in-process'
          ? await InProcessBackend.start(engineOptions, onProgress)
          : await ChildBackend.start(engineOptions, onProgress);
    } finally {
      bar?.stop();
    }
    const i = backend.info;
    this.loadedInfo = i;
    this.opts.log(
      `[step-hrl] local model loaded: ${i.path} (${formatBytes(i.sizeBytes)}, ${i.quantization}, ${i.name}, ` +
        `${i.architecture}, template ${i.chatWrapper}, context ${i.contextSize}, ${i.threads} threads, ` +
        `${this.opts.mode}) in ${(i.loadMs / 1000).toFixed(1)}s`,
    );
    return backend;
  }
}

/** A loaded model, wherever it runs. */
interface Backend {
  readonly info: LoadedModelInfo;
  complete(request: LlmRequest): Promise<EngineCompletion>;
  close(): Promise<void>;
}

type EngineOptions = Parameters<typeof LocalLlamaEngine.load>[0];

class InProcessBackend implements Backend {
  private constructor(private readonly engine: LocalLlamaEngine) {}
  get info(): LoadedModelInfo {
    return this.engine.info;
  }
  static async start(options: EngineOptions, onProgress: (f: number) => void): Promise<InProcessBackend> {
    return new InProcessBackend(await LocalLlamaEngine.load(options, onProgress));
  }
  complete(request: LlmRequest): Promise<EngineCompletion> {
    return this.engine.complete(request);
  }
  close(): Promise<void> {
    return this.engine.dispose();
  }
}

/** How to run the host script: compiled `.js` directly, `.ts` (jest, ts-node) through ts-node's transpile-only hook. */
function hostCommand(): { script: string; execArgv: string[]; env: NodeJS.ProcessEnv } {
  const ext = path.extname(__filename);
  const script = path.join(__dirname, `local-llama-host${ext}`);
  if (ext !== '.ts') return { script, execArgv: [], env: process.env };
  const tsconfig = path.join(projectRoot(), 'tsconfig.json');
  return {
    script,
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: {
      ...process.env,
      TS_NODE_TRANSPILE_ONLY: 'true',
      ...(fs.existsSync(tsconfig) ? { TS_NODE_PROJECT: tsconfig } : {}),
    },
  };
}

class ChildBackend implements Backend {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (c: EngineCompletion) => void; reject: (e: Error) => void }>();
  private exitError?: LlmError;

  private constructor(
    private readonly child: ChildProcess,
    readonly info: LoadedModelInfo,
  ) {
    child.on('message', (msg: HostReply) => {
      if (msg.type === 'result' || (msg.type === 'error' && msg.id !== null)) {
        const p = this.pending.get(msg.id!);
        if (!p) return;
        this.pending.delete(msg.id!);
        if (msg.type === 'result') p.resolve(msg.completion);
        else p.reject(new LlmError(msg.message, msg.retryable));
        this.idle();
      }
    });
    child.on('exit', (code, signal) => {
      // A host that dies mid-request (native abort, OOM kill) fails the request as retryable:
      // the next attempt starts a fresh host.
      this.exitError = new LlmError(`local model host exited (code ${code}, signal ${signal})`, true);
      for (const p of this.pending.values()) p.reject(this.exitError);
      this.pending.clear();
    });
    this.idle();
  }

  static start(options: EngineOptions, onProgress: (f: number) => void): Promise<ChildBackend> {
    const { script, execArgv, env } = hostCommand();
    // stdout of the host goes to our stderr, so a CLI's stdout stays clean for its own output.
    const child = fork(script, [], { execArgv, env, stdio: ['ignore', 2, 'inherit', 'ipc'], serialization: 'json' });
    return new Promise((resolve, reject) => {
      const onMessage = (msg: HostReply): void => {
        if (msg.type === 'progress') onProgress(msg.fraction);
        else if (msg.type === 'loaded') {
          cleanup();
          resolve(new ChildBackend(child, msg.info));
        } else if (msg.type === 'error' && msg.id === null) {
          cleanup();
          child.disconnect();
          reject(new LlmError(msg.message, msg.retryable));
        }
      };
      const onExit = (code: number | null, signal: string | null): void => {
        cleanup();
        reject(
          new LlmError(
            `local model host exited while loading ${options.modelPath} (code ${code}, signal ${signal})`,
            true,
          ),
        );
      };
      const cleanup = (): void => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ type: 'load', options } satisfies HostRequest);
    });
  }

  complete(request: LlmRequest): Promise<EngineCompletion> {
    if (this.exitError || !this.child.connected)
      return Promise.reject(this.exitError ?? new LlmError('local model host is closed', true));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.busy();
      this.child.send({ type: 'complete', id, request } satisfies HostRequest);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    if (this.child.connected) this.child.disconnect(); // the host frees the model and exits
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  // An idle host must not keep the parent alive (a CLI or test that forgot close() still exits).
  private idle(): void {
    if (this.pending.size > 0) return;
    this.child.unref();
    (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  private busy(): void {
    this.child.ref();
    (this.child.channel as { ref?: () => void } | undefined)?.ref?.();
  }
}

const shared = new Map<string, LocalLlamaClient>();

/**
 * One client per (model path, threads, context size) for the whole process, so activities that
 * ask for a client on every call load the model only once.
 */
export function sharedLocalLlamaClient(options: LocalLlamaClientOptions = {}): LocalLlamaClient {
  const probe = new LocalLlamaClient(options);
  const key = JSON.stringify([probe.modelPath, options.threads, options.contextSize, options.mode]);
  let client = shared.get(key);
  if (!client) {
    client = probe;
    shared.set(key, client);
  }
  return client;
}
