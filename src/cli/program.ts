/** The shared typed `step-hrl` command; each subcommand file registers itself on it. */
import { Command } from '@commander-js/extra-typings';
import { ExitNow } from './exit-now';

/** Root command. */
export const program = new Command('step-hrl')
  .description('Durable STEP-HRL agents on Temporal: run, resume, inspect and export episodes')
  .version('0.2.0')
  .enablePositionalOptions() // so `eval show --port` gives --port to show, not to eval
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

/** Wraps an action so a failure prints `Error: <message>` (one line) and exits non-zero, never a stack trace. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (process.env.STEP_HRL_DEBUG) console.error(err);
      if (message) console.error(`Error: ${message}`);
      if (err instanceof ExitNow) process.exit(err.code);
      process.exitCode = 1;
    }
  };
}
