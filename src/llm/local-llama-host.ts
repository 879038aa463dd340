/**
 * Entry point of the model host child process that `LocalLlamaClient` forks: it loads one model
 * with {@link LocalLlamaEngine} and answers requests over Node's IPC channel (JSON messages, see
 * {@link HostRequest} / {@link HostReply}). A plain Node process can `import()` the ESM-only
 * node-llama-cpp whatever runs the parent (jest, ts-node, compiled CommonJS), and a native crash
 * in llama.cpp ends this process instead of the Temporal worker.
 * May import: `./local-llama-engine`, `./types`.
 */
import {
  LocalLlamaEngine,
  type EngineCompletion,
  type LocalEngineOptions,
  type LoadedModelInfo,
} from './local-llama-engine';
import { LlmError, type LlmRequest } from './types';

/** Parent → host messages. */
export type HostRequest =
  { type: 'load'; options: LocalEngineOptions } | { type: 'complete'; id: number; request: LlmRequest };

/** Host → parent messages. */
export type HostReply =
  | { type: 'progress'; fraction: number }
  | { type: 'loaded'; info: LoadedModelInfo }
  | { type: 'result'; id: number; completion: EngineCompletion }
  | { type: 'error'; id: number | null; message: string; retryable: boolean };

function send(reply: HostReply): void {
  process.send?.(reply);
}

function errorReply(id: number | null, err: unknown): HostReply {
  const message = err instanceof Error ? err.message : String(err);
  return { type: 'error', id, message, retryable: err instanceof LlmError ? err.retryable : true };
}

/** Serves the IPC protocol until the parent disconnects. */
export function serveHost(): void {
  let engine: Promise<LocalLlamaEngine> | undefined;
  process.on('message', (msg: HostRequest) => {
    if (msg.type === 'load') {
      engine ??= LocalLlamaEngine.load(msg.options, (fraction) => send({ type: 'progress', fraction }));
      engine.then(
        (e) => send({ type: 'loaded', info: e.info }),
        (err: unknown) => send(errorReply(null, err)),
      );
    } else if (msg.type === 'complete') {
      if (!engine) {
        send(errorReply(msg.id, new LlmError('model host got a request before a load message', false)));
        return;
      }
      engine
        .then((e) => e.complete(msg.request))
        .then(
          (completion) => send({ type: 'result', id: msg.id, completion }),
          (err: unknown) => send(errorReply(msg.id, err)),
        );
    }
  });
  // The parent closed the channel (close() or it exited): leave at once. Exiting frees the model;
  // waiting for dispose() would first finish a generation nobody will read.
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module) serveHost();
