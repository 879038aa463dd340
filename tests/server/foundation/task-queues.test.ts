/**
 * Pins one task queue per `run` process: two `run --llm expert` processes on different built-in
 * tasks, at the same time against the same Temporal server, both win. On a shared queue each
 * process's scripted expert (which follows its own task's solution) also answered the other's
 * episode, and the episodes interfered.
 */
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';
import { testAddress } from '../../support/temporal';

beforeAll(() => ensureBuilt());

/** The `result` event of a `run --json` output. */
function resultEvent(stdout: string): { status?: string; won?: boolean } | undefined {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; status?: string; won?: boolean })
    .find((e) => e.type === 'result');
}

describe('task queues of concurrent runs', () => {
  it('two concurrent expert runs on different tasks both win', async () => {
    const env = cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
    const tasks = ['boil-water', 'deliver-apple'];
    const results = await Promise.all(
      tasks.map((task) =>
        runCli(['run', '--json', '--llm', 'expert', '--env', 'builtin', '--task', task], env, 110_000),
      ),
    );
    for (const [i, result] of results.entries()) {
      expect({ task: tasks[i], code: result.code, stderr: result.stderr }).toEqual({
        task: tasks[i],
        code: 0,
        stderr: '',
      });
      expect(resultEvent(result.stdout)).toMatchObject({ status: 'env-done', won: true });
    }
  });
});
