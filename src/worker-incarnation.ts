/**
 * A worker's incarnation: a fresh id per worker process start, with where it runs. It names the
 * worker's own env queue (Temporal's worker-specific task queue pattern) and is the worker's
 * Temporal identity, so a pending activity says which incarnation ran it. Whether an incarnation is
 * surely gone is decided only on its own machine (same boot id and pid namespace): its pid no longer
 * runs, or runs another process (another start time). Elsewhere nothing is claimed, and Temporal's
 * heartbeat and schedule-to-start timeouts decide as before.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** Where and as what a worker process runs. */
export interface WorkerIncarnation {
  /** Fresh per worker (a UUID: no dots, so it ends an env queue name). */
  id: string;
  host: string;
  pid: number;
  /** This boot of the machine plus the pid namespace (`<boot id>/<pid ns inode>`); absent off Linux. */
  machine?: string;
  /** The process's start time in clock ticks since boot (guards against a reused pid). */
  started?: string;
}

/** A new incarnation of this process. */
export function newIncarnation(): WorkerIncarnation {
  const machine = thisMachine();
  const started = startTicks(process.pid);
  return {
    id: randomUUID(),
    host: hostname(),
    pid: process.pid,
    ...(machine && { machine }),
    ...(started && { started }),
  };
}

const IDENTITY = /^(\d+)@(\S+) step-hrl:(\S+)(?: machine:(\S+))?(?: started:(\d+))?$/;

/** The Temporal worker identity of `inc` (starts like the SDK's default `pid@host`). */
export function incarnationIdentity(inc: WorkerIncarnation): string {
  return (
    `${inc.pid}@${inc.host} step-hrl:${inc.id}` +
    (inc.machine ? ` machine:${inc.machine}` : '') +
    (inc.started ? ` started:${inc.started}` : '')
  );
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
    return boot && ns ? `${boot}/${ns}` : undefined;
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
    return fields[19];
  } catch {
    return undefined;
  }
}
