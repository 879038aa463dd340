/**
 * Bad input and failure modes: each gives an EnvError with a stable code and a message naming
 * the input. Uses its own ALFWorld data folder (temp copy of one game + broken ones).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRepoRoot, startEnvServer, waitForHealth } from '../../../src/envs/env-server';
import { AlfWorldTextEnv, ScienceWorldTextEnv } from '../../../src/envs/http-text-env';
import { EnvError } from '../../../src/envs/text-env';
import { useEnvServer } from '../../support/env-server-fixture';

const SHARED = process.env.ALFWORLD_DATA ?? path.join(findRepoRoot(), '..', 'shared', 'data', 'alfworld');
const GAME = 'valid_seen/pick_heat_then_place_in_recep-Egg-None-CounterTop-2/trial_T20190908_122951_021026';
const data = fs.mkdtempSync(path.join(os.tmpdir(), 'step-hrl-alfdata-'));

function putGame(rel: string, content: string): void {
  const dir = path.join(data, 'json_2.1.1', rel);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'game.tw-pddl'), content);
}
putGame(GAME, fs.readFileSync(path.join(SHARED, 'json_2.1.1', GAME, 'game.tw-pddl'), 'utf8'));
putGame('valid_seen/broken-json/trial_1', '{"pddl_domain": "(define');
putGame('valid_seen/missing-keys/trial_1', '{"walkthrough": ["look"]}');
putGame('valid_seen/bad-pddl/trial_1', JSON.stringify({ pddl_domain: '(nonsense', grammar: '', pddl_problem: '(x' }));

const server = useEnvServer({ alfworldData: data });
afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<EnvError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(EnvError);
    return e as EnvError;
  }
  throw new Error('expected a rejection');
}

describe('ScienceWorld bad input', () => {
  const env = (): ScienceWorldTextEnv => new ScienceWorldTextEnv({ url: server.url });

  test('unknown task name', async () => {
    const e = env();
    const err = await rejection(e.reset({ env: 'scienceworld', task: 'make-coffee' }));
    expect(err.code).toBe('UnknownTask');
    expect(err.message).toContain("'make-coffee'");
    await e.close();
  }, 120_000);

  test('variation out of range', async () => {
    const e = env();
    const err = await rejection(e.reset({ env: 'scienceworld', task: 'boil', variation: 999 }));
    expect(err.code).toBe('BadVariation');
    expect(err.message).toMatch(/variation 999 .*'boil'.*0\.\.29/);
    const neg = await rejection(e.reset({ env: 'scienceworld', task: 'boil', variation: -1 }));
    expect(neg.code).toBe('BadVariation');
    await e.close();
  }, 120_000);

  test('invalid action string, checked by the client and by the server', async () => {
    const e = env();
    await e.reset({ env: 'scienceworld', task: 'find-plant', variation: 0 });
    const err = await rejection(e.step(''));
    expect(err.code).toBe('BadAction');
    expect(err.message).toContain('""');
    const nonString = await rejection(e.step(42 as unknown as string));
    expect(nonString.code).toBe('BadAction');
    // Bypass the client check: the server enforces the same rule for other clients.
    const res = await fetch(`${server.url}/scienceworld/step`, {
      method: 'POST',
      body: JSON.stringify({ id: e.sessionId, action: ['look'] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'BadAction', error: expect.stringContaining("['look']") });
    await e.close();
  }, 120_000);
});

describe('ALFWorld bad input', () => {
  const env = (): AlfWorldTextEnv => new AlfWorldTextEnv({ url: server.url });

  test('the good game in the temp data folder plays (control)', async () => {
    const e = env();
    const r = await e.reset({ env: 'alfworld', task: GAME });
    expect(r.taskDescription).toContain('Your task is to');
    await e.close();
  }, 120_000);

  test.each([
    ['missing game file', 'valid_seen/no-such-task/trial_0', /not found/],
    ['path outside the data folder', '../../etc', /outside the ALFWorld data folder/],
    ['game file that is not JSON', 'valid_seen/broken-json/trial_1', /not valid JSON/],
    ['game file without PDDL keys', 'valid_seen/missing-keys/trial_1', /malformed/],
    ['game file with broken PDDL', 'valid_seen/bad-pddl/trial_1', /could not be loaded/],
  ])(
    '%s',
    async (_what, task, message) => {
      const e = env();
      const err = await rejection(e.reset({ env: 'alfworld', task }));
      expect(err.code).toBe('BadGameFile');
      expect(err.message).toMatch(message);
      expect(err.message).toContain(task);
      await e.close();
    },
    120_000,
  );

  test('invalid action string', async () => {
    const e = env();
    await e.reset({ env: 'alfworld', task: GAME });
    expect((await rejection(e.step('  '))).code).toBe('BadAction');
    await e.close();
  }, 120_000);
});

describe('env server down or slow', () => {
  test('connection refused gives EnvUnavailable naming the URL', async () => {
    const port = await closedPort();
    const e = new AlfWorldTextEnv({ url: `http://127.0.0.1:${port}` });
    const err = await rejection(e.reset({ env: 'alfworld', task: GAME }));
    expect(err.code).toBe('EnvUnavailable');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toContain('ECONNREFUSED');
  });

  test('a server that never answers gives EnvUnavailable after the timeout', async () => {
    const hung = net.createServer(() => undefined); // accepts, never replies
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const port = (hung.address() as net.AddressInfo).port;
    try {
      const e = new ScienceWorldTextEnv({ url: `http://127.0.0.1:${port}`, resetTimeoutMs: 300 });
      const t0 = Date.now();
      const err = await rejection(e.reset({ env: 'scienceworld', task: 'boil' }));
      expect(err.code).toBe('EnvUnavailable');
      expect(err.message).toMatch(/did not answer POST .*within 300 ms/);
      expect(Date.now() - t0).toBeLessThan(5_000);
      const health = await rejection(waitForHealth(`http://127.0.0.1:${port}`, 500));
      expect(health.message).toMatch(/not healthy within 500 ms/);
    } finally {
      hung.close();
    }
  });

  test('without a timeout, a call gives up once the server stops answering /health', async () => {
    const hung = net.createServer(() => undefined); // accepts, never replies (also to /health)
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const port = (hung.address() as net.AddressInfo).port;
    try {
      const e = new ScienceWorldTextEnv({ url: `http://127.0.0.1:${port}`, livenessProbeMs: 200 });
      const err = await rejection(e.reset({ env: 'scienceworld', task: 'boil' }));
      expect(err.code).toBe('EnvUnavailable');
      expect(err.message).toMatch(/stopped answering GET \/health \(3 probes in a row\)/);
    } finally {
      hung.close();
    }
  });

  test('a missing Python gives a setup hint', async () => {
    const err = await rejection(startEnvServer({ python: '/nonexistent/python' }));
    expect(err.code).toBe('EnvUnavailable');
    expect(err.message).toContain('setup-envserver.sh');
  });
});

describe('session lost', () => {
  test('after a server restart, the old session id gives SessionLost; reset starts a new session', async () => {
    const first = await startEnvServer({ alfworldData: data });
    const port = Number(new URL(first.url).port);
    const e = new AlfWorldTextEnv({ url: first.url });
    await e.reset({ env: 'alfworld', task: GAME });
    const oldId = e.sessionId;
    await first.stop();
    const second = await startEnvServer({ alfworldData: data, port });
    try {
      const err = await rejection(e.step('look'));
      expect(err.code).toBe('SessionLost');
      expect(err.message).toContain(String(oldId));
      await e.reset({ env: 'alfworld', task: GAME });
      expect(e.sessionId).not.toBe(oldId);
      await expect(e.step('look')).resolves.toMatchObject({ done: false });
      await e.close();
    } finally {
      await second.stop();
    }
  }, 180_000);
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
