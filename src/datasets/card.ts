/** The dataset card written beside a dataset: counts, sources, labelling, drops and the split rule. */
import type { RolloutSet } from './rollouts';
import type { DatasetRow } from './rows';
import { DATASET_ROLES } from './rows';
import type { DroppedTrajectory, LabelledTrajectory } from '../episode/dataset-records';

/** Everything the card states. */
export interface DatasetCardFacts {
  name: string;
  profile: string;
  obs: string;
  devFraction: number;
  rows: readonly DatasetRow[];
  trajectories: readonly LabelledTrajectory[];
  dropped: readonly DroppedTrajectory[];
  files: readonly { name: string; rows: number; sha256: string }[];
  /** Teacher calls and tokens (zero for a rule-based build). */
  teacher: { calls: number; cachedCalls: number; promptTokens: number; completionTokens: number };
  /** Rollouts read from audit exports, when any were given. */
  rollouts?: RolloutSet;
}

/** The card's section on rollouts: rows by source, what was read, chosen, left out and skipped. */
function rolloutSection(f: DatasetCardFacts): string[] {
  const r = f.rollouts;
  if (!r) return [];
  const bySource = (source: string) => f.rows.filter((row) => row.provenance.source === source);
  const line = (source: string, trajectories: number) => {
    const rows = bySource(source);
    const c = (role: string) => rows.filter((row) => row.role === role).length;
    return `| ${source} | ${trajectories} | ${c('high')} | ${c('low')} | ${c('progress')} |`;
  };
  const skipped = Object.entries(r.skipped).sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    '## Rollouts',
    '',
    `Recorded STEP-HRL episodes from audit exports (\`step-hrl export\`), mixed in ${r.ratio === undefined ? 'all' : `at ${r.ratio} rollout trajectories per expert trajectory, the first by sha256("rollout\\0" + episode id)`}: ${r.episodes.length} used of ${r.available} found (${r.leftOut} left out by the ratio). The policy's own subtasks, actions (with its subtask-done flag) and progress are the targets; rewards and done follow the expert rows' rules. A rollout is in the split of the expert trajectory of the same game or variation (matched by task and first observation), else of a hash of those (\`rollouts.jsonl\` says which).`,
    '',
    '| source | trajectories | high | low | progress |',
    '| --- | --- | --- | --- | --- |',
    line('expert', f.trajectories.length),
    line('rollout', r.episodes.length),
    '',
    `Skipped episodes: ${skipped.map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none'} (\`react\`: ReAct episodes have no subtasks; \`other-env\`: another env than the dataset's; \`duplicate\`: in several exports).`,
    '',
    '| export sha256 | final hash | episodes |',
    '| --- | --- | --- |',
    ...r.sources.map((s) => `| \`${s.sha256}\` | \`${s.finalHash}\` | ${s.episodes} |`),
    '',
  ];
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const item of items) m.set(key(item), (m.get(key(item)) ?? 0) + 1);
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Renders the card as Markdown (deterministic: no clock). */
export function renderDatasetCard(f: DatasetCardFacts): string {
  const roleCount = (role: string, split: string, task?: string) =>
    f.rows.filter((r) => r.role === role && r.split === split && (task === undefined || r.taskName === task)).length;
  const tasks = [...new Set(f.rows.map((r) => `${r.env}\u0000${r.taskName}`))].sort();
  const versions = [...new Set(f.trajectories.map((t) => JSON.stringify(t.trajectory.envVersions)))];
  const prov = f.trajectories[0]?.provenance;
  const promptHashes = [
    ...new Set(
      f.trajectories.flatMap((t) => Object.entries(t.provenance.promptSha256).map(([n, h]) => `${n} \`${h}\``)),
    ),
  ];
  const teacherModels = [...new Set(f.trajectories.map((t) => t.provenance.teacherModel).filter(Boolean))];
  const drops = countBy(f.dropped, (d) => `${d.stage}\u0000${d.reason}`);
  return [
    `# ${f.name}`,
    '',
    `STEP-HRL step-level datasets from ${f.trajectories.length} expert trajectories (${f.dropped.length} dropped)${f.rollouts ? ` and ${f.rollouts.episodes.length} rollouts` : ''}, prompts in the \`${f.profile}\` profile with \`${f.obs}\` observations.`,
    '',
    '## Rows',
    '',
    '| role | train | dev |',
    '| --- | --- | --- |',
    ...DATASET_ROLES.map((r) => `| ${r} | ${roleCount(r, 'train')} | ${roleCount(r, 'dev')} |`),
    '',
    '| env | task | trajectories | high | low | progress |',
    '| --- | --- | --- | --- | --- | --- |',
    ...tasks.map((key) => {
      const [env, task] = key.split('\u0000');
      const n = new Set(f.rows.filter((r) => r.env === env && r.taskName === task).map((r) => r.trajectoryId)).size;
      const c = (role: string) => roleCount(role, 'train', task) + roleCount(role, 'dev', task);
      return `| ${env} | ${cell(task)} | ${n} | ${c('high')} | ${c('low')} | ${c('progress')} |`;
    }),
    '',
    ...rolloutSection(f),
    '## Train/dev split',
    '',
    `Held out by trajectory, never by row: a ScienceWorld variation or an ALFWorld game is \`dev\` when the first 4 bytes of sha256(trajectory id), read as a fraction of 2^32, are below ${f.devFraction}; every row of that trajectory is then in \`dev\`.`,
    '',
    '## Labelling',
    '',
    `- Segmentation: ${prov?.segmenter === 'teacher' ? `teacher model ${teacherModels.join(', ')}` : `rules (\`${prov?.rulesVersion ?? ''}\`, see docs/datasets.md)`}.`,
    `- Local progress: ${prov?.progress === 'teacher' ? `teacher model ${teacherModels.join(', ')}` : `rules (\`${prov?.rulesVersion ?? ''}\`)`}.`,
    `- Teacher prompt files: ${promptHashes.join(', ') || 'none'}.`,
    '',
    '## Dropped trajectories',
    '',
    '| stage | reason | trajectories |',
    '| --- | --- | --- |',
    ...[...drops].map(([k, n]) => {
      const [stage, reason] = k.split('\u0000');
      return `| ${stage} | ${reason} | ${n} |`;
    }),
    '',
    ...f.dropped.map((d) => `- \`${cell(d.id)}\` (${d.stage}, ${d.reason}): ${d.detail}`),
    '',
    '## Sources',
    '',
    `Env versions: ${versions.map((v) => `\`${v}\``).join('; ') || 'none'}.`,
    '',
    "Each row's `provenance` holds its trajectory's sha256, env versions, segmenter, progress labeller, teacher model and prompt hashes. The trajectories (actions, observations, rewards, scores, source hash) are in `trajectories.jsonl`.",
    '',
    '## Files',
    '',
    '| file | rows | sha256 |',
    '| --- | --- | --- |',
    ...f.files.map((file) => `| ${cell(file.name)} | ${file.rows} | \`${file.sha256}\` |`),
    '',
  ].join('\n');
}
