/**
 * Temporal's connection conventions (issue 11 item 9): one rule picks the cluster, flag >
 * environment > default envconfig profile file > embedded server. TEMPORAL_NAMESPACE or
 * TEMPORAL_API_KEY alone, or the profile file existing, select the existing cluster (they used to
 * fall back silently to the embedded server); `--address` with `--data-dir`/`--port` is an error.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chooseCluster, defaultProfileFile, usesExternalCluster } from '../../../src/server/connection';

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-home-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** An environment with an empty home, so the machine's own profile file never counts. */
const envWith = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME: home, ...extra });

test('nothing configured: the embedded server', () => {
  expect(chooseCluster({}, envWith())).toEqual({ external: false });
  expect(chooseCluster({ dataDir: 'd', port: 7300 }, envWith())).toEqual({ external: false });
});

test.each(['TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_ADDRESS', 'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE'])(
  '%s alone selects the existing cluster',
  (name) => {
    expect(chooseCluster({}, envWith({ [name]: 'x' }))).toEqual({ external: true, because: name });
    expect(usesExternalCluster(envWith({ [name]: 'x' }))).toBe(true);
  },
);

test('the default envconfig profile file, once it exists, selects the existing cluster', () => {
  const file = path.join(home, '.config', 'temporalio', 'temporal.toml');
  expect(defaultProfileFile(envWith(), 'linux')).toBe(file);
  expect(chooseCluster({}, envWith())).toEqual({ external: false });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '[profile.default]\naddress = "127.0.0.1:7233"\n');
  expect(chooseCluster({}, envWith())).toEqual({ external: true, because: `the profile file ${file}` });
});

test('XDG_CONFIG_HOME moves the profile file; macOS and Windows use their own folders', () => {
  expect(defaultProfileFile({ XDG_CONFIG_HOME: '/xdg', HOME: '/h' }, 'linux')).toBe('/xdg/temporalio/temporal.toml');
  expect(defaultProfileFile({ XDG_CONFIG_HOME: 'relative', HOME: '/h' }, 'linux')).toBeUndefined();
  expect(defaultProfileFile({ HOME: '/h' }, 'darwin')).toBe(
    path.join('/h', 'Library', 'Application Support', 'temporalio', 'temporal.toml'),
  );
  expect(defaultProfileFile({}, 'linux')).toBeUndefined();
});

test('a flag wins over the environment', () => {
  expect(chooseCluster({ address: 'h:1' }, envWith({ TEMPORAL_NAMESPACE: 'n' }))).toEqual({
    external: true,
    because: '--address',
  });
  expect(chooseCluster({ namespace: 'n' }, envWith())).toEqual({ external: true, because: '--namespace' });
});

test('--address or --namespace with --data-dir/--port is a clear error', () => {
  expect(() => chooseCluster({ address: 'h:1', port: 7300 }, envWith())).toThrow(
    '--address selects an existing Temporal cluster, but --port configures the embedded server; pass one or the other',
  );
  expect(() => chooseCluster({ namespace: 'n', dataDir: 'd', port: 1 }, envWith())).toThrow(
    /--namespace selects an existing Temporal cluster, but --data-dir and --port configure the embedded server/,
  );
});
