/**
 * Environment activities. The env session is the one piece of state outside Temporal, so it lives
 * in this worker's memory and these activities run on a worker-specific task queue (session
 * pinning). `envStep` is idempotent by (episode id, step index): a retried step returns the stored
 * result instead of advancing the env twice. A worker that does not hold the session (restarted,
 * env server lost) fails with `SessionLost`, and the workflow re-drives a fresh session.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { withHeartbeat } from './heartbeat';
import { EnvError, type EnvSpec, type Observation, type TextEnv } from '../envs/text-env';
import { ENV_DIVERGENCE, SESSION_LOST, type EnvResetOutput, type EnvStepOutput, type RedriveInput } from './types';

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

interface Session {
  env: TextEnv;
  spec: EnvSpec;
  /** Number of steps applied to this session so far. */
  applied: number;
  last?: EnvStepOutput;
}

/** Short content hash of everything the agent sees of an observation. */
export function observationHash(observation: Observation): string {
  const content = JSON.stringify([observation.text, observation.look ?? '', observation.inventory ?? '']);
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/** Builds the env activities of one worker. `envQueue` is this worker's own queue. */
export function createEnvActivities(options: { envFactory: EnvFactory; envQueue: string; counters?: EnvCounters }) {
  const sessions = new Map<string, Session>();
  const counters = options.counters ?? {
    applied: new Map(),
    redriveSteps: 0,
    redrives: 0,
  };

  async function open(episodeId: string, spec: EnvSpec): Promise<{ session: Session; reset: EnvResetOutput }> {
    await sessions.get(episodeId)?.env.close();
    const env = await options.envFactory(spec);
    const reset = await wrap(() => env.reset(spec));
    const session: Session = { env, spec, applied: 0 };
    sessions.set(episodeId, session);
    const versions = (await env.versions?.()) ?? {};
    return { session, reset: { ...reset, obsHash: observationHash(reset.observation), versions } };
  }

  return {
    /** Runs on the shared queue; answers with the queue of the worker that will own the session. */
    async acquireEnvQueue(): Promise<string> {
      return options.envQueue;
    },

    /** Opens a session for the episode and resets it. */
    async envReset(input: { episodeId: string; spec: EnvSpec }): Promise<EnvResetOutput> {
      return (await open(input.episodeId, input.spec)).reset;
    },

    /** Applies step `stepIndex` exactly once. */
    async envStep(input: { episodeId: string; stepIndex: number; action: string }): Promise<EnvStepOutput> {
      const session = sessions.get(input.episodeId);
      if (!session || session.applied < input.stepIndex) {
        throw ApplicationFailure.create({
          type: SESSION_LOST,
          nonRetryable: true,
          message: `episode ${input.episodeId}: this worker holds no env session at step ${input.stepIndex}; re-drive needed`,
        });
      }
      if (session.applied === input.stepIndex + 1 && session.last) return session.last; // retried after success
      if (session.applied !== input.stepIndex) {
        throw ApplicationFailure.create({
          type: SESSION_LOST,
          nonRetryable: true,
          message: `episode ${input.episodeId}: session is at step ${session.applied}, asked for step ${input.stepIndex}`,
        });
      }
      const started = Date.now();
      const result = await wrap(() => session.env.step(input.action));
      const key = `${input.episodeId}#${input.stepIndex}`;
      counters.applied.set(key, (counters.applied.get(key) ?? 0) + 1);
      session.applied += 1;
      session.last = {
        ...result,
        obsHash: observationHash(result.observation),
        latencyMs: Date.now() - started,
      };
      return session.last;
    },

    /**
     * Opens a new session and replays the recorded action prefix, comparing every observation with
     * the recorded hash. A mismatch is a non-retryable `EnvDivergence`: never continue on a diverged state.
     */
    async envRedrive(input: RedriveInput): Promise<{ replayed: number }> {
      counters.redrives += 1;
      const { session, reset } = await open(input.episodeId, input.spec);
      if (reset.obsHash !== input.resetObsHash) throw divergence(input.episodeId, -1);
      for (const [index, step] of input.steps.entries()) {
        const result = await wrap(() => session.env.step(step.action));
        counters.redriveSteps += 1;
        session.applied += 1;
        if (observationHash(result.observation) !== step.obsHash) throw divergence(input.episodeId, index);
      }
      return { replayed: input.steps.length };
    },

    /** Closes and forgets the episode's session. Idempotent. */
    async envClose(input: { episodeId: string }): Promise<void> {
      const session = sessions.get(input.episodeId);
      sessions.delete(input.episodeId);
      await session?.env.close();
    },
  };
}

function divergence(episodeId: string, stepIndex: number): ApplicationFailure {
  const where = stepIndex < 0 ? 'the reset observation' : `step ${stepIndex}`;
  return ApplicationFailure.create({
    type: ENV_DIVERGENCE,
    nonRetryable: true,
    message: `episode ${episodeId}: re-driven ${where} differs from the recorded observation; the episode stops rather than continue on a diverged state`,
  });
}

/** Env errors become typed failures; bad input is not retried, an unavailable server is. */
async function wrap<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await withHeartbeat(call);
  } catch (err) {
    if (err instanceof EnvError) {
      const retryable = err.code === 'EnvUnavailable';
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
