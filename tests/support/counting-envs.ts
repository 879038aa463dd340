/**
 * Built-in envs that count resets per spec and the sessions open now and at most, so a test can
 * tell an episode played twice or an env session left open (leaked) from the env's side.
 */
import type { EnvFactory } from '../../src/activities';
import { BuiltinTextEnv } from '../../src/envs/builtin';
import type { EnvSpec, TextEnv } from '../../src/envs/text-env';

/** A factory of counting built-in envs and its counters. */
export function countingFactory() {
  const resets = new Map<string, number>();
  let open = 0;
  let maxOpen = 0;
  const factory: EnvFactory = () => {
    const env = new BuiltinTextEnv();
    let opened = false;
    const wrapped: TextEnv = Object.create(env) as TextEnv;
    wrapped.reset = async (spec: EnvSpec) => {
      const key = `${spec.task}#${spec.variation}`;
      resets.set(key, (resets.get(key) ?? 0) + 1);
      if (!opened) maxOpen = Math.max(maxOpen, ++open);
      opened = true;
      return env.reset(spec);
    };
    wrapped.close = async () => {
      if (opened) open -= 1;
      opened = false;
      return env.close();
    };
    return wrapped;
  };
  return { factory, resets, maxOpen: () => maxOpen, openNow: () => open };
}
