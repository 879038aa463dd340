/**
 * Errors the built-in environment throws for bad specs and misuse of a session. Player input is
 * never an error (it becomes feedback); these are caller bugs or bad configuration.
 */
import { EnvError } from '../text-env';

/** `spec.task` is not a built-in task id. Causes: a typo, or a ScienceWorld/ALFWorld task name. */
export class UnknownBuiltinTaskError extends EnvError {
  constructor(
    readonly task: string,
    readonly knownTasks: readonly string[],
  ) {
    super(`builtin env: unknown task '${task}'; known tasks: ${knownTasks.join(', ')}`, 'UnknownTask');
  }
}

/** `spec.variation` is not a non-negative integer (it seeds the layout). */
export class BadBuiltinVariationError extends EnvError {
  constructor(readonly variation: unknown) {
    super(
      `builtin env: spec.variation must be a non-negative integer (a layout seed), got ${JSON.stringify(variation) ?? String(variation)}`,
      'BadVariation',
    );
  }
}

/**
 * The session was used out of order or configured wrongly: `step` before `reset`, after `close`,
 * a spec for another env family, or an invalid `spec.options.maxSteps`.
 */
export class BuiltinEnvUsageError extends EnvError {
  constructor(message: string) {
    super(`builtin env: ${message}`, 'EnvProtocol');
  }
}
