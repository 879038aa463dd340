/**
 * CPU time of processes and of the whole machine from Linux's /proc, for benches that say where
 * the CPU went (bench/scale-out.ts). A process tree's time is the sum over its live processes of
 * utime + stime + cutime + cstime: a child that exited and was reaped counts in its parent's cutime
 * and cstime, so a tree's delta between two readings holds its short-lived children too.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces): state is field 3, ppid 4, utime 14.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number): number => Number(rest[n - 3]);
  return { pid, ppid: field(4), ticks: field(14) + field(15) + field(16) + field(17) };
}

/** Every live process, by pid. */
function allStats(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.set(s.pid, s);
  }
  return out;
}

/**
 * CPU seconds used so far by each named process tree (the root and its live descendants); a root
 * that is not running reads as undefined.
 */
export function treeCpuSeconds(roots: Record<string, number | undefined>): Record<string, number | undefined> {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const s of stats.values()) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const out: Record<string, number | undefined> = {};
  for (const [name, root] of Object.entries(roots)) {
    if (root === undefined || !stats.has(root)) {
      out[name] = undefined;
      continue;
    }
    let total = 0;
    const todo = [root];
    while (todo.length) {
      const pid = todo.pop()!;
      total += stats.get(pid)?.ticks ?? 0;
      todo.push(...(children.get(pid) ?? []));
    }
    out[name] = total / clockTicks();
  }
  return out;
}

/** The whole machine's CPU seconds so far (all cores): busy and idle (idle includes iowait). */
export function machineCpuSeconds(): { busy: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const t = clockTicks();
  return { busy: (user! + nice! + system! + irq! + softirq! + steal!) / t, idle: (idle! + iowait!) / t };
}
