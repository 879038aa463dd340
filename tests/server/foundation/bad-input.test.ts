/**
 * Pins the one-line errors for bad input, through the library (error class + message naming the
 * fix) and through the CLI (stderr is exactly one `Error: ...` line, exit code 1): port already in
 * use, missing / non-executable / broken Temporal CLI, a Temporal CLI that starts but dies,
 * unreachable TEMPORAL_ADDRESS, unwritable data dir (also under /proc, where Node's recursive mkdir
 * used to spin forever), and malformed `run` flags (including --max-steps above its maximum).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporal } from '../../../src/server/connection';
import { startDevServer } from '../../../src/server/dev-server';
import {
  DataDirError,
  DevServerStartError,
  PortInUseError,
  TemporalUnreachableError,
  ToolsMissingError,
} from '../../../src/server/errors';
import { freePort } from '../../../src/server/ports';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

let tmp: string;
let busyServer: net.Server;
let busyPort: number;
let closedPort: number;
/** A regular file: `<file>/sub` cannot be created, even by root. */
let regularFile: string;
/** Fake Temporal CLIs. */
const fakes = { missing: '', notExecutable: '', failing: '', diesOnStart: '' };

beforeAll(async () => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bad-input-'));
  regularFile = path.join(tmp, 'a-file');
  writeFileSync(regularFile, 'not a folder');
  fakes.missing = path.join(tmp, 'no-such-temporal');
  fakes.notExecutable = path.join(tmp, 'temporal-no-x');
  writeFileSync(fakes.notExecutable, '#!/bin/sh\necho temporal version 1.9.1\n');
  chmodSync(fakes.notExecutable, 0o644);
  fakes.failing = path.join(tmp, 'temporal-exit-1');
  writeFileSync(fakes.failing, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  fakes.diesOnStart = path.join(tmp, 'temporal-dies');
  writeFileSync(
    fakes.diesOnStart,
    '#!/bin/sh\nif [ "$1" = --version ]; then echo "temporal version 1.9.1"; exit 0; fi\n' +
      'echo "line one of a crash" >&2\necho "fatal: database is corrupt" >&2\nexit 1\n',
    { mode: 0o755 },
  );
  busyServer = net.createServer();
  await new Promise<void>((resolve) => busyServer.listen({ port: 0, host: '127.0.0.1' }, resolve));
  busyPort = (busyServer.address() as net.AddressInfo).port;
  closedPort = await freePort();
});

afterAll(async () => {
  await new Promise((resolve) => busyServer.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs `fn` with these variables set (undefined = unset) in process.env, which the library reads. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** Runs `fn` with STEP_HRL_TEMPORAL_CLI pointing at `binary`. */
const withCliOverride = <T>(binary: string, fn: () => Promise<T>): Promise<T> =>
  withEnv({ STEP_HRL_TEMPORAL_CLI: binary }, fn);

/** The rejection of `promise` (fails the test if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  if (!outcome) throw new Error('expected a rejection, but it resolved');
  return outcome;
}

/** Asserts the CLI failed with exactly one `Error: ...` line on stderr, and returns that line. */
async function expectOneLineError(args: string[], env = cleanEnv()): Promise<string> {
  const result = await runCli(args, env, 45_000);
  const lines = result.stderr.split('\n').filter((l) => l.length > 0);
  expect({ code: result.code, lines: lines.length, stdout: result.stdout }).toEqual({ code: 1, lines: 1, stdout: '' });
  expect(lines[0]).toMatch(/^Error: /);
  return lines[0]!;
}

const dataDirIn = (name: string): string => path.join(tmp, name);

describe('library errors', () => {
  it('port already in use → PortInUseError naming --port', async () => {
    const err = await rejectionOf(startDevServer({ dataDir: dataDirIn('lib-port'), port: busyPort }));
    expect(err).toBeInstanceOf(PortInUseError);
    expect(err.message).toContain(`port ${busyPort} on 127.0.0.1 is already in use`);
    expect(err.message).toContain('pass --port <free port>');
  });

  it('missing, non-executable or failing Temporal CLI → ToolsMissingError naming the fix', async () => {
    const cases: [string, string][] = [
      [fakes.missing, 'is missing'],
      [fakes.notExecutable, 'is not executable'],
      [fakes.failing, 'is broken'],
    ];
    for (const [binary, what] of cases) {
      const err = await withCliOverride(binary, () =>
        rejectionOf(startDevServer({ dataDir: dataDirIn('lib-tools'), port: closedPort })),
      );
      expect(err).toBeInstanceOf(ToolsMissingError);
      expect(err.message).toContain(`Temporal CLI at ${binary} ${what}`);
      expect(err.message).toContain('STEP_HRL_TEMPORAL_CLI');
      expect(err.message).toContain('npm run setup');
      expect(err.message).not.toContain('\n');
    }
  });

  it('the default install missing → ToolsMissingError asking for `npm run setup`', async () => {
    const toolsDir = path.join(tmp, 'empty-tools');
    const err = await withEnv({ STEP_HRL_TOOLS_DIR: toolsDir, STEP_HRL_TEMPORAL_CLI: undefined }, () =>
      rejectionOf(startDevServer({ dataDir: dataDirIn('lib-tools-dir'), port: closedPort })),
    );
    expect(err).toBeInstanceOf(ToolsMissingError);
    expect(err.message).toBe(
      `Temporal CLI at ${path.join(toolsDir, 'temporal', 'temporal')} is missing; run \`npm run setup\` to (re)install it`,
    );
  });

  it('a Temporal CLI that dies on start → one-line DevServerStartError with its last log line', async () => {
    const dataDir = dataDirIn('lib-dies');
    const err = await withCliOverride(fakes.diesOnStart, () =>
      rejectionOf(startDevServer({ dataDir, port: closedPort })),
    );
    expect(err).toBeInstanceOf(DevServerStartError);
    expect(err.message).not.toContain('\n');
    expect(err.message).toContain('exited during start-up');
    expect(err.message).toContain('fatal: database is corrupt');
    expect(err.message).toContain(path.join(dataDir, 'temporal-server.log'));
    expect(err.message).toContain('npm run setup');
  });

  it('unreachable TEMPORAL_ADDRESS → TemporalUnreachableError naming the address and the fix', async () => {
    const address = `127.0.0.1:${closedPort}`;
    const err = await rejectionOf(resolveTemporal({ env: { TEMPORAL_ADDRESS: address } }));
    expect(err).toBeInstanceOf(TemporalUnreachableError);
    expect(err.message).toContain(`Temporal at ${address}`);
    expect(err.message).toContain('unset TEMPORAL_ADDRESS');
    expect(err.message).not.toContain('\n');
  });

  it('unwritable data dir → DataDirError naming --data-dir', async () => {
    const dataDir = path.join(regularFile, 'sub');
    const err = await rejectionOf(startDevServer({ dataDir, port: closedPort }));
    expect(err).toBeInstanceOf(DataDirError);
    expect(err.message).toContain(`data dir ${dataDir} is not writable (ENOTDIR)`);
    expect(err.message).toContain('pass --data-dir <writable folder>');
  });
});

describe('CLI errors: one `Error:` line on stderr, exit 1', () => {
  const run = (...extra: string[]): string[] => ['run', '--llm', 'expert', '--env', 'builtin', ...extra];

  it('port already in use (run and server)', async () => {
    for (const cmd of [run(), ['server']]) {
      const line = await expectOneLineError([...cmd, '--port', String(busyPort), '--data-dir', dataDirIn('cli-port')]);
      expect(line).toContain(`port ${busyPort} on 127.0.0.1 is already in use; pass --port <free port>`);
    }
  });

  it('missing, non-executable or failing Temporal CLI', async () => {
    const cases: [string, string][] = [
      [fakes.missing, 'is missing'],
      [fakes.notExecutable, 'is not executable'],
      [fakes.failing, 'is broken'],
    ];
    for (const [binary, what] of cases) {
      const env = cleanEnv({ STEP_HRL_TEMPORAL_CLI: binary });
      const args = run('--port', String(closedPort), '--data-dir', dataDirIn('cli-tools'));
      const line = await expectOneLineError(args, env);
      expect(line).toContain(`Error: Temporal CLI at ${binary} ${what}`);
      expect(line).toContain('npm run setup');
    }
  });

  it('a Temporal CLI that dies on start', async () => {
    const env = cleanEnv({ STEP_HRL_TEMPORAL_CLI: fakes.diesOnStart });
    const line = await expectOneLineError(
      ['server', '--port', String(closedPort), '--data-dir', dataDirIn('cli-dies')],
      env,
    );
    expect(line).toContain('exited during start-up (log: fatal: database is corrupt)');
  });

  it('unreachable TEMPORAL_ADDRESS', async () => {
    const env = cleanEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}` });
    const line = await expectOneLineError(run(), env);
    expect(line).toContain(`Error: Temporal at 127.0.0.1:${closedPort} (from TEMPORAL_ADDRESS`);
    expect(line).toContain('unset TEMPORAL_ADDRESS');
  });

  it('unwritable data dir (run and server)', async () => {
    const dataDir = path.join(regularFile, 'sub');
    for (const cmd of [run(), ['server']]) {
      const line = await expectOneLineError([...cmd, '--port', String(closedPort), '--data-dir', dataDir]);
      expect(line).toContain(`Error: data dir ${dataDir} is not writable`);
      expect(line).toContain('pass --data-dir <writable folder>');
    }
  });

  it('a data dir under /proc (where recursive mkdir spins forever) fails at once (run and server)', async () => {
    const dataDir = '/proc/step-hrl-no-such/data';
    for (const cmd of [run(), ['server']]) {
      const line = await expectOneLineError([...cmd, '--port', String(closedPort), '--data-dir', dataDir]);
      expect(line).toBe(
        `Error: data dir ${dataDir} is not writable (ENOENT); pass --data-dir <writable folder> or set STEP_HRL_DATA_DIR`,
      );
    }
  });

  it('--max-steps above the maximum or not an integer', async () => {
    for (const value of ['10001', '2.5', '1e3', 'many']) {
      const line = await expectOneLineError([...run(), '--max-steps', value, '--data-dir', dataDirIn('cli-steps')]);
      expect(line).toBe(`Error: --max-steps ${JSON.stringify(value)} is not valid; pass an integer from 1 to 10000`);
    }
  });

  it('--port abc (run and server) and --env nope', async () => {
    for (const cmd of [run(), ['server']]) {
      const line = await expectOneLineError([...cmd, '--port', 'abc', '--data-dir', dataDirIn('cli-flags')]);
      expect(line).toBe('Error: --port "abc" is not a port number; pass an integer from 1 to 65535');
    }
    const line = await expectOneLineError(['run', '--llm', 'expert', '--env', 'nope']);
    expect(line).toBe('Error: --env "nope" is not valid; choose one of: builtin, scienceworld, alfworld');
  });
});
