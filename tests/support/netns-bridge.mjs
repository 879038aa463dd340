/**
 * The network link of a simulated host (tests/support/netns-host.ts), run inside the host's own
 * network namespace, where only loopback exists. It joins the namespace to the outside world over
 * Unix sockets in the host's folder (a file system path is reachable from both sides):
 *
 *   127.0.0.1:<temporal port> inside  ->  <dir>/temporal.sock  (served outside by the host's link to
 *                                          the Temporal frontend; the test cuts the host there)
 *   <dir>/env.sock (outside)          ->  127.0.0.1:<env port> inside (the test reads the env
 *                                          server's counters through it)
 *
 * Plain JavaScript so it starts in milliseconds: `node netns-bridge.mjs <dir> <temporal port> <env port>`.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const [dir, temporalPort, envPort] = process.argv.slice(2);
if (!dir || !temporalPort || !envPort) {
  console.error('usage: node netns-bridge.mjs <host dir> <temporal port> <env port>');
  process.exit(2);
}

/** Pipes each accepted connection to a fresh one made by `connect`; either side's end ends both. */
function forward(server, connect) {
  server.on('connection', (inbound) => {
    const outbound = connect();
    inbound.pipe(outbound).pipe(inbound);
    const close = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
  });
}

const temporal = net.createServer();
forward(temporal, () => net.connect(path.join(dir, 'temporal.sock')));
temporal.listen(Number(temporalPort), '127.0.0.1');

const envSocket = path.join(dir, 'env.sock');
fs.rmSync(envSocket, { force: true });
const env = net.createServer();
forward(env, () => net.connect(Number(envPort), '127.0.0.1'));
env.listen(envSocket);
