/**
 * After the CLI closes its Temporal connection, a client call it abandoned earlier (a long-poll
 * given up by its time limit during an outage) may still sit in the SDK's gRPC retry backoff; when
 * that timer fires it throws "Channel has been shut down" from a timer, which would crash a
 * command that already finished (exit 1 and a stack trace after its results). The SDK's retry
 * timer cannot be cancelled, so once the connection is closed that one error is ignored; any other
 * uncaught error still ends the process as Node would (its stack, exit 1).
 */
const CLOSED_CHANNEL = 'Channel has been shut down';
let installed = false;

/** Call once the connection is closed (idempotent). */
export function ignoreRetriesOnClosedChannel(): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (err) => {
    if (isClosedChannelRetry(err)) return;
    console.error(err);
    process.exit(1);
  });
}

/** True for the error a gRPC retry throws when it fires on a closed channel. */
export function isClosedChannelRetry(err: unknown): boolean {
  return (
    err instanceof Error && err.message === CLOSED_CHANNEL && /grpc-retry|client-interceptors/.test(err.stack ?? '')
  );
}
