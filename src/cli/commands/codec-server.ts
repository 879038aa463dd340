/**
 * `step-hrl codec-server`: serve the Temporal codec server protocol with this machine's keys, so
 * the Temporal UI (or `temporal --codec-endpoint`) shows decrypted payloads; runs until Ctrl-C.
 */
import { AesGcmCodec } from '../../codec/aes-gcm-codec';
import { startCodecServer } from '../../codec/codec-server';
import { KEY_FIX, KEY_ID_VAR, KEY_VAR, loadCodecKeys } from '../../codec/keys';
import { action, program } from '../program';
import { untilStopSignal } from '../stop-signal';

program
  .command('codec-server')
  .description('Serve /encode and /decode (Temporal codec server) with the keys in the environment until Ctrl-C')
  .option('--port <port>', 'HTTP port on 127.0.0.1', '8888')
  .option('--cors-origin <origin>', 'origin of the Temporal UI allowed to call it, e.g. http://localhost:8233')
  .action(
    action(async (flags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(
          `--port ${JSON.stringify(flags.port)} is not a port number; pass an integer from 1 to 65535 (0: any free port)`,
        );
      if (flags.corsOrigin !== undefined && !/^https?:\/\/[^/\s]+$/.test(flags.corsOrigin))
        throw new Error(
          `--cors-origin ${JSON.stringify(flags.corsOrigin)} is not an origin; pass scheme://host[:port], e.g. http://localhost:8233`,
        );
      const keys = loadCodecKeys();
      if (!keys.current)
        throw new Error(
          `no encryption key is set; set ${KEY_ID_VAR} and ${KEY_VAR} (${KEY_FIX}) to the key the payloads use`,
        );
      const server = await startCodecServer({ codec: new AesGcmCodec(keys), port, corsOrigin: flags.corsOrigin });
      console.log(`codec server at ${server.url} (key ids ${[...keys.byId.keys()].join(', ')}); Ctrl-C stops it`);
      console.log(
        `point the Temporal UI at it (Data Encoder setting, or \`--ui-codec-endpoint ${server.url}\`)` +
          (flags.corsOrigin ? '' : '; add --cors-origin <UI origin> for the UI in a browser'),
      );
      await untilStopSignal();
      await server.close();
      console.log('stopped');
    }),
  );
