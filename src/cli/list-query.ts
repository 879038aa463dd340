/**
 * Builds the visibility query of `step-hrl list` from its filters: one clause per filter on a
 * step-hrl search attribute, ANDed, with values quoted so any task name or id is matched literally.
 * Pure, so the quoting is unit tested without a server.
 */
import {
  StepHrlAgent,
  StepHrlEnv,
  StepHrlEvalId,
  StepHrlKind,
  StepHrlModel,
  StepHrlParent,
  StepHrlProfile,
  StepHrlSplit,
  StepHrlStatus,
  StepHrlTask,
  StepHrlWon,
  type StepHrlMemo,
} from '../episode/search-attributes';

/** The memo's text facts a filter matches as the flag gives it. */
type TextFacts = 'env' | 'task' | 'split' | 'agent' | 'profile' | 'model' | 'status';

/** The filters of `step-hrl list`, as the flags give them (strings). */
export interface ListFilters extends Partial<Record<TextFacts & keyof StepHrlMemo, string>> {
  /** `true` | `false`. */
  won?: string;
  /** Eval id. */
  eval?: string;
  /** Parent episode id (forks). */
  parent?: string;
  /** `episode` | `eval`; default: both. */
  kind?: string;
  /** A raw visibility query, ANDed with the rest. */
  query?: string;
}

const KINDS = ['episode', 'eval'];

/**
 * A string literal of the visibility query language: single quotes, with backslash and quote
 * escaped (the server's SQL tokenizer decodes `\\` and `\'`).
 */
export function quoteQueryValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The query for `filters`. Without `--kind` it lists episodes and evals (never subtask children
 * or other workflows), one row each (the latest run); `--query` is added in parentheses, ANDed.
 * @throws Error naming the flag and its valid values (`--won`, `--kind`).
 */
export function buildListQuery(filters: ListFilters): string {
  const clauses: string[] = [];
  const equals = (name: string, value: string | undefined): void => {
    if (value !== undefined) clauses.push(`${name} = ${quoteQueryValue(value)}`);
  };
  if (filters.kind !== undefined && !KINDS.includes(filters.kind))
    throw new Error(`--kind ${JSON.stringify(filters.kind)} is not valid; choose episode or eval`);
  if (filters.kind !== undefined) equals(StepHrlKind.name, filters.kind);
  else clauses.push(`${StepHrlKind.name} IN (${KINDS.map(quoteQueryValue).join(', ')})`);
  // One row per episode or eval: the runs it continued as new from carry its start attributes too.
  clauses.push(`ExecutionStatus != 'ContinuedAsNew'`);
  equals(StepHrlEnv.name, filters.env);
  equals(StepHrlTask.name, filters.task);
  equals(StepHrlSplit.name, filters.split);
  equals(StepHrlAgent.name, filters.agent);
  equals(StepHrlProfile.name, filters.profile);
  equals(StepHrlModel.name, filters.model);
  equals(StepHrlStatus.name, filters.status);
  // A terminated or timed-out run never upserted its end: `running` means running in Temporal too.
  if (filters.status === 'running') clauses.push(`ExecutionStatus = 'Running'`);
  equals(StepHrlEvalId.name, filters.eval);
  equals(StepHrlParent.name, filters.parent);
  if (filters.won !== undefined) {
    const won = filters.won.toLowerCase();
    if (won !== 'true' && won !== 'false')
      throw new Error(`--won ${JSON.stringify(filters.won)} is not valid; pass --won true or --won false`);
    clauses.push(`${StepHrlWon.name} = ${won}`);
  }
  if (filters.query !== undefined && filters.query.trim() !== '') clauses.push(`(${filters.query})`);
  return clauses.join(' AND ');
}
