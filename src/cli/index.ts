/** Entry of the `step-hrl` command: imports every subcommand (each registers itself) and parses. */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { program } from './program';
import './commands/run';
import './commands/show';
import './commands/export';
import './commands/server';
import './commands/worker';

// Worker state chatter would drown the live episode output; errors still show (STEP_HRL_LOG_LEVEL=WARN for more).
Runtime.install({ logger: new DefaultLogger((process.env.STEP_HRL_LOG_LEVEL as 'WARN' | undefined) ?? 'ERROR') });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`Error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
