/** Process-wide setup of the CLI: where the Temporal runtime logs, and a reader that stops early. */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let runtimeInstalled = false;

const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * Installs the Temporal runtime with every log line (the Rust core's included) going through one
 * logger on stderr, so stdout carries only the command's output (`--json` stays parseable).
 * Worker state chatter would drown the live episode output, so the default level is ERROR
 * (STEP_HRL_LOG_LEVEL=WARN for more).
 *
 * Call it right before the first native Temporal object is created, not at start-up: a runtime
 * that forwards logs keeps Node alive until the last native connection or worker closes, so a
 * command that never opens one (`server`) must not create it.
 */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.STEP_HRL_LOG_LEVEL?.toUpperCase() || 'ERROR') as LogLevel;
  if (!LOG_LEVELS.includes(level)) {
    console.error(
      `Error: STEP_HRL_LOG_LEVEL=${JSON.stringify(process.env.STEP_HRL_LOG_LEVEL)} is not valid; ` +
        `choose one of: ${LOG_LEVELS.join(', ')}`,
    );
    process.exit(1);
  }
  Runtime.install({
    // Signals belong to the commands: Ctrl-C cancels a `run` after its step, `worker` shuts down on
    // SIGTERM, and SIGTERM ends `run`/`resume` at once (resumable later), instead of the runtime
    // draining its workers while the command keeps following an episode nobody works on.
    shutdownSignals: [],
    logger: new DefaultLogger(level), // writes to stderr
    telemetryOptions: { logging: { forward: {}, filter: { core: level, other: level } } },
  });
}

/**
 * `step-hrl show --json | head -3`: once the reader closes the pipe, further writes fail with
 * EPIPE; exit quietly then (status 0, as the reader asked for no more) instead of a stack trace.
 * An embedded server this process started is stopped by its watchdog.
 */
export function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
