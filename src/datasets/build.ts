/**
 * Assembles a dataset folder from labelled trajectories: rows per role (see `rows.ts`) in every
 * format (see `formats.ts`), the trajectories themselves, a manifest and the dataset card. The
 * same inputs give byte-identical files (no clock, sorted inputs).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderDatasetCard, type DatasetCardFacts } from './card';
import { writeDatasetFiles } from './formats';
import { expertIndex, rolloutRows, rolloutSplitKey, rolloutTrajectoryId } from './rollout-rows';
import type { RolloutSet } from './rollouts';
import { DATASET_ROLES, splitOf, trajectoryRows, type DatasetRow, type RowOptions } from './rows';
import type { DroppedTrajectory, LabelledTrajectory } from '../episode/dataset-records';

/** What a build wrote. */
export type { BuildSummary } from '../episode/labelling-records';
import type { BuildSummary } from '../episode/labelling-records';

/**
 * Builds the dataset under `dir` from labelled trajectories (sorted by id here) and, when given,
 * the chosen rollouts (their rows follow the expert rows, in the rollouts' hash order).
 */
export async function buildDataset(
  dir: string,
  labelled: readonly LabelledTrajectory[],
  dropped: readonly DroppedTrajectory[],
  options: RowOptions & { name?: string; teacher?: DatasetCardFacts['teacher']; rollouts?: RolloutSet },
): Promise<BuildSummary> {
  const sorted = [...labelled].sort((a, b) => (a.trajectory.id < b.trajectory.id ? -1 : 1));
  const drops = [...dropped].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rows: DatasetRow[] = sorted.flatMap((lt) => trajectoryRows(lt, options));
  const index = expertIndex(sorted);
  const rollouts = (options.rollouts?.episodes ?? []).map((e) => {
    const match = rolloutSplitKey(e, index);
    rows.push(...rolloutRows(e, options, match));
    return {
      trajectory_id: rolloutTrajectoryId(e.episodeId),
      episode_id: e.episodeId,
      split: splitOf(match.trajectoryId, options.devFraction ?? 0.1),
      split_by: match.trajectoryId,
      steps: e.steps.length,
      export_sha256: e.exportSha256,
    };
  });
  await mkdir(dir, { recursive: true });
  const written = await writeDatasetFiles(dir, rows);
  await writeFile(path.join(dir, 'trajectories.jsonl'), sorted.map((lt) => `${JSON.stringify(lt)}\n`).join(''));
  written.push({ name: 'trajectories.jsonl', rows: sorted.length });
  await writeFile(path.join(dir, 'dropped.jsonl'), drops.map((d) => `${JSON.stringify(d)}\n`).join(''));
  written.push({ name: 'dropped.jsonl', rows: drops.length });
  if (options.rollouts) {
    await writeFile(path.join(dir, 'rollouts.jsonl'), rollouts.map((r) => `${JSON.stringify(r)}\n`).join(''));
    written.push({ name: 'rollouts.jsonl', rows: rollouts.length });
  }
  const files = await Promise.all(
    written.map(async (f) => ({
      ...f,
      sha256: createHash('sha256')
        .update(await readFile(path.join(dir, f.name)))
        .digest('hex'),
    })),
  );
  const counts = Object.fromEntries(DATASET_ROLES.map((r) => [r, rows.filter((row) => row.role === r).length]));
  const card = renderDatasetCard({
    name: options.name ?? `step-hrl dataset (${options.profile})`,
    profile: options.profile,
    obs: options.obs,
    devFraction: options.devFraction ?? 0.1,
    rows,
    trajectories: sorted,
    dropped: drops,
    files,
    teacher: options.teacher ?? { calls: 0, cachedCalls: 0, promptTokens: 0, completionTokens: 0 },
    ...(options.rollouts && { rollouts: options.rollouts }),
  });
  await writeFile(path.join(dir, 'README.md'), card);
  const summary = {
    dir,
    trajectories: sorted.length,
    ...(options.rollouts && { rollouts: rollouts.length }),
    dropped: drops.length,
    rows: counts,
    files,
  };
  await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify({ ...summary, dir: undefined }, null, 2)}\n`);
  return summary;
}
