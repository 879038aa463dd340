/**
 * The node-llama-cpp side of the embedded local model: loads a GGUF file once and serves
 * chat (model's own chat template, optional JSON-schema grammar) and raw-text completions (stop
 * sequences) one at a time. It runs inside the model host child process by default
 * (`local-llama-host.ts`) or in-process when asked; `local-llama.ts` is the client users see.
 *
 * node-llama-cpp is ESM-only with top-level await, so neither `require()` nor TypeScript's
 * CommonJS rewrite of `import()` can load it; {@link importNodeLlamaCpp} uses a real dynamic
 * import that TypeScript leaves alone. Types come from `import type`, which is erased.
 * May import: node built-ins, node-llama-cpp (types + dynamic import), `./types`, `./request-utils`.
 */
import type * as NodeLlamaCpp from 'node-llama-cpp';
import { applyStop, DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE } from './request-utils';
import { LlmError, type LlmRequest } from './types';

type NodeLlamaCppModule = typeof NodeLlamaCpp;

/** How to load the model. */
export interface LocalEngineOptions {
  /** Absolute path of the GGUF file. */
  modelPath: string;
  /** CPU threads for evaluation. */
  threads: number;
  /** Context window in tokens (prompt + completion must fit). */
  contextSize: number;
  /** Tokens evaluated per batch during prompt processing. @default 512 */
  batchSize?: number;
}

/** What was loaded, for the one-line load log and for records. */
export interface LoadedModelInfo {
  path: string;
  sizeBytes: number;
  /** e.g. `Q4_K_M`, from the GGUF file type. */
  quantization: string;
  /** `general.name` from the GGUF metadata, e.g. `Qwen2.5 Coder 1.5B Instruct GGUF`. */
  name: string;
  architecture: string;
  /** Name of the chat template wrapper node-llama-cpp resolved from the GGUF metadata. */
  chatWrapper: string;
  contextSize: number;
  threads: number;
  loadMs: number;
}

/** Raw result of one call; the client adds model id and latency. */
export interface EngineCompletion {
  text: string;
  promptTokens: number;
  completionTokens: number;
  stopReason: string;
}

let modulePromise: Promise<NodeLlamaCppModule> | undefined;

/**
 * Loads node-llama-cpp with a native `import()`. `new Function` keeps TypeScript (module:
 * commonjs) from rewriting it to `require()`, which cannot load an ESM graph with top-level await.
 * Under jest this needs `--experimental-vm-modules`; the default child-process mode avoids that.
 */
export function importNodeLlamaCpp(): Promise<NodeLlamaCppModule> {
  modulePromise ??= (
    new Function('specifier', 'return import(specifier)') as (s: string) => Promise<NodeLlamaCppModule>
  )('node-llama-cpp').catch((err: unknown) => {
    modulePromise = undefined;
    const msg = err instanceof Error ? err.message : String(err);
    const hint = /experimental-vm-modules|dynamic import callback/i.test(msg)
      ? ' (in-process mode under jest needs NODE_OPTIONS=--experimental-vm-modules; the default child-process mode does not)'
      : ' (is node-llama-cpp installed? run `npm run setup`)';
    throw new LlmError(`Cannot load node-llama-cpp: ${msg}${hint}`, false);
  });
  return modulePromise;
}

/** One loaded model with one context sequence; calls are serialised (one sequence, one request at a time). */
export class LocalLlamaEngine {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly grammars = new Map<string, Promise<NodeLlamaCpp.LlamaGrammar>>();

  private constructor(
    private readonly llama: NodeLlamaCpp.Llama,
    private readonly model: NodeLlamaCpp.LlamaModel,
    private readonly context: NodeLlamaCpp.LlamaContext,
    private readonly chat: NodeLlamaCpp.LlamaChat,
    private readonly completion: NodeLlamaCpp.LlamaCompletion,
    /** What was loaded. */
    readonly info: LoadedModelInfo,
  ) {}

  /** Loads the model (slow: seconds); `onProgress` gets values in [0, 1]. */
  static async load(options: LocalEngineOptions, onProgress?: (fraction: number) => void): Promise<LocalLlamaEngine> {
    const started = Date.now();
    const lib = await importNodeLlamaCpp();
    // CPU only, prebuilt binaries only: no GPU probing, no download, no compile at run time.
    const llama = await lib.getLlama({
      gpu: false,
      build: 'never',
      usePrebuiltBinaries: true,
      progressLogs: false,
      logLevel: lib.LlamaLogLevel.error,
    });
    const model = await llama.loadModel({
      modelPath: options.modelPath,
      onLoadProgress: onProgress,
    });
    const context = await model.createContext({
      contextSize: options.contextSize,
      threads: options.threads,
      batchSize: options.batchSize ?? 512,
      sequences: 1,
    });
    const sequence = context.getSequence();
    // Chat and raw completion share the one sequence (calls are serialised); it is cleared before
    // every call (see `run`), so an answer never depends on the call before it.
    const chat = new lib.LlamaChat({ contextSequence: sequence, autoDisposeSequence: false });
    const completion = new lib.LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
    const meta = model.fileInfo.metadata;
    const fileType = meta.general.file_type;
    const info: LoadedModelInfo = {
      path: options.modelPath,
      sizeBytes: model.fileInsights.modelSize || model.size,
      quantization:
        fileType === undefined
          ? 'unknown'
          : String(lib.GgufFileType[fileType] ?? fileType).replace(/^(MOSTLY|ALL)_/, ''),
      name: meta.general.name ?? 'unknown',
      architecture: String(meta.general.architecture),
      chatWrapper: chat.chatWrapper.wrapperName,
      contextSize: context.contextSize,
      threads: options.threads,
      loadMs: Date.now() - started,
    };
    return new LocalLlamaEngine(llama, model, context, chat, completion, info);
  }

  /** Runs one request after the ones already queued. */
  complete(request: LlmRequest): Promise<EngineCompletion> {
    const run = this.queue.then(() => this.run(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Frees the model and the native backend. */
  async dispose(): Promise<void> {
    await this.queue;
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }

  private async run(request: LlmRequest): Promise<EngineCompletion> {
    const maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
    const temperature = request.temperature ?? DEFAULT_TEMPERATURE;
    const grammar = request.jsonSchema ? await this.grammarFor(request.jsonSchema) : undefined;
    // Evaluating a prompt partly from the previous call's KV cache changes the batch shapes, and
    // with them the float rounding: at temperature 0 the same request could answer differently
    // depending on what ran before. A fresh sequence per call keeps the model a function of its input.
    await this.chat.sequence.clearHistory();
    let completionTokens = 0;
    const onToken = (tokens: NodeLlamaCpp.Token[]): void => {
      completionTokens += tokens.length;
    };
    try {
      if (request.messages) {
        const history = this.toHistory(request.messages);
        const promptTokens = this.chat.chatWrapper
          .generateContextState({ chatHistory: history })
          .contextText.tokenize(this.model.tokenizer).length;
        this.assertFits(promptTokens, maxTokens);
        const res = await this.chat.generateResponse(history, {
          maxTokens,
          temperature,
          grammar,
          onToken,
          customStopTriggers: request.stop?.length ? [...request.stop] : undefined,
          // Each request is independent: never let node-llama-cpp drop earlier messages to fit.
          contextShift: { strategy: () => ({ chatHistory: history }) },
        });
        return {
          text: grammar ? res.response : applyStop(res.response, request.stop),
          promptTokens,
          completionTokens,
          stopReason: res.metadata.stopReason,
        };
      }
      const prompt = request.prompt ?? '';
      const promptTokens = this.model.tokenize(prompt).length;
      this.assertFits(promptTokens, maxTokens);
      const res = await this.completion.generateCompletionWithMeta(prompt, {
        maxTokens,
        temperature,
        grammar,
        onToken,
        customStopTriggers: request.stop?.filter((s) => s.length > 0),
        trimWhitespaceSuffix: false,
      });
      return {
        text: applyStop(res.response, request.stop),
        promptTokens,
        completionTokens,
        stopReason: res.metadata.stopReason,
      };
    } catch (err) {
      if (err instanceof LlmError) throw err;
      // A native evaluation failure says nothing about the request; another attempt may succeed.
      throw new LlmError(
        `Local model ${this.info.path} failed: ${err instanceof Error ? err.message : String(err)}`,
        true,
      );
    }
  }

  /** Chat messages → node-llama-cpp history ending in the model turn to generate (a trailing assistant message is its prefix). */
  private toHistory(messages: NonNullable<LlmRequest['messages']>): NodeLlamaCpp.ChatHistoryItem[] {
    const history: NodeLlamaCpp.ChatHistoryItem[] = messages.map((m) =>
      m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: m.role, text: m.content },
    );
    if (history[history.length - 1]?.type !== 'model') history.push({ type: 'model', response: [] });
    return history;
  }

  private assertFits(promptTokens: number, maxTokens: number): void {
    if (promptTokens + maxTokens > this.info.contextSize) {
      throw new LlmError(
        `Prompt of ${promptTokens} tokens plus maxTokens ${maxTokens} exceeds the local model's context of ` +
          `${this.info.contextSize} tokens; raise the context size (contextSize option) or shorten the prompt.`,
        false,
      );
    }
  }

  private grammarFor(schema: Record<string, unknown>): Promise<NodeLlamaCpp.LlamaGrammar> {
    // `$schema` and `$id` (zod's toJSONSchema adds them) mean nothing to the grammar compiler.
    const { $schema: _s, $id: _i, ...rest } = schema;
    void _s;
    void _i;
    const key = JSON.stringify(rest);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = this.llama
        .createGrammarForJsonSchema(rest as unknown as Parameters<NodeLlamaCpp.Llama['createGrammarForJsonSchema']>[0])
        .catch((err: unknown) => {
          this.grammars.delete(key);
          throw new LlmError(
            `The local model cannot constrain output to this JSON schema: ${err instanceof Error ? err.message : String(err)}`,
            false,
          );
        });
      this.grammars.set(key, grammar);
    }
    return grammar;
  }
}
