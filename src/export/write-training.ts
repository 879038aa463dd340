/** Writes an export's training rows (one JSONL per role) and the dataset card beside them. */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PromptProfile } from '../activities/types';
import type { CollectedEpisode } from './collect';
import { stepHrlVersion } from './collect';
import { renderDatasetCard } from './dataset-card';
import { stepOf, recordVersionOf, type StepView } from './record-fields';
import { chatMessagesLine, promptCompletionLine, rowMetadata, type TrainingFormat } from './row-format';
import { trainingPaths } from './output-paths';
import { episodeTrainingRows, TRAINING_ROLES, type TrainingRole, type TrainingRow } from './training-rows';

/** Options of {@link writeTrainingExport}. */
export interface TrainingExportOptions {
  format: TrainingFormat;
  out: string;
  namespace: string;
  /** Render every episode in this profile; default: the profile each episode ran with. */
  profile?: PromptProfile;
  exportedAt: Date;
}

/** What was written. */
export interface TrainingExportSummary {
  counts: Record<TrainingRole, number>;
  files: string[];
  card: string;
}

const jsonl = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v) + '\n').join('');
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Builds every episode's rows and writes them with the card. */
export function writeTrainingExport(
  episodes: readonly CollectedEpisode[],
  o: TrainingExportOptions,
): TrainingExportSummary {
  const profiles: Record<string, PromptProfile> = {};
  const rows: TrainingRow[] = [];
  for (const e of episodes) {
    const profile = o.profile ?? e.source.config.profile;
    profiles[e.source.episodeId] = profile;
    const steps = e.records.map(stepOf).filter((s): s is StepView => s !== undefined);
    rows.push(...episodeTrainingRows({ steps, config: e.source.config, profile }));
  }
  const paths = trainingPaths(o.out, o.format);
  mkdirSync(path.dirname(paths.card), { recursive: true });
  const files: { name: string; sha256: string }[] = [];
  const write = (file: string, text: string) => {
    writeFileSync(file, text);
    files.push({ name: path.basename(file), sha256: sha256(text) });
  };
  const counts = { high: 0, low: 0, progress: 0 } as Record<TrainingRole, number>;
  for (const role of TRAINING_ROLES) {
    const ofRole = rows.filter((r) => r.role === role);
    counts[role] = ofRole.length;
    if (o.format === 'training-prompt') write(paths.rows[role], jsonl(ofRole.map(promptCompletionLine)));
    else {
      write(paths.rows[role], jsonl(ofRole.map(chatMessagesLine)));
      write(paths.meta![role], jsonl(ofRole.map(rowMetadata)));
    }
  }
  const versions = new Set(episodes.flatMap((e) => e.records.map(recordVersionOf)).filter((v) => v !== undefined));
  writeFileSync(
    paths.card,
    renderDatasetCard({
      format: o.format,
      profiles,
      namespace: o.namespace,
      episodes: episodes.map((e) => e.source),
      counts,
      invalidLowRows: rows.filter((r) => r.role === 'low' && r.invalid).length,
      recordVersions: [...versions].sort((a, b) => a - b),
      stepHrlVersion: stepHrlVersion(),
      exportedAt: o.exportedAt.toISOString(),
      files,
    }),
  );
  return { counts, files: [...Object.values(paths.rows), ...Object.values(paths.meta ?? {})], card: paths.card };
}
