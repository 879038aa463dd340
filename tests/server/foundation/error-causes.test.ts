/**
 * Pins errors that name their cause: an unreachable OPENAI_BASE_URL is reported before the episode
 * starts (one line naming the variable and the fix); an episode that fails prints the failing
 * activity and its error, not "Workflow execution failed" (and `show` repeats it); `show --json | head -1` ends quietly
 * when the reader closes the pipe (no EPIPE stack trace).
 */
import { spawnSync } from 'node:child_process';
import { fetchTransitions } from '../../../src/client';
import { freePort } from '../../../src/server/ports';
import { MockOpenAiServer } from '../../support/mock-openai-server';
import { connectTestTemporal, testAddress } from '../../support/temporal';
import { BIN, cleanEnv, ensureBuilt, ROOT, runCli } from '../../support/cli-harness';

beforeAll(() => ensureBuilt());

const cliEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
  cleanEnv({ TEMPORAL_ADDRESS: testAddress(), ...extra });
const builtinRun = (...extra: string[]): string[] => ['run', '--env', 'builtin', '--task', 'boil-water', ...extra];

describe('errors name their cause', () => {
  it('an unreachable OPENAI_BASE_URL is one line naming the variable, before any episode starts', async () => {
    const baseUrl = `http://127.0.0.1:${await freePort()}/v1`;
    const result = await runCli(
      builtinRun('--llm', 'openai'),
      cliEnv({ OPENAI_BASE_URL: baseUrl, STEP_HRL_MODEL: 'some-model' }),
      60_000,
    );
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
    expect(result.stderr.trim().split('\n')).toEqual([
      `Error: OPENAI_BASE_URL=${baseUrl} is unreachable (ECONNREFUSED); start that server, fix OPENAI_BASE_URL, ` +
        'or unset it (and OPENAI_API_KEY) to use the embedded local model',
    ]);
  });

  it('an episode the model cannot play (bad key) exits 1 naming the cause, and show repeats it', async () => {
    const server = await MockOpenAiServer.start({ apiKey: 'the-right-key' });
    try {
      const episodeId = `bad-key-${process.pid}-${Date.now()}`;
      const env = cliEnv({ OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'a-wrong-key', STEP_HRL_MODEL: 'm' });
      const result = await runCli(builtinRun('--llm', 'openai', '--episode-id', episodeId), env, 100_000);
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^Error: episode ${episodeId} ended llm-error: model call failed \\(not retryable\\): .*OPENAI_API_KEY`,
        ),
      );
      expect(lines[0]).not.toContain('Workflow execution failed');
      expect(result.stdout + result.stderr).not.toContain('a-wrong-key');

      const shown = await runCli(['show', episodeId], cliEnv(), 60_000);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^error: model call failed \(not retryable\): .*OPENAI_API_KEY/m);
    } finally {
      await server.stop();
    }
  });

  it('`show --json | head -1` exits quietly when the reader closes the pipe', async () => {
    const episodeId = `epipe-${process.pid}-${Date.now()}`;
    const run = await runCli(builtinRun('--llm', 'expert', '--max-steps', '8', '--episode-id', episodeId), cliEnv());
    expect(run.code).toBe(0);
    const t = await connectTestTemporal();
    try {
      expect((await fetchTransitions(t.client, episodeId)).length).toBeGreaterThan(3); // more lines than head reads
    } finally {
      await t.close();
    }
    // bash, not a jest-side pipe: the reader is a real `head` that exits after one line.
    const piped = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${BIN}" show ${episodeId} --json | head -1; echo "status \${PIPESTATUS[0]}"`],
      { cwd: ROOT, env: cliEnv(), encoding: 'utf8', timeout: 60_000 },
    );
    expect(piped.stderr).toBe('');
    const lines = piped.stdout.trim().split('\n');
    expect(lines).toEqual([JSON.stringify({ type: 'log', message: `episode ${episodeId}: COMPLETED` }), 'status 0']);
  });
});
