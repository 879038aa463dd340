/**
 * The "Historical subtasks" field of the high-level prompt: the reference's Python `str(list)` of
 * every issued subtask, or, for a bounded high level, the last N with a count of the earlier ones.
 */
import { parsePythonStringList, pythonListRepr } from '../pyrepr';

/**
 * Renders the field. With `earlier` > 0: `(<earlier> earlier subtasks omitted) ['...', ...]`, so the
 * text stays bounded however many subtasks an episode issues.
 */
export function historicalSubtasksText(subtasks: readonly string[], earlier = 0): string {
  const list = pythonListRepr(subtasks);
  if (earlier <= 0) return list;
  return `(${earlier} earlier subtask${earlier === 1 ? '' : 's'} omitted) ${list}`;
}

/** The subtasks a high-level prompt shows: the last `window` and how many came before (window 0 = all). */
export function boundSubtasks(
  subtasks: readonly string[],
  window: number,
): { subtasks: readonly string[]; earlierSubtasks: number } {
  if (window <= 0 || subtasks.length <= window) return { subtasks, earlierSubtasks: 0 };
  return { subtasks: subtasks.slice(-window), earlierSubtasks: subtasks.length - window };
}

const OMITTED = /^\((\d+) earlier subtasks? omitted\) /;

/**
 * Reads the field back (what {@link historicalSubtasksText} wrote): the count of omitted earlier
 * subtasks and the listed ones, or `undefined` when the text is neither form.
 */
export function parseHistoricalSubtasks(text: string): { earlier: number; recent: string[] } | undefined {
  const match = OMITTED.exec(text.trim());
  const recent = parsePythonStringList(match ? text.trim().slice(match[0].length) : text);
  return recent === undefined ? undefined : { earlier: match ? Number(match[1]) : 0, recent };
}
