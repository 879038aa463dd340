/**
 * The written form of a worker incarnation (src/worker-incarnation.ts): its Temporal identity,
 * `pid@host sh:<id>[:<machine>:<started>]`, written into every task event and lease and read back
 * by `resume` (is that process gone?) and by the episode (which host holds its session). Pure, so
 * the workflow code reads it too.
 */

/** Where and as what a worker process runs. */
export interface WorkerIncarnation {
  /** Fresh per worker: 13 base-36 characters (64 random bits; no dots, so it ends an env queue name). */
  id: string;
  host: string;
  pid: number;
  /** This boot of the machine plus the pid namespace, hashed (8 hex digits); absent off Linux. */
  machine?: string;
  /** The process's start time in clock ticks since boot, base 36 (guards against a reused pid). */
  started?: string;
}

const IDENTITY = /^(\d+)@(\S+) sh:([0-9a-z]+)(?::([0-9a-f]{8})?:([0-9a-z]+)?)?$/;

/**
 * The Temporal worker identity of `inc`: the SDK's default `pid@host`, then `sh:<id>[:<machine>:<started>]`.
 * Short on purpose: the identity is written into every workflow and activity task event.
 */
export function incarnationIdentity(inc: WorkerIncarnation): string {
  const facts = inc.machine || inc.started ? `:${inc.machine ?? ''}:${inc.started ?? ''}` : '';
  return `${inc.pid}@${inc.host} sh:${inc.id}${facts}`;
}

/** The incarnation an identity of {@link incarnationIdentity} names; undefined for any other identity. */
export function parseIncarnationIdentity(identity: string): WorkerIncarnation | undefined {
  const m = IDENTITY.exec(identity);
  if (!m) return undefined;
  return {
    pid: Number(m[1]),
    host: m[2]!,
    id: m[3]!,
    ...(m[4] && { machine: m[4] }),
    ...(m[5] && { started: m[5] }),
  };
}
