/**
 * Writes dataset rows in the formats users load directly, one set of files per role and split:
 * - `reference/<role>.<split>.json`: the reference's column layout, one JSON object of parallel
 *   lists `obs`, `subtask`|`action`|`progress`, `next_obs`, `reward`, `score`, `done`;
 * - `<role>.<split>.prompt.jsonl`: prompt-completion rows (TRL's form; conversational for `chat`);
 * - `<role>.<split>.chat.jsonl`: `{"messages": [..., assistant]}` rows;
 * - `<role>.<split>.parquet`: the prompt-completion columns as a Parquet table.
 * Output is deterministic: the same rows give byte-identical files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Bool, Float64, Int32, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import type { ChatMessage } from '../agent/vocabulary';
import { DATASET_ROLES, inputText, type DatasetRole, type DatasetRow, type DatasetSplit } from './rows';

/** Column of the reference's layout that holds a role's target. */
export const REFERENCE_TARGET_COLUMN: Record<DatasetRole, string> = {
  high: 'subtask',
  low: 'action',
  progress: 'progress',
};

/** The prompt of a row: raw text (paper) or the messages (chat). */
function promptOf(row: DatasetRow): string | ChatMessage[] {
  return row.input.prompt ?? row.input.messages ?? [];
}

/** Metadata beside each JSONL row (snake_case, as dataset columns usually are). */
export function rowMetadata(row: DatasetRow): Record<string, unknown> {
  return {
    role: row.role,
    trajectory_id: row.trajectoryId,
    env: row.env,
    task: row.taskName,
    split: row.split,
    subtask_index: row.subtaskIndex,
    step_index: row.stepIndex,
    reward: row.reward,
    score: row.score,
    done: row.done,
    next_prompt: typeof row.next === 'string' ? row.next : (row.next.prompt ?? row.next.messages ?? []),
    raw_target: row.rawTarget ?? null,
    provenance: row.provenance,
  };
}

/** The prompt-completion line of a row. */
export function promptCompletionLine(row: DatasetRow): Record<string, unknown> {
  const prompt = promptOf(row);
  const completion = typeof prompt === 'string' ? row.target : [{ role: 'assistant', content: row.target }];
  return { prompt, completion, ...rowMetadata(row) };
}

/** The chat-messages line of a row (a raw prompt is one user message). */
export function chatMessagesLine(row: DatasetRow): { messages: ChatMessage[] } {
  const messages = row.input.messages ?? [{ role: 'user' as const, content: row.input.prompt ?? '' }];
  return { messages: [...messages, { role: 'assistant', content: row.target }] };
}

/** The reference's column layout for rows of one role. */
export function referenceColumns(role: DatasetRole, rows: readonly DatasetRow[]): Record<string, unknown[]> {
  return {
    obs: rows.map((r) => inputText(r.input)),
    [REFERENCE_TARGET_COLUMN[role]]: rows.map((r) => r.target),
    next_obs: rows.map((r) => inputText(r.next)),
    reward: rows.map((r) => r.reward),
    score: rows.map((r) => r.score),
    done: rows.map((r) => r.done),
  };
}

/**
 * The prompt-completion table as Parquet bytes (Snappy): columns `prompt`, `completion`, `role`,
 * `trajectory_id`, `env`, `task`, `split`, `subtask_index`, `step_index`, `reward`, `score`, `done`,
 * `next_prompt`, `raw_target` (null except progress rows) and `provenance` (JSON text); a `chat`
 * prompt is its messages as JSON text.
 */
export function parquetBytes(rows: readonly DatasetRow[]): Uint8Array {
  const utf8 = (values: (string | null)[]) => vectorFromArray(values, new Utf8());
  const table = new Table({
    prompt: utf8(rows.map((r) => inputText(r.input))),
    completion: utf8(rows.map((r) => r.target)),
    role: utf8(rows.map((r) => r.role)),
    trajectory_id: utf8(rows.map((r) => r.trajectoryId)),
    env: utf8(rows.map((r) => r.env)),
    task: utf8(rows.map((r) => r.taskName)),
    split: utf8(rows.map((r) => r.split)),
    subtask_index: vectorFromArray(
      rows.map((r) => r.subtaskIndex),
      new Int32(),
    ),
    step_index: vectorFromArray(
      rows.map((r) => r.stepIndex),
      new Int32(),
    ),
    reward: vectorFromArray(
      rows.map((r) => r.reward),
      new Float64(),
    ),
    score: vectorFromArray(
      rows.map((r) => r.score),
      new Float64(),
    ),
    done: vectorFromArray(
      rows.map((r) => r.done),
      new Bool(),
    ),
    next_prompt: utf8(rows.map((r) => inputText(r.next))),
    raw_target: utf8(rows.map((r) => r.rawTarget ?? null)),
    provenance: utf8(rows.map((r) => JSON.stringify(r.provenance))),
  });
  const props = new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).build();
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')), props);
}

/** A written file. */
export interface WrittenFile {
  name: string;
  rows: number;
}

const jsonl = (lines: readonly unknown[]) => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

/** Writes every format of `rows` under `dir`; returns the files written (relative names), in order. */
export async function writeDatasetFiles(dir: string, rows: readonly DatasetRow[]): Promise<WrittenFile[]> {
  await mkdir(path.join(dir, 'reference'), { recursive: true });
  const written: WrittenFile[] = [];
  for (const split of ['train', 'dev'] as DatasetSplit[]) {
    for (const role of DATASET_ROLES) {
      const subset = rows.filter((r) => r.role === role && r.split === split);
      const stem = `${role}.${split}`;
      const put = async (name: string, text: string) => {
        await writeFile(path.join(dir, name), text);
        written.push({ name, rows: subset.length });
      };
      await put(`reference/${stem}.json`, `${JSON.stringify(referenceColumns(role, subset))}\n`);
      await put(`${stem}.prompt.jsonl`, jsonl(subset.map(promptCompletionLine)));
      await put(`${stem}.chat.jsonl`, jsonl(subset.map(chatMessagesLine)));
      const parquetName = `${stem}.parquet`;
      await writeFile(path.join(dir, parquetName), parquetBytes(subset));
      written.push({ name: parquetName, rows: subset.length });
    }
  }
  return written;
}
