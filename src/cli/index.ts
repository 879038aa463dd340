/** Entry of the `step-hrl` command: imports every subcommand (each registers itself) and parses. */
import { program } from './program';
import { exitQuietlyOnClosedStdout } from './process-setup';
import './commands/run';
import './commands/show';
import './commands/export';
import './commands/verify';
import './commands/server';
import './commands/worker';
import './commands/eval';
import './commands/eval-control';
import './commands/cancel';
import './commands/codec-server';
import './commands/replay';
import './commands/archive';
import './commands/fork';
import './commands/list';
import './commands/label';
import './commands/train';

exitQuietlyOnClosedStdout();

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`Error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
