/** The dataset card written beside training rows: what is inside, where it came from, how it was built. */
import type { PromptProfile } from '../activities/types';
import type { EpisodeSource } from './episode-source';
import type { TrainingFormat } from './row-format';
import { END_PLACEHOLDERS, TRAINING_ROLES, type TrainingRole } from './training-rows';

/** Everything the card states. */
export interface DatasetCardFacts {
  format: TrainingFormat;
  /** Profile each episode's rows were rendered in. */
  profiles: Record<string, PromptProfile>;
  namespace: string;
  episodes: readonly EpisodeSource[];
  counts: Record<TrainingRole, number>;
  invalidLowRows: number;
  recordVersions: readonly number[];
  stepHrlVersion: string;
  exportedAt: string;
  /** Written files (relative names) and their SHA-256. */
  files: readonly { name: string; sha256: string }[];
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** Renders the card as Markdown. */
export function renderDatasetCard(f: DatasetCardFacts): string {
  const total = TRAINING_ROLES.reduce((n, r) => n + f.counts[r], 0);
  const profiles = [...new Set(Object.values(f.profiles))].join(', ');
  const form =
    f.format === 'training-prompt'
      ? 'prompt-completion JSONL (`{"prompt", "completion", ...}`; conversational lists of messages for the `chat` profile), one row per line with `role`, `episode_id`, `subtask_index`, `step_index`, `reward`, `done`, `invalid` and `next_prompt` beside it'
      : 'chat-messages JSONL (`{"messages": [system?, user, assistant]}` and no other key, as OpenAI fine-tuning requires); the metadata of line N (`role`, `episode_id`, `subtask_index`, `step_index`, `reward`, `done`, `invalid`, `next_prompt`) is line N of the `.meta.jsonl` file beside it';
  return [
    `# step-hrl training rows (${f.format})`,
    '',
    `${total} rows from ${f.episodes.length} episode(s), prompts in the \`${profiles}\` profile.`,
    '',
    '| role | rows |',
    '| --- | --- |',
    ...TRAINING_ROLES.map((r) => `| ${r} | ${f.counts[r]} |`),
    '',
    `Low-level rows whose reply was unparseable (\`invalid: true\`, action "None"): ${f.invalidLowRows}.`,
    '',
    '## Sources',
    '',
    `Namespace \`${f.namespace}\`; step-hrl ${f.stepHrlVersion}; record version(s) ${f.recordVersions.join(', ') || 'none'}; exported ${f.exportedAt}.`,
    '',
    '| episode | workflow runs | env | task | profile | status | env versions |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...f.episodes.map((e) => {
      const spec = e.config.spec;
      const task = `${spec.task}${spec.variation !== undefined ? ` #${spec.variation}` : ''}${spec.split ? ` (${spec.split})` : ''}`;
      const versions = Object.entries(e.envVersions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const status = e.result ? `${e.result.status}${e.result.won ? ', won' : ''}` : 'not finished';
      return `| ${cell(e.episodeId)} | ${e.runIds.join(', ')} | ${spec.env} | ${cell(task)} | ${f.profiles[e.episodeId]} | ${status} | ${cell(versions)} |`;
    }),
    '',
    '## How the rows were built',
    '',
    `Form: ${form}.`,
    '',
    "Following the STEP-HRL reference's `convert_data_memory.py`, from the episodes' recorded augmented transitions, with step-hrl's own prompt builders (`buildPolicyCall`), so each prompt is byte for byte what the model was served in that profile:",
    '',
    "- **high**: one row per subtask, at its first step; prompt = task, the subtasks issued before, the final progress of the subtask before (`None` for the first) and the observation when it was issued; target = the subtask; reward = sum of the env rewards inside the subtask (divided by 100 on 0-100 score envs: ScienceWorld, built-in); done = env done at the subtask's end.",
    '- **low**: one row per env step; prompt = subtask, observation, local progress; target = `<action>; True|False` (paper) or `{"action", "subtask_done"}` (chat); reward = 1 on the step that completes the subtask, -1 for an unparseable reply or an action the env did not know ("No known action matches that input."), else 0; done = last step of the subtask.',
    '- **progress**: one row per step with a progress update (none on the terminal step); prompt = subtask, previous progress, action, resulting observation; target = the updated progress (paper) or `{"progress"}` (chat); reward and done as the low row of the same step.',
    `- **next_prompt**: the next row of the same role in the same episode; after the last one the reference's placeholder: "${END_PLACEHOLDERS.won}", "${END_PLACEHOLDERS.lost}" or "${END_PLACEHOLDERS.unfinished}".`,
    '- Targets carry no end-of-sequence token: the training tool appends its own.',
    "- The `chat` profile's low-level prompts list the env's admissible actions when served; the records do not keep that list, so rebuilt chat low-level prompts leave it out.",
    '',
    '## Files',
    '',
    '| file | sha256 |',
    '| --- | --- |',
    ...f.files.map((file) => `| ${cell(file.name)} | \`${file.sha256}\` |`),
    '',
  ].join('\n');
}
