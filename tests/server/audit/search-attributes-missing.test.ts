/**
 * On an existing cluster that does not know step-hrl's search attributes, starting an episode or
 * an eval fails at once with an error naming `temporal operator search-attribute create` and
 * docs/search-attributes.md (issue 11 item 1), instead of the server's bare INVALID_ARGUMENT.
 * The cluster is a real Temporal dev server started without `--search-attribute`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startEpisode } from '../../../src/client';
import { startOrAttachEval } from '../../../src/eval/client';
import { isTemporalHealthy, startDevServer } from '../../../src/server/dev-server';
import { SearchAttributesMissingError } from '../../../src/server/errors';
import { freePort } from '../../../src/server/ports';
import { temporalCliPath } from '../../../src/server/temporal-cli';
import { registrationCommands } from '../../../src/episode/search-attributes';

let server: ChildProcess | undefined;
let connection: Connection | undefined;
let client: Client;
let address: string;

beforeAll(async () => {
  const port = await freePort();
  address = `127.0.0.1:${port}`;
  // In memory, headless, and without step-hrl's registrations: a cluster nobody set up for step-hrl.
  server = spawn(
    temporalCliPath(),
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless'],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 60_000;
  while (!(await isTemporalHealthy(address))) {
    if (Date.now() > deadline) throw new Error(`bare dev server on ${address} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  connection = await Connection.connect({ address });
  client = new Client({ connection });
}, 90_000);

afterAll(async () => {
  await connection?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

test('starting an episode names the registration command', async () => {
  const start = startEpisode(client, {
    episodeId: `sa-missing-${Date.now()}`,
    taskQueue: 'nobody-polls-this',
    config: { spec: { env: 'builtin', task: 'boil-water' } },
  });
  await expect(start).rejects.toBeInstanceOf(SearchAttributesMissingError);
  await expect(start).rejects.toThrow(/temporal operator search-attribute create.*docs\/search-attributes\.md/);
});

test('starting an eval names the registration command', async () => {
  const start = startOrAttachEval(
    client,
    `sa-missing-eval-${Date.now()}`,
    {
      agent: 'step-hrl',
      selection: 'builtin',
      env: 'builtin',
      config: {},
      episodes: [{ spec: { env: 'builtin', task: 'boil-water' } } as never],
      concurrency: 1,
    },
    'nobody-polls-this',
  );
  await expect(start).rejects.toThrow(/namespace default .*temporal operator search-attribute create/);
});

test('the registration commands in docs/search-attributes.md make the same start succeed', async () => {
  const doc = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'search-attributes.md'), 'utf8');
  const documented = doc.split('\n').filter((l) => l.startsWith('temporal operator search-attribute create'));
  expect(documented).toEqual(registrationCommands());
  for (const command of documented) {
    const args = command.split(' ').slice(1); // drop `temporal`: the pinned CLI runs them
    execFileSync(temporalCliPath(), [...args, '--address', address], { stdio: 'pipe' });
  }
  const listed = execFileSync(temporalCliPath(), ['operator', 'search-attribute', 'list', '--address', address]);
  for (const name of registrationCommands().flatMap((c) => c.match(/StepHrl\w+/g)!))
    expect(String(listed)).toContain(name);
  // The frontend picks new attributes up from its namespace cache a few seconds later: retry, do not sleep blindly.
  const start = () =>
    startEpisode(client, {
      episodeId: `sa-registered-${Date.now()}`,
      taskQueue: 'nobody-polls-this',
      config: { spec: { env: 'builtin', task: 'boil-water' } },
    });
  const deadline = Date.now() + 60_000;
  let handle: Awaited<ReturnType<typeof start>> | undefined;
  while (!handle) {
    handle = await start().catch((err: unknown) => {
      if (!(err instanceof SearchAttributesMissingError) || Date.now() > deadline) throw err;
      return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500));
    });
  }
  expect((await handle.describe()).typedSearchAttributes.getAll().length).toBeGreaterThan(5);
  await handle.terminate('test done');
});

test('an embedded data dir created before the attributes existed gets them on its next start', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-sa-upgrade-'));
  const port = await freePort();
  const old = spawn(
    temporalCliPath(),
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless'].concat([
      '--db-filename',
      path.join(dataDir, 'temporal.sqlite'), // the file startDevServer uses, made without step-hrl's attributes
    ]),
    { stdio: 'ignore' },
  );
  while (!(await isTemporalHealthy(`127.0.0.1:${port}`))) await new Promise((resolve) => setTimeout(resolve, 250));
  const exited = new Promise((resolve) => old.once('exit', resolve));
  old.kill('SIGTERM');
  await exited;

  const server = await startDevServer({ dataDir, port });
  const upgraded = await Connection.connect({ address: server.address });
  try {
    const handle = await startEpisode(new Client({ connection: upgraded }), {
      episodeId: `sa-upgraded-${Date.now()}`,
      taskQueue: 'nobody-polls-this',
      config: { spec: { env: 'builtin', task: 'boil-water' } },
    });
    await handle.terminate('test done');
  } finally {
    await upgraded.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
