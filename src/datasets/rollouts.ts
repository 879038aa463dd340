/**
 * Rollouts for the datasets: recorded STEP-HRL episodes read from audit exports (`step-hrl export`,
 * docs/export-format.md), checked against their hash chain, grouped per episode, and chosen at a
 * ratio to the expert trajectories by hash order. Episodes that cannot give rows (ReAct episodes,
 * which have no subtasks; episodes of another env) are skipped with a count. Pure but for reading
 * the files.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { HighLevelTransition, RecordedTransition } from '../agent/records';
import type { EnvKind } from '../envs/text-env';
import { verifyExportText } from '../export/verify';

/** One recorded STEP-HRL episode of an export, ready to give rows. */
export interface RolloutEpisode {
  episodeId: string;
  env: EnvKind;
  /** sha256 of the export file it was read from, and that export's final hash. */
  exportSha256: string;
  exportFinalHash: string;
  /** The episode's step records in step order. */
  steps: RecordedTransition[];
  /** Its high-level records by subtask index (absent for subtasks whose record was not exported). */
  high: Map<number, HighLevelTransition>;
}

/** Why an exported episode gave no rows. */
export type RolloutSkipReason = 'react' | 'other-env' | 'no-steps' | 'duplicate';

/** What the exports held, what was chosen and what was skipped. */
export interface RolloutSet {
  /** The chosen episodes, in hash order. */
  episodes: RolloutEpisode[];
  /** STEP-HRL episodes of the job's env found in the exports. */
  available: number;
  /** Left out by the ratio. */
  leftOut: number;
  /** Episodes skipped, by reason. */
  skipped: Partial<Record<RolloutSkipReason, number>>;
  /** The export files read: sha256, final hash and the episodes each held. */
  sources: { sha256: string; finalHash: string; episodes: number }[];
  /** The ratio applied (rollout trajectories per expert trajectory); undefined: all were taken. */
  ratio?: number;
}

/** The export files a `--rollouts` argument names: a file, or a folder's `export.jsonl` files (recursively). */
export async function exportFilesOf(target: string): Promise<string[]> {
  if (!existsSync(target))
    throw new Error(
      `--rollouts ${target}: no such file or folder; give an export written by \`step-hrl export <id> --out <file>\``,
    );
  if (!statSync(target).isDirectory()) return [target];
  const names = (await readdir(target, { recursive: true })).map(String).sort();
  const files = names.filter((n) => path.basename(n) === 'export.jsonl').map((n) => path.join(target, n));
  if (files.length === 0)
    throw new Error(
      `--rollouts ${target}: the folder holds no export.jsonl; write one with \`step-hrl export <id> --out ${target}\` or \`step-hrl archive\``,
    );
  return files;
}

/** Tells the env of a recorded observation: ScienceWorld's always opens with `\nObs: ` (both formats). */
export function envOfObservation(observation: string): EnvKind {
  return observation.startsWith('\nObs: ') ? 'scienceworld' : 'alfworld';
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Reads one export's episodes (its chain must be intact), with the episodes skipped. */
export function parseExport(
  text: string,
  what: string,
  env: EnvKind,
): { episodes: RolloutEpisode[]; skipped: RolloutSkipReason[]; sha256: string; finalHash: string } {
  const verdict = verifyExportText(text, what);
  if (!verdict.ok) throw new Error(`--rollouts: ${verdict.message}`);
  const exportSha256 = sha256(text);
  const byEpisode = new Map<
    string,
    { steps: RecordedTransition[]; high: Map<number, HighLevelTransition>; react: boolean }
  >();
  const entry = (id: string) => {
    let e = byEpisode.get(id);
    if (!e) byEpisode.set(id, (e = { steps: [], high: new Map(), react: false }));
    return e;
  };
  for (const line of text.split('\n').slice(1)) {
    if (!line.trim()) continue;
    const value = JSON.parse(line) as { record?: unknown };
    if (!value || typeof value !== 'object' || !('record' in value)) continue; // the end line
    const record = value.record as { record?: string; episodeId?: string; low?: { role?: string } } | null;
    if (!record || typeof record.episodeId !== 'string') continue;
    if (record.record === 'high-level-transition') {
      const high = HighLevelTransition.safeParse(record);
      if (high.success) entry(high.data.episodeId).high.set(high.data.subtaskIndex, high.data);
      continue;
    }
    const step = RecordedTransition.safeParse(record);
    if (!step.success || ('role' in step.data.low && step.data.low.role === 'react')) {
      entry(record.episodeId).react = true; // not a STEP-HRL step: a ReAct turn has no subtask
      continue;
    }
    entry(step.data.episodeId).steps.push(step.data);
  }
  const episodes: RolloutEpisode[] = [];
  const skipped: RolloutSkipReason[] = [];
  const listed = verdict.header.identity.episodes.map((e) => e.episodeId);
  for (const id of [...new Set([...listed, ...byEpisode.keys()])]) {
    const e = byEpisode.get(id);
    if (!e || (e.steps.length === 0 && !e.react)) skipped.push('no-steps');
    else if (e.react || e.steps.length === 0) skipped.push('react');
    else if (envOfObservation(e.steps[0].observation) !== env) skipped.push('other-env');
    else {
      const steps = [...e.steps].sort((a, b) => a.stepIndex - b.stepIndex);
      episodes.push({ episodeId: id, env, exportSha256, exportFinalHash: verdict.finalHash, steps, high: e.high });
    }
  }
  return { episodes, skipped, sha256: exportSha256, finalHash: verdict.finalHash };
}

/** The hash that orders rollouts for the ratio (stable, and independent of the files' order). */
export function rolloutOrderKey(episodeId: string): string {
  return sha256(`rollout\u0000${episodeId}`);
}

/**
 * Reads the rollouts of `targets` (export files or folders) for a job of `env`, and keeps
 * `floor(ratio * expertTrajectories)` of them, the first by {@link rolloutOrderKey}; every one when
 * `ratio` is undefined. An episode found in several exports is taken once (from the export whose
 * sha256 sorts first).
 */
export async function readRollouts(
  targets: readonly string[],
  env: EnvKind,
  expertTrajectories: number,
  ratio?: number,
): Promise<RolloutSet> {
  const files = [...new Set((await Promise.all(targets.map(exportFilesOf))).flat())];
  const skipped: RolloutSet['skipped'] = {};
  const sources: RolloutSet['sources'] = [];
  const all: RolloutEpisode[] = [];
  for (const file of files) {
    const parsed = parseExport(await readFile(file, 'utf8'), file, env);
    for (const reason of parsed.skipped) skipped[reason] = (skipped[reason] ?? 0) + 1;
    sources.push({ sha256: parsed.sha256, finalHash: parsed.finalHash, episodes: parsed.episodes.length });
    all.push(...parsed.episodes);
  }
  sources.sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
  const unique = new Map<string, RolloutEpisode>();
  for (const e of [...all].sort((a, b) => (a.exportSha256 < b.exportSha256 ? -1 : 1))) {
    if (unique.has(e.episodeId)) skipped.duplicate = (skipped.duplicate ?? 0) + 1;
    else unique.set(e.episodeId, e);
  }
  const ordered = [...unique.values()].sort((a, b) => {
    const ka = rolloutOrderKey(a.episodeId);
    const kb = rolloutOrderKey(b.episodeId);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const keep = ratio === undefined ? ordered.length : Math.min(ordered.length, Math.floor(ratio * expertTrajectories));
  return {
    episodes: ordered.slice(0, keep),
    available: ordered.length,
    leftOut: ordered.length - keep,
    skipped,
    sources,
    ...(ratio !== undefined && { ratio }),
  };
}
