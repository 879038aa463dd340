/**
 * Pins the built-in text environment's observable contract: gold plans win every task and
 * variation, scores rise stage by stage, bad input becomes feedback that costs a step, the
 * step limit ends episodes, runs are deterministic, observations stay bounded, and misuse
 * raises named EnvErrors.
 */
import { EnvError, type EnvSpec, type StepResult } from '../../../src/envs/text-env';
import { BUILTIN_TASKS, BuiltinTextEnv, goldActions, goldSubtasks, UNKNOWN_ACTION } from '../../../src/envs/builtin';

const VARIATIONS = [0, 1, 2, 3, 4, 5, 6, 7, 42, 1234];
const spec = (task: string, variation = 0, options?: Record<string, unknown>): EnvSpec => ({
  env: 'builtin',
  task,
  variation,
  ...(options ? { options } : {}),
});

async function play(s: EnvSpec, actions: string[]): Promise<StepResult[]> {
  const env = new BuiltinTextEnv();
  await env.reset(s);
  const out: StepResult[] = [];
  for (const a of actions) out.push(await env.step(a));
  await env.close();
  return out;
}

describe('BuiltinTextEnv tasks', () => {
  it('offers several multi-stage tasks', () => {
    expect(BUILTIN_TASKS).toEqual(
      expect.arrayContaining([
        'boil-water',
        'find-key-open-chest',
        'deliver-apple',
        'clean-plate',
        'chill-juice',
        'water-plant',
      ]),
    );
  });

  describe.each(BUILTIN_TASKS.map((t) => [t]))('%s', (task) => {
    it.each(VARIATIONS.map((v) => [v]))('variation %i is won with score 100 by its gold actions', async (v) => {
      const env = new BuiltinTextEnv();
      const reset = await env.reset(spec(task, v));
      expect(reset.score).toBe(0);
      expect(reset.taskDescription).toMatch(/^Your task is to /);
      const gold = goldActions(spec(task, v));
      expect(gold.length).toBeGreaterThanOrEqual(5);
      expect(gold.length).toBeLessThanOrEqual(15);
      let last: StepResult | undefined;
      let valid = reset.observation.validActions ?? [];
      for (const [i, a] of gold.entries()) {
        expect(last?.done ?? false).toBe(false);
        // Every expert action is admissible, so validActions never hides a needed move.
        expect(valid).toContain(a);
        last = await env.step(a);
        expect(last.observation.text).not.toContain(UNKNOWN_ACTION);
        valid = last.observation.validActions ?? [];
        if (i < gold.length - 1) expect(last.won).toBe(false);
      }
      expect(last).toMatchObject({ done: true, won: true, score: 100 });
    });

    it('gives partial score that increases subtask by subtask', async () => {
      for (const v of [0, 3, 9]) {
        const subtasks = goldSubtasks(spec(task, v));
        expect(subtasks.length).toBeGreaterThanOrEqual(3);
        const env = new BuiltinTextEnv();
        await env.reset(spec(task, v));
        let score = 0;
        let rewards = 0;
        for (const st of subtasks) {
          expect(st.subtask).toMatch(/^[A-Z][a-z]+ .+/);
          expect(st.actions.length).toBeGreaterThan(0);
          for (const a of st.actions) {
            const r = await env.step(a);
            expect(r.score).toBeGreaterThanOrEqual(score);
            expect(r.reward).toBe(r.score - score);
            rewards += r.reward;
            score = r.score;
          }
          // Each stage boundary is where the score steps up.
          expect(score).toBeGreaterThan(0);
        }
        const perStage: number[] = [];
        const env2 = new BuiltinTextEnv();
        await env2.reset(spec(task, v));
        for (const st of subtasks) {
          let r: StepResult | undefined;
          for (const a of st.actions) r = await env2.step(a);
          perStage.push(r?.score ?? -1);
        }
        for (let i = 1; i < perStage.length; i++) expect(perStage[i]).toBeGreaterThan(perStage[i - 1] as number);
        expect(perStage[perStage.length - 1]).toBe(100);
        expect(rewards).toBe(100);
      }
    });
  });

  it('names subtasks after the layout of the variation', () => {
    const names = new Set(VARIATIONS.map((v) => goldSubtasks(spec('find-key-open-chest', v))[0]?.subtask));
    expect(names.size).toBeGreaterThan(1);
    expect([...names].every((n) => /^Find the brass key (in|on) the [a-z ]+ in the [a-z ]+$/.test(n ?? ''))).toBe(true);
  });

  it('reports heating and cooling as they happen', async () => {
    const boil = await play(spec('boil-water', 1), goldActions(spec('boil-water', 1)));
    expect(boil.at(-1)?.observation.text).toContain('The water in the pot is boiling.');
    expect(boil.at(-1)?.observation.look).toContain('containing boiling water');
    const chill = await play(spec('chill-juice', 1), goldActions(spec('chill-juice', 1)));
    expect(chill.at(-1)?.observation.text).toContain('The orange juice is cold now.');
  });
});

describe('BuiltinTextEnv feedback', () => {
  it('answers unknown and inadmissible actions with feedback that costs a step; rejects an empty one', async () => {
    const env = new BuiltinTextEnv();
    await env.reset(spec('boil-water', 0, { maxSteps: 6 }));
    const unknown = await env.step('xyzzy plugh');
    expect(unknown).toMatchObject({ reward: 0, score: 0, done: false, won: false });
    expect(unknown.observation.text).toBe(UNKNOWN_ACTION);
    await expect(env.step('  ')).rejects.toMatchObject({ code: 'BadAction' });
    expect((await env.step('wait for nothing')).observation.text).toContain(UNKNOWN_ACTION);
    expect((await env.step('take sofa')).observation.text).toBe("No known object called 'sofa' is here.");
    expect((await env.step('open door to study')).observation.text).toBe('The door to study is locked.');
    expect((await env.step('go to study')).observation.text).toBe('The door to the study is closed.');
    // Sixth step: the limit is reached although every action was invalid.
    const last = await env.step('fly to moon');
    expect(last).toMatchObject({ done: true, won: false, score: 0 });
  });

  it('accepts synonyms, articles and capitals', async () => {
    const [a, b, c] = await play(spec('boil-water', 0), ['Look around.', 'look at the side table', 'I']);
    expect(a?.observation.text).toMatch(/^This room is called the hallway\./);
    expect(b?.observation.text).toMatch(/^You see a side table/);
    expect(c?.observation.text).toMatch(/^In your inventory, you see:/);
  });

  it('exposes look, inventory and sorted valid actions in every observation', async () => {
    const env = new BuiltinTextEnv();
    const r = await env.reset(spec('water-plant', 2));
    expect(r.observation.text).toBe(r.observation.look);
    expect(r.observation.look).toMatch(/^This room is called the /);
    expect(r.observation.inventory).toBe('In your inventory, you see:\n\tnothing');
    const valid = r.observation.validActions ?? [];
    expect(valid).toEqual([...valid].sort());
    expect(valid).toEqual(expect.arrayContaining(['inventory', 'look', 'wait']));
  });

  it('ends a long episode at spec.options.maxSteps, not won, and stays ended', async () => {
    const env = new BuiltinTextEnv();
    await env.reset(spec('deliver-apple', 0, { maxSteps: 5 }));
    const results: StepResult[] = [];
    for (let i = 0; i < 5; i++) results.push(await env.step('wait'));
    expect(results.slice(0, 4).every((r) => !r.done)).toBe(true);
    expect(results[4]).toMatchObject({ done: true, won: false });
    const after = await env.step('look');
    expect(after).toMatchObject({ done: true, won: false, reward: 0 });
    expect(after.observation.text).toContain('The episode has ended');
  });

  it('defaults the step limit to 100', async () => {
    const r = await play(
      spec('clean-plate', 0),
      Array.from({ length: 100 }, () => 'wait'),
    );
    expect(r[98]?.done).toBe(false);
    expect(r[99]).toMatchObject({ done: true, won: false });
  });
});

describe('BuiltinTextEnv determinism and size', () => {
  it('gives identical observations for the same spec and actions', async () => {
    const actions = [
      'look',
      'go to kitchen',
      'open cupboard',
      'take pot',
      'xyzzy',
      ...goldActions(spec('boil-water', 5)),
    ];
    const run = async (): Promise<unknown> => {
      const env = new BuiltinTextEnv();
      const reset = await env.reset(spec('boil-water', 5));
      const steps = [];
      for (const a of actions) steps.push(await env.step(a));
      return { reset, steps };
    };
    expect(JSON.stringify(await run())).toBe(JSON.stringify(await run()));
  });

  it('changes the layout with the variation', async () => {
    const looks = new Set<string>();
    for (const v of VARIATIONS) {
      const env = new BuiltinTextEnv();
      const r = await env.reset(spec('deliver-apple', v));
      looks.add(`${r.observation.look}|${goldActions(spec('deliver-apple', v)).join(';')}`);
    }
    expect(looks.size).toBeGreaterThan(3);
  });

  it('keeps observations bounded over 300 steps of look and wait', async () => {
    const env = new BuiltinTextEnv();
    await env.reset(spec('boil-water', 3, { maxSteps: 1000 }));
    const sizes: number[] = [];
    for (let i = 0; i < 300; i++) {
      const r = await env.step(i % 2 === 0 ? 'look' : 'wait');
      expect(r.done).toBe(false);
      if (i % 2 === 0) sizes.push(JSON.stringify(r.observation).length);
    }
    expect(Math.max(...sizes)).toBe(sizes[0]);
    expect(sizes[0]).toBeLessThan(4000);
  });

  it('snapshots its state as plain JSON', async () => {
    const env = new BuiltinTextEnv();
    await env.reset(spec('chill-juice', 4));
    await env.step('look');
    const snap = env.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap).toMatchObject({ task: 'chill-juice', variation: 4, steps: 1 });
  });
});

describe('BuiltinTextEnv errors', () => {
  const rejects = async (p: Promise<unknown>, code: string, message: RegExp): Promise<void> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EnvError);
    expect((err as EnvError).code).toBe(code);
    expect((err as EnvError).message).toMatch(message);
  };

  it('rejects an unknown task, naming it and the known ones', async () => {
    await rejects(
      new BuiltinTextEnv().reset(spec('boil-milk')),
      'UnknownTask',
      /unknown task 'boil-milk'; known tasks: boil-water, find-key-open-chest/,
    );
    expect(() => goldActions(spec('boil-milk'))).toThrow(EnvError);
  });

  it.each([[-1], [1.5], [Number.NaN]])('rejects variation %p', async (v) => {
    await rejects(
      new BuiltinTextEnv().reset(spec('boil-water', v)),
      'BadVariation',
      /spec\.variation must be a non-negative integer/,
    );
  });

  it('rejects a bad step limit and a spec for another env', async () => {
    await rejects(
      new BuiltinTextEnv().reset(spec('boil-water', 0, { maxSteps: 0 })),
      'EnvProtocol',
      /spec\.options\.maxSteps must be a positive integer, got 0/,
    );
    await rejects(
      new BuiltinTextEnv().reset({ env: 'scienceworld', task: 'boil' }),
      'EnvProtocol',
      /spec\.env must be 'builtin'/,
    );
  });

  it('rejects step before reset and after close; close is idempotent', async () => {
    const env = new BuiltinTextEnv();
    await rejects(env.step('look'), 'EnvProtocol', /step\(\) called before reset\(\)/);
    await env.reset(spec('boil-water'));
    await env.close();
    await env.close();
    await rejects(env.step('look'), 'EnvProtocol', /step\(\) called after close\(\)/);
  });

  it('can be reset again to the same start', async () => {
    const env = new BuiltinTextEnv();
    const a = await env.reset(spec('clean-plate', 8));
    await env.step('wait');
    const b = await env.reset(spec('clean-plate', 8));
    expect(b).toEqual(a);
  });
});
