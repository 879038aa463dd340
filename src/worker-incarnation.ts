/**
 * A worker's incarnation: a fresh id per worker process start, with where it runs. It names the
 * worker's own env queue (Temporal's worker-specific task queue pattern) and is the worker's
 * Temporal identity, so a pending activity says which incarnation ran it. Whether an incarnation is
 * surely gone is decided only on its own machine (same boot id and pid namespace): its pid no longer
 * runs, or runs another process (another start time). Elsewhere nothing is claimed, and Temporal's
 * heartbeat and schedule-to-start timeouts decide as before.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { WorkerIncarnation } from './episode/worker-identity';

export { incarnationIdentity, parseIncarnationIdentity, type WorkerIncarnation } from './episode/worker-identity';

/** A new incarnation of this process. */
export function newIncarnation(): WorkerIncarnation {
  const machine = thisMachine();
  const started = startTicks(process.pid);
  return {
    id: randomBytes(8).readBigUInt64BE().toString(36),
    host: hostname(),
    pid: process.pid,
    ...(machine && { machine }),
    ...(started && { started }),
  };
}

/** What {@link isIncarnationGone} compares against (tests pass their own). */
export interface LocalFacts {
  machine?: string;
  /** Start ticks of `pid` when it runs (not a zombie), else undefined. */
  startedOf(pid: number): string | undefined;
}

/**
 * True only when `inc` surely ended: it ran on this machine (same boot and pid namespace) and its
 * pid runs no process, or one started at another time. False when alive or unknown (another machine).
 */
export function isIncarnationGone(inc: WorkerIncarnation, here: LocalFacts = localFacts()): boolean {
  if (!inc.machine || !inc.started || inc.machine !== here.machine) return false;
  return here.startedOf(inc.pid) !== inc.started;
}

/** This machine's facts, read from /proc. */
export function localFacts(): LocalFacts {
  return { machine: thisMachine(), startedOf: startTicks };
}

function thisMachine(): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const ns = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
    // Hashed: only compared for equality, and it is part of every identity (see incarnationIdentity).
    return boot && ns ? createHash('sha256').update(`${boot}/${ns}`).digest('hex').slice(0, 8) : undefined;
  } catch {
    return undefined; // not Linux: never claim another process is gone
  }
}

/** Start time (field 22 of /proc/<pid>/stat) of a running, non-zombie process; else undefined. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ppid ..." — fields after the last ')' start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19] === undefined ? undefined : Number(fields[19]).toString(36);
  } catch {
    return undefined;
  }
}
