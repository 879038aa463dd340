/**
 * {@link TextEnv} clients for ScienceWorld and ALFWorld over the env server's HTTP protocol
 * (docs/env-server-protocol.md). One instance = one server session, created on first reset.
 */
import { EnvHttp } from './env-http';
import {
  EnvError,
  EnvSpec,
  Observation,
  ResetOptions,
  ResetResult,
  StepOptions,
  StepResult,
  TextEnv,
} from './text-env';

/** Timeout of calls that never queue behind other sessions' work (versions). */
const SHORT_CALL_TIMEOUT_MS = 10_000;
/** Close waits for the session's own in-flight call; past this the server's session TTL cleans up. */
const CLOSE_TIMEOUT_MS = 60_000;

/** Client options shared by both environments. */
export interface HttpTextEnvOptions {
  /** Env server root URL (see `startEnvServer` / `connectEnvServer`). */
  url: string;
  /**
   * Timeout for one step. Unset (the default): no timeout, the call waits as long as the server
   * answers `GET /health`, since a step may queue behind other sessions' work (ALFWorld's
   * textworld lock) and its caller's cancellation signal can always abort it.
   */
  stepTimeoutMs?: number;
  /** Timeout for create/reset (ScienceWorld starts a JVM per session). Unset: as for steps. */
  resetTimeoutMs?: number;
  /**
   * Tells whether the server process this client talks to is gone (the worker's own spawned
   * server died). When it is, a network failure is reported as `SessionLost` (the episode
   * re-drives on a restarted server) instead of a retryable `EnvUnavailable`.
   */
  serverGone?: () => Promise<boolean>;
  /** How often a call without a timeout probes the server's `GET /health`. @default 10000 */
  livenessProbeMs?: number;
}

/** Fields both servers return from step and reset. */
interface WireStep {
  observation: string;
  reward: number;
  score: number;
  done: boolean;
  won?: boolean;
  look?: string;
  inventory?: string;
  valid_actions?: string[];
  available_actions?: string[];
}

interface WireReset extends WireStep {
  task_description?: string;
}

/** Shared session handling: lazy create, reset re-creates a lost session, idempotent close. */
abstract class HttpTextEnv implements TextEnv {
  protected readonly http: EnvHttp;
  private id: number | undefined;
  private readonly stepTimeoutMs: number | undefined;
  private readonly resetTimeoutMs: number | undefined;
  private readonly serverGone: (() => Promise<boolean>) | undefined;

  protected constructor(
    private readonly prefix: '/scienceworld' | '/alfworld',
    opts: HttpTextEnvOptions,
  ) {
    this.http = new EnvHttp(opts.url, opts.livenessProbeMs);
    this.stepTimeoutMs = opts.stepTimeoutMs;
    this.resetTimeoutMs = opts.resetTimeoutMs;
    this.serverGone = opts.serverGone;
  }

  /** The env server's package versions (scienceworld, alfworld, textworld, java, ...). */
  async versions(): Promise<Record<string, string>> {
    return this.http.get<Record<string, string>>('/versions', {}, { timeoutMs: SHORT_CALL_TIMEOUT_MS });
  }

  /** The server's session id, once created (exposed for logs and session-loss tests). */
  get sessionId(): number | undefined {
    return this.id;
  }

  async reset(spec: EnvSpec, options: ResetOptions = {}): Promise<ResetResult> {
    const body = this.resetBody(spec);
    const timeout = { timeoutMs: this.resetTimeoutMs, signal: options.signal };
    if (this.id !== undefined) {
      try {
        return this.toReset(await this.http.post<WireReset>(`${this.prefix}/reset`, { ...body, id: this.id }, timeout));
      } catch (e) {
        // A lost session is only fatal mid-episode; a reset starts over, so it may use a new one.
        if (!(e instanceof EnvError && e.code === 'SessionLost')) throw e;
        this.id = undefined;
      }
    }
    await this.ensureSession(options.signal, options.key, options.owner);
    return this.toReset(await this.http.post<WireReset>(`${this.prefix}/reset`, { ...body, id: this.id }, timeout));
  }

  /** Creates the server session if there is none yet; returns its id. */
  protected async ensureSession(signal?: AbortSignal, key?: string, owner?: string): Promise<number> {
    if (this.id === undefined) {
      const body = { ...(key !== undefined && { key }), ...(owner !== undefined && { owner }) };
      const created = await this.http.post<{ id: number }>(`${this.prefix}/create`, body, {
        timeoutMs: this.resetTimeoutMs,
        signal,
      });
      this.id = created.id;
    }
    return this.id;
  }

  async step(action: string, options: StepOptions = {}): Promise<StepResult> {
    if (this.id === undefined) {
      throw new EnvError(`step(${JSON.stringify(action)}) before reset: call reset(spec) first`, 'EnvProtocol');
    }
    if (typeof action !== 'string' || action.trim() === '') {
      throw new EnvError(
        `invalid action ${JSON.stringify(action)}: an action must be a non-empty string command`,
        'BadAction',
      );
    }
    const { stepIndex, signal } = options;
    if (stepIndex !== undefined && !(Number.isInteger(stepIndex) && stepIndex >= 0)) {
      throw new EnvError(
        `stepIndex ${JSON.stringify(stepIndex)} must be a non-negative integer (steps since reset)`,
        'EnvProtocol',
      );
    }
    const id = this.id;
    let r: WireStep;
    try {
      r = await this.http.post<WireStep>(
        `${this.prefix}/step`,
        { id, action, ...(stepIndex !== undefined ? { step_index: stepIndex } : {}), ...this.stepExtras() },
        { timeoutMs: this.stepTimeoutMs, signal },
      );
    } catch (e) {
      if (e instanceof EnvError && e.code === 'EnvUnavailable' && (await this.serverGone?.())) {
        throw new EnvError(
          `env server process holding session ${id} exited (${e.message}); the session is lost, re-drive it on a new server`,
          'SessionLost',
        );
      }
      throw e;
    }
    return {
      observation: this.observation(r),
      reward: r.reward,
      score: r.score,
      done: r.done,
      won: r.won ?? false,
    };
  }

  async close(): Promise<void> {
    const id = this.id;
    this.id = undefined;
    if (id === undefined) return;
    try {
      await this.http.post(`${this.prefix}/close`, { id }, { timeoutMs: CLOSE_TIMEOUT_MS });
    } catch (e) {
      // Already gone (server restarted or down): there is nothing left to release.
      if (e instanceof EnvError && (e.code === 'SessionLost' || e.code === 'EnvUnavailable')) return;
      throw e;
    }
  }

  /** Env-specific reset request fields (without `id`). */
  protected abstract resetBody(spec: EnvSpec): Record<string, unknown>;
  /** Env-specific step request fields (without `id`/`action`). */
  protected abstract stepExtras(): Record<string, unknown>;
  /** Builds the task description from the reset response. */
  protected abstract taskDescription(r: WireReset): string;

  protected observation(r: WireStep): Observation {
    const actions = r.valid_actions ?? r.available_actions;
    return {
      text: r.observation,
      ...(r.look !== undefined ? { look: r.look } : {}),
      ...(r.inventory !== undefined ? { inventory: r.inventory } : {}),
      ...(actions !== undefined ? { validActions: actions } : {}),
    };
  }

  private toReset(r: WireReset): ResetResult {
    return { observation: this.observation(r), taskDescription: this.taskDescription(r), score: r.score ?? 0 };
  }
}

function checkKind(spec: EnvSpec, want: EnvSpec['env']): void {
  if (spec.env !== want) {
    throw new EnvError(`this client plays ${want} but the spec says env=${JSON.stringify(spec.env)}`, 'UnknownTask');
  }
}

function checkVariation(spec: EnvSpec): number {
  const v = spec.variation ?? 0;
  if (!Number.isInteger(v) || v < 0) {
    throw new EnvError(
      `variation ${JSON.stringify(spec.variation)} of task ${JSON.stringify(spec.task)} must be a non-negative integer`,
      'BadVariation',
    );
  }
  return v;
}

/**
 * ScienceWorld client. Spec: `task` = task name (e.g. `boil`) or id (`1-1`); `variation`;
 * `split` (`train`/`dev`/`test`, checked by the server when given); `options`:
 * `simplifications` (string or list; none by default), `envStepLimit` (simulator's own limit,
 * default 100), `validActions` (include the simulator's valid action list; off by default because
 * it lists hundreds of actions).
 */
export class ScienceWorldTextEnv extends HttpTextEnv {
  private wantValid = false;

  constructor(opts: HttpTextEnvOptions) {
    super('/scienceworld', opts);
  }

  /**
   * The simulator's gold action sequence for `spec`, generated in this session's own simulator
   * (so several sessions generate in parallel). The session must be reset before stepping again.
   */
  async goldActions(spec: EnvSpec, signal?: AbortSignal): Promise<string[]> {
    checkKind(spec, 'scienceworld');
    const id = await this.ensureSession(signal);
    const simp = spec.options?.simplifications;
    const r = await this.http.get<{ actions: string[] }>(
      '/scienceworld/gold',
      {
        id,
        task_name: spec.task,
        variation: checkVariation(spec),
        simplifications: Array.isArray(simp) ? simp.join(',') : typeof simp === 'string' ? simp : undefined,
      },
      { signal },
    );
    return r.actions;
  }

  protected resetBody(spec: EnvSpec): Record<string, unknown> {
    checkKind(spec, 'scienceworld');
    const o = spec.options ?? {};
    this.wantValid = o.validActions === true;
    return {
      task_name: spec.task,
      variation: checkVariation(spec),
      ...(spec.split !== undefined ? { split: spec.split } : {}),
      simplifications: o.simplifications ?? '',
      ...(o.envStepLimit !== undefined ? { env_step_limit: o.envStepLimit } : {}),
      valid_actions: this.wantValid,
    };
  }

  protected stepExtras(): Record<string, unknown> {
    return { valid_actions: this.wantValid };
  }

  protected taskDescription(r: WireReset): string {
    // The simulator prefixes a "Task Description:" header line; the task text is what follows.
    return (r.task_description ?? '').replace(/^\s*Task Description:\s*/, '').trim();
  }
}

/**
 * ALFWorld client. Spec: `split` (`valid_seen`, `valid_unseen`, `train_sample`) and `task` =
 * `<task-dir>/<trial-dir>` inside that split (or the full `<split>/<task-dir>/<trial-dir>` path
 * when `split` is omitted). `Observation.look` is the initial room description;
 * `taskDescription` is the "Your task is to: ..." line; valid actions are the admissible commands.
 */
export class AlfWorldTextEnv extends HttpTextEnv {
  private look: string | undefined;

  constructor(opts: HttpTextEnvOptions) {
    super('/alfworld', opts);
  }

  protected resetBody(spec: EnvSpec): Record<string, unknown> {
    checkKind(spec, 'alfworld');
    if (typeof spec.task !== 'string' || spec.task.trim() === '') {
      throw new EnvError(`ALFWorld task ${JSON.stringify(spec.task)} must be a game path`, 'BadGameFile');
    }
    return { game_file: spec.task, ...(spec.split !== undefined ? { split: spec.split } : {}), world_type: 'Text' };
  }

  protected stepExtras(): Record<string, unknown> {
    return {};
  }

  protected taskDescription(r: WireReset): string {
    return r.task_description ?? '';
  }

  protected override observation(r: WireStep): Observation {
    // ALFWorld describes the room only at reset; keep offering it on every observation.
    if (r.look !== undefined) this.look = r.look;
    return { ...super.observation(r), ...(this.look !== undefined ? { look: this.look } : {}) };
  }
}

/** Creates the client for `env` (`scienceworld` or `alfworld`) against an env server. */
export function createHttpTextEnv(env: 'scienceworld' | 'alfworld', opts: HttpTextEnvOptions): TextEnv {
  return env === 'scienceworld' ? new ScienceWorldTextEnv(opts) : new AlfWorldTextEnv(opts);
}
