/**
 * The built-in test environment: a small deterministic house with multi-stage tasks, for tests
 * and the demo. May import only `../text-env`; nothing here does I/O.
 */
import { TASKS } from './tasks';

export { BUILTIN_ENV_VERSION, BuiltinTextEnv } from './builtin-env';
export { goldActions, goldSubtasks, type GoldSubtask } from './gold';
export { DEFAULT_MAX_STEPS } from './engine';
export { UNKNOWN_ACTION } from './rules';
export { BadBuiltinVariationError, BuiltinEnvUsageError, UnknownBuiltinTaskError } from './errors';
export type { WorldState } from './world';

/** Ids of the built-in tasks, usable as `EnvSpec.task` with `env: 'builtin'`. */
export const BUILTIN_TASKS: readonly string[] = TASKS.map((t) => t.id);
