/**
 * Every command that talks to Temporal takes `--address` and `--namespace` (issue 11 item 9),
 * added by one shared option-adder; `--address` with `--port`/`--data-dir` fails with one clear
 * line before anything starts. (That `--address` reaches a real server: tests/audit/list-eval.test.ts.)
 */
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

beforeAll(() => ensureBuilt());

const COMMANDS = [
  ['run'],
  ['demo'],
  ['worker'],
  ['resume'],
  ['show'],
  ['export'],
  ['eval'],
  ['eval', 'show'],
  ['eval', 'compare'],
  ['list'],
];

test.each(COMMANDS.map((c) => [c.join(' '), c]))('%s --help lists --address and --namespace', async (_, command) => {
  const help = await runCli([...(command as string[]), '--help'], cleanEnv(), 30_000);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/--address <host:port>/);
  expect(help.stdout).toMatch(/--namespace <name>/);
  expect(help.stdout).toMatch(/--data-dir <dir>/);
  expect(help.stdout).toMatch(/--port <port>/);
});

test('--address with --port is one clear error line, and nothing starts', async () => {
  const result = await runCli(['list', '--address', '127.0.0.1:1', '--port', '7300'], cleanEnv(), 30_000);
  expect(result.code).toBe(1);
  expect(result.stderr.trim()).toBe(
    'Error: --address selects an existing Temporal cluster, but --port configures the embedded server; pass one or ' +
      'the other (with an existing cluster, STEP_HRL_DATA_DIR sets where the cache and results go)',
  );
});

test('--address that is not host:port names the flag and the form', async () => {
  const result = await runCli(['show', 'x', '--address', 'http://h:7233'], cleanEnv(), 30_000);
  expect(result.code).toBe(1);
  expect(result.stderr.trim()).toBe(
    'Error: --address "http://h:7233" is not host:port; pass e.g. --address 127.0.0.1:7233',
  );
});
