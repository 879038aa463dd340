/**
 * `BuiltinTextEnv`: the built-in environment behind the async {@link TextEnv} interface.
 * All work happens synchronously in engine.ts; this class only owns the session lifecycle
 * (reset / step / close) and shapes results.
 */
import { EnvError } from '../text-env';
import type { EnvSpec, ResetResult, StepOptions, StepResult, TextEnv } from '../text-env';
import { initialState, observe, stepState, taskOf } from './engine';
import { BuiltinEnvUsageError } from './errors';
import { describeRoom } from './describe';
import { cloneState, type WorldState } from './world';

/** Version of the built-in world's rules and tasks; bump when any observation or score changes. */
export const BUILTIN_ENV_VERSION = '1';

/**
 * A deterministic household text environment with rooms, doors (one locked), containers,
 * devices and multi-stage tasks (see `BUILTIN_TASKS`). Scores run 0..100 by stage; the episode
 * ends when the goal is reached (won) or after `spec.options.maxSteps` steps (default 100).
 *
 * @example
 * const env = new BuiltinTextEnv();
 * const { taskDescription } = await env.reset({ env: 'builtin', task: 'boil-water', variation: 3 });
 * const r = await env.step('look');
 */
export class BuiltinTextEnv implements TextEnv {
  private state: WorldState | undefined;
  private closed = false;

  /** Starts the episode for `spec`; throws `UnknownTask`, `BadVariation` or `EnvProtocol` env errors. */
  async reset(spec: EnvSpec): Promise<ResetResult> {
    if (this.closed) throw new BuiltinEnvUsageError('reset() called after close(); create a new BuiltinTextEnv');
    const s = initialState(spec);
    this.state = s;
    return {
      observation: { text: describeRoom(s), ...observe(s) },
      taskDescription: taskOf(s).describe(s),
      score: s.score,
    };
  }

  /**
   * Applies one action. Unknown or inadmissible actions return feedback and still cost a step.
   * After the episode has ended, returns `done` again without advancing (reward 0).
   * `options` are accepted and ignored: the session lives in the caller's process, so no answer
   * is ever lost and a step index needs no server-side store (`envStep` dedupes per worker).
   */
  async step(action: string, _options?: StepOptions): Promise<StepResult> {
    if (this.closed) throw new BuiltinEnvUsageError('step() called after close(); create a new BuiltinTextEnv');
    const s = this.state;
    if (!s) throw new BuiltinEnvUsageError('step() called before reset(); call reset(spec) first');
    // Same contract as the env server: an empty action is a caller bug, not a move in the game.
    if (typeof action !== 'string' || action.trim() === '') {
      throw new EnvError(`action ${JSON.stringify(action)} is empty; send a command such as "look"`, 'BadAction');
    }
    if (s.done) {
      return {
        observation: {
          text: 'The episode has ended. Call reset() to start a new one.',
          ...observe(s),
        },
        reward: 0,
        score: s.score,
        done: true,
        won: s.won,
      };
    }
    const r = stepState(s, typeof action === 'string' ? action : '');
    return {
      observation: { text: r.feedback, ...observe(s) },
      reward: r.reward,
      score: s.score,
      done: s.done,
      won: s.won,
    };
  }

  /** Ends the session; further calls to `step` or `reset` throw. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.state = undefined;
  }

  /** The built-in env's own version (its rules and tasks), recorded with every result. */
  async versions(): Promise<Record<string, string>> {
    return { builtin: BUILTIN_ENV_VERSION };
  }

  /** A copy of the current state (JSON-serialisable), e.g. for snapshots and debugging. */
  snapshot(): WorldState | undefined {
    return this.state ? cloneState(this.state) : undefined;
  }
}
