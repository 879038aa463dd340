/**
 * `step-hrl codec-server`: serve the Temporal codec server protocol with this machine's keys, so
 * the Temporal UI (or `temporal --codec-endpoint`) shows decrypted payloads; runs until Ctrl-C.
 */
import { readFileSync } from 'node:fs';
import { AesGcmCodec } from '../../codec/aes-gcm-codec';
import { CODEC_SERVER_TOKEN_VAR, startCodecServer, TOKEN_PATH_PREFIX } from '../../codec/codec-server';
import { KEY_FIX, KEY_ID_VAR, KEY_VAR, loadCodecKeys } from '../../codec/keys';
import { action, program } from '../program';
import { untilStopSignal } from '../stop-signal';

/** `--cors-origin` may be repeated; the values are checked in the action (one `Error:` line). */
function addOrigin(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The token from `--token-file` (first line) or the environment; undefined when neither is set. */
function readToken(tokenFile: string | undefined): string | undefined {
  if (tokenFile === undefined) return process.env[CODEC_SERVER_TOKEN_VAR]?.trim() || undefined;
  let text: string;
  try {
    text = readFileSync(tokenFile, 'utf8');
  } catch (err) {
    throw new Error(
      `--token-file ${JSON.stringify(tokenFile)} cannot be read (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  const token = text.split('\n')[0]!.trim();
  if (!token) throw new Error(`--token-file ${JSON.stringify(tokenFile)} is empty; write the token on its first line`);
  return token;
}

program
  .command('codec-server')
  .description('Serve /encode and /decode (Temporal codec server) with the keys in the environment until Ctrl-C')
  .option('--port <port>', 'HTTP port on 127.0.0.1', '8888')
  .option(
    '--cors-origin <origin>',
    'origin of the Temporal UI allowed to call it, e.g. http://localhost:8233 (repeatable); other origins get 403',
    addOrigin,
  )
  .option(
    '--token-file <file>',
    `file whose first line is the bearer token clients must send (else ${CODEC_SERVER_TOKEN_VAR})`,
  )
  .option('--insecure-no-auth', 'serve without a token: any process or user that can reach the port can decrypt')
  .action(
    action(async (flags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(
          `--port ${JSON.stringify(flags.port)} is not a port number; pass an integer from 1 to 65535 (0: any free port)`,
        );
      const corsOrigins = flags.corsOrigin ?? [];
      for (const origin of corsOrigins)
        if (!/^https?:\/\/[^/\s]+$/.test(origin))
          throw new Error(
            `--cors-origin ${JSON.stringify(origin)} is not an origin; pass scheme://host[:port], e.g. http://localhost:8233`,
          );
      const keys = loadCodecKeys();
      if (!keys.current)
        throw new Error(
          `no encryption key is set; set ${KEY_ID_VAR} and ${KEY_VAR} (${KEY_FIX}) to the key the payloads use`,
        );
      const token = readToken(flags.tokenFile);
      const server = await startCodecServer({
        codec: new AesGcmCodec(keys),
        port,
        corsOrigins,
        token,
        insecureNoAuth: Boolean(flags.insecureNoAuth),
      });
      console.log(`codec server at ${server.url} (key ids ${[...keys.byId.keys()].join(', ')}); Ctrl-C stops it`);
      if (token) {
        const where = flags.tokenFile ? `the token in ${flags.tokenFile}` : `$${CODEC_SERVER_TOKEN_VAR}`;
        console.log(
          `requests need the token: \`temporal workflow show --codec-endpoint ${server.url} --codec-auth "Bearer <token>"\`; ` +
            `Web UI codec endpoint ${server.url}${TOKEN_PATH_PREFIX}<token> (<token>: ${where})`,
        );
      } else console.log('WARNING: no token required (--insecure-no-auth): anyone who can reach the port can decrypt');
      if (corsOrigins.length === 0) console.log('add --cors-origin <UI origin> for the Temporal UI in a browser');
      await untilStopSignal();
      await server.close();
      console.log('stopped');
    }),
  );
