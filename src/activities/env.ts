/**
 * Environment activities. The env session is the one piece of state outside Temporal, so it lives
 * in this worker's memory and these activities run on a worker-specific task queue (session
 * pinning). `envStep` applies each (episode id, step index) once: a step counts as started when
 * it is sent, a concurrent attempt of the same step awaits the first one, a retry after a failed
 * attempt re-sends the same index (the env server answers it from its idempotency store), and a
 * different action at a used index is `EnvDivergence`. A worker that does not hold the session
 * (restarted, env server lost) fails with `SessionLost`, and the workflow re-drives a fresh session.
 * Sessions and step counters idle longer than the env server's session TTL are dropped (see
 * {@link envSessionTtlSeconds}): an episode that never closed its session (terminated, or its close
 * ran on another worker) would otherwise keep them in this worker's memory for good.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { cancellationSignal, withHeartbeat } from './heartbeat';
import { obsHashMatches, redriveLogSteps } from '../episode/redrive-log';
import { EnvError, type EnvSpec, type Observation, type TextEnv } from '../envs/text-env';
import {
  ENV_DIVERGENCE,
  incarnationOfEnvQueue,
  SESSION_LOST,
  type AcquireInput,
  type EnvLease,
  type EnvResetOutput,
  type EnvStepOutput,
  type PinnedInput,
  type RedriveInput,
} from './types';

/** Creates a fresh env session for a spec's family. */
export type EnvFactory = (spec: EnvSpec) => TextEnv | Promise<TextEnv>;

/** Counts env work, so tests can prove no recorded step was applied twice. */
export interface EnvCounters {
  /** Applications per "episodeId#stepIndex" (must stay at 1). */
  applied: Map<string, number>;
  /** Steps replayed by re-drives. */
  redriveSteps: number;
  redrives: number;
}

/** One step sent to the env: its action is fixed from the moment it is sent. */
interface SentStep {
  action: string;
  /** The env's answer; rejects when the attempt that sent it failed (then a later attempt re-sends). */
  result: Promise<EnvStepOutput>;
  failed: boolean;
}

interface Session {
  env: TextEnv;
  spec: EnvSpec;
  /** Calls using the session right now: a session inside a call is never dropped as idle. */
  inUse: number;
  /** Steps sent to this session since its reset, by index (started, not necessarily answered). */
  steps: SentStep[];
  /** Indices whose application this session has confirmed (each counted once in `counters.applied`). */
  confirmed: Set<number>;
}

/** Short content hash of everything the agent sees of an observation. */
export function observationHash(observation: Observation): string {
  const content = JSON.stringify([observation.text, observation.look ?? '', observation.inventory ?? '']);
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/** The env server's session TTL variable (`--session-ttl-seconds` there); the worker reads the same one. */
export const ENV_SESSION_TTL_VAR = 'STEP_HRL_ENV_SESSION_TTL_S';

/**
 * The env server's default session TTL (`DEFAULT_TTL_S` in `envserver/`, 2 h: above the default
 * 30 min LLM outage budget, so a session idle through an outage is kept); a test pins the pair.
 */
export const DEFAULT_ENV_SESSION_TTL_SECONDS = 2 * 60 * 60;

/**
 * The idle session TTL in seconds, read as the env server reads it: {@link ENV_SESSION_TTL_VAR},
 * unset or empty for {@link DEFAULT_ENV_SESSION_TTL_SECONDS}, 0 for never.
 * @throws Error naming the variable when it is not a number of seconds >= 0
 */
export function envSessionTtlSeconds(env: Record<string, string | undefined> = process.env): number {
  const raw = env[ENV_SESSION_TTL_VAR];
  if (!raw) return DEFAULT_ENV_SESSION_TTL_SECONDS;
  const seconds = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new Error(
      `${ENV_SESSION_TTL_VAR}=${JSON.stringify(raw)} is not a number of seconds >= 0; set e.g. ${ENV_SESSION_TTL_VAR}=1800`,
    );
  }
  return seconds;
}

/** Options of {@link createEnvActivities}. */
export interface EnvActivitiesOptions {
  envFactory: EnvFactory;
  /** This worker's own env queue. */
  envQueue: string;
  /** This worker process's incarnation. @default the last part of `envQueue` ({@link incarnationOfEnvQueue}) */
  incarnation?: string;
  /**
   * Resolves when this worker's server for env family `env` is healthy, rejects (naming the server)
   * when not: `acquireEnvQueue` then refuses, retryably, so another worker takes the session.
   * @default no check
   */
  envHealth?: (env: string) => Promise<void>;
  /** This worker's Temporal identity, sent with the lease. */
  identity?: string;
  counters?: EnvCounters;
  /**
   * Sessions and step counters of an episode untouched for longer are dropped (the session closed
   * quietly); 0 keeps them until closed. @default {@link envSessionTtlSeconds}() x 1000, the env server's
   */
  sessionTtlMs?: number;
  /** Clock, in ms (tests). @default Date.now */
  now?: () => number;
}

/** The session maps of the activity objects {@link createEnvActivities} built (read by {@link openSessionCount}). */
const sessionsOf = new WeakMap<object, Map<string, Session>>();

/** How many env sessions the worker behind `activities` holds open now (its drain waits for 0). */
export function openSessionCount(activities: object): number {
  return sessionsOf.get(activities)?.size ?? 0;
}

/** Builds the env activities of one worker. */
export function createEnvActivities(options: EnvActivitiesOptions) {
  const activities = buildEnvActivities(options);
  sessionsOf.set(activities, activities[SESSIONS]);
  delete (activities as Partial<typeof activities>)[SESSIONS]; // not an activity
  return activities as Omit<typeof activities, typeof SESSIONS>;
}

const SESSIONS = Symbol('sessions');

function buildEnvActivities(options: EnvActivitiesOptions) {
  const sessions = new Map<string, Session>();
  const counters = options.counters ?? {
    applied: new Map(),
    redriveSteps: 0,
    redrives: 0,
  };
  const now = options.now ?? Date.now;
  const ttlMs = options.sessionTtlMs ?? envSessionTtlSeconds() * 1000;
  /** When each episode last used this worker (its session or its counters), in `now()` ms. */
  const lastUsed = new Map<string, number>();
  // Sweeps as often as the env server's reaper: a quarter of the TTL, at most every 30 s.
  const sweepEveryMs = Math.min(ttlMs / 4, 30_000);
  let lastSweep = now();
  const incarnation = options.incarnation ?? incarnationOfEnvQueue(options.envQueue);

  /** @throws SessionLost when a call was meant for another incarnation (a predecessor of this process). */
  function assertOwnIncarnation(input: PinnedInput & { episodeId: string }, doing: string): void {
    if (input.incarnation === undefined || input.incarnation === incarnation) return;
    throw ApplicationFailure.create({
      type: SESSION_LOST,
      nonRetryable: true,
      message: `episode ${input.episodeId}: ${doing} was sent to worker incarnation ${input.incarnation}, but this is ${incarnation}; its session is gone, re-drive needed`,
    });
  }

  /** Marks the episode used now, first dropping every episode idle longer than the TTL. */
  function touch(episodeId: string): void {
    sweepIfDue();
    lastUsed.set(episodeId, now());
  }

  function sweepIfDue(): void {
    const at = now();
    if (ttlMs <= 0 || at - lastSweep < sweepEveryMs) return;
    lastSweep = at;
    dropIdle(at);
  }

  function dropIdle(at: number): void {
    const idle = new Set<string>();
    for (const [episodeId, used] of lastUsed) {
      if (at - used <= ttlMs || (sessions.get(episodeId)?.inUse ?? 0) > 0) continue;
      idle.add(episodeId);
      lastUsed.delete(episodeId);
      const session = sessions.get(episodeId);
      sessions.delete(episodeId);
      // The env server's reaper has (or is about to have) closed it too: a failed close is expected.
      if (session) void closeQuietly(episodeId, session.env, { expected: true });
    }
    if (idle.size === 0) return;
    for (const key of counters.applied.keys()) {
      if (idle.has(key.slice(0, key.lastIndexOf('#')))) counters.applied.delete(key);
    }
  }

  /** Runs `call` with `session` marked in use, so that it is not dropped as idle meanwhile. */
  async function using<T>(episodeId: string, session: Session, call: () => Promise<T>): Promise<T> {
    session.inUse += 1;
    try {
      return await call();
    } finally {
      session.inUse -= 1;
      lastUsed.set(episodeId, now());
    }
  }

  async function open(episodeId: string, spec: EnvSpec): Promise<{ session: Session; reset: EnvResetOutput }> {
    touch(episodeId);
    const previous = sessions.get(episodeId);
    sessions.delete(episodeId);
    if (previous) await closeQuietly(episodeId, previous.env);
    const env = await options.envFactory(spec);
    let reset: Awaited<ReturnType<typeof env.reset>>;
    try {
      // Keyed by episode: a reset retried after this worker died is answered from the session it made.
      // Owned by this process: if it dies, whoever finds it gone frees the session on a shared server.
      const resetOptions = { signal: cancellationSignal(), key: episodeId, owner: incarnation };
      reset = await wrap(() => env.reset(spec, resetOptions), 'reset');
    } catch (err) {
      // Not registered yet, so no close would find it: a reset cancelled or failed must free it here.
      await closeQuietly(episodeId, env);
      throw err;
    }
    const session: Session = { env, spec, inUse: 0, steps: [], confirmed: new Set() };
    sessions.set(episodeId, session);
    lastUsed.set(episodeId, now());
    const versions = (await env.versions?.()) ?? {};
    return { session, reset: { ...reset, obsHash: observationHash(reset.observation), versions } };
  }

  return {
    [SESSIONS]: sessions,
    /**
     * Runs on the shared queue; answers with the queue and incarnation of this worker, which will own
     * the session, once its env server for `input.env` is healthy. A broken server answers a retryable
     * `EnvUnavailable`, so the next attempt goes to whichever worker polls first.
     */
    async acquireEnvQueue(input?: AcquireInput): Promise<EnvLease> {
      sweepIfDue(); // also on the shared queue, so a worker whose env queue went quiet still sweeps
      if (input?.env && options.envHealth) {
        try {
          await options.envHealth(input.env);
        } catch (err) {
          throw ApplicationFailure.retryable(
            `worker ${incarnation} takes no new ${input.env} session: its env server is not healthy (${(err as Error).message})`,
            'EnvUnavailable',
          );
        }
      }
      return { envQueue: options.envQueue, incarnation, ...(options.identity && { identity: options.identity }) };
    },

    /** Opens a session for the episode and resets it. */
    async envReset(input: { episodeId: string; spec: EnvSpec } & PinnedInput): Promise<EnvResetOutput> {
      assertOwnIncarnation(input, 'the reset');
      return (await open(input.episodeId, input.spec)).reset;
    },

    /** Applies step `stepIndex` exactly once (see the module comment). */
    async envStep(
      input: { episodeId: string; stepIndex: number; action: string } & PinnedInput,
    ): Promise<EnvStepOutput> {
      const { episodeId, stepIndex } = input;
      assertOwnIncarnation(input, `step ${stepIndex}`);
      touch(episodeId);
      const session = sessions.get(episodeId);
      if (!session) {
        throw ApplicationFailure.create({
          type: SESSION_LOST,
          nonRetryable: true,
          message: `episode ${episodeId}: this worker holds no env session at step ${stepIndex}; re-drive needed`,
        });
      }
      const output = await using(episodeId, session, () => wrap(() => stepOnce(session, input), `step ${stepIndex}`));
      if (!session.confirmed.has(stepIndex)) {
        session.confirmed.add(stepIndex);
        const key = `${episodeId}#${stepIndex}`;
        counters.applied.set(key, (counters.applied.get(key) ?? 0) + 1);
      }
      return output;
    },

    /**
     * Opens a new session and replays the recorded action prefix, comparing every observation with
     * the recorded hash. A mismatch is a non-retryable `EnvDivergence`: never continue on a diverged state.
     */
    async envRedrive(input: RedriveInput & PinnedInput): Promise<{ replayed: number }> {
      assertOwnIncarnation(input, 'the re-drive');
      counters.redrives += 1;
      const { session, reset } = await open(input.episodeId, input.spec);
      if (reset.obsHash !== input.resetObsHash) throw divergence(input.episodeId, -1);
      const steps = redriveLogSteps(input.steps); // compact, or a step list from an older workflow
      for (const [index, step] of steps.entries()) {
        const doing = `re-drive step ${index + 1} of ${steps.length}`;
        const result = await using(input.episodeId, session, () =>
          wrap(() => send(session, index, step.action).result, doing),
        );
        session.confirmed.add(index); // a replay, not an application of the agent's step
        counters.redriveSteps += 1;
        if (!obsHashMatches(result.obsHash, step.obsHash)) throw divergence(input.episodeId, index);
      }
      return { replayed: steps.length };
    },

    /**
     * Closes and forgets the episode's session. Idempotent, and never fails: it runs on cleanup
     * paths (cancel, terminate, failure), where a gone server or session has nothing left to free
     * (the env server's idle TTL closes anything a failed close leaves behind).
     */
    async envClose(input: { episodeId: string } & PinnedInput): Promise<void> {
      if (input.incarnation !== undefined && input.incarnation !== incarnation) return; // not ours: nothing to free
      touch(input.episodeId);
      const session = sessions.get(input.episodeId);
      sessions.delete(input.episodeId);
      if (session) await closeQuietly(input.episodeId, session.env);
    },
  };
}

/**
 * The env activities of a fence: a Worker of a live process polling the env queue of an incarnation
 * known to be gone (`resume` after a kill -9), so a call scheduled there after the death (e.g. the
 * step after an LLM call that was retried elsewhere) is answered `SessionLost` at once instead of
 * waiting out its schedule-to-start timeout and a failed liveness ping. It holds no session.
 */
export function createFenceActivities(envQueue: string) {
  const lost = (episodeId: string, doing: string): never => {
    throw ApplicationFailure.create({
      type: SESSION_LOST,
      nonRetryable: true,
      message: `episode ${episodeId}: ${doing} was sent to ${envQueue}, whose worker process is gone; re-drive needed`,
    });
  };
  return {
    async envReset(input: { episodeId: string }): Promise<EnvResetOutput> {
      return lost(input.episodeId, 'the reset');
    },
    async envStep(input: { episodeId: string; stepIndex: number }): Promise<EnvStepOutput> {
      return lost(input.episodeId, `step ${input.stepIndex}`);
    },
    async envRedrive(input: { episodeId: string }): Promise<{ replayed: number }> {
      return lost(input.episodeId, 'the re-drive');
    },
    /**
     * Nothing to free here: a spawned env server ended with the dead process, and the sessions it
     * left on a shared one were released by whoever found it gone (`releaseGoneSessions`).
     */
    async envClose(): Promise<void> {},
  };
}

/**
 * The answer to step `stepIndex` of the session: the one already sent (awaited, also by a
 * concurrent attempt), or a new send when it is the next step or its sender failed.
 */
async function stepOnce(
  session: Session,
  input: { episodeId: string; stepIndex: number; action: string },
): Promise<EnvStepOutput> {
  const { episodeId, stepIndex, action } = input;
  const sent = session.steps[stepIndex];
  if (sent) {
    if (sent.action !== action) throw stepDivergence(episodeId, stepIndex, sent.action, action);
    if (!sent.failed) {
      try {
        return await untilCancelled(sent.result); // a concurrent or later attempt of a started step
      } catch (err) {
        if (!sent.failed) throw err;
        // The attempt that sent it failed (cancelled, timed out): send it again below.
      }
    }
    return send(session, stepIndex, action).result;
  }
  if (stepIndex !== session.steps.length) {
    throw ApplicationFailure.create({
      type: SESSION_LOST,
      nonRetryable: true,
      message: `episode ${episodeId}: session is at step ${session.steps.length}, asked for step ${stepIndex}`,
    });
  }
  return send(session, stepIndex, action).result;
}

/**
 * Sends step `index` (or re-sends it: the env server answers a repeat of the same index and action
 * from its store) and records it as started before any answer comes back.
 */
function send(session: Session, index: number, action: string): SentStep {
  const started = Date.now();
  const sent: SentStep = {
    action,
    failed: false,
    result: session.env.step(action, { stepIndex: index, signal: cancellationSignal() }).then(
      (result) => ({ ...result, obsHash: observationHash(result.observation), latencyMs: Date.now() - started }),
      (err: unknown) => {
        sent.failed = true;
        throw err;
      },
    ),
  };
  sent.result.catch(() => undefined); // awaited by the attempt(s); never an unhandled rejection
  session.steps[index] = sent;
  return sent;
}

/**
 * `promise`, or the running activity's cancellation if that comes first (the promise may be
 * another attempt's HTTP call, which this attempt's signal does not abort).
 */
function untilCancelled<T>(promise: Promise<T>): Promise<T> {
  const signal = cancellationSignal();
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function closeQuietly(episodeId: string, env: TextEnv, options: { expected?: boolean } = {}): Promise<void> {
  try {
    await env.close();
  } catch (err) {
    if (options.expected) return;
    const message = `episode ${episodeId}: closing the env session failed (${(err as Error).message}); the env server's session TTL frees it`;
    try {
      Context.current().log.warn(message);
    } catch {
      console.warn(message); // outside an activity
    }
  }
}

function stepDivergence(episodeId: string, index: number, sentAction: string, action: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ENV_DIVERGENCE,
    nonRetryable: true,
    message: `episode ${episodeId}: step ${index} was already sent with action ${JSON.stringify(sentAction)}, now asked with ${JSON.stringify(action)}; one step index names one action`,
  });
}

function divergence(episodeId: string, stepIndex: number): ApplicationFailure {
  const where = stepIndex < 0 ? 'the reset observation' : `step ${stepIndex}`;
  return ApplicationFailure.create({
    type: ENV_DIVERGENCE,
    nonRetryable: true,
    message: `episode ${episodeId}: re-driven ${where} differs from the recorded observation; the episode stops rather than continue on a diverged state`,
  });
}

/**
 * Env errors become typed failures; bad input is not retried, an unavailable server is. `doing`
 * goes into the heartbeats meanwhile.
 */
async function wrap<T>(call: () => Promise<T>, doing: string): Promise<T> {
  try {
    return await withHeartbeat(call, doing);
  } catch (err) {
    if (err instanceof EnvError) {
      const retryable = err.code === 'EnvUnavailable';
      if (err.code === 'EnvDivergence') {
        throw ApplicationFailure.create({ type: ENV_DIVERGENCE, nonRetryable: true, message: err.message });
      }
      if (err.code === 'SessionLost') {
        throw ApplicationFailure.create({
          type: SESSION_LOST,
          nonRetryable: true,
          message: err.message,
        });
      }
      throw ApplicationFailure.create({
        type: err.name,
        nonRetryable: !retryable,
        message: err.message,
      });
    }
    throw err;
  }
}
