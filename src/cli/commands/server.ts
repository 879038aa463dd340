/** `step-hrl server`: run the embedded Temporal dev server in the foreground until Ctrl-C. */
import { startDevServer } from '../../server/dev-server';
import { defaultDataDir } from '../../server/paths';
import { action, program } from '../program';
import { untilStopSignal } from '../stop-signal';

program
  .command('server')
  .description('Run the embedded Temporal dev server (SQLite under the data dir) until Ctrl-C')
  .option('--data-dir <dir>', 'data dir (default ./.step-hrl, or STEP_HRL_DATA_DIR)')
  .option('--port <port>', 'gRPC port on 127.0.0.1', process.env.STEP_HRL_TEMPORAL_PORT ?? '7233')
  .option('--ui', 'serve the Web UI on port + 1000')
  .action(
    action(async (flags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new Error(`--port ${JSON.stringify(flags.port)} is not a port number; pass an integer from 1 to 65535`);
      const dataDir = flags.dataDir ?? defaultDataDir();
      const server = await startDevServer({ dataDir, port, ui: flags.ui });
      if (!server.owned) {
        console.log(`a step-hrl process already serves ${dataDir} at ${server.address}; nothing to start`);
        return;
      }
      console.log(
        `Temporal dev server at ${server.address} (data in ${dataDir})${flags.ui ? `, UI at http://127.0.0.1:${port + 1000}` : ''}`,
      );
      console.log(`use it from another shell with TEMPORAL_ADDRESS=${server.address}; Ctrl-C stops it`);
      await untilStopSignal();
      await server.stop();
      console.log('stopped');
    }),
  );
