/**
 * One shared conformance suite for every {@link TextEnv} backend (LangGraph.js checkpoint-validation
 * shape): call `textEnvConformance({...})` inside a test file to get a `describe` block.
 */
import { EnvSpec, StepResult, TextEnv } from '../../src/envs/text-env';

/** What a backend provides to be checked. */
export interface TextEnvConformanceInit {
  /** Shown in the describe title. */
  name: string;
  /** A fresh, not-yet-reset env (one session). */
  create(): Promise<TextEnv>;
  /** Releases an env made by `create` (default: `close()`). */
  destroy?(env: TextEnv): Promise<void>;
  /** The episode every test plays. */
  spec: EnvSpec;
  /** Actions that win the episode from the spec's start (array, or loader run once). */
  solution: string[] | (() => Promise<string[]>);
  /** An action string the env does not understand. @default 'xyzzy plugh' */
  invalidAction?: string;
  /** Per-test timeout. @default 120000 */
  timeoutMs?: number;
}

/** Registers the conformance tests for one backend. */
export function textEnvConformance(init: TextEnvConformanceInit): void {
  const timeout = init.timeoutMs ?? 120_000;
  const invalid = init.invalidAction ?? 'xyzzy plugh';
  let cached: string[] | undefined;
  const solution = async (): Promise<string[]> =>
    (cached ??= Array.isArray(init.solution) ? init.solution : await init.solution());
  const destroy = (e: TextEnv): Promise<void> => (init.destroy ? init.destroy(e) : e.close());

  describe(`TextEnv conformance: ${init.name}`, () => {
    let env: TextEnv;
    beforeAll(async () => {
      env = await init.create();
    }, timeout);
    afterAll(async () => {
      if (env) await destroy(env);
    }, timeout);

    test(
      'reset gives an observation, a task description and a numeric score',
      async () => {
        const r = await env.reset(init.spec);
        expect(typeof r.observation.text).toBe('string');
        expect(r.observation.text.length).toBeGreaterThan(0);
        expect(r.taskDescription.length).toBeGreaterThan(0);
        expect(Number.isFinite(r.score)).toBe(true);
        if (r.observation.validActions !== undefined) {
          expect(r.observation.validActions.every((a) => typeof a === 'string')).toBe(true);
        }
      },
      timeout,
    );

    test(
      'reset is deterministic, within a session and across sessions',
      async () => {
        const a = await env.reset(init.spec);
        const b = await env.reset(init.spec);
        expect(b).toEqual(a);
        const other = await init.create();
        try {
          expect(await other.reset(init.spec)).toEqual(a);
        } finally {
          await destroy(other);
        }
      },
      timeout,
    );

    test(
      'step returns the StepResult contract',
      async () => {
        await env.reset(init.spec);
        const [first] = await solution();
        const s = await env.step(first!);
        expectStepShape(s);
      },
      timeout,
    );

    test(
      'an invalid action is feedback, not an error',
      async () => {
        await env.reset(init.spec);
        const s = await env.step(invalid);
        expectStepShape(s);
        expect(s.observation.text.length).toBeGreaterThan(0);
        expect(s.done).toBe(false);
        expect(s.won).toBe(false);
      },
      timeout,
    );

    test(
      'an empty action is rejected with BadAction',
      async () => {
        await env.reset(init.spec);
        await expect(env.step('')).rejects.toMatchObject({ code: 'BadAction' });
        await expect(env.step('   ')).rejects.toMatchObject({ code: 'BadAction' });
      },
      timeout,
    );

    test(
      'playing the solution ends the episode won, and not before',
      async () => {
        const actions = await solution();
        await env.reset(init.spec);
        let last: StepResult | undefined;
        for (const [i, a] of actions.entries()) {
          last = await env.step(a);
          if (i < actions.length - 1) expect(last.done && last.won).toBe(false);
        }
        expect(last).toMatchObject({ done: true, won: true });
        expect(last!.score).toBeGreaterThan(0);
      },
      timeout,
    );

    test(
      'the same actions give the same observations in a fresh session (replayable)',
      async () => {
        const prefix = (await solution()).slice(0, 3);
        const play = async (e: TextEnv): Promise<StepResult[]> => {
          await e.reset(init.spec);
          const out: StepResult[] = [];
          for (const a of prefix) out.push(await e.step(a));
          return out;
        };
        const other = await init.create();
        try {
          expect(await play(other)).toEqual(await play(env));
        } finally {
          await destroy(other);
        }
      },
      timeout,
    );

    test(
      'reset after the end starts the episode over',
      async () => {
        const start = await env.reset(init.spec);
        for (const a of await solution()) await env.step(a);
        expect(await env.reset(init.spec)).toEqual(start);
      },
      timeout,
    );

    test(
      'close is idempotent',
      async () => {
        const e = await init.create();
        await e.reset(init.spec);
        await e.close();
        await expect(e.close()).resolves.toBeUndefined();
      },
      timeout,
    );
  });
}

function expectStepShape(s: StepResult): void {
  expect(typeof s.observation.text).toBe('string');
  expect(Number.isFinite(s.reward)).toBe(true);
  expect(Number.isFinite(s.score)).toBe(true);
  expect(typeof s.done).toBe('boolean');
  expect(typeof s.won).toBe('boolean');
}
